//! ABI conformance: generated signatures checked against the C compiler.
//!
//! From a seed, [`signature::generate`] builds random signatures over the
//! whole type space; [`csrc`] writes C that checks every received byte and
//! calls back into the host; [`host`] compiles it into a shared object and
//! runs every signature through abicall in both directions; [`layout`]
//! checks the layout of every aggregate for a cross target with
//! `_Static_assert`s. `abicall abi-test` and `tests/conformance_*.rs` drive it.

pub mod csrc;
pub mod host;
pub mod layout;
pub mod rng;
pub mod signature;
pub mod tools;
pub mod value;
