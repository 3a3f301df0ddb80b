//! Aggregate initializers: `List` / `Fields` / strings / byte copies into
//! structs, unions and arrays, with C's rule that what is not mentioned is zero.

use super::cdata::CData;
use super::scalar::{convert_err, encode, MAX_SCALAR};
use super::value::Value;
use crate::error::Result;
use crate::types::{Prim, TypeKind, Types};

pub(crate) fn write_aggregate(dst: &CData, types: &Types, v: &Value) -> Result<()> {
    let tyname = || types.display(dst.ty());
    match v {
        Value::CData(src) => {
            if types.kind(src.ty()) != types.kind(dst.ty()) {
                return Err(convert_err(
                    &tyname(),
                    format!("cannot copy from an object of type `{}`", types.display(src.ty())),
                ));
            }
            let n = dst.size(types)?;
            let m = src.size(types)?;
            if m < n {
                return Err(convert_err(&tyname(), format!("source has {m} bytes, need {n}")));
            }
            super::ops::memmove(dst, src, n)
        }
        Value::List(items) => match types.kind(dst.ty()) {
            TypeKind::Array { .. } => write_array(dst, types, items),
            TypeKind::Vector { elem, len } => write_vector(dst, types, *elem, *len, items),
            _ => write_record_list(dst, types, items),
        },
        Value::Fields(items) => {
            if types.record_of(dst.ty()).is_none() {
                return Err(convert_err(
                    &tyname(),
                    "designated member initializers need a struct or union".to_string(),
                ));
            }
            dst.zero(types)?;
            for (name, val) in items {
                dst.field(types, name)
                    .map_err(|e| convert_err(&tyname(), e.message()))?
                    .write(types, val)?;
            }
            Ok(())
        }
        Value::Str(bytes) => write_chars(dst, types, bytes),
        Value::WStr(text) => write_wide(dst, types, text),
        other => Err(convert_err(
            &tyname(),
            format!(
                "expected an initializer list, designated initializer or cdata, got {}",
                other.kind_name()
            ),
        )),
    }
}

/// `{a, b, ...}` into a GCC vector of `len` elements `elem`: element by
/// element, the rest zero (as gcc initializes vectors).
fn write_vector(dst: &CData, types: &Types, elem: Prim, len: u64, items: &[Value]) -> Result<()> {
    let tyname = || types.display(dst.ty());
    if items.len() as u64 > len {
        return Err(convert_err(
            &tyname(),
            format!("{} initializers for a vector of {len} element(s)", items.len()),
        ));
    }
    dst.zero(types)?;
    let target = types.target();
    let es = elem.size_align(target).0 as usize;
    for (i, it) in items.iter().enumerate() {
        let mut buf = [0u8; MAX_SCALAR];
        let n = encode(elem, target, it, &mut buf, &tyname)?;
        dst.write_bytes(i * es, &buf[..n])?;
    }
    Ok(())
}

fn write_array(dst: &CData, types: &Types, items: &[Value]) -> Result<()> {
    let n = dst.len(types).unwrap_or(0);
    if items.len() > n {
        return Err(convert_err(
            &types.display(dst.ty()),
            format!("{} initializers for an array of {n} elements", items.len()),
        ));
    }
    dst.zero(types)?;
    for (i, it) in items.iter().enumerate() {
        dst.index(types, i)?.write(types, it)?;
    }
    Ok(())
}

fn write_record_list(dst: &CData, types: &Types, items: &[Value]) -> Result<()> {
    let tyname = || types.display(dst.ty());
    let rec = types
        .record_of(dst.ty())
        .ok_or_else(|| convert_err(&tyname(), "not a struct or union".to_string()))?;
    // Members that take an initializer: named ones and anonymous struct/union members.
    let members: Vec<_> = rec
        .fields
        .iter()
        .filter(|f| f.name.is_some() || f.bit.is_none())
        .collect();
    let cap = if rec.kind == crate::types::RecordKind::Union {
        members.len().min(1)
    } else {
        members.len()
    };
    if items.len() > cap {
        return Err(convert_err(
            &tyname(),
            format!("{} initializers for {cap} member(s)", items.len()),
        ));
    }
    dst.zero(types)?;
    for (f, it) in members.iter().zip(items) {
        let m = match &f.name {
            Some(n) => dst.field(types, n)?,
            None => dst.member(&crate::types::FieldPath {
                offset: f.offset,
                ty: f.ty,
                bit: None,
            }),
        };
        m.write(types, it)?;
    }
    Ok(())
}

/// Size of the integer elements of an array, if it is an array of integers.
fn int_elem_size(types: &Types, dst: &CData) -> Option<u64> {
    match types.kind(dst.ty()) {
        TypeKind::Array { elem, .. } => {
            let p = types.as_prim(*elem)?;
            if p.is_integer() && p != Prim::Bool {
                types.size_of(*elem).ok()
            } else {
                None
            }
        }
        _ => None,
    }
}

fn write_chars(dst: &CData, types: &Types, bytes: &[u8]) -> Result<()> {
    let tyname = || types.display(dst.ty());
    if int_elem_size(types, dst) != Some(1) {
        return Err(convert_err(
            &tyname(),
            "a byte string initializes only arrays of char".to_string(),
        ));
    }
    let n = dst.len(types).unwrap_or(0);
    if bytes.len() > n {
        return Err(convert_err(
            &tyname(),
            format!("string of {} bytes does not fit {n} elements", bytes.len()),
        ));
    }
    dst.zero(types)?;
    dst.write_bytes(0, bytes)
}

fn write_wide(dst: &CData, types: &Types, text: &str) -> Result<()> {
    let tyname = || types.display(dst.ty());
    let es = int_elem_size(types, dst);
    let units: Vec<u32> = match es {
        Some(4) => text.chars().map(u32::from).collect(),
        Some(2) => text.encode_utf16().map(u32::from).collect(),
        _ => {
            return Err(convert_err(
                &tyname(),
                "a wide string initializes only arrays of 2- or 4-byte characters (char16_t, wchar_t, char32_t)"
                    .to_string(),
            ))
        }
    };
    let n = dst.len(types).unwrap_or(0);
    if units.len() > n {
        return Err(convert_err(
            &tyname(),
            format!("string of {} code units does not fit {n} elements", units.len()),
        ));
    }
    dst.zero(types)?;
    let es = es.unwrap_or(4) as usize;
    for (i, u) in units.iter().enumerate() {
        dst.write_bytes(i * es, &u.to_le_bytes()[..es])?;
    }
    Ok(())
}
