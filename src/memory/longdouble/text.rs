//! `long double` constants as text, exactly: decimal and hexadecimal
//! floating constants rounded once, to nearest with ties to even, straight
//! into the x87 80-bit or binary128 format (no detour through `f64`), and
//! the shortest decimal that reads back to the same bytes.
//!
//! The arithmetic is on exact big integers: a decimal constant `N × 10^k` is
//! `N × 10^k` (k ≥ 0) or the quotient `N·2^s / 10^-k` with a sticky bit for
//! the remainder (k < 0), so rounding sees every digit. Exponents far
//! outside the formats' range (beyond ±5000 decimal) become ±infinity or
//! ±0 without building huge numbers.

use crate::target::LongDoubleFormat;

/// A non-negative big integer, little-endian 32-bit limbs, no leading zero limbs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn from_u128(mut v: u128) -> Big {
        let mut l = Vec::new();
        while v != 0 {
            l.push(v as u32);
            v >>= 32;
        }
        Big(l)
    }
    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }
    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => (self.0.len() as u64 - 1) * 32 + (32 - top.leading_zeros()) as u64,
        }
    }
    fn bit(&self, i: u64) -> bool {
        let limb = (i / 32) as usize;
        limb < self.0.len() && (self.0[limb] >> (i % 32)) & 1 == 1
    }
    /// Whether any of the bits below `i` is set.
    fn any_below(&self, i: u64) -> bool {
        let full = (i / 32) as usize;
        if self.0.iter().take(full).any(|&l| l != 0) {
            return true;
        }
        let rest = i % 32;
        rest != 0 && full < self.0.len() && self.0[full] & ((1u32 << rest) - 1) != 0
    }
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = a as u64;
        for l in &mut self.0 {
            let v = *l as u64 * m as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }
    fn pow10(n: u32) -> Big {
        let mut b = Big(vec![1]);
        let mut left = n;
        while left > 0 {
            let step = left.min(9);
            b.mul_add_small(10u32.pow(step), 0);
            left -= step;
        }
        b
    }
    fn mul(&self, o: &Big) -> Big {
        let mut r = vec![0u32; self.0.len() + o.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in o.0.iter().enumerate() {
                let v = r[i + j] as u64 + a as u64 * b as u64 + carry;
                r[i + j] = v as u32;
                carry = v >> 32;
            }
            let mut k = i + o.0.len();
            while carry != 0 {
                let v = r[k] as u64 + carry;
                r[k] = v as u32;
                carry = v >> 32;
                k += 1;
            }
        }
        let mut b = Big(r);
        b.trim();
        b
    }
    fn shl(&self, n: u64) -> Big {
        if self.is_zero() {
            return self.clone();
        }
        let limbs = (n / 32) as usize;
        let bits = (n % 32) as u32;
        let mut r = vec![0u32; limbs];
        let mut carry = 0u32;
        for &l in &self.0 {
            if bits == 0 {
                r.push(l);
            } else {
                r.push((l << bits) | carry);
                carry = l >> (32 - bits);
            }
        }
        if carry != 0 {
            r.push(carry);
        }
        Big(r)
    }
    /// The bits from `lo` upwards as a `u128` (the caller knows they fit).
    fn shr_u128(&self, lo: u64) -> u128 {
        let mut v = 0u128;
        for k in 0..128u64 {
            if self.bit(lo + k) {
                v |= 1 << k;
            }
        }
        v
    }
    fn cmp(&self, o: &Big) -> std::cmp::Ordering {
        self.0
            .len()
            .cmp(&o.0.len())
            .then_with(|| self.0.iter().rev().cmp(o.0.iter().rev()))
    }
    fn sub_assign(&mut self, o: &Big) {
        let mut borrow = 0i64;
        for i in 0..self.0.len() {
            let v = self.0[i] as i64 - borrow - *o.0.get(i).unwrap_or(&0) as i64;
            if v < 0 {
                self.0[i] = (v + (1i64 << 32)) as u32;
                borrow = 1;
            } else {
                self.0[i] = v as u32;
                borrow = 0;
            }
        }
        self.trim();
    }
    /// `(self / d, self % d != 0)` for a quotient below 2^128, by binary
    /// long division (the callers scale so the quotient has ~120 bits).
    fn div_sticky(&self, d: &Big) -> (u128, bool) {
        let mut rem = self.clone();
        let nb = self.bits();
        let db = d.bits();
        let mut q = 0u128;
        if nb >= db {
            let mut k = nb - db + 1;
            while k > 0 {
                k -= 1;
                let sd = d.shl(k);
                if rem.cmp(&sd) != std::cmp::Ordering::Less {
                    rem.sub_assign(&sd);
                    q |= 1 << k;
                }
            }
        }
        (q, !rem.is_zero())
    }
}

