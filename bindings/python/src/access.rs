//! The fast path of cdata member and element access (`p.x`, `p.x = v`,
//! `a[i]`, `a[i] = v`, `len(a)`): scalars, pointers and nested aggregates
//! are read and written here without entering Python code. Everything else
//! (bitfields, flexible arrays, wide chars, slices, conversions from other
//! cdata, every error) goes to the Python layer's `_*_slow` methods, which
//! implement cffi's full rules and messages.

use crate::context::{kind, CDataBase, CTypeBase};
use crate::convert;
use crate::peek::peek;
use crate::scalar::{self, Code};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyString};

/// Reads a value of `ct` at `addr` (numbers for scalars, cdata for
/// pointers and aggregates — aggregates kept alive by `owner`); `None` when
/// the Python path must do it.
///
/// The caller has checked that `addr` is inside the object (or, for raw
/// pointers, takes cffi's responsibility for it).
pub fn read(py: Python<'_>, ct: &Py<CTypeBase>, addr: usize, owner: &Bound<'_, PyAny>) -> PyResult<Option<PyObject>> {
    let (k, code, wchar, length) = {
        // SAFETY: plain fields are copied out; no Python code runs meanwhile.
        let c = unsafe { peek(ct.bind(py)) };
        (c.kind, c.code, c.wchar, c.length)
    };
    if addr < 4096 {
        return Ok(None);
    }
    match k {
        kind::PRIMITIVE | kind::ENUM if !wchar => {
            let code = Code::from_u8(code);
            if code == Code::None || code == Code::LongDouble {
                // long double: a cdata copy (full precision), Python path
                return Ok(None);
            }
            let n = scalar::code_size(code);
            let mut b = [0u8; 16];
            // SAFETY: see the function's contract.
            unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, b.as_mut_ptr(), n) };
            Ok(Some(scalar::decode(py, code, &b[..n.max(1)])?))
        }
        kind::POINTER => {
            // SAFETY: the caller checked that a pointer's 8 bytes at `addr` are
            // inside the object (or took cffi's responsibility for a raw address).
            let v = unsafe { (addr as *const usize).read_unaligned() };
            Ok(Some(convert::make_cdata(py, ct, v)?))
        }
        kind::STRUCT | kind::UNION => Ok(Some(make_view(py, ct, addr, owner)?)),
        kind::ARRAY if length >= 0 => Ok(Some(make_view(py, ct, addr, owner)?)),
        _ => Ok(None),
    }
}

fn make_view(py: Python<'_>, ct: &Py<CTypeBase>, addr: usize, owner: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    convert::new_cdata(py, ct, addr, Some(owner.clone().unbind()), 0)
}

