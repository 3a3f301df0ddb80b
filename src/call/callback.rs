//! Callbacks: C function pointers that run a host closure, built from the
//! same call plans as outgoing calls. On x86_64 and aarch64 Linux, C enters
//! through a stub generated for the signature (JIT, x86_64) or abicall's
//! own fast entry (a precompiled register-saving entry and a per-callback
//! stub, see `call::fast`), which reads the arguments where the plan says
//! they are; elsewhere, and for x86_64 x87 results without the JIT, through
//! a libffi closure. The entries share the policy below.
//!
//! Policy, documented for embedders:
//! - **Panics** inside the host closure are caught at the C boundary; the
//!   callback's error hook (or, without one, a line on stderr) reports it and
//!   C receives the callback's *error return value* (zero bytes unless set
//!   with [`CallbackOptions::error_return`]). A panic never unwinds into C.
//! - **Threads**: callbacks may be called from any thread, including threads
//!   the host did not create; the closure must be `Send + Sync`. An entry
//!   holds its slot through a per-thread hazard word (`call::hazard`, no
//!   atomic read-modify-write per call; `drop` and reuse pay a
//!   `membarrier`), or through an atomic counter where `membarrier` is
//!   missing or `ABICALL_CALLBACK_SYNC=atomic` is set.
//! - **After drop**: dropping a [`RawCallback`] releases the host closure
//!   (once no call is running it). Its entry (fast stub or libffi closure)
//!   and state are *retired*, not freed: a C library that calls the stale
//!   pointer does not jump into freed memory; the call reports "callback
//!   called after it was dropped" through the error hook and returns the
//!   error return value.
//! - **Reclamation**: retired entries are reused by later callbacks (same
//!   kind of entry), oldest first, once more than [`RETIRED_KEPT`] of them
//!   wait; reusing one frees the dropped callback's state (CIF, plan, hook,
//!   ≈ 1.4 KB) after no call runs through the entry. Memory therefore stays
//!   bounded by the peak number of live callbacks plus [`RETIRED_KEPT`], however
//!   many are created and dropped. The price: a stale pointer used after
//!   [`RETIRED_KEPT`] further callbacks were dropped may enter the callback
//!   that now owns the entry (as a freed-and-reused function pointer does
//!   in C) — still never freed memory.
//! - There is no fixed limit on the number of callbacks.

use super::cif::Cif;
use super::fast::{self, FastCallback};
use super::hazard;
use super::jit::{self, JitStub, Tier};
use super::scratch;
use crate::abi::{self, CallPlan, ValueClass};
use crate::error::{CallErrorKind, Error, Result};
use crate::types::{TypeId, Types};
use libffi::raw::{self, ffi_cif, ffi_closure};
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};
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
    /// The libffi CIF; `None` for a plan libffi cannot express (a 16-byte
    /// GCC vector in one `xmm`, a 32-byte-aligned stack argument), which
    /// only the generated entry stub takes.
    cif: Option<Cif>,
    /// Why libffi cannot take the plan, when `cif` is `None`.
    libffi_refusal: Option<String>,
    plan: CallPlan,
    /// For each planned argument, the CIF argument index (None: empty struct).
    arg_map: Box<[Option<u32>]>,
    f: UnsafeCell<Option<Box<RawCallbackFn>>>,
    alive: AtomicBool,
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

// SAFETY: `f` is only accessed under the alive/taken protocol of
// `Slot::with_state` and `State::take_f` (used only by a call counted in
// its slot while alive, taken exactly once when no call uses it); every
// other field is immutable or atomic.
unsafe impl Sync for State {}
// SAFETY: all contents are Send (the closure is required to be Send).
unsafe impl Send for State {}

