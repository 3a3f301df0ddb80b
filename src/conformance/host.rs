//! Both directions on real code for the host target (x86_64 System V):
//! each batch of signatures becomes one shared object built by gcc or clang
//! at `-O2`; abicall calls every checking callee through [`RawCall`] and
//! gives every caller a [`RawCallback`] that checks what C passed.

use super::csrc::{self, SigValues};
use super::signature::Batch;
use super::tools::{compile, TempDir};
use crate::call::{CallbackOptions, RawCall, RawCallback};
use crate::error::{Error, Result};
use crate::library::Library;
use crate::types::Prim;
use std::ffi::{c_char, c_void, CStr};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One signature that did not behave like the compiler.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Index of the signature in its batch.
    pub index: usize,
    /// What went wrong (direction and first differing byte, or the engine's error).
    pub message: String,
}

/// A value buffer aligned for any generated type (16 bytes).
fn aligned(bytes: &[u8]) -> Vec<u128> {
    let mut v = vec![0u128; bytes.len().div_ceil(16).max(1)];
    // SAFETY: `v` has at least `bytes.len()` bytes; the regions do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), v.as_mut_ptr() as *mut u8, bytes.len()) };
    v
}

/// Compiles signatures `range` of `batch` (host target) with `cc -O2` into a
/// shared object and runs both directions. Returns one entry per failing
/// signature; `Err` only when the C cannot be built or loaded.
pub fn run_range(batch: &Batch, range: Range<usize>, cc: &Path) -> Result<Vec<Failure>> {
    if crate::Target::host() != Some(batch.types.target()) {
        return Err(Error::Call(format!(
            "real-code conformance needs the host target, not {}",
            batch.types.target()
        )));
    }
    let dir = TempDir::new("conformance")?;
    let so = dir.path().join(format!("conf{}.so", range.start));
    let so_str = so.to_string_lossy().into_owned();
    let src = csrc::batch_source(batch, range.clone());
    compile(cc, dir.path(), "conf", &src, &["-O2", "-w", "-shared", "-fPIC", "-o", &so_str])?;
    let lib = Library::open(&so_str)?;
    let take = lib.symbol("conf_failure")?;
    // SAFETY: `conf_failure` is defined by the PRELUDE as `const char *(void)`.
    let take: unsafe extern "C" fn() -> *const c_char = unsafe { std::mem::transmute(take.as_ptr()) };
    let c_failure = || {
        // SAFETY: C signature as above; the returned string is NUL-terminated static storage.
        let p = unsafe { take() };
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let mut types = batch.types.clone();
    let mut failures = Vec::new();
    let trace = std::env::var_os("ABICALL_CONF_TRACE").is_some();
    for k in range {
        if trace {
            eprintln!("conformance: signature {k}");
        }
        let sig = &batch.sigs[k];
        let vals = csrc::sig_values(&types, sig);
        let fty = sig.func_type(&mut types);
        let fail = |message: String| Failure { index: k, message };
        // Direction 1: abicall calls C.
        let sym = lib.symbol(&format!("callee_{k}"))?;
        let variadic = sig.fixed.map_or(&[][..], |n| &sig.args[n..]);
        // SAFETY: `callee_k` was compiled from exactly this prototype.
        let call = match unsafe { RawCall::new(&types, fty, variadic, sym.as_ptr(), None) } {
            Ok(c) => c,
            Err(e) => {
                failures.push(fail(format!("engine refused the call: {e}")));
                continue;
            }
        };
        if let Some(m) = call_callee(&call, &vals, &c_failure) {
            failures.push(fail(format!("abicall -> C: {m}")));
            continue;
        }
        // Direction 2: C calls abicall.
        if csrc::has_caller(sig) {
            let sym = lib.symbol(&format!("caller_{k}"))?;
            match call_caller(&types, fty, sym.as_ptr(), &vals, &c_failure) {
                Ok(None) => {}
                Ok(Some(m)) => failures.push(fail(format!("C -> abicall callback: {m}"))),
                Err(e) => failures.push(fail(format!("engine refused the callback: {e}"))),
            }
        }
    }
    Ok(failures)
}

fn call_callee(call: &RawCall, vals: &SigValues, c_failure: &dyn Fn() -> Option<String>) -> Option<String> {
    let bufs: Vec<Vec<u128>> = vals.args.iter().map(|v| aligned(&v.bytes)).collect();
    let ptrs: Vec<*const c_void> = bufs.iter().map(|b| b.as_ptr() as *const c_void).collect();
    let mut ret = vec![0u128; call.ret_size().div_ceil(16) + 1];
    // SAFETY: every pointer holds a value of the planned argument type (bytes
    // in C layout); `ret` has room for the return value; pointer-typed
    // arguments are never dereferenced by the generated callee.
    if let Err(e) = unsafe { call.call(&ptrs, ret.as_mut_ptr() as *mut c_void) } {
        return Some(format!("call failed: {e}"));
    }
    if let Some(m) = c_failure() {
        return Some(m);
    }
    // SAFETY: `ret` has at least `ret_size` initialized bytes.
    let got = unsafe { std::slice::from_raw_parts(ret.as_ptr() as *const u8, call.ret_size()) };
    vals.ret
        .first_mismatch(got)
        .map(|(i, want, g)| format!("return value byte {i}: C returned {want:02x}, abicall read {g:02x}"))
}

fn call_caller(
    types: &crate::types::Types,
    fty: crate::types::TypeId,
    caller: *mut c_void,
    vals: &SigValues,
    c_failure: &dyn Fn() -> Option<String>,
) -> Result<Option<String>> {
    let seen: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let (expect, ret_bytes, seen2) = (vals.args.clone(), vals.ret.bytes.clone(), seen.clone());
    let void = types.as_prim(types.sig_of(fty).map_or(fty, |s| s.ret)) == Some(Prim::Void);
    let f = move |args: &[*const c_void], ret: *mut c_void| -> std::result::Result<(), String> {
        for (i, (p, v)) in args.iter().zip(&expect).enumerate() {
            // SAFETY: libffi hands a pointer to argument `i`'s bytes (its size).
            let got = unsafe { std::slice::from_raw_parts(*p as *const u8, v.bytes.len()) };
            if let Some((o, want, g)) = v.first_mismatch(got) {
                let mut s = seen2.lock().unwrap_or_else(|e| e.into_inner());
                s.get_or_insert_with(|| format!("argument {i} byte {o}: C passed {want:02x}, callback received {g:02x}"));
                break;
            }
        }
        if !void {
            // SAFETY: `ret` points to a buffer of the return type's size.
            unsafe { std::ptr::copy_nonoverlapping(ret_bytes.as_ptr(), ret as *mut u8, ret_bytes.len()) };
        }
        Ok(())
    };
    let cb = RawCallback::new(types, fty, Box::new(f), CallbackOptions::default())?;
    // SAFETY: `caller_k` is `int caller_k(R (*cb)(args...))` and `cb` has that type.
    let caller: unsafe extern "C" fn(*const c_void) -> i32 = unsafe { std::mem::transmute(caller) };
    // SAFETY: as above.
    let status = unsafe { caller(cb.code()) };
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).take();
    if seen.is_some() {
        return Ok(seen);
    }
    if status != 0 {
        return Ok(Some(c_failure().unwrap_or_else(|| "caller reported a failure".into())));
    }
    Ok(None)
}
