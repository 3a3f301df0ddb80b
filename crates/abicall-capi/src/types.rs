//! `abicall_type`: a C type of a context, with its layout (size, alignment,
//! member offsets) and shape (kind, pointee / element, array length).

use super::args::{c_str, copy_name, out, out_opt};
use super::context::abicall_context;
use super::context::Context;
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::{free, impl_handle, into_raw, live, Shell};
use abicall::types::{Prim, RecordKind, TypeId, TypeKind, Types};
use abicall::{read_types as read, SharedTypes};
use abicall::{Error, LayoutErrorKind};
use std::ffi::c_char;
use std::sync::Arc;

/// A C type of a context (opaque). It keeps the context's type table alive,
/// so it stays valid after the context is freed. Free it with
/// `abicall_type_free`; usable from any thread.
pub struct abicall_type {
    shell: Shell<TypeRef>,
}

/// A type id with the table it belongs to, and the typedef name it was
/// reached by (kept for messages: `div_t` rather than `struct <anonymous>`).
pub(crate) struct TypeRef {
    pub(crate) types: SharedTypes,
    pub(crate) id: TypeId,
    pub(crate) alias: Option<Arc<str>>,
}

impl TypeRef {
    /// The name to show for this type: its typedef name if it was reached
    /// by one, else its C spelling.
    pub(crate) fn display(&self, types: &Types) -> String {
        match &self.alias {
            Some(a) => a.to_string(),
            None => types.display(self.id),
        }
    }
}

impl_handle!(abicall_type, TypeRef, 0xab1c_0c02);

/// Hands a type of `types` to C.
pub(crate) fn new_type(types: &SharedTypes, id: TypeId) -> *mut abicall_type {
    new_type_named(types, id, None)
}

/// Hands a type of `types` to C, remembering the typedef name it was
/// reached by.
pub(crate) fn new_type_named(types: &SharedTypes, id: TypeId, alias: Option<Arc<str>>) -> *mut abicall_type {
    into_raw::<abicall_type>(TypeRef {
        types: types.clone(),
        id,
        alias,
    })
}

/// The typedef name `name` spells, if it is one identifier naming a
/// typedef (declared or builtin) of the context.
pub(crate) fn typedef_alias(c: &Context, name: &str) -> Option<Arc<str>> {
    let name = name.trim();
    let ident = !name.is_empty()
        && !name.starts_with(|ch: char| ch.is_ascii_digit())
        && name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !ident {
        return None;
    }
    let ffi = c.ffi();
    let d = ffi.decls();
    (d.typedefs.contains_key(name) || d.builtin_typedefs.contains_key(name)).then(|| Arc::from(name))
}

/// The error for a struct, union or enum that is used where its layout is
/// needed but was never defined (`struct typo`): C accepts the mention as a
/// declaration, so the mistake only shows here.
pub(crate) fn undefined_tag(types: &Types, id: TypeId) -> Option<Fail> {
    let incomplete = match types.kind(id) {
        TypeKind::Record(r) => types.record(*r).layout.is_none(),
        TypeKind::Enum(e) => !types.enum_(*e).complete,
        _ => false,
    };
    incomplete.then(|| {
        Fail::new(
            abicall_status::ABICALL_E_UNKNOWN_TYPE,
            format!(
                "`{}` is not defined (only declared or mentioned; a misspelt tag?), so it has no size",
                types.display(id)
            ),
        )
    })
}