impl State {
    /// Takes the host closure out exactly once, once the callback is dead;
    /// the caller drops it (after releasing any lock: dropping it runs the
    /// host's destructors, which may drop other callbacks).
    ///
    /// Called only when no call is running the closure: by `drop` when no
    /// call held its slot, or by the last call out of the slot
    /// ([`Slot::with_state`]).
    #[must_use]
    fn take_f(&self) -> Option<Box<RawCallbackFn>> {
        if !self.alive.load(SeqCst) && self.taken.compare_exchange(false, true, SeqCst, SeqCst).is_ok() {
            // SAFETY: `taken` was won by this thread, the callback is dead
            // (a call that starts now sees `alive` false and does not read
            // `f`), and no call is running `f` (this function's contract).
            return unsafe { (*self.f.get()).take() };
        }
        None
    }

    /// Runs the host closure under the drop protocol and the panic policy;
    /// `false` when C must get the error return value.
    #[inline(always)]
    fn run(&self, argv: &[*const c_void], out: *mut c_void) -> bool {
        // Called inside `Slot::with_state`, counted in the slot.
        if self.alive.load(SeqCst) {
            // SAFETY: alive, seen while counted in the slot: `f` is not
            // taken before this call leaves (see `Slot::with_state`).
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
        }
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

/// Retired entries kept (per kind of entry) before the oldest is reused:
/// a stale call within this many later drops gets the documented error.
pub const RETIRED_KEPT: usize = 1024;

/// Old states of reused libffi entries, dropped only after this many more
/// reuses: a call that entered libffi's closure code just before the reuse
/// may still read the old CIF until it reaches [`trampoline`].
const GRAVE_KEPT: usize = 64;

/// One entry point C can call: a fast stub or a libffi closure, with the
/// state it currently runs. Slots are never freed (a few dozen bytes each);
/// their states are, when the slot is reused.
struct Slot {
    /// The current state (from `Arc::into_raw`; the slot owns one count).
    state: AtomicPtr<State>,
    /// Calls inside the entry counted atomically (which may hold the state
    /// pointer) times [`CALL`], plus [`PENDING`] while a dropped callback's
    /// closure waits for the last call out. Calls that hold the slot through
    /// a hazard word (`call::hazard`) are not counted here.
    active: AtomicUsize,
    /// The libffi closure, or null for a fast or generated stub.
    closure: *mut ffi_closure,
    /// The kind of entry (a generated stub only ever runs its own plan).
    tier: Tier,
    /// The executable address.
    code: *const c_void,
}

// SAFETY: `closure` and `code` are written once before the slot is shared
// and never change (a libffi closure is re-prepared only by the registry,
// under its lock, for a retired slot); `state` and `active` are atomics.
unsafe impl Sync for Slot {}
// SAFETY: as for `Sync`: no field is tied to a thread.
unsafe impl Send for Slot {}

/// One call inside a slot, in [`Slot::active`].
const CALL: usize = 2;
/// [`Slot::active`]: the callback was dropped while calls were inside; the
/// last call out drops the closure and clears this bit.
const PENDING: usize = 1;

impl Slot {
    /// Runs `f` with the slot's current state, keeping the state alive
    /// against a concurrent reuse (see [`Registry::install`]) and the
    /// closure alive against a concurrent drop.
    ///
    /// A call holds the slot through a hazard word of its thread
    /// (`call::hazard`: plain stores, no atomic read-modify-write) or, where
    /// hazard words are off or used up, by counting itself in `active`
    /// (one atomic add in, one out). The rare sides:
    ///
    /// - `RawCallback::drop` clears `alive`, sets [`PENDING`] and, after the
    ///   heavy fence, drops the closure itself when no call holds the slot;
    ///   otherwise the last call out does (a counted call that sees exactly
    ///   one [`CALL`] and [`PENDING`] as it leaves; a hazard call that sees
    ///   [`PENDING`] after withdrawing its hazard and finds no other holder,
    ///   [`Slot::finish_pending`]). A call that starts after the drop sees
    ///   `alive` false and never reads the closure.
    /// - A reuse swaps the state, then waits until no call holds the slot
    ///   and [`PENDING`] is clear before dropping the old state.
    ///
    /// Clearing [`PENDING`] and reading the state for it happen under
    /// [`PENDING_LOCK`], which a reuse also takes to decide it may drop.
    #[inline(always)]
    fn with_state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        let guard = hazard::protect(self as *const Slot as *const ());
        if guard.is_none() {
            self.active.fetch_add(CALL, SeqCst);
        }
        // SAFETY: the pointer came from `Arc::into_raw` and the slot holds
        // that count; a reuse swaps it out, then (after the heavy fence)
        // waits while any call holds the slot — through a hazard word or
        // counted in `active` — so the state is alive until this call leaves.
        let r = f(unsafe { &*self.state.load(SeqCst) });
        let last_out = match guard {
            Some(g) => {
                g.release();
                self.active.load(SeqCst) & PENDING != 0
            }
            None => self.active.fetch_sub(CALL, SeqCst) == CALL | PENDING,
        };
        if last_out {
            // Perhaps the last call out of a dropped callback.
            self.finish_pending();
        }
        r
    }

    /// A call left a slot whose callback was dropped while calls were
    /// inside: when no call holds the slot any more, drops the closure of
    /// the state it runs (if that state is the dead one) and clears
    /// [`PENDING`].
    #[cold]
    fn finish_pending(&self) {
        let f = {
            let _g = PENDING_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            hazard::heavy_fence();
            if self.active.load(SeqCst) != PENDING || hazard::in_use(self as *const Slot as *const ()) {
                // Done already, or another call still holds the slot (it finishes).
                return;
            }
            // SAFETY: `PENDING` is set and we hold the lock: a reuse cannot
            // drop the state the slot points to (it checks `PENDING` under
            // the lock).
            let f = unsafe { &*self.state.load(SeqCst) }.take_f();
            self.active.fetch_and(!PENDING, SeqCst);
            f
        };
        drop(f);
    }
}

/// Serialises clearing [`PENDING`] (and reading the state for it) with a
/// reuse deciding it may drop the old state (rare paths only).
static PENDING_LOCK: Mutex<()> = Mutex::new(());

/// Retired slots, oldest first, by kind of entry, and states waiting to be dropped.
struct Registry {
    /// Generated stubs: reused only for a state with the same plan.
    jit: VecDeque<&'static Slot>,
    fast: VecDeque<&'static Slot>,
    libffi: VecDeque<&'static Slot>,
    grave: VecDeque<Arc<State>>,
    /// Slots ever made (live + retired): the memory bound the tests check.
    slots: usize,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    jit: VecDeque::new(),
    fast: VecDeque::new(),
    libffi: VecDeque::new(),
    grave: VecDeque::new(),
    slots: 0,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|p| p.into_inner())
}

