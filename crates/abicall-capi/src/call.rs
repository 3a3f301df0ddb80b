//! `abicall_function`: a prepared call (the raw call API). Everything that
//! can be decided per signature is decided when it is made; `abicall_call`
//! only moves bytes.

use super::args::{array, c_str, out};
use super::context::abicall_context;
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::{free, impl_handle, into_raw, live, live_or_none, Shell};
use super::library::abicall_library;
use super::types::{abicall_type, new_type};
use abicall::call::{DirectEntry, RawCall};
use abicall::types::TypeId;
use abicall::{read_types as read, SharedTypes};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// A prepared call to one C function with one signature (for a variadic
/// function: with one list of variadic argument types), opaque. Calls from
/// several threads at once are fine. It keeps its library loaded and its
/// types alive. Free it with `abicall_function_free`.
pub struct abicall_function {
    shell: Shell<Func>,
}

pub(crate) struct Func {
    raw: RawCall,
    types: SharedTypes,
}

impl_handle!(abicall_function, Func, 0xab1c_0c04);

/// The ids of the variadic argument types, which must belong to `types`.
///
/// # Safety
/// `var_types` points to `n` type handles (or `n` is 0).
unsafe fn var_ids(types: &SharedTypes, var_types: *const *const abicall_type, n: usize) -> Result<Vec<TypeId>, Fail> {
    // SAFETY: `var_ids`'s contract holds: `var_types` points to `n` type handles (or `n` is 0)
    // (`live` relies on it).
    let handles = unsafe { array(var_types, n, "var_types") }?;
    let mut ids = Vec::with_capacity(n);
    for (i, &h) in handles.iter().enumerate() {
        // SAFETY: each element is a type handle (contract).
        let t = unsafe { live(h, &format!("var_types[{i}]")) }?;
        if !Arc::ptr_eq(&t.types, types) {
            return Err(Fail::invalid(format!(
                "`var_types[{i}]` belongs to another context than the function"
            )));
        }
        ids.push(t.id);
    }
    Ok(ids)
}

/// Prepares a call to the function `name` declared with `abicall_cdef`,
/// found in `lib` (under its `__asm__` name if renamed). For a variadic
/// function, `var_types` lists the types of the arguments passed for `...`
/// (`n_var` of them; before promotion: a `float` is passed as `double`);
/// for other functions `n_var` must be 0 and `var_types` may be NULL.
///
/// # Safety
/// The declaration must match the function in the library (the FFI's
/// basic contract). `ctx`, `lib` are handles; `name` a NUL-terminated
/// string; `var_types` points to `n_var` type handles of `ctx`; `out_fn`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_new(
    ctx: *const abicall_context,
    lib: *const abicall_library,
    name: *const c_char,
    var_types: *const *const abicall_type,
    n_var: usize,
    out_fn: *mut *mut abicall_function,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_new`'s contract holds: The declaration must match the function in
    // the library (the FFI's basic contract). `ctx`, `lib` are handles; `name` a NUL-terminated
    // string; `var_types` points to `n_var` type handles of `ctx`; `out_fn` writable; `err` NULL
    // or writable (`entry`, `live`, `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let l = live(lib, "lib")?;
            let name = c_str(name, "name")?;
            let o = out(out_fn, "out_fn")?;
            let ids = var_ids(c.types(), var_types, n_var)?;
            let f = c.ffi().function(l, name)?;
            let raw = f.raw_variadic(&ids)?;
            o.set(into_raw::<abicall_function>(Func {
                raw,
                types: c.types().clone(),
            }));
            Ok(())
        })
    }
}

