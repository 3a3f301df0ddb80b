//! `Context`: one [`abicall::Ffi`] (declarations and type table) seen from
//! Python, plus the base classes of the Python `CType` and `CData` objects.

use crate::scalar::Code;
use crate::to_py_err;
use abicall::decls::Constant;
use abicall::types::{Prim, RecordKind, TypeId, TypeKind, Types};
use abicall::Ffi;
use pyo3::prelude::*;
use std::collections::HashMap;

type FxHashMap<K, V> = HashMap<K, V>;
use pyo3::types::PyTuple;

/// Kind numbers of a ctype (`CTypeBase.kind`).
pub mod kind {
    /// A primitive (integer, floating, `_Bool`, `char`).
    pub const PRIMITIVE: u8 = 0;
    /// A pointer (also to a function).
    pub const POINTER: u8 = 1;
    /// An array.
    pub const ARRAY: u8 = 2;
    /// A struct.
    pub const STRUCT: u8 = 3;
    /// A union.
    pub const UNION: u8 = 4;
    /// An enum.
    pub const ENUM: u8 = 5;
    /// A function type.
    pub const FUNCTION: u8 = 6;
    /// `void`.
    pub const VOID: u8 = 7;
    /// A GCC vector type (`vector_size(N)`): size and alignment only.
    pub const VECTOR: u8 = 8;
}

/// A declaration context: wraps an [`Ffi`] for the host.
#[pyclass(module = "abicall._abicall")]
pub struct Context {
    pub(crate) ffi: Ffi,
}

fn kind_of(types: &Types, t: TypeId) -> u8 {
    match types.kind(t) {
        TypeKind::Prim(Prim::Void) => kind::VOID,
        TypeKind::Prim(_) => kind::PRIMITIVE,
        TypeKind::Pointer(_) => kind::POINTER,
        TypeKind::Array { .. } => kind::ARRAY,
        TypeKind::Record(r) => match types.record(*r).kind {
            RecordKind::Struct => kind::STRUCT,
            RecordKind::Union => kind::UNION,
        },
        TypeKind::Enum(_) => kind::ENUM,
        TypeKind::Func(_) => kind::FUNCTION,
        TypeKind::Vector { .. } => kind::VECTOR,
    }
}

/// Facts about one type, as a tuple for the Python `CType`:
/// `(kind, code, size, align, item, length, cname, item_kind, item_size)`
/// where `size`/`align` are -1 when unknown, `item` is the pointee/element
/// type (unqualified) or -1, `length` the array length or -1.
pub(crate) fn describe(
    types: &mut Types,
    names: &FxHashMap<TypeId, String>,
    t: TypeId,
) -> (u8, u8, i64, i64, i64, i64, String, i64, i64) {
    let k = kind_of(types, t);
    let code = Code::of(types, t) as u8;
    let (size, align) = types.size_align(t).map_or((-1, -1), |(s, a)| (s as i64, a as i64));
    let (item, length) = match types.kind(t).clone() {
        TypeKind::Pointer(p) => (Some(p), -1),
        TypeKind::Array { elem, len } => (Some(elem), len.map_or(-1, |l| l as i64)),
        _ => (None, -1),
    };
    let item = item.map(|i| types.unqualified(i));
    let (item_kind, item_size) = match item {
        Some(i) => (kind_of(types, i) as i64, types.size_of(i).map_or(-1, |s| s as i64)),
        None => (-1, -1),
    };
    let cname = cname(types, names, t);
    (
        k,
        code,
        size,
        align,
        item.map_or(-1, |i| i.index() as i64),
        length,
        cname,
        item_kind,
        item_size,
    )
}

/// See `Context::shareable` (depth-limited: types nest finitely).
fn shareable(types: &mut Types, t: TypeId, depth: u32) -> bool {
    if depth > 64 {
        return false;
    }
    let t = types.unqualified(t);
    match types.kind(t).clone() {
        TypeKind::Prim(_) => true,
        TypeKind::Pointer(p) => shareable(types, p, depth + 1),
        TypeKind::Array { elem, .. } => shareable(types, elem, depth + 1),
        // A vector's element is a scalar type: built from predefined types only.
        TypeKind::Vector { .. } => true,
        TypeKind::Func(f) => {
            let sig = types.func_sig(f).clone();
            shareable(types, sig.ret, depth + 1) && sig.params.iter().all(|&p| shareable(types, p, depth + 1))
        }
        TypeKind::Enum(e) => matches!(
            types.enum_(e).tag.as_deref(),
            Some("__abicall_wchar_t" | "__abicall_char16_t" | "__abicall_char32_t")
        ),
        TypeKind::Record(r) => types.record(r).tag.as_deref() == Some("__abicall_FILE"),
    }
}

