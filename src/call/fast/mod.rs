//! Fast paths: calls whose plan uses only argument registers and a few
//! 8-byte stack slots skip libffi.
//!
//! At preparation time the [`CallPlan`] is compiled into a *move list*
//! (koffi-style): for every part of every argument, where its bytes are
//! (argument index, byte offset), how to widen them (narrow-integer
//! extension, variadic promotion) and which slot of a register image they go
//! to. The image is `[gpr0..gpr5, fpr0..fpr7, stack0..stackN]`; a call zeroes
//! it (unused registers are deterministic, as in LuaJIT), runs the moves,
//! and hands the image to one precompiled invoker per *shape* (return
//! register pair × number of stack slots × variadic), which calls the C
//! function through an `extern "C"` function-pointer type taking every
//! argument register. The returned register pair is written back per the
//! plan's return parts, which truncates narrow integer returns.
//!
//! Only x86_64 SysV hosts have invokers ([`x86_64`]); elsewhere
//! [`FastCall::new`] always declines and calls go through libffi.
//!
//! Turning it off: `ABICALL_NO_FASTPATH=1` in the environment (read once per
//! process) or [`crate::call::RawCall::set_fast_path`] per call object.

#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod callback_x86_64;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
pub(crate) use self::callback_x86_64::{stub as callback_stub, FastCallback};

/// The dispatcher a fast callback entry calls: `(state, register image,
/// stack argument area, return area)`.
pub(crate) type Dispatch = unsafe extern "C" fn(*const std::ffi::c_void, *const u64, *const u8, *mut u64);

/// No callback fast path on this host.
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
#[derive(Debug)]
pub(crate) enum FastCallback {}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
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
#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
pub(crate) fn callback_stub(_state: *const std::ffi::c_void, _d: Dispatch) -> Option<*const std::ffi::c_void> {
    None
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
use crate::abi::CallPlan;
use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
pub(crate) use self::x86_64::FastCall;

/// No fast path on this host: the type has no values, so every call object
/// takes the libffi path.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) enum FastCall {}

#[cfg(not(target_arch = "x86_64"))]
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
