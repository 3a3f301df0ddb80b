//! Struct and union layout, following gcc's `stor-layout.cc` (`place_field`,
//! `place_union_field`, `update_alignment_for_field`, `layout_decl`,
//! `excess_unit_span`, `finalize_record_size`) and c-decl.cc `finish_struct`,
//! with `PCC_BITFIELD_TYPE_MATTERS`, which both x86_64 SysV and AAPCS64 use.
//! The target enters in two places: scalar sizes/alignments, and whether
//! unnamed bitfields raise the record's alignment
//! ([`crate::Target::anon_bitfield_affects_align`], gcc's `TARGET_ALIGN_ANON_BITFIELD`).
//!
//! Everything is computed in bits, like gcc. The rules, in the order gcc
//! applies them to each member (checked against gcc and aarch64-linux-gnu-gcc
//! by `tests/layout/oracle.rs` on randomly generated types):
//!
//! 1. *Member alignment* (`DECL_ALIGN`, `layout_decl`): a non-bitfield gets
//!    its type's alignment (a typedef's `aligned(N)` included), raised by
//!    `aligned(N)` on the member. A bitfield gets 1 bit (it goes where the
//!    previous member ended) unless the member says `aligned(N)`; but a
//!    bitfield exactly as wide as an integer mode (8/16/32/64/128 bits) whose
//!    position is already aligned to that width stops being a bitfield: its
//!    alignment becomes at least its width and rule 3 skips it (in a union
//!    every member is at 0, so this always holds there). A `:0` bitfield gets
//!    its type's alignment and ignores `packed` and `#pragma pack`.
//!    `packed` — on the member, or on the record for bitfields and for
//!    members aligned above a byte (`DECL_PACKED`) — lowers the alignment to
//!    1 byte unless the member itself says `aligned(N)` (then exactly N, even
//!    below the type's alignment); `#pragma pack(N)` caps it at N bytes, even
//!    an explicit `aligned(N)` (not `:0`).
//! 2. *Position*: the current position rounded up to that alignment.
//! 3. *PCC rule*: a bitfield that is not `packed`, not `:0`, with no
//!    `#pragma pack` in force (any N, even one that caps nothing), may not
//!    span more alignment units of its type than the type's size has; if it
//!    would, it moves to the next unit. gcc keeps the position as a byte
//!    offset (a multiple of `offset_align` = max(128 bits, the record's own
//!    `aligned(N)`)) plus a bit position, and this rule rounds only the bit
//!    position: with a bitfield type over-aligned beyond `offset_align`
//!    (e.g. `typedef int __attribute__((aligned(32)))`) that is not the same
//!    as rounding the whole position (`Pos` below).
//! 4. *Record alignment*: starts at the record's `aligned(N)` (or 1 byte);
//!    raised by every non-bitfield's alignment (rule 1); by a named bitfield
//!    (and, on AAPCS64, an unnamed one, `:0` included) to both its rule-1
//!    alignment and its type's alignment, the latter capped at N by
//!    `#pragma pack(N)`, else at 1 byte by `packed` (`:0`: never capped). An
//!    unnamed bitfield on x86_64 leaves the record's alignment alone.
//! 5. The size is the end of the last member (a union: its largest member,
//!    a bitfield counting as its width in whole bytes) rounded up to the
//!    record's alignment. A flexible array member adds no size but its
//!    alignment; an empty record has size 0 and alignment 1 (GNU C).
//!
//! `BIGGEST_ALIGNMENT` is gcc's default for both targets (128 bits); gcc with
//! `-mavx`/`-mavx512f` raises it on x86_64, which changes rule 3 for
//! bitfield types aligned beyond 16 bytes — abicall follows the default.

use super::{BitField, Field, FieldDecl, Prim, RecordAttrs, RecordKind, RecordLayout, TypeKind, Types};
use crate::error::{Error, LayoutErrorKind, Result};

fn round_up(v: u64, a: u64) -> u64 {
    debug_assert!(a.is_power_of_two());
    (v + a - 1) & !(a - 1)
}

