//! AAPCS64 §6.8 "Parameter passing" (stages A–C; rule numbers of the current
//! release, C.1–C.17), for Linux, and the Apple arm64 variant
//! ("Writing ARM64 code for Apple platforms") as explicit branches:
//!
//! - Apple drops C.10 (16-aligned arguments do not skip to an even NGRN);
//! - Apple stack arguments take only the space they need at their natural
//!   alignment (no 8-byte slots for scalars and HFAs; composites are still
//!   rounded to 8 bytes by B.5);
//! - Apple passes every variadic argument on the stack, in 8-byte slots;
//! - Apple requires the *caller* to extend narrow integer arguments to 32
//!   bits (and clang has the callee do the same for narrow return values);
//!   standard AAPCS64 leaves the upper bits unspecified.
//!
//! For the libffi CIF: [`ValueClass::Hfa`] becomes `count` × the base float
//! type, [`ValueClass::Composite`] an opaque block of the right size and
//! alignment (libffi passes non-HFA composites the same way).

use super::{narrow_ext, round_up, scalar_of, ArgInput, CallPlan, Ext, Inputs, Loc, Part, Pass, ValueClass, ValuePlan};
use crate::error::Result;
use crate::target::Target;
use crate::types::{Prim, TypeId, TypeKind, Types};

/// Integer argument registers `x0`–`x7`.
pub const NUM_ARG_GPRS: u8 = 8;
/// SIMD / floating-point argument registers `v0`–`v7`.
pub const NUM_ARG_FPRS: u8 = 8;
/// The indirect result location register `x8` (§6.5 / §6.9).
pub const INDIRECT_RESULT_REG: u8 = 8;
/// An HFA has 1 to this many members.
pub const MAX_HFA_MEMBERS: u64 = 4;
/// Composites larger than this are passed by reference to a copy (B.4) and
/// returned through `x8`.
pub const MAX_DIRECT_COMPOSITE: u64 = 16;
/// Stack slot granularity on Linux (C.14, C.16) and for Apple variadics.
pub const STACK_SLOT: u64 = 8;

/// How the rules of stage C see a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Integral or pointer type of at most 8 bytes.
    Int(Ext),
    /// 16-byte integral type (`__int128`).
    Int128,
    /// Half/single/double/quad precision floating point (size in bytes).
    Fp(u64),
    /// Homogeneous floating-point aggregate (also `_Complex`).
    Hfa { base_size: u64, count: u64 },
    /// Short vector (`count` 1) or homogeneous short-vector aggregate of
    /// `count` vectors of `size` (8 or 16) bytes: placed as an HFA is.
    Hva { size: u64, count: u64 },
    /// Any other composite.
    Composite,
    /// gcc on Linux: an argument of floating type that is no VFP candidate
    /// (a 4-byte `float` vector): no general register (`FLOAT_TYPE_P`), so
    /// C.13 then C.14–C.16, on the stack. (Returned as a composite.)
    FloatNotVfp,
    /// Composite of size 0 (ignored, as gcc and Apple do).
    Empty,
}

/// The HFA view of a type: `Some((base, count))` when `ty` is a homogeneous
/// floating-point aggregate of 1–4 members of base type `base` (`Float`,
/// `Double` or `LongDouble`; on Apple `long double` is `double`). Looks through
/// nested structs and arrays; a union is an HFA when every member is, with the
/// same base type (AAPCS64 §5.9.5). Zero-width bitfields in a struct are
/// ignored (gcc ≥ 12); any other bitfield (also `:0` in a union), integer,
/// pointer, padding or flexible array member disqualifies.
pub fn hfa(types: &Types, ty: TypeId) -> Option<(Prim, u8)> {
    if let Some(p) = complex_mode(types, ty) {
        let size = p.size_align(types.target()).0;
        return Some((base_prim(size / 2), 2));
    }
    match hfa_sub(types, ty)? {
        (Some(Base::Fp(base)), count) if (1..=MAX_HFA_MEMBERS).contains(&count) => Some((base_prim(base), count as u8)),
        _ => None,
    }
}

