//! `Ptr`: a pointer value (an address and the type it points to).

use super::block::Owner;
use super::cdata::{check_ty, CData};
use super::gc::GcOwner;
use crate::error::{Error, MemoryErrorKind, Result};
use crate::types::{Prim, TypeId, TypeKind, Types};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A C pointer value: an address and its pointee type.
///
/// A `Ptr` made from a [`CData`] (with [`CData::pointer`] / [`CData::decay`],
/// or by arithmetic on such a pointer) keeps that memory alive and remembers
/// its region, so [`Ptr::target`] can dereference it safely. A `Ptr` read from
/// C memory or made from an integer knows nothing about the memory it points
/// to: dereferencing it is `unsafe` ([`Ptr::deref`]).
///
/// Like [`CData`], a `Ptr` is neither `Send` nor `Sync`: it can become a view
/// of memory that another view on this thread accesses.
#[derive(Clone)]
pub struct Ptr {
    addr: usize,
    pointee: TypeId,
    owner: Option<Owner>,
    region: Option<(usize, usize)>,
    _not_send: PhantomData<*const u8>,
}

impl fmt::Debug for Ptr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ptr({:#x} -> {})", self.addr, self.pointee)
    }
}

impl PartialEq for Ptr {
    /// Pointers are equal when their addresses and pointee types are.
    fn eq(&self, o: &Ptr) -> bool {
        self.addr == o.addr && self.pointee == o.pointee
    }
}

impl Ptr {
    /// A pointer to `pointee` at `addr`, with no memory behind it known.
    pub fn new(addr: usize, pointee: TypeId) -> Ptr {
        Ptr {
            addr,
            pointee,
            owner: None,
            region: None,
            _not_send: PhantomData,
        }
    }

    /// `NULL` as a pointer to `pointee`.
    pub fn null(pointee: TypeId) -> Ptr {
        Ptr::new(0, pointee)
    }

    pub(crate) fn derived(addr: usize, pointee: TypeId, owner: Option<Owner>, region: (usize, usize)) -> Ptr {
        Ptr {
            addr,
            pointee,
            owner,
            region: Some(region),
            _not_send: PhantomData,
        }
    }

    /// The address.
    pub fn addr(&self) -> usize {
        self.addr
    }

    /// The type pointed to.
    pub fn pointee(&self) -> TypeId {
        self.pointee
    }

    /// True for `NULL`.
    pub fn is_null(&self) -> bool {
        self.addr == 0
    }

    /// The memory owner this pointer keeps alive, if any.
    pub fn owner(&self) -> Option<&Owner> {
        self.owner.as_ref()
    }

    /// The same address as a pointer to `pointee` (a pointer cast), keeping
    /// owner and region.
    pub fn with_pointee(&self, pointee: TypeId) -> Ptr {
        Ptr {
            pointee,
            ..self.clone()
        }
    }

    /// `p + n` (in units of the pointee's size). The result may point
    /// anywhere; only dereferencing is checked.
    pub fn add(&self, types: &Types, n: isize) -> Result<Ptr> {
        check_ty(types, self.pointee)?;
        let es = match types.kind(self.pointee) {
            TypeKind::Prim(Prim::Void) | TypeKind::Func(_) => {
                return Err(Error::memory(
                    MemoryErrorKind::WrongType,
                    format!(
                        "arithmetic on a pointer to `{}`, whose size is unknown",
                        types.display(self.pointee)
                    ),
                ))
            }
            _ => types.size_of(self.pointee)? as isize,
        };
        let addr = n
            .checked_mul(es)
            .and_then(|d| (self.addr as isize).checked_add(d))
            .ok_or_else(|| {
                Error::memory(
                    MemoryErrorKind::Size,
                    format!("pointer arithmetic overflows ({n} elements)"),
                )
            })?;
        Ok(Ptr {
            addr: addr as usize,
            ..self.clone()
        })
    }

    /// Byte distance `self - other` divided by the pointee size (C's `p - q`).
    pub fn diff(&self, types: &Types, other: &Ptr) -> Result<isize> {
        check_ty(types, self.pointee)?;
        let es = types.size_of(self.pointee)? as isize;
        if es == 0 {
            return Err(Error::memory(
                MemoryErrorKind::WrongType,
                "difference of pointers to zero-sized objects".to_string(),
            ));
        }
        Ok((self.addr as isize).wrapping_sub(other.addr as isize) / es)
    }

    /// The object pointed to, when the pointer came from a [`CData`] and
    /// still points into that object's memory (checked).
    pub fn target(&self) -> Result<CData> {
        if self.addr == 0 {
            return Err(Error::memory(MemoryErrorKind::Null, "NULL pointer dereferenced"));
        }
        let (start, len) = self.region.ok_or_else(|| {
            Error::memory(
                MemoryErrorKind::Untracked,
                format!(
                    "pointer {:#x} does not come from memory abicall knows; use the unsafe Ptr::deref",
                    self.addr
                ),
            )
        })?;
        if self.addr < start || self.addr > start + len {
            return Err(Error::memory(
                MemoryErrorKind::OutOfBounds,
                format!("pointer {:#x} points outside the object it was derived from", self.addr),
            ));
        }
        Ok(CData::in_region(
            self.pointee,
            self.addr,
            (start, len),
            self.owner.clone(),
        ))
    }

    /// A view of `count` objects of the pointee type at this address.
    ///
    /// # Safety
    /// `count * sizeof(pointee)` bytes at the address must be valid for reads
    /// and writes for as long as the view (or anything derived from it) is
    /// used, and not be accessed concurrently from another thread meanwhile.
    pub unsafe fn deref(&self, types: &Types, count: usize) -> Result<CData> {
        check_ty(types, self.pointee)?;
        if self.is_null() {
            return Err(Error::memory(
                MemoryErrorKind::Null,
                format!("NULL pointer to `{}` dereferenced", types.display(self.pointee)),
            ));
        }
        let es = types.size_of(self.pointee)? as usize;
        let len = es
            .checked_mul(count)
            .ok_or_else(|| Error::memory(MemoryErrorKind::Size, format!("{count} elements are too many")))?;
        // SAFETY: the caller guarantees the extent and lifetime (see # Safety).
        Ok(unsafe { CData::from_raw(self.pointee, self.addr as *mut u8, len, self.owner.clone()) })
    }

    /// Attaches a destructor (cffi's `gc`) to a pointer, e.g. memory that a C
    /// function returned: the returned pointer's last clone runs
    /// `destructor(address)` exactly once when dropped.
    pub fn gc(&self, destructor: impl FnOnce(usize) + Send + 'static) -> Ptr {
        let owner: Owner = Arc::new(GcOwner::new(self.addr, Box::new(destructor), self.owner.clone()));
        Ptr {
            owner: Some(owner),
            ..self.clone()
        }
    }
}
