//! Human (pahole-style) and JSON descriptions of a type's layout, as printed
//! by `abicall layout`.
//!
//! Offsets are in bytes from the start of the outermost type (nested
//! members included). A bitfield is located by the byte holding its lowest
//! bit (`offset`) and the bit within that byte (`bit_offset`, 0 = least
//! significant; both supported targets are little-endian) plus its width.

use super::{Field, TypeId, TypeKind, Types};
use crate::error::Result;
use std::fmt::Write;

/// A pahole-style table for `id`, titled `name`.
///
/// ```
/// use abicall::{Target, types::{Types, Prim, FieldDecl, RecordKind, RecordAttrs, report}};
/// let mut t = Types::new(Target::X86_64SysV);
/// let (c, i) = (t.prim(Prim::Char), t.prim(Prim::Int));
/// let s = t.define_record(RecordKind::Struct, Some("s"),
///     vec![FieldDecl::new("a", c), FieldDecl::new("b", i)], RecordAttrs::default()).unwrap();
/// let text = report::table(&t, s, "struct s").unwrap();
/// assert!(text.contains("3 bytes hole"));
/// assert!(text.contains("size: 8"));
/// ```
pub fn table(types: &Types, id: TypeId, name: &str) -> Result<String> {
    let (size, align) = types.size_align(id)?;
    let mut out = String::new();
    match types.record_of(id) {
        Some(_) => {
            let _ = writeln!(out, "{name} {{");
            let stats = write_members(types, id, 0, 1, &mut out)?;
            let _ = writeln!(out);
            let _ = writeln!(out, "\t/* size: {size}, align: {align}, members: {} */", stats.members);
            if stats.holes > 0 {
                let _ = writeln!(
                    out,
                    "\t/* sum members: {}, holes: {}, sum holes: {} */",
                    stats.sum_members, stats.holes, stats.sum_holes
                );
            }
            if stats.bit_holes > 0 {
                let _ = writeln!(
                    out,
                    "\t/* bit holes: {}, sum bit holes: {} bits */",
                    stats.bit_holes, stats.sum_bit_holes
                );
            }
            let used = stats.end_bits.div_ceil(8);
            if size > used {
                let _ = writeln!(out, "\t/* padding: {} */", size - used);
            }
            let _ = writeln!(out, "}};");
        }
        None => {
            let _ = writeln!(out, "{name}: {} /* size: {size}, align: {align} */", types.display(id));
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Stats {
    members: usize,
    sum_members: u64,
    holes: usize,
    sum_holes: u64,
    bit_holes: usize,
    sum_bit_holes: u64,
    end_bits: u64,
}

fn member_size_bits(types: &Types, f: &Field) -> Result<u64> {
    Ok(match f.bit {
        Some(b) => b.bit_width as u64,
        None => match types.kind(f.ty) {
            TypeKind::Array { len: None, .. } => 0,
            _ => types.size_of(f.ty)? * 8,
        },
    })
}

fn type_size_or_zero(types: &Types, id: TypeId) -> u64 {
    types.size_of(id).unwrap_or(0)
}

fn write_members(types: &Types, id: TypeId, base: u64, depth: usize, out: &mut String) -> Result<Stats> {
    let rec = types.record_of(id).expect("caller checked record");
    let is_union = rec.kind == super::RecordKind::Union;
    let indent = "\t".repeat(depth);
    let mut st = Stats::default();
    let mut end_bits = 0u64;
    for f in &rec.fields {
        let start = f.bit_pos();
        let size_bits = member_size_bits(types, f)?;
        if !is_union && start > end_bits {
            let gap = start - end_bits;
            if gap.is_multiple_of(8) && end_bits.is_multiple_of(8) {
                let _ = writeln!(
                    out,
                    "\n{indent}/* XXX {} byte{} hole, try to pack */\n",
                    gap / 8,
                    plural(gap / 8)
                );
                st.holes += 1;
                st.sum_holes += gap / 8;
            } else {
                let _ = writeln!(out, "{indent}/* XXX {gap} bit{} hole */", plural(gap));
                st.bit_holes += 1;
                st.sum_bit_holes += gap;
            }
        }
        let abs = base + f.offset;
        let decl_name = match (&f.name, f.bit) {
            (Some(n), Some(b)) => format!("{n}:{}", b.bit_width),
            (None, Some(b)) => format!(":{}", b.bit_width),
            (Some(n), None) => n.clone(),
            (None, None) => String::new(),
        };
        let nested = f.bit.is_none() && types.record_of(f.ty).is_some();
        if nested {
            let r = types.record_of(f.ty).expect("checked");
            let head = match &r.tag {
                Some(t) => format!("{} {t} {{", r.kind.keyword()),
                None => format!("{} {{", r.kind.keyword()),
            };
            let _ = writeln!(out, "{indent}{head}");
            let inner = write_members(types, f.ty, abs, depth + 1, out)?;
            st.members += inner.members;
            let tail = if decl_name.is_empty() {
                "};".to_string()
            } else {
                format!("}} {decl_name};")
            };
            let _ = writeln!(
                out,
                "{indent}{tail:<48}/* {abs:>5} {:>5} */",
                type_size_or_zero(types, f.ty)
            );
        } else {
            let tname = types.declare(f.ty, &decl_name);
            let loc = match f.bit {
                Some(b) => format!("{abs:>5}:{:<2}", b.bit_offset),
                None => format!("{abs:>5}"),
            };
            let size = match f.bit {
                Some(_) => type_size_or_zero(types, f.ty),
                None => size_bits / 8,
            };
            let _ = writeln!(out, "{indent}{:<48}/* {loc} {size:>5} */", format!("{tname};"));
            st.members += 1;
        }
        st.sum_members += size_bits / 8;
        end_bits = if is_union {
            end_bits.max(size_bits)
        } else {
            end_bits.max(start + size_bits)
        };
    }
    st.end_bits = end_bits;
    Ok(st)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The layout of `id` as one JSON object:
/// `{"name", "type", "size", "align", "fields": [{"name", "type", "offset",
/// "size", "align", "bit_offset", "bit_width", "fields"}]}`; `bit_*` only for
/// bitfields, nested `fields` only for struct/union members.
///
/// ```
/// use abicall::{Target, types::{Types, Prim, FieldDecl, RecordKind, RecordAttrs, report}};
/// let mut t = Types::new(Target::X86_64SysV);
/// let i = t.prim(Prim::Int);
/// let s = t.define_record(RecordKind::Struct, Some("s"),
///     vec![FieldDecl::bitfield(Some("f"), i, 3)], RecordAttrs::default()).unwrap();
/// let j = report::json(&t, s, "struct s").unwrap();
/// assert!(j.contains(r#""bit_width":3"#));
/// ```
pub fn json(types: &Types, id: TypeId, name: &str) -> Result<String> {
    let (size, align) = types.size_align(id)?;
    let mut out = String::new();
    out.push('{');
    let _ = write!(
        out,
        "\"name\":{},\"type\":{},\"size\":{size},\"align\":{align}",
        json_str(name),
        json_str(&types.display(id))
    );
    if types.record_of(id).is_some() {
        out.push_str(",\"fields\":");
        json_fields(types, id, 0, &mut out)?;
    }
    out.push('}');
    Ok(out)
}

fn json_fields(types: &Types, id: TypeId, base: u64, out: &mut String) -> Result<()> {
    let rec = types.record_of(id).expect("caller checked record");
    out.push('[');
    for (i, f) in rec.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let abs = base + f.offset;
        let name = match &f.name {
            Some(n) => json_str(n),
            None => "null".to_string(),
        };
        let (size, align) = match types.kind(f.ty) {
            TypeKind::Array { elem, len: None } => (0, types.align_of(*elem)?),
            _ => types.size_align(f.ty)?,
        };
        let _ = write!(
            out,
            "{{\"name\":{name},\"type\":{},\"offset\":{abs},\"size\":{size},\"align\":{align}",
            json_str(&types.display(f.ty))
        );
        if let Some(b) = f.bit {
            let _ = write!(out, ",\"bit_offset\":{},\"bit_width\":{}", b.bit_offset, b.bit_width);
        } else if types.record_of(f.ty).is_some() {
            out.push_str(",\"fields\":");
            json_fields(types, f.ty, abs, out)?;
        }
        out.push('}');
    }
    out.push(']');
    Ok(())
}

/// A JSON string literal for `s`.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
