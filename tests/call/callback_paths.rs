//! Callbacks through every entry — a stub generated for the signature
//! (JIT tier), abicall's precompiled fast entry (x86_64 and aarch64 Linux) and a libffi
//! closure — for every `fx_rowN_cb` / `fx_rowN_cbargs` fixture (rows of
//! docs/abi-cases.md), with the C side built by gcc. Each entry must be available
//! wherever the plan allows it (the JIT: every row on x86_64 Linux; the fast
//! entry: everything but x87 returns, so every row on aarch64 Linux), and all must hand the closure the
//! same bytes and give C the same result.

use crate::support::fixtures;

use abicall::call::{CallbackOptions, RawCall, RawCallback, Tier};
use abicall::library::Library;
use abicall::types::{TypeId, Types};
use abicall::Ffi;
use std::ffi::c_void;
use std::sync::{Arc, Mutex};

fn setup() -> (Ffi, Library) {
    let mut ffi = Ffi::host().expect("host target");
    ffi.cdef(&fixtures::fixtures_header()).expect("fixture header parses");
    let so = fixtures::fixtures_so();
    // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open(so.to_str().unwrap()) }.expect("fixture library opens");
    (ffi, lib)
}

/// The callback type taken by the fixture `name` (its first parameter).
fn cb_type(t: &Types, f: TypeId) -> TypeId {
    t.sig_of(f).expect("a function").params[0]
}

fn last_error(ffi: &Ffi, lib: &Library) -> String {
    let f = ffi.function(lib, "fx_last_error_msg").unwrap();
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    match unsafe { f.call(&[]) }.unwrap() {
        // SAFETY: a NUL-terminated per-thread buffer.
        abicall::Value::Pointer(p) => String::from_utf8_lossy(&unsafe { p.string(Some(256)) }.unwrap()).into_owned(),
        v => format!("{v:?}"),
    }
}

/// Calls fixture `name` (taking one callback pointer, returning int) with a
/// callback made by `make`, returns the fixture's result.
fn run_with(ffi: &Ffi, lib: &Library, name: &str, cb: &RawCallback) -> i32 {
    let f = ffi.function(lib, name).unwrap();
    let raw = f.raw().expect("not variadic");
    let code = cb.code();
    let mut r = 0i32;
    // SAFETY: one function-pointer argument, an int result.
    unsafe { raw.call(&[&code as *const _ as *const c_void], &mut r as *mut i32 as *mut c_void) }.unwrap();
    r
}

/// Whether a plan must fall back to libffi on x86_64 (x87 results: rows 10, 10s, 14l).
fn needs_libffi(name: &str) -> bool {
    name.starts_with("fx_row10") || name.starts_with("fx_row14l_")
}

/// Whether this host has the callback tier for the row (the fast entry:
/// every row on aarch64 Linux, where `long double` is binary128 in `q0`).
fn tier_expected(tier: Tier, name: &str) -> bool {
    let x86_linux = abicall::Target::host() == Some(abicall::Target::X86_64SysV) && cfg!(target_os = "linux");
    let a64_linux = abicall::Target::host() == Some(abicall::Target::Aarch64Linux);
    match tier {
        Tier::Libffi => true,
        Tier::Fast => (x86_linux && !needs_libffi(name)) || a64_linux,
        Tier::Jit => (x86_linux || a64_linux) && std::env::var("ABICALL_JIT_MEMORY").as_deref() != Ok("none"),
    }
}

/// The callback on `tier`, or `None` where the host does not have it
/// (checked against [`tier_expected`]).
fn make(
    t: &Types,
    cbt: TypeId,
    name: &str,
    body: Box<abicall::call::callback::RawCallbackFn>,
    opts: CallbackOptions,
    tier: Tier,
) -> Option<RawCallback> {
    let cb = RawCallback::with_tier(t, cbt, body, opts, tier);
    assert_eq!(
        cb.is_ok(),
        tier_expected(tier, name),
        "{name}: {tier} entry available? {:?}",
        cb.as_ref().err()
    );
    let cb = cb.ok()?;
    assert_eq!(cb.tier(), tier);
    assert_eq!(cb.uses_fast_path(), tier != Tier::Libffi);
    Some(cb)
}