/// Writes `v` as a `ct` at `addr` when it is a plain number / bytes for a
/// scalar or a compatible cdata pointer for a pointer; `false` when the
/// Python path must do it (other cdata, enum names, aggregates, ...).
pub fn write(py: Python<'_>, ct: &Py<CTypeBase>, addr: usize, v: &Bound<'_, PyAny>) -> PyResult<bool> {
    // SAFETY: a copy of the plain fields (conversions below may run Python
    // code: `__index__`, `__float__`).
    let c = unsafe { peek(ct.bind(py)) }.facts();
    if addr < 4096 {
        return Ok(false);
    }
    match c.kind {
        kind::PRIMITIVE | kind::ENUM if !c.wchar => {
            let code = Code::from_u8(c.code);
            let plain = v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() || v.is_instance_of::<PyBytes>();
            if code == Code::None || !plain {
                return Ok(false);
            }
            let mut b = [0u8; 16];
            scalar::encode(code, v, &mut b)?;
            // SAFETY: see `read`.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), addr as *mut u8, scalar::code_size(code)) };
            Ok(true)
        }
        kind::POINTER => {
            let Ok(cd) = v.downcast::<CDataBase>() else {
                return Ok(false);
            };
            // SAFETY: a copy of plain fields; no Python code runs meanwhile.
            let cd = unsafe { peek(cd) }.facts();
            let compatible = (cd.kind == kind::POINTER || cd.kind == kind::ARRAY)
                && (cd.item_id == c.item_id || c.item_kind == kind::VOID as i64 || cd.item_kind == kind::VOID as i64);
            if !compatible {
                return Ok(false);
            }
            // SAFETY: see `read`.
            unsafe { (addr as *mut usize).write_unaligned(cd._addr) };
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The record type and base address for member access on `cd` (a struct
/// or union, or a non-NULL pointer to one).
///
/// The record ctype comes as a pointer without a reference of its own: it
/// is `cd`'s ctype, or that ctype's `item_ct` (set once, when the ctype is
/// made), so it lives as long as `cd`.
fn record_of(py: Python<'_>, cd: &CDataBase) -> Option<(*mut pyo3::ffi::PyObject, usize)> {
    match cd.kind {
        kind::STRUCT | kind::UNION => Some((cd._ctype.as_ptr(), cd._addr)),
        kind::POINTER if cd.item_kind == kind::STRUCT as i64 || cd.item_kind == kind::UNION as i64 => {
            if cd._addr == 0 {
                return None;
            }
            // SAFETY: a plain field is read; no Python code runs.
            let item = unsafe { peek(cd._ctype.bind(py)) }
                .item_ct
                .as_ref()
                .map(|i| i.as_ptr())?;
            Some((item, cd._addr))
        }
        _ => None,
    }
}

/// The member `name` of `slf`: `(offset-applied address, member CType)`, or
/// `None` for the Python path. Makes the Python layer build the member
/// table on first use.
fn member(slf: &Bound<'_, CDataBase>, name: &Bound<'_, PyString>) -> PyResult<Option<(usize, Py<CTypeBase>)>> {
    let py = slf.py();
    // SAFETY: `record_of` reads plain fields; no Python code runs.
    let Some((rec, base)) = record_of(py, unsafe { peek(slf) }) else {
        return Ok(None);
    };
    // SAFETY: a live ctype that `slf` keeps alive for the call (see `record_of`).
    let rec = unsafe { pyo3::Borrowed::from_ptr(py, rec) };
    // SAFETY: `record_of` gives a `CTypeBase`.
    let rec = unsafe { rec.downcast_unchecked::<CTypeBase>() };
    // SAFETY: a plain field is read.
    if unsafe { peek(rec) }.size < 0 {
        // opaque or incomplete: no members (internal attributes still
        // work; the Python path raises cffi's error for anything else)
        return Ok(None);
    }
    // SAFETY: a plain field is read.
    if unsafe { peek(rec) }.fields.is_none() {
        rec.call_method0("_fields")?;
    }
    // SAFETY: the member table is only read (a string lookup, an incref);
    // no Python code runs while `r` is used.
    let r = unsafe { peek(rec) };
    let Some(fields) = r.fields.as_ref() else {
        return Ok(None);
    };
    let key = name.to_str()?;
    Ok(match fields.get(key) {
        Some(f) if !f.slow => Some((base + f.offset, f.ctype.clone_ref(py))),
        _ => None,
    })
}

/// `getattr(cdata, name)`: members first (for structs, unions and pointers
/// to them), then the class's attributes, then the Python path (which
/// raises cffi's `AttributeError`).
pub fn getattr(slf: &Bound<'_, CDataBase>, name: &Bound<'_, PyString>) -> PyResult<PyObject> {
    let py = slf.py();
    if let Some((addr, ct)) = member(slf, name)? {
        if let Some(v) = read(py, &ct, addr, slf.as_any())? {
            return Ok(v);
        }
        return Ok(slf.call_method1("_getattr_slow", (name,))?.unbind());
    }
    // SAFETY: generic attribute lookup on a live object with a str name.
    let r = unsafe { pyo3::ffi::PyObject_GenericGetAttr(slf.as_ptr(), name.as_ptr()) };
    if !r.is_null() {
        // SAFETY: a new reference returned by the call above.
        return Ok(unsafe { PyObject::from_owned_ptr(py, r) });
    }
    let err = PyErr::fetch(py);
    if err.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) && !name.to_str()?.starts_with("__") {
        return Ok(slf.call_method1("_getattr_slow", (name,))?.unbind());
    }
    Err(err)
}

/// `setattr(cdata, name, value)`.
pub fn setattr(slf: &Bound<'_, CDataBase>, name: &Bound<'_, PyString>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = slf.py();
    if let Some((addr, ct)) = member(slf, name)? {
        if write(py, &ct, addr, value)? {
            return Ok(());
        }
        slf.call_method1("_setattr_slow", (name, value))?;
        return Ok(());
    }
    let is_member = record_of(py, &slf.borrow()).is_some();
    let internal = matches!(name.to_str()?, "_addr" | "_owner" | "_length" | "_owned");
    if is_member && !internal {
        slf.call_method1("_setattr_slow", (name, value))?;
        return Ok(());
    }
    // SAFETY: generic attribute assignment on a live object.
    let rc = unsafe { pyo3::ffi::PyObject_GenericSetAttr(slf.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if rc != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(())
}

/// Element `i` of an array or pointer: `(address, item CType)` when in
/// bounds and handled here.
fn element(
    py: Python<'_>,
    cd: &CDataBase,
    key: &Bound<'_, PyAny>,
) -> PyResult<Option<(usize, *mut pyo3::ffi::PyObject)>> {
    if cd.kind != kind::ARRAY && cd.kind != kind::POINTER {
        return Ok(None);
    }
    let Ok(i) = key.downcast::<PyInt>() else {
        return Ok(None);
    };
    let Ok(i) = i.extract::<isize>() else { return Ok(None) };
    // SAFETY: plain fields are read and the item ctype cloned; no Python
    // code runs while `ct` is used.
    let ct = unsafe { peek(cd._ctype.bind(py)) };
    let Some(item) = ct.item_ct.as_ref() else {
        return Ok(None);
    };
    if ct.item_size <= 0 {
        return Ok(None);
    }
    if cd.kind == kind::ARRAY {
        let n = if cd._length >= 0 { cd._length } else { ct.length };
        if i < 0 || (i as i64) >= n {
            return Ok(None);
        }
    } else if cd._addr == 0
        || ct.item_kind == kind::VOID as i64
        || ct.item_kind == kind::FUNCTION as i64
        || (cd._owned > 0 && i != 0)
    {
        // (an owning pointer from ffi.new can only be indexed by 0, as in cffi)
        return Ok(None);
    }
    let addr = (cd._addr as isize).wrapping_add(i.wrapping_mul(ct.item_size as isize)) as usize;
    // the item ctype's pointer, not a new reference: `item_ct` is set once,
    // when the ctype is made, and the ctype (kept by `cd`) keeps it
    Ok(Some((addr, item.as_ptr())))
}

/// `cdata[key]`.
pub fn getitem(slf: &Bound<'_, CDataBase>, key: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    let py = slf.py();
    let el = {
        // SAFETY: `element` reads plain fields and clones; converting an
        // `int` key runs no Python code.
        let cd = unsafe { peek(slf) };
        // p[0] of an owning pointer to a struct is the owning struct (cffi).
        let owning_struct = cd.kind == kind::POINTER
            && cd._owned > 0
            && (cd.item_kind == kind::STRUCT as i64 || cd.item_kind == kind::UNION as i64);
        if owning_struct {
            None
        } else {
            element(py, cd, key)?
        }
    };
    if let Some((addr, item)) = el {
        // SAFETY: `item` is a live ctype kept alive by `slf`'s ctype for the
        // whole call (see `element`).
        let item = unsafe { pyo3::Borrowed::from_ptr(py, item) };
        // SAFETY: `item_ct` holds a `CTypeBase` (see `CTypeBase::_set_info`).
        let item = unsafe { item.downcast_unchecked::<CTypeBase>() };
        if let Some(v) = read(py, item.as_unbound(), addr, slf.as_any())? {
            return Ok(v);
        }
    }
    Ok(slf.call_method1("_getitem_slow", (key,))?.unbind())
}

/// `cdata[key] = value`.
pub fn setitem(slf: &Bound<'_, CDataBase>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let py = slf.py();
    // SAFETY: as in `getitem`.
    let el = element(py, unsafe { peek(slf) }, key)?;
    if let Some((addr, item)) = el {
        // SAFETY: as in `getitem`.
        let item = unsafe { pyo3::Borrowed::from_ptr(py, item) };
        // SAFETY: `item_ct` holds a `CTypeBase` (see `CTypeBase::_set_info`).
        let item = unsafe { item.downcast_unchecked::<CTypeBase>() };
        if write(py, item.as_unbound(), addr, value)? {
            return Ok(());
        }
    }
    slf.call_method1("_setitem_slow", (key, value))?;
    Ok(())
}

/// `len(cdata)` for arrays (others: the Python path raises cffi's TypeError).
pub fn len(slf: &Bound<'_, CDataBase>) -> PyResult<usize> {
    let py = slf.py();
    {
        // SAFETY: plain fields are read; no Python code runs.
        let cd = unsafe { peek(slf) };
        if cd.kind == kind::ARRAY {
            let n = if cd._length >= 0 {
                cd._length
            } else {
                // SAFETY: as above.
                unsafe { peek(cd._ctype.bind(py)) }.length
            };
            if n >= 0 {
                return Ok(n as usize);
            }
        }
    }
    slf.call_method0("_len")?.extract()
}

/// Stores an initializer (`ffi.new(..., init)`, member assignment) when
/// every part of it is handled natively: numbers/bytes for scalars, cdata
/// for pointers, lists/tuples for arrays and structs, dicts for structs —
/// recursively. Returns `false` (possibly after writing a prefix, which the
/// Python path then rewrites in full) for anything else, including every
/// error case, so that the Python path raises cffi's exceptions.
pub fn write_init(py: Python<'_>, ct: &Py<CTypeBase>, addr: usize, v: &Bound<'_, PyAny>, n: i64) -> PyResult<bool> {
    let (k, item, item_size, length) = {
        let c = ct.bind(py).borrow();
        (
            c.kind,
            c.item_ct.as_ref().map(|i| i.clone_ref(py)),
            c.item_size,
            c.length,
        )
    };
    match k {
        kind::ARRAY => {
            let Some(item) = item else { return Ok(false) };
            let n = if n >= 0 { n } else { length };
            if item_size <= 0 || n < 0 {
                return Ok(false);
            }
            let seq = if let Ok(l) = v.downcast::<pyo3::types::PyList>() {
                l.as_sequence().clone()
            } else if let Ok(t) = v.downcast::<pyo3::types::PyTuple>() {
                t.as_sequence().clone()
            } else {
                return Ok(false);
            };
            let len = seq.len()?;
            if len as i64 > n {
                return Ok(false);
            }
            for i in 0..len {
                let e = seq.get_item(i)?;
                if !write_init(py, &item, addr + i * item_size as usize, &e, -1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        kind::STRUCT | kind::UNION => {
            let rec = ct.bind(py);
            if rec.borrow().fields.is_none() {
                rec.call_method0("_fields")?;
            }
            if let Ok(d) = v.downcast::<pyo3::types::PyDict>() {
                let r = rec.borrow();
                let Some(fields) = r.fields.as_ref() else {
                    return Ok(false);
                };
                for (name, val) in d.iter() {
                    let Ok(name) = name.downcast::<PyString>() else {
                        return Ok(false);
                    };
                    let Some(f) = fields.get(name.to_str()?) else {
                        return Ok(false);
                    };
                    if f.slow || !write_init(py, &f.ctype, addr + f.offset, &val, -1)? {
                        return Ok(false);
                    }
                }
                return Ok(true);
            }
            let seq = if let Ok(l) = v.downcast::<pyo3::types::PyList>() {
                l.as_sequence().clone()
            } else if let Ok(t) = v.downcast::<pyo3::types::PyTuple>() {
                t.as_sequence().clone()
            } else {
                return Ok(false);
            };
            let r = rec.borrow();
            let Some(fields) = r.fields.as_ref() else {
                return Ok(false);
            };
            let len = seq.len()?;
            if len > r.order.len() || (k == kind::UNION && len > 1) {
                return Ok(false);
            }
            for (i, name) in r.order.iter().take(len).enumerate() {
                let Some(f) = fields.get(name) else { return Ok(false) };
                if f.slow || !write_init(py, &f.ctype, addr + f.offset, &seq.get_item(i)?, -1)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => {
            if v.is_instance_of::<pyo3::types::PyList>() || v.is_instance_of::<pyo3::types::PyTuple>() {
                return Ok(false);
            }
            // Scalars and pointers; conversion errors go to the Python path.
            match write(py, ct, addr, v) {
                Ok(done) => Ok(done),
                Err(_) => Ok(false),
            }
        }
    }
}
