//! Checked loads and stores of scalars in C memory (`abicall_load_*`,
//! `abicall_store_*`): every integer kind with a range check, `_Bool`,
//! enums, pointers (as addresses), `float` / `double` / `long double`,
//! `__int128` and `_Complex`, at a member path, so bitfields are read and
//! written like any member. The conversions are the engine's: a store that
//! does not fit the C type is refused, never truncated.

use super::args::{c_str, out};
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::live;
use super::types::{abicall_type, TypeRef};
use abicall::memory::CData;
use abicall::read_types as read;
use abicall::types::{Prim, TypeKind, Types};
use abicall::{Error, Value};
use std::ffi::{c_char, c_void};

/// Runs `f` on a view of the object of type `ty` at `ptr`, or of its
/// member `path` (NULL or `""`: the object itself).
///
/// # Safety
/// `ty` a type handle; `ptr` points to a readable (for a store: writable)
/// object of that type; `path` NULL or a NUL-terminated string.
unsafe fn with_view<R>(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    f: impl FnOnce(&Types, &TypeRef, &CData) -> Result<R, Fail>,
) -> Result<R, Fail> {
    // SAFETY: `with_view`'s contract holds: `ty` a type handle; `ptr` points to a readable (for a
    // store: writable) object of that type; `path` NULL or a NUL-terminated string (`live`,
    // `c_str` rely on it).
    let t = unsafe { live(ty, "ty") }?;
    if ptr.is_null() {
        return Err(Fail::null("ptr"));
    }
    let path = if path.is_null() {
        ""
    } else {
        // SAFETY: `with_view`'s contract holds: `ty` a type handle; `ptr` points to a readable
        // (for a store: writable) object of that type; `path` NULL or a NUL-terminated string
        // (`c_str` relies on it).
        unsafe { c_str(path, "path") }?
    };
    let types = read(&t.types);
    if let Some(f) = super::types::undefined_tag(&types, t.id) {
        return Err(f);
    }
    let size = types.size_of(t.id)? as usize;
    // SAFETY: `ptr` points to an object of type `ty` (`size` bytes), valid
    // for the duration of this entry (contract); the view does not outlive it.
    let whole = unsafe { CData::from_raw(t.id, ptr as *mut u8, size, None) };
    let view = if path.is_empty() {
        whole
    } else {
        whole.field(&types, path)?
    };
    f(&types, t, &view)
}

fn convert(types: &Types, v: &CData, message: String) -> Fail {
    Error::Convert {
        ty: types.display(v.ty()),
        message,
    }
    .into()
}

/// The value as an integer (integers, enums, `_Bool`, pointer addresses).
fn as_int(types: &Types, v: &CData, val: &Value) -> Result<i128, Fail> {
    match val {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i128),
        Value::Pointer(p) => Ok(p.addr() as i128),
        Value::UInt(u) => i128::try_from(*u).map_err(|_| convert(types, v, format!("{u} does not fit int64_t"))),
        other => Err(convert(
            types,
            v,
            format!(
                "holds {}, not an integer (use abicall_load_double / _complex)",
                other.kind_name()
            ),
        )),
    }
}

/// The signedness of an integer-like view (pointers: unsigned).
fn signed(types: &Types, v: &CData) -> bool {
    match types.kind(v.ty()) {
        TypeKind::Prim(p) => p.is_signed(types.target()),
        TypeKind::Enum(e) => types.enum_(*e).underlying.is_signed(types.target()),
        _ => false,
    }
}

