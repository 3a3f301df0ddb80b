//! The `cli` test binary: one module per concern, one shared support module.

/// The repository root (this crate lives in crates/abicall-cli).
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[allow(unused_imports)]
#[path = "../../../../tests/support/mod.rs"]
mod support;

mod call;
mod examples_iconv;
mod examples_programs;
mod examples_support;
mod guide;
mod layout;
