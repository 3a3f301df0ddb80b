//! Callbacks: C function pointers that run a host closure, built from the
//! same call plans as outgoing calls. On x86_64 Linux, C enters through
//! abicall's own fast entry (a precompiled register-saving entry and a
//! per-callback stub, see `call::fast`), which reads the arguments where the
//! plan says they are; elsewhere, and for x87 results, through a libffi
//! closure. Both entries share the policy below.
//!
//! Policy, documented for embedders:
//! - **Panics** inside the host closure are caught at the C boundary; the
//!   callback's error hook (or, without one, a line on stderr) reports it and
//!   C receives the callback's *error return value* (zero bytes unless set
//!   with [`CallbackOptions::error_return`]). A panic never unwinds into C.
//! - **Threads**: callbacks may be called from any thread, including threads
//!   the host did not create; the closure must be `Send + Sync`.
//! - **After drop**: dropping a [`RawCallback`] releases the host closure
//!   (once no call is running it). The few hundred bytes of executable
//!   stub or trampoline and its CIF are kept for the life of the process, so a C
//!   library that calls a stale pointer does not jump into freed memory:
//!   such a call reports "callback called after it was dropped" through the
//!   error hook and returns the error return value.
//! - There is no fixed limit on the number of callbacks.

use super::cif::Cif;
use super::fast::{self, FastCallback};
use super::jit::{self, JitStub, Tier};
use super::scratch;
use crate::abi::{self, CallPlan, ValueClass};
use crate::error::{Error, Result};
use crate::types::{TypeId, Types};
use libffi::raw::{self, ffi_cif, ffi_closure};
use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

/// The host side of a raw callback: `args[i]` points to argument `i`'s bytes
/// in C layout; write the result (if any) to `ret`, which points to a zeroed
/// buffer of the return type's size. Returning `Err(message)` is handled
/// like a panic: reported through the error hook, and C gets the error
/// return value.
pub type RawCallbackFn = dyn Fn(&[*const c_void], *mut c_void) -> std::result::Result<(), String> + Send + Sync;

/// The error hook: receives a description of what went wrong (a panic
/// message, or a call after drop).
pub type ErrorHook = dyn Fn(&str) + Send + Sync;

/// Options for a callback.
#[derive(Default)]
pub struct CallbackOptions {
    /// Called when the closure panics or the callback is called after drop.
    pub on_error: Option<Box<ErrorHook>>,
    /// Bytes returned to C in those cases (default: zeros). Must have the
    /// return type's size.
    pub error_return: Option<Vec<u8>>,
}

const INLINE_ARGS: usize = 32;
const RET_SCRATCH: usize = 64;
static ZERO_ARG: [u64; 8] = [0; 8];

struct State {
    /// `None` when libffi cannot take the plan (only generated stubs can).
    cif: Option<Cif>,
    plan: CallPlan,
    /// For each planned argument, the CIF argument index (None: empty struct).
    arg_map: Box<[Option<u32>]>,
    f: UnsafeCell<Option<Box<RawCallbackFn>>>,
    alive: AtomicBool,
    active: AtomicUsize,
    taken: AtomicBool,
    on_error: Option<Box<ErrorHook>>,
    error_return: Vec<u8>,
    ret_size: usize,
    /// Narrow integer return: (size, signed) to widen to a full register.
    widen: Option<(usize, bool)>,
    /// The plan compiled for the fast entry, when the callback uses it.
    fast: Option<FastCallback>,
    /// The result goes through the hidden pointer (generated entry: the
    /// dispatcher zeroes C's buffer, since the stub has none of its own).
    sret: bool,
}

// SAFETY: `f` is only accessed under the alive/active/taken protocol
// described on `State::take_f` (called while holding `active`, or taken
// exactly once); every other field is immutable or atomic.
unsafe impl Sync for State {}
// SAFETY: all contents are Send (the closure is required to be Send).
unsafe impl Send for State {}

impl State {
    /// Drops the host closure exactly once, when the callback is dead and no
    /// call is running it.
    fn take_f(&self) {
        if !self.alive.load(SeqCst)
            && self.active.load(SeqCst) == 0
            && self.taken.compare_exchange(false, true, SeqCst, SeqCst).is_ok()
        {
            // SAFETY: `taken` was won by this thread, the callback is dead
            // (no new call reads `f`) and no call is running (`active == 0`
            // observed after `alive` became false).
            drop(unsafe { (*self.f.get()).take() });
        }
    }

