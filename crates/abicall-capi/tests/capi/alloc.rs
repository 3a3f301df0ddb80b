//! The C API's hot path allocates nothing: a counting global allocator
//! proves that `abicall_call` (fast path, libffi path with a struct by
//! value, a variadic call) and a call through an `abicall_callback` make no
//! Rust heap allocation, and that a failing `abicall_call` allocates only
//! for its message.

use abicall_capi::abicall_status::*;
use abicall_capi::*;
use std::ffi::{c_void, CStr};
use std::ptr::{null, null_mut};

use crate::counting_alloc;
use counting_alloc::allocs_in;

/// An argument pointer (read only by the callee).
fn a<T>(v: &T) -> *mut c_void {
    v as *const T as *mut c_void
}

/// A return buffer.
fn out<T>(v: &mut T) -> *mut c_void {
    v as *mut T as *mut c_void
}

#[track_caller]
fn ok(s: abicall_status, e: &abicall_error) {
    // SAFETY: entries NUL-terminate the message on failure.
    assert_eq!(s, ABICALL_OK, "{:?}", unsafe { CStr::from_ptr(e.message.as_ptr()) });
}

unsafe extern "C" fn add_one(_: *mut c_void, args: *const *mut c_void, ret: *mut c_void) {
    // SAFETY: type `long(long)`: one long argument, a long result.
    unsafe { *(ret as *mut i64) = *(*args as *const i64) + 1 }
}

#[test]
fn abicall_call_and_callbacks_do_not_allocate() {
    assert_eq!(allocs_in(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(8)))), 1);
    let mut e = abicall_error {
        status: ABICALL_OK,
        line: 0,
        col: 0,
        message: [0; ABICALL_ERROR_MESSAGE_SIZE],
    };
    let decls = "long labs(long); typedef struct { long quot, rem; } ldiv_t; ldiv_t ldiv(long, long);\
                 int snprintf(char *, unsigned long, const char *, ...);";
    // SAFETY: valid handles and pointers throughout; calls match the prototypes.
    unsafe {
        let (mut ctx, mut lib) = (null_mut(), null_mut());
        ok(abicall_context_new(null(), &mut ctx, &mut e), &e);
        ok(abicall_cdef(ctx, decls.as_ptr().cast(), decls.len(), &mut e), &e);
        ok(abicall_library_open(null(), 0, &mut lib, &mut e), &e);
        let (mut labs, mut ldiv, mut snprintf, mut int_t) = (null_mut(), null_mut(), null_mut(), null_mut());
        ok(
            abicall_function_new(ctx, lib, c"labs".as_ptr(), null(), 0, &mut labs, &mut e),
            &e,
        );
        ok(
            abicall_function_new(ctx, lib, c"ldiv".as_ptr(), null(), 0, &mut ldiv, &mut e),
            &e,
        );
        ok(abicall_type_new(ctx, c"int".as_ptr(), &mut int_t, &mut e), &e);
        let var = [int_t as *const abicall_type];
        ok(
            abicall_function_new(ctx, lib, c"snprintf".as_ptr(), var.as_ptr(), 1, &mut snprintf, &mut e),
            &e,
        );
        let mut cb = null_mut();
        ok(
            abicall_callback_new(
                ctx,
                c"long(long)".as_ptr(),
                Some(add_one),
                null_mut(),
                None,
                &mut cb,
                &mut e,
            ),
            &e,
        );
        let mut code = null_mut();
        ok(abicall_callback_code(cb, &mut code, &mut e), &e);
        let f: extern "C" fn(i64) -> i64 = std::mem::transmute(code);

        let x = -5i64;
        let (n, d) = (17i64, 5i64);
        let mut buf = [0u8; 16];
        let (bp, cap, fmt, v) = (buf.as_mut_ptr(), 16u64, c"%d".as_ptr(), 42i32);
        let (mut r, mut q, mut w) = (0i64, [0i64; 2], 0i32);
        let count = allocs_in(|| {
            for _ in 0..100 {
                ok(abicall_call(labs, [a(&x)].as_ptr(), out(&mut r), &mut e), &e);
                ok(
                    abicall_call(ldiv, [a(&n), a(&d)].as_ptr(), q.as_mut_ptr().cast(), &mut e),
                    &e,
                );
                let args = [a(&bp), a(&cap), a(&fmt), a(&v)];
                ok(abicall_call(snprintf, args.as_ptr(), out(&mut w), &mut e), &e);
                assert_eq!(f(41), 42);
            }
        });
        assert_eq!((r, q, w, &buf[..2]), (5, [3, 2], 2, &b"42"[..]));
        assert_eq!(
            count, 0,
            "abicall_call / callbacks allocated {count} times in 400 calls"
        );
        // A failure allocates for its message, and only then.
        let failing = allocs_in(|| {
            let nulls = [null_mut::<c_void>()];
            assert_eq!(abicall_call(labs, nulls.as_ptr(), out(&mut r), &mut e), ABICALL_E_CALL);
        });
        assert!(failing > 0);

        for s in [
            abicall_callback_free(cb, &mut e),
            abicall_function_free(labs, &mut e),
            abicall_function_free(ldiv, &mut e),
            abicall_function_free(snprintf, &mut e),
            abicall_type_free(int_t, &mut e),
            abicall_library_free(lib, &mut e),
            abicall_context_free(ctx, &mut e),
        ] {
            ok(s, &e);
        }
    }
}

