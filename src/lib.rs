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
//!
//! # Safety model
//!
//! Calling native code through a declaration written at run time cannot be
//! proven safe: `cdef("unsigned long strlen(unsigned long);")` followed by a
//! call with `8` makes `strlen` read address 8. abicall therefore splits the
//! work into checked steps and a few `unsafe` ones where the caller vouches
//! for what no library can check.
//!
//! **The caller promises** (the `unsafe` entry points):
//!
//! - [`library::Library::open`] / `open_with` / `open_opt`: loading the
//!   shared object runs its initializers, which is sound to do.
//! - [`Function::call`] / [`Function::call_variadic`] (and the raw layer's
//!   [`call::RawCall::call`]): the declaration is the function's real
//!   signature, and the call with these arguments is sound by the
//!   function's own contract — pointers valid for what it does with them,
//!   buffers as large as it writes, no data race on what it touches, no
//!   unwinding into Rust, no use of a callback after it is dropped beyond
//!   what is documented below.
//! - [`Ffi::variable`] / [`library::Library::variable`]: the symbol is an
//!   object of (at least) the declared type's size and layout.
//! - [`memory::Ptr::deref`], [`memory::string_at`], [`memory::memmove_raw`],
//!   [`memory::CData::from_raw`], [`Ffi::function_at`],
//!   [`Function::from_raw`]: the raw address is valid for the stated use.
//!
//! Parsing declarations, laying out types, planning calls, looking up
//! symbols ([`Ffi::function`]) and creating callbacks run no foreign code
//! and are safe.
//!
//! **abicall guarantees**, for any input to its safe API:
//!
//! - *Bounds*: every read and write through a [`memory::CData`] (members,
//!   indexing, strings, `memmove`, buffers) is checked against the extent
//!   of the object it views — an owned allocation, a variable's declared
//!   size, or the count given to the `unsafe` `deref` — and fails with an
//!   [`Error`] instead of touching memory outside it; an owned object stays
//!   allocated while any view or pointer derived from it is alive.
//! - *Values*: arguments are converted with range checks (an integer that
//!   does not fit, a float for an integer, NULL for a struct by value is an
//!   error, never a silent truncation). Type ids carry their table: an id
//!   or object from another context is an error, never misread.
//! - *Handles*: [`memory::from_handle`] accepts only pointers it issued and
//!   that are not yet freed; anything else is [`Error::Handle`].
//! - *Callbacks*: a panic in the host closure is caught at the C boundary
//!   and reported; C gets the callback's error return value. A call through
//!   a callback's pointer after the callback was dropped reports "called
//!   after it was dropped" and returns the error value, never running freed
//!   memory; entries are reused only after [`call::callback::RETIRED_KEPT`]
//!   more callbacks were dropped (then a stale pointer may run the callback
//!   that owns the entry, as a reused function pointer does in C).
//! - *Bad input*: malformed declarations, headers, literals and nesting up
//!   to the limits give errors, not crashes; deep types are walked on a
//!   bounded stack.
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
/// Dynamic values (defined with the memory layer, which reads and writes them).
pub use memory::value;

pub use api::{read as read_types, SharedTypes};
pub use api::{Callback, Function};
pub use error::{AbiErrorKind, CallErrorKind, Error, LayoutErrorKind, MemoryErrorKind, ParseErrorKind, Result};
pub use ffi::Ffi;
pub use target::Target;
pub use value::Value;
