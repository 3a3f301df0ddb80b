//! Crash isolation: the in-process checks of a chunk on the host target
//! (abicall calling compiled code, compiled code calling abicall callbacks,
//! abicall calling the register-dump stub; [`super::host`],
//! [`super::dump`]) run in a child process — the running binary re-executed
//! with [`ENV`] set — which reports each failure and, before each call into
//! compiled code, which signature and tier it is in. When the child dies
//! (a wrong plan can corrupt the stack) or hangs, the signature it was in
//! becomes a [`Direction::Crash`] failure and the rest of the chunk runs in
//! a new child.
//!
//! A binary that runs conformance checks isolated calls [`serve_if_child`]
//! first thing (`abicall` in `main`, the conformance test binary in a test
//! named `child`) and sets [`super::Options::child`] to the command that
//! re-executes it.

use super::oracle::{self, CompilerDump};
use super::runner::{batch_of, Job, Options};
use super::signature::Batch;
use super::tools::{host_compiler, TempDir};
use super::{dump, host, Direction, Failure};
use abicall::error::{Error, Result};
use abicall::Target;
use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that makes a binary a conformance child: the
/// work, as `seed;target;compiler;job;start;end;oracle;host_from;dump_from`.
pub const ENV: &str = "ABICALL_CONF_CHILD";

/// How long one child may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(600);

/// Where a chunk's in-process work starts: the oracle (run once, for its
/// failures and the compiler's dumps), then the host checks from
/// `host_from`, then the dump-stub checks from `dump_from`.
#[derive(Clone, Copy, Debug)]
struct Resume {
    oracle: bool,
    host_from: usize,
    dump_from: usize,
}

/// What the in-process work reports.
enum Event<'a> {
    Fail(Failure),
    Fast(usize),
    Jit(usize),
    Step(&'static str, usize, &'a str),
}

/// The outcome of [`host_checks`].
#[derive(Debug, Default)]
pub struct HostChecks {
    /// One entry per failing signature and check.
    pub failures: Vec<Failure>,
    /// Signatures that also ran through the fast path.
    pub fast_path: usize,
    /// Signatures that also ran through the JIT tier.
    pub jit: usize,
}

/// The oracle with the target's gcc, then the real-code and dump-stub
/// checks of signatures `range` of `batch` (host target, compiled by `cc`):
/// in a child process when `opts.child` is set, in this process otherwise.
pub fn host_checks(opts: &Options, job: Job, batch: &Batch, range: Range<usize>, cc: &Path) -> Result<HostChecks> {
    let mut out = HostChecks::default();
    static NO_EXEC: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let cmd = opts
        .child
        .as_ref()
        .filter(|_| !NO_EXEC.load(std::sync::atomic::Ordering::Relaxed));
    let Some(cmd) = cmd else {
        let resume = Resume {
            oracle: true,
            host_from: range.start,
            dump_from: range.start,
        };
        work(batch, range, cc, resume, &mut |e| match e {
            Event::Fail(f) => out.failures.push(f),
            Event::Fast(n) => out.fast_path += n,
            Event::Jit(n) => out.jit += n,
            Event::Step(..) => {}
        })?;
        return Ok(out);
    };
    let mut resume = Resume {
        oracle: true,
        host_from: range.start,
        dump_from: range.start,
    };
    loop {
        let spec = format!(
            "{};{};{};{};{};{};{};{};{}",
            opts.seed,
            opts.target,
            opts.compiler,
            match job {
                Job::Fixed => "F".to_string(),
                Job::Chunk(c) => c.to_string(),
            },
            range.start,
            range.end,
            u8::from(resume.oracle),
            resume.host_from,
            resume.dump_from
        );
        let spawned = spawn(cmd, &spec);
        // The binary cannot re-execute itself (under qemu-user without
        // binfmt_misc the kernel cannot run it): the checks run in this
        // process, as with `--no-isolation`, and the run says so once.
        let cannot_exec = match &spawned {
            Err(_) => true,
            Ok((status, out)) => status.contains("status 127") && !out.windows(7).any(|w| w == b"@@conf ".as_slice()),
        };
        if cannot_exec && resume.oracle && resume.host_from == range.start {
            if !NO_EXEC.swap(true, std::sync::atomic::Ordering::Relaxed) {
                eprintln!(
                    "abicall abi-test: cannot re-execute {:?} for crash isolation; running the calls in this process",
                    cmd[0]
                );
            }
            let mut inline = opts.clone();
            inline.child = None;
            return host_checks(&inline, job, batch, range, cc);
        }
        let (status, stdout) = spawned?;
        let mut last: Option<(String, usize, String)> = None;
        let mut done = false;
        for line in String::from_utf8_lossy(&stdout).lines() {
            let Some(rest) = line.strip_prefix("@@conf ") else {
                continue;
            };
            let w: Vec<&str> = rest.splitn(5, ' ').collect();
            match w.as_slice() {
                ["step", phase, k, what] => last = Some((phase.to_string(), k.parse().unwrap_or(0), unhex(what))),
                ["fail", k, dir, known, msg] => {
                    let (Ok(k), Some(dir)) = (k.parse(), Direction::from_code(dir)) else {
                        continue;
                    };
                    let mut f = Failure::new(k, dir, unhex(msg));
                    f.known_divergence = (*known != "-").then(|| unhex(known));
                    out.failures.push(f);
                }
                ["fast", n] => out.fast_path += n.parse::<usize>().unwrap_or(0),
                ["jit", n] => out.jit += n.parse::<usize>().unwrap_or(0),
                ["done"] => done = true,
                _ => {}
            }
        }
        if done {
            return Ok(out);
        }
        let Some((phase, k, what)) = last else {
            return Err(Error::call(
                abicall::CallErrorKind::Other,
                None,
                format!(
                    "conformance child process for {} ended ({status}) before its first call: {}",
                    batch.id(range.start),
                    String::from_utf8_lossy(&stdout).trim()
                ),
            ));
        };
        let from = if phase == "host" {
            resume.host_from
        } else {
            resume.dump_from
        };
        if k < from || !range.contains(&k) {
            return Err(Error::call(
                abicall::CallErrorKind::Other,
                None,
                format!(
                    "conformance child process {status} in {} ({phase} check), which it was not asked to run",
                    batch.id(k)
                ),
            ));
        }
        out.failures.push(Failure::new(
            k,
            Direction::Crash,
            format!(
                "abicall {status} while running this signature ({} check, {what}); \
                 the rest of the chunk ran in a new child process",
                if phase == "host" {
                    "real-code"
                } else {
                    "register-dump stub"
                }
            ),
        ));
        resume = if phase == "host" {
            Resume {
                oracle: false,
                host_from: k + 1,
                dump_from: range.start,
            }
        } else {
            Resume {
                oracle: false,
                host_from: range.end,
                dump_from: k + 1,
            }
        };
    }
}

