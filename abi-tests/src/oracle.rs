//! The register-dump oracle: C compiled by the target's compiler calls an
//! assembly stub through a function pointer of each generated type; the stub
//! stores every argument register and the outgoing stack area, and the check
//! is that the [`CallPlan`] predicts every meaningful byte — where it is, that
//! narrow integers are extended where the plan says, that `al` is right for
//! variadic calls, that indirect arguments point to a copy. A second stub
//! loads a known return-register image (or writes it through the hidden
//! result pointer) and the C caller prints what it received, which must be
//! the bytes the plan reads.
//!
//! Works for any target with a compiler and a way to run its code: x86_64
//! natively, aarch64 with `aarch64-linux-gnu-gcc -static` under
//! `qemu-aarch64-static`, one process per batch. The stubs live in
//! `abi-tests/oracle_<arch>.s`.

use super::csrc::{sig_values, SigValues};
use super::signature::Batch;
use super::tools::{find_tool, run_with_timeout, TempDir};
use super::value::{promote, random_value};
use super::{Direction, Failure};
use abicall::abi::{CallPlan, Ext, Loc, Pass};
use abicall::error::{Error, Result};
use abicall::types::{TypeId, Types};
use abicall::Target;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The x86_64 stubs (`dump`, `retstub`).
pub const STUBS_X86_64: &str = include_str!("../oracle_x86_64.s");
/// The aarch64 stubs (`dump`, `retstub`).
pub const STUBS_AARCH64: &str = include_str!("../oracle_aarch64.s");

/// Where the dump stub stores registers: (GPR n, FPR n, `al`).
pub(crate) fn dump_layout(target: Target) -> (usize, usize, Option<usize>) {
    match target {
        Target::X86_64SysV => (0, 56, Some(48)),
        _ => (0, 80, None),
    }
}

/// Where the return stub loads registers from: (GPR n, FPR n, `st` n).
fn ret_layout(target: Target) -> (usize, usize, usize) {
    match target {
        Target::X86_64SysV => (0, 16, 48),
        _ => (0, 16, usize::MAX),
    }
}

/// The return image: a byte pattern, with two x87 values at 48 and 64 on x86_64.
pub(crate) fn rimg(target: Target, len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len.max(96)).map(|k| (0x5a + k * 0x0d) as u8).collect();
    if target == Target::X86_64SysV {
        for (n, base) in [48usize, 64].iter().enumerate() {
            let m: u64 = (1u64 << 63) | ((n as u64 + 3) << 48) | 0xabcd;
            v[*base..*base + 8].copy_from_slice(&m.to_le_bytes());
            v[*base + 8..*base + 10].copy_from_slice(&0x3ffeu16.to_le_bytes());
        }
    }
    v
}

/// The stubs, compiler and runner for `target`.
struct Toolchain {
    stubs: &'static str,
    cc: &'static str,
    package: &'static str,
    /// Run under `qemu-aarch64-static` (the program is built `-static`):
    /// aarch64 code on a machine of another architecture.
    qemu: bool,
}

fn toolchain(target: Target) -> Result<Toolchain> {
    // The machine's architecture, not this process's: an aarch64 build
    // under qemu-user still runs x86_64 programs natively and needs qemu
    // for aarch64 ones.
    let machine = super::tools::machine_arch();
    match target {
        Target::X86_64SysV if machine == "x86_64" => Ok(Toolchain {
            stubs: STUBS_X86_64,
            cc: "gcc",
            package: "gcc",
            qemu: false,
        }),
        Target::X86_64SysV => Err(Error::call(
            abicall::CallErrorKind::Other,
            None,
            format!("the x86_64 register-dump oracle runs x86_64 code natively; this machine is {machine}"),
        )),
        Target::Aarch64Linux => Ok(Toolchain {
            stubs: STUBS_AARCH64,
            cc: if machine == "aarch64" {
                "gcc"
            } else {
                "aarch64-linux-gnu-gcc"
            },
            package: if machine == "aarch64" {
                "gcc"
            } else {
                "gcc-aarch64-linux-gnu"
            },
            qemu: machine != "aarch64",
        }),
        Target::Aarch64Apple => Err(Error::call(
            abicall::CallErrorKind::Other,
            None,
            "no Apple arm64 toolchain to run code on: the register-dump oracle covers x86_64 and aarch64 (Linux); \
             Apple plans are checked against clang's assembly by `cargo test --test abi apple`, and on an aarch64 \
             host `abicall abi-test --target aarch64-apple` runs abicall's own code for them",
        )),
    }
}

