//! The JIT tier: machine code generated per signature from the call plan.
//!
//! For every prepared call the plan is compiled into a *trampoline*
//! `extern "C" fn(code, args, ret) -> u32` that moves each argument from
//! the caller's array of argument pointers straight into its register or
//! stack slot (with the plan's extensions and variadic promotions), sets
//! `al` for variadic callees, calls `code` and stores the result per the
//! plan (register pairs, x87 `st0`/`st1`, or the hidden result pointer). It
//! returns 1, having called nothing, when an argument pointer is NULL.
//! Nothing at call time dispatches on types.
//!
//! For every callback the plan is compiled into an *entry stub* that C
//! calls directly: it stores the incoming argument registers into a value
//! area of its frame, builds the argument-pointer array the host closure
//! reads, calls the dispatcher and loads the return registers per the plan.
//!
//! Code is emitted with `dynasmrt` (x86_64 SysV on Linux; AAPCS64 on Linux
//! and Apple arm64 hosts, for Linux and Apple plans;
//! other hosts have no generator and use the precompiled fast path or
//! libffi; on Apple the memory is `MAP_JIT`, type-checked here but not run:
//! the Apple plans' code is run on aarch64 Linux, `abicall_conformance::apple`) into
//! W^X executable memory (`mem`). Call trampolines are freed with the last
//! clone of their `RawCall`; callback stubs live as long as the process
//! (like the callback's state, so a stale C pointer stays safe).
//!
//! Tiers ([`Tier`]): a prepared call takes the JIT when the plan and host
//! allow it, else the precompiled fast path, else libffi.
//! `ABICALL_NO_JIT=1` skips the JIT, `ABICALL_NO_FASTPATH=1` skips both
//! (read once per process); `RawCall::with_tier` / `RawCall::set_tier` and
//! `RawCallback::with_tier` pick one explicitly.

// Executable memory works on every Linux host and on Apple arm64 (with the aarch64 icache
// flush); x86_64 and aarch64 have a code generator using it.
#[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos")))]
mod a64;
#[cfg(any(target_os = "linux", all(target_arch = "aarch64", target_os = "macos")))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), allow(dead_code))]
mod mem;
#[cfg(any(
    all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
    all(target_arch = "aarch64", target_os = "macos")
))]
mod read;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod x64;

/// The code generator of this host.
#[cfg(all(target_arch = "aarch64", any(target_os = "linux", target_os = "macos")))]
use a64 as gen;
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
use x64 as gen;

use crate::abi::CallPlan;
use crate::types::Prim;
use std::ffi::c_void;
use std::sync::OnceLock;

/// How a call or callback crosses into C.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tier {
    /// Machine code generated for the signature (x86_64 SysV Linux hosts,
    /// AAPCS64 Linux and Apple arm64 hosts).
    Jit,
    /// The precompiled register-image invokers and callback entry (x86_64;
    /// aarch64 Linux and Apple).
    Fast,
    /// libffi's `ffi_call` and closures (every host, every plan).
    Libffi,
}

impl Tier {
    /// Every tier, fastest first.
    pub const ALL: [Tier; 3] = [Tier::Jit, Tier::Fast, Tier::Libffi];

    /// `"jit"`, `"fast"` or `"libffi"`.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Jit => "jit",
            Tier::Fast => "fast",
            Tier::Libffi => "libffi",
        }
    }
}

impl Tier {
    /// Whether this host has the tier at all: libffi everywhere; the fast
    /// path on x86_64 and aarch64 (Linux, Apple); the JIT on x86_64 Linux and aarch64 (Linux, Apple) when the host gives
    /// executable memory (and `ABICALL_JIT_MEMORY` is not `none`). A tier
    /// the host has may still decline a particular plan (`RawCall::has_tier`).
    pub fn available(self) -> bool {
        match self {
            Tier::Libffi => true,
            Tier::Fast => super::fast::HOST_HAS_FAST_PATH,
            Tier::Jit => jit_memory_works(),
        }
    }
}

/// Whether generated code can be placed in executable memory here (probed once).
fn jit_memory_works() -> bool {
    #[cfg(any(
        all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
        all(target_arch = "aarch64", target_os = "macos")
    ))]
    {
        static OK: OnceLock<bool> = OnceLock::new();
        // `ret`
        #[cfg(target_arch = "x86_64")]
        const RET: &[u8] = &[0xc3];
        #[cfg(target_arch = "aarch64")]
        const RET: &[u8] = &[0xc0, 0x03, 0x5f, 0xd6];
        *OK.get_or_init(|| mem::CodeBlock::new(RET).is_some())
    }
    #[cfg(not(any(
        all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
        all(target_arch = "aarch64", target_os = "macos")
    )))]
    false
}

impl std::fmt::Display for Tier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A generated call trampoline: `(code, args, ret)`, returns 1 when an
/// argument pointer was NULL (nothing called), else 0.
pub(crate) type Trampoline = unsafe extern "C" fn(*const c_void, *const *const c_void, *mut c_void) -> u32;

