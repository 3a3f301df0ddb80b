//! abicall as the caller of the register-dump stub: for every signature,
//! abicall calls the stub (`abi-tests/oracle_<arch>.s`, built into a shared
//! object) through each of its call tiers ([`super::tiers::CALL_TIERS`]),
//! and the registers and stack bytes the stub stored are compared with what
//! the compiler's caller put there for the same values (the dumps of
//! [`super::oracle::run_range_dumps`]):
//!
//! - every byte of every argument part of the plan, with narrow integers
//!   compared in the full width the ABI defines (the extension to 32 bits);
//! - `al` of a variadic call (`rax` is poisoned with `0xa5` before the tier
//!   runs, so a tier that does not set it is caught whatever `rax` held):
//!   it must be at least the compiler's count and at most 8;
//! - the return: `retstub` called through each tier loads the return
//!   registers (or writes through the hidden result pointer, wherever it
//!   points), and abicall must read the bytes the compiled caller read.
//!
//! The checks of [`super::oracle`] say the plan matches the compiler; these
//! say abicall's code does what the plan says.

use super::csrc::sig_values;
use super::oracle::{dump_layout, ret_mode, rimg, CompilerDump};
use super::signature::{Batch, Signature};
use super::tiers::CALL_TIERS;
use super::tools::{compile, TempDir};
use super::value::promote;
use super::{Direction, Failure};
use abicall::abi::{CallPlan, Ext, Loc, Pass};
use abicall::call::RawCall;
use abicall::error::{Error, Result};
use abicall::library::Library;
use abicall::types::{Prim, Types};
use abicall::Target;
use std::collections::HashMap;
use std::ffi::c_void;
use std::ops::Range;
use std::path::Path;

/// Bytes of outgoing stack area the in-process stub can store.
const STK: usize = 16384;
/// Bytes of the in-process return image.
const RIMG: usize = 4096;
/// What `rax` holds when a call tier starts (`al` = 0xa5, never a valid count).
const POISON: u64 = 0xa5a5_a5a5_a5a5_a5a5;

/// The stub's variables, defined hidden in C (the stubs address them
/// PC-relative) and exported through one table.
fn wrapper(target: Target) -> String {
    let poison = match target {
        // Calls `f(ctx)` with rax (and r10, r11) poisoned; `conf_replay(fn)`
        // calls `fn` with the registers and stack area of `rp_regs` /
        // `rp_stk` (a compiled caller's dump with its undefined bytes
        // scrambled) and stores rax, rdx, xmm0, xmm1 to `rp_out`.
        Target::X86_64SysV => format!(
            "__asm__(\".text\\n.globl conf_poison_call\\nconf_poison_call:\\n\
             movq %rdi, %r11\\nmovq %rsi, %rdi\\nmovabsq ${POISON:#x}, %rax\\nmovq %rax, %r10\\njmp *%r11\\n\");\n{REPLAY_X86_64}"
        ),
        _ => format!(
            "__asm__(\".text\\n.globl conf_poison_call\\nconf_poison_call:\\nmov x16, x0\\nmov x0, x1\\nbr x16\\n\");\n{REPLAY_AARCH64}"
        ),
    };
    format!(
        "#define H __attribute__((visibility(\"hidden\")))\n\
         #define RP_OUT {RP_OUT}\n\
         H unsigned char regs[208]; H unsigned char stk[{STK}]; H unsigned long stksize;\n\
         H unsigned int mode; H unsigned long retsize; H unsigned char rimg[{RIMG}];\n\
         H unsigned char rp_regs[208]; H unsigned char rp_stk[{STK}]; H unsigned long rp_stksize; H unsigned char rp_out[RP_OUT];\n\
         struct conf_vars {{ unsigned char *regs, *stk; unsigned long *stksize; unsigned int *mode;\n\
         unsigned long *retsize; unsigned char *rimg; unsigned char *rp_regs, *rp_stk; unsigned long *rp_stksize;\n\
         unsigned char *rp_out; }};\n\
         struct conf_vars conf_dump_vars = {{ regs, stk, &stksize, &mode, &retsize, rimg, rp_regs, rp_stk, &rp_stksize, rp_out }};\n{poison}"
    )
}

