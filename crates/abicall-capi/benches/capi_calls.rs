//! The C API's per-call cost against the Rust API in one run: `add6`
//! (`long(long x6)`) called directly through a typed function pointer,
//! through `RawCall::call`, `abicall_call`, `abicall_call_frame` and the
//! `abicall_function_entry` trampoline. Interleaved rounds, best kept,
//! ns per call and ratios to `RawCall::call` (issue 16's goal: the C API ≤
//! 1.2× `RawCall`).
//!
//! `cargo bench -p abicall-capi --bench capi_calls [-- ROUNDS ITERS]`

use abicall::call::RawCall;
use abicall::types::{Prim, Types};
use abicall::Target;
use abicall_capi::*;
use std::ffi::c_void;
use std::hint::black_box;
use std::ptr::{null, null_mut};
use std::time::Instant;

#[inline(never)]
extern "C" fn add6(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a.wrapping_add(b)
        .wrapping_add(c)
        .wrapping_add(d)
        .wrapping_add(e)
        .wrapping_add(f)
}

fn ok(s: abicall_status, what: &str) {
    assert_eq!(s, abicall_status::ABICALL_OK, "{what}");
}

fn main() {
    let args: Vec<String> = std::env::args().filter(|a| a != "--bench").collect();
    let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(9);
    let iters: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2_000_000);

    // The Rust API.
    let mut t = Types::new(Target::host().expect("host target"));
    let l = t.prim(Prim::Long);
    let fty = t.func(l, vec![l; 6], false);
    // SAFETY: `add6` has this signature.
    let raw = unsafe { RawCall::new(&t, fty, &[], add6 as *const c_void, None) }.expect("RawCall");

    // The C API.
    let (mut ctx, mut ty, mut f) = (null_mut(), null_mut(), null_mut());
    // SAFETY: valid out-pointers, NUL-terminated strings, `add6` of this type.
    unsafe {
        ok(abicall_context_new(null(), &mut ctx, null_mut()), "context");
        ok(
            abicall_type_new(
                ctx,
                c"long (*)(long, long, long, long, long, long)".as_ptr(),
                &mut ty,
                null_mut(),
            ),
            "type",
        );
        ok(
            abicall_function_new_at(ty, add6 as *const c_void, null(), 0, &mut f, null_mut()),
            "function",
        );
    }
    let mut entry = abicall_entry {
        call: None,
        data: null(),
    };
    // SAFETY: a live call object, writable out-pointer.
    ok(unsafe { abicall_function_entry(f, 0, &mut entry, null_mut()) }, "entry");
    let call = entry.call.expect("entry");
    let mut offs = [0u32; 6];
    let mut size = 0usize;
    // SAFETY: a live call object; room for 6 offsets.
    ok(
        unsafe { abicall_function_frame_layout(f, offs.as_mut_ptr(), 6, &mut size, null_mut()) },
        "layout",
    );
    #[repr(C, align(16))]
    struct Frame([u8; 256]);
    assert!(size <= 256);
    let mut frame = Frame([0; 256]);

    let xs: [i64; 6] = [1, 2, 3, 4, 5, 6];
    let ptrs: Vec<*const c_void> = xs.iter().map(|x| x as *const i64 as *const c_void).collect();
    let mptrs: Vec<*mut c_void> = ptrs.iter().map(|&p| p as *mut c_void).collect();
    let mut r = 0i64;
    let rp = &mut r as *mut i64 as *mut c_void;
    let direct: extern "C" fn(i64, i64, i64, i64, i64, i64) -> i64 = black_box(add6);

    let names = [
        "direct",
        "RawCall::call",
        "abicall_call",
        "abicall_call_frame",
        "abicall_function_entry",
    ];
    let mut best = [f64::INFINITY; 5];
    for _ in 0..rounds {
        for (k, b) in best.iter_mut().enumerate() {
            let t0 = Instant::now();
            match k {
                0 => {
                    for _ in 0..iters {
                        let x = black_box(&xs);
                        black_box(direct(x[0], x[1], x[2], x[3], x[4], x[5]));
                    }
                }
                1 => {
                    for _ in 0..iters {
                        // SAFETY: six longs; an 8-byte result.
                        let _ = black_box(unsafe { raw.call(black_box(&ptrs), rp) });
                    }
                }
                2 => {
                    for _ in 0..iters {
                        // SAFETY: as above, through the C API.
                        black_box(unsafe { abicall_call(f, black_box(mptrs.as_ptr()), rp, null_mut()) });
                    }
                }
                3 => {
                    // Written once: slots keep their bytes between calls (as
                    // the pointer array of the rows above is built once).
                    for (i, &o) in offs.iter().enumerate() {
                        frame.0[o as usize..o as usize + 8].copy_from_slice(&xs[i].to_le_bytes());
                    }
                    for _ in 0..iters {
                        // SAFETY: six longs at their offsets; an 8-byte result.
                        black_box(unsafe { abicall_call_frame(f, black_box(frame.0.as_ptr()).cast(), rp, null_mut()) });
                    }
                }
                _ => {
                    for _ in 0..iters {
                        // SAFETY: the entry of a live call object; six longs.
                        black_box(unsafe { call(entry.data, black_box(mptrs.as_ptr()), rp) });
                    }
                }
            }
            *b = b.min(t0.elapsed().as_nanos() as f64 / iters as f64);
        }
    }
    assert_eq!(r, 21);
    let base = best[1];
    println!("add6, ns per call (best of {rounds} interleaved rounds of {iters}), ratio to RawCall::call:");
    for (n, b) in names.iter().zip(best) {
        println!("{n:<24} {b:>6.2}  {:>5.2}×", b / base);
    }
    // SAFETY: live handles, freed once.
    unsafe {
        ok(abicall_function_free(f, null_mut()), "free function");
        ok(abicall_type_free(ty, null_mut()), "free type");
        ok(abicall_context_free(ctx, null_mut()), "free context");
    }
}
