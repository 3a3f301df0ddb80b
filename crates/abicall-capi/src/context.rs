//! `abicall_context`: one target, its C declarations (`abicall_cdef`) and
//! declared constants.

use super::args::{c_str, out, text};
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::{free, impl_handle, into_raw, live, Shell};
use abicall::decls::Constant;
use abicall::SharedTypes;
use abicall::{Error, Ffi, Target};
use std::ffi::{c_char, CStr};
use std::sync::{Mutex, MutexGuard};

/// A declaration context (opaque): a target, the types and declarations
/// added with `abicall_cdef`. Safe to use from several threads (entries
/// taking a context serialise on an internal lock); free it with
/// `abicall_context_free`. Types, functions and callbacks made from it keep
/// what they need, so they stay valid after the context is freed.
pub struct abicall_context {
    shell: Shell<Context>,
}

pub(crate) struct Context {
    ffi: Mutex<Ffi>,
    types: SharedTypes,
}

impl Context {
    /// The context (a poisoned lock is still usable: every `Ffi` method
    /// leaves it consistent on error).
    pub(crate) fn ffi(&self) -> MutexGuard<'_, Ffi> {
        self.ffi.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Its type table (what type handles hold).
    pub(crate) fn types(&self) -> &SharedTypes {
        &self.types
    }
}

impl_handle!(abicall_context, Context, 0xab1c_0c01);

fn target_name(t: Target) -> &'static CStr {
    match t {
        Target::X86_64SysV => c"x86_64",
        Target::Aarch64Linux => c"aarch64",
        Target::Aarch64Apple => c"aarch64-apple",
    }
}

/// Creates a context for a target: NULL for the host (the only target
/// whose functions can be called), or a name: `"x86_64"`, `"aarch64"`,
/// `"aarch64-apple"` (types of any target can be laid out on any host).
///
/// # Safety
/// `target` is NULL or a NUL-terminated string; `out` points to writable
/// memory for a pointer; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_context_new(
    target: *const c_char,
    out_ctx: *mut *mut abicall_context,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_context_new`'s contract holds: `target` is NULL or a NUL-terminated string;
    // `out` points to writable memory for a pointer; `err` is NULL or writable (`entry`, `out`,
    // `c_str` rely on it).
    unsafe {
        entry(err, || {
            let o = out(out_ctx, "out_ctx")?;
            let ffi = if target.is_null() {
                Ffi::host()?
            } else {
                let name = c_str(target, "target")?;
                Ffi::new(name.parse::<Target>().map_err(|e| Fail::invalid(e.to_string()))?)
            };
            let types = ffi.shared_types();
            o.set(into_raw::<abicall_context>(Context {
                ffi: Mutex::new(ffi),
                types,
            }));
            Ok(())
        })
    }
}

/// Frees a context. NULL is a no-op; freeing twice gives `ABICALL_E_FREED`
/// (detected for recently freed handles, see the header's introduction).
///
/// # Safety
/// `ctx` is NULL or a context from `abicall_context_new` not in use by
/// another thread; `err` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_context_free(ctx: *mut abicall_context, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_context_free`'s contract holds: `ctx` is NULL or a context from
    // `abicall_context_new` not in use by another thread; `err` is NULL or writable (`entry` rely
    // on it).
    unsafe { entry(err, || free(ctx, "ctx")) }
}

/// The context's target name (`"x86_64"`, `"aarch64"`, `"aarch64-apple"`),
/// a static string.
///
/// # Safety
/// `ctx` is a context handle; `out_name` is writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_context_target(
    ctx: *const abicall_context,
    out_name: *mut *const c_char,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_context_target`'s contract holds: `ctx` is a context handle; `out_name` is
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let o = out(out_name, "out_name")?;
            o.set(target_name(c.ffi().target()).as_ptr());
            Ok(())
        })
    }
}

/// Parses C declarations (`len` bytes of UTF-8 at `text`, no NUL needed)
/// and adds them to the context. On a parse error the status is
/// `ABICALL_E_PARSE`, `err->line` / `err->col` locate the problem and the
/// message starts with `line:col:`. Declarations before the failing one
/// stay added.
///
/// # Safety
/// `ctx` is a context handle; `text` points to `len` readable bytes (may be
/// NULL if `len` is 0); `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_cdef(
    ctx: *const abicall_context,
    decls: *const c_char,
    len: usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_cdef`'s contract holds: `ctx` is a context handle; `text` points to `len`
    // readable bytes (may be NULL if `len` is 0); `err` NULL or writable (`entry`, `live` rely on
    // it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let src = text(decls, len, "decls")?;
            c.ffi().cdef(src)?;
            Ok(())
        })
    }
}

fn constant(c: &Context, name: &str) -> Result<Constant, Fail> {
    c.ffi()
        .decls()
        .constants
        .get(name)
        .cloned()
        .ok_or_else(|| Error::UnknownName(name.to_string()).into())
}

/// The value of a declared integer constant (enumerator, `#define`,
/// `static const`). `ABICALL_E_CONVERT` if it is a floating constant or
/// does not fit `int64_t`.
///
/// # Safety
/// `ctx` is a context handle; `name` a NUL-terminated string; `out_value`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_constant_int(
    ctx: *const abicall_context,
    name: *const c_char,
    out_value: *mut i64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_constant_int`'s contract holds: `ctx` is a context handle; `name` a
    // NUL-terminated string; `out_value` writable; `err` NULL or writable (`entry`, `live`, `out`,
    // `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_value, "out_value")?;
            let convert = |message: String| Error::Convert {
                ty: "int64_t".into(),
                message,
            };
            match constant(c, name)? {
                Constant::Int { value, .. } => o.set(
                    i64::try_from(value)
                        .map_err(|_| convert(format!("constant `{name}` = {value} is out of range")))?,
                ),
                Constant::Float { .. } => {
                    return Err(convert(format!(
                        "constant `{name}` is a floating constant (use abicall_constant_double)"
                    ))
                    .into())
                }
            }
            Ok(())
        })
    }
}

/// The value of a declared constant as a `double` (integer constants are
/// converted).
///
/// # Safety
/// As for `abicall_constant_int`.
#[no_mangle]
pub unsafe extern "C" fn abicall_constant_double(
    ctx: *const abicall_context,
    name: *const c_char,
    out_value: *mut f64,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_constant_double`'s contract holds: As for `abicall_constant_int` (`entry`,
    // `live`, `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let name = c_str(name, "name")?;
            let o = out(out_value, "out_value")?;
            o.set(match constant(c, name)? {
                Constant::Int { value, .. } => value as f64,
                Constant::Float { value, .. } => value,
            });
            Ok(())
        })
    }
}
