//! The raw call API: the caller hands pointers to each argument's bytes in C
//! layout and a buffer for the result — what an interpreter uses to marshal
//! its own values. A prepared [`RawCall`] does not allocate per call.

use super::cif::Cif;
use super::errno;
use super::fast::{self, FastCall};
use super::scratch;
use crate::abi::{self, CallPlan};
use crate::error::{Error, Result};
use crate::types::{Prim, TypeId, Types};
use libffi::raw;
use std::any::Any;
use std::ffi::c_void;
use std::sync::Arc;

/// Argument counts up to this use stack storage for the argument-pointer
/// array; more use a per-call heap array (documented exception to "no
/// allocation per call").
const INLINE_ARGS: usize = 32;

/// Return values up to this many bytes go through an internal buffer (so
/// libffi may write a full register); larger ones straight into the caller's.
const RET_SCRATCH: usize = 64;

/// What a padding argument of an AAPCS64 CIF passes (an unused register).
static PAD_ARG: [u64; 1] = [0];

/// A default argument promotion to perform before the call.
#[derive(Clone, Copy, Debug)]
struct Promotion {
    from: Prim,
    to: Prim,
}

/// A prepared call to one C function with one signature (for a variadic
/// function: with one list of variadic argument types).
///
/// Cloning is cheap (the CIF is shared).
#[derive(Clone)]
pub struct RawCall {
    code: *const c_void,
    inner: Arc<Inner>,
    /// Take the fast path when the plan has one ([`RawCall::set_fast_path`]).
    fast_enabled: bool,
}

struct Inner {
    cif: Cif,
    /// The compiled fast path, when the plan is eligible on this host.
    fast: Option<FastCall>,
    plan: CallPlan,
    promotions: Box<[Option<Promotion>]>,
    needs_rewrite: bool,
    /// Some argument is passed by reference to a copy made per call
    /// (AAPCS64 composites over 16 bytes).
    copies: bool,
    ret_size: usize,
    signed_char: bool,
    _keepalive: Option<Arc<dyn Any + Send + Sync>>,
}

// SAFETY: `code` is the address of a C function, callable from any thread;
// everything else is immutable after construction and itself Send + Sync.
unsafe impl Send for RawCall {}
// SAFETY: `&RawCall` only reads immutable fields (plan, CIF, code) and
// calling C through them needs no exclusive access.
unsafe impl Sync for RawCall {}

impl std::fmt::Debug for RawCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCall")
            .field("code", &self.code)
            .field("args", &self.inner.plan.args.len())
            .finish()
    }
}

