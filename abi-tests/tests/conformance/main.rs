//! The `conformance` test binary: one module per concern, one shared support module.

mod aarch64;
mod x86_64;
