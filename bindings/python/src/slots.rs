//! Raw type slots for the read paths of cdata (`cdata[key]`, `cdata.name`):
//! the same code as `CDataBase`'s `__getitem__` / `__getattribute__`, entered
//! without PyO3's check that `self` is a `CDataBase` (a walk of the class's
//! MRO on every access), which the installation below makes true.

use crate::context::CDataBase;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// `mp_subscript`.
///
/// # Safety
/// Called by CPython with the GIL held, `slf` an instance of a class
/// [`_install_slots`] was given (so a `CDataBase`), `key` a live object.
unsafe extern "C" fn subscript(
    slf: *mut pyo3::ffi::PyObject,
    key: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    unsafe fn body(
        py: Python<'_>,
        slf: *mut pyo3::ffi::PyObject,
        key: *mut pyo3::ffi::PyObject,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        // SAFETY: borrowed references valid for the call (slot contract).
        let (slf, key) = unsafe { (Bound::from_borrowed_ptr(py, slf), Bound::from_borrowed_ptr(py, key)) };
        // SAFETY: the slot is only installed on `CDataBase` classes.
        let slf = unsafe { slf.downcast_unchecked::<CDataBase>() };
        crate::access::getitem(slf, &key).map(|o| o.into_ptr())
    }
    // SAFETY: the slot trampoline (GIL held, panics caught, errors raised).
    unsafe { pyo3::impl_::trampoline::binaryfunc(slf, key, body) }
}

/// `tp_getattro`.
///
/// # Safety
/// As for `subscript`; `name` is the attribute name (a `str`, or CPython
/// raises before calling the slot... checked here anyway).
unsafe extern "C" fn getattro(
    slf: *mut pyo3::ffi::PyObject,
    name: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    unsafe fn body(
        py: Python<'_>,
        slf: *mut pyo3::ffi::PyObject,
        name: *mut pyo3::ffi::PyObject,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        // SAFETY: borrowed references valid for the call (slot contract).
        let (slf, name) = unsafe { (Bound::from_borrowed_ptr(py, slf), Bound::from_borrowed_ptr(py, name)) };
        // SAFETY: the slot is only installed on `CDataBase` classes.
        let slf = unsafe { slf.downcast_unchecked::<CDataBase>() };
        let name = name
            .downcast::<pyo3::types::PyString>()
            .map_err(|_| PyTypeError::new_err("attribute name must be string"))?;
        crate::access::getattr(slf, name).map(|o| o.into_ptr())
    }
    // SAFETY: the slot trampoline (GIL held, panics caught, errors raised).
    unsafe { pyo3::impl_::trampoline::getattrofunc(slf, name, body) }
}

/// `_install_slots(cls)`: makes `cls` (`CDataBase` or a Python subclass of
/// it that does not define `__getitem__` / `__getattribute__` itself) enter
/// the read paths through [`subscript`] and [`getattro`].
#[pyfunction]
pub fn _install_slots(cls: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    if !cls.is_subclass_of::<CDataBase>()? {
        return Err(PyTypeError::new_err("not a subclass of CDataBase"));
    }
    let base = cls.py().get_type::<CDataBase>();
    for name in ["__getitem__", "__getattribute__"] {
        // the class must use CDataBase's own methods (no override)
        if !cls.getattr(name)?.is(&base.getattr(name)?) {
            return Err(PyTypeError::new_err(format!("the class overrides {name}")));
        }
    }
    let tp = cls.as_type_ptr();
    // SAFETY: `tp` is a heap type whose instances are `CDataBase`s and that
    // uses `CDataBase`'s own `__getitem__`/`__getattribute__` (checked
    // above), which these slots run; heap types own their `as_mapping`
    // table. Setting slots then calling PyType_Modified is how extensions
    // update a type.
    unsafe {
        if (*tp).tp_as_mapping.is_null() {
            return Err(PyTypeError::new_err("the class has no mapping slots"));
        }
        (*(*tp).tp_as_mapping).mp_subscript = Some(subscript);
        (*tp).tp_getattro = Some(getattro);
        pyo3::ffi::PyType_Modified(tp);
    }
    Ok(())
}