/// See `Context::strip_quals` (depth-limited: types nest finitely).
fn strip_quals(types: &mut Types, t: TypeId, depth: u32) -> TypeId {
    let t = types.unqualified(t);
    if depth > 64 {
        return t;
    }
    match types.kind(t).clone() {
        TypeKind::Pointer(p) => {
            let p2 = strip_quals(types, p, depth + 1);
            if p2 == p {
                t
            } else {
                types.pointer(p2)
            }
        }
        TypeKind::Array { elem, len } => {
            let e2 = strip_quals(types, elem, depth + 1);
            if e2 == elem {
                t
            } else {
                types.array(e2, len)
            }
        }
        TypeKind::Func(f) => {
            let sig = types.func_sig(f).clone();
            let ret = strip_quals(types, sig.ret, depth + 1);
            let params: Vec<TypeId> = sig.params.iter().map(|&p| strip_quals(types, p, depth + 1)).collect();
            if ret == sig.ret && params == sig.params {
                t
            } else {
                types.func(ret, params, sig.variadic)
            }
        }
        _ => t,
    }
}

/// A type's name as cffi spells it: qualifiers dropped, `int *`, `int[3]`,
/// `int(*)[3]`, `int(*)(int, long)`, and anonymous structs, unions and enums
/// named by their typedef (`names`) when they have one.
pub(crate) fn cname(types: &Types, names: &FxHashMap<TypeId, String>, t: TypeId) -> String {
    let mut out = String::new();
    write_cname(types, names, t, "", &mut out);
    out
}

fn write_cname(types: &Types, names: &FxHashMap<TypeId, String>, t: TypeId, inner: &str, out: &mut String) {
    let join = |base: &str, inner: &str| {
        if inner.is_empty() {
            base.to_string()
        } else if inner.starts_with('*') {
            format!("{base} {inner}")
        } else {
            format!("{base}{inner}")
        }
    };
    match types.kind(t) {
        TypeKind::Pointer(p) => {
            // cffi separates consecutive stars: `int * *`, `int(* *)(char)`.
            let s = if inner.starts_with('*') {
                format!("* {inner}")
            } else {
                format!("*{inner}")
            };
            let s = if matches!(types.kind(*p), TypeKind::Array { .. } | TypeKind::Func(_)) {
                format!("({s})")
            } else {
                s
            };
            write_cname(types, names, *p, &s, out);
        }
        TypeKind::Array { elem, len } => {
            let s = match len {
                Some(n) => format!("{inner}[{n}]"),
                None => format!("{inner}[]"),
            };
            write_cname(types, names, *elem, &s, out);
        }
        TypeKind::Func(f) => {
            let sig = types.func_sig(*f);
            let params: Vec<String> = sig.params.iter().map(|&p| cname(types, names, p)).collect();
            let mut list = params.join(", ");
            if sig.variadic {
                list.push_str(if params.is_empty() { "..." } else { ", ..." });
            }
            let s = format!("{inner}({list})");
            write_cname(types, names, sig.ret, &s, out);
        }
        // A predefined typedef (`size_t`, `int32_t`) keeps its name, as in cffi.
        TypeKind::Prim(p) => out.push_str(&join(types.get(t).alias.unwrap_or(p.c_name()), inner)),
        TypeKind::Vector { .. } => out.push_str(&join(&types.display(t), inner)),
        TypeKind::Record(r) => {
            let rec = types.record(*r);
            let base = match (&rec.tag, names.get(&types_unqual(types, t))) {
                (Some(tag), _) => format!("{} {tag}", rec.kind.keyword()),
                (None, Some(n)) => n.clone(),
                (None, None) => format!("{} $", rec.kind.keyword()),
            };
            out.push_str(&join(&base, inner));
        }
        TypeKind::Enum(e) => {
            let en = types.enum_(*e);
            let base = match (&en.tag, names.get(&types_unqual(types, t))) {
                (Some(tag), _) => format!("enum {tag}"),
                (None, Some(n)) => n.clone(),
                (None, None) => "enum $".to_string(),
            };
            out.push_str(&join(&base, inner));
        }
    }
}

