//! The `call` test binary: one module per concern, one shared support module.

#[allow(unused_imports)]
#[path = "../support/mod.rs"]
mod support;

mod aapcs64_shapes;
mod alloc;
mod arg_array;
mod callback_paths;
mod errors;
mod fastpath_rows;
mod fixtures;
mod fixtures_selfcheck;
mod library;
mod smoke;
mod vectors;