impl RawCall {
    /// Prepares a call to the function at `code` with function type `func`
    /// (a function type or pointer to one). For a variadic function,
    /// `variadic_args` are the types of the arguments passed for `...`
    /// (before promotion: a `float` given here is passed as `double`).
    /// `keepalive` is held as long as the call object lives (the library
    /// the code comes from).
    ///
    /// # Safety
    /// `code` must be the address of a C function whose real signature
    /// matches `func` on the host ABI.
    pub unsafe fn new(
        types: &Types,
        func: TypeId,
        variadic_args: &[TypeId],
        code: *const c_void,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<RawCall> {
        if code.is_null() {
            return Err(Error::Call("cannot prepare a call to a NULL function pointer".into()));
        }
        let host = crate::Target::host();
        if host != Some(types.target()) {
            return Err(Error::Host {
                target: Some(types.target()),
                host,
                message: format!(
                    "cannot call functions for target {} on this host ({})",
                    types.target(),
                    host.map_or("unsupported".to_string(), |h| h.to_string())
                ),
            });
        }
        let plan = abi::plan_func(types, func, variadic_args)?;
        // SAFETY: `code` is a function of type `func` valid while the result
        // lives (this function's contract), and `plan` was made for `func`.
        unsafe { Self::from_plan(types, plan, code, keepalive) }
    }

    /// Prepares a call from a plan already computed.
    ///
    /// # Safety
    /// As for [`RawCall::new`]; `plan` must be for the host target.
    pub unsafe fn from_plan(
        types: &Types,
        plan: CallPlan,
        code: *const c_void,
        keepalive: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Result<RawCall> {
        let cif = Cif::new(types, &plan)?;
        let mut promotions = Vec::with_capacity(plan.args.len());
        for a in &plan.args {
            let from = types.as_prim(a.ty);
            promotions.push(match (a.promoted, from) {
                (Some(to), Some(from)) => Some(Promotion { from, to }),
                (Some(_), None) => return Err(Error::Abi("promotion of a non-scalar argument".into())),
                // A narrow integer extended in its stack slot: libffi is
                // given the 32-bit type (`ffi_shape::stack_extension`).
                (None, Some(from)) => abi::ffi_shape::stack_extension(a).map(|to| Promotion { from, to }),
                (None, None) => None,
            });
        }
        // libffi's x86_64 `ffi_call` replaces `avalue[i]` of a struct over
        // 16 bytes with a pointer to its own stack copy: it must be handed
        // a copy of the caller's pointer array, never the caller's `&[_]`
        // itself (which a caller reusing it would then see dangling).
        // (`long double _Complex` is described to libffi as a struct too.)
        let big_struct = plan.args.iter().any(|a| a.size > 16);
        let needs_rewrite = big_struct || promotions.iter().any(Option::is_some) || cif.reshaped();
        let copies = cif.by_ref.contains(&true);
        let ret_size = if matches!(plan.ret.class, abi::ValueClass::Void) {
            0
        } else {
            plan.ret.size as usize
        };
        let signed_char = plan.target.char_is_signed();
        let declared: Vec<Option<Prim>> = promotions.iter().map(|p| p.map(|p| p.from)).collect();
        let fast = FastCall::new(&plan, &declared, signed_char);
        Ok(RawCall {
            code,
            fast_enabled: !fast::disabled_by_env(),
            inner: Arc::new(Inner {
                cif,
                fast,
                plan,
                promotions: promotions.into_boxed_slice(),
                needs_rewrite,
                copies,
                ret_size,
                signed_char,
                _keepalive: keepalive,
            }),
        })
    }

    /// The plan this call executes.
    pub fn plan(&self) -> &CallPlan {
        &self.inner.plan
    }

    /// Number of arguments [`RawCall::call`] expects.
    pub fn arg_count(&self) -> usize {
        self.inner.plan.args.len()
    }

    /// Size of the buffer [`RawCall::call`] writes the result to (0 for `void`).
    pub fn ret_size(&self) -> usize {
        self.inner.ret_size
    }

    /// Chooses between the fast path (when the plan has one, see
    /// [`RawCall::has_fast_path`]) and libffi for this call object; on by
    /// default unless `ABICALL_NO_FASTPATH` is set (to anything but `0`).
    /// Clones made afterwards inherit the choice.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_enabled = on;
    }

    /// Whether [`RawCall::call`] skips libffi: the plan has a fast path and
    /// it is switched on.
    pub fn uses_fast_path(&self) -> bool {
        self.fast_enabled && self.inner.fast.is_some()
    }

    /// Whether the plan has a fast path on this host (x86_64: every part in
    /// argument registers or at most 8 stack slots, no x87 return).
    pub fn has_fast_path(&self) -> bool {
        self.inner.fast.is_some()
    }

    /// The function's address.
    pub fn code(&self) -> *const c_void {
        self.code
    }

    /// Calls the function. `args[i]` points to argument `i`'s bytes in C
    /// layout (for a promoted variadic argument: the declared type's bytes);
    /// the result's [`RawCall::ret_size`] bytes are written to `ret`
    /// (which may be NULL for `void`). `errno` is restored before and saved
    /// after the call (see [`mod@crate::call::errno`]).
    ///
    /// # Safety
    /// Every `args[i]` must point to a readable value of the planned
    /// argument's type, `ret` to `ret_size()` writable bytes, and any
    /// pointers inside the arguments must be what the C function expects.
    #[inline]
    pub unsafe fn call(&self, args: &[*const c_void], ret: *mut c_void) -> Result<()> {
        let inner = &*self.inner;
        if args.len() != inner.plan.args.len() {
            return Err(self.bad_call(args));
        }
        if ret.is_null() && inner.ret_size > 0 {
            return Err(self.bad_call(args));
        }
        if self.fast_enabled {
            if let Some(fast) = &inner.fast {
                // SAFETY: argument count checked above; NULL argument
                // pointers are refused by `fast.call` before anything is
                // called; the caller guarantees the rest (contract of `call`).
                if unsafe { fast.call(self.code, args, ret) } {
                    return Ok(());
                }
                return Err(self.bad_call(args));
            }
        }
        if args.iter().any(|p| p.is_null()) {
            return Err(self.bad_call(args));
        }
        if !inner.needs_rewrite {
            // SAFETY: argument count and non-null pointers checked above; the
            // caller guarantees they point to values of the planned types.
            unsafe { self.invoke(args.as_ptr() as *mut *mut c_void, ret) };
            return Ok(());
        }
        // SAFETY: argument count and non-null pointers checked above; the
        // caller guarantees the values have the planned types and `ret` room.
        unsafe { self.call_rewritten(args, ret) }
    }

    /// The error for arguments `call` refuses (kept out of the hot path).
    #[cold]
    #[inline(never)]
    fn bad_call(&self, args: &[*const c_void]) -> Error {
        let inner = &*self.inner;
        if args.len() != inner.plan.args.len() {
            return Error::Call(format!(
                "expected {} argument(s), got {}",
                inner.plan.args.len(),
                args.len()
            ));
        }
        if let Some(i) = args.iter().position(|p| p.is_null()) {
            return Error::Call(format!(
                "argument {}: NULL given where a pointer to the argument's bytes is needed",
                i + 1
            ));
        }
        Error::Call("NULL return buffer for a non-void function".into())
    }

    /// The libffi path of `call` for plans whose argument list libffi sees
    /// differently (empty structs dropped, variadic promotions applied,
    /// AAPCS64 register-pair padding and by-reference copies, see
    /// [`crate::abi::ffi_shape::aarch64_cif_args`]).
    ///
    /// # Safety
    /// As for `call`, with the argument count and NULLs checked.
    #[inline(never)]
    unsafe fn call_rewritten(&self, args: &[*const c_void], ret: *mut c_void) -> Result<()> {
        let inner = &*self.inner;
        let n = inner.cif.cif_nargs;
        let rewrite = |ptrs: &mut [*mut c_void], promoted: &mut [u64], arena: Option<&bumpalo::Bump>| {
            for &s in inner.cif.pad_slots.iter() {
                ptrs[s as usize] = PAD_ARG.as_ptr() as *mut c_void;
            }
            for (i, &a) in args.iter().enumerate() {
                let Some(slot) = inner.cif.arg_map[i] else { continue };
                let p = if inner.cif.by_ref[i] {
                    // The caller's copy (AAPCS64 B.4): the callee may write to it.
                    let v = &inner.plan.args[i];
                    let layout = std::alloc::Layout::from_size_align(v.size as usize, v.align.max(16) as usize)
                        .map_err(|e| Error::Call(format!("argument {}: {e}", i + 1)))?;
                    let arena = arena.ok_or_else(|| Error::Call("no scratch arena for argument copies".into()))?;
                    let copy = arena.try_alloc_layout(layout).map_err(|_| {
                        Error::Call(format!(
                            "argument {}: cannot allocate {} bytes for the copy passed by reference",
                            i + 1,
                            v.size
                        ))
                    })?;
                    // SAFETY: `a` points to the argument's `size` bytes (caller
                    // contract); `copy` has `size` fresh bytes.
                    unsafe { std::ptr::copy_nonoverlapping(a as *const u8, copy.as_ptr(), v.size as usize) };
                    promoted[i] = copy.as_ptr() as u64;
                    &mut promoted[i] as *mut u64 as *mut c_void
                } else {
                    match inner.promotions[i] {
                        // SAFETY: `a` points to a value of the declared type (caller contract).
                        Some(pr) => unsafe {
                            promoted[i] = promote(a, pr, inner.signed_char);
                            &mut promoted[i] as *mut u64 as *mut c_void
                        },
                        None => a as *mut c_void,
                    }
                };
                ptrs[slot as usize] = p;
            }
            // SAFETY: `ptrs` holds one valid pointer per CIF argument.
            unsafe { self.invoke(ptrs.as_mut_ptr(), ret) };
            Ok(())
        };
        if n <= INLINE_ARGS && args.len() <= INLINE_ARGS && !inner.copies {
            let mut ptrs = [std::ptr::null_mut::<c_void>(); INLINE_ARGS];
            let mut promoted = [0u64; INLINE_ARGS];
            rewrite(&mut ptrs[..n], &mut promoted[..args.len()], None)
        } else {
            scratch::with_scratch(|b| {
                let ptrs = b.alloc_slice_fill_copy(n, std::ptr::null_mut::<c_void>());
                let promoted = b.alloc_slice_fill_copy(args.len(), 0u64);
                rewrite(ptrs, promoted, Some(b))
            })
        }
    }

    /// # Safety
    /// `avalue` holds one valid pointer per CIF argument; `ret` as in `call`.
    #[inline(always)]
    unsafe fn invoke(&self, avalue: *mut *mut c_void, ret: *mut c_void) {
        let inner = &*self.inner;
        // SAFETY: `code` is a C function of this CIF's signature (contract of `new`).
        let f: unsafe extern "C" fn() = unsafe { std::mem::transmute(self.code) };
        if inner.ret_size > RET_SCRATCH {
            errno::before_call();
            // SAFETY: CIF prepared; `ret` has room for the whole value.
            unsafe { raw::ffi_call(inner.cif.as_ptr(), Some(f), ret, avalue) };
            errno::after_call();
        } else {
            #[repr(C, align(16))]
            struct Scratch([u8; RET_SCRATCH]);
            // Not zeroed: libffi writes the whole return value (at least a
            // full register for integers) and only `ret_size` bytes are read.
            let mut scratch = std::mem::MaybeUninit::<Scratch>::uninit();
            let scratch_ptr = scratch.as_mut_ptr() as *mut u8;
            errno::before_call();
            // SAFETY: CIF prepared; the scratch buffer is at least a register
            // wide and as large as any register-returned value.
            unsafe { raw::ffi_call(inner.cif.as_ptr(), Some(f), scratch_ptr as *mut c_void, avalue) };
            errno::after_call();
            // Little-endian: the low bytes are the value, so copying
            // `ret_size` bytes truncates a widened narrow return.
            // SAFETY: libffi wrote the value to the scratch buffer; `ret`
            // has `ret_size` writable bytes (caller contract).
            unsafe {
                match inner.ret_size {
                    0 => {}
                    8 => (ret as *mut u64).write_unaligned((scratch_ptr as *const u64).read()),
                    4 => (ret as *mut u32).write_unaligned((scratch_ptr as *const u32).read()),
                    n => std::ptr::copy_nonoverlapping(scratch_ptr, ret as *mut u8, n),
                }
            }
        }
    }
}

/// Reads a value of the declared (narrow) type and returns the promoted
/// value's bytes in a u64 (C's default argument promotions).
///
/// # Safety
/// `a` points to a readable value of `pr.from`.
unsafe fn promote(a: *const c_void, pr: Promotion, signed_char: bool) -> u64 {
    use Prim::*;
    // SAFETY: `a` points to a readable value of `pr.from` (this function's
    // contract); each arm reads exactly that type's bytes, unaligned.
    let as_int: i64 = unsafe {
        match pr.from {
            Float => return ((a as *const f32).read_unaligned() as f64).to_bits(),
            Bool | UChar => (a as *const u8).read_unaligned() as i64,
            SChar => (a as *const i8).read_unaligned() as i64,
            Char if signed_char => (a as *const i8).read_unaligned() as i64,
            Char => (a as *const u8).read_unaligned() as i64,
            Short => (a as *const i16).read_unaligned() as i64,
            UShort => (a as *const u16).read_unaligned() as i64,
            Int => (a as *const i32).read_unaligned() as i64,
            UInt => (a as *const u32).read_unaligned() as i64,
            _ => (a as *const i64).read_unaligned(),
        }
    };
    match pr.to {
        Double => (as_int as f64).to_bits(),
        _ => as_int as i32 as u32 as u64,
    }
}
