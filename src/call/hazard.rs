//! Hazard slots with an asymmetric fence: how a callback entry marks the
//! entry slot it is running without an atomic read-modify-write.
//!
//! Each thread owns a [`Record`] of [`PER_THREAD`] hazard words (one per
//! level of callbacks nested on that thread): one of a static pool of
//! [`STATIC_RECORDS`], beyond that an allocated one, given back when the
//! thread exits. Entering a callback stores
//! the slot's address in the next free word with a plain store and a
//! compiler fence ([`protect`]); leaving stores null ([`Guard::release`]).
//! The rare side — dropping a callback, reusing a retired entry — first
//! runs [`heavy_fence`]: `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`,
//! which makes every running thread of the process execute a full memory
//! barrier, and then reads every thread's hazard words ([`in_use`]). This
//! is the classic asymmetric Dekker pattern (userspace RCU's membarrier
//! flavour, folly's `asymmetric_thread_fence_heavy`): a thread that loaded
//! a slot's state before the rare side's store is seen holding the slot;
//! one that loads after it sees the store.
//!
//! Without `membarrier` (kernels before 4.14, seccomp filters, qemu-user
//! without it) or with `ABICALL_CALLBACK_SYNC=atomic`, [`protect`] returns
//! `None` and callers use their atomic-counter protocol; the same happens
//! for callbacks nested deeper than [`PER_THREAD`] on one thread, and in
//! thread-local destructors.

use std::cell::Cell;
use std::sync::atomic::{compiler_fence, fence, AtomicBool, AtomicPtr, AtomicU8, Ordering};

/// Hazard words per thread (levels of nested callbacks served without atomics).
pub(crate) const PER_THREAD: usize = 8;

/// One thread's hazard words; records are never freed (a thread that
/// exits gives its record back for another thread to take).
struct Record {
    slots: [AtomicPtr<()>; PER_THREAD],
    in_use: AtomicBool,
    next: AtomicPtr<Record>,
}

/// Records for the first [`STATIC_RECORDS`] threads that run callbacks at
/// once (no allocation on a thread's first callback).
const STATIC_RECORDS: usize = 64;

/// An unused record (for the static pool's initialiser).
#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Record = Record {
    slots: [const { AtomicPtr::new(std::ptr::null_mut()) }; PER_THREAD],
    in_use: AtomicBool::new(false),
    next: AtomicPtr::new(std::ptr::null_mut()),
};

static POOL: [Record; STATIC_RECORDS] = [EMPTY; STATIC_RECORDS];

/// Records made beyond the static pool, newest first (leaked).
static HEAD: AtomicPtr<Record> = AtomicPtr::new(std::ptr::null_mut());

/// Every record: the static pool, then the allocated ones.
fn records() -> impl Iterator<Item = &'static Record> {
    let mut p = HEAD.load(Ordering::Acquire);
    POOL.iter().chain(std::iter::from_fn(move || {
        // SAFETY: allocated records are leaked, never freed.
        let r = unsafe { p.as_ref()? };
        p = r.next.load(Ordering::Acquire);
        Some(r)
    }))
}

/// Gives this thread's record back when the thread exits.
struct Owner;

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = REC.try_with(|r| {
            let rec = r.replace(std::ptr::null());
            if !rec.is_null() {
                // SAFETY: records are never freed; this thread owned `rec`
                // and runs no callback any more (its words are all null).
                unsafe { (*rec).in_use.store(false, Ordering::Release) };
            }
        });
    }
}

thread_local! {
    /// This thread's record (taken on first use; no destructor, so reading
    /// it costs an address computation).
    static REC: Cell<*const Record> = const { Cell::new(std::ptr::null()) };
    /// Words in use in this thread's record.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Registered when the record is taken: gives it back at thread exit.
    static OWNER: Owner = const { Owner };
}

/// A record for this thread — a given-back one, or a new one — or null
/// when the thread is exiting (then the caller falls back to atomics).
#[cold]
fn acquire() -> *const Record {
    if OWNER.try_with(|_| ()).is_err() {
        return std::ptr::null();
    }
    for r in records() {
        if r.in_use
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            return r;
        }
    }
    let rec: &'static Record = Box::leak(Box::new(Record {
        slots: Default::default(),
        in_use: AtomicBool::new(true),
        next: AtomicPtr::new(std::ptr::null_mut()),
    }));
    let mut head = HEAD.load(Ordering::Acquire);
    loop {
        rec.next.store(head, Ordering::Relaxed);
        match HEAD.compare_exchange_weak(
            head,
            rec as *const Record as *mut Record,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return rec,
            Err(h) => head = h,
        }
    }
}

/// `membarrier(2)` commands.
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: i32 = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: i32 = 1 << 4;

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
const SYS_MEMBARRIER: std::ffi::c_long = 324;
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
const SYS_MEMBARRIER: std::ffi::c_long = 283;

#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
extern "C" {
    fn syscall(n: std::ffi::c_long, ...) -> std::ffi::c_long;
}

