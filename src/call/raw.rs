//! The raw call API: the caller hands pointers to each argument's bytes in C
//! layout and a buffer for the result — what an interpreter uses to marshal
//! its own values. A prepared [`RawCall`] does not allocate per call.

use super::cif::Cif;
use super::errno;
use super::fast::{self, FastCall};
use super::jit::{self, JitCall, Tier, Trampoline};
use super::scratch;
use crate::abi::{self, CallPlan};
use crate::error::{AbiErrorKind, CallErrorKind, Error, Result};
use crate::types::{Prim, TypeId, Types};
use libffi::raw;
use std::any::Any;
use std::ffi::c_void;
use std::sync::{Arc, OnceLock};

/// Argument counts up to this use stack storage for the argument-pointer
/// array; more use a per-call heap array (documented exception to "no
/// allocation per call").
const INLINE_ARGS: usize = 32;

/// Return values up to this many bytes go through an internal buffer (so
/// libffi may write a full register); larger ones straight into the caller's.
const RET_SCRATCH: usize = 64;

/// What a padding argument of an AAPCS64 CIF passes (an unused register).
static PAD_ARG: [u64; 1] = [0];

/// A generated trampoline's signature, `(code, args, ret) -> refused`
/// (see [`RawCall::jit_entry`]).
pub type DirectEntry = unsafe extern "C" fn(*const c_void, *const *const c_void, *mut c_void) -> u32;

/// A default argument promotion to perform before the call.
#[derive(Clone, Copy, Debug)]
struct Promotion {
    from: Prim,
    to: Prim,
}

/// A prepared call to one C function with one signature (for a variadic
/// function: with one list of variadic argument types).
///
/// Cloning is cheap (the CIF is shared).
#[derive(Clone)]
pub struct RawCall {
    code: *const c_void,
    inner: Arc<Inner>,
    /// The tier calls take ([`RawCall::set_tier`]).
    tier: Tier,
    /// The generated trampoline, exactly when `tier` is [`Tier::Jit`]
    /// (owned by `inner.jit`, so valid while `inner` lives).
    jit: Option<Trampoline>,
    /// The plan's argument count (copied out of `inner` for the JIT path).
    nargs: u32,
    /// The result is not `void` (copied out of `inner`).
    has_ret: bool,
}

struct Inner {
    /// The libffi CIF; `None` for a plan libffi cannot express (a 16-byte
    /// GCC vector in one `xmm` register), which only the JIT tier calls.
    cif: Option<Cif>,
    /// Why libffi cannot call the plan, when `cif` is `None`.
    libffi_refusal: Option<String>,
    /// The compiled fast path, when the plan is eligible on this host.
    fast: Option<FastCall>,
    /// The generated trampoline, compiled on first use of the JIT tier
    /// (`None` inside: no generator for this plan or host, or no
    /// executable memory).
    jit: OnceLock<Option<JitCall>>,
    /// The trampoline reading an [`ArgFrame`] (compiled with the first frame).
    jit_frame: OnceLock<Option<JitCall>>,
    /// Byte offset of each argument in an [`ArgFrame`], and the frame's size.
    frame_layout: (Box<[u32]>, usize),
    /// Declared scalar type per argument (for variadic promotions).
    declared: Box<[Option<Prim>]>,
    plan: CallPlan,
    promotions: Box<[Option<Promotion>]>,
    needs_rewrite: bool,
    /// Some argument is passed by reference to a copy made per call
    /// (AAPCS64 composites over 16 bytes).
    copies: bool,
    ret_size: usize,
    signed_char: bool,
    _keepalive: Option<Arc<dyn Any + Send + Sync>>,
}

// SAFETY: `code` is the address of a C function, callable from any thread;
// everything else is immutable after construction and itself Send + Sync.
unsafe impl Send for RawCall {}
// SAFETY: `&RawCall` only reads immutable fields (plan, CIF, code) and
// calling C through them needs no exclusive access.
unsafe impl Sync for RawCall {}

impl std::fmt::Debug for RawCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCall")
            .field("code", &self.code)
            .field("args", &self.inner.plan.args.len())
            .finish()
    }
}

/// `None` when `target` is the host's; for another variant of the host's
/// architecture (Apple arm64 on aarch64 Linux, or the reverse), why libffi
/// cannot run it; an error for any other target.
pub(crate) fn host_variant(target: crate::Target) -> Result<Option<Error>> {
    let host = crate::Target::host();
    match host {
        Some(h) if h == target => Ok(None),
        Some(h) if h.arch() == target.arch() => Ok(Some(Error::abi(
            AbiErrorKind::Unsupported,
            None,
            format!("libffi in this process follows the {h} convention, not {target}"),
        ))),
        _ => Err(other_target(target)),
    }
}

/// The error for calling functions of `target` on a host of another target.
fn other_target(target: crate::Target) -> Error {
    let host = crate::Target::host();
    Error::Host {
        target: Some(target),
        host,
        message: format!(
            "cannot call functions for target {target} on this host ({})",
            host.map_or("unsupported".to_string(), |h| h.to_string())
        ),
    }
}

