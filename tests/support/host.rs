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

/// A command running `exe`, a program built for this test binary's
/// architecture: directly, or under `qemu-aarch64-static` with the cross
/// toolchain's libraries when emulated.
pub fn exe_command(exe: impl AsRef<OsStr>) -> Command {
    if emulated() && std::env::consts::ARCH == "aarch64" {
        let mut c = Command::new("qemu-aarch64-static");
        c.args(["-L", "/usr/aarch64-linux-gnu"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}
