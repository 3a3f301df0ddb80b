//! ABI conformance on aarch64 (AAPCS64, Linux), from an x86_64 host: the
//! fixed rows of docs/abi-cases.md and 500 generated signatures, each called from
//! aarch64-linux-gnu-gcc -O2 code (run under qemu-aarch64-static) into a
//! register-dump stub, whose registers and stack must match abicall's call
//! plan byte for byte, and returned through a stub loading known registers;
//! every generated aggregate's layout is checked with `_Static_assert`s.
//!
//! `ABICALL_CONF_SEED` / `ABICALL_CONF_COUNT` choose another sweep.

use abicall::Target;
use abicall_conformance::{run, Options};

#[test]
fn generated_signatures_oracle_and_layout_aarch64() {
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
    let report: String = sum.failed.iter().map(|r| r.to_string()).collect();
    assert!(
        sum.failed.is_empty() && sum.divergent.is_empty(),
        "seed {seed}: {} passed, {} failed\n{report}",
        sum.passed,
        sum.failed.len()
    );
    assert!(sum.total > count);
}