const ECHO_ROWS: &[&str] = &[
    "fx_row1_cb",
    "fx_row2_cb",
    "fx_row3_cb",
    "fx_row4_cb",
    "fx_row5_cb",
    "fx_row6_cb",
    "fx_row7_cb",
    "fx_row8_cb",
    "fx_row9_cb",
    "fx_row10_cb",
    "fx_row10s_cb",
    "fx_row11_cb",
    "fx_row12_cb",
    "fx_row13_cb",
    "fx_row14f_cb",
    "fx_row14d_cb",
    "fx_row14l_cb",
    "fx_row16c_cb",
    "fx_row16sc_cb",
    "fx_row16uc_cb",
    "fx_row16s_cb",
    "fx_row16us_cb",
    "fx_row16b_cb",
    "fx_row17_cb",
    "fx_row19_cb",
    "fx_row20_cb",
    "fx_row21_cb",
    "fx_row22_cb",
    "fx_row23_cb",
    "fx_row24_cb",
    "fx_row25_cb",
    "fx_row28_cb",
    "fx_row29_cb",
];

/// `fx_rowN_cb`: C calls cb(known arguments) and expects the argument of
/// the return type (the last one) echoed. Every entry; the bytes the
/// closure saw must be identical.
#[test]
fn echo_callbacks_on_every_entry() {
    let (ffi, lib) = setup();
    let mut count = [0usize; 3];
    for &name in ECHO_ROWS {
        let f = ffi.function(&lib, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let t = ffi.types();
        let cbt = cb_type(&t, f.ty());
        let sig = t.sig_of(cbt).unwrap().clone();
        let echo = sig
            .params
            .iter()
            .rposition(|&p| p == sig.ret)
            .unwrap_or_else(|| panic!("{name}: no argument of the return type"));
        let size = t.size_of(sig.ret).unwrap() as usize;
        let arg_sizes: Vec<usize> = sig.params.iter().map(|&p| t.size_of(p).unwrap() as usize).collect();
        let mut seen: Vec<Vec<Vec<u8>>> = Vec::new();
        for (k, tier) in Tier::ALL.into_iter().enumerate() {
            let log = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
            let log2 = log.clone();
            let sizes = arg_sizes.clone();
            let body: Box<abicall::call::callback::RawCallbackFn> = Box::new(move |args, ret| {
                let mut l = log2.lock().unwrap();
                for (a, &n) in args.iter().zip(&sizes) {
                    // SAFETY: each argument has its type's bytes.
                    l.push(unsafe { std::slice::from_raw_parts(*a as *const u8, n) }.to_vec());
                }
                // SAFETY: the echoed argument has the return type's bytes.
                unsafe { std::ptr::copy_nonoverlapping(args[echo] as *const u8, ret as *mut u8, size) };
                Ok(())
            });
            let Some(cb) = make(&t, cbt, name, body, CallbackOptions::default(), tier) else {
                continue;
            };
            count[k] += 1;
            let r = run_with(&ffi, &lib, name, &cb);
            assert_eq!(r, 1, "{name} ({tier} entry): {}", last_error(&ffi, &lib));
            seen.push(log.lock().unwrap().clone());
        }
        // Padding bytes inside aggregates may differ between entries only if
        // C left them unspecified; the fixtures pass values built member by
        // member, so compare members through the echo result instead when the
        // raw bytes differ. Scalars and packed aggregates must match exactly.
        if seen.iter().any(|s| *s != seen[0]) {
            let padded = sig.params.iter().any(|&p| t.record_of(p).is_some());
            assert!(padded, "{name}: entries disagree on argument bytes: {seen:?}");
        }
    }
    let expected: Vec<usize> = Tier::ALL
        .iter()
        .map(|&tier| ECHO_ROWS.iter().filter(|n| tier_expected(tier, n)).count())
        .collect();
    assert_eq!(count.to_vec(), expected, "entries taken (jit, fast, libffi)");
    assert_eq!(count[2], ECHO_ROWS.len());
}

const CBARGS_ROWS: &[(&str, &str)] = &[
    ("fx_row11_cbargs", "fx_row11_arg"),
    ("fx_row12_cbargs", "fx_row12_arg"),
    ("fx_row13_cbargs", "fx_row13_arg"),
    ("fx_row19_cbargs", "fx_row19_arg"),
    ("fx_row25_cbargs", "fx_row25_arg"),
    ("fx_row29_cbargs", "fx_row29_arg"),
];

/// `fx_rowN_cbargs`: C calls cb(known arguments); the callback forwards
/// its argument pointers unchanged to the C checker `fx_rowN_arg` through a
/// `RawCall`, so every byte that reached the host is checked by C.
#[test]
fn forwarding_callbacks_on_every_entry() {
    let (ffi, lib) = setup();
    for &(name, checker) in CBARGS_ROWS {
        let f = ffi.function(&lib, name).unwrap();
        let check = ffi.function(&lib, checker).unwrap();
        let raw: RawCall = check.raw().expect("not variadic").clone();
        let t = ffi.types();
        let cbt = cb_type(&t, f.ty());
        for tier in Tier::ALL {
            let raw = raw.clone();
            let body: Box<abicall::call::callback::RawCallbackFn> = Box::new(move |args, ret| {
                // SAFETY: the callback's arguments are the checker's (same
                // signature); `ret` is an int.
                unsafe { raw.call(args, ret) }.map_err(|e| e.to_string())
            });
            let Some(cb) = make(&t, cbt, name, body, CallbackOptions::default(), tier) else {
                continue;
            };
            let r = run_with(&ffi, &lib, name, &cb);
            assert_eq!(r, 1, "{name} ({tier} entry): {}", last_error(&ffi, &lib));
        }
    }
}

/// Errors and panics on the generated and fast entries follow the same
/// policy as on libffi closures: the error hook hears about it and C gets
/// the error return value, also for structs returned through the hidden
/// pointer and x87 results.
#[test]
fn every_entry_error_policy() {
    let (ffi, lib) = setup();
    for name in ["fx_row16s_cb", "fx_row8_cb", "fx_row5_cb", "fx_row10_cb"] {
        let f = ffi.function(&lib, name).unwrap();
        let t = ffi.types();
        let cbt = cb_type(&t, f.ty());
        let size = t.size_of(t.sig_of(cbt).unwrap().ret).unwrap() as usize;
        for tier in Tier::ALL {
            let heard = Arc::new(Mutex::new(Vec::<String>::new()));
            let h = heard.clone();
            let opts = CallbackOptions {
                on_error: Some(Box::new(move |m: &str| h.lock().unwrap().push(m.to_string()))),
                error_return: Some(vec![0x5a; size]),
            };
            let body: Box<abicall::call::callback::RawCallbackFn> = Box::new(|_, _| panic!("boom"));
            let Some(cb) = make(&t, cbt, name, body, opts, tier) else {
                continue;
            };
            // The fixture compares with its known value: 0x5a bytes are not it.
            assert_eq!(run_with(&ffi, &lib, name, &cb), 0, "{name}");
            let heard = heard.lock().unwrap();
            assert_eq!(heard.len(), 1, "{name}: {heard:?}");
            assert!(heard[0].contains("boom"), "{name}: {heard:?}");
        }
    }
}

/// A dropped callback (every entry) called through a stale pointer
/// reports and returns the error value instead of running freed code.
#[test]
fn every_entry_after_drop() {
    let (ffi, lib) = setup();
    let f = ffi.function(&lib, "fx_row16s_cb").unwrap();
    let t = ffi.types();
    let cbt = cb_type(&t, f.ty());
    for tier in Tier::ALL {
        after_drop(&ffi, &lib, &t, cbt, f.raw().unwrap(), tier);
    }
}

fn after_drop(ffi: &Ffi, lib: &Library, t: &Types, cbt: TypeId, raw: &RawCall, tier: Tier) {
    let _ = (ffi, lib);
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let h = heard.clone();
    let opts = CallbackOptions {
        on_error: Some(Box::new(move |m: &str| h.lock().unwrap().push(m.to_string()))),
        error_return: None,
    };
    let Some(cb) = make(
        t,
        cbt,
        "fx_row16s_cb",
        Box::new(|a, r| {
            // SAFETY: a short in, a short out.
            unsafe { std::ptr::copy_nonoverlapping(a[0] as *const u8, r as *mut u8, 2) };
            Ok(())
        }),
        opts,
        tier,
    ) else {
        return;
    };
    let code = cb.code();
    drop(cb);
    let mut r = 0i32;
    // SAFETY: a (stale) function pointer to a zombie callback, an int result.
    unsafe { raw.call(&[&code as *const _ as *const c_void], &mut r as *mut i32 as *mut c_void) }.unwrap();
    assert_eq!(r, 0);
    assert!(heard.lock().unwrap()[0].contains("after it was dropped"));
}

/// Create-and-drop churn reuses retired entries instead of keeping every
/// callback forever: the number of entries stays bounded, entries reused
/// for another signature run the new callback correctly (libffi closures
/// are re-prepared for the new CIF), and a stale call into a still-retired
/// entry gets the documented error.
#[test]
fn churn_reuses_retired_entries() {
    use abicall::call::callback::{entries_allocated, RETIRED_KEPT};
    let mut ffi = Ffi::host().unwrap();
    let int_int = ffi.type_of("int (int)").unwrap();
    let dbl = ffi.type_of("double (double, double)").unwrap();
    let t = ffi.types();
    let before = entries_allocated();
    const CYCLES: usize = 6 * RETIRED_KEPT;
    for libffi in [false, true] {
        let make = |ty, f: Box<abicall::call::callback::RawCallbackFn>| {
            if libffi {
                RawCallback::new_libffi(&t, ty, f, CallbackOptions::default())
            } else {
                RawCallback::new(&t, ty, f, CallbackOptions::default())
            }
            .unwrap()
        };
        for i in 0..CYCLES {
            if i % 2 == 0 {
                let k = i as i32;
                let cb = make(
                    int_int,
                    Box::new(move |a, r| {
                        // SAFETY: an int in, an int out.
                        unsafe { *(r as *mut i32) = *(a[0] as *const i32) + k };
                        Ok(())
                    }),
                );
                // SAFETY: the callback's type is int (int).
                let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(cb.code()) };
                assert_eq!(f(5), 5 + k);
            } else {
                let cb = make(
                    dbl,
                    Box::new(|a, r| {
                        // SAFETY: two doubles in, a double out.
                        unsafe { *(r as *mut f64) = *(a[0] as *const f64) * *(a[1] as *const f64) };
                        Ok(())
                    }),
                );
                // SAFETY: the callback's type is double (double, double).
                let f: extern "C" fn(f64, f64) -> f64 = unsafe { std::mem::transmute(cb.code()) };
                assert_eq!(f(1.5, -4.0), -6.0);
            }
        }
    }
    let grown = entries_allocated() - before;
    // Without reuse this would be 2 * CYCLES; other tests running at the
    // same time may add a few live ones.
    assert!(
        grown <= 2 * (RETIRED_KEPT + 1) + 200,
        "{grown} entries for {} create/drop cycles",
        2 * CYCLES
    );
    // A stale pointer into an entry still retired: the documented error.
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let h = heard.clone();
    let cb = RawCallback::new(
        &t,
        int_int,
        Box::new(|_, _| Ok(())),
        CallbackOptions {
            on_error: Some(Box::new(move |m: &str| h.lock().unwrap().push(m.to_string()))),
            error_return: Some(7i32.to_le_bytes().to_vec()),
        },
    )
    .unwrap();
    // SAFETY: int (int); called after drop on purpose (the entry is retired).
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(cb.code()) };
    drop(cb);
    assert_eq!(f(1), 7);
    assert!(heard.lock().unwrap()[0].contains("after it was dropped"));
}

