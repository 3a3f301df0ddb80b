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
/// It must return normally: a `longjmp` out of it (Lua's `lua_error`, a
/// Ruby `raise`, ...) skips abicall's frames and the calling C code's, which
/// is undefined behaviour. An interpreter catches its exception inside the
/// function, saves it, and re-raises it after `abicall_call` returns; a
/// status callback (`abicall_callback_new_status`) makes that call fail.
pub type abicall_callback_fn =
    Option<unsafe extern "C" fn(user: *mut c_void, args: *const *mut c_void, ret: *mut c_void)>;

/// Releases a callback's user data; runs exactly once, after the callback
/// is freed and no call is running it.
pub type abicall_destructor_fn = Option<unsafe extern "C" fn(user: *mut c_void)>;

/// Receives a message when a callback cannot run its function (it is
/// called after `abicall_callback_free`); `message` is valid during the call.
pub type abicall_error_hook_fn = Option<unsafe extern "C" fn(user: *mut c_void, message: *const c_char)>;

/// The function a status callback (`abicall_callback_new_status`) runs:
/// as `abicall_callback_fn`, and it returns `ABICALL_OK` (0) or another
/// status, with a message in `*err` (a zeroed `abicall_error`, never NULL).
/// On failure C receives the callback's error value (`error_return`, or
/// zeros), and the failure goes to the `abicall_call` running on this
/// thread, which returns `ABICALL_E_CALLBACK` with the message once C
/// returns; with no such call it goes to the hook (or stderr).
pub type abicall_callback_status_fn = Option<
    unsafe extern "C" fn(user: *mut c_void, args: *const *mut c_void, ret: *mut c_void, err: *mut abicall_error) -> i32,
>;

/// `abicall_callback_options.flags`: the callback may only run on the
/// thread that made it. A call from another thread does not run the
/// function: C receives the error value and the failure is reported as
/// for a failing status callback.
pub const ABICALL_CALLBACK_OWNER_THREAD: u32 = 1;

/// Options for `abicall_callback_new_ex` / `_new_status`. Zero-initialise
/// it, then set `size` to `sizeof(abicall_callback_options)`; the other
/// zero fields are the defaults (those of `abicall_callback_new`).
#[repr(C)]
pub struct abicall_callback_options {
    /// `sizeof(abicall_callback_options)` as the caller compiled it, so a
    /// library and a header of different versions agree on the fields
    /// (`ABICALL_E_VERSION` for a size this library does not know).
    pub size: usize,
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
    /// 0, or `ABICALL_CALLBACK_OWNER_THREAD`.
    pub flags: u32,
}

/// A C function pointer that runs an `abicall_callback_fn` (opaque). Free
/// it with `abicall_callback_free`. A call through the code pointer after
/// that does not crash: it writes "abicall: callback error: callback called
/// after it was dropped" to stderr and returns zero bytes (or reports to the
/// hook and returns the bytes given to `abicall_callback_new_ex`). Callable from any
/// thread, including threads the embedder did not create, unless made with
/// `ABICALL_CALLBACK_OWNER_THREAD`.
pub struct abicall_callback {
    shell: Shell<RawCallback>,
}

impl_handle!(abicall_callback, RawCallback, 0xab1c_0c07);

/// The two shapes of callback function.
#[derive(Clone, Copy)]
enum UserFn {
    Plain(unsafe extern "C" fn(*mut c_void, *const *mut c_void, *mut c_void)),
    Status(unsafe extern "C" fn(*mut c_void, *const *mut c_void, *mut c_void, *mut abicall_error) -> i32),
}

/// The user's function and data, released with the user's destructor.
struct User {
    f: UserFn,
    user: *mut c_void,
    dtor: abicall_destructor_fn,
    /// Set once the callback exists: before that, a failure returns the
    /// data to the caller untouched (the destructor does not run).
    armed: Arc<AtomicBool>,
}

// SAFETY: the contract of `abicall_callback_new` is that `f`, `user` and
// `dtor` may be used from any thread.
unsafe impl Send for User {}
// SAFETY: `abicall_callback_new`'s contract also allows concurrent calls of
// `f` with `user` from several threads; `&User` only reads its fields.
unsafe impl Sync for User {}