/// `conf_replay(fn)` for x86_64 (see `wrapper`), and `conf_dump_entry`:
/// a jump to `dump` at an address whose low byte is 0xa5, so that a tier
/// that leaves the callee's address in `rax` instead of setting `al` is
/// caught like one that leaves the poison.
const REPLAY_X86_64: &str = "__asm__(\".text\\n.p2align 8\\n.skip 0xa5, 0xcc\\n.globl conf_dump_entry\\n\
    conf_dump_entry:\\njmp dump\\n.globl conf_replay\\nconf_replay:\\n\
    pushq %rbp\\nmovq %rsp, %rbp\\npushq %rbx\\npushq %r12\\nmovq %rdi, %r11\\n\
    movq rp_stksize(%rip), %rcx\\naddq $15, %rcx\\nandq $-16, %rcx\\nsubq %rcx, %rsp\\n\
    movq %rsp, %rdi\\nleaq rp_stk(%rip), %rsi\\nmovq rp_stksize(%rip), %rcx\\nrep movsb\\n\
    movdqu rp_regs+56(%rip), %xmm0\\nmovdqu rp_regs+72(%rip), %xmm1\\nmovdqu rp_regs+88(%rip), %xmm2\\n\
    movdqu rp_regs+104(%rip), %xmm3\\nmovdqu rp_regs+120(%rip), %xmm4\\nmovdqu rp_regs+136(%rip), %xmm5\\n\
    movdqu rp_regs+152(%rip), %xmm6\\nmovdqu rp_regs+168(%rip), %xmm7\\n\
    movq rp_regs+0(%rip), %rdi\\nmovq rp_regs+8(%rip), %rsi\\nmovq rp_regs+16(%rip), %rdx\\n\
    movq rp_regs+24(%rip), %rcx\\nmovq rp_regs+32(%rip), %r8\\nmovq rp_regs+40(%rip), %r9\\n\
    movq rp_regs+48(%rip), %rax\\ncall *%r11\\n\
    movq %rax, rp_out+0(%rip)\\nmovq %rdx, rp_out+8(%rip)\\nmovdqu %xmm0, rp_out+16(%rip)\\nmovdqu %xmm1, rp_out+32(%rip)\\n\
    leaq -16(%rbp), %rsp\\npopq %r12\\npopq %rbx\\npopq %rbp\\nret\\n\");\n";

/// `conf_replay(fn)` for AAPCS64: loads `x0`–`x8` and `q0`–`q7` from
/// `rp_regs` (the dump layout), copies `rp_stksize` bytes of `rp_stk` below
/// the stack pointer, calls `fn` and stores `x0`, `x1`, `q0`–`q3` to
/// `rp_out`.
const REPLAY_AARCH64: &str = "__asm__(\".text\\n.globl conf_replay\\nconf_replay:\\n\
    stp x29, x30, [sp, #-32]!\\nmov x29, sp\\nstp x19, x20, [sp, #16]\\nmov x16, x0\\n\
    adrp x9, rp_stksize\\nldr x10, [x9, :lo12:rp_stksize]\\nadd x11, x10, #15\\nand x11, x11, #-16\\n\
    sub sp, sp, x11\\nadrp x12, rp_stk\\nadd x12, x12, :lo12:rp_stk\\nmov x13, sp\\nmov x14, #0\\n\
    1: cmp x14, x10\\nb.ge 2f\\nldrb w15, [x12, x14]\\nstrb w15, [x13, x14]\\nadd x14, x14, #1\\nb 1b\\n\
    2: adrp x9, rp_regs\\nadd x9, x9, :lo12:rp_regs\\n\
    ldp q0, q1, [x9, #80]\\nldp q2, q3, [x9, #112]\\nldp q4, q5, [x9, #144]\\nldp q6, q7, [x9, #176]\\n\
    ldr x8, [x9, #64]\\nldp x0, x1, [x9]\\nldp x2, x3, [x9, #16]\\nldp x4, x5, [x9, #32]\\nldp x6, x7, [x9, #48]\\n\
    blr x16\\nadrp x9, rp_out\\nadd x9, x9, :lo12:rp_out\\n\
    stp x0, x1, [x9]\\nstp q0, q1, [x9, #16]\\nstp q2, q3, [x9, #48]\\n\
    mov sp, x29\\nldp x19, x20, [sp, #16]\\nldp x29, x30, [sp], #32\\nret\\n\");\n";

/// Bytes of `rp_out`: `rax`, `rdx`, `xmm0`, `xmm1` (x86_64) or `x0`, `x1`,
/// `q0`–`q3` (AAPCS64).
const RP_OUT: usize = 96;

#[repr(C)]
struct Vars {
    regs: *mut u8,
    stk: *mut u8,
    stksize: *mut u64,
    mode: *mut u32,
    retsize: *mut u64,
    rimg: *mut u8,
    rp_regs: *mut u8,
    rp_stk: *mut u8,
    rp_stksize: *mut u64,
    rp_out: *mut u8,
}

