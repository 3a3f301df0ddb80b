//! `ffi.cast` and `ffi.new` as built-in methods of the Python `FFI` class
//! (method descriptors over native code, installed by [`_native_method`]):
//! the common cases run without a Python frame; everything else goes to the
//! Python layer's `_cast_slow` / `_new_slow`, which implement cffi's rules
//! and errors.

use crate::context::kind;
use crate::convert::{as_ctype, cast_named};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::PyString;

type RawArgs = *const *mut pyo3::ffi::PyObject;

fn interned<'py>(py: Python<'py>, cell: &'static GILOnceCell<Py<PyString>>, s: &str) -> &'py Bound<'py, PyString> {
    cell.get_or_init(py, || PyString::intern(py, s).unbind()).bind(py)
}

/// Calls `this.<slow>(*args, **kwargs)` with the method's own arguments.
///
/// # Safety
/// `args`, `nargs` and `kwnames` as CPython passed them to the method.
unsafe fn call_slow(
    py: Python<'_>,
    this: &Bound<'_, PyAny>,
    slow: &Bound<'_, PyString>,
    args: RawArgs,
    nargs: pyo3::ffi::Py_ssize_t,
    kwnames: *mut pyo3::ffi::PyObject,
) -> PyResult<*mut pyo3::ffi::PyObject> {
    let f = this.getattr(slow)?;
    // SAFETY: the caller's arguments, passed on as they came.
    let r = unsafe { pyo3::ffi::PyObject_Vectorcall(f.as_ptr(), args, nargs as usize, kwnames) };
    if r.is_null() {
        return Err(PyErr::fetch(py));
    }
    Ok(r)
}

static BY_NAME: GILOnceCell<Py<PyString>> = GILOnceCell::new();

/// Where instances of the Python `FFI` class keep `_by_name` (a
/// `__slots__` member): the class, its version tag when measured, and the
/// member's offset in the object.
struct SlotAt {
    tp: std::sync::atomic::AtomicPtr<pyo3::ffi::PyTypeObject>,
    tag: std::sync::atomic::AtomicU32,
    off: std::sync::atomic::AtomicIsize,
}

static BY_NAME_AT: SlotAt = SlotAt {
    tp: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
    tag: std::sync::atomic::AtomicU32::new(0),
    off: std::sync::atomic::AtomicIsize::new(0),
};