impl RawCall {
    /// Prepares a call to the function at `code` with function type `func`
    /// (a function type or pointer to one). For a variadic function,
    /// `variadic_args` are the types of the arguments passed for `...`
    /// (before promotion: a `float` given here is passed as `double`).
    /// `keepalive` is held as long as the call object lives (the library
    /// the code comes from).
    ///
    /// # Safety
    /// `code` must be the address of a C function whose real signature
    /// matches `func` on the host ABI.
    pub unsafe fn new(
        types: &Types,
        func: TypeId,
        variadic_args: &[TypeId],
        code: *const c_void,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<RawCall> {
        if code.is_null() {
            return Err(Error::call(
                CallErrorKind::Null,
                None,
                "cannot prepare a call to a NULL function pointer",
            ));
        }
        if crate::Target::host() != Some(types.target()) {
            return Err(other_target(types.target()));
        }
        let plan = abi::plan_func(types, func, variadic_args)?;
        // SAFETY: `code` is a function of type `func` valid while the result
        // lives (this function's contract), and `plan` was made for `func`.
        unsafe { Self::from_plan(types, plan, code, keepalive) }
    }

    /// Prepares a call from a plan already computed.
    ///
    /// The plan is for the host target, or for another variant of the
    /// host's architecture: an Apple arm64 plan on an aarch64 Linux host
    /// (or the reverse) is run by abicall's own code only — the JIT and the
    /// fast path place what the plan says — since this process's libffi
    /// follows the host's convention. That is how the Apple variant of the
    /// generated code is tested on Linux (against a register-dump stub).
    ///
    /// # Safety
    /// As for [`RawCall::new`]; `code` follows the convention of
    /// `plan.target` (for the host's own target: is a C function of the
    /// planned signature).
    pub unsafe fn from_plan(
        types: &Types,
        plan: CallPlan,
        code: *const c_void,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<RawCall> {
        // A plan libffi cannot express is still callable when the JIT
        // tier or the fast path takes it (checked below, once the call
        // object exists).
        let (cif, libffi_refusal) = match host_variant(plan.target)? {
            Some(e) => (None, Some(e)),
            None => match Cif::new(types, &plan) {
                Ok(cif) => (Some(cif), None),
                Err(
                    e @ Error::Abi {
                        kind: AbiErrorKind::Unsupported,
                        ..
                    },
                ) => (None, Some(e)),
                Err(e) => return Err(e),
            },
        };
        let libffi_refusal_err = libffi_refusal;
        let libffi_refusal = libffi_refusal_err.as_ref().map(Error::message);
        let mut promotions = Vec::with_capacity(plan.args.len());
        for (i, a) in plan.args.iter().enumerate() {
            let from = types.as_prim(a.ty);
            promotions.push(match (a.promoted, from) {
                (Some(to), Some(from)) => Some(Promotion { from, to }),
                (Some(_), None) => {
                    return Err(Error::abi(
                        AbiErrorKind::Unsupported,
                        Some(i),
                        "promotion of a non-scalar argument",
                    ))
                }
                // A narrow integer extended in its stack slot: libffi is
                // given the 32-bit type (`ffi_shape::stack_extension`).
                (None, Some(from)) => abi::ffi_shape::stack_extension(a).map(|to| Promotion { from, to }),
                (None, None) => None,
            });
        }
        // libffi's x86_64 `ffi_call` replaces `avalue[i]` of a struct over
        // 16 bytes with a pointer to its own stack copy: it must be handed
        // a copy of the caller's pointer array, never the caller's `&[_]`
        // itself (which a caller reusing it would then see dangling).
        // (`long double _Complex` is described to libffi as a struct too.)
        let big_struct = plan.args.iter().any(|a| a.size > 16);
        let needs_rewrite =
            big_struct || promotions.iter().any(Option::is_some) || cif.as_ref().is_some_and(Cif::reshaped);
        let copies = cif.as_ref().is_some_and(|c| c.by_ref.contains(&true));
        let ret_size = if matches!(plan.ret.class, abi::ValueClass::Void) {
            0
        } else {
            plan.ret.size as usize
        };
        let signed_char = plan.target.char_is_signed();
        let declared: Vec<Option<Prim>> = promotions.iter().map(|p| p.map(|p| p.from)).collect();
        let fast = FastCall::new(&plan, &declared, signed_char);
        let nargs = u32::try_from(plan.args.len())
            .map_err(|_| Error::call(CallErrorKind::Resource, None, "too many arguments"))?;
        let mut call = RawCall {
            code,
            tier: Tier::Libffi,
            jit: None,
            nargs,
            has_ret: ret_size > 0,
            inner: Arc::new(Inner {
                cif,
                libffi_refusal,
                fast,
                jit: OnceLock::new(),
                jit_frame: OnceLock::new(),
                frame_layout: frame_layout(&plan)?,
                declared: declared.into_boxed_slice(),
                plan,
                promotions: promotions.into_boxed_slice(),
                needs_rewrite,
                copies,
                ret_size,
                signed_char,
                _keepalive: keepalive,
            }),
        };
        call.tier = call.default_tier();
        if let Some(refusal) = libffi_refusal_err {
            if call.tier == Tier::Libffi {
                let Error::Abi {
                    kind,
                    argument,
                    message,
                } = refusal
                else {
                    unreachable!("matched as Error::Abi above")
                };
                return Err(Error::abi(
                    kind,
                    argument,
                    format!(
                        "{message}; only abicall's own code (the JIT tier, or the fast path where the \
                         plan fits it) can call it, and it is not available here (ABICALL_NO_JIT or \
                         ABICALL_NO_FASTPATH set, or executable memory refused)"
                    ),
                ));
            }
        }
        if call.tier == Tier::Jit {
            call.jit = call.inner.jit_call().map(JitCall::entry);
        }
        Ok(call)
    }

    /// As [`RawCall::new`], taking exactly `tier`; fails when that tier is
    /// not available for this signature on this host (see [`RawCall::has_tier`]).
    ///
    /// # Safety
    /// As for [`RawCall::new`].
    pub unsafe fn with_tier(
        types: &Types,
        func: TypeId,
        variadic_args: &[TypeId],
        code: *const c_void,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
        tier: Tier,
    ) -> Result<RawCall> {
        // SAFETY: our caller promises what `new` needs: `code` has the signature `func` describes.
        let mut call = unsafe { Self::new(types, func, variadic_args, code, keepalive) }?;
        call.set_tier(tier)?;
        Ok(call)
    }

    /// The tier a new call object takes: the JIT, else the fast path, else
    /// libffi, skipping the JIT with `ABICALL_NO_JIT` and both with
    /// `ABICALL_NO_FASTPATH`.
    fn default_tier(&self) -> Tier {
        if !fast::disabled_by_env() {
            if !jit::disabled_by_env() && self.has_tier(Tier::Jit) {
                return Tier::Jit;
            }
            if self.has_tier(Tier::Fast) {
                return Tier::Fast;
            }
        }
        Tier::Libffi
    }

    /// Whether `tier` can run this call on this host: libffi for every plan
    /// of the host's own convention it can express (not a 16-byte GCC
    /// vector passed in one `xmm`); the fast path for plans with every part
    /// in registers or at most 8 stack slots and no x87 result (x86_64), or
    /// on aarch64 (Linux and Apple plans) with by-reference copies of at
    /// most 512 bytes; the JIT for every x86_64 SysV and AAPCS64 plan whose
    /// stack area is at most 1 MiB, when the host gives executable memory
    /// (compiled on first ask).
    pub fn has_tier(&self, tier: Tier) -> bool {
        match tier {
            Tier::Libffi => self.inner.cif.is_some(),
            Tier::Fast => self.inner.fast.is_some(),
            Tier::Jit => self.inner.jit_call().is_some(),
        }
    }

    /// Makes calls through this object (and clones made afterwards) take
    /// `tier`; fails, changing nothing, when [`RawCall::has_tier`] is false.
    pub fn set_tier(&mut self, tier: Tier) -> Result<()> {
        if !self.has_tier(tier) {
            return Err(Error::call(
                CallErrorKind::Tier,
                None,
                format!(
                    "the {tier} tier cannot run this call on this host{}",
                    match (tier, &self.inner.libffi_refusal) {
                        (Tier::Jit, _) => " (no code generator for the plan, or executable memory refused)".to_string(),
                        (Tier::Libffi, Some(why)) => format!(": {why}"),
                        _ => " (the plan needs libffi)".to_string(),
                    }
                ),
            ));
        }
        self.tier = tier;
        self.jit = match tier {
            Tier::Jit => self.inner.jit_call().map(JitCall::entry),
            _ => None,
        };
        Ok(())
    }

    /// The tier calls through this object take.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// The plan this call executes.
    pub fn plan(&self) -> &CallPlan {
        &self.inner.plan
    }

    /// Number of arguments [`RawCall::call`] expects.
    #[inline]
    pub fn arg_count(&self) -> usize {
        self.nargs as usize
    }

    /// Size of the buffer [`RawCall::call`] writes the result to (0 for `void`).
    pub fn ret_size(&self) -> usize {
        self.inner.ret_size
    }

    /// `true`: the precompiled fast path ([`Tier::Fast`]) when the plan has
    /// one, else libffi; `false`: libffi. Clones made afterwards inherit
    /// the choice. A plan only the JIT can call keeps its tier. (See
    /// [`RawCall::set_tier`] for every tier.)
    pub fn set_fast_path(&mut self, on: bool) {
        let tier = if on && self.has_tier(Tier::Fast) {
            Tier::Fast
        } else {
            Tier::Libffi
        };
        // Fails, changing nothing, only for a plan libffi cannot express
        // (which keeps the JIT).
        let _ = self.set_tier(tier);
    }

    /// Whether [`RawCall::call`] skips libffi (the JIT or the fast path).
    pub fn uses_fast_path(&self) -> bool {
        self.tier != Tier::Libffi
    }

    /// Whether the plan has a fast path on this host (x86_64: every part in
    /// argument registers or at most 8 stack slots, no x87 return; aarch64
    /// Linux: the same, by-reference copies of at most 512 bytes).
    pub fn has_fast_path(&self) -> bool {
        self.inner.fast.is_some()
    }

    /// The function's address.
    pub fn code(&self) -> *const c_void {
        self.code
    }

    /// Approximate bytes of memory this call object holds: its shared state
    /// (plan, libffi CIF, per-argument tables, the fast path) and the
    /// executable memory of the trampolines compiled for it so far. Shared
    /// by clones; a host's garbage collector can weigh the object by it.
    pub fn memory_size(&self) -> usize {
        let i = &*self.inner;
        let n = i.plan.args.len();
        let jit = |c: &OnceLock<Option<JitCall>>| c.get().and_then(Option::as_ref).map_or(0, JitCall::code_size);
        std::mem::size_of::<Inner>()
            + plan_size(&i.plan)
            + i.cif.as_ref().map_or(0, Cif::memory_size)
            + n * (std::mem::size_of::<u32>()
                + std::mem::size_of::<Option<Prim>>()
                + std::mem::size_of::<Option<Promotion>>())
            + jit(&i.jit)
            + jit(&i.jit_frame)
    }

    /// The layout of this call's *argument frame* (see [`ArgFrame`]):
    /// argument `i`'s bytes (its declared type's, [`RawCall::frame_arg_size`])
    /// go at byte `offsets[i]` of a 16-aligned block of `size` bytes (a
    /// multiple of 16). An error when the arguments together take more than
    /// 1 MiB.
    ///
    /// An interpreter that calls the same function from several threads, or
    /// re-enters it from a callback, keeps such a block on its own stack and
    /// calls [`RawCall::call_frame`]; one that does not can use an
    /// [`ArgFrame`], which owns its block.
    pub fn frame_layout(&self) -> Result<(&[u32], usize)> {
        let (offsets, size) = &self.inner.frame_layout;
        if *size > MAX_FRAME {
            return Err(Error::call(
                CallErrorKind::Resource,
                None,
                "arguments too large for an argument frame (1 MiB)",
            ));
        }
        Ok((&offsets[..], (*size).max(16)))
    }

    /// Bytes argument `i` takes in an argument frame (its declared type's
    /// size: the unpromoted type of a promoted variadic argument), `None`
    /// past the last argument.
    pub fn frame_arg_size(&self, i: usize) -> Option<usize> {
        (i < self.inner.plan.args.len()).then(|| self.inner.declared_size(i))
    }

    /// Calls with the arguments in a caller-owned frame laid out as
    /// [`RawCall::frame_layout`] says; the result's [`RawCall::ret_size`]
    /// bytes go to `ret` (NULL for `void`). `errno` is handled as by
    /// [`RawCall::call`]. On the JIT tier the frame's own trampoline reads
    /// each argument at its offset (no argument pointers, no NULL checks);
    /// the other tiers build the pointer array (on the stack up to 16
    /// arguments).
    ///
    /// # Safety
    /// `frame` must be 16-aligned and hold a valid value of each argument's
    /// type at its offset; `ret` as for [`RawCall::call`].
    pub unsafe fn call_frame(&self, frame: *const u8, ret: *mut c_void) -> Result<()> {
        // SAFETY: our caller's contract is `call_frame_if_jit`'s (the same).
        match unsafe { self.call_frame_if_jit(frame, ret) } {
            Some(true) => return Ok(()),
            Some(false) => return Err(self.bad_frame(frame)),
            None => {}
        }
        if self.frame_refused(frame, ret) {
            return Err(self.bad_frame(frame));
        }
        let (offsets, _) = self.frame_layout()?;
        let at = |&o: &u32| -> *const c_void {
            // SAFETY: every offset lies within the frame (layout; caller contract).
            unsafe { frame.add(o as usize) as *const c_void }
        };
        if offsets.len() <= 16 {
            let mut ptrs = [std::ptr::null::<c_void>(); 16];
            for (p, o) in ptrs.iter_mut().zip(offsets) {
                *p = at(o);
            }
            // SAFETY: one pointer per argument into the frame (caller contract).
            unsafe { self.call(&ptrs[..offsets.len()], ret) }
        } else {
            let ptrs: Vec<*const c_void> = offsets.iter().map(at).collect();
            // SAFETY: as above.
            unsafe { self.call(&ptrs, ret) }
        }
    }

    /// The JIT tier's argument-frame trampoline, when calls through this
    /// object take that tier (compiled on first ask): `t(self.code(),
    /// frame, ret)` does what [`RawCall::call_frame`] does without its
    /// checks and without handling `errno`; it returns 0. Valid while this
    /// object or a clone of it lives.
    #[inline]
    pub fn frame_entry(&self) -> Option<DirectEntry> {
        if self.tier != Tier::Jit || self.inner.frame_layout.1 > MAX_FRAME {
            return None;
        }
        self.inner.jit_frame_call().map(JitCall::entry)
    }

    /// On the JIT tier, [`RawCall::call_frame`] answering only whether the
    /// function was called: `Some(false)`, having called nothing, for a
    /// NULL or misaligned frame or a NULL `ret` for a non-void result
    /// ([`RawCall::call_frame`] says which); `None` on the other tiers. No
    /// `Error` is built and nothing here can panic (the C API's quick path).
    ///
    /// # Safety
    /// As for [`RawCall::call_frame`].
    #[inline(always)]
    pub unsafe fn call_frame_if_jit(&self, frame: *const u8, ret: *mut c_void) -> Option<bool> {
        let trampoline = self.frame_entry()?;
        if self.frame_refused(frame, ret) {
            return Some(false);
        }
        // SAFETY: the frame trampoline was generated for this plan and frame
        // layout (it lives as long as `inner`); the caller's contract covers
        // the frame's values and `ret`.
        errno::around(|| unsafe { trampoline(self.code, frame as *const *const c_void, ret) });
        Some(true)
    }

    /// Whether `call_frame` refuses `frame` and `ret` before calling: a
    /// NULL or misaligned frame, a NULL `ret` for a non-void result.
    #[inline(always)]
    fn frame_refused(&self, frame: *const u8, ret: *mut c_void) -> bool {
        frame.is_null() || !(frame as usize).is_multiple_of(16) || (ret.is_null() && self.has_ret)
    }

    /// The error for a frame or result buffer `call_frame` refuses.
    #[cold]
    #[inline(never)]
    fn bad_frame(&self, frame: *const u8) -> Error {
        if frame.is_null() || !(frame as usize).is_multiple_of(16) {
            return Error::call(
                CallErrorKind::Null,
                None,
                "the argument frame is NULL or not 16-aligned",
            );
        }
        null_ret()
    }

    /// The JIT tier's trampoline, when calls through this object take that
    /// tier: `t(self.code(), args, ret)` does what [`RawCall::call`] does
    /// without its checks of `args.len()` and `ret` and without saving
    /// `errno`; it returns 1, calling nothing, when an argument pointer is
    /// NULL, else 0. Valid while this object or a clone of it lives.
    pub fn jit_entry(&self) -> Option<DirectEntry> {
        self.jit
    }

    /// Calls the function. `args[i]` points to argument `i`'s bytes in C
    /// layout (for a promoted variadic argument: the declared type's bytes);
    /// the result's [`RawCall::ret_size`] bytes are written to `ret`
    /// (which may be NULL for `void`). `errno` is restored before and saved
    /// after the call (see [`mod@crate::call::errno`]).
    ///
    /// # Safety
    /// Every `args[i]` must point to a readable value of the planned
    /// argument's type, `ret` to `ret_size()` writable bytes, and any
    /// pointers inside the arguments must be what the C function expects.
    #[inline]
    pub unsafe fn call(&self, args: &[*const c_void], ret: *mut c_void) -> Result<()> {
        // SAFETY: our caller's contract is `call_if_jit`'s (the same as `call`'s).
        match unsafe { self.call_if_jit(args, ret) } {
            Some(true) => Ok(()),
            Some(false) => Err(self.bad_call(args)),
            // SAFETY: our caller's contract is `call_other`'s (the same as `call`'s).
            None => unsafe { self.call_other(args, ret) },
        }
    }

    /// On the JIT tier, [`RawCall::call`] answering only whether the
    /// function was called: `Some(true)` called, `Some(false)` refused
    /// before calling anything (a wrong argument count, a NULL argument
    /// pointer or result buffer: [`RawCall::call`] says which); `None` on
    /// the other tiers (use [`RawCall::call`]). No `Error` is built, and
    /// nothing on this path can panic — for an embedder's hot path that
    /// reports failures through a second, checked call (the C API's
    /// `abicall_call`).
    ///
    /// # Safety
    /// As for [`RawCall::call`].
    #[inline(always)]
    pub unsafe fn call_if_jit(&self, args: &[*const c_void], ret: *mut c_void) -> Option<bool> {
        let trampoline = self.jit?;
        if args.len() != self.nargs as usize || (ret.is_null() && self.has_ret) {
            return Some(false);
        }
        // SAFETY: the trampoline was generated from this call's plan and
        // lives as long as `inner`; one argument pointer per planned argument
        // (checked above), NULL ones refused by the trampoline before
        // anything is called; the caller guarantees the rest.
        Some(errno::around(|| unsafe { trampoline(self.code, args.as_ptr(), ret) }) == 0)
    }

    /// [`RawCall::call`] on the fast path and libffi (kept out of line so
    /// the JIT tier's call inlines small).
    ///
    /// # Safety
    /// As for `call`.
    #[inline(never)]
    unsafe fn call_other(&self, args: &[*const c_void], ret: *mut c_void) -> Result<()> {
        let inner = &*self.inner;
        if args.len() != inner.plan.args.len() {
            return Err(self.bad_call(args));
        }
        if ret.is_null() && inner.ret_size > 0 {
            return Err(self.bad_call(args));
        }
        if self.tier == Tier::Fast {
            if let Some(fast) = &inner.fast {
                // SAFETY: argument count checked above; NULL argument
                // pointers are refused by `fast.call` before anything is
                // called; the caller guarantees the rest (contract of `call`).
                if unsafe { fast.call(self.code, args, ret) } {
                    return Ok(());
                }
                return Err(self.bad_call(args));
            }
        }
        if args.iter().any(|p| p.is_null()) {
            return Err(self.bad_call(args));
        }
        if !inner.needs_rewrite {
            let Some(cif) = &inner.cif else {
                return Err(Error::call(
                    CallErrorKind::Tier,
                    None,
                    "libffi cannot call this signature (only abicall's own code can)",
                ));
            };
            // SAFETY: argument count and non-null pointers checked above; the
            // caller guarantees they point to values of the planned types.
            unsafe { self.invoke(cif, args.as_ptr() as *mut *mut c_void, ret) };
            return Ok(());
        }
        // SAFETY: argument count and non-null pointers checked above; the
        // caller guarantees the values have the planned types and `ret` room.
        unsafe { self.call_rewritten(args, ret) }
    }

    /// The error for arguments `call` refuses (kept out of the hot path).
    #[cold]
    #[inline(never)]
    fn bad_call(&self, args: &[*const c_void]) -> Error {
        let inner = &*self.inner;
        if args.len() != inner.plan.args.len() {
            return Error::call(
                CallErrorKind::ArgumentCount,
                None,
                format!("expected {} argument(s), got {}", inner.plan.args.len(), args.len()),
            );
        }
        if let Some(i) = args.iter().position(|p| p.is_null()) {
            return Error::call(
                CallErrorKind::Null,
                Some(i),
                format!(
                    "argument {}: NULL given where a pointer to the argument's bytes is needed",
                    i + 1
                ),
            );
        }
        null_ret()
    }

    /// The libffi path of `call` for plans whose argument list libffi sees
    /// differently (empty structs dropped, variadic promotions applied,
    /// AAPCS64 register-pair padding and by-reference copies, see
    /// [`crate::abi::ffi_shape::aarch64_cif_args`]).
    ///
    /// # Safety
    /// As for `call`, with the argument count and NULLs checked.
    #[inline(never)]
    unsafe fn call_rewritten(&self, args: &[*const c_void], ret: *mut c_void) -> Result<()> {
        let inner = &*self.inner;
        let Some(cif) = &inner.cif else {
            return Err(Error::call(
                CallErrorKind::Tier,
                None,
                "libffi cannot call this signature (only abicall's own code can)",
            ));
        };
        let n = cif.cif_nargs;
        let rewrite = |ptrs: &mut [*mut c_void], promoted: &mut [u64], arena: Option<&bumpalo::Bump>| {
            for &s in cif.pad_slots.iter() {
                ptrs[s as usize] = PAD_ARG.as_ptr() as *mut c_void;
            }
            for (i, &a) in args.iter().enumerate() {
                let Some(slot) = cif.arg_map[i] else { continue };
                let p = if cif.by_ref[i] {
                    // The caller's copy (AAPCS64 B.4): the callee may write to it.
                    let v = &inner.plan.args[i];
                    let layout = std::alloc::Layout::from_size_align(v.size as usize, v.align.max(16) as usize)
                        .map_err(|e| {
                            Error::call(CallErrorKind::Resource, Some(i), format!("argument {}: {e}", i + 1))
                        })?;
                    let arena = arena.ok_or_else(|| {
                        Error::call(CallErrorKind::Resource, None, "no scratch arena for argument copies")
                    })?;
                    let copy = arena.try_alloc_layout(layout).map_err(|_| {
                        Error::call(
                            CallErrorKind::Resource,
                            Some(i),
                            format!(
                                "argument {}: cannot allocate {} bytes for the copy passed by reference",
                                i + 1,
                                v.size
                            ),
                        )
                    })?;
                    // SAFETY: `a` points to the argument's `size` bytes (caller
                    // contract); `copy` has `size` fresh bytes.
                    unsafe { std::ptr::copy_nonoverlapping(a as *const u8, copy.as_ptr(), v.size as usize) };
                    promoted[i] = copy.as_ptr() as u64;
                    &mut promoted[i] as *mut u64 as *mut c_void
                } else {
                    match inner.promotions[i] {
                        // SAFETY: `a` points to a value of the declared type (caller contract).
                        Some(pr) => unsafe {
                            promoted[i] = promote(a, pr, inner.signed_char);
                            &mut promoted[i] as *mut u64 as *mut c_void
                        },
                        None => a as *mut c_void,
                    }
                };
                ptrs[slot as usize] = p;
            }
            // SAFETY: `ptrs` holds one valid pointer per CIF argument.
            unsafe { self.invoke(cif, ptrs.as_mut_ptr(), ret) };
            Ok(())
        };
        if n <= INLINE_ARGS && args.len() <= INLINE_ARGS && !inner.copies {
            let mut ptrs = [std::ptr::null_mut::<c_void>(); INLINE_ARGS];
            let mut promoted = [0u64; INLINE_ARGS];
            rewrite(&mut ptrs[..n], &mut promoted[..args.len()], None)
        } else {
            scratch::with_scratch(|b| {
                let ptrs = b.alloc_slice_fill_copy(n, std::ptr::null_mut::<c_void>());
                let promoted = b.alloc_slice_fill_copy(args.len(), 0u64);
                rewrite(ptrs, promoted, Some(b))
            })
        }
    }

    /// # Safety
    /// `cif` is this call's CIF; `avalue` holds one valid pointer per CIF
    /// argument; `ret` as in `call`.
    #[inline(always)]
    unsafe fn invoke(&self, cif: &Cif, avalue: *mut *mut c_void, ret: *mut c_void) {
        let inner = &*self.inner;
        // SAFETY: `code` is a C function of this CIF's signature (contract of `new`).
        let f: unsafe extern "C" fn() = unsafe { std::mem::transmute(self.code) };
        if inner.ret_size > RET_SCRATCH {
            // SAFETY: CIF prepared; `ret` has room for the whole value.
            errno::around(|| unsafe { raw::ffi_call(cif.as_ptr(), Some(f), ret, avalue) });
        } else {
            #[repr(C, align(16))]
            struct Scratch([u8; RET_SCRATCH]);
            // Not zeroed: libffi writes the whole return value (at least a
            // full register for integers) and only `ret_size` bytes are read.
            let mut scratch = std::mem::MaybeUninit::<Scratch>::uninit();
            let scratch_ptr = scratch.as_mut_ptr() as *mut u8;
            // SAFETY: CIF prepared; the scratch buffer is at least a register
            // wide and as large as any register-returned value.
            errno::around(|| unsafe { raw::ffi_call(cif.as_ptr(), Some(f), scratch_ptr as *mut c_void, avalue) });
            // Little-endian: the low bytes are the value, so copying
            // `ret_size` bytes truncates a widened narrow return.
            // SAFETY: libffi wrote the value to the scratch buffer; `ret`
            // has `ret_size` writable bytes (caller contract).
            unsafe {
                match inner.ret_size {
                    0 => {}
                    8 => (ret as *mut u64).write_unaligned((scratch_ptr as *const u64).read()),
                    4 => (ret as *mut u32).write_unaligned((scratch_ptr as *const u32).read()),
                    n => std::ptr::copy_nonoverlapping(scratch_ptr, ret as *mut u8, n),
                }
            }
        }
    }
}

impl Inner {
    /// The JIT trampoline, compiled on first use.
    fn jit_call(&self) -> Option<&JitCall> {
        self.jit
            .get_or_init(|| JitCall::new(&self.plan, &self.declared, self.signed_char, None))
            .as_ref()
    }

    /// The JIT trampoline reading argument frames, compiled on first use.
    #[inline]
    fn jit_frame_call(&self) -> Option<&JitCall> {
        self.jit_frame
            .get_or_init(|| JitCall::new(&self.plan, &self.declared, self.signed_char, Some(&self.frame_layout.0)))
            .as_ref()
    }

    /// Bytes of argument `i` as the caller writes them (the declared type's
    /// size for a promoted variadic argument).
    fn declared_size(&self, i: usize) -> usize {
        match self.declared.get(i).copied().flatten() {
            Some(p) if self.plan.args[i].promoted.is_some() => p.size_align(self.plan.target).0 as usize,
            _ => self.plan.args[i].size as usize,
        }
    }
}

/// Heap bytes of a plan's argument and part vectors.
pub(crate) fn plan_size(plan: &CallPlan) -> usize {
    let parts: usize = plan.args.iter().chain([&plan.ret]).map(|a| a.parts().len()).sum();
    plan.args.len() * std::mem::size_of::<abi::ValuePlan>() + parts * std::mem::size_of::<abi::Part>()
}

/// The error for a NULL result buffer of a non-void call.
#[cold]
fn null_ret() -> Error {
    Error::call(CallErrorKind::Null, None, "NULL return buffer for a non-void function")
}

/// Largest argument frame (all arguments together).
const MAX_FRAME: usize = 1 << 20;

/// Argument `i` of a frame at a 16-aligned offset, in order.
fn frame_layout(plan: &CallPlan) -> Result<(Box<[u32]>, usize)> {
    let mut at = 0usize;
    let mut offsets = Vec::with_capacity(plan.args.len());
    for a in &plan.args {
        offsets.push(at as u32);
        at += (a.size.max(1) as usize).next_multiple_of(16);
        if at > MAX_FRAME {
            // Such calls still work through `RawCall::call`; frames refuse them.
            return Ok((Box::new([]), usize::MAX));
        }
    }
    Ok((offsets.into_boxed_slice(), at))
}

/// An argument frame: a prepared block of memory with one slot per
/// argument, into which an interpreter writes argument *values* (C layout,
/// the declared type's bytes) and then calls — no array of argument
/// pointers to build, no allocation per call. On the JIT tier the frame
/// has its own trampoline, which reads each argument at its fixed offset
/// in the frame (no pointer loads, no NULL checks).
///
/// Made once per call site with [`RawCall::frame`] (which allocates the
/// frame); reused for every call. Slots keep their bytes between calls, so
/// arguments that do not change need not be written again.
///
/// ```
/// use abicall::{call::RawCall, types::{Types, Prim}, Target};
/// extern "C" fn add(a: i64, b: i64) -> i64 { a + b }
/// let mut t = Types::new(Target::host().unwrap());
/// let l = t.prim(Prim::Long);
/// let f = t.func(l, vec![l, l], false);
/// // SAFETY: `add` has this signature.
/// let call = unsafe { RawCall::new(&t, f, &[], add as *const _, None) }.unwrap();
/// let mut frame = call.frame().unwrap();
/// let mut r = 0i64;
/// for k in 0..3i64 {
///     frame.set(0, k).unwrap();
///     frame.set(1, 10i64).unwrap();
///     // SAFETY: both arguments written; `r` holds the result.
///     unsafe { frame.call(&mut r as *mut i64 as *mut _) }.unwrap();
///     assert_eq!(r, k + 10);
/// }
/// ```
pub struct ArgFrame {
    call: RawCall,
    buf: Box<[u128]>,
    /// Pointers to each slot (for the fast path and libffi).
    ptrs: Box<[*const c_void]>,
    /// Bytes the caller writes per argument.
    sizes: Box<[u32]>,
    /// The frame trampoline, when the call takes the JIT tier.
    jit: Option<Trampoline>,
}

// SAFETY: the pointers point into the frame's own buffer, which moves with it.
unsafe impl Send for ArgFrame {}

impl std::fmt::Debug for ArgFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArgFrame")
            .field("args", &self.ptrs.len())
            .field("tier", &self.call.tier())
            .finish()
    }
}

