//! Declaration introspection (`abicall_decl_*`: what a name is, its type,
//! whether a function is variadic, every declared name in order), enum
//! members, and type identity (`abicall_type_id`, `abicall_type_equal`,
//! `abicall_type_from_id`): what an interpreter needs to build its own
//! namespace and type cache over a context.

use super::args::{c_str, copy_name, out, out_opt};
use super::context::{abicall_context, Context};
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::live;
use super::types::{abicall_type, new_type_named, typedef_alias};
use abicall::decls::{Constant, DeclKind};
use abicall::read_types as read;
use abicall::types::{TypeId, TypeKind};
use abicall::Error;
use std::ffi::c_char;
use std::sync::Arc;

/// What a declared name is (`abicall_decl_kind`). The numbers are stable.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum abicall_declaration {
    /// A `typedef` name.
    ABICALL_DECL_TYPEDEF = 1,
    /// A `struct`, `union` or `enum` tag (the name is spelt with its
    /// keyword: `"struct pt"`).
    ABICALL_DECL_TAG = 2,
    /// A function.
    ABICALL_DECL_FUNCTION = 3,
    /// An `extern` variable.
    ABICALL_DECL_VARIABLE = 4,
    /// A constant: an enumerator, a `#define` or a `static const`.
    ABICALL_DECL_CONSTANT = 5,
}

use abicall_declaration::*;

/// A declaration found by name, with the type it has.
struct Found {
    kind: abicall_declaration,
    ty: TypeId,
    alias: Option<Arc<str>>,
}

/// Looks `name` up: `"struct x"` / `"union x"` / `"enum x"` as a tag, else
/// an ordinary identifier (function, variable, constant, typedef).
fn lookup(c: &Context, name: &str) -> Result<Found, Fail> {
    let ffi = c.ffi();
    let d = ffi.decls();
    let name = name.trim();
    let found = if let Some((kw, tag)) = name.split_once(char::is_whitespace) {
        let tag = tag.trim();
        match kw {
            "struct" | "union" | "enum" => d.tags.get(tag).map(|&ty| (ABICALL_DECL_TAG, ty)),
            _ => None,
        }
    } else if let Some(f) = d.functions.get(name) {
        Some((ABICALL_DECL_FUNCTION, f.ty))
    } else if let Some(v) = d.variables.get(name) {
        Some((ABICALL_DECL_VARIABLE, v.ty))
    } else if let Some(k) = d.constants.get(name) {
        Some((
            ABICALL_DECL_CONSTANT,
            match k {
                Constant::Int { ty, .. } | Constant::Float { ty, .. } => *ty,
            },
        ))
    } else {
        d.typedefs.get(name).map(|&ty| (ABICALL_DECL_TYPEDEF, ty))
    };
    drop(ffi);
    let (kind, ty) = found.ok_or_else(|| Fail::from(Error::UnknownName(name.to_string())))?;
    let alias = if kind == ABICALL_DECL_TYPEDEF {
        typedef_alias(c, name)
    } else {
        None
    };
    Ok(Found { kind, ty, alias })
}

/// What `name` is in the context: a function, variable, constant or
/// typedef name, or (spelt `"struct x"`, `"union x"`, `"enum x"`) a tag.
/// `ABICALL_E_UNKNOWN_NAME` if it is not declared.
///
/// # Safety
/// `ctx` a context handle; `name` a NUL-terminated string; `out_kind`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_decl_kind(
    ctx: *const abicall_context,
    name: *const c_char,
    out_kind: *mut abicall_declaration,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_decl_kind`'s contract holds: `ctx` a context handle; `name` a
    // NUL-terminated string; `out_kind` writable; `err` NULL or writable (`entry`, `live`, `out`,
    // `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_kind, "out_kind")?;
            o.set(lookup(c, name)?.kind);
            Ok(())
        })
    }
}

