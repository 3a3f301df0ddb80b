//! `Function`: a callable cdata function pointer. A call converts the
//! Python arguments straight into argument slots (no intermediate values),
//! releases the GIL, runs the prepared [`RawCall`] (fast path when the plan
//! has one), and converts the result.

use crate::context::{CDataBase, CTypeBase, Context};
use crate::convert::{self, Conv, Slot, Spec};
use crate::memory::Block;
use crate::to_py_err;
use abicall::call::RawCall;
use abicall::types::TypeId;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt, PyTuple};
use pyo3::Borrowed;
use std::ffi::c_void;
use std::sync::Mutex;

/// Arguments up to this count use stack storage for slots and pointers.
const INLINE: usize = 8;

/// A prepared variadic call: the variadic argument types and the call.
struct VarCall {
    tids: Vec<u32>,
    raw: RawCall,
}

/// A C function pointer that can be called from Python.
#[pyclass(extends = CDataBase, subclass, module = "abicall._abicall")]
pub struct Function {
    /// The vectorcall entry CPython reads at `tp_vectorcall_offset` (see
    /// [`_enable_vectorcall`]); the same for every instance.
    vectorcall: Option<pyo3::ffi::vectorcallfunc>,
    raw: RawCall,
    params: Vec<Spec>,
    ret: Spec,
    variadic: bool,
    name: String,
    types: std::sync::Arc<std::sync::RwLock<abicall::types::Types>>,
    func_tid: TypeId,
    var_calls: Mutex<Vec<VarCall>>,
    /// Variadic argument ctype factory: `ctype_of_id(tid) -> CType`.
    ctype_of: Option<PyObject>,
    /// Address of the `Context` whose type ids `types` holds.
    ctx_id: usize,
    /// For a variadic cdata argument whose ctype belongs to another context
    /// (the ctypes shared by every FFI): `local_tid(ctype) -> tid` here.
    local_tid: Option<PyObject>,
    /// The quick path, for signatures it takes (see `quick.rs`).
    quick: Option<crate::quick::Quick>,
}

/// Raw pointers moved into the GIL-free section.
struct Unlocked<'a> {
    raw: &'a RawCall,
    args: &'a [*const c_void],
    ret: *mut c_void,
}
// SAFETY: the pointers refer to memory kept alive by the calling frame
// (argument slots, Python objects held by the argument tuple, the return
// buffer) for the whole GIL-free section, which runs on the same thread.
unsafe impl Send for Unlocked<'_> {}

impl Unlocked<'_> {
    /// Runs the call with the GIL released (see [`without_gil`]); a callback
    /// that C makes from inside the call takes the GIL with
    /// `PyGILState_Ensure` (see `callback.rs`), which is correct whatever
    /// PyO3's own GIL count says.
    fn run(self, py: Python<'_>) -> abicall::Result<()> {
        // SAFETY: every argument pointer was produced by `convert::fill` for
        // the planned parameter type; `ret` has room for the result.
        without_gil(py, || unsafe { self.raw.call(self.args, self.ret) })
    }
}

/// Runs `f` with the GIL released, re-taking it afterwards (also if `f`
/// unwinds). This calls `PyEval_SaveThread` / `PyEval_RestoreThread`
/// directly rather than `Python::allow_threads`, which also locks PyO3's
/// deferred-reference pool on the way back (a mutex per call). `f` must not
/// touch Python objects or PyO3 state.
pub(crate) fn without_gil<R>(_py: Python<'_>, f: impl FnOnce() -> R) -> R {
    struct Restore(*mut pyo3::ffi::PyThreadState);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: `self.0` is this thread's state saved below; the GIL
            // is re-taken exactly once, also if `f` panicked.
            unsafe { pyo3::ffi::PyEval_RestoreThread(self.0) }
        }
    }
    // SAFETY: the `_py` token proves this thread holds the GIL.
    let _restore = Restore(unsafe { pyo3::ffi::PyEval_SaveThread() });
    f()
}

