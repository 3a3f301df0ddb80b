//! Type descriptors: one interned table per context, addressed by a small
//! [`TypeId`].
//!
//! | kind              | what the record holds                                    |
//! |-------------------|----------------------------------------------------------|
//! | `Prim(p)`         | a scalar; size/align from [`Prim::size_align`]           |
//! | `Pointer(t)`      | pointer to `t` (function pointers point to a `Func`)     |
//! | `Array{elem,len}` | `len = None` for a flexible / incomplete `[]`            |
//! | `Record(r)`       | struct or union, nominal; layout stored once complete    |
//! | `Enum(e)`         | enum, nominal; underlying integer type                   |
//! | `Func(f)`         | function type: return, parameters, variadic flag         |
//! | `Vector{elem,len}`| GCC vector (`vector_size(N)`): `len` scalars `elem`, N = `len` × element size |
//!
//! Each type also carries [`Quals`] (`const`/`volatile`/`restrict`): kept so
//! they print and compare, never enforced, and they never change layout.
//! Typedefs are not types: they are names for a `TypeId` (see
//! [`crate::decls::Decls`]), so identical declarations intern to the same id.
//!
//! Types are built from code with the methods on [`Types`]:
//!
//! ```
//! use abicall::{Target, types::{Types, Prim, FieldDecl, RecordKind, RecordAttrs}};
//! let mut t = Types::new(Target::X86_64SysV);
//! let double = t.prim(Prim::Double);
//! let pt = t.define_record(RecordKind::Struct, Some("pt"), vec![
//!     FieldDecl::new("x", double),
//!     FieldDecl::new("y", double),
//! ], RecordAttrs::default()).unwrap();
//! assert_eq!(t.size_of(pt).unwrap(), 16);
//! assert_eq!(t.offset_of(pt, "y").unwrap().offset, 8);
//! ```

pub mod layout;
mod path;
pub mod report;

pub use path::FieldPath;

use crate::error::{Error, LayoutErrorKind, Result};
use crate::target::Target;
use rustc_hash::FxHashMap as HashMap;
use std::fmt;

/// Deepest nesting of types (pointers, arrays, functions, records) a table
/// accepts, and of declarators, expressions, parameter and member lists the
/// parser reads: keeps every walk over a type's structure bounded.
pub const MAX_DEPTH: u32 = 256;

/// A type of one [`Types`] table: the table's identity and the type's index
/// in it. Made only by the table (fields private), and checked against the
/// table it is used with: an id from another context is refused
/// ([`Types::check`]) instead of being misread as whatever type has the
/// same index here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId {
    table: u32,
    index: u32,
}

impl TypeId {
    /// The id as one integer (table in the high 32 bits, index in the low
    /// ones), for bindings that hand ids to another language; turn it back
    /// with [`Types::id_from_raw`], which checks it.
    pub fn to_raw(self) -> u64 {
        (u64::from(self.table) << 32) | u64::from(self.index)
    }

    /// The position of the type in its table (0 for the first type interned).
    pub fn index(self) -> u32 {
        self.index
    }
}

/// Table identities: each [`Types::new`] takes the next one (clones share it).
static NEXT_TABLE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// What [`Types::get`] answers for an id of another table (never panics):
/// `void`, which every use that needs a size or layout refuses.
static FOREIGN: TypeRec = TypeRec {
    kind: TypeKind::Prim(Prim::Void),
    quals: Quals::NONE,
    align_override: None,
    alias: None,
};

/// Index of a struct/union record in a [`Types`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u32);

/// Index of an enum in a [`Types`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub u32);

/// Index of a function signature in a [`Types`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FuncId(pub u32);

/// Type qualifiers. Kept, not enforced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Quals {
    /// `const`
    pub is_const: bool,
    /// `volatile`
    pub is_volatile: bool,
    /// `restrict` / `__restrict`
    pub is_restrict: bool,
}

impl Quals {
    /// No qualifiers.
    pub const NONE: Quals = Quals {
        is_const: false,
        is_volatile: false,
        is_restrict: false,
    };
    /// `const` only.
    pub const CONST: Quals = Quals {
        is_const: true,
        is_volatile: false,
        is_restrict: false,
    };

    /// True when no qualifier is set.
    pub fn is_empty(self) -> bool {
        self == Quals::NONE
    }

    /// Union of two qualifier sets.
    pub fn union(self, o: Quals) -> Quals {
        Quals {
            is_const: self.is_const || o.is_const,
            is_volatile: self.is_volatile || o.is_volatile,
            is_restrict: self.is_restrict || o.is_restrict,
        }
    }
}

/// Scalar (primitive) C types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Prim {
    Void,
    Bool,
    /// Plain `char`: signedness depends on the target.
    Char,
    SChar,
    UChar,
    Short,
    UShort,
    Int,
    UInt,
    Long,
    ULong,
    LongLong,
    ULongLong,
    Int128,
    UInt128,
    Float,
    Double,
    LongDouble,
    FloatComplex,
    DoubleComplex,
    LongDoubleComplex,
}

impl Prim {
    /// Every primitive type but `void`, in declaration order: the integer
    /// types (`_Bool` … `unsigned __int128`, the first 14), then the real
    /// and complex floating types.
    pub const SCALARS: [Prim; 20] = [
        Prim::Bool,
        Prim::Char,
        Prim::SChar,
        Prim::UChar,
        Prim::Short,
        Prim::UShort,
        Prim::Int,
        Prim::UInt,
        Prim::Long,
        Prim::ULong,
        Prim::LongLong,
        Prim::ULongLong,
        Prim::Int128,
        Prim::UInt128,
        Prim::Float,
        Prim::Double,
        Prim::LongDouble,
        Prim::FloatComplex,
        Prim::DoubleComplex,
        Prim::LongDoubleComplex,
    ];