/// How many callback entries exist (live plus retired): stays bounded by
/// the peak number of live callbacks plus twice [`RETIRED_KEPT`] however many
/// callbacks are created and dropped.
pub fn entries_allocated() -> usize {
    registry().slots
}

impl Registry {
    /// A retired slot of the given kind to reuse, when enough are waiting.
    fn take(&mut self, libffi: bool) -> Option<&'static Slot> {
        let q = if libffi { &mut self.libffi } else { &mut self.fast };
        if q.len() <= RETIRED_KEPT {
            return None;
        }
        q.pop_front()
    }

    /// A retired generated stub made for `plan`, when enough are waiting.
    fn take_jit(&mut self, plan: &CallPlan) -> Option<&'static Slot> {
        if self.jit.len() <= RETIRED_KEPT {
            return None;
        }
        let at = self.jit.iter().position(|slot| {
            // SAFETY: a retired slot owns a count of its (dead) state, and
            // only the registry, whose lock we hold, swaps it.
            unsafe { &*slot.state.load(SeqCst) }.plan == *plan
        })?;
        self.jit.remove(at)
    }

    /// Makes `slot` run `state`; returns the state it ran before, once no
    /// call can be using it.
    fn install(slot: &Slot, state: &Arc<State>) -> Arc<State> {
        let new = Arc::into_raw(state.clone()) as *mut State;
        let old = slot.state.swap(new, SeqCst);
        // Calls that loaded `old` did so while counted in `active` or
        // holding a hazard word on the slot; a dead callback's closure may
        // still wait for its last call out (`PENDING`).
        let me = slot as *const Slot as *const ();
        loop {
            hazard::heavy_fence();
            let busy = {
                let _g = PENDING_LOCK.lock().unwrap_or_else(|p| p.into_inner());
                slot.active.load(SeqCst) != 0 || hazard::in_use(me)
            };
            if !busy {
                break;
            }
            std::thread::yield_now();
        }
        // SAFETY: `old` came from `Arc::into_raw` (the slot's count), and
        // no call holds it any more (see above).
        unsafe { Arc::from_raw(old) }
    }
}

