//! The machine a test binary runs on. An aarch64 test binary may run under
//! qemu-user on an x86_64 machine (`scripts/test.sh`, the cargo `runner`):
//! it then builds C with `aarch64-linux-gnu-gcc` and runs aarch64 programs
//! under `qemu-aarch64-static` (the machine cannot exec them), while
//! programs of the machine's own architecture (gcc, uname) run natively.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::process::Command;
use std::sync::OnceLock;

/// The machine's architecture as `uname -m` prints it in a child process
/// (qemu-user fakes `uname` for the emulated process only).
pub fn machine_arch() -> &'static str {
    static ARCH: OnceLock<String> = OnceLock::new();
    ARCH.get_or_init(|| {
        let out = Command::new("uname")
            .arg("-m")
            .output()
            .unwrap_or_else(|e| panic!("cannot run `uname -m`: {e}"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    })
}

/// Whether this test binary runs emulated (its architecture is not the machine's).
pub fn emulated() -> bool {
    machine_arch() != std::env::consts::ARCH
}

/// The gcc that builds code for the architecture this test binary is
/// compiled for: `gcc`, or the cross gcc when emulated.
pub fn host_gcc() -> &'static str {
    match (emulated(), std::env::consts::ARCH) {
        (true, "aarch64") => "aarch64-linux-gnu-gcc",
        (true, "x86_64") => "x86_64-linux-gnu-gcc",
        _ => "gcc",
    }
}

/// The root under which qemu-user looks up an aarch64 program's loader and
/// libraries: `ABICALL_QEMU_LD_PREFIX` (set by `scripts/aarch64-env.sh`),
/// else `/` when Debian's `libc6:arm64` is installed (the rustc-web route
/// pulls it in), else the cross toolchain's sysroot `/usr/aarch64-linux-gnu`.
/// One glibc for loader and libc: a mixed pair hangs every fork and thread.
pub fn qemu_ld_prefix() -> String {
    match std::env::var("ABICALL_QEMU_LD_PREFIX") {
        Ok(p) if !p.is_empty() => p,
        _ if std::path::Path::new("/lib/aarch64-linux-gnu/libc.so.6").exists() => "/".into(),
        _ => "/usr/aarch64-linux-gnu".into(),
    }
}

/// A command running `exe`, a program built for this test binary's
/// architecture: directly, or under `qemu-aarch64-static` with the
/// libraries of [`qemu_ld_prefix`] when emulated.
pub fn exe_command(exe: impl AsRef<OsStr>) -> Command {
    if emulated() && std::env::consts::ARCH == "aarch64" {
        let mut c = Command::new("qemu-aarch64-static");
        c.arg("-L").arg(qemu_ld_prefix()).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

/// Runs `cmd` to completion like [`Command::output`], but kills it (and the
/// processes it started) after `limit` and panics naming `what`: a hung
/// child fails its test instead of stalling the whole run.
pub fn output_within(cmd: &mut Command, limit: std::time::Duration, what: &str) -> std::process::Output {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot run {:?}: {e}", cmd.get_program()));
    let mut pipes = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = pipes.0.read_to_end(&mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = pipes.1.read_to_end(&mut v);
        v
    });
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if start.elapsed() > limit => {
                // The whole process group: grandchildren (gcc, qemu) hold the pipes too.
                let _ = Command::new("kill")
                    .args(["-KILL", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                let stdout = out.join().unwrap_or_default();
                panic!(
                    "{what}: did not finish within {} s and was killed (under qemu-user a hang \
                     usually means a mixed glibc: see scripts/aarch64-env.sh); it printed:\n{}",
                    limit.as_secs(),
                    String::from_utf8_lossy(&stdout)
                );
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => panic!("{what}: waiting failed: {e}"),
        }
    };
    std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}
