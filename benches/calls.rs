//! Call overhead per signature, every group with its baselines in the same
//! run: a direct typed call through a Rust fn pointer, libffi's `ffi_call`
//! with a prepared CIF, abicall's raw API on the fast path and forced onto
//! libffi. Run with `cargo bench --bench calls`.
//!
//! TODO: add `abicall_value` (the Value-level `Function::call(&[Value])`)
//! to every group once that API is merged.

#[path = "support/bench_lib.rs"]
mod bench_lib;

use abicall::call::RawCall;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use libffi::middle::{Cif, Type};
use std::ffi::c_void;
use std::time::Duration;

/// One signature: what abicall and libffi need to call it.
struct Sig<'a> {
    name: &'a str,
    types: &'a Types,
    func: TypeId,
    va: &'a [TypeId],
    code: *const c_void,
    args: &'a [*const c_void],
    cif: Cif,
}

fn group(c: &mut Criterion, s: Sig<'_>, mut direct: impl FnMut()) {
    let mut g = c.benchmark_group(s.name);
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("direct", |b| b.iter(&mut direct));
    let mut ret = [0u64; 4];
    let retp = ret.as_mut_ptr() as *mut c_void;
    let mut avalue: Vec<*mut c_void> = s.args.iter().map(|&p| p as *mut c_void).collect();
    let cif = s.cif.as_raw_ptr();
    // SAFETY: a C function pointer.
    let f: unsafe extern "C" fn() = unsafe { std::mem::transmute(s.code) };
    g.bench_function("ffi_call", |b| {
        b.iter(|| {
            // SAFETY: the CIF describes the function; one pointer per argument.
            unsafe { libffi::raw::ffi_call(black_box(cif), Some(f), retp, black_box(avalue.as_mut_ptr())) }
        })
    });
    // SAFETY: `func` is the function's real type.
    let mut call = unsafe { RawCall::new(s.types, s.func, s.va, s.code, None) }.unwrap();
    // Only x86_64 hosts have a fast path.
    if call.has_fast_path() {
        g.bench_function("abicall_fast", |b| {
            // SAFETY: the arguments match the plan; `ret` is 32 bytes.
            b.iter(|| unsafe { call.call(black_box(s.args), retp) }.unwrap())
        });
    }
    call.set_fast_path(false);
    g.bench_function("abicall_libffi", |b| {
        // SAFETY: `s.args` point to values of the planned types; `retp` has ret_size bytes.
        b.iter(|| unsafe { call.call(black_box(s.args), retp) }.unwrap())
    });
    g.finish();
}

fn p<T>(v: &T) -> *const c_void {
    v as *const T as *const c_void
}

#[repr(C)]
#[derive(Clone, Copy)]
struct Pt {
    x: f64,
    y: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct M24 {
    a: i64,
    b: i64,
    c: i64,
}

fn calls(c: &mut Criterion) {
    let lib = bench_lib::load();
    let sym = |n: &str| bench_lib::sym(Some(&lib), n);
    let mut t = Types::new(Target::host().unwrap());
    let (v, i, d, l, ch, ul) = (
        t.prim(Prim::Void),
        t.prim(Prim::Int),
        t.prim(Prim::Double),
        t.prim(Prim::Long),
        t.prim(Prim::Char),
        t.prim(Prim::ULong),
    );
    let lp = t.pointer(l);
    let cp = t.pointer(ch);
    let pt = t
        .define_record(
            RecordKind::Struct,
            Some("bn_pt"),
            vec![FieldDecl::new("x", d), FieldDecl::new("y", d)],
            RecordAttrs::default(),
        )
        .unwrap();
    let m24 = t
        .define_record(
            RecordKind::Struct,
            Some("bn_m24"),
            vec![FieldDecl::new("a", l), FieldDecl::new("b", l), FieldDecl::new("c", l)],
            RecordAttrs::default(),
        )
        .unwrap();
    let ffi_pt = || Type::structure([Type::f64(), Type::f64()]);
    let ffi_m24 = || Type::structure([Type::i64(), Type::i64(), Type::i64()]);

    // void()
    let code = sym("bn_noop");
    // SAFETY: `the symbol` in the bench library has the C type `extern "C" fn()`.
    let fd: extern "C" fn() = unsafe { std::mem::transmute(code) };
    let f = t.func(v, vec![], false);
    let sig = Sig {
        name: "void()",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &[],
        cif: Cif::new([], Type::void()),
    };
    group(c, sig, || black_box(fd)());

    // int(int)
    let code = sym("bn_inc");
    // SAFETY: `bn_inc` in the bench library has the C type `extern "C" fn(i32) -> i32`.
    let fd: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(code) };
    let x = 41i32;
    let args = [p(&x)];
    let f = t.func(i, vec![i], false);
    let cif = Cif::new([Type::i32()], Type::i32());
    group(
        c,
        Sig {
            name: "int(int)",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            black_box(black_box(fd)(black_box(x)));
        },
    );

    // double(double)
    let code = sym("bn_half");
    // SAFETY: `bn_half` in the bench library has the C type `extern "C" fn(f64) -> f64`.
    let fd: extern "C" fn(f64) -> f64 = unsafe { std::mem::transmute(code) };
    let x = 3.0f64;
    let args = [p(&x)];
    let f = t.func(d, vec![d], false);
    let cif = Cif::new([Type::f64()], Type::f64());
    group(
        c,
        Sig {
            name: "double(double)",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            black_box(black_box(fd)(black_box(x)));
        },
    );

