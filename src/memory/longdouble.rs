//! `long double` in software: conversions between `f64` and the two wide
//! formats abicall's targets use, so a `long double` for any [`Target`] can be
//! read and written on any host.
//!
//! * x87 80-bit extended (x86_64): 1 sign bit, 15-bit exponent (bias 16383),
//!   64-bit significand with an *explicit* integer bit; stored little-endian
//!   in the first 10 of 16 bytes (the other 6 are padding, written as zero).
//! * IEEE 754 binary128 (aarch64 Linux): 1 sign bit, 15-bit exponent (bias
//!   16383), 112-bit fraction with an implicit integer bit; 16 bytes.
//!
//! Widening `f64` → wide is exact. Narrowing wide → `f64` rounds to nearest,
//! ties to even, like the hardware and libgcc's `__trunctfdf2` do; values
//! beyond `f64` become ±infinity, tiny ones subnormal or ±0. NaN payloads keep
//! their top bits and stay quiet.
//!
//! [`parse`] and [`format_shortest`] convert exactly between text and the
//! wide formats (a constant such as `1.0000000000000000001` keeps all its
//! bits; the shortest decimal that reads back is printed).
//!
//! [`Target`]: crate::Target

use crate::target::LongDoubleFormat;

mod text;
pub use text::{format_shortest, parse};

const F64_FRAC_BITS: u32 = 52;
const F64_FRAC_MASK: u64 = (1 << F64_FRAC_BITS) - 1;
const WIDE_BIAS: i64 = 16383;
const WIDE_EXP_MAX: u64 = 0x7FFF;
const B128_FRAC_BITS: u32 = 112;
const B128_FRAC_MASK: u128 = (1 << B128_FRAC_BITS) - 1;

/// Decomposition of a finite, non-zero `f64`: `value = m * 2^e`, `m > 0`.
fn f64_parts(x: f64) -> (bool, u64, i64) {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let be = ((bits >> F64_FRAC_BITS) & 0x7FF) as i64;
    let frac = bits & F64_FRAC_MASK;
    if be == 0 {
        (neg, frac, -1074)
    } else {
        (neg, frac | (1 << F64_FRAC_BITS), be - 1075)
    }
}

/// Index of the most significant set bit (`m != 0`).
fn msb(m: u128) -> i64 {
    127 - m.leading_zeros() as i64
}

