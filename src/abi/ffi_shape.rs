//! The libffi type a CIF should use for each planned value: the *synthetic*
//! element lists of docs/design.md "Why our own classification", derived from the
//! plan so that libffi reaches the same classification as the plan.
//!
//! Two libffi facts this relies on (`src/x86/ffi64.c`, `src/prep_cif.c`):
//!
//! - `ffi_prep_cif` only computes a struct's size and alignment when its
//!   `size` is 0, so the CIF sets [`FfiType::Struct::size`] and `align`
//!   itself and the elements only steer classification;
//! - on x86_64, `classify_argument` gives up (MEMORY) as soon as one element
//!   is MEMORY, e.g. a nested struct larger than 32 bytes; that is how a
//!   MEMORY value of 16 bytes or less ([`FfiType::Memory`], e.g. a packed
//!   struct with a misaligned member) is expressed.

use super::x86_64::Class;
use super::{CallPlan, Loc, Pass, ValueClass, ValuePlan};
use crate::target::{Arch, LongDoubleFormat, Target};
use crate::types::{Prim, Types};

/// A libffi type description.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FfiType {
    /// Not passed at all (empty struct argument or return): leave it out of
    /// the CIF's argument list / use `void` as the return type.
    Omit,
    /// `ffi_type_void`.
    Void,
    /// `ffi_type_uint8`.
    U8,
    /// `ffi_type_sint8`.
    S8,
    /// `ffi_type_uint16`.
    U16,
    /// `ffi_type_sint16`.
    S16,
    /// `ffi_type_uint32`.
    U32,
    /// `ffi_type_sint32`.
    S32,
    /// `ffi_type_uint64`.
    U64,
    /// `ffi_type_sint64`.
    S64,
    /// `ffi_type_float`.
    Float,
    /// `ffi_type_double`.
    Double,
    /// `ffi_type_longdouble` (x87 on x86_64, binary128 on aarch64 Linux).
    LongDouble,
    /// `ffi_type_pointer`.
    Pointer,
    /// `ffi_type_complex_longdouble`: only for an x86_64 `long double
    /// _Complex` *return* (st0/st1), which no struct can express. Needs libffi
    /// built with complex support (the `complex` feature of libffi-sys);
    /// every other complex value is a struct of two parts.
    Complex(Prim),
    /// `FFI_TYPE_STRUCT` with `size` and `alignment` preset by the CIF.
    Struct {
        /// Bytes (the value's size).
        size: u64,
        /// Alignment libffi uses for stack placement (aarch64: the AAPCS64
        /// natural alignment, which also drives the even-register rule C.10;
        /// the caller's buffer keeps the value's real alignment).
        align: u64,
        /// Elements, in order, laid out by libffi at their natural alignment.
        elems: Vec<FfiType>,
    },
    /// x86_64 MEMORY class: a `Struct` of this size and alignment whose one
    /// element is a struct of size 33 (so libffi classifies it MEMORY).
    Memory {
        /// Bytes.
        size: u64,
        /// Alignment.
        align: u64,
    },
}

fn scalar(p: Prim, target: Target) -> FfiType {
    use Prim::*;
    match p {
        Void => FfiType::Void,
        Bool | UChar => FfiType::U8,
        SChar => FfiType::S8,
        Char => {
            if target.char_is_signed() {
                FfiType::S8
            } else {
                FfiType::U8
            }
        }
        Short => FfiType::S16,
        UShort => FfiType::U16,
        Int => FfiType::S32,
        UInt => FfiType::U32,
        Long | LongLong => FfiType::S64,
        ULong | ULongLong => FfiType::U64,
        Int128 | UInt128 => FfiType::Struct {
            size: 16,
            align: 16,
            elems: vec![FfiType::U64, FfiType::U64],
        },
        Float => FfiType::Float,
        Double => FfiType::Double,
        LongDouble => match target.long_double_format() {
            LongDoubleFormat::Double => FfiType::Double,
            _ => FfiType::LongDouble,
        },
        // Two parts: one SSE eightbyte / two on x86_64, an HFA of 2 on aarch64,
        // and for x86_64 `long double _Complex` arguments MEMORY (libffi: more
        // than two eightbytes not SSE + SSEUP).
        FloatComplex | DoubleComplex | LongDoubleComplex => {
            let part = scalar(
                match p {
                    FloatComplex => Float,
                    DoubleComplex => Double,
                    _ => LongDouble,
                },
                target,
            );
            let (size, align) = p.size_align(target);
            FfiType::Struct {
                size,
                align,
                elems: vec![part.clone(), part],
            }
        }
    }
}