type PoisonCall = unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void);

/// The register-dump stubs loaded into this process.
pub struct DumpStub {
    _dir: TempDir,
    _lib: Library,
    vars: *const Vars,
    dump: *const c_void,
    retstub: *const c_void,
    poison_call: PoisonCall,
    /// `conf_replay`.
    replay: Option<unsafe extern "C" fn(*const c_void)>,
    target: Target,
}

impl DumpStub {
    /// Builds the stubs of the host target with `cc` into a shared object
    /// and loads it.
    pub fn build(target: Target, cc: &Path) -> Result<DumpStub> {
        let stubs = match target {
            Target::X86_64SysV => super::oracle::STUBS_X86_64,
            // The stubs store and load registers and stack bytes, whatever
            // the convention: the Apple variant uses them too (`super::apple`).
            Target::Aarch64Linux | Target::Aarch64Apple => super::oracle::STUBS_AARCH64,
        };
        let dir = TempDir::new("conf-dump")?;
        let sfile = dir.path().join("stubs.s");
        std::fs::write(&sfile, stubs).map_err(|e| Error::io_msg(format!("cannot write {}: {e}", sfile.display())))?;
        let so = dir.path().join("dump.so").to_string_lossy().into_owned();
        let s = sfile.to_string_lossy().into_owned();
        compile(
            cc,
            dir.path(),
            "dumpvars",
            &wrapper(target),
            &["-O2", "-w", "-shared", "-fPIC", "-o", &so, &s],
        )?;
        // SAFETY: the object was just built from `wrapper` and the stub
        // assembly: no initialisers run when it is loaded.
        let lib = unsafe { Library::open(&so) }?;
        let vars = lib.symbol("conf_dump_vars")?.as_ptr() as *const Vars;
        let dump = match lib.symbol("conf_dump_entry") {
            Ok(e) => e.as_ptr() as *const c_void,
            Err(_) => lib.symbol("dump")?.as_ptr() as *const c_void,
        };
        let retstub = lib.symbol("retstub")?.as_ptr() as *const c_void;
        let pc = lib.symbol("conf_poison_call")?.as_ptr();
        // SAFETY: `conf_poison_call` is the assembly above: it calls its
        // first argument with the second.
        let poison_call: PoisonCall = unsafe { std::mem::transmute(pc) };
        let replay = lib.symbol("conf_replay").ok().map(|s| {
            // SAFETY: `conf_replay` is `void conf_replay(void (*)(void))`
            // (REPLAY_X86_64, REPLAY_AARCH64).
            unsafe { std::mem::transmute::<*mut c_void, unsafe extern "C" fn(*const c_void)>(s.as_ptr()) }
        });
        Ok(DumpStub {
            replay,
            _dir: dir,
            _lib: lib,
            vars,
            dump,
            retstub,
            poison_call,
            target,
        })
    }

    fn vars(&self) -> &Vars {
        // SAFETY: `conf_dump_vars` is a static table of the loaded object,
        // which lives as long as `self`.
        unsafe { &*self.vars }
    }

    /// Clears the stub's areas and sets how much stack it stores.
    fn reset(&self, stksize: usize) {
        let v = self.vars();
        // SAFETY: the areas have the sizes `wrapper` declares; no call of
        // the stub runs concurrently (one object per chunk, one thread).
        unsafe {
            std::ptr::write_bytes(v.regs, 0, 208);
            std::ptr::write_bytes(v.stk, 0, STK);
            *v.stksize = stksize as u64;
        }
    }

    /// The stored registers and stack.
    fn stored(&self, stksize: usize) -> (Vec<u8>, Vec<u8>) {
        let v = self.vars();
        // SAFETY: as in `reset`.
        unsafe {
            (
                std::slice::from_raw_parts(v.regs, 208).to_vec(),
                std::slice::from_raw_parts(v.stk, stksize).to_vec(),
            )
        }
    }

    /// Calls `call` with `args`, `ret`, with `rax` poisoned first.
    fn invoke(&self, call: &RawCall, args: &[*const c_void], ret: *mut c_void) -> Result<()> {
        struct Ctx<'a> {
            call: &'a RawCall,
            args: &'a [*const c_void],
            ret: *mut c_void,
            res: Option<Result<()>>,
        }
        extern "C" fn run(p: *mut c_void) {
            // SAFETY: `p` is the `Ctx` below, alive for the whole call.
            let ctx = unsafe { &mut *(p as *mut Ctx) };
            // SAFETY: the arguments are values of the planned types and
            // `ret` has room for the result (see `check_sig`).
            ctx.res = Some(unsafe { ctx.call.call(ctx.args, ctx.ret) });
        }
        let mut ctx = Ctx {
            call,
            args,
            ret,
            res: None,
        };
        // SAFETY: `conf_poison_call(run, &ctx)` calls `run(&ctx)`.
        unsafe { (self.poison_call)(run, &mut ctx as *mut Ctx as *mut c_void) };
        ctx.res
            .unwrap_or_else(|| Err(Error::call(abicall::CallErrorKind::Other, None, "the call did not run")))
    }
}