/// The host closure is dropped exactly once and as soon as nothing runs it,
/// on every entry: at `drop` when no call is inside; by the call itself when
/// the callback is dropped from inside its own closure (the drop happens
/// when that call leaves); and when another thread drops it while calls are
/// running, by the last of them (stale calls after that get the error
/// value, never the closure).
#[test]
fn the_closure_is_dropped_once_when_no_call_runs_it() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    type IntFn = extern "C" fn(i32) -> i32;
    let mut ffi = Ffi::host().unwrap();
    let int_int = ffi.type_of("int (int)").unwrap();
    let t = ffi.types();
    // An `int (int)` callback of `tier` running `body`, whose closure holds
    // a `Counted` (its drops are counted in `drops`); a call after drop
    // returns -1.
    let counted = |tier: Tier, drops: &Arc<AtomicUsize>, body: Box<dyn Fn(i32) -> i32 + Send + Sync>| {
        let c = Counted(drops.clone());
        let cb = RawCallback::with_tier(
            &t,
            int_int,
            Box::new(move |a, r| {
                let _ = &c;
                // SAFETY: an int in, an int out.
                unsafe { *(r as *mut i32) = body(*(a[0] as *const i32)) };
                Ok(())
            }),
            CallbackOptions {
                on_error: Some(Box::new(|_: &str| {})),
                error_return: Some((-1i32).to_le_bytes().to_vec()),
            },
            tier,
        )
        .unwrap();
        // SAFETY: the callback has type `int (int)`.
        let g: IntFn = unsafe { std::mem::transmute(cb.code()) };
        (cb, g)
    };
    for tier in Tier::ALL {
        if !tier.available() {
            continue;
        }
        // 1. No call inside: dropped by `drop`.
        let drops = Arc::new(AtomicUsize::new(0));
        let (cb, g) = counted(tier, &drops, Box::new(|x| x + 1));
        assert_eq!(g(1), 2, "{tier}");
        drop(cb);
        assert_eq!(drops.load(SeqCst), 1, "{tier}: dropped at drop");
        assert_eq!(g(1), -1, "{tier}: a stale call gets the error value");
        assert_eq!(drops.load(SeqCst), 1, "{tier}");

        // 2. Dropped from inside its own closure: dropped when that call leaves.
        let drops = Arc::new(AtomicUsize::new(0));
        let cell: Arc<Mutex<Option<RawCallback>>> = Arc::new(Mutex::new(None));
        let (inner, seen) = (cell.clone(), drops.clone());
        let (cb, g) = counted(
            tier,
            &drops,
            Box::new(move |x| {
                drop(inner.lock().unwrap().take());
                // Still alive while this call runs.
                assert_eq!(seen.load(SeqCst), 0);
                x * 10
            }),
        );
        *cell.lock().unwrap() = Some(cb);
        assert_eq!(g(4), 40, "{tier}");
        assert_eq!(drops.load(SeqCst), 1, "{tier}: dropped as the call left");
        assert_eq!(g(4), -1, "{tier}");

        // 3. Dropped by another thread while calls run.
        let drops = Arc::new(AtomicUsize::new(0));
        let (cb, g) = counted(
            tier,
            &drops,
            Box::new(|x| {
                std::thread::yield_now();
                x
            }),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let callers: Vec<_> = (0..4)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(SeqCst) {
                        let r = g(7);
                        assert!(r == 7 || r == -1, "{r}");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(cb);
        std::thread::sleep(std::time::Duration::from_millis(5));
        stop.store(true, SeqCst);
        let calls: usize = callers.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(calls > 0);
        assert_eq!(
            drops.load(SeqCst),
            1,
            "{tier}: dropped once, by the last call out or by drop"
        );
    }
}

/// The callback tests again with `ABICALL_CALLBACK_SYNC=atomic`: entries
/// held through the atomic counter instead of hazard words (the protocol
/// of hosts without `membarrier`), including the drop protocol, churn and
/// concurrent calls.
#[test]
fn callbacks_with_atomic_counters() {
    if std::env::var_os("ABICALL_CALLBACK_SYNC").is_some() {
        return;
    }
    let mut cmd = crate::support::host::exe_command(std::env::current_exe().unwrap());
    cmd.args([
        "callback_paths::",
        "errors::concurrent_callbacks",
        "errors::callback_called_after_drop",
    ])
    .env("ABICALL_CALLBACK_SYNC", "atomic");
    let out = crate::support::host::output_within(
        &mut cmd,
        std::time::Duration::from_secs(600),
        "the callback tests with ABICALL_CALLBACK_SYNC=atomic",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" passed; 0 failed"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Create/drop churn on three threads at once (retired entries get reused,
/// each reuse waiting for the calls that hold the entry) while two more
/// threads keep calling a long-lived callback: every call sees its own
/// callback's answer and nothing deadlocks.
#[test]
fn concurrent_churn_and_calls() {
    use abicall::call::callback::RETIRED_KEPT;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    let mut ffi = Ffi::host().unwrap();
    let int_int = ffi.type_of("int (int)").unwrap();
    let t = Arc::new(ffi.types().clone());
    let stop = Arc::new(AtomicBool::new(false));
    let keep = RawCallback::new(
        &t,
        int_int,
        Box::new(|a, r| {
            // SAFETY: an int in, an int out.
            unsafe { *(r as *mut i32) = *(a[0] as *const i32) * 3 };
            Ok(())
        }),
        CallbackOptions::default(),
    )
    .unwrap();
    // SAFETY: int (int).
    let g: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(keep.code()) };
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut n = 0i32;
                while !stop.load(SeqCst) {
                    assert_eq!(g(n % 1000), (n % 1000) * 3);
                    n += 1;
                }
            })
        })
        .collect();
    let churners: Vec<_> = (0..3)
        .map(|w| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..(RETIRED_KEPT + 500) as i32 {
                    let k = i * 4 + w;
                    let cb = RawCallback::new(
                        &t,
                        int_int,
                        Box::new(move |a, r| {
                            // SAFETY: an int in, an int out.
                            unsafe { *(r as *mut i32) = *(a[0] as *const i32) + k };
                            Ok(())
                        }),
                        CallbackOptions::default(),
                    )
                    .unwrap();
                    // SAFETY: int (int).
                    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(cb.code()) };
                    assert_eq!(f(1), 1 + k);
                }
            })
        })
        .collect();
    for h in churners {
        h.join().unwrap();
    }
    stop.store(true, SeqCst);
    for h in callers {
        h.join().unwrap();
    }
    drop(keep);
}
