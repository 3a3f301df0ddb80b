//! A prepared libffi CIF built from a [`CallPlan`].

use super::ffi_type::TypeArena;
use crate::abi::ffi_shape::{self, FfiType};
use crate::abi::CallPlan;
use crate::error::{Error, Result};
use crate::target::Arch;
use crate::types::Types;
use libffi::raw::{self, ffi_cif, ffi_type};

/// A libffi call interface for one plan, owning every type it points to.
pub(crate) struct Cif {
    cif: Box<ffi_cif>,
    _arg_types: Box<[*mut ffi_type]>,
    _arena: TypeArena,
    /// For each planned argument, its index among the CIF's arguments
    /// (`None`: passed as nothing, e.g. an empty struct on x86_64).
    pub(crate) arg_map: Box<[Option<u32>]>,
    /// Number of arguments the CIF has.
    pub(crate) cif_nargs: usize,
    /// For each planned argument: libffi gets a pointer to a copy the
    /// caller makes (AAPCS64 composites over 16 bytes, see
    /// [`ffi_shape::aarch64_cif_args`]).
    pub(crate) by_ref: Box<[bool]>,
    /// CIF arguments that only pad to an even register pair (AAPCS64 C.10);
    /// a call passes zero there, a callback ignores them.
    pub(crate) pad_slots: Box<[u32]>,
}

// SAFETY: a prepared `ffi_cif` is only read by `ffi_call` / closures; libffi
// documents CIFs as reusable from any thread once prepared, and the pointers
// inside point into the boxes owned here.
unsafe impl Send for Cif {}
// SAFETY: shared access only passes the prepared, never-mutated CIF to
// libffi, which reads it concurrently without synchronization needs.
unsafe impl Sync for Cif {}

impl Cif {
    /// Approximate bytes of memory this CIF holds (for embedders' accounting).
    pub(crate) fn memory_size(&self) -> usize {
        std::mem::size_of::<ffi_cif>()
            + self._arg_types.len() * std::mem::size_of::<*mut ffi_type>()
            + self._arena.memory_size()
            + self.arg_map.len() * std::mem::size_of::<Option<u32>>()
            + self.by_ref.len()
            + self.pad_slots.len() * 4
    }

    /// Whether a call must rewrite the caller's argument pointers (values
    /// left out, padding added, copies passed by reference).
    pub(crate) fn reshaped(&self) -> bool {
        self.arg_map.iter().any(Option::is_none) || !self.pad_slots.is_empty() || self.by_ref.contains(&true)
    }

    /// Prepares the CIF (`ffi_prep_cif`, or `ffi_prep_cif_var` for variadic plans).
    pub(crate) fn new(types: &Types, plan: &CallPlan) -> Result<Cif> {
        if let Some(why) =
            ffi_shape::libffi_limitation(plan).or_else(|| ffi_shape::libffi_vector_limitation(types, plan))
        {
            return Err(Error::abi(
                crate::error::AbiErrorKind::Unsupported,
                None,
                format!("this signature cannot be called through libffi: {why}"),
            ));
        }
        let mut arena = TypeArena::default();
        let target = plan.target;
        // An empty struct return: nothing comes back.
        let rtype = arena
            .materialize(&ffi_shape::ffi_return_type(types, &plan.ret), target)
            .unwrap_or(std::ptr::addr_of_mut!(raw::ffi_type_void));
        let mut arg_types = Vec::with_capacity(plan.args.len());
        let mut arg_map = Vec::with_capacity(plan.args.len());
        let mut fixed = 0u32;
        let aarch64 = match target.arch() {
            Arch::Aarch64 => ffi_shape::aarch64_cif_args(plan),
            Arch::X86_64 => vec![Default::default(); plan.args.len()],
        };
        let mut pad_slots = Vec::new();
        for (i, a) in plan.args.iter().enumerate() {
            let how = aarch64[i];
            for _ in 0..how.pads_before {
                pad_slots.push(arg_types.len() as u32);
                arg_types.push(std::ptr::addr_of_mut!(raw::ffi_type_uint64));
                if i < plan.fixed_args {
                    fixed += 1;
                }
            }
            let desc = if how.by_ref {
                FfiType::Pointer
            } else {
                ffi_shape::ffi_type(types, a)
            };
            match arena.materialize(&desc, target) {
                Some(t) => {
                    arg_map.push(Some(arg_types.len() as u32));
                    arg_types.push(t);
                    if i < plan.fixed_args {
                        fixed += 1;
                    }
                }
                None => arg_map.push(None),
            }
        }
        let mut arg_types = arg_types.into_boxed_slice();
        let nargs = arg_types.len();
        let mut cif: Box<ffi_cif> = Box::new(
            // SAFETY: ffi_cif is a plain C struct; all-zero is a valid
            // "unprepared" state that ffi_prep_cif overwrites.
            unsafe { std::mem::zeroed() },
        );
        let atypes = if nargs == 0 {
            std::ptr::null_mut()
        } else {
            arg_types.as_mut_ptr()
        };
        // SAFETY: `cif`, `rtype` and every element of `arg_types` point to
        // live descriptors owned by `arena` / libffi, and outlive the CIF.
        let status = unsafe {
            if plan.variadic {
                raw::ffi_prep_cif_var(
                    &mut *cif,
                    raw::ffi_abi_FFI_DEFAULT_ABI,
                    fixed,
                    nargs as u32,
                    rtype,
                    atypes,
                )
            } else {
                raw::ffi_prep_cif(&mut *cif, raw::ffi_abi_FFI_DEFAULT_ABI, nargs as u32, rtype, atypes)
            }
        };
        if status != raw::ffi_status_FFI_OK {
            return Err(Error::abi(
                crate::error::AbiErrorKind::Unsupported,
                None,
                format!("libffi could not prepare this signature (status {status})"),
            ));
        }
        Ok(Cif {
            cif,
            _arg_types: arg_types,
            _arena: arena,
            arg_map: arg_map.into_boxed_slice(),
            cif_nargs: nargs,
            by_ref: aarch64.iter().map(|a| a.by_ref).collect(),
            pad_slots: pad_slots.into_boxed_slice(),
        })
    }

    /// The raw CIF pointer for `ffi_call` / `ffi_prep_closure_loc`.
    pub(crate) fn as_ptr(&self) -> *mut ffi_cif {
        &*self.cif as *const ffi_cif as *mut ffi_cif
    }
}
