//! `gc(ptr, destructor)`: an owner whose drop runs a destructor exactly once.

use super::block::Owner;
use std::sync::Mutex;

/// A destructor for the memory at an address (for example a wrapper that
/// calls the C library's `free`).
pub type Destructor = Box<dyn FnOnce(usize) + Send>;

/// Runs the destructor on the address when the last owner drops, then
/// releases the inner owner (if any).
pub(crate) struct GcOwner {
    addr: usize,
    destructor: Mutex<Option<Destructor>>,
    _inner: Option<Owner>,
}

impl GcOwner {
    pub(crate) fn new(addr: usize, destructor: Destructor, inner: Option<Owner>) -> GcOwner {
        GcOwner {
            addr,
            destructor: Mutex::new(Some(destructor)),
            _inner: inner,
        }
    }
}

impl Drop for GcOwner {
    fn drop(&mut self) {
        let slot = self.destructor.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = slot.take() {
            d(self.addr);
        }
    }
}
