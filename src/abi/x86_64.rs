//! x86_64 System V psABI §3.2.3 "Parameter Passing".
//!
//! Each value is split into eightbytes; every scalar leaf (bitfields: the bits
//! they cover) gives the eightbytes it covers a class, merged with the
//! numbered rules of §3.2.3 item 4, then cleaned up by item 5 (a–d). A value
//! classified MEMORY (or X87 / COMPLEX_X87, as an argument) goes on the stack;
//! otherwise it needs one GPR per INTEGER eightbyte and one SSE register per
//! SSE eightbyte, and goes whole into registers or — when too few are left —
//! whole onto the stack, never split.
//!
//! Where the psABI text is silent, gcc is followed (and checked by the
//! oracle tests): a nested aggregate is classified on its own, cleanup
//! included, before it is merged into its parent (the merge rules are not
//! associative once X87 meets SSE and INTEGER); union members are classified
//! by the machine mode of their type, bitfields included; `:0` is ignored in
//! a struct; a misaligned scalar makes the whole value MEMORY.
//!
//! For the libffi CIF: an aggregate of class [`ValueClass::Eightbytes`]
//! becomes one filler element per eightbyte (INTEGER → an unsigned integer
//! element covering the eightbyte's bytes, SSE → `float` for 4 bytes, `double`
//! for 8), which libffi classifies identically; [`ValueClass::Memory`] becomes
//! an opaque block of the right size and alignment.

use super::{narrow_ext, round_up, scalar_of, ArgInput, CallPlan, Ext, Inputs, Loc, Part, Pass, ValueClass, ValuePlan};
use crate::error::Result;
use crate::types::{Prim, TypeId, TypeKind, Types};

/// Integer argument registers, in order (§3.2.3 "Passing", item 2).
pub const ARG_GPRS: [&str; 6] = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"];
/// Integer return registers, in order.
pub const RET_GPRS: [&str; 2] = ["rax", "rdx"];
/// Number of integer argument registers.
pub const NUM_ARG_GPRS: u8 = 6;
/// Number of SSE argument registers (`xmm0`–`xmm7`).
pub const NUM_ARG_SSE: u8 = 8;
/// Largest aggregate passed in registers without `__m256` (two eightbytes).
pub const MAX_REG_AGGREGATE: u64 = 16;
/// Stack slots are multiples of this.
pub const STACK_SLOT: u64 = 8;

/// The psABI classes (§3.2.3), as gcc and libffi name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Padding only: takes no register.
    NoClass,
    /// General-purpose register.
    Integer,
    /// Low part of an SSE register.
    Sse,
    /// Upper part of an SSE register: the second eightbyte of a 16-byte
    /// vector (`__m128`-like GCC vector types).
    SseUp,
    /// Low 8 bytes of an x87 `long double`.
    X87,
    /// Upper part of an x87 `long double`.
    X87Up,
    /// `long double _Complex`.
    ComplexX87,
    /// Passed in memory.
    Memory,
}

/// §3.2.3 item 4: the class of an eightbyte holding fields of classes `a` and `b`.
pub fn merge(a: Class, b: Class) -> Class {
    use Class::*;
    if a == b {
        // (a) If both classes are equal, this is the resulting class.
        a
    } else if a == NoClass {
        // (b) If one of the classes is NO_CLASS, the resulting class is the other class.
        b
    } else if b == NoClass {
        a
    } else if a == Memory || b == Memory {
        // (c) If one of the classes is MEMORY, the result is the MEMORY class.
        Memory
    } else if a == Integer || b == Integer {
        // (d) If one of the classes is INTEGER, the result is the INTEGER.
        Integer
    } else if matches!(a, X87 | X87Up | ComplexX87) || matches!(b, X87 | X87Up | ComplexX87) {
        // (e) If one of the classes is X87, X87UP, COMPLEX_X87 class, MEMORY is used as class.
        Memory
    } else {
        // (f) Otherwise class SSE is used.
        Sse
    }
}

/// Classification of a whole value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Classification {
    /// Size 0: passed as nothing.
    Empty,
    /// One class per eightbyte.
    Eightbytes(Vec<Class>),
    /// MEMORY.
    Memory,
}