impl RawCall {
    /// A new argument frame for this call (on this object's tier); fails
    /// when the arguments together take more than 1 MiB.
    pub fn frame(&self) -> Result<ArgFrame> {
        let (offsets, size) = self.frame_layout()?;
        let mut buf = vec![0u128; size / 16].into_boxed_slice();
        let base = buf.as_mut_ptr() as *mut u8;
        let ptrs = offsets
            .iter()
            // SAFETY: every offset lies within the frame (layout).
            .map(|&o| unsafe { base.add(o as usize) } as *const c_void)
            .collect();
        let jit = match self.tier {
            Tier::Jit => self.inner.jit_frame_call().map(JitCall::entry),
            _ => None,
        };
        let sizes = (0..offsets.len()).map(|i| self.inner.declared_size(i) as u32).collect();
        Ok(ArgFrame {
            call: self.clone(),
            buf,
            ptrs,
            sizes,
            jit,
        })
    }
}

impl ArgFrame {
    /// Number of arguments.
    pub fn arg_count(&self) -> usize {
        self.ptrs.len()
    }

    /// Bytes the caller writes for argument `i` (its declared type's size),
    /// or `None` past the last argument.
    pub fn arg_size(&self, i: usize) -> Option<usize> {
        self.sizes.get(i).map(|&n| n as usize)
    }

