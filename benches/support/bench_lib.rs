//! The benchmark callees (`benches/support/bench_fns.c`), built once per
//! bench process with the fixtures' compiler command and loaded.
#![allow(dead_code)]

#[path = "../../tests/support/fixtures.rs"]
mod fixtures;
// `fixtures` uses the host helpers of its parent module.
#[path = "../../tests/support/host.rs"]
pub mod host;

use std::ffi::c_void;
use std::path::PathBuf;

/// Builds `bench_fns.c` into a shared object and loads it.
pub fn load() -> libloading::Library {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/support/bench_fns.c");
    let out = fixtures::work_dir().join("libbench_fns.so");
    let mut cmd = fixtures::compiler_command("gcc");
    cmd.arg("-shared").arg("-o").arg(&out).arg(&src);
    let o = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        o.status.success(),
        "building {}: {}",
        src.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    // SAFETY: the library has no initialisers.
    unsafe { libloading::Library::new(out) }.unwrap()
}

/// The address of `name` in `lib` (or libc when `lib` is `None`).
pub fn sym(lib: Option<&libloading::Library>, name: &str) -> *const c_void {
    // SAFETY: only the address is taken.
    unsafe {
        match lib {
            Some(l) => *l.get::<*const c_void>(name.as_bytes()).unwrap(),
            None => *libloading::os::unix::Library::this()
                .get::<*const c_void>(name.as_bytes())
                .unwrap(),
        }
    }
}