/// Classifies a value of type `ty` (or of the scalar `promoted`) per §3.2.3.
pub fn classify(types: &Types, ty: TypeId, promoted: Option<Prim>) -> Result<Classification> {
    if let Some(p) = scalar_of(types, ty, promoted) {
        if p == Prim::LongDoubleComplex {
            // "The COMPLEX_X87 class" covers the whole 32-byte value.
            return Ok(Classification::Eightbytes(vec![Class::ComplexX87]));
        }
        return Ok(match classify_scalar(p, 0, types) {
            Some(c) => Classification::Eightbytes(c),
            None => Classification::Memory,
        });
    }
    let size = types.size_of(ty)?;
    if size == 0 {
        return Ok(Classification::Empty);
    }
    // Item 1: "If the size of an object is larger than four eightbytes, or it
    // contains unaligned fields, it has class MEMORY"; without __m256 types,
    // anything larger than two eightbytes ends in MEMORY by item 5(c).
    if size > MAX_REG_AGGREGATE {
        return Ok(Classification::Memory);
    }
    let words = size.div_ceil(8) as usize;
    Ok(match classify_value(types, ty, 0)? {
        Some(mut c) => {
            c.resize(words, Class::NoClass);
            Classification::Eightbytes(c)
        }
        None => Classification::Memory,
    })
}

/// Classes of a value of type `ty` at byte `off` of the argument, one per
/// eightbyte it touches, the first being the eightbyte holding byte `off`;
/// `None` for MEMORY. Like gcc's `classify_argument`, every aggregate is
/// classified on its own — fields merged into fresh classes, then the post
/// merger cleanup of item 5 — before it is merged into its parent: the merge
/// rules are not associative once X87 classes meet others.
fn classify_value(types: &Types, ty: TypeId, off: u64) -> Result<Option<Vec<Class>>> {
    if let Some(p) = types.as_prim(ty) {
        return Ok(classify_scalar(p, off, types));
    }
    let size = types.size_of(ty).unwrap_or(0);
    // gcc counts the words from the value's offset within its first eightbyte.
    let words = ((off % 8) + size).div_ceil(8) as usize;
    match types.kind(ty) {
        TypeKind::Pointer(_) => Ok(classify_scalar(Prim::ULong, off, types)),
        TypeKind::Vector { elem, len } => Ok(classify_vector(*elem, *len, size, off)),
        // Flexible array member: ignored.
        TypeKind::Array { len: None, .. } => Ok(Some(Vec::new())),
        TypeKind::Array { elem, len: Some(_) } => {
            if words == 0 {
                return Ok(Some(Vec::new()));
            }
            // gcc classifies the first element and repeats its classes.
            let sub = match classify_value(types, *elem, off)? {
                Some(s) => s,
                None => return Ok(None),
            };
            if sub.is_empty() {
                return Ok(Some(vec![Class::NoClass; words]));
            }
            Ok(Some((0..words).map(|i| sub[i % sub.len()]).collect()))
        }
        TypeKind::Record(_) => {
            // "Zero sized arrays or structures are NO_CLASS."
            if words == 0 {
                return Ok(Some(Vec::new()));
            }
            let rec = types.record_of(ty).expect("record");
            let is_union = rec.kind == crate::types::RecordKind::Union;
            let mut cls = vec![Class::NoClass; words];
            let merge_at = |cls: &mut Vec<Class>, pos: usize, sub: &[Class]| {
                for (i, c) in sub.iter().enumerate() {
                    if let Some(slot) = cls.get_mut(pos + i) {
                        *slot = merge(*c, *slot);
                    }
                }
            };
            for (i, f) in rec.fields.iter().enumerate() {
                let packed = rec.attrs.packed || rec.decls.get(i).is_some_and(|d| d.packed);
                let sub = match f.bit {
                    // gcc classifies every member of a union by the machine mode of
                    // its type, bitfields included: a bitfield's type is an integer
                    // of its width, whose mode is the smallest integer mode that
                    // holds it (`:0` and `:1..8` → 1 byte, `:21` → 4 bytes, which
                    // can be misaligned → MEMORY). Checked with gcc 12:
                    // `union { long :0; double d; }` goes in rdi, and a packed
                    // struct with `union { unsigned m:21; char c; }` at offset 1
                    // goes in memory.
                    Some(b) if is_union => {
                        let p = match b.bit_width {
                            0..=8 => Prim::UChar,
                            9..=16 => Prim::UShort,
                            17..=32 => Prim::UInt,
                            33..=64 => Prim::ULong,
                            _ => Prim::UInt128,
                        };
                        classify_scalar(p, off, types)
                    }
                    // In a struct, `:0` is ignored (gcc 12, C) ...
                    Some(b) if b.bit_width == 0 => continue,
                    // ... a bitfield that fills an integer mode on its natural
                    // boundary is an ordinary integer member to gcc (`layout_decl`:
                    // "use an ordinary integer mode for a bit-field"), so it can be
                    // misaligned in a packed parent. Checked with gcc 12: a packed
                    // `struct { char c; struct { long x : 16; } m; }` goes in memory.
                    Some(b)
                        if matches!(b.bit_width, 8 | 16 | 32 | 64)
                            && f.bit_pos().is_multiple_of(b.bit_width as u64)
                            && (b.bit_width == 8 || !packed) =>
                    {
                        let p = match b.bit_width {
                            8 => Prim::UChar,
                            16 => Prim::UShort,
                            32 => Prim::UInt,
                            _ => Prim::ULong,
                        };
                        classify_scalar(p, off + f.offset, types)
                    }
                    // ... and other bitfields are INTEGER for every eightbyte they touch.
                    Some(b) => {
                        let first = (off % 8) * 8 + f.bit_pos();
                        let last = first + b.bit_width as u64 - 1;
                        for w in (first / 64)..=(last / 64) {
                            merge_at(&mut cls, w as usize, &[Class::Integer]);
                        }
                        continue;
                    }
                    None => classify_value(types, f.ty, off + f.offset)?,
                };
                let sub = match sub {
                    Some(s) => s,
                    None => return Ok(None),
                };
                // Union members all start where the union does.
                let pos = if is_union {
                    0
                } else {
                    ((off % 8 + f.offset) / 8) as usize
                };
                merge_at(&mut cls, pos, &sub);
            }
            // Item 5: post merger cleanup.
            for i in 0..words {
                match cls[i] {
                    // (a) If one of the classes is MEMORY, the whole argument is passed in memory.
                    Class::Memory => return Ok(None),
                    // (b) If X87UP is not preceded by X87, the whole argument is passed in memory.
                    Class::X87Up if i == 0 || cls[i - 1] != Class::X87 => return Ok(None),
                    // (d) If SSEUP is not preceded by SSE or SSEUP, it is converted to SSE.
                    Class::SseUp if i == 0 || !matches!(cls[i - 1], Class::Sse | Class::SseUp) => cls[i] = Class::Sse,
                    _ => {}
                }
            }
            Ok(Some(cls))
        }
        // Incomplete or unsized: rejected before classification.
        TypeKind::Prim(_) | TypeKind::Enum(_) | TypeKind::Func(_) => Ok(None),
    }
}