    /// Argument `i`'s bytes, to write in C layout; `None` past the last argument.
    pub fn arg_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        let n = self.arg_size(i)?;
        let p = self.ptrs[i] as *mut u8;
        // SAFETY: slot `i` lies within the frame's buffer, which `&mut self`
        // borrows exclusively, and has room for `n` bytes (layout).
        Some(unsafe { std::slice::from_raw_parts_mut(p, n) })
    }

    /// Writes `v` as argument `i`; fails when `T`'s size is not the
    /// argument's (see [`ArgFrame::arg_size`]) or `i` is past the end.
    #[inline]
    pub fn set<T: Copy>(&mut self, i: usize, v: T) -> Result<()> {
        match (self.ptrs.get(i), self.sizes.get(i)) {
            (Some(&p), Some(&n)) if n as usize == std::mem::size_of::<T>() => {
                // SAFETY: the slot has `size_of::<T>()` bytes (checked) in the
                // frame's buffer, borrowed exclusively.
                unsafe { (p as *mut T).write_unaligned(v) };
                Ok(())
            }
            _ => Err(self.bad_set(i, std::mem::size_of::<T>())),
        }
    }

    #[cold]
    fn bad_set(&self, i: usize, size: usize) -> Error {
        match self.arg_size(i) {
            None => Error::call(
                CallErrorKind::ArgumentCount,
                Some(i),
                format!("argument {}: the call takes {} argument(s)", i + 1, self.ptrs.len()),
            ),
            Some(n) => Error::call(
                CallErrorKind::Invalid,
                Some(i),
                format!("argument {}: {size} bytes given for a {n}-byte argument", i + 1),
            ),
        }
    }

    /// Calls with the arguments in the frame; the result's
    /// [`RawCall::ret_size`] bytes go to `ret` (NULL for `void`).
    ///
    /// # Safety
    /// Every argument slot holds a valid value of its type (slots start
    /// zeroed); `ret` as for [`RawCall::call`].
    #[inline]
    pub unsafe fn call(&self, ret: *mut c_void) -> Result<()> {
        if let Some(trampoline) = self.jit {
            if ret.is_null() && self.call.has_ret {
                return Err(null_ret());
            }
            // SAFETY: the frame trampoline was generated for this plan and
            // this frame layout (it lives as long as `call.inner`); the
            // buffer holds every argument at its offset (caller contract).
            errno::around(|| unsafe { trampoline(self.call.code, self.buf.as_ptr() as *const *const c_void, ret) });
            return Ok(());
        }
        // SAFETY: one pointer per argument into the frame (caller contract
        // for the values).
        unsafe { self.call.call(&self.ptrs, ret) }
    }

    /// The call this frame belongs to.
    pub fn raw(&self) -> &RawCall {
        &self.call
    }
}