/// Filler elements for `n` bytes of one x86_64 eightbyte of class `c`.
fn eightbyte_elems(c: Class, n: u64, out: &mut Vec<FfiType>) {
    match (c, n) {
        (Class::Sse, 8) => out.push(FfiType::Double),
        (Class::Sse, _) => {
            for _ in 0..n.div_ceil(4) {
                out.push(FfiType::Float);
            }
        }
        (Class::Integer, 8) => out.push(FfiType::U64),
        (Class::Integer, 4) => out.push(FfiType::U32),
        (Class::Integer, 2) => out.push(FfiType::U16),
        (Class::Integer, _) => {
            for _ in 0..n {
                out.push(FfiType::U8);
            }
        }
        // NO_CLASS (padding): no element, so libffi also leaves it NO_CLASS.
        _ => {}
    }
}

/// For a narrow integer the plan passes on the stack extended to 32 bits
/// (x86_64: gcc and clang extend it in its slot as in a register), the
/// 32-bit type libffi must be given: libffi stores only the declared type's
/// bytes in a stack slot, leaving the rest of the extension unset. The call
/// then passes the extended value (`RawCall`'s promotions).
pub fn stack_extension(v: &ValuePlan) -> Option<Prim> {
    let ValueClass::Scalar(_) = v.class else { return None };
    let super::Pass::Direct(parts) = &v.pass else {
        return None;
    };
    match parts.as_slice() {
        [p] if matches!(p.loc, super::Loc::Stack(_)) => match p.ext {
            super::Ext::Sign32 => Some(Prim::Int),
            super::Ext::Zero32 => Some(Prim::UInt),
            super::Ext::None => None,
        },
        _ => None,
    }
}

