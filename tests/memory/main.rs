//! The `memory` test binary: one module per concern, one shared support module.

#[allow(unused_imports)]
#[path = "../support/mod.rs"]
mod support;

mod bitfields;
mod cast;
mod cdata;
mod handles;
mod init_gcc;
mod longdouble;