/// The classes of a GCC vector of `len` elements `elem` (`size` bytes) at
/// byte `off`, by its machine mode as gcc's `classify_argument` sees it
/// (checked with gcc 12 by the register-dump oracle, `tests/abi/oracle.rs`):
///
/// - 16 bytes with an SSE mode (V4SF, V2DF, V16QI, V8HI, V4SI, V2DI, V1TI):
///   SSE + SSEUP, one whole `xmm` register;
/// - 8 bytes with an MMX-via-SSE mode (V2SF, V8QI, V4HI, V2SI, V1DI): SSE;
/// - integer vectors of 4 bytes or less (V4QI, V2HI, V2QI, or the integer
///   mode of their size): INTEGER;
/// - a vector gcc has no mode for (`float`/`double`/`long double` vectors of
///   one element: V1SF, V1DF, ...) is BLKmode, MEMORY;
/// - larger (32 and 64 bytes, `__m256` / `__m512`): without `-mavx` /
///   `-mavx512f` — gcc's default, and what abicall follows — MEMORY (gcc
///   warns that AVX would change this ABI: `-Wpsabi`).
///
/// A vector not at a multiple of its size (a packed parent) is MEMORY, as a
/// misaligned scalar is.
fn classify_vector(elem: Prim, len: u64, size: u64, off: u64) -> Option<Vec<Class>> {
    if size > MAX_REG_AGGREGATE || !off.is_multiple_of(size) {
        return None;
    }
    if elem.is_real_float() {
        // Float vector modes: V2SF (8 bytes), V4SF and V2DF (16 bytes).
        return match (elem, len, size) {
            (Prim::Float, 2, 8) => Some(vec![Class::Sse]),
            (Prim::Float | Prim::Double, _, 16) => Some(vec![Class::Sse, Class::SseUp]),
            _ => None,
        };
    }
    Some(match size {
        16 => vec![Class::Sse, Class::SseUp],
        8 => vec![Class::Sse],
        _ => vec![Class::Integer],
    })
}