/// The unqualified id of `t` without interning anything new (qualified
/// records and enums are looked up by their unqualified id).
fn types_unqual(types: &Types, t: TypeId) -> TypeId {
    if types.get(t).quals.is_empty() {
        return t;
    }
    // Qualified copies are interned after the plain type; search for the
    // plain record with the same kind.
    let kind = types.kind(t);
    types
        .ids()
        .find(|&u| types.kind(u) == kind && types.get(u).quals.is_empty())
        .unwrap_or(t)
}

impl Context {
    /// Anonymous records and enums by the typedef that names them.
    pub(crate) fn anon_names(&self) -> FxHashMap<TypeId, String> {
        let d = self.ffi.decls();
        let types = self.ffi.types();
        let mut m = FxHashMap::default();
        for (name, &t) in d.typedefs.iter() {
            let anonymous = match types.kind(t) {
                TypeKind::Record(r) => types.record(*r).tag.is_none(),
                TypeKind::Enum(e) => types.enum_(*e).tag.is_none(),
                _ => false,
            };
            if anonymous && types.get(t).quals.is_empty() {
                // Several typedefs may name one type: keep the first in name order.
                m.entry(t)
                    .and_modify(|n: &mut String| {
                        if name < n {
                            *n = name.clone()
                        }
                    })
                    .or_insert_with(|| name.clone());
            }
        }
        m
    }

    pub(crate) fn check(&self, t: u32) -> PyResult<TypeId> {
        self.ffi
            .types()
            .id_at(t)
            .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown type id {t}")))
    }
}

#[pymethods]
impl Context {
    /// A context for the host target.
    #[new]
    fn new() -> PyResult<Context> {
        Ok(Context {
            ffi: Ffi::host().map_err(to_py_err)?,
        })
    }

    /// Parses declarations.
    fn cdef(&mut self, text: &str) -> PyResult<()> {
        self.ffi.cdef(text).map_err(to_py_err)
    }

    /// Makes `name` a typedef for `t` (replacing an earlier typedef of that
    /// name): a header's `typedef int wchar_t;` then wins over the
    /// character type abicall predefines, as in cffi.
    fn set_typedef(&mut self, name: &str, t: u32) -> PyResult<()> {
        let t = self.check(t)?;
        self.ffi.decls_mut().typedefs.insert(name.to_string(), t);
        Ok(())
    }

    /// Parses a type name; returns its id.
    fn parse_type(&mut self, name: &str) -> PyResult<u32> {
        self.ffi.type_of(name).map(|t| t.index()).map_err(to_py_err)
    }

    /// Facts about a type (see `describe`).
    #[allow(clippy::type_complexity)]
    fn describe(&mut self, t: u32) -> PyResult<(u8, u8, i64, i64, i64, i64, String, i64, i64)> {
        let t = self.check(t)?;
        let names = self.anon_names();
        Ok(describe(&mut self.ffi.types_mut(), &names, t))
    }

    /// Whether `t` is built only from the types every context predefines
    /// (primitives, `void`, `wchar_t`/`char16_t`/`char32_t`, `FILE`), so
    /// that its ctype can be shared by every FFI, as in cffi.
    fn shareable(&mut self, t: u32) -> PyResult<bool> {
        let t = self.check(t)?;
        Ok(shareable(&mut self.ffi.types_mut(), t, 0))
    }

    /// The pointer type to `t`.
    fn pointer_to(&mut self, t: u32) -> PyResult<u32> {
        let t = self.check(t)?;
        let mut types = self.ffi.types_mut();
        let p = types.pointer(t);
        types.check_depth(p).map_err(to_py_err)?;
        Ok(p.index())
    }

