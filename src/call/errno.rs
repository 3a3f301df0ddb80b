//! `errno` as cffi models it: the value C left in `errno` after the most
//! recent call made through abicall *in this thread* is saved, and the saved
//! value is put back into `errno` right before the next call.

use std::cell::Cell;

thread_local! {
    static SAVED: Cell<i32> = const { Cell::new(0) };
}

use crate::memory::errno::{get as c_errno, set as set_c_errno};

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
