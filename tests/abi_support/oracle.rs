//! The run-time oracle: gcc-compiled callers pass patterned arguments to an
//! assembly stub that dumps the argument registers and stack, and receive
//! results from a stub that loads a known register image (see
//! `tests/abi_oracle.rs`).

use super::{c_defs, pattern, pattern_promoted, require_tool, Case, B};
use abicall::abi::{CallPlan, Ext, Loc, Pass};
use abicall::types::{TypeId, Types};
use abicall::Target;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

// ---------------------------------------------------------------------------
// Assembly stubs.

const X86_STUBS: &str = r#"
    .text
    .globl dump
dump:
    movq %rdi, regs+0(%rip)
    movq %rsi, regs+8(%rip)
    movq %rdx, regs+16(%rip)
    movq %rcx, regs+24(%rip)
    movq %r8, regs+32(%rip)
    movq %r9, regs+40(%rip)
    movq %rax, regs+48(%rip)
    movdqu %xmm0, regs+56(%rip)
    movdqu %xmm1, regs+72(%rip)
    movdqu %xmm2, regs+88(%rip)
    movdqu %xmm3, regs+104(%rip)
    movdqu %xmm4, regs+120(%rip)
    movdqu %xmm5, regs+136(%rip)
    movdqu %xmm6, regs+152(%rip)
    movdqu %xmm7, regs+168(%rip)
    leaq 8(%rsp), %rsi
    leaq stk(%rip), %rdi
    movl $256, %ecx
    rep movsb
    movq regs+0(%rip), %rax
    ret

    .globl retstub
retstub:
    movl mode(%rip), %eax
    cmpl $1, %eax
    je 1f
    movq rimg+0(%rip), %rax
    movq rimg+8(%rip), %rdx
    movdqu rimg+16(%rip), %xmm0
    movdqu rimg+32(%rip), %xmm1
    cmpl $2, mode(%rip)
    jl 3f
    je 2f
    fldt rimg+64(%rip)
2:  fldt rimg+48(%rip)
3:  ret
1:  movq %rdi, %rax
    movq %rdi, %rcx
    subq %rsp, %rcx
    cmpq $65536, %rcx
    ja 4f
    leaq rimg(%rip), %rsi
    movq retsize(%rip), %rcx
    rep movsb
4:  ret
    .section .note.GNU-stack,"",@progbits
"#;

const A64_STUBS: &str = r#"
    .text
    .globl dump
dump:
    adrp x9, regs
    add x9, x9, :lo12:regs
    stp x0, x1, [x9]
    stp x2, x3, [x9, 16]
    stp x4, x5, [x9, 32]
    stp x6, x7, [x9, 48]
    str x8, [x9, 64]
    stp q0, q1, [x9, 80]
    stp q2, q3, [x9, 112]
    stp q4, q5, [x9, 144]
    stp q6, q7, [x9, 176]
    adrp x10, stk
    add x10, x10, :lo12:stk
    mov x11, sp
    mov x12, 0
1:  ldr x13, [x11, x12]
    str x13, [x10, x12]
    add x12, x12, 8
    cmp x12, 256
    b.lt 1b
    ret

    .globl retstub
retstub:
    adrp x9, mode
    ldr w9, [x9, :lo12:mode]
    adrp x10, rimg
    add x10, x10, :lo12:rimg
    cmp w9, 1
    b.eq 1f
    ldp x0, x1, [x10]
    ldp q0, q1, [x10, 16]
    ldp q2, q3, [x10, 48]
    ret
1:  mov x11, sp
    sub x11, x8, x11
    mov x12, 65536
    cmp x11, x12
    b.hi 3f
    adrp x11, retsize
    ldr x11, [x11, :lo12:retsize]
    mov x12, 0
2:  cmp x12, x11
    b.ge 3f
    ldrb w13, [x10, x12]
    strb w13, [x8, x12]
    add x12, x12, 1
    b 2b
3:  ret
    .section .note.GNU-stack,"",@progbits
"#;

/// Register dump layout: (offset of GPR n, offset of FPR n, offset of `al`).
fn dump_layout(target: Target) -> (usize, usize, usize) {
    match target {
        Target::X86_64SysV => (0, 56, 48),
        _ => (0, 80, usize::MAX),
    }
}

/// Return image layout: (GPR n, FPR n, st n).
fn ret_layout(target: Target) -> (usize, usize, usize) {
    match target {
        Target::X86_64SysV => (0, 16, 48),
        _ => (0, 16, usize::MAX),
    }
}