    /// `(size, align)` in bytes on `target` (all supported targets are LP64).
    pub fn size_align(self, target: Target) -> (u64, u64) {
        use Prim::*;
        match self {
            Void => (0, 1),
            Bool | Char | SChar | UChar => (1, 1),
            Short | UShort => (2, 2),
            Int | UInt | Float => (4, 4),
            Long | ULong | LongLong | ULongLong | Double => (8, 8),
            Int128 | UInt128 => (16, 16),
            LongDouble => target.long_double_size_align(),
            FloatComplex => (8, 4),
            DoubleComplex => (16, 8),
            LongDoubleComplex => {
                let (s, a) = target.long_double_size_align();
                (2 * s, a)
            }
        }
    }

    /// True for the integer types (including `bool`, `char`, `__int128`).
    pub fn is_integer(self) -> bool {
        use Prim::*;
        matches!(
            self,
            Bool | Char
                | SChar
                | UChar
                | Short
                | UShort
                | Int
                | UInt
                | Long
                | ULong
                | LongLong
                | ULongLong
                | Int128
                | UInt128
        )
    }

    /// True for `float`, `double`, `long double`.
    pub fn is_real_float(self) -> bool {
        matches!(self, Prim::Float | Prim::Double | Prim::LongDouble)
    }

    /// True for the `_Complex` types.
    pub fn is_complex(self) -> bool {
        matches!(self, Prim::FloatComplex | Prim::DoubleComplex | Prim::LongDoubleComplex)
    }

    /// Whether an integer type is signed on `target` (false for non-integers).
    pub fn is_signed(self, target: Target) -> bool {
        use Prim::*;
        match self {
            Char => target.char_is_signed(),
            SChar | Short | Int | Long | LongLong | Int128 => true,
            _ => false,
        }
    }

    /// The C spelling.
    pub fn c_name(self) -> &'static str {
        use Prim::*;
        match self {
            Void => "void",
            Bool => "_Bool",
            Char => "char",
            SChar => "signed char",
            UChar => "unsigned char",
            Short => "short",
            UShort => "unsigned short",
            Int => "int",
            UInt => "unsigned int",
            Long => "long",
            ULong => "unsigned long",
            LongLong => "long long",
            ULongLong => "unsigned long long",
            Int128 => "__int128",
            UInt128 => "unsigned __int128",
            Float => "float",
            Double => "double",
            LongDouble => "long double",
            FloatComplex => "float _Complex",
            DoubleComplex => "double _Complex",
            LongDoubleComplex => "long double _Complex",
        }
    }

    /// The unsigned integer type of the same size (identity for unsigned and non-integers).
    pub fn to_unsigned(self) -> Prim {
        use Prim::*;
        match self {
            Char | SChar => UChar,
            Short => UShort,
            Int => UInt,
            Long => ULong,
            LongLong => ULongLong,
            Int128 => UInt128,
            p => p,
        }
    }
}

/// Struct or union.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// `struct`
    Struct,
    /// `union`
    Union,
}

impl RecordKind {
    /// `"struct"` or `"union"`.
    pub fn keyword(self) -> &'static str {
        match self {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        }
    }
}

/// What a [`TypeId`] denotes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// A scalar.
    Prim(Prim),
    /// Pointer to the given type.
    Pointer(TypeId),
    /// Array; `len == None` is a flexible array member / `T[]`.
    Array {
        /// Element type.
        elem: TypeId,
        /// Number of elements, if known.
        len: Option<u64>,
    },
    /// Struct or union.
    Record(RecordId),
    /// Enumeration.
    Enum(EnumId),
    /// Function type.
    Func(FuncId),
    /// A GCC vector type, `elem __attribute__((vector_size(N)))`: `len`
    /// elements (a power of two) of the integer or real floating type
    /// `elem`, `N` bytes in all. Size `N`; alignment per target
    /// ([`Target::vector_align`]).
    Vector {
        /// Element type (an integer other than `_Bool`, or `float` /
        /// `double` / `long double`).
        elem: Prim,
        /// Number of elements.
        len: u64,
    },
}

/// One interned type: its kind plus qualifiers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeRec {
    /// What the type is.
    pub kind: TypeKind,
    /// `const` / `volatile` / `restrict`.
    pub quals: Quals,
    /// Alignment forced by `__attribute__((aligned(N)))` on a typedef
    /// (may raise or, on a typedef, lower the natural alignment).
    pub align_override: Option<u64>,
    /// The predefined typedef name this type is spelt as (`size_t`,
    /// `int32_t`, ...): a distinct type with the same kind, layout and ABI
    /// as the type it names, compatible with it ([`Types::same_modulo_alias`]),
    /// as cffi keeps these names. Only scalar types carry one
    /// ([`Types::alias`]).
    pub alias: Option<&'static str>,
}

/// A member as given to [`Types::define_record`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDecl {
    /// Member name; `None` for anonymous struct/union members and unnamed bitfields.
    pub name: Option<String>,
    /// Member type.
    pub ty: TypeId,
    /// Bitfield width, if a bitfield.
    pub bit_width: Option<u32>,
    /// `__attribute__((packed))` on the member.
    pub packed: bool,
    /// `__attribute__((aligned(N)))` on the member.
    pub align_attr: Option<u64>,
}

impl FieldDecl {
    /// A plain named member.
    pub fn new(name: &str, ty: TypeId) -> FieldDecl {
        FieldDecl {
            name: Some(name.to_string()),
            ty,
            bit_width: None,
            packed: false,
            align_attr: None,
        }
    }
    /// A named bitfield (`name: None` for an unnamed one such as `int :0`).
    pub fn bitfield(name: Option<&str>, ty: TypeId, width: u32) -> FieldDecl {
        FieldDecl {
            name: name.map(str::to_string),
            ty,
            bit_width: Some(width),
            packed: false,
            align_attr: None,
        }
    }
    /// An anonymous struct/union member.
    pub fn anonymous(ty: TypeId) -> FieldDecl {
        FieldDecl {
            name: None,
            ty,
            bit_width: None,
            packed: false,
            align_attr: None,
        }
    }
}