/// Loads an integer scalar (any integer kind, `_Bool`, an enum, a
/// bitfield, or a pointer's address) from the object of type `ty` at
/// `ptr`, or from its member `path` (`"a.b[2].flags"`; NULL for the object
/// itself). `ABICALL_E_CONVERT` if the value does not fit `int64_t` or the
/// type is not an integer type.
///
/// # Safety
/// `ty` a type handle; `ptr` points to a readable object of that type;
/// `path` NULL or a NUL-terminated string; `out_value` writable; `err` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_load_int(
    ty: *const abicall_type,
    ptr: *const c_void,
    path: *const c_char,
    out_value: *mut i64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_load_int`'s contract holds: `ty` a type handle; `ptr` points to a readable
    // object of that type; `path` NULL or a NUL-terminated string; `out_value` writable; `err`
    // NULL or writable (`entry`, `out` rely on it); a load does not write through `ptr`.
    unsafe {
        entry(err, || {
            let o = out(out_value, "out_value")?;
            let v = with_view(ty, ptr as *mut c_void, path, |types, _, v| {
                let i = as_int(types, v, &v.read(types)?)?;
                i64::try_from(i).map_err(|_| convert(types, v, format!("{i} does not fit int64_t")))
            })?;
            o.set(v);
            Ok(())
        })
    }
}

/// As `abicall_load_int`, for values up to `UINT64_MAX`; a negative value
/// gives `ABICALL_E_CONVERT`.
///
/// # Safety
/// As for `abicall_load_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_load_uint(
    ty: *const abicall_type,
    ptr: *const c_void,
    path: *const c_char,
    out_value: *mut u64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_load_uint`'s contract holds: As for `abicall_load_int` (`entry`, `out` rely
    // on it).
    unsafe {
        entry(err, || {
            let o = out(out_value, "out_value")?;
            let v = with_view(ty, ptr as *mut c_void, path, |types, _, v| {
                let val = v.read(types)?;
                let i: u128 = match val {
                    Value::UInt(u) => u,
                    other => {
                        let i = as_int(types, v, &other)?;
                        u128::try_from(i).map_err(|_| convert(types, v, format!("{i} is negative")))?
                    }
                };
                u64::try_from(i).map_err(|_| convert(types, v, format!("{i} does not fit uint64_t")))
            })?;
            o.set(v);
            Ok(())
        })
    }
}

/// Loads a `__int128` / `unsigned __int128` (or any narrower integer,
/// sign- or zero-extended) as two 64-bit halves of its two's complement
/// bits.
///
/// # Safety
/// As for `abicall_load_int`; `out_lo`, `out_hi` writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_load_int128(
    ty: *const abicall_type,
    ptr: *const c_void,
    path: *const c_char,
    out_lo: *mut u64,
    out_hi: *mut u64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_load_int128`'s contract holds: As for `abicall_load_int`; `out_lo`,
    // `out_hi` writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let lo = out(out_lo, "out_lo")?;
            let hi = out(out_hi, "out_hi")?;
            let bits = with_view(ty, ptr as *mut c_void, path, |types, _, v| match v.read(types)? {
                Value::UInt(u) => Ok(u),
                other => Ok(as_int(types, v, &other)? as u128),
            })?;
            lo.set(bits as u64);
            hi.set((bits >> 64) as u64);
            Ok(())
        })
    }
}

/// Loads a real floating value (`float`, `double`, `long double` rounded
/// to `double`) or an integer converted to `double`.
/// `ABICALL_E_CONVERT` for complex, pointer and aggregate types.
///
/// # Safety
/// As for `abicall_load_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_load_double(
    ty: *const abicall_type,
    ptr: *const c_void,
    path: *const c_char,
    out_value: *mut f64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_load_double`'s contract holds: As for `abicall_load_int` (`entry`, `out`
    // rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_value, "out_value")?;
            let v = with_view(ty, ptr as *mut c_void, path, |types, _, v| match v.read(types)? {
                Value::Float(f) => Ok(f),
                Value::LongDouble(l) => Ok(l.to_f64()),
                Value::Int(i) => Ok(i as f64),
                Value::UInt(u) => Ok(u as f64),
                Value::Bool(b) => Ok(b as u8 as f64),
                other => Err(convert(
                    types,
                    v,
                    format!("holds {}, not a real number", other.kind_name()),
                )),
            })?;
            o.set(v);
            Ok(())
        })
    }
}

/// Loads a `_Complex` value (`long double _Complex` rounded to `double`);
/// a real value loads with imaginary part 0.
///
/// # Safety
/// As for `abicall_load_int`; `out_re`, `out_im` writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_load_complex(
    ty: *const abicall_type,
    ptr: *const c_void,
    path: *const c_char,
    out_re: *mut f64,
    out_im: *mut f64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_load_complex`'s contract holds: As for `abicall_load_int`; `out_re`,
    // `out_im` writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let re = out(out_re, "out_re")?;
            let im = out(out_im, "out_im")?;
            let (r, i) = with_view(ty, ptr as *mut c_void, path, |types, _, v| match v.read(types)? {
                Value::Complex(r, i) => Ok((r, i)),
                Value::Float(f) => Ok((f, 0.0)),
                Value::LongDouble(l) => Ok((l.to_f64(), 0.0)),
                other => Err(convert(types, v, format!("holds {}, not a number", other.kind_name()))),
            })?;
            re.set(r);
            im.set(i);
            Ok(())
        })
    }
}

