//! `cast(type, value)` with C semantics (cffi's `ffi.cast`).

use super::cdata::CData;
use super::ptr::Ptr;
use super::scalar::convert_err;
use super::value::{LongDouble, Value};
use crate::error::Result;
use crate::types::{Prim, TypeId, TypeKind, Types};

/// Converts `v` to type `to` the way a C cast does:
///
/// * integer → integer: keeps the low bits (two's complement wrap), then
///   sign- or zero-extends per the target type; `_Bool`: nonzero → 1;
/// * float → integer: truncates toward zero (values beyond `i128` saturate
///   first), then wraps as above; NaN and infinities are an error (undefined
///   in C);
/// * integer / float → float: rounds to the target format (`float`
///   rounds to single precision);
/// * complex → real: the real part (C11 6.3.1.7); real → complex: `(x, 0)`;
/// * integer → pointer and pointer → integer: the address bits (truncated
///   to the integer's width); pointer → pointer: same address, new pointee,
///   ownership kept; a `CData` is cast as its address (arrays decay);
/// * to a struct, union or array: an error (C has no such casts).
pub fn cast(types: &Types, to: TypeId, v: &Value) -> Result<Value> {
    super::cdata::check_ty(types, to)?;
    let target = types.target();
    let tyname = || types.display(to);
    match types.kind(to) {
        TypeKind::Pointer(pointee) => {
            let pointee = *pointee;
            match v {
                Value::Null => Ok(Value::Pointer(Ptr::null(pointee))),
                Value::Int(i) => Ok(Value::Pointer(Ptr::new(*i as u64 as usize, pointee))),
                Value::UInt(u) => Ok(Value::Pointer(Ptr::new(*u as u64 as usize, pointee))),
                Value::Bool(b) => Ok(Value::Pointer(Ptr::new(*b as usize, pointee))),
                Value::Pointer(p) => Ok(Value::Pointer(p.with_pointee(pointee))),
                Value::CData(c) => Ok(Value::Pointer(cdata_ptr(types, c)?.with_pointee(pointee))),
                other => Err(convert_err(
                    &tyname(),
                    format!("cannot cast {} to a pointer", other.kind_name()),
                )),
            }
        }
        TypeKind::Prim(_) | TypeKind::Enum(_) => {
            let p = types.as_prim(to).unwrap_or(Prim::Int);
            if p == Prim::Void {
                return Ok(Value::Null);
            }
            if p.is_integer() {
                let bits: u128 = match v {
                    Value::Int(i) => *i as u128,
                    Value::UInt(u) => *u,
                    Value::Bool(b) => *b as u128,
                    Value::Null => 0,
                    Value::Pointer(ptr) => ptr.addr() as u128,
                    Value::CData(c) => cdata_ptr(types, c)?.addr() as u128,
                    Value::Float(_) | Value::LongDouble(_) | Value::Complex(..) => {
                        let f = match v {
                            Value::Complex(re, _) => *re,
                            _ => v.as_f64().unwrap_or(0.0),
                        };
                        if p == Prim::Bool {
                            return Ok(Value::Bool(f != 0.0));
                        }
                        if !f.is_finite() {
                            return Err(convert_err(
                                &tyname(),
                                format!("cannot cast {f} to an integer (undefined in C)"),
                            ));
                        }
                        f.trunc() as i128 as u128
                    }
                    other => {
                        return Err(convert_err(
                            &tyname(),
                            format!("cannot cast {} to an integer", other.kind_name()),
                        ))
                    }
                };
                if p == Prim::Bool {
                    return Ok(Value::Bool(bits != 0));
                }
                let nbits = p.size_align(target).0 as u32 * 8;
                let shift = 128 - nbits;
                return Ok(if p.is_signed(target) {
                    Value::Int(((bits << shift) as i128) >> shift)
                } else {
                    let u = (bits << shift) >> shift;
                    i128::try_from(u).map_or(Value::UInt(u), Value::Int)
                });
            }
            let (re, im) = match v {
                Value::Complex(re, im) => (*re, *im),
                Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::LongDouble(_) => {
                    (v.as_f64().unwrap_or(0.0), 0.0)
                }
                Value::Bool(b) => (*b as u8 as f64, 0.0),
                other => {
                    return Err(convert_err(
                        &tyname(),
                        format!("cannot cast {} to a floating type", other.kind_name()),
                    ))
                }
            };
            Ok(match p {
                Prim::Float => Value::Float(re as f32 as f64),
                Prim::Double => Value::Float(re),
                Prim::LongDouble => {
                    let fmt = target.long_double_format();
                    match v {
                        Value::LongDouble(l) if l.format == fmt => Value::LongDouble(*l),
                        _ => Value::LongDouble(LongDouble::from_f64(re, fmt)),
                    }
                }
                Prim::FloatComplex => Value::Complex(re as f32 as f64, im as f32 as f64),
                _ => Value::Complex(re, im),
            })
        }
        _ => Err(convert_err(
            &tyname(),
            "C has no casts to struct, union, array or function types".to_string(),
        )),
    }
}

fn cdata_ptr(types: &Types, c: &CData) -> Result<Ptr> {
    c.decay(types)
}
