//! Layout probe: checks our layout of C types against a real C compiler.
//!
//! For every case (a C type plus the [`TypeId`] we built for it) the probe
//! derives checks from *our* layout: `sizeof`, `__alignof__`, `offsetof` of
//! every member path (nested members `a.b.c`, array elements `a[2][1].c`,
//! anonymous members looked through) and, for every bitfield, the bytes of a
//! zeroed object after storing all-ones into that bitfield. One C program is
//! generated for a batch of cases:
//!
//! - the `sizeof` / `__alignof__` / `offsetof` checks become `_Static_assert`s
//!   (so a failed check is found by compiling alone, as with
//!   `aarch64-linux-gnu-gcc -c`) and are also printed at run time;
//! - the bitfield checks are run (natively on x86_64, under
//!   `qemu-aarch64-static` for aarch64) and print the non-zero bytes.
//!
//! The alignment is gcc's `__alignof__`, the alignment layout uses
//! (`TYPE_ALIGN`). C11 `_Alignof` is the same for every type but one kind:
//! for a type aligned beyond 16 bytes by an x86_64 GCC vector (a 32-byte
//! `vector_size`, or a struct holding one) without an `aligned` attribute,
//! gcc's `_Alignof` reports at most 16 (`BIGGEST_ALIGNMENT` without `-mavx`)
//! while members of that type are still placed at 32.
//!
//! When a static assertion fails the batch is compiled again without them so
//! the report can show the compiler's value next to ours.

use super::tools::{aarch64_gcc, gcc, qemu_aarch64, run, TempDir};
use abicall::types::{Prim, TypeId, TypeKind, Types};
use abicall::Target;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;

/// One C type to check.
#[derive(Clone, Debug)]
pub struct Case {
    /// Shown in failure messages (e.g. `seed 7, type 123`).
    pub label: String,
    /// The C definitions the type needs (records, enums, typedefs).
    pub c_defs: String,
    /// The C spelling of the type (`struct s12`, `long double`).
    pub c_type: String,
    /// Our type, in the [`Types`] passed to [`check_cases`].
    pub ty: TypeId,
}

/// What our layout says a check must give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A `sizeof` / `__alignof__` / `offsetof` value.
    Value(u64),
    /// The non-zero bytes `(index, value)` of a zeroed object after setting
    /// one bitfield to all ones.
    Bytes(Vec<(u64, u8)>),
}

/// One check derived from our layout.
#[derive(Clone, Debug)]
pub struct Check {
    /// Index of the case in the batch.
    pub case: usize,
    /// For `Value`: the C constant expression; for `Bytes`: the member path.
    pub expr: String,
    /// For `Bytes`: the value stored (`-1`, or `1` for `_Bool`).
    pub store: &'static str,
    /// Our answer.
    pub expect: Expect,
}

impl Check {
    /// Human-readable description.
    pub fn what(&self, c_type: &str) -> String {
        match self.expect {
            Expect::Value(_) => self.expr.clone(),
            Expect::Bytes(_) => format!("bytes of ({c_type}){{0}} after .{} = {}", self.expr, self.store),
        }
    }
}

/// A disagreement between our layout and the compiler.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// Index of the case.
    pub case: usize,
    /// What was checked.
    pub what: String,
    /// Our answer.
    pub ours: String,
    /// The compiler's answer.
    pub compiler: String,
}

/// Upper bound on member checks per case (keeps huge nested types cheap).
pub const MAX_CHECKS_PER_CASE: usize = 96;