/// A value buffer aligned for any generated type (16 bytes).
fn aligned(bytes: &[u8]) -> Vec<u128> {
    let mut v = vec![0u128; bytes.len().div_ceil(16).max(1)];
    // SAFETY: `v` has at least `bytes.len()` bytes; the regions do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr() as *mut u8, bytes.len()) };
    v
}

/// Compares abicall's dump (`regs`, `stk`) with the compiler's for `plan`.
fn compare_args(
    types: &Types,
    sig: &Signature,
    plan: &CallPlan,
    gcc: &CompilerDump,
    regs: &[u8],
    stk: &[u8],
) -> Vec<String> {
    let target = types.target();
    let vals = sig_values(types, sig);
    let (gpr, fpr, al_off) = dump_layout(target);
    let mut out = Vec::new();
    for (k, a) in plan.args.iter().enumerate() {
        let v = promote(types, sig.args[k], &vals.args[k], a.promoted);
        let Pass::Direct(parts) = &a.pass else {
            // Indirect (AAPCS64 composites over 16 bytes): the copy lives
            // in abicall's frame only during the call; the callee checks of
            // `host` cover it.
            continue;
        };
        for p in parts {
            let (mine, theirs, at): (&[u8], &[u8], usize) = match p.loc {
                Loc::Gpr(r) => (regs, &gcc.regs, gpr + 8 * r as usize),
                Loc::Fpr(r) => (regs, &gcc.regs, fpr + 16 * r as usize),
                Loc::Stack(o) => (stk, &gcc.stk, o as usize),
                Loc::X87(_) => continue,
            };
            let (o, n) = (p.offset as usize, p.size as usize);
            // The extension the plan says, and on x86_64 the ABI's own rule
            // (narrow integers extended to 32 bits), so that a plan that
            // forgets it is caught here too.
            let abi_ext = abi_extended(types, sig.args[k]);
            let width = if p.ext != Ext::None || abi_ext { n.max(4) } else { n };
            if at + width > mine.len() || at + width > theirs.len() || o + n > v.bytes.len() {
                continue;
            }
            for j in 0..width {
                // Inside the value: its meaningful bits; above it, the
                // extension bytes the ABI defines: all bits.
                let mask = if j < n { v.mask[o + j] } else { 0xff };
                if (mine[at + j] ^ theirs[at + j]) & mask != 0 {
                    let what = if j < n {
                        format!("byte {}", o + j)
                    } else {
                        format!("extension byte {j} (to 32 bits)")
                    };
                    out.push(format!(
                        "arg{k} {what} at {}+{j}: the compiler's caller put {:02x}, abicall put {:02x}",
                        p.loc.name(target, false, p.size),
                        theirs[at + j],
                        mine[at + j]
                    ));
                    break;
                }
            }
        }
    }
    if let (Some(_), Some(off)) = (plan.al, al_off) {
        let (want, got) = (gcc.regs.get(off).copied().unwrap_or(0), regs[off]);
        if got < want || got > 8 {
            out.push(format!(
                "al = {got:#04x}: the variadic call uses {want} vector registers (the compiler's caller sets al = {want}); \
                 al must be between that and 8"
            ));
        }
    }
    out
}

/// Runs signatures `range` of `batch` through the stub on every call tier
/// and compares with the compiler's dumps. `step(k, tier)` is called before
/// each call (the child process reports it, so a crash names the
/// signature and tier).
pub fn run_range(
    stub: &DumpStub,
    batch: &Batch,
    range: Range<usize>,
    dumps: &HashMap<usize, CompilerDump>,
    step: &mut dyn FnMut(usize, &str),
) -> Vec<Failure> {
    let mut types = batch.types.clone();
    let mut failures = Vec::new();
    for k in range {
        let Some(gcc) = dumps.get(&k) else {
            // The oracle reports a signature it could not run.
            continue;
        };
        failures.extend(check_sig(stub, &mut types, &batch.sigs[k], k, gcc, step));
        failures.extend(check_callbacks(stub, &mut types, &batch.sigs[k], k, gcc, step));
    }
    failures
}

