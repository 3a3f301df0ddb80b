//! What an interpreter embedding abicall needs from the C API (issue 17):
//! type identity and typedef names, declaration introspection, unknown type
//! names, checked loads and stores, callbacks that fail or run on the wrong
//! thread, options versioning and the version numbers.

use crate::errors::{cdef, fails, function, host_ctx, msg, new_err, ok, process, type_of};
use abicall_capi::abicall_declaration::*;
use abicall_capi::abicall_status::*;
use abicall_capi::*;
use std::ffi::{c_char, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::Mutex;

fn name_of(t: *const abicall_type) -> String {
    let mut buf = [0 as c_char; 128];
    let mut e = new_err();
    // SAFETY: live type, 128 writable bytes.
    ok(
        unsafe { abicall_type_name(t, buf.as_mut_ptr(), buf.len(), null_mut(), &mut e) },
        &e,
    );
    // SAFETY: NUL-terminated by the entry.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

fn id_of(t: *const abicall_type) -> u32 {
    let (mut id, mut e) = (0u32, new_err());
    // SAFETY: live type.
    ok(unsafe { abicall_type_id(t, &mut id, &mut e) }, &e);
    id
}

#[test]
fn type_ids_equality_and_typedef_names() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "typedef struct { int quot; int rem; } div_t; typedef int myint; div_t div(int, int);",
    );
    let d1 = type_of(ctx, c"div_t");
    let d2 = type_of(ctx, c"div_t");
    let i1 = type_of(ctx, c"myint");
    let i2 = type_of(ctx, c"int");
    let c = type_of(ctx, c"const int");
    assert_eq!(name_of(d1), "div_t", "the typedef name, not `struct <anonymous>`");
    assert_eq!(id_of(d1), id_of(d2));
    assert_eq!(id_of(i1), id_of(i2), "a typedef is not a new type");
    assert_ne!(id_of(i2), id_of(c), "qualifiers make another type");
    assert_ne!(id_of(d1), id_of(i1));
    let mut e = new_err();
    let mut eq = false;
    // SAFETY: live handles.
    unsafe {
        ok(abicall_type_equal(d1, d2, &mut eq, &mut e), &e);
        assert!(eq);
        ok(abicall_type_equal(d1, i1, &mut eq, &mut e), &e);
        assert!(!eq);
        // Types of two contexts are never equal, even with equal ids.
        let other = host_ctx();
        cdef(other, "typedef struct { int quot; int rem; } div_t; typedef int myint;");
        let od = type_of(other, c"div_t");
        ok(abicall_type_equal(d1, od, &mut eq, &mut e), &e);
        assert!(!eq);
        // Derived types keep the name; ids map back to types.
        let mut p = null_mut();
        ok(abicall_type_pointer(d1, &mut p, &mut e), &e);
        assert_eq!(name_of(p), "div_t *");
        let mut a = null_mut();
        ok(abicall_type_array(d1, 3, &mut a, &mut e), &e);
        assert_eq!(name_of(a), "div_t[3]");
        let mut back = null_mut();
        ok(abicall_type_from_id(ctx, id_of(p), &mut back, &mut e), &e);
        ok(abicall_type_equal(back, p, &mut eq, &mut e), &e);
        assert!(eq);
        fails(
            abicall_type_from_id(ctx, 1_000_000, &mut back, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not a type of this context",
        );
        // A declaration's type keeps its typedef name too.
        let mut f = null_mut();
        ok(abicall_decl_type(ctx, c"div".as_ptr(), &mut f, &mut e), &e);
        let mut r = null_mut();
        ok(abicall_type_param(f, ABICALL_RETURN, &mut r, &mut e), &e);
        ok(abicall_type_equal(r, d1, &mut eq, &mut e), &e);
        assert!(eq);
        for t in [d1, d2, i1, i2, c, od, p, a, back, f, r] {
            abicall_type_free(t, null_mut());
        }
        abicall_context_free(other, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

#[test]
fn declarations_by_name_in_order_and_enum_members() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "typedef unsigned long sz; struct pt { int x, y; }; enum color { RED, GREEN = 5, BLUE };
         int printf(const char *, ...); double cos(double); extern int counter;\n#define LIMIT 10\n",
    );
    let mut e = new_err();
    let mut kind = ABICALL_DECL_TYPEDEF;
    let mut v = false;
    // SAFETY: live context, NUL-terminated names, writable outs.
    unsafe {
        for (name, want) in [
            (c"sz", ABICALL_DECL_TYPEDEF),
            (c"struct pt", ABICALL_DECL_TAG),
            (c"enum color", ABICALL_DECL_TAG),
            (c"printf", ABICALL_DECL_FUNCTION),
            (c"counter", ABICALL_DECL_VARIABLE),
            (c"GREEN", ABICALL_DECL_CONSTANT),
            (c"LIMIT", ABICALL_DECL_CONSTANT),
        ] {
            ok(abicall_decl_kind(ctx, name.as_ptr(), &mut kind, &mut e), &e);
            assert_eq!(kind, want, "{name:?}");
        }
        fails(
            abicall_decl_kind(ctx, c"nothing".as_ptr(), &mut kind, &mut e),
            &e,
            ABICALL_E_UNKNOWN_NAME,
            "`nothing`",
        );
        ok(abicall_decl_variadic(ctx, c"printf".as_ptr(), &mut v, &mut e), &e);
        assert!(v);
        ok(abicall_decl_variadic(ctx, c"cos".as_ptr(), &mut v, &mut e), &e);
        assert!(!v);
        fails(
            abicall_decl_variadic(ctx, c"counter".as_ptr(), &mut v, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not as a function",
        );
        // Every name, in declaration order.
        let mut n = 0usize;
        ok(abicall_decl_count(ctx, &mut n, &mut e), &e);
        let mut names = Vec::new();
        for i in 0..n {
            let mut buf = [0 as c_char; 64];
            let mut len = 0usize;
            ok(
                abicall_decl_at(ctx, i, &mut kind, buf.as_mut_ptr(), 64, &mut len, &mut e),
                &e,
            );
            let s = CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned();
            assert_eq!(s.len(), len);
            names.push(s);
        }
        let want = [
            "sz",
            "struct pt",
            "enum color",
            "RED",
            "GREEN",
            "BLUE",
            "printf",
            "cos",
            "counter",
            "LIMIT",
        ];
        assert_eq!(names, want);
        fails(
            abicall_decl_at(ctx, n, &mut kind, null_mut(), 0, null_mut(), &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "out of range",
        );
        // Enum members.
        let mut t = null_mut();
        ok(abicall_decl_type(ctx, c"enum color".as_ptr(), &mut t, &mut e), &e);
        ok(abicall_type_enum_count(t, &mut n, &mut e), &e);
        let mut got = Vec::new();
        for i in 0..n {
            let mut buf = [0 as c_char; 16];
            let mut val = 0i64;
            ok(
                abicall_type_enum_member(t, i, &mut val, buf.as_mut_ptr(), 16, null_mut(), &mut e),
                &e,
            );
            got.push((CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned(), val));
        }
        assert_eq!(
            got,
            [
                ("RED".to_string(), 0),
                ("GREEN".to_string(), 5),
                ("BLUE".to_string(), 6)
            ]
        );
        let int = type_of(ctx, c"int");
        fails(
            abicall_type_enum_count(int, &mut n, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not an enum",
        );
        abicall_type_free(t, null_mut());
        abicall_type_free(int, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

#[test]
fn unknown_type_names_give_unknown_type() {
    let ctx = host_ctx();
    let mut e = new_err();
    let mut t = null_mut();
    // SAFETY: live context, NUL-terminated strings, writable outs.
    unsafe {
        // A misspelt typedef name: E_UNKNOWN_TYPE, with its position, and a
        // message that does not repeat it.
        fails(
            abicall_type_new(ctx, c"point_t *".as_ptr(), &mut t, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "unknown type name `point_t`",
        );
        assert_eq!((e.line, e.col), (1, 1));
        assert!(!msg(&e).starts_with("1:1"), "{}", msg(&e));
        let bad = "struct s { int x; };\nwidget w;";
        fails(
            abicall_cdef(ctx, bad.as_ptr().cast(), bad.len(), &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "widget",
        );
        assert_eq!(e.line, 2);
        // `struct typo` is a valid mention (C declares it), so pointers to it
        // work; using it by value fails where it is used.
        ok(abicall_type_new(ctx, c"struct typo".as_ptr(), &mut t, &mut e), &e);
        let mut size = 0usize;
        fails(
            abicall_type_size(t, &mut size, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "`struct typo` is not defined",
        );
        let mut obj = null_mut();
        fails(
            abicall_object_new(t, 1, &mut obj, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "`struct typo` is not defined",
        );
        let mut arr = null_mut();
        fails(
            abicall_type_array(t, 2, &mut arr, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "struct typo",
        );
        let mut p = null_mut();
        ok(abicall_type_new(ctx, c"struct typo *".as_ptr(), &mut p, &mut e), &e);
        ok(abicall_type_size(p, &mut size, &mut e), &e);
        assert_eq!(size, 8);
        // Other incomplete types stay layout errors.
        let v = type_of(ctx, c"void");
        fails(abicall_type_size(v, &mut size, &mut e), &e, ABICALL_E_LAYOUT, "");
        for x in [t, p, v] {
            abicall_type_free(x, null_mut());
        }
        abicall_context_free(ctx, null_mut());
    }
}

#[repr(C)]
#[derive(Default)]
struct Scalars {
    b: u8,
    c: i8,
    uc: u8,
    s: i16,
    u: u32,
    ll: i64,
    ull: u64,
    f: f32,
    d: f64,
    ld: [u8; 16],
    i128: i128,
    cd: [f64; 2],
    flags: u32,
    e: i32,
}

#[test]
fn checked_loads_and_stores_of_every_scalar_kind_and_bitfields() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "enum e { A = -1, B = 7 };
         struct s { _Bool b; signed char c; unsigned char uc; short s; unsigned u; long long ll;
                    unsigned long long ull; float f; double d; long double ld; __int128 i128;
                    double _Complex cd; unsigned lo : 3, mid : 5; int neg : 4; enum e e; };",
    );
    let t = type_of(ctx, c"struct s");
    let mut size = 0usize;
    let mut e = new_err();
    // SAFETY: live type; every pointer below points into `buf`, an object
    // of `struct s` (its size checked first).
    unsafe {
        ok(abicall_type_size(t, &mut size, &mut e), &e);
        let mut buf = vec![0u128; size.div_ceil(16)];
        let p = buf.as_mut_ptr() as *mut c_void;
        let si = |path: &CStr, v: i64, e: &mut abicall_error| abicall_store_int(t, p, path.as_ptr(), v, e);
        let li = |path: &CStr, e: &mut abicall_error| {
            let mut v = 0i64;
            ok(abicall_load_int(t, p, path.as_ptr(), &mut v, e), e);
            v
        };
        // Integers: in range stored, out of range refused (memory unchanged).
        for (path, lo, hi) in [
            (c"c", -128i64, 127i64),
            (c"uc", 0, 255),
            (c"s", -32768, 32767),
            (c"u", 0, u32::MAX as i64),
            (c"ll", i64::MIN, i64::MAX),
            (c"b", 0, 1),
            (c"lo", 0, 7),
            (c"mid", 0, 31),
            (c"neg", -8, 7),
            (c"e", i32::MIN as i64, i32::MAX as i64),
        ] {
            for v in [lo, hi] {
                ok(si(path, v, &mut e), &e);
                assert_eq!(li(path, &mut e), v, "{path:?}");
            }
            if lo > i64::MIN {
                fails(si(path, lo - 1, &mut e), &e, ABICALL_E_CONVERT, "");
                assert_eq!(li(path, &mut e), hi, "{path:?} unchanged by a refused store");
            }
            if hi < i64::MAX {
                fails(si(path, hi + 1, &mut e), &e, ABICALL_E_CONVERT, "");
            }
        }
        // The bitfields share one unsigned: neighbours are untouched.
        ok(si(c"lo", 5, &mut e), &e);
        ok(si(c"mid", 17, &mut e), &e);
        ok(si(c"neg", -3, &mut e), &e);
        assert_eq!((li(c"lo", &mut e), li(c"mid", &mut e), li(c"neg", &mut e)), (5, 17, -3));
        // unsigned long long: full range through _uint; a negative load refused.
        ok(abicall_store_uint(t, p, c"ull".as_ptr(), u64::MAX, &mut e), &e);
        let mut u = 0u64;
        ok(abicall_load_uint(t, p, c"ull".as_ptr(), &mut u, &mut e), &e);
        assert_eq!(u, u64::MAX);
        let mut i = 0i64;
        fails(
            abicall_load_int(t, p, c"ull".as_ptr(), &mut i, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "int64_t",
        );
        fails(
            abicall_load_uint(t, p, c"neg".as_ptr(), &mut u, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "negative",
        );
        // __int128 through two halves.
        ok(abicall_store_int128(t, p, c"i128".as_ptr(), 5, 1u64 << 63, &mut e), &e);
        let (mut lo, mut hi) = (0u64, 0u64);
        ok(
            abicall_load_int128(t, p, c"i128".as_ptr(), &mut lo, &mut hi, &mut e),
            &e,
        );
        assert_eq!((lo, hi), (5, 1u64 << 63));
        let s = &*(p as *const Scalars);
        assert_eq!(s.i128, i128::MIN + 5, "stored as C lays it out");
        // Floating: float rounds, long double keeps a double exactly.
        let mut d = 0f64;
        ok(abicall_store_double(t, p, c"f".as_ptr(), 0.1, &mut e), &e);
        ok(abicall_load_double(t, p, c"f".as_ptr(), &mut d, &mut e), &e);
        assert_eq!(d, 0.1f32 as f64);
        ok(abicall_store_double(t, p, c"ld".as_ptr(), 1.0 / 3.0, &mut e), &e);
        ok(abicall_load_double(t, p, c"ld".as_ptr(), &mut d, &mut e), &e);
        assert_eq!(d, 1.0 / 3.0);
        // A double into an integer: only integral values in range.
        ok(abicall_store_double(t, p, c"s".as_ptr(), 12.0, &mut e), &e);
        assert_eq!(li(c"s", &mut e), 12);
        fails(
            abicall_store_double(t, p, c"s".as_ptr(), 2.5, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "",
        );
        fails(
            abicall_store_double(t, p, c"s".as_ptr(), 1e6, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "out of range",
        );
        // _Complex.
        ok(abicall_store_complex(t, p, c"cd".as_ptr(), 1.5, -2.0, &mut e), &e);
        let (mut re, mut im) = (0f64, 0f64);
        ok(abicall_load_complex(t, p, c"cd".as_ptr(), &mut re, &mut im, &mut e), &e);
        assert_eq!((re, im), (1.5, -2.0));
        assert_eq!(s.cd, [1.5, -2.0]);
        // Kind mismatches and aggregates are refused.
        fails(
            abicall_load_int(t, p, c"d".as_ptr(), &mut i, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "not an integer",
        );
        fails(
            abicall_store_int(t, p, null(), 1, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "not a scalar",
        );
        fails(
            abicall_load_int(t, p, c"nope".as_ptr(), &mut i, &mut e),
            &e,
            ABICALL_E_PATH,
            "nope",
        );
        fails(
            abicall_load_int(t, null(), null(), &mut i, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "ptr",
        );
        // A scalar type with no path is the object itself.
        let int = type_of(ctx, c"int");
        let mut x = 0i32;
        ok(
            abicall_store_int(int, &mut x as *mut i32 as *mut c_void, null(), -7, &mut e),
            &e,
        );
        assert_eq!(x, -7);
        abicall_type_free(int, null_mut());
        abicall_type_free(t, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

/// A comparator that fails on its `user`-th call with a message.
unsafe extern "C" fn failing_cmp(
    user: *mut c_void,
    args: *const *mut c_void,
    ret: *mut c_void,
    err: *mut abicall_error,
) -> i32 {
    // SAFETY: `user` is a live counter; the args are two `const void *`.
    unsafe {
        let calls = &*(user as *const std::sync::atomic::AtomicI32);
        if calls.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            let text = b"comparator raised: boom\0";
            std::ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, (*err).message.as_mut_ptr(), text.len());
            return ABICALL_E_ARGUMENT as i32;
        }
        let a = **(*args as *const *const i32);
        let b = **(*args.add(1) as *const *const i32);
        *(ret as *mut i32) = (a > b) as i32 - (a < b) as i32;
        0
    }
}

static HOOKED: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn record_hook(_: *mut c_void, message: *const c_char) {
    // SAFETY: the message is NUL-terminated during the call.
    let m = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    HOOKED.lock().unwrap().push(m);
}

fn options(flags: u32, error_return: &i32) -> abicall_callback_options {
    abicall_callback_options {
        size: std::mem::size_of::<abicall_callback_options>(),
        error_return: error_return as *const i32 as *const c_void,
        error_return_size: 4,
        on_error: Some(record_hook),
        on_error_user: null_mut(),
        flags,
    }
}

#[test]
fn a_failing_status_callback_fails_the_outer_call() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "void qsort(void *, unsigned long, unsigned long, int (*)(const void *, const void *));",
    );
    let lib = process();
    let qsort = function(ctx, lib, c"qsort");
    let cmp_t = type_of(ctx, c"int (*)(const void *, const void *)");
    let mut e = new_err();
    let calls = std::sync::atomic::AtomicI32::new(3);
    let zero = 0i32;
    let opts = options(0, &zero);
    let mut cb = null_mut();
    // SAFETY: live handles; the callback's user data outlives it; qsort gets
    // a valid array of 6 ints and a comparator of the declared type.
    unsafe {
        ok(
            abicall_callback_new_status(
                cmp_t,
                Some(failing_cmp),
                &calls as *const _ as *mut c_void,
                None,
                &opts,
                &mut cb,
                &mut e,
            ),
            &e,
        );
        let mut code = null_mut();
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let mut data = [5i32, 3, 9, 1, 8, 2];
        let (mut base, mut n, mut sz) = (data.as_mut_ptr() as *mut c_void, 6u64, 4u64);
        let args = [
            &mut base as *mut _ as *mut c_void,
            &mut n as *mut _ as *mut c_void,
            &mut sz as *mut _ as *mut c_void,
            &mut code as *mut _ as *mut c_void,
        ];
        let before = HOOKED.lock().unwrap().len();
        fails(
            abicall_call(qsort, args.as_ptr(), null_mut(), &mut e),
            &e,
            ABICALL_E_CALLBACK,
            "callback returned ABICALL_E_ARGUMENT: comparator raised: boom",
        );
        assert_eq!(HOOKED.lock().unwrap().len(), before, "the caller got it, not the hook");
        // The next call is clean: the failure was consumed.
        calls.store(1000, std::sync::atomic::Ordering::SeqCst);
        ok(abicall_call(qsort, args.as_ptr(), null_mut(), &mut e), &e);
        assert_eq!(data, [1, 2, 3, 5, 8, 9]);
        // Called directly by C, outside any abicall_call, a failure goes to
        // the hook, and C gets the error value.
        calls.store(1, std::sync::atomic::Ordering::SeqCst);
        let f: extern "C" fn(*const i32, *const i32) -> i32 = std::mem::transmute(code);
        assert_eq!(f(&1, &2), 0);
        assert!(HOOKED
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("comparator raised: boom")));
        abicall_callback_free(cb, null_mut());
        abicall_function_free(qsort, null_mut());
        abicall_type_free(cmp_t, null_mut());
        abicall_library_free(lib, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

/// Calls `f(x)` (a C function abicall calls, which calls the callback).
extern "C" fn apply(f: extern "C" fn(i32) -> i32, x: i32) -> i32 {
    f(x)
}

unsafe extern "C" fn plus_one(_: *mut c_void, args: *const *mut c_void, ret: *mut c_void) {
    // SAFETY: one `int` argument and an `int` return buffer.
    unsafe { *(ret as *mut i32) = *(*args as *const i32) + 1 }
}

#[test]
fn owner_thread_callbacks_refuse_other_threads_and_options_need_a_size() {
    let ctx = host_ctx();
    let t = type_of(ctx, c"int (*)(int)");
    let minus = -1i32;
    let mut e = new_err();
    let mut cb = null_mut();
    // SAFETY: live handles; the options are readable.
    unsafe {
        let opts = options(ABICALL_CALLBACK_OWNER_THREAD, &minus);
        ok(
            abicall_callback_new_ex(t, Some(plus_one), null_mut(), None, &opts, &mut cb, &mut e),
            &e,
        );
        let mut code = null_mut();
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let f: extern "C" fn(i32) -> i32 = std::mem::transmute(code);
        assert_eq!(f(41), 42, "the owner thread runs it");
        let other = std::thread::spawn(move || f(41)).join().unwrap();
        assert_eq!(other, -1, "another thread gets the error value");
        assert!(HOOKED
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("not its owner thread")));
        abicall_callback_free(cb, null_mut());
        // Through abicall_call on another thread: C gets the error value
        // and that call returns ABICALL_E_CALLBACK.
        cdef(ctx, "int apply(int (*)(int), int);");
        let ctx_addr = ctx as usize;
        let apply_code = apply as *const () as usize;
        ok(
            abicall_callback_new_ex(t, Some(plus_one), null_mut(), None, &opts, &mut cb, &mut e),
            &e,
        );
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let code_addr = code as usize;
        let (status, message, result) = std::thread::spawn(move || {
            let mut e = new_err();
            let mut fty = null_mut();
            let ctx = ctx_addr as *mut abicall_context;
            ok(
                abicall_type_new(ctx, c"int (*)(int (*)(int), int)".as_ptr(), &mut fty, &mut e),
                &e,
            );
            let mut f = null_mut();
            ok(
                abicall_function_new_at(fty, apply_code as *const c_void, null(), 0, &mut f, &mut e),
                &e,
            );
            let (mut fp, mut x, mut r) = (code_addr as *mut c_void, 41i32, 0i32);
            let args = [&mut fp as *mut _ as *mut c_void, &mut x as *mut _ as *mut c_void];
            let s = abicall_call(f, args.as_ptr(), &mut r as *mut i32 as *mut c_void, &mut e);
            abicall_function_free(f, null_mut());
            abicall_type_free(fty, null_mut());
            (s, msg(&e), r)
        })
        .join()
        .unwrap();
        assert_eq!(status, ABICALL_E_CALLBACK, "{message}");
        assert!(message.contains("not its owner thread"), "{message}");
        assert_eq!(result, -1, "C got the error value");
        abicall_callback_free(cb, null_mut());
        // Without the flag any thread may call it.
        let opts = options(0, &minus);
        ok(
            abicall_callback_new_ex(t, Some(plus_one), null_mut(), None, &opts, &mut cb, &mut e),
            &e,
        );
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let f: extern "C" fn(i32) -> i32 = std::mem::transmute(code);
        assert_eq!(std::thread::spawn(move || f(1)).join().unwrap(), 2);
        abicall_callback_free(cb, null_mut());
        // `size` must be set; unknown flags are refused.
        let mut bad = options(0, &minus);
        bad.size = 0;
        fails(
            abicall_callback_new_ex(t, Some(plus_one), null_mut(), None, &bad, &mut cb, &mut e),
            &e,
            ABICALL_E_VERSION,
            "sizeof(abicall_callback_options)",
        );
        let bad = options(8, &minus);
        fails(
            abicall_callback_new_ex(t, Some(plus_one), null_mut(), None, &bad, &mut cb, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "unknown callback flags",
        );
        abicall_type_free(t, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

#[test]
fn version_macros_and_number_agree_with_the_package() {
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
    let patch: u32 = env!("CARGO_PKG_VERSION_PATCH").parse().unwrap();
    assert_eq!(
        (ABICALL_VERSION_MAJOR, ABICALL_VERSION_MINOR, ABICALL_VERSION_PATCH),
        (major, minor, patch)
    );
    assert_eq!(abicall_version_number(), major * 1_000_000 + minor * 1000 + patch);
    assert_eq!(abicall_version_number(), ABICALL_VERSION_NUMBER);
    let header = std::fs::read_to_string(std::path::Path::new(crate::ROOT).join("include/abicall.h")).unwrap();
    assert!(header.contains(&format!(
        "#define ABICALL_VERSION_STRING \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    // SAFETY: a static NUL-terminated string.
    let s = unsafe { CStr::from_ptr(abicall_version()) };
    assert_eq!(s.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    // Every kind and status has an explicit, stable number.
    assert_eq!(abicall_kind::ABICALL_KIND_FUNCTION as i32, 26);
    assert_eq!(ABICALL_E_CALLBACK as i32, 20);
    assert_eq!(
        // SAFETY: a static string.
        unsafe { CStr::from_ptr(abicall_status_name(ABICALL_E_VERSION as i32)) }
            .to_str()
            .unwrap(),
        "ABICALL_E_VERSION"
    );
}
