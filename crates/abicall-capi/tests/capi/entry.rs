//! `abicall_function_entry`: the direct entry of a call object (an
//! interpreter's hot path). It calls the function as `abicall_call` does;
//! on the JIT tier it is the generated trampoline itself; `errno` is saved
//! only when asked; a NULL argument pointer is refused before anything is
//! called; it allocates nothing; a failing status callback reaches C's
//! error value and the hook.

use crate::counting_alloc::allocs_in;
use crate::errors::{cdef, fails, function, host_ctx, new_err, ok, process, type_of};
use abicall_capi::abicall_status::*;
use abicall_capi::*;
use std::ffi::{c_char, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

fn entry_of(f: *const abicall_function, flags: u32) -> abicall_entry {
    let mut out = abicall_entry {
        call: None,
        data: null(),
    };
    let mut e = new_err();
    // SAFETY: live call object, writable out-pointer.
    ok(unsafe { abicall_function_entry(f, flags, &mut out, &mut e) }, &e);
    assert!(out.call.is_some());
    out
}

fn code_of(f: *const abicall_function) -> *const c_void {
    let (mut code, mut e) = (null(), new_err());
    // SAFETY: live call object.
    ok(unsafe { abicall_function_code(f, &mut code, &mut e) }, &e);
    code
}

/// Calls through an entry.
///
/// # Safety
/// `args` and `ret` as for `abicall_call` of the entry's function.
unsafe fn call(e: &abicall_entry, args: &[*mut c_void], ret: *mut c_void) -> u32 {
    // SAFETY: the entry of a live call object; the caller vouches for the rest.
    unsafe { (e.call.unwrap())(e.data, args.as_ptr(), ret) }
}

/// Whether calls take the JIT tier by default on this host (x86_64 and
/// aarch64 Linux, not turned off by the environment).
fn jit_expected() -> bool {
    cfg!(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        target_os = "linux"
    )) && std::env::var_os("ABICALL_NO_JIT").is_none()
        && std::env::var_os("ABICALL_NO_FASTPATH").is_none()
}