/// Every tier's call of the stub for signature `k`.
pub fn check_sig(
    stub: &DumpStub,
    types: &mut Types,
    sig: &Signature,
    k: usize,
    gcc: &CompilerDump,
    step: &mut dyn FnMut(usize, &str),
) -> Vec<Failure> {
    let mut out = Vec::new();
    let Ok(plan) = sig.plan(types) else {
        return out;
    };
    let target = stub.target;
    let vals = sig_values(types, sig);
    let stksize = (plan.stack_size as usize).div_ceil(8) * 8;
    if stksize > STK || gcc.stk.len() < stksize {
        return out;
    }
    let bufs: Vec<Vec<u128>> = vals.args.iter().map(|v| aligned(&v.bytes)).collect();
    let ptrs: Vec<*const c_void> = bufs.iter().map(|b| b.as_ptr() as *const c_void).collect();
    // SAFETY: `dump` reads any registers and stack and returns, whatever
    // the signature and convention (it returns its first argument register
    // in rax / x0). `from_plan` takes the plan of another variant of the
    // host's architecture too (the Apple arm64 checks of `super::apple`).
    if let Ok(mut call) = unsafe { RawCall::from_plan(types, plan.clone(), stub.dump, None) } {
        for tier in CALL_TIERS {
            if !(tier.select)(&mut call) {
                continue;
            }
            step(k, tier.name);
            stub.reset(stksize);
            let mut ret = vec![0u128; call.ret_size().div_ceil(16) + 1];
            let m = match stub.invoke(&call, &ptrs, ret.as_mut_ptr() as *mut c_void) {
                Err(e) => vec![format!("call failed: {e}")],
                Ok(()) => {
                    let (regs, stk) = stub.stored(stksize);
                    compare_args(types, sig, &plan, gcc, &regs, &stk)
                }
            };
            if !m.is_empty() {
                out.push(Failure::new(k, Direction::Dump(tier.name), m.join("\n")));
            }
        }
    }
    let (Some(theirs), true) = (&gcc.ret, plan.ret.size > 0) else {
        return out;
    };
    let size = plan.ret.size as usize;
    if size > RIMG {
        return out;
    }
    let rty = types.func(sig.ret, vec![], false);
    let Ok(rplan) = abicall::abi::plan_func(types, rty, &[]) else {
        return out;
    };
    // SAFETY: `retstub` takes no arguments and returns in the registers of
    // `mode` (or through the hidden pointer), set below from the plan.
    let Ok(mut call) = (unsafe { RawCall::from_plan(types, rplan, stub.retstub, None) }) else {
        return out;
    };
    let img = rimg(target, size);
    let v = stub.vars();
    let mode = match ret_mode(&plan) {
        1 => 4,
        m => m,
    };
    // SAFETY: as in `DumpStub::reset`; `img` fits (`rimg` gives at least 96 bytes, at most RIMG).
    unsafe {
        std::ptr::copy_nonoverlapping(img.as_ptr(), v.rimg, img.len().min(RIMG));
        *v.mode = mode;
        *v.retsize = size as u64;
    }
    for tier in CALL_TIERS {
        if !(tier.select)(&mut call) {
            continue;
        }
        step(k, &format!("{} (return)", tier.name));
        let mut ret = vec![0xeeu8; size + 64];
        let r = {
            let mut buf = aligned(&ret);
            let r = stub.invoke(&call, &[], buf.as_mut_ptr() as *mut c_void);
            let n = ret.len();
            // SAFETY: `buf` holds at least `n` bytes.
            ret.copy_from_slice(unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const u8, n) });
            r
        };
        let msg = match r {
            Err(e) => Some(format!("call of retstub failed: {e}")),
            Ok(()) => (0..size.min(theirs.len()))
                .find(|&j| (ret[j] ^ theirs[j]) & vals.ret.mask[j] != 0)
                .map(|j| {
                    format!(
                        "return value byte {j}: the compiler's caller read {:02x}, abicall read {:02x} (returned {})",
                        theirs[j],
                        ret[j],
                        if mode == 4 {
                            "through the hidden result pointer"
                        } else {
                            "in registers"
                        }
                    )
                }),
        };
        if let Some(m) = msg {
            out.push(Failure::new(k, Direction::Dump(tier.name), m));
        }
    }
    out
}

/// Whether the ABI extends argument `ty` to 32 bits on `target` beyond
/// what the plan says (x86_64 narrow integers).
fn abi_extended(types: &Types, ty: abicall::types::TypeId) -> bool {
    types.target() == Target::X86_64SysV
        && matches!(
            types.as_prim(ty),
            Some(Prim::Bool | Prim::Char | Prim::SChar | Prim::UChar | Prim::Short | Prim::UShort)
        )
}

