//! C declaration parser (`cdef`): hand-written, for the text real headers
//! contain after preprocessing (`gcc -E`).
//!
//! What it accepts:
//!
//! - struct/union/enum definitions, forward declarations (completed later
//!   with the same `TypeId`), anonymous members, nested definitions,
//!   bitfields, flexible arrays; C23 `enum E : T { ... }`;
//! - typedefs (chains resolve to the same `TypeId`), prototypes, function
//!   pointers, abstract declarators, arrays sized by constant expressions;
//! - `extern` (and plain file-scope) variables, `static const` / `const`
//!   integer and floating constants, `#define NAME <constant expression>`;
//! - storage classes, `inline`, `_Noreturn`, `_Alignas`, `_Static_assert`,
//!   C23 `[[...]]` attributes (skipped);
//! - GNU extras: `__extension__`, `__restrict`, `__inline`, `__signed__`,
//!   `typeof(type or constant expression)`, `__attribute__((...))` wherever gcc allows it (`packed`,
//!   `aligned[(N)]`, `mode(M)` and `vector_size(N)` honoured, the rest
//!   skipped), `__asm__("symbol")` renames (recorded in
//!   [`FuncDecl::asm_name`](crate::decls::FuncDecl::asm_name)),
//!   `__builtin_va_list`, `__builtin_offsetof`;
//! - `#pragma pack(N | push[, N] | pop | )`, line markers and other
//!   `#pragma`s (skipped).
//!
//! Choices where C leaves room:
//!
//! - `f()` declares a function with **no parameters, not variadic** (no K&R
//!   calls); a later prototype for the same name replaces it.
//! - Function bodies `{ ... }` after a prototype (header inline functions)
//!   are skipped by balancing braces; a `static` function with a body is not
//!   declared (it has no symbol), any other is.
//! - A `#define` whose body is not a constant expression (function-like
//!   macros, strings, unknown names, empty) is skipped silently.
//! - `static` variables (no symbol) are not declared.
//! - A file-scope declaration that uses a type abicall cannot represent
//!   (`_Float16`, decimal floats, `_Float128` on x86_64)
//!   is skipped, so real headers such as `<math.h>` still
//!   parse; the names it declares are recorded in
//!   [`Decls::unavailable`](crate::decls::Decls::unavailable) with the reason,
//!   which using one reports (and a declaration using one is skipped in
//!   turn); a struct with such a member stays incomplete. `_Float128` is `long double` on aarch64 Linux and
//!   `_Float64x` is `long double` on x86_64 and aarch64 Linux.
//! - An array size in a parameter that names another parameter (a VLA, as
//!   in glibc's `regexec`) is ignored: the parameter is a pointer anyway.
//! - `__attribute__((mode(M)))` changes integer and float scalar types
//!   (`QI`..`TI`, `word`, `SF`/`DF`, `XF`/`TF` where `long double` has
//!   that format). `vector_size(N)` makes a GCC vector type
//!   ([`TypeKind::Vector`](crate::types::TypeKind::Vector)) of the
//!   declaration's innermost type, wherever in the declaration it is
//!   written, as gcc does (`float *p __attribute__((vector_size(16)))` is a
//!   pointer to a vector); an invalid one (element not an integer or real
//!   floating type, size not a multiple of the element size, element count
//!   not a power of two) is an `InvalidType` error at `N`. As in gcc, the
//!   attributes after a member's declarator act before those among its
//!   specifiers: `char __attribute__((vector_size(8))) m
//!   __attribute__((packed))` ignores `packed` (it meets a `char`).
//! - Struct layout errors found by [`Types`] (alignment not a power of two,
//!   ...) are `InvalidType` errors at the tag (or `struct` keyword); the
//!   parser itself reports bitfield, member and flexible-array problems at
//!   the member.
//! - Builtin typedefs (`size_t`, `uint32_t`, `wchar_t`, `__builtin_va_list`,
//!   ...) need no header; a text may define them again (its definition wins).
//!
//! Errors are [`Error::Parse`](crate::Error::Parse) with the 1-based line and
//! column of the offending token; the parser never panics, and nesting deeper
//! than [`MAX_DEPTH`] levels is an error instead of a deep recursion.
//! Declarations before a failing one stay added.

mod builtins;
mod constexpr;
mod decl;
mod declarator;
mod directive;
mod expr;
mod lexer;
mod literals;
mod parser;
mod record;
mod specs;

/// The nesting limit (defined by [`crate::types`], enforced while parsing).
pub use crate::types::MAX_DEPTH;

use crate::decls::Decls;
use crate::error::Result;
use crate::types::{TypeId, Types};
use lexer::Tk;
use parser::Parser;

/// Parses C declarations in `text` into `types` and `decls`.
///
/// ```
/// use abicall::{cdecl, decls::Decls, types::Types, Target};
/// let mut types = Types::new(Target::X86_64SysV);
/// let mut decls = Decls::default();
/// cdecl::parse(&mut types, &mut decls, "enum { N = 4 }; struct v { float x[N]; };").unwrap();
/// assert_eq!(types.size_of(decls.tags["v"]).unwrap(), 16);
/// ```
pub fn parse(types: &mut Types, decls: &mut Decls, text: &str) -> Result<()> {
    with_parse_stack(|| {
        Parser::new(types, decls, text)
            .and_then(|mut p| p.translation_unit())
            .map_err(|e| *e.0)
    })
}

/// Stack a parse may need: [`MAX_DEPTH`] levels of the deepest recursion
/// (nested member lists) measured about 600 KiB in a release build and 2 MiB
/// in a debug build.
const PARSE_RED_ZONE: usize = if cfg!(debug_assertions) { 4 << 20 } else { 1 << 20 };

/// Runs a parse on the current stack when at least [`PARSE_RED_ZONE`] of it
/// is left, else on a fresh 8 MiB segment (`stacker`), so input nested up
/// to the limits gets its error rather than overflowing a small thread
/// stack (a C thread, a musl thread, a test thread).
fn with_parse_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(PARSE_RED_ZONE, 8 << 20, f)
}

/// Parses a type name such as `struct pt *`, `int[4]`, `int (*)(double)`
/// or a typedef name.
///
/// ```
/// use abicall::{cdecl, decls::Decls, types::Types, Target};
/// let mut types = Types::new(Target::X86_64SysV);
/// let mut decls = Decls::default();
/// let t = cdecl::parse_type_name(&mut types, &mut decls, "int (*)[3]").unwrap();
/// assert_eq!(types.display(t), "int (*)[3]");
/// ```
pub fn parse_type_name(types: &mut Types, decls: &mut Decls, text: &str) -> Result<TypeId> {
    with_parse_stack(|| {
        let mut p = Parser::new(types, decls, text).map_err(|e| *e.0)?;
        let t = p.type_name().map_err(|e| *e.0)?;
        if p.tok().tk != Tk::Eof {
            return Err(*p.unexpected("the end of the type name").0);
        }
        Ok(t)
    })
}
