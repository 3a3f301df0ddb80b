//! C memory in the cffi ABI-mode model: owned, zeroed objects ([`CData::new`]),
//! views into them (members, elements, bitfields), pointer values ([`Ptr`]),
//! C casts ([`cast`]), strings, `unpack`, `memmove`, byte buffers, `gc`
//! destructors and handles (`errno` is the call layer's: [`mod@crate::call::errno`]).
//!
//! # Who owns what
//!
//! * [`CData::new`] / [`CData::new_array`] / [`CData::new_flexible`]
//!   allocate zeroed memory that abicall owns. It is freed when the last
//!   [`CData`] or [`Ptr`] derived from it is dropped: a member view, an
//!   element, a pointer made with [`CData::pointer`] all keep it alive.
//! * A pointer *stored into C memory* or passed to C is just an address. If C
//!   keeps it after the owning objects are gone, it dangles: keeping the
//!   object alive while C uses it is the caller's responsibility, as in cffi.
//!   abicall itself never reads or writes through a pointer it cannot
//!   vouch for in safe code.
//! * Memory abicall does not own (returned by C, a global variable, a raw
//!   address) is reached through `unsafe` functions ([`CData::from_raw`],
//!   [`Ptr::deref`], [`Ptr::string`], [`string_at`]) whose `# Safety`
//!   sections say what the caller vouches for — except globals from a
//!   [`crate::library::Library`], whose size is known from their declaration
//!   and which keep the library loaded.
//! * [`CData::gc`] / [`Ptr::gc`] run a destructor exactly once, when the last
//!   clone of the returned value is dropped.
//!
//! Every safe access is checked against the known extent of the object it
//! goes through, so safe code never touches memory outside it.
//!
//! ```
//! use abicall::memory::CData;
//! use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
//! use abicall::{Target, Value};
//!
//! let mut t = Types::new(Target::X86_64SysV);
//! let (int, chr) = (t.prim(Prim::Int), t.prim(Prim::Char));
//! let name = t.array(chr, Some(8));
//! let rec = t.define_record(RecordKind::Struct, Some("rec"), vec![
//!     FieldDecl::new("id", int),
//!     FieldDecl::bitfield(Some("flags"), int, 3),
//!     FieldDecl::new("name", name),
//! ], RecordAttrs::default()).unwrap();
//!
//! // struct rec r = { .id = 7, .name = "abc" };
//! let r = CData::new(&t, rec, Some(&Value::fields([("id", Value::Int(7)), ("name", Value::str("abc"))]))).unwrap();
//! r.set(&t, "flags", &Value::Int(-2)).unwrap();
//! assert_eq!(r.get(&t, "flags").unwrap(), Value::Int(-2));
//! assert!(r.set(&t, "flags", &Value::Int(4)).is_err()); // does not fit 3 signed bits
//! assert_eq!(r.field(&t, "name").unwrap().string(&t, None).unwrap(), b"abc");
//!
//! // an int array with a run-time length; indexing is bounds-checked
//! let a = CData::new_array(&mut t, int, 3, Some(&Value::List(vec![Value::Int(1), Value::Int(2)]))).unwrap();
//! assert_eq!(a.unpack(&t, 3).unwrap(), vec![Value::Int(1), Value::Int(2), Value::Int(0)]);
//! assert!(a.index(&t, 3).is_err());
//! ```

mod bits;
mod block;
mod cast;
mod cdata;
mod gc;
pub mod handle;
mod init;
pub mod longdouble;
mod ops;
mod ptr;
mod scalar;
pub mod value;

pub use block::Owner;
pub use cast::cast;
pub use cdata::CData;
pub use gc::Destructor;
pub use handle::{from_handle, new_handle, Handle};
pub use ops::{memmove, memmove_raw, string_at, wstring_at, Buffer};
pub use ptr::Ptr;
pub(crate) use scalar::{decode as decode_prim, encode as encode_prim};
pub use scalar::{decode_value, encode_value, MAX_SCALAR};