/// The libffi type for a value planned with `types` (whose target it uses).
/// For a return value, use [`ffi_return_type`].
pub fn ffi_type(types: &Types, v: &ValuePlan) -> FfiType {
    let target = types.target();
    // AAPCS64 composites: libffi uses the type's alignment for C.10 (even
    // register pairs) and C.14 (stack), where the standard uses the natural
    // alignment (members only, before `aligned` on the composite).
    let agg_align = match target.arch() {
        Arch::Aarch64 => super::aarch64::natural_align(types, v.ty).clamp(1, 16),
        Arch::X86_64 => v.align,
    };
    match &v.class {
        ValueClass::Void => FfiType::Void,
        ValueClass::Empty => FfiType::Omit,
        ValueClass::Scalar(p) => match stack_extension(v) {
            Some(wide) => scalar(wide, target),
            None => scalar(*p, target),
        },
        ValueClass::Pointer => FfiType::Pointer,
        // `struct { long double x; }` argument: class X87 arguments go to
        // the stack like MEMORY (psABI 3.2.3), at the struct's own alignment
        // — which a packed member lowers below `long double`'s 16.
        ValueClass::Eightbytes(classes) if classes.contains(&Class::X87) => FfiType::Memory {
            size: v.size,
            align: v.align,
        },
        ValueClass::Eightbytes(classes) => {
            let mut elems = Vec::new();
            for (i, c) in classes.iter().enumerate() {
                let off = i as u64 * 8;
                eightbyte_elems(*c, (v.size - off).min(8), &mut elems);
            }
            // libffi's closures (`ffi_closure_unix64_inner`) take one
            // register for every eightbyte libffi classifies, NO_CLASS
            // included, where the psABI (and libffi's own `ffi_call`) take
            // none. A value in registers whose last eightbyte is padding
            // (`struct { int a; struct {} e __attribute__((aligned(16))); }`)
            // is therefore described without it; on the stack it keeps its
            // full size, which is the slot the caller reserves.
            let in_regs = matches!(&v.pass, super::Pass::Direct(parts)
                if !parts.is_empty() && parts.iter().all(|p| !matches!(p.loc, super::Loc::Stack(_))));
            let size = match classes.iter().rposition(|c| *c != Class::NoClass) {
                Some(last) if in_regs => v.size.min(8 * (last as u64 + 1)),
                _ => v.size,
            };
            FfiType::Struct {
                size,
                align: v.align,
                elems,
            }
        }
        ValueClass::Memory => FfiType::Memory {
            size: v.size,
            align: v.align,
        },
        ValueClass::Hfa { base, count } => FfiType::Struct {
            size: v.size,
            align: agg_align,
            elems: vec![scalar(*base, target); *count as usize],
        },
        // A short vector is bytes in a `v` register, which libffi moves
        // unconverted for `double` (8 bytes, `dN`) and, on AAPCS64 Linux,
        // binary128 `long double` (16 bytes, `qN`); an HVA is an HFA of
        // those. (Apple arm64 has no 16-byte floating type:
        // [`libffi_vector_limitation`] refuses that case.)
        ValueClass::Hva { size, count } => {
            let elem = if *size == 8 {
                FfiType::Double
            } else {
                FfiType::LongDouble
            };
            if *count == 1 && v.size == *size {
                elem
            } else {
                FfiType::Struct {
                    size: v.size,
                    align: agg_align,
                    elems: vec![elem; *count as usize],
                }
            }
        }
        ValueClass::Composite => {
            debug_assert_eq!(target.arch(), Arch::Aarch64);
            // Integer elements only, so libffi never sees an HFA.
            let elems = vec![FfiType::U8; v.size as usize];
            FfiType::Struct {
                size: v.size,
                align: agg_align,
                elems,
            }
        }
    }
}

/// The libffi type for a planned return value: as [`ffi_type`], except an
/// x86_64 `long double _Complex`, returned in st0/st1 ([`FfiType::Complex`]).
pub fn ffi_return_type(types: &Types, v: &ValuePlan) -> FfiType {
    match &v.class {
        // `struct { long double x; }`: same bytes as a `long double`, which
        // libffi returns in st0, like gcc.
        ValueClass::Eightbytes(classes) if classes.contains(&Class::X87) => FfiType::LongDouble,
        ValueClass::Scalar(Prim::LongDoubleComplex) if types.target().arch() == Arch::X86_64 => {
            FfiType::Complex(Prim::LongDoubleComplex)
        }
        _ => ffi_type(types, v),
    }
}

/// Why libffi cannot make this call, if it cannot: `ffi_call` keeps the
/// stack 16-byte aligned, so an argument that needs a more aligned stack slot
/// (x86_64, e.g. an `aligned(32)` struct passed on the stack) lands at the
/// wrong offset. Such calls need another path (or an error for the user).
pub fn libffi_limitation(plan: &CallPlan) -> Option<String> {
    (plan.stack_align > 16).then(|| {
        format!(
            "a stack argument needs {}-byte stack alignment; libffi only keeps 16",
            plan.stack_align
        )
    })
}

