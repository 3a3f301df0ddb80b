//! Shared by the `examples_*` tests: build the examples once, run one.
#![allow(dead_code)] // each test binary uses a subset

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

pub use crate::support::host;

/// The directory holding the built `abicall` binary (`target/debug`).
fn profile_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_abicall"))
        .parent()
        .expect("binary has a directory")
        .to_path_buf()
}

/// Builds every example once per test binary (a no-op when up to date) and
/// returns the path of example `name`.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let mut c = Command::new(env!("CARGO"));
        c.args(["build", "--quiet", "--examples"]).current_dir(crate::ROOT);
        if profile_dir().file_name().is_some_and(|n| n == "release") {
            c.arg("--release");
        }
        // A cross build (target/<triple>/<profile>): the examples for that target.
        let triple = profile_dir()
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        if let Some(t) = triple.filter(|t| t.contains("-linux-")) {
            c.args(["--target", &t]);
        }
        let out = c.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "cargo build --examples failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    });
    if let Err(e) = built {
        panic!("{e}");
    }
    let p = profile_dir().join("examples").join(name);
    assert!(p.is_file(), "example binary {} missing after build", p.display());
    p
}

/// Runs example `name` with `args` and returns its output.
pub fn run(name: &str, args: &[&str]) -> Output {
    host::exe_command(example(name))
        .args(args)
        .current_dir(crate::ROOT)
        .output()
        .unwrap_or_else(|e| panic!("cannot run example {name}: {e}"))
}

/// A fresh temporary directory for one test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("abicall-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// stdout as text (examples print UTF-8).
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
