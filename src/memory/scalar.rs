//! Scalars in C memory: `Value` ↔ bytes of one primitive type, with cffi's
//! checks (out-of-range integers, floats given for integers, ...). No
//! allocation except for error messages.

use super::longdouble;
use super::ptr::Ptr;
use super::value::{LongDouble, Value};
use crate::error::{Error, MemoryErrorKind, Result};
use crate::target::Target;
use crate::types::{int_fits, Prim, TypeId, TypeKind, Types};

/// Largest primitive in bytes (`long double _Complex`).
pub const MAX_SCALAR: usize = 32;

pub(crate) fn convert_err(ty: &str, message: String) -> Error {
    Error::Convert {
        ty: ty.to_string(),
        message,
    }
}

/// Range of an integer type, for messages.
pub(crate) fn int_range(p: Prim, target: Target) -> String {
    let bits = p.size_align(target).0 * 8;
    if p == Prim::Bool {
        "0..=1".to_string()
    } else if p.is_signed(target) {
        if bits >= 128 {
            format!("{}..={}", i128::MIN, i128::MAX)
        } else {
            format!("{}..={}", -(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        }
    } else if bits >= 128 {
        format!("0..={}", u128::MAX)
    } else {
        format!("0..={}", (1u128 << bits) - 1)
    }
}

/// The integer a value holds for an integer slot, as two's complement bits
/// (already range-checked against `p`).
fn int_bits(p: Prim, target: Target, v: &Value, tyname: &dyn Fn() -> String) -> Result<u128> {
    match v {
        Value::Int(i) => {
            if int_fits(p, *i, target) {
                Ok(*i as u128)
            } else {
                Err(convert_err(
                    &tyname(),
                    format!("integer {i} is out of range ({})", int_range(p, target)),
                ))
            }
        }
        Value::UInt(u) => {
            if p == Prim::UInt128 || i128::try_from(*u).is_ok_and(|i| int_fits(p, i, target)) {
                Ok(*u)
            } else {
                Err(convert_err(
                    &tyname(),
                    format!("integer {u} is out of range ({})", int_range(p, target)),
                ))
            }
        }
        Value::Bool(b) => Ok(*b as u128),
        other => Err(convert_err(
            &tyname(),
            format!(
                "expected an integer, got {}{}",
                other.kind_name(),
                if matches!(other, Value::Float(_) | Value::LongDouble(_)) {
                    " (use cast for a C conversion)"
                } else {
                    ""
                }
            ),
        )),
    }
}

fn real_of(v: &Value, tyname: &dyn Fn() -> String) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::LongDouble(l) => Ok(l.to_f64()),
        Value::Int(i) => Ok(*i as f64),
        Value::UInt(u) => Ok(*u as f64),
        Value::Bool(b) => Ok(*b as u8 as f64),
        other => Err(convert_err(
            &tyname(),
            format!("expected a number, got {}", other.kind_name()),
        )),
    }
}

/// Encodes `v` as primitive `p` into `out[..size]`; returns the size.
/// `tyname` names the slot's type in errors (only called on error).
pub(crate) fn encode(
    p: Prim,
    target: Target,
    v: &Value,
    out: &mut [u8; MAX_SCALAR],
    tyname: &dyn Fn() -> String,
) -> Result<usize> {
    let size = p.size_align(target).0 as usize;
    if p.is_integer() {
        let bits = int_bits(p, target, v, tyname)?;
        out[..16].copy_from_slice(&bits.to_le_bytes());
        return Ok(size);
    }
    match p {
        Prim::Float => {
            let f = real_of(v, tyname)? as f32;
            out[..4].copy_from_slice(&f.to_le_bytes());
        }
        Prim::Double => {
            let f = real_of(v, tyname)?;
            out[..8].copy_from_slice(&f.to_le_bytes());
        }
        Prim::LongDouble => {
            let fmt = target.long_double_format();
            let bytes = match v {
                Value::LongDouble(l) if l.format == fmt => l.bytes,
                _ => longdouble::encode(real_of(v, tyname)?, fmt),
            };
            out[..16].copy_from_slice(&bytes);
        }
        Prim::FloatComplex | Prim::DoubleComplex | Prim::LongDoubleComplex => {
            let (re, im) = match v {
                Value::Complex(re, im) => (*re, *im),
                other => (real_of(other, tyname)?, 0.0),
            };
            match p {
                Prim::FloatComplex => {
                    out[..4].copy_from_slice(&(re as f32).to_le_bytes());
                    out[4..8].copy_from_slice(&(im as f32).to_le_bytes());
                }
                Prim::DoubleComplex => {
                    out[..8].copy_from_slice(&re.to_le_bytes());
                    out[8..16].copy_from_slice(&im.to_le_bytes());
                }
                _ => {
                    let fmt = target.long_double_format();
                    let half = size / 2;
                    out[..half].copy_from_slice(&longdouble::encode(re, fmt)[..half]);
                    out[half..size].copy_from_slice(&longdouble::encode(im, fmt)[..half]);
                }
            }
        }
        _ => {
            return Err(convert_err(
                &tyname(),
                "a `void` object cannot hold a value".to_string(),
            ));
        }
    }
    Ok(size)
}

