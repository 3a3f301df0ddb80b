//! Runs every command of `docs/guide.md` so the guide cannot rot.
//!
//! In the guide, commands live in ```` ```console ```` blocks: a line
//! starting with `$ ` is a command (run with `sh -c` from the repository
//! root, with the built `abicall` and `cargo` on `PATH`, stderr merged into
//! stdout); the lines after it, up to the next command or the end of the
//! block, are its expected output, compared exactly, where a line `...`
//! stands for any number of lines. Every command must exit with status 0:
//! the guide shows failures as `cmd || echo "exit status $?"`. Blocks
//! marked `sh`, `bash` or `shell` are rejected, so no command escapes the test.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    line: usize,
    command: String,
    expected: Vec<String>,
}

fn parse(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut in_console = false;
    let mut in_other = false;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if let Some(lang) = line.trim_start().strip_prefix("```") {
            if in_console || in_other {
                in_console = false;
                in_other = false;
            } else {
                let lang = lang.trim();
                assert!(
                    !matches!(lang, "sh" | "bash" | "shell" | "shell-session"),
                    "docs/guide.md:{lineno}: use ```console blocks with `$ ` prompts for commands (they are run by crates/abicall-cli/tests/cli/guide.rs)"
                );
                in_console = lang == "console";
                in_other = !in_console;
            }
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            cases.push(Case {
                line: lineno,
                command: cmd.to_string(),
                expected: Vec::new(),
            });
        } else {
            let case = cases
                .last_mut()
                .unwrap_or_else(|| panic!("docs/guide.md:{lineno}: output line before any `$ ` command"));
            case.expected.push(line.to_string());
        }
    }
    assert!(!in_console && !in_other, "docs/guide.md: unclosed code block");
    cases
}

/// Line-wise match where an expected `...` line matches any run of lines.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((e, rest)) if e == "..." => (0..=actual.len()).any(|k| matches(rest, &actual[k..])),
        Some((e, rest)) => actual.first().is_some_and(|a| a == e) && matches(rest, &actual[1..]),
    }
}

fn path_env() -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_abicall")).parent().unwrap().to_path_buf();
    let cargo = PathBuf::from(env!("CARGO"));
    let mut dirs = vec![bin];
    if let Some(d) = cargo.parent() {
        dirs.push(d.to_path_buf());
    }
    let old = std::env::var_os("PATH").unwrap_or_default();
    dirs.extend(std::env::split_paths(&old));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

fn run(case: &Case, path: &str) -> Result<(), String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{}", case.command))
        .current_dir(crate::ROOT)
        .env("PATH", path)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let actual: Vec<&str> = text.lines().collect();
    if !out.status.success() {
        return Err(format!(
            "docs/guide.md:{}: `{}` exited with {} (show failures as `… || echo \"exit status $?\"`); output:\n{text}",
            case.line, case.command, out.status
        ));
    }
    if !matches(&case.expected, &actual) {
        return Err(format!(
            "docs/guide.md:{}: `{}`\n--- expected\n{}\n--- got\n{text}",
            case.line,
            case.command,
            case.expected.join("\n")
        ));
    }
    Ok(())
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: the guide's shell commands build and run the native x86_64 binaries (cargo run, gcc, python)"
)]
fn every_command_in_the_guide_gives_the_documented_output() {
    let text = std::fs::read_to_string(Path::new(crate::ROOT).join("docs/guide.md")).unwrap();
    let cases = parse(&text);
    assert!(
        cases.len() >= 20,
        "only {} commands found in docs/guide.md",
        cases.len()
    );
    let path = path_env();
    // Examples are built once up front so `cargo run --example` is quick;
    // `--lib` makes cargo put `target/debug/libabicall_capi.a` (which the C
    // embedding section links) in place, which `cargo test` alone does not.
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--lib", "--examples"])
        .current_dir(crate::ROOT)
        .status()
        .expect("cannot run cargo");
    assert!(built.success(), "cargo build --lib --examples failed");
    // Run in a few threads; report every failure.
    let failures: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<&[Case]> = cases.chunks(cases.len().div_ceil(4)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(|| chunk.iter().filter_map(|c| run(c, &path).err()).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} guide commands failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_matcher_understands_ellipsis() {
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&e(&["a", "...", "z"]), &["a", "b", "c", "z"]));
    assert!(matches(&e(&["a", "...", "z"]), &["a", "z"]));
    assert!(!matches(&e(&["a", "...", "z"]), &["a", "b"]));
    assert!(!matches(&e(&["a"]), &["a", "b"]));
    assert!(matches(&e(&["..."]), &[]));
    let cases = parse("text\n```console\n$ echo hi\nhi\n$ true\n```\n```rust\nlet x = 1;\n```\n");
    assert_eq!(cases.len(), 2);
    assert_eq!(
        (cases[0].command.as_str(), cases[0].expected.clone()),
        ("echo hi", e(&["hi"]))
    );
    assert!(cases[1].expected.is_empty());
}

