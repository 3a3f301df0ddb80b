//! `abicall_type`: a C type of a context, with its layout (size, alignment,
//! member offsets) and shape (kind, pointee / element, array length).

use super::args::{c_str, out, out_opt};
use super::context::abicall_context;
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::{free, impl_handle, into_raw, live, Shell};
use abicall::types::{Prim, RecordKind, TypeId, TypeKind, Types};
use abicall::Error;
use abicall::{read_types as read, SharedTypes};
use std::ffi::c_char;

/// A C type of a context (opaque). It keeps the context's type table alive,
/// so it stays valid after the context is freed. Free it with
/// `abicall_type_free`; usable from any thread.
pub struct abicall_type {
    shell: Shell<TypeRef>,
}

/// A type id with the table it belongs to.
pub(crate) struct TypeRef {
    pub(crate) types: SharedTypes,
    pub(crate) id: TypeId,
}

impl_handle!(abicall_type, TypeRef, 0xab1c_0c02);

/// Hands a type of `types` to C.
pub(crate) fn new_type(types: &SharedTypes, id: TypeId) -> *mut abicall_type {
    into_raw::<abicall_type>(TypeRef {
        types: types.clone(),
        id,
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
    ABICALL_KIND_BOOL,
    /// Plain `char` (signed or not depending on the target; see `abicall_type_is_signed`).
    ABICALL_KIND_CHAR,
    /// `signed char`.
    ABICALL_KIND_SCHAR,
    /// `unsigned char`.
    ABICALL_KIND_UCHAR,
    /// `short`.
    ABICALL_KIND_SHORT,
    /// `unsigned short`.
    ABICALL_KIND_USHORT,
    /// `int`.
    ABICALL_KIND_INT,
    /// `unsigned int`.
    ABICALL_KIND_UINT,
    /// `long`.
    ABICALL_KIND_LONG,
    /// `unsigned long`.
    ABICALL_KIND_ULONG,
    /// `long long`.
    ABICALL_KIND_LONGLONG,
    /// `unsigned long long`.
    ABICALL_KIND_ULONGLONG,
    /// `__int128`.
    ABICALL_KIND_INT128,
    /// `unsigned __int128`.
    ABICALL_KIND_UINT128,
    /// `float`.
    ABICALL_KIND_FLOAT,
    /// `double`.
    ABICALL_KIND_DOUBLE,
    /// `long double` (format depends on the target).
    ABICALL_KIND_LONGDOUBLE,
    /// `float _Complex`.
    ABICALL_KIND_FLOAT_COMPLEX,
    /// `double _Complex`.
    ABICALL_KIND_DOUBLE_COMPLEX,
    /// `long double _Complex`.
    ABICALL_KIND_LONGDOUBLE_COMPLEX,
    /// A pointer (`abicall_type_item` gives the pointee).
    ABICALL_KIND_POINTER,
    /// An array (`abicall_type_item` gives the element type, `abicall_type_length` the length).
    ABICALL_KIND_ARRAY,
    /// A struct.
    ABICALL_KIND_STRUCT,
    /// A union.
    ABICALL_KIND_UNION,
    /// An enum (its size and signedness are those of its underlying integer type).
    ABICALL_KIND_ENUM,
    /// A function type.
    ABICALL_KIND_FUNCTION,
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
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_type, "out_type")?;
            let id = c.ffi().type_of(name)?;
            o.set(new_type(c.types(), id));
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
    // SAFETY: forwarded contracts.
    unsafe { entry(err, || free(ty, "ty")) }
}

/// Runs `f` on a live type handle's table.
///
/// # Safety
/// `ty` is NULL or a type handle.
unsafe fn with_type<R>(ty: *const abicall_type, f: impl FnOnce(&Types, TypeId) -> Result<R, Fail>) -> Result<R, Fail> {
    // SAFETY: forwarded contract.
    let t = unsafe { live(ty, "ty") }?;
    let types = read(&t.types);
    f(&types, t.id)
}

/// `sizeof(type)` (`ABICALL_E_LAYOUT` for an incomplete type).
///
/// # Safety
/// `ty` is a type handle; `out_size` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_size(
    ty: *const abicall_type,
    out_size: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let o = out(out_size, "out_size")?;
            let size = with_type(ty, |t, id| Ok(t.size_of(id)?))?;
            o.set(usize::try_from(size).map_err(|_| Fail::from(Error::Layout(format!("size {size} too large"))))?);
            Ok(())
        })
    }
}

/// `_Alignof(type)`.
///
/// # Safety
/// `ty` is a type handle; `out_align` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_align(
    ty: *const abicall_type,
    out_align: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: forwarded contracts.
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
    // SAFETY: forwarded contracts.
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
    // SAFETY: forwarded contracts.
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
    // SAFETY: forwarded contracts.
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
    // SAFETY: forwarded contracts.
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
    // SAFETY: forwarded contracts.
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

/// The C spelling of a type (`"struct pt *"`), `snprintf`-style: at most
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
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let name = with_type(ty, |t, id| Ok(t.display(id)))?;
            if cap > 0 {
                if buf.is_null() {
                    return Err(Fail::null("buf"));
                }
                let n = name.len().min(cap - 1);
                // SAFETY: `buf` has `cap` > n writable bytes (contract).
                std::ptr::copy_nonoverlapping(name.as_ptr(), buf as *mut u8, n);
                *buf.add(n) = 0;
            }
            if let Some(o) = out_opt(out_len) {
                o.set(name.len());
            }
            Ok(())
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
    // SAFETY: forwarded contracts.
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
            o.set(new_type(&t.types, id));
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
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_type, "out_type")?;
            let id = {
                let mut types = t.types.write().unwrap_or_else(|e| e.into_inner());
                if matches!(types.kind(t.id), TypeKind::Func(_)) || !types.is_complete(t.id) {
                    return Err(Error::Layout(format!(
                        "cannot make an array of `{}` (incomplete or function type)",
                        types.display(t.id)
                    ))
                    .into());
                }
                let id = types.array(t.id, Some(length as u64));
                types.check_depth(id)?;
                types.size_of(id)?;
                id
            };
            o.set(new_type(&t.types, id));
            Ok(())
        })
    }
}