/// Reads a value of the declared (narrow) type and returns the promoted
/// value's bytes in a u64 (C's default argument promotions).
///
/// # Safety
/// `a` points to a readable value of `pr.from`.
unsafe fn promote(a: *const c_void, pr: Promotion, signed_char: bool) -> u64 {
    use Prim::*;
    // SAFETY: `a` points to a readable value of `pr.from` (this function's
    // contract); each arm reads exactly that type's bytes, unaligned.
    let as_int: i64 = unsafe {
        match pr.from {
            Float => return ((a as *const f32).read_unaligned() as f64).to_bits(),
            Bool | UChar => (a as *const u8).read_unaligned() as i64,
            SChar => (a as *const i8).read_unaligned() as i64,
            Char if signed_char => (a as *const i8).read_unaligned() as i64,
            Char => (a as *const u8).read_unaligned() as i64,
            Short => (a as *const i16).read_unaligned() as i64,
            UShort => (a as *const u16).read_unaligned() as i64,
            Int => (a as *const i32).read_unaligned() as i64,
            UInt => (a as *const u32).read_unaligned() as i64,
            _ => (a as *const i64).read_unaligned(),
        }
    };
    match pr.to {
        Double => (as_int as f64).to_bits(),
        _ => as_int as i32 as u32 as u64,
    }
}
