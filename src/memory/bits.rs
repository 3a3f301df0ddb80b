//! Bitfield values inside the bytes that hold them (both targets are
//! little-endian: bit `k` of the field is bit `(bit_offset + k) % 8` of byte
//! `(bit_offset + k) / 8`).

use super::scalar::{convert_err, int_range};
use super::value::Value;
use crate::error::Result;
use crate::target::Target;
use crate::types::{BitField, Prim};

/// Bytes spanned by a bitfield, from the byte holding its lowest bit.
pub(crate) fn span_bytes(b: BitField) -> usize {
    (b.bit_offset as usize + b.bit_width as usize).div_ceil(8)
}

fn mask(width: u32) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// Extracts the raw (zero-extended) bits of the field from `bytes`.
fn extract(bytes: &[u8], b: BitField) -> u128 {
    let mut v: u128 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(span_bytes(b)) {
        let pos = (i * 8) as i64 - b.bit_offset as i64;
        if pos < 0 {
            v |= (byte as u128) >> (-pos) as u32;
        } else if pos < 128 {
            v |= (byte as u128) << pos as u32;
        }
    }
    v & mask(b.bit_width)
}

/// Reads a bitfield of integer type `p`: zero- or sign-extended per `p`.
pub(crate) fn read(p: Prim, target: Target, bytes: &[u8], b: BitField) -> Value {
    let raw = extract(bytes, b);
    if p == Prim::Bool {
        return Value::Bool(raw != 0);
    }
    let w = b.bit_width;
    if p.is_signed(target) && w > 0 {
        let shift = 128 - w;
        return Value::Int(((raw << shift) as i128) >> shift);
    }
    match i128::try_from(raw) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::UInt(raw),
    }
}

/// Range check of `v` for a bitfield of width `w` and type `p`, giving its bits.
fn check(p: Prim, target: Target, v: &Value, w: u32, tyname: &dyn Fn() -> String) -> Result<u128> {
    let (lo, hi): (i128, u128) = if p.is_signed(target) {
        if w == 0 {
            (0, 0)
        } else {
            (-(1i128 << (w - 1)), (1u128 << (w - 1)) - 1)
        }
    } else {
        (0, mask(w))
    };
    let out_of_range = |shown: String| {
        convert_err(
            &tyname(),
            format!(
                "value {shown} does not fit a bitfield of width {w} ({lo}..={hi}; the type's range is {})",
                int_range(p, target)
            ),
        )
    };
    match v {
        Value::Int(i) => {
            let ok = if *i < 0 { *i >= lo } else { (*i as u128) <= hi };
            if ok {
                Ok(*i as u128 & mask(w))
            } else {
                Err(out_of_range(i.to_string()))
            }
        }
        Value::UInt(u) => {
            if *u <= hi {
                Ok(*u)
            } else {
                Err(out_of_range(u.to_string()))
            }
        }
        Value::Bool(bv) => {
            if (*bv as u128) <= hi {
                Ok(*bv as u128)
            } else {
                Err(out_of_range(bv.to_string()))
            }
        }
        other => Err(convert_err(
            &tyname(),
            format!("expected an integer for a bitfield, got {}", other.kind_name()),
        )),
    }
}

/// Stores `v` into the bitfield in `bytes`, leaving the other bits unchanged.
pub(crate) fn write(
    p: Prim,
    target: Target,
    bytes: &mut [u8],
    b: BitField,
    v: &Value,
    tyname: &dyn Fn() -> String,
) -> Result<()> {
    let val = check(p, target, v, b.bit_width, tyname)?;
    let m = mask(b.bit_width);
    for (i, byte) in bytes.iter_mut().enumerate().take(span_bytes(b)) {
        let pos = (i * 8) as i64 - b.bit_offset as i64;
        // Bits of this byte that belong to the field, and the field's bits for them.
        let (field_mask, field_bits) = if pos < 0 {
            let s = (-pos) as u32;
            ((m << s) as u8, (val << s) as u8)
        } else if pos < 128 {
            let s = pos as u32;
            ((m >> s) as u8, (val >> s) as u8)
        } else {
            (0, 0)
        };
        *byte = (*byte & !field_mask) | (field_bits & field_mask);
    }
    Ok(())
}
