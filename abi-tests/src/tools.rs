//! External tools: C compilers and qemu looked up on `PATH` (an error names
//! the package to install), and unique temporary directories.

use abicall::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Looks `name` up on `PATH`; the error says how to install it.
pub fn find_tool(name: &str, package: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::io_msg(format!(
                "`{name}` not found on PATH: run `apt-get install -y {package}`"
            ))
        })
}

/// The machine's architecture as `uname -m` prints it in a child process.
/// An aarch64 build of abicall may run under qemu-user on an x86_64 machine:
/// qemu fakes `uname` for the emulated process only, and the machine runs
/// its own programs (gcc, qemu) natively but cannot exec aarch64 ones.
pub fn machine_arch() -> &'static str {
    static ARCH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ARCH.get_or_init(|| {
        Command::new("uname")
            .arg("-m")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|_| std::env::consts::ARCH.to_string())
    })
}

/// Whether this process runs emulated (built for another architecture than the machine's).
pub fn emulated() -> bool {
    machine_arch() != std::env::consts::ARCH
}

/// The C compiler named `name` (`gcc` or `clang`) for the host target:
/// the machine's own, or `aarch64-linux-gnu-gcc` for an aarch64 build
/// running under qemu-user.
pub fn host_compiler(name: &str) -> Result<PathBuf> {
    let cross = emulated() && std::env::consts::ARCH == "aarch64";
    match name {
        "gcc" if cross => find_tool("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
        "gcc" => find_tool("gcc", "gcc"),
        "clang" if cross => Err(Error::io_msg(
            "--compiler clang: the aarch64 build under qemu-user checks gcc's code (aarch64-linux-gnu-gcc)",
        )),
        "clang" => find_tool("clang", "clang"),
        other => Err(Error::io_msg(format!("unknown compiler `{other}` (use gcc or clang)"))),
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
        _ if Path::new("/lib/aarch64-linux-gnu/libc.so.6").exists() => "/".into(),
        _ => "/usr/aarch64-linux-gnu".into(),
    }
}

/// A command running `exe`, a dynamically linked program built by
/// [`host_compiler`]: directly, or, for an aarch64 build under qemu-user,
/// under `qemu-aarch64-static` with the cross toolchain's libraries.
pub fn host_exe_command(exe: &Path) -> Result<Command> {
    if emulated() && std::env::consts::ARCH == "aarch64" {
        let mut c = Command::new(find_tool("qemu-aarch64-static", "qemu-user-static")?);
        c.arg("-L").arg(qemu_ld_prefix()).arg(exe);
        Ok(c)
    } else {
        Ok(Command::new(exe))
    }
}

/// The command that re-executes `exe`, this process's own binary, as a
/// conformance child ([`super::Options::child`]): `exe` itself, or for an
/// aarch64 build under qemu-user (the kernel cannot run it without
/// binfmt_misc) `qemu-aarch64-static -L <prefix> exe`.
pub fn self_command(exe: PathBuf) -> Vec<std::ffi::OsString> {
    let qemu = (emulated() && std::env::consts::ARCH == "aarch64")
        .then(|| find_tool("qemu-aarch64-static", "qemu-user-static").ok())
        .flatten();
    match qemu {
        Some(q) => vec![
            q.into_os_string(),
            "-L".into(),
            qemu_ld_prefix().into(),
            exe.into_os_string(),
        ],
        None => vec![exe.into_os_string()],
    }
}

/// A directory under `std::env::temp_dir()` unique to this process and
/// call, removed on drop unless `ABICALL_KEEP_TMP` is set.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `<tmp>/abicall-<prefix>-<pid>-<n>`.
    pub fn new(prefix: &str) -> Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("abicall-{prefix}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        Ok(TempDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("ABICALL_KEEP_TMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes `src` to `dir/name.c` and runs `cc args... file.c`; the error
/// carries the compiler's messages.
pub fn compile(cc: &Path, dir: &Path, name: &str, src: &str, args: &[&str]) -> Result<PathBuf> {
    let cfile = dir.join(format!("{name}.c"));
    std::fs::write(&cfile, src).map_err(|e| Error::io(format!("cannot write {}", cfile.display()), e))?;
    let out = Command::new(cc)
        .args(args)
        .arg(&cfile)
        .output()
        .map_err(|e| Error::io(format!("cannot run {}", cc.display()), e))?;
    if !out.status.success() {
        return Err(Error::io_msg(format!(
            "{} failed on {}:\n{}",
            cc.display(),
            cfile.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(cfile)
}

/// Runs `cmd` with stdout captured, killing it after `limit` (a wrong plan
/// can make a generated program corrupt its memory and hang). Returns
/// whether it exited successfully, and its stdout.
pub fn run_with_timeout(cmd: &mut Command, limit: std::time::Duration) -> Result<(bool, Vec<u8>)> {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| Error::io(format!("cannot run {:?}", cmd.get_program()), e))?;
    let mut out = child.stdout.take().ok_or_else(|| Error::io_msg("no stdout pipe"))?;
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let start = std::time::Instant::now();
    let ok = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st.success(),
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(5)),
            Err(e) => return Err(Error::io(format!("waiting for {:?}", cmd.get_program()), e)),
        }
    };
    let stdout = reader.join().unwrap_or_default();
    Ok((ok, stdout))
}
