//! ABI conformance: generated signatures checked against the C compiler.
//!
//! From a seed, [`signature`] builds random signatures over the whole type
//! space abicall supports (after the fixed rows of `docs/abi-cases.md`, [`fixed`]);
//! [`value`] gives every argument and return value reproducible bytes. Each
//! chunk of [`CHUNK`] signatures is then checked three ways:
//!
//! - [`host`] (host target only): [`csrc`] writes C with a checking callee and
//!   a callback-calling caller per signature, compiled by gcc or clang `-O2`
//!   into one shared object; abicall calls every callee through each of its
//!   execution paths (libffi, fast path) and gives every caller a callback;
//! - [`oracle`] (any target with a compiler): the register-dump oracle checks
//!   the call plan byte by byte against what compiled C puts in registers and
//!   on the stack, and how compiled C reads returned registers (aarch64 under
//!   `qemu-aarch64-static`);
//! - [`layout`]: `_Static_assert`s on size, alignment and member offsets of
//!   every generated aggregate, compiled by the target's compiler.
//!
//! [`run`] drives it (parallel chunks, progress reports); `abicall abi-test`
//! and `tests/conformance_*.rs` are its faces. The C/assembly support files
//! live in `abi-tests/`.

pub mod csrc;
pub mod fixed;
pub mod host;
pub mod layout;
pub mod oracle;
pub mod rng;
pub mod runner;
pub mod signature;
pub mod tools;
pub mod value;

pub use runner::{run, Options, Summary, CHUNK};

/// Which check a failure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The engine could not plan or prepare the call at all.
    Plan,
    /// abicall → C through libffi.
    CallLibffi,
    /// abicall → C through the fast path.
    CallFast,
    /// abicall → C through the JIT tier's generated trampoline.
    CallJit,
    /// C → abicall callback through a libffi closure.
    Callback,
    /// C → abicall callback through abicall's fast callback entry.
    CallbackFast,
    /// C → abicall callback through an entry stub generated for the signature.
    CallbackJit,
    /// The register-dump oracle disagrees with the call plan.
    Oracle,
    /// The target's compiler lays out an aggregate differently.
    Layout,
}

impl Direction {
    /// A short human name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Plan => "plan",
            Direction::CallLibffi => "abicall -> C (libffi path)",
            Direction::CallFast => "abicall -> C (fast path)",
            Direction::CallJit => "abicall -> C (JIT trampoline)",
            Direction::Callback => "C -> abicall (callback, libffi closure)",
            Direction::CallbackFast => "C -> abicall (callback, fast entry)",
            Direction::CallbackJit => "C -> abicall (callback, JIT stub)",
            Direction::Oracle => "register-dump oracle",
            Direction::Layout => "layout (_Static_assert)",
        }
    }
}

/// One signature that did not behave like the compiler.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Index of the signature in its chunk.
    pub index: usize,
    /// Which check failed.
    pub direction: Direction,
    /// What went wrong (first differing byte, the engine's error, the plan).
    pub message: String,
    /// Set when the disagreement is a known compiler bug or a documented
    /// engine limitation (the evidence): counted separately, never as a pass.
    pub known_divergence: Option<String>,
}

impl Failure {
    /// A failure of signature `index`.
    pub fn new(index: usize, direction: Direction, message: String) -> Failure {
        Failure {
            index,
            direction,
            message,
            known_divergence: None,
        }
    }
}