/// The in-process work: oracle (when `resume.oracle`), host checks, dump checks.
fn work(batch: &Batch, range: Range<usize>, cc: &Path, resume: Resume, sink: &mut dyn FnMut(Event)) -> Result<()> {
    let run = oracle::run_range_dumps(batch, range.clone(), None)?;
    if resume.oracle {
        for f in run.failures {
            sink(Event::Fail(f));
        }
    }
    let dumps: HashMap<usize, CompilerDump> = run.dumps;
    if resume.host_from < range.end {
        let r = host::run_range_steps(batch, resume.host_from..range.end, cc, &mut |k, what| {
            sink(Event::Step("host", k, what))
        })?;
        sink(Event::Fast(r.fast_path));
        sink(Event::Jit(r.jit));
        for f in r.failures {
            sink(Event::Fail(f));
        }
    }
    if resume.dump_from < range.end {
        let stub = dump::DumpStub::build(batch.types.target(), cc)?;
        let fs = dump::run_range(&stub, batch, resume.dump_from..range.end, &dumps, &mut |k, what| {
            sink(Event::Step("dump", k, what))
        });
        for f in fs {
            sink(Event::Fail(f));
        }
    }
    Ok(())
}

/// Runs `cmd` with [`ENV`] = `spec`, stdout captured, killed after
/// [`LIMIT`]; returns how it ended and its stdout.
fn spawn(cmd: &[std::ffi::OsString], spec: &str) -> Result<(String, Vec<u8>)> {
    use std::io::Read;
    let (prog, args) = cmd
        .split_first()
        .ok_or_else(|| Error::call(abicall::CallErrorKind::Other, None, "empty child command"))?;
    // The child's output goes to a file: a pipe would need a reader thread,
    // and a crashed child's last lines must not be lost.
    let dir = TempDir::new("conf-child")?;
    let path = dir.path().join("out");
    let file =
        std::fs::File::create(&path).map_err(|e| Error::io_msg(format!("cannot create {}: {e}", path.display())))?;
    let mut child = Command::new(prog)
        .args(args)
        .env(ENV, spec)
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::io_msg(format!("cannot run {prog:?}: {e}")))?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break describe(st),
            Ok(None) if start.elapsed() > LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                break format!("hung (killed after {} s)", LIMIT.as_secs());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(Error::io_msg(format!("waiting for {prog:?}: {e}"))),
        }
    };
    let mut out = Vec::new();
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_to_end(&mut out))
        .map_err(|e| Error::io_msg(format!("cannot read {}: {e}", path.display())))?;
    Ok((status, out))
}

