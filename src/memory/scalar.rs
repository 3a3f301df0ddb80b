//! Scalars in C memory: `Value` ↔ bytes of one primitive type, with cffi's
//! checks (out-of-range integers, floats given for integers, ...). No
//! allocation except for error messages.

use super::longdouble;
use crate::error::{Error, Result};
use crate::target::Target;
use crate::types::{int_fits, Prim};
use crate::value::{LongDouble, Value};

/// Largest primitive in bytes (`long double _Complex`).
pub(crate) const MAX_SCALAR: usize = 32;

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
