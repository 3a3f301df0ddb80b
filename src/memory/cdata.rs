//! `CData`: a typed view of C memory (owned or borrowed), with bounds.

use super::bits;
use super::block::{Block, HostBuffer, Owner};
use super::gc::GcOwner;
use super::ptr::Ptr;
use super::scalar::{self, convert_err, MAX_SCALAR};
use super::value::Value;
use crate::error::{Error, MemoryErrorKind, Result};
use crate::types::{BitField, Field, FieldPath, Prim, TypeId, TypeKind, Types};
use std::fmt;
use std::sync::Arc;

/// A typed object in C memory: a struct, an array, a scalar, or a bitfield
/// member of a struct.
///
/// A `CData` knows the *region* of memory it may touch (the whole allocation
/// it was derived from) and checks every access against it, so the safe
/// methods can never read or write outside memory abicall knows to be valid.
/// Cloning a `CData` is cheap (an `Arc` clone); every view derived from an
/// owned object (a member, an element, a pointer made with
/// [`CData::pointer`]) keeps the allocation alive.
///
/// Who owns what:
/// * memory from [`CData::new`] / [`CData::new_array`] is owned by abicall and
///   freed when the last `CData` / [`Ptr`] derived from it is dropped;
/// * if C code keeps a pointer to that memory after that, it dangles: keeping
///   the object alive for as long as C uses it is the caller's documented
///   responsibility (as with cffi). abicall itself never touches freed memory;
/// * views made with the `unsafe` constructors ([`CData::from_raw`],
///   [`Ptr::deref`]) borrow memory abicall does not own: the caller vouches
///   for its extent and lifetime.
///
/// `CData` is neither `Send` nor `Sync`: two threads writing the same memory
/// through safe methods would race.
#[derive(Clone)]
pub struct CData {
    ty: TypeId,
    addr: *mut u8,
    start: *mut u8,
    len: usize,
    bit: Option<BitField>,
    owner: Option<Owner>,
}

impl fmt::Debug for CData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CData")
            .field("ty", &self.ty)
            .field("addr", &self.addr)
            .field("region_len", &self.len)
            .field("bit", &self.bit)
            .field("owned", &self.owner.is_some())
            .finish()
    }
}

impl PartialEq for CData {
    /// Two views are equal when they denote the same object: same address,
    /// type and bitfield.
    fn eq(&self, o: &CData) -> bool {
        self.addr == o.addr && self.ty == o.ty && self.bit == o.bit
    }
}

fn mem_err(kind: MemoryErrorKind, msg: String) -> Error {
    Error::memory(kind, msg)
}

/// Size of an object of type `ty` for allocation (`T[]` needs a length).
fn sized(types: &Types, ty: TypeId) -> Result<(usize, usize)> {
    let (s, a) = types.size_align(ty)?;
    let s = usize::try_from(s)
        .map_err(|_| mem_err(MemoryErrorKind::Size, format!("`{}` is too large", types.display(ty))))?;
    Ok((s, a as usize))
}

/// A type id that is not in `types` (a view used with another context's
/// table) is an error, not a panic.
pub(crate) fn check_ty(types: &Types, ty: TypeId) -> Result<()> {
    if types.contains(ty) {
        Ok(())
    } else {
        Err(mem_err(
            MemoryErrorKind::ForeignType,
            format!("type {ty} does not belong to this type table (a view used with another context?)"),
        ))
    }
}

/// A bitfield description from a user-made [`FieldPath`] must be one a
/// layout can produce: bit offset 0..=7, width at most 128.
fn check_bitfield(b: BitField) -> Result<()> {
    if b.bit_offset > 7 || b.bit_width > 128 {
        return Err(mem_err(
            MemoryErrorKind::WrongType,
            format!("invalid bitfield (bit offset {}, width {})", b.bit_offset, b.bit_width),
        ));
    }
    Ok(())
}

/// Finds a direct member (looking through anonymous members) without allocating.
pub(crate) fn find_field<'t>(types: &'t Types, ty: TypeId, name: &str) -> Option<(&'t Field, u64)> {
    let rec = types.record_of(ty)?;
    for f in &rec.fields {
        match &f.name {
            Some(n) if n == name => return Some((f, f.offset)),
            None if f.bit.is_none() => {
                if let Some((inner, off)) = find_field(types, f.ty, name) {
                    return Some((inner, f.offset + off));
                }
            }
            _ => {}
        }
    }
    None
}

