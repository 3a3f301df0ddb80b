//! `Value` ↔ argument and return bytes for the convenient API, with cffi's
//! conversions and checks.

use crate::error::{Error, Result};
use crate::memory::{decode_value, encode_value, CData, MAX_SCALAR};
use crate::types::{Prim, TypeId, TypeKind, Types};
use crate::value::Value;
use std::ffi::c_void;

/// One scalar argument's bytes, aligned for any scalar.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub(crate) struct Slot(pub [u8; MAX_SCALAR]);

/// Owned, 16-aligned bytes.
pub(crate) struct Bytes {
    words: Vec<u128>,
    len: usize,
}

impl Bytes {
    pub(crate) fn zeroed(len: usize) -> Bytes {
        Bytes {
            words: vec![0; len.div_ceil(16).max(1)],
            len,
        }
    }
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        self.words.as_mut_ptr() as *mut u8
    }
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr() as *const u8, self.len) }
    }
}

/// Everything one call's converted arguments need to stay alive.
#[derive(Default)]
pub(crate) struct ArgStore {
    slots: Vec<Slot>,
    objects: Vec<CData>,
    /// Temporary buffers that pointer arguments point into.
    buffers: Vec<Bytes>,
    /// (kind, index) per argument: where its bytes are.
    at: Vec<(u8, usize)>,
}

const IN_SLOT: u8 = 0;
const IN_OBJECT: u8 = 1;

fn arg_err(i: usize, types: &Types, ty: TypeId, msg: String) -> Error {
    Error::Argument {
        function: String::new(),
        index: i + 1,
        message: format!("cannot convert to `{}`: {msg}", types.display(ty)),
    }
}

impl ArgStore {
    /// Converts argument `i` of type `ty` from `v`.
    pub(crate) fn push(&mut self, types: &Types, i: usize, ty: TypeId, v: &Value) -> Result<()> {
        match types.kind(ty) {
            // A GCC vector crosses by value as its bytes, like a struct.
            TypeKind::Record(_) | TypeKind::Vector { .. } => self.push_aggregate(types, i, ty, v),
            TypeKind::Pointer(pointee) => {
                let pointee = *pointee;
                match v {
                    Value::Str(bytes) if is_byte_like(types, pointee) => {
                        let mut b = Bytes::zeroed(bytes.len() + 1);
                        // SAFETY: `b` has `bytes.len() + 1` bytes.
                        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), b.as_mut_ptr(), bytes.len()) };
                        self.push_pointer_to_buffer(b);
                        Ok(())
                    }
                    Value::List(items) if !matches!(types.kind(pointee), TypeKind::Prim(Prim::Void)) => {
                        // cffi: a list for a `T *` parameter is a temporary array.
                        let es = types
                            .size_of(pointee)
                            .map_err(|e| arg_err(i, types, ty, inner_msg(e)))?
                            as usize;
                        let mut b = Bytes::zeroed(es * items.len());
                        for (k, item) in items.iter().enumerate() {
                            // SAFETY: element `k` lies inside `b`, which lives
                            // until the view is dropped below.
                            let view = unsafe { CData::from_raw(pointee, b.as_mut_ptr().add(k * es), es, None) };
                            view.write(types, item)
                                .map_err(|e| arg_err(i, types, ty, format!("element {k}: {}", e.message())))?;
                        }
                        self.push_pointer_to_buffer(b);
                        Ok(())
                    }
                    Value::CData(cd) if matches!(types.kind(cd.ty()), TypeKind::Array { .. }) => {
                        let p = cd.decay(types).map_err(|e| arg_err(i, types, ty, inner_msg(e)))?;
                        self.push_scalar(types, i, ty, &Value::Pointer(p))?;
                        self.objects.push(cd.clone());
                        Ok(())
                    }
                    _ => self.push_scalar(types, i, ty, v),
                }
            }
            TypeKind::Array { .. } | TypeKind::Func(_) => Err(arg_err(
                i,
                types,
                ty,
                "arrays and functions are passed as pointers: declare the parameter as a pointer".into(),
            )),
            _ => self.push_scalar(types, i, ty, v),
        }
    }

    fn push_pointer_to_buffer(&mut self, mut b: Bytes) {
        let addr = b.as_mut_ptr() as usize as u64;
        let mut s = Slot([0; MAX_SCALAR]);
        s.0[..8].copy_from_slice(&addr.to_le_bytes());
        self.buffers.push(b);
        self.at.push((IN_SLOT, self.slots.len()));
        self.slots.push(s);
    }

    fn push_scalar(&mut self, types: &Types, i: usize, ty: TypeId, v: &Value) -> Result<()> {
        let mut s = Slot([0; MAX_SCALAR]);
        encode_value(types, ty, v, &mut s.0).map_err(|e| arg_err(i, types, ty, inner_msg(e)))?;
        self.at.push((IN_SLOT, self.slots.len()));
        self.slots.push(s);
        Ok(())
    }

    fn push_aggregate(&mut self, types: &Types, i: usize, ty: TypeId, v: &Value) -> Result<()> {
        match v {
            Value::Null => Err(arg_err(
                i,
                types,
                ty,
                "NULL given where a struct/union is passed by value".into(),
            )),
            Value::CData(cd) => {
                let same = same_type(types, cd.ty(), ty);
                if !same {
                    return Err(arg_err(
                        i,
                        types,
                        ty,
                        format!(
                            "expected `{}`, got a C object of type `{}`",
                            types.display(ty),
                            types.display(cd.ty())
                        ),
                    ));
                }
                cd.address().map_err(|e| arg_err(i, types, ty, inner_msg(e)))?;
                self.at.push((IN_OBJECT, self.objects.len()));
                self.objects.push(cd.clone());
                Ok(())
            }
            _ => {
                let cd = CData::new(types, ty, Some(v)).map_err(|e| arg_err(i, types, ty, inner_msg(e)))?;
                self.at.push((IN_OBJECT, self.objects.len()));
                self.objects.push(cd);
                Ok(())
            }
        }
    }

    /// Pointers to each argument's bytes, in order.
    pub(crate) fn pointers(&mut self) -> Result<Vec<*const c_void>> {
        let mut out = Vec::with_capacity(self.at.len());
        for &(k, idx) in &self.at {
            out.push(match k {
                IN_SLOT => self.slots[idx].0.as_ptr() as *const c_void,
                IN_OBJECT => self.objects[idx].address()? as *const c_void,
                _ => unreachable!("argument store kind"),
            });
        }
        Ok(out)
    }
}

