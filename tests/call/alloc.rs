//! No heap allocation per call: a counting global allocator proves that a
//! prepared `RawCall::call` (fast path and libffi path, including a
//! variadic call with default promotions and a struct by value) and a
//! `RawCallback` invocation allocate nothing from Rust's allocator.
//!
//! Calls and callbacks with more than 32 arguments take their temporaries
//! from the thread's bumpalo arena (`call::scratch`) and are covered too,
//! after one warm-up call has grown the arena. Not covered: C code's own
//! `malloc` (e.g. inside `qsort` or `snprintf`) is not Rust's allocator.

use crate::support::fixtures;

use abicall::call::{CallbackOptions, RawCall, RawCallback, Tier};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::Target;
use std::ffi::c_void;

use crate::support::counting_alloc;
use counting_alloc::allocs_in;

fn p<T>(v: &T) -> *const c_void {
    v as *const T as *const c_void
}

#[test]
fn prepared_calls_and_callbacks_do_not_allocate() {
    // The counter sees allocations (so a zero below means something).
    assert_eq!(allocs_in(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(8)))), 1);
    // SAFETY: the fixture library has no unsafe initialisers.
    let lib = unsafe { libloading::Library::new(fixtures::fixtures_so()) }.unwrap();
    let sym = |n: &str| -> *const c_void {
        // SAFETY: address only.
        unsafe { *lib.get::<*const c_void>(n.as_bytes()).unwrap() }
    };
    let mut t = Types::new(Target::host().unwrap());
    let (l, d, i, c, ch, fl, ul, v) = (
        t.prim(Prim::Long),
        t.prim(Prim::Double),
        t.prim(Prim::Int),
        t.prim(Prim::Char),
        t.prim(Prim::Char),
        t.prim(Prim::Float),
        t.prim(Prim::ULong),
        t.prim(Prim::Void),
    );
    let cp = t.pointer(c);
    let vp = t.pointer(v);
    // long fx_add6(long ×6)
    let add6_t = t.func(l, vec![l; 6], false);
    // struct fx_r5 fx_row5_echo(struct fx_r5): {double, long} in and out.
    let r5 = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("d", d), FieldDecl::new("l", l)],
            RecordAttrs::default(),
        )
        .unwrap();
    let echo_t = t.func(r5, vec![r5], false);
    // struct fx_r8 fx_row8_echo(struct fx_r8): MEMORY in (stack) and out (sret).
    let r8 = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("a", l), FieldDecl::new("b", l), FieldDecl::new("c", l)],
            RecordAttrs::default(),
        )
        .unwrap();
    let echo8_t = t.func(r8, vec![r8], false);
    // int fx_vsnprintf(char *, size_t, const char *, ...) with (float, char).
    let vsn_t = t.func(i, vec![cp, ul, cp], true);
    // long double fx_row10_echo(long double): x87 on x86_64, never eligible
    // for the fast path; binary128 in q0 on aarch64 Linux, eligible.
    let ld = t.prim(Prim::LongDouble);
    let ld_t = t.func(ld, vec![ld], false);

    // SAFETY: each declaration matches the fixture (abi_cases.h).
    let mut calls = unsafe {
        [
            RawCall::new(&t, add6_t, &[], sym("fx_add6"), None).unwrap(),
            RawCall::new(&t, echo_t, &[], sym("fx_row5_echo"), None).unwrap(),
            RawCall::new(&t, echo8_t, &[], sym("fx_row8_echo"), None).unwrap(),
            RawCall::new(&t, vsn_t, &[fl, ch], sym("fx_vsnprintf"), None).unwrap(),
        ]
    };
    // SAFETY: `fx_row10_echo` is `long double (long double)` in the fixtures.
    let ld_call = unsafe { RawCall::new(&t, ld_t, &[], sym("fx_row10_echo"), None) }.unwrap();
    assert_eq!(
        ld_call.has_fast_path(),
        abicall::Target::host() == Some(Target::Aarch64Linux)
    );

    let xs: [i64; 6] = [1, 2, 3, 4, 5, 6];
    let s5: (f64, i64) = (1.5, -2);
    let s8: [i64; 3] = [7, 8, 9];
    let mut buf = [0u8; 32];
    let bufp = buf.as_mut_ptr();
    let n: u64 = 32;
    let fmt = c"%.1f %d".as_ptr();
    let (x, k): (f32, i8) = (2.5, 9);
    let ldv = [0u8; 16];
    let mut out = [0u8; 32];
    let outp = out.as_mut_ptr() as *mut c_void;
    let add6_args: Vec<*const c_void> = xs.iter().map(p).collect();
    let echo_args = [p(&s5)];
    let echo8_args = [p(&s8)];
    let vsn_args = [p(&bufp), p(&n), p(&fmt), p(&x), p(&k)];
    let ld_args = [p(&ldv)];

    for tier in Tier::ALL {
        if calls.iter_mut().any(|c| c.set_tier(tier).is_err()) {
            // Only x86_64 and aarch64 Linux hosts have a fast path, only
            // x86_64 Linux a JIT.
            assert!(!tier.available(), "{tier} tier refused a call");
            continue;
        }
        let fast = tier;
        let run = || {
            for _ in 0..3 {
                // SAFETY: pointers to values of each planned type; `out`
                // has room for every result.
                unsafe {
                    calls[0].call(&add6_args, outp).unwrap();
                    assert_eq!(i64::from_le_bytes(out[..8].try_into().unwrap()), 21);
                    calls[1].call(&echo_args, outp).unwrap();
                    calls[2].call(&echo8_args, outp).unwrap();
                    calls[3].call(&vsn_args, outp).unwrap();
                    ld_call.call(&ld_args, outp).unwrap();
                }
            }
        };
        run(); // warm-up (lazy statics, libffi's first-call paths)
        assert_eq!(allocs_in(run), 0, "RawCall::call allocated (fast path: {fast})");
        assert_eq!(&buf[..5], b"2.5 9");
    }

    // A RawCallback invoked by qsort (comparator int(const void *, const void *)).
    let cmp_t = t.func(i, vec![vp, vp], false);
    let cb = RawCallback::new(
        &t,
        cmp_t,
        Box::new(|args, ret| {
            // SAFETY: qsort passes two pointers to ints; ret is an int.
            unsafe {
                let a = **(args[0] as *const *const i32);
                let b = **(args[1] as *const *const i32);
                *(ret as *mut i32) = (a > b) as i32 - (a < b) as i32;
            }
            Ok(())
        }),
        CallbackOptions::default(),
    )
    .unwrap();
    // SAFETY: a comparator pointer of type int(const void *, const void *).
    let cmp: extern "C" fn(*const c_void, *const c_void) -> i32 = unsafe { std::mem::transmute(cb.code()) };
    let (a, b) = (3i32, 5i32);
    assert_eq!(cmp(p(&a), p(&b)), -1);
    let mut data: Vec<i32> = (0..200).map(|k| (k * 7919) % 200).collect();
    // SAFETY: `int fx_qsort_ints(int *, size_t, int (*)(const void *, const void *))`.
    let qs: extern "C" fn(*mut i32, usize, *const c_void) -> i32 = unsafe { std::mem::transmute(sym("fx_qsort_ints")) };
    let got = allocs_in(|| {
        assert_eq!(cmp(p(&b), p(&a)), 1);
        assert_eq!(qs(data.as_mut_ptr(), data.len(), cb.code()), 1);
    });
    assert_eq!(got, 0, "RawCallback invocation allocated");
    assert!(data.windows(2).all(|w| w[0] <= w[1]));
}