    /// Runs the host closure under the drop protocol and the panic policy;
    /// `false` when C must get the error return value.
    #[inline(always)]
    fn run(&self, argv: &[*const c_void], out: *mut c_void) -> bool {
        self.active.fetch_add(1, SeqCst);
        let ok = if self.alive.load(SeqCst) {
            // SAFETY: alive and `active` held: `f` is not taken concurrently.
            let f = unsafe { (*self.f.get()).as_ref() };
            match f {
                Some(f) => match catch_unwind(AssertUnwindSafe(|| f(argv, out))) {
                    Ok(Ok(())) => true,
                    Ok(Err(msg)) => {
                        self.report(&format!("callback failed: {msg}"));
                        false
                    }
                    Err(p) => {
                        let msg = p
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "non-string panic payload".to_string());
                        self.report(&format!("callback panicked: {msg}"));
                        false
                    }
                },
                None => {
                    self.report("callback called after it was dropped");
                    false
                }
            }
        } else {
            self.report("callback called after it was dropped");
            false
        };
        self.active.fetch_sub(1, SeqCst);
        self.take_f();
        ok
    }

    fn report(&self, msg: &str) {
        let r = catch_unwind(AssertUnwindSafe(|| match &self.on_error {
            Some(h) => h(msg),
            None => eprintln!("abicall: callback error: {msg}"),
        }));
        if r.is_err() {
            eprintln!("abicall: callback error hook panicked while reporting: {msg}");
        }
    }
}

/// Zombies: states of dropped callbacks, kept so stale C pointers stay safe.
static ZOMBIES: Mutex<Vec<Zombie>> = Mutex::new(Vec::new());

struct Zombie {
    _state: Arc<State>,
    _closure: ClosurePtr,
}

struct ClosurePtr(#[allow(dead_code)] *mut ffi_closure);
// SAFETY: the closure memory is only referenced, never mutated, after preparation.
unsafe impl Send for ClosurePtr {}

/// A C function pointer that runs a host closure.
pub struct RawCallback {
    state: Arc<State>,
    closure: *mut ffi_closure,
    code: *const c_void,
    tier: Tier,
}

// SAFETY: the closure memory and state are shared read-only / atomically.
unsafe impl Send for RawCallback {}
// SAFETY: as above.
unsafe impl Sync for RawCallback {}

impl std::fmt::Debug for RawCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCallback").field("code", &self.code).finish()
    }
}

impl RawCallback {
    /// Makes a C function pointer of function type `func` (a function type
    /// or pointer to one, not variadic) that runs `f`.
    ///
    /// The entry is the first of these the plan and host allow
    /// ([`RawCallback::tier`] says which): a stub generated for the
    /// signature ([`Tier::Jit`], x86_64 Linux, skipped with
    /// `ABICALL_NO_JIT`), abicall's precompiled fast entry ([`Tier::Fast`],
    /// x86_64 Linux: every plan without an x87 return or more than 32
    /// arguments), a libffi closure. `ABICALL_NO_FASTPATH` forces libffi.
    pub fn new(types: &Types, func: TypeId, f: Box<RawCallbackFn>, opts: CallbackOptions) -> Result<RawCallback> {
        let tiers: &[Tier] = if fast::disabled_by_env() {
            &[Tier::Libffi]
        } else if jit::disabled_by_env() {
            &[Tier::Fast, Tier::Libffi]
        } else {
            &Tier::ALL
        };
        Self::build(types, func, f, opts, tiers)
    }

    /// As [`RawCallback::new`], entering exactly through `tier`; fails when
    /// that tier cannot take this signature on this host.
    pub fn with_tier(
        types: &Types,
        func: TypeId,
        f: Box<RawCallbackFn>,
        opts: CallbackOptions,
        tier: Tier,
    ) -> Result<RawCallback> {
        Self::build(types, func, f, opts, &[tier])
    }

    /// As [`RawCallback::new`], always through a libffi closure (for
    /// comparing the two paths).
    pub fn new_libffi(
        types: &Types,
        func: TypeId,
        f: Box<RawCallbackFn>,
        opts: CallbackOptions,
    ) -> Result<RawCallback> {
        Self::build(types, func, f, opts, &[Tier::Libffi])
    }

    /// Whether C enters this callback through abicall's own code (a
    /// generated stub or the fast entry), not a libffi closure.
    pub fn uses_fast_path(&self) -> bool {
        self.tier != Tier::Libffi
    }

