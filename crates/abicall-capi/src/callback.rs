//! `abicall_callback`: a C function pointer of any (non-variadic) declared
//! signature that runs a C function of one fixed shape — the raw callback
//! API, so an interpreter converts the arguments itself.

use super::args::{c_str, out};
use super::context::abicall_context;
use super::error::{abicall_error, abicall_status, entry, Fail};
use super::handle::{free, impl_handle, into_raw, live, Shell};
use super::types::abicall_type;
use abicall::call::{CallbackOptions, RawCallback};
use abicall::types::TypeId;
use abicall::{read_types as read, SharedTypes};
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The function a callback runs: `args[i]` points to argument `i`'s bytes
/// in C layout; write the result (if the type is not `void`) to `ret`, a
/// zeroed buffer of the return type's size. `user` is the pointer given to
/// `abicall_callback_new`.
pub type abicall_callback_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, args: *const *mut c_void, ret: *mut c_void)>;

/// Releases a callback's user data; runs exactly once, after the callback
/// is freed and no call is running it.
pub type abicall_destructor_fn = Option<unsafe extern "C" fn(user: *mut c_void)>;

/// Receives a message when a callback cannot run its function (it is
/// called after `abicall_callback_free`); `message` is valid during the call.
pub type abicall_error_hook_fn = Option<unsafe extern "C" fn(user: *mut c_void, message: *const c_char)>;

/// Options for `abicall_callback_new_ex`; zero-initialise it for the
/// defaults (the same as `abicall_callback_new`).
#[repr(C)]
pub struct abicall_callback_options {
    /// The bytes C receives when the callback cannot run (NULL: zeros).
    pub error_return: *const c_void,
    /// The size of `error_return`: the return type's size (0 with NULL).
    pub error_return_size: usize,
    /// Called instead of writing a line to stderr when the callback cannot
    /// run. It runs on the thread that made the call. A freed callback
    /// still reports stale calls, so `on_error` and `on_error_user` must
    /// stay valid for the rest of the process.
    pub on_error: abicall_error_hook_fn,
    /// The `user` argument of `on_error`.
    pub on_error_user: *mut c_void,
}

/// A C function pointer that runs an `abicall_callback_fn` (opaque). Free
/// it with `abicall_callback_free`. A call through the code pointer after
/// that does not crash: it writes "abicall: callback error: callback called
/// after it was dropped" to stderr and returns zero bytes (or reports to the
/// hook and returns the bytes given to `abicall_callback_new_ex`). Callable from any
/// thread, including threads the embedder did not create.
pub struct abicall_callback {
    shell: Shell<RawCallback>,
}

impl_handle!(abicall_callback, RawCallback, 0xab1c_0c07);

/// The user's function and data, released with the user's destructor.
struct User {
    f: unsafe extern "C" fn(*mut c_void, *const *mut c_void, *mut c_void),
    user: *mut c_void,
    dtor: abicall_destructor_fn,
    /// Set once the callback exists: before that, a failure returns the
    /// data to the caller untouched (the destructor does not run).
    armed: Arc<AtomicBool>,
}

// SAFETY: the contract of `abicall_callback_new` is that `f`, `user` and
// `dtor` may be used from any thread.
unsafe impl Send for User {}
// SAFETY: as above.
unsafe impl Sync for User {}

impl User {
    fn call(&self, args: &[*const c_void], ret: *mut c_void) {
        // SAFETY: `args` holds one pointer per argument and `ret` the return
        // buffer, exactly what the user's function expects (its contract).
        unsafe { (self.f)(self.user, args.as_ptr() as *const *mut c_void, ret) }
    }
}

impl Drop for User {
    fn drop(&mut self) {
        if let (Some(d), true) = (self.dtor, self.armed.load(Ordering::Acquire)) {
            // SAFETY: the destructor the caller gave for `user`, run once.
            unsafe { d(self.user) }
        }
    }
}

/// An error hook and its user data.
struct Hook {
    f: unsafe extern "C" fn(*mut c_void, *const c_char),
    user: *mut c_void,
}

// SAFETY: the contract of `abicall_callback_new_ex` is that the hook and its
// user data may be used from any thread.
unsafe impl Send for Hook {}
// SAFETY: as above.
unsafe impl Sync for Hook {}

impl Hook {
    fn report(&self, msg: &str) {
        let text = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the caller's hook with its user data and a NUL-terminated
        // message valid during the call (contract of `abicall_callback_new_ex`).
        unsafe { (self.f)(self.user, text.as_ptr()) }
    }
}

/// The Rust options for C options.
///
/// # Safety
/// `opts` is NULL or points to a readable `abicall_callback_options` whose
/// `error_return` has `error_return_size` readable bytes.
unsafe fn options(opts: *const abicall_callback_options) -> Result<CallbackOptions, Fail> {
    // SAFETY: contract.
    let Some(o) = (unsafe { opts.as_ref() }) else {
        return Ok(CallbackOptions::default());
    };
    // SAFETY: `error_return_size` readable bytes (contract).
    let bytes = unsafe {
        super::args::array(
            o.error_return as *const u8,
            o.error_return_size,
            "options->error_return",
        )
    }?;
    let on_error = o.on_error.map(|f| {
        let hook = Hook {
            f,
            user: o.on_error_user,
        };
        Box::new(move |msg: &str| hook.report(msg)) as Box<abicall::call::callback::ErrorHook>
    });
    Ok(CallbackOptions {
        on_error,
        error_return: (!o.error_return.is_null()).then(|| bytes.to_vec()),
    })
}

