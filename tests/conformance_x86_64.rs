//! ABI conformance on the host (x86_64 System V), both directions on real
//! code: generated signatures compiled by gcc -O2 (and clang -O2), called
//! through abicall, and calling abicall callbacks. `ABICALL_CONF_SEED` /
//! `ABICALL_CONF_COUNT` choose another sweep.

use abicall::conformance::{csrc, host, signature, tools};
use abicall::Target;

fn seed() -> u64 {
    std::env::var("ABICALL_CONF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261123)
}

fn count() -> usize {
    std::env::var("ABICALL_CONF_COUNT").ok().and_then(|s| s.parse().ok()).unwrap_or(500)
}

/// Runs `count` signatures in `chunks` parallel compilations.
fn sweep(compiler: &str, seed: u64, count: usize, chunks: usize) {
    let cc = tools::host_compiler(compiler).unwrap_or_else(|e| panic!("{e}"));
    let batch = signature::generate(Target::X86_64SysV, seed, count, signature::Limits::default());
    let per = count.div_ceil(chunks);
    let failures: Vec<host::Failure> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..count)
            .step_by(per)
            .map(|start| {
                let (batch, cc) = (&batch, &cc);
                s.spawn(move || host::run_range(batch, start..(start + per).min(count), cc))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker panicked").unwrap_or_else(|e| panic!("{e}")))
            .collect()
    });
    let mut report = String::new();
    for f in &failures {
        report.push_str(&format!(
            "\n== seed {seed}, signature {} ({compiler}): {}\n{}\n",
            f.index,
            f.message,
            csrc::reproducer(&batch, f.index)
        ));
    }
    assert!(
        failures.is_empty(),
        "{} passed, {} failed{report}",
        count - failures.len(),
        failures.len()
    );
}

#[test]
fn generated_signatures_both_directions_gcc() {
    sweep("gcc", seed(), count(), 4);
}

#[test]
fn generated_signatures_both_directions_clang() {
    sweep("clang", seed() ^ 0x5a5a, count() / 2, 2);
}
