//! Builds `examples/c/embed.c` with gcc against the staticlib (and the
//! cdylib) in the target directory, runs it, and checks its exact output:
//! the real-C path of the C API (`include/abicall.h`).

use crate::host;

use std::path::{Path, PathBuf};
use std::process::Command;

const EXPECTED: &str = "\
struct box: size 40, align 8, offsetof(scale) 32
members: lo@0 hi@16 scale@32
cos(0) = 1
cos(0.5) through the direct entry = 0.8776
C memory held by the cos call object: reported
ldexp(0.75, 4) through an argument frame = 12
point_dist({1, 1}, {4, 5}) = 5
box_center({{1, 2}, {3, 6}, 10}) = {20, 40} (16 bytes)
qsort with an abicall callback: 1 2 3 5 8 9
bad cdef: ABICALL_E_PARSE (line 2, column 20): expected `;` after the member declaration, found `y`
unknown type: ABICALL_E_UNKNOWN_TYPE: unknown type name `point_t`
undeclared function: ABICALL_E_UNKNOWN_NAME: `cos_of_nothing` is not declared
missing symbol: ABICALL_E_SYMBOL_NOT_FOUND
destructor: comparator was called: yes
double free: ABICALL_E_FREED: `ty`: this abicall_type was already freed (double free)
";

fn root() -> &'static Path {
    Path::new(crate::ROOT)
}