#[pymethods]
impl Function {
    /// `Function(ctx, fptr_ctype, addr, params, ret, name, keepalive, ctype_of,
    /// fptr_tid, local_tid)`: `fptr_ctype` is the pointer-to-function
    /// `CType`, `params`/`ret` the parameter and result `CType`s;
    /// `keepalive` keeps the code loaded. `fptr_tid` is the function pointer
    /// type's id in `ctx` when `fptr_ctype` belongs to another context.
    #[new]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (ctx, fptr_ctype, addr, params, ret, name, keepalive=None, ctype_of=None, fptr_tid=None, local_tid=None))]
    fn new(
        ctx: &Bound<'_, Context>,
        fptr_ctype: &Bound<'_, CTypeBase>,
        addr: usize,
        params: &Bound<'_, PyTuple>,
        ret: &Bound<'_, CTypeBase>,
        name: String,
        keepalive: Option<PyObject>,
        ctype_of: Option<PyObject>,
        fptr_tid: Option<u32>,
        local_tid: Option<PyObject>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let c = ctx.borrow();
        let fptr = c.check(fptr_tid.unwrap_or(fptr_ctype.borrow().tid))?;
        let types = c.ffi.shared_types();
        let (func_tid, variadic) = {
            let t = c.ffi.types();
            let sig = t
                .sig_of(fptr)
                .ok_or_else(|| PyTypeError::new_err(format!("`{}` is not a function type", t.display(fptr))))?;
            (fptr, sig.variadic)
        };
        // SAFETY: the address was looked up under the declared name (or
        // given by the user as a function pointer of this type), which is
        // the FFI's basic contract, as in cffi.
        let raw = unsafe {
            RawCall::new(
                &c.ffi.types(),
                func_tid,
                &[],
                addr as *const c_void,
                None::<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
            )
        }
        .map_err(to_py_err)?;
        let base = CDataBase::new_raw(fptr_ctype, addr, keepalive);
        let (params, ret) = (convert::specs(params)?, Spec::new(ret));
        let quick = crate::quick::Quick::new(&raw, &params, &ret, variadic);
        Ok(PyClassInitializer::from(base).add_subclass(Function {
            vectorcall: Some(function_vectorcall),
            raw,
            params,
            ret,
            variadic,
            name,
            types,
            func_tid,
            var_calls: Mutex::new(Vec::new()),
            ctype_of,
            ctx_id: ctx.as_ptr() as usize,
            local_tid,
            quick,
        }))
    }

    /// The C name (or `<function pointer>`).
    #[getter]
    fn __name__(&self) -> String {
        self.name.clone()
    }

    /// Whether calls skip libffi (the plan has a fast path).
    #[getter]
    fn _fast_path(&self) -> bool {
        self.raw.uses_fast_path()
    }

    /// Whether calls with plain `int`/`float`/`bytes`/pointer-cdata
    /// arguments take the quick path (see `quick.rs`).
    #[getter]
    fn _quick_path(&self) -> bool {
        self.quick.is_some()
    }
}

/// `tp_call` of `Function` (installed by [`install_call_slot`]): reads the
/// argument tuple directly, without PyO3's generic argument parsing (which
/// builds a second tuple for `*args`).
///
/// # Safety
/// Called by CPython with the GIL held, `slf` an instance of `Function`
/// (or a subclass), `args` a tuple, `kwargs` NULL or a dict.
unsafe extern "C" fn function_tp_call(
    slf: *mut pyo3::ffi::PyObject,
    args: *mut pyo3::ffi::PyObject,
    kwargs: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    unsafe fn body(
        py: Python<'_>,
        slf: *mut pyo3::ffi::PyObject,
        args: *mut pyo3::ffi::PyObject,
        kwargs: *mut pyo3::ffi::PyObject,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        // SAFETY: CPython passes a valid dict or NULL.
        if !kwargs.is_null() && unsafe { pyo3::ffi::PyDict_Size(kwargs) } > 0 {
            return Err(PyTypeError::new_err("C functions take no keyword arguments"));
        }
        // SAFETY: borrowed references valid for the call (tp_call contract).
        let slf = unsafe { Bound::from_borrowed_ptr(py, slf) };
        // SAFETY: CPython always passes a tuple; its items stay valid while
        // the tuple (borrowed for the call) lives.
        let items = unsafe {
            let t = args as *mut pyo3::ffi::PyTupleObject;
            std::slice::from_raw_parts((*t).ob_item.as_ptr(), pyo3::ffi::PyTuple_GET_SIZE(args) as usize)
        };
        // SAFETY: this slot is only installed on `Function` and on Python
        // subclasses of it (checked by `_install_call_slot`), so `slf` is one.
        let f = unsafe { slf.downcast_unchecked::<Function>() };
        // SAFETY: the tuple's items are valid borrowed references.
        unsafe { Function::call_impl(f, items) }.map(|o| o.into_ptr())
    }
    // SAFETY: CPython calls slots with the GIL held; `body`'s contract is
    // this function's.
    unsafe { crate::slots::raw_entry(|py| body(py, slf, args, kwargs)) }
}

