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
