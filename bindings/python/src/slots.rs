//! Raw type slots for the read paths of cdata (`cdata[key]`, `cdata.name`):
//! the same code as `CDataBase`'s `__getitem__` / `__getattribute__`, entered
//! without PyO3's check that `self` is a `CDataBase` (a walk of the class's
//! MRO on every access), which the installation below makes true; the
//! deallocation of cdata; and [`raw_entry`], how this module's hot slots
//! and methods are entered.

use crate::context::CDataBase;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

/// Runs the body of a slot or method that CPython calls directly, as
/// PyO3's slot trampolines do — a panic is caught and raised as a
/// `RuntimeError`, an error is raised — but without their per-call work
/// on PyO3's thread-locals (its GIL count and the deferred-reference
/// pool: four thread-local lookups per entry, as much as a scalar call or
/// a cdata read costs). Bodies use `Bound`s, whose references are released
/// at once; a `Py<T>` dropped inside one is released at PyO3's next
/// trampoline (deferred, still correct); nothing here clones a `Py<T>`
/// (no `py-clone` feature).
///
/// # Safety
/// The GIL is held (CPython calls slots and methods with it).
#[inline(always)]
pub unsafe fn raw_entry(
    body: impl FnOnce(Python<'_>) -> PyResult<*mut pyo3::ffi::PyObject>,
) -> *mut pyo3::ffi::PyObject {
    // SAFETY: the GIL is held (contract).
    let py = unsafe { Python::assume_gil_acquired() };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(py))) {
        Ok(Ok(obj)) => obj,
        Ok(Err(e)) => {
            e.restore(py);
            std::ptr::null_mut()
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            pyo3::exceptions::PyRuntimeError::new_err(format!("abicall: internal error (panic): {what}")).restore(py);
            std::ptr::null_mut()
        }
    }
}

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
    // SAFETY: CPython calls slots with the GIL held.
    unsafe { raw_entry(|py| body(py, slf, key)) }
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
    // SAFETY: CPython calls slots with the GIL held.
    unsafe { raw_entry(|py| body(py, slf, name)) }
}

/// PyO3's `tp_dealloc` of `CDataBase`, kept for objects freed before the
/// value's offset is known (see [`cdata_dealloc`]).
static PYO3_DEALLOC: std::sync::OnceLock<pyo3::ffi::destructor> = std::sync::OnceLock::new();

/// `tp_dealloc` of `CDataBase` (and, through CPython's `subtype_dealloc`, of
/// its Python subclasses): what PyO3's does for a class with no `__dict__`
/// or weak-reference slot of its own — drop the Rust value in place, then
/// free the object with its type's `tp_free` — without PyO3's trampoline,
/// whose thread-local bookkeeping (a lock of its reference pool) cost more
/// than the rest of a cdata's life on the hot paths.
///
/// # Safety
/// Called by CPython with the GIL held for an object of `CDataBase` or a
/// subclass whose references are gone.
unsafe extern "C" fn cdata_dealloc(obj: *mut pyo3::ffi::PyObject) {
    use crate::peek::Peek;
    let off = CDataBase::offset().load(std::sync::atomic::Ordering::Relaxed);
    if off == 0 {
        if let Some(d) = PYO3_DEALLOC.get() {
            // SAFETY: PyO3's own slot for this type, same contract.
            unsafe { d(obj) };
        }
        return;
    }
    let value = obj.cast::<u8>().wrapping_add(off).cast::<CDataBase>();
    // SAFETY: the object is a live `CDataBase` (contract) whose value sits
    // at `off` (measured by `peek`), dropped exactly once, here; its `Drop`
    // releases two references with the GIL held and cannot unwind (checked
    // anyway: nothing may unwind into CPython).
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        std::ptr::drop_in_place(value)
    }));
    if dropped.is_err() {
        eprintln!("abicall: internal error (panic) while freeing a cdata");
    }
    // SAFETY: every type has a `tp_free` (CPython fills it in); the object
    // is not used after this.
    unsafe {
        if let Some(free) = (*pyo3::ffi::Py_TYPE(obj)).tp_free {
            free(obj.cast());
        }
    }
}

/// Installs [`cdata_dealloc`] on `CDataBase` (its Python subclasses reach it
/// through `subtype_dealloc`, which reads the base's slot at each call; the
/// native subclasses `Function` and `Callback` keep PyO3's, which drops
/// their own value first).
pub fn install_dealloc(py: Python<'_>) {
    let tp = py.get_type::<CDataBase>().as_type_ptr();
    // SAFETY: `tp` is `CDataBase`'s heap type; its slot is replaced before
    // any instance exists (module initialisation), then `PyType_Modified`.
    unsafe {
        if let Some(d) = (*tp).tp_dealloc {
            let _ = PYO3_DEALLOC.set(d);
            (*tp).tp_dealloc = Some(cdata_dealloc);
            pyo3::ffi::PyType_Modified(tp);
        }
    }
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
