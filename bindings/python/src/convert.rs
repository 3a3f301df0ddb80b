//! Converting Python objects to C argument bytes and C bytes back to Python
//! objects, per parameter — the core of the call and callback paths.
//!
//! The common cases (ints, floats, `bytes` for `char *`, `None` and cdata
//! pointers, structs by value from cdata) are done here without touching
//! Python attributes; everything else goes through the Python layer's
//! `_convert_arg` hook, which builds a temporary cdata the same way
//! `ffi.new` would (cffi's rules: a list for `int *` makes a temporary array).

use crate::context::{kind, CDataBase, CTypeBase};
use crate::memory::Block;
use crate::scalar::{self, Code};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::GILOnceCell;
use pyo3::types::{PyBytes, PyTuple};
use std::ffi::c_void;

/// The Python layer's hooks, installed once at import.
pub struct Hooks {
    /// `CData` class: `CData(ctype, addr, owner=None, length=-1, owned=0)`.
    pub cdata_class: PyObject,
    /// `_convert_arg(ctype, value) -> (address of the argument bytes, keepalive)`.
    pub convert_arg: PyObject,
}

/// The installed hooks.
pub static HOOKS: GILOnceCell<Hooks> = GILOnceCell::new();

/// Installs the Python layer's hooks (called once by `abicall/__init__.py`).
#[pyfunction]
pub fn _install(py: Python<'_>, cdata_class: PyObject, convert_arg: PyObject) -> PyResult<()> {
    let cls = cdata_class.bind(py).downcast::<pyo3::types::PyType>()?;
    if !cls.is_subclass_of::<CDataBase>()? {
        return Err(PyTypeError::new_err("the cdata class must derive from CDataBase"));
    }
    let tp = cls.as_type_ptr();
    let _ = HOOKS.set(
        py,
        Hooks {
            cdata_class,
            convert_arg,
        },
    );
    // the class stays alive in HOOKS (set once)
    if HOOKS.get(py).is_some_and(|h| h.cdata_class.as_ptr() == tp.cast()) {
        CDATA_CLASS.store(tp, std::sync::atomic::Ordering::Relaxed);
    }
    BLOCK_TYPE.store(
        py.get_type::<Block>().as_type_ptr(),
        std::sync::atomic::Ordering::Relaxed,
    );
    Ok(())
}

/// The installed `CData` class and the Python `CType` class, and the
/// `Block` type, as type pointers (null until installed; all live for the
/// rest of the process), for [`as_cdata`], [`as_ctype`] and [`is_block`].
static CDATA_CLASS: std::sync::atomic::AtomicPtr<pyo3::ffi::PyTypeObject> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static CTYPE_CLASS: std::sync::atomic::AtomicPtr<pyo3::ffi::PyTypeObject> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());
static BLOCK_TYPE: std::sync::atomic::AtomicPtr<pyo3::ffi::PyTypeObject> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

fn type_of(v: &Bound<'_, PyAny>) -> *mut pyo3::ffi::PyTypeObject {
    // SAFETY: `v` is a live object; its type pointer is read.
    unsafe { pyo3::ffi::Py_TYPE(v.as_ptr()) }
}

