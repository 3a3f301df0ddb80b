//! The C fixture library (`c-fixtures/*.c`, declarations in
//! `c-fixtures/abi_cases.h`), built at test time with the system C compiler
//! through the `cc` crate's compiler detection, once per test binary and
//! compiler.
//!
//! Include it from an integration test with
//! `#[path = "support/fixtures.rs"] mod fixtures;` and call
//! [`fixtures_so`] for the path of the shared object to load.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The `c-fixtures` directory of this crate.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("c-fixtures")
}

/// Path of `c-fixtures/abi_cases.h`, the declarations of every fixture.
pub fn fixtures_header_path() -> PathBuf {
    fixtures_dir().join("abi_cases.h")
}

/// The text of `c-fixtures/abi_cases.h`: plain C declarations (no
/// preprocessor lines), meant to be given to abicall's cdef parser.
pub fn fixtures_header() -> String {
    let path = fixtures_header_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The fixture library's C sources (`c-fixtures/*.c`), sorted.
pub fn fixture_sources() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    v.sort();
    v
}

pub use super::host;

/// The fixture library built with the host's gcc (the ABI oracle for the
/// architecture the test runs on: `gcc`, or `aarch64-linux-gnu-gcc` for an
/// aarch64 test binary under qemu-user, see [`host::host_gcc`]).
pub fn fixtures_so() -> PathBuf {
    fixtures_so_with(host::host_gcc())
}

/// The fixture library built with `compiler` (`"gcc"`, `"clang"`, or a cross
/// compiler such as `"aarch64-linux-gnu-gcc"`, which builds for aarch64).
/// Built once per test binary and compiler; panics with the build output if
/// the build fails and with the install command if the compiler is missing.
pub fn fixtures_so_with(compiler: &str) -> PathBuf {
    built(compiler).path
}

/// What the compiler printed while building [`fixtures_so_with`]`(compiler)`
/// with `-Wall -Wextra` (empty when the fixtures are warning-free).
pub fn fixtures_build_warnings(compiler: &str) -> String {
    built(compiler).warnings
}

/// A directory private to this test process under cargo's target tmpdir,
/// created on first use. Directories left by earlier test processes that
/// are no longer running are removed then.
pub fn work_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale_dirs(root);
        let dir = root.join(format!("c-fixtures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        dir
    })
    .clone()
}

/// The target triple `compiler` builds for: the host's, unless the compiler
/// name starts with another architecture (`aarch64-linux-gnu-gcc`).
pub fn triple_for(compiler: &str) -> String {
    let arch = ["x86_64", "aarch64"]
        .into_iter()
        .find(|a| compiler.starts_with(&format!("{a}-")))
        .unwrap_or(std::env::consts::ARCH);
    format!("{arch}-unknown-linux-gnu")
}

/// A `Command` running `compiler` with the flags the `cc` crate uses for
/// position-independent `-O2` code for its target (see [`triple_for`]), plus
/// `-pthread -Wall -Wextra`. Panics with the install command if the compiler
/// is not installed.
pub fn compiler_command(compiler: &str) -> Command {
    require_tool(compiler);
    let triple = triple_for(compiler);
    let tool = cc::Build::new()
        .compiler(compiler)
        .opt_level(2)
        .debug(false)
        .pic(true)
        .warnings(false)
        .target(&triple)
        .host(&triple)
        .out_dir(work_dir())
        .cargo_metadata(false)
        .cargo_warnings(false)
        .emit_rerun_if_env_changed(false)
        .try_get_compiler()
        .unwrap_or_else(|e| panic!("cc crate cannot configure `{compiler}`: {e}"));
    let mut cmd = tool.to_command();
    if compiler == "clang" && triple.starts_with("aarch64") && host::emulated() {
        // The Debian triple: clang then finds the cross toolchain's
        // headers, libraries and linker (aarch64-linux-gnu-ld).
        cmd.arg("--target=aarch64-linux-gnu");
    }
    cmd.args(["-pthread", "-Wall", "-Wextra"]);
    cmd
}

/// Panics unless `program --version` runs, naming the package to install.
pub fn require_tool(program: &str) {
    if Command::new(program).arg("--version").output().is_err() {
        panic!("{program} not found: run `apt-get install -y {}`", package_of(program));
    }
}

/// The Debian package that provides `program`.
pub fn package_of(program: &str) -> &'static str {
    match program {
        "clang" => "clang",
        "aarch64-linux-gnu-gcc" => "gcc-aarch64-linux-gnu",
        "qemu-aarch64-static" => "qemu-user-static",
        _ => "gcc",
    }
}

#[derive(Clone)]
struct Built {
    path: PathBuf,
    warnings: String,
}

fn built(compiler: &str) -> Built {
    static CACHE: OnceLock<Mutex<HashMap<String, Built>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    // A test that panicked while holding the lock leaves it poisoned; the
    // map itself is still consistent (entries are inserted whole).
    let mut map = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(b) = map.get(compiler) {
        return b.clone();
    }
    let b = build(compiler);
    map.insert(compiler.to_string(), b.clone());
    b
}

fn build(compiler: &str) -> Built {
    let dir = work_dir().join(compiler);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let out = dir.join("libfixtures.so");
    let mut cmd = compiler_command(compiler);
    cmd.arg("-shared").arg("-o").arg(&out).args(fixture_sources());
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        panic!("building the C fixtures failed: {cmd:?}\n{stderr}");
    }
    Built {
        path: out,
        warnings: stderr,
    }
}

fn remove_stale_dirs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("c-fixtures-")) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The repository root: the nearest ancestor of the test crate's manifest
/// directory that holds `c-fixtures/` (the root package, or two levels up
/// from `crates/abicall-*`, whose test binaries include this file too).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("c-fixtures").is_dir())
        .unwrap_or_else(|| panic!("no c-fixtures/ above {}", manifest.display()))
        .to_path_buf()
}
