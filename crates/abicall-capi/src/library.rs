//! `abicall_library`: shared objects (or the running process), symbol
//! addresses and declared global variables.

use super::args::{c_str, out, out_opt};
use super::context::abicall_context;
use super::error::{abicall_error, abicall_status, entry};
use super::handle::{free, impl_handle, into_raw, live, Shell};
use super::types::{abicall_type, new_type};
use abicall::library::Library;
use std::ffi::{c_char, c_void};

/// A loaded shared object or the running process (opaque). Functions made
/// from it keep it loaded, so freeing the handle early is safe; usable from
/// any thread. Free it with `abicall_library_free`.
pub struct abicall_library {
    shell: Shell<Library>,
}

impl_handle!(abicall_library, Library, 0xab1c_0c03);

/// `abicall_library_open` flag: make the library's symbols available to
/// libraries loaded later (`RTLD_GLOBAL`; the default is `RTLD_LOCAL`).
pub const ABICALL_OPEN_GLOBAL: u32 = 1;
/// `abicall_library_open` flag: resolve every symbol now (`RTLD_NOW`; the
/// default is `RTLD_LAZY`), so a missing dependency fails here.
pub const ABICALL_OPEN_NOW: u32 = 2;

/// Opens a shared object by path (`"./libfoo.so"`) or soname
/// (`"libm.so.6"`, searched as `dlopen` does); NULL (or `""` / `"-"`) is the
/// running process with every library already loaded into it. `flags` is 0
/// or a combination of `ABICALL_OPEN_GLOBAL` and `ABICALL_OPEN_NOW`.
///
/// # Safety
/// Opening a library runs its initializers. `name` is NULL or a
/// NUL-terminated string; `out_lib` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_library_open(
    name: *const c_char,
    flags: u32,
    out_lib: *mut *mut abicall_library,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_library_open`'s contract holds: Opening a library runs its initializers.
    // `name` is NULL or a NUL-terminated string; `out_lib` writable; `err` NULL or writable
    // (`entry`, `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_lib, "out_lib")?;
            let name = if name.is_null() { "" } else { c_str(name, "name")? };
            if flags & !(ABICALL_OPEN_GLOBAL | ABICALL_OPEN_NOW) != 0 {
                return Err(super::error::Fail::invalid(format!(
                    "unknown flags {flags:#x} (expected ABICALL_OPEN_GLOBAL | ABICALL_OPEN_NOW)"
                )));
            }
            let lib = if flags == 0 {
                Library::open(name)?
            } else {
                Library::open_with(name, flags & ABICALL_OPEN_GLOBAL != 0, flags & ABICALL_OPEN_NOW != 0)?
            };
            o.set(into_raw::<abicall_library>(lib));
            Ok(())
        })
    }
}

/// Frees a library handle (NULL: no-op; twice: `ABICALL_E_FREED`). The
/// shared object stays loaded while functions or variables from it are used.
///
/// # Safety
/// `lib` is NULL or a library handle not in use by another thread; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_library_free(lib: *mut abicall_library, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_library_free`'s contract holds: `lib` is NULL or a library handle not in
    // use by another thread; `err` NULL or writable (`entry` relies on it).
    unsafe { entry(err, || free(lib, "lib")) }
}

/// The address of a symbol, by its exact name (`ABICALL_E_SYMBOL_NOT_FOUND`
/// if it is not defined). Valid while the library is loaded.
///
/// # Safety
/// `lib` is a library handle; `name` a NUL-terminated string; `out_addr`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_library_symbol(
    lib: *const abicall_library,
    name: *const c_char,
    out_addr: *mut *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_library_symbol`'s contract holds: `lib` is a library handle; `name` a
    // NUL-terminated string; `out_addr` writable; `err` NULL or writable (`entry`, `live`, `out`,
    // `c_str` rely on it).
    unsafe {
        entry(err, || {
            let l = live(lib, "lib")?;
            let name = c_str(name, "name")?;
            let o = out(out_addr, "out_addr")?;
            o.set(l.symbol(name)?.as_ptr());
            Ok(())
        })
    }
}

/// The address of a global variable declared with `abicall_cdef`
/// (`extern int counter;`, looked up under its `__asm__` name if renamed)
/// and, unless `out_type` is NULL, its type. The address is valid while the
/// library handle (or a function from the library) lives.
///
/// # Safety
/// `ctx` a context handle; `lib` a library handle; `name` a NUL-terminated
/// string; `out_addr` writable; `out_type` NULL or writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_variable(
    ctx: *const abicall_context,
    lib: *const abicall_library,
    name: *const c_char,
    out_addr: *mut *mut c_void,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_variable`'s contract holds: `ctx` a context handle; `lib` a library handle;
    // `name` a NUL-terminated string; `out_addr` writable; `out_type` NULL or writable; `err` NULL
    // or writable (`entry`, `live`, `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let l = live(lib, "lib")?;
            let name = c_str(name, "name")?;
            let o = out(out_addr, "out_addr")?;
            let view = c.ffi().variable(l, name)?;
            o.set(view.address()? as *mut c_void);
            if let Some(t) = out_opt(out_type) {
                t.set(new_type(c.types(), view.ty()));
            }
            Ok(())
        })
    }
}