impl User {
    /// Runs the function; `Err` with the failure a status function reported.
    fn call(&self, args: &[*const c_void], ret: *mut c_void) -> Result<(), Fail> {
        let argv = args.as_ptr() as *const *mut c_void;
        match self.f {
            UserFn::Plain(f) => {
                // SAFETY: `args` holds one pointer per argument and `ret` the
                // return buffer, what the user's function expects (its contract).
                unsafe { f(self.user, argv, ret) };
                Ok(())
            }
            UserFn::Status(f) => {
                let mut e = std::mem::MaybeUninit::<abicall_error>::zeroed();
                // SAFETY: `args` holds one pointer per argument and `ret` the
                // return buffer (the user's function's contract); `e` is a
                // zeroed, writable error struct.
                let status = unsafe { f(self.user, argv, ret, e.as_mut_ptr()) };
                if status == 0 {
                    return Ok(());
                }
                // SAFETY: zeroed then possibly written by the callback; every
                // bit pattern of the message bytes is valid, and the status
                // field is only read as an integer.
                let e = unsafe { e.assume_init_ref() };
                let bytes: Vec<u8> = e
                    .message
                    .iter()
                    .take_while(|&&c| c != 0)
                    .map(|&c| c.to_ne_bytes()[0])
                    .collect();
                let text = String::from_utf8_lossy(&bytes);
                let name = super::error::status_name(status).to_string_lossy();
                Err(Fail::new(
                    abicall_status::ABICALL_E_CALLBACK,
                    if text.is_empty() {
                        format!("callback returned {name}")
                    } else {
                        format!("callback returned {name}: {text}")
                    },
                ))
            }
        }
    }
}

