//! Executing call plans on the host: libffi CIFs synthesized from the plan
//! (general path, variadics via `ffi_prep_cif_var`), callbacks via libffi
//! closures, and `errno` capture. The only layer that depends on the host
//! architecture.

pub mod callback;
mod cif;
pub mod errno;
mod fast;
mod ffi_type;
mod hazard;
mod jit;
pub mod raw;
mod scratch;

pub use callback::{CallbackOptions, RawCallback};
/// cffi's names for the saved `errno` ([`errno::saved`], [`errno::set_saved`]).
pub use errno::{saved as errno, set_saved as set_errno};
pub use jit::Tier;
pub use raw::{ArgFrame, DirectEntry, RawCall};