/// Refuses a struct or union of at most 16 bytes holding a one-element
/// `__int128` vector (V1TI) by value: gcc 12 classifies that member SSE for
/// its first eightbyte only and passes or returns just its low 8 bytes
/// (`movq`), the rest lost. A lone V1TI vector is passed whole in an `xmm`
/// register, and a larger aggregate is MEMORY, copied whole.
fn refuse_nested_v1ti(types: &Types, ty: TypeId) -> Result<()> {
    fn find(types: &Types, ty: TypeId) -> Option<TypeId> {
        match types.kind(ty) {
            TypeKind::Vector {
                elem: Prim::Int128 | Prim::UInt128,
                len: 1,
            } => Some(ty),
            TypeKind::Array { elem, .. } => find(types, *elem),
            TypeKind::Record(_) => types.record_of(ty)?.fields.iter().find_map(|f| find(types, f.ty)),
            _ => None,
        }
    }
    // Larger aggregates are MEMORY, copied whole.
    if types.record_of(ty).is_none() || types.size_of(ty).map_or(true, |s| s > MAX_REG_AGGREGATE) {
        return Ok(());
    }
    match find(types, ty) {
        Some(v) => Err(crate::error::Error::abi(
            crate::error::AbiErrorKind::Unsupported,
            None,
            format!(
                "`{}` holds `{}` (a vector of one `__int128`), which gcc passes and returns by value \
             with only its low 8 bytes: not supported",
                types.display(ty),
                types.display(v)
            ),
        )),
        None => Ok(()),
    }
}

/// The classes of one scalar at byte `off`, from the eightbyte holding `off`;
/// `None` when it is misaligned (gcc: "Misaligned fields are always returned
/// in memory").
fn classify_scalar(p: Prim, off: u64, types: &Types) -> Option<Vec<Class>> {
    use Prim::*;
    let size = p.size_align(types.target()).0;
    // gcc checks the offset against the size of the machine mode (complex: one part).
    let mode_align = if p.is_complex() { size / 2 } else { size };
    if mode_align > 0 && !off.is_multiple_of(mode_align) {
        return None;
    }
    let words = ((off % 8) + size).div_ceil(8) as usize;
    Some(match p {
        Float | Double | FloatComplex | DoubleComplex => vec![Class::Sse; words],
        LongDouble => vec![Class::X87, Class::X87Up],
        LongDoubleComplex => vec![Class::ComplexX87],
        Void => Vec::new(),
        _ => vec![Class::Integer; words],
    })
}

fn value_class(types: &Types, ty: TypeId, promoted: Option<Prim>, c: &Classification) -> ValueClass {
    if let Some(p) = scalar_of(types, ty, promoted) {
        return ValueClass::Scalar(p);
    }
    if matches!(types.kind(ty), TypeKind::Pointer(_)) {
        return ValueClass::Pointer;
    }
    match c {
        Classification::Empty => ValueClass::Empty,
        Classification::Memory => ValueClass::Memory,
        Classification::Eightbytes(v) => ValueClass::Eightbytes(v.clone()),
    }
}

/// Assigns the eightbytes to registers from the given counters.
fn reg_parts(size: u64, classes: &[Class], ngrn: &mut u8, nsrn: &mut u8, ext: Ext) -> Vec<Part> {
    let mut parts = Vec::new();
    for (i, c) in classes.iter().enumerate() {
        let offset = i as u64 * 8;
        let len = (size - offset.min(size)).min(8);
        match c {
            Class::Integer => {
                parts.push(Part {
                    offset,
                    size: len,
                    loc: Loc::Gpr(*ngrn),
                    ext,
                });
                *ngrn += 1;
            }
            Class::Sse => {
                // SSE followed by SSEUP eightbytes: one vector register
                // holding all of them (a 16-byte vector in `xmmN`).
                let up = classes[i + 1..].iter().take_while(|c| **c == Class::SseUp).count() as u64;
                parts.push(Part {
                    offset,
                    size: (size - offset.min(size)).min(8 * (up + 1)),
                    loc: Loc::Fpr(*nsrn),
                    ext: Ext::None,
                });
                *nsrn += 1;
            }
            _ => {}
        }
    }
    parts
}