/// A 40-argument C function: more arguments than the inline arrays hold.
#[allow(clippy::too_many_arguments)]
extern "C" fn sum40(
    a0: i64,
    a1: i64,
    a2: i64,
    a3: i64,
    a4: i64,
    a5: i64,
    a6: i64,
    a7: i64,
    a8: i64,
    a9: i64,
    a10: i64,
    a11: i64,
    a12: i64,
    a13: i64,
    a14: i64,
    a15: i64,
    a16: i64,
    a17: i64,
    a18: i64,
    a19: i64,
    a20: i64,
    a21: i64,
    a22: i64,
    a23: i64,
    a24: i64,
    a25: i64,
    a26: i64,
    a27: i64,
    a28: i64,
    a29: i64,
    a30: i64,
    a31: i64,
    a32: i64,
    a33: i64,
    a34: i64,
    a35: i64,
    a36: i64,
    a37: i64,
    a38: i64,
    a39: i64,
) -> i64 {
    a0.wrapping_add(a1.wrapping_mul(2))
        .wrapping_add(a2.wrapping_mul(3))
        .wrapping_add(a3.wrapping_mul(4))
        .wrapping_add(a4.wrapping_mul(5))
        .wrapping_add(a5.wrapping_mul(6))
        .wrapping_add(a6.wrapping_mul(7))
        .wrapping_add(a7.wrapping_mul(8))
        .wrapping_add(a8.wrapping_mul(9))
        .wrapping_add(a9.wrapping_mul(10))
        .wrapping_add(a10.wrapping_mul(11))
        .wrapping_add(a11.wrapping_mul(12))
        .wrapping_add(a12.wrapping_mul(13))
        .wrapping_add(a13.wrapping_mul(14))
        .wrapping_add(a14.wrapping_mul(15))
        .wrapping_add(a15.wrapping_mul(16))
        .wrapping_add(a16.wrapping_mul(17))
        .wrapping_add(a17.wrapping_mul(18))
        .wrapping_add(a18.wrapping_mul(19))
        .wrapping_add(a19.wrapping_mul(20))
        .wrapping_add(a20.wrapping_mul(21))
        .wrapping_add(a21.wrapping_mul(22))
        .wrapping_add(a22.wrapping_mul(23))
        .wrapping_add(a23.wrapping_mul(24))
        .wrapping_add(a24.wrapping_mul(25))
        .wrapping_add(a25.wrapping_mul(26))
        .wrapping_add(a26.wrapping_mul(27))
        .wrapping_add(a27.wrapping_mul(28))
        .wrapping_add(a28.wrapping_mul(29))
        .wrapping_add(a29.wrapping_mul(30))
        .wrapping_add(a30.wrapping_mul(31))
        .wrapping_add(a31.wrapping_mul(32))
        .wrapping_add(a32.wrapping_mul(33))
        .wrapping_add(a33.wrapping_mul(34))
        .wrapping_add(a34.wrapping_mul(35))
        .wrapping_add(a35.wrapping_mul(36))
        .wrapping_add(a36.wrapping_mul(37))
        .wrapping_add(a37.wrapping_mul(38))
        .wrapping_add(a38.wrapping_mul(39))
        .wrapping_add(a39.wrapping_mul(40))
}

