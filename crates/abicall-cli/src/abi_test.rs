//! `abicall abi-test`: generated ABI conformance runs (see
//! `abicall_conformance` and abi-tests/README.md).

use crate::error::Result;
use abicall::Target;
use abicall_conformance::{run, Options};
use clap::Args;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

/// Arguments of `abicall abi-test`.
#[derive(Args, Debug)]
pub struct AbiTestArgs {
    /// Seed of the random signatures (the same seed gives the same signatures and values).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of random signatures (the fixed abi-cases rows run as well).
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Target ABI: the host's (x86_64, or aarch64 for an aarch64 build, also
    /// under qemu-user) gets both directions on real code plus the
    /// register-dump oracle; another target gets the oracle (aarch64 code
    /// under qemu-aarch64-static) and the layout checks; `aarch64-apple` on
    /// an aarch64 build runs abicall's JIT and fast path for Apple plans
    /// against the plans (calls and callbacks).
    #[arg(long, default_value = "x86_64")]
    target: Target,
    /// Compiler for the real-code checks on the host: gcc or clang.
    #[arg(long, default_value = "gcc")]
    compiler: String,
    /// Chunks of signatures compiled and run in parallel (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run one signature only: its number, or `F<n>` for fixed case n (as printed in a report).
    #[arg(long)]
    only: Option<String>,
    /// Skip the fixed abi-cases rows.
    #[arg(long)]
    no_fixed: bool,
    /// Run the calls in this process instead of a child process per chunk
    /// (a crash then ends the run without naming the signature).
    #[arg(long)]
    no_isolation: bool,
    /// Run piece K of N of the sweep (e.g. `--shard 2/4`): the fixed cases
    /// and the chunks of 250 signatures are dealt out round robin, so N runs
    /// with the same seed and count, K = 1..N, are disjoint and add up to the
    /// whole sweep (for a CI matrix or several machines).
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
}

/// `K/N` with 1 <= K <= N.
fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let bad = || format!("`{s}`: expected K/N, e.g. 1/4, with 1 <= K <= N");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// Runs `abicall abi-test`; failures make the command exit non-zero.
pub fn run_cmd(a: AbiTestArgs) -> Result<()> {
    let mut opts = Options::new(a.target, a.seed, a.count);
    opts.compiler = a.compiler;
    if let Some(j) = a.jobs {
        opts.jobs = j.max(1);
    }
    opts.fixed = !a.no_fixed;
    opts.only = a.only;
    opts.shard = a.shard;
    // Each chunk's in-process checks run in a re-executed child: a crash
    // becomes a failure naming the signature.
    if !a.no_isolation {
        opts.child = Some(abicall_conformance::tools::self_command(
            std::env::current_exe().map_err(|e| format!("cannot find the abicall binary to re-execute: {e}"))?,
        ));
    }
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let last = Mutex::new(Instant::now());
    let progress = |done: usize, total: usize, failed: usize| {
        if !tty {
            return;
        }
        let mut l = last.lock().unwrap_or_else(|e| e.into_inner());
        if done < total && l.elapsed().as_millis() < 100 {
            return;
        }
        *l = Instant::now();
        let width = 40;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {done}/{total} signatures, {failed} failed, {:.0}s ",
            "#".repeat(filled),
            "-".repeat(width - filled),
            start.elapsed().as_secs_f64()
        );
    };
    let sum = run(&opts, &progress)?;
    if tty {
        eprintln!();
    }
    let mut out = std::io::stdout().lock();
    for r in sum.failed.iter().chain(&sum.divergent) {
        let _ = write!(out, "{r}");
    }
    let compiler = if Target::host() == Some(opts.target) {
        format!(", {}", opts.compiler)
    } else {
        String::new()
    };
    let shard = opts.shard.map_or(String::new(), |(k, n)| format!(", shard {k}/{n}"));
    // Apple plans on an aarch64 host: abicall's own code checked against
    // the plans (no Apple code to run; `abicall_conformance::apple`).
    let what = if opts.target == Target::Aarch64Apple && sum.jit + sum.fast_path > 0 {
        "abicall's own code checked against the Apple plans, both directions".to_string()
    } else {
        format!("{} both directions on real code", sum.real_code)
    };
    let _ = writeln!(
        out,
        "seed {}, target {}{compiler}{shard}: {} signatures ({what}, {} also through the fast path, {} through the JIT) in {:.1}s",
        a.seed,
        opts.target,
        sum.total,
        sum.fast_path,
        sum.jit,
        start.elapsed().as_secs_f64()
    );
    let known = if sum.divergent.is_empty() {
        String::new()
    } else {
        format!(", {} known issue(s)", sum.divergent.len())
    };
    let _ = writeln!(out, "{} passed, {} failed{known}", sum.passed, sum.failed.len());
    if sum.failed.is_empty() {
        Ok(())
    } else {
        Err(format!("{} signature(s) failed", sum.failed.len()).into())
    }
}