/// What a type is: the scalar kinds one by one (an interpreter needs the
/// exact C type to marshal a value), then the derived kinds.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum abicall_kind {
    /// `void`.
    ABICALL_KIND_VOID = 0,
    /// `_Bool`.
    ABICALL_KIND_BOOL = 1,
    /// Plain `char` (signed or not depending on the target; see `abicall_type_is_signed`).
    ABICALL_KIND_CHAR = 2,
    /// `signed char`.
    ABICALL_KIND_SCHAR = 3,
    /// `unsigned char`.
    ABICALL_KIND_UCHAR = 4,
    /// `short`.
    ABICALL_KIND_SHORT = 5,
    /// `unsigned short`.
    ABICALL_KIND_USHORT = 6,
    /// `int`.
    ABICALL_KIND_INT = 7,
    /// `unsigned int`.
    ABICALL_KIND_UINT = 8,
    /// `long`.
    ABICALL_KIND_LONG = 9,
    /// `unsigned long`.
    ABICALL_KIND_ULONG = 10,
    /// `long long`.
    ABICALL_KIND_LONGLONG = 11,
    /// `unsigned long long`.
    ABICALL_KIND_ULONGLONG = 12,
    /// `__int128`.
    ABICALL_KIND_INT128 = 13,
    /// `unsigned __int128`.
    ABICALL_KIND_UINT128 = 14,
    /// `float`.
    ABICALL_KIND_FLOAT = 15,
    /// `double`.
    ABICALL_KIND_DOUBLE = 16,
    /// `long double` (format depends on the target).
    ABICALL_KIND_LONGDOUBLE = 17,
    /// `float _Complex`.
    ABICALL_KIND_FLOAT_COMPLEX = 18,
    /// `double _Complex`.
    ABICALL_KIND_DOUBLE_COMPLEX = 19,
    /// `long double _Complex`.
    ABICALL_KIND_LONGDOUBLE_COMPLEX = 20,
    /// A pointer (`abicall_type_item` gives the pointee).
    ABICALL_KIND_POINTER = 21,
    /// An array (`abicall_type_item` gives the element type, `abicall_type_length` the length).
    ABICALL_KIND_ARRAY = 22,
    /// A struct.
    ABICALL_KIND_STRUCT = 23,
    /// A union.
    ABICALL_KIND_UNION = 24,
    /// An enum (its size and signedness are those of its underlying integer type).
    ABICALL_KIND_ENUM = 25,
    /// A function type.
    ABICALL_KIND_FUNCTION = 26,
    /// A GCC vector type (`__attribute__((vector_size(N)))`): its size and
    /// alignment are known; it cannot be converted to or from a value.
    ABICALL_KIND_VECTOR = 27,
}

fn kind_of(types: &Types, id: TypeId) -> abicall_kind {
    use abicall_kind::*;
    match types.kind(id) {
        TypeKind::Prim(p) => match p {
            Prim::Void => ABICALL_KIND_VOID,
            Prim::Bool => ABICALL_KIND_BOOL,
            Prim::Char => ABICALL_KIND_CHAR,
            Prim::SChar => ABICALL_KIND_SCHAR,
            Prim::UChar => ABICALL_KIND_UCHAR,
            Prim::Short => ABICALL_KIND_SHORT,
            Prim::UShort => ABICALL_KIND_USHORT,
            Prim::Int => ABICALL_KIND_INT,
            Prim::UInt => ABICALL_KIND_UINT,
            Prim::Long => ABICALL_KIND_LONG,
            Prim::ULong => ABICALL_KIND_ULONG,
            Prim::LongLong => ABICALL_KIND_LONGLONG,
            Prim::ULongLong => ABICALL_KIND_ULONGLONG,
            Prim::Int128 => ABICALL_KIND_INT128,
            Prim::UInt128 => ABICALL_KIND_UINT128,
            Prim::Float => ABICALL_KIND_FLOAT,
            Prim::Double => ABICALL_KIND_DOUBLE,
            Prim::LongDouble => ABICALL_KIND_LONGDOUBLE,
            Prim::FloatComplex => ABICALL_KIND_FLOAT_COMPLEX,
            Prim::DoubleComplex => ABICALL_KIND_DOUBLE_COMPLEX,
            Prim::LongDoubleComplex => ABICALL_KIND_LONGDOUBLE_COMPLEX,
        },
        TypeKind::Pointer(_) => ABICALL_KIND_POINTER,
        TypeKind::Array { .. } => ABICALL_KIND_ARRAY,
        TypeKind::Record(r) => match types.record(*r).kind {
            RecordKind::Struct => ABICALL_KIND_STRUCT,
            RecordKind::Union => ABICALL_KIND_UNION,
        },
        TypeKind::Enum(_) => ABICALL_KIND_ENUM,
        TypeKind::Func(_) => ABICALL_KIND_FUNCTION,
        TypeKind::Vector { .. } => ABICALL_KIND_VECTOR,
    }
}

/// Looks a type up by its C name (`"int"`, `"struct pt"`, `"pt *"`,
/// `"int[4]"`, `"int (*)(const void *, const void *)"`). Unknown names give
/// `ABICALL_E_UNKNOWN_TYPE` or `ABICALL_E_PARSE`.
///
/// # Safety
/// `ctx` is a context handle; `name` a NUL-terminated string; `out_type`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_new(
    ctx: *const abicall_context,
    name: *const c_char,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_new`'s contract holds: `ctx` is a context handle; `name` a
    // NUL-terminated string; `out_type` writable; `err` NULL or writable (`entry`, `live`, `out`,
    // `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_type, "out_type")?;
            let id = c.ffi().type_of(name)?;
            let alias = typedef_alias(c, name).or_else(|| {
                // A derived type of an anonymous record spelt through its
                // typedef (`div_t *`): keep the spelling for messages.
                let types = read(c.types());
                types
                    .display(id)
                    .contains("<anonymous>")
                    .then(|| Arc::from(name.trim()))
            });
            o.set(new_type_named(c.types(), id, alias));
            Ok(())
        })
    }
}