/// Stores `value` through a checked view.
///
/// # Safety
/// As for [`with_view`], with `ptr` writable.
unsafe fn store(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    value: impl FnOnce(&Types, &CData) -> Value,
) -> Result<(), Fail> {
    // SAFETY: `store`'s contract holds: As for [`with_view`], with `ptr` writable.
    unsafe {
        with_view(ty, ptr, path, |types, _, v| {
            if matches!(types.kind(v.ty()), TypeKind::Record(_) | TypeKind::Array { .. }) {
                return Err(convert(types, v, "is not a scalar".into()));
            }
            Ok(v.write(types, &value(types, v))?)
        })
    }
}

/// Stores an integer into an integer scalar, `_Bool` (0 or 1 only), enum,
/// bitfield or floating scalar of the object of type `ty` at `ptr` (or its
/// member `path`). A value out of the C type's range (a bitfield's: its
/// width) gives `ABICALL_E_CONVERT` and leaves the memory unchanged.
///
/// # Safety
/// `ty` a type handle; `ptr` points to a writable object of that type;
/// `path` NULL or a NUL-terminated string; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_store_int(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    value: i64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_store_int`'s contract holds: `ty` a type handle; `ptr` points to a writable
    // object of that type; `path` NULL or a NUL-terminated string; `err` NULL or writable (`entry`
    // rely on it).
    unsafe { entry(err, || store(ty, ptr, path, |_, _| Value::Int(value as i128))) }
}

/// As `abicall_store_int`, for an unsigned value.
///
/// # Safety
/// As for `abicall_store_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_store_uint(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    value: u64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_store_uint`'s contract holds: As for `abicall_store_int` (`entry` rely on
    // it).
    unsafe { entry(err, || store(ty, ptr, path, |_, _| Value::Int(value as i128))) }
}

/// Stores a 128-bit integer given as two 64-bit halves of its two's
/// complement bits, read as signed or unsigned after the destination's
/// type; range-checked like `abicall_store_int`.
///
/// # Safety
/// As for `abicall_store_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_store_int128(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    lo: u64,
    hi: u64,
    err: *mut abicall_error,
) -> abicall_status {
    let bits = ((hi as u128) << 64) | lo as u128;
    // SAFETY: `abicall_store_int128`'s contract holds: As for `abicall_store_int` (`entry` rely on
    // it).
    unsafe {
        entry(err, || {
            store(ty, ptr, path, |types, v| {
                if signed(types, v) {
                    Value::Int(bits as i128)
                } else {
                    Value::UInt(bits)
                }
            })
        })
    }
}

/// Stores a real number into a floating scalar (`long double`: exactly;
/// `float`: rounded) or, if it is integral and in range, an integer one
/// (`ABICALL_E_CONVERT` otherwise: 2.5 is not an `int`).
///
/// # Safety
/// As for `abicall_store_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_store_double(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    value: f64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_store_double`'s contract holds: As for `abicall_store_int` (`entry` rely on
    // it).
    unsafe {
        entry(err, || {
            store(ty, ptr, path, |types, v| {
                let int_slot = match types.kind(v.ty()) {
                    TypeKind::Prim(p) => p.is_integer() || *p == Prim::Bool,
                    TypeKind::Enum(_) => true,
                    _ => false,
                };
                // An integral value in range of i128 goes in as an integer
                // (range-checked by the engine); anything else stays a float
                // and the engine refuses it for an integer slot.
                if int_slot && value.fract() == 0.0 && value.abs() < 1.7e38 {
                    Value::Int(value as i128)
                } else {
                    Value::Float(value)
                }
            })
        })
    }
}

/// Stores a complex number into a `_Complex` scalar.
///
/// # Safety
/// As for `abicall_store_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_store_complex(
    ty: *const abicall_type,
    ptr: *mut c_void,
    path: *const c_char,
    re: f64,
    im: f64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_store_complex`'s contract holds: As for `abicall_store_int` (`entry` rely
    // on it).
    unsafe { entry(err, || store(ty, ptr, path, |_, _| Value::Complex(re, im))) }
}
