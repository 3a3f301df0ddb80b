//! The convenient API: functions called with dynamic [`Value`](crate::Value)s
//! and callbacks written as closures over `Value`s, on top of the raw call
//! layer ([`crate::call`]).

mod callback;
pub(crate) mod convert;
mod function;

pub use callback::{Callback, CallbackFn};
pub use function::Function;
