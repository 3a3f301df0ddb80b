//! libffi types synthesized from a call plan (not from the declared field
//! list), so that libffi moves the bytes where our classification says.
//!
//! libffi trusts a pre-filled `size` and `alignment` (`ffi_prep_cif` only lays
//! out aggregates whose size is 0), so every synthesized struct carries the
//! real size and alignment of the C value and an element list chosen only for
//! how libffi will classify it:
//!
//! | plan class               | synthesized element list                              |
//! |--------------------------|-------------------------------------------------------|
//! | x86_64 eightbytes        | per eightbyte: INTEGER → `u64` (or `u32,u16,u8` pieces for a short tail), SSE → `double` / `float`s, NO_CLASS → nothing |
//! | x86_64 MEMORY            | one dummy element of size 64: libffi's `classify_argument` returns "memory" for anything over 32 bytes |
//! | `__int128`               | `u64, u64` with alignment 16 (never split, 16-aligned on the stack) |
//! | `_Complex`               | libffi's `FFI_TYPE_COMPLEX` of the base type (COMPLEX_X87 handled by libffi) |
//! | aarch64 HFA              | N × the base floating type                            |
//! | aarch64 other composite  | `u64` pieces (≤ 16 bytes in GPRs, larger by reference) |
//! | empty struct             | omitted from the CIF                                  |

use crate::abi::{Loc, Pass, ValueClass, ValuePlan};
use crate::error::{Error, Result};
use crate::target::Target;
use crate::types::Prim;
use libffi::raw::{self, ffi_type};
use std::ptr::{addr_of_mut, null_mut};

/// libffi's `FFI_TYPE_STRUCT`.
const FFI_TYPE_STRUCT: u16 = 13;
/// libffi's `FFI_TYPE_COMPLEX`.
const FFI_TYPE_COMPLEX: u16 = 15;

/// Owner of synthesized `ffi_type`s: boxed so their addresses stay put while
/// a CIF points at them.
#[derive(Default)]
pub(crate) struct TypeArena {
    // Boxed on purpose: a CIF keeps pointers to these, so they must not move
    // when the vector grows.
    #[allow(clippy::vec_box)]
    types: Vec<Box<ffi_type>>,
    elems: Vec<Box<[*mut ffi_type]>>,
}

// SAFETY: the arena only holds pointers to its own boxes and to libffi's
// immutable built-in type descriptors; nothing is mutated after construction.
unsafe impl Send for TypeArena {}
// SAFETY: as above: shared access only reads.
unsafe impl Sync for TypeArena {}

macro_rules! builtin {
    ($name:ident) => {
        // Taking the address of libffi's built-in descriptor (never written
        // after initialisation) needs no unsafe.
        addr_of_mut!(raw::$name)
    };
}

/// A value returned whole in `st0` (its plan says so): only the x86_64
/// X87-class aggregate `struct { long double x; }` gets here as `Memory`.
fn returned_in_st0(v: &ValuePlan) -> bool {
    matches!(&v.pass, Pass::Direct(parts) if parts.len() == 1 && parts[0].loc == Loc::X87(0))
}

/// The libffi built-in type for a scalar that libffi knows natively.
fn scalar(p: Prim, target: Target) -> Option<*mut ffi_type> {
    use Prim::*;
    Some(match p {
        Bool | UChar => builtin!(ffi_type_uint8),
        SChar => builtin!(ffi_type_sint8),
        Char => {
            if target.char_is_signed() {
                builtin!(ffi_type_sint8)
            } else {
                builtin!(ffi_type_uint8)
            }
        }
        Short => builtin!(ffi_type_sint16),
        UShort => builtin!(ffi_type_uint16),
        Int => builtin!(ffi_type_sint32),
        UInt => builtin!(ffi_type_uint32),
        Long | LongLong => builtin!(ffi_type_sint64),
        ULong | ULongLong => builtin!(ffi_type_uint64),
        Float => builtin!(ffi_type_float),
        Double => builtin!(ffi_type_double),
        LongDouble => match target.long_double_format() {
            crate::target::LongDoubleFormat::Double => builtin!(ffi_type_double),
            _ => builtin!(ffi_type_longdouble),
        },
        _ => return None,
    })
}

impl TypeArena {
    fn push(&mut self, size: u64, align: u64, type_: u16, elems: Vec<*mut ffi_type>) -> *mut ffi_type {
        let mut list: Vec<*mut ffi_type> = elems;
        list.push(null_mut());
        let mut list = list.into_boxed_slice();
        let t = Box::new(ffi_type {
            size: size as usize,
            alignment: align as u16,
            type_,
            elements: list.as_mut_ptr(),
        });
        self.elems.push(list);
        self.types.push(t);
        let last = self.types.last_mut().expect("just pushed");
        &mut **last as *mut ffi_type
    }

