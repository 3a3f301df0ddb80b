//! Scalar codes: how one C scalar is stored in memory, and its conversion
//! to and from Python objects (cffi's rules: ints range-checked with
//! `OverflowError`, floats accept ints, `char` is a one-byte `bytes`).

use abicall::memory::longdouble;
use abicall::target::LongDoubleFormat;
use abicall::types::{Prim, TypeId, TypeKind, Types};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyFloat, PyInt};

/// How a scalar is stored (the `code` of a ctype).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Code {
    /// Not a scalar (void, struct, union, array, function).
    None = 0,
    /// `_Bool`.
    Bool = 1,
    /// `char` (read as a one-byte `bytes`).
    Char = 2,
    /// `signed char`.
    I8 = 3,
    /// `unsigned char`.
    U8 = 4,
    /// `short`.
    I16 = 5,
    /// `unsigned short`.
    U16 = 6,
    /// `int`.
    I32 = 7,
    /// `unsigned int`.
    U32 = 8,
    /// `long`, `long long`.
    I64 = 9,
    /// `unsigned long`, `unsigned long long`.
    U64 = 10,
    /// `__int128`.
    I128 = 11,
    /// `unsigned __int128`.
    U128 = 12,
    /// `float`.
    F32 = 13,
    /// `double` (and `long double` where it is `double`).
    F64 = 14,
    /// `long double` in the host format (read as a rounded `float`).
    LongDouble = 15,
    /// A pointer (data or function).
    Ptr = 16,
    /// `float _Complex`.
    ComplexF32 = 17,
    /// `double _Complex`.
    ComplexF64 = 18,
}

impl Code {
    /// The code from its number (unknown numbers are `None`).
    pub fn from_u8(v: u8) -> Code {
        use Code::*;
        [
            None, Bool, Char, I8, U8, I16, U16, I32, U32, I64, U64, I128, U128, F32, F64, LongDouble, Ptr, ComplexF32,
            ComplexF64,
        ]
        .get(v as usize)
        .copied()
        .unwrap_or(None)
    }

    /// The code of a type.
    pub fn of(types: &Types, ty: TypeId) -> Code {
        match types.kind(ty) {
            TypeKind::Pointer(_) => Code::Ptr,
            TypeKind::Prim(_) | TypeKind::Enum(_) => match types.as_prim(ty) {
                Some(p) => Code::of_prim(p, types),
                None => Code::None,
            },
            _ => Code::None,
        }
    }

    fn of_prim(p: Prim, types: &Types) -> Code {
        use Prim::*;
        let t = types.target();
        match p {
            Void => Code::None,
            Prim::Bool => Code::Bool,
            Char => Code::Char,
            SChar => Code::I8,
            UChar => Code::U8,
            Short => Code::I16,
            UShort => Code::U16,
            Int => Code::I32,
            UInt => Code::U32,
            Long | LongLong => Code::I64,
            ULong | ULongLong => Code::U64,
            Int128 => Code::I128,
            UInt128 => Code::U128,
            Float => Code::F32,
            Double => Code::F64,
            LongDouble if t.long_double_format() == LongDoubleFormat::Double => Code::F64,
            LongDouble => Code::LongDouble,
            FloatComplex => Code::ComplexF32,
            DoubleComplex => Code::ComplexF64,
            LongDoubleComplex => Code::None,
        }
    }

    /// Whether the code is an integer kind (`char` and `_Bool` excluded).
    pub fn is_int(self) -> bool {
        (self as u8) >= Code::I8 as u8 && (self as u8) <= Code::U128 as u8
    }
}

fn host_ld_format() -> LongDoubleFormat {
    abicall::Target::host().map_or(LongDoubleFormat::X87Extended, |t| t.long_double_format())
}

fn overflow(v: &Bound<'_, PyAny>, cname: &str) -> PyErr {
    PyOverflowError::new_err(format!("integer {v} does not fit '{cname}'"))
}