/// Vectorcall entry of `Function` (CPython calls it without building an
/// argument tuple once [`_enable_vectorcall`] set up the type).
///
/// # Safety
/// Called by CPython with the GIL held, `callable` a `Function`, `args`
/// pointing to `nargs` valid borrowed references.
unsafe extern "C" fn function_vectorcall(
    callable: *mut pyo3::ffi::PyObject,
    args: *const *mut pyo3::ffi::PyObject,
    nargsf: usize,
    kwnames: *mut pyo3::ffi::PyObject,
) -> *mut pyo3::ffi::PyObject {
    unsafe fn body(
        py: Python<'_>,
        callable: *mut pyo3::ffi::PyObject,
        args: *const *mut pyo3::ffi::PyObject,
        nargsf: pyo3::ffi::Py_ssize_t,
        kwnames: *mut pyo3::ffi::PyObject,
    ) -> PyResult<*mut pyo3::ffi::PyObject> {
        // SAFETY: CPython passes a tuple of names or NULL.
        if !kwnames.is_null() && unsafe { pyo3::ffi::PyTuple_GET_SIZE(kwnames) } > 0 {
            return Err(PyTypeError::new_err("C functions take no keyword arguments"));
        }
        // SAFETY: vectorcall contract: `nargs` valid pointers at `args`.
        let n = unsafe { pyo3::ffi::PyVectorcall_NARGS(nargsf as usize) } as usize;
        let items = if n == 0 {
            &[][..]
        } else {
            // SAFETY: vectorcall passes `n` valid object pointers at `args`,
            // alive for the call.
            unsafe { std::slice::from_raw_parts(args, n) }
        };
        // SAFETY: borrowed reference valid for the call.
        let slf = unsafe { Bound::from_borrowed_ptr(py, callable) };
        // SAFETY: the vectorcall flag is only set on `Function` types.
        let f = unsafe { slf.downcast_unchecked::<Function>() };
        // SAFETY: valid borrowed references (vectorcall contract).
        unsafe { Function::call_impl(f, items) }.map(|o| o.into_ptr())
    }
    // SAFETY: CPython calls with the GIL held; `quick` and `body` have this
    // function's contract.
    unsafe {
        crate::slots::raw_entry(|py| match quick(py, callable, args, nargsf, kwnames) {
            Some(r) => r,
            None => body(py, callable, args, nargsf as pyo3::ffi::Py_ssize_t, kwnames),
        })
    }
}

/// The quick path of a vectorcall (see `quick.rs`): `None`, having called
/// nothing, when the function or the arguments are not for it.
///
/// # Safety
/// As for [`function_vectorcall`].
unsafe fn quick(
    py: Python<'_>,
    callable: *mut pyo3::ffi::PyObject,
    args: *const *mut pyo3::ffi::PyObject,
    nargsf: usize,
    kwnames: *mut pyo3::ffi::PyObject,
) -> Option<PyResult<*mut pyo3::ffi::PyObject>> {
    if !kwnames.is_null() {
        return None;
    }
    // SAFETY: a valid borrowed reference for the call (contract).
    let obj = unsafe { Borrowed::from_ptr(py, callable) };
    // SAFETY: the vectorcall flag is only set on `Function` types.
    let f = unsafe { obj.downcast_unchecked::<Function>() };
    // SAFETY: a `Function` has no setters and no `&mut self` methods (see
    // `call_impl`).
    let q = unsafe { crate::peek::peek(f) }.quick.as_ref()?;
    // SAFETY: vectorcall contract.
    let n = unsafe { pyo3::ffi::PyVectorcall_NARGS(nargsf) } as usize;
    if n != q.arg_count() {
        return None;
    }
    let items = if n == 0 {
        &[][..]
    } else {
        // SAFETY: `n` valid borrowed references at `args` (contract).
        unsafe { std::slice::from_raw_parts(args, n) }
    };
    // SAFETY: the GIL is held; valid borrowed references.
    let r = unsafe { q.call(items) }?;
    Some(if r.is_null() { Err(PyErr::fetch(py)) } else { Ok(r) })
}

