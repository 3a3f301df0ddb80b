//! `abicall bench`: a quick (a few seconds) measurement of call overhead per
//! signature, without criterion: for each signature, the best of several
//! timed loops of a direct typed call, libffi's `ffi_call` with a prepared
//! CIF, and abicall's raw API on each tier: the JIT (a trampoline generated
//! for the signature), the precompiled fast path, and libffi.
//!
//! The callees are `extern "C"` functions compiled into this binary (so no C
//! compiler is needed) plus libc's `snprintf` and `strlen`; `cargo bench`
//! runs the same signatures against C-compiled callees with criterion.

use crate::error::Result;
use abicall::call::{CallbackOptions, RawCall, RawCallback, Tier};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;
use clap::Args;
use libffi::middle::{Cif, Type};
use std::ffi::c_void;
use std::hint::black_box;
#[cfg(not(target_os = "linux"))]
use std::time::Instant;

/// Options of `abicall bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Timed runs per measurement (the best is reported).
    #[arg(long, default_value_t = 7)]
    runs: u32,
    /// Calls per timed run.
    #[arg(long, default_value_t = 200_000)]
    iters: u32,
}

/// A clock that stops while this thread is descheduled (so a loaded
/// machine inflates the numbers less): the thread's CPU time on Linux,
/// wall time elsewhere.
#[derive(Clone, Copy)]
struct Clock(f64);

#[cfg(target_os = "linux")]
impl Clock {
    fn now() -> Clock {
        #[repr(C)]
        struct Timespec {
            sec: i64,
            nsec: i64,
        }
        extern "C" {
            fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        }
        const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
        let mut ts = Timespec { sec: 0, nsec: 0 };
        // SAFETY: a valid clock id and a writable timespec (64-bit Linux layout).
        unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Clock(ts.sec as f64 * 1e9 + ts.nsec as f64)
    }
    fn ns_since(self, start: Clock) -> f64 {
        self.0 - start.0
    }
}

#[cfg(not(target_os = "linux"))]
impl Clock {
    fn now() -> Clock {
        static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        Clock(START.get_or_init(Instant::now).elapsed().as_nanos() as f64)
    }
    fn ns_since(self, start: Clock) -> f64 {
        self.0 - start.0
    }
}

/// Best time per iteration of `f` in nanoseconds.
fn time(a: &BenchArgs, mut f: impl FnMut()) -> f64 {
    for _ in 0..a.iters / 10 {
        f();
    }
    let mut best = f64::INFINITY;
    for _ in 0..a.runs {
        let t0 = Clock::now();
        for _ in 0..a.iters {
            f();
        }
        best = best.min(Clock::now().ns_since(t0) / a.iters as f64);
    }
    best
}

/// One measured row.
struct Row {
    name: String,
    direct: f64,
    ffi_call: f64,
    jit: Option<f64>,
    /// The JIT trampoline called bare (`RawCall::jit_entry`: no checks,
    /// no `errno`), what `abicall_function_entry` hands to embedders.
    entry: Option<f64>,
    fast: Option<f64>,
    libffi: f64,
    /// The tier a prepared call takes by default.
    default: Tier,
}

impl Row {
    /// ns per call on `tier`.
    fn on(&self, tier: Tier) -> Option<f64> {
        match tier {
            Tier::Jit => self.jit,
            Tier::Fast => self.fast,
            Tier::Libffi => Some(self.libffi),
        }
    }
}

struct Sig<'a> {
    name: &'a str,
    types: &'a Types,
    func: TypeId,
    va: &'a [TypeId],
    code: *const c_void,
    args: &'a [*const c_void],
    cif: Cif,
}