fn describe(st: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (_, Some(s)) => format!(
            "crashed (signal {s}{})",
            match s {
                4 => ", SIGILL",
                6 => ", SIGABRT",
                7 => ", SIGBUS",
                8 => ", SIGFPE",
                11 => ", SIGSEGV",
                _ => "",
            }
        ),
        (Some(c), None) => format!("exited with status {c} mid-run"),
        (None, None) => "ended".into(),
    }
}

fn hex(s: &str) -> String {
    if s.is_empty() {
        return "=".into();
    }
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> String {
    let b: Vec<u8> = (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    String::from_utf8_lossy(&b).into_owned()
}

/// When [`ENV`] is set: runs the work it names, reports on stdout, and
/// returns the exit code (0 when the work ran, whatever it found; 2 when it
/// could not run). `None` when this process is not a child.
pub fn serve_if_child() -> Option<i32> {
    let spec = std::env::var(ENV).ok()?;
    let mut stdout = std::io::stdout().lock();
    match serve(&spec, &mut stdout) {
        Ok(()) => {
            let _ = writeln!(stdout, "@@conf done");
            let _ = stdout.flush();
            Some(0)
        }
        Err(e) => {
            let _ = stdout.flush();
            eprintln!("conformance child: {e}");
            Some(2)
        }
    }
}

fn serve(spec: &str, out: &mut dyn Write) -> Result<()> {
    let bad = || Error::call(abicall::CallErrorKind::Other, None, format!("bad {ENV} value `{spec}`"));
    let w: Vec<&str> = spec.split(';').collect();
    let [seed, target, compiler, job, start, end, orc, host_from, dump_from] = w.as_slice() else {
        return Err(bad());
    };
    let num = |s: &str| s.parse::<usize>().map_err(|_| bad());
    let target: Target = target.parse().map_err(|_| bad())?;
    let mut opts = Options::new(target, seed.parse().map_err(|_| bad())?, 0);
    opts.compiler = compiler.to_string();
    let job = match *job {
        "F" => Job::Fixed,
        c => Job::Chunk(num(c)?),
    };
    let batch = batch_of(&opts, job);
    let range = num(start)?..num(end)?.min(batch.sigs.len());
    let resume = Resume {
        oracle: *orc == "1",
        host_from: num(host_from)?,
        dump_from: num(dump_from)?,
    };
    let cc = host_compiler(compiler)?;
    let mut io = Ok(());
    work(&batch, range, &cc, resume, &mut |e| {
        let r = match e {
            Event::Fail(f) => writeln!(
                out,
                "@@conf fail {} {} {} {}",
                f.index,
                f.direction.code(),
                f.known_divergence.as_deref().map_or("-".to_string(), hex),
                hex(&f.message)
            ),
            Event::Fast(n) => writeln!(out, "@@conf fast {n}"),
            Event::Jit(n) => writeln!(out, "@@conf jit {n}"),
            // Flushed before the call: if it crashes, the parent knows where.
            Event::Step(phase, k, what) => {
                writeln!(out, "@@conf step {phase} {k} {}", hex(what)).and_then(|()| out.flush())
            }
        };
        if io.is_ok() {
            io = r;
        }
    })?;
    io.map_err(|e| Error::io_msg(format!("conformance child: cannot write its report: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that dies is a `crash` failure of the signature it was in,
    /// and the rest of the chunk runs in a new child.
    #[test]
    fn a_crashing_child_names_the_signature() {
        let mut opts = Options::new(Target::X86_64SysV, 3, 10);
        // A stand-in child: dies with SIGSEGV in signature 2 of the first
        // run, finishes the resumed run.
        let script = "case \"$ABICALL_CONF_CHILD\" in\n\
            *';1;0;0') echo '@@conf step host 1 6c6962666669'; echo '@@conf step host 2 66617374'; kill -SEGV $$;;\n\
            *';0;3;0') echo '@@conf fail 4 call:fast - 6f6f7073'; echo '@@conf fast 2'; echo '@@conf done';;\n\
            esac";
        opts.child = Some(vec!["sh".into(), "-c".into(), script.into()]);
        let batch = batch_of(&opts, Job::Chunk(0));
        let cc = Path::new("gcc");
        let r = host_checks(&opts, Job::Chunk(0), &batch, 0..10, cc).unwrap();
        assert_eq!(r.fast_path, 2);
        assert_eq!(r.failures.len(), 2, "{:?}", r.failures);
        let crash = &r.failures[0];
        assert_eq!((crash.index, crash.direction), (2, Direction::Crash));
        assert!(
            crash.message.contains("signal 11, SIGSEGV") && crash.message.contains("fast"),
            "{}",
            crash.message
        );
        assert_eq!(
            (r.failures[1].index, r.failures[1].direction),
            (4, Direction::Call("fast"))
        );
        assert_eq!(r.failures[1].message, "oops");
    }
}