/// The message of a conversion error without its "cannot convert to" prefix.
fn inner_msg(e: Error) -> String {
    match e {
        Error::Convert { message, .. } => message,
        other => other.message(),
    }
}

fn is_byte_like(types: &Types, t: TypeId) -> bool {
    match types.kind(t) {
        TypeKind::Prim(Prim::Void) => true,
        _ => types
            .as_prim(t)
            .is_some_and(|p| p.is_integer() && p.size_align(types.target()).0 == 1),
    }
}

/// Same type up to qualifiers and typedef aliases (`size_t` is `unsigned long`).
pub(crate) fn same_type(types: &Types, a: TypeId, b: TypeId) -> bool {
    a == b || types.same_kind_modulo_alias(a, b)
}

/// The value of `ty` stored in `bytes` (a copy for aggregates).
pub(crate) fn read_value(types: &Types, ty: TypeId, bytes: &[u8]) -> Result<Value> {
    match types.kind(ty) {
        TypeKind::Prim(Prim::Void) => Ok(Value::Null),
        TypeKind::Record(_) | TypeKind::Array { .. } | TypeKind::Vector { .. } => {
            let cd = CData::new(types, ty, None)?;
            cd.write_bytes(0, bytes)?;
            Ok(Value::CData(cd))
        }
        _ => decode_value(types, ty, bytes),
    }
}

/// Writes `v` as a value of `ty` into `out` (which has `sizeof(ty)` bytes).
pub(crate) fn write_value(types: &Types, ty: TypeId, v: &Value, out: &mut [u8]) -> Result<()> {
    match types.kind(ty) {
        TypeKind::Prim(Prim::Void) => Ok(()),
        TypeKind::Record(_) | TypeKind::Vector { .. } => {
            let bytes = match v {
                Value::CData(cd) if same_type(types, cd.ty(), ty) => cd.to_bytes(types)?,
                Value::Null => {
                    return Err(Error::Convert {
                        ty: types.display(ty),
                        message: "NULL given where a struct/union is returned by value".into(),
                    })
                }
                _ => CData::new(types, ty, Some(v))?.to_bytes(types)?,
            };
            let n = out.len().min(bytes.len());
            out[..n].copy_from_slice(&bytes[..n]);
            Ok(())
        }
        _ => {
            let mut s = Slot([0; MAX_SCALAR]);
            let n = encode_value(types, ty, v, &mut s.0)?;
            let n = n.min(out.len());
            out[..n].copy_from_slice(&s.0[..n]);
            Ok(())
        }
    }
}

/// The C type a variadic argument gets from its value when no type is given
/// (after the default promotions): `int` (or `long` / `unsigned long` when
/// it does not fit), `double`, `long double`, `char *` for strings, `void *`
/// for NULL, a C object's own type (arrays decay).
pub(crate) fn infer_variadic(types: &mut Types, i: usize, v: &Value) -> Result<TypeId> {
    let p = |t: &mut Types, p: Prim| t.prim(p);
    Ok(match v {
        Value::Bool(_) => p(types, Prim::Int),
        Value::Int(x) if i32::try_from(*x).is_ok() => p(types, Prim::Int),
        Value::Int(x) if i64::try_from(*x).is_ok() => p(types, Prim::Long),
        Value::Int(x) if u64::try_from(*x).is_ok() => p(types, Prim::ULong),
        Value::Float(_) => p(types, Prim::Double),
        Value::LongDouble(_) => p(types, Prim::LongDouble),
        Value::Complex(..) => p(types, Prim::DoubleComplex),
        Value::Str(_) => {
            let c = p(types, Prim::Char);
            types.pointer(c)
        }
        Value::Null => {
            let v = p(types, Prim::Void);
            types.pointer(v)
        }
        Value::Pointer(ptr) => types.pointer(ptr.pointee()),
        Value::CData(cd) => match types.kind(cd.ty()).clone() {
            TypeKind::Array { elem, .. } => types.pointer(elem),
            _ => cd.ty(),
        },
        other => {
            return Err(Error::Convert {
                ty: format!("variadic argument {i}"),
                message: format!(
                    "cannot infer a C type for {} in the variadic part: give the types explicitly",
                    other.kind_name()
                ),
            })
        }
    })
}
