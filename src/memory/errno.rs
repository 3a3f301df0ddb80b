//! `errno` of the current thread. The call layer saves it right after each
//! foreign call (before anything else can clobber it) and restores it on
//! request, like cffi's `ffi.errno`.
//!
//! glibc (and musl) expose the thread's `errno` through `__errno_location()`,
//! Apple's libc through `__error()`: both return a pointer to the calling
//! thread's `int errno`, valid for the thread's lifetime. abicall does not
//! depend on the `libc` crate, so the one function is declared here.

#[cfg(any(target_os = "linux", target_os = "android"))]
extern "C" {
    fn __errno_location() -> *mut i32;
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
extern "C" {
    #[link_name = "__error"]
    fn __errno_location() -> *mut i32;
}

/// The address of the current thread's `errno` (constant for the thread's
/// lifetime, so callers may cache it per thread).
pub(crate) fn location() -> *mut i32 {
    // SAFETY: as in `get`.
    unsafe { __errno_location() }
}

/// The current thread's `errno`.
pub fn get() -> i32 {
    // SAFETY: `__errno_location` has no preconditions and returns a valid,
    // aligned pointer to this thread's errno.
    unsafe { *__errno_location() }
}

/// Sets the current thread's `errno`.
pub fn set(value: i32) {
    // SAFETY: as in `get`; only this thread accesses its errno.
    unsafe { *__errno_location() = value }
}