/// Prepares a call to the C function at `code` whose type is `fn_type` (a
/// function type or a pointer to one, e.g. from `abicall_type_new(ctx,
/// "int (*)(int)", ...)`): for function pointers C hands out. `var_types`
/// as for `abicall_function_new`.
///
/// # Safety
/// `code` must be a C function of type `fn_type` on the host ABI, valid
/// while the call object is used. Other pointers as for `abicall_function_new`.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_new_at(
    fn_type: *const abicall_type,
    code: *const c_void,
    var_types: *const *const abicall_type,
    n_var: usize,
    out_fn: *mut *mut abicall_function,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_new_at`'s contract holds: `code` must be a C function of type
    // `fn_type` on the host ABI, valid while the call object is used. Other pointers as for
    // `abicall_function_new` (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(fn_type, "fn_type")?;
            let o = out(out_fn, "out_fn")?;
            let ids = var_ids(&t.types, var_types, n_var)?;
            let raw = RawCall::new(&read(&t.types), t.id, &ids, code, None)?;
            o.set(into_raw::<abicall_function>(Func {
                raw,
                types: t.types.clone(),
            }));
            Ok(())
        })
    }
}

/// Frees a call object (NULL: no-op; twice: `ABICALL_E_FREED`).
///
/// # Safety
/// `f` is NULL or a call object not in use by another thread; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_free(f: *mut abicall_function, err: *mut abicall_error) -> abicall_status {
    // SAFETY: `abicall_function_free`'s contract holds: `f` is NULL or a call object not in use by
    // another thread; `err` NULL or writable (`entry` relies on it).
    unsafe { entry(err, || free(f, "f")) }
}

/// Calls the function: `args[i]` points to argument `i`'s bytes in C layout
/// (for a variadic argument: the type given in `var_types`, abicall
/// promotes it), and the result's `abicall_function_ret_size` bytes are
/// written to `ret` (NULL allowed for `void`). `args` holds
/// `abicall_function_arg_count` pointers (NULL allowed when 0). `errno` is
/// restored before and saved after the call, per thread (see
/// `abicall_errno_get`). No allocation and no lock on this path (for up to
/// 32 arguments). If a callback made with `abicall_callback_new_status`
/// fails while C runs (or an owner-thread callback is called from this
/// thread), the call completes and then returns `ABICALL_E_CALLBACK` with
/// the callback's message; `ret` holds what C returned.
///
/// # Safety
/// Every `args[i]` points to a readable value of the argument's type, `ret`
/// to `abicall_function_ret_size` writable bytes, and the values are what
/// the C function expects (pointers inside them included).
#[no_mangle]
pub unsafe extern "C" fn abicall_call(
    f: *const abicall_function,
    args: *const *mut c_void,
    ret: *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_call`'s contract holds (what `quick_call` needs).
    if let Some(status) = unsafe { quick_call(f, args, ret) } {
        return status;
    }
    // SAFETY: `abicall_call`'s contract holds (what `checked_call` needs).
    unsafe { checked_call(f, args, ret, err) }
}

