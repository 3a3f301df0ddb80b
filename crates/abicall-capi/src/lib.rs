//! The C API: abicall as a C library (`libabicall_capi.so` / `libabicall_capi.a`,
//! declared in `include/abicall.h`, which cbindgen generates from this
//! module), for interpreters and tools written in C to embed.
//!
//! Conventions, the same for every function:
//!
//! - Every function returns an [`abicall_status`] (`ABICALL_OK` = 0) and
//!   takes a last argument `abicall_error *err`. On failure the status says
//!   what kind of problem it was and, unless `err` is NULL, `*err` gets the
//!   status, a message (fixed buffer, nothing to free) and, for declaration
//!   parse errors, the line and column. On success `*err` is not touched.
//!   (Only [`abicall_status_name`] and [`abicall_version`], which cannot
//!   fail, return a string instead.)
//! - No panic crosses the boundary: each entry runs under `catch_unwind`
//!   (`ABICALL_E_PANIC`). Bad input — NULL handles, strings or
//!   out-pointers, invalid UTF-8, unknown names — gives an error status,
//!   never a crash or an abort.
//! - Results are returned through out-pointers named `out_*`.
//! - Objects are opaque handles made by `abicall_*_new` (or `_open`) and
//!   released by the matching `abicall_*_free`. Freeing NULL is a no-op.
//!   Each handle carries a tag checked at every entry: a handle of the wrong
//!   kind gives `ABICALL_E_BAD_HANDLE`; using or freeing a handle again after
//!   it was freed gives `ABICALL_E_FREED` while it is among the last 1024
//!   handles freed (after that its memory is reused, and using it is
//!   undefined behaviour, as with any freed pointer).
//! - Handles derived from a context (types, call objects, callbacks) keep
//!   what they need alive, so they may outlive the context and the library
//!   handle; free them in any order.
//! - Threads: every handle may be used from any thread and concurrently,
//!   except that a handle must not be freed while another thread uses it.
//!
//! ```
//! use abicall_capi::*;
//! use std::ptr::null_mut;
//! unsafe {
//!     let mut ctx = null_mut();
//!     assert_eq!(abicall_context_new(c"x86_64".as_ptr(), &mut ctx, null_mut()), abicall_status::ABICALL_OK);
//!     let decls = "struct pt { char c; double x; };";
//!     assert_eq!(abicall_cdef(ctx, decls.as_ptr().cast(), decls.len(), null_mut()), abicall_status::ABICALL_OK);
//!     let (mut ty, mut size) = (null_mut(), 0usize);
//!     abicall_type_new(ctx, c"struct pt".as_ptr(), &mut ty, null_mut());
//!     abicall_type_size(ty, &mut size, null_mut());
//!     assert_eq!(size, 16);
//!     abicall_type_free(ty, null_mut());
//!     abicall_context_free(ctx, null_mut());
//! }
//! ```
#![allow(non_camel_case_types)]

mod args;
mod call;
mod callback;
mod context;
mod decl;
mod error;
mod handle;
mod library;
mod members;
mod memory;
mod scalar;
mod types;

