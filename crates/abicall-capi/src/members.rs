//! Walking a type's structure: the members of a struct or union (to convert
//! a whole record to and from an interpreter's values) and the signature of
//! a function type (to convert a callback's arguments).

use super::args::{out, out_opt};
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::live;
use super::types::{abicall_type, new_type};
use abicall::read_types as read;
use std::ffi::c_char;

/// One member of a struct or union, as `abicall_type_field` describes it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct abicall_field {
    /// Byte offset from the start of the record (for a bitfield: of the byte
    /// holding its lowest bit).
    pub offset: usize,
    /// True for a bitfield member.
    pub is_bitfield: bool,
    /// For a bitfield: position of its lowest bit in the byte at `offset`
    /// (0..7, counted from the least significant bit).
    pub bit_offset: u32,
    /// For a bitfield: its width in bits (0 for `:0`).
    pub bit_width: u32,
    /// Length in bytes of the member's name (0 for an anonymous struct or
    /// union member and for an unnamed bitfield).
    pub name_len: usize,
}

/// The number of direct members of a struct or union type (anonymous
/// members and unnamed bitfields count as one each; 0 while incomplete).
/// `ABICALL_E_INVALID_ARG` for other kinds.
///
/// # Safety
/// `ty` is a type handle; `out_count` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_field_count(
    ty: *const abicall_type,
    out_count: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_field_count`'s contract holds: `ty` is a type handle; `out_count`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_count, "out_count")?;
            let types = read(&t.types);
            let rec = types
                .record_of(t.id)
                .ok_or_else(|| Fail::invalid(format!("`{}` is not a struct or union", types.display(t.id))))?;
            o.set(rec.fields.len());
            Ok(())
        })
    }
}

/// Member `index` (0-based, declaration order) of a struct or union type:
/// its placement goes to `*out_field`, its name to `name_buf`
/// (`snprintf`-style: at most `name_cap - 1` bytes and a NUL; NULL allowed
/// when `name_cap` is 0; the full length is `out_field->name_len`) and,
/// unless `out_type` is NULL, its type to `*out_type` (a new handle).
///
/// # Safety
/// `ty` is a type handle; `out_field` writable; `name_buf` has `name_cap`
/// writable bytes; `out_type` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_field(
    ty: *const abicall_type,
    index: usize,
    out_field: *mut abicall_field,
    name_buf: *mut c_char,
    name_cap: usize,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_field`'s contract holds: `ty` is a type handle; `out_field` writable;
    // `name_buf` has `name_cap` writable bytes; `out_type` NULL or writable; `err` NULL or
    // writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_field, "out_field")?;
            if name_cap > 0 && name_buf.is_null() {
                return Err(Fail::null("name_buf"));
            }
            let types = read(&t.types);
            let rec = types
                .record_of(t.id)
                .ok_or_else(|| Fail::invalid(format!("`{}` is not a struct or union", types.display(t.id))))?;
            let f = rec.fields.get(index).ok_or_else(|| {
                Fail::invalid(format!(
                    "member index {index} out of range (`{}` has {} members)",
                    types.display(t.id),
                    rec.fields.len()
                ))
            })?;
            let name = f.name.as_deref().unwrap_or("");
            if name_cap > 0 {
                let n = name.len().min(name_cap - 1);
                // SAFETY: `name_buf` has `name_cap` > n writable bytes (contract).
                std::ptr::copy_nonoverlapping(name.as_ptr(), name_buf.cast::<u8>(), n);
                *name_buf.add(n) = 0;
            }
            o.set(abicall_field {
                offset: f.offset as usize,
                is_bitfield: f.bit.is_some(),
                bit_offset: f.bit.map_or(0, |b| b.bit_offset),
                bit_width: f.bit.map_or(0, |b| b.bit_width),
                name_len: name.len(),
            });
            if let Some(ot) = out_opt(out_type) {
                ot.set(new_type(&t.types, f.ty));
            }
            Ok(())
        })
    }
}

/// The shape of a function type (or pointer to one): the number of
/// declared parameters and whether it is variadic. `ABICALL_E_INVALID_ARG`
/// for other kinds.
///
/// # Safety
/// `ty` is a type handle; `out_params` writable; `out_variadic` NULL or
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_signature(
    ty: *const abicall_type,
    out_params: *mut usize,
    out_variadic: *mut bool,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_signature`'s contract holds: `ty` is a type handle; `out_params`
    // writable; `out_variadic` NULL or writable; `err` NULL or writable (`entry`, `live`, `out`
    // rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_params, "out_params")?;
            let types = read(&t.types);
            let sig = types
                .sig_of(t.id)
                .ok_or_else(|| Fail::invalid(format!("`{}` is not a function type", types.display(t.id))))?;
            o.set(sig.params.len());
            if let Some(v) = out_opt(out_variadic) {
                v.set(sig.variadic);
            }
            Ok(())
        })
    }
}

/// Parameter `index` (0-based) of a function type, or its return type for
/// `index == (size_t)-1` (`ABICALL_RETURN`), as a new type handle.
///
/// # Safety
/// `ty` is a type handle; `out_type` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_type_param(
    ty: *const abicall_type,
    index: usize,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_type_param`'s contract holds: `ty` is a type handle; `out_type` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_type, "out_type")?;
            let id = {
                let types = read(&t.types);
                let sig = types
                    .sig_of(t.id)
                    .ok_or_else(|| Fail::invalid(format!("`{}` is not a function type", types.display(t.id))))?;
                if index == ABICALL_RETURN {
                    sig.ret
                } else {
                    *sig.params.get(index).ok_or_else(|| {
                        Fail::invalid(format!(
                            "parameter index {index} out of range (`{}` has {} parameters)",
                            types.display(t.id),
                            sig.params.len()
                        ))
                    })?
                }
            };
            o.set(new_type(&t.types, id));
            Ok(())
        })
    }
}

/// The `index` that makes `abicall_type_param` give the return type.
pub const ABICALL_RETURN: usize = !0;
