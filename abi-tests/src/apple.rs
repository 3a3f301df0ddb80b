//! The Apple arm64 variant of abicall's own code, run on an aarch64 Linux
//! host (natively or under qemu-user).
//!
//! No Apple machine runs code here, so the evidence has two links:
//!
//! 1. the Apple **plans** are checked against clang's code for
//!    `arm64-apple-macos` (`tests/abi/apple.rs` reads its assembly);
//! 2. the **code abicall runs for those plans** — the JIT tier's
//!    trampolines and entry stubs, the fast path's register image and its
//!    entry — is checked here against the plans. [`plan_dump`] says what a
//!    caller following the plan puts in every argument register and stack
//!    byte (with the 32-bit extension Apple requires of callers for narrow
//!    integers in registers) and reads back from the return registers;
//!    [`super::dump::check_sig`] calls the register-dump stub (which only
//!    stores registers and stack, whatever the convention) through every
//!    tier of abicall's own code with the same values and compares byte by
//!    byte, and [`super::dump::check_callbacks`] replays that caller into
//!    abicall callbacks of every tier and checks what they decode and where
//!    they put the result.
//!
//! libffi is not among the tiers: this process's libffi follows the Linux
//! convention (`RawCall::from_plan` refuses it for Apple plans).

use super::dump::{check_callbacks, check_sig, DumpStub};
use super::oracle::{dump_layout, rimg, CompilerDump};
use super::signature::{Batch, Signature};
use super::value::promote;
use super::Failure;
use abicall::abi::{CallPlan, Ext, Loc, Pass};
use abicall::types::Types;
use std::ops::Range;

/// What a caller following `plan` puts in the dump stub's register and
/// stack areas for the values of `sig`, and reads back from `retstub`.
pub fn plan_dump(types: &Types, sig: &Signature, plan: &CallPlan) -> CompilerDump {
    let target = types.target();
    let vals = super::csrc::sig_values(types, sig);
    let (gpr, fpr, _) = dump_layout(target);
    let mut regs = vec![0u8; 208];
    let mut stk = vec![0u8; (plan.stack_size as usize).div_ceil(8) * 8];
    for (k, a) in plan.args.iter().enumerate() {
        let Pass::Direct(parts) = &a.pass else { continue };
        let v = promote(types, sig.args[k], &vals.args[k], a.promoted);
        for p in parts {
            let (area, at) = match p.loc {
                Loc::Gpr(r) => (&mut regs, gpr + 8 * r as usize),
                Loc::Fpr(r) => (&mut regs, fpr + 16 * r as usize),
                Loc::Stack(o) => (&mut stk, o as usize),
                Loc::X87(_) => continue,
            };
            let (o, n) = (p.offset as usize, p.size as usize);
            let width = if p.ext != Ext::None { n.max(4) } else { n };
            if at + width > area.len() || o + n > v.bytes.len() {
                continue;
            }
            area[at..at + n].copy_from_slice(&v.bytes[o..o + n]);
            if n < 4 && p.ext != Ext::None {
                let neg = p.ext == Ext::Sign32 && v.bytes[o + n - 1] & 0x80 != 0;
                area[at + n..at + 4].fill(if neg { 0xff } else { 0 });
            }
        }
    }
    let size = plan.ret.size as usize;
    let ret = (size > 0).then(|| {
        let img = rimg(target, size);
        match &plan.ret.pass {
            Pass::Indirect { .. } => img[..size].to_vec(),
            Pass::Direct(parts) => {
                let mut r = vec![0u8; size];
                for p in parts {
                    let at = match p.loc {
                        Loc::Gpr(n) => 8 * n as usize,
                        Loc::Fpr(n) => 16 + 16 * n as usize,
                        _ => continue,
                    };
                    let (o, n) = (p.offset as usize, p.size as usize);
                    r[o..o + n].copy_from_slice(&img[at..at + n]);
                }
                r
            }
        }
    });
    CompilerDump { regs, stk, ret }
}

/// What [`run_range`] found.
#[derive(Debug, Default)]
pub struct AppleRun {
    /// One entry per failing signature and check.
    pub failures: Vec<Failure>,
    /// Signatures called through the fast path.
    pub fast_path: usize,
    /// Signatures called through the JIT tier.
    pub jit: usize,
}

/// Runs signatures `range` of `batch` (an Apple arm64 batch) through
/// every tier of abicall's own code, calling the stub and replaying into
/// callbacks, against [`plan_dump`]. `step(k, tier)` is called before each
/// call.
pub fn run_range(stub: &DumpStub, batch: &Batch, range: Range<usize>, step: &mut dyn FnMut(usize, &str)) -> AppleRun {
    let mut types = batch.types.clone();
    let mut out = AppleRun::default();
    for k in range {
        let sig = &batch.sigs[k];
        let Ok(plan) = sig.plan(&types) else { continue };
        let dump = plan_dump(&types, sig, &plan);
        let (mut fast, mut jit) = (false, false);
        let mut steps = |k: usize, t: &str| {
            fast |= t == "fast";
            jit |= t == "jit";
            step(k, t)
        };
        out.failures
            .extend(check_sig(stub, &mut types, sig, k, &dump, &mut steps));
        out.failures
            .extend(check_callbacks(stub, &mut types, sig, k, &dump, &mut steps));
        out.fast_path += usize::from(fast);
        out.jit += usize::from(jit);
    }
    out
}