pub use call::{
    abicall_call, abicall_call_frame, abicall_entry, abicall_entry_fn, abicall_function, abicall_function_arg_count,
    abicall_function_arg_type, abicall_function_code, abicall_function_entry, abicall_function_frame_layout,
    abicall_function_free, abicall_function_memory_size, abicall_function_new, abicall_function_new_at,
    abicall_function_ret_size, abicall_function_ret_type, ABICALL_ENTRY_ERRNO,
};
pub use callback::{
    abicall_callback, abicall_callback_code, abicall_callback_fn, abicall_callback_free, abicall_callback_memory_size,
    abicall_callback_new, abicall_callback_new_ex, abicall_callback_new_status, abicall_callback_new_type,
    abicall_callback_options, abicall_callback_status_fn, abicall_destructor_fn, abicall_error_hook_fn,
    ABICALL_CALLBACK_OWNER_THREAD,
};
pub use context::{
    abicall_cdef, abicall_constant_double, abicall_constant_int, abicall_context, abicall_context_free,
    abicall_context_new, abicall_context_target,
};
pub use decl::{
    abicall_decl_at, abicall_decl_count, abicall_decl_kind, abicall_decl_type, abicall_decl_variadic,
    abicall_declaration, abicall_type_enum_count, abicall_type_enum_member, abicall_type_equal, abicall_type_from_id,
    abicall_type_id,
};
pub use error::{abicall_error, abicall_status, ABICALL_ERROR_MESSAGE_SIZE};
pub use library::{
    abicall_library, abicall_library_free, abicall_library_open, abicall_library_symbol, abicall_variable,
    ABICALL_OPEN_GLOBAL, ABICALL_OPEN_NOW,
};
pub use members::{
    abicall_field, abicall_type_field, abicall_type_field_count, abicall_type_param, abicall_type_signature,
    ABICALL_RETURN,
};
pub use memory::{
    abicall_allocator, abicall_errno_get, abicall_errno_set, abicall_handle, abicall_handle_free, abicall_handle_get,
    abicall_handle_new, abicall_object, abicall_object_free, abicall_object_memory_size, abicall_object_new,
    abicall_object_new_ex, abicall_object_ptr, abicall_object_size,
};
pub use scalar::{
    abicall_load_complex, abicall_load_double, abicall_load_int, abicall_load_int128, abicall_load_uint,
    abicall_store_complex, abicall_store_double, abicall_store_int, abicall_store_int128, abicall_store_uint,
};
pub use types::{
    abicall_kind, abicall_type, abicall_type_align, abicall_type_array, abicall_type_free, abicall_type_is_signed,
    abicall_type_item, abicall_type_kind, abicall_type_length, abicall_type_name, abicall_type_new,
    abicall_type_offsetof, abicall_type_pointer, abicall_type_size,
};

use std::ffi::c_char;

/// How many freed handles are remembered, so that using one again gives
/// `ABICALL_E_FREED` (see the conventions above).
pub const ABICALL_FREED_HANDLES_TRACKED: usize = 1024;

/// The name of a status value (`"ABICALL_E_PARSE"`), a static string;
/// `"ABICALL_E_UNKNOWN_STATUS"` for a value that is not a status.
#[no_mangle]
pub extern "C" fn abicall_status_name(status: i32) -> *const c_char {
    error::status_name(status).as_ptr()
}

/// abicall's version (`"0.1.0"`), a static string.
#[no_mangle]
pub extern "C" fn abicall_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The major version of the header (`ABICALL_VERSION_MAJOR`); the library's
/// is `abicall_version_number() / 1000000`. Changes break the ABI.
pub const ABICALL_VERSION_MAJOR: u32 = 0;
/// The minor version of the header: additions that keep the ABI.
pub const ABICALL_VERSION_MINOR: u32 = 1;
/// The patch version of the header.
pub const ABICALL_VERSION_PATCH: u32 = 0;
/// The header's version as one number: `MAJOR * 1000000 + MINOR * 1000 +
/// PATCH`, to compare with `abicall_version_number()` at run time.
pub const ABICALL_VERSION_NUMBER: u32 =
    ABICALL_VERSION_MAJOR * 1000000 + ABICALL_VERSION_MINOR * 1000 + ABICALL_VERSION_PATCH;

/// The library's version as one number (`MAJOR * 1000000 + MINOR * 1000 +
/// PATCH`): a program built with this header runs against a library whose
/// major version equals `ABICALL_VERSION_MAJOR` and whose number is at
/// least `ABICALL_VERSION_NUMBER`.
#[no_mangle]
pub extern "C" fn abicall_version_number() -> u32 {
    const fn num(s: &str) -> u32 {
        let b = s.as_bytes();
        let mut i = 0;
        let mut n = 0;
        while i < b.len() {
            n = n * 10 + (b[i] - b'0') as u32;
            i += 1;
        }
        n
    }
    const N: u32 = num(env!("CARGO_PKG_VERSION_MAJOR")) * 1000000
        + num(env!("CARGO_PKG_VERSION_MINOR")) * 1000
        + num(env!("CARGO_PKG_VERSION_PATCH"));
    N
}