/// A C function pointer that runs a host closure.
pub struct RawCallback {
    state: Arc<State>,
    slot: &'static Slot,
}

// SAFETY: the slot is shared through atomics; the state is Send + Sync.
unsafe impl Send for RawCallback {}
// SAFETY: `&RawCallback` only reads the slot's immutable fields and the
// state's atomics.
unsafe impl Sync for RawCallback {}

impl std::fmt::Debug for RawCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCallback").field("code", &self.slot.code).finish()
    }
}

impl RawCallback {
    /// Makes a C function pointer of function type `func` (a function type
    /// or pointer to one, not variadic) that runs `f`.
    ///
    /// On x86_64 and aarch64 (Linux, Apple) hosts the pointer is an entry stub
    /// generated for the signature (the JIT tier: it stores the incoming
    /// registers in its frame and calls the dispatcher with the argument
    /// pointers, no register image, x87 results included); with
    /// `ABICALL_NO_JIT` set, or without executable memory, abicall's
    /// precompiled fast entry when the plan allows it (every plan without an
    /// x87 return or more than 32 arguments); otherwise, or with
    /// `ABICALL_NO_FASTPATH` set, a libffi closure. [`RawCallback::tier`]
    /// says which.
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

    /// The entry C goes through.
    pub fn tier(&self) -> Tier {
        self.slot.tier
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
        self.slot.tier != Tier::Libffi
    }

    /// As [`RawCallback::with_tier`], for `types` of another variant of the
    /// host's architecture (Apple arm64 plans on an aarch64 Linux host, or
    /// the reverse): the callback follows that convention, so only C code
    /// following it may call it (a register-replay test harness does).
    /// `tier` is [`Tier::Jit`] or [`Tier::Fast`]: this process's libffi
    /// follows the host's convention only. For the host's own target this
    /// is [`RawCallback::with_tier`].
    pub fn with_tier_for_variant(
        types: &Types,
        func: TypeId,
        f: Box<RawCallbackFn>,
        opts: CallbackOptions,
        tier: Tier,
    ) -> Result<RawCallback> {
        Self::build_any(types, func, f, opts, &[tier], true)
    }

    fn build(
        types: &Types,
        func: TypeId,
        f: Box<RawCallbackFn>,
        opts: CallbackOptions,
        tiers: &[Tier],
    ) -> Result<RawCallback> {
        Self::build_any(types, func, f, opts, tiers, false)
    }