/// Why libffi cannot pass a GCC vector value of this plan the way the plan
/// says, if it cannot; `None` when every value can be described to libffi.
///
/// - x86_64: a value with an SSE eightbyte followed by SSEUP (a 16-byte
///   vector, or a struct or union of one) travels in one whole `xmm`
///   register; libffi has no type for that (its element types give one
///   register per eightbyte). 8-byte vectors (one SSE eightbyte), narrow
///   integer vectors and MEMORY vectors (32 and 64 bytes) are fine.
/// - Apple arm64: a 16-byte short vector goes in a `q` register and libffi
///   there has no 16-byte floating type to carry it.
///
/// The message names the argument (or the return value) and its type, so a
/// call to such a function fails when it is prepared, instead of passing
/// the wrong bytes.
pub fn libffi_vector_limitation(types: &Types, plan: &CallPlan) -> Option<String> {
    let bad = |v: &ValuePlan| match (&v.class, plan.target) {
        (ValueClass::Eightbytes(classes), _) => classes.contains(&Class::SseUp),
        (ValueClass::Hva { size: 16, .. }, Target::Aarch64Apple) => true,
        _ => false,
    };
    let why = |what: String, v: &ValuePlan| {
        format!(
            "{what} of type `{}` is passed in a whole vector register ({}), which libffi cannot express; \
             GCC vector types of this size are not callable yet",
            types.display(v.ty),
            match plan.target.arch() {
                Arch::X86_64 => "xmm, SSE + SSEUP",
                Arch::Aarch64 => "q",
            }
        )
    };
    if let Some((i, a)) = plan.args.iter().enumerate().find(|(_, a)| bad(a)) {
        return Some(why(format!("argument {i}"), a));
    }
    bad(&plan.ret).then(|| why("the return value".to_string(), &plan.ret))
}

/// How one planned argument appears in an AAPCS64 libffi CIF, where abicall
/// does not leave the rules libffi gets wrong to libffi (issue 14):
///
/// - a composite larger than 16 bytes ([`Pass::Indirect`], B.4) is given to
///   libffi as a plain pointer: the caller makes the copy itself and passes
///   its address (libffi 3.4's own copies share the outgoing stack area with
///   the stacked arguments, so from 9 such structs on the pointers and
///   copies overlap: wrong values, then crashes); a callback reads the
///   value through the pointer it receives;
/// - a 16-byte-aligned value that C.10 moves to an even register pair
///   (`__int128`, composites of natural alignment 16) gets `pads_before`
///   unused `uint64` arguments in front of it, since libffi does not round
///   NGRN up for them; a general-register value the plan stacks (C.13)
///   gets padding up to `x7`, so libffi stacks it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Aarch64CifArg {
    /// Padding `uint64` arguments (unused general registers) before it.
    pub pads_before: u8,
    /// Passed to libffi as a pointer to a copy the caller makes.
    pub by_ref: bool,
}

/// The [`Aarch64CifArg`] of every argument of an AAPCS64 `plan`, found by
/// following libffi's NGRN (`src/aarch64/ffi.c`, which takes registers in
/// order and never rounds) beside the plan's.
pub fn aarch64_cif_args(plan: &CallPlan) -> Vec<Aarch64CifArg> {
    debug_assert_eq!(plan.target.arch(), Arch::Aarch64);
    let mut ngrn = 0u8;
    plan.args
        .iter()
        .map(|a| {
            let by_ref = matches!(a.pass, Pass::Indirect { .. });
            let gprs = a.parts().iter().filter_map(|p| match p.loc {
                Loc::Gpr(r) => Some(r),
                _ => None,
            });
            let (first, last) = match a.pass {
                Pass::Indirect { ptr: Loc::Gpr(r), .. } => (Some(r), Some(r)),
                _ => (gprs.clone().min(), gprs.max()),
            };
            let mut pads_before = 0;
            if let (Some(first), Some(last)) = (first, last) {
                pads_before = first.saturating_sub(ngrn);
                ngrn = last + 1;
            } else if uses_gprs(a) {
                // On the stack: the plan stops using x registers (C.13).
                // libffi must too: it stacks a value only when it does not
                // fit the registers left, which a 4-byte `float` vector does
                // (gcc stacks it anyway), so the x registers libffi still
                // has are filled with padding first.
                pads_before = super::aarch64::NUM_ARG_GPRS.saturating_sub(ngrn);
                ngrn = super::aarch64::NUM_ARG_GPRS;
            }
            Aarch64CifArg { pads_before, by_ref }
        })
        .collect()
}

