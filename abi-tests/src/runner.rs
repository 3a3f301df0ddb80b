//! Runs a conformance sweep: the fixed cases and `count` random signatures
//! of a seed, in chunks of [`CHUNK`] (one compiled shared object / oracle
//! program / layout file per chunk), `jobs` chunks at a time.

use super::signature::{self, Batch, Limits};
use super::tools::host_compiler;
use super::{layout, oracle, Direction, Failure};
use abicall::error::{Error, Result};
use abicall::target::Arch;
use abicall::Target;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Signatures per chunk: part of what a seed means (signature `n` of a
/// seed is signature `n % CHUNK` of chunk `n / CHUNK`).
pub const CHUNK: usize = 250;

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The seed of the random signatures.
    pub seed: u64,
    /// Number of random signatures.
    pub count: usize,
    /// The target whose ABI is checked. Both directions on real code need
    /// the host target; other targets get the oracle and layout checks.
    pub target: Target,
    /// The compiler of the real-code checks (`gcc` or `clang`).
    pub compiler: String,
    /// Chunks run in parallel.
    pub jobs: usize,
    /// Also run the fixed cases (the rows of `docs/abi-cases.md`).
    pub fixed: bool,
    /// Run only this signature: `n` (random) or `Fn` (fixed case n).
    pub only: Option<String>,
    /// The command that re-executes this binary as a conformance child
    /// ([`super::child`]): the in-process checks of each chunk then run in
    /// a child process, so a crash becomes a failure naming the signature.
    /// `None`: in this process (a crash ends the run).
    pub child: Option<Vec<std::ffi::OsString>>,
    /// Run only piece `k` of `n` (`Some((k, n))`, 1 ≤ k ≤ n): the jobs (the
    /// fixed cases, then the chunks of [`CHUNK`] signatures) are dealt out
    /// round robin, job `j` to piece `j % n + 1`, so the pieces of one sweep
    /// are disjoint and together run exactly the whole sweep.
    pub shard: Option<(usize, usize)>,
}

impl Options {
    /// `count` random signatures of `seed` for `target` plus the fixed
    /// cases, with gcc, on all cores.
    pub fn new(target: Target, seed: u64, count: usize) -> Options {
        Options {
            seed,
            count,
            target,
            compiler: "gcc".into(),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            fixed: true,
            only: None,
            child: None,
            shard: None,
        }
    }
}

/// Everything known about one signature that failed.
#[derive(Clone, Debug)]
pub struct Report {
    /// `signature 1234` or `fixed case 7 (r12 ...)`.
    pub id: String,
    /// The signature in C.
    pub prototype: String,
    /// Each check that failed.
    pub failures: Vec<Failure>,
    /// Standalone reproducers (C source, with how to build and re-run it).
    pub reproducers: Vec<String>,
    /// The command that re-runs just this signature.
    pub rerun: String,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "== {}: {}", self.id, self.prototype)?;
        for x in &self.failures {
            writeln!(f, "-- {}: {}", x.direction.name(), x.message)?;
            if let Some(why) = &x.known_divergence {
                writeln!(f, "   known issue: {why}")?;
            }
        }
        for r in &self.reproducers {
            writeln!(f, "{r}")?;
        }
        writeln!(f, "rerun: {}", self.rerun)
    }
}

/// The outcome of a sweep.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Signatures run.
    pub total: usize,
    /// Signatures that passed every check.
    pub passed: usize,
    /// Signatures that failed a check.
    pub failed: Vec<Report>,
    /// Signatures whose only problems are known issues — a compiler bug
    /// (clang 14 `__int128`) or a documented engine limitation — neither
    /// passed nor failed; each carries its evidence.
    pub divergent: Vec<Report>,
    /// Signatures that went through the fast path as well as libffi.
    pub fast_path: usize,
    /// Signatures that went through the JIT tier as well.
    pub jit: usize,
    /// Signatures checked in both directions on real code (the host target:
    /// abicall calling compiled callees, compiled callers calling abicall
    /// callbacks); the others got the oracle and layout checks only.
    pub real_code: usize,
}

/// One unit of work: the fixed cases or one chunk.
#[derive(Clone, Copy, Debug)]
pub enum Job {
    /// The fixed cases.
    Fixed,
    /// Chunk `n` of the random signatures (signatures `n * CHUNK ..`).
    Chunk(usize),
}