/// `membarrier(cmd, 0)`: whether it succeeded.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
fn membarrier(cmd: i32) -> bool {
    // SAFETY: membarrier takes two integers and touches no memory of ours.
    unsafe { syscall(SYS_MEMBARRIER, cmd, 0i32) == 0 }
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
fn membarrier(_cmd: i32) -> bool {
    false
}

/// Whether hazard slots are in use in this process (decided once: the
/// kernel registers us for expedited membarriers, and
/// `ABICALL_CALLBACK_SYNC` is not `atomic`).
#[inline(always)]
pub(crate) fn enabled() -> bool {
    // 0: not decided yet, 1: on, 2: off (a relaxed load on the hot path).
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => decide(&STATE),
    }
}

/// Decides [`enabled`] (threads deciding at once reach the same answer;
/// registering for expedited membarriers twice is harmless).
#[cold]
fn decide(state: &AtomicU8) -> bool {
    let on = std::env::var("ABICALL_CALLBACK_SYNC").as_deref() != Ok("atomic")
        && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
        && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    state.store(if on { 1 } else { 2 }, Ordering::Relaxed);
    on
}

/// A published hazard: this thread holds `p` until [`Guard::release`].
#[must_use]
pub(crate) struct Guard {
    word: *const AtomicPtr<()>,
    depth: usize,
}

/// Publishes `p` as held by this thread (a plain store and a compiler
/// fence); `None` when hazard slots are off, this thread nests more than
/// [`PER_THREAD`] callbacks, or its thread-locals are being destroyed:
/// then the caller uses its atomic protocol.
#[inline(always)]
pub(crate) fn protect(p: *const ()) -> Option<Guard> {
    if !enabled() {
        return None;
    }
    let d = DEPTH.with(Cell::get);
    if d >= PER_THREAD {
        return None;
    }
    let mut rec = REC.with(Cell::get);
    if rec.is_null() {
        rec = acquire();
        if rec.is_null() {
            return None;
        }
        REC.with(|r| r.set(rec));
    }
    // SAFETY: this thread's record (records are never freed).
    let word = unsafe { &(*rec).slots[d] };
    word.store(p as *mut (), Ordering::Relaxed);
    DEPTH.with(|c| c.set(d + 1));
    // Ordered before the caller's next load by the rare side's membarrier
    // (the light half of the asymmetric fence).
    compiler_fence(Ordering::SeqCst);
    Some(Guard {
        word: word as *const AtomicPtr<()>,
        depth: d,
    })
}

impl Guard {
    /// Withdraws the hazard (the caller no longer uses what it protected).
    #[inline(always)]
    pub(crate) fn release(self) {
        compiler_fence(Ordering::SeqCst);
        // SAFETY: the word of this thread's record published by `protect`.
        unsafe { (*self.word).store(std::ptr::null_mut(), Ordering::Release) };
        // The record outlives the guard; its depth goes back down (a guard
        // is released on the thread and in the nesting order it was made).
        DEPTH.with(|c| c.set(self.depth));
        compiler_fence(Ordering::SeqCst);
    }
}

/// The heavy half of the asymmetric fence: every thread of the process
/// runs a full memory barrier before this returns (with hazard slots off,
/// a local fence).
pub(crate) fn heavy_fence() {
    if !enabled() || !membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
        fence(Ordering::SeqCst);
    }
}

/// Whether any thread holds `p` (call after [`heavy_fence`]).
pub(crate) fn in_use(p: *const ()) -> bool {
    if !enabled() {
        return false;
    }
    records().any(|rec| rec.slots.iter().any(|w| std::ptr::eq(w.load(Ordering::SeqCst), p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct addresses to publish.
    static MARKS: [u8; 32] = [0; 32];

    fn mark(i: usize) -> *const () {
        &MARKS[i] as *const u8 as *const ()
    }

    #[test]
    fn protect_release_and_nesting() {
        let (a, b) = (mark(1), mark(2));
        let Some(ga) = protect(a) else {
            // membarrier unavailable here (or ABICALL_CALLBACK_SYNC=atomic).
            assert!(!in_use(a));
            return;
        };
        let gb = protect(b).expect("nested");
        heavy_fence();
        assert!(in_use(a) && in_use(b));
        gb.release();
        heavy_fence();
        assert!(in_use(a) && !in_use(b));
        // Another thread sees this thread's hazard.
        std::thread::spawn(move || {
            heavy_fence();
            assert!(in_use(mark(1)));
        })
        .join()
        .unwrap();
        ga.release();
        heavy_fence();
        assert!(!in_use(a));
        // Deeper than PER_THREAD: no hazard, the caller falls back.
        let guards: Vec<Guard> = (0..PER_THREAD).map_while(|i| protect(mark(10 + i))).collect();
        assert_eq!(guards.len(), PER_THREAD);
        assert!(protect(mark(30)).is_none());
        for g in guards.into_iter().rev() {
            g.release();
        }
        assert!(protect(a).map(Guard::release).is_some());
    }
}
