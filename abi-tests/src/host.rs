//! Both directions on real code for the host target (x86_64 System V, or
//! AAPCS64 for an aarch64 build, also under qemu-user with
//! `aarch64-linux-gnu-gcc`, see [`super::tools::host_compiler`]):
//! each batch of signatures becomes one shared object built by gcc or clang
//! at `-O2` (see [`super::csrc`]). For every signature abicall
//!
//! - calls the checking callee `callee_k` through every call tier the
//!   engine has for it ([`super::tiers::CALL_TIERS`]: libffi, the fast path
//!   when the plan is eligible) and checks the C side saw every byte and
//!   that the returned value comes back intact;
//! - hands `caller_k` an abicall callback through every callback tier
//!   ([`super::tiers::CALLBACK_TIERS`]: a libffi closure, abicall's fast
//!   entry when the plan has one), which checks every argument C passed and
//!   returns the expected value, which C checks.

use super::csrc::{self, SigValues};
use super::signature::{Batch, Signature};
use super::tiers::{CallbackTier, CALLBACK_TIERS, CALL_TIERS};
use super::tools::{compile, TempDir};
use super::{Direction, Failure};
use abicall::abi::{CallPlan, Loc, Pass, ValueClass};
use abicall::call::{CallbackOptions, RawCall};
use abicall::error::{Error, Result};
use abicall::library::Library;
use abicall::types::{Prim, TypeId, Types};
use std::ffi::{c_char, c_void, CStr};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A value buffer aligned for any generated type (16 bytes).
fn aligned(bytes: &[u8]) -> Vec<u128> {
    let mut v = vec![0u128; bytes.len().div_ceil(16).max(1)];
    // SAFETY: `v` has at least `bytes.len()` bytes; the regions do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr() as *mut u8, bytes.len()) };
    v
}

/// The shared object of one batch and its failure reporter.
struct Built {
    lib: Library,
    take: unsafe extern "C" fn() -> *const c_char,
}