/// Precision and exponent range of a wide format.
struct Wide {
    /// Significant bits (64 for x87 with its explicit integer bit, 113 for binary128).
    p: i64,
}

const EMIN: i64 = -16382;
const EMAX: i64 = 16383;

impl Wide {
    fn of(format: LongDoubleFormat) -> Option<Wide> {
        match format {
            LongDoubleFormat::X87Extended => Some(Wide { p: 64 }),
            LongDoubleFormat::Binary128 => Some(Wide { p: 113 }),
            LongDoubleFormat::Double => None,
        }
    }

    /// Encodes `q × 2^lsb_exp` (already rounded: `q < 2^p`, and `q ≥ 2^(p-1)`
    /// unless subnormal at the minimum exponent), or infinity.
    fn encode(&self, neg: bool, q: u128, lsb_exp: i64, inf: bool, format: LongDoubleFormat) -> [u8; 16] {
        let normal = q >> (self.p - 1) != 0;
        let (biased, sig): (u64, u128) = if inf {
            (0x7FFF, 0)
        } else if q == 0 {
            (0, 0)
        } else if normal {
            ((lsb_exp + self.p - 1 + 16383) as u64, q)
        } else {
            (0, q)
        };
        match format {
            LongDoubleFormat::X87Extended => {
                let mant: u64 = if inf { 1 << 63 } else { sig as u64 };
                let mut out = [0u8; 16];
                out[..8].copy_from_slice(&mant.to_le_bytes());
                out[8..10].copy_from_slice(&((biased as u16) | ((neg as u16) << 15)).to_le_bytes());
                out
            }
            _ => {
                let frac = sig & ((1u128 << 112) - 1);
                (((neg as u128) << 127) | ((biased as u128) << 112) | frac).to_le_bytes()
            }
        }
    }

    /// Rounds `m × 2^e` (plus a sticky fraction below its last bit when
    /// `sticky`) to the format, ties to even.
    fn round(&self, neg: bool, m: &Big, e: i64, sticky: bool, format: LongDoubleFormat) -> [u8; 16] {
        if m.is_zero() {
            return self.encode(neg, 0, 0, false, format);
        }
        let top = m.bits() as i64 - 1 + e;
        let mut lsb_exp = (top - (self.p - 1)).max(EMIN - (self.p - 1));
        let shift = lsb_exp - e;
        let mut q: u128 = if shift <= 0 {
            // Exact: fewer significant bits than the format holds.
            m.shr_u128(0) << (-shift) as u32
        } else {
            let s = shift as u64;
            let q = m.shr_u128(s);
            let half = m.bit(s - 1);
            let rest = m.any_below(s - 1) || sticky;
            if half && (rest || q & 1 == 1) {
                q + 1
            } else {
                q
            }
        };
        if q >> self.p != 0 {
            q >>= 1;
            lsb_exp += 1;
        }
        let inf = lsb_exp + self.p - 1 > EMAX;
        self.encode(neg, q, lsb_exp, inf, format)
    }
}