/// `abicall_call` with every check, the callback-failure scope and the
/// error report (out of line: the quick path stays small).
///
/// # Safety
/// As for `abicall_call`.
#[inline(never)]
unsafe fn checked_call(
    f: *const abicall_function,
    args: *const *mut c_void,
    ret: *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_call`'s contract holds: Every `args[i]` points to a readable value of the
    // argument's type, `ret` to `abicall_function_ret_size` writable bytes, and the values are
    // what the C function expects (pointers inside them included) (`entry`, `live` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            let argv = array(args as *const *const c_void, f.raw.arg_count(), "args")?;
            // A callback failing during the call is reported here.
            let scope = super::callback::CallScope::enter();
            f.raw.call(argv, ret)?;
            scope.finish().map_or(Ok(()), Err)
        })
    }
}

/// `abicall_call` when nothing needs the checked path's bookkeeping: a live
/// call object on the JIT tier, an argument array, and no callback that can
/// fail (so no per-thread failure scope). `None` — having called nothing —
/// sends the call down the checked path, which says what is wrong. Nothing
/// here can panic (`RawCall::call_if_jit`).
///
/// # Safety
/// As for `abicall_call`.
#[inline(always)]
unsafe fn quick_call(f: *const abicall_function, args: *const *mut c_void, ret: *mut c_void) -> Option<abicall_status> {
    if super::callback::armed() {
        return None;
    }
    // SAFETY: `f` is NULL or a handle shell (contract).
    let f = unsafe { live_or_none(f) }?;
    let n = f.raw.arg_count();
    let argv: &[*const c_void] = if n == 0 {
        &[]
    } else if args.is_null() {
        return None;
    } else {
        // SAFETY: `args` holds `n` pointers (contract).
        unsafe { std::slice::from_raw_parts(args as *const *const c_void, n) }
    };
    // SAFETY: the values and `ret` are as `RawCall::call` needs (contract).
    match unsafe { f.raw.call_if_jit(argv, ret) } {
        Some(true) => Some(abicall_status::ABICALL_OK),
        _ => None,
    }
}

/// The layout of the call's *argument frame*, for an interpreter that
/// writes argument values instead of building an array of pointers:
/// argument `i`'s bytes (its type's, in C layout; for a variadic argument
/// the type given in `var_types`) go at byte `offsets[i]` of a 16-aligned
/// block of `*out_size` bytes, which `abicall_call_frame` reads. `n` is the
/// room in `offsets` (at least `abicall_function_arg_count`; `offsets` may
/// be NULL when that count is 0). The block may live on the caller's stack
/// and be reused: slots keep their bytes between calls.
/// `ABICALL_E_RESOURCE` when the arguments take more than 1 MiB.
///
/// # Safety
/// `f` is a call object; `offsets` has room for `n` values; `out_size`
/// writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_frame_layout(
    f: *const abicall_function,
    offsets: *mut u32,
    n: usize,
    out_size: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_frame_layout`'s contract holds: `f` is a call object; `offsets`
    // has room for `n` values; `out_size` writable; `err` NULL or writable (`entry`, `live`,
    // `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            let o = out(out_size, "out_size")?;
            let (offs, size) = f.raw.frame_layout()?;
            if n < offs.len() {
                return Err(Fail::invalid(format!(
                    "`offsets` has room for {n} values; the call takes {} arguments",
                    offs.len()
                )));
            }
            if !offs.is_empty() {
                if offsets.is_null() {
                    return Err(Fail::null("offsets"));
                }
                // SAFETY: `offsets` has room for `n >= offs.len()` values (contract).
                std::slice::from_raw_parts_mut(offsets, offs.len()).copy_from_slice(offs);
            }
            o.set(size);
            Ok(())
        })
    }
}

/// Calls the function with its arguments in an argument frame laid out as
/// `abicall_function_frame_layout` says; the result goes to `ret` as for
/// `abicall_call` (NULL allowed for `void`), `errno` and callback failures
/// as for `abicall_call`. On the JIT tier the frame has a trampoline of its
/// own that reads each argument at its offset (no pointer array, no NULL
/// checks). No allocation and no lock on this path (for up to 16 arguments
/// off the JIT tier). `ABICALL_E_CALL` for a NULL or misaligned frame.
///
/// # Safety
/// `frame` is 16-aligned and holds a valid value of each argument's type at
/// its offset; `ret` has `abicall_function_ret_size` writable bytes; the
/// values are what the C function expects (pointers inside them included).
#[no_mangle]
pub unsafe extern "C" fn abicall_call_frame(
    f: *const abicall_function,
    frame: *const c_void,
    ret: *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    if !super::callback::armed() {
        // SAFETY: `f` is NULL or a handle shell (contract).
        if let Some(func) = unsafe { live_or_none(f) } {
            // SAFETY: the frame and `ret` are as `RawCall::call_frame` needs
            // (contract); a NULL or misaligned frame and a NULL `ret` are
            // refused before anything is called.
            if unsafe { func.raw.call_frame_if_jit(frame as *const u8, ret) } == Some(true) {
                return abicall_status::ABICALL_OK;
            }
        }
    }
    // SAFETY: `abicall_call_frame`'s contract holds (what `checked_call_frame` needs).
    unsafe { checked_call_frame(f, frame, ret, err) }
}

