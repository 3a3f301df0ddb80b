//! Real headers: preprocess with gcc, parse with `cdef`, then check the
//! layout of every struct/union/enum and typedef the header defines against
//! gcc itself (one generated C program per header prints `sizeof`,
//! `__alignof__` and `offsetof` of every named non-bitfield member).
//! `__alignof__` is gcc's layout alignment; C11 `_Alignof` differs from it
//! only for types aligned beyond 16 bytes by an x86_64 GCC vector type,
//! where it reports 16 (see `tests/support/layout_probe.rs`).

use crate::support::tools::TempDir;
use abicall::types::TypeKind;
use abicall::{Ffi, Target};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

const INSTALL_HINT: &str = "apt-get install -y zlib1g-dev libsqlite3-dev";

/// A temporary directory for one header's probe (removed on drop).
fn temp_dir(tag: &str) -> TempDir {
    TempDir::new(&format!("cdecl-headers-{tag}")).expect("create a temporary directory")
}

fn compiler(target: Target) -> (&'static str, &'static str) {
    match target {
        Target::X86_64SysV => ("gcc", "apt-get install -y gcc"),
        _ => ("aarch64-linux-gnu-gcc", "apt-get install -y gcc-aarch64-linux-gnu"),
    }
}

fn preprocess(header: &str) -> String {
    preprocess_for(header, Target::X86_64SysV)
}

