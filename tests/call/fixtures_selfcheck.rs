//! Proves the C fixtures themselves right, with the C compiler as the oracle:
//! a C driver (`c-fixtures/selfcheck/driver.c`) linked against the fixture
//! library calls every known-answer function, built with gcc and clang in
//! every combination (and for aarch64 under qemu); then the library is loaded
//! from Rust with libloading and called through typed fn pointers.

use crate::support::fixtures;

use std::ffi::{c_char, c_int, c_long, CStr};
use std::path::{Path, PathBuf};
use std::process::Command;

use fixtures::{compiler_command, fixtures_dir, fixtures_so, fixtures_so_with, require_tool, work_dir};

/// Builds the driver with `driver_cc` against the library built by `lib_cc`.
fn build_driver(lib_cc: &str, driver_cc: &str) -> PathBuf {
    let lib = fixtures_so_with(lib_cc);
    let lib_dir = lib.parent().expect("library has a directory");
    let exe = work_dir().join(format!("driver-{lib_cc}-{driver_cc}"));
    let mut cmd = compiler_command(driver_cc);
    cmd.arg("-I")
        .arg(fixtures_dir())
        .arg("-o")
        .arg(&exe)
        .arg(fixtures_dir().join("selfcheck/driver.c"))
        .arg(format!("-L{}", lib_dir.display()))
        .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
        .args(["-lfixtures", "-ldl"]);
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "building the driver failed: {cmd:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "driver warnings with {driver_cc}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs a driver (through `runner` if given) and checks its report.
fn run_driver(exe: &Path, runner: &[&str], min_checks: usize) {
    let mut cmd = match runner.split_first() {
        Some((prog, args)) => {
            let mut c = Command::new(prog);
            c.args(args).arg(exe);
            c
        }
        None => fixtures::host::exe_command(exe),
    };
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "selfcheck failed ({cmd:?}):\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout
        .lines()
        .find(|l| l.contains(" checks, "))
        .unwrap_or_else(|| panic!("no summary:\n{stdout}"));
    let checks: usize = summary
        .trim_start_matches("selfcheck: ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad summary line `{summary}`"));
    assert!(summary.ends_with(" 0 failures"), "{stdout}");
    assert!(
        checks >= min_checks,
        "only {checks} checks ran (expected at least {min_checks}):\n{stdout}"
    );
}

#[test]
fn selfcheck_gcc_library_gcc_driver() {
    let gcc = fixtures::host::host_gcc();
    run_driver(&build_driver(gcc, gcc), &[], 330);
}

#[test]
fn selfcheck_clang_library_clang_driver() {
    run_driver(&build_driver("clang", "clang"), &[], 330);
}

/// Cross-compiler: every row except row 11, where gcc and clang < 20 disagree
/// (the driver prints a NOTE and skips it; see `fx_row11_after` in the header).
#[test]
fn selfcheck_mixed_compilers() {
    let gcc = fixtures::host::host_gcc();
    run_driver(&build_driver(gcc, "clang"), &[], 320);
    run_driver(&build_driver("clang", gcc), &[], 320);
}

#[test]
fn selfcheck_aarch64_under_qemu() {
    require_tool("qemu-aarch64-static");
    let exe = build_driver("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-gcc");
    let prefix = fixtures::host::qemu_ld_prefix();
    run_driver(&exe, &["qemu-aarch64-static", "-L", &prefix], 330);
}

#[test]
fn fixtures_build_without_warnings() {
    for cc in [fixtures::host::host_gcc(), "clang"] {
        let w = fixtures::fixtures_build_warnings(cc);
        assert!(w.is_empty(), "{cc} warns on c-fixtures:\n{w}");
    }
}