impl CData {
    // ----- construction -------------------------------------------------

    fn owned(ty: TypeId, size: usize, align: usize) -> Result<CData> {
        let block = Block::zeroed(size, align)?;
        let p = block.as_ptr();
        Ok(CData {
            ty,
            addr: p,
            start: p,
            len: size,
            bit: None,
            owner: Some(Arc::new(block)),
        })
    }

    /// A new zeroed object of type `ty`, owned by abicall (cffi's `new`),
    /// then initialized from `init` if given (see [`CData::write`]).
    ///
    /// For `T[]` the length comes from the initializer: a `List`'s length,
    /// or a string's length plus the terminating NUL.
    pub fn new(types: &Types, ty: TypeId, init: Option<&Value>) -> Result<CData> {
        check_ty(types, ty)?;
        if let TypeKind::Array { elem, len: None } = types.kind(ty) {
            let n = match init {
                Some(Value::List(items)) => items.len(),
                Some(Value::Str(s)) => s.len() + 1,
                Some(Value::WStr(s)) => {
                    let es = types.size_of(*elem)?;
                    (if es == 2 {
                        s.encode_utf16().count()
                    } else {
                        s.chars().count()
                    }) + 1
                }
                _ => {
                    return Err(mem_err(
                        MemoryErrorKind::WrongType,
                        format!(
                            "`{}` has no length: give a list or string initializer, or use new_array",
                            types.display(ty)
                        ),
                    ))
                }
            };
            let (es, ea) = sized(types, *elem)?;
            let size = es
                .checked_mul(n)
                .ok_or_else(|| mem_err(MemoryErrorKind::Size, format!("array of {n} elements is too large")))?;
            let cd = CData::owned(ty, size, ea)?;
            if let Some(v) = init {
                cd.write(types, v)?;
            }
            return Ok(cd);
        }
        if !types.is_complete(ty) {
            return Err(mem_err(
                MemoryErrorKind::WrongType,
                format!("cannot allocate `{}`: incomplete type", types.display(ty)),
            ));
        }
        let (size, align) = sized(types, ty)?;
        let cd = CData::owned(ty, size, align)?;
        if let Some(v) = init {
            cd.write(types, v)?;
        }
        Ok(cd)
    }

    /// A new zeroed array of `len` elements of type `elem` (length known only
    /// at run time); its type is `elem[]` and indexing is checked against `len`.
    pub fn new_array(types: &mut Types, elem: TypeId, len: usize, init: Option<&Value>) -> Result<CData> {
        check_ty(types, elem)?;
        let ty = types.array(elem, None);
        let types: &Types = types;
        let (es, ea) = sized(types, elem)?;
        let size = es
            .checked_mul(len)
            .ok_or_else(|| mem_err(MemoryErrorKind::Size, format!("array of {len} elements is too large")))?;
        let cd = CData::owned(ty, size, ea)?;
        if let Some(v) = init {
            cd.write(types, v)?;
        }
        Ok(cd)
    }

    /// A new zeroed struct ending in a flexible array member, with room for
    /// `n` elements in it (cffi's `new("struct s *", n)`).
    pub fn new_flexible(types: &Types, ty: TypeId, n: usize, init: Option<&Value>) -> Result<CData> {
        check_ty(types, ty)?;
        let rec = types
            .record_of(ty)
            .filter(|r| r.layout.is_some_and(|l| l.has_flexible_array))
            .ok_or_else(|| {
                mem_err(
                    MemoryErrorKind::WrongType,
                    format!("`{}` is not a struct with a flexible array member", types.display(ty)),
                )
            })?;
        let last = rec
            .fields
            .last()
            .ok_or_else(|| mem_err(MemoryErrorKind::WrongType, "empty struct".to_string()))?;
        let elem = match types.kind(last.ty) {
            TypeKind::Array { elem, .. } => *elem,
            _ => {
                return Err(mem_err(
                    MemoryErrorKind::WrongType,
                    "flexible member is not an array".to_string(),
                ))
            }
        };
        let (size, align) = sized(types, ty)?;
        let (es, _) = sized(types, elem)?;
        let need = es
            .checked_mul(n)
            .and_then(|b| b.checked_add(last.offset as usize))
            .ok_or_else(|| {
                mem_err(
                    MemoryErrorKind::Size,
                    format!("flexible array of {n} elements is too large"),
                )
            })?;
        let cd = CData::owned(ty, size.max(need), align)?;
        if let Some(v) = init {
            cd.write(types, v)?;
        }
        Ok(cd)
    }