fn needs(classes: &[Class]) -> Option<(u8, u8)> {
    let mut g = 0;
    let mut s = 0;
    for c in classes {
        match c {
            Class::Integer => g += 1,
            Class::Sse => s += 1,
            Class::NoClass | Class::SseUp => {}
            // X87, X87UP, COMPLEX_X87 arguments are passed in memory.
            _ => return None,
        }
    }
    Some((g, s))
}

/// Plans a call for x86_64 SysV.
pub(crate) fn plan(types: &Types, inp: &Inputs) -> Result<CallPlan> {
    let mut ngrn: u8 = 0;
    let mut nsrn: u8 = 0;
    let mut nsaa: u64 = 0;
    let mut stack_align: u64 = 16;

    // The return value first: a MEMORY result takes rdi.
    let ret = if inp.ret.void {
        ValuePlan {
            ty: inp.ret.ty,
            promoted: None,
            size: 0,
            align: 1,
            class: ValueClass::Void,
            pass: Pass::Direct(Vec::new()),
        }
    } else {
        let ty = inp.ret.ty;
        refuse_nested_v1ti(types, ty)?;
        let (size, align) = types.size_align(ty)?;
        let c = classify(types, ty, None)?;
        let class = value_class(types, ty, None, &c);
        let pass = match &c {
            Classification::Empty => Pass::Direct(Vec::new()),
            Classification::Eightbytes(v) => Pass::Direct(ret_parts(size, v)),
            Classification::Memory => {
                // "If the type has class MEMORY, then the caller provides space for the
                // return value and passes the address of this storage in %rdi as if it
                // were the first argument ... On return %rax will contain the address."
                ngrn = 1;
                Pass::Indirect {
                    ptr: Loc::Gpr(0),
                    returned_in: Some(Loc::Gpr(0)),
                }
            }
        };
        ValuePlan {
            ty,
            promoted: None,
            size,
            align,
            class,
            pass,
        }
    };

    let mut args = Vec::with_capacity(inp.args.len());
    for a in &inp.args {
        let v = plan_arg(types, a, &mut ngrn, &mut nsrn, &mut nsaa)?;
        if v.parts().iter().any(|p| matches!(p.loc, Loc::Stack(_))) {
            stack_align = stack_align.max(v.align);
        }
        args.push(v);
    }
    Ok(CallPlan {
        target: types.target(),
        args,
        ret,
        variadic: inp.variadic,
        fixed_args: inp.fixed_args,
        gpr_used: ngrn,
        fpr_used: nsrn,
        stack_size: round_up(nsaa, STACK_SLOT),
        stack_align,
        // "%al is used as hidden argument to specify the number of vector
        // registers used" (an upper bound, at most 8).
        al: inp.variadic.then_some(nsrn),
    })
}

fn plan_arg(types: &Types, a: &ArgInput, ngrn: &mut u8, nsrn: &mut u8, nsaa: &mut u64) -> Result<ValuePlan> {
    let target = types.target();
    refuse_nested_v1ti(types, a.ty)?;
    let (size, align) = match a.promoted {
        Some(p) => p.size_align(target),
        None => types.size_align(a.ty)?,
    };
    let c = classify(types, a.ty, a.promoted)?;
    let class = value_class(types, a.ty, a.promoted, &c);
    // clang-built callees assume narrow integer arguments are extended to 32 bits.
    let ext = match &class {
        ValueClass::Scalar(p) => narrow_ext(*p, target),
        _ => Ext::None,
    };
    let in_regs = match &c {
        Classification::Empty => Some(Vec::new()),
        Classification::Memory => None,
        Classification::Eightbytes(v) => match needs(v) {
            // An aggregate goes whole into registers or whole onto the stack.
            Some((g, s)) if *ngrn + g <= NUM_ARG_GPRS && *nsrn + s <= NUM_ARG_SSE => {
                Some(reg_parts(size, v, ngrn, nsrn, ext))
            }
            _ => None,
        },
    };
    let parts = match in_regs {
        Some(p) => p,
        None => {
            // Stack: 8-byte slots, 16-aligned for 16-aligned types (long double,
            // __int128, aligned(16) aggregates).
            let off = round_up(*nsaa, align.max(STACK_SLOT));
            *nsaa = off + round_up(size, STACK_SLOT);
            vec![Part {
                offset: 0,
                size,
                loc: Loc::Stack(off),
                ext,
            }]
        }
    };
    Ok(ValuePlan {
        ty: a.ty,
        promoted: a.promoted,
        size,
        align,
        class,
        pass: Pass::Direct(parts),
    })
}