    fn structure(&mut self, size: u64, align: u64, elems: Vec<*mut ffi_type>) -> *mut ffi_type {
        self.push(size, align, FFI_TYPE_STRUCT, elems)
    }

    /// Integer pieces covering `n` (1..=8) bytes starting at an 8-aligned offset.
    fn int_pieces(n: u64, out: &mut Vec<*mut ffi_type>) {
        let mut left = n;
        for (w, t) in [
            (8, builtin!(ffi_type_uint64)),
            (4, builtin!(ffi_type_uint32)),
            (2, builtin!(ffi_type_uint16)),
            (1, builtin!(ffi_type_uint8)),
        ] {
            while left >= w {
                out.push(t);
                left -= w;
            }
        }
    }

    /// A block libffi passes in memory (x86_64 MEMORY class).
    fn memory_block(&mut self, size: u64, align: u64) -> *mut ffi_type {
        let dummy = self.structure(64, 8, vec![builtin!(ffi_type_uint64)]);
        self.structure(size, align.max(1), vec![dummy])
    }

    fn complex(&mut self, p: Prim, target: Target) -> Result<*mut ffi_type> {
        let base = match p {
            Prim::FloatComplex => Prim::Float,
            Prim::DoubleComplex => Prim::Double,
            _ => Prim::LongDouble,
        };
        let (size, align) = p.size_align(target);
        let b = scalar(base, target).ok_or_else(|| Error::Abi("complex base type".into()))?;
        Ok(self.push(size, align, FFI_TYPE_COMPLEX, vec![b]))
    }

    /// The libffi type for one planned value; `None` when the value is
    /// passed as nothing (empty struct) and must be left out of the CIF.
    pub(crate) fn for_value(&mut self, v: &ValuePlan, target: Target) -> Result<Option<*mut ffi_type>> {
        let (size, align) = (v.size, v.align);
        Ok(Some(match &v.class {
            ValueClass::Void => builtin!(ffi_type_void),
            ValueClass::Pointer => builtin!(ffi_type_pointer),
            ValueClass::Empty => return Ok(None),
            ValueClass::Scalar(p) => match scalar(*p, target) {
                Some(t) => t,
                None if matches!(p, Prim::Int128 | Prim::UInt128) => {
                    let u = builtin!(ffi_type_uint64);
                    self.structure(16, 16, vec![u, u])
                }
                None if p.is_complex() => self.complex(*p, target)?,
                None => return Err(Error::Abi(format!("cannot pass `{}` through libffi", p.c_name()))),
            },
            // `struct { long double x; }` returned in st0 (X87 class, plan part
            // `st0`): libffi would return such a struct in rax:rdx, so hand it
            // the scalar `long double`, whose st0 return stores the same 16
            // bytes. (As an argument the value is MEMORY: an opaque block.)
            ValueClass::Memory if returned_in_st0(v) => builtin!(ffi_type_longdouble),
            ValueClass::Memory => self.memory_block(size, align),
            ValueClass::Eightbytes(classes) => {
                use crate::abi::x86_64::Class;
                let mut elems = Vec::new();
                for (i, c) in classes.iter().enumerate() {
                    let start = 8 * i as u64;
                    let n = size.saturating_sub(start).min(8);
                    match c {
                        Class::Integer => Self::int_pieces(n, &mut elems),
                        Class::Sse => match n {
                            8 => elems.push(builtin!(ffi_type_double)),
                            4 => elems.push(builtin!(ffi_type_float)),
                            _ => {
                                return Err(Error::Abi(format!(
                                    "an SSE eightbyte of {n} bytes cannot be expressed to libffi"
                                )))
                            }
                        },
                        Class::NoClass => {}
                        other => {
                            return Err(Error::Abi(format!(
                                "eightbyte class {other:?} cannot appear in a register-passed aggregate"
                            )))
                        }
                    }
                }
                if elems.is_empty() {
                    return Ok(None);
                }
                self.structure(size, align, elems)
            }
            ValueClass::Hfa { base, count } => {
                let b = scalar(*base, target)
                    .ok_or_else(|| Error::Abi(format!("HFA base `{}` unknown to libffi", base.c_name())))?;
                self.structure(size, align, vec![b; *count as usize])
            }
            ValueClass::Composite => {
                let mut elems = Vec::new();
                let mut off = 0;
                while off < size {
                    Self::int_pieces((size - off).min(8), &mut elems);
                    off += 8;
                }
                self.structure(size, align, elems)
            }
        }))
    }
}