/// `v` as a cdata: one comparison for the classes this module makes
/// (instead of a walk of the class's MRO), else a checked downcast.
pub fn as_cdata<'a, 'py>(v: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, CDataBase>> {
    use std::sync::atomic::Ordering::Relaxed;
    let t = type_of(v);
    if t == PLAIN_CLASS.load(Relaxed) || t == CDATA_CLASS.load(Relaxed) {
        // SAFETY: both classes derive from `CDataBase` (checked when installed).
        return Some(unsafe { v.downcast_unchecked::<CDataBase>() });
    }
    v.downcast::<CDataBase>().ok()
}

/// `v` as a ctype (see [`as_cdata`]).
pub fn as_ctype<'a, 'py>(v: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, CTypeBase>> {
    if type_of(v) == CTYPE_CLASS.load(std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: the class derives from `CTypeBase` (checked when installed).
        return Some(unsafe { v.downcast_unchecked::<CTypeBase>() });
    }
    v.downcast::<CTypeBase>().ok()
}

/// Whether `v` is exactly a `Block`.
pub fn is_block(v: &Bound<'_, PyAny>) -> bool {
    let b = BLOCK_TYPE.load(std::sync::atomic::Ordering::Relaxed);
    if b.is_null() {
        return v.is_exact_instance_of::<Block>();
    }
    type_of(v) == b
}

/// Installs the Python `CType` class (see [`as_ctype`]).
#[pyfunction]
pub fn _install_ctype(cls: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    if !cls.is_subclass_of::<CTypeBase>()? {
        return Err(PyTypeError::new_err("the ctype class must derive from CTypeBase"));
    }
    // kept for the rest of the process
    std::mem::forget(cls.clone());
    CTYPE_CLASS.store(cls.as_type_ptr(), std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// The class of cdata that the cycle collector does not track (see
/// `_install_plain`), as a type pointer; null until installed.
static PLAIN_CLASS: std::sync::atomic::AtomicPtr<pyo3::ffi::PyTypeObject> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

/// Installs `cls`, a Python subclass of the `CData` class that adds no
/// storage (`__slots__ = ()`), as the class of the cdata made natively whose
/// references cannot lead back to them (no owner, an owned block, or such
/// a cdata): it is made untracked by the cycle collector, as cffi's plain
/// cdata are (a tracked object costs a GC header, tracking and untracking,
/// and young-generation collections every 700 allocations).
#[pyfunction]
pub fn _install_plain(py: Python<'_>, cls: &Bound<'_, pyo3::types::PyType>) -> PyResult<()> {
    let h = hooks(py)?;
    let base = h.cdata_class.bind(py).downcast::<pyo3::types::PyType>()?;
    let tp = cls.as_type_ptr();
    let bp = base.as_type_ptr();
    // SAFETY: both are live type objects; only plain fields are read.
    let same_layout = unsafe {
        (*tp).tp_base == bp
            && (*tp).tp_basicsize == (*bp).tp_basicsize
            && (*tp).tp_dictoffset == 0
            && (*tp).tp_weaklistoffset == 0
    };
    if !same_layout {
        return Err(PyTypeError::new_err(
            "the plain cdata class must derive directly from CData, with __slots__ = ()",
        ));
    }
    // SAFETY: no instance of `cls` exists yet (it is installed at import,
    // right after its `class` statement); its instances hold no Python
    // references of their own beyond `CDataBase`'s fields (checked above),
    // which PyO3's base class never exposed to the collector. Allocation
    // (`PyType_GenericAlloc`) and `subtype_dealloc` follow the flag; the
    // memory is then released with `PyObject_Free`.
    unsafe {
        (*tp).tp_flags &= !pyo3::ffi::Py_TPFLAGS_HAVE_GC;
        (*tp).tp_free = Some(pyo3::ffi::PyObject_Free);
        (*tp).tp_traverse = None;
        (*tp).tp_clear = None;
        pyo3::ffi::PyType_Modified(tp);
    }
    // keep the class alive for the life of the process
    std::mem::forget(cls.clone());
    PLAIN_CLASS.store(tp, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Whether a cdata with this owner may be of the untracked class: its
/// references (ctype, owner) cannot lead back to it.
fn plain_owner(owner: &Option<PyObject>, py: Python<'_>, plain: *mut pyo3::ffi::PyTypeObject) -> bool {
    match owner {
        None => true,
        Some(o) => {
            let o = o.bind(py);
            // SAFETY: `o` is a live object; its type pointer is read.
            let t = unsafe { pyo3::ffi::Py_TYPE(o.as_ptr()) };
            t == plain || is_block(o)
        }
    }
}

pub(crate) fn hooks(py: Python<'_>) -> PyResult<&Hooks> {
    HOOKS
        .get(py)
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("abicall: Python layer not initialized"))
}

/// How one parameter (or return value) is converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conv {
    /// `void` (returns only).
    Void,
    /// A primitive or enum stored as this code.
    Scalar(Code),
    /// A pointer whose unqualified pointee is `item` (kind `item_kind`).
    Ptr {
        /// Address of the pointee's `CType` (see `CTypeBase::item_id`).
        item: usize,
        /// Pointee kind.
        item_kind: i64,
        /// The pointee is a one-byte integer (`bytes` accepted).
        item_char: bool,
    },
    /// A struct or union by value.
    Record {
        /// Its type id.
        tid: u32,
        /// Its size.
        size: usize,
    },
    /// Anything else (through the Python hook).
    Other,
}

/// A parameter or return: its conversion and its Python `CType`.
pub struct Spec {
    /// The conversion.
    pub conv: Conv,
    /// Alignment of the type (1 if unknown).
    pub align: usize,
    /// The Python `CType` (for errors, the hook and made cdata).
    pub ctype: Py<CTypeBase>,
    /// A `wchar_t`/`char16_t`/`char32_t`: a 1-character `str` in Python.
    pub wchar: bool,
}

impl Spec {
    /// The spec for a Python `CType`.
    pub fn new(ctype: &Bound<'_, CTypeBase>) -> Spec {
        let c = ctype.borrow();
        let conv = match c.kind {
            kind::VOID => Conv::Void,
            kind::PRIMITIVE | kind::ENUM => match Code::from_u8(c.code) {
                // `long double _Complex`: its bytes, like a record
                Code::None if c.size > 0 => Conv::Record {
                    tid: c.tid,
                    size: c.size as usize,
                },
                Code::None => Conv::Other,
                code => Conv::Scalar(code),
            },
            kind::POINTER => Conv::Ptr {
                item: c.item_id,
                item_kind: c.item_kind,
                item_char: c.item_kind == kind::PRIMITIVE as i64 && c.item_size == 1,
            },
            kind::STRUCT | kind::UNION if c.size >= 0 => Conv::Record {
                tid: c.tid,
                size: c.size as usize,
            },
            _ => Conv::Other,
        };
        Spec {
            conv,
            align: c.align.max(1) as usize,
            ctype: ctype.clone().unbind(),
            wchar: c.wchar,
        }
    }

    fn cname(&self, py: Python<'_>) -> String {
        self.ctype
            .bind(py)
            .getattr("cname")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "?".into())
    }
}

/// One argument's storage: 16 bytes, 16-aligned (scalars up to `long double`).
#[derive(Clone, Copy, Default)]
#[repr(C, align(16))]
pub struct Slot(pub [u8; 16]);

fn fallback<'py>(
    py: Python<'py>,
    spec: &Spec,
    v: &Bound<'py, PyAny>,
    keep: &mut Vec<Bound<'py, PyAny>>,
) -> PyResult<*const c_void> {
    let h = hooks(py)?;
    let r = h.convert_arg.bind(py).call1((spec.ctype.bind(py), v))?;
    let (addr, k): (usize, Bound<'py, PyAny>) = r.extract()?;
    keep.push(k);
    Ok(addr as *const c_void)
}

fn type_error(py: Python<'_>, spec: &Spec, v: &Bound<'_, PyAny>) -> PyErr {
    let given = match v.downcast::<CDataBase>() {
        Ok(cd) => format!(
            "cdata '{}'",
            cd.borrow()
                ._ctype
                .bind(py)
                .getattr("cname")
                .and_then(|n| n.extract::<String>())
                .unwrap_or_default()
        ),
        Err(_) => v.get_type().name().map(|n| n.to_string()).unwrap_or_default(),
    };
    PyTypeError::new_err(format!(
        "initializer for ctype '{}' must be a {}, not {given}",
        spec.cname(py),
        match spec.conv {
            Conv::Ptr { .. } => "cdata pointer",
            Conv::Record { .. } => "cdata struct or union of the same type",
            _ => "compatible value",
        }
    ))
}

/// Converts `v` for parameter `spec`: returns a pointer to the argument's
/// bytes (in `slot`, in cdata memory, or in a kept temporary).
///
/// The returned pointer stays valid while `v`, `slot` and `keep` live.
pub fn fill<'py>(
    py: Python<'py>,
    spec: &Spec,
    v: &Bound<'py, PyAny>,
    slot: &mut Slot,
    keep: &mut Vec<Bound<'py, PyAny>>,
) -> PyResult<*const c_void> {
    match spec.conv {
        Conv::Scalar(code) if spec.wchar => {
            // a character: a 1-character str (anything else: the Python
            // layer's rules and errors)
            if let Ok(s) = v.downcast::<pyo3::types::PyString>() {
                let s = s.to_cow()?;
                let mut it = s.chars();
                if let (Some(ch), None) = (it.next(), it.next()) {
                    let n = scalar::code_size(code);
                    slot.0[..n].copy_from_slice(&(ch as u32).to_le_bytes()[..n]);
                    if n < 4 && (ch as u32) >> (8 * n) != 0 {
                        return fallback(py, spec, v, keep);
                    }
                    return Ok(slot.0.as_ptr() as *const c_void);
                }
            }
            fallback(py, spec, v, keep)
        }
        Conv::Scalar(code) => match scalar::encode(code, v, &mut slot.0) {
            Ok(()) => Ok(slot.0.as_ptr() as *const c_void),
            Err(e) if as_cdata(v).is_some() => {
                drop(e);
                fallback(py, spec, v, keep)
            }
            Err(e) => Err(e),
        },
        Conv::Ptr { item, item_char, .. } => {
            let addr: usize = if let Some(cd) = as_cdata(v) {
                let (k, item_id, addr, ok_void) = {
                    // SAFETY: plain fields are copied out; no Python code
                    // runs while `c` is used.
                    let c = unsafe { crate::peek::peek(cd) };
                    (
                        c.kind,
                        c.item_id,
                        c._addr,
                        spec_item_void(spec) || c.item_kind == kind::VOID as i64,
                    )
                };
                if k != kind::POINTER && k != kind::ARRAY {
                    return Err(type_error(py, spec, v));
                }
                if item_id != item && !ok_void {
                    return Err(type_error(py, spec, v));
                }
                addr
            } else if let (true, Ok(b)) = (item_char, v.downcast::<PyBytes>()) {
                b.as_bytes().as_ptr() as usize
            } else {
                return fallback(py, spec, v, keep);
            };
            slot.0[..8].copy_from_slice(&(addr as u64).to_le_bytes());
            Ok(slot.0.as_ptr() as *const c_void)
        }
        Conv::Record { .. } => {
            if let Some(cd) = as_cdata(v) {
                // SAFETY: fields are read; no Python code runs meanwhile.
                let cd = unsafe { crate::peek::peek(cd) };
                if cd._ctype.as_ptr() == spec.ctype.as_ptr() && (cd.kind == kind::STRUCT || cd.kind == kind::UNION) {
                    return Ok(cd._addr as *const c_void);
                }
                if cd.kind == kind::STRUCT || cd.kind == kind::UNION || cd.kind == kind::POINTER {
                    return Err(type_error(py, spec, v));
                }
            }
            fallback(py, spec, v, keep)
        }
        Conv::Void => Err(PyTypeError::new_err("a parameter cannot have type void")),
        Conv::Other => fallback(py, spec, v, keep),
    }
}

fn spec_item_void(spec: &Spec) -> bool {
    matches!(spec.conv, Conv::Ptr { item_kind, .. } if item_kind == kind::VOID as i64)
}

/// Makes a Python cdata (an instance of the Python layer's `CData` class)
/// directly, without a Python-level constructor call.
pub fn new_cdata(
    py: Python<'_>,
    ctype: &Py<CTypeBase>,
    addr: usize,
    owner: Option<PyObject>,
    owned: i64,
) -> PyResult<PyObject> {
    use pyo3::impl_::pyclass_init::PyObjectInit;
    let h = hooks(py)?;
    let plain = PLAIN_CLASS.load(std::sync::atomic::Ordering::Relaxed);
    let tp = if !plain.is_null() && plain_owner(&owner, py, plain) {
        plain
    } else {
        h.cdata_class.bind(py).downcast::<pyo3::types::PyType>()?.as_type_ptr()
    };
    let base = CDataBase::new(ctype.bind(py), addr, owner, -1, owned);
    // SAFETY: both classes are Python subclasses of `CDataBase` (checked by
    // `_install` and `_install_plain`), so `into_new_object` allocates an
    // instance and initializes the `CDataBase` part — what its tp_new does.
    let obj = unsafe { PyClassInitializer::from(base).into_new_object(py, tp) }?;
    // SAFETY: a new reference to the object just made.
    Ok(unsafe { PyObject::from_owned_ptr(py, obj) })
}

/// Makes an owning Python cdata of `ctype` (a struct, union or `long
/// double`) of `size` bytes whose zeroed `room` bytes (`room >= size`) are
/// inside the object, and their address (`None` if they do not fit: up to
/// `memory::INLINE_BYTES`, aligned to at most 16). One Python allocation,
/// no C heap.
pub fn new_cdata_inline(
    py: Python<'_>,
    ctype: &Py<CTypeBase>,
    size: usize,
    room: usize,
    align: usize,
) -> PyResult<Option<(PyObject, usize)>> {
    if room > crate::memory::INLINE_BYTES || align > std::mem::align_of::<crate::memory::Inline>() {
        return Ok(None);
    }
    let obj = new_cdata(py, ctype, 0, None, size as i64)?;
    let addr = {
        // SAFETY: `new_cdata` made an instance of the installed `CData`
        // class, a subclass of `CDataBase`.
        let b = unsafe { obj.bind(py).downcast_unchecked::<CDataBase>() };
        let m = crate::peek::value_ptr(b);
        // SAFETY: the object was just made and is not handed out yet, so
        // nothing else refers to its value; the value lives in PyO3's
        // `UnsafeCell`, and the object does not move while it lives.
        unsafe {
            (*m).inline_used = true;
            let addr = std::ptr::addr_of!((*m).inline) as usize;
            (*m)._addr = addr;
            addr
        }
    };
    Ok(Some((obj, addr)))
}

/// Makes a Python cdata of `ctype` at `addr` (not owning).
pub fn make_cdata(py: Python<'_>, ctype: &Py<CTypeBase>, addr: usize) -> PyResult<PyObject> {
    new_cdata(py, ctype, addr, None, 0)
}

/// Makes an owning Python cdata of `ctype` holding the block `b` at `addr`.
pub fn make_owned(py: Python<'_>, ctype: &Py<CTypeBase>, b: Py<Block>, addr: usize, size: usize) -> PyResult<PyObject> {
    // made natively (no call of the Python class: no argument tuple)
    new_cdata(py, ctype, addr, Some(b.into_any()), size as i64)
}

/// Converts C bytes at `p` of parameter/return `spec` to a Python object:
/// scalars to numbers, pointers to (non-owning) cdata, structs and unions
/// to owning copies.
///
/// # Safety
/// `p` must point to a readable value of the spec's type.
pub unsafe fn to_python(py: Python<'_>, spec: &Spec, p: *const u8) -> PyResult<PyObject> {
    match spec.conv {
        Conv::Void => Ok(py.None()),
        Conv::Scalar(Code::LongDouble) => {
            // As cffi: a `long double` result stays a cdata (no rounding).
            let (block, addr) = Block::new_py(py, 16, 16)?;
            // SAFETY: caller contract; the block has 16 bytes.
            unsafe { std::ptr::copy_nonoverlapping(p, addr as *mut u8, 16) };
            new_cdata(py, &spec.ctype, addr, Some(block.into_any()), 0)
        }
        Conv::Scalar(code) => {
            let n = scalar::code_size(code);
            let mut b = [0u8; 16];
            // SAFETY: caller contract.
            unsafe { std::ptr::copy_nonoverlapping(p, b.as_mut_ptr(), n) };
            if spec.wchar && n <= 4 {
                let mut u = [0u8; 4];
                u[..n].copy_from_slice(&b[..n]);
                if let Some(ch) = char::from_u32(u32::from_le_bytes(u)) {
                    return Ok(pyo3::types::PyString::new(py, ch.encode_utf8(&mut [0u8; 4]))
                        .into_any()
                        .unbind());
                }
            }
            scalar::decode(py, code, &b[..n.max(1)])
        }
        Conv::Ptr { .. } => {
            // SAFETY: caller contract.
            let addr = unsafe { (p as *const usize).read_unaligned() };
            make_cdata(py, &spec.ctype, addr)
        }
        Conv::Record { size, .. } => {
            if let Some((obj, addr)) = new_cdata_inline(py, &spec.ctype, size, size, spec.align)? {
                // SAFETY: caller contract; the object holds `size` bytes at `addr`.
                unsafe { std::ptr::copy_nonoverlapping(p, addr as *mut u8, size) };
                return Ok(obj);
            }
            let (block, addr) = Block::new_py(py, size, spec.align)?;
            // SAFETY: caller contract; the block has `size` bytes.
            unsafe { std::ptr::copy_nonoverlapping(p, addr as *mut u8, size) };
            make_owned(py, &spec.ctype, block, addr, size)
        }
        Conv::Other => Err(PyTypeError::new_err(format!(
            "cannot convert a value of type '{}'",
            spec.cname(py)
        ))),
    }
}

/// The specs of a tuple of Python `CType`s.
pub fn specs(types: &Bound<'_, PyTuple>) -> PyResult<Vec<Spec>> {
    types
        .iter()
        .map(|t| Ok(Spec::new(t.downcast::<CTypeBase>()?)))
        .collect()
}

/// `new_owned(ctype, size, align, length=-1, owned=0, code=0, value=None)`:
/// a zeroed block of `size` bytes and a cdata of `ctype` owning it in one
/// native step (`ffi.new`, `ffi.cast` to a scalar); with `value`, the
/// scalar of kind `code` is stored at its start first.
#[pyfunction]
#[pyo3(signature = (ctype, size, align, length=-1, owned=0, code=0, value=None))]
#[allow(clippy::too_many_arguments)]
pub fn new_owned(
    py: Python<'_>,
    ctype: &Bound<'_, CTypeBase>,
    size: usize,
    align: usize,
    length: i64,
    owned: i64,
    code: u8,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyObject> {
    let mut init = None;
    if let Some(v) = value {
        let c = Code::from_u8(code);
        if scalar::code_size(c) > size.max(1) {
            return Err(PyTypeError::new_err("value does not fit the allocation"));
        }
        let mut b = [0u8; 16];
        scalar::encode(c, v, &mut b)?;
        init = Some((b, scalar::code_size(c)));
    }
    let (b, addr) = Block::new_py(py, size, align)?;
    if let Some((bytes, n)) = init {
        // SAFETY: the block has at least `n` bytes (checked above).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, n) };
    }
    let obj = new_cdata(py, ctype.as_unbound(), addr, Some(b.into_any()), owned)?;
    if length >= 0 {
        obj.bind(py).downcast::<CDataBase>()?.borrow_mut()._length = length;
    }
    Ok(obj)
}

/// `write_init(ctype, addr, value, n=-1) -> bool`: see `access::write_init`.
#[pyfunction]
#[pyo3(signature = (ctype, addr, value, n=-1))]
pub fn write_init(ctype: &Bound<'_, CTypeBase>, addr: usize, value: &Bound<'_, PyAny>, n: i64) -> PyResult<bool> {
    crate::access::write_init(ctype.py(), &ctype.clone().unbind(), addr, value, n)
}

/// `cast_named(by_name, cdecl, source)`: `ffi.cast(cdecl, source)` when
/// `cdecl` is a type string already in the FFI's `by_name` dict and the
/// cast is one `cast_ptr` makes; else `None` (the Python path decides).
#[pyfunction]
pub fn cast_named(
    py: Python<'_>,
    by_name: &Bound<'_, PyAny>,
    cdecl: &Bound<'_, PyAny>,
    source: &Bound<'_, PyAny>,
) -> PyResult<PyObject> {
    let (Ok(d), true) = (
        by_name.downcast_exact::<pyo3::types::PyDict>(),
        cdecl.is_exact_instance_of::<pyo3::types::PyString>(),
    ) else {
        return Ok(py.None());
    };
    let Some(ct) = pyo3::types::PyDictMethods::get_item(d, cdecl)? else {
        return Ok(py.None());
    };
    let Some(ct) = as_ctype(&ct) else {
        return Ok(py.None());
    };
    cast_ptr(py, ct, source)
}

/// `cast_ptr(ctype, source)`: `ffi.cast` to a pointer type from a pointer
/// or array cdata, made natively; `None` when the Python path must decide
/// (other targets or sources, or a source whose owner is not a plain
/// memory owner, such as an `ffi.gc` wrapper).
#[pyfunction]
pub fn cast_ptr(py: Python<'_>, ctype: &Bound<'_, CTypeBase>, source: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    // SAFETY: a plain field is read.
    if unsafe { crate::peek::peek(ctype) }.kind != kind::POINTER {
        return Ok(py.None());
    }
    let Some(src) = as_cdata(source) else {
        return Ok(py.None());
    };
    let (addr, owner) = {
        // SAFETY: plain fields are read and the owner cloned (an incref);
        // type checks run no Python code.
        let s = unsafe { crate::peek::peek(src) };
        if s.kind != kind::POINTER && s.kind != kind::ARRAY {
            return Ok(py.None());
        }
        let owner = match &s._owner {
            None => None,
            Some(o) => {
                let o = o.bind(py);
                if is_block(o) || as_cdata(o).is_some() || o.is_instance_of::<crate::memory::PinnedBuffer>() {
                    Some(o.clone().unbind())
                } else {
                    return Ok(py.None());
                }
            }
        };
        (s._addr, owner)
    };
    new_cdata(py, ctype.as_unbound(), addr, owner, 0)
}