/// The short-vector view of a type (AAPCS64 §5.9.5, "Homogeneous
/// Short-Vector Aggregates"): `Some((size, count))` when `ty` is a GCC
/// vector type of 8 or 16 bytes (a *short vector*, count 1) or an aggregate
/// of 1–4 members that are all short vectors of the same size, looking
/// through nested structs, arrays and unions as for [`hfa`]. gcc
/// (`aapcs_vfp_sub_candidate`) treats every 8-byte vector as one type and
/// every 16-byte vector as another, whatever their elements; a vector of
/// any other size is not a short vector, and a short vector never combines
/// with a floating-point member. Checked with aarch64-linux-gnu-gcc by the
/// register-dump oracle.
pub fn hva(types: &Types, ty: TypeId) -> Option<(u64, u8)> {
    match hfa_sub(types, ty)? {
        (Some(Base::ShortVector(size)), count) if (1..=MAX_HFA_MEMBERS).contains(&count) => Some((size, count as u8)),
        _ => None,
    }
}

/// The base type of a homogeneous aggregate: a floating-point type or a
/// short vector, of this many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    /// `float`, `double`, `long double` (a `_Complex`'s parts included).
    Fp(u64),
    /// A GCC vector type of 8 or 16 bytes.
    ShortVector(u64),
}

impl Base {
    fn size(self) -> u64 {
        match self {
            Base::Fp(s) | Base::ShortVector(s) => s,
        }
    }
}

/// gcc gives a record whose only member of nonzero size is a `_Complex`
/// spanning all of it that complex type's machine mode, and passes any value
/// of a complex mode as an HFA of 2 without looking at its members (checked
/// with gcc 12: `struct { double _Complex z; union { short :0; } u; }` goes in
/// d0, d1, while `struct { union { short :0; } u; double d; }` goes in x0).
fn complex_mode(types: &Types, ty: TypeId) -> Option<Prim> {
    let rec = types.record_of(ty)?;
    // Only a struct takes its member's mode (gcc's `compute_record_mode`);
    // `union { short :0; float _Complex z; }` goes in x0.
    if rec.kind != crate::types::RecordKind::Struct {
        return None;
    }
    let size = types.size_of(ty).ok()?;
    let mut found = None;
    for f in &rec.fields {
        let fsize = match f.bit {
            Some(b) if b.bit_width == 0 => 0,
            Some(_) => return None,
            None => types.size_of(f.ty).ok()?,
        };
        if fsize == 0 {
            continue;
        }
        match types.as_prim(f.ty) {
            Some(p) if p.is_complex() && fsize == size && f.offset == 0 && found.is_none() => found = Some(p),
            _ => return None,
        }
    }
    found
}

fn base_prim(size: u64) -> Prim {
    match size {
        4 => Prim::Float,
        8 => Prim::Double,
        _ => Prim::LongDouble,
    }
}

/// `(base, member count)`; `None` when not a candidate (gcc's
/// `aapcs_vfp_sub_candidate` returning -1).
fn hfa_sub(types: &Types, ty: TypeId) -> Option<(Option<Base>, u64)> {
    let target = types.target();
    if let Some(p) = types.as_prim(ty) {
        let size = p.size_align(target).0;
        return match p {
            Prim::Float | Prim::Double | Prim::LongDouble => Some((Some(Base::Fp(size)), 1)),
            Prim::FloatComplex | Prim::DoubleComplex | Prim::LongDoubleComplex => Some((Some(Base::Fp(size / 2)), 2)),
            _ => None,
        };
    }
    let (base, count) = match types.kind(ty) {
        TypeKind::Vector { .. } => {
            return match types.size_of(ty).ok()? {
                size @ (8 | 16) => Some((Some(Base::ShortVector(size)), 1)),
                _ => None,
            };
        }
        TypeKind::Array { len: None, .. } => return None,
        TypeKind::Array { elem, len: Some(n) } => {
            let (b, c) = hfa_sub(types, *elem)?;
            (b, c.checked_mul(*n)?)
        }
        TypeKind::Record(_) => {
            let rec = types.record_of(ty)?;
            let is_union = rec.kind == crate::types::RecordKind::Union;
            let mut base: Option<Base> = None;
            let mut count = 0u64;
            for f in &rec.fields {
                if let Some(b) = f.bit {
                    // gcc ≥ 12 ignores a zero-width bitfield in a struct; in a
                    // union it still disqualifies (checked with gcc 12:
                    // `union { int :0; float f; }` goes in w0).
                    if b.bit_width == 0 && !is_union {
                        continue;
                    }
                    return None;
                }
                let (b, c) = hfa_sub(types, f.ty)?;
                match (base, b) {
                    (Some(x), Some(y)) if x != y => return None,
                    (None, Some(y)) => base = Some(y),
                    _ => {}
                }
                count = if is_union { count.max(c) } else { count + c };
            }
            (base, count)
        }
        _ => return None,
    };
    // No padding: the aggregate is exactly `count` members.
    if let Some(b) = base {
        if types.size_of(ty).ok()? != b.size() * count {
            return None;
        }
    }
    Some((base, count))
}