    fn build_any(
        types: &Types,
        func: TypeId,
        f: Box<RawCallbackFn>,
        opts: CallbackOptions,
        tiers: &[Tier],
        variant: bool,
    ) -> Result<RawCallback> {
        let host = crate::Target::host();
        let foreign = match crate::call::raw::host_variant(types.target()) {
            Ok(None) => None,
            Ok(Some(why)) if variant => Some(why.message()),
            _ => {
                return Err(Error::Host {
                    target: Some(types.target()),
                    host,
                    message: format!("cannot make callbacks for target {} on this host", types.target()),
                })
            }
        };
        let sig = types.sig_of(func).ok_or_else(|| {
            Error::call(
                CallErrorKind::NotAFunction,
                None,
                format!("`{}` is not a function type", types.display(func)),
            )
        })?;
        if sig.variadic {
            return Err(Error::call(
                CallErrorKind::Unsupported,
                None,
                format!("`{}`: variadic callbacks are not supported", types.display(func)),
            ));
        }
        let plan = abi::plan_func(types, func, &[])?;
        let (cif, libffi_refusal) = match foreign {
            Some(why) => (None, Some(why)),
            None => match Cif::new(types, &plan) {
                Ok(cif) => (Some(cif), None),
                Err(
                    e @ Error::Abi {
                        kind: crate::error::AbiErrorKind::Unsupported,
                        ..
                    },
                ) => (None, Some(e.message())),
                Err(e) => return Err(e),
            },
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
                return Err(Error::call(
                    CallErrorKind::Invalid,
                    None,
                    format!(
                        "error return value has {} bytes, the return type has {ret_size}",
                        b.len()
                    ),
                ))
            }
            Some(b) => b,
            None => vec![0; ret_size],
        };
        // Without a CIF only the generated stub runs the callback, which
        // passes the arguments in plan order.
        let arg_map = match &cif {
            Some(cif) => cif.arg_map.clone(),
            None => (0..plan.args.len() as u32).map(Some).collect(),
        };
        let fast = if tiers.contains(&Tier::Fast) {
            FastCallback::new(&plan)
        } else {
            None
        };
        let sret = matches!(plan.ret.pass, abi::Pass::Indirect { .. }) && ret_size > 0;
        let state = Arc::new(State {
            cif,
            libffi_refusal,
            plan,
            arg_map,
            f: UnsafeCell::new(Some(f)),
            alive: AtomicBool::new(true),
            taken: AtomicBool::new(false),
            on_error: opts.on_error,
            error_return,
            ret_size,
            widen,
            fast,
            sret,
        });
        for &tier in tiers {
            let slot = match tier {
                Tier::Jit => Self::jit_slot(&state),
                Tier::Fast if state.fast.is_some() => Self::fast_slot(&state),
                Tier::Fast => None,
                Tier::Libffi => Some(Self::libffi_slot(&state)?),
            };
            if let Some(slot) = slot {
                return Ok(RawCallback { state, slot });
            }
        }
        if let Some(why) = &state.libffi_refusal {
            return Err(Error::call(
                CallErrorKind::Tier,
                None,
                format!(
                    "{why}; only the JIT tier's entry stub can take it, and it is not available here \
                     (ABICALL_NO_JIT or ABICALL_NO_FASTPATH set, or executable memory refused)"
                ),
            ));
        }
        Err(Error::call(
            CallErrorKind::Tier,
            None,
            format!(
                "the {} tier cannot make this callback on this host",
                tiers.first().copied().unwrap_or(Tier::Libffi)
            ),
        ))
    }

    /// A generated-stub slot running `state`: a retired one made for the
    /// same plan, or a new stub; `None` without a generator for this host
    /// or plan, or without executable memory.
    fn jit_slot(state: &Arc<State>) -> Option<&'static Slot> {
        // Without a generator or executable memory (an aarch64 host, a
        // hardened kernel) no slot is made at all: a failed attempt leaks its
        // slot, which would be one per callback on such hosts.
        if !Tier::Jit.available() {
            return None;
        }
        let reused = registry().take_jit(&state.plan);
        if let Some(slot) = reused {
            // The stub was generated for this very plan: swapping the state is all.
            drop(Registry::install(slot, state));
            return Some(slot);
        }
        let slot = new_slot(state);
        let Some(stub) = JitStub::new(
            &state.plan,
            slot as *const Slot as *const c_void,
            jit_dispatch,
            state.widen,
        ) else {
            // Never shared: take back the state's count (the slot's few
            // bytes stay leaked; this happens only for a plan the generator
            // refuses, checked above for whole hosts).
            // SAFETY: from `Arc::into_raw` in `new_slot`, not shared.
            drop(unsafe { Arc::from_raw(slot.state.swap(std::ptr::null_mut(), SeqCst)) });
            return None;
        };
        slot.code = stub.code();
        slot.tier = Tier::Jit;
        registry().slots += 1;
        Some(slot)
    }

    /// A fast-entry slot running `state`: a retired one reused, or a new
    /// stub; `None` when no executable memory can be had (use libffi).
    fn fast_slot(state: &Arc<State>) -> Option<&'static Slot> {
        let reused = registry().take(false);
        if let Some(slot) = reused {
            // The fast entry reads everything from the state: swapping it is all.
            drop(Registry::install(slot, state));
            return Some(slot);
        }
        let slot = new_slot(state);
        let Some(code) = fast::callback_stub(slot as *const Slot as *const c_void, fast_dispatch) else {
            // Never shared: take back the state's count (the slot's few
            // bytes stay leaked; this happens only when mmap fails).
            // SAFETY: from `Arc::into_raw` in `new_slot`, not shared.
            drop(unsafe { Arc::from_raw(slot.state.swap(std::ptr::null_mut(), SeqCst)) });
            return None;
        };
        slot.code = code;
        registry().slots += 1;
        Some(slot)
    }

    /// A libffi-closure slot running `state`: a retired one re-prepared for
    /// the new CIF, or a new closure.
    fn libffi_slot(state: &Arc<State>) -> Result<&'static Slot> {
        let Some(cif) = &state.cif else {
            return Err(Error::call(
                CallErrorKind::Tier,
                None,
                format!(
                    "the libffi tier cannot make this callback: {}",
                    state
                        .libffi_refusal
                        .as_deref()
                        .unwrap_or("libffi cannot express its plan")
                ),
            ));
        };
        let reused = registry().take(true);
        if let Some(slot) = reused {
            // Point the slot at the new state first, then give the closure
            // the new CIF; the old state (and CIF) goes to the grave, dropped
            // after GRAVE_KEPT more reuses, as a call that entered libffi's
            // code just before may still read it.
            let old = Registry::install(slot, state);
            // SAFETY: the closure was allocated and prepared by `libffi_slot`
            // before; the CIF is owned by `state`, which the slot keeps alive
            // until the next reuse (and the grave after that).
            let status = unsafe {
                raw::ffi_prep_closure_loc(
                    slot.closure,
                    cif.as_ptr(),
                    Some(trampoline),
                    slot as *const Slot as *mut c_void,
                    slot.code as *mut c_void,
                )
            };
            let mut reg = registry();
            reg.grave.push_back(old);
            while reg.grave.len() > GRAVE_KEPT {
                reg.grave.pop_front();
            }
            if status != raw::ffi_status_FFI_OK {
                // The slot runs `state` with the old CIF: retire it again,
                // behind the others, for the next reuse to re-prepare.
                reg.libffi.push_back(slot);
                return Err(Error::call(
                    CallErrorKind::Unsupported,
                    None,
                    format!("libffi could not prepare the closure (status {status})"),
                ));
            }
            return Ok(slot);
        }
        let mut code: *mut c_void = std::ptr::null_mut();
        // SAFETY: allocates writable+executable closure memory; `code`
        // receives its executable address.
        let closure =
            unsafe { raw::ffi_closure_alloc(std::mem::size_of::<ffi_closure>(), &mut code) } as *mut ffi_closure;
        if closure.is_null() || code.is_null() {
            return Err(Error::call(
                CallErrorKind::Resource,
                None,
                "libffi could not allocate a closure",
            ));
        }
        let slot = new_slot(state);
        // SAFETY: `closure` was just allocated; its user data is the slot,
        // which is never freed, and the CIF is the state's, which the slot
        // keeps alive until the slot is reused (and the grave after that).
        let status = unsafe {
            raw::ffi_prep_closure_loc(
                closure,
                cif.as_ptr(),
                Some(trampoline),
                slot as *const Slot as *mut c_void,
                code,
            )
        };
        if status != raw::ffi_status_FFI_OK {
            // SAFETY: allocated above, never handed out.
            unsafe { raw::ffi_closure_free(closure as *mut c_void) };
            // SAFETY: from `Arc::into_raw` in `new_slot`; the slot was never shared.
            drop(unsafe { Arc::from_raw(slot.state.swap(std::ptr::null_mut(), SeqCst)) });
            return Err(Error::call(
                CallErrorKind::Unsupported,
                None,
                format!("libffi could not prepare the closure (status {status})"),
            ));
        }
        slot.closure = closure;
        slot.tier = Tier::Libffi;
        slot.code = code;
        registry().slots += 1;
        Ok(slot)
    }

    /// The C function pointer.
    pub fn code(&self) -> *const c_void {
        self.slot.code
    }

    /// Approximate bytes of memory this callback holds: its state (plan,
    /// libffi CIF, the error value) and its libffi closure if it has one.
    /// Not counted: the host closure's captures, and the entry slot with
    /// its generated stub, which abicall keeps for reuse (never returned).
    pub fn memory_size(&self) -> usize {
        let s = &*self.state;
        let closure = if self.slot.closure.is_null() {
            0
        } else {
            std::mem::size_of::<ffi_closure>()
        };
        std::mem::size_of::<State>()
            + super::raw::plan_size(&s.plan)
            + s.cif.as_ref().map_or(0, Cif::memory_size)
            + s.arg_map.len() * std::mem::size_of::<Option<u32>>()
            + s.error_return.len()
            + closure
    }

    /// The plan the callback follows.
    pub fn plan(&self) -> &CallPlan {
        &self.state.plan
    }
}