/// Offset of the `vectorcall` field in `Function` objects (0: not known yet).
static VECTORCALL_OFFSET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Enables the vectorcall protocol on the type of `f` (a `Function`
/// instance, used to find where its `vectorcall` field lives) and on
/// `Function` itself, so calls skip building an argument tuple.
#[pyfunction]
pub fn _enable_vectorcall(f: &Bound<'_, Function>) -> PyResult<()> {
    use std::sync::atomic::Ordering::Relaxed;
    let off = {
        let r = f.borrow();
        (&r.vectorcall as *const Option<pyo3::ffi::vectorcallfunc> as usize) - (f.as_ptr() as usize)
    };
    let known = VECTORCALL_OFFSET.load(Relaxed);
    if known != 0 && known != off {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "Function layout differs between types",
        ));
    }
    VECTORCALL_OFFSET.store(off, Relaxed);
    for t in [f.get_type(), f.py().get_type::<Function>()] {
        let tp = t.as_type_ptr();
        // SAFETY: `tp` is `Function` or a subclass (instances share the
        // layout prefix, so the field is at `off` in all of them, and
        // every instance stores `function_vectorcall` there); `tp_call`
        // is set too, as CPython requires with the vectorcall flag.
        unsafe {
            (*tp).tp_vectorcall_offset = off as pyo3::ffi::Py_ssize_t;
            (*tp).tp_flags |= pyo3::ffi::Py_TPFLAGS_HAVE_VECTORCALL;
            (*tp).tp_call = Some(function_tp_call);
            pyo3::ffi::PyType_Modified(tp);
        }
    }
    Ok(())
}

/// Installs the raw `tp_call` on the `Function` type.
pub fn install_call_slot(py: Python<'_>) {
    set_call_slot(&py.get_type::<Function>());
}

fn set_call_slot(t: &Bound<'_, pyo3::types::PyType>) {
    let tp = t.as_type_ptr();
    // SAFETY: `tp` is a heap type whose instances are `Function`s (checked
    // by the callers); setting a slot then calling PyType_Modified is how C
    // extensions update a type.
    unsafe {
        (*tp).tp_call = Some(function_tp_call);
        pyo3::ffi::PyType_Modified(tp);
    }
}

/// Installs the raw `tp_call` on a Python subclass of `Function` (CPython
/// recomputes a heap type's `tp_call` from `__call__` in the class
/// dictionaries when the class is made, so subclasses need it set again).
#[pyfunction]
pub fn _install_call_slot(cls: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    if !cls.is_subclass_of::<Function>()? {
        return Err(PyTypeError::new_err("not a subclass of Function"));
    }
    set_call_slot(cls);
    Ok(())
}

