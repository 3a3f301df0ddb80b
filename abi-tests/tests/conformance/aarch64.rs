//! ABI conformance on aarch64 (AAPCS64, Linux): the fixed rows of
//! docs/abi-cases.md and 500 generated signatures.
//!
//! - From any host: each is called from aarch64-linux-gnu-gcc -O2 code (run
//!   under qemu-aarch64-static) into a register-dump stub, whose registers
//!   and stack must match abicall's call plan byte for byte, and returned
//!   through a stub loading known registers; every generated aggregate's
//!   layout is checked with `_Static_assert`s.
//! - When this test binary is itself aarch64 (natively, or under qemu-user
//!   from `scripts/test.sh`), also both directions on real code: abicall
//!   calls each gcc-compiled checking callee through every call path
//!   (libffi, and the AAPCS64 fast path when eligible), and each
//!   gcc-compiled caller calls an abicall callback through every entry
//!   (libffi closure, fast entry) (see `abicall_conformance::host`).
//!
//! `ABICALL_CONF_SEED` / `ABICALL_CONF_COUNT` choose another sweep.

use abicall::Target;
use abicall_conformance::{run, Options};

#[test]
fn generated_signatures_aarch64() {
    let seed = std::env::var("ABICALL_CONF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261123);
    let count = std::env::var("ABICALL_CONF_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let mut opts = Options::new(Target::Aarch64Linux, seed, count);
    opts.jobs = 2;
    let sum = run(&opts, &|_, _, _| {}).unwrap_or_else(|e| panic!("{e}"));
    let report: String = sum.failed.iter().chain(&sum.divergent).map(|r| r.to_string()).collect();
    assert!(
        sum.failed.is_empty() && sum.divergent.is_empty(),
        "seed {seed}: {} passed, {} failed, {} known issues\n{report}",
        sum.passed,
        sum.failed.len(),
        sum.divergent.len()
    );
    assert!(sum.total > count);
    // On an aarch64 host every signature also ran both directions on real code.
    let host = Target::host() == Some(Target::Aarch64Linux);
    assert_eq!(sum.real_code, if host { sum.total } else { 0 }, "real-code checks");
    // ... and the differential really ran: many signatures also took the
    // AAPCS64 fast path (and the fast callback entry) besides libffi.
    if host {
        assert!(
            sum.fast_path * 10 > count,
            "only {} of {count} signatures took the fast path",
            sum.fast_path
        );
        // Every signature also went through the JIT tier, both directions.
        if abicall::call::Tier::Jit.available() {
            assert_eq!(sum.jit, sum.real_code, "signatures through the JIT");
        }
    }
    eprintln!(
        "aarch64 conformance: {} signatures, {} both directions on real code, {} also through the fast path, {} through the JIT",
        sum.total, sum.real_code, sum.fast_path, sum.jit
    );
}

/// The Apple arm64 variant of abicall's own code (JIT tier, fast path and
/// their callback entries), on an aarch64 host: the fixed cases and 500
/// generated Apple signatures, called into the register-dump stub and
/// replayed into callbacks, checked against the Apple plans (which
/// `tests/abi/apple.rs` checks against clang's code for
/// `arm64-apple-macos`); see `abicall_conformance::apple`.
#[test]
#[cfg_attr(
    not(target_arch = "aarch64"),
    ignore = "aarch64 host only: runs abicall's aarch64 code for Apple plans (scripts/test.sh runs it under qemu-user)"
)]
fn apple_variant_through_abicalls_own_code() {
    let seed = std::env::var("ABICALL_CONF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261203);
    let mut opts = Options::new(Target::Aarch64Apple, seed, 500);
    opts.jobs = 2;
    let sum = run(&opts, &|_, _, _| {}).unwrap_or_else(|e| panic!("{e}"));
    let report: String = sum.failed.iter().map(|r| r.to_string()).collect();
    assert!(
        sum.failed.is_empty(),
        "seed {seed}: {} passed, {} failed\n{report}",
        sum.passed,
        sum.failed.len()
    );
    assert!(sum.total > 500);
    if abicall::call::Tier::Jit.available() {
        assert_eq!(sum.jit, sum.total, "Apple signatures through the JIT");
    }
    assert!(
        sum.fast_path * 2 > sum.total,
        "only {} took the fast path",
        sum.fast_path
    );
    eprintln!(
        "Apple arm64 variant: {} signatures, {} through the JIT, {} through the fast path",
        sum.total, sum.jit, sum.fast_path
    );
}