/// The natural alignment AAPCS64 uses in C.10 and C.14: for a composite, the
/// largest alignment of its top-level members *before* any alignment
/// adjustment of the composite itself (gcc's `aarch64_function_arg_alignment`,
/// counting a bitfield's declared type); for an array, its element's.
pub fn natural_align(types: &Types, ty: TypeId) -> u64 {
    let target = types.target();
    match types.kind(ty) {
        TypeKind::Prim(p) => p.size_align(target).1,
        TypeKind::Enum(_) => types.as_prim(ty).map_or(1, |p| p.size_align(target).1),
        TypeKind::Pointer(_) => 8,
        TypeKind::Vector { .. } => types.align_of(ty).unwrap_or(1),
        TypeKind::Array { elem, .. } => types.align_of(*elem).unwrap_or(1),
        TypeKind::Record(_) => {
            let rec = match types.record_of(ty) {
                Some(r) => r,
                None => return 1,
            };
            let mut align = 1;
            for d in &rec.decls {
                let ta = match types.kind(d.ty) {
                    TypeKind::Array { elem, len: None } => types.align_of(*elem).unwrap_or(1),
                    _ => types.align_of(d.ty).unwrap_or(1),
                };
                let packed = d.packed || rec.attrs.packed;
                let mut a = match (d.bit_width, packed, d.align_attr) {
                    (Some(_), _, attr) => ta.max(attr.unwrap_or(1)),
                    (None, true, attr) => attr.unwrap_or(1),
                    (None, false, attr) => ta.max(attr.unwrap_or(1)),
                };
                if let Some(n) = rec.attrs.pragma_pack.filter(|n| *n > 0) {
                    a = a.min(n);
                }
                align = align.max(a);
            }
            align
        }
        TypeKind::Func(_) => 1,
    }
}

fn kind_of(types: &Types, ty: TypeId, promoted: Option<Prim>) -> Result<Kind> {
    let target = types.target();
    if let Some(p) = scalar_of(types, ty, promoted) {
        let size = p.size_align(target).0;
        return Ok(match p {
            Prim::Float | Prim::Double | Prim::LongDouble => Kind::Fp(size),
            Prim::FloatComplex | Prim::DoubleComplex | Prim::LongDoubleComplex => Kind::Hfa {
                base_size: size / 2,
                count: 2,
            },
            Prim::Int128 | Prim::UInt128 => Kind::Int128,
            _ => Kind::Int(narrow_ext(p, target)),
        });
    }
    if matches!(types.kind(ty), TypeKind::Pointer(_)) {
        return Ok(Kind::Int(Ext::None));
    }
    if types.size_of(ty)? == 0 {
        return Ok(Kind::Empty);
    }
    if let Some(v) = long_double_short_vector(types, ty) {
        return Err(crate::error::Error::abi(
            crate::error::AbiErrorKind::Unsupported,
            None,
            format!(
                "`{}`: passing `{}` (a 16-byte vector of one `long double`) by value is not supported on {}: \
             aarch64-linux-gnu-gcc 12 passes it in two d registers and is not consistent about the \
             arguments after it",
                types.display(ty),
                types.display(v),
                target
            ),
        ));
    }
    // A short vector is placed like an HVA of one member (C.1 and C.2 give
    // it the same v register, C.4 the same stack slot).
    if let Some((size, count)) = hva(types, ty) {
        return Ok(Kind::Hva {
            size,
            count: count as u64,
        });
    }
    Ok(match hfa(types, ty) {
        Some((base, count)) => Kind::Hfa {
            base_size: base.size_align(target).0,
            count: count as u64,
        },
        None => Kind::Composite,
    })
}