fn f32_at(b: &[u8], at: usize) -> f64 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    f32::from_le_bytes(a) as f64
}

fn f64_at(b: &[u8], at: usize) -> f64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    f64::from_le_bytes(a)
}

/// Decodes primitive `p` from `b` (at least its size). `void` reads as `Null`.
pub(crate) fn decode(p: Prim, target: Target, b: &[u8]) -> Value {
    let size = p.size_align(target).0 as usize;
    if p == Prim::Bool {
        return Value::Bool(b[0] & 1 != 0);
    }
    if p.is_integer() {
        let mut a = [0u8; 16];
        a[..size].copy_from_slice(&b[..size]);
        let raw = u128::from_le_bytes(a);
        let bits = size * 8;
        if p.is_signed(target) {
            let shift = 128 - bits;
            return Value::Int(((raw << shift) as i128) >> shift);
        }
        return match i128::try_from(raw) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::UInt(raw),
        };
    }
    let fmt = target.long_double_format();
    match p {
        Prim::Float => Value::Float(f32_at(b, 0)),
        Prim::Double => Value::Float(f64_at(b, 0)),
        Prim::LongDouble => {
            let mut bytes = [0u8; 16];
            let n = longdouble::value_bytes(fmt);
            bytes[..n].copy_from_slice(&b[..n]);
            Value::LongDouble(LongDouble { bytes, format: fmt })
        }
        Prim::FloatComplex => Value::Complex(f32_at(b, 0), f32_at(b, 4)),
        Prim::DoubleComplex => Value::Complex(f64_at(b, 0), f64_at(b, 8)),
        Prim::LongDoubleComplex => {
            let half = size / 2;
            let mut re = [0u8; 16];
            let mut im = [0u8; 16];
            re[..half].copy_from_slice(&b[..half]);
            im[..half].copy_from_slice(&b[half..size]);
            Value::Complex(longdouble::decode(&re, fmt), longdouble::decode(&im, fmt))
        }
        _ => Value::Null,
    }
}

/// For enums, an enumerator name given as `Str` becomes its value.
pub(crate) fn enum_value(types: &Types, ty: TypeId, v: &Value) -> Result<Option<i128>> {
    if let (TypeKind::Enum(e), Value::Str(name)) = (types.kind(ty), v) {
        let en = types.enum_(*e);
        return match en.values.iter().find(|(n, _)| n.as_bytes() == name.as_slice()) {
            Some((_, val)) => Ok(Some(*val)),
            None => Err(convert_err(
                &types.display(ty),
                format!("`{}` is not an enumerator of it", String::from_utf8_lossy(name)),
            )),
        };
    }
    Ok(None)
}

