//! Typedef names every context knows without a header (`size_t`,
//! `uint32_t`, `__builtin_va_list`, ...), resolved per [`Target`].
//!
//! They are not entries of [`Decls::typedefs`] (so listings show only what
//! the text declared); a header may define them again, identically or not:
//! the header's definition then takes precedence. A resolved builtin is
//! cached in [`Decls::builtin_typedefs`] so it has one `TypeId` per context.

use crate::decls::Decls;
use crate::target::{Arch, Target};
use crate::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};

/// Whether `name` is a builtin typedef name.
pub(crate) fn is_builtin(name: &str) -> bool {
    prim_of(name, Target::X86_64SysV).is_some() || matches!(name, "__builtin_va_list" | "va_list" | "__gnuc_va_list")
}

/// The scalar builtin typedefs: name, type on glibc targets, type on Apple
/// arm64 (`wchar_t` follows the target's signedness, see [`prim_of`]).
const SCALARS: &[(&str, Prim, Prim)] = {
    use Prim::*;
    &[
        ("int8_t", SChar, SChar),
        ("int_least8_t", SChar, SChar),
        ("uint8_t", UChar, UChar),
        ("uint_least8_t", UChar, UChar),
        ("int16_t", Short, Short),
        ("int_least16_t", Short, Short),
        ("uint16_t", UShort, UShort),
        ("uint_least16_t", UShort, UShort),
        ("int32_t", Int, Int),
        ("int_least32_t", Int, Int),
        ("uint32_t", UInt, UInt),
        ("uint_least32_t", UInt, UInt),
        ("int64_t", Long, Long),
        ("int_least64_t", Long, Long),
        ("intmax_t", Long, Long),
        ("ssize_t", Long, Long),
        ("intptr_t", Long, Long),
        ("ptrdiff_t", Long, Long),
        ("uint64_t", ULong, ULong),
        ("uint_least64_t", ULong, ULong),
        ("uintmax_t", ULong, ULong),
        ("size_t", ULong, ULong),
        ("uintptr_t", ULong, ULong),
        // <stdint.h> "fast" types: glibc widens 16/32-bit ones to `long`,
        // Apple keeps the exact widths.
        ("int_fast8_t", SChar, SChar),
        ("uint_fast8_t", UChar, UChar),
        ("int_fast16_t", Long, Short),
        ("uint_fast16_t", ULong, UShort),
        ("int_fast32_t", Long, Int),
        ("uint_fast32_t", ULong, UInt),
        ("int_fast64_t", Long, Long),
        ("uint_fast64_t", ULong, ULong),
        ("wchar_t", Int, Int),
        ("char16_t", UShort, UShort),
        ("char32_t", UInt, UInt),
        ("__int128_t", Int128, Int128),
        ("__uint128_t", UInt128, UInt128),
    ]
};

/// The scalar builtin typedef `name` on `t`: its `'static` spelling (for
/// [`Types::alias`]) and its type.
fn prim_of(name: &str, t: Target) -> Option<(&'static str, Prim)> {
    let &(n, glibc, apple) = SCALARS.iter().find(|e| e.0 == name)?;
    let p = match n {
        "wchar_t" if !t.wchar_is_signed() => Prim::UInt,
        _ if t == Target::Aarch64Apple => apple,
        _ => glibc,
    };
    Some((n, p))
}

/// Resolves a builtin typedef (creating and caching its type), or `None`.
pub(crate) fn resolve(types: &mut Types, decls: &mut Decls, name: &str) -> Option<TypeId> {
    if let Some(&id) = decls.builtin_typedefs.get(name) {
        return Some(id);
    }
    let t = types.target();
    let id = if let Some((n, p)) = prim_of(name, t) {
        // Kept as a distinct, compatible type spelt with its name (as cffi
        // keeps `size_t`, `int32_t`, ...).
        let prim = types.prim(p);
        types.alias(prim, n)
    } else if is_builtin(name) {
        va_list(types, decls)
    } else {
        return None;
    };
    decls.builtin_typedefs.insert(name.to_string(), id);
    Some(id)
}

/// `__builtin_va_list` for the target, built like gcc declares it.
fn va_list(types: &mut Types, decls: &mut Decls) -> TypeId {
    if let Some(&id) = decls.builtin_typedefs.get("__builtin_va_list") {
        return id;
    }
    let t = types.target();
    let vp = types.prim(Prim::Void);
    let vp = types.pointer(vp);
    let uint = types.prim(Prim::UInt);
    let int = types.prim(Prim::Int);
    let id = match (t.arch(), t) {
        (_, Target::Aarch64Apple) => {
            let c = types.prim(Prim::Char);
            types.pointer(c)
        }
        // x86_64 psABI §3.5.7: `typedef struct __va_list_tag { unsigned int
        // gp_offset; unsigned int fp_offset; void *overflow_arg_area; void
        // *reg_save_area; } va_list[1];`
        (Arch::X86_64, _) => {
            let fields = vec![
                FieldDecl::new("gp_offset", uint),
                FieldDecl::new("fp_offset", uint),
                FieldDecl::new("overflow_arg_area", vp),
                FieldDecl::new("reg_save_area", vp),
            ];
            let rec = types
                .define_record(
                    RecordKind::Struct,
                    Some("__va_list_tag"),
                    fields,
                    RecordAttrs::default(),
                )
                .expect("fixed va_list layout is valid");
            types.array(rec, Some(1))
        }
        // AAPCS64 §10.1.5 (Linux): `struct __va_list { void *__stack; void
        // *__gr_top; void *__vr_top; int __gr_offs; int __vr_offs; }`.
        (Arch::Aarch64, _) => {
            let fields = vec![
                FieldDecl::new("__stack", vp),
                FieldDecl::new("__gr_top", vp),
                FieldDecl::new("__vr_top", vp),
                FieldDecl::new("__gr_offs", int),
                FieldDecl::new("__vr_offs", int),
            ];
            types
                .define_record(RecordKind::Struct, Some("__va_list"), fields, RecordAttrs::default())
                .expect("fixed va_list layout is valid")
        }
    };
    decls.builtin_typedefs.insert("__builtin_va_list".to_string(), id);
    id
}
