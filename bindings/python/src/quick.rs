//! The quick call path of `Function`: for a signature of integers, floats
//! and pointers with a `void`, integer or floating result, a call whose
//! arguments are exactly `int`, `float`, `bytes` (for a `char *`) or a
//! pointer cdata of the right type writes each value straight into an
//! argument frame on the stack and calls the JIT tier's frame trampoline
//! (`RawCall::frame_entry`), with the GIL released and `errno` handled as
//! on every call. Nothing on the way runs Python code or allocates, and it
//! runs outside PyO3's slot trampoline (whose thread-local GIL count and
//! reference pool cost as much as the call).
//!
//! Anything else — another argument type, an out-of-range value, keyword
//! arguments, a variadic function — is left, before anything is called, to
//! the general path (`Function::call_impl`), which converts or raises as
//! cffi does.

use crate::context::{kind, CDataBase};
use crate::convert::{as_cdata, Conv, Spec};
use crate::scalar::Code;
use abicall::call::{DirectEntry, RawCall};
use pyo3::ffi;
use pyo3::prelude::*;
use std::ffi::c_void;

/// Most arguments the quick path takes.
const ARGS: usize = 16;
/// Bytes of the on-stack frame (16 per argument).
const FRAME: usize = 16 * ARGS;

/// How one argument is written into the frame.
#[derive(Clone, Copy)]
enum Arg {
    /// An `int` in `min..=max`, stored in `size` bytes.
    Int { min: i64, max: i64, size: u8 },
    /// An `int` in `0..=u64::MAX` (an `unsigned long`).
    U64,
    /// A `float` (exactly), stored as a C `float`.
    F32,
    /// A `float` (exactly), stored as a C `double`.
    F64,
    /// A pointer: a pointer or array cdata whose item is `item` (or either
    /// side is `void *`), or `bytes` when `item_char`.
    Ptr { item: usize, item_char: bool, void: bool },
}

/// How the result is returned.
#[derive(Clone, Copy)]
enum Ret {
    Void,
    Scalar(Code),
}

/// The quick path of one `Function` (see the module documentation).
pub struct Quick {
    /// The frame trampoline and the C function (valid while the
    /// `Function`'s `RawCall` lives: they belong to it, and its tier does
    /// not change).
    entry: DirectEntry,
    code: *const c_void,
    /// Offset in the frame and conversion of each argument.
    args: Box<[(u32, Arg)]>,
    ret: Ret,
}

// SAFETY: `code` is the address of a C function, shared like the
// `RawCall` that owns the trampoline.
unsafe impl Send for Quick {}
// SAFETY: as above; nothing in `Quick` is mutated after it is made.
unsafe impl Sync for Quick {}

impl Quick {
    /// The quick path for a call with these parameter and result specs, or
    /// `None` when the signature has a parameter or result it does not take,
    /// or the call is not on the JIT tier.
    pub fn new(raw: &RawCall, params: &[Spec], ret: &Spec, variadic: bool) -> Option<Quick> {
        if variadic || params.len() > ARGS {
            return None;
        }
        let entry = raw.frame_entry()?;
        let (offsets, _) = raw.frame_layout().ok()?;
        let args = params
            .iter()
            .zip(offsets)
            .map(|(s, &off)| {
                if off as usize + 8 > FRAME || s.wchar {
                    return None;
                }
                let a = match s.conv {
                    Conv::Scalar(code) => match code {
                        Code::I8 => int(i8::MIN.into(), i8::MAX.into(), 1),
                        Code::U8 => int(0, u8::MAX.into(), 1),
                        Code::I16 => int(i16::MIN.into(), i16::MAX.into(), 2),
                        Code::U16 => int(0, u16::MAX.into(), 2),
                        Code::I32 => int(i32::MIN.into(), i32::MAX.into(), 4),
                        Code::U32 => int(0, u32::MAX.into(), 4),
                        Code::I64 => int(i64::MIN, i64::MAX, 8),
                        Code::U64 => Arg::U64,
                        Code::F32 => Arg::F32,
                        Code::F64 => Arg::F64,
                        _ => return None,
                    },
                    Conv::Ptr {
                        item,
                        item_kind,
                        item_char,
                    } => Arg::Ptr {
                        item,
                        item_char,
                        void: item_kind == kind::VOID as i64,
                    },
                    _ => return None,
                };
                Some((off, a))
            })
            .collect::<Option<Box<[_]>>>()?;
        let ret = match ret.conv {
            Conv::Void => Ret::Void,
            Conv::Scalar(code) if !ret.wchar && !matches!(code, Code::LongDouble | Code::None) => Ret::Scalar(code),
            _ => return None,
        };
        Some(Quick {
            entry,
            code: raw.code(),
            args,
            ret,
        })
    }

    /// Number of parameters.
    pub fn arg_count(&self) -> usize {
        self.args.len()
    }

