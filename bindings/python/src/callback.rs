//! `Callback`: a C function pointer that runs a Python callable. C may call
//! it from any thread: the call takes the GIL (`Python::with_gil`), so
//! foreign threads work. Exceptions are handled by the Python layer's
//! wrapper (cffi's `error` / `onerror` rules); C then receives the error
//! return value.

use crate::context::{CDataBase, CTypeBase, Context};
use crate::convert::{self, Conv, Slot, Spec};
use crate::to_py_err;
use abicall::call::{CallbackOptions, RawCallback};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};
use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::Arc;

/// The message for errors the Python layer already reported.
const HANDLED: &str = "abicall: Python callback error (reported)";

/// A C function pointer running a Python callable.
#[pyclass(extends = CDataBase, subclass, module = "abicall._abicall")]
pub struct Callback {
    _raw: RawCallback,
    /// The Python wrapper, for introspection.
    #[pyo3(get)]
    _callable: PyObject,
    /// What the C entry uses: the user's callable and the Python layer's
    /// error handlers (see `new`),
    /// shared with the trampoline's closure and visible to Python's cycle
    /// collector (`__traverse__`), so a callback in a reference cycle
    /// (callback -> function -> closure -> callback) is collected; once
    /// cleared, a call from C gets the error return value.
    targets: Targets,
}

/// Read and cleared only with the GIL held (calls from C take it first;
/// `__clear__` runs in the collector), so the GIL is the lock.
type Targets = Arc<GilCell<Option<Arc<Handlers>>>>;

/// A `RefCell` used only with the GIL held.
struct GilCell<T>(RefCell<T>);

// SAFETY: every access holds the GIL (`get` asks for the token; the
// collector runs `__traverse__` and `__clear__` with the GIL held), which
// serializes them; the contents move between threads only as `T: Send`.
unsafe impl<T: Send> Sync for GilCell<T> {}

impl<T> GilCell<T> {
    fn get(&self, _py: Python<'_>) -> &RefCell<T> {
        &self.0
    }

    /// For `__traverse__`, which runs with the GIL held but without a token.
    fn in_collector(&self) -> &RefCell<T> {
        &self.0
    }
}

/// The Python objects a call from C uses.
struct Handlers {
    f: PyObject,
    on_error: PyObject,
    on_convert_error: PyObject,
    on_void_value: PyObject,
    sentinel: PyObject,
}

/// Arguments up to this count are passed from the stack.
const INLINE_ARGS: usize = 8;

/// Calls `f` with the C arguments `args` (one per `params`) as Python
/// objects, through vectorcall (no argument tuple).
fn call_with<'py>(
    py: Python<'py>,
    f: &PyObject,
    params: &[Spec],
    args: &[*const c_void],
) -> PyResult<Bound<'py, PyAny>> {
    /// Owned references, released with `Py_DECREF` directly (the GIL is
    /// held here: PyO3's drop would ask a thread-local first).
    struct Owned<'a>(&'a mut [*mut pyo3::ffi::PyObject]);
    impl Drop for Owned<'_> {
        fn drop(&mut self) {
            for &o in self.0.iter() {
                if !o.is_null() {
                    // SAFETY: a reference owned here, released once, with
                    // the GIL held (callbacks run Python code holding it).
                    unsafe { pyo3::ffi::Py_DECREF(o) }
                }
            }
        }
    }
    let n = params.len().min(args.len());
    let mut inline = [std::ptr::null_mut::<pyo3::ffi::PyObject>(); INLINE_ARGS];
    let mut spill = Vec::new();
    let slots: &mut [*mut pyo3::ffi::PyObject] = if n <= INLINE_ARGS {
        &mut inline[..n]
    } else {
        spill.resize(n, std::ptr::null_mut());
        &mut spill[..]
    };
    let owned = Owned(slots);
    for (i, (spec, &p)) in params.iter().zip(args).enumerate().take(n) {
        // SAFETY: the trampoline passes one pointer per planned parameter,
        // to a value of its type.
        owned.0[i] = unsafe { convert::to_python(py, spec, p as *const u8) }?.into_ptr();
    }
    // SAFETY: `f` is a live object; the `n` pointers are live references
    // (owned until `owned` drops, after the call); no keyword names.
    let r = unsafe { pyo3::ffi::PyObject_Vectorcall(f.as_ptr(), owned.0.as_ptr(), n, std::ptr::null_mut()) };
    drop(owned);
    // SAFETY: a new reference or NULL with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(py, r) }
}

fn write_result(py: Python<'_>, ret: &Spec, res: &Bound<'_, PyAny>, out: *mut c_void, size: usize) -> PyResult<()> {
    if ret.conv == Conv::Void || size == 0 {
        return Ok(());
    }
    let mut slot = Slot::default();
    let mut keep = Vec::new();
    let p = convert::fill(py, ret, res, &mut slot, &mut keep)?;
    let n = match ret.conv {
        Conv::Record { size: s, .. } => s,
        _ => size.min(16),
    };
    // SAFETY: `p` points to `n` bytes of the converted value; `out` has
    // room for the return type (`size` bytes, `n <= size`).
    unsafe { std::ptr::copy_nonoverlapping(p as *const u8, out as *mut u8, n.min(size)) };
    Ok(())
}