fn fmt_expect(e: &Expect) -> String {
    match e {
        Expect::Value(v) => v.to_string(),
        Expect::Bytes(b) if b.is_empty() => "(all zero)".to_string(),
        Expect::Bytes(b) => b
            .iter()
            .map(|(i, v)| format!("{i}:{v:02x}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The checks for one case, derived from our layout of `ty`.
pub fn checks_for(types: &Types, case: usize, c_type: &str, ty: TypeId) -> Vec<Check> {
    let (size, align) = types
        .size_align(ty)
        .unwrap_or_else(|e| panic!("our layout of `{c_type}` failed: {e}"));
    let mut out = vec![
        Check {
            case,
            expr: format!("sizeof({c_type})"),
            store: "",
            expect: Expect::Value(size),
        },
        Check {
            case,
            expr: format!("__alignof__({c_type})"),
            store: "",
            expect: Expect::Value(align),
        },
    ];
    if types.record_of(ty).is_some() {
        let mut w = Walk {
            types,
            root: ty,
            case,
            c_type,
            out: &mut out,
        };
        w.record(ty, "", 0);
    }
    out
}

struct Walk<'a> {
    types: &'a Types,
    root: TypeId,
    case: usize,
    c_type: &'a str,
    out: &'a mut Vec<Check>,
}

impl Walk<'_> {
    fn full(&self) -> bool {
        self.out.len() >= MAX_CHECKS_PER_CASE
    }

    fn offset(&mut self, path: &str, off: u64) {
        // Our own path resolver must agree with the walk over our fields.
        let via_path = self
            .types
            .offset_of(self.root, path)
            .unwrap_or_else(|e| panic!("offset_of(`{}`, `{path}`) failed: {e}", self.c_type));
        assert_eq!(
            via_path.offset, off,
            "offset_of(`{}`, `{path}`) disagrees with the record's fields",
            self.c_type
        );
        self.out.push(Check {
            case: self.case,
            expr: format!("offsetof({}, {path})", self.c_type),
            store: "",
            expect: Expect::Value(off),
        });
    }

    fn record(&mut self, ty: TypeId, prefix: &str, base: u64) {
        let rec = self.types.record_of(ty).expect("record");
        for f in rec.fields.clone() {
            if self.full() {
                return;
            }
            let name = match &f.name {
                Some(n) => n.clone(),
                None if f.bit.is_none() => {
                    self.record(f.ty, prefix, base + f.offset);
                    continue;
                }
                None => continue,
            };
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}.{name}")
            };
            let off = base + f.offset;
            if let Some(b) = f.bit {
                if b.bit_width == 0 {
                    continue;
                }
                let start = off * 8 + b.bit_offset as u64;
                let mut bytes: Vec<(u64, u8)> = Vec::new();
                for bit in start..start + b.bit_width as u64 {
                    let idx = bit / 8;
                    match bytes.last_mut() {
                        Some((i, v)) if *i == idx => *v |= 1 << (bit % 8),
                        _ => bytes.push((idx, 1 << (bit % 8))),
                    }
                }
                let is_bool = self.types.as_prim(f.ty) == Some(Prim::Bool);
                self.out.push(Check {
                    case: self.case,
                    expr: path,
                    store: if is_bool { "1" } else { "-1" },
                    expect: Expect::Bytes(bytes),
                });
                continue;
            }
            self.offset(&path, off);
            self.member(f.ty, &path, off);
        }
    }

    fn member(&mut self, ty: TypeId, path: &str, off: u64) {
        match self.types.kind(ty) {
            TypeKind::Record(_) => self.record(ty, path, off),
            TypeKind::Array { .. } => {
                // The last element of every dimension: `a[n-1][m-1]`.
                let mut t = ty;
                let mut p = path.to_string();
                let mut o = off;
                while let TypeKind::Array { elem, len } = self.types.kind(t) {
                    let n = match len {
                        Some(n) if *n > 0 => *n,
                        _ => return,
                    };
                    let es = self.types.size_of(*elem).expect("element size");
                    let _ = write!(p, "[{}]", n - 1);
                    o += (n - 1) * es;
                    t = *elem;
                }
                if !self.full() {
                    self.offset(&p, o);
                }
                if self.types.record_of(t).is_some() {
                    self.record(t, &p, o);
                }
            }
            _ => {}
        }
    }
}