fn preprocess_for(header: &str, target: Target) -> String {
    let (cc, hint) = compiler(target);
    let mut child = Command::new(cc)
        .args(["-E", "-P", "-std=gnu11", "-x", "c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `{hint}`"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("#include <{header}>\n").as_bytes())
        .expect("write to gcc");
    let out = child.wait_with_output().expect("gcc -E");
    if !out.status.success() {
        panic!(
            "preprocessing <{header}> failed (missing header? run `{INSTALL_HINT}`):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).expect("utf-8 preprocessor output")
}

/// Names of the members `offsetof` can reach directly (through anonymous members).
fn member_names(ffi: &Ffi, ty: abicall::types::TypeId, out: &mut Vec<String>) {
    let types = ffi.types();
    let Some(rec) = types.record_of(ty) else { return };
    for f in &rec.fields {
        match (&f.name, f.bit) {
            (Some(n), None) => out.push(n.clone()),
            (None, None) => member_names(ffi, f.ty, out),
            _ => {}
        }
    }
}

fn check_header(header: &str, min_records: usize) {
    let text = preprocess(header);
    let mut ffi = Ffi::new(Target::X86_64SysV);
    ffi.cdef(&text)
        .unwrap_or_else(|e| panic!("<{header}> does not parse: {e}"));

    // (C spelling, members) of every complete type the header names.
    let mut items: Vec<(String, Vec<String>)> = Vec::new();
    let mut tags: Vec<_> = ffi.decls().tags.iter().map(|(k, v)| (k.clone(), *v)).collect();
    tags.sort();
    let mut records = 0;
    for (tag, id) in tags {
        if !ffi.types().is_complete(id) {
            continue;
        }
        let spelling = match ffi.types().kind(id) {
            TypeKind::Enum(_) => format!("enum {tag}"),
            _ => format!("{} {tag}", ffi.types().record_of(id).expect("record").kind.keyword()),
        };
        let mut m = Vec::new();
        member_names(&ffi, id, &mut m);
        records += usize::from(ffi.types().record_of(id).is_some());
        items.push((spelling, m));
    }
    let mut typedefs: Vec<_> = ffi.decls().typedefs.iter().map(|(k, v)| (k.clone(), *v)).collect();
    typedefs.sort();
    for (name, id) in typedefs {
        if !ffi.types().is_complete(id) {
            continue;
        }
        let mut m = Vec::new();
        member_names(&ffi, id, &mut m);
        records += usize::from(ffi.types().record_of(id).is_some());
        items.push((name, m));
    }
    assert!(
        records >= min_records,
        "<{header}>: only {records} records found, expected at least {min_records}"
    );

    let mut c = format!("#include <{header}>\n#include <stdio.h>\n#include <stddef.h>\nint main(void) {{\n");
    for (ty, members) in &items {
        writeln!(
            c,
            "  printf(\"%s|%zu|%zu\\n\", \"{ty}\", sizeof({ty}), __alignof__({ty}));"
        )
        .unwrap();
        for m in members {
            writeln!(c, "  printf(\"%s|{m}|%zu\\n\", \"{ty}\", offsetof({ty}, {m}));").unwrap();
        }
    }
    c.push_str("  return 0;\n}\n");
    let dir = temp_dir(&header.replace('/', "_"));
    let src = dir.path().join("layout.c");
    let exe = dir.path().join("layout");
    std::fs::write(&src, &c).expect("write C");
    let out = Command::new("gcc")
        .args(["-std=gnu11", "-w", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("gcc not found ({e}): run `apt-get install -y gcc`"));
    assert!(
        out.status.success(),
        "compiling the layout program for <{header}> failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().expect("run layout program");
    assert!(run.status.success());
    let stdout = String::from_utf8(run.stdout).expect("utf-8");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in stdout.lines() {
        let parts: Vec<&str> = line.split('|').collect();
        match parts.as_slice() {
            [ty, size, align] if size.parse::<u64>().is_ok() && parts.len() == 3 && align.parse::<u64>().is_ok() => {
                let ours = (ffi.sizeof(ty).unwrap(), ffi.alignof(ty).unwrap());
                let gcc = (size.parse().unwrap(), align.parse().unwrap());
                if ours != gcc {
                    failures.push(format!("{ty}: (size, align) ours {ours:?}, gcc {gcc:?}"));
                }
            }
            [ty, member, off] => {
                let ours = ffi.offsetof(ty, member).unwrap().offset;
                let gcc: u64 = off.parse().unwrap();
                if ours != gcc {
                    failures.push(format!("offsetof({ty}, {member}): ours {ours}, gcc {gcc}"));
                }
            }
            _ => panic!("unexpected output line `{line}`"),
        }
        checked += 1;
    }
    eprintln!("<{header}>: {checked} checks, {} items", items.len());
    drop(dir);
    assert!(
        failures.is_empty(),
        "<{header}> layout mismatches:\n{}",
        failures.join("\n")
    );
    assert!(min_records == 0 || checked > items.len(), "<{header}>: nothing checked");
}

/// The same check for aarch64 Linux, with `_Static_assert`s compiled by
/// `aarch64-linux-gnu-gcc -fsyntax-only` (nothing to run).
fn check_header_aarch64(header: &str) {
    let target = Target::Aarch64Linux;
    let text = preprocess_for(header, target);
    let mut ffi = Ffi::new(target);
    ffi.cdef(&text)
        .unwrap_or_else(|e| panic!("<{header}> (aarch64) does not parse: {e}"));
    let mut names: Vec<String> = Vec::new();
    for (tag, id) in &ffi.decls().tags {
        let kw = match ffi.types().kind(*id) {
            TypeKind::Enum(_) => "enum",
            _ => ffi.types().record_of(*id).expect("record").kind.keyword(),
        };
        names.push(format!("{kw} {tag}"));
    }
    names.extend(ffi.decls().typedefs.keys().cloned());
    names.sort();
    let mut c = format!("#include <{header}>\n#include <stddef.h>\n");
    let mut n = 0;
    for name in &names {
        let id = ffi.type_of(name).expect("declared name");
        if !ffi.types().is_complete(id) {
            continue;
        }
        let (s, a) = ffi.types().size_align(id).unwrap();
        writeln!(
            c,
            "_Static_assert(sizeof({name}) == {s} && __alignof__({name}) == {a}, \"{name}: {s} {a}\");"
        )
        .unwrap();
        let mut members = Vec::new();
        member_names(&ffi, id, &mut members);
        for m in members {
            let o = ffi.offsetof(name, &m).unwrap().offset;
            writeln!(
                c,
                "_Static_assert(offsetof({name}, {m}) == {o}, \"{name}.{m} at {o}\");"
            )
            .unwrap();
        }
        n += 1;
    }
    assert!(n > 3, "<{header}> (aarch64): nothing to check");
    let dir = temp_dir(&format!("aarch64-{}", header.replace('/', "_")));
    let src = dir.path().join("layout.c");
    std::fs::write(&src, &c).expect("write C");
    let (cc, hint) = compiler(target);
    let out = Command::new(cc)
        .args(["-std=gnu11", "-w", "-fsyntax-only"])
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `{hint}`"));
    drop(dir);
    assert!(
        out.status.success(),
        "<{header}> aarch64 layout mismatches:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn aarch64_headers() {
    for h in [
        "stdio.h",
        "stdlib.h",
        "time.h",
        "sys/stat.h",
        "signal.h",
        "zlib.h",
        "sqlite3.h",
        "link.h",
    ] {
        check_header_aarch64(h);
    }
}

/// More system headers (with their `_Float128`, VLA parameters, inline
/// functions, `__asm__` renames) through the same gcc comparison.
#[test]
fn more_system_headers() {
    for h in [
        "math.h",
        "link.h",
        "signal.h",
        "pthread.h",
        "wchar.h",
        "sys/socket.h",
        "netinet/in.h",
        "dirent.h",
        "termios.h",
        "regex.h",
        "ucontext.h",
        "complex.h",
        "setjmp.h",
    ] {
        check_header(h, 0);
    }
}

#[test]
fn stdio_h() {
    check_header("stdio.h", 2);
}

#[test]
fn stdlib_h() {
    check_header("stdlib.h", 10);
}

#[test]
fn string_h() {
    check_header("string.h", 1);
}

#[test]
fn time_h() {
    check_header("time.h", 3);
}

#[test]
fn sys_stat_h() {
    check_header("sys/stat.h", 2);
}

#[test]
fn zlib_h() {
    check_header("zlib.h", 3);
}

#[test]
fn sqlite3_h() {
    check_header("sqlite3.h", 15);
}

/// Functions, `__asm__` renames and variadics come through from a real header.
#[test]
fn stdio_functions_and_renames() {
    let text = preprocess("stdio.h");
    let mut ffi = Ffi::new(Target::X86_64SysV);
    ffi.cdef(&text).unwrap();
    let d = ffi.decls();
    let printf = &d.functions["printf"];
    let types = ffi.types();
    let sig = types.sig_of(printf.ty).unwrap();
    assert!(sig.variadic);
    assert_eq!(sig.params.len(), 1);
    assert_eq!(d.functions["fscanf"].symbol(), "__isoc99_fscanf");
    assert_eq!(d.functions["fopen"].symbol(), "fopen");
    assert!(d.variables.contains_key("stdin"));
    // `va_list` parameters are `struct __va_list_tag *` after adjustment.
    let vp = ffi.types().sig_of(d.functions["vprintf"].ty).unwrap().params[1];
    assert_eq!(ffi.types().display(vp), "struct __va_list_tag *");
}

/// `math.h`: ordinary functions are declared; x86_64's `_Float128`
/// functions (no representation) are skipped without failing the header.
#[test]
fn math_h_float128() {
    let mut x = Ffi::new(Target::X86_64SysV);
    x.cdef(&preprocess("math.h")).unwrap();
    let cos = &x.decls().functions["cos"];
    assert_eq!(x.types().display(cos.ty), "double (double)");
    assert!(x.decls().functions.contains_key("cosl"));
    assert!(x.decls().functions.contains_key("__fpclassifyl"));
    assert!(!x.decls().functions.contains_key("__fpclassifyf128"));
    let mut a = Ffi::new(Target::Aarch64Linux);
    a.cdef(&preprocess_for("math.h", Target::Aarch64Linux)).unwrap();
    let f = &a.decls().functions["cosl"];
    assert_eq!(a.types().display(f.ty), "long double (long double)");
}

/// A construct abicall cannot represent (here `_Float16`) fails the
/// declarations that use it, when they are used, not the whole text: the
/// rest of the header parses, and each dependent name says why it is
/// missing (regression: `<link.h>` failed as a whole at `bits/link.h`'s
/// vector types, which are now supported, see
/// `link_h_lays_out_its_vector_types`).
#[test]
fn unsupported_construct_fails_when_used() {
    let mut ffi = Ffi::new(Target::X86_64SysV);
    ffi.cdef(
        "typedef _Float16 half;
         struct before { int a; };
         typedef struct regs { half h[8]; long rsp; } regs_t;
         extern half global_half;
         int use_regs(regs_t *r, int n);
         int fine(int);
         struct after { struct before b; double d; };",
    )
    .expect("the header parses");
    assert_eq!(ffi.sizeof("struct after").unwrap(), 16);
    assert_eq!(ffi.sizeof("struct before").unwrap(), 4);
    assert!(ffi.decls().functions.contains_key("fine"));
    for (what, err) in [
        ("half", ffi.type_of("half").unwrap_err().to_string()),
        ("regs_t", ffi.type_of("regs_t").unwrap_err().to_string()),
        (
            "use_regs",
            ffi.function(&abicall::library::Library::process(), "use_regs")
                .unwrap_err()
                .to_string(),
        ),
        (
            "global_half",
            // SAFETY: the lookup fails before any memory is viewed (the
            // variable's declaration was skipped).
            unsafe { ffi.variable(&abicall::library::Library::process(), "global_half") }
                .unwrap_err()
                .to_string(),
        ),
    ] {
        assert!(err.contains("`_Float16` is not supported"), "{what}: {err}");
        assert!(err.contains("is not available"), "{what}: {err}");
    }
    // A later declaration using an unavailable name is skipped in turn.
    ffi.cdef("struct later { regs_t r; }; int also_fine(void);").unwrap();
    assert!(ffi
        .type_of("struct later")
        .and_then(|t| ffi.types().size_of(t))
        .is_err());
    assert!(ffi.decls().functions.contains_key("also_fine"));
}

/// GCC vector types in a header are types like any other: the typedef, the
/// records using it, the functions taking it.
#[test]
fn vector_types_in_a_header_are_usable() {
    let mut ffi = Ffi::new(Target::X86_64SysV);
    ffi.cdef(
        "typedef float vec4 __attribute__ ((__vector_size__ (16)));
         typedef struct regs { vec4 xmm[8]; long rsp; } regs_t;
         extern vec4 global_vec;
         int use_regs(regs_t *r, int n);
         vec4 add4(vec4, vec4);",
    )
    .expect("the header parses");
    assert_eq!(ffi.sizeof("vec4").unwrap(), 16);
    assert_eq!(ffi.sizeof("regs_t").unwrap(), 144);
    assert_eq!(ffi.offsetof("regs_t", "rsp").unwrap().offset, 128);
    for f in ["use_regs", "add4"] {
        assert!(ffi.decls().functions.contains_key(f), "{f}");
    }
    assert!(ffi.decls().variables.contains_key("global_vec"));
    assert!(ffi.decls().unavailable.is_empty(), "{:?}", ffi.decls().unavailable);
}

/// `<link.h>` (which includes `bits/link.h`'s vector typedefs on x86_64:
/// `La_x86_64_xmm`, `La_x86_64_ymm` with `aligned(16)` lowering a 32-byte
/// vector, ...) parses and lays out as gcc says, vector members included;
/// `more_system_headers` and `aarch64_headers` check every type of it
/// against the compilers, and this names the ones the issue asked for.
#[test]
fn link_h_lays_out_its_vector_types() {
    let text = preprocess_for("link.h", Target::X86_64SysV);
    let mut ffi = Ffi::new(Target::X86_64SysV);
    ffi.cdef(&text).expect("link.h parses");
    assert!(ffi.decls().unavailable.is_empty(), "{:?}", ffi.decls().unavailable);
    // gcc 12, x86_64 glibc 2.36.
    assert_eq!(ffi.sizeof("struct link_map").unwrap(), 40);
    assert_eq!(ffi.sizeof("struct r_debug").unwrap(), 40);
    assert_eq!(ffi.sizeof("Elf64_Dyn").unwrap(), 16);
    assert_eq!(
        (
            ffi.sizeof("La_x86_64_regs").unwrap(),
            ffi.alignof("La_x86_64_regs").unwrap()
        ),
        (768, 16)
    );
    assert_eq!(ffi.offsetof("La_x86_64_regs", "lr_vector").unwrap().offset, 192);
    assert_eq!(ffi.sizeof("La_x86_64_retval").unwrap(), 240);
    assert_eq!(
        (
            ffi.sizeof("La_x86_64_ymm").unwrap(),
            ffi.alignof("La_x86_64_ymm").unwrap()
        ),
        (32, 16)
    );
}
