//! abicall's execution tiers, as the conformance checks see them: one
//! entry per way abicall calls C ([`CALL_TIERS`]) and per way C enters an
//! abicall callback ([`CALLBACK_TIERS`]). Every host check (the checking
//! callees and callers of [`super::host`], the register-dump stub as a
//! callee in [`super::dump`]) loops over these lists, so a new tier (the
//! JIT) is one more line here.

use abicall::call::callback::RawCallbackFn;
use abicall::call::{CallbackOptions, RawCall, RawCallback, Tier};
use abicall::error::Result;
use abicall::types::{TypeId, Types};
use abicall::Target;

/// One way abicall calls a C function.
#[derive(Clone, Copy, Debug)]
pub struct CallTier {
    /// Short name, used in reports (`libffi`, `fast`).
    pub name: &'static str,
    /// Switches `call` to this tier; `false` when the plan has no code for
    /// it on this host (the tier is then skipped for the signature).
    pub select: fn(&mut RawCall) -> bool,
}

/// Makes a callback of one tier: `Ok(None)` when the plan has no entry of
/// this tier on this host.
pub type MakeCallback = fn(&Types, TypeId, Box<RawCallbackFn>, CallbackOptions) -> Result<Option<RawCallback>>;

/// One way C enters an abicall callback.
#[derive(Clone, Copy, Debug)]
pub struct CallbackTier {
    /// Short name, used in reports (`libffi closure`, `fast entry`).
    pub name: &'static str,
    /// Makes the callback through this tier; `Ok(None)` when the plan has
    /// no entry of this tier on this host.
    pub make: MakeCallback,
}

fn libffi(c: &mut RawCall) -> bool {
    c.set_fast_path(false);
    !c.uses_fast_path()
}

fn fast(c: &mut RawCall) -> bool {
    c.set_tier(Tier::Fast).is_ok()
}

/// The JIT tier: every plan on hosts that have it (x86_64 and aarch64 Linux).
fn jit(c: &mut RawCall) -> bool {
    c.set_tier(Tier::Jit).is_ok()
}

/// Every call tier, in the order they run.
pub const CALL_TIERS: &[CallTier] = &[
    CallTier {
        name: "libffi",
        select: libffi,
    },
    CallTier {
        name: "fast",
        select: fast,
    },
    CallTier {
        name: "jit",
        select: jit,
    },
];

fn closure(types: &Types, fty: TypeId, f: Box<RawCallbackFn>, opts: CallbackOptions) -> Result<Option<RawCallback>> {
    match RawCallback::new_libffi(types, fty, f, opts) {
        // A plan libffi cannot express (a 16-byte vector in one `xmm`, a
        // 32-byte-aligned stack argument): skipped, as the call tier is.
        Err(abicall::Error::Call {
            kind: abicall::CallErrorKind::Tier,
            ..
        }) => Ok(None),
        r => r.map(Some),
    }
}

/// A callback of `tier`, for the host's target or (the Apple arm64 checks
/// on an aarch64 Linux host) another variant of its architecture.
fn with_tier(
    types: &Types,
    fty: TypeId,
    f: Box<RawCallbackFn>,
    opts: CallbackOptions,
    tier: Tier,
) -> Result<RawCallback> {
    if Target::host() == Some(types.target()) {
        RawCallback::with_tier(types, fty, f, opts, tier)
    } else {
        RawCallback::with_tier_for_variant(types, fty, f, opts, tier)
    }
}

fn fast_entry(types: &Types, fty: TypeId, f: Box<RawCallbackFn>, opts: CallbackOptions) -> Result<Option<RawCallback>> {
    // No fast entry for x87 results or more than 32 arguments: skipped.
    Ok(with_tier(types, fty, f, opts, Tier::Fast).ok())
}

fn jit_stub(types: &Types, fty: TypeId, f: Box<RawCallbackFn>, opts: CallbackOptions) -> Result<Option<RawCallback>> {
    if !Tier::Jit.available() {
        return Ok(None);
    }
    with_tier(types, fty, f, opts, Tier::Jit).map(Some)
}

/// Every callback tier, in the order they run.
pub const CALLBACK_TIERS: &[CallbackTier] = &[
    CallbackTier {
        name: "libffi closure",
        make: closure,
    },
    CallbackTier {
        name: "fast entry",
        make: fast_entry,
    },
    CallbackTier {
        name: "JIT stub",
        make: jit_stub,
    },
];

/// The `&'static` name of a call or callback tier called `name` (for
/// failures sent back from a child process).
pub fn tier_name(name: &str) -> Option<&'static str> {
    CALL_TIERS
        .iter()
        .map(|t| t.name)
        .chain(CALLBACK_TIERS.iter().map(|t| t.name))
        .find(|n| *n == name)
}
