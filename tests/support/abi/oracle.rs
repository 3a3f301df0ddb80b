//! The run-time oracle for the hand-written and randomly generated cases of
//! `tests/abi/oracle.rs` / `tests/abi/random.rs`: a thin adapter over the
//! library's register-dump oracle ([`abicall_conformance::oracle`], stubs in
//! `abi-tests/oracle_<arch>.s`), which compiles C calling an assembly stub
//! through a function pointer of each signature's type and checks the call
//! plan against every dumped register and stack byte, and the return side
//! against a stub loading known return registers.

use super::{require_tool, Case, B};
use abicall::Target;
use abicall_conformance::oracle;
use abicall_conformance::signature::{Batch, Signature};

/// The conformance crate's batch of `cases` (types built in `b`), with
/// reproducible values per case.
pub fn batch(b: B, cases: &[Case]) -> Batch {
    let sigs = cases
        .iter()
        .enumerate()
        .map(|(i, c)| Signature {
            ret: c.ret,
            args: c.args.clone(),
            fixed: c.fixed,
            value_seed: 0x0bad_5eed ^ i as u64,
            label: Some(c.name),
        })
        .collect();
    Batch {
        seed: 0,
        first: None,
        types: b.t,
        sigs,
    }
}

/// Compiles and runs the dump program for `cases` (built in `b`) and checks
/// every plan against what the compiler did. Panics with every mismatch.
pub fn check_target(b: B, cases: &[Case]) {
    let target = b.t.target();
    assert!(target != Target::Aarch64Apple, "no Apple toolchain to run code");
    match target {
        Target::X86_64SysV => require_tool("gcc", "gcc"),
        _ => {
            require_tool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
            require_tool("qemu-aarch64-static", "qemu-user-static");
        }
    }
    let batch = batch(b, cases);
    if std::env::var_os("ABICALL_PRINT_PLANS").is_some() {
        for (k, s) in batch.sigs.iter().enumerate() {
            eprintln!(
                "== {} ({target})\n{}",
                batch.id(k),
                s.plan(&batch.types)
                    .map(|p| p.to_snapshot(&batch.types))
                    .unwrap_or_else(|e| e.to_string())
            );
        }
    }
    let failures = oracle::run_range(&batch, 0..batch.sigs.len()).unwrap_or_else(|e| panic!("{e}"));
    let report: Vec<String> = failures
        .iter()
        .map(|f| {
            format!(
                "[{target}] {}: {}\n{}\ntypes:\n{}",
                batch.id(f.index),
                batch.prototype(f.index),
                f.message,
                abicall_conformance::csrc::sig_defs(&batch.types, &batch.sigs[f.index])
            )
        })
        .collect();
    assert!(
        report.is_empty(),
        "{} mismatch(es):\n{}",
        report.len(),
        report.join("\n\n")
    );
}