    // long(long ×6)
    let code = sym("bn_add6");
    // SAFETY: `bn_add6` in the bench library has the C type `extern "C" fn(i64, i64, i64, i64, i64, i64) -> i64`.
    let fd: extern "C" fn(i64, i64, i64, i64, i64, i64) -> i64 = unsafe { std::mem::transmute(code) };
    let xs: [i64; 6] = [1, 2, 3, 4, 5, 6];
    let args: Vec<_> = xs.iter().map(p).collect();
    let f = t.func(l, vec![l; 6], false);
    let cif = Cif::new(vec![Type::i64(); 6], Type::i64());
    group(
        c,
        Sig {
            name: "long(long x6)",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            let x = black_box(xs);
            black_box(black_box(fd)(x[0], x[1], x[2], x[3], x[4], x[5]));
        },
    );

    // double(double ×8)
    let code = sym("bn_sum8");
    type Sum8 = extern "C" fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64;
    // SAFETY: `bn_sum8` in the bench library is `double (double ×8)`.
    let fd: Sum8 = unsafe { std::mem::transmute(code) };
    let xs: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let args: Vec<_> = xs.iter().map(p).collect();
    let f = t.func(d, vec![d; 8], false);
    let cif = Cif::new(vec![Type::f64(); 8], Type::f64());
    group(
        c,
        Sig {
            name: "double(double x8)",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            let x = black_box(xs);
            black_box(black_box(fd)(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]));
        },
    );

    // double(int, double, const long *, double)
    let code = sym("bn_mixed");
    // SAFETY: `bn_mixed` in the bench library has the C type `extern "C" fn(i32, f64, *const i64, f64) -> f64`.
    let fd: extern "C" fn(i32, f64, *const i64, f64) -> f64 = unsafe { std::mem::transmute(code) };
    let (a, b, k, e) = (1i32, 2.5f64, 7i64, -0.5f64);
    let kp = &k as *const i64;
    let args = [p(&a), p(&b), p(&kp), p(&e)];
    let f = t.func(d, vec![i, d, lp, d], false);
    let cif = Cif::new([Type::i32(), Type::f64(), Type::pointer(), Type::f64()], Type::f64());
    let name = "double(int,double,long*,double)";
    group(
        c,
        Sig {
            name,
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            black_box(black_box(fd)(black_box(a), black_box(b), black_box(kp), black_box(e)));
        },
    );

    // struct pt(struct pt, struct pt)
    let code = sym("bn_pt_add");
    // SAFETY: `bn_pt_add` in the bench library has the C type `extern "C" fn(Pt, Pt) -> Pt`.
    let fd: extern "C" fn(Pt, Pt) -> Pt = unsafe { std::mem::transmute(code) };
    let (pa, pb) = (Pt { x: 1.0, y: 2.0 }, Pt { x: 3.0, y: 4.0 });
    let args = [p(&pa), p(&pb)];
    let f = t.func(pt, vec![pt, pt], false);
    let cif = Cif::new([ffi_pt(), ffi_pt()], ffi_pt());
    group(
        c,
        Sig {
            name: "pt(pt,pt)",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            black_box(black_box(fd)(black_box(pa), black_box(pb)));
        },
    );

    // struct m24(struct m24): MEMORY in (stack) and out (hidden pointer)
    let code = sym("bn_m24_rot");
    // SAFETY: `bn_m24_rot` in the bench library has the C type `extern "C" fn(M24) -> M24`.
    let fd: extern "C" fn(M24) -> M24 = unsafe { std::mem::transmute(code) };
    let m = M24 { a: 1, b: 2, c: 3 };
    let args = [p(&m)];
    let f = t.func(m24, vec![m24], false);
    let cif = Cif::new([ffi_m24()], ffi_m24());
    group(
        c,
        Sig {
            name: "m24(m24)",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            black_box(black_box(fd)(black_box(m)));
        },
    );

    // int snprintf(char *, size_t, const char *, ...) with (double, int)
    let code = bench_lib::sym(None, "snprintf");
    type Snp = unsafe extern "C" fn(*mut u8, usize, *const std::ffi::c_char, ...) -> i32;
    // SAFETY: libc's snprintf has this type.
    let fd: Snp = unsafe { std::mem::transmute(code) };
    let mut buf = [0u8; 64];
    let bufp = buf.as_mut_ptr();
    let n = 64usize;
    let fmt = c"%.2f %d".as_ptr();
    let (x, k) = (2.5f64, 42i32);
    let args = [p(&bufp), p(&n), p(&fmt), p(&x), p(&k)];
    let f = t.func(i, vec![cp, ul, cp], true);
    let va = [d, i];
    let cif = Cif::new_variadic(
        [Type::pointer(), Type::u64(), Type::pointer(), Type::f64(), Type::i32()],
        3,
        Type::i32(),
    );
    group(
        c,
        Sig {
            name: "snprintf(%.2f %d)",
            types: &t,
            func: f,
            va: &va,
            code,
            args: &args,
            cif,
        },
        || {
            // SAFETY: a 64-byte buffer and a format matching the arguments.
            black_box(unsafe { black_box(fd)(bufp, n, fmt, black_box(x), black_box(k)) });
        },
    );

    // size_t strlen(const char *)
    let code = bench_lib::sym(None, "strlen");
    // SAFETY: libc's strlen has this type.
    let fd: unsafe extern "C" fn(*const std::ffi::c_char) -> usize = unsafe { std::mem::transmute(code) };
    let s = c"the quick brown fox".as_ptr();
    let args = [p(&s)];
    let f = t.func(ul, vec![cp], false);
    let cif = Cif::new([Type::pointer()], Type::u64());
    group(
        c,
        Sig {
            name: "strlen",
            types: &t,
            func: f,
            va: &[],
            code,
            args: &args,
            cif,
        },
        || {
            // SAFETY: a NUL-terminated string.
            black_box(unsafe { black_box(fd)(black_box(s)) });
        },
    );
}

criterion_group!(benches, calls);
criterion_main!(benches);
