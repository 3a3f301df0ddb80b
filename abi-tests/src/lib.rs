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
//! The Apple arm64 variant has no machine to run compiled code on: on an
//! aarch64 host, [`apple`] runs abicall's own code for Apple plans (JIT,
//! fast path) against the plans, which `tests/abi/apple.rs` checks against
//! clang.
//!
//! [`run`] drives it (parallel chunks, progress reports); `abicall abi-test`
//! and `tests/conformance_*.rs` are its faces. The C/assembly support files
//! live in `abi-tests/`.

pub mod apple;
pub mod child;
pub mod csrc;
pub mod dump;
pub mod fixed;
pub mod host;
pub mod layout;
pub mod oracle;
pub mod rng;
pub mod runner;
pub mod signature;
pub mod tiers;
pub mod tools;
pub mod value;

pub use runner::{run, Options, Summary, CHUNK};

/// Which check a failure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The engine could not plan or prepare the call at all.
    Plan,
    /// abicall -> compiled checking callee, through the named call tier
    /// ([`tiers::CALL_TIERS`]).
    Call(&'static str),
    /// Compiled caller -> abicall callback, through the named callback tier
    /// ([`tiers::CALLBACK_TIERS`]).
    Callback(&'static str),
    /// abicall calls the register-dump stub through the named call tier:
    /// the registers and stack bytes differ from what gcc's caller puts
    /// there, or the returned value from what gcc's caller reads.
    Dump(&'static str),
    /// The compiled caller's register and stack image (from the dump stub,
    /// with every byte the ABI leaves undefined scrambled) replayed into an
    /// abicall callback of the named callback tier: the callback decoded
    /// other values, or its result is not where the caller reads it.
    Replay(&'static str),
    /// The register-dump oracle disagrees with the call plan.
    Oracle,
    /// The target's compiler lays out an aggregate differently.
    Layout,
    /// abicall crashed or hung while running the signature (caught in a
    /// child process).
    Crash,
}

impl Direction {
    /// A short human name.
    pub fn name(self) -> String {
        match self {
            Direction::Plan => "plan".into(),
            Direction::Call(t) => format!("abicall -> C ({t} tier)"),
            Direction::Callback(t) => format!("C -> abicall (callback, {t})"),
            Direction::Dump(t) => format!("abicall -> register-dump stub ({t} tier) vs gcc's caller"),
            Direction::Replay(t) => {
                format!("gcc's caller replayed, undefined bytes scrambled -> abicall callback ({t})")
            }
            Direction::Oracle => "register-dump oracle".into(),
            Direction::Layout => "layout (_Static_assert)".into(),
            Direction::Crash => "crash".into(),
        }
    }

    /// A one-word code for the child-process protocol ([`child`]).
    pub fn code(self) -> String {
        match self {
            Direction::Plan => "plan".into(),
            Direction::Call(t) => format!("call:{}", t.replace(' ', "_")),
            Direction::Callback(t) => format!("callback:{}", t.replace(' ', "_")),
            Direction::Dump(t) => format!("dump:{}", t.replace(' ', "_")),
            Direction::Replay(t) => format!("replay:{}", t.replace(' ', "_")),
            Direction::Oracle => "oracle".into(),
            Direction::Layout => "layout".into(),
            Direction::Crash => "crash".into(),
        }
    }

    /// The direction [`Direction::code`] gave `s`.
    pub fn from_code(s: &str) -> Option<Direction> {
        let (kind, tier) = match s.split_once(':') {
            Some((k, t)) => (k, Some(tiers::tier_name(&t.replace('_', " "))?)),
            None => (s, None),
        };
        Some(match (kind, tier) {
            ("call", Some(t)) => Direction::Call(t),
            ("callback", Some(t)) => Direction::Callback(t),
            ("dump", Some(t)) => Direction::Dump(t),
            ("replay", Some(t)) => Direction::Replay(t),
            ("plan", None) => Direction::Plan,
            ("oracle", None) => Direction::Oracle,
            ("layout", None) => Direction::Layout,
            ("crash", None) => Direction::Crash,
            _ => return None,
        })
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
