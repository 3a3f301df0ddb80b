//! libffi types materialized from the plan's [`FfiType`] descriptions
//! ([`crate::abi::ffi_shape`] decides the synthetic element lists; this
//! module only turns them into `ffi_type` structs libffi can point at).
//!
//! libffi trusts a pre-filled `size` and `alignment` (`ffi_prep_cif` only lays
//! out aggregates whose size is 0), so every synthesized struct carries the
//! size and alignment the plan gives, and an element list chosen only for how
//! libffi will classify it. An x86_64 MEMORY value is a struct whose one
//! element is larger than 32 bytes: libffi's `classify_argument` then answers
//! "memory" whatever the outer size.

use crate::abi::ffi_shape::FfiType;
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
// SAFETY: shared access only reads descriptors that are never mutated
// after construction.
unsafe impl Sync for TypeArena {}

macro_rules! builtin {
    ($name:ident) => {
        // Taking the address of libffi's built-in descriptor (never written
        // after initialisation) needs no unsafe.
        addr_of_mut!(raw::$name)
    };
}

impl TypeArena {
    /// Bytes of the descriptors this arena holds.
    pub(crate) fn memory_size(&self) -> usize {
        self.types.len() * std::mem::size_of::<ffi_type>()
            + self
                .elems
                .iter()
                .map(|e| e.len() * std::mem::size_of::<*mut ffi_type>())
                .sum::<usize>()
    }

    fn push(&mut self, size: u64, align: u64, type_: u16, elems: Vec<*mut ffi_type>) -> *mut ffi_type {
        let mut list: Vec<*mut ffi_type> = elems;
        list.push(null_mut());
        let mut list = list.into_boxed_slice();
        let t = Box::new(ffi_type {
            size: size as usize,
            alignment: align.clamp(1, u16::MAX as u64) as u16,
            type_,
            elements: list.as_mut_ptr(),
        });
        self.elems.push(list);
        self.types.push(t);
        let last = self.types.last_mut().expect("just pushed");
        &mut **last as *mut ffi_type
    }

    /// The `ffi_type` for a description; `None` for [`FfiType::Omit`] (a
    /// value passed as nothing, left out of the CIF).
    pub(crate) fn materialize(&mut self, t: &FfiType, target: Target) -> Option<*mut ffi_type> {
        Some(match t {
            FfiType::Omit => return None,
            FfiType::Void => builtin!(ffi_type_void),
            FfiType::U8 => builtin!(ffi_type_uint8),
            FfiType::S8 => builtin!(ffi_type_sint8),
            FfiType::U16 => builtin!(ffi_type_uint16),
            FfiType::S16 => builtin!(ffi_type_sint16),
            FfiType::U32 => builtin!(ffi_type_uint32),
            FfiType::S32 => builtin!(ffi_type_sint32),
            FfiType::U64 => builtin!(ffi_type_uint64),
            FfiType::S64 => builtin!(ffi_type_sint64),
            FfiType::Float => builtin!(ffi_type_float),
            FfiType::Double => builtin!(ffi_type_double),
            FfiType::LongDouble => builtin!(ffi_type_longdouble),
            FfiType::Pointer => builtin!(ffi_type_pointer),
            FfiType::Complex(p) => {
                // libffi's own complex descriptor: FFI_TYPE_COMPLEX whose one
                // element is the part type (as `ffi_type_complex_*` in types.c).
                let part = match p {
                    Prim::FloatComplex => builtin!(ffi_type_float),
                    Prim::DoubleComplex => builtin!(ffi_type_double),
                    _ => builtin!(ffi_type_longdouble),
                };
                let (size, align) = p.size_align(target);
                self.push(size, align, FFI_TYPE_COMPLEX, vec![part])
            }
            FfiType::Struct { size, align, elems } => {
                let list = elems.iter().filter_map(|e| self.materialize(e, target)).collect();
                self.push(*size, *align, FFI_TYPE_STRUCT, list)
            }
            FfiType::Memory { size, align } => {
                let dummy = self.push(64, 8, FFI_TYPE_STRUCT, vec![builtin!(ffi_type_uint64)]);
                self.push(*size, *align, FFI_TYPE_STRUCT, vec![dummy])
            }
        })
    }
}