    /// A view of `len` bytes at `addr` as an object of type `ty` (`T[]`: as
    /// many elements as fit). `owner`, if given, is kept alive by the view
    /// and everything derived from it.
    ///
    /// # Safety
    /// `addr..addr + len` must be valid for reads and writes, for as long as
    /// this view or anything derived from it is used, and not be accessed
    /// concurrently from another thread while it is.
    pub unsafe fn from_raw(ty: TypeId, addr: *mut u8, len: usize, owner: Option<Owner>) -> CData {
        CData {
            ty,
            addr,
            start: addr,
            len,
            bit: None,
            owner,
        }
    }

    /// A view at `addr` inside a region that came from another `CData`
    /// (so it is valid while `owner` lives).
    pub(crate) fn in_region(ty: TypeId, addr: usize, region: (usize, usize), owner: Option<Owner>) -> CData {
        let start = region.0 as *mut u8;
        CData {
            ty,
            addr: start.wrapping_add(addr - region.0),
            start,
            len: region.1,
            bit: None,
            owner,
        }
    }

    /// Takes a host byte buffer and views it as an object of type `ty`
    /// (cffi's `from_buffer`; the buffer is owned by the view from now on and
    /// freed with it; [`CData::to_bytes`] copies the bytes back out). For
    /// `T[]` the length is as many elements as fit. The buffer only has byte
    /// alignment: C code that needs more must be given memory from
    /// [`CData::new`].
    pub fn from_buffer(types: &Types, ty: TypeId, buf: Vec<u8>) -> Result<CData> {
        check_ty(types, ty)?;
        let hb = HostBuffer::new(buf);
        let (p, len) = hb.raw();
        if !matches!(types.kind(ty), TypeKind::Array { len: None, .. }) {
            let need = types.size_of(ty)?;
            if (len as u64) < need {
                return Err(mem_err(
                    MemoryErrorKind::Size,
                    format!(
                        "buffer of {len} bytes is too small for `{}` ({need} bytes)",
                        types.display(ty)
                    ),
                ));
            }
        }
        let owner: Owner = Arc::new(hb);
        // SAFETY: the bytes belong to `hb`, a boxed slice now kept alive by
        // `owner`, which the view holds; nothing else accesses them.
        Ok(unsafe { CData::from_raw(ty, p, len, Some(owner)) })
    }

    // ----- basic properties ---------------------------------------------

    /// The type of the object.
    pub fn ty(&self) -> TypeId {
        self.ty
    }

    /// The bitfield this view denotes, if it is one.
    pub fn bitfield(&self) -> Option<BitField> {
        self.bit
    }

    /// The object's address (`Err` for a bitfield, which has none).
    pub fn address(&self) -> Result<usize> {
        if self.bit.is_some() {
            return Err(mem_err(
                MemoryErrorKind::WrongType,
                "cannot take the address of a bitfield".to_string(),
            ));
        }
        Ok(self.addr as usize)
    }

    /// A one-line description for messages and debugging, in cffi's style:
    /// `<cdata 'int[3]' owning 12 bytes at 0x...>` (or `borrowing` for
    /// memory abicall does not own, `bitfield` for a bitfield view).
    pub fn describe(&self, types: &Types) -> String {
        let ty = if check_ty(types, self.ty).is_ok() {
            types.display(self.ty)
        } else {
            format!("type {}", self.ty)
        };
        match self.bit {
            Some(b) => format!(
                "<cdata '{ty}' bitfield of width {} at {:p}+{}>",
                b.bit_width, self.addr, b.bit_offset
            ),
            None => {
                let size = self.size(types).map_or_else(|_| "?".to_string(), |s| s.to_string());
                let how = if self.owner.is_some() { "owning" } else { "borrowing" };
                format!("<cdata '{ty}' {how} {size} bytes at {:p}>", self.addr)
            }
        }
    }

