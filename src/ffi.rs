//! The `Ffi` context: one target, one type table, one set of declarations.

use crate::cdecl;
use crate::decls::Decls;
use crate::error::Result;
use crate::target::Target;
use crate::types::{FieldPath, TypeId, Types};

/// A declaration context: C declarations parsed with [`Ffi::cdef`] (or types
/// built from code through [`Ffi::types_mut`]) for one [`Target`].
///
/// ```
/// use abicall::{Ffi, Target};
/// let mut ffi = Ffi::new(Target::X86_64SysV);
/// ffi.cdef("typedef struct { double x, y; } pt; double norm(pt *);").unwrap();
/// assert_eq!(ffi.sizeof("pt").unwrap(), 16);
/// ```
#[derive(Clone, Debug)]
pub struct Ffi {
    types: Types,
    decls: Decls,
}

impl Ffi {
    /// A context for `target`.
    pub fn new(target: Target) -> Ffi {
        Ffi {
            types: Types::new(target),
            decls: Decls::default(),
        }
    }

    /// The target types are laid out for.
    pub fn target(&self) -> Target {
        self.types.target()
    }

    /// Parses C declarations and adds them to the context. On error, the
    /// declarations before the failing one stay added.
    pub fn cdef(&mut self, text: &str) -> Result<()> {
        cdecl::parse(&mut self.types, &mut self.decls, text)
    }

    /// Parses a type name such as `struct pt *` or `int[4]`.
    pub fn type_of(&mut self, name: &str) -> Result<TypeId> {
        cdecl::parse_type_name(&mut self.types, &mut self.decls, name)
    }

    /// `sizeof(name)`.
    pub fn sizeof(&mut self, name: &str) -> Result<u64> {
        let t = self.type_of(name)?;
        self.types.size_of(t)
    }

    /// `_Alignof(name)`.
    pub fn alignof(&mut self, name: &str) -> Result<u64> {
        let t = self.type_of(name)?;
        self.types.align_of(t)
    }

    /// `offsetof(name, path)` with a member path such as `a.b[3].c`.
    pub fn offsetof(&mut self, name: &str, path: &str) -> Result<FieldPath> {
        let t = self.type_of(name)?;
        self.types.offset_of(t, path)
    }

    /// The type table.
    pub fn types(&self) -> &Types {
        &self.types
    }

    /// The type table, to build types from code.
    pub fn types_mut(&mut self) -> &mut Types {
        &mut self.types
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
    pub fn parts_mut(&mut self) -> (&mut Types, &mut Decls) {
        (&mut self.types, &mut self.decls)
    }
}