    /// Calls with `args` (as many as [`Quick::arg_count`]) when each is of
    /// a kind this path takes: a new reference to the result, or NULL with
    /// a Python exception set (only if converting the result failed).
    /// `None`, having called nothing, when an argument is of another kind.
    ///
    /// # Safety
    /// The GIL is held; `args` are valid borrowed references for the call.
    pub unsafe fn call(&self, args: &[*mut ffi::PyObject]) -> Option<*mut ffi::PyObject> {
        #[repr(C, align(16))]
        struct Frame([u64; FRAME / 8]);
        let mut frame = Frame([0; FRAME / 8]);
        for (&(off, a), &v) in self.args.iter().zip(args) {
            // SAFETY: `v` is a valid borrowed reference (contract).
            let bits = unsafe { arg_bits(a, v) }?;
            // `off + 8 <= FRAME` (checked in `new`), 8-aligned: frame slots
            // are 16-aligned; little-endian, so a narrower argument's bytes
            // are the low bytes the trampoline reads.
            frame.0[off as usize / 8] = bits;
        }
        let mut out = [0u64; 2];
        // SAFETY: the GIL is held (contract).
        let py = unsafe { Python::assume_gil_acquired() };
        let (entry, code) = (self.entry, self.code);
        // Nothing in the GIL-free section touches Python objects (a `bytes`
        // argument's buffer stays alive: the caller holds the object).
        crate::function::without_gil(py, || {
            // SAFETY: the frame trampoline was generated for this call's plan
            // and frame layout and lives as long as the `Function`; every
            // slot holds a value of its parameter's type (converted above);
            // `out` has room for any result this path takes (≤ 16 bytes).
            abicall::call::errno::around(|| unsafe {
                entry(
                    code,
                    frame.0.as_ptr() as *const *const c_void,
                    out.as_mut_ptr() as *mut c_void,
                )
            })
        });
        Some(match self.ret {
            Ret::Void => {
                // SAFETY: the GIL is held; a new reference to `None`.
                unsafe {
                    ffi::Py_IncRef(ffi::Py_None());
                    ffi::Py_None()
                }
            }
            Ret::Scalar(code) => {
                // SAFETY: `out` holds 16 bytes; the result's are the first.
                let b = unsafe { std::slice::from_raw_parts(out.as_ptr() as *const u8, 16) };
                match crate::scalar::decode(py, code, b) {
                    Ok(o) => o.into_ptr(),
                    Err(e) => {
                        e.restore(py);
                        std::ptr::null_mut()
                    }
                }
            }
        })
    }
}

fn int(min: i64, max: i64, size: u8) -> Arg {
    Arg::Int { min, max, size }
}

/// The frame word for argument `v` of kind `a`, or `None` when `v` is not
/// exactly of a type this path converts (no Python code runs here).
///
/// # Safety
/// The GIL is held and `v` is a valid borrowed reference.
unsafe fn arg_bits(a: Arg, v: *mut ffi::PyObject) -> Option<u64> {
    // SAFETY: `v` is a live object (contract).
    let ty = unsafe { ffi::Py_TYPE(v) };
    let long_type = std::ptr::addr_of_mut!(ffi::PyLong_Type);
    match a {
        Arg::Int { min, max, size } if ty == long_type => {
            let mut overflow = 0;
            // SAFETY: `v` is exactly an `int`; this reads it (no Python code).
            let x = unsafe { ffi::PyLong_AsLongLongAndOverflow(v, &mut overflow) };
            if overflow != 0 || x < min || x > max {
                return None;
            }
            let mask = if size == 8 { u64::MAX } else { (1u64 << (8 * size)) - 1 };
            Some(x as u64 & mask)
        }
        Arg::U64 if ty == long_type => {
            let mut overflow = 0;
            // SAFETY: as above.
            let x = unsafe { ffi::PyLong_AsLongLongAndOverflow(v, &mut overflow) };
            (overflow == 0 && x >= 0).then_some(x as u64)
        }
        Arg::F64 | Arg::F32 if ty == std::ptr::addr_of_mut!(ffi::PyFloat_Type) => {
            // SAFETY: `v` is exactly a `float`.
            let x = unsafe { ffi::PyFloat_AS_DOUBLE(v) };
            Some(match a {
                Arg::F32 => (x as f32).to_bits() as u64,
                _ => x.to_bits(),
            })
        }
        Arg::Ptr { item, item_char, void } => {
            if item_char && ty == std::ptr::addr_of_mut!(ffi::PyBytes_Type) {
                // SAFETY: `v` is exactly a `bytes`; its buffer lives as long
                // as the object, which the caller holds for the call.
                return Some(unsafe { ffi::PyBytes_AsString(v) } as u64);
            }
            // SAFETY: the GIL is held (contract).
            let py = unsafe { Python::assume_gil_acquired() };
            // SAFETY: a valid borrowed reference (contract).
            let b = unsafe { pyo3::Borrowed::from_ptr(py, v) };
            let cd: &Bound<'_, CDataBase> = as_cdata(&b)?;
            // SAFETY: plain fields are copied out; no Python code runs.
            let c = unsafe { crate::peek::peek(cd) };
            let ok_kind = c.kind == kind::POINTER || c.kind == kind::ARRAY;
            let ok_item = c.item_id == item || void || c.item_kind == kind::VOID as i64;
            (ok_kind && ok_item).then_some(c._addr as u64)
        }
        _ => None,
    }
}