fn rimg(target: Target) -> Vec<u8> {
    let mut v: Vec<u8> = (0..96u32).map(|k| (0x5a + k * 0x0d) as u8).collect();
    if target == Target::X86_64SysV {
        for (n, base) in [48usize, 64].iter().enumerate() {
            let m: u64 = (1u64 << 63) | ((n as u64 + 3) << 48) | 0xabcd;
            v[*base..*base + 8].copy_from_slice(&m.to_le_bytes());
            v[*base + 8..*base + 10].copy_from_slice(&0x3ffeu16.to_le_bytes());
        }
    }
    v
}

fn c_bytes(b: &[u8]) -> String {
    let mut s = String::from("{");
    for x in b {
        let _ = write!(s, "{x},");
    }
    if b.is_empty() {
        s.push('0');
    }
    s.push('}');
    s
}

fn is_sret(p: &CallPlan) -> bool {
    matches!(p.ret.pass, Pass::Indirect { .. })
}

fn ret_mode(p: &CallPlan) -> u32 {
    if is_sret(p) {
        return 1;
    }
    let parts = p.ret.parts();
    if parts.iter().any(|q| q.loc == Loc::X87(1)) {
        3
    } else if parts.iter().any(|q| q.loc == Loc::X87(0)) {
        2
    } else {
        0
    }
}

