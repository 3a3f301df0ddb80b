//! Running the system C preprocessor on a header, so that `--header zlib.h`
//! gives text [`crate::cdecl`] can parse.

use crate::error::{Error, Result};
use crate::target::Target;
use std::path::Path;
use std::process::Command;

/// The preprocessor command used for `target` (program and leading
/// arguments). `ABICALL_CPP` overrides it (split on whitespace).
pub fn preprocessor_for(target: Target) -> Result<Vec<String>> {
    if let Ok(cmd) = std::env::var("ABICALL_CPP") {
        let v: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if !v.is_empty() {
            return Ok(v);
        }
    }
    let host = Target::host();
    let cc = match target {
        t if Some(t) == host => "cc",
        Target::X86_64SysV => "x86_64-linux-gnu-gcc",
        Target::Aarch64Linux => "aarch64-linux-gnu-gcc",
        Target::Aarch64Apple => {
            return Err(Error::io_msg(
                "no preprocessor for aarch64-apple headers on this machine: set ABICALL_CPP to a \
                 command that preprocesses for arm64 macOS (e.g. `clang -target arm64-apple-macos -isysroot SDK`)"
                    .to_string(),
            ))
        }
    };
    Ok(vec![cc.to_string(), "-E".to_string(), "-P".to_string()])
}

fn install_hint(program: &str) -> &'static str {
    match program {
        "aarch64-linux-gnu-gcc" => " (install it with `apt-get install -y gcc-aarch64-linux-gnu`)",
        "x86_64-linux-gnu-gcc" => " (install it with `apt-get install -y gcc-x86-64-linux-gnu`)",
        "cc" | "gcc" => " (install it with `apt-get install -y gcc`)",
        _ => "",
    }
}

/// Preprocesses `header` for `target`. `header` is a path to an existing
/// file, or a name looked up on the system include path (`zlib.h`,
/// `sys/stat.h`). `extra` are further preprocessor arguments (`-I`, `-D`).
///
/// ```no_run
/// let text = abicall::header::preprocess(abicall::Target::X86_64SysV, "time.h", &[]).unwrap();
/// assert!(text.contains("struct tm"));
/// ```
pub fn preprocess(target: Target, header: &str, extra: &[String]) -> Result<String> {
    let cmd = preprocessor_for(target)?;
    let include = if Path::new(header).is_file() {
        let abs = std::fs::canonicalize(header).map_err(|e| Error::io(format!("cannot read header `{header}`"), e))?;
        format!("#include \"{}\"\n", abs.display())
    } else {
        format!("#include <{header}>\n")
    };
    let mut c = Command::new(&cmd[0]);
    c.args(&cmd[1..]).args(["-std=gnu11", "-x", "c"]).args(extra).arg("-");
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().map_err(|e| {
        Error::io(
            format!("cannot run preprocessor `{}`{}", cmd[0], install_hint(&cmd[0])),
            e,
        )
    })?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin
            .write_all(include.as_bytes())
            .map_err(|e| Error::io(format!("writing to preprocessor `{}`", cmd[0]), e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io(format!("preprocessor `{}` failed", cmd[0]), e))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let hint = if err.contains("No such file") {
            header_hint(header)
        } else {
            String::new()
        };
        return Err(Error::io_msg(format!(
            "preprocessing `{header}` failed:\n{}{hint}",
            err.trim_end()
        )));
    }
    String::from_utf8(out.stdout).map_err(|_| Error::io_msg(format!("preprocessed `{header}` is not UTF-8")))
}

fn header_hint(header: &str) -> String {
    let pkg = match header {
        "zlib.h" => Some("zlib1g-dev"),
        "sqlite3.h" => Some("libsqlite3-dev"),
        "ffi.h" => Some("libffi-dev"),
        _ => None,
    };
    match pkg {
        Some(p) => format!("\n(install the header with `apt-get install -y {p}`)"),
        None => String::new(),
    }
}
