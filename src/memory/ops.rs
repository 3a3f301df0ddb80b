//! Bulk operations on C memory: `string`, `unpack`, `memmove`, buffers.

use super::cdata::{check_ty, CData};
use super::ptr::Ptr;
use super::value::Value;
use crate::error::{Error, MemoryErrorKind, Result};
use crate::types::{Prim, TypeKind, Types};

/// Element size of an array (or scalar) of integer characters.
fn char_unit(types: &Types, c: &CData) -> Option<usize> {
    let t = match types.kind(c.ty()) {
        TypeKind::Array { elem, .. } => *elem,
        _ => c.ty(),
    };
    let p = types.as_prim(t)?;
    if p.is_integer() && p != Prim::Bool {
        types.size_of(t).ok().map(|s| s as usize)
    } else {
        None
    }
}

/// Code units read until NUL, `maxlen` units, or `avail` bytes run out.
fn units(c: &CData, unit: usize, maxlen: Option<usize>) -> Result<Vec<u32>> {
    let max = (c.available() / unit).min(maxlen.unwrap_or(usize::MAX));
    let mut out = Vec::new();
    let mut b = [0u8; 4];
    for i in 0..max {
        c.read_bytes(i * unit, &mut b[..unit])?;
        let u = match unit {
            1 => b[0] as u32,
            2 => u16::from_le_bytes([b[0], b[1]]) as u32,
            _ => u32::from_le_bytes(b),
        };
        if u == 0 {
            break;
        }
        out.push(u);
    }
    Ok(out)
}

fn decode_wide(units: &[u32], unit: usize) -> Result<String> {
    if unit == 2 {
        let u16s: Vec<u16> = units.iter().map(|&u| u as u16).collect();
        return String::from_utf16(&u16s)
            .map_err(|_| Error::memory(MemoryErrorKind::Encoding, "invalid UTF-16 in wide string".to_string()));
    }
    units
        .iter()
        .map(|&u| {
            char::from_u32(u).ok_or_else(|| {
                Error::memory(
                    MemoryErrorKind::Encoding,
                    format!("invalid code point {u:#x} in wide string"),
                )
            })
        })
        .collect()
}

impl CData {
    /// The bytes of a `char` array up to the first NUL (or `maxlen` bytes,
    /// or the end of the known memory) — cffi's `string()` for `char` data.
    pub fn string(&self, types: &Types, maxlen: Option<usize>) -> Result<Vec<u8>> {
        check_ty(types, self.ty())?;
        match char_unit(types, self) {
            Some(1) => Ok(units(self, 1, maxlen)?.into_iter().map(|u| u as u8).collect()),
            _ => Err(Error::memory(
                MemoryErrorKind::WrongType,
                format!(
                    "string() needs char data, not `{}`{}",
                    types.display(self.ty()),
                    if matches!(types.kind(self.ty()), TypeKind::Pointer(_)) {
                        " (read the pointer, then use the unsafe Ptr::string)"
                    } else {
                        ""
                    }
                ),
            )),
        }
    }

    /// The text of a `wchar_t` / `char32_t` (4-byte units, UTF-32) or
    /// `char16_t` (2-byte units, UTF-16) array up to the first NUL (or
    /// `maxlen` units, or the end of the known memory).
    pub fn wstring(&self, types: &Types, maxlen: Option<usize>) -> Result<String> {
        check_ty(types, self.ty())?;
        match char_unit(types, self) {
            Some(u @ (2 | 4)) => decode_wide(&units(self, u, maxlen)?, u),
            _ => Err(Error::memory(
                MemoryErrorKind::WrongType,
                format!(
                    "wstring() needs 2- or 4-byte character data, not `{}`",
                    types.display(self.ty())
                ),
            )),
        }
    }

    /// The first `n` elements of an array object as values (cffi's
    /// `unpack`), checked against the array's length.
    pub fn unpack(&self, types: &Types, n: usize) -> Result<Vec<Value>> {
        let len = self.len(types).ok_or_else(|| {
            Error::memory(
                MemoryErrorKind::WrongType,
                format!("unpack needs an array, not `{}`", types.display(self.ty())),
            )
        })?;
        if n > len {
            return Err(Error::memory(
                MemoryErrorKind::OutOfBounds,
                format!("cannot unpack {n} elements of an array of {len}"),
            ));
        }
        (0..n).map(|i| self.index(types, i)?.read(types)).collect()
    }

    /// A buffer view of the object's bytes (`size`: that many bytes from its
    /// start, within the known memory; default: the object's size).
    pub fn buffer(&self, types: &Types, size: Option<usize>) -> Result<Buffer> {
        check_ty(types, self.ty())?;
        let len = match size {
            Some(n) => n,
            None => self.size(types)?,
        };
        self.address()?;
        self.span(0, len)?;
        Ok(Buffer {
            data: self.clone(),
            len,
        })
    }
}

impl Ptr {
    /// The bytes at the pointer up to the first NUL or `maxlen` bytes.
    ///
    /// # Safety
    /// The bytes up to the NUL (or `maxlen` bytes) must be readable.
    pub unsafe fn string(&self, maxlen: Option<usize>) -> Result<Vec<u8>> {
        // SAFETY: the bytes up to the NUL (or `maxlen`) are readable (this
        // method's contract), which is `string_at`'s.
        unsafe { string_at(self.addr() as *const u8, maxlen) }
    }