impl Built {
    /// The failure the C side recorded since the last call, if any.
    fn c_failure(&self) -> Option<String> {
        // SAFETY: `conf_failure` is `const char *(void)` (csrc::PRELUDE); the
        // result is NULL or a NUL-terminated static buffer.
        let p = unsafe { (self.take)() };
        // SAFETY: a non-NULL result is a NUL-terminated static buffer (PRELUDE).
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// The outcome of [`run_range`].
#[derive(Debug, Default)]
pub struct HostRun {
    /// One entry per failing signature and path.
    pub failures: Vec<Failure>,
    /// Signatures also run through the fast path.
    pub fast_path: usize,
    /// Signatures also called through the JIT tier (both directions where
    /// the signature has a caller).
    pub jit: usize,
}

/// Compiles signatures `range` of `batch` (host target) with `cc -O2` into a
/// shared object and runs both directions through every execution path.
/// `Err` only when the C cannot be built or loaded.
pub fn run_range(batch: &Batch, range: Range<usize>, cc: &Path) -> Result<HostRun> {
    run_range_steps(batch, range, cc, &mut |_, _| {})
}

/// As [`run_range`]; `step(k, what)` is called before each call into
/// compiled code (the child process reports it, so a crash names the
/// signature and the tier).
pub fn run_range_steps(
    batch: &Batch,
    range: Range<usize>,
    cc: &Path,
    step: &mut dyn FnMut(usize, &str),
) -> Result<HostRun> {
    if abicall::Target::host() != Some(batch.types.target()) {
        return Err(Error::call(
            abicall::CallErrorKind::Other,
            None,
            format!(
                "real-code conformance needs the host target, not {}",
                batch.types.target()
            ),
        ));
    }
    let dir = TempDir::new("conformance")?;
    let so = dir.path().join(format!("conf{}.so", range.start));
    let so_str = so.to_string_lossy().into_owned();
    let src = csrc::batch_source(batch, range.clone());
    compile(
        cc,
        dir.path(),
        "conf",
        &src,
        &["-O2", "-w", "-shared", "-fPIC", "-o", &so_str],
    )?;
    // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open(&so_str) }?;
    let take = lib.symbol("conf_failure")?;
    // SAFETY: `conf_failure` is defined by the PRELUDE as `const char *(void)`.
    let take: unsafe extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(take.as_ptr()) };
    let built = Built { lib, take };
    let clang = cc.file_name().is_some_and(|n| n.to_string_lossy().contains("clang"));
    let mut types = batch.types.clone();
    let mut failures = Vec::new();
    let mut fast_path = 0;
    let mut jit = 0;
    let trace = std::env::var_os("ABICALL_CONF_TRACE").is_some();
    for k in range {
        if trace {
            eprintln!("conformance: {}", batch.id(k));
        }
        let sig = &batch.sigs[k];
        // A known compiler problem is not run (a flexible-array struct makes
        // clang expect a hidden result pointer the psABI does not pass; gcc's
        // va_arg crashes on some aligned unions): it is reported with its
        // evidence instead.
        let known = if clang {
            clang_divergence(&types, sig)
        } else if types.target() != abicall::Target::X86_64SysV {
            None
        } else {
            gcc_va_arg_hazard(&types, sig).and_then(|why| gcc_alone_fails(batch, k, cc, dir.path(), why))
        };
        if let Some(why) = known {
            let mut f = Failure::new(k, Direction::Call("libffi"), "not run: known compiler problem".into());
            f.known_divergence = Some(why);
            failures.push(f);
            continue;
        }
        let (found, fast, by_jit) = run_one(&built, &mut types, sig, k, step);
        failures.extend(found);
        fast_path += usize::from(fast);
        jit += usize::from(by_jit);
    }
    Ok(HostRun {
        failures,
        fast_path,
        jit,
    })
}

/// Both directions, every path, for signature `k`; also whether the fast
/// path ran and whether the JIT tier called it.
fn run_one(
    built: &Built,
    types: &mut Types,
    sig: &Signature,
    k: usize,
    step: &mut dyn FnMut(usize, &str),
) -> (Vec<Failure>, bool, bool) {
    let mut out = Vec::new();
    // A failure the C side recorded for an earlier signature and nobody read
    // (a caller that also failed its return check) must not leak into this one.
    let _ = built.c_failure();
    let vals = csrc::sig_values(types, sig);
    let fty = sig.func_type(types);
    let sym = match built.lib.symbol(&format!("callee_{k}")) {
        Ok(s) => s,
        Err(e) => return (vec![Failure::new(k, Direction::Plan, e.to_string())], false, false),
    };
    let variadic = sig.fixed.map_or(&[][..], |n| &sig.args[n..]);
    // SAFETY: `callee_k` was compiled from exactly this prototype.
    let mut call = match unsafe { RawCall::new(types, fty, variadic, sym.as_ptr(), None) } {
        Ok(c) => c,
        Err(e) => {
            let mut f = Failure::new(k, Direction::Plan, format!("engine refused the call: {e}"));
            // The one documented refusal (see `abi::ffi_shape::libffi_limitation`):
            // counted apart from passes and failures, and printed.
            if let Some(why) = sig
                .plan(types)
                .ok()
                .and_then(|p| abicall::abi::ffi_shape::libffi_limitation(&p))
            {
                f.known_divergence = Some(format!("documented engine limitation, not a pass: {why}"));
            }
            return (vec![f], false, false);
        }
    };
    let mut fast = false;
    let mut jit = false;
    for tier in CALL_TIERS {
        if !(tier.select)(&mut call) {
            continue;
        }
        fast |= tier.name == "fast";
        jit |= tier.name == "jit";
        step(k, tier.name);
        if let Some(m) = call_callee(&call, &vals, built) {
            out.push(Failure::new(k, Direction::Call(tier.name), m));
        }
    }
    if csrc::has_caller(sig) {
        for tier in CALLBACK_TIERS {
            step(k, tier.name);
            let r = built
                .lib
                .symbol(&format!("caller_{k}"))
                .and_then(|sym| call_caller(types, fty, sym.as_ptr(), &vals, built, tier));
            match r {
                Ok(None) => {}
                Ok(Some(m)) => out.push(Failure::new(k, Direction::Callback(tier.name), m)),
                Err(e) => out.push(Failure::new(
                    k,
                    Direction::Callback(tier.name),
                    format!("engine refused the callback: {e}"),
                )),
            }
        }
    }
    (out, fast, jit)
}

fn call_callee(call: &RawCall, vals: &SigValues, built: &Built) -> Option<String> {
    let bufs: Vec<Vec<u128>> = vals.args.iter().map(|v| aligned(&v.bytes)).collect();
    let ptrs: Vec<*const c_void> = bufs.iter().map(|b| b.as_ptr() as *const c_void).collect();
    let mut ret = vec![0u128; call.ret_size().div_ceil(16) + 1];
    // SAFETY: every pointer holds a value of the planned argument type (bytes
    // in C layout); `ret` has room for the return value; pointer-typed
    // arguments are never dereferenced by the generated callee.
    if let Err(e) = unsafe { call.call(&ptrs, ret.as_mut_ptr() as *mut c_void) } {
        return Some(format!("call failed: {e}"));
    }
    if let Some(m) = built.c_failure() {
        return Some(m);
    }
    // SAFETY: `ret` has at least `ret_size` initialized bytes.
    let got = unsafe { std::slice::from_raw_parts(ret.as_ptr() as *const u8, call.ret_size()) };
    vals.ret
        .first_mismatch(got)
        .map(|(i, want, g)| format!("return value byte {i}: C returned {want:02x}, abicall read {g:02x}"))
}

fn call_caller(
    types: &Types,
    fty: TypeId,
    caller: *mut c_void,
    vals: &SigValues,
    built: &Built,
    tier: &CallbackTier,
) -> Result<Option<String>> {
    let seen: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let (expect, ret_bytes, seen2) = (vals.args.clone(), vals.ret.bytes.clone(), seen.clone());
    let void = types.as_prim(types.sig_of(fty).map_or(fty, |s| s.ret)) == Some(Prim::Void);
    let f = move |args: &[*const c_void], ret: *mut c_void| -> std::result::Result<(), String> {
        for (i, (p, v)) in args.iter().zip(&expect).enumerate() {
            // SAFETY: the engine hands a pointer to argument `i`'s bytes (its size).
            let got = unsafe { std::slice::from_raw_parts(*p as *const u8, v.bytes.len()) };
            if let Some((o, want, g)) = v.first_mismatch(got) {
                let mut s = seen2.lock().unwrap_or_else(|e| e.into_inner());
                s.get_or_insert_with(|| {
                    format!("argument {i} byte {o}: C passed {want:02x}, callback received {g:02x}")
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
    let Some(cb) = (tier.make)(types, fty, Box::new(f), opts)? else {
        // No entry of this tier for the plan (or switched off).
        return Ok(None);
    };
    // SAFETY: `caller_k` is `int caller_k(R (*cb)(args...))` and `cb` has that type.
    let caller: unsafe extern "C" fn(*const c_void) -> i32 = unsafe { std::mem::transmute(caller) };
    // SAFETY: `caller` has the transmuted type and `cb.code()` is a live
    // callback of the type it takes.
    let status = unsafe { caller(cb.code()) };
    if let Some(e) = errors.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Ok(Some(format!("callback reported an error: {e}")));
    }
    if let Some(s) = seen.lock().unwrap_or_else(|e| e.into_inner()).take() {
        return Ok(Some(s));
    }
    if status != 0 {
        return Ok(Some(
            built.c_failure().unwrap_or_else(|| "caller reported a failure".into()),
        ));
    }
    Ok(None)
}

/// Why clang 14 and the psABI (and gcc) disagree on `sig`, if they do: an
/// `__int128` argument arriving when exactly one integer register is left.
/// The psABI passes it whole on the stack and gives `r9` to the next
/// integer argument (gcc does); clang before 18 splits it between `r9` and
/// the stack (LLVM issue 41784) and clang before 20 leaves `r9` unused
/// after it (LLVM issue 123935). Also an `__int128` on the stack: clang 14
/// aligns it to 8, the psABI and gcc to 16. See `docs/testing.md`
/// (Conformance).
///
/// Also: a struct with a flexible array member passed or returned by value.
/// gcc classifies it like any struct (`struct { int n; double d[]; }` in
/// `rdi`, abi-cases row 18); clang passes and returns it in memory
/// (`X86_64ABIInfo::classify`: "Assume variable sized types are passed in
/// memory", `hasFlexibleArrayMember`).
pub fn clang_divergence(types: &Types, sig: &Signature) -> Option<String> {
    for &t in sig.args.iter().chain([&sig.ret]) {
        let fam = types
            .record_of(t)
            .and_then(|r| r.fields.last())
            .is_some_and(|f| matches!(types.kind(f.ty), abicall::types::TypeKind::Array { len: None, .. }));
        if fam {
            return Some(format!(
                "`{}` has a flexible array member: gcc passes it by its eightbytes like any \
                 struct, clang passes and returns it in memory (clang/lib/CodeGen X86_64ABIInfo::classify, \
                 hasFlexibleArrayMember)",
                types.display(t)
            ));
        }
    }
    let plan: CallPlan = sig.plan(types).ok()?;
    let mut gprs = u8::from(matches!(plan.ret.pass, Pass::Indirect { .. }));
    let mut stack_end = 0u64;
    for (i, a) in plan.args.iter().enumerate() {
        let wide = matches!(a.class, ValueClass::Scalar(Prim::Int128 | Prim::UInt128));
        if wide && gprs == 5 && a.parts().iter().all(|p| matches!(p.loc, Loc::Stack(_))) {
            return Some(format!(
                "argument {i} is `{}` with only r9 left: psABI/gcc pass it whole on the stack, \
                 clang 14 splits it between r9 and the stack (LLVM #41784, fixed in clang 18)",
                types.display(a.ty)
            ));
        }
        if let (true, Some(Loc::Stack(o))) = (wide, a.parts().first().map(|p| p.loc)) {
            if o != stack_end {
                return Some(format!(
                    "argument {i} is `{}` on the stack at offset {o} (16-aligned, psABI/gcc); clang 14 \
                     aligns a stack `__int128` to 8 only and puts it at {stack_end} (fixed in clang 18: \
                     \"i128 is now 16-byte aligned\", LLVM 18 release notes)",
                    types.display(a.ty)
                ));
            }
        }
        for p in a.parts() {
            match p.loc {
                Loc::Gpr(r) => gprs = gprs.max(r + 1),
                Loc::Stack(o) => stack_end = stack_end.max((o + p.size).div_ceil(8) * 8),
                _ => {}
            }
        }
        if let Pass::Indirect { ptr: Loc::Stack(o), .. } = a.pass {
            stack_end = stack_end.max(o + 8);
        }
        if let Pass::Indirect { ptr: Loc::Gpr(r), .. } = a.pass {
            gprs = gprs.max(r + 1);
        }
    }
    None
}

/// For a signature flagged by [`gcc_va_arg_hazard`]: builds the standalone
/// reproducer (the generated caller code against the generated callee, both
/// compiled by `cc`) and runs it. If the compiler's code fails against
/// itself, that is the evidence and the signature is a known issue;
/// otherwise (`None`) abicall runs it like any other.
fn gcc_alone_fails(batch: &Batch, k: usize, cc: &Path, dir: &Path, why: String) -> Option<String> {
    let exe = dir.join(format!("alone{k}"));
    let exe_s = exe.to_string_lossy().into_owned();
    compile(
        cc,
        dir,
        &format!("alone{k}"),
        &csrc::reproducer(batch, k),
        &["-O2", "-w", "-o", &exe_s],
    )
    .ok()?;
    let mut cmd = super::tools::host_exe_command(&exe).ok()?;
    match super::tools::run_with_timeout(&mut cmd, std::time::Duration::from_secs(30)) {
        Ok((true, _)) => None,
        Ok((false, out)) => Some(format!(
            "{why}; observed: the reproducer (compiled C against compiled C, no abicall) crashes or fails{}",
            String::from_utf8_lossy(&out)
                .trim()
                .split('\n')
                .next()
                .filter(|l| !l.is_empty())
                .map_or(String::new(), |l| format!(": {l}"))
        )),
        Err(_) => Some(why),
    }
}

/// Why gcc's own code for `sig`'s callee may not be trusted, if so: gcc 12
/// `-O2` miscompiles `va_arg` of a 16-byte-aligned aggregate passed in
/// general registers (it reloads the spilled registers with `movdqa` from an
/// address that is only 8-aligned, and crashes even when called from
/// gcc-compiled code). Evidence: `abi-tests/evidence/gcc12-va-arg-aligned-union.c`.
/// The register-dump oracle still checks the call plan of such signatures.
pub fn gcc_va_arg_hazard(types: &Types, sig: &Signature) -> Option<String> {
    let plan = sig.plan(types).ok()?;
    plan.args[plan.fixed_args..].iter().enumerate().find_map(|(i, a)| {
        let aligned_agg = a.align >= 16 && types.record_of(a.ty).is_some();
        let in_gprs = !a.parts().is_empty() && a.parts().iter().all(|p| matches!(p.loc, Loc::Gpr(_)));
        (aligned_agg && in_gprs).then(|| {
            format!(
                "variadic argument {} is `{}` (16-byte aligned, in general registers): gcc 12 -O2 \
                 miscompiles its va_arg in the callee (movdqa from an 8-aligned spill slot; \
                 abi-tests/evidence/gcc12-va-arg-aligned-union.c crashes with gcc -O2 alone)",
                plan.fixed_args + i,
                types.display(a.ty)
            )
        })
    })
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;
    use crate::signature::generate_fixed;
    use crate::tools::host_compiler;

    /// The checks can fail: a corrupted argument is reported by the compiled
    /// callee, and a corrupted return value by the host side.
    #[test]
    fn corrupted_values_are_reported() {
        let batch = generate_fixed(abicall::Target::X86_64SysV, 11);
        // r5: struct { double d; long l; } in and out.
        let k = batch
            .sigs
            .iter()
            .position(|s| s.label.is_some_and(|l| l.starts_with("r5 ")))
            .unwrap();
        let cc = host_compiler("gcc").unwrap();
        let dir = TempDir::new("conf-host-test").unwrap();
        let so = dir.path().join("t.so").to_string_lossy().into_owned();
        let src = csrc::batch_source(&batch, k..k + 1);
        compile(
            &cc,
            dir.path(),
            "t",
            &src,
            &["-O2", "-w", "-shared", "-fPIC", "-o", &so],
        )
        .unwrap();
        // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
        let lib = unsafe { Library::open(&so) }.unwrap();
        let take = lib.symbol("conf_failure").unwrap();
        // SAFETY: `conf_failure` is `const char *(void)` (runtime.h).
        let take: unsafe extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(take.as_ptr()) };
        let built = Built { lib, take };
        let mut types = batch.types.clone();
        let sig = &batch.sigs[k];
        let fty = sig.func_type(&mut types);
        let sym = built.lib.symbol(&format!("callee_{k}")).unwrap();
        // SAFETY: `callee_k` was compiled from this prototype.
        let call = unsafe { RawCall::new(&types, fty, &[], sym.as_ptr(), None) }.unwrap();
        let good = csrc::sig_values(&types, sig);
        assert_eq!(call_callee(&call, &good, &built), None);
        let mut bad_arg = good.clone();
        bad_arg.args[0].bytes[9] ^= 0x40;
        let m = call_callee(&call, &bad_arg, &built).unwrap();
        assert!(m.contains("argument 0: byte 9"), "{m}");
        let mut bad_ret = good.clone();
        bad_ret.ret.bytes[3] ^= 1;
        let m = call_callee(&call, &bad_ret, &built).unwrap();
        assert!(m.starts_with("return value byte 3"), "{m}");
    }
}
