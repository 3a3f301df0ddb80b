//! `abicall._abicall`: the native half of the `abicall` Python package.
//!
//! The Python package (`python/abicall/__init__.py`) implements cffi's
//! ABI-mode surface (`FFI`, `CType`, `CData`, ...) on top of the pieces
//! here: declaration contexts and type facts ([`context`]), raw memory
//! ([`memory`]), the call path ([`function`]) and callbacks ([`callback`]),
//! all built on the `abicall` Rust API.

#![warn(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod access;
pub mod callback;
pub mod context;
pub mod convert;
pub mod function;
pub mod memory;
pub mod methods;
pub mod peek;
pub mod quick;
pub mod scalar;
pub mod slots;

use pyo3::create_exception;
use pyo3::prelude::*;

create_exception!(_abicall, FFIError, pyo3::exceptions::PyException, "cffi's `ffi.error`.");
create_exception!(
    _abicall,
    CDefError,
    pyo3::exceptions::PyException,
    "A declaration cannot be parsed."
);

/// Maps an abicall error to the exception cffi raises for the same
/// situation: parse errors are `CDefError`, unknown names `AttributeError`
/// or `CDefError`, library errors `OSError`, value conversions
/// `TypeError`/`OverflowError`, everything else `ffi.error`.
pub fn to_py_err(e: abicall::Error) -> PyErr {
    use abicall::Error as E;
    let msg = e.to_string();
    match e {
        E::Parse { .. } => CDefError::new_err(msg),
        E::UnknownName(_) | E::UnknownType(_) => CDefError::new_err(msg),
        E::Convert { .. } => pyo3::exceptions::PyTypeError::new_err(msg),
        E::LibraryOpen { .. } => pyo3::exceptions::PyOSError::new_err(msg),
        E::SymbolNotFound { .. } => pyo3::exceptions::PyAttributeError::new_err(msg),
        E::Handle(_) => pyo3::exceptions::PyValueError::new_err(msg),
        _ => FFIError::new_err(msg),
    }
}

#[pymodule]
fn _abicall(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FFIError", py.get_type::<FFIError>())?;
    m.add("CDefError", py.get_type::<CDefError>())?;
    m.add_class::<context::Context>()?;
    m.add_class::<context::CTypeBase>()?;
    m.add_class::<context::CDataBase>()?;
    m.add_class::<function::Function>()?;
    function::install_call_slot(py);
    slots::install_dealloc(py);
    m.add_class::<callback::Callback>()?;
    m.add_class::<memory::Block>()?;
    m.add_class::<memory::PinnedBuffer>()?;
    m.add_class::<memory::RawBuffer>()?;
    m.add_class::<memory::HandleGuard>()?;
    m.add_class::<memory::Library>()?;
    m.add_function(wrap_pyfunction!(convert::_install, m)?)?;
    m.add_function(wrap_pyfunction!(convert::new_owned, m)?)?;
    m.add_function(wrap_pyfunction!(convert::cast_ptr, m)?)?;
    m.add_function(wrap_pyfunction!(convert::cast_named, m)?)?;
    m.add_function(wrap_pyfunction!(convert::_install_plain, m)?)?;
    m.add_function(wrap_pyfunction!(methods::_native_method, m)?)?;
    m.add_function(wrap_pyfunction!(slots::_install_slots, m)?)?;
    m.add_function(wrap_pyfunction!(convert::_install_ctype, m)?)?;
    m.add_function(wrap_pyfunction!(convert::write_init, m)?)?;
    m.add_function(wrap_pyfunction!(function::_install_call_slot, m)?)?;
    m.add_function(wrap_pyfunction!(function::_enable_vectorcall, m)?)?;
    m.add_function(wrap_pyfunction!(memory::read, m)?)?;
    m.add_function(wrap_pyfunction!(memory::write, m)?)?;
    m.add_function(wrap_pyfunction!(memory::pack, m)?)?;
    m.add_function(wrap_pyfunction!(memory::read_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(memory::write_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(memory::memmove, m)?)?;
    m.add_function(wrap_pyfunction!(memory::string_at, m)?)?;
    m.add_function(wrap_pyfunction!(memory::wstring_at, m)?)?;
    m.add_function(wrap_pyfunction!(memory::from_handle, m)?)?;
    m.add_function(wrap_pyfunction!(memory::get_errno, m)?)?;
    m.add_function(wrap_pyfunction!(memory::write_unraisable, m)?)?;
    m.add_function(wrap_pyfunction!(memory::set_errno, m)?)?;
    Ok(())
}