/// Per thread: how deeply `abicall_call`s nest, and the first callback
/// failure recorded for the call at each depth.
mod pending {
    use super::Fail;
    use std::cell::{Cell, RefCell};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Set once a callback that can fail (a status or owner-thread
    /// callback) exists; until then `abicall_call` skips the bookkeeping.
    static ARMED: AtomicBool = AtomicBool::new(false);

    /// Notes that a callback that can fail now exists.
    pub(crate) fn arm() {
        ARMED.store(true, Ordering::SeqCst);
    }

    /// Whether a callback that can fail exists (then `abicall_call` keeps
    /// its per-thread bookkeeping).
    #[inline(always)]
    pub(crate) fn armed() -> bool {
        ARMED.load(Ordering::Relaxed)
    }

    /// This thread's `abicall_call` nesting depth and the first failure a
    /// callback recorded (with the depth of the call it belongs to): one
    /// thread-local block, so a call looks it up once on entry and once on
    /// exit.
    struct Tls {
        depth: Cell<u32>,
        fail: RefCell<Option<(u32, Fail)>>,
    }

    thread_local! {
        static TLS: Tls = const {
            Tls {
                depth: Cell::new(0),
                fail: RefCell::new(None),
            }
        };
    }

    /// Marks an `abicall_call` running on this thread until finished or
    /// dropped (depth 0: no failing callback existed when it started).
    pub(crate) struct CallScope {
        depth: u32,
    }

    impl CallScope {
        /// Enters a call.
        #[inline]
        pub(crate) fn enter() -> CallScope {
            if !ARMED.load(Ordering::Relaxed) {
                return CallScope { depth: 0 };
            }
            let depth = TLS.with(|t| {
                let v = t.depth.get() + 1;
                t.depth.set(v);
                v
            });
            CallScope { depth }
        }

        /// Leaves the call: the failure a callback recorded during it, if any.
        #[inline]
        pub(crate) fn finish(mut self) -> Option<Fail> {
            let depth = std::mem::replace(&mut self.depth, 0);
            if depth == 0 {
                return None;
            }
            leave(depth)
        }
    }

    fn leave(depth: u32) -> Option<Fail> {
        TLS.with(|t| {
            t.depth.set(depth - 1);
            let mut f = t.fail.borrow_mut();
            match f.as_ref() {
                Some((d, _)) if *d >= depth => f.take().map(|(_, fail)| fail),
                _ => None,
            }
        })
    }

    impl Drop for CallScope {
        fn drop(&mut self) {
            // The call failed (or panicked) before finishing: a failure left
            // for this depth must not leak into a later call.
            if self.depth != 0 {
                let _ = leave(self.depth);
            }
        }
    }

    /// Records a callback failure for the innermost running call; gives it
    /// back if no call runs on this thread (so it goes to the hook).
    pub(crate) fn record(fail: Fail) -> Result<(), Fail> {
        TLS.with(|t| {
            let depth = t.depth.get();
            if depth == 0 {
                return Err(fail);
            }
            let mut f = t.fail.borrow_mut();
            if f.is_none() {
                *f = Some((depth, fail));
            }
            Ok(())
        })
    }
}

pub(crate) use pending::{armed, CallScope};

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
// SAFETY: `abicall_callback_new_ex`'s contract also allows concurrent calls
// of the hook with its user data; `&Hook` only reads its fields.
unsafe impl Sync for Hook {}

impl Hook {
    fn report(&self, msg: &str) {
        let text = std::ffi::CString::new(msg.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the caller's hook with its user data and a NUL-terminated
        // message valid during the call (contract of `abicall_callback_new_ex`).
        unsafe { (self.f)(self.user, text.as_ptr()) }
    }
}

/// The smallest `size` of `abicall_callback_options` this library reads
/// (every field before `flags`).
const OPTIONS_MIN_SIZE: usize = std::mem::offset_of!(abicall_callback_options, flags);

/// The Rust options and the flags for C options.
///
/// # Safety
/// `opts` is NULL or points to a readable `abicall_callback_options` of
/// `size` bytes whose `error_return` has `error_return_size` readable bytes.
unsafe fn options(opts: *const abicall_callback_options) -> Result<(CallbackOptions, u32), Fail> {
    if opts.is_null() {
        return Ok((CallbackOptions::default(), 0));
    }
    // SAFETY: readable (contract); `size` is the first field of every version.
    let size = unsafe { (*opts).size };
    if !(OPTIONS_MIN_SIZE..=std::mem::size_of::<abicall_callback_options>()).contains(&size) {
        return Err(Fail::new(
            abicall_status::ABICALL_E_VERSION,
            format!(
                "`options->size` is {size}: set it to sizeof(abicall_callback_options) ({} in this library)",
                std::mem::size_of::<abicall_callback_options>()
            ),
        ));
    }
    // SAFETY: `size` readable bytes, at least every field up to `flags`.
    let o = unsafe { &*opts };
    let flags = if size >= std::mem::offset_of!(abicall_callback_options, flags) + 4 {
        o.flags
    } else {
        0
    };
    if flags & !ABICALL_CALLBACK_OWNER_THREAD != 0 {
        return Err(Fail::invalid(format!("unknown callback flags {flags:#x}")));
    }
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
    Ok((
        CallbackOptions {
            on_error,
            error_return: (!o.error_return.is_null()).then(|| bytes.to_vec()),
        },
        flags,
    ))
}

/// Makes the callback for function type `ty` of `types`.
///
/// # Safety
/// `f`, `user`, `dtor`: contract of `abicall_callback_new`.
unsafe fn make(
    types: &SharedTypes,
    ty: TypeId,
    f: UserFn,
    user: *mut c_void,
    dtor: abicall_destructor_fn,
    opts: CallbackOptions,
    flags: u32,
) -> Result<RawCallback, Fail> {
    let armed = Arc::new(AtomicBool::new(false));
    let u = User {
        f,
        user,
        dtor,
        armed: armed.clone(),
    };
    let owner = (flags & ABICALL_CALLBACK_OWNER_THREAD != 0).then(|| std::thread::current().id());
    if owner.is_some() || matches!(f, UserFn::Status(_)) {
        pending::arm();
    }
    let ret_size = {
        let t = read(types);
        match t.sig_of(ty) {
            Some(sig) if !matches!(t.as_prim(sig.ret), Some(abicall::types::Prim::Void)) => {
                t.size_of(sig.ret).unwrap_or(0) as usize
            }
            _ => 0,
        }
    };
    let error_return = opts.error_return.clone().unwrap_or_else(|| vec![0; ret_size]);
    let body = move |args: &[*const c_void], ret: *mut c_void| -> Result<(), String> {
        let result = match owner {
            Some(o) if o != std::thread::current().id() => Err(Fail::new(
                abicall_status::ABICALL_E_CALLBACK,
                format!(
                    "callback called from thread {:?}, not its owner thread {o:?}",
                    std::thread::current().id()
                ),
            )),
            _ => u.call(args, ret),
        };
        match result {
            Ok(()) => Ok(()),
            Err(fail) => match pending::record(fail) {
                // The running `abicall_call` reports it: C gets the error value.
                Ok(()) => {
                    if !ret.is_null() && error_return.len() == ret_size {
                        // SAFETY: `ret` is the return buffer of `ret_size`
                        // bytes; `error_return` has that many.
                        unsafe { std::ptr::copy_nonoverlapping(error_return.as_ptr(), ret as *mut u8, ret_size) };
                    }
                    Ok(())
                }
                Err(fail) => Err(fail.message),
            },
        }
    };
    let cb = RawCallback::new(&read(types), ty, Box::new(body), opts)?;
    armed.store(true, Ordering::Release);
    Ok(cb)
}

/// The plain function, checked for NULL.
fn plain(f: abicall_callback_fn) -> Result<UserFn, Fail> {
    f.map(UserFn::Plain).ok_or_else(|| Fail::null("f"))
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
    // SAFETY: `abicall_callback_new`'s contract holds: `f` must follow the `abicall_callback_fn`
    // contract for this signature and, with `user` and `destructor`, be usable from any thread
    // that calls the code pointer. `ctx` a context handle; `signature` a NUL-terminated string;
    // `out_cb` writable; `err` NULL or writable (`entry`, `live`, `out`, `c_str` rely on it).
    unsafe {
        entry(err, || {
            let c = live(ctx, "ctx")?;
            let sig = c_str(signature, "signature")?;
            let o = out(out_cb, "out_cb")?;
            let ty = c.ffi().type_of(sig)?;
            let cb = make(
                c.types(),
                ty,
                plain(f)?,
                user,
                destructor,
                CallbackOptions::default(),
                0,
            )?;
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
    // SAFETY: `abicall_callback_new_type`'s contract holds: As for `abicall_callback_new`;
    // `fn_type` is a type handle (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(fn_type, "fn_type")?;
            let o = out(out_cb, "out_cb")?;
            let cb = make(
                &t.types,
                t.id,
                plain(f)?,
                user,
                destructor,
                CallbackOptions::default(),
                0,
            )?;
            o.set(into_raw::<abicall_callback>(cb));
            Ok(())
        })
    }
}

/// As `abicall_callback_new_type`, with options (NULL: the defaults): what
/// C receives and who is told when the callback cannot run, and whether it
/// may run on other threads. An `error_return` of the wrong size gives
/// `ABICALL_E_CALL`, an unknown `options->size` `ABICALL_E_VERSION`.
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
    // SAFETY: `abicall_callback_new_ex`'s contract holds: As for `abicall_callback_new`; `fn_type`
    // is a type handle; `options` is NULL or readable, with `error_return_size` readable bytes at
    // `error_return`, and an `on_error` hook usable from any thread for the rest of the process
    // (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(fn_type, "fn_type")?;
            let o = out(out_cb, "out_cb")?;
            let (opts, flags) = self::options(options)?;
            let cb = make(&t.types, t.id, plain(f)?, user, destructor, opts, flags)?;
            o.set(into_raw::<abicall_callback>(cb));
            Ok(())
        })
    }
}