/// `this._by_name`, read straight from its `__slots__` member when the
/// class is the one measured and unchanged since (its version tag, which
/// CPython renews whenever a class or a base is modified); otherwise
/// through `getattr`, measuring the member for the next calls. A generic
/// attribute lookup (the class's MRO, the descriptor call) cost as much as
/// the rest of a cast.
fn by_name<'py>(py: Python<'py>, this: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    use std::sync::atomic::Ordering::Relaxed;
    let tp = this.get_type().as_type_ptr();
    // SAFETY: `tp` is a live type (of a live object); flags and tag are
    // plain fields read with the GIL held.
    let (valid, tag) = unsafe {
        (
            (*tp).tp_flags & pyo3::ffi::Py_TPFLAGS_VALID_VERSION_TAG != 0,
            (*tp).tp_version_tag,
        )
    };
    if valid && tag != 0 && BY_NAME_AT.tp.load(Relaxed) == tp && BY_NAME_AT.tag.load(Relaxed) == tag {
        let off = BY_NAME_AT.off.load(Relaxed);
        // SAFETY: the class is unchanged since the member was measured at
        // `off` (same type, same valid version tag), so every instance has
        // the object pointer (or NULL when unset) there; borrowed, so a new
        // reference is taken.
        let v = unsafe { *(this.as_ptr().cast::<u8>().offset(off) as *const *mut pyo3::ffi::PyObject) };
        if !v.is_null() {
            // SAFETY: a live object held by `this`'s slot; `from_borrowed_ptr` increfs.
            return Ok(unsafe { Bound::from_borrowed_ptr(py, v) });
        }
    }
    let name = interned(py, &BY_NAME, "_by_name");
    let v = this.getattr(name)?;
    // Measure the member for the next calls (after `getattr`, which gave
    // the class a valid version tag if it can have one).
    if let Ok(descr) = this.get_type().getattr(name) {
        // SAFETY: the type of a live object is compared with the member
        // descriptor type; `d_member` of a member descriptor is the
        // `PyMemberDef` it was made from (pyo3-ffi types the field as a
        // `PyGetSetDef`), valid while the class lives.
        unsafe {
            if pyo3::ffi::Py_TYPE(descr.as_ptr()) == std::ptr::addr_of_mut!(pyo3::ffi::PyMemberDescr_Type) {
                let d = descr.as_ptr() as *const pyo3::ffi::PyMemberDescrObject;
                let m = (*d).d_member as *const pyo3::ffi::PyMemberDef;
                let tag = (*tp).tp_version_tag;
                if (*m).type_code == pyo3::ffi::Py_T_OBJECT_EX
                    && (*tp).tp_flags & pyo3::ffi::Py_TPFLAGS_VALID_VERSION_TAG != 0
                    && tag != 0
                {
                    BY_NAME_AT.tp.store(std::ptr::null_mut(), Relaxed);
                    BY_NAME_AT.off.store((*m).offset, Relaxed);
                    BY_NAME_AT.tag.store(tag, Relaxed);
                    BY_NAME_AT.tp.store(tp, Relaxed);
                }
            }
        }
    }
    Ok(v)
}

/// `ffi.cast(cdecl, source)` as a method implemented here (see
/// [`_native_method`]): [`cast_named`] with the FFI's `_by_name`, else the
/// Python layer's `_cast_slow(cdecl, source)` (every other cast, errors).
///
/// # Safety
/// Called by CPython as a `METH_FASTCALL | METH_KEYWORDS` method: GIL
/// held, `slf` the FFI, `nargs` valid pointers at `args`, `kwnames` NULL or
/// a tuple of names (whose values follow the positional ones).
unsafe extern "C" fn ffi_cast_method(
    slf: *mut pyo3::ffi::PyObject,
    args: *const *mut pyo3::ffi::PyObject,
    nargs: pyo3::ffi::Py_ssize_t,
    kwnames: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    unsafe fn body(
        py: Python<'_>,
        slf: *mut pyo3::ffi::PyObject,
        args: *const *mut pyo3::ffi::PyObject,
        nargs: pyo3::ffi::Py_ssize_t,
        kwnames: *mut pyo3::ffi::PyObject,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        static SLOW: GILOnceCell<Py<PyString>> = GILOnceCell::new();
        // SAFETY: a borrowed reference valid for the call (method contract).
        let this = unsafe { Bound::from_borrowed_ptr(py, slf) };
        let n = pyo3::ffi::PyVectorcall_NARGS(nargs as usize) as usize;
        if kwnames.is_null() && n == 2 {
            // SAFETY: two valid borrowed references at `args` (contract).
            let (cdecl, source) = unsafe {
                (
                    Bound::from_borrowed_ptr(py, *args),
                    Bound::from_borrowed_ptr(py, *args.add(1)),
                )
            };
            let by_name = by_name(py, &this)?;
            let r = cast_named(py, &by_name, &cdecl, &source)?;
            if !r.is_none(py) {
                return Ok(r.into_ptr());
            }
        }
        if kwnames.is_null() && n != 2 {
            return Err(PyTypeError::new_err(format!(
                "cast() takes exactly 2 arguments ({n} given)"
            )));
        }
        let slow = this.getattr(
            SLOW.get_or_init(py, || pyo3::types::PyString::intern(py, "_cast_slow").unbind())
                .bind(py),
        )?;
        // SAFETY: the caller's arguments, passed on as they came.
        let r = unsafe { pyo3::ffi::PyObject_Vectorcall(slow.as_ptr(), args, nargs as usize, kwnames) };
        if r.is_null() {
            return Err(PyErr::fetch(py));
        }
        Ok(r)
    }
    // SAFETY: CPython calls methods with the GIL held; `body`'s contract is
    // this function's.
    unsafe { crate::slots::raw_entry(|py| body(py, slf, args, nargs, kwnames)) }
}