impl Function {
    /// # Safety
    /// `args` are valid borrowed references for the duration of the call.
    unsafe fn call_impl(slf: &Bound<'_, Self>, args: &[*mut pyo3::ffi::PyObject]) -> PyResult<PyObject> {
        let py = slf.py();
        // SAFETY: a `Function` has no setters and no `&mut self` methods, so
        // nothing can borrow its value mutably while Python code runs during
        // the call (conversion hooks, callbacks); the base's setters change
        // the `CDataBase` part, which this reference does not cover.
        let this = unsafe { crate::peek::peek(slf) };
        let n = args.len();
        let np = this.params.len();
        if n != np && !(this.variadic && n >= np) {
            return Err(PyTypeError::new_err(format!(
                "{}() expected {}{} arguments, got {n}",
                this.name,
                if this.variadic { "at least " } else { "" },
                np
            )));
        }
        if this.variadic && n > np {
            // SAFETY: `args` are valid borrowed references for the call (this
            // function's contract), which is what `call_variadic` needs.
            return unsafe { this.call_variadic(py, args) };
        }
        let mut keep = Vec::new();
        if n <= INLINE {
            let mut slots = [Slot::default(); INLINE];
            let mut ptrs = [std::ptr::null::<c_void>(); INLINE];
            for (i, (spec, slot)) in this.params.iter().zip(slots.iter_mut()).enumerate() {
                // SAFETY: `i < n == args.len()`; valid borrowed references (contract).
                let a = unsafe { Borrowed::from_ptr(py, args[i]) };
                ptrs[i] = convert::fill(py, spec, &a, slot, &mut keep).map_err(|e| arg_err(py, e, i))?;
            }
            this.finish(py, &this.raw, &this.ret, &ptrs[..n])
        } else {
            let mut slots = vec![Slot::default(); n];
            let mut ptrs = vec![std::ptr::null::<c_void>(); n];
            for (i, (spec, slot)) in this.params.iter().zip(slots.iter_mut()).enumerate() {
                // SAFETY: `i < n == args.len()`; valid borrowed references (contract).
                let a = unsafe { Borrowed::from_ptr(py, args[i]) };
                ptrs[i] = convert::fill(py, spec, &a, slot, &mut keep).map_err(|e| arg_err(py, e, i))?;
            }
            this.finish(py, &this.raw, &this.ret, &ptrs)
        }
    }
}

/// Adds the argument number to a conversion error, keeping its type.
fn arg_err(py: Python<'_>, e: PyErr, i: usize) -> PyErr {
    let msg = e.value(py).to_string();
    let ty = e.get_type(py);
    if ty.is(&py.get_type::<PyTypeError>()) {
        PyTypeError::new_err(format!("argument {}: {msg}", i + 1))
    } else {
        e
    }
}

impl Function {
    fn finish(&self, py: Python<'_>, raw: &RawCall, ret: &Spec, ptrs: &[*const c_void]) -> PyResult<PyObject> {
        match ret.conv {
            Conv::Record { size, .. } => {
                let room = size.max(raw.ret_size());
                if let Some((obj, addr)) = convert::new_cdata_inline(py, &ret.ctype, size, room, ret.align)? {
                    // the result is written straight into the cdata
                    let u = Unlocked {
                        raw,
                        args: ptrs,
                        ret: addr as *mut c_void,
                    };
                    u.run(py).map_err(to_py_err)?;
                    return Ok(obj);
                }
                let (block, addr) = Block::new_py(py, room, ret.align)?;
                let u = Unlocked {
                    raw,
                    args: ptrs,
                    ret: addr as *mut c_void,
                };
                u.run(py).map_err(to_py_err)?;
                convert::make_owned(py, &ret.ctype, block, addr, size)
            }
            _ => {
                let mut out = Slot::default();
                let u = Unlocked {
                    raw,
                    args: ptrs,
                    ret: out.0.as_mut_ptr() as *mut c_void,
                };
                u.run(py).map_err(to_py_err)?;
                // SAFETY: the call wrote a value of the return type to `out`.
                unsafe { convert::to_python(py, ret, out.0.as_ptr()) }
            }
        }
    }