    /// The array type `t[n]` (`n` None: `t[]`).
    #[pyo3(signature = (t, n=None))]
    fn array_of(&mut self, t: u32, n: Option<u64>) -> PyResult<u32> {
        let t = self.check(t)?;
        let mut types = self.ffi.types_mut();
        let a = types.array(t, n);
        types.check_depth(a).map_err(to_py_err)?;
        Ok(a.index())
    }

    /// `t` with every qualifier removed, also inside pointers, arrays and
    /// function signatures (cffi's ctypes ignore `const`/`volatile`).
    fn strip_quals(&mut self, t: u32) -> PyResult<u32> {
        let t = self.check(t)?;
        Ok(strip_quals(&mut self.ffi.types_mut(), t, 0).index())
    }

    /// The unqualified version of `t`.
    fn unqualified(&mut self, t: u32) -> PyResult<u32> {
        let t = self.check(t)?;
        Ok(self.ffi.types_mut().unqualified(t).index())
    }

    /// The members of a struct/union:
    /// `[(name or None, type, offset, bit_offset or -1, bit_width or -1)]`.
    fn fields(&self, t: u32) -> PyResult<Option<Vec<FieldRow>>> {
        let t = self.check(t)?;
        let types = self.ffi.types();
        let Some(rec) = types.record_of(t) else { return Ok(None) };
        if rec.layout.is_none() {
            return Ok(None);
        }
        Ok(Some(
            rec.fields
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        f.ty.index(),
                        f.offset,
                        f.bit.map_or(-1, |b| b.bit_offset as i64),
                        f.bit.map_or(-1, |b| b.bit_width as i64),
                    )
                })
                .collect(),
        ))
    }

    /// A function type's `(result, [params], variadic)`.
    fn signature(&self, t: u32) -> PyResult<Option<(u32, Vec<u32>, bool)>> {
        let t = self.check(t)?;
        let types = self.ffi.types();
        Ok(types
            .sig_of(t)
            .map(|s| (s.ret.index(), s.params.iter().map(|p| p.index()).collect(), s.variadic)))
    }

    /// An enum's enumerators `[(name, value)]`.
    fn enumerators(&self, t: u32) -> PyResult<Option<Vec<(String, i128)>>> {
        let t = self.check(t)?;
        let types = self.ffi.types();
        Ok(match types.kind(t) {
            TypeKind::Enum(e) => Some(types.enum_(*e).values.clone()),
            _ => None,
        })
    }

    /// A declared constant's value, or None.
    fn constant(&self, py: Python<'_>, name: &str) -> PyResult<Option<PyObject>> {
        Ok(match self.ffi.decls().constants.get(name) {
            Some(Constant::Int { value, .. }) => Some(value.into_pyobject(py)?.into_any().unbind()),
            Some(Constant::Float { value, .. }) => Some(value.into_pyobject(py)?.into_any().unbind()),
            None => None,
        })
    }

    /// A declared function's `(type, symbol)`, or None.
    fn function(&self, name: &str) -> Option<(u32, String)> {
        self.ffi
            .decls()
            .functions
            .get(name)
            .map(|f| (f.ty.index(), f.symbol().to_string()))
    }

    /// A declared variable's `(type, symbol)`, or None.
    fn variable(&self, name: &str) -> Option<(u32, String)> {
        self.ffi
            .decls()
            .variables
            .get(name)
            .map(|v| (v.ty.index(), v.symbol().to_string()))
    }

    /// Names of functions, variables and constants (for `dir(lib)`).
    fn names(&self) -> Vec<String> {
        let d = self.ffi.decls();
        let mut v: Vec<String> = d
            .functions
            .keys()
            .chain(d.variables.keys())
            .chain(d.constants.keys())
            .cloned()
            .collect();
        v.retain(|n| !n.starts_with("__abicall_"));
        v.sort();
        v
    }

    /// `(typedef names, struct tags, union tags)`, sorted (cffi's `list_types`).
    fn list_types(&self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let d = self.ffi.decls();
        let types = self.ffi.types();
        let mut typedefs: Vec<String> = d
            .typedefs
            .keys()
            .filter(|n| !n.starts_with("__abicall_"))
            .cloned()
            .collect();
        let (mut structs, mut unions) = (Vec::new(), Vec::new());
        for (name, &t) in d.tags.iter() {
            match types.record_of(t).map(|r| r.kind) {
                Some(RecordKind::Struct) => structs.push(name.clone()),
                Some(RecordKind::Union) => unions.push(name.clone()),
                None => {}
            }
        }
        typedefs.retain(|n| !matches!(n.as_str(), "wchar_t" | "char16_t" | "char32_t"));
        typedefs.sort();
        structs.sort();
        unions.sort();
        (typedefs, structs, unions)
    }

    /// `offsetof(t, path)`: `(offset, type)`.
    fn offsetof(&self, t: u32, path: &str) -> PyResult<(u64, u32)> {
        let t = self.check(t)?;
        let p = self.ffi.types().offset_of(t, path).map_err(to_py_err)?;
        Ok((p.offset, p.ty.index()))
    }
}