    /// The entry C goes through.
    pub fn tier(&self) -> Tier {
        self.tier
    }

    fn build(
        types: &Types,
        func: TypeId,
        f: Box<RawCallbackFn>,
        opts: CallbackOptions,
        tiers: &[Tier],
    ) -> Result<RawCallback> {
        let host = crate::Target::host();
        if host != Some(types.target()) {
            return Err(Error::Call(format!(
                "cannot make callbacks for target {} on this host",
                types.target()
            )));
        }
        let sig = types
            .sig_of(func)
            .ok_or_else(|| Error::Call(format!("`{}` is not a function type", types.display(func))))?;
        if sig.variadic {
            return Err(Error::Call(format!(
                "`{}`: variadic callbacks are not supported",
                types.display(func)
            )));
        }
        let plan = abi::plan_func(types, func, &[])?;
        let (cif, cif_err) = match Cif::new(types, &plan) {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e)),
        };
        let ret_size = if matches!(plan.ret.class, ValueClass::Void) {
            0
        } else {
            plan.ret.size as usize
        };
        let widen = match types.as_prim(plan.ret.ty) {
            Some(p) if p.is_integer() && ret_size < 8 => Some((ret_size, p.is_signed(types.target()))),
            _ => None,
        };
        let error_return = match opts.error_return {
            Some(b) if b.len() != ret_size => {
                return Err(Error::Call(format!(
                    "error return value has {} bytes, the return type has {ret_size}",
                    b.len()
                )))
            }
            Some(b) => b,
            None => vec![0; ret_size],
        };
        let arg_map = cif.as_ref().map_or_else(
            || (0..plan.args.len() as u32).map(Some).collect(),
            |c| c.arg_map.clone(),
        );
        let fast = if tiers.contains(&Tier::Fast) {
            FastCallback::new(&plan)
        } else {
            None
        };
        let sret = matches!(plan.ret.pass, abi::Pass::Indirect { .. }) && ret_size > 0;
        let state = Arc::new(State {
            cif,
            plan,
            arg_map,
            f: UnsafeCell::new(Some(f)),
            alive: AtomicBool::new(true),
            active: AtomicUsize::new(0),
            taken: AtomicBool::new(false),
            on_error: opts.on_error,
            error_return,
            ret_size,
            widen,
            fast,
            sret,
        });
        let state_ptr = Arc::as_ptr(&state) as *const c_void;
        for &tier in tiers {
            let code = match tier {
                Tier::Jit => JitStub::new(&state.plan, state_ptr, jit_dispatch, state.widen).map(|s| s.code()),
                Tier::Fast if state.fast.is_some() => fast::callback_stub(state_ptr, fast_dispatch),
                Tier::Fast => None,
                Tier::Libffi => break,
            };
            if let Some(code) = code {
                return Ok(RawCallback {
                    state,
                    closure: std::ptr::null_mut(),
                    code,
                    tier,
                });
            }
        }
        if !tiers.contains(&Tier::Libffi) {
            return Err(Error::Call(format!(
                "the {} tier cannot make this callback on this host",
                tiers.first().copied().unwrap_or(Tier::Libffi)
            )));
        }
        let Some(cif) = state.cif.as_ref() else {
            return Err(cif_err.unwrap_or_else(|| Error::Call("no libffi CIF for this callback".into())));
        };
        let mut code: *mut c_void = std::ptr::null_mut();
        // SAFETY: allocates writable+executable closure memory; `code`
        // receives its executable address.
        let closure =
            unsafe { raw::ffi_closure_alloc(std::mem::size_of::<ffi_closure>(), &mut code) } as *mut ffi_closure;
        if closure.is_null() || code.is_null() {
            return Err(Error::Call("libffi could not allocate a closure".into()));
        }
        // SAFETY: the CIF and the state outlive the closure (both are kept
        // alive forever once the callback is dropped, see `Drop`).
        let status = unsafe {
            raw::ffi_prep_closure_loc(
                closure,
                cif.as_ptr(),
                Some(trampoline),
                Arc::as_ptr(&state) as *mut c_void,
                code,
            )
        };
        if status != raw::ffi_status_FFI_OK {
            // SAFETY: allocated above, never handed out.
            unsafe { raw::ffi_closure_free(closure as *mut c_void) };
            return Err(Error::Call(format!(
                "libffi could not prepare the closure (status {status})"
            )));
        }
        Ok(RawCallback {
            state,
            closure,
            code,
            tier: Tier::Libffi,
        })
    }

    /// The C function pointer.
    pub fn code(&self) -> *const c_void {
        self.code
    }

    /// The plan the callback follows.
    pub fn plan(&self) -> &CallPlan {
        &self.state.plan
    }
}

