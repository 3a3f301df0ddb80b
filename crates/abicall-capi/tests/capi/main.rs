//! The `capi` test binary: one module per concern, one shared support module.

/// The repository root (this crate lives in crates/abicall-capi).
pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[path = "../../../../tests/support/counting_alloc.rs"]
mod counting_alloc;
#[path = "../../../../tests/support/host.rs"]
mod host;

mod alloc;
mod embedding;
mod entry;
mod errors;
mod example;
mod gc_memory;
mod header;