/// A GCC vector of real floating elements that is no short vector and not
/// passed by reference: a 4-byte `float` vector (`float
/// __attribute__((vector_size(4)))`), the one [`Kind::FloatNotVfp`] type.
fn float_vector_not_vfp(types: &Types, ty: TypeId) -> bool {
    match types.kind(ty) {
        TypeKind::Vector { elem, .. } if elem.is_real_float() => types
            .size_of(ty)
            .is_ok_and(|s| !matches!(s, 8 | 16) && s <= MAX_DIRECT_COMPOSITE),
        _ => false,
    }
}

/// The first 16-byte `long double` vector (one binary128 element) in `ty`,
/// looking through structs, unions and arrays: gcc has no vector mode for
/// it and its calling convention for it is not one abicall can follow (see
/// `kind_of`).
fn long_double_short_vector(types: &Types, ty: TypeId) -> Option<TypeId> {
    match types.kind(ty) {
        TypeKind::Vector {
            elem: Prim::LongDouble,
            len: 1,
        } if types.target().long_double_size_align().0 == 16 => Some(ty),
        TypeKind::Array { elem, .. } => long_double_short_vector(types, *elem),
        TypeKind::Record(_) => types
            .record_of(ty)?
            .fields
            .iter()
            .find_map(|f| long_double_short_vector(types, f.ty)),
        _ => None,
    }
}

fn value_class(types: &Types, ty: TypeId, promoted: Option<Prim>, k: Kind) -> ValueClass {
    if let Some(p) = scalar_of(types, ty, promoted) {
        return ValueClass::Scalar(p);
    }
    match k {
        Kind::Int(_) => ValueClass::Pointer,
        Kind::Empty => ValueClass::Empty,
        Kind::Hfa { base_size, count } => ValueClass::Hfa {
            base: base_prim(base_size),
            count: count as u8,
        },
        Kind::Hva { size, count } => ValueClass::Hva {
            size,
            count: count as u8,
        },
        _ => ValueClass::Composite,
    }
}

/// Stage A state: the next general-purpose / SIMD register numbers and the
/// next stacked argument address (offset from SP at the call).
struct State {
    ngrn: u8,
    nsrn: u8,
    nsaa: u64,
    apple: bool,
}

impl State {
    /// Rounds NSAA up to `align` and reserves `slot` bytes there.
    fn stack(&mut self, align: u64, slot: u64) -> Loc {
        let off = round_up(self.nsaa, align.max(1));
        self.nsaa = off + slot;
        Loc::Stack(off)
    }

