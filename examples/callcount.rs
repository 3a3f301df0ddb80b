//! A driver for counting instructions per call with callgrind
//! (`scripts/callcount.sh` runs it twice with different call counts and
//! divides the difference): `callcount SIGNATURE MODE N`, where SIGNATURE is
//! `void`, `add6`, `pt` or `m24` and MODE is `direct`, `jit`, `fast`,
//! `libffi`, `frame` (an `ArgFrame` on the default tier) or `value`
//! (`Function::call` with `Value`s; `void` and `add6` only). `callcount cb
//! MODE N` counts a callback entry instead: a qsort-style comparator
//! `int (const void *, const void *)` called N times through its C function
//! pointer, MODE `direct` (a compiled comparator) or the callback's tier
//! `jit`, `fast`, `libffi`.

use abicall::call::{RawCall, Tier};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::{Ffi, Function, Target, Value};
use std::ffi::c_void;
use std::hint::black_box;

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
extern "C" fn noop() {}
#[inline(never)]
extern "C" fn add6(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a.wrapping_add(b)
        .wrapping_add(c)
        .wrapping_add(d)
        .wrapping_add(e)
        .wrapping_add(f)
}
#[inline(never)]
extern "C" fn pt_add(a: Pt, b: Pt) -> Pt {
    Pt {
        x: a.x + b.x,
        y: a.y + b.y,
    }
}
#[inline(never)]
extern "C" fn m24_rot(v: M24) -> M24 {
    M24 { a: v.b, b: v.c, c: v.a }
}

#[inline(never)]
extern "C" fn cmp_ints(a: *const c_void, b: *const c_void) -> i32 {
    // SAFETY: called with pointers to two ints.
    let (a, b) = unsafe { (*(a as *const i32), *(b as *const i32)) };
    (a > b) as i32 - (a < b) as i32
}