#[pymethods]
impl Callback {
    /// `Callback(ctx, fptr_ctype, f, params, ret, error_bytes, on_error,
    /// on_convert_error, on_void_value, sentinel)`: C's calls run
    /// `f(*args)`; when it raises, `on_error(type, value, traceback)` gives
    /// the result to use or `sentinel` (C then gets `error_bytes`);
    /// `on_convert_error(exc)` reports a result that cannot be converted and
    /// `on_void_value(value)` a value returned by a `void` callback (cffi's
    /// rules live in the Python layer; the common path makes no Python
    /// frame of its own).
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (ctx, fptr_ctype, f, params, ret, error_bytes, on_error, on_convert_error, on_void_value, sentinel))]
    fn new(
        ctx: &Bound<'_, Context>,
        fptr_ctype: &Bound<'_, CTypeBase>,
        f: PyObject,
        params: &Bound<'_, PyTuple>,
        ret: &Bound<'_, CTypeBase>,
        error_bytes: Option<Vec<u8>>,
        on_error: PyObject,
        on_convert_error: PyObject,
        on_void_value: PyObject,
        sentinel: PyObject,
    ) -> PyResult<PyClassInitializer<Self>> {
        let c = ctx.borrow();
        let fptr = c.check(fptr_ctype.borrow().tid)?;
        let params = convert::specs(params)?;
        let ret = Spec::new(ret);
        let invoke = f.clone_ref(ctx.py());
        let ret_size = ret.ctype.bind(ctx.py()).borrow().size.max(0) as usize;
        let targets: Targets = Arc::new(GilCell(RefCell::new(Some(Arc::new(Handlers {
            f,
            on_error,
            on_convert_error,
            on_void_value,
            sentinel,
        })))));
        let shared = Arc::clone(&targets);
        let body = move |args: &[*const c_void], out: *mut c_void| -> Result<(), String> {
            // Take the GIL the C-API way: C may call from a foreign thread,
            // or from inside a call that released the GIL with
            // `PyEval_SaveThread` (function.rs, quick.rs), where PyO3's own
            // GIL count may still say "held". The body then uses `Bound`s
            // (released at once) and no `Py<T>` drop, so PyO3's count is not
            // consulted (see `slots::raw_entry`).
            // SAFETY: the interpreter is initialized (this module is loaded
            // in it); Ensure/Release are paired.
            let gstate = unsafe { pyo3::ffi::PyGILState_Ensure() };
            struct Release(pyo3::ffi::PyGILState_STATE);
            impl Drop for Release {
                fn drop(&mut self) {
                    // SAFETY: pairs the PyGILState_Ensure above.
                    unsafe { pyo3::ffi::PyGILState_Release(self.0) }
                }
            }
            let _release = Release(gstate);
            // SAFETY: the GIL is held (`PyGILState_Ensure` above).
            let py = unsafe { Python::assume_gil_acquired() };
            {
                let r = (|| -> PyResult<bool> {
                    let handlers = || -> PyResult<Arc<Handlers>> {
                        shared.get(py).borrow().as_ref().map(Arc::clone).ok_or_else(|| {
                            pyo3::exceptions::PyRuntimeError::new_err("callback called after it was garbage-collected")
                        })
                    };
                    // the callable only (an incref); the other handlers are
                    // fetched when they are needed
                    let f = {
                        let g = shared.get(py).borrow();
                        match g.as_ref() {
                            Some(h) => h.f.bind(py).clone(),
                            None => {
                                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                                    "callback called after it was garbage-collected",
                                ))
                            }
                        }
                    };
                    let res = match call_with(py, f.as_unbound(), &params, args) {
                        Ok(r) => r,
                        Err(e) => {
                            let h = handlers()?;
                            let tb = e.traceback(py).map_or_else(|| py.None(), |t| t.into_any().unbind());
                            let r = h.on_error.bind(py).call1((e.get_type(py), e.value(py), tb))?;
                            if r.is(&h.sentinel) {
                                return Ok(false);
                            }
                            r
                        }
                    };
                    if ret.conv == convert::Conv::Void {
                        if !res.is_none() {
                            handlers()?.on_void_value.bind(py).call1((res,))?;
                        }
                        return Ok(true);
                    }
                    if let Err(e) = write_result(py, &ret, &res, out, ret_size) {
                        let h = handlers()?;
                        h.on_convert_error.bind(py).call1((e.into_value(py),))?;
                        return Ok(false);
                    }
                    Ok(true)
                })();
                match r {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(HANDLED.to_string()),
                    Err(e) => {
                        e.print(py);
                        Err(HANDLED.to_string())
                    }
                }
            }
        };
        let opts = CallbackOptions {
            on_error: Some(Box::new(|msg: &str| {
                if !msg.contains(HANDLED) {
                    eprintln!("abicall: callback error: {msg}");
                }
            })),
            error_return: error_bytes,
        };
        let raw = RawCallback::new(&c.ffi.types(), fptr, Box::new(body), opts).map_err(to_py_err)?;
        let base = CDataBase::new_raw(fptr_ctype, raw.code() as usize, None);
        Ok(PyClassInitializer::from(base).add_subclass(Callback {
            _raw: raw,
            _callable: invoke,
            targets,
        }))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self._callable)?;
        if let Ok(g) = self.targets.in_collector().try_borrow() {
            if let Some(h) = g.as_ref() {
                for o in [&h.f, &h.on_error, &h.on_convert_error, &h.on_void_value, &h.sentinel] {
                    visit.call(o)?;
                }
            }
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        let h = Python::with_gil(|py| self.targets.get(py).try_borrow_mut().ok().and_then(|mut g| g.take()));
        drop(h);
    }
}