    /// The type of a variadic argument as cffi would pass it: a cdata's
    /// own type (arrays decay), `int`/`long` for ints, `double` for
    /// floats, `char *` for bytes, `void *` for None.
    fn var_type(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<u32> {
        let mut t = self.types.write().unwrap_or_else(|e| e.into_inner());
        let prim = |t: &mut abicall::types::Types, p| t.prim(p);
        use abicall::types::{Prim, TypeKind};
        if let Ok(cd) = v.downcast::<CDataBase>() {
            let cd = cd.borrow();
            let ctype = cd._ctype.bind(py);
            let mut raw = cd.tid;
            if ctype.borrow().ctx_id != self.ctx_id {
                // a ctype of another context: its id in this one
                let hook = self
                    .local_tid
                    .as_ref()
                    .ok_or_else(|| PyTypeError::new_err("a variadic argument of a type from another FFI"))?;
                drop(t);
                raw = hook.bind(py).call1((ctype,))?.extract()?;
                t = self.types.write().unwrap_or_else(|e| e.into_inner());
            }
            let tid = t
                .id_at(raw)
                .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown type id {raw}")))?;
            return Ok(match t.kind(tid).clone() {
                TypeKind::Array { elem, .. } => t.pointer(elem).index(),
                TypeKind::Prim(Prim::Float) => prim(&mut t, Prim::Double).index(),
                _ => tid.index(),
            });
        }
        if v.is_none() {
            let v = prim(&mut t, Prim::Void);
            return Ok(t.pointer(v).index());
        }
        if v.is_instance_of::<PyInt>() {
            let fits_int = v.extract::<i32>().is_ok();
            return Ok(prim(&mut t, if fits_int { Prim::Int } else { Prim::Long }).index());
        }
        if v.is_instance_of::<PyFloat>() {
            return Ok(prim(&mut t, Prim::Double).index());
        }
        if v.is_instance_of::<PyBytes>() {
            let c = prim(&mut t, Prim::Char);
            return Ok(t.pointer(c).index());
        }
        let _ = py;
        Err(PyTypeError::new_err(format!(
            "argument passed in the variadic part needs to be a cdata object, an int, a float or bytes (got {})",
            v.get_type().name()?
        )))
    }

    /// # Safety
    /// As for `call_impl`.
    unsafe fn call_variadic(&self, py: Python<'_>, args: &[*mut pyo3::ffi::PyObject]) -> PyResult<PyObject> {
        let np = self.params.len();
        let mut tids = Vec::with_capacity(args.len() - np);
        for &a in args.iter().skip(np) {
            // SAFETY: valid borrowed reference (contract).
            let a = unsafe { Borrowed::from_ptr(py, a) };
            tids.push(self.var_type(py, &a)?);
        }
        let ctype_of = self
            .ctype_of
            .as_ref()
            .ok_or_else(|| PyTypeError::new_err("variadic call without a ctype factory"))?;
        let mut var_specs = Vec::with_capacity(tids.len());
        for &t in &tids {
            let ct = ctype_of.bind(py).call1((t,))?;
            var_specs.push(Spec::new(ct.downcast::<CTypeBase>()?));
        }
        let raw = {
            let mut cache = self.var_calls.lock().unwrap_or_else(|e| e.into_inner());
            match cache.iter().find(|c| c.tids == tids) {
                Some(c) => c.raw.clone(),
                None => {
                    let types = self.types.read().unwrap_or_else(|e| e.into_inner());
                    let vt = tids
                        .iter()
                        .map(|&t| {
                            types
                                .id_at(t)
                                .ok_or_else(|| pyo3::exceptions::PyValueError::new_err(format!("unknown type id {t}")))
                        })
                        .collect::<PyResult<Vec<TypeId>>>()?;
                    // SAFETY: same code and declared type as `self.raw`.
                    let raw = unsafe { RawCall::new(&types, self.func_tid, &vt, self.raw.code(), None) }
                        .map_err(to_py_err)?;
                    cache.push(VarCall {
                        tids: tids.clone(),
                        raw: raw.clone(),
                    });
                    raw
                }
            }
        };
        let n = args.len();
        let mut keep = Vec::new();
        let mut slots = vec![Slot::default(); n];
        let mut ptrs = vec![std::ptr::null::<c_void>(); n];
        for (i, slot) in slots.iter_mut().enumerate() {
            let spec = if i < np { &self.params[i] } else { &var_specs[i - np] };
            // SAFETY: `i < n`; valid borrowed reference (contract).
            let a = unsafe { Borrowed::from_ptr(py, args[i]) };
            ptrs[i] = convert::fill(py, spec, &a, slot, &mut keep).map_err(|e| arg_err(py, e, i))?;
        }
        self.finish(py, &raw, &self.ret, &ptrs)
    }
}
