//! Per-thread scratch memory for per-call temporaries (bumpalo).
//!
//! Calls and callbacks keep their temporaries (argument-pointer arrays,
//! promoted variadic values) in fixed inline arrays up to
//! `INLINE_ARGS` arguments; beyond that they take them from this thread's
//! arena, which is reset at the start of each use and keeps its largest
//! chunk, so a prepared call allocates nothing once the arena has grown to
//! the thread's working size. A re-entrant use (a callback that makes a
//! call while the outer call holds the arena) gets a fresh, temporary arena.

use bumpalo::Bump;
use std::cell::RefCell;

thread_local! {
    static ARENA: RefCell<Bump> = RefCell::new(Bump::new());
}

/// Runs `f` with a reset scratch arena (this thread's, or a fresh one when
/// this thread's is in use further up the stack).
pub(crate) fn with_scratch<R>(f: impl FnOnce(&Bump) -> R) -> R {
    let mut f = Some(f);
    let r = ARENA.try_with(|a| match a.try_borrow_mut() {
        Ok(mut b) => {
            b.reset();
            f.take().map(|f| f(&b))
        }
        Err(_) => None,
    });
    match (r, f) {
        (Ok(Some(r)), _) => r,
        // Re-entrant, or during thread teardown.
        (_, Some(f)) => f(&Bump::new()),
        (_, None) => unreachable!("the closure ran but returned nothing"),
    }
}
