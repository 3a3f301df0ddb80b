//! The compiler as the oracle for call plans.
//!
//! For every signature in [`cases`], C code compiled by gcc (x86_64) or
//! aarch64-linux-gnu-gcc (run under qemu-aarch64-static) calls
//!
//! - an assembly stub `dump` through a function pointer of that type, with a
//!   distinctive byte pattern in every argument; the stub saves all argument
//!   registers (and `al`, `x8`) and the first 256 bytes of the stack
//!   arguments. The test checks that every part of the plan finds exactly its
//!   bytes at the predicted location, that the parts cover every meaningful
//!   byte, that narrow integers are extended where the plan says so, and that
//!   indirect arguments point to a copy of the value;
//! - an assembly stub `retstub` returning a known register image (or, when
//!   the plan says the result is returned through memory, writing it through
//!   the hidden pointer); the test checks that the C caller finds the value
//!   in the bytes the plan says.

use crate::support::abi as abi_support;

use abi_support::oracle::check_target;
use abi_support::{cases, B};
use abicall::Target;

fn run(target: Target) {
    let mut b = B::new(target);
    let cases = cases(&mut b);
    check_target(b, &cases);
}

#[test]
fn oracle_x86_64_gcc() {
    run(Target::X86_64SysV);
}

#[test]
fn oracle_aarch64_linux_gcc() {
    run(Target::Aarch64Linux);
}

fn run_vectors(target: Target) {
    let mut b = B::new(target);
    let cases = abi_support::vector_cases(&mut b);
    check_target(b, &cases);
}

/// GCC vector types (docs/abi-cases.md row 33) against gcc's register dumps.
#[test]
fn oracle_vectors_x86_64_gcc() {
    run_vectors(Target::X86_64SysV);
}

/// GCC vector types (docs/abi-cases.md row 33) against
/// aarch64-linux-gnu-gcc's register dumps (short vectors, HVAs).
#[test]
fn oracle_vectors_aarch64_linux_gcc() {
    run_vectors(Target::Aarch64Linux);
}

/// The vector signatures called by abicall itself on the host, through
/// every call tier and callback tier, against gcc's register dumps
/// (`abicall_conformance::dump`: abicall calls the dump stub with the
/// values gcc's caller passed, and replays gcc's caller into callbacks).
/// Exactly the signatures libffi can express run on the libffi tier (not
/// x86_64's 16-byte vectors in one `xmm`, nor 32-byte-aligned stack
/// arguments); on a host with the JIT every signature whose plan libffi's
/// other limits allow runs through the JIT, the vectors included.
#[test]
fn vector_calls_on_the_host_match_gcc_dumps() {
    use abicall::abi::ffi_shape::{libffi_limitation, libffi_vector_limitation};
    use abicall_conformance::{dump, oracle as conf_oracle, tools};
    use std::collections::{BTreeSet, HashMap};
    let target = Target::host().expect("a supported host");
    let mut b = B::new(target);
    let cases = abi_support::vector_cases(&mut b);
    let batch = abi_support::oracle::batch(b, &cases);
    let n = batch.sigs.len();
    let run = conf_oracle::run_range_dumps(&batch, 0..n, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(run.failures.is_empty(), "oracle: {:?}", run.failures);
    let cc = tools::host_compiler("gcc").unwrap_or_else(|e| panic!("{e}"));
    let stub = dump::DumpStub::build(target, &cc).unwrap_or_else(|e| panic!("{e}"));
    let mut steps: HashMap<usize, BTreeSet<String>> = HashMap::new();
    let failures = dump::run_range(&stub, &batch, 0..n, &run.dumps, &mut |k, what| {
        steps.entry(k).or_default().insert(what.to_string());
    });
    let report: Vec<String> = failures
        .iter()
        .map(|f| format!("{}: {}\n{}", batch.id(f.index), batch.prototype(f.index), f.message))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n\n"));
    // The calls that ran are exactly those libffi can express.
    for (k, sig) in batch.sigs.iter().enumerate() {
        let plan = sig.plan(&batch.types).unwrap();
        let callable = libffi_limitation(&plan)
            .or_else(|| libffi_vector_limitation(&batch.types, &plan))
            .is_none();
        // (Returns are checked through a function of the return type
        // alone, which may run when the arguments are refused.)
        let ran = steps.get(&k).is_some_and(|s| s.contains("libffi"));
        assert_eq!(ran, callable, "{}: ran {:?}", batch.id(k), steps.get(&k));
        if abicall::call::Tier::Jit.available() && libffi_limitation(&plan).is_none() {
            let jit = steps.get(&k).is_some_and(|s| s.contains("jit"));
            assert!(jit, "{}: not called through the JIT: {:?}", batch.id(k), steps.get(&k));
        }
    }
    let ran = steps.len();
    eprintln!("{target}: {ran} of {n} vector signatures called through the host tiers");
    assert!(ran * 3 >= n, "only {ran} of {n} vector signatures ran on {target}");
}