/// `abicall_call_frame` with every check, the callback-failure scope and
/// the error report (out of line: the quick path stays small).
///
/// # Safety
/// As for `abicall_call_frame`.
#[inline(never)]
unsafe fn checked_call_frame(
    f: *const abicall_function,
    frame: *const c_void,
    ret: *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_call_frame`'s contract holds (what `entry`, `live` rely on).
    unsafe {
        entry(err, || {
            let func = live(f, "f")?;
            let scope = super::callback::CallScope::enter();
            func.raw.call_frame(frame as *const u8, ret)?;
            scope.finish().map_or(Ok(()), Err)
        })
    }
}

/// The function of an `abicall_entry`: `call(data, args, ret)` calls the
/// prepared function with `args` and `ret` as for `abicall_call`. Returns 0
/// when the C function was called; nonzero when it was refused before
/// anything was called (a NULL argument pointer, or on the checked entry a
/// NULL `ret` for a non-void result, or a panic caught inside abicall):
/// `abicall_call` with the same arguments then says why.
pub type abicall_entry_fn =
    Option<unsafe extern "C" fn(data: *const c_void, args: *const *mut c_void, ret: *mut c_void) -> u32>;

/// The direct entry of a call object (`abicall_function_entry`): call it as
/// `e.call(e.data, args, ret)`. Valid while the call object lives.
#[repr(C)]
pub struct abicall_entry {
    /// The function to call (never NULL once filled).
    pub call: abicall_entry_fn,
    /// Its first argument.
    pub data: *const c_void,
}

/// `abicall_function_entry` flag: the entry saves and restores `errno` as
/// `abicall_call` does (`abicall_errno_get` / `abicall_errno_set`). Without
/// it the entry may skip that (the JIT tier's entry does), and `errno` is
/// only what C left in it: an embedder that wants it reads it right after
/// the call.
pub const ABICALL_ENTRY_ERRNO: u32 = 1;

/// The checked entry: `abicall_call` minus the handle check and the error
/// details (and the callback failure report, as for every entry).
///
/// # Safety
/// `data` is the `Func` of a live call object; `args`, `ret` as for `abicall_call`.
unsafe extern "C" fn call_checked(data: *const c_void, args: *const *mut c_void, ret: *mut c_void) -> u32 {
    let run = || {
        // SAFETY: `data` is the `Func` inside a live call object's shell (set
        // by `abicall_function_entry`, valid while the handle lives, which the
        // caller guarantees).
        let f = unsafe { &*(data as *const Func) };
        // SAFETY: `args` holds `arg_count` pointers or is NULL with 0 (contract of `abicall_call`).
        let Ok(argv) = (unsafe { array(args as *const *const c_void, f.raw.arg_count(), "args") }) else {
            return 1;
        };
        // SAFETY: the caller's contract is `abicall_call`'s, which is `RawCall::call`'s.
        u32::from(unsafe { f.raw.call(argv, ret) }.is_err())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or(1)
}

/// The direct entry of a call object, for an interpreter's hot path: a
/// function pointer and its data, called without the handle check, the
/// argument-count check or an `abicall_error`. On the JIT tier (x86_64 and aarch64
/// Linux) `call` is the trampoline generated for the signature itself, with
/// `data` the C function's address: nothing of abicall runs between the
/// embedder and the trampoline. On other tiers, or with
/// `ABICALL_ENTRY_ERRNO` in `flags`, it is a checked entry that runs what
/// `abicall_call` runs.
///
/// Differences from `abicall_call`: the JIT entry checks argument pointers
/// for NULL but not `ret` (pass `abicall_function_ret_size` writable bytes
/// for a non-void result); `errno` is saved only with
/// `ABICALL_ENTRY_ERRNO`; and a failing status callback is not reported
/// through the entry: C still receives the callback's error value, and the
/// failure goes to the callback's `on_error` hook (or stderr), so an
/// embedder that must know records it in its own callback function (as
/// bindings/lua does). Unknown bits in `flags`: `ABICALL_E_INVALID_ARG`.
///
/// # Safety
/// `f` is a call object; `out_entry` writable; `err` NULL or writable.
/// The entry must not be called after `f` is freed.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_entry(
    f: *const abicall_function,
    flags: u32,
    out_entry: *mut abicall_entry,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_entry`'s contract holds: `f` is a call object; `out_entry`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let func = live(f, "f")?;
            let o = out(out_entry, "out_entry")?;
            if flags & !ABICALL_ENTRY_ERRNO != 0 {
                return Err(Fail::invalid(format!(
                    "unknown `flags` bits {:#x}",
                    flags & !ABICALL_ENTRY_ERRNO
                )));
            }
            let e = match func.raw.jit_entry() {
                Some(t) if flags & ABICALL_ENTRY_ERRNO == 0 => abicall_entry {
                    // SAFETY: the same C signature: `*const *mut c_void` and
                    // `*const *const c_void` are both one pointer, and the
                    // trampoline only reads the argument pointers.
                    call: Some(std::mem::transmute::<DirectEntry, EntryFn>(t)),
                    data: func.raw.code(),
                },
                _ => abicall_entry {
                    call: Some(call_checked),
                    data: func as *const Func as *const c_void,
                },
            };
            o.set(e);
            Ok(())
        })
    }
}

