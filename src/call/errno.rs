//! `errno` as cffi models it: the value C left in `errno` after the most
//! recent call made through abicall *in this thread* is saved, and the saved
//! value is put back into `errno` right before the next call.

use std::cell::Cell;

thread_local! {
    static SAVED: Cell<i32> = const { Cell::new(0) };
    /// This thread's `&errno`, looked up once (`__errno_location()` returns
    /// the same address for the thread's lifetime): saves two calls per call.
    static LOCATION: Cell<*mut i32> = const { Cell::new(std::ptr::null_mut()) };
}

/// The address of this thread's C `errno`.
#[inline(always)]
fn location() -> *mut i32 {
    LOCATION.with(|l| {
        let p = l.get();
        if p.is_null() {
            let p = crate::memory::errno::location();
            l.set(p);
            p
        } else {
            p
        }
    })
}

/// The `errno` saved after the most recent abicall call in this thread
/// (cffi's `ffi.errno`).
///
/// ```
/// abicall::call::set_errno(7);
/// assert_eq!(abicall::call::errno(), 7);
/// ```
#[inline]
pub fn errno() -> i32 {
    SAVED.with(|s| s.get())
}

/// Sets the saved `errno`; it is put into C's `errno` before the next call.
#[inline]
pub fn set_errno(v: i32) {
    SAVED.with(|s| s.set(v))
}

/// Around a call: restore before, save after.
#[inline(always)]
pub(crate) fn before_call() {
    // SAFETY: `location()` is this thread's errno, valid for the thread's life.
    unsafe { *location() = errno() };
}

#[inline(always)]
pub(crate) fn after_call() {
    // SAFETY: as above.
    set_errno(unsafe { *location() });
}