impl Drop for RawCallback {
    fn drop(&mut self) {
        self.state.alive.store(false, SeqCst);
        self.state.take_f();
        let z = Zombie {
            _state: self.state.clone(),
            _closure: ClosurePtr(self.closure),
        };
        match ZOMBIES.lock() {
            Ok(mut v) => v.push(z),
            Err(p) => p.into_inner().push(z),
        }
    }
}

unsafe extern "C" fn trampoline(_cif: *mut ffi_cif, ret: *mut c_void, args: *mut *mut c_void, ud: *mut c_void) {
    // SAFETY: `ud` is the `State` this closure was prepared with; it is kept
    // alive forever after drop (zombie list), so it is valid here.
    let st = unsafe { &*(ud as *const State) };
    let n = st.arg_map.len();
    let fill = |argv: &mut [*const c_void]| {
        for (slot, a) in argv.iter_mut().zip(st.arg_map.iter()) {
            *slot = match a {
                // SAFETY: libffi passes one pointer per CIF argument.
                Some(k) => (unsafe { *args.add(*k as usize) }) as *const c_void,
                None => ZERO_ARG.as_ptr() as *const c_void,
            };
        }
    };
    if n <= INLINE_ARGS {
        let mut inline = [std::ptr::null::<c_void>(); INLINE_ARGS];
        fill(&mut inline[..n]);
        // SAFETY: forwarded contract (libffi's return area).
        unsafe { complete(st, &inline[..n], ret) }
    } else {
        scratch::with_scratch(|b| {
            let argv = b.alloc_slice_fill_copy(n, std::ptr::null::<c_void>());
            fill(argv);
            // SAFETY: forwarded contract (libffi's return area).
            unsafe { complete(st, argv, ret) }
        })
    }
}

/// The rest of a libffi-closure callback: runs the closure with `argv` and
/// writes the result (or the error return value) to libffi's `ret`.
///
/// # Safety
/// `ret` is libffi's return area for this closure's CIF.
unsafe fn complete(st: &State, argv: &[*const c_void], ret: *mut c_void) {
    #[repr(C, align(16))]
    struct Scratch([u8; RET_SCRATCH]);
    let mut scratch = std::mem::MaybeUninit::<Scratch>::uninit();
    let big = st.ret_size > RET_SCRATCH;
    let out: *mut c_void = if big {
        // SAFETY: libffi's return area holds the whole value (hidden pointer).
        unsafe { std::ptr::write_bytes(ret as *mut u8, 0, st.ret_size) };
        ret
    } else {
        let p = scratch.as_mut_ptr() as *mut u8;
        // The closure sees a zeroed return buffer of the return type's size
        // (only those bytes are read back).
        // SAFETY: `ret_size` ≤ RET_SCRATCH bytes of the scratch buffer.
        unsafe { std::ptr::write_bytes(p, 0, st.ret_size) };
        p as *mut c_void
    };

    let ok = st.run(argv, out);

    let src: *const u8 = if ok { out as *const u8 } else { st.error_return.as_ptr() };
    if st.ret_size == 0 {
        return;
    }
    if let Some((size, signed)) = st.widen {
        // Narrow integer: hand libffi a full, extended register (ffi_arg).
        // SAFETY: `src` has `size` (< 8) readable bytes.
        let v = unsafe { widened(src, size, signed) };
        // SAFETY: libffi's return area for an integer is at least ffi_arg wide.
        unsafe { (ret as *mut u64).write_unaligned(v) };
    } else if !(big && ok) {
        // SAFETY: `ret` has room for the value (libffi's buffer, or the
        // caller's memory for a hidden-pointer return of `ret_size` bytes).
        unsafe { std::ptr::copy_nonoverlapping(src, ret as *mut u8, st.ret_size) };
    }
}

