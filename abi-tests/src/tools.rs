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
            Error::Io(format!(
                "`{name}` not found on PATH: run `apt-get install -y {package}`"
            ))
        })
}

/// The host C compiler named `name` (`gcc` or `clang`).
pub fn host_compiler(name: &str) -> Result<PathBuf> {
    match name {
        "gcc" => find_tool("gcc", "gcc"),
        "clang" => find_tool("clang", "clang"),
        other => Err(Error::Io(format!("unknown compiler `{other}` (use gcc or clang)"))),
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
        std::fs::create_dir_all(&path).map_err(|e| Error::Io(format!("cannot create {}: {e}", path.display())))?;
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
    std::fs::write(&cfile, src).map_err(|e| Error::Io(format!("cannot write {}: {e}", cfile.display())))?;
    let out = Command::new(cc)
        .args(args)
        .arg(&cfile)
        .output()
        .map_err(|e| Error::Io(format!("cannot run {}: {e}", cc.display())))?;
    if !out.status.success() {
        return Err(Error::Io(format!(
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
        .map_err(|e| Error::Io(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    let mut out = child.stdout.take().ok_or_else(|| Error::Io("no stdout pipe".into()))?;
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
            Err(e) => return Err(Error::Io(format!("waiting for {:?}: {e}", cmd.get_program()))),
        }
    };
    let stdout = reader.join().unwrap_or_default();
    Ok((ok, stdout))
}
