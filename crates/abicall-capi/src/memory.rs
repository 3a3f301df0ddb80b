//! Owned C objects (`abicall_object`), `errno`, and handles (`void *`
//! tokens that map back to a host value, cffi's `new_handle`).

use super::args::out;
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::{free, impl_handle, into_raw, live, Shell};
use super::types::abicall_type;
use abicall::memory::{self, CData, Handle};
use abicall::read_types as read;
use abicall::Error;
use std::ffi::c_void;
use std::sync::Arc;

/// A zeroed, owned C object (opaque): `count` elements of a type, freed
/// with `abicall_object_free`. The memory is aligned for the type.
/// Concurrent access to the bytes is the caller's business, as with
/// `malloc`ed memory.
pub struct abicall_object {
    shell: Shell<Object>,
}

pub(crate) struct Object {
    data: CData,
    size: usize,
}

impl_handle!(abicall_object, Object, 0xab1c_0c05);

/// Allocates `count` zeroed elements of `type` (a complete type; 1 for a
/// single object). `ABICALL_E_MEMORY` if the size overflows or allocation
/// fails, `ABICALL_E_UNKNOWN_TYPE` for a struct, union or enum never
/// defined (`struct typo`), `ABICALL_E_LAYOUT` for other incomplete types.
///
/// # Safety
/// `ty` is a type handle; `out_obj` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_object_new(
    ty: *const abicall_type,
    count: usize,
    out_obj: *mut *mut abicall_object,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_object_new`'s contract holds: `ty` is a type handle; `out_obj` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_obj, "out_obj")?;
            let elem = {
                let types = read(&t.types);
                if let Some(f) = super::types::undefined_tag(&types, t.id) {
                    return Err(f);
                }
                types.size_of(t.id)?
            };
            let size = (elem as usize)
                .checked_mul(count)
                .filter(|&s| s <= isize::MAX as usize)
                .ok_or_else(|| {
                    Error::memory(
                        abicall::MemoryErrorKind::Size,
                        format!("{count} elements of {elem} bytes do not fit in memory"),
                    )
                })?;
            let data = if count == 1 {
                CData::new(&read(&t.types), t.id, None)?
            } else {
                let mut types = t.types.write().unwrap_or_else(|e| e.into_inner());
                CData::new_array(&mut types, t.id, count, None)?
            };
            o.set(into_raw::<abicall_object>(Object { data, size }));
            Ok(())
        })
    }
}

/// Frees an object and its memory (NULL: no-op; twice: `ABICALL_E_FREED`).
/// Pointers to it that C kept dangle afterwards.
///
/// # Safety
/// `obj` is NULL or an object handle not in use by another thread; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_object_free(obj: *mut abicall_object, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_object_free`'s contract holds: `obj` is NULL or an object handle not in use
    // by another thread; `err` NULL or writable (`entry` relies on it).
    unsafe { entry(err, || free(obj, "obj")) }
}

/// The address of the object's memory (valid until it is freed).
///
/// # Safety
/// `obj` is an object handle; `out_ptr` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_object_ptr(
    obj: *const abicall_object,
    out_ptr: *mut *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_object_ptr`'s contract holds: `obj` is an object handle; `out_ptr`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = live(obj, "obj")?;
            out(out_ptr, "out_ptr")?.set(o.data.address()? as *mut c_void);
            Ok(())
        })
    }
}

/// The object's size in bytes (`count * sizeof(type)`).
///
/// # Safety
/// `obj` is an object handle; `out_size` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_object_size(
    obj: *const abicall_object,
    out_size: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_object_size`'s contract holds: `obj` is an object handle; `out_size`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = live(obj, "obj")?;
            out(out_size, "out_size")?.set(o.size);
            Ok(())
        })
    }
}

/// The `errno` C left after the most recent `abicall_call` in this thread
/// (saved right after the call, so later C library calls cannot clobber it).
///
/// # Safety
/// `out_errno` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_errno_get(out_errno: *mut i32, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_errno_get`'s contract holds: `out_errno` writable; `err` NULL or writable
    // (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            out(out_errno, "out_errno")?.set(abicall::call::errno());
            Ok(())
        })
    }
}

/// Sets this thread's saved `errno`: it is put into C's `errno` right
/// before the next `abicall_call` in this thread.
///
/// # Safety
/// `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_errno_set(value: i32, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_errno_set`'s contract holds: `err` NULL or writable (`entry` relies on it).
    unsafe {
        entry(err, || {
            abicall::call::set_errno(value);
            Ok(())
        })
    }
}

/// A handle (opaque) owning a `void *` token that maps back to a host value
/// (cffi's `new_handle`): give the token to C (as a callback's user data,
/// say) and turn it back with `abicall_handle_get`, which refuses tokens
/// that are forged or whose handle was freed.
pub struct abicall_handle {
    shell: Shell<HandleBox>,
}

pub(crate) struct HandleBox {
    _guard: Handle,
}

impl_handle!(abicall_handle, HandleBox, 0xab1c_0c06);

/// What a C API token maps to.
struct Value(usize);

/// Makes a token for `value`: stores the owning handle to `out_handle` and
/// the token (not an address of anything) to `out_token`.
///
/// # Safety
/// `out_handle`, `out_token` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_handle_new(
    value: *mut c_void,
    out_handle: *mut *mut abicall_handle,
    out_token: *mut *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_handle_new`'s contract holds: `out_handle`, `out_token` writable; `err`
    // NULL or writable (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let oh = out(out_handle, "out_handle")?;
            let ot = out(out_token, "out_token")?;
            let (guard, token) = memory::new_handle(Arc::new(Value(value as usize)))?;
            oh.set(into_raw::<abicall_handle>(HandleBox { _guard: guard }));
            ot.set(token);
            Ok(())
        })
    }
}

/// The value a token was made for; `ABICALL_E_HANDLE` for a token never
/// issued, forged, or whose handle was freed.
///
/// # Safety
/// `out_value` writable; `err` NULL or writable. `token` may be anything.
#[no_mangle]
pub unsafe extern "C" fn abicall_handle_get(
    token: *const c_void,
    out_value: *mut *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_handle_get`'s contract holds: `out_value` writable; `err` NULL or writable.
    // `token` may be anything (`entry`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_value, "out_value")?;
            let v = memory::from_handle(token)?;
            let v = v
                .downcast_ref::<Value>()
                .ok_or_else(|| Fail::from(Error::Handle(token as usize)))?;
            o.set(v.0 as *mut c_void);
            Ok(())
        })
    }
}

/// Frees a handle: its token becomes invalid (NULL: no-op; twice: `ABICALL_E_FREED`).
///
/// # Safety
/// `handle` is NULL or a handle not in use by another thread; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_handle_free(handle: *mut abicall_handle, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_handle_free`'s contract holds: `handle` is NULL or a handle not in use by
    // another thread; `err` NULL or writable (`entry` relies on it).
    unsafe { entry(err, || free(handle, "handle")) }
}