    /// The memory owner this view keeps alive, if any.
    pub fn owner(&self) -> Option<&Owner> {
        self.owner.as_ref()
    }

    fn region_end(&self) -> usize {
        self.start as usize + self.len
    }

    /// Bytes from this object's address to the end of its known region.
    pub fn available(&self) -> usize {
        self.region_end().saturating_sub(self.addr as usize)
    }

    /// Number of elements of an array object (for `T[]`: as many as the
    /// known region holds); `None` for non-arrays.
    pub fn len(&self, types: &Types) -> Option<usize> {
        check_ty(types, self.ty).ok()?;
        match types.kind(self.ty) {
            TypeKind::Array { len: Some(n), .. } => Some(*n as usize),
            TypeKind::Array { elem, len: None } => {
                let es = types.size_of(*elem).ok()? as usize;
                Some(self.available().checked_div(es).unwrap_or(0))
            }
            _ => None,
        }
    }

    /// `sizeof` the object (for `T[]`: its run-time length times the element size).
    pub fn size(&self, types: &Types) -> Result<usize> {
        check_ty(types, self.ty)?;
        match types.kind(self.ty) {
            TypeKind::Array { elem, len: None } => {
                let es = types.size_of(*elem)? as usize;
                Ok(self.available().checked_div(es).unwrap_or(0) * es)
            }
            _ => sized(types, self.ty).map(|s| s.0),
        }
    }

    /// Checks that `n` bytes at `addr + off` are inside the region; returns the pointer.
    pub(crate) fn span(&self, off: usize, n: usize) -> Result<*mut u8> {
        let a = self.addr as usize;
        let ok = a >= self.start as usize
            && off
                .checked_add(n)
                .and_then(|e| a.checked_add(e))
                .is_some_and(|e| e <= self.region_end());
        if !ok {
            return Err(mem_err(
                MemoryErrorKind::OutOfBounds,
                format!(
                    "access of {n} bytes at offset {off} from {a:#x} is outside the object's {} known bytes",
                    self.available()
                ),
            ));
        }
        Ok(self.addr.wrapping_add(off))
    }

    fn view(&self, ty: TypeId, offset: usize, bit: Option<BitField>) -> CData {
        CData {
            ty,
            addr: self.addr.wrapping_add(offset),
            start: self.start,
            len: self.len,
            bit,
            owner: self.owner.clone(),
        }
    }

    fn load(&self, n: usize, buf: &mut [u8]) -> Result<()> {
        if n > buf.len() {
            return Err(mem_err(
                MemoryErrorKind::Size,
                format!("{n} bytes do not fit a scalar buffer of {}", buf.len()),
            ));
        }
        let p = self.span(0, n)?;
        // SAFETY: `span` checked that `p..p+n` lies in the region this view
        // may access; `buf` has at least `n` bytes (checked above) and is a
        // distinct Rust buffer.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n) };
        Ok(())
    }