type EntryFn = unsafe extern "C" fn(*const c_void, *const *mut c_void, *mut c_void) -> u32;

/// Approximate bytes of memory a call object holds: the handle, the call
/// plan, libffi's CIF, per-argument tables and the executable memory of the
/// trampolines compiled for it (what a host's garbage collector weighs the
/// object by). Not counted: the context's types and the library, which the
/// object shares.
///
/// # Safety
/// `f` is a call object; `out_bytes` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_memory_size(
    f: *const abicall_function,
    out_bytes: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_memory_size`'s contract holds: `f` is a call object; `out_bytes`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            out(out_bytes, "out_bytes")?.set(std::mem::size_of::<abicall_function>() + f.raw.memory_size());
            Ok(())
        })
    }
}

/// The number of argument pointers `abicall_call` takes (fixed and variadic).
///
/// # Safety
/// `f` is a call object; `out_count` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_arg_count(
    f: *const abicall_function,
    out_count: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_arg_count`'s contract holds: `f` is a call object; `out_count`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            out(out_count, "out_count")?.set(f.raw.arg_count());
            Ok(())
        })
    }
}

/// The size of the buffer `abicall_call` writes the result to (0 for `void`).
///
/// # Safety
/// `f` is a call object; `out_size` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_ret_size(
    f: *const abicall_function,
    out_size: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_ret_size`'s contract holds: `f` is a call object; `out_size`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            out(out_size, "out_size")?.set(f.raw.ret_size());
            Ok(())
        })
    }
}

/// The type of argument `index` (0-based; variadic ones after the fixed
/// ones), as a new type handle. `ABICALL_E_INVALID_ARG` if out of range.
///
/// # Safety
/// `f` is a call object; `out_type` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_arg_type(
    f: *const abicall_function,
    index: usize,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_arg_type`'s contract holds: `f` is a call object; `out_type`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            let o = out(out_type, "out_type")?;
            let args = &f.raw.plan().args;
            let a = args.get(index).ok_or_else(|| {
                Fail::invalid(format!(
                    "argument index {index} out of range (the call takes {})",
                    args.len()
                ))
            })?;
            o.set(new_type(&f.types, a.ty));
            Ok(())
        })
    }
}

/// The return type, as a new type handle.
///
/// # Safety
/// `f` is a call object; `out_type` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_ret_type(
    f: *const abicall_function,
    out_type: *mut *mut abicall_type,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_ret_type`'s contract holds: `f` is a call object; `out_type`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            out(out_type, "out_type")?.set(new_type(&f.types, f.raw.plan().ret.ty));
            Ok(())
        })
    }
}

/// The function's address.
///
/// # Safety
/// `f` is a call object; `out_code` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_function_code(
    f: *const abicall_function,
    out_code: *mut *const c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_function_code`'s contract holds: `f` is a call object; `out_code` writable;
    // `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let f = live(f, "f")?;
            out(out_code, "out_code")?.set(f.raw.code());
            Ok(())
        })
    }
}
