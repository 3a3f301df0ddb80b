//! The `abi` test binary: one module per concern, one shared support module.

#[allow(unused_imports)]
#[path = "../support/mod.rs"]
mod support;

mod apple;
mod cases;
mod errors;
mod libffi;
mod oracle;
mod random;