/// Whether an AAPCS64 value is of the general-register kind (integers,
/// pointers, non-HFA composites, copies passed by reference).
fn uses_gprs(a: &ValuePlan) -> bool {
    match &a.class {
        ValueClass::Scalar(p) => p.is_integer(),
        ValueClass::Pointer | ValueClass::Composite => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::plan_call;
    use crate::types::{FieldDecl, RecordAttrs, RecordKind, Types};

    fn st(t: &mut Types, fields: &[crate::types::TypeId], attrs: RecordAttrs, union: bool) -> crate::types::TypeId {
        let decls = fields
            .iter()
            .enumerate()
            .map(|(i, &f)| FieldDecl::new(&format!("f{i}"), f))
            .collect();
        let kind = if union { RecordKind::Union } else { RecordKind::Struct };
        t.define_record(kind, None, decls, attrs).unwrap()
    }

    /// Found by the conformance runs: libffi closures take a register for
    /// a NO_CLASS eightbyte, so a register-passed value is described
    /// without its trailing padding; on the stack it keeps its size.
    #[test]
    fn x86_64_trailing_padding_eightbyte() {
        let mut t = Types::new(Target::X86_64SysV);
        let l = t.prim(Prim::Long);
        let empty = st(&mut t, &[], RecordAttrs::default(), false);
        let decls = vec![
            FieldDecl::new("a", l),
            FieldDecl {
                align_attr: Some(16),
                ..FieldDecl::new("e", empty)
            },
        ];
        let s = t
            .define_record(RecordKind::Struct, None, decls, RecordAttrs::default())
            .unwrap();
        let void = t.prim(Prim::Void);
        let mut args = vec![l; 6];
        args.insert(0, s);
        args.push(s);
        let plan = plan_call(&t, void, &args, args.len(), false).unwrap();
        let in_regs = ffi_type(&t, &plan.args[0]);
        assert_eq!(
            in_regs,
            FfiType::Struct {
                size: 8,
                align: 16,
                elems: vec![FfiType::U64]
            }
        );
        let on_stack = ffi_type(&t, &plan.args[7]);
        assert_eq!(
            on_stack,
            FfiType::Struct {
                size: 16,
                align: 16,
                elems: vec![FfiType::U64]
            }
        );
    }

    /// Found by the conformance runs: a packed `long double` struct
    /// argument keeps its alignment of 1 (libffi would align a `long
    /// double` to 16 on the stack); returned, it is a `long double` (st0).
    #[test]
    fn x86_64_packed_long_double_struct() {
        let mut t = Types::new(Target::X86_64SysV);
        let ld = t.prim(Prim::LongDouble);
        let decls = vec![FieldDecl {
            packed: true,
            ..FieldDecl::new("x", ld)
        }];
        let s = t
            .define_record(RecordKind::Struct, None, decls, RecordAttrs::default())
            .unwrap();
        let plan = plan_call(&t, s, &[s], 1, false).unwrap();
        assert_eq!(ffi_type(&t, &plan.args[0]), FfiType::Memory { size: 16, align: 1 });
        assert_eq!(ffi_return_type(&t, &plan.ret), FfiType::LongDouble);
    }

    #[test]
    fn x86_64_filler_elements() {
        let target = Target::X86_64SysV;
        let mut t = Types::new(target);
        let (f, i, d, c, l) = (
            t.prim(Prim::Float),
            t.prim(Prim::Int),
            t.prim(Prim::Double),
            t.prim(Prim::Char),
            t.prim(Prim::Long),
        );
        let ufi = st(&mut t, &[f, i], RecordAttrs::default(), true);
        let f3 = st(&mut t, &[f, f, f], RecordAttrs::default(), false);
        let dl = st(&mut t, &[d, l], RecordAttrs::default(), false);
        let packed = RecordAttrs {
            packed: true,
            ..RecordAttrs::default()
        };
        let pci = st(&mut t, &[c, i], packed, false);
        let c3a = t.array(c, Some(3));
        let c3 = st(&mut t, &[c3a], RecordAttrs::default(), false);
        let empty = st(&mut t, &[], RecordAttrs::default(), false);
        let ld = t.prim(Prim::LongDouble);
        let sld = st(&mut t, &[ld], RecordAttrs::default(), false);
        let v = t.prim(Prim::Void);
        let p = plan_call(&t, v, &[ufi, f3, dl, pci, c3, empty, c, sld], 8, false).unwrap();
        let got: Vec<FfiType> = p.args.iter().map(|a| ffi_type(&t, a)).collect();
        use FfiType::*;
        assert_eq!(
            got,
            vec![
                Struct {
                    size: 4,
                    align: 4,
                    elems: vec![U32]
                },
                Struct {
                    size: 12,
                    align: 4,
                    elems: vec![Double, Float]
                },
                Struct {
                    size: 16,
                    align: 8,
                    elems: vec![Double, U64]
                },
                Memory { size: 5, align: 1 },
                Struct {
                    size: 3,
                    align: 1,
                    elems: vec![U8, U8, U8]
                },
                Omit,
                S8,
                // class X87 argument: on the stack, like MEMORY, at its own alignment
                Memory { size: 16, align: 16 },
            ]
        );
        assert_eq!(ffi_type(&t, &p.ret), Void);
    }

    #[test]
    fn aarch64_hfa_and_composites() {
        let target = Target::Aarch64Linux;
        let mut t = Types::new(target);
        let (f, i, ld, c) = (
            t.prim(Prim::Float),
            t.prim(Prim::Int),
            t.prim(Prim::LongDouble),
            t.prim(Prim::Char),
        );
        let f4 = st(&mut t, &[f, f, f, f], RecordAttrs::default(), false);
        let fi = st(&mut t, &[f, i], RecordAttrs::default(), false);
        let cx = t.prim(Prim::FloatComplex);
        let p = plan_call(&t, ld, &[f4, fi, cx, c], 4, false).unwrap();
        use FfiType::*;
        assert_eq!(
            ffi_type(&t, &p.args[0]),
            Struct {
                size: 16,
                align: 4,
                elems: vec![Float; 4]
            }
        );
        assert_eq!(
            ffi_type(&t, &p.args[1]),
            Struct {
                size: 8,
                align: 4,
                elems: vec![U8; 8]
            }
        );
        assert_eq!(
            ffi_type(&t, &p.args[2]),
            Struct {
                size: 8,
                align: 4,
                elems: vec![Float; 2]
            }
        );
        assert_eq!(ffi_type(&t, &p.args[3]), U8, "char is unsigned on aarch64 Linux");
        assert_eq!(ffi_type(&t, &p.ret), LongDouble);
        let mut apple = Types::new(Target::Aarch64Apple);
        let ld = apple.prim(Prim::LongDouble);
        let p = plan_call(&apple, ld, &[], 0, false).unwrap();
        assert_eq!(ffi_type(&apple, &p.ret), Double);
        // aligned(16) on an AAPCS64 composite does not change its natural alignment.
        let l = t.prim(Prim::Long);
        let al16 = st(
            &mut t,
            &[l, l],
            RecordAttrs {
                align_attr: Some(16),
                ..RecordAttrs::default()
            },
            false,
        );
        let p = plan_call(&t, al16, &[], 0, false).unwrap();
        assert_eq!(
            ffi_type(&t, &p.ret),
            Struct {
                size: 16,
                align: 8,
                elems: vec![U8; 16]
            }
        );
    }
}
