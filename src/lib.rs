//! abicall: a dynamic ABI call engine.
//!
//! Layers, each usable without the ones above it:
//! [`cdecl`] (C declaration parser) → [`types`] (descriptors + layout per
//! [`Target`]) → [`abi`] (call plans) → `call` (execution on the host).
//!
//! ```
//! use abicall::{Ffi, Target};
//! let mut ffi = Ffi::new(Target::Aarch64Linux);
//! ffi.cdef("struct s { char a; int :0; char b; };").unwrap();
//! let t = ffi.type_of("struct s").unwrap();
//! assert_eq!(ffi.types().size_align(t).unwrap(), (8, 4));
//! ```
#![warn(missing_docs)]

pub mod abi;
pub mod api;
pub mod call;
pub mod cdecl;
pub mod decls;
pub mod error;
mod ffi;
pub mod header;
pub mod library;
pub mod memory;
pub mod target;
pub mod types;
pub mod value;

pub use api::{Callback, Function};
pub use error::{Error, ParseErrorKind, Result};
pub use ffi::{read as read_types, Ffi, SharedTypes};
pub use target::Target;
pub use value::Value;
