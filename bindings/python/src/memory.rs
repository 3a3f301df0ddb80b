//! Raw memory for the Python layer: owned zeroed blocks, scalar reads and
//! writes at addresses, byte copies, C strings, Python buffers, handles,
//! `errno`, and shared libraries.
//!
//! These functions take plain addresses: the Python `CData` layer checks
//! bounds (as cffi does) before it calls them. They are private to the
//! package (`abicall._abicall`), not a public API.

use crate::scalar::{self, Code};
use crate::to_py_err;
use abicall::library::Library as AbiLibrary;
use abicall::memory::{self, Handle};
use pyo3::exceptions::{PyBufferError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::alloc::Layout;
use std::sync::Arc;

/// Bytes a [`Block`] made by [`Block::new_py`] keeps inside its Python
/// object instead of on the C heap (struct results, scalars from `new`).
pub const INLINE_BYTES: usize = 32;

/// Storage inside a Python object, aligned as `max_align_t`.
#[repr(C, align(16))]
pub struct Inline(pub [u8; INLINE_BYTES]);

/// An owned, zeroed block of C memory, freed when the object dies.
#[pyclass(module = "abicall._abicall")]
pub struct Block {
    /// The C heap allocation, or null when the bytes are `inline`.
    ptr: *mut u8,
    layout: Layout,
    inline: Inline,
}

// SAFETY: the block is plain memory owned by this object; access to it is
// through addresses the Python layer hands to C or to read/write, exactly
// as cffi's owned cdata.
unsafe impl Send for Block {}
// SAFETY: `&Block` exposes only the block's address and size (no interior
// mutability); accesses through the address follow cffi's owned-cdata rules.
unsafe impl Sync for Block {}

impl Block {
    /// A zeroed block (at least one byte, so every block has a distinct address).
    pub fn new(size: usize, align: usize) -> PyResult<Block> {
        let layout = Layout::from_size_align(size.max(1), align.max(1))
            .map_err(|e| PyValueError::new_err(format!("bad allocation of {size} bytes: {e}")))?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            return Err(pyo3::exceptions::PyMemoryError::new_err(format!(
                "cannot allocate {size} bytes"
            )));
        }
        Ok(Block {
            ptr,
            layout,
            inline: Inline([0; INLINE_BYTES]),
        })
    }

    /// A zeroed block as a Python object, and its address: small blocks
    /// (up to [`INLINE_BYTES`], aligned to at most 16) live inside the object
    /// (one Python allocation, no C heap allocation), others on the C heap.
    pub fn new_py(py: Python<'_>, size: usize, align: usize) -> PyResult<(Py<Block>, usize)> {
        if size <= INLINE_BYTES && align <= std::mem::align_of::<Inline>() {
            let layout = Layout::from_size_align(size.max(1), align.max(1))
                .map_err(|e| PyValueError::new_err(format!("bad allocation of {size} bytes: {e}")))?;
            let b = Py::new(
                py,
                Block {
                    ptr: std::ptr::null_mut(),
                    layout,
                    inline: Inline([0; INLINE_BYTES]),
                },
            )?;
            // SAFETY: `addr` reads the object's own fields; no Python code
            // runs. The address is inside the Python object, which does not
            // move while it lives.
            let addr = unsafe { crate::peek::peek(b.bind(py)) }.addr();
            return Ok((b, addr));
        }
        let block = Block::new(size, align)?;
        let addr = block.addr();
        Ok((Py::new(py, block)?, addr))
    }

    /// The address.
    pub fn addr(&self) -> usize {
        if self.ptr.is_null() {
            self.inline.0.as_ptr() as usize
        } else {
            self.ptr as usize
        }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: allocated in `new` with this layout, freed once.
            unsafe { std::alloc::dealloc(self.ptr, self.layout) }
        }
    }
}

#[pymethods]
impl Block {
    /// Allocates `size` zeroed bytes aligned to `align`.
    #[new]
    fn py_new(size: usize, align: usize) -> PyResult<Block> {
        Block::new(size, align)
    }

    /// The block's address.
    #[getter]
    fn address(&self) -> usize {
        self.addr()
    }

    /// The block's size.
    #[getter]
    fn size(&self) -> usize {
        self.layout.size()
    }
}

fn check_addr(addr: usize, what: &str) -> PyResult<()> {
    if addr < 4096 {
        return Err(PyValueError::new_err(format!(
            "cannot {what} at address {addr:#x} (NULL pointer dereference)"
        )));
    }
    Ok(())
}