/// One member as `Context::fields` reports it:
/// `(name, type, offset, bit_offset or -1, bit_width or -1)`.
type FieldRow = (Option<String>, u32, u64, i64, i64);

/// Base of the Python `CType`: the facts the call path needs without
/// touching Python attributes.
#[pyclass(subclass, module = "abicall._abicall")]
pub struct CTypeBase {
    /// Type id in the owning context.
    #[pyo3(get, name = "_tid")]
    pub tid: u32,
    /// Kind number (see [`kind`]).
    #[pyo3(get, name = "_kind")]
    pub kind: u8,
    /// Scalar code (see [`Code`]).
    #[pyo3(get, name = "_code")]
    pub code: u8,
    /// Size, -1 if unknown.
    #[pyo3(get, name = "_size")]
    pub size: i64,
    /// Alignment, -1 if unknown.
    #[pyo3(get, name = "_align")]
    pub align: i64,
    /// Pointee / element type id (unqualified), -1 if none.
    #[pyo3(get, name = "_item")]
    pub item: i64,
    /// Kind of the item, -1 if none.
    #[pyo3(get, name = "_item_kind")]
    pub item_kind: i64,
    /// Size of the item, -1 if unknown.
    #[pyo3(get, name = "_item_size")]
    pub item_size: i64,
    /// Array length, -1 if none or unknown.
    pub length: i64,
    /// Address of the owning `Context` object (type ids are its own).
    pub ctx_id: usize,
    /// Address of the item's `CType` object, 0 if none: equal items have
    /// the same address, whichever context made them (ctypes are interned).
    pub item_id: usize,
    /// A `wchar_t`-like type (read as a 1-character string): slow path.
    pub wchar: bool,
    /// The item's `CType` (set by the Python layer).
    pub item_ct: Option<Py<CTypeBase>>,
    /// Members by name (set by the Python layer on first use).
    pub fields: Option<FieldMap>,
    /// Names of the members a positional initializer fills, in order.
    pub order: Vec<String>,
}

/// The plain facts of a [`CTypeBase`], copied out.
#[derive(Clone, Copy, Debug)]
pub struct TypeFacts {
    /// See [`CTypeBase::kind`].
    pub kind: u8,
    /// See [`CTypeBase::code`].
    pub code: u8,
    /// See [`CTypeBase::wchar`].
    pub wchar: bool,
    /// See [`CTypeBase::item_id`].
    pub item_id: usize,
    /// See [`CTypeBase::item_kind`].
    pub item_kind: i64,
}

impl CTypeBase {
    /// A copy of the plain facts.
    pub fn facts(&self) -> TypeFacts {
        TypeFacts {
            kind: self.kind,
            code: self.code,
            wchar: self.wchar,
            item_id: self.item_id,
            item_kind: self.item_kind,
        }
    }
}

/// The plain facts of a [`CDataBase`], copied out.
#[derive(Clone, Copy, Debug)]
pub struct CDataFacts {
    /// The ctype's kind.
    pub kind: u8,
    /// The ctype's `item_id`.
    pub item_id: usize,
    /// The ctype's `item_kind`.
    pub item_kind: i64,
    /// See [`CDataBase::_addr`].
    pub _addr: usize,
}

impl CDataBase {
    /// A copy of the plain facts.
    pub fn facts(&self) -> CDataFacts {
        CDataFacts {
            kind: self.kind,
            item_id: self.item_id,
            item_kind: self.item_kind,
            _addr: self._addr,
        }
    }
}