type Sum40 = extern "C" fn(
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
) -> i64;

/// Calls and callbacks with more arguments than the inline arrays hold
/// (40 > 32) take their temporaries from the thread's bumpalo arena: after
/// the first call has grown it, they allocate nothing either.
#[test]
fn calls_and_callbacks_beyond_the_inline_arrays_do_not_allocate() {
    let mut t = Types::new(Target::host().unwrap());
    let l = t.prim(Prim::Long);
    let f = t.func(l, vec![l; 40], false);
    let xs: Vec<i64> = (0..40).map(|k| k * 3 - 50).collect();
    let expect: i64 = xs.iter().enumerate().map(|(k, x)| x * (k as i64 + 1)).sum();
    let ptrs: Vec<*const c_void> = xs.iter().map(p).collect();
    // SAFETY: `sum40` has this type.
    let mut call = unsafe { RawCall::new(&t, f, &[], sum40 as *const c_void, None) }.unwrap();
    for fast in [true, false] {
        call.set_fast_path(fast);
        let mut r = 0i64;
        // SAFETY: forty longs, a long result.
        let go = |r: &mut i64| unsafe { call.call(&ptrs, r as *mut i64 as *mut c_void) }.unwrap();
        go(&mut r); // warm-up: grows the arena once
        assert_eq!(r, expect);
        assert_eq!(
            allocs_in(|| go(&mut r)),
            0,
            "40-argument call allocated (fast path {fast})"
        );
        assert_eq!(r, expect);
    }
    for libffi in [false, true] {
        let body: Box<abicall::call::callback::RawCallbackFn> = Box::new(|args, ret| {
            let mut s = 0i64;
            for (k, a) in args.iter().enumerate() {
                // SAFETY: each argument is a long.
                s += unsafe { *(*a as *const i64) } * (k as i64 + 1);
            }
            // SAFETY: a long result.
            unsafe { *(ret as *mut i64) = s };
            Ok(())
        });
        let cb = if libffi {
            RawCallback::new_libffi(&t, f, body, CallbackOptions::default())
        } else {
            RawCallback::new(&t, f, body, CallbackOptions::default())
        }
        .unwrap();
        // SAFETY: the callback has type long(long x 40).
        let g: Sum40 = unsafe { std::mem::transmute(cb.code()) };
        let run = || {
            g(
                xs[0], xs[1], xs[2], xs[3], xs[4], xs[5], xs[6], xs[7], xs[8], xs[9], xs[10], xs[11], xs[12], xs[13],
                xs[14], xs[15], xs[16], xs[17], xs[18], xs[19], xs[20], xs[21], xs[22], xs[23], xs[24], xs[25], xs[26],
                xs[27], xs[28], xs[29], xs[30], xs[31], xs[32], xs[33], xs[34], xs[35], xs[36], xs[37], xs[38], xs[39],
            )
        };
        assert_eq!(run(), expect); // warm-up
        let mut got = 0;
        assert_eq!(
            allocs_in(|| got = run()),
            0,
            "40-argument callback allocated (libffi entry {libffi})"
        );
        assert_eq!(got, expect);
    }
}