/// §3.2.3 "Returning of Values": INTEGER eightbytes in rax, rdx; SSE in
/// xmm0, xmm1; X87 in st0; COMPLEX_X87 real part in st0, imaginary in st1.
fn ret_parts(size: u64, classes: &[Class]) -> Vec<Part> {
    if classes.contains(&Class::X87) {
        // X87 (with its X87UP): the 80-bit value in st0.
        return vec![Part {
            offset: 0,
            size: 10,
            loc: Loc::X87(0),
            ext: Ext::None,
        }];
    }
    if classes.contains(&Class::ComplexX87) {
        return vec![
            Part {
                offset: 0,
                size: 10,
                loc: Loc::X87(0),
                ext: Ext::None,
            },
            Part {
                offset: 16,
                size: 10,
                loc: Loc::X87(1),
                ext: Ext::None,
            },
        ];
    }
    let (mut g, mut s) = (0, 0);
    reg_parts(size, classes, &mut g, &mut s, Ext::None)
}

#[cfg(test)]
mod tests {
    use super::Class::*;
    use super::*;

    #[test]
    fn merge_rules_4a_to_4f() {
        let all = [NoClass, Integer, Sse, SseUp, X87, X87Up, ComplexX87, Memory];
        for &c in &all {
            assert_eq!(merge(c, c), c, "(a)");
            assert_eq!(merge(NoClass, c), c, "(b)");
            assert_eq!(merge(c, NoClass), c, "(b)");
        }
        for &c in &all[1..] {
            assert_eq!(merge(Memory, c), Memory, "(c)");
            assert_eq!(merge(c, Memory), Memory, "(c)");
        }
        for &c in &[Sse, SseUp, X87, X87Up, ComplexX87] {
            assert_eq!(merge(Integer, c), Integer, "(d)");
            assert_eq!(merge(c, Integer), Integer, "(d)");
        }
        assert_eq!(merge(Sse, X87), Memory, "(e)");
        assert_eq!(merge(X87Up, Sse), Memory, "(e)");
        assert_eq!(merge(Sse, SseUp), Sse, "(f)");
    }

    #[test]
    fn misaligned_scalars_are_memory() {
        let t = Types::new(crate::Target::X86_64SysV);
        assert_eq!(classify_scalar(Prim::Int, 2, &t), None);
        assert_eq!(classify_scalar(Prim::Double, 4, &t), None);
        assert_eq!(classify_scalar(Prim::Int128, 8, &t), None);
        // A complex float only needs the alignment of one part.
        assert_eq!(classify_scalar(Prim::FloatComplex, 4, &t), Some(vec![Sse, Sse]));
        assert_eq!(classify_scalar(Prim::Int, 4, &t), Some(vec![Integer]));
    }

    #[test]
    fn nested_aggregates_are_classified_on_their_own() {
        use crate::types::{FieldDecl, RecordAttrs, RecordKind};
        let mut t = Types::new(crate::Target::X86_64SysV);
        let (ld, f, u, ul) = (
            t.prim(Prim::LongDouble),
            t.prim(Prim::Float),
            t.prim(Prim::UInt),
            t.prim(Prim::ULong),
        );
        let u3 = t.array(u, Some(3));
        let un = |t: &mut Types, fs: &[TypeId]| {
            let d = fs
                .iter()
                .enumerate()
                .map(|(i, &x)| FieldDecl::new(&format!("m{i}"), x))
                .collect();
            t.define_record(RecordKind::Union, None, d, RecordAttrs::default())
                .unwrap()
        };
        // X87 + INTEGER → INTEGER (rule d), X87UP + INTEGER → INTEGER.
        let a = un(&mut t, &[ld, u3]);
        assert_eq!(
            classify(&t, a, None).unwrap(),
            Classification::Eightbytes(vec![Integer, Integer])
        );
        // X87 + SSE → MEMORY (rule e) inside the inner union, which stays MEMORY
        // even though the outer union would have merged the same leaves to INTEGER.
        let inner = un(&mut t, &[ld, f, u3]);
        let ul1 = t.array(ul, Some(1));
        let outer = un(&mut t, &[ul1, inner]);
        assert_eq!(classify(&t, inner, None).unwrap(), Classification::Memory);
        assert_eq!(classify(&t, outer, None).unwrap(), Classification::Memory);
    }
}