impl Drop for RawCallback {
    fn drop(&mut self) {
        self.state.alive.store(false, SeqCst);
        // See `Slot::with_state`: with no call inside, the closure goes now;
        // else the last call out drops it.
        let f = {
            let _g = PENDING_LOCK.lock().unwrap_or_else(|p| p.into_inner());
            self.slot.active.fetch_or(PENDING, SeqCst);
            hazard::heavy_fence();
            if self.slot.active.load(SeqCst) == PENDING && !hazard::in_use(self.slot as *const Slot as *const ()) {
                let f = self.state.take_f();
                self.slot.active.fetch_and(!PENDING, SeqCst);
                f
            } else {
                None
            }
        };
        drop(f);
        // The slot keeps the dead state (its hook and error return answer
        // stale calls) until a later callback reuses the slot.
        let mut reg = registry();
        match self.slot.tier {
            Tier::Jit => reg.jit.push_back(self.slot),
            Tier::Fast => reg.fast.push_back(self.slot),
            Tier::Libffi => reg.libffi.push_back(self.slot),
        }
    }
}

/// A slot not yet shared with C: running `state`, no entry yet.
fn new_slot(state: &Arc<State>) -> &'static mut Slot {
    Box::leak(Box::new(Slot {
        state: AtomicPtr::new(Arc::into_raw(state.clone()) as *mut State),
        active: AtomicUsize::new(0),
        closure: std::ptr::null_mut(),
        tier: Tier::Fast,
        code: std::ptr::null(),
    }))
}

