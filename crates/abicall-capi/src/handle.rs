//! Handle guards: every C API handle is a heap shell `{ tag, value }`. The
//! tag is a per-kind magic number checked at every entry (so a handle of the
//! wrong kind is refused) and replaced by its complement on free (so use
//! after free and double free are reported, not undefined behaviour).
//!
//! Freed shells are kept in a bounded quarantine ([`QUARANTINE`] shells,
//! FIFO) before their memory goes back to the allocator, like
//! AddressSanitizer's: a freed handle is recognised while it is among the
//! most recent frees. Past that, its memory may be reused, and using it is
//! undefined, as with any freed pointer. The value inside a shell is
//! dropped at once when the handle is freed; only the few bytes of the shell
//! wait in quarantine.

use super::error::{abicall_status, Fail};
use std::collections::VecDeque;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Freed shells kept before their memory is released.
pub(crate) const QUARANTINE: usize = super::ABICALL_FREED_HANDLES_TRACKED;

/// The memory of every handle: the tag first, at offset 0 for every kind
/// (`repr(C)`), so the tag of a pointer given as the wrong kind of handle is
/// read from the right place, inside that handle's memory.
#[repr(C)]
pub(crate) struct Shell<T> {
    tag: AtomicU32,
    value: ManuallyDrop<T>,
}

impl<T> Shell<T> {
    /// A live shell with tag `magic`.
    pub(crate) fn new(magic: u32, inner: T) -> Shell<T> {
        Shell {
            tag: AtomicU32::new(magic),
            value: ManuallyDrop::new(inner),
        }
    }
}

/// A C API handle type: a struct whose only field is a [`Shell`] (so the
/// tag is at offset 0; checked at compile time by [`impl_handle!`]).
///
/// # Safety
/// `Self` must be a single-field struct wrapping a `Shell<Self::Inner>` at
/// offset 0; implemented only through [`impl_handle!`].
pub(crate) unsafe trait Handle: Sized + 'static {
    /// What the shell holds.
    type Inner;
    /// The live tag of this kind (never the complement of another kind's).
    const MAGIC: u32;
    /// The C type name, for messages.
    const NAME: &'static str;
    /// A new live handle.
    fn wrap(inner: Self::Inner) -> Self;
}

/// Implements [`Handle`] for a handle struct `$h { shell: Shell<$inner> }`.
macro_rules! impl_handle {
    ($h:ident, $inner:ty, $magic:expr) => {
        // The tag must be at offset 0 of every handle.
        const _: () = assert!(std::mem::offset_of!($h, shell) == 0);
        // SAFETY: `$h` has the single field `shell`, at offset 0 (asserted above).
        unsafe impl $crate::handle::Handle for $h {
            type Inner = $inner;
            const MAGIC: u32 = $magic;
            const NAME: &'static str = stringify!($h);
            fn wrap(inner: $inner) -> Self {
                $h {
                    shell: $crate::handle::Shell::new($magic, inner),
                }
            }
        }
    };
}
pub(crate) use impl_handle;

/// The shell of a handle pointer.
fn shell<H: Handle>(p: *const H) -> *mut Shell<H::Inner> {
    p as *mut Shell<H::Inner>
}

/// The tag of whatever handle `p` points to (offset 0 of every kind).
///
/// # Safety
/// `p` is non-NULL and points to a handle shell still allocated.
unsafe fn tag<'a>(p: *const u8) -> &'a AtomicU32 {
    // SAFETY: every shell starts with its `AtomicU32` tag (repr(C) `Shell`
    // at offset 0), and the shell is allocated (contract).
    unsafe { &*(p as *const AtomicU32) }
}

/// Boxes a value into a new live handle for C.
pub(crate) fn into_raw<H: Handle>(inner: H::Inner) -> *mut H {
    Box::into_raw(Box::new(H::wrap(inner)))
}

fn check_tag<H: Handle>(tag: u32, arg: &str) -> Result<(), Fail> {
    if tag == H::MAGIC {
        Ok(())
    } else if tag == !H::MAGIC {
        Err(Fail::new(
            abicall_status::ABICALL_E_FREED,
            format!("`{arg}`: this {} was already freed", H::NAME),
        ))
    } else {
        Err(Fail::new(
            abicall_status::ABICALL_E_BAD_HANDLE,
            format!(
                "`{arg}` is not a live {} (a handle of another kind, or a corrupted pointer)",
                H::NAME
            ),
        ))
    }
}

