//! The `Ffi` context: one target, one type table, one set of declarations —
//! the small embeddable API.

use crate::api::{read, write, Callback, Function, SharedTypes};
use crate::cdecl;
use crate::decls::{Constant, Decls};
use crate::error::{CallErrorKind, Error, MemoryErrorKind, Result};
use crate::library::Library;
use crate::memory::CData;
use crate::target::Target;
use crate::types::{FieldPath, TypeId, Types};
use crate::value::Value;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A declaration context: C declarations parsed with [`Ffi::cdef`] (or types
/// built from code through [`Ffi::types_mut`]) for one [`Target`], and the
/// functions, callbacks and C objects made from them.
///
/// ```
/// use abicall::{Ffi, Target};
/// let mut ffi = Ffi::new(Target::X86_64SysV);
/// ffi.cdef("typedef struct { double x, y; } pt; double norm(pt *);").unwrap();
/// assert_eq!(ffi.sizeof("pt").unwrap(), 16);
/// ```
///
/// Calling C (on the host target):
///
/// ```
/// use abicall::{Ffi, Value, library::Library};
/// let mut ffi = Ffi::host().unwrap();
/// ffi.cdef("double cos(double);").unwrap();
/// // SAFETY: loading the system libm runs only its own initializers.
/// let libm = unsafe { Library::open("libm.so.6") }.unwrap();
/// let cos = ffi.function(&libm, "cos").unwrap();
/// // SAFETY: libm's cos takes and returns a double.
/// assert_eq!(unsafe { cos.call(&[Value::Float(0.0)]) }.unwrap(), Value::Float(1.0));
/// ```
#[derive(Debug)]
pub struct Ffi {
    types: SharedTypes,
    decls: Decls,
}

impl Ffi {
    /// A context for `target`.
    pub fn new(target: Target) -> Ffi {
        Ffi {
            types: Arc::new(RwLock::new(Types::new(target))),
            decls: Decls::default(),
        }
    }

    /// A context for the host, the only target whose functions can be called.
    pub fn host() -> Result<Ffi> {
        Target::host().map(Ffi::new).ok_or_else(|| Error::Host {
            target: None,
            host: None,
            message: "this host is not a supported target (x86_64 SysV, aarch64 Linux/Apple)".into(),
        })
    }

    /// The target types are laid out for.
    pub fn target(&self) -> Target {
        self.types().target()
    }

    /// Parses C declarations and adds them to the context. On error, the
    /// declarations before the failing one stay added.
    pub fn cdef(&mut self, text: &str) -> Result<()> {
        let mut t = write(&self.types);
        cdecl::parse(&mut t, &mut self.decls, text)
    }

    /// Parses a type name such as `struct pt *` or `int[4]`.
    pub fn type_of(&mut self, name: &str) -> Result<TypeId> {
        let mut t = write(&self.types);
        cdecl::parse_type_name(&mut t, &mut self.decls, name)
    }

    /// `sizeof(name)`.
    pub fn sizeof(&mut self, name: &str) -> Result<u64> {
        let t = self.type_of(name)?;
        self.types().size_of(t)
    }

    /// The alignment of `name` as layout uses it (gcc's `__alignof__`;
    /// the same as C11 `_Alignof` except for types over-aligned by an x86_64
    /// GCC vector, see [`Types::c11_align_of`](crate::types::Types::c11_align_of)).
    pub fn alignof(&mut self, name: &str) -> Result<u64> {
        let t = self.type_of(name)?;
        self.types().align_of(t)
    }

    /// `offsetof(name, path)` with a member path such as `a.b[3].c`.
    pub fn offsetof(&mut self, name: &str, path: &str) -> Result<FieldPath> {
        let t = self.type_of(name)?;
        self.types().offset_of(t, path)
    }

    /// Read access to the type table.
    pub fn types(&self) -> RwLockReadGuard<'_, Types> {
        read(&self.types)
    }

    /// Write access to the type table, to build types from code.
    pub fn types_mut(&mut self) -> RwLockWriteGuard<'_, Types> {
        write(&self.types)
    }

    /// The shared type table (what functions and callbacks keep).
    pub fn shared_types(&self) -> SharedTypes {
        self.types.clone()
    }

    /// The declared names.
    pub fn decls(&self) -> &Decls {
        &self.decls
    }

    /// The declared names, to add declarations from code.
    pub fn decls_mut(&mut self) -> &mut Decls {
        &mut self.decls
    }

    /// Both tables at once (for code that reads one and writes the other).
    pub fn parts_mut(&mut self) -> (RwLockWriteGuard<'_, Types>, &mut Decls) {
        (write(&self.types), &mut self.decls)
    }

    /// A declared function of `lib`, prepared for calls (its symbol is looked
    /// up under its `__asm__` name if renamed; the function keeps `lib` loaded).
    pub fn function(&self, lib: &Library, name: &str) -> Result<Function> {
        let decl = self.decls.functions.get(name).ok_or_else(|| {
            // Say why when the name is declared, but not as a function.
            if let Some(v) = self.decls.variables.get(name) {
                Error::call(
                    CallErrorKind::NotAFunction,
                    None,
                    format!(
                        "`{name}` is a variable of type `{}`, not a function (use Ffi::variable)",
                        self.types().display(v.ty)
                    ),
                )
            } else if let Some(reason) = self.decls.unavailable.get(name) {
                Error::call(
                    CallErrorKind::Unavailable,
                    None,
                    format!("`{name}` is not available: {reason}"),
                )
            } else {
                Error::UnknownName(name.to_string())
            }
        })?;
        let sym = lib.function(decl)?;
        // SAFETY: the symbol's address stays valid while its library is
        // loaded, which the keepalive (the library's owner) ensures; the
        // declared type is trusted only at `Function::call`, which is unsafe.
        unsafe {
            Function::from_raw(
                self.types.clone(),
                name,
                decl.ty,
                sym.as_ptr(),
                Some(Arc::new(sym.owner())),
            )
        }
    }

    /// A function at a raw address with the given function type name (for
    /// function pointers returned by C).
    ///
    /// # Safety
    /// `code` must be the address of a function that stays valid while the
    /// returned [`Function`] is used (its type is promised at each call).
    pub unsafe fn function_at(&mut self, ty: &str, code: *const std::ffi::c_void) -> Result<Function> {
        let t = self.type_of(ty)?;
        // SAFETY: `code` stays valid while the result is used (this
        // function's contract), which is all `from_raw` needs here.
        unsafe { Function::from_raw(self.types.clone(), "<function pointer>", t, code, None) }
    }

    /// A C function pointer of type `sig` (e.g. `int(*)(const void *, const void *)`
    /// or `int(int)`) that runs `f`. See [`Callback`] for the panic and
    /// lifetime policy; `f` returning `Err(msg)` is reported like a panic.
    pub fn callback<F>(&mut self, sig: &str, f: F) -> Result<Callback>
    where
        F: Fn(&[Value]) -> std::result::Result<Value, String> + Send + Sync + 'static,
    {
        let t = self.type_of(sig)?;
        Callback::new(self.types.clone(), t, Box::new(f), Default::default())
    }

    /// `ffi.new(type, init)`: a zeroed, owned C object (`T *` names allocate
    /// a `T`, `T[n]` an array, as in cffi).
    pub fn new_object(&mut self, ty: &str, init: Option<&Value>) -> Result<CData> {
        let t = self.type_of(ty)?;
        let types = self.types();
        let target = match types.kind(t) {
            crate::types::TypeKind::Pointer(p) => *p,
            _ => t,
        };
        CData::new(&types, target, init)
    }

    /// The value of a declared constant (enumerator, `#define`, `static const`).
    pub fn constant(&self, name: &str) -> Result<Value> {
        match self.decls.constants.get(name) {
            Some(Constant::Int { value, .. }) => Ok(Value::Int(*value)),
            Some(Constant::Float { value, .. }) => Ok(Value::Float(*value)),
            None => Err(Error::UnknownName(name.to_string())),
        }
    }

    /// A view of a declared `extern` variable of `lib` (read and write it
    /// with [`CData::read`] / [`CData::write`]).
    ///
    /// # Safety
    /// As for [`Library::variable`]: the declaration must be true.
    pub unsafe fn variable(&self, lib: &Library, name: &str) -> Result<CData> {
        let decl = self
            .decls
            .variables
            .get(name)
            .ok_or_else(|| match self.decls.unavailable.get(name) {
                Some(reason) => Error::memory(
                    MemoryErrorKind::Unavailable,
                    format!("`{name}` is not available: {reason}"),
                ),
                None => Error::UnknownName(name.to_string()),
            })?;
        // SAFETY: the caller's contract is `Library::variable`'s.
        unsafe { lib.variable(&self.types(), decl) }
    }
}