/// The header is self-contained C with no preprocessor lines, so the cdef
/// parser can take it verbatim.
#[test]
fn header_is_plain_declarations() {
    let text = fixtures::fixtures_header();
    for (n, line) in text.lines().enumerate() {
        assert!(
            !line.trim_start().starts_with('#'),
            "abi_cases.h line {}: preprocessor line `{line}`",
            n + 1
        );
    }
    let mut cmd = compiler_command("gcc");
    cmd.args(["-fsyntax-only", "-x", "c"])
        .arg(fixtures::fixtures_header_path());
    let out = cmd.output().expect("gcc runs");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every name the header declares is exported by the library (`fx_alias` under
/// its asm label), and the library exports no fx_ name the header lacks.
#[test]
fn header_and_library_agree() {
    let text = strip_comments(&fixtures::fixtures_header());
    let mut declared = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find("fx_") {
        let start = i + pos;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        let boundary = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let next = text[end..].trim_start().chars().next();
        // Declarators: `fx_name(` for functions, `fx_name;` / `fx_name[` for globals.
        if boundary && matches!(next, Some('(' | ';' | '[')) && !is_tag(&text[..start]) {
            declared.push(text[start..end].to_string());
        }
        i = end.max(start + 3);
    }
    declared.sort();
    declared.dedup();
    assert!(
        declared.len() > 150,
        "only {} names found in the header",
        declared.len()
    );

    let lib = load(&fixtures_so());
    for name in &declared {
        let symbol = if name == "fx_alias" {
            "fx_real_name"
        } else {
            name.as_str()
        };
        // SAFETY: only the address is looked up; nothing is called or read.
        let found = unsafe { lib.get::<*const ()>(symbol.as_bytes()) };
        assert!(
            found.is_ok(),
            "header declares `{name}` but the library has no symbol `{symbol}`"
        );
    }
    // SAFETY: only the address of `fx_alias` is looked up; nothing is called.
    let alias = unsafe { lib.get::<*const ()>(b"fx_alias") };
    assert!(alias.is_err(), "fx_alias must exist only as fx_real_name");

    let nm = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(fixtures_so())
        .output()
        .expect("nm runs");
    for line in String::from_utf8_lossy(&nm.stdout).lines() {
        let sym = line.split_whitespace().last().unwrap_or("");
        if sym.starts_with("fx_") && sym != "fx_real_name" {
            assert!(
                declared.iter().any(|d| d == sym),
                "library exports `{sym}`, not declared in abi_cases.h"
            );
        }
    }
}

/// True if the text before a name ends with a tag keyword (`struct x`, `union x`).
fn is_tag(before: &str) -> bool {
    before.ends_with("struct ") || before.ends_with("union ")
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("/*") {
        out.push_str(&rest[..p]);
        rest = rest[p + 2..].find("*/").map_or("", |q| &rest[p + 2 + q + 2..]);
    }
    out.push_str(rest);
    out
}

fn load(path: &Path) -> libloading::Library {
    // SAFETY: the fixture library has no constructors with side effects
    // beyond libc/pthread initialisation.
    unsafe { libloading::Library::new(path) }.unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()))
}

