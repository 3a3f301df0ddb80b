//! The convenient API: functions called with dynamic [`Value`](crate::Value)s
//! and callbacks written as closures over `Value`s, on top of the raw call
//! layer ([`crate::call`]).

mod callback;
pub(crate) mod convert;
mod function;

pub use callback::{Callback, CallbackFn};
pub use function::Function;

use crate::types::Types;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The type table of a context, shared with the functions and callbacks made
/// from it (types are only ever added, so ids stay valid).
pub type SharedTypes = Arc<RwLock<Types>>;

/// Read access to a shared type table (a poisoned lock is still readable:
/// the table is append-only, so a panic elsewhere leaves it consistent).
pub fn read(t: &SharedTypes) -> RwLockReadGuard<'_, Types> {
    t.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write(t: &SharedTypes) -> RwLockWriteGuard<'_, Types> {
    t.write().unwrap_or_else(|e| e.into_inner())
}
