//! Dynamic values: what an embedder hands abicall to store into C memory (or
//! pass as an argument) and what it gets back when reading.
//!
//! Reading produces, per C type:
//!
//! | C type                         | `Value`                                            |
//! |--------------------------------|----------------------------------------------------|
//! | `_Bool`                        | `Bool`                                             |
//! | integers, `char`, enums        | `Int` (`unsigned __int128` above `i128::MAX`: `UInt`) |
//! | `float`, `double`              | `Float`                                            |
//! | `long double`                  | `LongDouble` (exact bytes in the target's format)  |
//! | `_Complex` types               | `Complex` (`long double _Complex` rounded to `f64`) |
//! | pointers (also function ptrs)  | `Pointer` (address 0 for NULL)                     |
//! | struct, union, array           | `CData`: a view into the same memory, no copy      |
//!
//! Writing accepts more (see [`crate::memory::CData::write`]): `List` and
//! `Fields` initializers for aggregates, `Str`/`WStr` for character arrays,
//! `Null` for pointers, a `CData` for a pointer (its address) or an aggregate
//! (a byte copy of the same type).

use super::{longdouble, CData, Ptr};
use crate::target::LongDoubleFormat;

/// A `long double` as stored by a target: exact bytes plus their format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    /// The bytes as stored in memory (16; padding bytes zero).
    pub bytes: [u8; 16],
    /// The representation of the bytes.
    pub format: LongDoubleFormat,
}

impl LongDouble {
    /// `(long double)x` in `format` (exact: every `f64` is representable).
    pub fn from_f64(x: f64, format: LongDoubleFormat) -> LongDouble {
        LongDouble {
            bytes: longdouble::encode(x, format),
            format,
        }
    }

    /// A C floating constant (decimal or hex, no suffix) rounded once to
    /// `format`; `None` when `text` is not one. See [`longdouble::parse`].
    pub fn parse(text: &str, format: LongDoubleFormat) -> Option<LongDouble> {
        longdouble::parse(text, format).map(|bytes| LongDouble { bytes, format })
    }

    /// The shortest decimal that [`LongDouble::parse`] reads back to this
    /// value (`1.0000000000000000001` for `nextafterl(1, 2)` on x87).
    pub fn to_shortest_string(&self) -> String {
        longdouble::format_shortest(&self.bytes, self.format)
    }

    /// `(double)self`, rounded to nearest (ties to even).
    pub fn to_f64(&self) -> f64 {
        longdouble::decode(&self.bytes, self.format)
    }
}

/// A dynamically typed value moving between the host and C memory.
///
/// Equality is structural, except that `Int` and `UInt` compare by numeric
/// value (`Int(5) == UInt(5)`).
#[derive(Clone, Debug)]
pub enum Value {
    /// `NULL` (for pointers).
    Null,
    /// A truth value (`_Bool`; also accepted as 0/1 by integer types).
    Bool(bool),
    /// An integer.
    Int(i128),
    /// An unsigned integer too large for `Int` (only `unsigned __int128` needs it).
    UInt(u128),
    /// A real floating value.
    Float(f64),
    /// A `long double` with its exact bytes.
    LongDouble(LongDouble),
    /// A complex value `(re, im)`.
    Complex(f64, f64),
    /// A pointer value (possibly keeping owned memory alive).
    Pointer(Ptr),
    /// A view of C memory (struct/union/array read results; aggregate or
    /// pointer initializers).
    CData(CData),
    /// Bytes for a `char` array (a terminating NUL is added when it fits)
    /// or an enumerator name for an enum.
    Str(Vec<u8>),
    /// Text for a `wchar_t` / `char16_t` / `char32_t` array (UTF-32 or UTF-16
    /// code units, chosen by the element size).
    WStr(String),
    /// Positional initializer `{1, 2, 3}` for a struct, union or array.
    List(Vec<Value>),
    /// Designated initializer `{.x = 1, .y = 2}`; names may be member paths (`a.b`).
    Fields(Vec<(String, Value)>),
}

impl PartialEq for Value {
    fn eq(&self, o: &Value) -> bool {
        use Value::*;
        match (self, o) {
            (Int(a), UInt(b)) | (UInt(b), Int(a)) => u128::try_from(*a).is_ok_and(|a| a == *b),
            (Int(a), Int(b)) => a == b,
            (UInt(a), UInt(b)) => a == b,
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (LongDouble(a), LongDouble(b)) => a == b,
            (Complex(a, b), Complex(c, d)) => a == c && b == d,
            (Pointer(a), Pointer(b)) => a == b,
            (CData(a), CData(b)) => a == b,
            (Str(a), Str(b)) => a == b,
            (WStr(a), WStr(b)) => a == b,
            (List(a), List(b)) => a == b,
            (Fields(a), Fields(b)) => a == b,
            _ => false,
        }
    }
}

impl Value {
    /// A `Str` from text.
    pub fn str(s: &str) -> Value {
        Value::Str(s.as_bytes().to_vec())
    }

    /// A `Fields` initializer from `(name, value)` pairs.
    pub fn fields<'a>(items: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Fields(items.into_iter().map(|(n, v)| (n.to_string(), v)).collect())
    }

    /// The integer this value holds (`Bool` as 0/1), if it is one.
    pub fn as_int(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some(*i),
            Value::UInt(u) => i128::try_from(*u).ok(),
            Value::Bool(b) => Some(*b as i128),
            _ => None,
        }
    }

    /// The real number this value holds (integers and `long double` converted).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::LongDouble(l) => Some(l.to_f64()),
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            _ => None,
        }
    }

    /// The pointer this value holds, if it is one.
    pub fn as_ptr(&self) -> Option<&Ptr> {
        match self {
            Value::Pointer(p) => Some(p),
            _ => None,
        }
    }

    /// The memory view this value holds, if it is one.
    pub fn as_cdata(&self) -> Option<&CData> {
        match self {
            Value::CData(c) => Some(c),
            _ => None,
        }
    }

    /// True for `Null` and for a pointer with address 0.
    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Pointer(p) => p.is_null(),
            _ => false,
        }
    }

    /// A short description of the kind of value, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Bool(_) => "a bool",
            Value::Int(_) | Value::UInt(_) => "an integer",
            Value::Float(_) => "a float",
            Value::LongDouble(_) => "a long double",
            Value::Complex(..) => "a complex number",
            Value::Pointer(_) => "a pointer",
            Value::CData(_) => "a cdata object",
            Value::Str(_) => "a byte string",
            Value::WStr(_) => "a wide string",
            Value::List(_) => "a list initializer",
            Value::Fields(_) => "a designated initializer",
        }
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(v.into())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v.into())
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<Ptr> for Value {
    fn from(p: Ptr) -> Value {
        Value::Pointer(p)
    }
}

impl From<CData> for Value {
    fn from(c: CData) -> Value {
        Value::CData(c)
    }
}