/// `ffi.new(cdecl, init=None)` as a method (see [`_native_method`]): a
/// known type string or a ctype, for `T *` of a sized `T` (no initializer,
/// a plain number or bytes for a primitive, a list/tuple/dict that
/// `write_init` stores whole) and `T[n]` without initializer; else the
/// Python layer's `_new_slow(cdecl, init)`.
///
/// # Safety
/// As for `ffi_cast_method`.
unsafe extern "C" fn ffi_new_method(
    slf: *mut pyo3::ffi::PyObject,
    args: RawArgs,
    nargs: pyo3::ffi::Py_ssize_t,
    kwnames: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    unsafe fn body(
        py: Python<'_>,
        slf: *mut pyo3::ffi::PyObject,
        args: RawArgs,
        nargs: pyo3::ffi::Py_ssize_t,
        kwnames: *mut pyo3::ffi::PyObject,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        static SLOW: GILOnceCell<Py<PyString>> = GILOnceCell::new();
        // SAFETY: a borrowed reference valid for the call (method contract).
        let this = unsafe { Bound::from_borrowed_ptr(py, slf) };
        let n = pyo3::ffi::PyVectorcall_NARGS(nargs as usize) as usize;
        if kwnames.is_null() && (n == 1 || n == 2) {
            // SAFETY: `n` valid borrowed references at `args` (contract).
            let cdecl = unsafe { Bound::from_borrowed_ptr(py, *args) };
            // SAFETY: as above (`n == 2`).
            let init = (n == 2).then(|| unsafe { Bound::from_borrowed_ptr(py, *args.add(1)) });
            let init = init.filter(|v| !v.is_none());
            if let Some(r) = new_fast(py, &this, &cdecl, init.as_ref())? {
                return Ok(r.into_ptr());
            }
        }
        // SAFETY: the method's own arguments.
        unsafe { call_slow(py, &this, interned(py, &SLOW, "_new_slow"), args, nargs, kwnames) }
    }
    // SAFETY: CPython calls methods with the GIL held; `body`'s contract is
    // this function's.
    unsafe { crate::slots::raw_entry(|py| body(py, slf, args, nargs, kwnames)) }
}