/// The value of a live handle given as argument `arg`.
///
/// # Safety
/// `p` is NULL or a pointer returned by this API as an `H` handle (live, or
/// freed recently enough to be in quarantine). The returned reference must
/// not outlive the entry, and the handle must not be freed concurrently.
pub(crate) unsafe fn live<'a, H: Handle>(p: *const H, arg: &str) -> Result<&'a H::Inner, Fail> {
    if p.is_null() {
        return Err(Fail::null(arg));
    }
    // SAFETY: non-NULL, a shell still allocated (contract).
    check_tag::<H>(unsafe { tag(p as *const u8) }.load(Ordering::Acquire), arg)?;
    // SAFETY: the tag says this is a live `H`, so its shell holds a value.
    Ok(unsafe { &(*shell(p)).value })
}

/// The value of a live handle, or `None` for NULL or anything else (the
/// caller then takes the path of [`live`], which says what is wrong).
///
/// # Safety
/// As for [`live`].
#[inline(always)]
pub(crate) unsafe fn live_or_none<'a, H: Handle>(p: *const H) -> Option<&'a H::Inner> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL, a shell still allocated (contract).
    if unsafe { tag(p as *const u8) }.load(Ordering::Acquire) != H::MAGIC {
        return None;
    }
    // SAFETY: the tag says this is a live `H`, so its shell holds a value.
    Some(unsafe { &(*shell(p)).value })
}

/// Frees a handle given as argument `arg`: NULL is a no-op; a second free
/// is reported as `ABICALL_E_FREED`.
///
/// # Safety
/// As for [`live`]; no other thread may be using the handle.
pub(crate) unsafe fn free<H: Handle>(p: *mut H, arg: &str) -> Result<(), Fail> {
    if p.is_null() {
        return Ok(());
    }
    // SAFETY: non-NULL, a shell still allocated (contract).
    let tag = unsafe { tag(p as *const u8) };
    if let Err(t) = tag.compare_exchange(H::MAGIC, !H::MAGIC, Ordering::AcqRel, Ordering::Acquire) {
        let mut f = check_tag::<H>(t, arg)
            .err()
            .unwrap_or_else(|| Fail::invalid("handle changed while freed"));
        if f.status == abicall_status::ABICALL_E_FREED {
            f.message = format!("`{arg}`: this {} was already freed (double free)", H::NAME);
        }
        return Err(f);
    }
    // SAFETY: this thread won the tag exchange, so it alone drops the value,
    // once; the tag now says "freed", so no entry reads the value again.
    unsafe { ManuallyDrop::drop(&mut (*shell(p)).value) };
    quarantine(Freed {
        ptr: p as *mut u8,
        release: release::<H>,
    });
    Ok(())
}

/// Releases a shell's memory (its value was dropped already).
///
/// # Safety
/// `p` came from [`into_raw`] for `H` and was freed with [`free`].
unsafe fn release<H: Handle>(p: *mut u8) {
    // SAFETY: `p` is the `Box<H>` from `into_raw`; the value is
    // `ManuallyDrop`, so dropping the box frees the memory and drops only
    // the tag.
    drop(unsafe { Box::from_raw(p as *mut H) });
}

struct Freed {
    ptr: *mut u8,
    release: unsafe fn(*mut u8),
}

// SAFETY: a freed shell is only a block of memory waiting to be released;
// nothing reads it through this pointer.
unsafe impl Send for Freed {}

static FREED: Mutex<VecDeque<Freed>> = Mutex::new(VecDeque::new());

fn quarantine(f: Freed) {
    let oldest = {
        let mut q = FREED.lock().unwrap_or_else(|e| e.into_inner());
        q.push_back(f);
        if q.len() > QUARANTINE {
            q.pop_front()
        } else {
            None
        }
    };
    if let Some(old) = oldest {
        // SAFETY: the entry was made by `free` for a shell of the matching type.
        unsafe { (old.release)(old.ptr) };
    }
}