fn c_bytes(out: &mut String, b: &[u8]) {
    out.push('{');
    for x in b {
        let _ = write!(out, "{x},");
    }
    if b.is_empty() {
        out.push('0');
    }
    out.push('}');
}

pub(crate) fn ret_mode(p: &CallPlan) -> u32 {
    if matches!(p.ret.pass, Pass::Indirect { .. }) {
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

/// One case of an oracle program.
struct OCase<'a> {
    index: usize,
    ret: TypeId,
    args: &'a [TypeId],
    fixed: Option<usize>,
    plan: CallPlan,
    vals: SigValues,
}

const PROGRAM_HEAD: &str = "#include <stdio.h>\n#include <string.h>\n#include <stdint.h>\n\
unsigned char regs[208]; unsigned long stksize; unsigned int mode; unsigned long retsize;\n\
void dump(void); void retstub(void);\n\
static void hex(const void *p, unsigned long n) { const unsigned char *b = p; \
for (unsigned long i = 0; i < n; i++) printf(\"%02x\", b[i]); }\n\
__attribute__((noinline)) static int ind(uintptr_t p, const unsigned char *pat, \
const unsigned char *mask, unsigned long n) { char here; uintptr_t h = (uintptr_t)&here; \
if (p < h - 65536 || p > h + 65536) return 0; const unsigned char *q = (const unsigned char *)p; \
for (unsigned long i = 0; i < n; i++) if ((q[i] ^ pat[i]) & mask[i]) return 0; return 1; }\n";

/// The C program for `cases` (record definitions included).
fn program(types: &mut Types, cases: &[OCase]) -> String {
    let target = types.target();
    let mut s = String::from(PROGRAM_HEAD);
    let stk = cases
        .iter()
        .map(|c| c.plan.stack_size as usize)
        .max()
        .unwrap_or(0)
        .div_ceil(8)
        * 8;
    let rlen = cases.iter().map(|c| c.plan.ret.size as usize).max().unwrap_or(0);
    let img = rimg(target, rlen);
    let _ = writeln!(
        s,
        "unsigned char stk[{}]; unsigned char rimg[{}] = ",
        stk.max(8),
        img.len()
    );
    c_bytes(&mut s, &img);
    s.push_str(";\n");
    let mut done = HashSet::new();
    for c in cases {
        let mut roots = vec![c.ret];
        roots.extend(c.args);
        super::csrc::record_defs(types, &roots, &mut done, &mut s);
    }
    let mut main = String::from("int main(void) {\n  setvbuf(stdout, 0, _IOFBF, 1 << 16);\n");
    for c in cases {
        let n = c.index;
        let fixed = c.fixed.unwrap_or(c.args.len());
        let fty = types.func(c.ret, c.args[..fixed].to_vec(), c.fixed.is_some());
        let fptr = types.pointer(fty);
        let _ = writeln!(
            s,
            "static void case{n}(void) {{\n  typedef {};",
            types.declare(fptr, "fn_t")
        );
        let mut call_args = Vec::new();
        for (k, (&a, v)) in c.args.iter().zip(&c.vals.args).enumerate() {
            let _ = write!(s, "  static const unsigned char p{k}[] = ");
            c_bytes(&mut s, &v.bytes);
            let _ = write!(s, ";\n  static const unsigned char m{k}[] = ");
            c_bytes(&mut s, &v.mask);
            let _ = writeln!(
                s,
                ";\n  {}; memcpy(&a{k}, p{k}, sizeof a{k});",
                types.declare(a, &format!("a{k}"))
            );
            call_args.push(format!("a{k}"));
        }
        let _ = writeln!(
            s,
            "  memset(regs, 0, sizeof regs); memset(stk, 0, sizeof stk); stksize = {};",
            (c.plan.stack_size as usize).div_ceil(8) * 8
        );
        let _ = writeln!(s, "  ((fn_t)(void *)dump)({});", call_args.join(", "));
        // Indirect arguments: check the copy right away, before anything reuses the stack.
        let mut inds = Vec::new();
        let (gpr_off, _, _) = dump_layout(target);
        for (k, a) in c.plan.args.iter().enumerate() {
            if let Pass::Indirect { ptr, .. } = a.pass {
                let src = match ptr {
                    Loc::Gpr(r) => format!("regs + {}", gpr_off + 8 * r as usize),
                    Loc::Stack(o) => format!("stk + {o}"),
                    // Reported by the checker (the plan is malformed).
                    _ => continue,
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
            "  printf(\"A{n} \"); hex(regs, sizeof regs); printf(\" S\"); hex(stk, stksize);"
        );
        for k in inds {
            let _ = writeln!(s, "  printf(\" I{k}=%d\", ok{k});");
        }
        let _ = writeln!(s, "  printf(\"\\n\");\n}}");
        let _ = writeln!(main, "  case{n}();");
        if c.plan.ret.size > 0 {
            let rty = types.func(c.ret, vec![], false);
            let rptr = types.pointer(rty);
            let _ = writeln!(
                s,
                "static void rcase{n}(void) {{\n  typedef {};",
                types.declare(rptr, "rf_t")
            );
            let _ = writeln!(s, "  mode = {}; retsize = {};", ret_mode(&c.plan), c.plan.ret.size);
            let _ = writeln!(s, "  {} = ((rf_t)(void *)retstub)();", types.declare(c.ret, "r"));
            let _ = writeln!(s, "  printf(\"R{n} \"); hex(&r, sizeof r); printf(\"\\n\");\n}}");
            let _ = writeln!(main, "  rcase{n}();");
        }
    }
    main.push_str("  return 0;\n}\n");
    s.push_str(&main);
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Checks one argument line (`A<n> <regs> S<stack> I<k>=<0|1>...`).
fn check_args(types: &Types, c: &OCase, words: &[&str]) -> Vec<String> {
    let mut fails = Vec::new();
    let target = types.target();
    let (Some(regs), Some(stk)) = (
        words.first().and_then(|w| unhex(w)),
        words.get(1).and_then(|w| unhex(w.strip_prefix('S')?)),
    ) else {
        return vec!["malformed oracle output".into()];
    };
    let inds = &words[2.min(words.len())..];
    let (gpr, fpr, al_off) = dump_layout(target);
    for (k, a) in c.plan.args.iter().enumerate() {
        let v = promote(types, c.args[k], &c.vals.args[k], a.promoted);
        match &a.pass {
            Pass::Indirect { .. } => {
                if !inds.contains(&format!("I{k}=1").as_str()) {
                    fails.push(format!(
                        "arg{k}: the plan says indirect, but no copy of the value is behind the pointer"
                    ));
                }
            }
            Pass::Direct(parts) => {
                let mut covered = vec![false; v.bytes.len()];
                for p in parts {
                    let (src, at): (&[u8], usize) = match p.loc {
                        Loc::Gpr(r) => (&regs, gpr + 8 * r as usize),
                        Loc::Fpr(r) => (&regs, fpr + 16 * r as usize),
                        Loc::Stack(o) => (&stk, o as usize),
                        Loc::X87(_) => {
                            fails.push(format!("arg{k}: x87 register for an argument"));
                            continue;
                        }
                    };
                    let (o, n) = (p.offset as usize, p.size as usize);
                    if at + n.max(4) > src.len() || o + n > v.bytes.len() {
                        fails.push(format!("arg{k}: part {:?} outside the dumped area", p.loc));
                        continue;
                    }
                    covered[o..o + n].iter_mut().for_each(|c| *c = true);
                    if let Some(j) = (0..n).find(|&j| (src[at + j] ^ v.bytes[o + j]) & v.mask[o + j] != 0) {
                        fails.push(format!(
                            "arg{k}: byte {} expected {:02x} at {}+{j}, found {:02x}",
                            o + j,
                            v.bytes[o + j],
                            p.loc.name(target, false, p.size),
                            src[at + j]
                        ));
                    }
                    if p.ext != Ext::None && n < 4 {
                        let top = src[at + n - 1];
                        let fill = if p.ext == Ext::Sign32 && top & 0x80 != 0 {
                            0xff
                        } else {
                            0
                        };
                        if src[at + n..at + 4].iter().any(|&x| x != fill) {
                            fails.push(format!(
                                "arg{k}: the compiler did not extend it to 32 bits as {:?}",
                                p.ext
                            ));
                        }
                    }
                }
                if let Some(j) = (0..v.bytes.len()).find(|&j| v.mask[j] != 0 && !covered[j]) {
                    fails.push(format!("arg{k}: byte {j} is in no part of the plan"));
                }
            }
        }
    }
    if let (Some(al), Some(off)) = (c.plan.al, al_off) {
        if regs[off] != al {
            fails.push(format!("al = {} but the plan says {al}", regs[off]));
        }
    }
    fails
}

/// Checks one return line (`R<n> <bytes as the C caller received them>`).
fn check_ret(types: &Types, c: &OCase, got: &[u8], img: &[u8]) -> Vec<String> {
    let mut fails = Vec::new();
    let mask = &random_value(types, c.ret, &mut super::rng::Rng::new(0)).mask;
    if got.len() != mask.len() {
        return vec![format!("return: {} bytes printed, {} expected", got.len(), mask.len())];
    }
    let (rgpr, rfpr, rst) = ret_layout(types.target());
    match &c.plan.ret.pass {
        Pass::Indirect { .. } => {
            if let Some(j) = (0..got.len()).find(|&j| (got[j] ^ img[j]) & mask[j] != 0) {
                fails.push(format!("ret: byte {j} was not written through the hidden pointer"));
            }
        }
        Pass::Direct(parts) => {
            let mut covered = vec![false; got.len()];
            for p in parts {
                let at = match p.loc {
                    Loc::Gpr(r) => rgpr + 8 * r as usize,
                    Loc::Fpr(r) => rfpr + 16 * r as usize,
                    Loc::X87(r) => rst + 16 * r as usize,
                    Loc::Stack(_) => {
                        fails.push("ret: on the stack".into());
                        continue;
                    }
                };
                let (o, n) = (p.offset as usize, p.size as usize);
                if o + n > got.len() || at + n > img.len() {
                    fails.push(format!("ret: part {:?} out of range", p.loc));
                    continue;
                }
                covered[o..o + n].iter_mut().for_each(|c| *c = true);
                if let Some(j) = (0..n).find(|&j| (got[o + j] ^ img[at + j]) & mask[o + j] != 0) {
                    fails.push(format!(
                        "ret: byte {} expected {:02x} from {}+{j}, the C caller got {:02x}",
                        o + j,
                        img[at + j],
                        p.loc.name(types.target(), true, p.size),
                        got[o + j]
                    ));
                }
            }
            if let Some(j) = (0..got.len()).find(|&j| mask[j] != 0 && !covered[j]) {
                fails.push(format!("ret: byte {j} is in no part of the plan"));
            }
        }
    }
    fails
}

/// Builds the program of `cases` in `dir` (with `cc`, or the target's gcc)
/// and runs it; returns its output.
fn build_and_run(target: Target, prog: &str, dir: &std::path::Path, cc: Option<&Path>) -> Result<String> {
    let tc = toolchain(target)?;
    let cc = match cc {
        Some(c) => c.to_path_buf(),
        None => find_tool(tc.cc, tc.package)?,
    };
    let cfile = dir.join("oracle.c");
    let sfile = dir.join("stubs.s");
    let exe = dir.join("oracle");
    let io = |e: std::io::Error| Error::io(format!("cannot write in {}", dir.display()), e);
    std::fs::write(&cfile, prog).map_err(io)?;
    std::fs::write(&sfile, tc.stubs).map_err(io)?;
    let mut cmd = Command::new(&cc);
    cmd.args(["-O2", "-w", "-o"]).arg(&exe).arg(&cfile).arg(&sfile);
    if tc.qemu {
        cmd.arg("-static");
    }
    let out = cmd
        .output()
        .map_err(|e| Error::io(format!("cannot run {}", cc.display()), e))?;
    if !out.status.success() {
        return Err(Error::io_msg(format!(
            "{} failed on the oracle program {}:\n{}",
            cc.display(),
            cfile.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let mut run = if tc.qemu {
        let qemu = find_tool("qemu-aarch64-static", "qemu-user-static")?;
        let mut c = Command::new(qemu);
        c.arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    // A crash or hang keeps what was printed: the cases before it are
    // checked, the rest are reported as not run.
    let (_ok, stdout) = run_with_timeout(&mut run, Duration::from_secs(300))?;
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// Runs signatures `range` of `batch` through the oracle for the batch's
/// target. Returns one entry per failing signature; `Err` when the program
/// cannot be built (a missing tool names its package).
pub fn run_range(batch: &Batch, range: Range<usize>) -> Result<Vec<Failure>> {
    run_range_with(batch, range, None)
}

/// As [`run_range`], with the C built by `cc` instead of the target's gcc
/// (`clang` on the host: how clang passes each signature, as evidence when
/// it disagrees with gcc).
pub fn run_range_with(batch: &Batch, range: Range<usize>, cc: Option<&Path>) -> Result<Vec<Failure>> {
    Ok(run_range_dumps(batch, range, cc)?.failures)
}

/// What the compiler's caller put in the argument registers and the
/// outgoing stack area for one signature (the dump stub's `regs` and `stk`),
/// and the bytes it read back from `retstub`.
#[derive(Clone, Debug, Default)]
pub struct CompilerDump {
    /// The stub's register area (general registers, `al` on x86_64, then vector registers).
    pub regs: Vec<u8>,
    /// The outgoing stack area (the plan's stack size, rounded up to 8).
    pub stk: Vec<u8>,
    /// The returned value as the compiled caller received it.
    pub ret: Option<Vec<u8>>,
}

/// The outcome of [`run_range_dumps`].
#[derive(Debug, Default)]
pub struct OracleRun {
    /// One entry per failing signature.
    pub failures: Vec<Failure>,
    /// The compiled caller's dump of every signature that ran.
    pub dumps: std::collections::HashMap<usize, CompilerDump>,
}

/// As [`run_range_with`], also returning the compiled caller's dumps (for
/// comparing them with abicall's own calls of the stub, [`super::dump`]).
pub fn run_range_dumps(batch: &Batch, range: Range<usize>, cc: Option<&Path>) -> Result<OracleRun> {
    let mut dumps: std::collections::HashMap<usize, CompilerDump> = Default::default();
    let mut types = batch.types.clone();
    let mut cases = Vec::new();
    let mut failures = Vec::new();
    for k in range {
        let sig = &batch.sigs[k];
        match sig.plan(&types) {
            Ok(plan) => cases.push(OCase {
                index: k,
                ret: sig.ret,
                args: &sig.args,
                fixed: sig.fixed,
                plan,
                vals: sig_values(&types, sig),
            }),
            Err(e) => failures.push(Failure::new(k, Direction::Plan, format!("no call plan: {e}"))),
        }
    }
    if cases.is_empty() {
        return Ok(OracleRun { failures, dumps });
    }
    let prog = program(&mut types, &cases);
    let dir = TempDir::new("conf-oracle")?;
    let out = build_and_run(types.target(), &prog, dir.path(), cc)?;
    let rlen = cases.iter().map(|c| c.plan.ret.size as usize).max().unwrap_or(0);
    let img = rimg(types.target(), rlen);
    let mut seen_a = HashSet::new();
    let mut seen_r = HashSet::new();
    let by_index: std::collections::HashMap<usize, &OCase> = cases.iter().map(|c| (c.index, c)).collect();
    let mut msgs: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for line in out.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(tag) = words.first() else { continue };
        let Some(n) = tag.get(1..).and_then(|n| n.parse::<usize>().ok()) else {
            continue;
        };
        let Some(c) = by_index.get(&n) else { continue };
        let f = if tag.starts_with('A') {
            seen_a.insert(n);
            if let (Some(regs), Some(stk)) = (
                words.get(1).and_then(|w| unhex(w)),
                words.get(2).and_then(|w| unhex(w.strip_prefix('S')?)),
            ) {
                let d = dumps.entry(n).or_default();
                d.regs = regs;
                d.stk = stk;
            }
            check_args(&types, c, &words[1..])
        } else if tag.starts_with('R') {
            seen_r.insert(n);
            let got = unhex(words.get(1).copied().unwrap_or("")).unwrap_or_default();
            dumps.entry(n).or_default().ret = Some(got.clone());
            check_ret(&types, c, &got, &img)
        } else {
            continue;
        };
        if !f.is_empty() {
            msgs.entry(n).or_default().extend(f);
        }
    }
    for c in &cases {
        if !seen_a.contains(&c.index) || (c.plan.ret.size > 0 && !seen_r.contains(&c.index)) {
            msgs.entry(c.index)
                .or_default()
                .push("the oracle program stopped before this case (crash or hang)".into());
        }
    }
    for (k, m) in msgs {
        let c = by_index[&k];
        failures.push(Failure::new(
            k,
            Direction::Oracle,
            format!("{}\ncall plan:\n{}", m.join("\n"), c.plan.to_snapshot(&types)),
        ));
    }
    failures.sort_by_key(|f| f.index);
    Ok(OracleRun { failures, dumps })
}

/// A standalone oracle program for signature `k` of `batch` (to be built
/// with the target's stubs from `abi-tests/`).
pub fn reproducer(batch: &Batch, k: usize) -> String {
    let mut types = batch.types.clone();
    let sig = &batch.sigs[k];
    let Ok(plan) = sig.plan(&types) else {
        return String::new();
    };
    let vals = sig_values(&types, sig);
    let case = OCase {
        index: k,
        ret: sig.ret,
        args: &sig.args,
        fixed: sig.fixed,
        plan,
        vals,
    };
    let (cc, stubs, run) = match types.target() {
        Target::X86_64SysV => ("gcc", "oracle_x86_64.s", "./a.out"),
        _ => (
            "aarch64-linux-gnu-gcc -static",
            "oracle_aarch64.s",
            "qemu-aarch64-static a.out",
        ),
    };
    format!(
        "/* abicall abi-test --seed {} --target {} --only {}: {}, register-dump oracle.\n   \
         Build: {cc} -O2 repro.c abi-tests/{stubs} && {run}\n   \
         Prints A{k} <x0.. / rdi.. registers, then FP registers> <stack>, R{k} <returned bytes>. */\n{}",
        batch.seed,
        types.target(),
        super::csrc::only_arg(batch, k),
        batch.id(k),
        program(&mut types, std::slice::from_ref(&case))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::generate_fixed;
    use abicall::abi::Part;

    /// A plan that is wrong in one register must be caught: the oracle is
    /// not a check that cannot fail.
    #[test]
    fn a_wrong_plan_is_reported() {
        for target in [Target::X86_64SysV, Target::Aarch64Linux] {
            let batch = generate_fixed(target, 7);
            // r6: struct { long l; double d; } in a GPR and an FPR.
            let k = batch
                .sigs
                .iter()
                .position(|s| s.label.is_some_and(|l| l.starts_with("r6 ")))
                .unwrap();
            let sig = &batch.sigs[k];
            let mut types = batch.types.clone();
            let good = sig.plan(&types).unwrap();
            let mut bad = good.clone();
            if let Pass::Direct(parts) = &mut bad.args[0].pass {
                let p: &mut Part = parts.iter_mut().find(|p| matches!(p.loc, Loc::Gpr(_))).unwrap();
                p.loc = Loc::Gpr(1);
            }
            let case = |plan: CallPlan| OCase {
                index: k,
                ret: sig.ret,
                args: &sig.args,
                fixed: sig.fixed,
                plan,
                vals: sig_values(&batch.types, sig),
            };
            let (good, bad) = (case(good), case(bad));
            let prog = program(&mut types, std::slice::from_ref(&good));
            let dir = TempDir::new("conf-oracle-test").unwrap();
            let out = build_and_run(target, &prog, dir.path(), None).unwrap();
            let line = out.lines().find(|l| l.starts_with('A')).unwrap();
            let words: Vec<&str> = line.split_whitespace().skip(1).collect();
            assert_eq!(check_args(&types, &good, &words), Vec::<String>::new(), "{target}");
            let fails = check_args(&types, &bad, &words);
            assert!(
                fails.iter().any(|f| f.starts_with("arg0: byte 0")),
                "{target}: {fails:?}"
            );
        }
    }
}
