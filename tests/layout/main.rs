//! The `layout` test binary: one module per concern, one shared support module.

#[allow(unused_imports)]
#[path = "../support/mod.rs"]
mod support;

mod deep;
mod errors;
mod known;
mod oracle;
mod vector;