    /// The wide text at the pointer (units of `unit` = 2 or 4 bytes) up to
    /// the first NUL or `maxlen` units.
    ///
    /// # Safety
    /// The units up to the NUL (or `maxlen` units) must be readable.
    pub unsafe fn wstring(&self, unit: usize, maxlen: Option<usize>) -> Result<String> {
        // SAFETY: the units up to the NUL (or `maxlen`) are readable (this
        // method's contract), which is `wstring_at`'s.
        unsafe { wstring_at(self.addr() as *const u8, unit, maxlen) }
    }

    /// The first `n` objects at the pointer, as values.
    ///
    /// # Safety
    /// `n` objects of the pointee type must be readable at the address.
    pub unsafe fn unpack(&self, types: &Types, n: usize) -> Result<Vec<Value>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        // SAFETY: `n` objects of the pointee type are readable at the address
        // (this method's contract), which is what `deref(types, n)` needs.
        let arr = unsafe { self.deref(types, n)? };
        (0..n).map(|i| arr.offset(types, i as isize)?.read(types)).collect()
    }
}

/// The bytes at `addr` up to the first NUL or `maxlen` bytes.
///
/// # Safety
/// Those bytes must be readable.
pub unsafe fn string_at(addr: *const u8, maxlen: Option<usize>) -> Result<Vec<u8>> {
    if addr.is_null() {
        return Err(Error::memory(
            MemoryErrorKind::Null,
            "string() of a NULL pointer".to_string(),
        ));
    }
    let mut out = Vec::new();
    let max = maxlen.unwrap_or(usize::MAX);
    while out.len() < max {
        // SAFETY: the caller guarantees the bytes up to the NUL / maxlen are readable.
        let b = unsafe { addr.add(out.len()).read() };
        if b == 0 {
            break;
        }
        out.push(b);
    }
    Ok(out)
}

/// The wide text at `addr` (units of `unit` = 2 or 4 bytes, UTF-16 or
/// UTF-32) up to the first NUL or `maxlen` units.
///
/// # Safety
/// Those units must be readable.
pub unsafe fn wstring_at(addr: *const u8, unit: usize, maxlen: Option<usize>) -> Result<String> {
    if addr.is_null() {
        return Err(Error::memory(
            MemoryErrorKind::Null,
            "wstring() of a NULL pointer".to_string(),
        ));
    }
    if unit != 2 && unit != 4 {
        return Err(Error::memory(
            MemoryErrorKind::WrongType,
            format!("wide character unit must be 2 or 4 bytes, not {unit}"),
        ));
    }
    let mut us = Vec::new();
    let max = maxlen.unwrap_or(usize::MAX);
    while us.len() < max {
        let mut b = [0u8; 4];
        // SAFETY: the caller guarantees the units up to the NUL / maxlen are readable.
        unsafe { std::ptr::copy_nonoverlapping(addr.add(us.len() * unit), b.as_mut_ptr(), unit) };
        let u = if unit == 2 {
            u16::from_le_bytes([b[0], b[1]]) as u32
        } else {
            u32::from_le_bytes(b)
        };
        if u == 0 {
            break;
        }
        us.push(u);
    }
    decode_wide(&us, unit)
}

/// Copies `n` bytes from `src` to `dest` (which may overlap), checked
/// against both objects' known memory.
pub fn memmove(dest: &CData, src: &CData, n: usize) -> Result<()> {
    dest.address()?;
    src.address()?;
    let d = dest.span(0, n)?;
    let s = src.span(0, n)?;
    // SAFETY: both ranges were checked to lie in memory the views may access;
    // `copy` allows overlap.
    unsafe { std::ptr::copy(s, d, n) };
    Ok(())
}

/// Copies `n` bytes between raw addresses (which may overlap).
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes.
pub unsafe fn memmove_raw(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: `src` is readable and `dest` writable for `n` bytes (this
    // function's contract); `copy` allows overlap.
    unsafe { std::ptr::copy(src, dest, n) }
}

/// A byte view of C memory (cffi's `ffi.buffer`): reads and writes go
/// straight to the memory, checked against the view's length. Keeps the
/// memory alive.
#[derive(Clone, Debug)]
pub struct Buffer {
    data: CData,
    len: usize,
}

impl Buffer {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a zero-length buffer.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address of the first byte.
    pub fn address(&self) -> usize {
        self.data.address().unwrap_or(0)
    }

    fn check(&self, off: usize, n: usize) -> Result<()> {
        if off.checked_add(n).is_none_or(|e| e > self.len) {
            return Err(Error::memory(
                MemoryErrorKind::OutOfBounds,
                format!(
                    "bytes {off}..{} are outside a buffer of {} bytes",
                    off.saturating_add(n),
                    self.len
                ),
            ));
        }
        Ok(())
    }

    /// Copies `out.len()` bytes starting at `off` out of the buffer.
    pub fn read_at(&self, off: usize, out: &mut [u8]) -> Result<()> {
        self.check(off, out.len())?;
        self.data.read_bytes(off, out)
    }

    /// Copies `data` into the buffer starting at `off`.
    pub fn write_at(&self, off: usize, data: &[u8]) -> Result<()> {
        self.check(off, data.len())?;
        self.data.write_bytes(off, data)
    }

    /// A copy of all bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0u8; self.len];
        // The range was checked when the buffer was made.
        let _ = self.data.read_bytes(0, &mut v);
        v
    }
}