/// FNV-1a, for the member tables: names are a few bytes (SipHash costs
/// more than the rest of `p.x`), and they come from the program's own
/// declarations.
#[derive(Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Members by name.
pub type FieldMap = HashMap<String, FieldInfo, std::hash::BuildHasherDefault<Fnv>>;

/// A struct/union member for the fast access path.
pub struct FieldInfo {
    /// Byte offset.
    pub offset: usize,
    /// Its `CType`.
    pub ctype: Py<CTypeBase>,
    /// Bitfields and flexible array members take the Python path.
    pub slow: bool,
}

#[pymethods]
impl CTypeBase {
    #[new]
    #[pyo3(signature = (ctx, tid, *_rest))]
    fn new(ctx: &Bound<'_, Context>, tid: u32, _rest: &Bound<'_, PyTuple>) -> PyResult<CTypeBase> {
        let mut c = ctx.borrow_mut();
        let t = c.check(tid)?;
        let names = c.anon_names();
        let d = describe(&mut c.ffi.types_mut(), &names, t);
        Ok(CTypeBase {
            tid,
            kind: d.0,
            code: d.1,
            size: d.2,
            align: d.3,
            item: d.4,
            item_kind: d.7,
            item_size: d.8,
            length: d.5,
            ctx_id: ctx.as_ptr() as usize,
            item_id: 0,
            wchar: false,
            item_ct: None,
            fields: None,
            order: Vec::new(),
        })
    }

    /// Reads the type's facts again (a later `cdef` completed a struct or
    /// union this type is or points to); the member table is dropped.
    fn _refresh(&mut self, ctx: &Bound<'_, Context>) -> PyResult<()> {
        let mut c = ctx.borrow_mut();
        let t = c.check(self.tid)?;
        let names = c.anon_names();
        let d = describe(&mut c.ffi.types_mut(), &names, t);
        self.size = d.2;
        self.align = d.3;
        self.item_size = d.8;
        self.length = d.5;
        self.fields = None;
        self.order.clear();
        Ok(())
    }

    /// Links the item's `CType` and the wide-char flag (Python layer);
    /// `ident` is the item's `CType` when `item` is not linked (a function
    /// pointer's function type), for `item_id` only.
    #[pyo3(signature = (item, wchar, ident=None))]
    fn _set_info(&mut self, item: Option<Py<CTypeBase>>, wchar: bool, ident: Option<Py<CTypeBase>>) {
        self.item_id = ident.as_ref().or(item.as_ref()).map_or(0, |i| i.as_ptr() as usize);
        self.item_ct = item;
        self.wchar = wchar;
    }