fn check_align(a: u64, what: &str) -> Result<()> {
    if a == 0 || !a.is_power_of_two() {
        return Err(Error::layout(
            LayoutErrorKind::Alignment,
            "",
            format!("{what}: requested alignment {a} is not a power of two"),
        ));
    }
    if a > (1 << 28) {
        return Err(Error::layout(
            LayoutErrorKind::Alignment,
            "",
            format!("{what}: requested alignment {a} is too large"),
        ));
    }
    Ok(())
}

fn field_label(f: &FieldDecl) -> String {
    match &f.name {
        Some(n) => format!("member `{n}`"),
        None => "unnamed member".to_string(),
    }
}

/// `BIGGEST_ALIGNMENT` of gcc in bits: 128 on x86_64 (without `-mavx`,
/// which raises it to 256/512) and on aarch64. It is the initial
/// `offset_align` of a record layout, which matters for [`Pos`].
const BIGGEST_ALIGNMENT: u64 = 128;

/// gcc's running position in a struct (`record_layout_info`): a byte
/// `offset` that stays a multiple of `offset_align`, plus a `bitpos` below
/// `offset_align` (`normalize_rli`). All in bits. The split is visible in one
/// place: the PCC bitfield rule rounds `bitpos` alone (see [`Pos::pcc_round`]).
#[derive(Clone, Copy, Debug)]
struct Pos {
    offset: u64,
    bitpos: u64,
    offset_align: u64,
}

impl Pos {
    fn total(&self) -> u64 {
        self.offset + self.bitpos
    }

    /// `normalize_rli`.
    fn normalize(&mut self) {
        if self.bitpos >= self.offset_align {
            self.offset += self.bitpos / self.offset_align * self.offset_align;
            self.bitpos %= self.offset_align;
        }
    }

    /// `known_align` of `place_field`: the lowest set bit of the position,
    /// 0 at the very start of the record.
    fn known_align(&self) -> u64 {
        let lowbit = |v: u64| v & v.wrapping_neg();
        if self.bitpos != 0 {
            lowbit(self.bitpos)
        } else {
            lowbit(self.offset)
        }
    }

    /// `place_field`: "skip space before this field".
    fn align_to(&mut self, desired: u64, record_align: u64) {
        let known = match self.known_align() {
            0 => BIGGEST_ALIGNMENT.max(record_align),
            k => k,
        };
        if known >= desired {
            return;
        }
        if desired < self.offset_align {
            self.bitpos = round_up(self.bitpos, desired);
        } else {
            self.offset = round_up(self.offset + round_up(self.bitpos, 8), desired);
            self.bitpos = 0;
        }
    }

    /// The PCC bitfield rule (`excess_unit_span`): a bitfield of `width`
    /// bits may not span more `type_align` units than its type (`type_size`)
    /// has; if it would, gcc rounds `bitpos` (not the whole position) up to
    /// `type_align`. Both are the same unless `type_align` exceeds
    /// `offset_align` (an over-aligned typedef as bitfield type).
    fn pcc_round(&mut self, width: u64, type_size: u64, type_align: u64) {
        let off = self.total() % type_align;
        if (off + width).div_ceil(type_align) > type_size / type_align {
            self.bitpos = round_up(self.bitpos, type_align);
        }
    }

    fn advance(&mut self, bits: u64) {
        self.bitpos += bits;
        self.normalize();
    }
}

