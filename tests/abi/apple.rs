//! Apple arm64 call plans checked against clang (`--target=arm64-apple-macos11 -S`).
//!
//! There is no Apple machine to run code on, so this oracle reads assembly:
//!
//! - named arguments, callee side: for every argument `k` a function
//!   `void f(T0 a0, ..., Tn an) { sink = ak; }` is compiled; an argument the
//!   plan puts in registers must be stored from exactly those registers
//!   (`wN`/`xN`, `sN`/`dN`/`qN`) and not loaded from the stack; an argument
//!   the plan puts on the stack must be loaded from `[sp, #offset]`;
//! - variadic arguments, caller side: a call with those arguments must store
//!   to `[sp, #offset]` for every stack part of the plan.

use crate::support::abi as abi_support;

use abi_support::{c_defs, pattern, require_tool, B};
use abicall::abi::{CallPlan, Loc, Pass};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::process::Command;

struct Case {
    name: &'static str,
    args: Vec<TypeId>,
    fixed: Option<usize>,
}

fn cases(b: &mut B) -> Vec<Case> {
    use Prim::*;
    let (c, sh, i, l, f, d, ld, q) = (
        b.p(Char),
        b.p(Short),
        b.p(Int),
        b.p(Long),
        b.p(Float),
        b.p(Double),
        b.p(LongDouble),
        b.p(Int128),
    );
    let pc = b.ptr(c);
    let f3 = b.st("f3", &[f, f, f]);
    let f4 = b.st("f4", &[f, f, f, f]);
    let dl = b.st("dl", &[d, l]);
    let l3 = b.st("l3", &[l, l, l]);
    let c3a = b.arr(c, 3);
    let c3 = b.st("c3", &[c3a]);
    let i128s = b.st("i128s", &[q]);
    let memb16 = b.rec_decls(
        RecordKind::Struct,
        "memb16",
        vec![
            FieldDecl {
                align_attr: Some(16),
                ..FieldDecl::new("a", l)
            },
            FieldDecl::new("b", l),
        ],
        RecordAttrs::default(),
    );
    let mut v = vec![
        Case {
            name: "row 29 stack chars",
            args: [vec![c; 10], vec![sh, f, i]].concat(),
            fixed: None,
        },
        Case {
            name: "HFA overflow then floats",
            args: [vec![d; 6], vec![f3, f, f]].concat(),
            fixed: None,
        },
        Case {
            name: "composite after 7 ints",
            args: [vec![i; 7], vec![dl, c]].concat(),
            fixed: None,
        },
        Case {
            name: "__int128 after 5 ints (no even pair)",
            args: [vec![i; 5], vec![q, i]].concat(),
            fixed: None,
        },
        Case {
            name: "struct{__int128} and aligned member",
            args: vec![i, i128s, i, memb16],
            fixed: None,
        },
        Case {
            name: "longs, char, char[3] struct, int",
            args: [vec![l; 8], vec![c, c3, i, sh, l]].concat(),
            fixed: None,
        },
        Case {
            name: "long double is double",
            args: vec![ld, i, ld],
            fixed: None,
        },
        Case {
            name: "big struct by reference",
            args: [vec![i; 8], vec![l3, f4]].concat(),
            fixed: None,
        },
        Case {
            name: "row 15 variadic",
            args: vec![pc, f, c],
            fixed: Some(1),
        },
        Case {
            name: "variadic mixed",
            args: vec![i, d, f4, i, ld, l3, f, q, dl],
            fixed: Some(1),
        },
    ];
    // GCC vector types: short vectors in q/d registers, an HVA, a 32-byte
    // vector by reference, then short vectors on the stack.
    let v4sf = b.t.vector(Float, 16).unwrap();
    let v2sf = b.t.vector(Float, 8).unwrap();
    let v8sf = b.t.vector(Float, 32).unwrap();
    let hva = b.st("hva", &[v4sf, v4sf]);
    let sv4 = b.st("sv4", &[v4sf]);
    v.push(Case {
        name: "vectors, HVA, vectors on the stack",
        args: [vec![v4sf, v2sf, hva, v8sf, sv4], vec![v4sf; 3], vec![v2sf, c, v4sf]].concat(),
        fixed: None,
    });
    let v1sf = b.t.vector(Float, 4).unwrap();
    v.push(Case {
        name: "4-byte float vector in a general register (clang)",
        args: vec![i, v1sf, l, v1sf],
        fixed: None,
    });
    v.retain(|c| !c.args.is_empty());
    v
}