/// A compiled call trampoline and the memory holding it.
#[cfg_attr(
    not(any(target_os = "linux", all(target_arch = "aarch64", target_os = "macos"))),
    allow(dead_code)
)]
pub(crate) struct JitCall {
    #[cfg(any(target_os = "linux", all(target_arch = "aarch64", target_os = "macos")))]
    _block: mem::CodeBlock,
    entry: Trampoline,
}

impl std::fmt::Debug for JitCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JitCall")
            .field("entry", &(self.entry as *const c_void))
            .finish()
    }
}

impl JitCall {
    /// Compiles `plan` into a trampoline, or `None` when this host has no
    /// generator, the plan has something it does not place, or executable
    /// memory is refused. `declared[i]` is argument `i`'s declared scalar
    /// type (for variadic promotions). With `frame` (argument `i` at byte
    /// `frame[i]` of an argument frame), the trampoline reads a frame
    /// instead of argument pointers.
    #[allow(unused_variables)]
    pub(crate) fn new(
        plan: &CallPlan,
        declared: &[Option<Prim>],
        signed_char: bool,
        frame: Option<&[u32]>,
    ) -> Option<JitCall> {
        #[cfg(any(
            all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
            all(target_arch = "aarch64", target_os = "macos")
        ))]
        {
            let code = gen::call_trampoline(plan, declared, signed_char, frame)?;
            let block = mem::CodeBlock::new(&code)?;
            // SAFETY: the block holds a function generated with exactly this
            // signature (see `gen::call_trampoline`), executable until the
            // block is dropped, which happens with this `JitCall`.
            let entry = unsafe { std::mem::transmute::<*const c_void, Trampoline>(block.addr()) };
            Some(JitCall { _block: block, entry })
        }
        #[cfg(not(any(
            all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
            all(target_arch = "aarch64", target_os = "macos")
        )))]
        None
    }

    /// Bytes of executable memory the trampoline takes.
    pub(crate) fn code_size(&self) -> usize {
        #[cfg(any(target_os = "linux", all(target_arch = "aarch64", target_os = "macos")))]
        return self._block.size();
        #[cfg(not(any(target_os = "linux", all(target_arch = "aarch64", target_os = "macos"))))]
        0
    }

    /// The trampoline; valid while `self` lives.
    #[inline(always)]
    pub(crate) fn entry(&self) -> Trampoline {
        self.entry
    }
}

/// The dispatcher a generated callback stub calls: `(state, argv, out)`;
/// `out` is the zeroed result buffer (or the hidden result pointer).
pub(crate) type StubDispatch = unsafe extern "C" fn(*const c_void, *const *const c_void, *mut u8);

/// A generated callback entry stub. Its memory is never freed: a C library
/// may call a stale function pointer after the callback was dropped.
#[derive(Debug)]
pub(crate) struct JitStub {
    code: *const c_void,
}

// SAFETY: the stub is immutable executable code.
unsafe impl Send for JitStub {}
// SAFETY: the stub is immutable executable code; sharing its address is sound.
unsafe impl Sync for JitStub {}

impl JitStub {
    /// Compiles the entry for a callback following `plan` that calls
    /// `dispatch(state, …)`, or `None` (no generator for this host or
    /// plan, or no executable memory). `widen` is `(size, signed)` for a
    /// narrow integer result.
    #[allow(unused_variables)]
    pub(crate) fn new(
        plan: &CallPlan,
        state: *const c_void,
        dispatch: StubDispatch,
        widen: Option<(usize, bool)>,
    ) -> Option<JitStub> {
        #[cfg(any(
            all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
            all(target_arch = "aarch64", target_os = "macos")
        ))]
        {
            #[repr(C, align(16))]
            struct Zeros([u64; 4]);
            static ZEROS: Zeros = Zeros([0; 4]);
            let code = gen::callback_stub(
                plan,
                state as usize,
                dispatch as usize,
                &ZEROS as *const Zeros as usize,
                widen,
            )?;
            let block = mem::CodeBlock::new(&code)?;
            let code = block.addr();
            // Kept for the process's life (see the type's docs).
            std::mem::forget(block);
            Some(JitStub { code })
        }
        #[cfg(not(any(
            all(any(target_arch = "x86_64", target_arch = "aarch64"), target_os = "linux"),
            all(target_arch = "aarch64", target_os = "macos")
        )))]
        None
    }

    /// The C function pointer.
    pub(crate) fn code(&self) -> *const c_void {
        self.code
    }
}

/// Whether `ABICALL_NO_JIT` is set to something other than empty or `0`
/// (read once per process).
pub(crate) fn disabled_by_env() -> bool {
    static OFF: OnceLock<bool> = OnceLock::new();
    *OFF.get_or_init(|| std::env::var_os("ABICALL_NO_JIT").is_some_and(|v| !v.is_empty() && v != "0"))
}