/// Makes the callback for function type `ty` of `types`.
///
/// # Safety
/// `f`, `user`, `dtor`: contract of `abicall_callback_new`.
unsafe fn make(
    types: &SharedTypes,
    ty: TypeId,
    f: abicall_callback_fn,
    user: *mut c_void,
    dtor: abicall_destructor_fn,
    opts: CallbackOptions,
) -> Result<RawCallback, Fail> {
    let f = f.ok_or_else(|| Fail::null("f"))?;
    let armed = Arc::new(AtomicBool::new(false));
    let u = User {
        f,
        user,
        dtor,
        armed: armed.clone(),
    };
    let body = move |args: &[*const c_void], ret: *mut c_void| -> Result<(), String> {
        u.call(args, ret);
        Ok(())
    };
    let cb = RawCallback::new(&read(types), ty, Box::new(body), opts)?;
    armed.store(true, Ordering::Release);
    Ok(cb)
}

/// Makes a C function pointer of the function type named `signature`
/// (`"int (*)(const void *, const void *)"` or `"int(int)"`, not variadic)
/// that calls `f(user, args, ret)`. `destructor` (may be NULL) is called
/// with `user` once the callback is freed and no call is running it; if
/// this function fails, it is not called (`user` stays the caller's).
///
/// # Safety
/// `f` must follow the `abicall_callback_fn` contract for this signature
/// and, with `user` and `destructor`, be usable from any thread that calls
/// the code pointer. `ctx` a context handle; `signature` a NUL-terminated
/// string; `out_cb` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_new(
    ctx: *const abicall_context,
    signature: *const c_char,
    f: abicall_callback_fn,
    user: *mut c_void,
    destructor: abicall_destructor_fn,
    out_cb: *mut *mut abicall_callback,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let sig = c_str(signature, "signature")?;
            let o = out(out_cb, "out_cb")?;
            let ty = c.ffi().type_of(sig)?;
            let cb = make(c.types(), ty, f, user, destructor, CallbackOptions::default())?;
            o.set(into_raw::<abicall_callback>(cb));
            Ok(())
        })
    }
}

/// As `abicall_callback_new`, with the function type given as a type handle.
///
/// # Safety
/// As for `abicall_callback_new`; `fn_type` is a type handle.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_new_type(
    fn_type: *const abicall_type,
    f: abicall_callback_fn,
    user: *mut c_void,
    destructor: abicall_destructor_fn,
    out_cb: *mut *mut abicall_callback,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let t = live(fn_type, "fn_type")?;
            let o = out(out_cb, "out_cb")?;
            let cb = make(&t.types, t.id, f, user, destructor, CallbackOptions::default())?;
            o.set(into_raw::<abicall_callback>(cb));
            Ok(())
        })
    }
}

/// As `abicall_callback_new_type`, with options (NULL: the defaults): what
/// C receives and who is told when the callback cannot run. An
/// `error_return` of the wrong size gives `ABICALL_E_CALL`.
///
/// # Safety
/// As for `abicall_callback_new`; `fn_type` is a type handle; `options` is
/// NULL or readable, with `error_return_size` readable bytes at
/// `error_return`, and an `on_error` hook usable from any thread for the
/// rest of the process.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_new_ex(
    fn_type: *const abicall_type,
    f: abicall_callback_fn,
    user: *mut c_void,
    destructor: abicall_destructor_fn,
    options: *const abicall_callback_options,
    out_cb: *mut *mut abicall_callback,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let t = live(fn_type, "fn_type")?;
            let o = out(out_cb, "out_cb")?;
            let opts = self::options(options)?;
            let cb = make(&t.types, t.id, f, user, destructor, opts)?;
            o.set(into_raw::<abicall_callback>(cb));
            Ok(())
        })
    }
}

/// The C function pointer (cast it to the declared type).
///
/// # Safety
/// `cb` a callback handle; `out_code` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_code(
    cb: *const abicall_callback,
    out_code: *mut *mut c_void,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: forwarded contracts.
    unsafe {
        entry(err, || {
            let c = live(cb, "cb")?;
            out(out_code, "out_code")?.set(c.code() as *mut c_void);
            Ok(())
        })
    }
}

/// Frees a callback (NULL: no-op; twice: `ABICALL_E_FREED`); see
/// `abicall_callback` for what a later call through its pointer does.
///
/// # Safety
/// `cb` is NULL or a callback handle not in use by another entry; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_free(cb: *mut abicall_callback, err: *mut abicall_error) -> abicall_status {
    // SAFETY: forwarded contracts.
    unsafe { entry(err, || free(cb, "cb")) }
}