/// Rounds `m * 2^e` to the nearest `f64` (ties to even), with sign.
pub fn round_to_f64(neg: bool, m: u128, e: i64) -> f64 {
    let sign = (neg as u64) << 63;
    if m == 0 {
        return f64::from_bits(sign);
    }
    let top = msb(m);
    let exp = top + e; // value in [2^exp, 2^(exp+1))
    if exp > 1023 {
        return f64::from_bits(sign | 0x7FF0_0000_0000_0000);
    }
    // Weight of the last kept bit: 53 significant bits, or 2^-1074 for subnormals.
    let mut lsb_exp = (exp - 52).max(-1074);
    let shift = lsb_exp - e;
    let mut q: u128 = if shift <= 0 {
        m << (-shift) as u32
    } else if shift >= 128 {
        // Everything is below half of the smallest kept bit, except a tie or more at shift 128.
        u128::from(shift == 128 && m > 1u128 << 127)
    } else {
        let q = m >> shift as u32;
        let rem = m & ((1u128 << shift as u32) - 1);
        let half = 1u128 << (shift - 1) as u32;
        if rem > half || (rem == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    if q >> 53 != 0 {
        q >>= 1;
        lsb_exp += 1;
    }
    if q >> 52 == 0 {
        // Subnormal (or zero after rounding): biased exponent 0.
        return f64::from_bits(sign | q as u64);
    }
    let biased = lsb_exp + 52 + 1023;
    if biased >= 0x7FF {
        return f64::from_bits(sign | 0x7FF0_0000_0000_0000);
    }
    f64::from_bits(sign | (biased as u64) << F64_FRAC_BITS | (q as u64 & F64_FRAC_MASK))
}

/// `(long double)x` in x87 extended format: 16 bytes, the last 6 zero.
pub fn f64_to_x87(x: f64) -> [u8; 16] {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let (exp, mant): (u64, u64) = if x.is_nan() {
        // Quiet NaN, payload kept in the top fraction bits.
        (WIDE_EXP_MAX, 0xC000_0000_0000_0000 | ((bits & F64_FRAC_MASK) << 11))
    } else if x.is_infinite() {
        (WIDE_EXP_MAX, 1 << 63)
    } else if x == 0.0 {
        (0, 0)
    } else {
        let (_, m, e) = f64_parts(x);
        let top = msb(m as u128);
        ((top + e + WIDE_BIAS) as u64, m << (63 - top) as u32)
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&mant.to_le_bytes());
    let se = (exp as u16) | ((neg as u16) << 15);
    out[8..10].copy_from_slice(&se.to_le_bytes());
    out
}

/// `(double)x` for an x87 extended value (first 10 bytes used).
pub fn x87_to_f64(b: &[u8; 16]) -> f64 {
    let mut m8 = [0u8; 8];
    m8.copy_from_slice(&b[..8]);
    let mant = u64::from_le_bytes(m8);
    let se = u16::from_le_bytes([b[8], b[9]]);
    let neg = se >> 15 != 0;
    let exp = u64::from(se & 0x7FFF);
    if exp == WIDE_EXP_MAX {
        if mant << 1 == 0 {
            return if neg { f64::NEG_INFINITY } else { f64::INFINITY };
        }
        let frac = ((mant >> 11) & F64_FRAC_MASK) | (1 << 51);
        return f64::from_bits(((neg as u64) << 63) | 0x7FF0_0000_0000_0000 | frac);
    }
    // Denormals (exp 0) use the exponent of exp 1; the integer bit is explicit.
    let e = exp.max(1) as i64 - WIDE_BIAS - 63;
    round_to_f64(neg, mant as u128, e)
}

/// `(long double)x` in IEEE binary128 format (16 bytes, little-endian).
pub fn f64_to_binary128(x: f64) -> [u8; 16] {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let (exp, frac): (u128, u128) = if x.is_nan() {
        (
            WIDE_EXP_MAX as u128,
            (1u128 << 111) | (u128::from(bits & F64_FRAC_MASK) << (B128_FRAC_BITS - F64_FRAC_BITS)),
        )
    } else if x.is_infinite() {
        (WIDE_EXP_MAX as u128, 0)
    } else if x == 0.0 {
        (0, 0)
    } else {
        let (_, m, e) = f64_parts(x);
        let top = msb(m as u128);
        (
            (top + e + WIDE_BIAS) as u128,
            ((m as u128) << (B128_FRAC_BITS as i64 - top) as u32) & B128_FRAC_MASK,
        )
    };
    let v = ((neg as u128) << 127) | (exp << B128_FRAC_BITS) | frac;
    v.to_le_bytes()
}

/// `(double)x` for an IEEE binary128 value.
pub fn binary128_to_f64(b: &[u8; 16]) -> f64 {
    let v = u128::from_le_bytes(*b);
    let neg = v >> 127 != 0;
    let exp = ((v >> B128_FRAC_BITS) & 0x7FFF) as u64;
    let frac = v & B128_FRAC_MASK;
    if exp == WIDE_EXP_MAX {
        if frac == 0 {
            return if neg { f64::NEG_INFINITY } else { f64::INFINITY };
        }
        let f = ((frac >> (B128_FRAC_BITS - F64_FRAC_BITS)) as u64 & F64_FRAC_MASK) | (1 << 51);
        return f64::from_bits(((neg as u64) << 63) | 0x7FF0_0000_0000_0000 | f);
    }
    let (m, e) = if exp == 0 {
        (frac, 1 - WIDE_BIAS - B128_FRAC_BITS as i64)
    } else {
        (
            frac | (1 << B128_FRAC_BITS),
            exp as i64 - WIDE_BIAS - B128_FRAC_BITS as i64,
        )
    };
    round_to_f64(neg, m, e)
}

/// `(long double)x` stored in `format` (16 bytes; `Double` uses the first 8).
pub fn encode(x: f64, format: LongDoubleFormat) -> [u8; 16] {
    match format {
        LongDoubleFormat::X87Extended => f64_to_x87(x),
        LongDoubleFormat::Binary128 => f64_to_binary128(x),
        LongDoubleFormat::Double => {
            let mut out = [0u8; 16];
            out[..8].copy_from_slice(&x.to_le_bytes());
            out
        }
    }
}

/// `(double)x` for a `long double` stored in `format`.
pub fn decode(b: &[u8; 16], format: LongDoubleFormat) -> f64 {
    match format {
        LongDoubleFormat::X87Extended => x87_to_f64(b),
        LongDoubleFormat::Binary128 => binary128_to_f64(b),
        LongDoubleFormat::Double => {
            let mut d = [0u8; 8];
            d.copy_from_slice(&b[..8]);
            f64::from_le_bytes(d)
        }
    }
}

/// Number of meaningful bytes of a `long double` in `format` (the rest is padding).
pub fn value_bytes(format: LongDoubleFormat) -> usize {
    match format {
        LongDoubleFormat::X87Extended => 10,
        LongDoubleFormat::Binary128 => 16,
        LongDoubleFormat::Double => 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_exactly() {
        for x in [0.0, -0.0, 1.0, -2.5, 1e308, 5e-324, 2.2250738585072014e-308, 1.0 / 3.0] {
            assert_eq!(x87_to_f64(&f64_to_x87(x)).to_bits(), x.to_bits());
            assert_eq!(binary128_to_f64(&f64_to_binary128(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn ties_to_even() {
        // 1 + 2^-53 is halfway between 1 and the next double: rounds to 1.
        assert_eq!(round_to_f64(false, (1u128 << 53) + 1, -53), 1.0);
        // 1 + 3 * 2^-53 rounds up to 1 + 2^-51.
        assert_eq!(round_to_f64(false, (1u128 << 53) + 3, -53), 1.0 + f64::EPSILON * 2.0);
    }
}
