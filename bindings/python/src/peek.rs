//! Reading the Rust value of a pyclass object without PyO3's borrow flag.
//!
//! PyO3 0.23 guards every `borrow()` with an atomic compare-and-swap on the
//! object's borrow flag (it is ready for free-threaded Python). On the hot
//! paths (a call's argument cdata, `a[i]`, `p.x`, a callback's argument
//! cdata) these flags cost more than the work itself, so the few facts
//! those paths need are read through [`peek`]: a shared reference to the
//! value, valid while the GIL is held and nothing can take a mutable
//! borrow of the same object.

use crate::callback::Callback;
use crate::context::{CDataBase, CTypeBase};
use crate::function::Function;
use pyo3::prelude::*;
use pyo3::PyClass;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// A pyclass whose value [`peek`] may read: where the value lives in its
/// Python objects (found once, through a real borrow).
pub trait Peek: PyClass {
    /// The offset of the value from the object's address (0: not known yet).
    fn offset() -> &'static AtomicUsize;
}

macro_rules! peekable {
    ($t:ty) => {
        impl Peek for $t {
            fn offset() -> &'static AtomicUsize {
                static OFFSET: AtomicUsize = AtomicUsize::new(0);
                &OFFSET
            }
        }
    };
}
peekable!(CDataBase);
peekable!(CTypeBase);
peekable!(Function);
peekable!(Callback);
peekable!(crate::memory::Block);

/// The value of `obj`, without taking PyO3's borrow flag.
///
/// The offset of the value inside the object is the same for every object
/// of the class and of its Python subclasses (they extend its layout); it is
/// measured once through `borrow()`.
///
/// # Safety
/// While the returned reference is used, no mutable borrow of `obj` may
/// exist or be taken: the caller runs no Python code in that time that
/// could call a setter or a `&mut self` method on `obj` (object creation
/// can run the cycle collector, and so arbitrary finalizers: copy the facts
/// out first). The GIL (proved by `obj`) keeps other threads out; this
/// module is built for the GIL-enabled interpreter.
pub unsafe fn peek<'a, T: Peek>(obj: &'a Bound<'_, T>) -> &'a T {
    // SAFETY: the pointer is to the live value (see `value_ptr`); the
    // caller guarantees no mutable borrow aliases it.
    unsafe { &*value_ptr(obj) }
}

/// A raw pointer to the value of `obj` (inside PyO3's `UnsafeCell`), for
/// reads as in [`peek`] and for writes to an object nothing else can reach
/// yet (just made, not handed out).
pub fn value_ptr<T: Peek>(obj: &Bound<'_, T>) -> *mut T {
    let cell = T::offset();
    let mut off = cell.load(Relaxed);
    if off == 0 {
        let r = obj.borrow();
        off = (&*r as *const T as usize) - (obj.as_ptr() as usize);
        cell.store(off, Relaxed);
    }
    // `obj` is a live object of class `T` (or a subclass, whose layout
    // starts with `T`'s), so its value is at `off`, initialized and not
    // moved while the object lives.
    obj.as_ptr().cast::<u8>().wrapping_add(off).cast::<T>()
}
