//! The `conformance` test binary: one module per concern, one shared support module.

mod aarch64;
mod x86_64;

/// The conformance child process: the sweeps re-execute this binary with
/// `--exact child` and `ABICALL_CONF_CHILD` set (crash isolation,
/// `abicall_conformance::child`); run normally, it does nothing.
#[test]
fn child() {
    if let Some(code) = abicall_conformance::child::serve_if_child() {
        std::process::exit(code);
    }
}

/// The command that re-executes this test binary as a conformance child.
pub fn child_command() -> Vec<std::ffi::OsString> {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = abicall_conformance::tools::self_command(exe);
    cmd.extend(["--exact".into(), "child".into(), "--test-threads=1".into()]);
    cmd
}
