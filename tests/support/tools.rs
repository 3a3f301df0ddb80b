//! External tools for tests: the C compilers and qemu, found on `PATH` or the
//! test fails with the command that installs them (never a silent skip), and
//! unique temporary directories removed on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Looks `name` up on `PATH`; panics with `install` (a shell command) when it is missing.
pub fn find_tool(name: &str, install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!("`{name}` not found on PATH: run `{install}`");
}

/// The host gcc (x86_64 here).
pub fn gcc() -> PathBuf {
    find_tool("gcc", "apt-get install -y gcc")
}

/// The aarch64 Linux cross compiler.
pub fn aarch64_gcc() -> PathBuf {
    find_tool("aarch64-linux-gnu-gcc", "apt-get install -y gcc-aarch64-linux-gnu")
}

/// The aarch64 user-mode emulator for static binaries.
pub fn qemu_aarch64() -> PathBuf {
    find_tool("qemu-aarch64-static", "apt-get install -y qemu-user-static")
}

/// The conformance crate's temporary directory (removed on drop unless
/// `ABICALL_KEEP_TMP` is set): one implementation for the tests and the oracle.
pub use abicall_conformance::tools::TempDir;

/// Runs `cmd`, panicking with `what` if it cannot be started. The caller looks at the status.
pub fn run(cmd: &mut Command, what: &str) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"))
}