/// Reads a scalar of kind `code` at `addr`.
#[pyfunction]
pub fn read(py: Python<'_>, code: u8, addr: usize) -> PyResult<PyObject> {
    check_addr(addr, "read")?;
    let c = Code::from_u8(code);
    let n = scalar::code_size(c);
    let mut b = [0u8; 16];
    // SAFETY: the Python layer only passes addresses of live cdata with
    // room for the scalar (bounds checked there); raw pointers from C are
    // the user's responsibility, as in cffi.
    unsafe { std::ptr::copy_nonoverlapping(addr as *const u8, b.as_mut_ptr(), n) };
    scalar::decode(py, c, &b[..n.max(1)])
}

/// Writes `value` as a scalar of kind `code` at `addr`.
#[pyfunction]
pub fn write(code: u8, addr: usize, value: &Bound<'_, PyAny>) -> PyResult<()> {
    check_addr(addr, "write")?;
    let c = Code::from_u8(code);
    let mut b = [0u8; 16];
    scalar::encode(c, value, &mut b)?;
    // SAFETY: as in `read`.
    unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), addr as *mut u8, scalar::code_size(c)) };
    Ok(())
}

/// Encodes `value` as a scalar of kind `code`; returns the bytes.
#[pyfunction]
pub fn pack(py: Python<'_>, code: u8, value: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    let c = Code::from_u8(code);
    let mut b = [0u8; 16];
    scalar::encode(c, value, &mut b)?;
    Ok(PyBytes::new(py, &b[..scalar::code_size(c)]).into_any().unbind())
}

/// `n` bytes at `addr`.
#[pyfunction]
pub fn read_bytes(py: Python<'_>, addr: usize, n: usize) -> PyResult<PyObject> {
    if n == 0 {
        return Ok(PyBytes::new(py, b"").into_any().unbind());
    }
    check_addr(addr, "read")?;
    // SAFETY: as in `read`: the caller checked the extent.
    let s = unsafe { std::slice::from_raw_parts(addr as *const u8, n) };
    Ok(PyBytes::new(py, s).into_any().unbind())
}

/// Copies `data` (any buffer) to `addr`.
#[pyfunction]
pub fn write_bytes(addr: usize, data: &[u8]) -> PyResult<()> {
    if data.is_empty() {
        return Ok(());
    }
    check_addr(addr, "write")?;
    // SAFETY: as in `read`; `copy` tolerates overlap.
    unsafe { std::ptr::copy(data.as_ptr(), addr as *mut u8, data.len()) };
    Ok(())
}

/// `memmove(dest, src, n)` on addresses.
#[pyfunction]
pub fn memmove(dest: usize, src: usize, n: usize) -> PyResult<()> {
    if n == 0 {
        return Ok(());
    }
    check_addr(dest, "write")?;
    check_addr(src, "read")?;
    // SAFETY: the Python layer checked both extents where it knows them.
    unsafe { memory::memmove_raw(dest as *mut u8, src as *const u8, n) };
    Ok(())
}

/// The NUL-terminated bytes at `addr` (at most `maxlen`).
#[pyfunction]
#[pyo3(signature = (addr, maxlen=None))]
pub fn string_at(py: Python<'_>, addr: usize, maxlen: Option<usize>) -> PyResult<PyObject> {
    check_addr(addr, "read a string")?;
    // SAFETY: as in `read`.
    let v = unsafe { memory::string_at(addr as *const u8, maxlen) }.map_err(to_py_err)?;
    Ok(PyBytes::new(py, &v).into_any().unbind())
}

/// The NUL-terminated wide string at `addr` with `unit`-byte code units.
#[pyfunction]
#[pyo3(signature = (addr, unit, maxlen=None))]
pub fn wstring_at(addr: usize, unit: usize, maxlen: Option<usize>) -> PyResult<String> {
    check_addr(addr, "read a string")?;
    // SAFETY: as in `read`.
    unsafe { memory::wstring_at(addr as *const u8, unit, maxlen) }.map_err(to_py_err)
}

/// A Python buffer exported to C: keeps the exporter's buffer alive and
/// pinned until released.
#[pyclass(module = "abicall._abicall")]
pub struct PinnedBuffer {
    view: Box<pyo3::ffi::Py_buffer>,
    released: bool,
}

// SAFETY: the Py_buffer is only touched with the GIL held (getters and
// Drop of a pyclass run under the GIL).
unsafe impl Send for PinnedBuffer {}
// SAFETY: shared access only reads the Py_buffer's fields, with the GIL held.
unsafe impl Sync for PinnedBuffer {}

