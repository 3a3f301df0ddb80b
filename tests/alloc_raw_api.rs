//! No heap allocation per call: a counting global allocator proves that a
//! prepared `RawCall::call` (fast path and libffi path, including a
//! variadic call with default promotions and a struct by value) and a
//! `RawCallback` invocation allocate nothing from Rust's allocator.
//!
//! Not covered (documented exceptions): calls with more than 32 arguments
//! on the libffi path use a per-call heap array for the argument pointers,
//! as do callbacks with more than 32 arguments; C code's own `malloc`
//! (e.g. inside `qsort` or `snprintf`) is not Rust's allocator.

#[path = "support/fixtures.rs"]
mod fixtures;

use abicall::call::{CallbackOptions, RawCall, RawCallback};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::Target;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::c_void;

struct Counting;

thread_local! {
    // const-initialised, no destructor: touching it never allocates.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Rust heap allocations made by this thread while running `f`.
fn allocs_in(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
}

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
    // long double fx_row10_echo(long double): never eligible for the fast path.
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
    // SAFETY: as above.
    let ld_call = unsafe { RawCall::new(&t, ld_t, &[], sym("fx_row10_echo"), None) }.unwrap();
    assert!(!ld_call.has_fast_path());

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

    for fast in [true, false] {
        for c in calls.iter_mut() {
            c.set_fast_path(fast);
            // Only x86_64 hosts have a fast path.
            assert_eq!(c.uses_fast_path(), fast && cfg!(target_arch = "x86_64"));
        }
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