/// As `abicall_callback_new_ex`, with a function that returns a status
/// (`abicall_callback_status_fn`): a failure gives C the error value and
/// makes the `abicall_call` running on this thread (the one whose C code
/// called the callback) return `ABICALL_E_CALLBACK` with the callback's
/// message. This is how an interpreter reports an exception raised in a
/// callback: catch it in the callback, save it, return a status, and
/// re-raise it when `abicall_call` returns. (Never `longjmp` out of a
/// callback, as Lua's `lua_error` does: it would skip abicall's frames
/// and C's, which is undefined behaviour.)
///
/// # Safety
/// As for `abicall_callback_new_ex`.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_new_status(
    fn_type: *const abicall_type,
    f: abicall_callback_status_fn,
    user: *mut c_void,
    destructor: abicall_destructor_fn,
    options: *const abicall_callback_options,
    out_cb: *mut *mut abicall_callback,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_callback_new_status`'s contract holds: As for `abicall_callback_new_ex`
    // (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let t = live(fn_type, "fn_type")?;
            let o = out(out_cb, "out_cb")?;
            let f = f.map(UserFn::Status).ok_or_else(|| Fail::null("f"))?;
            let (opts, flags) = self::options(options)?;
            let cb = make(&t.types, t.id, f, user, destructor, opts, flags)?;
            o.set(into_raw::<abicall_callback>(cb));
            Ok(())
        })
    }
}

/// Approximate bytes of memory a callback holds: the handle, its plan,
/// libffi's CIF and closure, and the error value. Not counted: the user
/// data (the embedder's), and the entry slot with its generated stub, which
/// abicall keeps for the next callback (see docs/guide.md).
///
/// # Safety
/// `cb` is a callback handle; `out_bytes` writable; `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn abicall_callback_memory_size(
    cb: *const abicall_callback,
    out_bytes: *mut usize,
    err: *mut abicall_error,
) -> abicall_status {
    // SAFETY: `abicall_callback_memory_size`'s contract holds: `cb` is a callback handle;
    // `out_bytes` writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
    unsafe {
        entry(err, || {
            let c = live(cb, "cb")?;
            let user = std::mem::size_of::<User>();
            out(out_bytes, "out_bytes")?.set(std::mem::size_of::<abicall_callback>() + user + c.memory_size());
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
    // SAFETY: `abicall_callback_code`'s contract holds: `cb` a callback handle; `out_code`
    // writable; `err` NULL or writable (`entry`, `live`, `out` rely on it).
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
    // SAFETY: `abicall_callback_free`'s contract holds: `cb` is NULL or a callback handle not in
    // use by another entry; `err` NULL or writable (`entry` relies on it).
    unsafe { entry(err, || free(cb, "cb")) }
}