/// The fast entry's dispatcher (see `call::fast`): builds argument
/// pointers from the saved registers and stack area, runs the closure, and
/// fills the return registers.
///
/// # Safety
/// Called only by the fast entry of a stub made for `ud`, a `State` kept
/// alive forever (zombie list), with the entry's image, stack area and
/// return area.
unsafe extern "C" fn fast_dispatch(ud: *const c_void, image: *const u64, stack: *const u8, area: *mut u64) {
    // SAFETY: see the function's contract.
    let st = unsafe { &*(ud as *const State) };
    let Some(fast) = st.fast.as_ref() else {
        // Unreachable: stubs are only made for states with a fast plan.
        return;
    };
    #[repr(C, align(16))]
    struct Scratch([u8; RET_SCRATCH]);
    let mut scratch = std::mem::MaybeUninit::<Scratch>::uninit();
    let sret_ptr = if fast.sret() {
        // SAFETY: word 0 of the image is `rdi`, the hidden result pointer.
        (unsafe { *image }) as *mut u8
    } else {
        std::ptr::null_mut()
    };
    let out: *mut u8 = if st.ret_size > RET_SCRATCH {
        // Only hidden-pointer results are this large: write in place.
        sret_ptr
    } else {
        scratch.as_mut_ptr() as *mut u8
    };
    // SAFETY: `out` has `ret_size` writable bytes (scratch, or C's result buffer).
    unsafe { std::ptr::write_bytes(out, 0, st.ret_size) };
    // SAFETY: the entry's image and stack area, laid out per the plan.
    let ok = unsafe { fast.with_args(image, stack, |argv| st.run(argv, out as *mut c_void)) };
    let src: *const u8 = if ok { out } else { st.error_return.as_ptr() };
    if fast.sret() {
        if !std::ptr::eq(src, sret_ptr) {
            // SAFETY: C's result buffer has `ret_size` bytes; `src` as many.
            unsafe { std::ptr::copy_nonoverlapping(src, sret_ptr, st.ret_size) };
        }
        // SAFETY: the return area has 4 words; `rax` returns the pointer.
        unsafe { *area = sret_ptr as u64 };
    } else if let Some((size, signed)) = st.widen {
        // SAFETY: `src` has `size` bytes; word 0 is `rax`.
        unsafe { *area = widened(src, size, signed) };
    } else if st.ret_size > 0 {
        // SAFETY: `src` has the return type's bytes; a 4-word area.
        unsafe { fast.put_return(src, area) };
    }
}

/// The generated entry's dispatcher (see `call::jit`): runs the closure
/// with the argument pointers the stub built; `out` is the stub's zeroed
/// result buffer, or C's buffer for a hidden-pointer result.
///
/// # Safety
/// Called only by a stub generated for `ud`, a `State` kept alive forever
/// (zombie list), with one argument pointer per planned argument.
unsafe extern "C" fn jit_dispatch(ud: *const c_void, argv: *const *const c_void, out: *mut u8) {
    // SAFETY: see the function's contract.
    let st = unsafe { &*(ud as *const State) };
    // SAFETY: the stub passes one pointer per planned argument.
    let argv = unsafe { std::slice::from_raw_parts(argv, st.plan.args.len()) };
    if st.sret {
        // SAFETY: C's result buffer has `ret_size` bytes.
        unsafe { std::ptr::write_bytes(out, 0, st.ret_size) };
    }
    if !st.run(argv, out as *mut c_void) && st.ret_size > 0 {
        // SAFETY: `out` has `ret_size` bytes, as has the error return value.
        unsafe { std::ptr::copy_nonoverlapping(st.error_return.as_ptr(), out, st.ret_size) };
    }
}

/// A narrow integer result (`size` < 8 bytes at `src`) extended to a full
/// register. Typed loads (no memcpy into a u64, which stalls store forwarding).
///
/// # Safety
/// `src` has `size` readable bytes.
#[inline(always)]
unsafe fn widened(src: *const u8, size: usize, signed: bool) -> u64 {
    // SAFETY: forwarded contract.
    let mut v: u64 = unsafe {
        match size {
            1 => src.read() as u64,
            2 => (src as *const u16).read_unaligned() as u64,
            4 => (src as *const u32).read_unaligned() as u64,
            _ => {
                let mut v = 0u64;
                std::ptr::copy_nonoverlapping(src, &mut v as *mut u64 as *mut u8, size);
                v
            }
        }
    };
    let bits = size * 8;
    if signed && bits > 0 && bits < 64 && (v >> (bits - 1)) & 1 == 1 {
        v |= !0u64 << bits;
    }
    v
}
