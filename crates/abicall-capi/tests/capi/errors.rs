//! The C API called directly from Rust (the `extern "C"` functions are in
//! the rlib): every entry with NULL arguments, bad input, freed handles,
//! handles of the wrong kind, callbacks freed while C holds their pointer,
//! concurrent use — each gives the documented status and message, and
//! nothing crashes. (`crates/abicall-capi/tests/capi/example.rs` covers the real-C path.)

use abicall_capi::abicall_status::*;
use abicall_capi::*;
use std::ffi::{c_char, c_void, CStr};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

pub(crate) fn new_err() -> abicall_error {
    abicall_error {
        status: ABICALL_OK,
        line: 0,
        col: 0,
        message: [0; ABICALL_ERROR_MESSAGE_SIZE],
    }
}

pub(crate) fn msg(e: &abicall_error) -> String {
    // SAFETY: entries always NUL-terminate the message (and `new_err` zeroes it).
    unsafe { CStr::from_ptr(e.message.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Asserts success, showing the message otherwise.
#[track_caller]
pub(crate) fn ok(s: abicall_status, e: &abicall_error) {
    assert_eq!(s, ABICALL_OK, "{}", msg(e));
}

/// Asserts a failure with `status` whose message contains `needle`, and
/// that the error struct agrees with the return value.
#[track_caller]
pub(crate) fn fails(s: abicall_status, e: &abicall_error, status: abicall_status, needle: &str) {
    assert_eq!(s, status, "message: {}", msg(e));
    assert_eq!(e.status, status);
    assert!(
        msg(e).contains(needle),
        "message {:?} does not contain {needle:?}",
        msg(e)
    );
}

pub(crate) fn cdef(ctx: *mut abicall_context, text: &str) {
    let mut e = new_err();
    // SAFETY: live context, `text` readable for its length.
    ok(
        unsafe { abicall_cdef(ctx, text.as_ptr().cast(), text.len(), &mut e) },
        &e,
    );
}

pub(crate) fn host_ctx() -> *mut abicall_context {
    let (mut ctx, mut e) = (null_mut(), new_err());
    // SAFETY: valid out-pointers.
    ok(unsafe { abicall_context_new(null(), &mut ctx, &mut e) }, &e);
    ctx
}

pub(crate) fn type_of(ctx: *mut abicall_context, name: &CStr) -> *mut abicall_type {
    let (mut t, mut e) = (null_mut(), new_err());
    // SAFETY: live context, NUL-terminated name.
    ok(unsafe { abicall_type_new(ctx, name.as_ptr(), &mut t, &mut e) }, &e);
    t
}

pub(crate) fn process() -> *mut abicall_library {
    let (mut lib, mut e) = (null_mut(), new_err());
    // SAFETY: valid out-pointers.
    ok(unsafe { abicall_library_open(null(), 0, &mut lib, &mut e) }, &e);
    lib
}

pub(crate) fn function(ctx: *mut abicall_context, lib: *mut abicall_library, name: &CStr) -> *mut abicall_function {
    let (mut f, mut e) = (null_mut(), new_err());
    // SAFETY: live handles, NUL-terminated name, no variadic types.
    ok(
        unsafe { abicall_function_new(ctx, lib, name.as_ptr(), null(), 0, &mut f, &mut e) },
        &e,
    );
    f
}

#[test]
fn null_handles_strings_and_out_pointers_are_errors() {
    let ctx = host_ctx();
    cdef(ctx, "unsigned long strlen(const char *); struct pt { int x, y; };");
    let lib = process();
    let ty = type_of(ctx, c"struct pt");
    let f = function(ctx, lib, c"strlen");
    let mut e = new_err();
    let (mut p, mut n, mut code) = (null_mut::<c_void>(), 0usize, null::<c_void>());
    let mut cb = null_mut();
    let mut t = null_mut();
    // SAFETY: every pointer is NULL or valid; NULLs must be refused.
    unsafe {
        fails(
            abicall_context_new(null(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_ctx` is NULL",
        );
        fails(
            abicall_context_target(null(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`ctx` is NULL",
        );
        fails(
            abicall_cdef(null(), c"int x;".as_ptr(), 6, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`ctx`",
        );
        fails(
            abicall_cdef(ctx, null(), 6, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`decls` is NULL",
        );
        ok(abicall_cdef(ctx, null(), 0, &mut e), &e); // empty text
        fails(
            abicall_type_new(ctx, null(), &mut t, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`name` is NULL",
        );
        fails(
            abicall_type_new(ctx, c"int".as_ptr(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_type`",
        );
        fails(
            abicall_type_size(null(), &mut n, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`ty` is NULL",
        );
        fails(
            abicall_type_size(ty, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_size` is NULL",
        );
        fails(
            abicall_type_align(ty, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_align`",
        );
        fails(
            abicall_type_kind(ty, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_kind`",
        );
        fails(
            abicall_type_is_signed(ty, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_signed`",
        );
        fails(
            abicall_type_offsetof(ty, null(), &mut n, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`path`",
        );
        fails(
            abicall_type_offsetof(ty, c"y".as_ptr(), null_mut(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_offset`",
        );
        fails(
            abicall_type_item(ty, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_item`",
        );
        fails(
            abicall_type_length(ty, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_length`",
        );
        fails(
            abicall_type_name(ty, null_mut(), 8, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`buf` is NULL",
        );
        fails(
            abicall_library_open(null(), 0, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_lib`",
        );
        fails(
            abicall_library_symbol(null(), c"strlen".as_ptr(), &mut p, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`lib`",
        );
        fails(
            abicall_library_symbol(lib, null(), &mut p, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`name`",
        );
        fails(
            abicall_library_symbol(lib, c"strlen".as_ptr(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_addr`",
        );
        fails(
            abicall_variable(ctx, null(), c"x".as_ptr(), &mut p, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`lib`",
        );
        let mut g = null_mut();
        fails(
            abicall_function_new(null(), lib, c"strlen".as_ptr(), null(), 0, &mut g, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`ctx`",
        );
        fails(
            abicall_function_new(ctx, null(), c"strlen".as_ptr(), null(), 0, &mut g, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`lib`",
        );
        fails(
            abicall_function_new(ctx, lib, null(), null(), 0, &mut g, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`name`",
        );
        fails(
            abicall_function_new(ctx, lib, c"strlen".as_ptr(), null(), 1, &mut g, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`var_types`",
        );
        let nulls: [*const abicall_type; 1] = [null()];
        fails(
            abicall_function_new(ctx, lib, c"strlen".as_ptr(), nulls.as_ptr(), 1, &mut g, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`var_types[0]`",
        );
        fails(
            abicall_function_new(ctx, lib, c"strlen".as_ptr(), null(), 0, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_fn`",
        );
        fails(
            abicall_function_new_at(null(), null(), null(), 0, &mut g, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`fn_type`",
        );
        fails(
            abicall_call(null(), null(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`f` is NULL",
        );
        fails(
            abicall_call(f, null(), &mut n as *mut usize as *mut c_void, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`args` is NULL",
        );
        fails(
            abicall_function_arg_count(f, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_count`",
        );
        fails(
            abicall_function_ret_size(null(), &mut n, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`f`",
        );
        fails(
            abicall_function_arg_type(f, 0, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_type`",
        );
        fails(
            abicall_function_ret_type(f, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_type`",
        );
        fails(
            abicall_function_code(f, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_code`",
        );
        fails(
            abicall_object_new(null(), 1, &mut null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`ty`",
        );
        fails(
            abicall_object_new(ty, 1, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_obj`",
        );
        fails(
            abicall_object_ptr(null(), &mut p, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`obj`",
        );
        fails(
            abicall_object_size(null(), &mut n, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`obj`",
        );
        fails(
            abicall_callback_new(ctx, null(), Some(noop_cb), null_mut(), None, &mut cb, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`signature`",
        );
        fails(
            abicall_callback_new(ctx, c"void(void)".as_ptr(), None, null_mut(), None, &mut cb, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`f` is NULL",
        );
        fails(
            abicall_callback_new(
                ctx,
                c"void(void)".as_ptr(),
                Some(noop_cb),
                null_mut(),
                None,
                null_mut(),
                &mut e,
            ),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_cb`",
        );
        fails(
            abicall_callback_new_type(null(), Some(noop_cb), null_mut(), None, &mut cb, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`fn_type`",
        );
        fails(
            abicall_callback_code(null(), &mut p, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`cb`",
        );
        fails(
            abicall_errno_get(null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_errno`",
        );
        fails(
            abicall_handle_new(null_mut(), null_mut(), &mut p, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_handle`",
        );
        fails(
            abicall_handle_get(null(), null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`out_value`",
        );
        fails(
            abicall_constant_int(ctx, null(), &mut 0, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`name`",
        );
        fails(
            abicall_constant_double(null(), c"X".as_ptr(), &mut 0.0, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`ctx`",
        );
        // A NULL error pointer: the status alone.
        assert_eq!(abicall_type_size(null(), &mut n, null_mut()), ABICALL_E_NULL_ARG);
        assert_eq!(abicall_function_code(f, &mut code, null_mut()), ABICALL_OK);
        // Freeing NULL is a no-op.
        ok(abicall_context_free(null_mut(), &mut e), &e);
        ok(abicall_type_free(null_mut(), &mut e), &e);
        ok(abicall_library_free(null_mut(), &mut e), &e);
        ok(abicall_function_free(null_mut(), &mut e), &e);
        ok(abicall_object_free(null_mut(), &mut e), &e);
        ok(abicall_callback_free(null_mut(), &mut e), &e);
        ok(abicall_handle_free(null_mut(), &mut e), &e);
        ok(abicall_function_free(f, &mut e), &e);
        ok(abicall_type_free(ty, &mut e), &e);
        ok(abicall_library_free(lib, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

unsafe extern "C" fn noop_cb(_: *mut c_void, _: *const *mut c_void, _: *mut c_void) {}

#[test]
fn bad_declarations_report_line_and_column() {
    let ctx = host_ctx();
    let mut e = new_err();
    let text = "int ok;\nstruct s { int x y; };";
    // SAFETY: live context, readable text.
    unsafe {
        fails(
            abicall_cdef(ctx, text.as_ptr().cast(), text.len(), &mut e),
            &e,
            ABICALL_E_PARSE,
            "expected `;`",
        );
        assert!(
            !msg(&e).starts_with("2:18"),
            "the position is not repeated: {}",
            msg(&e)
        );
        assert_eq!((e.line, e.col), (2, 18));
        // Not UTF-8.
        let bad = b"int \xff;";
        fails(
            abicall_cdef(ctx, bad.as_ptr().cast(), bad.len(), &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not valid UTF-8 (at byte 4)",
        );
        assert_eq!((e.line, e.col), (0, 0));
        // The length is honoured: no NUL needed, nothing read past it.
        let two = "int a; garbage that is not C";
        ok(abicall_cdef(ctx, two.as_ptr().cast(), 6, &mut e), &e);
        let mut t = null_mut();
        fails(
            abicall_type_new(ctx, c"nosuch_t".as_ptr(), &mut t, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "unknown type name `nosuch_t`",
        );
        fails(
            abicall_type_new(ctx, c"int (".as_ptr(), &mut t, &mut e),
            &e,
            ABICALL_E_PARSE,
            "expected a type",
        );
        assert_eq!(e.line, 1);
        assert!(t.is_null());
        // A message longer than the buffer is cut at a character boundary.
        let long = std::ffi::CString::new("é".repeat(600)).unwrap();
        let s = abicall_constant_int(ctx, long.as_ptr(), &mut 0, &mut e);
        assert_eq!(s, ABICALL_E_UNKNOWN_NAME);
        let m = CStr::from_ptr(e.message.as_ptr()).to_bytes();
        assert!(m.len() < ABICALL_ERROR_MESSAGE_SIZE && m.len() > 400, "{}", m.len());
        assert!(std::str::from_utf8(m).is_ok(), "cut inside a character");
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn targets_by_name_and_unknown_targets() {
    let mut e = new_err();
    let mut ctx = null_mut();
    // SAFETY: valid pointers throughout.
    unsafe {
        fails(
            abicall_context_new(c"sparc".as_ptr(), &mut ctx, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "unknown target `sparc`",
        );
        assert!(ctx.is_null());
        for target in abicall::Target::ALL {
            let name = std::ffi::CString::new(target.name()).unwrap();
            let name = name.as_c_str();
            let ld_size = target.long_double_size_align().0 as usize;
            ok(abicall_context_new(name.as_ptr(), &mut ctx, &mut e), &e);
            let mut got = null();
            ok(abicall_context_target(ctx, &mut got, &mut e), &e);
            assert_eq!(CStr::from_ptr(got), name);
            let t = type_of(ctx, c"long double");
            let mut size = 0;
            ok(abicall_type_size(t, &mut size, &mut e), &e);
            assert_eq!(size, ld_size, "{name:?}");
            ok(abicall_type_free(t, &mut e), &e);
            ok(abicall_context_free(ctx, &mut e), &e);
        }
        // A foreign target lays out but cannot call.
        let other = if cfg!(target_arch = "x86_64") {
            c"aarch64"
        } else {
            c"x86_64"
        };
        ok(abicall_context_new(other.as_ptr(), &mut ctx, &mut e), &e);
        cdef(ctx, "unsigned long strlen(const char *);");
        let lib = process();
        let mut f = null_mut();
        fails(
            abicall_function_new(ctx, lib, c"strlen".as_ptr(), null(), 0, &mut f, &mut e),
            &e,
            ABICALL_E_CALL,
            "cannot call functions for target",
        );
        fails(
            abicall_callback_new(
                ctx,
                c"int(int)".as_ptr(),
                Some(noop_cb),
                null_mut(),
                None,
                &mut null_mut(),
                &mut e,
            ),
            &e,
            ABICALL_E_CALL,
            "cannot make callbacks for target",
        );
        ok(abicall_library_free(lib, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn type_queries() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "struct in { char c; double d; }; struct s { int a; struct in in[3]; unsigned flags : 3; };\
         typedef struct opaque opaque_t; enum e { NEG = -1, BIG = 7 };",
    );
    let mut e = new_err();
    // SAFETY: live handles and valid out-pointers throughout.
    unsafe {
        let s = type_of(ctx, c"struct s");
        let (mut size, mut align, mut off) = (0, 0, 0);
        ok(abicall_type_size(s, &mut size, &mut e), &e);
        ok(abicall_type_align(s, &mut align, &mut e), &e);
        // What the Rust API (checked against gcc by the layout tests) says.
        let mut ffi = abicall::Ffi::host().unwrap();
        ffi.cdef("struct in { char c; double d; }; struct s { int a; struct in in[3]; unsigned flags : 3; };")
            .unwrap();
        let want_size = ffi.sizeof("struct s").unwrap() as usize;
        assert_eq!((size, align), (want_size, ffi.alignof("struct s").unwrap() as usize));
        let mut member = null_mut();
        ok(
            abicall_type_offsetof(s, c"in[2].d".as_ptr(), &mut off, &mut member, &mut e),
            &e,
        );
        assert_eq!(off as u64, ffi.offsetof("struct s", "in[2].d").unwrap().offset);
        let mut kind = abicall_kind::ABICALL_KIND_VOID;
        ok(abicall_type_kind(member, &mut kind, &mut e), &e);
        assert_eq!(kind, abicall_kind::ABICALL_KIND_DOUBLE);
        fails(
            abicall_type_offsetof(s, c"in[1].nope".as_ptr(), &mut off, null_mut(), &mut e),
            &e,
            ABICALL_E_PATH,
            "nope",
        );
        fails(
            abicall_type_offsetof(s, c"flags".as_ptr(), &mut off, null_mut(), &mut e),
            &e,
            ABICALL_E_PATH,
            "bitfield",
        );
        // Item / length / name.
        let arr = type_of(ctx, c"struct in[3]");
        let mut n = 0;
        ok(abicall_type_length(arr, &mut n, &mut e), &e);
        assert_eq!(n, 3);
        let mut item = null_mut();
        ok(abicall_type_item(arr, &mut item, &mut e), &e);
        ok(abicall_type_kind(item, &mut kind, &mut e), &e);
        assert_eq!(kind, abicall_kind::ABICALL_KIND_STRUCT);
        let mut buf = [0 as c_char; 8];
        let mut len = 0;
        ok(
            abicall_type_name(item, buf.as_mut_ptr(), buf.len(), &mut len, &mut e),
            &e,
        );
        assert_eq!(len, "struct in".len());
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), "struct "); // cut, NUL-terminated
        ok(abicall_type_name(item, null_mut(), 0, &mut len, &mut e), &e);
        assert_eq!(len, 9);
        fails(
            abicall_type_item(s, &mut item, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not a pointer or array",
        );
        fails(
            abicall_type_length(s, &mut n, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not an array of known length",
        );
        // Incomplete types have no size.
        let opaque = type_of(ctx, c"opaque_t");
        fails(
            abicall_type_size(opaque, &mut size, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "not defined",
        );
        // Kinds and signedness.
        let mut signed = false;
        for (name, want, want_signed) in [
            (c"enum e", abicall_kind::ABICALL_KIND_ENUM, true),
            (c"unsigned short", abicall_kind::ABICALL_KIND_USHORT, false),
            (c"long long", abicall_kind::ABICALL_KIND_LONGLONG, true),
            (c"void *", abicall_kind::ABICALL_KIND_POINTER, false),
            (c"int(int)", abicall_kind::ABICALL_KIND_FUNCTION, false),
            (c"union { int a; }", abicall_kind::ABICALL_KIND_UNION, false),
        ] {
            let t = type_of(ctx, name);
            ok(abicall_type_kind(t, &mut kind, &mut e), &e);
            ok(abicall_type_is_signed(t, &mut signed, &mut e), &e);
            assert_eq!((kind, signed), (want, want_signed), "{name:?}");
            ok(abicall_type_free(t, &mut e), &e);
        }
        // Constants.
        cdef(ctx, "#define RATIO 2.5\n#define HUGE_U 0xffffffffffffffffu\n");
        let (mut i, mut d) = (0i64, 0f64);
        ok(abicall_constant_int(ctx, c"NEG".as_ptr(), &mut i, &mut e), &e);
        assert_eq!(i, -1);
        ok(abicall_constant_double(ctx, c"RATIO".as_ptr(), &mut d, &mut e), &e);
        assert_eq!(d, 2.5);
        ok(abicall_constant_double(ctx, c"BIG".as_ptr(), &mut d, &mut e), &e);
        assert_eq!(d, 7.0);
        fails(
            abicall_constant_int(ctx, c"RATIO".as_ptr(), &mut i, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "floating constant",
        );
        fails(
            abicall_constant_int(ctx, c"HUGE_U".as_ptr(), &mut i, &mut e),
            &e,
            ABICALL_E_CONVERT,
            "out of range",
        );
        fails(
            abicall_constant_int(ctx, c"NOPE".as_ptr(), &mut i, &mut e),
            &e,
            ABICALL_E_UNKNOWN_NAME,
            "`NOPE` is not declared",
        );
        // A type outlives its context.
        ok(abicall_context_free(ctx, &mut e), &e);
        ok(abicall_type_size(s, &mut size, &mut e), &e);
        assert_eq!(size, want_size);
        for t in [s, member, arr, item, opaque] {
            ok(abicall_type_free(t, &mut e), &e);
        }
    }
}

#[test]
fn libraries_symbols_and_functions() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "unsigned long strlen(const char *); int not_in_any_library_xyz(void); extern int opterr;\
         int snprintf(char *, unsigned long, const char *, ...); int abs(int); double ldexp(double, int);",
    );
    let lib = process();
    let mut e = new_err();
    // SAFETY: live handles, valid pointers; the calls match the C prototypes.
    unsafe {
        let mut l = null_mut();
        fails(
            abicall_library_open(c"/nonexistent/libnope.so".as_ptr(), 0, &mut l, &mut e),
            &e,
            ABICALL_E_LIBRARY_OPEN,
            "cannot open library `/nonexistent/libnope.so`",
        );
        fails(
            abicall_library_open(c"libm.so.6".as_ptr(), 8, &mut l, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "unknown flags 0x8",
        );
        ok(
            abicall_library_open(
                c"libm.so.6".as_ptr(),
                ABICALL_OPEN_NOW | ABICALL_OPEN_GLOBAL,
                &mut l,
                &mut e,
            ),
            &e,
        );
        let mut p = null_mut();
        ok(abicall_library_symbol(l, c"cos".as_ptr(), &mut p, &mut e), &e);
        assert!(!p.is_null());
        fails(
            abicall_library_symbol(lib, c"no_such_symbol_xyz".as_ptr(), &mut p, &mut e),
            &e,
            ABICALL_E_SYMBOL_NOT_FOUND,
            "symbol `no_such_symbol_xyz` not found",
        );
        let mut f = null_mut();
        fails(
            abicall_function_new(ctx, lib, c"undeclared".as_ptr(), null(), 0, &mut f, &mut e),
            &e,
            ABICALL_E_UNKNOWN_NAME,
            "`undeclared` is not declared",
        );
        fails(
            abicall_function_new(ctx, lib, c"not_in_any_library_xyz".as_ptr(), null(), 0, &mut f, &mut e),
            &e,
            ABICALL_E_SYMBOL_NOT_FOUND,
            "not_in_any_library_xyz",
        );
        fails(
            abicall_function_new(ctx, lib, c"opterr".as_ptr(), null(), 0, &mut f, &mut e),
            &e,
            ABICALL_E_CALL,
            "is a variable",
        );
        assert!(f.is_null());
        // A global variable.
        let mut vt = null_mut();
        ok(
            abicall_variable(ctx, lib, c"opterr".as_ptr(), &mut p, &mut vt, &mut e),
            &e,
        );
        assert_eq!(*(p as *const i32), 1); // glibc's default
        let mut kind = abicall_kind::ABICALL_KIND_VOID;
        ok(abicall_type_kind(vt, &mut kind, &mut e), &e);
        assert_eq!(kind, abicall_kind::ABICALL_KIND_INT);
        fails(
            abicall_variable(ctx, lib, c"strlen".as_ptr(), &mut p, null_mut(), &mut e),
            &e,
            ABICALL_E_UNKNOWN_NAME,
            "",
        );
        // Plain call, signature queries.
        let strlen = function(ctx, lib, c"strlen");
        let s = c"hello".as_ptr();
        let args = [&s as *const *const c_char as *mut c_void];
        let mut r = 0u64;
        ok(
            abicall_call(strlen, args.as_ptr(), &mut r as *mut u64 as *mut c_void, &mut e),
            &e,
        );
        assert_eq!(r, 5);
        let (mut n, mut size) = (0, 0);
        ok(abicall_function_arg_count(strlen, &mut n, &mut e), &e);
        ok(abicall_function_ret_size(strlen, &mut size, &mut e), &e);
        assert_eq!((n, size), (1, 8));
        let mut t = null_mut();
        ok(abicall_function_arg_type(strlen, 0, &mut t, &mut e), &e);
        ok(abicall_type_kind(t, &mut kind, &mut e), &e);
        assert_eq!(kind, abicall_kind::ABICALL_KIND_POINTER);
        ok(abicall_type_free(t, &mut e), &e);
        ok(abicall_function_ret_type(strlen, &mut t, &mut e), &e);
        ok(abicall_type_kind(t, &mut kind, &mut e), &e);
        assert_eq!(kind, abicall_kind::ABICALL_KIND_ULONG);
        ok(abicall_type_free(t, &mut e), &e);
        fails(
            abicall_function_arg_type(strlen, 1, &mut t, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "index 1 out of range",
        );
        // Bad argument arrays: a NULL element, a NULL return buffer.
        let nulls = [null_mut::<c_void>()];
        fails(
            abicall_call(strlen, nulls.as_ptr(), &mut r as *mut u64 as *mut c_void, &mut e),
            &e,
            ABICALL_E_CALL,
            "argument 1: NULL",
        );
        fails(
            abicall_call(strlen, args.as_ptr(), null_mut(), &mut e),
            &e,
            ABICALL_E_CALL,
            "NULL return buffer",
        );
        // Variadic: snprintf(buf, n, "%d %.1f", int, double).
        let int_t = type_of(ctx, c"int");
        let dbl_t = type_of(ctx, c"double");
        let vt2 = [int_t as *const abicall_type, dbl_t as *const abicall_type];
        ok(
            abicall_function_new(ctx, lib, c"snprintf".as_ptr(), vt2.as_ptr(), 2, &mut f, &mut e),
            &e,
        );
        ok(abicall_function_arg_count(f, &mut n, &mut e), &e);
        assert_eq!(n, 5);
        let mut buf = [0u8; 32];
        let (bp, cap, fmt, i, d) = (buf.as_mut_ptr(), buf.len() as u64, c"%d %.1f".as_ptr(), 42i32, 2.5f64);
        let vargs = [
            &bp as *const _ as *mut c_void,
            &cap as *const _ as *mut c_void,
            &fmt as *const _ as *mut c_void,
            &i as *const _ as *mut c_void,
            &d as *const _ as *mut c_void,
        ];
        let mut written = 0i32;
        ok(
            abicall_call(f, vargs.as_ptr(), &mut written as *mut i32 as *mut c_void, &mut e),
            &e,
        );
        assert_eq!(CStr::from_ptr(buf.as_ptr().cast()).to_str().unwrap(), "42 2.5");
        assert_eq!(written, 6);
        ok(abicall_function_free(f, &mut e), &e);
        // Variadic types for a non-variadic function, or from another context.
        fails(
            abicall_function_new(ctx, lib, c"strlen".as_ptr(), vt2.as_ptr(), 1, &mut f, &mut e),
            &e,
            ABICALL_E_CALL,
            "`strlen` is not variadic",
        );
        let other = host_ctx();
        let foreign = type_of(other, c"int");
        let vt3 = [foreign as *const abicall_type];
        fails(
            abicall_function_new(ctx, lib, c"snprintf".as_ptr(), vt3.as_ptr(), 1, &mut f, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "`var_types[0]` belongs to another context",
        );
        // A function at an address, with a type handle.
        let abs_t = type_of(ctx, c"int (*)(int)");
        ok(abicall_library_symbol(lib, c"abs".as_ptr(), &mut p, &mut e), &e);
        ok(abicall_function_new_at(abs_t, p, null(), 0, &mut f, &mut e), &e);
        let x = -7i32;
        let mut out = 0i32;
        ok(
            abicall_call(
                f,
                [&x as *const i32 as *mut c_void].as_ptr(),
                &mut out as *mut i32 as *mut c_void,
                &mut e,
            ),
            &e,
        );
        assert_eq!(out, 7);
        let mut code = null();
        ok(abicall_function_code(f, &mut code, &mut e), &e);
        assert_eq!(code, p as *const c_void);
        ok(abicall_function_free(f, &mut e), &e);
        let mut g = null_mut();
        fails(
            abicall_function_new_at(abs_t, null(), null(), 0, &mut g, &mut e),
            &e,
            ABICALL_E_CALL,
            "NULL function pointer",
        );
        fails(
            abicall_function_new_at(int_t, p, null(), 0, &mut g, &mut e),
            &e,
            ABICALL_E_ABI,
            "",
        );
        // Functions keep their library loaded after the handles are freed.
        let ldexp = function(ctx, lib, c"ldexp");
        ok(abicall_library_free(lib, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
        let (m, ex) = (0.75f64, 3i32);
        let mut res = 0f64;
        let la = [&m as *const f64 as *mut c_void, &ex as *const i32 as *mut c_void];
        ok(
            abicall_call(ldexp, la.as_ptr(), &mut res as *mut f64 as *mut c_void, &mut e),
            &e,
        );
        assert_eq!(res, 6.0);
        for t in [vt, int_t, dbl_t, foreign, abs_t] {
            ok(abicall_type_free(t, &mut e), &e);
        }
        ok(abicall_function_free(ldexp, &mut e), &e);
        ok(abicall_function_free(strlen, &mut e), &e);
        ok(abicall_library_free(l, &mut e), &e);
        ok(abicall_context_free(other, &mut e), &e);
    }
}

#[test]
fn freed_handles_and_handles_of_the_wrong_kind_are_refused() {
    let ctx = host_ctx();
    cdef(ctx, "int abs(int);");
    let lib = process();
    let ty = type_of(ctx, c"int");
    let f = function(ctx, lib, c"abs");
    let mut e = new_err();
    // SAFETY: freed handles are within the quarantine, so reading their tag is
    // sound; handles of the wrong kind are live shells of another kind.
    unsafe {
        let mut obj = null_mut();
        ok(abicall_object_new(ty, 4, &mut obj, &mut e), &e);
        let (mut cb, mut h, mut token) = (null_mut(), null_mut(), null_mut());
        ok(
            abicall_callback_new(
                ctx,
                c"void(void)".as_ptr(),
                Some(noop_cb),
                null_mut(),
                None,
                &mut cb,
                &mut e,
            ),
            &e,
        );
        ok(abicall_handle_new(8 as *mut c_void, &mut h, &mut token, &mut e), &e);

        // Wrong kinds.
        let mut n = 0;
        fails(
            abicall_type_size(lib as *const abicall_type, &mut n, &mut e),
            &e,
            ABICALL_E_BAD_HANDLE,
            "`ty` is not a live abicall_type",
        );
        fails(
            abicall_call(ty as *const abicall_function, null(), null_mut(), &mut e),
            &e,
            ABICALL_E_BAD_HANDLE,
            "not a live abicall_function",
        );
        fails(
            abicall_context_free(f as *mut abicall_context, &mut e),
            &e,
            ABICALL_E_BAD_HANDLE,
            "not a live abicall_context",
        );
        let mut x = 0i32;
        ok(
            abicall_call(
                f,
                [&x as *const i32 as *mut c_void].as_ptr(),
                &mut x as *mut i32 as *mut c_void,
                &mut e,
            ),
            &e,
        );

        // Use after free and double free, for every kind.
        ok(abicall_type_free(ty, &mut e), &e);
        fails(
            abicall_type_size(ty, &mut n, &mut e),
            &e,
            ABICALL_E_FREED,
            "`ty`: this abicall_type was already freed",
        );
        fails(abicall_type_free(ty, &mut e), &e, ABICALL_E_FREED, "double free");
        ok(abicall_function_free(f, &mut e), &e);
        let args = [&x as *const i32 as *mut c_void];
        fails(
            abicall_call(f, args.as_ptr(), &mut x as *mut i32 as *mut c_void, &mut e),
            &e,
            ABICALL_E_FREED,
            "abicall_function was already freed",
        );
        fails(abicall_function_free(f, &mut e), &e, ABICALL_E_FREED, "double free");
        ok(abicall_object_free(obj, &mut e), &e);
        let mut p = null_mut();
        fails(
            abicall_object_ptr(obj, &mut p, &mut e),
            &e,
            ABICALL_E_FREED,
            "abicall_object",
        );
        fails(abicall_object_free(obj, &mut e), &e, ABICALL_E_FREED, "double free");
        ok(abicall_callback_free(cb, &mut e), &e);
        fails(
            abicall_callback_code(cb, &mut p, &mut e),
            &e,
            ABICALL_E_FREED,
            "abicall_callback",
        );
        fails(abicall_callback_free(cb, &mut e), &e, ABICALL_E_FREED, "double free");
        ok(abicall_handle_free(h, &mut e), &e);
        fails(abicall_handle_free(h, &mut e), &e, ABICALL_E_FREED, "abicall_handle");
        ok(abicall_library_free(lib, &mut e), &e);
        fails(
            abicall_library_symbol(lib, c"abs".as_ptr(), &mut p, &mut e),
            &e,
            ABICALL_E_FREED,
            "abicall_library",
        );
        fails(abicall_library_free(lib, &mut e), &e, ABICALL_E_FREED, "double free");
        ok(abicall_context_free(ctx, &mut e), &e);
        fails(
            abicall_cdef(ctx, c"int y;".as_ptr(), 6, &mut e),
            &e,
            ABICALL_E_FREED,
            "abicall_context",
        );
        fails(abicall_context_free(ctx, &mut e), &e, ABICALL_E_FREED, "double free");
    }
}

static DESTROYED: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn twice(user: *mut c_void, args: *const *mut c_void, ret: *mut c_void) {
    CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the callback's type is `int(int)`: one int argument, an int result.
    unsafe {
        let x = *(*args as *const i32);
        *(ret as *mut i32) = x * 2 + user as usize as i32;
    }
}

unsafe extern "C" fn count_destroy(user: *mut c_void) {
    assert_eq!(user as usize, 1000);
    DESTROYED.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn callbacks_destructors_and_calls_after_free() {
    let ctx = host_ctx();
    let mut e = new_err();
    // SAFETY: the callback's code pointer is called with its declared type.
    unsafe {
        let mut cb = null_mut();
        // Creation failures do not run the destructor (the data stays the caller's).
        fails(
            abicall_callback_new(
                ctx,
                c"int(int, ...)".as_ptr(),
                Some(twice),
                1000 as *mut c_void,
                Some(count_destroy),
                &mut cb,
                &mut e,
            ),
            &e,
            ABICALL_E_CALL,
            "variadic callbacks are not supported",
        );
        fails(
            abicall_callback_new(
                ctx,
                c"int".as_ptr(),
                Some(twice),
                1000 as *mut c_void,
                Some(count_destroy),
                &mut cb,
                &mut e,
            ),
            &e,
            ABICALL_E_CALL,
            "not a function type",
        );
        fails(
            abicall_callback_new(
                ctx,
                c"nosuch_t (*)(int)".as_ptr(),
                Some(twice),
                1000 as *mut c_void,
                Some(count_destroy),
                &mut cb,
                &mut e,
            ),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "nosuch_t",
        );
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 0);
        assert!(cb.is_null());

        ok(
            abicall_callback_new(
                ctx,
                c"int(int)".as_ptr(),
                Some(twice),
                1000 as *mut c_void,
                Some(count_destroy),
                &mut cb,
                &mut e,
            ),
            &e,
        );
        let mut code = null_mut();
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let f: extern "C" fn(i32) -> i32 = std::mem::transmute(code);
        assert_eq!(f(21), 1042);
        // Called from C threads at once.
        let threads: Vec<_> = (0..4)
            .map(|k| std::thread::spawn(move || (0..200).map(|i| f(i * k)).sum::<i32>()))
            .collect();
        for (k, t) in threads.into_iter().enumerate() {
            let k = k as i32;
            assert_eq!(t.join().unwrap(), (0..200).map(|i| i * k * 2 + 1000).sum::<i32>());
        }
        ok(abicall_callback_free(cb, &mut e), &e);
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 1);
        // C still holding the pointer: no crash, zero result, the user function is not run.
        let before = CALLS.load(Ordering::SeqCst);
        assert_eq!(f(21), 0);
        assert_eq!(CALLS.load(Ordering::SeqCst), before);
        assert_eq!(DESTROYED.load(Ordering::SeqCst), 1);

        // By type handle; without a destructor.
        let t = type_of(ctx, c"int (*)(int)");
        ok(
            abicall_callback_new_type(t, Some(twice), null_mut(), None, &mut cb, &mut e),
            &e,
        );
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let g: extern "C" fn(i32) -> i32 = std::mem::transmute(code);
        assert_eq!(g(5), 10);
        // ... passed to C through abicall_call (a function pointer argument).
        let mut call = null_mut();
        ok(abicall_function_new_at(t, code, null(), 0, &mut call, &mut e), &e);
        let x = 8i32;
        let mut r = 0i32;
        ok(
            abicall_call(
                call,
                [&x as *const i32 as *mut c_void].as_ptr(),
                &mut r as *mut i32 as *mut c_void,
                &mut e,
            ),
            &e,
        );
        assert_eq!(r, 16);
        ok(abicall_function_free(call, &mut e), &e);
        ok(abicall_callback_free(cb, &mut e), &e);
        ok(abicall_type_free(t, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn objects_errno_and_tokens() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "long strtol(const char *, char **, int); int *__errno_location(void); struct inc;",
    );
    let lib = process();
    let mut e = new_err();
    // SAFETY: live handles, valid pointers; calls match the prototypes.
    unsafe {
        let dbl = type_of(ctx, c"double");
        let mut obj = null_mut();
        ok(abicall_object_new(dbl, 5, &mut obj, &mut e), &e);
        let (mut p, mut size) = (null_mut(), 0);
        ok(abicall_object_ptr(obj, &mut p, &mut e), &e);
        ok(abicall_object_size(obj, &mut size, &mut e), &e);
        assert_eq!(size, 40);
        assert_eq!(p as usize % 8, 0);
        assert_eq!(std::slice::from_raw_parts(p as *const u8, 40), &[0u8; 40][..]);
        *(p as *mut f64).add(4) = 1.5; // the whole extent is writable
        ok(abicall_object_free(obj, &mut e), &e);
        fails(
            abicall_object_new(dbl, usize::MAX / 4, &mut obj, &mut e),
            &e,
            ABICALL_E_MEMORY,
            "do not fit in memory",
        );
        let inc = type_of(ctx, c"struct inc");
        fails(
            abicall_object_new(inc, 1, &mut obj, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "not defined",
        );
        // Zero elements: a valid, empty object.
        ok(abicall_object_new(dbl, 0, &mut obj, &mut e), &e);
        ok(abicall_object_size(obj, &mut size, &mut e), &e);
        assert_eq!(size, 0);
        ok(abicall_object_free(obj, &mut e), &e);
        // Over-aligned types get aligned memory.
        cdef(ctx, "typedef struct { char c; } __attribute__((aligned(64))) a64;");
        let a64 = type_of(ctx, c"a64");
        for count in [1, 3] {
            ok(abicall_object_new(a64, count, &mut obj, &mut e), &e);
            ok(abicall_object_ptr(obj, &mut p, &mut e), &e);
            ok(abicall_object_size(obj, &mut size, &mut e), &e);
            assert_eq!((p as usize % 64, size), (0, 64 * count));
            ok(abicall_object_free(obj, &mut e), &e);
        }
        ok(abicall_type_free(a64, &mut e), &e);

        // errno: saved after each call, per thread; restored before the next.
        let strtol = function(ctx, lib, c"strtol");
        let (s, end, base) = (c"99999999999999999999999".as_ptr(), null_mut::<c_char>(), 10i32);
        let args = [
            &s as *const _ as *mut c_void,
            &end as *const _ as *mut c_void,
            &base as *const _ as *mut c_void,
        ];
        let mut r = 0i64;
        ok(abicall_errno_set(0, &mut e), &e);
        ok(
            abicall_call(strtol, args.as_ptr(), &mut r as *mut i64 as *mut c_void, &mut e),
            &e,
        );
        assert_eq!(r, i64::MAX);
        let mut errno = 0;
        ok(abicall_errno_get(&mut errno, &mut e), &e);
        assert_eq!(errno, 34); // ERANGE
        ok(abicall_errno_set(7, &mut e), &e);
        let loc = function(ctx, lib, c"__errno_location");
        let mut ptr = null_mut::<i32>();
        ok(
            abicall_call(loc, null(), &mut ptr as *mut *mut i32 as *mut c_void, &mut e),
            &e,
        );
        assert_eq!(*ptr, 7);

        // Tokens.
        let (mut h, mut token, mut v) = (null_mut(), null_mut(), null_mut());
        ok(
            abicall_handle_new(0x1234 as *mut c_void, &mut h, &mut token, &mut e),
            &e,
        );
        ok(abicall_handle_get(token, &mut v, &mut e), &e);
        assert_eq!(v as usize, 0x1234);
        fails(
            abicall_handle_get((token as usize ^ 0x10) as *const c_void, &mut v, &mut e),
            &e,
            ABICALL_E_HANDLE,
            "invalid handle",
        );
        fails(
            abicall_handle_get(null(), &mut v, &mut e),
            &e,
            ABICALL_E_HANDLE,
            "invalid handle 0x0",
        );
        ok(abicall_handle_free(h, &mut e), &e);
        fails(
            abicall_handle_get(token, &mut v, &mut e),
            &e,
            ABICALL_E_HANDLE,
            "already freed",
        );
        // A handle made by the Rust API is not a C API token.
        let (guard, rust_token) = abicall::memory::new_handle(std::sync::Arc::new(5u8)).unwrap();
        fails(abicall_handle_get(rust_token, &mut v, &mut e), &e, ABICALL_E_HANDLE, "");
        drop(guard);

        for t in [dbl, inc] {
            ok(abicall_type_free(t, &mut e), &e);
        }
        ok(abicall_function_free(strtol, &mut e), &e);
        ok(abicall_function_free(loc, &mut e), &e);
        ok(abicall_library_free(lib, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn concurrent_use_of_one_context_and_one_call_object() {
    let ctx = host_ctx();
    cdef(ctx, "long labs(long);");
    let lib = process();
    let f = function(ctx, lib, c"labs");
    // Handles are plain addresses to threads.
    let (ctx_a, f_a) = (ctx as usize, f as usize);
    let threads: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let mut e = new_err();
                let f = f_a as *const abicall_function;
                let ctx = ctx_a as *mut abicall_context;
                for i in 0..500i64 {
                    let x = -(i * 4 + k);
                    let mut r = 0i64;
                    // SAFETY: live call object, `labs(long)`.
                    ok(
                        unsafe {
                            abicall_call(
                                f,
                                [&x as *const i64 as *mut c_void].as_ptr(),
                                &mut r as *mut i64 as *mut c_void,
                                &mut e,
                            )
                        },
                        &e,
                    );
                    assert_eq!(r, i * 4 + k);
                    if i % 50 == 0 {
                        // Declarations and lookups race with the calls.
                        let decl = format!("struct t{k}_{i} {{ char c; long v; }};");
                        cdef(ctx, &decl);
                        let name = std::ffi::CString::new(format!("struct t{k}_{i}")).unwrap();
                        let t = type_of(ctx, &name);
                        let mut size = 0;
                        // SAFETY: live type handle.
                        ok(unsafe { abicall_type_size(t, &mut size, &mut e) }, &e);
                        assert_eq!(size, 16);
                        // SAFETY: freed once, by this thread.
                        ok(unsafe { abicall_type_free(t, &mut e) }, &e);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut e = new_err();
    // SAFETY: all threads joined; each handle freed once.
    unsafe {
        ok(abicall_function_free(f, &mut e), &e);
        ok(abicall_library_free(lib, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn status_names_version_and_untouched_error_on_success() {
    let name = |s: i32| {
        // SAFETY: static NUL-terminated strings.
        unsafe { CStr::from_ptr(abicall_status_name(s)) }.to_str().unwrap()
    };
    assert_eq!(name(ABICALL_OK as i32), "ABICALL_OK");
    assert_eq!(name(ABICALL_E_PARSE as i32), "ABICALL_E_PARSE");
    assert_eq!(name(ABICALL_E_FREED as i32), "ABICALL_E_FREED");
    assert_eq!(name(ABICALL_E_PANIC as i32), "ABICALL_E_PANIC");
    assert_eq!(name(-1), "ABICALL_E_UNKNOWN_STATUS");
    assert_eq!(name(22), "ABICALL_E_UNKNOWN_STATUS");
    // SAFETY: abicall_version returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(abicall_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let ctx = host_ctx();
    let mut e = new_err();
    e.line = 77;
    e.message[0] = b'x' as c_char;
    let mut n = 0;
    let t = type_of(ctx, c"short");
    // SAFETY: live handles.
    unsafe {
        ok(abicall_type_size(t, &mut n, &mut e), &e);
        assert_eq!((e.line, e.message[0]), (77, b'x' as c_char));
        ok(abicall_type_free(t, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn members_and_signatures() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "struct m { char c; struct { int x; }; unsigned f : 5, : 0; double d; };",
    );
    let mut e = new_err();
    // SAFETY: live handles, valid buffers.
    unsafe {
        let t = type_of(ctx, c"struct m");
        let mut n = 0;
        ok(abicall_type_field_count(t, &mut n, &mut e), &e);
        assert_eq!(n, 5);
        let mut got = Vec::new();
        for i in 0..n {
            let mut f = abicall_field::default();
            let mut name = [0 as c_char; 16];
            let mut ft = null_mut();
            ok(
                abicall_type_field(t, i, &mut f, name.as_mut_ptr(), name.len(), &mut ft, &mut e),
                &e,
            );
            let mut kind = abicall_kind::ABICALL_KIND_VOID;
            ok(abicall_type_kind(ft, &mut kind, &mut e), &e);
            ok(abicall_type_free(ft, &mut e), &e);
            let name = CStr::from_ptr(name.as_ptr()).to_str().unwrap().to_string();
            assert_eq!(name.len(), f.name_len);
            got.push((name, f.offset, f.is_bitfield, f.bit_offset, f.bit_width, kind));
        }
        use abicall_kind::*;
        // The same placement as the engine's own layout (itself checked
        // against gcc by the layout tests).
        let mut ffi = abicall::Ffi::host().unwrap();
        ffi.cdef("struct m { char c; struct { int x; }; unsigned f : 5, : 0; double d; };")
            .unwrap();
        let id = ffi.type_of("struct m").unwrap();
        let want: Vec<_> = ffi
            .types()
            .record_of(id)
            .unwrap()
            .fields
            .iter()
            .map(|f| {
                let b = f.bit.map_or((false, 0, 0), |b| (true, b.bit_offset, b.bit_width));
                (f.name.clone().unwrap_or_default(), f.offset as usize, b.0, b.1, b.2)
            })
            .collect();
        let placement: Vec<_> = got.iter().map(|g| (g.0.clone(), g.1, g.2, g.3, g.4)).collect();
        assert_eq!(placement, want);
        let kinds: Vec<_> = got.iter().map(|g| g.5).collect();
        let names: Vec<_> = got.iter().map(|g| g.0.as_str()).collect();
        assert_eq!(names, ["c", "", "f", "", "d"]);
        assert_eq!(
            kinds,
            [
                ABICALL_KIND_CHAR,
                ABICALL_KIND_STRUCT,
                ABICALL_KIND_UINT,
                ABICALL_KIND_UINT,
                ABICALL_KIND_DOUBLE
            ]
        );
        assert_eq!((got[2].2, got[2].4), (true, 5)); // `f : 5`
        let mut f = abicall_field::default();
        fails(
            abicall_type_field(t, 5, &mut f, null_mut(), 0, null_mut(), &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "member index 5 out of range",
        );
        fails(
            abicall_type_field(t, 0, &mut f, null_mut(), 4, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`name_buf`",
        );
        let int_t = type_of(ctx, c"int");
        fails(
            abicall_type_field_count(int_t, &mut n, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not a struct or union",
        );

        let sig = type_of(ctx, c"double (*)(int, const char *, ...)");
        let mut variadic = false;
        ok(abicall_type_signature(sig, &mut n, &mut variadic, &mut e), &e);
        assert_eq!((n, variadic), (2, true));
        let mut p = null_mut();
        let mut kind = abicall_kind::ABICALL_KIND_VOID;
        ok(abicall_type_param(sig, ABICALL_RETURN, &mut p, &mut e), &e);
        ok(abicall_type_kind(p, &mut kind, &mut e), &e);
        assert_eq!(kind, ABICALL_KIND_DOUBLE);
        ok(abicall_type_free(p, &mut e), &e);
        ok(abicall_type_param(sig, 1, &mut p, &mut e), &e);
        ok(abicall_type_kind(p, &mut kind, &mut e), &e);
        assert_eq!(kind, ABICALL_KIND_POINTER);
        ok(abicall_type_free(p, &mut e), &e);
        fails(
            abicall_type_param(sig, 2, &mut p, &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "parameter index 2 out of range",
        );
        fails(
            abicall_type_signature(int_t, &mut n, null_mut(), &mut e),
            &e,
            ABICALL_E_INVALID_ARG,
            "not a function type",
        );
        for t in [t, int_t, sig] {
            ok(abicall_type_free(t, &mut e), &e);
        }
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

#[test]
fn derived_pointer_and_array_types() {
    let ctx = host_ctx();
    cdef(ctx, "typedef struct { short s; char c; } anon_t; struct fwd;");
    let mut e = new_err();
    // SAFETY: live handles, valid out-pointers.
    unsafe {
        let t = type_of(ctx, c"anon_t");
        let (mut p, mut a, mut item) = (null_mut(), null_mut(), null_mut());
        ok(abicall_type_pointer(t, &mut p, &mut e), &e);
        let mut kind = abicall_kind::ABICALL_KIND_VOID;
        ok(abicall_type_kind(p, &mut kind, &mut e), &e);
        assert_eq!(kind, abicall_kind::ABICALL_KIND_POINTER);
        ok(abicall_type_item(p, &mut item, &mut e), &e);
        let (mut s1, mut s2, mut n) = (0, 0, 0);
        ok(abicall_type_size(item, &mut s1, &mut e), &e);
        ok(abicall_type_size(t, &mut s2, &mut e), &e);
        assert_eq!(s1, s2);
        ok(abicall_type_array(t, 3, &mut a, &mut e), &e);
        ok(abicall_type_size(a, &mut s1, &mut e), &e);
        ok(abicall_type_length(a, &mut n, &mut e), &e);
        assert_eq!((s1, n), (3 * s2, 3));
        // The same interned type as spelled by name.
        let named = type_of(ctx, c"anon_t[3]");
        let mut name = [0 as c_char; 32];
        let mut other = [0 as c_char; 32];
        ok(abicall_type_name(a, name.as_mut_ptr(), 32, null_mut(), &mut e), &e);
        ok(abicall_type_name(named, other.as_mut_ptr(), 32, null_mut(), &mut e), &e);
        assert_eq!(CStr::from_ptr(name.as_ptr()), CStr::from_ptr(other.as_ptr()));
        let fwd = type_of(ctx, c"struct fwd");
        let fun = type_of(ctx, c"int(int)");
        let mut bad = null_mut();
        fails(
            abicall_type_array(fwd, 2, &mut bad, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "`struct fwd` is not defined",
        );
        fails(
            abicall_type_array(fun, 2, &mut bad, &mut e),
            &e,
            ABICALL_E_LAYOUT,
            "incomplete or function type",
        );
        let s = abicall_type_array(t, usize::MAX / 2, &mut bad, &mut e);
        assert_eq!(s, ABICALL_E_LAYOUT, "{}", msg(&e));
        assert!(bad.is_null());
        // Deriving step by step stops at the nesting limit (walks of deeper
        // types would recurse too far), with an error, not a crash.
        let mut chain = vec![type_of(ctx, c"int")];
        for _ in 0..256 {
            let mut next = null_mut();
            let base = if chain.len() % 2 == 0 {
                abicall_type_array(*chain.last().unwrap(), 1, &mut next, &mut e)
            } else {
                abicall_type_pointer(*chain.last().unwrap(), &mut next, &mut e)
            };
            ok(base, &e);
            chain.push(next);
        }
        let mut name = [0 as c_char; 8];
        let mut need = 0usize;
        let s = abicall_type_name(*chain.last().unwrap(), name.as_mut_ptr(), 8, &mut need, &mut e);
        assert!(need > 256, "{s:?} {need}");
        fails(
            abicall_type_pointer(*chain.last().unwrap(), &mut bad, &mut e),
            &e,
            ABICALL_E_LAYOUT,
            "more than 256 levels deep",
        );
        fails(
            abicall_type_array(*chain.last().unwrap(), 1, &mut bad, &mut e),
            &e,
            ABICALL_E_LAYOUT,
            "more than 256 levels deep",
        );
        assert!(bad.is_null());
        for h in chain {
            ok(abicall_type_free(h, &mut e), &e);
        }
        for h in [t, p, a, item, named, fwd, fun] {
            ok(abicall_type_free(h, &mut e), &e);
        }
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}

static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

/// `int(int)`: twice the argument (no shared counters, unlike `twice`).
unsafe extern "C" fn doubled(_: *mut c_void, args: *const *mut c_void, ret: *mut c_void) {
    // SAFETY: one int argument, an int result.
    unsafe { *(ret as *mut i32) = *(*args as *const i32) * 2 }
}

unsafe extern "C" fn hook(user: *mut c_void, message: *const c_char) {
    assert_eq!(user as usize, 77);
    // SAFETY: the message is a NUL-terminated string valid during the call.
    let m = unsafe { CStr::from_ptr(message) }.to_str().unwrap();
    assert_eq!(m, "callback called after it was dropped");
    HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn callback_options_error_return_and_hook() {
    let ctx = host_ctx();
    let mut e = new_err();
    // SAFETY: valid handles and options; the code pointer is called with its type.
    unsafe {
        let t = type_of(ctx, c"int(int)");
        let minus_one = -1i32;
        let opts = abicall_callback_options {
            size: std::mem::size_of::<abicall_callback_options>(),
            flags: 0,
            error_return: &minus_one as *const i32 as *const c_void,
            error_return_size: 4,
            on_error: Some(hook),
            on_error_user: 77 as *mut c_void,
        };
        let mut cb = null_mut();
        ok(
            abicall_callback_new_ex(t, Some(doubled), null_mut(), None, &opts, &mut cb, &mut e),
            &e,
        );
        let mut code = null_mut();
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let f: extern "C" fn(i32) -> i32 = std::mem::transmute(code);
        assert_eq!(f(4), 8);
        ok(abicall_callback_free(cb, &mut e), &e);
        assert_eq!(f(4), -1); // the error return value, reported to the hook
        assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 1);
        // Wrong size of the error return value; NULL options are the defaults.
        let bad = abicall_callback_options {
            error_return_size: 2,
            ..opts
        };
        fails(
            abicall_callback_new_ex(t, Some(doubled), null_mut(), None, &bad, &mut cb, &mut e),
            &e,
            ABICALL_E_CALL,
            "error return value has 2 bytes, the return type has 4",
        );
        let no_bytes = abicall_callback_options {
            error_return: null(),
            ..opts
        };
        fails(
            abicall_callback_new_ex(t, Some(doubled), null_mut(), None, &no_bytes, &mut cb, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "`options->error_return` is NULL",
        );
        ok(
            abicall_callback_new_ex(t, Some(doubled), null_mut(), None, null(), &mut cb, &mut e),
            &e,
        );
        ok(abicall_callback_free(cb, &mut e), &e);
        ok(abicall_type_free(t, &mut e), &e);
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}
