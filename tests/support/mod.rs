//! Shared helpers for the integration tests: finding the C tools (or failing
//! with the command that installs them), temporary directories, and the
//! layout probe that checks our layout against a C compiler.
//!
//! Use from a test file with `mod support;`. Not every test uses every
//! helper, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod abi;
pub mod counting_alloc;
pub mod fixtures;
pub mod host;
pub mod json;
pub mod layout_probe;
pub mod memory;
pub mod tools;

pub use fixtures::repo_root;