#[pymethods]
impl PinnedBuffer {
    /// Pins `obj`'s buffer (writable if possible; `require_writable`
    /// refuses read-only buffers like `bytes`).
    #[new]
    #[pyo3(signature = (obj, require_writable=false))]
    fn new(obj: &Bound<'_, PyAny>, require_writable: bool) -> PyResult<PinnedBuffer> {
        let mut view: Box<pyo3::ffi::Py_buffer> = Box::new(
            // SAFETY: Py_buffer is a plain C struct; all-zero is its "empty" state.
            unsafe { std::mem::zeroed() },
        );
        // SAFETY: `obj` is a live object; `view` is a writable Py_buffer.
        let mut rc = unsafe {
            pyo3::ffi::PyObject_GetBuffer(
                obj.as_ptr(),
                &mut *view,
                pyo3::ffi::PyBUF_WRITABLE | pyo3::ffi::PyBUF_ND,
            )
        };
        if rc != 0 {
            let e = PyErr::take(obj.py());
            if require_writable {
                return Err(e.unwrap_or_else(|| PyBufferError::new_err("buffer is not writable")));
            }
            // SAFETY: `obj` is a live object; the failed request left `view`
            // unfilled and writable, so it can be asked again read-only.
            rc = unsafe { pyo3::ffi::PyObject_GetBuffer(obj.as_ptr(), &mut *view, pyo3::ffi::PyBUF_ND) };
            if rc != 0 {
                return Err(PyErr::take(obj.py()).unwrap_or_else(|| {
                    pyo3::exceptions::PyTypeError::new_err("expected an object supporting the buffer protocol")
                }));
            }
        }
        Ok(PinnedBuffer { view, released: false })
    }

    /// The buffer's address.
    #[getter]
    fn address(&self) -> usize {
        self.view.buf as usize
    }

    /// Its length in bytes.
    #[getter]
    fn size(&self) -> usize {
        self.view.len as usize
    }

    /// Whether it is read-only.
    #[getter]
    fn readonly(&self) -> bool {
        self.view.readonly != 0
    }

    /// Releases the buffer early (cffi's `ffi.release`).
    fn release(&mut self) {
        if !self.released {
            self.released = true;
            // SAFETY: obtained by PyObject_GetBuffer, released once.
            unsafe { pyo3::ffi::PyBuffer_Release(&mut *self.view) };
        }
    }
}

impl Drop for PinnedBuffer {
    fn drop(&mut self) {
        self.release();
    }
}

/// A live handle (cffi's `new_handle`): keeps the object and its pointer
/// valid until this guard dies.
#[pyclass(module = "abicall._abicall")]
pub struct HandleGuard {
    handle: Handle,
}

#[pymethods]
impl HandleGuard {
    /// Makes a handle for `obj`.
    #[new]
    fn new(obj: PyObject) -> PyResult<HandleGuard> {
        let (handle, _) = memory::new_handle(Arc::new(obj)).map_err(to_py_err)?;
        Ok(HandleGuard { handle })
    }

    /// The `void *` value to give to C.
    #[getter]
    fn address(&self) -> usize {
        self.handle.as_ptr() as usize
    }
}

/// The object behind a handle pointer.
#[pyfunction]
pub fn from_handle(py: Python<'_>, addr: usize) -> PyResult<PyObject> {
    let v = memory::from_handle(addr as *const std::ffi::c_void).map_err(to_py_err)?;
    let obj = v
        .downcast_ref::<PyObject>()
        .ok_or_else(|| PyValueError::new_err(format!("{addr:#x} is not a handle made by new_handle")))?;
    Ok(obj.clone_ref(py))
}

/// The `errno` saved after the last foreign call in this thread.
#[pyfunction]
pub fn get_errno() -> i32 {
    abicall::call::errno()
}

/// Sets the `errno` restored before the next foreign call in this thread.
#[pyfunction]
pub fn set_errno(v: i32) {
    abicall::call::set_errno(v)
}

/// A loaded shared object.
#[pyclass(module = "abicall._abicall")]
pub struct Library {
    pub(crate) lib: AbiLibrary,
}

#[pymethods]
impl Library {
    /// Opens `name` (None: the running process).
    #[new]
    #[pyo3(signature = (name=None, flags=0))]
    fn new(name: Option<&str>, flags: i32) -> PyResult<Library> {
        let lib = match name {
            None => Ok(AbiLibrary::process()),
            Some(n) if flags != 0 => {
                // RTLD_NOW = 2, RTLD_GLOBAL = 0x100 on Linux.
                // SAFETY: `ffi.dlopen(name, flags)` has cffi's contract: the Python
                // caller chose this library, and loading runs its initializers.
                unsafe { AbiLibrary::open_with(n, flags & 0x100 != 0, flags & 2 != 0) }
            }
            // SAFETY: `ffi.dlopen(name)` has cffi's contract: the Python caller
            // chose this library, and loading runs its initializers.
            Some(n) => unsafe { AbiLibrary::open(n) },
        }
        .map_err(to_py_err)?;
        Ok(Library { lib })
    }