    /// Stage C for one (non-variadic-on-Apple) argument; `align` is its alignment.
    fn place(&mut self, kind: Kind, size: u64, align: u64, nat_align: u64) -> Vec<Part> {
        let part = |offset, size, loc, ext| Part { offset, size, loc, ext };
        match kind {
            Kind::Empty => Vec::new(),
            Kind::Fp(sz) => {
                // C.1: in v[NSRN] if NSRN < 8.
                if self.nsrn < NUM_ARG_FPRS {
                    let r = self.nsrn;
                    self.nsrn += 1;
                    return vec![part(0, sz, Loc::Fpr(r), Ext::None)];
                }
                // C.4: NSAA rounded to 8, or 16 for a quad. C.5: half/single take 8 bytes.
                // C.6: copied to memory at NSAA. Apple: natural size and alignment.
                let loc = if self.apple {
                    self.stack(align, sz)
                } else {
                    self.stack(align.max(STACK_SLOT), round_up(sz, STACK_SLOT))
                };
                vec![part(0, sz, loc, Ext::None)]
            }
            // C.1–C.4 treat a short vector like a floating-point value and an
            // HVA like an HFA: a lone short vector is an HVA of one here.
            Kind::Hfa { base_size, count } | Kind::Hva { size: base_size, count } => {
                // C.2: one v register per member if NSRN + count <= 8.
                if self.nsrn as u64 + count <= NUM_ARG_FPRS as u64 {
                    let first = self.nsrn;
                    self.nsrn += count as u8;
                    return (0..count)
                        .map(|i| part(i * base_size, base_size, Loc::Fpr(first + i as u8), Ext::None))
                        .collect();
                }
                // C.3: NSRN = 8, size rounded up to a multiple of 8.
                self.nsrn = NUM_ARG_FPRS;
                let loc = if self.apple {
                    // Apple: members at their natural alignment, no rounding.
                    self.stack(base_size.min(16), size)
                } else {
                    // C.4: NSAA rounded to 8, or 16 if the natural alignment is >= 16.
                    let a = if nat_align >= 16 { 16 } else { STACK_SLOT };
                    self.stack(a, round_up(size, STACK_SLOT))
                };
                // C.6: copied to memory at the adjusted NSAA.
                vec![part(0, size, loc, Ext::None)]
            }
            Kind::Int(ext) => {
                let ext = if self.apple { ext } else { Ext::None };
                // C.9: in x[NGRN] if NGRN < 8.
                if self.ngrn < NUM_ARG_GPRS {
                    let r = self.ngrn;
                    self.ngrn += 1;
                    return vec![part(0, size, Loc::Gpr(r), ext)];
                }
                // C.13: NGRN = 8. C.14: NSAA rounded up to max(8, natural alignment).
                // C.16: smaller than 8 bytes → 8. C.17: copied to memory at NSAA.
                self.ngrn = NUM_ARG_GPRS;
                let loc = if self.apple {
                    self.stack(align, size)
                } else {
                    self.stack(align.max(STACK_SLOT), round_up(size, STACK_SLOT))
                };
                vec![part(0, size, loc, Ext::None)]
            }
            Kind::Int128 => {
                // C.10: 16-aligned → NGRN rounded up to even (not on Apple).
                if !self.apple {
                    self.ngrn = round_up(self.ngrn as u64, 2) as u8;
                }
                // C.11: in x[NGRN], x[NGRN+1] if NGRN < 7.
                if self.ngrn < NUM_ARG_GPRS - 1 {
                    let r = self.ngrn;
                    self.ngrn += 2;
                    return vec![
                        part(0, 8, Loc::Gpr(r), Ext::None),
                        part(8, 8, Loc::Gpr(r + 1), Ext::None),
                    ];
                }
                self.ngrn = NUM_ARG_GPRS; // C.13
                let loc = self.stack(16, 16); // C.14, C.17
                vec![part(0, 16, loc, Ext::None)]
            }
            Kind::FloatNotVfp => {
                // gcc's `aarch64_layout_arg`: a FLOAT_TYPE_P argument is not
                // given general registers; not being a VFP candidate either,
                // it takes C.13 (NGRN = 8) and is stacked by C.14–C.16.
                // Checked with aarch64-linux-gnu-gcc 12 (clang, and Apple,
                // pass it in a general register instead).
                self.ngrn = NUM_ARG_GPRS;
                let loc = self.stack(nat_align.max(STACK_SLOT), round_up(size, STACK_SLOT));
                vec![part(0, size, loc, Ext::None)]
            }
            Kind::Composite => {
                // B.5: size rounded up to a multiple of 8.
                let rsize = round_up(size, STACK_SLOT);
                let dwords = rsize / 8;
                // C.10: natural alignment 16 → NGRN rounded up to even (not on Apple).
                if nat_align == 16 && !self.apple {
                    self.ngrn = round_up(self.ngrn as u64, 2) as u8;
                }
                // C.12: in consecutive x registers if it fits in 8 - NGRN.
                if dwords <= (NUM_ARG_GPRS - self.ngrn.min(NUM_ARG_GPRS)) as u64 {
                    let first = self.ngrn;
                    self.ngrn += dwords as u8;
                    return (0..dwords)
                        .map(|i| {
                            let off = i * 8;
                            part(off, (size - off).min(8), Loc::Gpr(first + i as u8), Ext::None)
                        })
                        .collect();
                }
                // C.13: NGRN = 8. C.14: NSAA rounded to max(8, natural alignment) (at most 16).
                // C.15: copied to memory at NSAA.
                self.ngrn = NUM_ARG_GPRS;
                let loc = self.stack(nat_align.clamp(STACK_SLOT, 16), rsize);
                vec![part(0, size, loc, Ext::None)]
            }
        }
    }