fn measure(a: &BenchArgs, s: Sig<'_>, direct: impl FnMut()) -> Result<Row> {
    let direct = time(a, direct);
    let mut ret = [0u64; 4];
    let retp = ret.as_mut_ptr() as *mut c_void;
    let mut avalue: Vec<*mut c_void> = s.args.iter().map(|&p| p as *mut c_void).collect();
    let cif = s.cif.as_raw_ptr();
    // SAFETY: a C function pointer.
    let f: unsafe extern "C" fn() = unsafe { std::mem::transmute(s.code) };
    let av = avalue.as_mut_ptr();
    let ffi_call = time(a, || {
        // SAFETY: the CIF describes the function; one pointer per argument; 32-byte result.
        unsafe { libffi::raw::ffi_call(black_box(cif), Some(f), retp, black_box(av)) }
    });
    // SAFETY: `func` is the callee's real type.
    let mut call = unsafe { RawCall::new(s.types, s.func, s.va, s.code, None) }.map_err(|e| e.to_string())?;
    let default = call.tier();
    let mut on = |tier: Tier| {
        call.set_tier(tier).ok()?;
        Some(time(a, || {
            // SAFETY: the arguments match the plan; `ret` has 32 bytes.
            let _ = unsafe { call.call(black_box(s.args), retp) };
        }))
    };
    let jit = on(Tier::Jit);
    let fast = on(Tier::Fast);
    let libffi = on(Tier::Libffi).unwrap_or(f64::NAN);
    let entry = call.set_tier(Tier::Jit).ok().and(call.jit_entry()).map(|t| {
        let code = call.code();
        time(a, || {
            // SAFETY: the trampoline of this call's plan; one valid pointer
            // per argument; `ret` has 32 bytes.
            black_box(unsafe { t(code, black_box(s.args).as_ptr(), retp) });
        })
    });
    Ok(Row {
        name: s.name.to_string(),
        direct,
        ffi_call,
        jit,
        entry,
        fast,
        libffi,
        default,
    })
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

#[inline(never)]
extern "C" fn bn_noop() {}
#[inline(never)]
extern "C" fn bn_inc(x: i32) -> i32 {
    x.wrapping_add(1)
}
#[inline(never)]
extern "C" fn bn_half(x: f64) -> f64 {
    x * 0.5
}
#[inline(never)]
extern "C" fn bn_add6(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a.wrapping_add(b)
        .wrapping_add(c)
        .wrapping_add(d)
        .wrapping_add(e)
        .wrapping_add(f)
}
#[allow(clippy::too_many_arguments)]
#[inline(never)]
extern "C" fn bn_sum8(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64) -> f64 {
    a + b + c + d + e + f + g + h
}
#[inline(never)]
extern "C" fn bn_mixed(a: i32, b: f64, p: *const i64, c: f64) -> f64 {
    // SAFETY: called with a valid pointer by this module only.
    a as f64 + b + unsafe { *p } as f64 + c
}
#[inline(never)]
extern "C" fn bn_pt_add(a: Pt, b: Pt) -> Pt {
    Pt {
        x: a.x + b.x,
        y: a.y + b.y,
    }
}
#[inline(never)]
extern "C" fn bn_m24_rot(v: M24) -> M24 {
    M24 { a: v.b, b: v.c, c: v.a }
}
extern "C" fn bn_cmp_int(a: *const c_void, b: *const c_void) -> i32 {
    // SAFETY: qsort passes pointers to elements of an int array.
    let (x, y) = unsafe { (*(a as *const i32), *(b as *const i32)) };
    (x > y) as i32 - (x < y) as i32
}

extern "C" {
    fn snprintf(buf: *mut u8, n: usize, fmt: *const std::ffi::c_char, ...) -> i32;
    fn strlen(s: *const std::ffi::c_char) -> usize;
    fn qsort(base: *mut c_void, n: usize, size: usize, cmp: Cmp);
}

type Cmp = unsafe extern "C" fn(*const c_void, *const c_void) -> i32;

fn p<T>(v: &T) -> *const c_void {
    v as *const T as *const c_void
}

fn call_rows(a: &BenchArgs) -> Result<Vec<Row>> {
    let host = Target::host().ok_or("abicall cannot call functions on this host")?;
    let mut t = Types::new(host);
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
    let fields = |n: &[&str], ty| n.iter().map(|n| FieldDecl::new(n, ty)).collect::<Vec<_>>();
    let pt = t.define_record(
        RecordKind::Struct,
        Some("pt"),
        fields(&["x", "y"], d),
        RecordAttrs::default(),
    )?;
    let m24 = t.define_record(
        RecordKind::Struct,
        Some("m24"),
        fields(&["a", "b", "c"], l),
        RecordAttrs::default(),
    )?;
    let mut rows = Vec::new();

    let f = t.func(v, vec![], false);
    let code = bn_noop as *const c_void;
    let cif = Cif::new([], Type::void());
    let s = Sig {
        name: "void()",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &[],
        cif,
    };
    rows.push(measure(a, s, || black_box(bn_noop as extern "C" fn())())?);

    let f = t.func(i, vec![i], false);
    let x = 41i32;
    let args = [p(&x)];
    let cif = Cif::new([Type::i32()], Type::i32());
    let s = Sig {
        name: "int(int)",
        types: &t,
        func: f,
        va: &[],
        code: bn_inc as *const c_void,
        args: &args,
        cif,
    };
    rows.push(measure(a, s, || {
        black_box(black_box(bn_inc as extern "C" fn(i32) -> i32)(black_box(x)));
    })?);

    let f = t.func(d, vec![d], false);
    let x = 3.0f64;
    let args = [p(&x)];
    let cif = Cif::new([Type::f64()], Type::f64());
    let code = bn_half as *const c_void;
    let s = Sig {
        name: "double(double)",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    rows.push(measure(a, s, || {
        black_box(black_box(bn_half as extern "C" fn(f64) -> f64)(black_box(x)));
    })?);

    let f = t.func(l, vec![l; 6], false);
    let xs: [i64; 6] = [1, 2, 3, 4, 5, 6];
    let args: Vec<_> = xs.iter().map(p).collect();
    let cif = Cif::new(vec![Type::i64(); 6], Type::i64());
    let code = bn_add6 as *const c_void;
    let s = Sig {
        name: "add6: long(long x6)",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    type Add6 = extern "C" fn(i64, i64, i64, i64, i64, i64) -> i64;
    rows.push(measure(a, s, || {
        let x = black_box(xs);
        black_box(black_box(bn_add6 as Add6)(x[0], x[1], x[2], x[3], x[4], x[5]));
    })?);

    let f = t.func(d, vec![d; 8], false);
    let xs: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let args: Vec<_> = xs.iter().map(p).collect();
    let cif = Cif::new(vec![Type::f64(); 8], Type::f64());
    let code = bn_sum8 as *const c_void;
    let s = Sig {
        name: "double(double x8)",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    type Sum8 = extern "C" fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64;
    rows.push(measure(a, s, || {
        let x = black_box(xs);
        black_box(black_box(bn_sum8 as Sum8)(
            x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7],
        ));
    })?);

    let f = t.func(d, vec![i, d, lp, d], false);
    let (x0, x1, k, x3) = (1i32, 2.5f64, 7i64, -0.5f64);
    let kp = &k as *const i64;
    let args = [p(&x0), p(&x1), p(&kp), p(&x3)];
    let cif = Cif::new([Type::i32(), Type::f64(), Type::pointer(), Type::f64()], Type::f64());
    let code = bn_mixed as *const c_void;
    let s = Sig {
        name: "double(int,double,long*,double)",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    type Mixed = extern "C" fn(i32, f64, *const i64, f64) -> f64;
    rows.push(measure(a, s, || {
        black_box(black_box(bn_mixed as Mixed)(
            black_box(x0),
            black_box(x1),
            black_box(kp),
            black_box(x3),
        ));
    })?);

    let f = t.func(pt, vec![pt, pt], false);
    let (pa, pb) = (Pt { x: 1.0, y: 2.0 }, Pt { x: 3.0, y: 4.0 });
    let args = [p(&pa), p(&pb)];
    let ffi_pt = || Type::structure([Type::f64(), Type::f64()]);
    let cif = Cif::new([ffi_pt(), ffi_pt()], ffi_pt());
    let code = bn_pt_add as *const c_void;
    let s = Sig {
        name: "pt(pt,pt) {double x,y}",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    rows.push(measure(a, s, || {
        black_box(black_box(bn_pt_add as extern "C" fn(Pt, Pt) -> Pt)(
            black_box(pa),
            black_box(pb),
        ));
    })?);

    let f = t.func(m24, vec![m24], false);
    let m = M24 { a: 1, b: 2, c: 3 };
    let args = [p(&m)];
    let ffi_m24 = || Type::structure([Type::i64(), Type::i64(), Type::i64()]);
    let cif = Cif::new([ffi_m24()], ffi_m24());
    let code = bn_m24_rot as *const c_void;
    let s = Sig {
        name: "m24(m24) 24-byte MEMORY",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    rows.push(measure(a, s, || {
        black_box(black_box(bn_m24_rot as extern "C" fn(M24) -> M24)(black_box(m)));
    })?);

    let f = t.func(i, vec![cp, ul, cp], true);
    let va = [d, i];
    let mut buf = [0u8; 64];
    let bufp = buf.as_mut_ptr();
    let n = 64usize;
    let fmt = c"%.2f %d".as_ptr();
    let (x, k) = (2.5f64, 42i32);
    let args = [p(&bufp), p(&n), p(&fmt), p(&x), p(&k)];
    let types = [Type::pointer(), Type::u64(), Type::pointer(), Type::f64(), Type::i32()];
    let cif = Cif::new_variadic(types, 3, Type::i32());
    let code = snprintf as *const c_void;
    let s = Sig {
        name: "snprintf(\"%.2f %d\")",
        types: &t,
        func: f,
        va: &va,
        code,
        args: &args,
        cif,
    };
    rows.push(measure(a, s, || {
        // SAFETY: a 64-byte buffer and a format matching the arguments.
        black_box(unsafe { snprintf(black_box(bufp), n, fmt, black_box(x), black_box(k)) });
    })?);

    let f = t.func(ul, vec![cp], false);
    let s0 = c"the quick brown fox".as_ptr();
    let args = [p(&s0)];
    let cif = Cif::new([Type::pointer()], Type::u64());
    let code = strlen as *const c_void;
    let s = Sig {
        name: "strlen",
        types: &t,
        func: f,
        va: &[],
        code,
        args: &args,
        cif,
    };
    rows.push(measure(a, s, || {
        // SAFETY: a NUL-terminated string.
        black_box(unsafe { strlen(black_box(s0)) });
    })?);
    Ok(rows)
}

/// qsort of 100,000 ints in ms.
struct QsortRow {
    c: f64,
    closure: f64,
    /// abicall callbacks on the JIT stub, the fast entry, a libffi closure.
    jit: Option<f64>,
    fast: Option<f64>,
    libffi: f64,
    /// The entry a callback takes by default.
    default: Tier,
}

fn qsort_row() -> Result<QsortRow> {
    unsafe extern "C" fn handler(
        _c: *mut libffi::raw::ffi_cif,
        ret: *mut c_void,
        args: *mut *mut c_void,
        _u: *mut c_void,
    ) {
        // SAFETY: two pointer arguments to ints; an ffi_arg-sized return slot.
        unsafe {
            let a = **(*args as *const *const i32);
            let b = **(*args.add(1) as *const *const i32);
            *(ret as *mut i64) = ((a > b) as i32 - (a < b) as i32) as i64;
        }
    }
    let cif = Cif::new([Type::pointer(), Type::pointer()], Type::i32());
    let mut code: *mut c_void = std::ptr::null_mut();
    // SAFETY: allocates closure memory; `code` receives its address.
    let closure = unsafe { libffi::raw::ffi_closure_alloc(std::mem::size_of::<libffi::raw::ffi_closure>(), &mut code) };
    if closure.is_null() {
        return Err("libffi could not allocate a closure".into());
    }
    // SAFETY: the CIF outlives the closure (both dropped at the end of this function).
    let st = unsafe {
        libffi::raw::ffi_prep_closure_loc(
            closure as *mut _,
            cif.as_raw_ptr(),
            Some(handler),
            std::ptr::null_mut(),
            code,
        )
    };
    if st != libffi::raw::ffi_status_FFI_OK {
        return Err("ffi_prep_closure_loc failed".into());
    }
    // SAFETY: the closure's code has the comparator's type.
    let raw_cmp: Cmp = unsafe { std::mem::transmute(code) };
    let mut t = Types::new(Target::host().ok_or("unsupported host")?);
    let (i, v) = (t.prim(Prim::Int), t.prim(Prim::Void));
    let vp = t.pointer(v);
    let f = t.func(i, vec![vp, vp], false);
    let body = || -> Box<abicall::call::callback::RawCallbackFn> {
        Box::new(|args, ret| {
            // SAFETY: two pointers to ints; an int return.
            unsafe {
                let a = **(args[0] as *const *const i32);
                let b = **(args[1] as *const *const i32);
                *(ret as *mut i32) = (a > b) as i32 - (a < b) as i32;
            }
            Ok(())
        })
    };
    let default = RawCallback::new(&t, f, body(), CallbackOptions::default())
        .map_err(|e| e.to_string())?
        .tier();
    let cbs: Vec<Option<RawCallback>> = Tier::ALL
        .iter()
        .map(|&tier| RawCallback::with_tier(&t, f, body(), CallbackOptions::default(), tier).ok())
        .collect();
    // SAFETY: each callback has the comparator's type.
    let cmp_of = |cb: &RawCallback| -> Cmp { unsafe { std::mem::transmute(cb.code()) } };
    let mut x: u32 = 12345;
    let input: Vec<i32> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as i32
        })
        .collect();
    let run = |cmp: Cmp| {
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let mut d = input.clone();
            let t0 = Clock::now();
            // SAFETY: a valid int array and a comparator of the right type.
            unsafe { qsort(d.as_mut_ptr() as *mut c_void, d.len(), 4, black_box(cmp)) };
            best = best.min(Clock::now().ns_since(t0) / 1e6);
            assert!(d.windows(2).all(|w| w[0] <= w[1]), "qsort did not sort");
        }
        best
    };
    let c = run(bn_cmp_int);
    let raw_closure = closure;
    let closure = run(raw_cmp);
    let on = |k: usize| cbs[k].as_ref().map(|cb| run(cmp_of(cb)));
    let r = QsortRow {
        c,
        closure,
        jit: on(0),
        fast: on(1),
        libffi: on(2).ok_or("no libffi callback")?,
        default,
    };
    // SAFETY: allocated above, no longer used.
    unsafe { libffi::raw::ffi_closure_free(raw_closure) };
    Ok(r)
}

/// `add6` through `Function::call` with `Value`s and through an argument
/// frame on the default tier: ns per call.
fn layers_add6(a: &BenchArgs) -> Result<(f64, f64)> {
    use abicall::{Ffi, Function, Value};
    let mut ffi = Ffi::host().map_err(|e| e.to_string())?;
    let ty = ffi
        .type_of("long (*)(long, long, long, long, long, long)")
        .map_err(|e| e.to_string())?;
    // SAFETY: `bn_add6` has this type.
    let f = unsafe { Function::from_raw(ffi.shared_types(), "add6", ty, bn_add6 as *const c_void, None) }
        .map_err(|e| e.to_string())?;
    let args: Vec<Value> = (1..=6).map(Value::Int).collect();
    let value = time(a, || {
        // SAFETY: `bn_add6` takes six longs and only adds them.
        black_box(unsafe { f.call(black_box(&args)) }.ok());
    });
    let mut frame = f
        .raw()
        .ok_or("add6 has no prepared call")?
        .frame()
        .map_err(|e| e.to_string())?;
    let mut out = 0i64;
    let frame_ns = time(a, || {
        for i in 0..6 {
            let _ = frame.set(i, black_box(i as i64));
        }
        // SAFETY: six longs written; an 8-byte result.
        let _ = unsafe { frame.call(&mut out as *mut i64 as *mut c_void) };
        black_box(out);
    });
    Ok((value, frame_ns))
}

/// Runs `abicall bench`.
pub fn run(a: BenchArgs) -> Result<()> {
    if a.runs == 0 || a.iters == 0 {
        return Err("--runs and --iters must be at least 1".into());
    }
    let rows = call_rows(&a)?;
    let opt = |v: Option<f64>, prec: usize| v.map_or("-".to_string(), |v| format!("{v:.prec$}"));
    println!(
        "{:<34} {:>7} {:>8} {:>7} {:>7} {:>7} {:>7} | {:>10} {:>12} {:>11} {:>12} {:>15}",
        "signature (ns/call)",
        "direct",
        "ffi_call",
        "jit",
        "entry",
        "fast",
        "libffi",
        "jit/direct",
        "entry/direct",
        "fast/direct",
        "ffi_call/jit",
        "libffi/ffi_call"
    );
    for r in &rows {
        println!(
            "{:<34} {:>7.1} {:>8.1} {:>7} {:>7} {:>7} {:>7.1} | {:>10} {:>12} {:>11} {:>12} {:>15.2}",
            r.name,
            r.direct,
            r.ffi_call,
            opt(r.jit, 1),
            opt(r.entry, 1),
            opt(r.fast, 1),
            r.libffi,
            opt(r.jit.map(|j| j / r.direct), 2),
            opt(r.entry.map(|e| e / r.direct), 2),
            opt(r.fast.map(|f| f / r.direct), 2),
            opt(r.jit.map(|j| r.ffi_call / j), 1),
            r.libffi / r.ffi_call
        );
    }
    let q = qsort_row()?;
    println!();
    println!(
        "qsort 100k ints (ms): C comparator {:.2}, libffi closure {:.2}, abicall callback jit {} / fast {} / \
         libffi entry {:.2} | jit/C {}, fast/C {}, jit/closure {}, libffi entry/closure {:.2}",
        q.c,
        q.closure,
        opt(q.jit, 2),
        opt(q.fast, 2),
        q.libffi,
        opt(q.jit.map(|j| j / q.c), 2),
        opt(q.fast.map(|f| f / q.c), 2),
        opt(q.jit.map(|j| j / q.closure), 2),
        q.libffi / q.closure
    );
    let add6 = rows
        .iter()
        .find(|r| r.name.starts_with("add6"))
        .ok_or("add6 row missing")?;
    let def = add6.on(add6.default).ok_or("add6: default tier not measured")?;
    let (value, frame) = layers_add6(&a)?;
    println!(
        "add6 layers (ns/call): Function::call(&[Value]) {value:.1} (value/raw {:.2}), ArgFrame::call {frame:.1} (frame/direct {:.2})",
        value / def,
        frame / add6.direct
    );
    println!("default tiers: calls {}, callbacks {}", add6.default, q.default);
    println!("add6 fastpath/direct = {:.2}", def / add6.direct);
    Ok(())
}
