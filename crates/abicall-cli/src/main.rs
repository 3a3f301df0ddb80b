//! `abicall`: the command-line face of the library.

mod abi_test;
mod bench;
mod call;
mod context;
mod error;
mod json;
mod layout;
mod literal;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Dynamic ABI call engine: lay out C types and call C functions at run time.
#[derive(Parser)]
#[command(name = "abicall", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Call a C function in a shared object with C literal arguments.
    Call(call::CallArgs),
    /// Print the layout of C types (pahole-style table or JSON).
    Layout(layout::LayoutArgs),
    /// Check abicall against the C compiler on generated signatures.
    AbiTest(abi_test::AbiTestArgs),
    /// Measure call overhead per signature (ns/call, ratio to a direct call).
    Bench(bench::BenchArgs),
}

fn main() -> ExitCode {
    // `abicall abi-test` re-executes this binary for each chunk's
    // in-process checks (crash isolation, abicall_conformance::child).
    if let Some(code) = abicall_conformance::child::serve_if_child() {
        return ExitCode::from(code as u8);
    }
    let cli = Cli::parse();
    let res = match cli.cmd {
        Cmd::Call(a) => call::run(a),
        Cmd::Layout(a) => layout::run(a),
        Cmd::Bench(a) => bench::run(a),
        Cmd::AbiTest(a) => abi_test::run_cmd(a),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("abicall: error: {msg}");
            ExitCode::from(2)
        }
    }
}
