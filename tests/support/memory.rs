//! Shared helpers for the memory_* and library_* tests: temp dirs and the C
//! compiler as the oracle.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, unique per test process and call.
pub fn tmpdir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let d = std::env::temp_dir().join(format!(
        "abicall-mem-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

fn gcc() -> &'static str {
    let ok = Command::new("gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "gcc not found: run `apt-get install -y gcc`");
    "gcc"
}

fn run_gcc(args: &[&str], src_path: &Path) {
    let out = Command::new(gcc()).args(args).arg(src_path).output().expect("run gcc");
    assert!(
        out.status.success(),
        "gcc failed on {}:\n{}",
        src_path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compiles `src` as a program with the machine's gcc (the x86_64 oracle of
/// the target-explicit memory tests), runs it and returns its stdout.
pub fn compile_run(tag: &str, src: &str) -> String {
    let d = tmpdir(tag);
    let c = d.join("main.c");
    std::fs::write(&c, src).expect("write C source");
    let exe = d.join("main");
    run_gcc(&["-O0", "-w", "-o", exe.to_str().unwrap()], &c);
    let out = Command::new(&exe).output().expect("run compiled C program");
    assert!(
        out.status.success(),
        "C program failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&d);
    String::from_utf8(out.stdout).expect("utf8 output")
}

use super::host;

/// Compiles `src` into a shared object for the host this test runs on (to
/// load into the test process: `aarch64-linux-gnu-gcc` for an aarch64 test
/// binary under qemu-user); returns its path (the directory is left in place
/// for the test to load from).
pub fn compile_so(tag: &str, src: &str) -> PathBuf {
    let d = tmpdir(tag);
    let c = d.join("lib.c");
    std::fs::write(&c, src).expect("write C source");
    let so = d.join(format!("lib{tag}.so"));
    let cc = host::host_gcc();
    let out = Command::new(cc)
        .args(["-shared", "-fPIC", "-O0", "-o", so.to_str().unwrap()])
        .arg(&c)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc} ({e}): run `apt-get install -y gcc gcc-aarch64-linux-gnu`"));
    assert!(
        out.status.success(),
        "{cc} failed on {}:\n{}",
        c.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    so
}

/// Parses a string of hex digit pairs into bytes.
pub fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex byte"))
        .collect()
}

/// Compiles `src` with aarch64-linux-gnu-gcc (static) and runs it under
/// qemu-aarch64-static; returns stdout.
pub fn compile_run_aarch64(tag: &str, src: &str) -> String {
    let ok = Command::new("aarch64-linux-gnu-gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "aarch64-linux-gnu-gcc not found: run `apt-get install -y gcc-aarch64-linux-gnu`"
    );
    let ok = Command::new("qemu-aarch64-static")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "qemu-aarch64-static not found: run `apt-get install -y qemu-user-static`"
    );
    let d = tmpdir(tag);
    let c = d.join("main.c");
    std::fs::write(&c, src).expect("write C source");
    let exe = d.join("main");
    let out = Command::new("aarch64-linux-gnu-gcc")
        .args(["-O0", "-w", "-static", "-o", exe.to_str().unwrap()])
        .arg(&c)
        .output()
        .expect("run aarch64-linux-gnu-gcc");
    assert!(
        out.status.success(),
        "aarch64 gcc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("qemu-aarch64-static")
        .arg("-L")
        .arg(super::host::qemu_ld_prefix())
        .arg(&exe)
        .output()
        .expect("run qemu-aarch64-static");
    assert!(
        out.status.success(),
        "aarch64 program failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&d);
    String::from_utf8(out.stdout).expect("utf8 output")
}