/// Replays the compiled caller's call of signature `k` into an abicall
/// callback, through every callback tier: the registers and stack area are
/// the compiler's dump, with every byte the ABI leaves undefined (above a
/// narrow integer's 32 bits, unused registers and slots, padding) set to
/// garbage; the callback must decode the values C passed, and put the
/// result where the caller reads it (for a hidden result pointer: through
/// it, and on x86_64 the pointer back in `rax`); an AAPCS64 composite
/// passed by reference gets a copy made here. Signatures with an x87
/// result are left to the real-code callback checks.
pub fn check_callbacks(
    stub: &DumpStub,
    types: &mut Types,
    sig: &Signature,
    k: usize,
    gcc: &CompilerDump,
    step: &mut dyn FnMut(usize, &str),
) -> Vec<Failure> {
    use super::tiers::CALLBACK_TIERS;
    use abicall::call::CallbackOptions;
    use std::sync::{Arc, Mutex};
    let mut out = Vec::new();
    let Some(replay) = stub.replay else { return out };
    let Ok(plan) = sig.plan(types) else { return out };
    if sig.fixed.is_some() || plan.ret.parts().iter().any(|p| matches!(p.loc, Loc::X87(_))) {
        return out;
    }
    let target = stub.target;
    let stksize = (plan.stack_size as usize).div_ceil(8) * 8;
    if stksize > STK || gcc.stk.len() < stksize || gcc.regs.len() < 208 {
        return out;
    }
    let vals = sig_values(types, sig);
    let (gpr, fpr, _) = dump_layout(target);
    let mut def_regs = vec![false; 208];
    let mut def_stk = vec![false; stksize];
    for (i, a) in plan.args.iter().enumerate() {
        let v = &vals.args[i];
        let Pass::Direct(parts) = &a.pass else { continue };
        for p in parts {
            let (def, at) = match p.loc {
                Loc::Gpr(r) => (&mut def_regs, gpr + 8 * r as usize),
                Loc::Fpr(r) => (&mut def_regs, fpr + 16 * r as usize),
                Loc::Stack(o) => (&mut def_stk, o as usize),
                Loc::X87(_) => continue,
            };
            let (o, n) = (p.offset as usize, p.size as usize);
            let width = if p.ext != Ext::None || abi_extended(types, sig.args[i]) {
                n.max(4)
            } else {
                n
            };
            for j in 0..width.min(def.len().saturating_sub(at)) {
                if j >= n || v.mask.get(o + j).is_some_and(|&m| m != 0) {
                    def[at + j] = true;
                }
            }
        }
    }
    let scramble = |img: &mut [u8], def: &[bool]| {
        for (j, (b, d)) in img.iter_mut().zip(def).enumerate() {
            if !d {
                *b = 0xa5 ^ (j as u8).wrapping_mul(29);
            }
        }
    };
    let mut regs = gcc.regs[..208].to_vec();
    let mut stk = gcc.stk[..stksize].to_vec();
    scramble(&mut regs, &def_regs);
    scramble(&mut stk, &def_stk);
    // AAPCS64 B.4: a composite over 16 bytes is passed as the address of a
    // caller-made copy. The compiler's copy was in its frame, gone now: the
    // replay passes a copy of its own at the location the plan names.
    let copies: Vec<Vec<u128>> = plan
        .args
        .iter()
        .enumerate()
        .map(|(i, a)| match a.pass {
            Pass::Indirect { .. } => aligned(&vals.args[i].bytes),
            Pass::Direct(_) => Vec::new(),
        })
        .collect();
    for (a, c) in plan.args.iter().zip(&copies) {
        let Pass::Indirect { ptr, .. } = a.pass else { continue };
        let addr = (c.as_ptr() as u64).to_le_bytes();
        match ptr {
            Loc::Gpr(r) if gpr + 8 * r as usize + 8 <= regs.len() => {
                regs[gpr + 8 * r as usize..][..8].copy_from_slice(&addr)
            }
            Loc::Stack(o) if o as usize + 8 <= stk.len() => stk[o as usize..][..8].copy_from_slice(&addr),
            _ => return out,
        }
    }
    let sret = matches!(plan.ret.pass, Pass::Indirect { .. });
    // Where the hidden result pointer goes: `rdi` / `x8`.
    let sret_at = match plan.ret.pass {
        Pass::Indirect { ptr: Loc::Gpr(r), .. } => gpr + 8 * r as usize,
        _ => gpr,
    };
    let fty = sig.func_type(types);
    let void = plan.ret.size == 0;
    for tier in CALLBACK_TIERS {
        let seen: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let (expect, ret_bytes, seen2) = (vals.args.clone(), vals.ret.bytes.clone(), seen.clone());
        let f = move |args: &[*const c_void], ret: *mut c_void| -> std::result::Result<(), String> {
            for (i, (p, v)) in args.iter().zip(&expect).enumerate() {
                // SAFETY: the engine hands a pointer to argument `i`'s bytes (its size).
                let got = unsafe { std::slice::from_raw_parts(*p as *const u8, v.bytes.len()) };
                if let Some((o, want, g)) = v.first_mismatch(got) {
                    seen2.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(|| {
                        format!("argument {i} byte {o}: C passed {want:02x}, the callback decoded {g:02x}")
                    });
                    break;
                }
            }
            if !void {
                // SAFETY: `ret` points to a buffer of the return type's size.
                unsafe { std::ptr::copy_nonoverlapping(ret_bytes.as_ptr(), ret as *mut u8, ret_bytes.len()) };
            }
            Ok(())
        };
        let errors: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let errors2 = errors.clone();
        let opts = CallbackOptions {
            on_error: Some(Box::new(move |m: &str| {
                errors2
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(m.to_string());
            })),
            error_return: None,
        };
        let Ok(Some(cb)) = (tier.make)(types, fty, Box::new(f), opts) else {
            // A refused callback is reported by the real-code checks.
            continue;
        };
        let mut sret_buf = vec![0u128; plan.ret.size.div_ceil(16) as usize + 1];
        let sret_addr = sret_buf.as_mut_ptr() as u64;
        let mut img = regs.clone();
        if sret {
            img[sret_at..sret_at + 8].copy_from_slice(&sret_addr.to_le_bytes());
        }
        let v = stub.vars();
        // SAFETY: the areas have the sizes `wrapper` declares; one thread.
        unsafe {
            std::ptr::copy_nonoverlapping(img.as_ptr(), v.rp_regs, 208);
            std::ptr::copy_nonoverlapping(stk.as_ptr(), v.rp_stk, stksize);
            *v.rp_stksize = stksize as u64;
            std::ptr::write_bytes(v.rp_out, 0, RP_OUT);
        }
        step(k, &format!("{} (replayed call)", tier.name));
        // SAFETY: `conf_replay` calls `cb.code()`, a function of the
        // signature's type, with the compiled caller's registers and stack
        // area (plus garbage where the ABI defines nothing).
        unsafe { replay(cb.code()) };
        // SAFETY: `rp_out` has RP_OUT bytes.
        let rout = unsafe { std::slice::from_raw_parts(v.rp_out, RP_OUT) }.to_vec();
        drop(cb);
        let mut msgs = Vec::new();
        if let Some(e) = errors.lock().unwrap_or_else(|e| e.into_inner()).take() {
            msgs.push(format!("callback reported an error: {e}"));
        }
        if let Some(m) = seen.lock().unwrap_or_else(|e| e.into_inner()).take() {
            msgs.push(m);
        }
        if sret {
            // SAFETY: `sret_buf` holds at least `ret.size` bytes.
            let got = unsafe { std::slice::from_raw_parts(sret_buf.as_ptr() as *const u8, plan.ret.size as usize) };
            if let Some((o, want, g)) = vals.ret.first_mismatch(got) {
                msgs.push(format!(
                    "return value byte {o} through the hidden result pointer: expected {want:02x}, found {g:02x}"
                ));
            }
            // x86_64 returns the pointer in rax; AAPCS64 does not return x8.
            if target == Target::X86_64SysV && rout[..8] != sret_addr.to_le_bytes() {
                msgs.push("the callback did not return the hidden result pointer in rax".into());
            }
        } else if let Pass::Direct(parts) = &plan.ret.pass {
            for p in parts {
                let at = match p.loc {
                    Loc::Gpr(r) => 8 * r as usize,
                    Loc::Fpr(r) => 16 + 16 * r as usize,
                    _ => continue,
                };
                let (o, n) = (p.offset as usize, p.size as usize);
                if let Some(j) = (0..n).find(|&j| (rout[at + j] ^ vals.ret.bytes[o + j]) & vals.ret.mask[o + j] != 0) {
                    msgs.push(format!(
                        "return value byte {}: expected {:02x} in {}+{j}, found {:02x}",
                        o + j,
                        vals.ret.bytes[o + j],
                        p.loc.name(target, true, p.size),
                        rout[at + j]
                    ));
                }
            }
        }
        if !msgs.is_empty() {
            out.push(Failure::new(k, Direction::Replay(tier.name), msgs.join("\n")));
        }
    }
    out
}

