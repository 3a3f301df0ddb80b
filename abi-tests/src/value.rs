//! Reproducible argument values: the bytes of a value in C layout and the
//! mask of the bits that carry meaning (members and bitfields, not padding,
//! not the six pad bytes of an x87 `long double`).

use super::rng::Rng;
use abicall::target::LongDoubleFormat;
use abicall::types::{Prim, TypeId, TypeKind, Types};

/// A value in C layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueBytes {
    /// The value's bytes (padding holds random garbage).
    pub bytes: Vec<u8>,
    /// 0xff-style mask of the meaningful bits.
    pub mask: Vec<u8>,
}

impl ValueBytes {
    /// The first byte where `got` differs from this value in a meaningful
    /// bit, as `(offset, expected, got)`.
    pub fn first_mismatch(&self, got: &[u8]) -> Option<(usize, u8, u8)> {
        (0..self.bytes.len()).find_map(|i| {
            let g = got.get(i).copied().unwrap_or(0);
            ((g ^ self.bytes[i]) & self.mask[i] != 0).then_some((i, self.bytes[i], g))
        })
    }
}

/// The value `v` of declared type `declared` as a variadic callee receives
/// it after the default argument promotion to `promoted` (`float` →
/// `double`, narrow integers → `int`, extended by their signedness).
pub fn promote(types: &Types, declared: TypeId, v: &ValueBytes, promoted: Option<Prim>) -> ValueBytes {
    let full = |bytes: Vec<u8>| ValueBytes {
        mask: vec![0xff; bytes.len()],
        bytes,
    };
    match (promoted, types.as_prim(declared)) {
        (None, _) | (_, None) => v.clone(),
        (Some(Prim::Double), _) => {
            let f = f32::from_le_bytes([v.bytes[0], v.bytes[1], v.bytes[2], v.bytes[3]]);
            full(f64::from(f).to_le_bytes().to_vec())
        }
        (Some(_), Some(p)) => {
            let signed = p.is_signed(types.target()) && p != Prim::Bool;
            let x: i64 = match (v.bytes.len(), signed) {
                (1, true) => i64::from(v.bytes[0] as i8),
                (1, false) => i64::from(v.bytes[0]),
                (2, true) => i64::from(i16::from_le_bytes([v.bytes[0], v.bytes[1]])),
                _ => i64::from(u16::from_le_bytes([v.bytes[0], v.bytes[1]])),
            };
            full((x as i32).to_le_bytes().to_vec())
        }
    }
}

/// A random value of type `ty`. Floating-point leaves are finite and
/// normal (so a variadic `float` → `double` promotion is exact), `_Bool`
/// leaves are 0 or 1.
pub fn random_value(types: &Types, ty: TypeId, r: &mut Rng) -> ValueBytes {
    let size = types.size_of(ty).unwrap_or(0) as usize;
    let mut bytes: Vec<u8> = (0..size).map(|_| r.next_u64() as u8).collect();
    let mut mask = vec![0u8; size];
    walk(types, ty, 0, r, &mut bytes, &mut mask);
    ValueBytes { bytes, mask }
}

fn real_of(p: Prim) -> Prim {
    match p {
        Prim::FloatComplex => Prim::Float,
        Prim::DoubleComplex => Prim::Double,
        Prim::LongDoubleComplex => Prim::LongDouble,
        p => p,
    }
}

/// Random finite normal float bits with a moderate exponent.
fn float_leaf(p: Prim, fmt: LongDoubleFormat, r: &mut Rng, out: &mut [u8], mask: &mut [u8]) {
    let sign = r.next_u64() & 1;
    let exp_delta = r.below(64) as i64 - 32;
    match (p, fmt) {
        (Prim::Float, _) => {
            let bits = (sign << 31) as u32 | (((127 + exp_delta) as u32) << 23) | (r.next_u64() as u32 & 0x7f_ffff);
            out[..4].copy_from_slice(&bits.to_le_bytes());
            mask[..4].fill(0xff);
        }
        (Prim::Double, _) | (Prim::LongDouble, LongDoubleFormat::Double) => {
            let bits = (sign << 63) | (((1023 + exp_delta) as u64) << 52) | (r.next_u64() & ((1 << 52) - 1));
            out[..8].copy_from_slice(&bits.to_le_bytes());
            mask[..8].fill(0xff);
        }
        (Prim::LongDouble, LongDoubleFormat::X87Extended) => {
            let m = (1u64 << 63) | (r.next_u64() >> 1);
            let se = ((sign as u16) << 15) | (16383 + exp_delta) as u16;
            out[..8].copy_from_slice(&m.to_le_bytes());
            out[8..10].copy_from_slice(&se.to_le_bytes());
            mask[..10].fill(0xff);
        }
        (Prim::LongDouble, LongDoubleFormat::Binary128) => {
            let lo = r.next_u64();
            let hi = (sign << 63) | (((16383 + exp_delta) as u64) << 48) | (r.next_u64() & ((1 << 48) - 1));
            out[..8].copy_from_slice(&lo.to_le_bytes());
            out[8..16].copy_from_slice(&hi.to_le_bytes());
            mask[..16].fill(0xff);
        }
        _ => unreachable!("not a float"),
    }
}

fn walk(types: &Types, ty: TypeId, off: usize, r: &mut Rng, bytes: &mut [u8], mask: &mut [u8]) {
    let target = types.target();
    if let TypeKind::Pointer(_) = types.kind(ty) {
        mask[off..off + 8].fill(0xff);
        return;
    }
    if let Some(p) = types.as_prim(ty) {
        let size = p.size_align(target).0 as usize;
        let real = real_of(p);
        if real.is_real_float() {
            let parts = if p.is_complex() { 2 } else { 1 };
            let psize = size / parts;
            for i in 0..parts {
                let o = off + i * psize;
                float_leaf(
                    real,
                    target.long_double_format(),
                    r,
                    &mut bytes[o..o + psize],
                    &mut mask[o..o + psize],
                );
            }
        } else if p == Prim::Bool {
            bytes[off] = (r.next_u64() & 1) as u8;
            mask[off] = 0xff;
        } else {
            mask[off..off + size].fill(0xff);
        }
        return;
    }
    match types.kind(ty) {
        TypeKind::Array { elem, len: Some(n) } => {
            let es = types.size_of(*elem).unwrap_or(0) as usize;
            for i in 0..*n as usize {
                walk(types, *elem, off + i * es, r, bytes, mask);
            }
        }
        // A GCC vector: `len` scalar leaves.
        TypeKind::Vector { elem, len } => {
            let es = elem.size_align(target).0 as usize;
            for i in 0..*len as usize {
                let o = off + i * es;
                if elem.is_real_float() {
                    float_leaf(
                        *elem,
                        target.long_double_format(),
                        r,
                        &mut bytes[o..o + es],
                        &mut mask[o..o + es],
                    );
                } else {
                    mask[o..o + es].fill(0xff);
                }
            }
        }
        TypeKind::Record(_) => {
            let Some(rec) = types.record_of(ty) else { return };
            // Every member of a union is walked: a union crosses the call
            // boundary as all of its bytes, whichever member is active.
            for f in &rec.fields {
                match f.bit {
                    // An unnamed bitfield's value is unspecified.
                    Some(_) if f.name.is_none() => {}
                    Some(b) => {
                        let first = off * 8 + f.bit_pos() as usize;
                        for bit in first..first + b.bit_width as usize {
                            mask[bit / 8] |= 1 << (bit % 8);
                        }
                    }
                    None => walk(types, f.ty, off + f.offset as usize, r, bytes, mask),
                }
            }
        }
        _ => {}
    }
}