/// The cases `ffi_new_method` makes itself; `None`: the Python path.
fn new_fast(
    py: Python<'_>,
    this: &Bound<'_, PyAny>,
    cdecl: &Bound<'_, PyAny>,
    init: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<PyObject>> {
    let ct = if cdecl.is_exact_instance_of::<PyString>() {
        let by_name = by_name(py, this)?;
        let Ok(d) = by_name.downcast_exact::<pyo3::types::PyDict>() else {
            return Ok(None);
        };
        match pyo3::types::PyDictMethods::get_item(d, cdecl)? {
            Some(ct) => ct,
            None => return Ok(None),
        }
    } else {
        cdecl.clone()
    };
    let Some(ct) = as_ctype(&ct) else {
        return Ok(None);
    };
    let (k, size, length, item) = {
        // SAFETY: plain fields are copied and the item ctype cloned (an
        // incref); no Python code runs meanwhile.
        let c = unsafe { crate::peek::peek(ct) };
        (c.kind, c.size, c.length, c.item_ct.as_ref().map(|i| i.clone_ref(py)))
    };
    let Some(item) = item else { return Ok(None) };
    let item = item.bind(py);
    let (ik, isize_, ialign, icode, iwchar) = {
        // SAFETY: plain fields are copied; no Python code runs meanwhile.
        let c = unsafe { crate::peek::peek(item) };
        (c.kind, c.size, c.align, c.code, c.wchar)
    };
    if isize_ < 0 || ialign <= 0 {
        return Ok(None);
    }
    let (isize_, ialign) = (isize_ as usize, ialign as usize);
    match (k, init) {
        (kind::POINTER, None) => Ok(Some(crate::convert::new_owned(
            py,
            ct,
            isize_,
            ialign,
            -1,
            isize_ as i64,
            0,
            None,
        )?)),
        (kind::POINTER, Some(v)) => {
            let plain = v.is_exact_instance_of::<pyo3::types::PyInt>()
                || v.is_exact_instance_of::<pyo3::types::PyFloat>()
                || v.is_exact_instance_of::<pyo3::types::PyBytes>();
            if ik == kind::PRIMITIVE && !iwchar && plain {
                return Ok(Some(crate::convert::new_owned(
                    py,
                    ct,
                    isize_,
                    ialign,
                    -1,
                    isize_ as i64,
                    icode,
                    Some(v),
                )?));
            }
            let aggregate = v.is_exact_instance_of::<pyo3::types::PyDict>()
                || v.is_exact_instance_of::<pyo3::types::PyList>()
                || v.is_exact_instance_of::<pyo3::types::PyTuple>();
            if !aggregate {
                return Ok(None);
            }
            let cd = crate::convert::new_owned(py, ct, isize_, ialign, -1, isize_ as i64, 0, None)?;
            let addr = crate::convert::as_cdata(cd.bind(py)).map(|c| {
                // SAFETY: a plain field of the object just made.
                unsafe { crate::peek::peek(c) }._addr
            });
            let Some(addr) = addr else { return Ok(None) };
            if crate::access::write_init(py, item.as_unbound(), addr, v, -1)? {
                return Ok(Some(cd));
            }
            Ok(None)
        }
        (kind::ARRAY, None) if length >= 0 && size >= 0 => Ok(Some(crate::convert::new_owned(
            py,
            ct,
            size as usize,
            ialign,
            -1,
            size,
            0,
            None,
        )?)),
        _ => Ok(None),
    }
}

/// `_native_method(cls, name)`: a method descriptor for `cls.<name>`
/// (`"cast"` or `"new"`) over this module's code: a built-in method, so a
/// call makes no Python frame.
#[pyfunction]
pub fn _native_method(py: Python<'_>, cls: &Bound<'_, pyo3::types::PyType>, name: &str) -> PyResult<PyObject> {
    let (ml_name, meth, doc): (
        &'static std::ffi::CStr,
        pyo3::ffi::PyCFunctionFastWithKeywords,
        &'static std::ffi::CStr,
    ) = match name {
        "cast" => (
            c"cast",
            ffi_cast_method,
            c"cast(cdecl, source): C cast of a number or cdata to ``cdecl``.",
        ),
        "new" => (
            c"new",
            ffi_new_method,
            c"new(cdecl, init=None): a new zero-initialized C object owned by Python (``T *`` or ``T[n]``).",
        ),
        _ => return Err(PyTypeError::new_err(format!("no native method {name:?}"))),
    };
    let def = Box::leak(Box::new(pyo3::ffi::PyMethodDef {
        ml_name: ml_name.as_ptr(),
        ml_meth: pyo3::ffi::PyMethodDefPointer {
            PyCFunctionFastWithKeywords: meth,
        },
        ml_flags: pyo3::ffi::METH_FASTCALL | pyo3::ffi::METH_KEYWORDS,
        ml_doc: doc.as_ptr(),
    }));
    // SAFETY: `cls` is a live type; `def` lives for the rest of the process.
    let d = unsafe { pyo3::ffi::PyDescr_NewMethod(cls.as_type_ptr(), def) };
    if d.is_null() {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: a new reference.
    Ok(unsafe { PyObject::from_owned_ptr(py, d) })
}