/// Encodes `v` as a value of scalar type `ty` (primitive, enum or pointer)
/// into the first bytes of `out` (little-endian, as stored in memory);
/// returns the number of bytes (`sizeof(ty)`). Allocation-free except for
/// error messages. This is what the call layer uses for arguments.
///
/// Besides the rules of [`crate::memory::CData::write`], a one-byte `Str`
/// is accepted for `char`-sized integers (cffi's `b"x"`) and an enumerator
/// name for enums.
pub fn encode_value(types: &Types, ty: TypeId, v: &Value, out: &mut [u8; MAX_SCALAR]) -> Result<usize> {
    let target = types.target();
    let tyname = || types.display(ty);
    match types.kind(ty) {
        TypeKind::Pointer(pt) => {
            let addr = pointer_value(types, *pt, v, &tyname)?;
            out[..8].copy_from_slice(&(addr as u64).to_le_bytes());
            Ok(8)
        }
        TypeKind::Prim(_) | TypeKind::Enum(_) => {
            let p = types.as_prim(ty).unwrap_or(Prim::Int);
            let e = enum_value(types, ty, v)?;
            let ch = match (v, p) {
                (Value::Str(b), Prim::Char | Prim::SChar | Prim::UChar) if b.len() == 1 => {
                    Some(if p.is_signed(target) {
                        b[0] as i8 as i128
                    } else {
                        b[0] as i128
                    })
                }
                _ => None,
            };
            let iv = e.or(ch).map(Value::Int);
            encode(p, target, iv.as_ref().unwrap_or(v), out, &tyname)
        }
        _ => Err(convert_err(&tyname(), "not a scalar type".to_string())),
    }
}

/// Decodes a value of scalar type `ty` (primitive, enum or pointer) from
/// the bytes as stored in memory. Allocation-free; the call layer uses it
/// for return values.
pub fn decode_value(types: &Types, ty: TypeId, b: &[u8]) -> Result<Value> {
    let target = types.target();
    let need = match types.kind(ty) {
        TypeKind::Pointer(_) => 8,
        TypeKind::Prim(_) | TypeKind::Enum(_) => types.size_of(ty)? as usize,
        _ => {
            return Err(convert_err(&types.display(ty), "not a scalar type".to_string()));
        }
    };
    if b.len() < need {
        return Err(Error::memory(
            MemoryErrorKind::Size,
            format!("{} bytes given for `{}` of size {need}", b.len(), types.display(ty)),
        ));
    }
    Ok(match types.kind(ty) {
        TypeKind::Pointer(pt) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[..8]);
            Value::Pointer(Ptr::new(u64::from_le_bytes(a) as usize, *pt))
        }
        _ => decode(types.as_prim(ty).unwrap_or(Prim::Int), target, b),
    })
}

/// The address a value stores into a pointer slot to `pointee`.
pub(crate) fn pointer_value(types: &Types, pointee: TypeId, v: &Value, tyname: &dyn Fn() -> String) -> Result<usize> {
    let compatible = |from: TypeId| {
        let void = |t: TypeId| matches!(types.kind(t), TypeKind::Prim(Prim::Void));
        from == pointee || void(from) || void(pointee) || types.same_kind_modulo_alias(from, pointee)
    };
    match v {
        Value::Null => Ok(0),
        Value::Pointer(p) => {
            if compatible(p.pointee()) || p.is_null() {
                Ok(p.addr())
            } else {
                Err(convert_err(
                    &tyname(),
                    format!(
                        "incompatible pointer to `{}` (use cast to convert)",
                        types.display(p.pointee())
                    ),
                ))
            }
        }
        Value::CData(c) => {
            let decayed = match types.kind(c.ty()) {
                TypeKind::Array { elem, .. } => compatible(*elem),
                _ => false,
            };
            if decayed || compatible(c.ty()) {
                c.address()
            } else {
                Err(convert_err(
                    &tyname(),
                    format!("cannot point to an object of type `{}`", types.display(c.ty())),
                ))
            }
        }
        other => Err(convert_err(
            &tyname(),
            format!(
                "expected a pointer, NULL or cdata, got {}{}",
                other.kind_name(),
                if matches!(other, Value::Int(_) | Value::UInt(_)) {
                    " (use cast to make a pointer from an integer)"
                } else {
                    ""
                }
            ),
        )),
    }
}