    /// Apple arm64: a variadic argument goes to the next 8-byte stack slot
    /// (16-aligned types to a 16-aligned one).
    fn place_apple_variadic(&mut self, kind: Kind, size: u64, align: u64) -> Vec<Part> {
        if kind == Kind::Empty {
            return Vec::new();
        }
        let loc = self.stack(align.clamp(STACK_SLOT, 16), round_up(size, STACK_SLOT));
        vec![Part {
            offset: 0,
            size,
            loc,
            ext: Ext::None,
        }]
    }
}

/// Plans a call for AAPCS64 (Linux or Apple, by the table's target).
pub(crate) fn plan(types: &Types, inp: &Inputs) -> Result<CallPlan> {
    let apple = types.target() == Target::Aarch64Apple;
    // Stage A: NGRN = 0, NSRN = 0, NSAA = SP.
    let mut st = State {
        ngrn: 0,
        nsrn: 0,
        nsaa: 0,
        apple,
    };
    let mut args = Vec::with_capacity(inp.args.len());
    for a in &inp.args {
        args.push(plan_arg(types, a, &mut st)?);
    }
    let ret = plan_ret(types, inp, apple)?;
    Ok(CallPlan {
        target: types.target(),
        args,
        ret,
        variadic: inp.variadic,
        fixed_args: inp.fixed_args,
        gpr_used: st.ngrn,
        fpr_used: st.nsrn,
        stack_size: round_up(st.nsaa, STACK_SLOT),
        // C.14 never aligns a stacked argument beyond 16 bytes (over-aligned
        // composites are larger than 16 bytes and passed by reference).
        stack_align: 16,
        al: None,
    })
}