/// Resident set size of this process, in KiB (Linux `/proc/self/statm`).
/// glibc's `struct mallinfo2` (all fields `size_t`).
#[repr(C)]
struct Mallinfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

extern "C" {
    fn mallinfo2() -> Mallinfo2;
}

/// Bytes the C heap has handed out (small blocks plus mmapped ones), in KiB:
/// the process's own memory, also under qemu-user, whose RSS includes the
/// emulator's translation caches.
fn heap_kib() -> u64 {
    // SAFETY: mallinfo2 takes no arguments and returns a plain struct (glibc >= 2.33).
    let m = unsafe { mallinfo2() };
    ((m.uordblks + m.hblkhd) / 1024) as u64
}

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

/// 100,000 `abicall_callback_new` / call / `abicall_callback_free` cycles
/// keep RSS bounded (retired entries are reused; before, every callback
/// stayed in memory: +140 MB). Runs in a child process of this test binary
/// so other tests' allocations do not blur the measurement.
#[test]
fn callback_churn_keeps_rss_bounded() {
    const CHILD: &str = "ABICALL_TEST_CALLBACK_CHURN_CHILD";
    if std::env::var_os(CHILD).is_some() {
        return callback_churn_child();
    }
    // Under qemu-user (the aarch64 build on an x86_64 machine) the child
    // runs under qemu too.
    let mut cmd = crate::host::exe_command(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "alloc::callback_churn_keeps_rss_bounded",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, "1");
    let out = crate::host::output_within(
        &mut cmd,
        std::time::Duration::from_secs(600),
        "the callback churn child",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The harness may print `test … ... ` before the child's line.
    let at = stdout.find("callback churn: ").expect("the child ran the churn");
    println!("{}", stdout[at..].lines().next().unwrap_or_default());
}

fn callback_churn_child() {
    let mut e = abicall_error {
        status: ABICALL_OK,
        line: 0,
        col: 0,
        message: [0; ABICALL_ERROR_MESSAGE_SIZE],
    };
    // SAFETY: valid handles and pointers throughout; `add_one` matches long(long).
    unsafe {
        let mut ctx = null_mut();
        ok(abicall_context_new(null(), &mut ctx, &mut e), &e);
        let cycle = |i: i64, e: &mut abicall_error| {
            let mut cb = null_mut();
            ok(
                abicall_callback_new(ctx, c"long(long)".as_ptr(), Some(add_one), null_mut(), None, &mut cb, e),
                e,
            );
            let mut code = null_mut();
            ok(abicall_callback_code(cb, &mut code, e), e);
            let f: extern "C" fn(i64) -> i64 = std::mem::transmute(code);
            assert_eq!(f(i), i + 1);
            ok(abicall_callback_free(cb, e), e);
        };
        // Warm up: fill the retired queue so reuse has started.
        let warm = 2 * abicall::call::callback::RETIRED_KEPT as i64 + 100;
        for i in 0..warm {
            cycle(i, &mut e);
        }
        let (rss0, heap0, entries0) = (rss_kib(), heap_kib(), abicall::call::callback::entries_allocated());
        const N: i64 = 100_000;
        for i in 0..N {
            cycle(i, &mut e);
        }
        let (rss1, heap1, entries1) = (rss_kib(), heap_kib(), abicall::call::callback::entries_allocated());
        println!(
            "callback churn: {N} cycles, RSS {rss0} -> {rss1} KiB, C heap {heap0} -> {heap1} KiB, entries {entries0} -> {entries1}"
        );
        assert_eq!(entries1, entries0, "entries grew under churn");
        assert!(
            heap1 < heap0 + 4096,
            "the C heap grew from {heap0} to {heap1} KiB over {N} cycles"
        );
        // Under qemu-user RSS is the emulator's: rewritten closure code makes
        // it retranslate and keep translation blocks, so only the heap counts.
        if !crate::host::emulated() {
            assert!(rss1 < rss0 + 4096, "RSS grew from {rss0} to {rss1} KiB over {N} cycles");
        }
        ok(abicall_context_free(ctx, &mut e), &e);
    }
}