fn body<'a>(asm: &'a str, func: &str) -> &'a str {
    let start = asm
        .find(&format!("\n_{func}:"))
        .unwrap_or_else(|| panic!("no `{func}` in the assembly"));
    let rest = &asm[start + 1..];
    let end = rest.find("; -- End function").unwrap_or(rest.len());
    &rest[..end]
}

/// Instructions (mnemonic, operands) of a function body.
fn insns(body: &str) -> Vec<(String, String)> {
    body.lines()
        .map(|l| l.split(';').next().unwrap().trim())
        .filter(|l| !l.is_empty() && !l.ends_with(':') && !l.starts_with('.'))
        .map(|l| {
            let mut it = l.splitn(2, char::is_whitespace);
            (
                it.next().unwrap().to_string(),
                it.next().unwrap_or("").trim().to_string(),
            )
        })
        .collect()
}

fn sp_offset(ops: &str) -> Option<u64> {
    let at = ops.find("[sp")?;
    let rest = &ops[at + 3..];
    if rest.starts_with(']') {
        return Some(0);
    }
    let hash = rest.find('#')?;
    let end = rest[hash + 1..].find(|c: char| !c.is_ascii_digit())? + hash + 1;
    rest[hash + 1..end].parse().ok()
}

fn regs_before_mem(ops: &str) -> Vec<String> {
    let head = ops.split('[').next().unwrap_or("");
    head.split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect()
}

fn reg_name(loc: Loc, size: u64) -> Vec<String> {
    match loc {
        Loc::Gpr(r) => vec![format!("w{r}"), format!("x{r}")],
        Loc::Fpr(r) => vec![match size {
            4 => format!("s{r}"),
            8 => format!("d{r}"),
            _ => format!("q{r}"),
        }],
        _ => vec![],
    }
}

fn sig(types: &mut Types, plan_args: &[TypeId], fixed: Option<usize>) -> TypeId {
    let n = fixed.unwrap_or(plan_args.len());
    let v = types.prim(Prim::Void);
    types.func(v, plan_args[..n].to_vec(), fixed.is_some())
}