    /// The address of `name`, or None if it is not defined.
    fn symbol(&self, name: &str) -> Option<usize> {
        self.lib.symbol(name).ok().map(|s| s.addr())
    }

    /// The address of `name`; error with the loader's message if missing.
    fn require(&self, name: &str) -> PyResult<usize> {
        self.lib.symbol(name).map(|s| s.addr()).map_err(to_py_err)
    }

    /// The name it was opened with.
    #[getter]
    fn name(&self) -> String {
        self.lib.name().to_string()
    }
}

/// Reports `exc` through `sys.unraisablehook` with the message
/// `Exception ignored {msg}` (what cffi does for callback errors), using
/// the interpreter's `_PyErr_WriteUnraisableMsg` (3.8–3.12) or
/// `PyErr_FormatUnraisable` (3.13+), looked up at run time; falls back to
/// `PyErr_WriteUnraisable`.
#[pyfunction]
pub fn write_unraisable(py: Python<'_>, exc: Bound<'_, pyo3::exceptions::PyBaseException>, msg: &str) {
    let me = AbiLibrary::process();
    let cmsg = std::ffi::CString::new(msg.replace('\0', "?")).unwrap_or_default();
    PyErr::from_value(exc.into_any()).restore(py);
    if let Ok(sym) = me.symbol("_PyErr_WriteUnraisableMsg") {
        // SAFETY: CPython's `void _PyErr_WriteUnraisableMsg(const char *, PyObject *)`,
        // called with the GIL held and an exception set.
        unsafe {
            let f: unsafe extern "C" fn(*const std::ffi::c_char, *mut pyo3::ffi::PyObject) =
                std::mem::transmute(sym.as_ptr());
            f(cmsg.as_ptr(), std::ptr::null_mut());
        }
    } else if let Ok(sym) = me.symbol("PyErr_FormatUnraisable") {
        let full = std::ffi::CString::new(format!("Exception ignored {}", msg.replace('\0', "?"))).unwrap_or_default();
        // SAFETY: CPython's `void PyErr_FormatUnraisable(const char *format, ...)`,
        // called with the GIL held, an exception set, and a "%s" format.
        unsafe {
            let f: unsafe extern "C" fn(*const std::ffi::c_char, ...) = std::mem::transmute(sym.as_ptr());
            f(c"%s".as_ptr(), full.as_ptr());
        }
    } else {
        // SAFETY: an exception is set; NULL object is allowed.
        unsafe { pyo3::ffi::PyErr_WriteUnraisable(std::ptr::null_mut()) };
    }
}

/// The native half of `ffi.buffer` objects: a byte range of C memory that
/// exports the buffer protocol (so `memoryview(buf)`, `f.readinto(buf)`,
/// `sock.recv_into(buf)` work as with cffi), keeping its cdata alive.
#[pyclass(subclass, module = "abicall._abicall")]
pub struct RawBuffer {
    /// Start address.
    #[pyo3(get)]
    _addr: usize,
    /// Length in bytes.
    #[pyo3(get)]
    _size: usize,
    /// The cdata the memory belongs to.
    #[pyo3(get)]
    _keep: PyObject,
}

#[pymethods]
impl RawBuffer {
    #[new]
    fn new(addr: usize, size: usize, keep: PyObject) -> RawBuffer {
        RawBuffer {
            _addr: addr,
            _size: size,
            _keep: keep,
        }
    }

    /// Exports the bytes as a writable, one-dimensional byte buffer.
    ///
    /// # Safety
    /// Called by CPython with a valid `view`.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut pyo3::ffi::Py_buffer,
        flags: std::os::raw::c_int,
    ) -> PyResult<()> {
        let (addr, size) = {
            let b = slf.borrow();
            (b._addr, b._size)
        };
        // SAFETY: `view` is valid (caller); the memory stays alive while
        // the view holds `slf` (PyBuffer_FillInfo takes a reference), which
        // keeps the owning cdata.
        let rc = unsafe {
            pyo3::ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                addr as *mut std::ffi::c_void,
                size as pyo3::ffi::Py_ssize_t,
                0,
                flags,
            )
        };
        if rc != 0 {
            return Err(PyErr::fetch(slf.py()));
        }
        Ok(())
    }

    /// Nothing to free (the view's reference is dropped by CPython).
    ///
    /// # Safety
    /// Called by CPython.
    unsafe fn __releasebuffer__(&self, _view: *mut pyo3::ffi::Py_buffer) {}
}
