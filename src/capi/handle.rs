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

/// A C API handle type: a shell with a tag and a value.
///
/// # Safety
/// `tag` and `value` must return the shell's own fields; implemented only
/// through [`impl_handle!`].
pub(crate) unsafe trait Handle: Sized + 'static {
    /// What the shell holds.
    type Inner;
    /// The live tag of this kind (never the complement of another kind's).
    const MAGIC: u32;
    /// The C type name, for messages.
    const NAME: &'static str;
    /// A new live shell.
    fn wrap(inner: Self::Inner) -> Self;
    /// The tag.
    fn tag(&self) -> &AtomicU32;
    /// The value field.
    fn value(this: *mut Self) -> *mut ManuallyDrop<Self::Inner>;
    /// The value (only valid while the tag is live).
    fn inner(&self) -> &Self::Inner;
}

/// Implements [`Handle`] for a shell struct with fields `tag: AtomicU32`
/// and `value: ManuallyDrop<$inner>`.
macro_rules! impl_handle {
    ($shell:ident, $inner:ty, $magic:expr) => {
        // SAFETY: `tag` and `value` return the struct's own fields.
        unsafe impl $crate::capi::handle::Handle for $shell {
            type Inner = $inner;
            const MAGIC: u32 = $magic;
            const NAME: &'static str = stringify!($shell);
            fn wrap(inner: $inner) -> Self {
                $shell {
                    tag: std::sync::atomic::AtomicU32::new($magic),
                    value: std::mem::ManuallyDrop::new(inner),
                }
            }
            fn tag(&self) -> &std::sync::atomic::AtomicU32 {
                &self.tag
            }
            fn value(this: *mut Self) -> *mut std::mem::ManuallyDrop<$inner> {
                // SAFETY: only computes a field address of a shell pointer
                // the caller vouches for.
                unsafe { std::ptr::addr_of_mut!((*this).value) }
            }
            fn inner(&self) -> &$inner {
                &self.value
            }
        }
    };
}
pub(crate) use impl_handle;

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
    // SAFETY: contract: NULL or a shell that is still allocated.
    let Some(h) = (unsafe { p.as_ref() }) else {
        return Err(Fail::null(arg));
    };
    check_tag::<H>(h.tag().load(Ordering::Acquire), arg)?;
    Ok(h.inner())
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
    // SAFETY: contract: a shell that is still allocated.
    let h = unsafe { &*p };
    if let Err(t) = h
        .tag()
        .compare_exchange(H::MAGIC, !H::MAGIC, Ordering::AcqRel, Ordering::Acquire)
    {
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
    unsafe { ManuallyDrop::drop(&mut *H::value(p)) };
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
    // `ManuallyDrop`, so dropping the box drops only the tag.
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