/// Renders the probe program for a batch.
pub fn render_program(cases: &[Case], checks: &[Check], buf_size: u64) -> String {
    let mut s = String::new();
    s.push_str("#include <stddef.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n");
    for (i, c) in cases.iter().enumerate() {
        let _ = writeln!(s, "/* case {i}: {} */\n{}", c.label, c.c_defs);
    }
    s.push_str("\nstatic const unsigned long long V[] = {\n");
    for ch in checks.iter().filter(|c| matches!(c.expect, Expect::Value(_))) {
        let _ = writeln!(s, "  (unsigned long long)({}),", ch.expr);
    }
    let _ = write!(
        s,
        "}};\nstatic _Alignas(256) unsigned char B[{buf_size}];\n\
         static void dump(int j, size_t n) {{\n\
         \x20 if (n > sizeof B) {{ printf(\"overflow %d\\n\", j); exit(2); }}\n\
         \x20 printf(\"b %d\", j);\n\
         \x20 for (size_t i = 0; i < n; i++) if (B[i]) printf(\" %zu:%02x\", i, B[i]);\n\
         \x20 printf(\"\\n\");\n}}\n\
         #define BF(J, T, P, X) do {{ if (sizeof(T) > sizeof B) dump(J, sizeof(T)); \
         memset(B, 0, sizeof(T)); ((T *)B)->P = X; dump(J, sizeof(T)); }} while (0)\n\
         int main(void) {{\n\
         \x20 for (size_t i = 0; i < sizeof V / sizeof V[0]; i++) printf(\"v %zu %llu\\n\", i, V[i]);\n"
    );
    for (j, ch) in checks.iter().enumerate() {
        if let Expect::Bytes(_) = ch.expect {
            let _ = writeln!(s, "  BF({j}, {}, {}, {});", cases[ch.case].c_type, ch.expr, ch.store);
        }
    }
    s.push_str("  return 0;\n}\n\n#ifndef NO_ASSERTS\n");
    for (j, ch) in checks.iter().enumerate() {
        if let Expect::Value(v) = ch.expect {
            let _ = writeln!(s, "_Static_assert({} == {v}, \"chk {j}\");", ch.expr);
        }
    }
    s.push_str("#endif\n");
    s
}

