//! `errno`, one concept: the **saved** value, as cffi models it. The value
//! C left in `errno` after the most recent call made through abicall *in
//! this thread* is saved ([`saved`], also `call::errno()`), and the saved
//! value is put back into `errno` right before the next call
//! ([`set_saved`], also `call::set_errno()`), so Rust code running between
//! two calls (which may clobber C's `errno`) cannot lose it.
//!
//! The **live** `errno` of the thread (what a C statement would read right
//! now) is [`live`] / [`set_live`]; it is rarely what an embedder wants.
//!
//! glibc (and musl) expose the thread's `errno` through `__errno_location()`,
//! Apple's libc through `__error()`: both return a pointer to the calling
//! thread's `int errno`, valid for the thread's lifetime. abicall does not
//! depend on the `libc` crate, so the one function is declared here.

use std::cell::Cell;

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" {
    fn __errno_location() -> *mut i32;
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
extern "C" {
    #[link_name = "__error"]
    fn __errno_location() -> *mut i32;
}

/// The current thread's live `errno` (what C would read now).
pub fn live() -> i32 {
    // SAFETY: `__errno_location` has no preconditions and returns a valid,
    // aligned pointer to this thread's errno.
    unsafe { *__errno_location() }
}

/// Sets the current thread's live `errno`.
pub fn set_live(value: i32) {
    // SAFETY: `__errno_location` returns this thread's errno, valid and
    // aligned; only this thread accesses it.
    unsafe { *__errno_location() = value }
}

/// A thread's errno state: the saved value and the cached address of C's
/// `errno`, in one thread-local so a call reaches both with a single
/// thread-local address computation.
struct State {
    saved: Cell<i32>,
    /// This thread's `&errno`, looked up once (`__errno_location()` returns
    /// the same address for the thread's lifetime): saves two calls per call.
    location: Cell<*mut i32>,
}

thread_local! {
    static STATE: State = const {
        State {
            saved: Cell::new(0),
            location: Cell::new(std::ptr::null_mut()),
        }
    };
}

impl State {
    /// The address of this thread's C `errno`.
    #[inline(always)]
    fn location(&self) -> *mut i32 {
        let p = self.location.get();
        if p.is_null() {
            return self.look_up();
        }
        p
    }

    #[cold]
    #[inline(never)]
    fn look_up(&self) -> *mut i32 {
        // SAFETY: no preconditions; the address is constant for the
        // thread's lifetime, so caching it per thread is sound.
        let p = unsafe { __errno_location() };
        self.location.set(p);
        p
    }
}

/// The `errno` saved after the most recent abicall call in this thread
/// (cffi's `ffi.errno`; re-exported as `call::errno`).
///
/// ```
/// abicall::call::set_errno(7);
/// assert_eq!(abicall::call::errno(), 7);
/// assert_eq!(abicall::call::errno::saved(), 7);
/// ```
#[inline]
pub fn saved() -> i32 {
    STATE.with(|s| s.saved.get())
}

/// Sets the saved `errno`; it is put into C's `errno` before the next call
/// (re-exported as `call::set_errno`).
#[inline]
pub fn set_saved(v: i32) {
    STATE.with(|s| s.saved.set(v))
}

/// Runs `call` (a call into C) with the saved `errno` restored before it
/// and C's `errno` saved after it, reaching the thread-local state once.
/// A nested call made by a callback during `call` goes through the same
/// cells, so the value saved last is what C left after the outer call.
///
/// What [`crate::call::RawCall::call`] does around its call; for an
/// embedder calling a trampoline directly ([`crate::call::RawCall::jit_entry`],
/// [`crate::call::RawCall::frame_entry`]) that wants the same `errno`.
///
/// ```
/// abicall::call::set_errno(5);
/// let seen = abicall::call::errno::around(|| abicall::call::errno::live());
/// assert_eq!(seen, 5);
/// ```
#[inline(always)]
pub fn around<R>(call: impl FnOnce() -> R) -> R {
    // The state's address, taken once (a small closure the compiler always
    // inlines; the call itself stays outside `with`).
    let s: *const State = STATE.with(|s| s as *const State);
    // SAFETY: `s` is this thread's state, which lives as long as the thread
    // (this call runs on it) and is only used by it; `Cell`s are not shared.
    let s = unsafe { &*s };
    let at = s.location();
    // SAFETY: `at` is this thread's errno, valid and aligned for the
    // thread's life.
    unsafe { *at = s.saved.get() };
    let r = call();
    // SAFETY: as above; reading it right after the call is the point.
    s.saved.set(unsafe { *at });
    r
}

/// Before a call: the saved value into C's `errno` (see [`around`]).
#[inline(always)]
pub(crate) fn before_call() {
    STATE.with(|s| {
        // SAFETY: `location()` is this thread's errno, valid for the thread's life.
        unsafe { *s.location() = s.saved.get() };
    })
}

/// After a call: C's `errno` into the saved value (see [`around`]).
#[inline(always)]
pub(crate) fn after_call() {
    // SAFETY: `location()` is this thread's errno, valid and aligned for
    // the thread's life; reading it right after the call is the point.
    STATE.with(|s| s.saved.set(unsafe { *s.location() }));
}
