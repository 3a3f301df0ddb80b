//! `include/abicall.h` is generated from `crates/abicall-capi/src/` by cbindgen (config in
//! `cbindgen.toml`) and committed; this test regenerates it and fails when
//! the committed header is out of date. `ABICALL_BLESS=1` rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen_output() {
    let root = Path::new(crate::ROOT);
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cannot read cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        // Only the C API module (and the files it declares), not the whole
        // crate: other modules' public constants are not part of the C API.
        .with_src(root.join("crates/abicall-capi/src/lib.rs"))
        .with_config(config)
        .generate()
        .expect("cbindgen failed to generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = c89(&String::from_utf8(generated).expect("cbindgen wrote non-UTF-8"));
    let path = root.join("include/abicall.h");
    if std::env::var_os("ABICALL_BLESS").is_some_and(|v| v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "header out of date: run `ABICALL_BLESS=1 cargo test --test capi header::` \
             (first difference at line {} of include/abicall.h)",
            first + 1
        );
    }
}

/// cbindgen's output made C89-clean: no comma after an enum's last value,
/// `/* */` comments after `#endif` and the `extern "C"` brace.
fn c89(h: &str) -> String {
    let lines: Vec<&str> = h.lines().collect();
    let mut out = String::with_capacity(h.len());
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map(|l| l.trim_start()).unwrap_or("");
        let mut l = line.to_string();
        if l.starts_with("  ") && l.ends_with(',') && next.starts_with('}') && !l.trim_start().starts_with('/') {
            l.pop();
        }
        if let Some((code, comment)) = l.split_once("//") {
            if code.trim_start().starts_with("#endif") || code.trim() == "}" {
                l = format!("{code}/* {} */", comment.trim());
            }
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The header compiles as strict C89 (and C99, C11, C++).
#[test]
fn header_is_c89_c99_and_cxx_clean() {
    let dir = std::env::temp_dir().join(format!("abicall-c89-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("t.c");
    std::fs::write(
        &src,
        "#include <abicall.h>\nint main(void) { abicall_error e; bool b = 0; e.line = 0; return (int)e.line + (int)b + (int)ABICALL_KIND_FUNCTION - 26; }\n",
    )
    .unwrap();
    let inc = Path::new(crate::ROOT).join("include");
    for (cc, std) in [
        ("gcc", "-std=c89"),
        ("gcc", "-std=c99"),
        ("gcc", "-std=c11"),
        ("g++", "-std=c++11"),
    ] {
        let mut cmd = std::process::Command::new(cc);
        cmd.args([std, "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-I"])
            .arg(&inc);
        if cc == "g++" {
            cmd.args(["-x", "c++"]);
        }
        let out = cmd
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `apt-get install -y gcc g++`"));
        assert!(
            out.status.success(),
            "{cc} {std} rejects include/abicall.h:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
