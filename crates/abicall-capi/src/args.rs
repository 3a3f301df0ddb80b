//! Reading C arguments: strings, arrays, out-pointers — each checked for
//! NULL (and strings for UTF-8) with a message naming the argument.

use super::error::Fail;
use std::ffi::{c_char, CStr};

/// A checked, non-NULL out-pointer, written once the entry has succeeded.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Writes the result.
    pub(crate) fn set(self, v: T) {
        // SAFETY: non-NULL (checked in `out`) and writable (the caller's
        // contract for out-pointers); `write` does not read the old value.
        unsafe { self.0.write(v) }
    }
}

/// Checks an out-pointer named `arg`.
pub(crate) fn out<T>(p: *mut T, arg: &str) -> Result<Out<T>, Fail> {
    if p.is_null() {
        Err(Fail::null(arg))
    } else {
        Ok(Out(p))
    }
}

/// An optional out-pointer: NULL means "not wanted".
pub(crate) fn out_opt<T>(p: *mut T) -> Option<Out<T>> {
    (!p.is_null()).then_some(Out(p))
}

fn utf8<'a>(bytes: &'a [u8], arg: &str) -> Result<&'a str, Fail> {
    std::str::from_utf8(bytes)
        .map_err(|e| Fail::invalid(format!("`{arg}` is not valid UTF-8 (at byte {})", e.valid_up_to())))
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn c_str<'a>(p: *const c_char, arg: &str) -> Result<&'a str, Fail> {
    if p.is_null() {
        return Err(Fail::null(arg));
    }
    // SAFETY: non-NULL and NUL-terminated (contract).
    utf8(unsafe { CStr::from_ptr(p) }.to_bytes(), arg)
}

/// A string argument given as pointer + length (NULL allowed for length 0).
///
/// # Safety
/// `p` points to `len` readable bytes that outlive `'a` (or `len` is 0).
pub(crate) unsafe fn text<'a>(p: *const c_char, len: usize, arg: &str) -> Result<&'a str, Fail> {
    if len == 0 {
        return Ok("");
    }
    if p.is_null() {
        return Err(Fail::null(arg));
    }
    // SAFETY: `len` readable bytes (contract).
    utf8(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) }, arg)
}

/// An array argument of `n` elements (NULL allowed for `n == 0`).
///
/// # Safety
/// `p` points to `n` readable elements that outlive `'a` (or `n` is 0).
pub(crate) unsafe fn array<'a, T>(p: *const T, n: usize, arg: &str) -> Result<&'a [T], Fail> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::null(arg));
    }
    // SAFETY: `n` readable elements (contract).
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Copies `s` to `buf` `snprintf`-style and stores its length to `len`.
///
/// # Safety
/// `buf` has `cap` writable bytes (NULL allowed when `cap` is 0).
pub(crate) unsafe fn copy_name(s: &str, buf: *mut c_char, cap: usize, len: *mut usize) -> Result<(), Fail> {
    if cap > 0 {
        if buf.is_null() {
            return Err(Fail::null("buf"));
        }
        let n = s.len().min(cap - 1);
        // SAFETY: `buf` has `cap` > n writable bytes (contract).
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), n);
            *buf.add(n) = 0;
        }
    }
    if let Some(o) = out_opt(len) {
        o.set(s.len());
    }
    Ok(())
}