/// Runs the sweep `opts`; `progress(done, total, failed)` is called after
/// every chunk. `Err` when a tool is missing or generated C does not build
/// (a bug in the generator).
pub fn run(opts: &Options, progress: &(dyn Fn(usize, usize, usize) + Sync)) -> Result<Summary> {
    let host_cc: Option<PathBuf> = if Target::host() == Some(opts.target) {
        Some(host_compiler(&opts.compiler)?)
    } else if opts.compiler != "gcc" {
        return Err(Error::call(
            abicall::CallErrorKind::Other,
            None,
            format!(
                "--compiler {} is for the host target only; {} code is built with its gcc",
                opts.compiler, opts.target
            ),
        ));
    } else {
        None
    };
    let (jobs, only) = plan_jobs(opts)?;
    let total: usize = jobs.iter().map(|j| job_len(opts, *j, only)).sum();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let summary = Mutex::new(Summary::default());
    let error: Mutex<Option<Error>> = Mutex::new(None);
    let workers = opts.jobs.clamp(1, jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                match run_job(opts, jobs[i], only, host_cc.as_deref()) {
                    Ok(part) => {
                        let mut sum = summary.lock().unwrap_or_else(|e| e.into_inner());
                        sum.total += part.total;
                        sum.passed += part.passed;
                        sum.fast_path += part.fast_path;
                        sum.jit += part.jit;
                        sum.real_code += part.real_code;
                        sum.failed.extend(part.failed);
                        sum.divergent.extend(part.divergent);
                        let d = done.fetch_add(part.total, Ordering::Relaxed) + part.total;
                        progress(d, total, sum.failed.len());
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        error.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let mut sum = summary.into_inner().unwrap_or_else(|e| e.into_inner());
    sum.failed.sort_by(|a, b| a.id.cmp(&b.id));
    sum.divergent.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(sum)
}

/// The jobs of `opts`, and the index within its job of `--only`.
fn plan_jobs(opts: &Options) -> Result<(Vec<Job>, Option<usize>)> {
    if let (Some(o), Some((k, n))) = (&opts.only, opts.shard) {
        return Err(Error::call(
            abicall::CallErrorKind::Other,
            None,
            format!("--only {o} and --shard {k}/{n} do not go together"),
        ));
    }
    if let Some(o) = &opts.only {
        let bad = || {
            Error::call(
                abicall::CallErrorKind::Other,
                None,
                format!("--only {o}: expected a signature number or F<n> for a fixed case"),
            )
        };
        return Ok(match o.strip_prefix('F') {
            Some(n) => (vec![Job::Fixed], Some(n.parse().map_err(|_| bad())?)),
            None => {
                let n: usize = o.parse().map_err(|_| bad())?;
                (vec![Job::Chunk(n / CHUNK)], Some(n % CHUNK))
            }
        });
    }
    let mut jobs = Vec::new();
    if opts.fixed {
        jobs.push(Job::Fixed);
    }
    jobs.extend((0..opts.count.div_ceil(CHUNK)).map(Job::Chunk));
    if let Some((k, n)) = opts.shard {
        if n == 0 || k == 0 || k > n {
            return Err(Error::call(
                abicall::CallErrorKind::Other,
                None,
                format!("--shard {k}/{n}: expected K/N with 1 <= K <= N"),
            ));
        }
        jobs = jobs
            .into_iter()
            .enumerate()
            .filter(|(j, _)| j % n == k - 1)
            .map(|(_, job)| job)
            .collect();
    }
    Ok((jobs, None))
}

fn job_len(opts: &Options, job: Job, only: Option<usize>) -> usize {
    match (only, job) {
        (Some(_), _) => 1,
        (None, Job::Fixed) => super::fixed::fixed_cases(&mut abicall::types::Types::new(opts.target)).len(),
        (None, Job::Chunk(c)) => CHUNK.min(opts.count - c * CHUNK),
    }
}

/// The signatures of `job`.
pub fn batch_of(opts: &Options, job: Job) -> Batch {
    match job {
        Job::Fixed => signature::generate_fixed(opts.target, opts.seed),
        Job::Chunk(c) => signature::generate(opts.target, opts.seed, c * CHUNK, CHUNK, Limits::default()),
    }
}

/// Runs every check on one job.
fn run_job(opts: &Options, job: Job, only: Option<usize>, host_cc: Option<&std::path::Path>) -> Result<Summary> {
    let mut batch = batch_of(opts, job);
    let range = match (only, job) {
        (Some(k), _) => {
            if k >= batch.sigs.len() {
                return Err(Error::call(
                    abicall::CallErrorKind::Other,
                    None,
                    format!(
                        "--only: there are {} fixed cases (F0 to F{})",
                        batch.sigs.len(),
                        batch.sigs.len() - 1
                    ),
                ));
            }
            k..k + 1
        }
        (None, Job::Chunk(c)) => {
            batch.sigs.truncate(CHUNK.min(opts.count - c * CHUNK));
            0..batch.sigs.len()
        }
        (None, Job::Fixed) => 0..batch.sigs.len(),
    };
    let mut failures = Vec::new();
    let mut fast_path = 0;
    let mut jit = 0;
    let mut real_code = 0;
    if let Some(cc) = host_cc {
        // The oracle, abicall calling compiled code and the dump stub,
        // compiled code calling abicall: in a child process when isolated.
        let run = super::child::host_checks(opts, job, &batch, range.clone(), cc)?;
        failures.extend(run.failures);
        fast_path = run.fast_path;
        jit = run.jit;
        real_code = range.len();
    } else if opts.target == Target::Aarch64Apple && Target::host().map(Target::arch) == Some(Arch::Aarch64) {
        // Apple arm64 on an aarch64 host: abicall's own code for the Apple
        // plans, in this process (`super::apple`).
        let cc = host_compiler("gcc")?;
        let stub = super::dump::DumpStub::build(opts.target, &cc)?;
        let run = super::apple::run_range(&stub, &batch, range.clone(), &mut |_, _| {});
        failures.extend(run.failures);
        fast_path = run.fast_path;
        jit = run.jit;
    } else {
        failures.extend(oracle::run_range(&batch, range.clone())?);
    }
    if let Some(cc) = host_cc.filter(|_| opts.compiler != "gcc") {
        mark_compiler_divergence(&batch, range.clone(), cc, &opts.compiler, &mut failures)?;
    }
    failures.extend(layout::run_range(&batch, range.clone())?);
    let mut by_sig: BTreeMap<usize, Vec<Failure>> = BTreeMap::new();
    for f in failures {
        by_sig.entry(f.index).or_default().push(f);
    }
    let mut sum = Summary {
        total: range.len(),
        passed: range.len() - by_sig.len(),
        fast_path,
        jit,
        real_code,
        ..Summary::default()
    };
    for (k, fs) in by_sig {
        let known = fs.iter().all(|f| f.known_divergence.is_some());
        let report = report(opts, &batch, k, fs);
        if known {
            sum.divergent.push(report);
        } else {
            sum.failed.push(report);
        }
    }
    Ok(sum)
}

fn report(opts: &Options, batch: &Batch, k: usize, failures: Vec<Failure>) -> Report {
    let mut reproducers = Vec::new();
    let dirs: Vec<Direction> = failures.iter().map(|f| f.direction).collect();
    if dirs
        .iter()
        .any(|d| matches!(d, Direction::Call(_) | Direction::Callback(_) | Direction::Crash))
    {
        reproducers.push(super::csrc::reproducer(batch, k));
    }
    if dirs.iter().any(|d| {
        matches!(
            d,
            Direction::Oracle | Direction::Dump(_) | Direction::Replay(_) | Direction::Crash
        )
    }) {
        reproducers.push(oracle::reproducer(batch, k));
    }
    if dirs.contains(&Direction::Layout) {
        reproducers.push(format!(
            "/* layout check of {}: gcc -fsyntax-only layout.c */\n{}",
            batch.id(k),
            layout::static_asserts(batch, k..k + 1)
        ));
    }
    let compiler = if opts.compiler == "gcc" {
        String::new()
    } else {
        format!(" --compiler {}", opts.compiler)
    };
    Report {
        id: batch.id(k),
        prototype: batch.prototype(k),
        failures,
        reproducers,
        rerun: format!(
            "abicall abi-test --seed {} --target {}{compiler} --only {}",
            batch.seed,
            batch.types.target(),
            super::csrc::only_arg(batch, k)
        ),
    }
}

/// With another compiler than gcc: runs the register-dump oracle with that
/// compiler too. Where gcc's code agrees with the plan and the other
/// compiler's does not, the compilers disagree with each other: every
/// failure of that signature becomes a known divergence, with the other
/// compiler's register dump as the evidence.
fn mark_compiler_divergence(
    batch: &Batch,
    range: std::ops::Range<usize>,
    cc: &std::path::Path,
    name: &str,
    failures: &mut Vec<Failure>,
) -> Result<()> {
    let other = oracle::run_range_with(batch, range, Some(cc))?;
    for o in other {
        let gcc_ok = !failures
            .iter()
            .any(|f| f.index == o.index && matches!(f.direction, Direction::Oracle | Direction::Plan));
        if !gcc_ok {
            continue;
        }
        let why = format!(
            "gcc and {name} disagree on this signature: gcc's code matches the call plan, {name}'s register dump does not:\n{}",
            o.message
        );
        for f in failures.iter_mut().filter(|f| f.index == o.index) {
            f.known_divergence.get_or_insert_with(|| why.clone());
        }
        let mut f = Failure::new(o.index, Direction::Oracle, format!("({name}) {}", o.message));
        f.known_divergence = Some(why);
        failures.push(f);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces of a sharded sweep are disjoint and add up to the sweep.
    #[test]
    fn shards_partition_the_sweep() {
        let whole = Options::new(Target::Aarch64Linux, 7, 2 * CHUNK + 17);
        let (all, _) = plan_jobs(&whole).unwrap();
        let total: usize = all.iter().map(|j| job_len(&whole, *j, None)).sum();
        for n in 1..=5 {
            let mut seen = Vec::new();
            let mut sum = 0;
            for k in 1..=n {
                let mut o = whole.clone();
                o.shard = Some((k, n));
                let (jobs, _) = plan_jobs(&o).unwrap();
                sum += jobs.iter().map(|j| job_len(&o, *j, None)).sum::<usize>();
                seen.extend(jobs.iter().map(|j| format!("{j:?}")));
            }
            assert_eq!(sum, total, "{n} shards");
            seen.sort();
            let mut want: Vec<String> = all.iter().map(|j| format!("{j:?}")).collect();
            want.sort();
            assert_eq!(seen, want, "{n} shards");
        }
        let mut bad = whole.clone();
        bad.shard = Some((3, 2));
        assert!(plan_jobs(&bad).is_err());
        bad.shard = Some((1, 2));
        bad.only = Some("5".into());
        assert!(plan_jobs(&bad).is_err());
    }
}
