//! Callback overhead: `qsort` of 100,000 ints with a C comparator, with a
//! raw libffi closure (hand-written `ffi_prep_closure_loc` handler), and
//! with an abicall `RawCallback`. Run with `cargo bench --bench callbacks`.

#[path = "support/bench_lib.rs"]
mod bench_lib;

use abicall::call::{CallbackOptions, RawCallback};
use abicall::types::{Prim, Types};
use abicall::Target;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use libffi::middle::{Cif, Type};
use libffi::raw;
use std::ffi::c_void;
use std::time::Duration;

const N: usize = 100_000;

type Cmp = unsafe extern "C" fn(*const c_void, *const c_void) -> i32;
type Qsort = unsafe extern "C" fn(*mut c_void, usize, usize, Cmp);

/// A raw libffi closure handler: the comparator body, reading libffi's
/// argument array and writing a full `ffi_arg`.
unsafe extern "C" fn raw_handler(_cif: *mut raw::ffi_cif, ret: *mut c_void, args: *mut *mut c_void, _ud: *mut c_void) {
    // SAFETY: two pointer arguments to ints; an ffi_arg-sized return slot.
    unsafe {
        let a = **(*args as *const *const i32);
        let b = **(*args.add(1) as *const *const i32);
        *(ret as *mut i64) = ((a > b) as i32 - (a < b) as i32) as i64;
    }
}

fn data() -> Vec<i32> {
    let mut x: u32 = 12345;
    (0..N)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as i32
        })
        .collect()
}

fn callbacks(c: &mut Criterion) {
    let lib = bench_lib::load();
    // SAFETY: symbols of the declared C types.
    let qsort: Qsort = unsafe { std::mem::transmute(bench_lib::sym(None, "qsort")) };
    // SAFETY: `bn_cmp_int` in the bench library is `int (const void *, const void *)`.
    let c_cmp: Cmp = unsafe { std::mem::transmute(bench_lib::sym(Some(&lib), "bn_cmp_int")) };

    // Raw libffi closure.
    let cif = Cif::new([Type::pointer(), Type::pointer()], Type::i32());
    let mut code: *mut c_void = std::ptr::null_mut();
    // SAFETY: allocates closure memory; `code` receives its address.
    let closure = unsafe { raw::ffi_closure_alloc(std::mem::size_of::<raw::ffi_closure>(), &mut code) };
    // SAFETY: the CIF outlives the closure (both live until the end of this function).
    let st = unsafe {
        raw::ffi_prep_closure_loc(
            closure as *mut raw::ffi_closure,
            cif.as_raw_ptr(),
            Some(raw_handler),
            std::ptr::null_mut(),
            code,
        )
    };
    assert_eq!(st, raw::ffi_status_FFI_OK);
    // SAFETY: the closure's code has the comparator's type.
    let raw_cmp: Cmp = unsafe { std::mem::transmute(code) };

    // abicall RawCallback.
    let mut t = Types::new(Target::host().unwrap());
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
    let cb = RawCallback::new(&t, f, body(), CallbackOptions::default()).unwrap();
    let cb_ffi = RawCallback::new_libffi(&t, f, body(), CallbackOptions::default()).unwrap();
    // SAFETY: the callback has the comparator's type.
    let ab_ffi_cmp: Cmp = unsafe { std::mem::transmute(cb_ffi.code()) };
    // SAFETY: the callback has the comparator's type.
    let ab_cmp: Cmp = unsafe { std::mem::transmute(cb.code()) };

    let input = data();
    let mut g = c.benchmark_group("qsort 100k ints");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, cmp) in [
        ("c_comparator", c_cmp),
        ("libffi_closure", raw_cmp),
        ("abicall_callback", ab_cmp),
        ("abicall_callback_libffi_entry", ab_ffi_cmp),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                // SAFETY: a valid int array and a comparator of the right type.
                |d| unsafe { qsort(d.as_mut_ptr() as *mut c_void, d.len(), 4, black_box(cmp)) },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
    // SAFETY: allocated above, no longer called.
    unsafe { raw::ffi_closure_free(closure) };
}

criterion_group!(benches, callbacks);
criterion_main!(benches);
