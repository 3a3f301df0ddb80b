//! Runs `examples/{qsort,sqlite,zlib,layout}.rs` and checks their output;
//! numbers that depend on the platform come from gcc (the oracle).

use crate::examples_support;

use examples_support::{run, stdout, temp_dir};
use std::process::Command;

fn ok(name: &str, args: &[&str]) -> String {
    let o = run(name, args);
    assert!(
        o.status.success(),
        "example {name} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o)
}

#[test]
fn qsort_with_a_rust_comparator() {
    let out = ok("qsort", &[]);
    let lines: Vec<&str> = out.lines().collect();
    let mut asc = vec![42, -7, 19, 0, 3, -40, 25, 8, 19, -1];
    asc.sort();
    let mut by_abs = asc.clone();
    by_abs.sort_by_key(|v: &i32| v.abs());
    let join = |v: &[i32]| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
    assert_eq!(lines[0], format!("ascending: {}", join(&asc)));
    assert_eq!(lines[2], format!("by absolute value: {}", join(&by_abs)));
    for l in [lines[1], lines[3]] {
        let n: usize = l
            .trim()
            .trim_start_matches("(comparator called ")
            .trim_end_matches(" times)")
            .parse()
            .unwrap();
        assert!(n >= 9, "{l}");
    }
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: needs libsqlite3 for the host (no aarch64 build is installed for qemu-user)"
)]
fn sqlite_in_memory() {
    let out = ok("sqlite", &[]);
    assert_eq!(
        out,
        "row: name=Python, year=1991\n\
         row: name=Lua, year=1993\n\
         row: n=4, first=1972\n\
         expected error: sqlite3_exec: no such table: no_such_table (code 1)\n\
         sqlite3_errmsg: no such table: no_such_table\n\
         sqlite3_close: 0\n"
    );
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: needs zlib for the host (no aarch64 build is installed for qemu-user)"
)]
fn zlib_round_trip() {
    let out = ok("zlib", &[]);
    // sizeof(z_stream) and ZLIB_VERSION from gcc and the installed zlib.
    let dir = temp_dir("zlib-example");
    let src = dir.join("z.c");
    std::fs::write(
        &src,
        "#include <zlib.h>\n#include <stdio.h>\nint main(void){printf(\"zlib %s, sizeof(z_stream) = %zu\\n\", zlibVersion(), sizeof(z_stream));}\n",
    )
    .unwrap();
    let exe = dir.join("z");
    let cc = Command::new("cc")
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg("-lz")
        .status()
        .expect("cc not found: run `apt-get install -y gcc zlib1g-dev`");
    assert!(
        cc.success(),
        "compiling the zlib probe failed: run `apt-get install -y zlib1g-dev`"
    );
    let want = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(format!("{}\n", lines[0]), want);
    assert!(lines[1].starts_with("compressed 1880 bytes to "), "{}", lines[1]);
    let packed: usize = lines[1].rsplit(' ').next().unwrap().parse().unwrap();
    assert!(packed < 200, "repetitive text should compress well: {packed}");
    assert_eq!(lines[2], format!("uncompressed {packed} bytes to 1880"));
    assert_eq!(lines[3], "round trip identical: true");
    let _ = std::fs::remove_dir_all(dir);
}

/// Every top-level member offset and the size printed for each target are
/// checked with `_Static_assert`s compiled by that target's gcc.
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: the example reads the machine's x86_64 system headers"
)]
fn layout_of_struct_stat_on_aarch64_and_x86_64() {
    let out = ok("layout", &[]);
    let sections: Vec<&str> = out.split("== ").filter(|s| !s.is_empty()).collect();
    assert_eq!(sections.len(), 2, "{out}");
    let dir = temp_dir("layout-example");
    let mut sizes = Vec::new();
    for (section, (title, cc)) in sections.iter().zip([
        ("struct stat on aarch64 ==", "aarch64-linux-gnu-gcc"),
        ("struct stat on x86_64 ==", "cc"),
    ]) {
        assert!(section.starts_with(title), "{section}");
        let mut asserts = String::from("#include <sys/stat.h>\n#include <stddef.h>\n");
        let mut members = 0;
        for line in section.lines() {
            // Top-level members: one tab of indentation, `... name; /* off size */`.
            if line.starts_with('\t') && !line.starts_with("\t\t") && line.contains(";") && line.contains("/*") {
                let decl = line[..line.find(';').unwrap()].trim();
                let before_dims = decl.split('[').next().unwrap();
                let name = before_dims
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap();
                let nums: Vec<u64> = line[line.find("/*").unwrap() + 2..]
                    .trim_end_matches("*/")
                    .split_whitespace()
                    .map(|n| n.parse().unwrap())
                    .collect();
                asserts += &format!(
                    "_Static_assert(offsetof(struct stat, {name}) == {0}, \"{name} at {0}\");\n\
                     _Static_assert(sizeof(((struct stat *)0)->{name}) == {1}, \"{name} size {1}\");\n",
                    nums[0], nums[1]
                );
                members += 1;
            }
            if let Some(rest) = line.trim().strip_prefix("/* size: ") {
                let size: u64 = rest.split(',').next().unwrap().parse().unwrap();
                asserts += &format!("_Static_assert(sizeof(struct stat) == {size}, \"size {size}\");\n");
                sizes.push(size);
            }
        }
        assert!(members >= 10, "too few members parsed from:\n{section}");
        let src = dir.join(format!("{}.c", cc.replace('-', "_")));
        std::fs::write(&src, &asserts).unwrap();
        let o = Command::new(cc)
            .arg("-fsyntax-only")
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `apt-get install -y gcc gcc-aarch64-linux-gnu`"));
        assert!(
            o.status.success(),
            "{cc} disagrees:\n{}\n{asserts}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert_ne!(
        sizes[0], sizes[1],
        "struct stat should differ between aarch64 and x86_64"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The benchmark program: every mode converts the same strings to the same
/// bytes (a few strings only; the timing run is benches/iconv_three_ways.sh).
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: converting needs glibc gconv modules, which the aarch64 cross libc run by qemu-user here does not have"
)]
fn iconv_bench_modes_agree() {
    let mut sums = Vec::new();
    for mode in ["direct", "raw", "abicall", "spawn"] {
        let out = ok("iconv_bench", &[mode, "5"]);
        let fields: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(fields.len(), 5, "{out}");
        assert_eq!((fields[0], fields[1]), (mode, "5"));
        sums.push(fields[4].to_string());
    }
    assert!(sums.windows(2).all(|w| w[0] == w[1]), "checksums differ: {sums:?}");
    let o = run("iconv_bench", &["nope", "5"]);
    assert_eq!(o.status.code(), Some(2));
}