    fn store(&self, buf: &[u8]) -> Result<()> {
        let p = self.span(0, buf.len())?;
        // SAFETY: as in `load`, for writing.
        unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), p, buf.len()) };
        Ok(())
    }

    // ----- members and elements -----------------------------------------

    /// The member `name` of a struct/union object (anonymous members are
    /// looked through; a path such as `a.b[2].c` also works). Bitfields
    /// give a view that reads and writes just their bits.
    pub fn field(&self, types: &Types, name: &str) -> Result<CData> {
        check_ty(types, self.ty)?;
        if self.bit.is_some() {
            return Err(mem_err(
                MemoryErrorKind::WrongType,
                "a bitfield has no members".to_string(),
            ));
        }
        if let Some((f, off)) = find_field(types, self.ty, name) {
            return Ok(self.view(f.ty, off as usize, f.bit));
        }
        // `a.b.c` without indexing: walk members without allocating.
        if !name.contains('[') {
            let mut ty = self.ty;
            let mut off = 0u64;
            let mut bit = None;
            let mut ok = true;
            for seg in name.split('.') {
                match find_field(types, ty, seg) {
                    Some((f, o)) if bit.is_none() => {
                        ty = f.ty;
                        off += o;
                        bit = f.bit;
                    }
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                return Ok(self.view(ty, off as usize, bit));
            }
        }
        let p = types.offset_of(self.ty, name)?;
        Ok(self.member(&p))
    }

    /// The member at a path resolved beforehand with [`Types::offset_of`]
    /// (for hot loops: no name lookup).
    pub fn member(&self, path: &FieldPath) -> CData {
        self.view(path.ty, path.offset as usize, path.bit)
    }

    /// Element `i` of an array object, checked against its length.
    pub fn index(&self, types: &Types, i: usize) -> Result<CData> {
        check_ty(types, self.ty)?;
        let elem = match types.kind(self.ty) {
            TypeKind::Array { elem, .. } if self.bit.is_none() => *elem,
            _ => {
                return Err(mem_err(
                    MemoryErrorKind::WrongType,
                    format!(
                        "`{}` is not an array (use offset for pointer arithmetic)",
                        types.display(self.ty)
                    ),
                ))
            }
        };
        let n = self.len(types).unwrap_or(0);
        if i >= n {
            return Err(mem_err(
                MemoryErrorKind::OutOfBounds,
                format!(
                    "index {i} is out of bounds for `{}` of length {n}",
                    types.display(self.ty)
                ),
            ));
        }
        let es = types.size_of(elem)? as usize;
        Ok(self.view(elem, i * es, None))
    }

    /// The object `n` objects of this type further on (C's `&p[n]`), which
    /// must stay within the known region (one past the end is allowed).
    pub fn offset(&self, types: &Types, n: isize) -> Result<CData> {
        check_ty(types, self.ty)?;
        if self.bit.is_some() {
            return Err(mem_err(
                MemoryErrorKind::WrongType,
                "pointer arithmetic on a bitfield".to_string(),
            ));
        }
        let es = types.size_of(self.ty)? as isize;
        let delta = n
            .checked_mul(es)
            .ok_or_else(|| mem_err(MemoryErrorKind::Size, format!("offset {n} overflows")))?;
        let target = (self.addr as isize).checked_add(delta);
        match target {
            Some(t) if t >= self.start as isize && t as usize <= self.region_end() => {
                Ok(self.view(self.ty, 0, None).with_addr(t as usize))
            }
            _ => Err(mem_err(
                MemoryErrorKind::OutOfBounds,
                format!("offset {n} of `{}` leaves the object's memory", types.display(self.ty)),
            )),
        }
    }

    fn with_addr(mut self, addr: usize) -> CData {
        self.addr = self.start.wrapping_add(addr - self.start as usize);
        self
    }

    /// The same memory viewed as type `ty` (C's `*(T *)&x`); the new type
    /// must fit in the known region.
    pub fn cast_view(&self, types: &Types, ty: TypeId) -> Result<CData> {
        check_ty(types, ty)?;
        if self.bit.is_some() {
            return Err(mem_err(
                MemoryErrorKind::WrongType,
                "cannot reinterpret a bitfield".to_string(),
            ));
        }
        let v = self.view(ty, 0, None);
        if !matches!(types.kind(ty), TypeKind::Array { len: None, .. }) {
            let need = types.size_of(ty)? as usize;
            v.span(0, need)?;
        }
        Ok(v)
    }

    /// A pointer to this object (`&x`), keeping its memory alive and
    /// remembering its region so it can be dereferenced safely.
    pub fn pointer(&self) -> Result<Ptr> {
        self.address()?;
        Ok(Ptr::derived(
            self.addr as usize,
            self.ty,
            self.owner.clone(),
            (self.start as usize, self.len),
        ))
    }

    /// A pointer to element 0 of an array object (the decayed array).
    pub fn decay(&self, types: &Types) -> Result<Ptr> {
        check_ty(types, self.ty)?;
        match types.kind(self.ty) {
            TypeKind::Array { elem, .. } => Ok(Ptr::derived(
                self.addr as usize,
                *elem,
                self.owner.clone(),
                (self.start as usize, self.len),
            )),
            _ => self.pointer(),
        }
    }

    // ----- values --------------------------------------------------------

    /// Reads the object: a scalar value, a pointer, or (for structs, unions
    /// and arrays) a `Value::CData` view of the same memory. Allocation-free
    /// for scalars and pointers.
    pub fn read(&self, types: &Types) -> Result<Value> {
        check_ty(types, self.ty)?;
        let target = types.target();
        if let Some(b) = self.bit {
            check_bitfield(b)?;
            let p = types.as_prim(self.ty).unwrap_or(Prim::Int);
            let n = bits::span_bytes(b);
            let mut buf = [0u8; MAX_SCALAR];
            self.load(n, &mut buf)?;
            return Ok(bits::read(p, target, &buf[..n], b));
        }
        match types.kind(self.ty) {
            TypeKind::Prim(Prim::Void) => Err(mem_err(
                MemoryErrorKind::WrongType,
                "cannot read a `void` object".to_string(),
            )),
            TypeKind::Prim(_) | TypeKind::Enum(_) | TypeKind::Pointer(_) => {
                let n = types.size_of(self.ty)? as usize;
                let mut buf = [0u8; MAX_SCALAR];
                self.load(n, &mut buf)?;
                scalar::decode_value(types, self.ty, &buf[..n])
            }
            TypeKind::Array { .. } | TypeKind::Record(_) | TypeKind::Vector { .. } => Ok(Value::CData(self.clone())),
            TypeKind::Func(_) => Err(mem_err(
                MemoryErrorKind::WrongType,
                format!("cannot read function `{}` as data", types.display(self.ty)),
            )),
        }
    }

    /// Reads the object recursively: structs become `Fields` (named members
    /// in order), arrays `List`s, scalars as with [`CData::read`].
    pub fn read_deep(&self, types: &Types) -> Result<Value> {
        match self.read(types)? {
            Value::CData(_) => {}
            v => return Ok(v),
        }
        if let TypeKind::Array { .. } = types.kind(self.ty) {
            let n = self.len(types).unwrap_or(0);
            let mut items = Vec::with_capacity(n);
            for i in 0..n {
                items.push(self.index(types, i)?.read_deep(types)?);
            }
            return Ok(Value::List(items));
        }
        if let TypeKind::Vector { elem, len } = *types.kind(self.ty) {
            // A GCC vector: its elements, as a list.
            let target = types.target();
            let es = elem.size_align(target).0 as usize;
            let mut items = Vec::with_capacity(len as usize);
            let mut buf = [0u8; MAX_SCALAR];
            for i in 0..len as usize {
                self.read_bytes(i * es, &mut buf[..es])?;
                items.push(scalar::decode(elem, target, &buf[..es]));
            }
            return Ok(Value::List(items));
        }
        let rec = types
            .record_of(self.ty)
            .ok_or_else(|| mem_err(MemoryErrorKind::WrongType, "not a record".to_string()))?;
        let mut out = Vec::new();
        for f in &rec.fields {
            let v = self.view(f.ty, f.offset as usize, f.bit);
            match &f.name {
                Some(n) => out.push((n.clone(), v.read_deep(types)?)),
                None if f.bit.is_none() => {
                    if let Value::Fields(inner) = v.read_deep(types)? {
                        out.extend(inner);
                    }
                }
                None => {}
            }
        }
        Ok(Value::Fields(out))
    }

    /// Reads member `name` (shorthand for `field(name)?.read()`).
    pub fn get(&self, types: &Types, name: &str) -> Result<Value> {
        self.field(types, name)?.read(types)
    }

    /// Writes member `name` (shorthand for `field(name)?.write(v)`).
    pub fn set(&self, types: &Types, name: &str, v: &Value) -> Result<()> {
        self.field(types, name)?.write(types, v)
    }

    /// Stores `v` into the object, with C initializer semantics and cffi's
    /// checks:
    /// * integers must be in range of the type (or bitfield width), floats
    ///   are not accepted for integers (use [`super::cast`]);
    /// * pointers take `Null`, a [`Ptr`] of a compatible type (same pointee,
    ///   or `void *` on either side), or a `CData` whose address is taken
    ///   (arrays decay); integers need an explicit cast;
    /// * structs/unions take a `List` (members in order; a union: its first
    ///   member), a `Fields` (designated members), or a `CData` of the same
    ///   type (byte copy); members not mentioned are zeroed, as in C;
    /// * arrays take a `List` (the rest zeroed), a `CData` of the same type,
    ///   and for character elements a `Str` / `WStr` (NUL added if it fits).
    ///
    /// An aggregate is zeroed before its initializer is stored, so an
    /// initializer must not contain views of the object it initializes.
    pub fn write(&self, types: &Types, v: &Value) -> Result<()> {
        check_ty(types, self.ty)?;
        let target = types.target();
        let tyname = || types.display(self.ty);
        if let Some(b) = self.bit {
            check_bitfield(b)?;
            let p = types.as_prim(self.ty).unwrap_or(Prim::Int);
            let e = scalar::enum_value(types, self.ty, v)?.map(Value::Int);
            let v = e.as_ref().unwrap_or(v);
            let n = bits::span_bytes(b);
            let mut buf = [0u8; MAX_SCALAR];
            self.load(n, &mut buf)?;
            bits::write(p, target, &mut buf[..n], b, v, &tyname)?;
            return self.store(&buf[..n]);
        }
        match types.kind(self.ty) {
            TypeKind::Prim(Prim::Void) => Err(convert_err(&tyname(), "cannot store into `void`".to_string())),
            TypeKind::Prim(_) | TypeKind::Enum(_) | TypeKind::Pointer(_) => {
                let mut buf = [0u8; MAX_SCALAR];
                let n = scalar::encode_value(types, self.ty, v, &mut buf)?;
                self.store(&buf[..n])
            }
            TypeKind::Record(_) | TypeKind::Array { .. } | TypeKind::Vector { .. } => {
                super::init::write_aggregate(self, types, v)
            }
            TypeKind::Func(_) => Err(convert_err(&tyname(), "cannot store into a function".to_string())),
        }
    }

    /// Sets every byte of the object to zero.
    pub fn zero(&self, types: &Types) -> Result<()> {
        if self.bit.is_some() {
            return self.write(types, &Value::Int(0));
        }
        let n = self.size(types)?;
        let p = self.span(0, n)?;
        // SAFETY: `span` checked the `n` bytes are inside the region.
        unsafe { std::ptr::write_bytes(p, 0, n) };
        Ok(())
    }

    // ----- raw bytes -----------------------------------------------------

    /// A copy of the object's bytes.
    pub fn to_bytes(&self, types: &Types) -> Result<Vec<u8>> {
        let n = self.size(types)?;
        let mut v = vec![0u8; n];
        self.load(n, &mut v)?;
        Ok(v)
    }

    /// Copies bytes out of the object, starting `offset` bytes into it
    /// (bounded by the known region).
    pub fn read_bytes(&self, offset: usize, out: &mut [u8]) -> Result<()> {
        let p = self.span(offset, out.len())?;
        // SAFETY: `span` checked the range; `out` is a distinct buffer.
        unsafe { std::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), out.len()) };
        Ok(())
    }

    /// Copies bytes into the object, starting `offset` bytes into it
    /// (bounded by the known region).
    pub fn write_bytes(&self, offset: usize, data: &[u8]) -> Result<()> {
        let p = self.span(offset, data.len())?;
        // SAFETY: `span` checked the range; `data` may alias the region only
        // through a raw view, so `copy` (memmove) is used.
        unsafe { std::ptr::copy(data.as_ptr(), p, data.len()) };
        Ok(())
    }

    /// Attaches a destructor (cffi's `gc`): returns a view of the same
    /// object whose last clone (or pointer derived from it) runs
    /// `destructor(address)` exactly once when dropped. The original view is
    /// unaffected and keeps the memory alive as before.
    pub fn gc(&self, destructor: impl FnOnce(usize) + Send + 'static) -> CData {
        let owner: Owner = Arc::new(GcOwner::new(
            self.addr as usize,
            Box::new(destructor),
            self.owner.clone(),
        ));
        let mut c = self.clone();
        c.owner = Some(owner);
        c
    }
}