#[test]
fn apple_arm64_plans_match_clang() {
    require_tool("clang", "clang");
    let mut b = B::new(Target::Aarch64Apple);
    let cases = cases(&mut b);
    let plans: Vec<CallPlan> = cases
        .iter()
        .map(|c| {
            let v = b.void();
            match c.fixed {
                Some(n) => b.vplan(v, &c.args, n),
                None => b.plan(v, &c.args),
            }
        })
        .collect();
    let roots: Vec<TypeId> = cases.iter().flat_map(|c| c.args.clone()).collect();
    let mut src = c_defs(&b.t, &roots);
    for (n, c) in cases.iter().enumerate() {
        let fty = sig(&mut b.t, &c.args, c.fixed);
        if c.fixed.is_none() {
            let params: Vec<String> = c
                .args
                .iter()
                .enumerate()
                .map(|(k, &a)| b.t.declare(a, &format!("a{k}")))
                .collect();
            for (k, &a) in c.args.iter().enumerate() {
                let _ = writeln!(src, "{};", b.t.declare(a, &format!("sink{n}_{k}")));
                let _ = writeln!(src, "void f{n}_{k}({}) {{ sink{n}_{k} = a{k}; }}", params.join(", "));
            }
        } else {
            let _ = writeln!(src, "{};", b.t.declare(fty, &format!("va{n}")));
            let _ = writeln!(src, "void call{n}(void) {{");
            for (k, &a) in c.args.iter().enumerate() {
                let (pat, _) = pattern(&b.t, a, k as u32);
                let bytes: Vec<String> = pat.iter().map(|x| x.to_string()).collect();
                let _ = writeln!(
                    src,
                    "  static const unsigned char p{k}[] = {{{}}}; {}; __builtin_memcpy(&a{k}, p{k}, sizeof a{k});",
                    bytes.join(","),
                    b.t.declare(a, &format!("a{k}"))
                );
            }
            let names: Vec<String> = (0..c.args.len()).map(|k| format!("a{k}")).collect();
            let _ = writeln!(src, "  va{n}({});\n}}", names.join(", "));
        }
    }
    let dir = std::env::temp_dir().join(format!("abicall-abi-apple-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfile = dir.join("apple.c");
    std::fs::write(&cfile, &src).unwrap();
    let out = Command::new("clang")
        .args(["--target=arm64-apple-macos11", "-O2", "-S", "-w", "-o", "-"])
        .arg(&cfile)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "clang failed: {}\n{src}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let asm = String::from_utf8(out.stdout).unwrap();

    let mut failures = Vec::new();
    for (n, (c, plan)) in cases.iter().zip(&plans).enumerate() {
        let snap = plan.to_snapshot(&b.t);
        let mut fail = |m: String| failures.push(format!("{}: {m}\nplan:\n{snap}", c.name));
        if c.fixed.is_none() {
            for (k, a) in plan.args.iter().enumerate() {
                let code = insns(body(&asm, &format!("f{n}_{k}")));
                let loads: HashSet<u64> = code
                    .iter()
                    .filter(|(m, _)| m.starts_with("ld"))
                    .filter_map(|(_, o)| sp_offset(o))
                    .collect();
                let stored_regs: HashSet<String> = code
                    .iter()
                    .filter(|(m, _)| m.starts_with("st"))
                    .flat_map(|(_, o)| regs_before_mem(o))
                    .collect();
                let parts: Vec<(Loc, u64)> = match &a.pass {
                    Pass::Direct(p) => p.iter().map(|p| (p.loc, p.size)).collect(),
                    // The callee loads the pointer, then the value through it.
                    Pass::Indirect { ptr, .. } => vec![(*ptr, 8)],
                };
                let mut on_stack = false;
                for (loc, size) in parts {
                    match loc {
                        Loc::Stack(o) => {
                            on_stack = true;
                            if !loads.contains(&o) {
                                fail(format!("arg{k}: no load from [sp, #{o}] in f{n}_{k}: {code:?}"));
                            }
                        }
                        Loc::Gpr(_) if matches!(a.pass, Pass::Indirect { .. }) => {}
                        _ => {
                            let names = reg_name(loc, size);
                            if !names.iter().any(|r| stored_regs.contains(r)) {
                                fail(format!("arg{k}: {names:?} not stored in f{n}_{k}: {code:?}"));
                            }
                        }
                    }
                }
                if !on_stack && !loads.is_empty() {
                    fail(format!(
                        "arg{k}: register argument but f{n}_{k} loads from the stack: {code:?}"
                    ));
                }
            }
        } else {
            let code = insns(body(&asm, &format!("call{n}")));
            let mut stores = HashSet::new();
            for (m, o) in &code {
                if !m.starts_with("st") {
                    continue;
                }
                if let Some(off) = sp_offset(o) {
                    stores.insert(off);
                    if m == "stp" {
                        let r = regs_before_mem(o);
                        let w = match r[0].chars().next() {
                            Some('w') | Some('s') => 4,
                            Some('q') => 16,
                            _ => 8,
                        };
                        stores.insert(off + w);
                    }
                }
            }
            for (k, a) in plan.args.iter().enumerate().skip(plan.fixed_args) {
                let loc = match &a.pass {
                    Pass::Direct(p) => p[0].loc,
                    Pass::Indirect { ptr, .. } => *ptr,
                };
                match loc {
                    Loc::Stack(o) if stores.contains(&o) => {}
                    _ => fail(format!(
                        "arg{k}: expected a store to [sp, #{loc:?}] in call{n}: {code:?}"
                    )),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