/// Compiles and runs the probe for `cases` (laid out in `types`) on the
/// target of `types`; returns every disagreement. Panics if a tool is
/// missing or the compiler rejects the C text for another reason than a
/// failed check (that is a bug in the case's C text).
pub fn check_cases(types: &Types, cases: &[Case], name: &str) -> Vec<Mismatch> {
    let target = types.target();
    let mut checks = Vec::new();
    let mut max_size = 0;
    for (i, c) in cases.iter().enumerate() {
        max_size = max_size.max(types.size_of(c.ty).unwrap_or(0));
        checks.extend(checks_for(types, i, &c.c_type, c.ty));
    }
    let src = render_program(cases, &checks, max_size * 2 + 4096);
    let dir = TempDir::new(name).expect("create a temporary directory");
    let c_path = dir.path().join(format!("{name}.c"));
    std::fs::write(&c_path, &src).expect("write probe source");
    let exe = dir.path().join(name);
    let compile = |extra: &[&str]| {
        let mut cmd = match target {
            Target::X86_64SysV => Command::new(gcc()),
            Target::Aarch64Linux => {
                let mut c = Command::new(aarch64_gcc());
                c.arg("-static");
                c
            }
            Target::Aarch64Apple => {
                panic!("no Apple arm64 compiler here: the Aarch64Apple layout cannot be checked against a compiler")
            }
        };
        cmd.args(["-std=gnu11", "-O0", "-w", "-fmax-errors=0", "-o"])
            .arg(&exe)
            .arg(&c_path)
            .args(extra);
        run(&mut cmd, "compile layout probe")
    };

    let mut mismatches = Vec::new();
    let mut failed_asserts = Vec::new();
    let out = compile(&[]);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut other_errors = Vec::new();
        for line in stderr.lines().filter(|l| l.contains("error")) {
            match line.split("static assertion failed: \"chk ").nth(1) {
                Some(rest) => {
                    let j: usize = rest.trim_end_matches('"').parse().expect("check number");
                    failed_asserts.push(j);
                }
                None => other_errors.push(line.to_string()),
            }
        }
        if !other_errors.is_empty() || failed_asserts.is_empty() {
            let _ = std::fs::write(std::env::temp_dir().join(format!("{name}-rejected.c")), &src);
            panic!(
                "{target}: the compiler rejected the probe C text (saved as {}):\n{}",
                std::env::temp_dir().join(format!("{name}-rejected.c")).display(),
                stderr.lines().take(40).collect::<Vec<_>>().join("\n")
            );
        }
        let out = compile(&["-DNO_ASSERTS"]);
        assert!(
            out.status.success(),
            "probe without asserts failed to compile:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = match target {
        Target::X86_64SysV => run(&mut Command::new(&exe), "run layout probe"),
        _ => run(Command::new(qemu_aarch64()).arg(&exe), "run layout probe under qemu"),
    };
    assert!(
        out.status.success(),
        "{target}: layout probe exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("")
    );

    // Map printed values back to checks.
    let value_checks: Vec<usize> = (0..checks.len())
        .filter(|&j| matches!(checks[j].expect, Expect::Value(_)))
        .collect();
    let mut got: HashMap<usize, Expect> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.split(' ');
        match parts.next() {
            Some("v") => {
                let i: usize = parts.next().and_then(|p| p.parse().ok()).expect("value index");
                let v: u64 = parts.next().and_then(|p| p.parse().ok()).expect("value");
                got.insert(value_checks[i], Expect::Value(v));
            }
            Some("b") => {
                let j: usize = parts.next().and_then(|p| p.parse().ok()).expect("check index");
                let bytes = parts
                    .map(|p| {
                        let (i, v) = p.split_once(':').expect("i:v");
                        (i.parse().expect("byte index"), u8::from_str_radix(v, 16).expect("byte"))
                    })
                    .collect();
                got.insert(j, Expect::Bytes(bytes));
            }
            _ => panic!("unexpected probe output line `{line}`"),
        }
    }
    for (j, ch) in checks.iter().enumerate() {
        let theirs = got.get(&j);
        if theirs != Some(&ch.expect) || failed_asserts.contains(&j) {
            mismatches.push(Mismatch {
                case: ch.case,
                what: ch.what(&cases[ch.case].c_type),
                ours: fmt_expect(&ch.expect),
                compiler: theirs.map_or("(no output)".to_string(), fmt_expect),
            });
        }
    }
    mismatches
}

/// Formats mismatches for a failure message, at most `limit` cases, each
/// with its C text.
pub fn report(target: Target, cases: &[Case], mismatches: &[Mismatch], limit: usize) -> String {
    let mut s = String::new();
    let mut shown: Vec<usize> = Vec::new();
    for m in mismatches {
        if !shown.contains(&m.case) {
            if shown.len() == limit {
                break;
            }
            shown.push(m.case);
            let c = &cases[m.case];
            let _ = writeln!(
                s,
                "\n== {target}: {} (`{}`):\n{}",
                c.label,
                c.c_type,
                c.c_defs.trim_end()
            );
        }
        let _ = writeln!(s, "   {}: ours {}, compiler {}", m.what, m.ours, m.compiler);
    }
    let total: std::collections::HashSet<usize> = mismatches.iter().map(|m| m.case).collect();
    let _ = writeln!(
        s,
        "\n{target}: {} disagreements in {} of {} types",
        mismatches.len(),
        total.len(),
        cases.len()
    );
    s
}