/// Frees a type handle (NULL: no-op; twice: `ABICALL_E_FREED`).
///
/// # Safety
/// `ty` is NULL or a type handle not in use by another thread; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_free(ty: *mut abicall_type, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_type_free`'s contract holds: `ty` is NULL or a type handle not in use by
    // another thread; `err` NULL or writable (`entry`, `live` rely on it).
    unsafe { entry(err, || free(ty, "ty")) }
}

/// Runs `f` on a live type handle's table.
///
/// # Safety
/// `ty` is NULL or a type handle.
unsafe fn with_type<R>(ty: *const abicall_type, f: impl FnOnce(&Types, TypeId) -> Result<R, Fail>) -> Result<R, Fail> {
    // SAFETY: `with_type`'s contract holds: `ty` is NULL or a type handle (`live` relies on it).
    let t = unsafe { live(ty, "ty") }?;
    let types = read(&t.types);
    f(&types, t.id)
}

/// `sizeof(type)`: `ABICALL_E_UNKNOWN_TYPE` for a struct, union or enum
/// that was never defined (`struct typo`), `ABICALL_E_LAYOUT` for other
/// incomplete types (`void`, `int[]`, functions).
///
/// # Safety
/// `ty` is a type handle; `out_size` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_size(
    ty: *const abicall_type,
    out_size: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_size`'s contract holds: `ty` is a type handle; `out_size` writable;
    // `err` NULL or writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_size, "out_size")?;
            let size = with_type(ty, |t, id| match undefined_tag(t, id) {
                Some(f) => Err(f),
                None => Ok(t.size_of(id)?),
            })?;
            o.set(usize::try_from(size).map_err(|_| {
                Fail::from(Error::layout(
                    LayoutErrorKind::TooLarge,
                    "",
                    format!("size {size} too large"),
                ))
            })?);
            Ok(())
        })
    }
}

/// The alignment of `type` as layout uses it (gcc's `__alignof__`, which is
/// C11 `_Alignof` but for types over-aligned by an x86_64 GCC vector).
///
/// # Safety
/// `ty` is a type handle; `out_align` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_align(
    ty: *const abicall_type,
    out_align: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_align`'s contract holds: `ty` is a type handle; `out_align` writable;
    // `err` NULL or writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_align, "out_align")?;
            o.set(with_type(ty, |t, id| Ok(t.align_of(id)?))? as usize);
            Ok(())
        })
    }
}

/// The kind of a type.
///
/// # Safety
/// `ty` is a type handle; `out_kind` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_kind(
    ty: *const abicall_type,
    out_kind: *mut abicall_kind,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_kind`'s contract holds: `ty` is a type handle; `out_kind` writable;
    // `err` NULL or writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_kind, "out_kind")?;
            o.set(with_type(ty, |t, id| Ok(kind_of(t, id)))?);
            Ok(())
        })
    }
}

/// Whether an integer (or enum) type is signed on the context's target
/// (plain `char` differs between targets); false for other kinds.
///
/// # Safety
/// `ty` is a type handle; `out_signed` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_is_signed(
    ty: *const abicall_type,
    out_signed: *mut bool,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_is_signed`'s contract holds: `ty` is a type handle; `out_signed`
    // writable; `err` NULL or writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_signed, "out_signed")?;
            o.set(with_type(ty, |t, id| {
                Ok(match t.kind(id) {
                    TypeKind::Prim(p) => p.is_signed(t.target()),
                    TypeKind::Enum(e) => t.enum_(*e).underlying.is_signed(t.target()),
                    _ => false,
                })
            })?);
            Ok(())
        })
    }
}

/// `offsetof(type, path)` for a member path such as `"a.b[3].c"`; the
/// member's type is stored to `out_member` unless it is NULL (free it with
/// `abicall_type_free`). A bitfield has no byte offset: `ABICALL_E_PATH`.
///
/// # Safety
/// `ty` is a type handle; `path` a NUL-terminated string; `out_offset`
/// writable; `out_member` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_offsetof(
    ty: *const abicall_type,
    path: *const c_char,
    out_offset: *mut usize,
    out_member: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_offsetof`'s contract holds: `ty` is a type handle; `path` a
    // NUL-terminated string; `out_offset` writable; `out_member` NULL or writable; `err` NULL or
    // writable (`entry`, `live`, `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let path = c_str(path, "path")?;
            let o = out(out_offset, "out_offset")?;
            let fp = read(&t.types).offset_of(t.id, path)?;
            if fp.bit.is_some() {
                return Err(Error::Path {
                    path: path.to_string(),
                    message: "is a bitfield, which has no byte offset".into(),
                }
                .into());
            }
            o.set(fp.offset as usize);
            if let Some(m) = out_opt(out_member) {
                m.set(new_type(&t.types, fp.ty));
            }
            Ok(())
        })
    }
}

