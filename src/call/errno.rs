//! `errno` as cffi models it: the value C left in `errno` after the most
//! recent call made through abicall *in this thread* is saved, and the saved
//! value is put back into `errno` right before the next call.

use std::cell::Cell;

thread_local! {
    static SAVED: Cell<i32> = const { Cell::new(0) };
}

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" {
    fn __errno_location() -> *mut i32;
}
#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
extern "C" {
    #[link_name = "__error"]
    fn __errno_location() -> *mut i32;
}

/// The C `errno` of the calling thread, read right now.
pub fn c_errno() -> i32 {
    // SAFETY: `__errno_location` returns the calling thread's errno slot,
    // valid for the thread's lifetime.
    unsafe { *__errno_location() }
}

/// Sets the C `errno` of the calling thread right now.
pub fn set_c_errno(v: i32) {
    // SAFETY: as in `c_errno`.
    unsafe { *__errno_location() = v }
}

/// The `errno` saved after the most recent abicall call in this thread
/// (cffi's `ffi.errno`).
///
/// ```
/// abicall::call::set_errno(7);
/// assert_eq!(abicall::call::errno(), 7);
/// ```
pub fn errno() -> i32 {
    SAVED.with(|s| s.get())
}

/// Sets the saved `errno`; it is put into C's `errno` before the next call.
pub fn set_errno(v: i32) {
    SAVED.with(|s| s.set(v))
}

/// Around a call: restore before, save after.
#[inline]
pub(crate) fn before_call() {
    set_c_errno(errno());
}

#[inline]
pub(crate) fn after_call() {
    set_errno(c_errno());
}