/// C name of an integer code (for messages).
pub fn code_name(c: Code) -> &'static str {
    use Code::*;
    match c {
        Bool => "_Bool",
        Char => "char",
        I8 => "signed char",
        U8 => "unsigned char",
        I16 => "short",
        U16 => "unsigned short",
        I32 => "int",
        U32 => "unsigned int",
        I64 => "long",
        U64 => "unsigned long",
        I128 => "__int128",
        U128 => "unsigned __int128",
        F32 => "float",
        F64 => "double",
        LongDouble => "long double",
        Ptr => "pointer",
        ComplexF32 => "float _Complex",
        ComplexF64 => "double _Complex",
        None => "void",
    }
}

/// Extracts a Python integer as i128, `TypeError` for non-integers
/// (floats included, as cffi).
fn as_i128(v: &Bound<'_, PyAny>) -> PyResult<i128> {
    if let Ok(i) = v.downcast::<PyInt>() {
        if let Ok(x) = i.extract::<i64>() {
            return Ok(x as i128);
        }
        return i.extract::<i128>().or_else(|_| {
            i.extract::<u128>()
                .map(|u| u as i128)
                .map_err(|_| PyOverflowError::new_err(format!("integer {v} does not fit 128 bits")))
        });
    }
    if v.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(format!(
            "an integer is required, not '{}'",
            v.get_type().name()?
        )));
    }
    // Objects with `__int__` (numpy ints, ...), as cffi: it calls the
    // type's `nb_int` slot (an object with only `__index__` is refused).
    match v.call_method0("__int__") {
        Ok(i) => as_i128(&i),
        Err(_) => Err(PyTypeError::new_err(format!(
            "an integer is required, not '{}'",
            v.get_type().name()?
        ))),
    }
}

/// Writes `v` as a scalar of kind `code` into `out` (at least 16 bytes).
/// Pointers are not handled here (see the callers).
pub fn encode(code: Code, v: &Bound<'_, PyAny>, out: &mut [u8]) -> PyResult<()> {
    use Code::*;
    macro_rules! int {
        ($t:ty) => {{
            // Fast path for machine-word ints.
            let x: i128 = match v.downcast::<PyInt>() {
                Ok(i) => match i.extract::<i64>() {
                    Ok(x) => x as i128,
                    Err(_) => as_i128(v)?,
                },
                Err(_) => as_i128(v)?,
            };
            let x = <$t>::try_from(x).map_err(|_| overflow(v, code_name(code)))?;
            out[..std::mem::size_of::<$t>()].copy_from_slice(&x.to_le_bytes());
        }};
    }
    match code {
        I8 => int!(i8),
        U8 => int!(u8),
        I16 => int!(i16),
        U16 => int!(u16),
        I32 => int!(i32),
        U32 => int!(u32),
        I64 => int!(i64),
        U64 => int!(u64),
        I128 => int!(i128),
        U128 => {
            let x = if let Ok(u) = v.extract::<u128>() {
                u
            } else {
                let i = as_i128(v)?;
                u128::try_from(i).map_err(|_| overflow(v, code_name(code)))?
            };
            out[..16].copy_from_slice(&x.to_le_bytes());
        }
        Bool => {
            let x = as_i128(v)?;
            if !(0..=1).contains(&x) {
                return Err(overflow(v, "_Bool"));
            }
            out[0] = x as u8;
        }
        Char => {
            let b = v.downcast::<PyBytes>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "initializer for ctype 'char' must be a bytes of length 1, not {}",
                    v.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?;
            let b = b.as_bytes();
            if b.len() != 1 {
                return Err(PyTypeError::new_err(format!(
                    "initializer for ctype 'char' must be a bytes of length 1, not bytes of length {}",
                    b.len()
                )));
            }
            out[0] = b[0];
        }
        F32 => out[..4].copy_from_slice(&(as_f64(v)? as f32).to_le_bytes()),
        F64 => out[..8].copy_from_slice(&as_f64(v)?.to_le_bytes()),
        LongDouble => out[..16].copy_from_slice(&longdouble::encode(as_f64(v)?, host_ld_format())),
        ComplexF32 | ComplexF64 => {
            let c: num_complex::Complex = v.extract()?;
            if code == ComplexF32 {
                out[..4].copy_from_slice(&(c.re as f32).to_le_bytes());
                out[4..8].copy_from_slice(&(c.im as f32).to_le_bytes());
            } else {
                out[..8].copy_from_slice(&c.re.to_le_bytes());
                out[8..16].copy_from_slice(&c.im.to_le_bytes());
            }
        }
        Ptr => {
            let a = as_i128(v)?;
            out[..8].copy_from_slice(&(a as u64).to_le_bytes());
        }
        None => return Err(PyTypeError::new_err("cannot store a value of type void")),
    }
    Ok(())
}