/// Looks up `name` as a value of type `T` (a fn pointer or a data pointer).
///
/// # Safety
/// `T` must match the symbol's C declaration in `abi_cases.h`.
unsafe fn sym<T: Copy>(lib: &libloading::Library, name: &str) -> T {
    // SAFETY: the caller guarantees that T matches the symbol.
    *unsafe { lib.get::<T>(name.as_bytes()) }.unwrap_or_else(|e| panic!("symbol {name}: {e}"))
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct R1 {
    f: f32,
    i: i32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct R5 {
    d: f64,
    l: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct R8 {
    a: i64,
    b: i64,
    c: i64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    x: c_int,
    y: c_int,
}

extern "C" {
    fn __errno_location() -> *mut c_int;
}

extern "C" fn triple(x: c_int) -> c_int {
    x * 3
}

extern "C" fn echo_r5(v: R5) -> R5 {
    v
}

#[test]
fn rust_calls_through_libloading() {
    let lib = load(&fixtures_so());
    // SAFETY: for every `sym` below, each type is the Rust spelling of the
    // declaration in abi_cases.h; the repr(C) structs mirror the C structs.
    unsafe {
        let add: extern "C" fn(c_int, c_int) -> c_int = sym(&lib, "fx_add");
        assert_eq!(add(40, -2), 38);
        let add6: extern "C" fn(c_long, c_long, c_long, c_long, c_long, c_long) -> c_long = sym(&lib, "fx_add6");
        assert_eq!(add6(1, 2, 3, 4, 5, 6_000_000_000), 6_000_000_015);
        let add_dd: extern "C" fn(f64, f64) -> f64 = sym(&lib, "fx_add_dd");
        assert_eq!(add_dd(0.25, -1.5), -1.25);

        let r5_ret: extern "C" fn() -> R5 = sym(&lib, "fx_row5_ret");
        assert_eq!(
            r5_ret(),
            R5 {
                d: -2.5,
                l: -1_234_567_890_123
            }
        );
        let r5_cb: extern "C" fn(extern "C" fn(R5) -> R5) -> c_int = sym(&lib, "fx_row5_cb");
        assert_eq!(r5_cb(echo_r5), 1);
        let r1_arg: extern "C" fn(R1) -> c_int = sym(&lib, "fx_row1_arg");
        assert_eq!(
            r1_arg(R1 {
                f: 1.5,
                i: -123_456_789
            }),
            1
        );
        let err: extern "C" fn() -> *const c_char = sym(&lib, "fx_last_error_msg");
        assert_eq!(r1_arg(R1 { f: 1.5, i: 7 }), 0);
        assert_eq!(
            CStr::from_ptr(err()).to_str().unwrap(),
            "fx_row1_arg: i = 7, expected -123456789"
        );
        let r8_echo: extern "C" fn(R8) -> R8 = sym(&lib, "fx_row8_echo");
        let v = R8 {
            a: -1,
            b: 0x0102_0304_0506_0708,
            c: -9_000_000_000,
        };
        assert_eq!(r8_echo(v), v);

        let set_errno: extern "C" fn(c_int) -> c_int = sym(&lib, "fx_set_errno");
        *__errno_location() = 0;
        assert_eq!(set_errno(42), -1);
        assert_eq!(*__errno_location(), 42);
        assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(42));

        let in_thread: extern "C" fn(extern "C" fn(c_int) -> c_int, c_int) -> c_int = sym(&lib, "fx_call_in_thread");
        assert_eq!(in_thread(triple, 14), 42);

        let alias: extern "C" fn(c_int) -> c_int = sym(&lib, "fx_real_name");
        assert_eq!(alias(5), 16);
        let hello: extern "C" fn() -> *const c_char = sym(&lib, "fx_hello");
        assert_eq!(CStr::from_ptr(hello()).to_str().unwrap(), "hello from fixtures");
        let fill: extern "C" fn(*mut Point) = sym(&lib, "fx_fill_point");
        let mut p = Point { x: 0, y: 0 };
        fill(&mut p);
        assert_eq!(p, Point { x: 7, y: -8 });

        // Globals: a symbol's address is the variable's address.
        let counter: *mut c_int = sym(&lib, "fx_counter");
        let counter_get: extern "C" fn() -> c_int = sym(&lib, "fx_counter_get");
        assert_eq!(*counter, 42);
        *counter = 7;
        assert_eq!(counter_get(), 7);
        *counter = 42;
        let name: *const *const c_char = sym(&lib, "fx_name");
        assert_eq!(CStr::from_ptr(*name).to_str().unwrap(), "fixtures");
        let origin: *const Point = sym(&lib, "fx_origin");
        assert_eq!(*origin, Point { x: -3, y: 4 });
    }
}

/// Row 16's premise, checked on the compilers themselves: clang-built
/// callees use the whole 32-bit registers of narrow arguments (so callers must
/// extend them), gcc-built ones re-extend; the asm `fx_row16_extended` sees
/// whether a caller extended. Calls pass the narrow arguments as whole
/// registers through a `u64` fn type, once extended and once with garbage.
#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: checks the x86_64 narrow-argument extension of gcc and clang code (Linux AAPCS64 leaves those bits unspecified)"
)]
fn row16_clang_callee_relies_on_caller_extension() {
    type Wide = extern "C" fn(u64, u64, u64, u64, u64) -> c_int;
    // -100, -30000, 200, 60000, true: extended to 32 bits, then garbage above.
    let extended = [0xFFFF_FF9C_u64, 0xFFFF_8AD0, 200, 60000, 1];
    let dirty = [
        0x5A5A_5A5A_5A5A_5A9C_u64,
        0xA5A5_A5A5_A5A5_8AD0,
        0x5A5A_5A5A_5A5A_5AC8,
        0xA5A5_A5A5_A5A5_EA60,
        0x101,
    ];
    let call = |f: Wide, a: [u64; 5]| f(a[0], a[1], a[2], a[3], a[4]);
    for (cc, dirty_sum_ok) in [("gcc", true), ("clang", false)] {
        let lib = load(&fixtures_so_with(cc));
        // SAFETY: fx_row16_sum and fx_row16_extended take five narrow integer
        // arguments, each in its own integer register, so passing whole u64
        // registers reaches the same registers; the callees read nothing else.
        let (sum, extended_check): (Wide, Wide) =
            unsafe { (sym(&lib, "fx_row16_sum"), sym(&lib, "fx_row16_extended")) };
        assert_eq!(call(sum, extended), 30101, "{cc}: fx_row16_sum with extended arguments");
        assert_eq!(
            call(sum, dirty) == 30101,
            dirty_sum_ok,
            "{cc}: fx_row16_sum with garbage above the declared widths"
        );
        assert_eq!(
            call(extended_check, extended),
            1,
            "{cc}: fx_row16_extended sees extended arguments"
        );
        assert_eq!(call(extended_check, dirty), 0, "{cc}: fx_row16_extended sees garbage");
    }
}