/// Lays out the members of a struct or union; returns the placed members and
/// the record's size and alignment.
pub fn layout_record(
    types: &Types,
    kind: RecordKind,
    decls: &[FieldDecl],
    attrs: RecordAttrs,
) -> Result<(Vec<Field>, RecordLayout)> {
    let target = types.target();
    let is_union = kind == RecordKind::Union;
    if let Some(a) = attrs.align_attr {
        check_align(a, "record")?;
    }
    let max_field_align_bits = match attrs.pragma_pack {
        Some(0) | None => None,
        Some(n) => {
            check_align(n, "#pragma pack")?;
            Some(n * 8)
        }
    };

    let mut fields = Vec::with_capacity(decls.len());
    // `start_record_layout`: the record's own aligned(N) is there from the start.
    let mut record_align: u64 = attrs.align_attr.map_or(8, |a| (a * 8).max(8)); // bits
    let mut pos = Pos {
        offset: 0,
        bitpos: 0,
        offset_align: record_align.max(BIGGEST_ALIGNMENT),
    };
    let mut union_size: u64 = 0; // union: largest member, in bits (byte multiple)
    let mut has_flex = false;

    for (i, fd) in decls.iter().enumerate() {
        let last = i + 1 == decls.len();
        if has_flex {
            return Err(Error::layout(
                LayoutErrorKind::FlexibleArray,
                "",
                "flexible array member must be the last member".to_string(),
            ));
        }
        if let Some(a) = fd.align_attr {
            check_align(a, &field_label(fd))?;
        }
        // Size and alignment of the member's type.
        let (tsize, talign, flexible) = match types.kind(fd.ty) {
            TypeKind::Array { elem, len: None } if fd.bit_width.is_none() => {
                if !last || is_union {
                    return Err(Error::layout(
                        LayoutErrorKind::FlexibleArray,
                        "",
                        format!("flexible array {} must be the last member of a struct", field_label(fd)),
                    ));
                }
                let (_, ea) = types.size_align(*elem).map_err(|e| {
                    Error::layout(
                        LayoutErrorKind::Incomplete,
                        "",
                        format!("{}: {}", field_label(fd), e.message()),
                    )
                })?;
                let ea = types.get(fd.ty).align_override.unwrap_or(ea);
                (0, ea, true)
            }
            _ => {
                let (s, a) = types.size_align(fd.ty).map_err(|e| {
                    Error::layout(
                        LayoutErrorKind::Incomplete,
                        "",
                        format!("{} has incomplete type: {}", field_label(fd), e.message()),
                    )
                })?;
                (s, a, false)
            }
        };
        has_flex |= flexible;
        let tsize_bits = tsize * 8;
        let talign_bits = talign * 8;
        // DECL_PACKED (c-decl.cc `finish_struct`): the member's own `packed`,
        // or the record's for bitfields and for members aligned above a byte.
        // For a byte-aligned non-bitfield the difference cannot show.
        let packed = fd.packed || attrs.packed;

        match fd.bit_width {
            None => {
                if fd.name.is_none() && types.record_of(fd.ty).is_none() {
                    return Err(Error::layout(
                        LayoutErrorKind::Member,
                        "",
                        "a member that is not a struct or union needs a name".to_string(),
                    ));
                }
                // Rule 1: DECL_ALIGN of an ordinary member (`layout_decl`).
                let mut align = match (packed, fd.align_attr) {
                    (true, Some(a)) => a * 8,
                    (true, None) => 8,
                    (false, Some(a)) => (a * 8).max(talign_bits),
                    (false, None) => talign_bits,
                };
                if let Some(m) = max_field_align_bits {
                    align = align.min(m);
                }
                // Rule 4 (`update_alignment_for_field`).
                record_align = record_align.max(align);
                if is_union {
                    union_size = union_size.max(tsize_bits);
                    fields.push(Field {
                        name: fd.name.clone(),
                        ty: fd.ty,
                        offset: 0,
                        bit: None,
                    });
                } else {
                    // Rule 2.
                    pos.align_to(align, record_align);
                    pos.normalize();
                    fields.push(Field {
                        name: fd.name.clone(),
                        ty: fd.ty,
                        offset: pos.total() / 8,
                        bit: None,
                    });
                    pos.advance(tsize_bits);
                }
            }
            Some(width) => {
                let prim = types.as_prim(fd.ty).filter(|p| p.is_integer()).ok_or_else(|| {
                    Error::layout(
                        LayoutErrorKind::Bitfield,
                        "",
                        format!(
                            "bitfield {} has non-integer type `{}`",
                            field_label(fd),
                            types.display(fd.ty)
                        ),
                    )
                })?;
                if width as u64 > tsize_bits {
                    return Err(Error::layout(
                        LayoutErrorKind::Bitfield,
                        "",
                        format!(
                            "width of bitfield {} ({width}) exceeds its type `{}` ({} bits)",
                            field_label(fd),
                            types.display(fd.ty),
                            tsize_bits
                        ),
                    ));
                }
                if prim == Prim::Bool && width > 1 {
                    return Err(Error::layout(
                        LayoutErrorKind::Bitfield,
                        "",
                        format!(
                            "width of bitfield {} ({width}) exceeds the width of `_Bool` (1)",
                            field_label(fd)
                        ),
                    ));
                }
                if width == 0 && fd.name.is_some() {
                    return Err(Error::layout(
                        LayoutErrorKind::Bitfield,
                        "",
                        format!("zero-width bitfield {} must be unnamed", field_label(fd)),
                    ));
                }
                let zero = width == 0;
                let named = fd.name.is_some();
                let width_bits = width as u64;
                // `layout_decl`: a bitfield exactly as wide as an integer mode
                // (8/16/32/64/128 bits) whose position is already aligned to
                // that width stops being a bitfield (DECL_BIT_FIELD cleared):
                // its alignment becomes at least the width and the PCC rule
                // does not apply. Union members are all at 0.
                let known = if is_union { 0 } else { pos.known_align() };
                let int_mode = !zero
                    && matches!(width, 8 | 16 | 32 | 64 | 128)
                    && !(width > 8 && packed)
                    && (known == 0 || known >= width_bits);
                // Rule 1: DECL_ALIGN of a bitfield.
                let mut align = if zero {
                    // Not influenced by packed / #pragma pack.
                    match fd.align_attr {
                        Some(a) => (a * 8).max(talign_bits),
                        None => talign_bits,
                    }
                } else {
                    let a = fd.align_attr.map_or(1, |a| a * 8);
                    if packed && fd.align_attr.is_none() {
                        a.min(8)
                    } else {
                        a
                    }
                };
                if int_mode {
                    align = align.max(width_bits);
                }
                if !zero {
                    if let Some(m) = max_field_align_bits {
                        align = align.min(m);
                    }
                }
                // Rule 4: the record's alignment.
                if named || target.anon_bitfield_affects_align() {
                    let mut type_align = talign_bits;
                    if !zero {
                        if let Some(m) = max_field_align_bits {
                            type_align = type_align.min(m);
                        } else if packed {
                            type_align = type_align.min(8);
                        }
                    }
                    record_align = record_align.max(align).max(type_align);
                }
                if is_union {
                    union_size = union_size.max(round_up(width_bits, 8));
                    fields.push(Field {
                        name: fd.name.clone(),
                        ty: fd.ty,
                        offset: 0,
                        bit: Some(BitField {
                            bit_offset: 0,
                            bit_width: width,
                        }),
                    });
                    continue;
                }
                // Rule 2.
                pos.align_to(align, record_align);
                // Rule 3 (PCC_BITFIELD_TYPE_MATTERS): not for packed members,
                // not under #pragma pack, not for `:0`.
                if !zero && !int_mode && !packed && max_field_align_bits.is_none() && tsize_bits > 0 {
                    pos.pcc_round(width_bits, tsize_bits, talign_bits);
                }
                pos.normalize();
                let at = pos.total();
                fields.push(Field {
                    name: fd.name.clone(),
                    ty: fd.ty,
                    offset: at / 8,
                    bit: Some(BitField {
                        bit_offset: (at % 8) as u32,
                        bit_width: width,
                    }),
                });
                pos.advance(width_bits);
            }
        }
    }

    // Rule 5 (`finalize_record_size`).
    let end_bits = if is_union { union_size } else { pos.total() };
    let size_bits = round_up(end_bits, record_align);
    check_names(&fields, types)?;
    Ok((
        fields,
        RecordLayout {
            size: size_bits / 8,
            align: record_align / 8,
            has_flexible_array: has_flex,
        },
    ))
}