/// The ```` ```rust ```` blocks of the guide, as trimmed non-empty lines.
fn rust_snippets(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        let t = line.trim();
        match (&mut cur, t) {
            (None, "```rust") => cur = Some(Vec::new()),
            (Some(_), "```") => out.push(cur.take().unwrap()),
            (Some(v), t) if !t.is_empty() => v.push(t.to_string()),
            _ => {}
        }
    }
    out
}

/// Each Rust snippet of the guide must appear verbatim (line by line) in
/// this file, where the tests below compile and run it.
#[test]
fn rust_snippets_are_the_tested_code() {
    let guide = std::fs::read_to_string(Path::new(crate::ROOT).join("docs/guide.md")).unwrap();
    let here: Vec<&str> = include_str!("guide.rs")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let snippets = rust_snippets(&guide);
    assert!(snippets.len() >= 2, "expected the guide's Rust snippets");
    for s in snippets {
        let found = here.windows(s.len()).any(|w| w.iter().zip(&s).all(|(a, b)| a == b));
        assert!(
            found,
            "guide snippet not found in crates/abicall-cli/tests/cli/guide.rs (update both):\n{}",
            s.join("\n")
        );
    }
}

#[test]
fn snippet_function_call() -> Result<(), Box<dyn std::error::Error>> {
    use abicall::{library::Library, Ffi, Value};

    let mut ffi = Ffi::host()?;
    ffi.cdef("typedef struct { long quot, rem; } ldiv_t; ldiv_t ldiv(long, long);")?;
    let ldiv = ffi.function(&Library::process(), "ldiv")?; // prepared once
                                                           // SAFETY: this is glibc's ldiv prototype; two longs are all it needs.
    let r = unsafe { ldiv.call(&[Value::Int(17), Value::Int(5)]) }?;
    let t = ffi.types();
    assert_eq!(r.as_cdata().unwrap().get(&t, "rem")?, Value::Int(2));
    Ok(())
}

#[test]
fn snippet_raw_call() -> Result<(), Box<dyn std::error::Error>> {
    use abicall::{library::Library, Ffi};
    use std::ffi::c_void;

    let mut ffi = Ffi::host()?;
    ffi.cdef("double ldexp(double, int);")?;
    // SAFETY: loading the system libm runs only its own initializers.
    let libm = unsafe { Library::open("libm.so.6") }?;
    let ldexp = ffi.function(&libm, "ldexp")?;
    let raw = ldexp.raw().expect("not variadic"); // prepared once, cheap to clone
    let (x, e) = (0.75f64, 3i32);
    let args = [&x as *const f64 as *const c_void, &e as *const i32 as *const c_void];
    let mut ret = 0f64; // raw.ret_size() bytes
                        // SAFETY: args point to a double and an int, ret to room for a double.
    unsafe { raw.call(&args, &mut ret as *mut f64 as *mut c_void) }?;
    assert_eq!(ret, 6.0);
    Ok(())
}