/// Parses a C floating constant without its suffix — decimal (`1.5`,
/// `.5e-3`, `12`) or hexadecimal (`0x1.8p3`), optionally signed, also
/// `inf`/`infinity`/`nan` — into `format`'s bytes, correctly rounded.
/// `None` when the text is not such a constant.
pub fn parse(text: &str, format: LongDoubleFormat) -> Option<[u8; 16]> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let Some(w) = Wide::of(format) else {
        let x: f64 = text.parse().ok().or_else(|| parse_hex_f64(neg, body))?;
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&x.to_le_bytes());
        return Some(out);
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(w.encode(neg, 0, 0, true, format));
    }
    if lower == "nan" {
        let f = super::encode(f64::NAN, format);
        let mut f = f;
        if neg {
            f[if format == LongDoubleFormat::X87Extended { 9 } else { 15 }] |= 0x80;
        }
        return Some(f);
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        let (mant, exp) = match hex.split_once('p') {
            Some((m, e)) => (m, parse_exp(e)?),
            None => (hex, 0),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let mut m = Big(Vec::new());
        for c in int.chars().chain(frac.chars()) {
            m.mul_add_small(16, c.to_digit(16)?);
        }
        m.trim();
        let e = exp.checked_sub(4 * frac.len() as i64)?;
        if !m.is_zero() && m.bits() as i64 + e > EMAX + 2 {
            return Some(w.encode(neg, 0, 0, true, format));
        }
        if m.bits() as i64 + e < EMIN - w.p - 2 {
            return Some(w.encode(neg, 0, 0, false, format));
        }
        return Some(w.round(neg, &m, e, false, format));
    }
    let (mant, exp) = match lower.split_once('e') {
        Some((m, e)) => (m, parse_exp(e)?),
        None => (lower.as_str(), 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if (int.is_empty() && frac.is_empty()) || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some(w.encode(neg, 0, 0, false, format));
    }
    if digits.len() > 10_000 {
        return None;
    }
    let mut n = Big(Vec::new());
    for d in digits.bytes() {
        n.mul_add_small(10, (d - b'0') as u32);
    }
    n.trim();
    let k = exp.checked_sub(frac.len() as i64)?;
    // Magnitude in decimal: 10^(mag-1) <= value < 10^mag.
    let mag = k + digits.len() as i64;
    if mag > 4940 {
        return Some(w.encode(neg, 0, 0, true, format));
    }
    if mag < -4970 {
        return Some(w.encode(neg, 0, 0, false, format));
    }
    Some(from_decimal(&w, neg, &n, k, format))
}

/// Rounds `n × 10^k` to the format.
fn from_decimal(w: &Wide, neg: bool, n: &Big, k: i64, format: LongDoubleFormat) -> [u8; 16] {
    if k >= 0 {
        return w.round(neg, &n.mul(&Big::pow10(k as u32)), 0, false, format);
    }
    let d = Big::pow10((-k) as u32);
    // Scale so the quotient has p + 3 bits: enough for the rounding bit,
    // the remainder goes into the sticky bit.
    let s = (w.p + 3 + d.bits() as i64 - n.bits() as i64).max(0);
    let (q, sticky) = n.shl(s as u64).div_sticky(&d);
    w.round(neg, &Big::from_u128(q), -s, sticky, format)
}

fn parse_exp(e: &str) -> Option<i64> {
    let v: i64 = e.parse().ok()?;
    // Anything this large is far beyond every format's range already.
    Some(v.clamp(-1_000_000, 1_000_000))
}

fn parse_hex_f64(neg: bool, body: &str) -> Option<f64> {
    let hex = body.to_ascii_lowercase();
    let b = parse(&hex, LongDoubleFormat::Binary128)?;
    let x = super::binary128_to_f64(&b);
    Some(if neg { -x } else { x })
}

/// The exact value of finite `bytes`: `(negative, m, e)` with value `m × 2^e`;
/// `None` for infinities and NaNs.
fn decompose(bytes: &[u8; 16], format: LongDoubleFormat) -> Option<(bool, u128, i64)> {
    match format {
        LongDoubleFormat::X87Extended => {
            let mant = u64::from_le_bytes(bytes[..8].try_into().ok()?);
            let se = u16::from_le_bytes([bytes[8], bytes[9]]);
            let exp = (se & 0x7FFF) as i64;
            if exp == 0x7FFF {
                return None;
            }
            Some((se >> 15 != 0, mant as u128, exp.max(1) - 16383 - 63))
        }
        LongDoubleFormat::Binary128 => {
            let v = u128::from_le_bytes(*bytes);
            let exp = ((v >> 112) & 0x7FFF) as i64;
            let frac = v & ((1u128 << 112) - 1);
            if exp == 0x7FFF {
                return None;
            }
            let m = if exp == 0 { frac } else { frac | (1 << 112) };
            Some((v >> 127 != 0, m, exp.max(1) - 16383 - 112))
        }
        LongDoubleFormat::Double => None,
    }
}

/// `round(m × 2^e × 10^t)`, ties to even.
fn scaled_round(m: u128, e: i64, t: i64) -> Big {
    let mut num = Big::from_u128(m);
    let mut den = Big(vec![1]);
    if e > 0 {
        num = num.shl(e as u64);
    } else {
        den = den.shl((-e) as u64);
    }
    if t > 0 {
        num = num.mul(&Big::pow10(t as u32));
    } else {
        den = den.mul(&Big::pow10((-t) as u32));
    }
    // q = floor(num / den) by long division (q may exceed 128 bits for
    // large t: divide in a way that keeps the whole quotient).
    let (q, rem) = divmod(&num, &den);
    let twice = rem.shl(1);
    match twice.cmp(&den) {
        std::cmp::Ordering::Greater => add_one(q),
        std::cmp::Ordering::Equal if q.bit(0) => add_one(q),
        _ => q,
    }
}

fn add_one(mut q: Big) -> Big {
    q.mul_add_small(1, 1);
    q
}

/// Full quotient and remainder (binary long division).
fn divmod(num: &Big, den: &Big) -> (Big, Big) {
    let mut rem = num.clone();
    let mut q = Big(Vec::new());
    let nb = num.bits();
    let db = den.bits();
    if nb >= db {
        let mut k = nb - db + 1;
        q = Big(vec![0; (k / 32 + 1) as usize]);
        while k > 0 {
            k -= 1;
            let sd = den.shl(k);
            if rem.cmp(&sd) != std::cmp::Ordering::Less {
                rem.sub_assign(&sd);
                q.0[(k / 32) as usize] |= 1 << (k % 32);
            }
        }
        q.trim();
    }
    (q, rem)
}

fn decimal_string(b: &Big) -> String {
    if b.is_zero() {
        return "0".into();
    }
    let mut limbs = b.0.clone();
    let mut out = Vec::new();
    while !limbs.is_empty() {
        let mut rem = 0u64;
        for l in limbs.iter_mut().rev() {
            let v = (rem << 32) | *l as u64;
            *l = (v / 1_000_000_000) as u32;
            rem = v % 1_000_000_000;
        }
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
        for _ in 0..9 {
            out.push(b'0' + (rem % 10) as u8);
            rem /= 10;
        }
    }
    while out.len() > 1 && out.last() == Some(&b'0') {
        out.pop();
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The shortest decimal that [`parse`] reads back to the same `bytes`
/// (`1.0000000000000000001`, `0.1`, `1e4000`, `-0.0`), like Rust's `{:?}`
/// for `f64`: plain notation for exponents from -5 to 20, else `de±x`
/// scientific; `inf`, `-inf`, `NaN` for the non-finite values.
pub fn format_shortest(bytes: &[u8; 16], format: LongDoubleFormat) -> String {
    let Some(w) = Wide::of(format) else {
        let x = super::decode(bytes, format);
        return format!("{x:?}");
    };
    let Some((neg, m, e)) = decompose(bytes, format) else {
        let x = super::decode(bytes, format);
        return if x.is_nan() {
            "NaN".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    };
    let sign = if neg { "-" } else { "" };
    if m == 0 {
        return format!("{sign}0.0");
    }
    // Decimal exponent estimate: value in [10^d, 10^(d+1)).
    let bits = 128 - m.leading_zeros() as i64 + e; // value < 2^bits
    let mut d = ((bits - 1) as f64 * std::f64::consts::LOG10_2).floor() as i64;
    let max_digits = if w.p == 64 { 21 } else { 36 };
    for n in 1..=max_digits {
        let (digits, dexp) = loop {
            let r = scaled_round(m, e, n - 1 - d);
            let s = decimal_string(&r);
            if s.len() as i64 > n {
                d += 1;
                continue;
            }
            if (s.len() as i64) < n {
                d -= 1;
                continue;
            }
            break (s, d);
        };
        let text = layout(&digits, dexp);
        let back = parse(&text, format);
        let mut want = *bytes;
        let mut got = back.unwrap_or([0; 16]);
        if format == LongDoubleFormat::X87Extended {
            // Only the 10 value bytes count (the rest is padding).
            want[10..].fill(0);
            got[10..].fill(0);
        }
        // `parse` sees the unsigned text; compare magnitudes.
        if got == strip_sign(want, format) {
            return format!("{sign}{text}");
        }
    }
    // Unreachable for valid formats (max_digits always round-trips).
    format!(
        "{sign}{}",
        layout(&decimal_string(&scaled_round(m, e, max_digits - 1 - d)), d)
    )
}

fn strip_sign(mut b: [u8; 16], format: LongDoubleFormat) -> [u8; 16] {
    b[if format == LongDoubleFormat::X87Extended { 9 } else { 15 }] &= 0x7F;
    b
}

/// `digits` (no leading zero) times 10^(dexp - len + 1), spelt.
fn layout(digits: &str, dexp: i64) -> String {
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let n = digits.len() as i64;
    if (-5..=20).contains(&dexp) {
        if dexp < 0 {
            format!("0.{}{}", "0".repeat((-dexp - 1) as usize), digits)
        } else if n > dexp + 1 {
            format!("{}.{}", &digits[..(dexp + 1) as usize], &digits[(dexp + 1) as usize..])
        } else {
            format!("{}{}.0", digits, "0".repeat((dexp + 1 - n) as usize))
        }
    } else if n == 1 {
        format!("{digits}e{dexp}")
    } else {
        format!("{}.{}e{dexp}", &digits[..1], &digits[1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LongDoubleFormat::{Binary128, X87Extended};

    #[test]
    fn one_ulp_above_one() {
        // 1 + 2^-63 (x87) and 1 + 2^-112 (binary128): nextafterl(1, 2).
        let x = parse("1.0000000000000000001", X87Extended).unwrap();
        assert_eq!(u64::from_le_bytes(x[..8].try_into().unwrap()), (1 << 63) | 1);
        assert_eq!(format_shortest(&x, X87Extended), "1.0000000000000000001");
        let b = parse("0x1.0000000000000000000000000001p0", Binary128).unwrap();
        assert_eq!(u128::from_le_bytes(b), (16383u128 << 112) | 1);
        assert_eq!(format_shortest(&b, Binary128), "1.0000000000000000000000000000000002");
    }

    #[test]
    fn plain_values() {
        for f in [X87Extended, Binary128] {
            for (text, shown) in [
                ("0.1", "0.1"),
                ("1", "1.0"),
                ("-2.5", "-2.5"),
                ("1e4000", "1e4000"),
                ("0", "0.0"),
            ] {
                let b = parse(text, f).unwrap();
                assert_eq!(format_shortest(&b, f), shown, "{text}");
            }
            assert_eq!(super::super::decode(&parse("0.1", f).unwrap(), f), 0.1);
        }
    }
}