/// Duplicate member names (also across anonymous members) are an error, as in C.
fn check_names(fields: &[Field], types: &Types) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<&Field> = fields.iter().rev().collect();
    while let Some(f) = stack.pop() {
        match &f.name {
            Some(n) if !seen.insert(n.as_str()) => {
                return Err(Error::layout(
                    LayoutErrorKind::Member,
                    "",
                    format!("duplicate member `{n}`"),
                ));
            }
            Some(_) => {}
            None if f.bit.is_none() => {
                if let Some(r) = types.record_of(f.ty) {
                    stack.extend(r.fields.iter().rev());
                }
            }
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Corner cases of the rules above. The expected values are what gcc 12
    //! gave for the C shown (x86_64); `tests/layout/oracle.rs` checks the
    //! same rules against the compilers on random types.
    use super::*;
    use crate::Target;

    fn bits(t: &Types, ty: super::super::TypeId, name: &str) -> u64 {
        let (f, off) = t.field(ty, name).unwrap();
        off * 8 + f.bit.map_or(0, |b| b.bit_offset as u64)
    }

    #[test]
    fn packed_bitfields_are_not_moved_by_the_pcc_rule() {
        let mut t = Types::new(Target::X86_64SysV);
        let us = t.prim(Prim::UShort);
        let sc = t.prim(Prim::SChar);
        // struct { unsigned short :15; signed char m : 4 __attribute__((packed)); }
        let mut m = FieldDecl::bitfield(Some("m"), sc, 4);
        m.packed = true;
        let s = t
            .define_record(
                RecordKind::Struct,
                None,
                vec![FieldDecl::bitfield(None, us, 15), m],
                RecordAttrs::default(),
            )
            .unwrap();
        assert_eq!(bits(&t, s, "m"), 15);
        // struct __attribute__((packed)) { unsigned char a : 4; unsigned char b : 8; }
        let uc = t.prim(Prim::UChar);
        let p = t
            .define_record(
                RecordKind::Struct,
                None,
                vec![
                    FieldDecl::bitfield(Some("a"), uc, 4),
                    FieldDecl::bitfield(Some("b"), uc, 8),
                ],
                RecordAttrs {
                    packed: true,
                    ..RecordAttrs::default()
                },
            )
            .unwrap();
        assert_eq!(bits(&t, p, "b"), 4);
        assert_eq!(t.size_align(p).unwrap(), (2, 1));
    }

    #[test]
    fn pcc_rule_rounds_the_bit_position_within_offset_align() {
        // typedef int __attribute__((aligned(32))) I32;
        // struct { char c[17]; I32 m : 2; }  -> m at byte 48, size 64, align 32
        let mut t = Types::new(Target::X86_64SysV);
        let int = t.prim(Prim::Int);
        let i32a = t.with_align(int, 32).unwrap();
        let ch = t.prim(Prim::Char);
        let c17 = t.array(ch, Some(17));
        let s = t
            .define_record(
                RecordKind::Struct,
                None,
                vec![FieldDecl::new("c", c17), FieldDecl::bitfield(Some("m"), i32a, 2)],
                RecordAttrs::default(),
            )
            .unwrap();
        assert_eq!(bits(&t, s, "m"), 48 * 8);
        assert_eq!(t.size_align(s).unwrap(), (64, 32));
    }

    #[test]
    fn mode_wide_aligned_bitfield_takes_the_mode_alignment() {
        // typedef int __attribute__((aligned(1))) I1;
        // struct { I1 x : 32; } -> 4/4;  struct { char c; I1 x : 32; } -> 5/1
        let mut t = Types::new(Target::X86_64SysV);
        let int = t.prim(Prim::Int);
        let i1 = t.with_align(int, 1).unwrap();
        let ch = t.prim(Prim::Char);
        let a = t
            .define_record(
                RecordKind::Struct,
                None,
                vec![FieldDecl::bitfield(Some("x"), i1, 32)],
                RecordAttrs::default(),
            )
            .unwrap();
        assert_eq!(t.size_align(a).unwrap(), (4, 4));
        let b = t
            .define_record(
                RecordKind::Struct,
                None,
                vec![FieldDecl::new("c", ch), FieldDecl::bitfield(Some("x"), i1, 32)],
                RecordAttrs::default(),
            )
            .unwrap();
        assert_eq!(t.size_align(b).unwrap(), (5, 1));
        assert_eq!(bits(&t, b, "x"), 8);
    }
}