/// A small stand-in for a complex number extracted from Python.
mod num_complex {
    use pyo3::prelude::*;
    use pyo3::types::PyComplex;

    /// `(re, im)`.
    pub struct Complex {
        pub re: f64,
        pub im: f64,
    }

    impl<'py> FromPyObject<'py> for Complex {
        fn extract_bound(ob: &Bound<'py, PyAny>) -> PyResult<Self> {
            if let Ok(c) = ob.downcast::<PyComplex>() {
                return Ok(Complex {
                    re: c.real(),
                    im: c.imag(),
                });
            }
            Ok(Complex {
                re: super::as_f64(ob)?,
                im: 0.0,
            })
        }
    }
}

/// A Python float (or int) as f64; `TypeError` otherwise.
pub fn as_f64(v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if let Ok(f) = v.downcast::<PyFloat>() {
        return Ok(f.value());
    }
    if v.is_instance_of::<PyInt>() {
        return v.extract::<f64>();
    }
    Err(PyTypeError::new_err(format!(
        "must be real number, not {}",
        v.get_type().name()?
    )))
}

/// Reads a scalar of kind `code` from `b`.
pub fn decode(py: Python<'_>, code: Code, b: &[u8]) -> PyResult<PyObject> {
    use Code::*;
    macro_rules! int {
        ($t:ty) => {{
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
            <$t>::from_le_bytes(a).into_pyobject(py)?.into_any().unbind()
        }};
    }
    Ok(match code {
        I8 => int!(i8),
        U8 => int!(u8),
        I16 => int!(i16),
        U16 => int!(u16),
        I32 => int!(i32),
        U32 => int!(u32),
        I64 => int!(i64),
        U64 | Ptr => int!(u64),
        I128 => int!(i128),
        U128 => int!(u128),
        Bool => (b[0] != 0).into_pyobject(py)?.to_owned().into_any().unbind(),
        Char => PyBytes::new(py, &b[..1]).into_any().unbind(),
        F32 => {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[..4]);
            (f32::from_le_bytes(a) as f64).into_pyobject(py)?.into_any().unbind()
        }
        F64 => {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[..8]);
            f64::from_le_bytes(a).into_pyobject(py)?.into_any().unbind()
        }
        LongDouble => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[..16]);
            longdouble::decode(&a, host_ld_format())
                .into_pyobject(py)?
                .into_any()
                .unbind()
        }
        ComplexF32 => {
            let f = |i: usize| f32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as f64;
            pyo3::types::PyComplex::from_doubles(py, f(0), f(4)).into_any().unbind()
        }
        ComplexF64 => {
            let f = |i: usize| {
                let mut a = [0u8; 8];
                a.copy_from_slice(&b[i..i + 8]);
                f64::from_le_bytes(a)
            };
            pyo3::types::PyComplex::from_doubles(py, f(0), f(8)).into_any().unbind()
        }
        None => py.None(),
    })
}

/// Size in bytes of a scalar code.
pub fn code_size(c: Code) -> usize {
    use Code::*;
    match c {
        None => 0,
        Bool | Char | I8 | U8 => 1,
        I16 | U16 => 2,
        I32 | U32 | F32 => 4,
        I64 | U64 | F64 | Ptr | ComplexF32 => 8,
        I128 | U128 | LongDouble | ComplexF64 => 16,
    }
}