// SAFETY: raw pointers into the loaded object, used by one thread at a time.
unsafe impl Send for DumpStub {}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::signature::generate_fixed;
    use crate::tools::host_compiler;

    /// abicall's own calls of the stub pass, and the comparison fails on a
    /// wrong extension byte, a wrong stack byte and an `al` left poisoned.
    #[test]
    fn dump_comparison_can_fail() {
        let batch = generate_fixed(Target::X86_64SysV, 5);
        let k = batch
            .sigs
            .iter()
            .position(|s| s.label.is_some_and(|l| l.starts_with("x narrow integers through")))
            .unwrap();
        let run = super::super::oracle::run_range_dumps(&batch, k..k + 1, None).unwrap();
        assert!(run.failures.is_empty(), "{:?}", run.failures);
        let gcc = &run.dumps[&k];
        let stub = DumpStub::build(Target::X86_64SysV, &host_compiler("gcc").unwrap()).unwrap();
        let mut types = batch.types.clone();
        let sig = &batch.sigs[k];
        let mut steps = Vec::new();
        let f = check_sig(&stub, &mut types, sig, k, gcc, &mut |_, t| steps.push(t.to_string()));
        assert!(f.is_empty(), "{f:?}");
        assert!(steps.iter().any(|s| s == "fast"), "{steps:?}");
        let plan = sig.plan(&types).unwrap();
        let (gpr, _, al) = dump_layout(Target::X86_64SysV);
        let mut regs = gcc.regs.clone();
        regs[al.unwrap()] = 0xa5;
        let m = compare_args(&types, sig, &plan, gcc, &regs, &gcc.stk);
        assert!(m.iter().any(|m| m.starts_with("al = 0xa5")), "{m:?}");
        // Argument 1 (`signed char`, promoted to int) is in rsi: its byte 2
        // is part of the promoted value.
        let mut regs = gcc.regs.clone();
        regs[gpr + 8 + 2] ^= 0xff;
        let m = compare_args(&types, sig, &plan, gcc, &regs, &gcc.stk);
        assert!(m.iter().any(|m| m.starts_with("arg1 ")), "{m:?}");
        // The narrow fixed case: an extension byte above a `signed char`.
        let k = batch
            .sigs
            .iter()
            .position(|s| s.label.is_some_and(|l| l == "x narrow integers, short return"))
            .unwrap();
        let run = super::super::oracle::run_range_dumps(&batch, k..k + 1, None).unwrap();
        let gcc = &run.dumps[&k];
        let sig = &batch.sigs[k];
        let plan = sig.plan(&types).unwrap();
        let mut regs = gcc.regs.clone();
        regs[gpr + 1] ^= 0x01;
        let m = compare_args(&types, sig, &plan, gcc, &regs, &gcc.stk);
        assert!(m.iter().any(|m| m.starts_with("arg0 extension byte 1")), "{m:?}");
        // The replayed call into a callback: passes on the compiler's dump
        // (with the undefined bytes scrambled), fails on a changed value byte.
        let mut steps = Vec::new();
        let f = check_callbacks(&stub, &mut types, sig, k, gcc, &mut |_, t| steps.push(t.to_string()));
        assert!(f.is_empty(), "{f:?}");
        // Every callback tier of this host ran (the JIT stub too where it exists).
        assert!(
            steps.len() >= 2
                && steps[0] == "libffi closure (replayed call)"
                && steps[1] == "fast entry (replayed call)"
                && steps.iter().all(|s| s.ends_with("(replayed call)")),
            "{steps:?}"
        );
        let mut bad = gcc.clone();
        bad.regs[gpr] ^= 0x04;
        let f = check_callbacks(&stub, &mut types, sig, k, &bad, &mut |_, _| {});
        assert_eq!(f.len(), steps.len(), "one failure per callback tier: {f:?}");
        assert!(
            f.iter()
                .all(|f| matches!(f.direction, Direction::Replay(_))
                    && f.message.starts_with("argument 0 byte 0: C passed")),
            "{f:?}"
        );
        // A stack slot (arguments 6.. are on the stack).
        let mut stk = gcc.stk.clone();
        stk[0] ^= 0x10;
        let m = compare_args(&types, sig, &plan, gcc, &gcc.regs, &stk);
        assert!(m.iter().any(|m| m.starts_with("arg6 byte 0 at stack+0")), "{m:?}");
    }
}