fn plan_arg(types: &Types, a: &ArgInput, st: &mut State) -> Result<ValuePlan> {
    let target = types.target();
    let (size, align) = match a.promoted {
        Some(p) => p.size_align(target),
        None => types.size_align(a.ty)?,
    };
    let mut kind = kind_of(types, a.ty, a.promoted)?;
    let class = value_class(types, a.ty, a.promoted, kind);
    if !st.apple && kind == Kind::Composite && float_vector_not_vfp(types, a.ty) {
        kind = Kind::FloatNotVfp;
    }
    let nat_align = match a.promoted {
        Some(_) => align,
        None => natural_align(types, a.ty),
    };
    // B.4: a composite (not an HFA) larger than 16 bytes is copied to memory
    // allocated by the caller and replaced by a pointer to the copy.
    if kind == Kind::Composite && size > MAX_DIRECT_COMPOSITE {
        let ptr_kind = Kind::Int(Ext::None);
        let parts = if st.apple && a.variadic {
            st.place_apple_variadic(ptr_kind, 8, 8)
        } else {
            st.place(ptr_kind, 8, 8, 8)
        };
        return Ok(ValuePlan {
            ty: a.ty,
            promoted: a.promoted,
            size,
            align,
            class,
            pass: Pass::Indirect {
                ptr: parts[0].loc,
                returned_in: None,
            },
        });
    }
    let parts = if st.apple && a.variadic {
        st.place_apple_variadic(kind, size, align)
    } else {
        st.place(kind, size, align, nat_align)
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

/// §6.9 "Result return": the registers the value would take as the first and
/// only argument; otherwise memory whose address the caller passes in `x8`.
fn plan_ret(types: &Types, inp: &Inputs, apple: bool) -> Result<ValuePlan> {
    let ty = inp.ret.ty;
    if inp.ret.void {
        return Ok(ValuePlan {
            ty,
            promoted: None,
            size: 0,
            align: 1,
            class: ValueClass::Void,
            pass: Pass::Direct(Vec::new()),
        });
    }
    let (size, align) = types.size_align(ty)?;
    let kind = kind_of(types, ty, None)?;
    let class = value_class(types, ty, None, kind);
    let pass = if kind == Kind::Composite && size > MAX_DIRECT_COMPOSITE {
        Pass::Indirect {
            ptr: Loc::Gpr(INDIRECT_RESULT_REG),
            returned_in: None,
        }
    } else {
        let mut st = State {
            ngrn: 0,
            nsrn: 0,
            nsaa: 0,
            apple,
        };
        // A lone value never runs out of registers, and C.10 cannot apply at NGRN 0.
        let mut parts = st.place(kind, size, align, natural_align(types, ty));
        if !apple {
            // Standard AAPCS64: the upper bits of a narrow result are unspecified.
            for p in &mut parts {
                p.ext = Ext::None;
            }
        }
        Pass::Direct(parts)
    };
    Ok(ValuePlan {
        ty,
        promoted: None,
        size,
        align,
        class,
        pass,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FieldDecl, RecordAttrs, RecordKind};

    fn st(t: &mut Types, kind: RecordKind, fields: &[TypeId]) -> TypeId {
        let decls = fields
            .iter()
            .enumerate()
            .map(|(i, &f)| FieldDecl::new(&format!("f{i}"), f))
            .collect();
        t.define_record(kind, None, decls, RecordAttrs::default()).unwrap()
    }

    #[test]
    fn hfa_detection() {
        let mut t = Types::new(Target::Aarch64Linux);
        let (f, d, i, ld) = (
            t.prim(Prim::Float),
            t.prim(Prim::Double),
            t.prim(Prim::Int),
            t.prim(Prim::LongDouble),
        );
        let f2 = t.array(f, Some(2));
        let bc = st(&mut t, RecordKind::Struct, &[f, f]);
        let nest = st(&mut t, RecordKind::Struct, &[f2, bc]);
        assert_eq!(hfa(&t, nest), Some((Prim::Float, 4)));
        let five = st(&mut t, RecordKind::Struct, &[nest, f]);
        assert_eq!(hfa(&t, five), None, "5 members");
        let mixed = st(&mut t, RecordKind::Struct, &[d, f]);
        assert_eq!(hfa(&t, mixed), None);
        let with_int = st(&mut t, RecordKind::Struct, &[f, i]);
        assert_eq!(hfa(&t, with_int), None);
        let u = st(&mut t, RecordKind::Union, &[f, f2]);
        assert_eq!(hfa(&t, u), Some((Prim::Float, 2)));
        let qq = st(&mut t, RecordKind::Struct, &[ld, ld]);
        assert_eq!(hfa(&t, qq), Some((Prim::LongDouble, 2)));
        let empty = st(&mut t, RecordKind::Struct, &[]);
        assert_eq!(hfa(&t, empty), None);
        let flex = t.array(f, None);
        let fam = st(&mut t, RecordKind::Struct, &[f, flex]);
        assert_eq!(hfa(&t, fam), None);
        // Padding disqualifies: aligned(16) struct of one float.
        let padded = t
            .define_record(
                RecordKind::Struct,
                None,
                vec![FieldDecl::new("a", f)],
                RecordAttrs {
                    align_attr: Some(16),
                    ..RecordAttrs::default()
                },
            )
            .unwrap();
        assert_eq!(hfa(&t, padded), None);
    }

    #[test]
    fn apple_long_double_is_a_double_base() {
        let mut t = Types::new(Target::Aarch64Apple);
        let (d, ld) = (t.prim(Prim::Double), t.prim(Prim::LongDouble));
        let s = st(&mut t, RecordKind::Struct, &[d, ld]);
        assert_eq!(hfa(&t, s), Some((Prim::Double, 2)));
    }
}
