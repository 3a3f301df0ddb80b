//! Fast paths: calls whose plan uses only argument registers and a few
//! 8-byte stack slots skip libffi.
//!
//! At preparation time the [`CallPlan`](crate::abi::CallPlan) is compiled into a *move list*
//! (koffi-style): for every part of every argument, where its bytes are
//! (argument index, byte offset), how to widen them (narrow-integer
//! extension, variadic promotion) and which word of a register image they
//! go to. A call zeroes the image (unused registers are deterministic, as
//! in LuaJIT), runs the moves, and hands the image to a precompiled
//! invoker, which loads every argument register, copies the stack words,
//! calls the C function and hands back the return registers, which are
//! written back per the plan's return parts (truncating narrow integer
//! returns).
//!
//! - `x86_64` (System V): image `[gpr0..gpr5, fpr0..fpr7, stack0..stackN]`,
//!   one invoker per *shape* (return register pair × number of stack slots
//!   × variadic), each calling through an `extern "C"` function-pointer type.
//! - `aarch64` (AAPCS64, Linux and Apple): image `[x0..x7, x8, v0..v7 (16 bytes each),
//!   stack0..stackN]`, one invoker in assembly for every plan; arguments
//!   passed by reference (composites over 16 bytes, B.4) are copied into a
//!   per-call area whose addresses the moves place.
//!
//! The callback side mirrors this: a per-callback stub enters a
//! precompiled entry that saves the argument registers into the same kind
//! of image and calls a dispatcher that follows the plan
//! (`callback_x86_64`, `callback_aarch64`).
//!
//! Apple arm64 plans use the same image (narrow named stack arguments
//! packed at their size are or-ed into their words; variadic arguments are
//! stack words). Other hosts have no fast path: [`FastCall::new`] always
//! declines and calls go through libffi.
//!
//! Turning it off: `ABICALL_NO_FASTPATH=1` in the environment (read once per
//! process) or [`crate::call::RawCall::set_fast_path`] per call object.

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
))]
mod moves;

#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos")))]
mod aarch64;

#[cfg(any(
    all(target_arch = "x86_64", target_os = "linux"),
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
))]
mod stub_pages;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod callback_x86_64;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub(crate) use self::callback_x86_64::{stub as callback_stub, FastCallback};

#[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos")))]
mod callback_aarch64;
#[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos")))]
pub(crate) use self::callback_aarch64::{stub as callback_stub, FastCallback};

/// Whether this host has a fast path and fast callback entry at all.
pub(crate) const HOST_HAS_FAST_PATH: bool = cfg!(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
));

/// The dispatcher a fast callback entry calls: `(state, register image,
/// stack argument area, return area)`.
pub(crate) type Dispatch = unsafe extern "C" fn(*const std::ffi::c_void, *const u64, *const u8, *mut u64);

/// No callback fast path on this host.
#[cfg(not(any(
    all(target_arch = "x86_64", target_os = "linux"),
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
)))]
#[derive(Debug)]
pub(crate) enum FastCallback {}

#[cfg(not(any(
    all(target_arch = "x86_64", target_os = "linux"),
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
)))]
impl FastCallback {
    /// Always `None` on hosts without the fast entry.
    pub(crate) fn new(_plan: &CallPlan) -> Option<FastCallback> {
        None
    }
    pub(crate) fn sret(&self) -> bool {
        match *self {}
    }
    /// # Safety
    /// As for the x86_64 version.
    pub(crate) unsafe fn sret_ptr(&self, _image: *const u64) -> *mut u8 {
        match *self {}
    }
    /// # Safety
    /// As for the x86_64 version.
    pub(crate) unsafe fn with_args<R>(
        &self,
        _image: *const u64,
        _stack: *const u8,
        _f: impl FnOnce(&[*const std::ffi::c_void]) -> R,
    ) -> R {
        match *self {}
    }
    /// # Safety
    /// As for the x86_64 version.
    pub(crate) unsafe fn put_return(&self, _src: *const u8, _area: *mut u64) {
        match *self {}
    }
}

/// No stubs on this host.
#[cfg(not(any(
    all(target_arch = "x86_64", target_os = "linux"),
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
)))]
pub(crate) fn callback_stub(_state: *const std::ffi::c_void, _d: Dispatch) -> Option<*const std::ffi::c_void> {
    None
}

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
)))]
use crate::abi::CallPlan;
use std::sync::OnceLock;

#[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos")))]
pub(crate) use self::aarch64::FastCall;
#[cfg(target_arch = "x86_64")]
pub(crate) use self::x86_64::FastCall;

/// No fast path on this host: the type has no values, so every call object
/// takes the libffi path.
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
)))]
pub(crate) enum FastCall {}

#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos"))
)))]
impl FastCall {
    /// Always `None` on hosts without invokers.
    pub(crate) fn new(
        _plan: &CallPlan,
        _declared: &[Option<crate::types::Prim>],
        _signed_char: bool,
    ) -> Option<FastCall> {
        None
    }

    /// Unreachable (no values exist).
    ///
    /// # Safety
    /// As for the x86_64 version.
    pub(crate) unsafe fn call(
        &self,
        _code: *const std::ffi::c_void,
        _args: &[*const std::ffi::c_void],
        _ret: *mut std::ffi::c_void,
    ) -> bool {
        match *self {}
    }
}

/// Whether `ABICALL_NO_FASTPATH` is set to something other than empty or `0`
/// (read once per process).
pub(crate) fn disabled_by_env() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    *OFF.get_or_init(|| std::env::var_os("ABICALL_NO_FASTPATH").is_some_and(|v| !v.is_empty() && v != "0"))
}