/// Generates the C program for all cases.
fn c_program(types: &mut Types, cases: &[Case], plans: &[CallPlan]) -> String {
    let target = types.target();
    let mut roots: Vec<TypeId> = Vec::new();
    for c in cases {
        roots.push(c.ret);
        roots.extend(&c.args);
    }
    let mut s = String::from(
        "#include <stdio.h>\n#include <string.h>\n#include <stdint.h>\n\
         unsigned char regs[208]; unsigned char stk[256]; unsigned char rimg[96];\n\
         unsigned int mode; unsigned long retsize;\n\
         void dump(void); void retstub(void);\n\
         static void hex(const void *p, unsigned long n) { const unsigned char *b = p; \
         for (unsigned long i = 0; i < n; i++) printf(\"%02x\", b[i]); }\n\
         __attribute__((noinline)) static int ind(uintptr_t p, const unsigned char *pat, \
         const unsigned char *mask, unsigned long n) { char here; uintptr_t h = (uintptr_t)&here; \
         if (p < h - 65536 || p > h + 65536) return 0; const unsigned char *q = (const unsigned char *)p; \
         for (unsigned long i = 0; i < n; i++) if ((q[i] ^ pat[i]) & mask[i]) return 0; return 1; }\n",
    );
    s.push_str(&c_defs(types, &roots));
    let img = rimg(target);
    let _ = writeln!(s, "static const unsigned char rimg_init[96] = {};", c_bytes(&img));
    let mut main = String::from("int main(void) {\n  memcpy(rimg, rimg_init, 96);\n");
    for (n, (c, plan)) in cases.iter().zip(plans).enumerate() {
        // Argument side.
        let fixed = c.fixed.unwrap_or(c.args.len());
        let fty = types.func(c.ret, c.args[..fixed].to_vec(), c.fixed.is_some());
        let fptr = types.pointer(fty);
        let _ = writeln!(s, "static void case{n}(void) {{ /* {} */", c.name);
        let _ = writeln!(s, "  typedef {};", types.declare(fptr, "fn_t"));
        let mut call_args = Vec::new();
        for (k, &a) in c.args.iter().enumerate() {
            let (pat, mask) = pattern(types, a, k as u32);
            let _ = writeln!(s, "  static const unsigned char p{k}[] = {};", c_bytes(&pat));
            let _ = writeln!(s, "  static const unsigned char m{k}[] = {};", c_bytes(&mask));
            let _ = writeln!(
                s,
                "  {}; memcpy(&a{k}, p{k}, sizeof a{k});",
                types.declare(a, &format!("a{k}"))
            );
            call_args.push(format!("a{k}"));
        }
        let _ = writeln!(s, "  memset(regs, 0, sizeof regs); memset(stk, 0, sizeof stk);");
        let _ = writeln!(s, "  ((fn_t)(void *)dump)({});", call_args.join(", "));
        // Indirect arguments: check the copy right away, before anything reuses the stack.
        let mut inds = Vec::new();
        let (gpr_off, _, _) = dump_layout(target);
        for (k, a) in plan.args.iter().enumerate() {
            if let Pass::Indirect { ptr, .. } = a.pass {
                let src = match ptr {
                    Loc::Gpr(r) => format!("regs + {}", gpr_off + 8 * r as usize),
                    Loc::Stack(o) => format!("stk + {o}"),
                    _ => panic!("indirect pointer in {ptr:?}"),
                };
                let _ = writeln!(
                    s,
                    "  uintptr_t ip{k}; memcpy(&ip{k}, {src}, 8); int ok{k} = ind(ip{k}, p{k}, m{k}, sizeof a{k});"
                );
                inds.push(k);
            }
        }
        let _ = writeln!(
            s,
            "  printf(\"A{n} \"); hex(regs, sizeof regs); printf(\" \"); hex(stk, sizeof stk);"
        );
        for k in inds {
            let _ = writeln!(s, "  printf(\" I{k}=%d\", ok{k});");
        }
        let _ = writeln!(s, "  printf(\"\\n\");\n}}");
        let _ = writeln!(main, "  case{n}();");
        // Return side.
        if plan.ret.size > 0 {
            let rty = types.func(c.ret, vec![], false);
            let rptr = types.pointer(rty);
            let _ = writeln!(s, "static void rcase{n}(void) {{");
            let _ = writeln!(s, "  typedef {};", types.declare(rptr, "rf_t"));
            let _ = writeln!(s, "  mode = {}; retsize = {};", ret_mode(plan), plan.ret.size);
            let _ = writeln!(s, "  {} = ((rf_t)(void *)retstub)();", types.declare(c.ret, "r"));
            let _ = writeln!(s, "  printf(\"R{n} \"); hex(&r, sizeof r); printf(\"\\n\");\n}}");
            let _ = writeln!(main, "  rcase{n}();");
        }
    }
    main.push_str("  return 0;\n}\n");
    s.push_str(&main);
    s
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn tmpdir(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("abicall-abi-oracle-{tag}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn compile_and_run(target: Target, c: &str) -> String {
    let dir = tmpdir(target.name());
    let cfile = dir.join("t.c");
    let sfile = dir.join("stubs.s");
    let exe = dir.join("t");
    std::fs::write(&cfile, c).unwrap();
    let (cc, pkg, stubs) = match target {
        Target::X86_64SysV => ("gcc", "gcc", X86_STUBS),
        _ => ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", A64_STUBS),
    };
    require_tool(cc, pkg);
    std::fs::write(&sfile, stubs).unwrap();
    let mut cmd = Command::new(cc);
    cmd.args(["-O2", "-w", "-o"]).arg(&exe).arg(&cfile).arg(&sfile);
    if target != Target::X86_64SysV {
        cmd.arg("-static");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cc} failed:\n{}\n(source in {})",
        String::from_utf8_lossy(&out.stderr),
        cfile.display()
    );
    let mut cmd = if target == Target::X86_64SysV {
        Command::new(&exe)
    } else {
        require_tool("qemu-aarch64-static", "qemu-user-static");
        let mut c = Command::new("qemu-aarch64-static");
        c.arg(&exe);
        c
    };
    let run = output_with_timeout(&mut cmd, std::time::Duration::from_secs(60));
    assert!(run.status.success(), "oracle program failed: {:?}", run);
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(run.stdout).unwrap()
}

/// Compiles and runs the dump program for `cases` (built in `b`) and checks
/// every plan against what the compiler did. Panics with every mismatch.
pub fn check_target(mut b: B, cases: &[Case]) {
    let target = b.t.target();
    assert!(target != Target::Aarch64Apple, "no Apple toolchain to run code");
    let plans: Vec<CallPlan> = cases
        .iter()
        .map(|c| match c.fixed {
            Some(n) => b.vplan(c.ret, &c.args, n),
            None => b.plan(c.ret, &c.args),
        })
        .collect();
    if std::env::var_os("ABICALL_PRINT_PLANS").is_some() {
        for (c, p) in cases.iter().zip(&plans) {
            eprintln!("== {} ({target})\n{}", c.name, p.to_snapshot(&b.t));
        }
    }
    let prog = c_program(&mut b.t, cases, &plans);
    let out = compile_and_run(target, &prog);
    let types = &b.t;
    let (gpr, fpr, al_off) = dump_layout(target);
    let (rgpr, rfpr, rst) = ret_layout(target);
    let img = rimg(target);
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in out.lines() {
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap();
        let n: usize = tag[1..].parse().unwrap();
        let (case, plan) = (&cases[n], &plans[n]);
        let snap = plan.to_snapshot(types);
        let mut roots = vec![case.ret];
        roots.extend(&case.args);
        let defs = c_defs(types, &roots);
        let mut fail = |what: String| {
            failures.push(format!(
                "[{}] {}: {what}\nplan:\n{snap}\ntypes:\n{defs}",
                target, case.name
            ))
        };
        if tag.starts_with('A') {
            let regs = unhex(words.next().unwrap());
            let stk = unhex(words.next().unwrap());
            let inds: Vec<&str> = words.collect();
            for (k, a) in plan.args.iter().enumerate() {
                let (pat, mask) = pattern_promoted(types, case.args[k], a.promoted, k as u32);
                match &a.pass {
                    Pass::Indirect { .. } => {
                        if !inds.contains(&format!("I{k}=1").as_str()) {
                            fail(format!("arg{k}: no copy of the value behind the indirect pointer"));
                        }
                    }
                    Pass::Direct(parts) => {
                        let mut covered = vec![0u8; pat.len()];
                        for p in parts {
                            let (src, at): (&[u8], usize) = match p.loc {
                                Loc::Gpr(r) => (&regs, gpr + 8 * r as usize),
                                Loc::Fpr(r) => (&regs, fpr + 16 * r as usize),
                                Loc::Stack(o) => (&stk, o as usize),
                                Loc::X87(_) => {
                                    fail(format!("arg{k}: x87 register for an argument"));
                                    continue;
                                }
                            };
                            for c in &mut covered[p.offset as usize..(p.offset + p.size) as usize] {
                                *c = 0xff;
                            }
                            for j in 0..p.size as usize {
                                let want = pat[p.offset as usize + j];
                                let m = mask[p.offset as usize + j];
                                if (src[at + j] ^ want) & m != 0 {
                                    fail(format!(
                                        "arg{k}: byte {} expected {want:02x} at {:?}+{j}, found {:02x}",
                                        p.offset as usize + j,
                                        p.loc,
                                        src[at + j]
                                    ));
                                    break;
                                }
                            }
                            if p.ext != Ext::None && p.size < 4 {
                                let top = src[at + p.size as usize - 1];
                                let fillb = if p.ext == Ext::Sign32 && top & 0x80 != 0 {
                                    0xff
                                } else {
                                    0
                                };
                                if src[at + p.size as usize..at + 4].iter().any(|&x| x != fillb) {
                                    fail(format!("arg{k}: not extended to 32 bits as {:?}", p.ext));
                                }
                            }
                        }
                        for j in 0..pat.len() {
                            if mask[j] != 0 && covered[j] == 0 {
                                fail(format!("arg{k}: byte {j} is in no part"));
                                break;
                            }
                        }
                    }
                }
            }
            if let Some(al) = plan.al {
                if regs[al_off] != al {
                    fail(format!("al = {} but the plan says {al}", regs[al_off]));
                }
            }
        } else {
            let got = unhex(words.next().unwrap_or(""));
            let (_, mask) = pattern(types, case.ret, 0);
            match &plan.ret.pass {
                Pass::Indirect { .. } => {
                    for j in 0..got.len() {
                        if (got[j] ^ img[j]) & mask[j] != 0 {
                            fail(format!("ret: byte {j} not written through the hidden pointer"));
                            break;
                        }
                    }
                }
                Pass::Direct(parts) => {
                    let mut covered = vec![0u8; got.len()];
                    for p in parts {
                        let at = match p.loc {
                            Loc::Gpr(r) => rgpr + 8 * r as usize,
                            Loc::Fpr(r) => rfpr + 16 * r as usize,
                            Loc::X87(r) => rst + 16 * r as usize,
                            Loc::Stack(_) => {
                                fail("ret: on the stack".into());
                                continue;
                            }
                        };
                        for c in &mut covered[p.offset as usize..(p.offset + p.size) as usize] {
                            *c = 0xff;
                        }
                        for j in 0..p.size as usize {
                            let o = p.offset as usize + j;
                            if (got[o] ^ img[at + j]) & mask[o] != 0 {
                                fail(format!(
                                    "ret: byte {o} expected {:02x} from {:?}+{j}, found {:02x}",
                                    img[at + j],
                                    p.loc,
                                    got[o]
                                ));
                                break;
                            }
                        }
                    }
                    for j in 0..got.len() {
                        if mask[j] != 0 && covered[j] == 0 {
                            fail(format!("ret: byte {j} is in no part"));
                            break;
                        }
                    }
                }
            }
        }
        checked += 1;
    }
    let expected: usize = plans.len() + plans.iter().filter(|p| p.ret.size > 0).count();
    assert_eq!(checked, expected, "oracle output incomplete:\n{out}");
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Runs a command, killing it after `limit` (a wrong plan can make the
/// oracle program corrupt its own memory and hang).
fn output_with_timeout(cmd: &mut Command, limit: std::time::Duration) -> std::process::Output {
    use std::io::Read;
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("oracle program hung for {limit:?} (a wrong plan can corrupt its memory)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_end(&mut stderr);
    }
    std::process::Output {
        status,
        stdout: reader.join().unwrap(),
        stderr,
    }
}