    /// Sets the member table: `{name: (offset, CType, bitshift, bitsize)}`
    /// and the order of positional initialization.
    fn _set_fields(&mut self, fields: &Bound<'_, pyo3::types::PyDict>, order: Vec<String>) -> PyResult<()> {
        self.order = order;
        let mut m = FieldMap::default();
        for (k, v) in fields.iter() {
            let (off, ct, _bshift, bsize): (usize, Bound<'_, CTypeBase>, i64, i64) = v.extract()?;
            let slow = {
                let c = ct.borrow();
                // bitfields, flexible arrays and `T x[0]` (read as a pointer)
                bsize >= 0 || (c.kind == kind::ARRAY && c.length <= 0)
            };
            m.insert(
                k.extract::<String>()?,
                FieldInfo {
                    offset: off,
                    ctype: ct.unbind(),
                    slow,
                },
            );
        }
        self.fields = Some(m);
        Ok(())
    }
}

/// Base of the Python `CData`: a ctype, an address and what keeps the
/// memory alive.
///
/// `addr` follows cffi: for pointers and arrays it is the address pointed
/// to (the pointer's value); for everything else, where the value is stored.
#[pyclass(subclass, module = "abicall._abicall")]
pub struct CDataBase {
    pub(crate) item_kind: i64,
    /// The Python `CType` (released by `Drop`, see there).
    pub _ctype: std::mem::ManuallyDrop<Py<CTypeBase>>,
    /// See the type's docs.
    #[pyo3(get, set)]
    pub _addr: usize,
    /// What keeps the memory alive (None: not owned); see `_owner`'s getter.
    #[pyo3(set)]
    pub _owner: Option<PyObject>,
    /// Array length when known only at run time, else -1.
    #[pyo3(get, set)]
    pub _length: i64,
    /// Bytes owned (for `repr`), 0 for non-owning.
    #[pyo3(get, set)]
    pub _owned: i64,
    pub(crate) tid: u32,
    pub(crate) kind: u8,
    /// The ctype's `item_id`.
    pub(crate) item_id: usize,
    /// The value itself when the object owns a small value (a struct
    /// result, see `convert::new_cdata_inline`): `_addr` points here.
    pub(crate) inline: crate::memory::Inline,
    /// Whether `inline` holds the value (then the object is its own owner).
    pub(crate) inline_used: bool,
}

impl Drop for CDataBase {
    /// Releases the ctype and the owner with `Py_DECREF` directly: a value
    /// is only ever dropped with the GIL held (in `tp_dealloc`, or by this
    /// module's code called from Python), and PyO3's own drop first asks a
    /// thread-local whether the GIL is held, on every cdata freed.
    fn drop(&mut self) {
        // SAFETY: the GIL is held (see above); `_ctype` is dropped once,
        // here, and never used afterwards; `into_ptr` hands over the owner's
        // reference, released once.
        unsafe {
            pyo3::ffi::Py_DECREF(self._ctype.as_ptr());
            if let Some(o) = self._owner.take() {
                pyo3::ffi::Py_DECREF(o.into_ptr());
            }
        }
    }
}

impl CDataBase {
    /// A non-owning base for `addr` of `ctype` kept alive by `owner`.
    pub fn new_raw(ctype: &Bound<'_, CTypeBase>, addr: usize, owner: Option<PyObject>) -> CDataBase {
        CDataBase::new(ctype, addr, owner, -1, 0)
    }
}

#[pymethods]
impl CDataBase {
    fn __getattribute__(slf: &Bound<'_, Self>, name: &Bound<'_, pyo3::types::PyString>) -> PyResult<PyObject> {
        crate::access::getattr(slf, name)
    }

    fn __setattr__(
        slf: &Bound<'_, Self>,
        name: &Bound<'_, pyo3::types::PyString>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        crate::access::setattr(slf, name, value)
    }

    fn __getitem__(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>) -> PyResult<PyObject> {
        crate::access::getitem(slf, key)
    }

    fn __setitem__(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        crate::access::setitem(slf, key, value)
    }

    /// The Python `CType`.
    #[getter(_ctype)]
    fn ctype(&self, py: Python<'_>) -> Py<CTypeBase> {
        self._ctype.clone_ref(py)
    }

    /// What keeps the memory alive: the owner given, or the object itself
    /// when it holds its value (so views and casts that keep `_owner` keep
    /// the value).
    #[getter(_owner)]
    fn owner(slf: &Bound<'_, Self>) -> Option<PyObject> {
        let py = slf.py();
        // SAFETY: a flag is read and the owner cloned (an incref).
        let c = unsafe { crate::peek::peek(slf) };
        if c.inline_used {
            return Some(slf.clone().into_any().unbind());
        }
        c._owner.as_ref().map(|o| o.clone_ref(py))
    }

    fn __len__(slf: &Bound<'_, Self>) -> PyResult<usize> {
        crate::access::len(slf)
    }

    /// `CDataBase(ctype, addr, owner=None, length=-1, owned=0)`.
    #[new]
    #[pyo3(signature = (ctype, addr, owner=None, length=-1, owned=0))]
    pub fn new(
        ctype: &Bound<'_, CTypeBase>,
        addr: usize,
        owner: Option<PyObject>,
        length: i64,
        owned: i64,
    ) -> CDataBase {
        // SAFETY: plain fields are copied out and the ctype cloned (an
        // incref); no Python code runs meanwhile.
        let c = unsafe { crate::peek::peek(ctype) };
        CDataBase {
            item_kind: c.item_kind,
            tid: c.tid,
            kind: c.kind,
            item_id: c.item_id,
            _ctype: std::mem::ManuallyDrop::new(ctype.clone().unbind()),
            _addr: addr,
            _owner: owner,
            inline: crate::memory::Inline([0; crate::memory::INLINE_BYTES]),
            inline_used: false,
            _length: length,
            _owned: owned,
        }
    }
}