/// Attributes of a struct/union definition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecordAttrs {
    /// `__attribute__((packed))` on the record.
    pub packed: bool,
    /// `__attribute__((aligned(N)))` on the record.
    pub align_attr: Option<u64>,
    /// `#pragma pack(N)` in effect at the definition.
    pub pragma_pack: Option<u64>,
}

/// Where a bitfield's bits are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BitField {
    /// Bit position of the lowest bit, counted from bit 0 of the byte at
    /// [`Field::offset`] (0..=7; both targets are little-endian).
    pub bit_offset: u32,
    /// Width in bits (0 for `:0`).
    pub bit_width: u32,
}

/// A laid-out member.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Member name (`None`: anonymous member or unnamed bitfield).
    pub name: Option<String>,
    /// Member type.
    pub ty: TypeId,
    /// Byte offset from the start of the record (for a bitfield: the byte
    /// holding its lowest bit).
    pub offset: u64,
    /// Set for bitfields.
    pub bit: Option<BitField>,
}

impl Field {
    /// Absolute bit position of the member's first bit.
    pub fn bit_pos(&self) -> u64 {
        self.offset * 8 + self.bit.map_or(0, |b| b.bit_offset as u64)
    }
}

/// A struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Struct or union.
    pub kind: RecordKind,
    /// Tag (`struct tag`), if any.
    pub tag: Option<String>,
    /// Laid-out members in declaration order (empty until complete).
    pub fields: Vec<Field>,
    /// The declarations the layout was computed from.
    pub decls: Vec<FieldDecl>,
    /// Attributes at definition.
    pub attrs: RecordAttrs,
    /// `Some` once the record is complete.
    pub layout: Option<RecordLayout>,
}

/// Size and alignment of a complete record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordLayout {
    /// `sizeof`.
    pub size: u64,
    /// `_Alignof`.
    pub align: u64,
    /// The record ends in a flexible array member.
    pub has_flexible_array: bool,
}

/// An enumeration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enum {
    /// Tag, if any.
    pub tag: Option<String>,
    /// Underlying integer type.
    pub underlying: Prim,
    /// Enumerators in declaration order.
    pub values: Vec<(String, i128)>,
    /// False for a forward-declared enum.
    pub complete: bool,
    /// Underlying type fixed by C23 `enum : T` (or `packed`).
    pub fixed: bool,
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncSig {
    /// Return type.
    pub ret: TypeId,
    /// Parameter types (arrays and functions already adjusted to pointers).
    pub params: Vec<TypeId>,
    /// `...` present.
    pub variadic: bool,
}

/// The interned type table of one context (one [`Target`]).
#[derive(Clone, Debug)]
pub struct Types {
    /// This table's identity, carried by every id it makes.
    table: u32,
    target: Target,
    types: Vec<TypeRec>,
    /// Derivation depth of each type (see [`Types::depth`]); records' own
    /// depths are in `record_depths`, set when they are completed.
    depths: Vec<u32>,
    record_depths: Vec<u32>,
    intern: HashMap<TypeRec, TypeId>,
    records: Vec<Record>,
    enums: Vec<Enum>,
    funcs: Vec<FuncSig>,
    func_intern: HashMap<FuncSig, FuncId>,
}

impl Types {
    /// An empty table for `target`.
    pub fn new(target: Target) -> Types {
        Types {
            target,
            table: NEXT_TABLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            types: Vec::new(),
            depths: Vec::new(),
            record_depths: Vec::new(),
            intern: HashMap::default(),
            records: Vec::new(),
            enums: Vec::new(),
            funcs: Vec::new(),
            func_intern: HashMap::default(),
        }
    }

    /// The target this table lays types out for.
    pub fn target(&self) -> Target {
        self.target
    }