/// `callcount cb MODE N`: the comparator entered N times from "C".
fn callbacks(mode: &str, n: u64) {
    use abicall::call::{CallbackOptions, RawCallback};
    type Cmp = extern "C" fn(*const c_void, *const c_void) -> i32;
    let mut t = Types::new(Target::host().expect("a supported host"));
    let (i, v) = (t.prim(Prim::Int), t.prim(Prim::Void));
    let vp = t.pointer(v);
    let fty = t.func(i, vec![vp, vp], false);
    let cb;
    let f: Cmp = if mode == "direct" {
        cmp_ints
    } else {
        let tier = Tier::ALL
            .into_iter()
            .find(|t| t.name() == mode)
            .expect("direct|jit|fast|libffi");
        cb = RawCallback::with_tier(
            &t,
            fty,
            Box::new(|args, ret| {
                // SAFETY: two pointer arguments (to ints); an int result.
                unsafe {
                    let (a, b) = (**(args[0] as *const *const i32), **(args[1] as *const *const i32));
                    *(ret as *mut i32) = (a > b) as i32 - (a < b) as i32;
                }
                Ok(())
            }),
            CallbackOptions::default(),
            tier,
        )
        .unwrap();
        // SAFETY: the callback has this C type.
        unsafe { std::mem::transmute::<*const c_void, Cmp>(cb.code()) }
    };
    let (x, y) = (3i32, 5i32);
    for _ in 0..n {
        black_box(black_box(f)(
            &x as *const i32 as *const c_void,
            &y as *const i32 as *const c_void,
        ));
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let usage = "usage: callcount void|add6|pt|m24 direct|jit|fast|libffi|frame|value N, or callcount cb direct|jit|fast|libffi N";
    let (sig, mode) = (argv.get(1).expect(usage).as_str(), argv.get(2).expect(usage).as_str());
    let n: u64 = argv.get(3).and_then(|s| s.parse().ok()).expect(usage);
    if sig == "cb" {
        return callbacks(mode, n);
    }
    let mut t = Types::new(Target::host().expect("a supported host"));
    let (v, l, d) = (t.prim(Prim::Void), t.prim(Prim::Long), t.prim(Prim::Double));
    let rec = |t: &mut Types, names: &[&str], ty| {
        let f = names.iter().map(|n| FieldDecl::new(n, ty)).collect();
        t.define_record(RecordKind::Struct, None, f, RecordAttrs::default())
            .unwrap()
    };
    let pt = rec(&mut t, &["x", "y"], d);
    let m24 = rec(&mut t, &["a", "b", "c"], l);
    let xs = [1i64, 2, 3, 4, 5, 6];
    let (pa, pb) = (Pt { x: 1.0, y: 2.0 }, Pt { x: 3.0, y: 4.0 });
    let m = M24 { a: 1, b: 2, c: 3 };
    let (func, code, args, direct): (_, *const c_void, Vec<*const c_void>, Box<dyn Fn()>) = match sig {
        "void" => (
            t.func(v, vec![], false),
            noop as *const c_void,
            vec![],
            Box::new(|| black_box(noop as extern "C" fn())()),
        ),
        "add6" => (
            t.func(l, vec![l; 6], false),
            add6 as *const c_void,
            xs.iter().map(|x| x as *const i64 as *const c_void).collect(),
            Box::new(move || {
                let x = black_box(xs);
                type F = extern "C" fn(i64, i64, i64, i64, i64, i64) -> i64;
                black_box(black_box(add6 as F)(x[0], x[1], x[2], x[3], x[4], x[5]));
            }),
        ),
        "pt" => (
            t.func(pt, vec![pt, pt], false),
            pt_add as *const c_void,
            vec![&pa as *const Pt as *const c_void, &pb as *const Pt as *const c_void],
            Box::new(move || {
                black_box(black_box(pt_add as extern "C" fn(Pt, Pt) -> Pt)(
                    black_box(pa),
                    black_box(pb),
                ));
            }),
        ),
        "m24" => (
            t.func(m24, vec![m24], false),
            m24_rot as *const c_void,
            vec![&m as *const M24 as *const c_void],
            Box::new(move || {
                black_box(black_box(m24_rot as extern "C" fn(M24) -> M24)(black_box(m)));
            }),
        ),
        _ => panic!("{usage}"),
    };
    let mut ret = [0u64; 4];
    let retp = ret.as_mut_ptr() as *mut c_void;
    // SAFETY: each callee has the declared type.
    let mut call = unsafe { RawCall::new(&t, func, &[], code, None) }.unwrap();
    match mode {
        "direct" => (0..n).for_each(|_| direct()),
        "jit" | "fast" | "libffi" => {
            let tier = Tier::ALL.into_iter().find(|t| t.name() == mode).unwrap();
            call.set_tier(tier).unwrap();
            for _ in 0..n {
                // SAFETY: arguments of the planned types; 32-byte result buffer.
                unsafe { call.call(black_box(&args), retp) }.unwrap();
            }
        }
        "frame" => {
            let mut frame = call.frame().unwrap();
            for (i, &a) in args.iter().enumerate() {
                let slot = frame.arg_mut(i).unwrap();
                // SAFETY: each pointer has the argument's bytes.
                slot.copy_from_slice(unsafe { std::slice::from_raw_parts(a as *const u8, slot.len()) });
            }
            for _ in 0..n {
                // SAFETY: arguments written; 32-byte result buffer.
                unsafe { black_box(&frame).call(retp) }.unwrap();
            }
        }
        "value" => {
            let mut ffi = Ffi::host().unwrap();
            let (decl, vals): (&str, Vec<Value>) = match sig {
                "void" => ("void (*)(void)", vec![]),
                "add6" => (
                    "long (*)(long, long, long, long, long, long)",
                    (1..=6).map(Value::Int).collect(),
                ),
                _ => panic!("value mode: void or add6"),
            };
            let ty = ffi.type_of(decl).unwrap();
            // SAFETY: the callee has this type.
            let f = unsafe { Function::from_raw(ffi.shared_types(), sig, ty, code, None) }.unwrap();
            for _ in 0..n {
                // SAFETY: the callee has the declared type and takes integers only.
                black_box(unsafe { f.call(black_box(&vals)) }.unwrap());
            }
        }
        _ => panic!("{usage}"),
    }
    black_box(ret);
}