#[test]
fn the_entry_calls_like_abicall_call_and_is_the_trampoline_on_the_jit_tier() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "double cos(double); long labs(long); typedef struct { long quot, rem; } ldiv_t; ldiv_t ldiv(long, long);",
    );
    let lib = process();
    let (cos, labs, ldiv) = (
        function(ctx, lib, c"cos"),
        function(ctx, lib, c"labs"),
        function(ctx, lib, c"ldiv"),
    );
    let ecos = entry_of(cos, 0);
    if jit_expected() {
        assert_eq!(
            ecos.data,
            code_of(cos),
            "the JIT entry is the trampoline, with the code as data"
        );
    }
    let (mut x, mut r) = (0.5f64, 0f64);
    let (mut l, mut rl) = (-42i64, 0i64);
    let (mut num, mut den, mut qr) = (17i64, 5i64, [0i64; 2]);
    // SAFETY: arguments and results of the declared types.
    unsafe {
        assert_eq!(
            call(
                &ecos,
                &[&mut x as *mut f64 as *mut c_void],
                &mut r as *mut f64 as *mut c_void
            ),
            0
        );
        assert_eq!(r, 0.5f64.cos());
        let el = entry_of(labs, 0);
        assert_eq!(
            call(
                &el,
                &[&mut l as *mut i64 as *mut c_void],
                &mut rl as *mut i64 as *mut c_void
            ),
            0
        );
        assert_eq!(rl, 42);
        let ed = entry_of(ldiv, 0);
        let args = [&mut num as *mut i64 as *mut c_void, &mut den as *mut i64 as *mut c_void];
        assert_eq!(call(&ed, &args, qr.as_mut_ptr() as *mut c_void), 0);
        assert_eq!(qr, [3, 2]);
        // The checked entry gives the same results.
        let checked = entry_of(ldiv, ABICALL_ENTRY_ERRNO);
        assert_ne!(checked.data, code_of(ldiv));
        qr = [0; 2];
        assert_eq!(call(&checked, &args, qr.as_mut_ptr() as *mut c_void), 0);
        assert_eq!(qr, [3, 2]);
        // Nothing allocated per call, on either entry.
        let n = allocs_in(|| {
            for _ in 0..100 {
                call(
                    &ecos,
                    &[&mut x as *mut f64 as *mut c_void],
                    &mut r as *mut f64 as *mut c_void,
                );
                call(&checked, &args, qr.as_mut_ptr() as *mut c_void);
            }
        });
        assert_eq!(n, 0, "an entry call allocated");
        for f in [cos, labs, ldiv] {
            abicall_function_free(f, null_mut());
        }
        abicall_library_free(lib, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn counted(a: i32, b: i32) -> i32 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    a - b
}

#[test]
fn a_null_argument_is_refused_before_the_call_and_bad_requests_are_errors() {
    let ctx = host_ctx();
    let t = type_of(ctx, c"int (*)(int, int)");
    let (mut f, mut e) = (null_mut(), new_err());
    // SAFETY: `counted` has the type `t` describes.
    ok(
        unsafe { abicall_function_new_at(t, counted as *const c_void, null(), 0, &mut f, &mut e) },
        &e,
    );
    let (mut a, mut r) = (7i32, 0i32);
    for flags in [0, ABICALL_ENTRY_ERRNO] {
        let en = entry_of(f, flags);
        let before = CALLS.load(Ordering::SeqCst);
        // SAFETY: the second argument pointer is NULL, which every entry refuses.
        let refused = unsafe {
            call(
                &en,
                &[&mut a as *mut i32 as *mut c_void, null_mut()],
                &mut r as *mut i32 as *mut c_void,
            )
        };
        assert_ne!(refused, 0, "flags {flags}: a NULL argument pointer must be refused");
        assert_eq!(CALLS.load(Ordering::SeqCst), before, "flags {flags}: the function ran");
        // abicall_call with the same arguments says why, without calling either.
        let args = [&mut a as *mut i32 as *mut c_void, null_mut()];
        // SAFETY: as above.
        let s = unsafe { abicall_call(f, args.as_ptr(), &mut r as *mut i32 as *mut c_void, &mut e) };
        fails(s, &e, ABICALL_E_CALL, "NULL");
        assert_eq!(CALLS.load(Ordering::SeqCst), before);
        let mut b = 2i32;
        // SAFETY: two int arguments, an int result.
        let done = unsafe {
            call(
                &en,
                &[&mut a as *mut i32 as *mut c_void, &mut b as *mut i32 as *mut c_void],
                &mut r as *mut i32 as *mut c_void,
            )
        };
        assert_eq!((done, r, CALLS.load(Ordering::SeqCst)), (0, 5, before + 1));
    }
    let mut out = abicall_entry {
        call: None,
        data: null(),
    };
    // SAFETY: live or NULL handles, writable or NULL out-pointers: each is refused or served.
    unsafe {
        fails(
            abicall_function_entry(f, 2, &mut out, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "flags",
        );
        fails(
            abicall_function_entry(f, 0, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "out_entry",
        );
        fails(
            abicall_function_entry(null(), 0, &mut out, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`f`",
        );
        assert!(out.call.is_none(), "a failed request left the entry untouched");
        ok(abicall_function_free(f, &mut e), &e);
        fails(
            abicall_function_entry(f, 0, &mut out, &mut e),
            &e,
            ABICALL_E_FREED,
            "freed",
        );
        abicall_type_free(t, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

extern "C" fn errno_probe() -> i32 {
    let seen = abicall::call::errno::live();
    abicall::call::errno::set_live(44);
    seen
}

#[test]
fn errno_is_saved_and_restored_with_abicall_entry_errno() {
    let ctx = host_ctx();
    let t = type_of(ctx, c"int (*)(void)");
    let (mut f, mut e) = (null_mut(), new_err());
    // SAFETY: `errno_probe` has the type `t` describes.
    ok(
        unsafe { abicall_function_new_at(t, errno_probe as *const c_void, null(), 0, &mut f, &mut e) },
        &e,
    );
    let (mut seen, mut saved) = (0i32, 0i32);
    // SAFETY: no arguments, an int result.
    unsafe {
        let en = entry_of(f, ABICALL_ENTRY_ERRNO);
        ok(abicall_errno_set(33, &mut e), &e);
        abicall::call::errno::set_live(0);
        assert_eq!(call(&en, &[], &mut seen as *mut i32 as *mut c_void), 0);
        ok(abicall_errno_get(&mut saved, &mut e), &e);
        assert_eq!((seen, saved), (33, 44), "restored before, saved after the call");
        // The direct JIT entry leaves abicall's saved errno alone: C's errno is
        // what the function left, for the embedder to read itself.
        let direct = entry_of(f, 0);
        if direct.data == code_of(f) {
            ok(abicall_errno_set(7, &mut e), &e);
            abicall::call::errno::set_live(8);
            assert_eq!(call(&direct, &[], &mut seen as *mut i32 as *mut c_void), 0);
            ok(abicall_errno_get(&mut saved, &mut e), &e);
            assert_eq!((seen, saved, abicall::call::errno::live()), (8, 7, 44));
        }
        abicall_function_free(f, null_mut());
        abicall_type_free(t, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

static HOOKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn hook(_: *mut c_void, message: *const c_char) {
    // SAFETY: NUL-terminated during the call.
    let m = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    HOOKED.lock().unwrap().push(m);
}

/// `int (*)(int)` that fails when its argument is negative.
unsafe extern "C" fn refuse_negative(
    _: *mut c_void,
    args: *const *mut c_void,
    ret: *mut c_void,
    err: *mut abicall_error,
) -> i32 {
    // SAFETY: one int argument, an int result, a zeroed error struct.
    unsafe {
        let x = *(*args as *const i32);
        if x < 0 {
            let text = b"negative through the entry\0";
            std::ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, (*err).message.as_mut_ptr(), text.len());
            return ABICALL_E_ARGUMENT as i32;
        }
        *(ret as *mut i32) = x * 2;
        0
    }
}

extern "C" fn apply(f: extern "C" fn(i32) -> i32, x: i32) -> i32 {
    f(x)
}

#[test]
fn a_failing_status_callback_through_the_entry_gives_c_the_error_value_and_the_hook_the_message() {
    let ctx = host_ctx();
    let cb_t = type_of(ctx, c"int (*)(int)");
    let apply_t = type_of(ctx, c"int (*)(int (*)(int), int)");
    let err_value = -1i32;
    let opts = abicall_callback_options {
        size: std::mem::size_of::<abicall_callback_options>(),
        error_return: &err_value as *const i32 as *const c_void,
        error_return_size: 4,
        on_error: Some(hook),
        on_error_user: null_mut(),
        flags: 0,
    };
    let (mut cb, mut f, mut e) = (null_mut(), null_mut(), new_err());
    // SAFETY: live handles; `apply` has the type `apply_t` describes.
    unsafe {
        ok(
            abicall_callback_new_status(cb_t, Some(refuse_negative), null_mut(), None, &opts, &mut cb, &mut e),
            &e,
        );
        ok(
            abicall_function_new_at(apply_t, apply as *const c_void, null(), 0, &mut f, &mut e),
            &e,
        );
        let mut code = null_mut();
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        for flags in [0, ABICALL_ENTRY_ERRNO] {
            let en = entry_of(f, flags);
            let (mut x, mut r) = (21i32, 0i32);
            let args = [
                &mut code as *mut *mut c_void as *mut c_void,
                &mut x as *mut i32 as *mut c_void,
            ];
            assert_eq!(call(&en, &args, &mut r as *mut i32 as *mut c_void), 0);
            assert_eq!(r, 42);
            *(args[1] as *mut i32) = -3;
            let before = HOOKED.lock().unwrap().len();
            assert_eq!(
                call(&en, &args, &mut r as *mut i32 as *mut c_void),
                0,
                "the call itself completed"
            );
            assert_eq!(r, -1, "C received the callback's error value");
            let hooked = HOOKED.lock().unwrap();
            assert_eq!(hooked.len(), before + 1);
            assert!(
                hooked[before].contains("negative through the entry"),
                "{:?}",
                hooked[before]
            );
        }
        // Inside an abicall_call the failure goes to that call instead.
        let (mut x, mut r) = (-3i32, 0i32);
        let args = [
            &mut code as *mut *mut c_void as *mut c_void,
            &mut x as *mut i32 as *mut c_void,
        ];
        let s = abicall_call(f, args.as_ptr(), &mut r as *mut i32 as *mut c_void, &mut e);
        fails(s, &e, ABICALL_E_CALLBACK, "negative through the entry");
        abicall_function_free(f, null_mut());
        abicall_callback_free(cb, null_mut());
        abicall_type_free(cb_t, null_mut());
        abicall_type_free(apply_t, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

/// `abicall_function_frame_layout` + `abicall_call_frame`: argument values
/// written into a caller-owned, 16-aligned frame on the stack; the same
/// results as `abicall_call` for scalars, a struct by value and a variadic
/// call; no allocation; NULL / misaligned frames, a short `offsets` array
/// and freed handles refused with their status.
#[test]
fn argument_frames_call_like_abicall_call() {
    #[repr(C, align(16))]
    struct Frame([u8; 256]);
    let ctx = host_ctx();
    cdef(
        ctx,
        "typedef struct { long quot, rem; } ldiv_t; ldiv_t ldiv(long, long); double ldexp(double, int); int snprintf(char *, unsigned long, const char *, ...);",
    );
    let lib = process();
    let layout = |f: *const abicall_function| -> (Vec<u32>, usize) {
        let (mut offs, mut size, mut e) = (vec![0u32; 8], 0usize, new_err());
        // SAFETY: live call object; room for 8 offsets.
        ok(
            unsafe { abicall_function_frame_layout(f, offs.as_mut_ptr(), 8, &mut size, &mut e) },
            &e,
        );
        let (mut n, mut e) = (0usize, new_err());
        // SAFETY: live call object.
        ok(unsafe { abicall_function_arg_count(f, &mut n, &mut e) }, &e);
        offs.truncate(n);
        assert!(size % 16 == 0 && size <= 256, "{size}");
        (offs, size)
    };
    let put =
        |fr: &mut Frame, off: u32, bytes: &[u8]| fr.0[off as usize..off as usize + bytes.len()].copy_from_slice(bytes);

    let ldiv = function(ctx, lib, c"ldiv");
    let (offs, _) = layout(ldiv);
    let mut fr = Frame([0; 256]);
    let mut qr = [0i64; 2];
    let mut run = |num: i64, den: i64| {
        put(&mut fr, offs[0], &num.to_le_bytes());
        put(&mut fr, offs[1], &den.to_le_bytes());
        let mut e = new_err();
        // SAFETY: two longs at their offsets; a 16-byte result.
        ok(
            unsafe { abicall_call_frame(ldiv, fr.0.as_ptr().cast(), qr.as_mut_ptr().cast(), &mut e) },
            &e,
        );
        qr
    };
    assert_eq!(run(17, 5), [3, 2]);
    assert_eq!(run(-17, 5), [-3, -2]);
    assert_eq!(
        allocs_in(|| assert_eq!(run(100, 7), [14, 2])),
        0,
        "abicall_call_frame allocated"
    );

    let ldexp = function(ctx, lib, c"ldexp");
    let (offs, _) = layout(ldexp);
    let mut fr = Frame([0; 256]);
    put(&mut fr, offs[0], &0.75f64.to_le_bytes());
    put(&mut fr, offs[1], &4i32.to_le_bytes());
    let (mut r, mut e) = (0f64, new_err());
    // SAFETY: a double and an int at their offsets; a double result.
    ok(
        unsafe { abicall_call_frame(ldexp, fr.0.as_ptr().cast(), (&mut r as *mut f64).cast(), &mut e) },
        &e,
    );
    assert_eq!(r, 12.0);

    // Variadic: snprintf(buf, 32, "%d-%.1f", 7, 2.5), the variadic types given.
    let (mut ti, mut td, mut e) = (null_mut(), null_mut(), new_err());
    // SAFETY: live context, NUL-terminated type names, writable out-pointers.
    unsafe {
        ok(abicall_type_new(ctx, c"int".as_ptr(), &mut ti, &mut e), &e);
        ok(abicall_type_new(ctx, c"double".as_ptr(), &mut td, &mut e), &e);
    }
    let var = [ti as *const abicall_type, td as *const abicall_type];
    let mut snp = null_mut();
    // SAFETY: live handles; two variadic types.
    ok(
        unsafe { abicall_function_new(ctx, lib, c"snprintf".as_ptr(), var.as_ptr(), 2, &mut snp, &mut e) },
        &e,
    );
    let (offs, _) = layout(snp);
    assert_eq!(offs.len(), 5);
    let mut buf = [0u8; 32];
    let fmt = c"%d-%.1f";
    let mut fr = Frame([0; 256]);
    put(&mut fr, offs[0], &(buf.as_mut_ptr() as usize).to_le_bytes());
    put(&mut fr, offs[1], &32u64.to_le_bytes());
    put(&mut fr, offs[2], &(fmt.as_ptr() as usize).to_le_bytes());
    put(&mut fr, offs[3], &7i32.to_le_bytes());
    put(&mut fr, offs[4], &2.5f64.to_le_bytes());
    let mut n = 0i32;
    // SAFETY: the five arguments at their offsets; an int result.
    ok(
        unsafe { abicall_call_frame(snp, fr.0.as_ptr().cast(), (&mut n as *mut i32).cast(), &mut e) },
        &e,
    );
    assert_eq!(&buf[..n as usize], b"7-2.5");

    // Refusals, nothing called.
    let mut e = new_err();
    // SAFETY: NULL frame, refused.
    let s = unsafe { abicall_call_frame(ldexp, null(), (&mut r as *mut f64).cast(), &mut e) };
    fails(s, &e, ABICALL_E_CALL, "frame");
    let mut e = new_err();
    // SAFETY: a misaligned frame, refused.
    let s = unsafe { abicall_call_frame(ldexp, fr.0.as_ptr().add(8).cast(), (&mut r as *mut f64).cast(), &mut e) };
    fails(s, &e, ABICALL_E_CALL, "16-aligned");
    let mut e = new_err();
    // SAFETY: a NULL result buffer for a double result, refused.
    let s = unsafe { abicall_call_frame(ldexp, fr.0.as_ptr().cast(), null_mut(), &mut e) };
    fails(s, &e, ABICALL_E_CALL, "return buffer");
    let (mut one, mut size, mut e) = ([0u32; 1], 0usize, new_err());
    // SAFETY: room for one offset, two needed: refused.
    let s = unsafe { abicall_function_frame_layout(ldexp, one.as_mut_ptr(), 1, &mut size, &mut e) };
    fails(s, &e, ABICALL_E_INVALID_ARG, "room for 1");
    let mut e = new_err();
    // SAFETY: frees a live call object.
    ok(unsafe { abicall_function_free(ldexp, &mut e) }, &e);
    let mut e = new_err();
    // SAFETY: a freed handle is refused by the handle check.
    let s = unsafe { abicall_call_frame(ldexp, fr.0.as_ptr().cast(), (&mut r as *mut f64).cast(), &mut e) };
    fails(s, &e, ABICALL_E_FREED, "");
}
