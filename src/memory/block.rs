//! Owned C memory blocks: zeroed, aligned allocations freed when the last
//! owner drops.

use crate::error::{Error, MemoryErrorKind, Result};
use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::any::Any;
use std::ptr::NonNull;
use std::sync::Arc;

/// Something that keeps memory alive: an owned allocation, a loaded library, a
/// host buffer, a `gc` destructor. Every view derived from owned memory holds
/// one clone; the memory goes away when the last clone does.
pub type Owner = Arc<dyn Any + Send + Sync>;

/// A zeroed allocation with a given size and alignment (size at least 1).
pub(crate) struct Block {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: a `Block` exclusively owns its allocation (like a `Box<[u8]>`) and
// only frees it in `Drop`; it never reads or writes the bytes itself. Reads and
// writes go through `CData`, which is neither `Send` nor `Sync`.
unsafe impl Send for Block {}
// SAFETY: see `Send`: `&Block` gives no access to the bytes.
unsafe impl Sync for Block {}

impl Block {
    /// Allocates `size` zeroed bytes (at least 1) aligned to `align`.
    pub(crate) fn zeroed(size: usize, align: usize) -> Result<Block> {
        let layout = Layout::from_size_align(size.max(1), align.max(1)).map_err(|_| {
            Error::memory(
                MemoryErrorKind::Size,
                format!("cannot allocate {size} bytes aligned to {align}: size too large"),
            )
        })?;
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(p).ok_or_else(|| {
            Error::memory(
                MemoryErrorKind::OutOfMemory,
                format!("out of memory allocating {size} bytes aligned to {align}"),
            )
        })?;
        Ok(Block { ptr, layout })
    }

    /// The start of the allocation.
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `alloc_zeroed(layout)` and is freed once, here.
        unsafe { dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

/// A host buffer whose bytes a `CData` borrows (see
/// [`crate::memory::CData::from_buffer`]). Held as a raw allocation (not a
/// `Box`) so that moving the owner around never asserts uniqueness over bytes
/// that views point into.
pub(crate) struct HostBuffer {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: like `Block`: the buffer exclusively owns its allocation and only
// frees it in `Drop`; access goes through `CData`, which is neither Send nor Sync.
unsafe impl Send for HostBuffer {}
// SAFETY: see `Send`.
unsafe impl Sync for HostBuffer {}

impl HostBuffer {
    pub(crate) fn new(v: Vec<u8>) -> HostBuffer {
        let b: Box<[u8]> = v.into_boxed_slice();
        let len = b.len();
        let ptr = Box::into_raw(b) as *mut u8;
        HostBuffer { ptr, len }
    }

    /// Start and length of the bytes.
    pub(crate) fn raw(&self) -> (*mut u8, usize) {
        (self.ptr, self.len)
    }
}

impl Drop for HostBuffer {
    fn drop(&mut self) {
        let slice = std::ptr::slice_from_raw_parts_mut(self.ptr, self.len);
        // SAFETY: `slice` is exactly the pointer and length `Box::into_raw`
        // gave in `new`; it is freed once, here.
        drop(unsafe { Box::from_raw(slice) });
    }
}