/// The type of a declared name, as a new type handle: a function's
/// function type, a variable's type, a constant's type (an enumerator's
/// enum), the type a typedef names (spelt with the typedef name by
/// `abicall_type_name`), or a tag's struct, union or enum.
///
/// # Safety
/// `ctx` a context handle; `name` a NUL-terminated string; `out_type`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_decl_type(
    ctx: *const abicall_context,
    name: *const c_char,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_decl_type`'s contract holds: `ctx` a context handle; `name` a
    // NUL-terminated string; `out_type` writable; `err` NULL or writable (`entry`, `live`, `out`,
    // `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_type, "out_type")?;
            let f = lookup(c, name)?;
            o.set(new_type_named(c.types(), f.ty, f.alias));
            Ok(())
        })
    }
}

/// Whether the declared function `name` is variadic (`ABICALL_E_INVALID_ARG`
/// if `name` is declared but not a function, `ABICALL_E_UNKNOWN_NAME` if
/// it is not declared).
///
/// # Safety
/// `ctx` a context handle; `name` a NUL-terminated string; `out_variadic`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_decl_variadic(
    ctx: *const abicall_context,
    name: *const c_char,
    out_variadic: *mut bool,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_decl_variadic`'s contract holds: `ctx` a context handle; `name` a
    // NUL-terminated string; `out_variadic` writable; `err` NULL or writable (`entry`, `live`,
    // `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_variadic, "out_variadic")?;
            let f = lookup(c, name)?;
            if f.kind != ABICALL_DECL_FUNCTION {
                return Err(Fail::invalid(format!("`{name}` is declared, but not as a function")));
            }
            let types = read(c.types());
            o.set(types.sig_of(f.ty).is_some_and(|s| s.variadic));
            Ok(())
        })
    }
}

/// The number of names declared in the context (for `abicall_decl_at`).
///
/// # Safety
/// `ctx` a context handle; `out_count` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_decl_count(
    ctx: *const abicall_context,
    out_count: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_decl_count`'s contract holds: `ctx` a context handle; `out_count` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let o = out(out_count, "out_count")?;
            o.set(c.ffi().decls().order.len());
            Ok(())
        })
    }
}

/// Declared name `index` (0-based, in declaration order; tags spelt
/// `"struct x"`): its kind to `*out_kind` (unless NULL) and its name to
/// `buf`, `snprintf`-style (full length to `out_len` unless NULL).
/// `ABICALL_E_INVALID_ARG` if `index` is out of range.
///
/// # Safety
/// `ctx` a context handle; `out_kind` NULL or writable; `buf` has `cap`
/// writable bytes; `out_len` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_decl_at(
    ctx: *const abicall_context,
    index: usize,
    out_kind: *mut abicall_declaration,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_decl_at`'s contract holds: `ctx` a context handle; `out_kind` NULL or
    // writable; `buf` has `cap` writable bytes; `out_len` NULL or writable; `err` NULL or writable
    // (`entry`, `live` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let (kind, name) = {
                let ffi = c.ffi();
                let d = ffi.decls();
                let (k, n) = d.order.get(index).ok_or_else(|| {
                    Fail::invalid(format!(
                        "declaration index {index} out of range (the context has {})",
                        d.order.len()
                    ))
                })?;
                match k {
                    DeclKind::Typedef => (ABICALL_DECL_TYPEDEF, n.clone()),
                    DeclKind::Function => (ABICALL_DECL_FUNCTION, n.clone()),
                    DeclKind::Variable => (ABICALL_DECL_VARIABLE, n.clone()),
                    DeclKind::Constant => (ABICALL_DECL_CONSTANT, n.clone()),
                    DeclKind::Tag => {
                        let types = read(c.types());
                        let kw = d.tags.get(n).map_or("struct", |&t| match types.kind(t) {
                            TypeKind::Record(r) => types.record(*r).kind.keyword(),
                            _ => "enum",
                        });
                        (ABICALL_DECL_TAG, format!("{kw} {n}"))
                    }
                }
            };
            copy_name(&name, buf, cap, out_len)?;
            if let Some(o) = out_opt(out_kind) {
                o.set(kind);
            }
            Ok(())
        })
    }
}

