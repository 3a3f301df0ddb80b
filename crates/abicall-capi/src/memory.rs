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
    // Dropped before `hooked`: the view goes first, then the memory.
    data: CData,
    size: usize,
    /// The memory, when an embedder's allocator gave it.
    hooked: Option<Hooked>,
}

/// An embedder's allocator for the memory of owned C objects
/// (`abicall_object_new_ex`). abicall calls `alloc` once per object and
/// `free` once when the object is freed, with the same size and alignment;
/// both may be called from any thread that makes or frees objects. abicall's
/// own bookkeeping (types, declarations, call plans, generated code,
/// handles) does not go through it: that memory comes from the process's
/// allocator, and `abicall_*_memory_size` reports how much a handle holds.
#[repr(C)]
pub struct abicall_allocator {
    /// `sizeof(abicall_allocator)` as the caller compiled it
    /// (`ABICALL_E_VERSION` for a size this library does not know).
    pub size: usize,
    /// Returns `size` bytes aligned to `align` (a power of two), or NULL when
    /// it cannot (then `abicall_object_new_ex` fails with
    /// `ABICALL_E_MEMORY`). abicall zeroes the bytes.
    pub alloc: Option<unsafe extern "C" fn(user: *mut c_void, size: usize, align: usize) -> *mut c_void>,
    /// Releases what `alloc` returned (with the same `size` and `align`).
    pub free: Option<unsafe extern "C" fn(user: *mut c_void, ptr: *mut c_void, size: usize, align: usize)>,
    /// The first argument of `alloc` and `free`.
    pub user: *mut c_void,
}

/// Memory from an embedder's allocator, given back on drop.
struct Hooked {
    ptr: *mut c_void,
    size: usize,
    align: usize,
    free: unsafe extern "C" fn(*mut c_void, *mut c_void, usize, usize),
    user: *mut c_void,
}

// SAFETY: the contract of `abicall_object_new_ex` is that the allocator's
// functions may be called from any thread; the memory is plain bytes.
unsafe impl Send for Hooked {}
// SAFETY: `&Hooked` reads nothing but its own fields.
unsafe impl Sync for Hooked {}

impl Drop for Hooked {
    fn drop(&mut self) {
        // SAFETY: the allocator's `free` for what its `alloc` returned, with
        // the same size and alignment, once (contract of `abicall_allocator`).
        unsafe { (self.free)(self.user, self.ptr, self.size, self.align) }
    }
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
            o.set(into_raw::<abicall_object>(Object {
                data,
                size,
                hooked: None,
            }));
            Ok(())
        })
    }
}

/// As `abicall_object_new`, with the memory from `alloc` (NULL: abicall's
/// own, exactly `abicall_object_new`). The type must be complete. The
/// memory is zeroed, handed back to `alloc->free` when the object is freed,
/// and must be aligned as asked (`ABICALL_E_MEMORY` if `alloc` returns NULL
/// or misaligned memory, which is then given back). A zero-byte object
/// asks for 1 byte.
///
/// # Safety
/// `ty` is a type handle; `alloc` NULL or a readable allocator whose
/// functions and `user` stay valid until the object is freed; `out_obj`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_object_new_ex(
    ty: *const abicall_type,
    count: usize,
    alloc: *const abicall_allocator,
    out_obj: *mut *mut abicall_object,
    err: *mut abicall_error,
) -> abicall_status {
    if alloc.is_null() {
        // SAFETY: this function's contract is `abicall_object_new`'s.
        return unsafe { abicall_object_new(ty, count, out_obj, err) };
    }
    // SAFETY: `abicall_object_new_ex`'s contract holds: `ty` is a type handle; `alloc` readable;
    // `out_obj` writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(ty, "ty")?;
            let o = out(out_obj, "out_obj")?;
            let a = &*alloc;
            if a.size != std::mem::size_of::<abicall_allocator>() {
                return Err(Fail::new(
                    abicall_status::ABICALL_E_VERSION,
                    format!(
                        "`alloc->size` is {}, this library's abicall_allocator has {} bytes",
                        a.size,
                        std::mem::size_of::<abicall_allocator>()
                    ),
                ));
            }
            let (Some(af), Some(ff)) = (a.alloc, a.free) else {
                return Err(Fail::null(if a.alloc.is_none() {
                    "alloc->alloc"
                } else {
                    "alloc->free"
                }));
            };
            let (elem, align) = {
                let types = read(&t.types);
                if let Some(f) = super::types::undefined_tag(&types, t.id) {
                    return Err(f);
                }
                let (s, al) = types.size_align(t.id)?;
                (s, al as usize)
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
            let view_ty = if count == 1 {
                t.id
            } else {
                t.types.write().unwrap_or_else(|e| e.into_inner()).array(t.id, None)
            };
            let bytes = size.max(1);
            // The embedder's allocator with its user data (contract).
            let ptr = af(a.user, bytes, align);
            if ptr.is_null() {
                return Err(Error::memory(
                    abicall::MemoryErrorKind::OutOfMemory,
                    format!("the embedder's allocator returned NULL for {bytes} bytes"),
                )
                .into());
            }
            let hooked = Hooked {
                ptr,
                size: bytes,
                align,
                free: ff,
                user: a.user,
            };
            if !(ptr as usize).is_multiple_of(align) {
                return Err(Error::memory(
                    abicall::MemoryErrorKind::OutOfMemory,
                    format!("the embedder's allocator returned {ptr:p}, not aligned to {align} bytes"),
                )
                .into());
            }
            // `alloc` returned `bytes` writable bytes, aligned (checked),
            // owned by `hooked` until the object is freed, which drops the
            // view first.
            std::ptr::write_bytes(ptr as *mut u8, 0, bytes);
            let data = CData::from_raw(view_ty, ptr as *mut u8, size, None);
            o.set(into_raw::<abicall_object>(Object {
                data,
                size,
                hooked: Some(hooked),
            }));
            Ok(())
        })
    }
}

/// Bytes of memory an object holds: its C memory (from abicall, or from
/// the embedder's allocator for `abicall_object_new_ex`) and the handle.
/// With `abicall_function_memory_size` and `abicall_callback_memory_size`,
/// what a host's garbage collector weighs a handle by.
///
/// # Safety
/// `obj` is an object handle; `out_bytes` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_object_memory_size(
    obj: *const abicall_object,
    out_bytes: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_object_memory_size`'s contract holds: `obj` is an object handle;
    // `out_bytes` writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let o = live(obj, "obj")?;
            let mem = o.hooked.as_ref().map_or(o.size, |h| h.size);
            out(out_bytes, "out_bytes")?.set(mem + std::mem::size_of::<abicall_object>());
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