/// `Function::call` with `Value`s on scalar signatures, and argument
/// frames, make no heap allocation per call (after a warm-up call).
#[test]
fn value_calls_and_frames_do_not_allocate() {
    use abicall::library::Library;
    use abicall::{Ffi, Value};
    let mut ffi = Ffi::host().unwrap();
    ffi.cdef(&fixtures::fixtures_header()).unwrap();
    // SAFETY: the fixture library has no unsafe initialisers.
    let lib = unsafe { Library::open(fixtures::fixtures_so().to_str().unwrap()) }.unwrap();
    let add6 = ffi.function(&lib, "fx_add6").unwrap();
    let add_dd = ffi.function(&lib, "fx_add_dd").unwrap();
    let noop = ffi.function(&lib, "fx_noop").unwrap();
    let args6: Vec<Value> = (1..=6).map(Value::Int).collect();
    let dd = [Value::Float(1.25), Value::Float(2.5)];
    let run = || {
        for _ in 0..3 {
            // SAFETY: the fixtures are declared as defined (abi_cases.h) and
            // take numbers only.
            unsafe {
                assert_eq!(add6.call(&args6).unwrap(), Value::Int(21));
                assert_eq!(add_dd.call(&dd).unwrap(), Value::Float(3.75));
                assert_eq!(noop.call(&[]).unwrap(), Value::Null);
            }
        }
    };
    run();
    assert_eq!(allocs_in(run), 0, "Function::call allocated");
    // Still the checked conversions: an out-of-range value is an error.
    let bad = [
        Value::Int(1),
        Value::Int(2),
        Value::Int(3),
        Value::Int(4),
        Value::Int(5),
        Value::Float(0.5),
    ];
    // SAFETY: the conversion fails before anything is called.
    assert!(unsafe { add6.call(&bad) }.is_err());

    let raw = add6.raw().unwrap();
    for tier in Tier::ALL {
        let mut raw = raw.clone();
        if raw.set_tier(tier).is_err() {
            continue;
        }
        let mut frame = raw.frame().unwrap();
        let mut out = 0i64;
        let mut run = || {
            for k in 0..3i64 {
                for i in 0..6 {
                    frame.set(i, k + i as i64).unwrap();
                }
                // SAFETY: six longs written; an 8-byte result.
                unsafe { frame.call(&mut out as *mut i64 as *mut c_void) }.unwrap();
                assert_eq!(out, 6 * k + 15);
            }
        };
        run();
        assert_eq!(allocs_in(run), 0, "ArgFrame::call allocated ({tier})");
        assert!(frame.set(0, 1i32).is_err(), "a 4-byte value for an 8-byte argument");
        // A caller-owned frame on the stack: no allocation either.
        let (offsets, size) = raw.frame_layout().unwrap();
        assert!(size <= 96, "{size}");
        let run_own = || {
            #[repr(C, align(16))]
            struct F([u8; 96]);
            let mut f = F([0; 96]);
            for (i, &o) in offsets.iter().enumerate() {
                f.0[o as usize..o as usize + 8].copy_from_slice(&(i as i64 + 1).to_le_bytes());
            }
            let mut out = 0i64;
            // SAFETY: six longs at their offsets; an 8-byte result.
            unsafe { raw.call_frame(f.0.as_ptr(), &mut out as *mut i64 as *mut c_void) }.unwrap();
            assert_eq!(out, 21);
        };
        run_own();
        assert_eq!(allocs_in(run_own), 0, "RawCall::call_frame allocated ({tier})");
        let mut out = 0i64;
        let odd = [0u8; 128];
        // SAFETY: refused before anything is called (misaligned frame).
        let e = unsafe {
            raw.call_frame(
                odd.as_ptr()
                    .wrapping_add((odd.as_ptr() as usize).is_multiple_of(16) as usize),
                &mut out as *mut i64 as *mut c_void,
            )
        };
        assert!(e.is_err(), "a misaligned frame is refused");
        assert!(frame.set(6, 1i64).is_err(), "past the last argument");
    }
}