/// `target/<profile>/deps`, where the test executable lives and where cargo
/// builds the library (all its crate types) as the test's dependency — so
/// `libabicall_capi.a` there is always fresh (the copy in `target/<profile>` is
/// only refreshed by `cargo build`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("abicall-capi-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The host's gcc (`aarch64-linux-gnu-gcc` for an aarch64 test binary under qemu-user).
fn gcc(args: &[&str]) {
    let cc = host::host_gcc();
    let out = std::process::Command::new(cc)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `apt-get install -y gcc gcc-aarch64-linux-gnu`"));
    assert!(
        out.status.success(),
        "gcc {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(exe: &Path, lib: &Path) -> String {
    // cargo test puts target/<profile> (with a possibly stale libabicall_capi.so)
    // on LD_LIBRARY_PATH, which would win over the executable's rpath.
    let out = host::exe_command(exe)
        .arg(lib)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed ({}):\n{}{}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn build_geom(dir: &Path) -> PathBuf {
    let geom = dir.join("libgeom.so");
    gcc(&[
        "-shared",
        "-fPIC",
        "-o",
        geom.to_str().unwrap(),
        "examples/c/geom.c",
        "-lm",
    ]);
    geom
}

/// The layout lines of the expected output come from gcc, not from abicall.
#[test]
fn expected_layout_lines_agree_with_gcc() {
    let dir = temp_dir("probe");
    let src = dir.join("probe.c");
    std::fs::write(
        &src,
        r#"#include <stddef.h>
#include <stdio.h>
struct point { double x, y; };
struct box { struct point lo, hi; int scale; };
int main(void) {
    printf("struct box: size %zu, align %zu, offsetof(scale) %zu\n", sizeof(struct box),
           _Alignof(struct box), offsetof(struct box, scale));
    printf("members: lo@%zu hi@%zu scale@%zu\n", offsetof(struct box, lo), offsetof(struct box, hi),
           offsetof(struct box, scale));
    return 0;
}
"#,
    )
    .unwrap();
    let exe = dir.join("probe");
    gcc(&["-std=c11", "-o", exe.to_str().unwrap(), src.to_str().unwrap()]);
    let out = host::exe_command(&exe).output().unwrap();
    let gcc_says = String::from_utf8(out.stdout).unwrap();
    let expected_first: String = EXPECTED.lines().take(2).map(|l| format!("{l}\n")).collect();
    assert_eq!(expected_first, gcc_says);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn embed_c_example_against_the_staticlib() {
    let dir = temp_dir("static");
    let geom = build_geom(&dir);
    let archive = target_dir().join("libabicall_capi.a");
    assert!(
        archive.exists(),
        "{} not built (is crate-type staticlib set?)",
        archive.display()
    );
    let exe = dir.join("embed");
    gcc(&[
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-Iinclude",
        "-o",
        exe.to_str().unwrap(),
        "examples/c/embed.c",
        archive.to_str().unwrap(),
        "-lpthread",
        "-ldl",
        "-lm",
    ]);
    assert_eq!(run(&exe, &geom), EXPECTED);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn embed_c_example_against_the_cdylib() {
    let dir = temp_dir("dylib");
    let geom = build_geom(&dir);
    let target = target_dir();
    assert!(
        target.join("libabicall_capi.so").exists(),
        "libabicall_capi.so not built (is crate-type cdylib set?)"
    );
    // The library's SONAME (set by build.rs) is what the program records
    // and looks for at run time: libabicall_capi.so.<major>, installed as a
    // link to the file cargo built.
    let readelf = Command::new("readelf")
        .args(["-d", target.join("libabicall_capi.so").to_str().unwrap()])
        .output()
        .expect("readelf not found: run `apt-get install -y binutils`");
    let soname = format!("libabicall_capi.so.{}", env!("CARGO_PKG_VERSION_MAJOR"));
    assert!(
        String::from_utf8_lossy(&readelf.stdout).contains(&format!("Library soname: [{soname}]")),
        "libabicall_capi.so has no SONAME {soname}:\n{}",
        String::from_utf8_lossy(&readelf.stdout)
    );
    std::os::unix::fs::symlink(target.join("libabicall_capi.so"), dir.join(&soname)).unwrap();
    let exe = dir.join("embed");
    let lib_dir = format!("-L{}", target.display());
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    gcc(&[
        "-std=c11",
        "-Iinclude",
        "-o",
        exe.to_str().unwrap(),
        "examples/c/embed.c",
        &lib_dir,
        &rpath,
        "-labicall_capi",
    ]);
    assert_eq!(run(&exe, &geom), EXPECTED);
    std::fs::remove_dir_all(&dir).ok();
}

/// The C snippets of docs/guide.md ("Embedding from C") are taken from
/// embed.c verbatim (line by line, ignoring indentation), so they compile.
#[test]
fn guide_c_snippets_are_in_the_example() {
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).unwrap();
    let example = std::fs::read_to_string(root().join("examples/c/embed.c")).unwrap();
    let here: Vec<&str> = example.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut snippets = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in guide.lines() {
        let t = line.trim();
        match (&mut cur, t) {
            (None, "```c") => cur = Some(Vec::new()),
            (Some(_), "```") => snippets.push(cur.take().unwrap()),
            (Some(v), t) if !t.is_empty() => v.push(t.to_string()),
            _ => {}
        }
    }
    assert!(!snippets.is_empty(), "docs/guide.md has no ```c snippet");
    for s in snippets {
        let found = here.windows(s.len()).any(|w| w.iter().zip(&s).all(|(a, b)| a == b));
        assert!(
            found,
            "guide C snippet not found in examples/c/embed.c (update both):\n{}",
            s.join("\n")
        );
    }
}

/// The committed header is clean C99 (gcc and clang, pedantic) and C++11.
#[test]
fn header_compiles_as_c99_and_cxx() {
    let dir = temp_dir("header");
    let src = dir.join("use_header.c");
    std::fs::write(
        &src,
        "#include \"abicall.h\"\nint main(void) { abicall_error e; (void)e; return abicall_version() == 0; }\n",
    )
    .unwrap();
    let src = src.to_str().unwrap();
    let strict = ["-Wall", "-Wextra", "-pedantic", "-Werror", "-Iinclude", "-fsyntax-only"];
    for (cc, lang, hint) in [
        ("gcc", "-std=c99", "gcc"),
        ("clang", "-std=c99", "clang"),
        ("clang", "-std=c++11", "clang"),
    ] {
        let mut args = vec![lang];
        if lang.contains("++") {
            args.extend(["-x", "c++"]);
        }
        args.extend(strict);
        args.push(src);
        let out = Command::new(cc)
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `apt-get install -y {hint}`"));
        assert!(
            out.status.success(),
            "{cc} {lang}: include/abicall.h does not compile:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
