//! [`Callback`]: a C function pointer running a Rust closure over `Value`s.

use super::convert;
use super::{read, SharedTypes};
use crate::call::{CallbackOptions, RawCallback};
use crate::error::{CallErrorKind, Error, Result};
use crate::types::TypeId;
use crate::value::Value;
use std::ffi::c_void;

/// The closure type of a [`Callback`].
pub type CallbackFn = dyn Fn(&[Value]) -> std::result::Result<Value, String> + Send + Sync;

/// A C function pointer that converts its arguments to [`Value`]s (structs
/// and unions as owned copies), runs a closure, and converts the result back.
///
/// Policy (see [`crate::call::callback`] for details): a panic or an `Err`
/// from the closure is reported through the error hook (default: stderr)
/// and C receives the error return value (zeros unless set); callable from
/// any thread; after the `Callback` is dropped, a stale call from C is
/// reported and answered with the error return value instead of crashing.
///
/// ```
/// use abicall::{Ffi, Value};
/// let mut ffi = Ffi::host().unwrap();
/// let twice = ffi.callback("int(int)", |args| Ok(Value::Int(args[0].as_int().unwrap() * 2))).unwrap();
/// let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(twice.code()) };
/// assert_eq!(f(21), 42);
/// ```
pub struct Callback {
    raw: RawCallback,
    ty: TypeId,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback").field("code", &self.raw.code()).finish()
    }
}

impl Callback {
    /// A callback of function type `ty` (or pointer to one) running `f`.
    pub fn new(types: SharedTypes, ty: TypeId, f: Box<CallbackFn>, opts: CallbackOptions) -> Result<Callback> {
        let t = read(&types);
        let sig = t
            .sig_of(ty)
            .ok_or_else(|| {
                Error::call(
                    CallErrorKind::NotAFunction,
                    None,
                    format!("`{}` is not a function type", t.display(ty)),
                )
            })?
            .clone();
        // `int (*)(int)` and `int (int)` name the same callback: keep the
        // function type, so `value()` is a pointer to it in both forms.
        let ty = match t.kind(ty) {
            crate::types::TypeKind::Pointer(p) => *p,
            _ => ty,
        };
        let mut sizes = Vec::with_capacity(sig.params.len());
        for &p in &sig.params {
            sizes.push(t.size_of(p)? as usize);
        }
        let ret_size = match t.kind(sig.ret) {
            crate::types::TypeKind::Prim(crate::types::Prim::Void) => 0,
            _ => t.size_of(sig.ret)? as usize,
        };
        let shared = types.clone();
        let params = sig.params.clone();
        let ret_ty = sig.ret;
        let raw_fn = move |args: &[*const c_void], ret: *mut c_void| -> std::result::Result<(), String> {
            let t = read(&shared);
            let mut vals = Vec::with_capacity(args.len());
            for (i, (&p, &n)) in params.iter().zip(&sizes).enumerate() {
                // SAFETY: the trampoline passes a pointer to `n` bytes of
                // argument `i` (our plan's layout of the declared type).
                let bytes = unsafe { std::slice::from_raw_parts(args[i] as *const u8, n) };
                vals.push(convert::read_value(&t, p, bytes).map_err(|e| format!("argument {i}: {e}"))?);
            }
            drop(t);
            let r = f(&vals)?;
            if ret_size > 0 {
                let t = read(&shared);
                // SAFETY: `ret` points to `ret_size` writable bytes.
                let out = unsafe { std::slice::from_raw_parts_mut(ret as *mut u8, ret_size) };
                convert::write_value(&t, ret_ty, &r, out).map_err(|e| format!("return value: {e}"))?;
            }
            Ok(())
        };
        let raw = RawCallback::new(&t, ty, Box::new(raw_fn), opts)?;
        Ok(Callback { raw, ty })
    }

    /// The C function pointer.
    pub fn code(&self) -> *const c_void {
        self.raw.code()
    }

    /// The C function pointer as a [`Value`], ready to pass for a
    /// parameter of the callback's function-pointer type.
    pub fn value(&self) -> Value {
        Value::Pointer(crate::memory::Ptr::new(self.raw.code() as usize, self.ty))
    }

    /// The function type (for a signature given in the `T (*)(…)` form,
    /// the function type it points to).
    pub fn ty(&self) -> TypeId {
        self.ty
    }

    /// The underlying raw callback.
    pub fn raw(&self) -> &RawCallback {
        &self.raw
    }
}