unsafe extern "C" fn trampoline(_cif: *mut ffi_cif, ret: *mut c_void, args: *mut *mut c_void, ud: *mut c_void) {
    // SAFETY: `ud` is the `Slot` this closure was prepared with; slots are
    // never freed.
    let slot = unsafe { &*(ud as *const Slot) };
    // SAFETY: libffi's argument and return pointers for this closure's CIF,
    // passed on unchanged.
    slot.with_state(|st| unsafe { closure_call(st, ret, args) })
}

/// A libffi-closure call for `st`: argument pointers in `st`'s order, then
/// [`complete`].
///
/// # Safety
/// `args` holds one pointer per CIF argument and `ret` is libffi's return
/// area, for `st`'s CIF.
unsafe fn closure_call(st: &State, ret: *mut c_void, args: *mut *mut c_void) {
    let n = st.arg_map.len();
    let fill = |argv: &mut [*const c_void]| {
        for (i, (slot, a)) in argv.iter_mut().zip(st.arg_map.iter()).enumerate() {
            *slot = match a {
                // SAFETY: libffi passes one pointer per CIF argument.
                Some(k) => (unsafe { *args.add(*k as usize) }) as *const c_void,
                None => ZERO_ARG.as_ptr() as *const c_void,
            };
            if st.cif.as_ref().is_some_and(|c| c.by_ref[i]) {
                // AAPCS64 B.4: the argument is the address of the caller's
                // copy (a pointer-typed CIF argument, see `Cif::by_ref`).
                // SAFETY: libffi's value for a pointer argument holds the pointer.
                *slot = unsafe { *(*slot as *const *const c_void) };
            }
        }
    };
    if n <= INLINE_ARGS {
        let mut inline = [std::ptr::null::<c_void>(); INLINE_ARGS];
        fill(&mut inline[..n]);
        // SAFETY: `ret` is libffi's return area for this closure's CIF
        // (this function's contract), `inline[..n]` the argument pointers.
        unsafe { complete(st, &inline[..n], ret) }
    } else {
        scratch::with_scratch(|b| {
            let argv = b.alloc_slice_fill_copy(n, std::ptr::null::<c_void>());
            fill(argv);
            // SAFETY: `ret` is libffi's return area for this closure's CIF
            // (this function's contract); `argv` holds the n argument pointers.
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

/// The generated entry's dispatcher (see `call::jit`): runs the closure
/// with the argument pointers the stub built; `out` is the stub's zeroed
/// result buffer, or C's buffer for a hidden-pointer result.
///
/// # Safety
/// Called only by a stub generated for `ud`, a `Slot` (never freed) whose
/// states all have the plan the stub was generated for, with one argument
/// pointer per planned argument.
unsafe extern "C" fn jit_dispatch(ud: *const c_void, argv: *const *const c_void, out: *mut u8) {
    // SAFETY: see the function's contract: `ud` is a never-freed `Slot`.
    let slot = unsafe { &*(ud as *const Slot) };
    slot.with_state(|st| {
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
    })
}

/// The fast entry's dispatcher (see `call::fast`): builds argument
/// pointers from the saved registers and stack area, runs the closure, and
/// fills the return registers.
///
/// # Safety
/// Called only by the fast entry of a stub made for `ud`, a `Slot` (never
/// freed), with the entry's image, stack area and return area.
unsafe extern "C" fn fast_dispatch(ud: *const c_void, image: *const u64, stack: *const u8, area: *mut u64) {
    // SAFETY: see the function's contract: `ud` is a never-freed `Slot`.
    let slot = unsafe { &*(ud as *const Slot) };
    // SAFETY: the entry's image, stack area and return area, passed on.
    slot.with_state(|st| unsafe { fast_run(st, image, stack, area) })
}

/// The fast entry's work for state `st`.
///
/// # Safety
/// As for [`fast_dispatch`], with `st` the state the stub's slot runs.
unsafe fn fast_run(st: &State, image: *const u64, stack: *const u8, area: *mut u64) {
    let Some(fast) = st.fast.as_ref() else {
        // Unreachable: stubs are only made for states with a fast plan.
        return;
    };
    #[repr(C, align(16))]
    struct Scratch([u8; RET_SCRATCH]);
    let mut scratch = std::mem::MaybeUninit::<Scratch>::uninit();
    let sret_ptr = if fast.sret() {
        // SAFETY: the entry's image (this function's contract).
        unsafe { fast.sret_ptr(image) }
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
        // SAFETY: the return area has at least 4 words; word 0 (`rax`, `x0`)
        // returns the pointer (x86_64 requires it; AAPCS64 ignores it).
        unsafe { *area = sret_ptr as u64 };
    } else if let Some((size, signed)) = st.widen {
        // SAFETY: `src` has `size` bytes; word 0 is `rax`.
        unsafe { *area = widened(src, size, signed) };
    } else if st.ret_size > 0 {
        // SAFETY: `src` has the return type's bytes; a 4-word area.
        unsafe { fast.put_return(src, area) };
    }
}

/// A narrow integer result (`size` < 8 bytes at `src`) extended to a full
/// register. Typed loads (no memcpy into a u64, which stalls store forwarding).
///
/// # Safety
/// `src` has `size` readable bytes.
#[inline(always)]
unsafe fn widened(src: *const u8, size: usize, signed: bool) -> u64 {
    // SAFETY: `src` has `size` readable bytes (this function's contract);
    // each arm reads exactly `size` bytes, unaligned.
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