    /// Number of distinct types interned so far.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// True when no type has been interned.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    fn intern_rec(&mut self, rec: TypeRec) -> TypeId {
        if let Some(&id) = self.intern.get(&rec) {
            return id;
        }
        let id = TypeId {
            table: self.table,
            index: self.types.len() as u32,
        };
        let depth = match &rec.kind {
            TypeKind::Pointer(t) | TypeKind::Array { elem: t, .. } => self.depth(*t).saturating_add(1),
            TypeKind::Func(f) => {
                let sig = &self.funcs[f.0 as usize];
                let inner = sig.params.iter().map(|&p| self.depth(p)).max().unwrap_or(0);
                inner.max(self.depth(sig.ret)).saturating_add(1)
            }
            TypeKind::Prim(_) | TypeKind::Record(_) | TypeKind::Enum(_) | TypeKind::Vector { .. } => 0,
        };
        self.depths.push(depth);
        self.types.push(rec.clone());
        self.intern.insert(rec, id);
        id
    }

    fn intern_kind(&mut self, kind: TypeKind) -> TypeId {
        self.intern_rec(TypeRec {
            kind,
            quals: Quals::NONE,
            align_override: None,
            alias: None,
        })
    }

    /// The record of a type; for an id of another table (see
    /// [`Types::check`]), a `void` record rather than a panic.
    pub fn get(&self, id: TypeId) -> &TypeRec {
        match self.slot(id) {
            Some(i) => &self.types[i],
            None => &FOREIGN,
        }
    }

    /// The index of `id` in this table, if it is one of this table's ids.
    fn slot(&self, id: TypeId) -> Option<usize> {
        (id.table == self.table && (id.index as usize) < self.types.len()).then_some(id.index as usize)
    }

    /// Whether `id` was made by this table (or by the table it was cloned from).
    pub fn contains(&self, id: TypeId) -> bool {
        self.slot(id).is_some()
    }

    /// `Err` when `id` is not one of this table's ids: made by another
    /// context's table, so its index means another type here.
    pub fn check(&self, id: TypeId) -> Result<()> {
        if self.contains(id) {
            Ok(())
        } else {
            Err(Error::layout(
                LayoutErrorKind::ForeignType,
                "",
                format!("type id {id} belongs to another type table (a type or object used with another context?)"),
            ))
        }
    }

    /// The id with [`TypeId::to_raw`] value `raw`, if it is one of this
    /// table's ids.
    pub fn id_from_raw(&self, raw: u64) -> Result<TypeId> {
        let id = TypeId {
            table: (raw >> 32) as u32,
            index: raw as u32,
        };
        self.check(id).map(|()| id)
    }

    /// The id at position `index` of this table ([`TypeId::index`]), if
    /// there is one: for bindings that keep plain indices of their own
    /// context's table.
    pub fn id_at(&self, index: u32) -> Option<TypeId> {
        ((index as usize) < self.types.len()).then_some(TypeId {
            table: self.table,
            index,
        })
    }

    /// Every id of the table, in the order the types were interned.
    pub fn ids(&self) -> impl Iterator<Item = TypeId> + '_ {
        let table = self.table;
        (0..self.types.len() as u32).map(move |index| TypeId { table, index })
    }

    /// How deeply a type nests: one level per pointer, array, function
    /// and record derivation, counting through function parameters and
    /// return types and record members: `int` 0, `int *[3]` 2,
    /// `int (*)(char **)` 4, `struct { int a[2]; }` 2. (A pointer made to a
    /// record before the record was completed counts the record as 0; walks
    /// do not follow pointers into records.)
    ///
    /// The functions that walk a type (layout, printing, classification,
    /// conversions) recurse once per level. The declaration parser and
    /// [`Types::complete_record`] refuse types deeper than
    /// [`MAX_DEPTH`]; code deriving types with the builder
    /// API ([`Types::pointer`], [`Types::array`], [`Types::func`]) should
    /// stay within that too.
    ///
    /// ```
    /// use abicall::{Ffi, Target};
    /// let mut ffi = Ffi::new(Target::X86_64SysV);
    /// let t = ffi.type_of("int (*)(char **)").unwrap();
    /// assert_eq!(ffi.types().depth(t), 4);
    /// ```
    pub fn depth(&self, id: TypeId) -> u32 {
        let Some(i) = self.slot(id) else {
            return 0;
        };
        match self.types[i].kind {
            TypeKind::Record(r) => self.record_depths[r.0 as usize],
            _ => self.depths[i],
        }
    }

    /// `Err` when `id` nests deeper than [`MAX_DEPTH`] levels
    /// (see [`Types::depth`]): for embedders deriving types step by step
    /// with [`Types::pointer`] / [`Types::array`] from untrusted input.
    ///
    /// ```
    /// use abicall::{types::{Prim, Types}, Target};
    /// let mut t = Types::new(Target::X86_64SysV);
    /// let mut p = t.prim(Prim::Int);
    /// for _ in 0..256 {
    ///     p = t.pointer(p);
    /// }
    /// assert!(t.check_depth(p).is_ok());
    /// let deeper = t.pointer(p);
    /// assert!(t.check_depth(deeper).is_err());
    /// ```
    pub fn check_depth(&self, id: TypeId) -> Result<()> {
        if self.depth(id) > MAX_DEPTH {
            return Err(Error::layout(
                LayoutErrorKind::TooDeep,
                "",
                format!(
                    "type nested more than {} levels deep (pointers, arrays, functions and records)",
                    MAX_DEPTH
                ),
            ));
        }
        Ok(())
    }

    /// The kind of a type (qualifiers ignored).
    pub fn kind(&self, id: TypeId) -> &TypeKind {
        &self.get(id).kind
    }

    /// A scalar type.
    pub fn prim(&mut self, p: Prim) -> TypeId {
        self.intern_kind(TypeKind::Prim(p))
    }

    /// `T *`.
    pub fn pointer(&mut self, pointee: TypeId) -> TypeId {
        self.intern_kind(TypeKind::Pointer(pointee))
    }

    /// `T[len]` (`None`: `T[]`).
    pub fn array(&mut self, elem: TypeId, len: Option<u64>) -> TypeId {
        self.intern_kind(TypeKind::Array { elem, len })
    }

    /// A function type.
    pub fn func(&mut self, ret: TypeId, params: Vec<TypeId>, variadic: bool) -> TypeId {
        let sig = FuncSig { ret, params, variadic };
        let fid = match self.func_intern.get(&sig) {
            Some(&f) => f,
            None => {
                let f = FuncId(self.funcs.len() as u32);
                self.funcs.push(sig.clone());
                self.func_intern.insert(sig, f);
                f
            }
        };
        self.intern_kind(TypeKind::Func(fid))
    }

    /// The GCC vector type `elem __attribute__((vector_size(size)))`, with
    /// gcc's checks: `elem` an integer (not `_Bool`) or real floating type,
    /// `size` a nonzero multiple of its size, and the number of elements a
    /// power of two.
    ///
    /// ```
    /// use abicall::{Target, types::{Prim, Types}};
    /// let mut t = Types::new(Target::X86_64SysV);
    /// let v8sf = t.vector(Prim::Float, 32).unwrap();
    /// assert_eq!(t.size_align(v8sf).unwrap(), (32, 32));
    /// assert_eq!(t.display(v8sf), "float __attribute__((vector_size(32)))");
    /// assert!(t.vector(Prim::Float, 12).is_err()); // 3 elements
    /// ```
    pub fn vector(&mut self, elem: Prim, size: u64) -> Result<TypeId> {
        let ok_elem = (elem.is_integer() && elem != Prim::Bool) || elem.is_real_float();
        if !ok_elem {
            return Err(Error::layout(
                LayoutErrorKind::Vector,
                "",
                format!(
                    "invalid vector element type `{}` (an integer or real floating type is needed)",
                    elem.c_name()
                ),
            ));
        }
        let esize = elem.size_align(self.target).0;
        if size == 0 {
            return Err(Error::layout(
                LayoutErrorKind::Vector,
                "",
                "zero vector size".to_string(),
            ));
        }
        if !size.is_multiple_of(esize) {
            return Err(Error::layout(
                LayoutErrorKind::Vector,
                "",
                format!(
                    "vector size {size} is not a multiple of the size of `{}` ({esize})",
                    elem.c_name()
                ),
            ));
        }
        let len = size / esize;
        if !len.is_power_of_two() {
            return Err(Error::layout(
                LayoutErrorKind::Vector,
                "",
                format!("number of vector elements ({len}) is not a power of two"),
            ));
        }
        if size > MAX_VECTOR_SIZE {
            return Err(Error::layout(
                LayoutErrorKind::Vector,
                "",
                format!("vector size {size} is too large (at most {MAX_VECTOR_SIZE})"),
            ));
        }
        Ok(self.intern_kind(TypeKind::Vector { elem, len }))
    }

    /// `id` with `quals` added.
    pub fn qualified(&mut self, id: TypeId, quals: Quals) -> TypeId {
        let mut rec = self.get(id).clone();
        rec.quals = rec.quals.union(quals);
        self.intern_rec(rec)
    }

    /// The scalar type `id` spelt as the predefined typedef `name`
    /// (`size_t` for `unsigned long`): a distinct id with the same kind,
    /// qualifiers, layout and ABI, compatible with `id`
    /// ([`Types::same_modulo_alias`]). `id` itself for a type that is not a
    /// scalar.
    pub fn alias(&mut self, id: TypeId, name: &'static str) -> TypeId {
        let mut rec = self.get(id).clone();
        if !matches!(rec.kind, TypeKind::Prim(_)) {
            return id;
        }
        rec.alias = Some(name);
        self.intern_rec(rec)
    }

    /// `id` without its typedef alias ([`Types::alias`]); `id` itself when it has none.
    pub fn unaliased(&mut self, id: TypeId) -> TypeId {
        let mut rec = self.get(id).clone();
        if rec.alias.is_none() {
            return id;
        }
        rec.alias = None;
        self.intern_rec(rec)
    }

    /// Whether `a` and `b` are the same type once typedef aliases are
    /// looked through (`size_t *` and `unsigned long *`), qualifiers and
    /// alignment overrides included.
    pub fn same_modulo_alias(&self, a: TypeId, b: TypeId) -> bool {
        self.same_modulo_alias_at(a, b, 0, true)
    }

    /// As [`Types::same_modulo_alias`], ignoring the qualifiers of `a` and
    /// `b` themselves (not of what they point to).
    pub fn same_kind_modulo_alias(&self, a: TypeId, b: TypeId) -> bool {
        self.same_modulo_alias_at(a, b, 0, false)
    }

    fn same_modulo_alias_at(&self, a: TypeId, b: TypeId, depth: u32, quals: bool) -> bool {
        if a == b {
            return true;
        }
        if depth > MAX_DEPTH {
            return false;
        }
        let (ra, rb) = (self.get(a), self.get(b));
        if quals && (ra.quals != rb.quals || ra.align_override != rb.align_override) {
            return false;
        }
        let same = |x: TypeId, y: TypeId| self.same_modulo_alias_at(x, y, depth + 1, true);
        match (&ra.kind, &rb.kind) {
            (TypeKind::Pointer(x), TypeKind::Pointer(y)) => same(*x, *y),
            (TypeKind::Array { elem: x, len: l1 }, TypeKind::Array { elem: y, len: l2 }) => l1 == l2 && same(*x, *y),
            (TypeKind::Func(f), TypeKind::Func(g)) => {
                let (f, g) = (self.func_sig(*f), self.func_sig(*g));
                f.variadic == g.variadic
                    && f.params.len() == g.params.len()
                    && same(f.ret, g.ret)
                    && f.params.iter().zip(&g.params).all(|(x, y)| same(*x, *y))
            }
            (x, y) => x == y,
        }
    }

    /// `id` without qualifiers (alignment override kept).
    pub fn unqualified(&mut self, id: TypeId) -> TypeId {
        let mut rec = self.get(id).clone();
        if rec.quals.is_empty() {
            return id;
        }
        rec.quals = Quals::NONE;
        self.intern_rec(rec)
    }

    /// `id` with its alignment forced to `align` (typedef `aligned(N)`).
    pub fn with_align(&mut self, id: TypeId, align: u64) -> Result<TypeId> {
        if !align.is_power_of_two() {
            return Err(Error::layout(
                LayoutErrorKind::Alignment,
                "",
                format!("requested alignment {align} is not a power of two"),
            ));
        }
        let mut rec = self.get(id).clone();
        rec.align_override = Some(align);
        Ok(self.intern_rec(rec))
    }

    /// Declares a struct/union that is not yet complete (`struct tag;`).
    /// Every call makes a new nominal record; name lookup is the caller's job.
    pub fn declare_record(&mut self, kind: RecordKind, tag: Option<&str>) -> TypeId {
        let rid = RecordId(self.records.len() as u32);
        self.record_depths.push(0);
        self.records.push(Record {
            kind,
            tag: tag.map(str::to_string),
            fields: Vec::new(),
            decls: Vec::new(),
            attrs: RecordAttrs::default(),
            layout: None,
        });
        self.intern_kind(TypeKind::Record(rid))
    }

    /// Completes a record declared with [`Types::declare_record`]: computes its layout.
    pub fn complete_record(&mut self, id: TypeId, fields: Vec<FieldDecl>, attrs: RecordAttrs) -> Result<()> {
        let rid = match self.kind(id) {
            TypeKind::Record(r) => *r,
            _ => {
                return Err(Error::layout(
                    LayoutErrorKind::Definition,
                    self.display(id),
                    format!("`{}` is not a struct or union", self.display(id)),
                ))
            }
        };
        if self.records[rid.0 as usize].layout.is_some() {
            return Err(Error::layout(
                LayoutErrorKind::Definition,
                self.display(id),
                format!("`{}` is already complete", self.display(id)),
            ));
        }
        let depth = self.check_record_depth(id, &fields)?;
        let kind = self.records[rid.0 as usize].kind;
        let (laid, rl) = layout::layout_record(self, kind, &fields, attrs).map_err(|e| match e {
            Error::Layout { kind, ty, message } if ty.is_empty() => Error::layout(kind, self.display(id), message),
            e => e,
        })?;
        self.record_depths[rid.0 as usize] = depth;
        let r = &mut self.records[rid.0 as usize];
        r.fields = laid;
        r.decls = fields;
        r.attrs = attrs;
        r.layout = Some(rl);
        Ok(())
    }

    /// The depth record `id` would have with these members (see
    /// [`Types::depth`]), or `Err` when that is more than
    /// [`MAX_DEPTH`] ([`Types::complete_record`] refuses it).
    pub fn check_record_depth(&self, id: TypeId, fields: &[FieldDecl]) -> Result<u32> {
        let depth = fields
            .iter()
            .map(|f| self.depth(f.ty))
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        if depth > MAX_DEPTH {
            return Err(Error::layout(
                LayoutErrorKind::TooDeep,
                self.display(id),
                format!(
                    "`{}` nests records, arrays and pointers more than {} levels deep",
                    self.display(id),
                    MAX_DEPTH
                ),
            ));
        }
        Ok(depth)
    }

    /// Declares and completes a struct/union in one step.
    pub fn define_record(
        &mut self,
        kind: RecordKind,
        tag: Option<&str>,
        fields: Vec<FieldDecl>,
        attrs: RecordAttrs,
    ) -> Result<TypeId> {
        let id = self.declare_record(kind, tag);
        self.complete_record(id, fields, attrs)?;
        Ok(id)
    }

    /// Declares an enum (forward declaration, or before its values are known).
    pub fn declare_enum(&mut self, tag: Option<&str>) -> TypeId {
        let eid = EnumId(self.enums.len() as u32);
        self.enums.push(Enum {
            tag: tag.map(str::to_string),
            underlying: Prim::UInt,
            values: Vec::new(),
            complete: false,
            fixed: false,
        });
        self.intern_kind(TypeKind::Enum(eid))
    }

    /// Completes an enum with its values. `fixed` is the C23 `enum : T`
    /// underlying type; `packed` selects the smallest fitting type (GNU).
    /// Without either, gcc's rule: `unsigned int` if every value fits, else
    /// `int`, else `unsigned long` / `long`.
    pub fn complete_enum(
        &mut self,
        id: TypeId,
        values: Vec<(String, i128)>,
        fixed: Option<Prim>,
        packed: bool,
    ) -> Result<()> {
        let eid = match self.kind(id) {
            TypeKind::Enum(e) => *e,
            _ => {
                return Err(Error::layout(
                    LayoutErrorKind::Definition,
                    self.display(id),
                    format!("`{}` is not an enum", self.display(id)),
                ))
            }
        };
        let target = self.target;
        let min = values.iter().map(|v| v.1).min().unwrap_or(0);
        let max = values.iter().map(|v| v.1).max().unwrap_or(0);
        let underlying = match fixed {
            Some(p) => {
                if !p.is_integer() {
                    return Err(Error::layout(
                        LayoutErrorKind::Enum,
                        self.display(id),
                        format!("enum underlying type `{}` is not an integer type", p.c_name()),
                    ));
                }
                for (n, v) in &values {
                    if !int_fits(p, *v, target) {
                        return Err(Error::layout(
                            LayoutErrorKind::Enum,
                            self.display(id),
                            format!(
                                "enumerator `{n}` = {v} does not fit the underlying type `{}`",
                                p.c_name()
                            ),
                        ));
                    }
                }
                p
            }
            None => {
                let cands: &[Prim] = if packed {
                    &[
                        Prim::UChar,
                        Prim::SChar,
                        Prim::UShort,
                        Prim::Short,
                        Prim::UInt,
                        Prim::Int,
                        Prim::ULong,
                        Prim::Long,
                    ]
                } else {
                    &[
                        Prim::UInt,
                        Prim::Int,
                        Prim::ULong,
                        Prim::Long,
                        Prim::UInt128,
                        Prim::Int128,
                    ]
                };
                *cands
                    .iter()
                    .find(|p| int_fits(**p, min, target) && int_fits(**p, max, target))
                    .ok_or_else(|| {
                        Error::layout(
                            LayoutErrorKind::Enum,
                            self.display(id),
                            format!("enumerator values {min}..{max} do not fit any integer type"),
                        )
                    })?
            }
        };
        let e = &mut self.enums[eid.0 as usize];
        e.values = values;
        e.underlying = underlying;
        e.fixed = fixed.is_some() || packed;
        e.complete = true;
        Ok(())
    }

    /// The record behind a `Record` type.
    pub fn record(&self, id: RecordId) -> &Record {
        &self.records[id.0 as usize]
    }

    /// The record behind a type, if it is a struct/union.
    pub fn record_of(&self, id: TypeId) -> Option<&Record> {
        match self.kind(id) {
            TypeKind::Record(r) => Some(self.record(*r)),
            _ => None,
        }
    }

    /// The enum behind an `Enum` type.
    pub fn enum_(&self, id: EnumId) -> &Enum {
        &self.enums[id.0 as usize]
    }

    /// The signature behind a `Func` type.
    pub fn func_sig(&self, id: FuncId) -> &FuncSig {
        &self.funcs[id.0 as usize]
    }

    /// The signature of a function type (or of a pointer to one).
    pub fn sig_of(&self, id: TypeId) -> Option<&FuncSig> {
        match self.kind(id) {
            TypeKind::Func(f) => Some(self.func_sig(*f)),
            TypeKind::Pointer(p) => match self.kind(*p) {
                TypeKind::Func(f) => Some(self.func_sig(*f)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The scalar a type behaves as: the prim itself, an enum's underlying
    /// type, `None` for everything else.
    pub fn as_prim(&self, id: TypeId) -> Option<Prim> {
        match self.kind(id) {
            TypeKind::Prim(p) => Some(*p),
            TypeKind::Enum(e) => Some(self.enum_(*e).underlying),
            _ => None,
        }
    }

    /// True if the type has a known size (complete records, sized arrays of complete types, scalars but void).
    pub fn is_complete(&self, id: TypeId) -> bool {
        match self.kind(id) {
            TypeKind::Prim(Prim::Void) => false,
            TypeKind::Prim(_) | TypeKind::Pointer(_) => true,
            TypeKind::Array { elem, len } => len.is_some() && self.is_complete(*elem),
            TypeKind::Record(r) => self.record(*r).layout.is_some(),
            TypeKind::Enum(e) => self.enum_(*e).complete || self.enum_(*e).fixed,
            TypeKind::Func(_) => false,
            TypeKind::Vector { .. } => true,
        }
    }

    /// `(size, align)` of a type; `Err` for incomplete types and functions.
    /// A flexible array `T[]` has size 0 and the alignment of `T`.
    ///
    /// Iterative over nested arrays (records use their cached layout), so a
    /// type nested up to [`MAX_DEPTH`] levels needs no deep stack.
    pub fn size_align(&self, id: TypeId) -> Result<(u64, u64)> {
        if !matches!(self.get(id).kind, TypeKind::Array { .. }) {
            return self.size_align_leaf(id);
        }
        // `T[a][b]...`: the array levels outermost first, then the element.
        let mut levels = Vec::new();
        let mut cur = id;
        while let TypeKind::Array { elem, .. } = self.get(cur).kind {
            levels.push(cur);
            cur = elem;
        }
        let (mut es, mut ea) = self.size_align_leaf(cur)?;
        for &level in levels.iter().rev() {
            let rec = self.get(level);
            let TypeKind::Array { len, .. } = rec.kind else {
                unreachable!("collected array levels only")
            };
            if !es.is_multiple_of(ea) {
                // gcc: "alignment of array elements is greater than element size".
                return Err(Error::layout(
                    LayoutErrorKind::Alignment,
                    self.display(level),
                    format!(
                        "alignment of array elements ({ea}) is greater than their size ({es}) in `{}`",
                        self.display(level)
                    ),
                ));
            }
            let n = len.unwrap_or(0);
            es = es.checked_mul(n).filter(|s| *s <= (i64::MAX as u64)).ok_or_else(|| {
                Error::layout(
                    LayoutErrorKind::TooLarge,
                    self.display(level),
                    format!("array `{}` is too large", self.display(level)),
                )
            })?;
            ea = rec.align_override.unwrap_or(ea);
        }
        Ok((es, ea))
    }

    /// `size_align` of a type that is not an array.
    fn size_align_leaf(&self, id: TypeId) -> Result<(u64, u64)> {
        let rec = self.get(id);
        let (size, align) = match &rec.kind {
            TypeKind::Prim(Prim::Void) => {
                return Err(Error::layout(
                    LayoutErrorKind::Incomplete,
                    "void",
                    "`void` has no size".to_string(),
                ));
            }
            TypeKind::Prim(p) => p.size_align(self.target),
            TypeKind::Pointer(_) => (8, 8),
            TypeKind::Array { .. } => unreachable!("arrays are handled by size_align"),
            TypeKind::Record(r) => {
                let rec = self.record(*r);
                match rec.layout {
                    Some(l) => (l.size, l.align),
                    None => {
                        return Err(Error::layout(
                            LayoutErrorKind::Incomplete,
                            self.display(id),
                            format!("`{}` is incomplete", self.display(id)),
                        ));
                    }
                }
            }
            TypeKind::Enum(e) => {
                let en = self.enum_(*e);
                if !en.complete && !en.fixed {
                    return Err(Error::layout(
                        LayoutErrorKind::Incomplete,
                        self.display(id),
                        format!("`{}` is incomplete", self.display(id)),
                    ));
                }
                en.underlying.size_align(self.target)
            }
            TypeKind::Func(_) => {
                return Err(Error::layout(
                    LayoutErrorKind::Incomplete,
                    self.display(id),
                    format!("function type `{}` has no size", self.display(id)),
                ));
            }
            TypeKind::Vector { elem, len } => {
                let size = elem.size_align(self.target).0 * len;
                (size, self.target.vector_align(size))
            }
        };
        Ok((size, rec.align_override.unwrap_or(align)))
    }

    /// `sizeof`.
    pub fn size_of(&self, id: TypeId) -> Result<u64> {
        Ok(self.size_align(id)?.0)
    }

    /// The alignment layout uses (gcc's `TYPE_ALIGN`, what GNU
    /// `__alignof__` reports): the alignment members and array elements of
    /// this type are placed at. C11 `_Alignof` can be smaller, see
    /// [`Types::c11_align_of`].
    pub fn align_of(&self, id: TypeId) -> Result<u64> {
        Ok(self.size_align(id)?.1)
    }

    /// What gcc's C11 `_Alignof` reports (`min_align_of_type`): the
    /// alignment of [`Types::align_of`], capped at `BIGGEST_ALIGNMENT` (16
    /// bytes on both targets without `-mavx`) unless an `aligned` attribute
    /// set it (`TYPE_USER_ALIGN`: on a typedef, on the record, or on a member
    /// — not lowering it — or member type of a record, nested records
    /// included). Only a type
    /// over-aligned by an x86_64 GCC vector of more than 16 bytes differs:
    /// `struct { char c; float v __attribute__((vector_size(32))); }` is
    /// 32-aligned and `_Alignof` says 16.
    pub fn c11_align_of(&self, id: TypeId) -> Result<u64> {
        let a = self.align_of(id)?;
        Ok(if a > BIGGEST_ALIGNMENT && !self.user_aligned(id) {
            BIGGEST_ALIGNMENT
        } else {
            a
        })
    }

    /// gcc's `TYPE_USER_ALIGN`: the type's alignment comes from an
    /// `aligned` attribute somewhere in it.
    fn user_aligned(&self, id: TypeId) -> bool {
        let rec = self.get(id);
        if rec.align_override.is_some() {
            return true;
        }
        match &rec.kind {
            TypeKind::Array { elem, .. } => self.user_aligned(*elem),
            TypeKind::Record(r) => {
                let r = self.record(*r);
                // A member's `aligned(N)` counts only when it does not try
                // to lower the member's alignment (gcc ignores that one).
                r.attrs.align_attr.is_some()
                    || r.decls.iter().any(|d| {
                        d.align_attr.is_some_and(|a| self.align_of(d.ty).is_ok_and(|t| a >= t))
                            || self.user_aligned(d.ty)
                    })
            }
            _ => false,
        }
    }

    /// Offset of a member given by a path such as `a.b[3].c` (anonymous
    /// members are looked through). See [`FieldPath`].
    pub fn offset_of(&self, id: TypeId, path: &str) -> Result<FieldPath> {
        path::resolve(self, id, path)
    }

    /// Looks up a direct member by name, looking through anonymous members.
    /// Returns the member and its offset relative to the start of `id`.
    pub fn field(&self, id: TypeId, name: &str) -> Option<(Field, u64)> {
        let rec = self.record_of(id)?;
        for f in &rec.fields {
            match &f.name {
                Some(n) if n == name => return Some((f.clone(), f.offset)),
                None if f.bit.is_none() => {
                    if let Some((inner, off)) = self.field(f.ty, name) {
                        return Some((inner, f.offset + off));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// A C spelling of the type, for messages and tables.
    pub fn display(&self, id: TypeId) -> String {
        let mut s = String::new();
        self.write_decl(id, "", &mut s);
        s
    }

    /// A C declaration of `name` with type `id` (`int (*name)[3]`).
    pub fn declare(&self, id: TypeId, name: &str) -> String {
        let mut s = String::new();
        self.write_decl(id, name, &mut s);
        s
    }

    fn base_name(&self, id: TypeId) -> String {
        let rec = self.get(id);
        let mut q = String::new();
        if rec.quals.is_const {
            q.push_str("const ");
        }
        if rec.quals.is_volatile {
            q.push_str("volatile ");
        }
        let b = match &rec.kind {
            TypeKind::Prim(_) if rec.alias.is_some() => rec.alias.unwrap_or_default().to_string(),
            TypeKind::Prim(p) => p.c_name().to_string(),
            TypeKind::Record(r) => {
                let r = self.record(*r);
                match &r.tag {
                    Some(t) => format!("{} {}", r.kind.keyword(), t),
                    None => format!("{} <anonymous>", r.kind.keyword()),
                }
            }
            TypeKind::Enum(e) => match &self.enum_(*e).tag {
                Some(t) => format!("enum {t}"),
                None => "enum <anonymous>".to_string(),
            },
            // gcc applies `vector_size` to the innermost type of a
            // declarator, so this spelling also works before `*p` or `a[2]`.
            TypeKind::Vector { elem, len } => format!(
                "{} __attribute__((vector_size({})))",
                elem.c_name(),
                elem.size_align(self.target).0 * len
            ),
            _ => unreachable!("base_name of a derived type"),
        };
        q + &b
    }

    fn write_decl(&self, id: TypeId, inner: &str, out: &mut String) {
        // Recursive (one level per pointer, array or function, and one per
        // parameter type): on a short thread stack, continue on a fresh
        // segment so a type nested up to `MAX_DEPTH` levels is spelt, not a
        // stack overflow.
        stacker::maybe_grow(WRITE_DECL_RED_ZONE, 1 << 20, || self.write_decl_level(id, inner, out))
    }

    fn write_decl_level(&self, id: TypeId, inner: &str, out: &mut String) {
        let rec = self.get(id);
        match &rec.kind {
            TypeKind::Pointer(p) => {
                let mut s = String::from("*");
                if rec.quals.is_const {
                    s.push_str(" const");
                }
                if rec.quals.is_volatile {
                    s.push_str(" volatile");
                }
                if rec.quals.is_restrict {
                    s.push_str(" restrict");
                }
                if !inner.is_empty() {
                    if s.len() > 1 {
                        s.push(' ');
                    }
                    s.push_str(inner);
                }
                let needs_paren = matches!(self.kind(*p), TypeKind::Array { .. } | TypeKind::Func(_));
                let s = if needs_paren { format!("({s})") } else { s };
                self.write_decl(*p, &s, out);
            }
            TypeKind::Array { elem, len } => {
                let s = match len {
                    Some(n) => format!("{inner}[{n}]"),
                    None => format!("{inner}[]"),
                };
                self.write_decl(*elem, &s, out);
            }
            TypeKind::Func(f) => {
                let sig = self.func_sig(*f);
                let mut s = format!("{inner}(");
                for (i, p) in sig.params.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&self.display(*p));
                }
                if sig.variadic {
                    s.push_str(if sig.params.is_empty() { "..." } else { ", ..." });
                } else if sig.params.is_empty() {
                    s.push_str("void");
                }
                s.push(')');
                self.write_decl(sig.ret, &s, out);
            }
            _ => {
                out.push_str(&self.base_name(id));
                if !inner.is_empty() {
                    out.push(' ');
                    out.push_str(inner);
                }
            }
        }
    }
}

/// gcc's `BIGGEST_ALIGNMENT` in bytes for both targets (without `-mavx`):
/// the cap of C11 `_Alignof` ([`Types::c11_align_of`]).
pub const BIGGEST_ALIGNMENT: u64 = 16;

/// Largest GCC vector type [`Types::vector`] makes (2^28 bytes, the largest
/// alignment the layout accepts: an x86_64 vector is aligned to its size).
pub const MAX_VECTOR_SIZE: u64 = 1 << 28;

/// Stack [`Types::write_decl`] wants left before it recurses one level
/// (a level's frame is a few hundred bytes; strings live on the heap).
const WRITE_DECL_RED_ZONE: usize = 32 << 10;

/// Whether `v` is representable in integer type `p` on `target`.
pub fn int_fits(p: Prim, v: i128, target: Target) -> bool {
    if p == Prim::Bool {
        return v == 0 || v == 1;
    }
    let bits = p.size_align(target).0 * 8;
    if p.is_signed(target) {
        if bits >= 128 {
            return true;
        }
        let lim = 1i128 << (bits - 1);
        v >= -lim && v < lim
    } else {
        if v < 0 {
            return false;
        }
        if bits >= 128 {
            return true;
        }
        v < (1i128 << bits)
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.index)
    }
}