/// The pointee of a pointer type or the element of an array type, as a new
/// type handle; `ABICALL_E_INVALID_ARG` for other kinds.
///
/// # Safety
/// `ty` is a type handle; `out_item` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_item(
    ty: *const abicall_type,
    out_item: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_item`'s contract holds: `ty` is a type handle; `out_item` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_item, "out_item")?;
            let item = {
                let types = read(&t.types);
                match types.kind(t.id) {
                    TypeKind::Pointer(p) => *p,
                    TypeKind::Array { elem, .. } => *elem,
                    _ => {
                        return Err(Fail::invalid(format!(
                            "`{}` is not a pointer or array type",
                            types.display(t.id)
                        )))
                    }
                }
            };
            o.set(new_type(&t.types, item));
            Ok(())
        })
    }
}

/// The number of elements of an array type; `ABICALL_E_INVALID_ARG` for
/// other kinds and for `T[]` (no length).
///
/// # Safety
/// `ty` is a type handle; `out_length` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_length(
    ty: *const abicall_type,
    out_length: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_length`'s contract holds: `ty` is a type handle; `out_length`
    // writable; `err` NULL or writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_length, "out_length")?;
            let n = with_type(ty, |t, id| match t.kind(id) {
                TypeKind::Array { len: Some(n), .. } => Ok(*n),
                _ => Err(Fail::invalid(format!(
                    "`{}` is not an array of known length",
                    t.display(id)
                ))),
            })?;
            o.set(n as usize);
            Ok(())
        })
    }
}

/// The C spelling of a type (`"struct pt *"`; a type looked up by a typedef
/// name, or derived from one with `abicall_type_pointer` /
/// `abicall_type_array`, is spelt with it: `"div_t"`, `"div_t *"`), `snprintf`-style: at most
/// `cap - 1` bytes and a NUL are written to `buf` (which may be NULL when
/// `cap` is 0); the full length is stored to `out_len` unless it is NULL.
///
/// # Safety
/// `ty` is a type handle; `buf` has `cap` writable bytes; `out_len` NULL
/// or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_name(
    ty: *const abicall_type,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_name`'s contract holds: `ty` is a type handle; `buf` has `cap`
    // writable bytes; `out_len` NULL or writable; `err` NULL or writable (`entry`, `live` rely on
    // it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let name = t.display(&read(&t.types));
            copy_name(&name, buf, cap, out_len)
        })
    }
}

/// The type "pointer to `ty`" (for types with no name to spell, such as
/// anonymous structs), as a new type handle of the same context.
/// `ABICALL_E_LAYOUT` if the result would nest more than 256 levels deep.
///
/// # Safety
/// `ty` is a type handle; `out_type` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_pointer(
    ty: *const abicall_type,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_pointer`'s contract holds: `ty` is a type handle; `out_type` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_type, "out_type")?;
            let id = {
                let mut types = t.types.write().unwrap_or_else(|e| e.into_inner());
                let id = types.pointer(t.id);
                types.check_depth(id)?;
                id
            };
            let alias = t.alias.as_ref().map(|a| Arc::from(format!("{a} *")));
            o.set(new_type_named(&t.types, id, alias));
            Ok(())
        })
    }
}

/// The type "array of `length` `ty`" (`ty[length]`), as a new type handle
/// of the same context. `ABICALL_E_LAYOUT` if `ty` is incomplete or a
/// function type, or the array would be too large or nest more than 256
/// levels deep.
///
/// # Safety
/// `ty` is a type handle; `out_type` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_array(
    ty: *const abicall_type,
    length: usize,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_array`'s contract holds: `ty` is a type handle; `out_type` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_type, "out_type")?;
            let id = {
                let mut types = t.types.write().unwrap_or_else(|e| e.into_inner());
                if let Some(f) = undefined_tag(&types, t.id) {
                    return Err(f);
                }
                if matches!(types.kind(t.id), TypeKind::Func(_)) || !types.is_complete(t.id) {
                    return Err(Error::layout(
                        LayoutErrorKind::Incomplete,
                        types.display(t.id),
                        format!(
                            "cannot make an array of `{}` (incomplete or function type)",
                            types.display(t.id)
                        ),
                    )
                    .into());
                }
                let id = types.array(t.id, Some(length as u64));
                types.check_depth(id)?;
                types.size_of(id)?;
                id
            };
            let alias = t.alias.as_ref().map(|a| Arc::from(format!("{a}[{length}]")));
            o.set(new_type_named(&t.types, id, alias));
            Ok(())
        })
    }
}
