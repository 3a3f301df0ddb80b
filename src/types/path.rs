//! Member paths such as `a.b[3].c`, resolved to an offset.

use super::{BitField, TypeId, TypeKind, Types};
use crate::error::{Error, Result};

/// Where a member path leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPath {
    /// Byte offset from the start of the outer object (for a bitfield: the
    /// byte holding its lowest bit).
    pub offset: u64,
    /// Type of the member.
    pub ty: TypeId,
    /// Set when the path ends at a bitfield.
    pub bit: Option<BitField>,
}

fn path_err(path: &str, msg: String) -> Error {
    Error::Path {
        path: path.to_string(),
        message: msg,
    }
}

/// Resolves `path` inside type `root`. Grammar: `name ( '.' name | '[' int ']' )*`,
/// also accepting a leading `[i]` and `->`-free C member syntax only.
pub(super) fn resolve(types: &Types, root: TypeId, path: &str) -> Result<FieldPath> {
    let mut cur = FieldPath {
        offset: 0,
        ty: root,
        bit: None,
    };
    let bytes = path.as_bytes();
    let mut i = 0;
    let mut expect_name = !path.starts_with('[');
    if path.trim().is_empty() {
        return Err(path_err(path, "empty member path".to_string()));
    }
    while i < bytes.len() {
        if cur.bit.is_some() {
            return Err(path_err(path, "a bitfield has no members or elements".to_string()));
        }
        if expect_name {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if start == i {
                return Err(path_err(
                    path,
                    format!("expected a member name at position {}", start + 1),
                ));
            }
            let name = &path[start..i];
            if types.record_of(cur.ty).is_none() {
                return Err(path_err(
                    path,
                    format!(
                        "`{}` is not a struct or union, so it has no member `{name}`",
                        types.display(cur.ty)
                    ),
                ));
            }
            if !types.is_complete(cur.ty) {
                return Err(path_err(path, format!("`{}` is incomplete", types.display(cur.ty))));
            }
            let (f, off) = types.field(cur.ty, name).ok_or_else(|| {
                path_err(
                    path,
                    format!("`{}` has no member named `{name}`", types.display(cur.ty)),
                )
            })?;
            cur = FieldPath {
                offset: cur.offset + off,
                ty: f.ty,
                bit: f.bit,
            };
            expect_name = false;
            continue;
        }
        match bytes[i] {
            b'.' => {
                i += 1;
                expect_name = true;
            }
            b'[' => {
                let close = path[i..]
                    .find(']')
                    .map(|p| p + i)
                    .ok_or_else(|| path_err(path, format!("missing `]` after position {}", i + 1)))?;
                let idx_txt = path[i + 1..close].trim();
                let idx: u64 = idx_txt
                    .parse()
                    .map_err(|_| path_err(path, format!("array index `{idx_txt}` is not a non-negative integer")))?;
                let (elem, len) = match types.kind(cur.ty) {
                    TypeKind::Array { elem, len } => (*elem, *len),
                    _ => {
                        return Err(path_err(path, format!("`{}` is not an array", types.display(cur.ty))));
                    }
                };
                if let Some(n) = len {
                    if idx >= n {
                        return Err(path_err(
                            path,
                            format!("index {idx} is out of bounds for `{}`", types.display(cur.ty)),
                        ));
                    }
                }
                let es = types.size_of(elem)?;
                let off = idx
                    .checked_mul(es)
                    .and_then(|o| o.checked_add(cur.offset))
                    .ok_or_else(|| path_err(path, "offset overflows".to_string()))?;
                cur = FieldPath {
                    offset: off,
                    ty: elem,
                    bit: None,
                };
                i = close + 1;
            }
            c => {
                return Err(path_err(
                    path,
                    format!("unexpected `{}` at position {}", c as char, i + 1),
                ));
            }
        }
    }
    if expect_name {
        return Err(path_err(path, "member path ends after `.`".to_string()));
    }
    Ok(cur)
}