/// The number of enumerators of an enum type (0 while it is only
/// declared); `ABICALL_E_INVALID_ARG` for other kinds.
///
/// # Safety
/// `ty` a type handle; `out_count` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_enum_count(
    ty: *const abicall_type,
    out_count: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_enum_count`'s contract holds: `ty` a type handle; `out_count`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_count, "out_count")?;
            let types = read(&t.types);
            match types.kind(t.id) {
                TypeKind::Enum(e) => o.set(types.enum_(*e).values.len()),
                _ => return Err(Fail::invalid(format!("`{}` is not an enum", t.display(&types)))),
            }
            Ok(())
        })
    }
}

/// Enumerator `index` (declaration order) of an enum type: its value to
/// `*out_value` and its name to `buf`, `snprintf`-style (full length to
/// `out_len` unless NULL). `ABICALL_E_CONVERT` if the value does not fit
/// `int64_t`, `ABICALL_E_INVALID_ARG` for an index out of range or a type
/// that is not an enum.
///
/// # Safety
/// `ty` a type handle; `out_value` writable; `buf` has `cap` writable
/// bytes; `out_len` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_enum_member(
    ty: *const abicall_type,
    index: usize,
    out_value: *mut i64,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_enum_member`'s contract holds: `ty` a type handle; `out_value`
    // writable; `buf` has `cap` writable bytes; `out_len` NULL or writable; `err` NULL or writable
    // (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_value, "out_value")?;
            let (name, value) = {
                let types = read(&t.types);
                let TypeKind::Enum(e) = types.kind(t.id) else {
                    return Err(Fail::invalid(format!("`{}` is not an enum", t.display(&types))));
                };
                let values = &types.enum_(*e).values;
                values.get(index).cloned().ok_or_else(|| {
                    Fail::invalid(format!(
                        "enumerator index {index} out of range (`{}` has {})",
                        t.display(&types),
                        values.len()
                    ))
                })?
            };
            let v = i64::try_from(value).map_err(|_| Error::Convert {
                ty: "int64_t".into(),
                message: format!("enumerator `{name}` = {value} is out of range"),
            })?;
            copy_name(&name, buf, cap, out_len)?;
            o.set(v);
            Ok(())
        })
    }
}

/// The type's identity in its context: two type handles of one context
/// denote the same C type exactly when their ids are equal (types are
/// interned; a typedef name is not a new type, qualifiers are). Ids are
/// small integers, stable for the context's life: use them as cache keys.
///
/// # Safety
/// `ty` a type handle; `out_id` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_id(
    ty: *const abicall_type,
    out_id: *mut u32,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_id`'s contract holds: `ty` a type handle; `out_id` writable; `err`
    // NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            out(out_id, "out_id")?.set(t.id.index());
            Ok(())
        })
    }
}

/// Whether two type handles denote the same C type of the same context
/// (false for types of different contexts).
///
/// # Safety
/// `a`, `b` type handles; `out_equal` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_equal(
    a: *const abicall_type,
    b: *const abicall_type,
    out_equal: *mut bool,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_equal`'s contract holds: `a`, `b` type handles; `out_equal` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let x = live(a, "a")?;
            let y = live(b, "b")?;
            out(out_equal, "out_equal")?.set(Arc::ptr_eq(&x.types, &y.types) && x.id == y.id);
            Ok(())
        })
    }
}

/// The type with id `id` (from `abicall_type_id`) of the context, as a new
/// type handle; `ABICALL_E_INVALID_ARG` for an id the context never gave.
///
/// # Safety
/// `ctx` a context handle; `out_type` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_from_id(
    ctx: *const abicall_context,
    id: u32,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_from_id`'s contract holds: `ctx` a context handle; `out_type`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let o = out(out_type, "out_type")?;
            let found = read(c.types()).id_at(id);
            let Some(tid) = found else {
                let n = read(c.types()).len();
                return Err(Fail::invalid(format!(
                    "type id {id} is not a type of this context (it has {n})"
                )));
            };
            o.set(new_type_named(c.types(), tid, None));
            Ok(())
        })
    }
}
