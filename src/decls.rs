//! The names a context knows: typedefs, tags, functions, variables and
//! constants, as declared by `cdef` text or from code.

use crate::types::TypeId;
use rustc_hash::FxHashMap as HashMap;

/// A declared function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncDecl {
    /// The C name.
    pub name: String,
    /// Its function type (a `TypeKind::Func`).
    pub ty: TypeId,
    /// Parameter names as written (`None` where omitted).
    pub param_names: Vec<Option<String>>,
    /// Symbol name from `__asm__("name")`, if renamed.
    pub asm_name: Option<String>,
}

impl FuncDecl {
    /// The symbol to look up in a shared object.
    pub fn symbol(&self) -> &str {
        self.asm_name.as_deref().unwrap_or(&self.name)
    }
}

/// A declared `extern` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarDecl {
    /// The C name.
    pub name: String,
    /// Its type.
    pub ty: TypeId,
    /// Symbol name from `__asm__("name")`, if renamed.
    pub asm_name: Option<String>,
}

impl VarDecl {
    /// The symbol to look up in a shared object.
    pub fn symbol(&self) -> &str {
        self.asm_name.as_deref().unwrap_or(&self.name)
    }
}

/// A named compile-time constant: an enumerator, a `#define`, or a
/// `static const` integer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constant {
    /// An integer constant with its C type.
    Int {
        /// The value.
        value: i128,
        /// Its type (enumerators: the enum type).
        ty: TypeId,
    },
    /// A floating constant with its C type.
    Float {
        /// The value.
        value: f64,
        /// Its type (`double`, `float`, `long double`).
        ty: TypeId,
    },
}

/// The namespaces of one context (C has separate ones for tags and ordinary
/// identifiers; struct, union and enum tags share one, as in C).
#[derive(Clone, Debug, Default)]
pub struct Decls {
    /// `typedef` names.
    pub typedefs: HashMap<String, TypeId>,
    /// `struct`/`union`/`enum` tags.
    pub tags: HashMap<String, TypeId>,
    /// Functions, by C name.
    pub functions: HashMap<String, FuncDecl>,
    /// `extern` variables, by C name.
    pub variables: HashMap<String, VarDecl>,
    /// Constants, by name.
    pub constants: HashMap<String, Constant>,
    /// Names in declaration order (for listings): (namespace, name).
    pub order: Vec<(DeclKind, String)>,
    /// Names whose file-scope declaration was skipped because it uses a
    /// construct abicall cannot represent, with the reason: using one
    /// (as a type name, a function or a variable) is an error naming that
    /// reason, while the rest of the header stays usable. Keys are
    /// identifiers, or `struct tag` / `union tag` / `enum tag`.
    pub unavailable: HashMap<String, String>,
    /// `#pragma pack(push[, N])` stack: the values saved by each `push`
    /// (`None`: default packing), restored by `pop`. The value in force is
    /// [`Decls::pack`].
    pub pack_stack: Vec<Option<u64>>,
    /// The `#pragma pack` value in force.
    pub pack: Option<u64>,
    /// Builtin typedef names (`size_t`, `__builtin_va_list`, ...) resolved
    /// so far, so each has one `TypeId` per context. Not declarations of the
    /// text: see [`Decls::typedefs`] for those.
    pub builtin_typedefs: HashMap<String, TypeId>,
}

/// Which namespace an entry of [`Decls::order`] lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclKind {
    /// A typedef.
    Typedef,
    /// A struct/union/enum tag.
    Tag,
    /// A function.
    Function,
    /// A variable.
    Variable,
    /// A constant.
    Constant,
}
