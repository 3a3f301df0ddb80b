//! Values of C constant expressions and the arithmetic on them.
//!
//! Integers are kept as an `i128` bit pattern together with their C type
//! (a [`Prim`]): after every operation the value is truncated to the type's
//! width and sign-extended if the type is signed, so `-1U`, `1UL << 63` and
//! `~0ULL` come out as C computes them. An `unsigned __int128` above
//! `i128::MAX` is stored as its (negative) bit pattern and compared, divided
//! and shifted as `u128`. Operands go through the integer promotions and the
//! usual arithmetic conversions (C11 6.3.1.1, 6.3.1.8) by rank.

use crate::target::Target;
use crate::types::Prim;

/// A constant value with its C type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Val {
    /// Integer: bit pattern (normalized for the type) and type.
    Int(i128, Prim),
    /// Floating: value and type (`float`, `double`, `long double`).
    Float(f64, Prim),
}

/// Binary operators of constant expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
    And,
    Xor,
    Or,
}

fn rank(p: Prim) -> u8 {
    use Prim::*;
    match p {
        Bool => 0,
        Char | SChar | UChar => 1,
        Short | UShort => 2,
        Int | UInt => 3,
        Long | ULong => 4,
        LongLong | ULongLong => 5,
        _ => 6,
    }
}

/// Truncates `v` to the width of integer type `p` (sign-extending signed types).
pub(crate) fn normalize(v: i128, p: Prim, t: Target) -> i128 {
    if p == Prim::Bool {
        return (v != 0) as i128;
    }
    let bits = p.size_align(t).0 as u32 * 8;
    if bits >= 128 {
        return v;
    }
    let shift = 128 - bits;
    if p.is_signed(t) {
        (v << shift) >> shift
    } else {
        ((v as u128) << shift >> shift) as i128
    }
}

/// The integer promotions.
pub(crate) fn promote(p: Prim) -> Prim {
    if rank(p) < 3 {
        Prim::Int
    } else {
        p
    }
}

/// The common type of two integer types (usual arithmetic conversions).
fn common_int(a: Prim, b: Prim, t: Target) -> Prim {
    let (a, b) = (promote(a), promote(b));
    if a == b {
        return a;
    }
    let (sa, sb) = (a.is_signed(t), b.is_signed(t));
    if sa == sb {
        return if rank(a) >= rank(b) { a } else { b };
    }
    let (u, s) = if sa { (b, a) } else { (a, b) };
    if rank(u) >= rank(s) {
        u
    } else if s.size_align(t).0 > u.size_align(t).0 {
        s
    } else {
        s.to_unsigned()
    }
}

fn float_rank(p: Prim) -> u8 {
    match p {
        Prim::Float => 0,
        Prim::Double => 1,
        _ => 2,
    }
}

impl Val {
    /// The value as a float.
    pub(crate) fn as_f64(self, t: Target) -> f64 {
        match self {
            Val::Float(f, _) => f,
            Val::Int(v, p) => {
                if p.is_signed(t) {
                    v as f64
                } else {
                    v as u128 as f64
                }
            }
        }
    }

    /// The value as an integer of C type `p` (conversion as by a cast).
    pub(crate) fn convert_int(self, p: Prim, t: Target) -> Result<Val, String> {
        match self {
            Val::Int(v, _) => Ok(Val::Int(normalize(v, p, t), p)),
            Val::Float(f, _) => {
                if f.is_nan() {
                    return Err("cannot convert NaN to an integer".into());
                }
                if p == Prim::Bool {
                    return Ok(Val::Int((f != 0.0) as i128, p));
                }
                let v = f.trunc();
                let ok = if p.is_signed(t) {
                    crate::types::int_fits(p, v as i128, t) && v.abs() < 1.8e38
                } else {
                    v > -1.0 && crate::types::int_fits(p, v as i128, t)
                };
                if !ok {
                    return Err(format!("{f} does not fit in `{}`", p.c_name()));
                }
                Ok(Val::Int(v as i128, p))
            }
        }
    }

    /// True when the value compares unequal to zero.
    pub(crate) fn truthy(self) -> bool {
        match self {
            Val::Int(v, _) => v != 0,
            Val::Float(f, _) => f != 0.0,
        }
    }

    /// `-x`, `~x`, `!x`, `+x`.
    pub(crate) fn unary(self, op: char, t: Target) -> Result<Val, String> {
        match (op, self) {
            ('!', v) => Ok(Val::Int(!v.truthy() as i128, Prim::Int)),
            ('+', Val::Int(v, p)) => Ok(Val::Int(normalize(v, promote(p), t), promote(p))),
            ('+', f) => Ok(f),
            ('-', Val::Int(v, p)) => {
                let p = promote(p);
                Ok(Val::Int(normalize(v.wrapping_neg(), p, t), p))
            }
            ('-', Val::Float(f, p)) => Ok(Val::Float(-f, p)),
            ('~', Val::Int(v, p)) => {
                let p = promote(p);
                Ok(Val::Int(normalize(!v, p, t), p))
            }
            _ => Err(format!("invalid operand to unary `{op}`: a floating value")),
        }
    }

    /// `a op b`. `Err` carries the message (division by zero, bad shift, ...).
    pub(crate) fn binary(self, op: BinOp, rhs: Val, t: Target) -> Result<Val, String> {
        use BinOp::*;
        if let (Val::Int(a, pa), Val::Int(b, pb)) = (self, rhs) {
            if matches!(op, Shl | Shr) {
                let p = promote(pa);
                let bits = p.size_align(t).0 as i128 * 8;
                let count = if pb.is_signed(t) {
                    b
                } else {
                    (b as u128).min(1 << 32) as i128
                };
                if count < 0 || count >= bits {
                    return Err(format!("shift count {count} is out of range for `{}`", p.c_name()));
                }
                let a = normalize(a, p, t);
                let r = match op {
                    Shl => a.wrapping_shl(count as u32),
                    _ if p.is_signed(t) => a >> count,
                    _ => ((a as u128) >> count) as i128,
                };
                return Ok(Val::Int(normalize(r, p, t), p));
            }
            let p = common_int(pa, pb, t);
            let (a, b) = (normalize(a, p, t), normalize(b, p, t));
            let signed = p.is_signed(t);
            let cmp = |r: bool| Ok(Val::Int(r as i128, Prim::Int));
            let (ua, ub) = (a as u128, b as u128);
            let r = match op {
                Add => a.wrapping_add(b),
                Sub => a.wrapping_sub(b),
                Mul => a.wrapping_mul(b),
                Div | Rem => {
                    if b == 0 {
                        return Err("division by zero in constant expression".into());
                    }
                    match (op, signed) {
                        (Div, true) => a.wrapping_div(b),
                        (Div, false) => (ua / ub) as i128,
                        (_, true) => a.wrapping_rem(b),
                        (_, false) => (ua % ub) as i128,
                    }
                }
                And => a & b,
                Or => a | b,
                Xor => a ^ b,
                Lt => return cmp(if signed { a < b } else { ua < ub }),
                Gt => return cmp(if signed { a > b } else { ua > ub }),
                Le => return cmp(if signed { a <= b } else { ua <= ub }),
                Ge => return cmp(if signed { a >= b } else { ua >= ub }),
                Eq => return cmp(a == b),
                Ne => return cmp(a != b),
                Shl | Shr => unreachable!("handled above"),
            };
            return Ok(Val::Int(normalize(r, p, t), p));
        }
        // At least one floating operand.
        let fp = match (self, rhs) {
            (Val::Float(_, a), Val::Float(_, b)) => {
                if float_rank(a) >= float_rank(b) {
                    a
                } else {
                    b
                }
            }
            (Val::Float(_, a), _) | (_, Val::Float(_, a)) => a,
            _ => Prim::Double,
        };
        let (a, b) = (self.as_f64(t), rhs.as_f64(t));
        let round = |v: f64| if fp == Prim::Float { v as f32 as f64 } else { v };
        let cmp = |r: bool| Ok(Val::Int(r as i128, Prim::Int));
        let r = match op {
            Add => a + b,
            Sub => a - b,
            Mul => a * b,
            Div => a / b,
            Lt => return cmp(a < b),
            Gt => return cmp(a > b),
            Le => return cmp(a <= b),
            Ge => return cmp(a >= b),
            Eq => return cmp(a == b),
            Ne => return cmp(a != b),
            Rem | Shl | Shr | And | Or | Xor => {
                return Err("invalid operands to an integer operator: a floating value".into());
            }
        };
        Ok(Val::Float(round(r), fp))
    }

    /// The common type of the two arms of `?:`, applied to `self`.
    pub(crate) fn conditional_result(self, other: Val, t: Target) -> Val {
        match (self, other) {
            (Val::Int(v, a), Val::Int(_, b)) => {
                let p = common_int(a, b, t);
                Val::Int(normalize(v, p, t), p)
            }
            (Val::Int(..), Val::Float(_, p)) => Val::Float(self.as_f64(t), p),
            (Val::Float(f, a), Val::Float(_, b)) => Val::Float(f, if float_rank(a) >= float_rank(b) { a } else { b }),
            (Val::Float(..), Val::Int(..)) => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const T: Target = Target::X86_64SysV;

    #[test]
    fn unsigned_wraps_like_c() {
        let one_u = Val::Int(1, Prim::UInt);
        assert_eq!(one_u.unary('-', T).unwrap(), Val::Int(0xffff_ffff, Prim::UInt));
        let one_ul = Val::Int(1, Prim::ULong);
        let r = one_ul.binary(BinOp::Shl, Val::Int(63, Prim::Int), T).unwrap();
        assert_eq!(r, Val::Int(1 << 63, Prim::ULong));
        let z = Val::Int(0, Prim::ULongLong).unary('~', T).unwrap();
        assert_eq!(z, Val::Int(u64::MAX as i128, Prim::ULongLong));
        // -1 < 0U is false in C: -1 converts to UINT_MAX.
        let r = Val::Int(-1, Prim::Int)
            .binary(BinOp::Lt, Val::Int(0, Prim::UInt), T)
            .unwrap();
        assert_eq!(r, Val::Int(0, Prim::Int));
        // -1L < 0U is true: long can represent every unsigned int.
        let r = Val::Int(-1, Prim::Long)
            .binary(BinOp::Lt, Val::Int(0, Prim::UInt), T)
            .unwrap();
        assert_eq!(r, Val::Int(1, Prim::Int));
    }

    #[test]
    fn division_by_zero_and_shift_range() {
        assert!(Val::Int(1, Prim::Int)
            .binary(BinOp::Div, Val::Int(0, Prim::Int), T)
            .is_err());
        assert!(Val::Int(1, Prim::Int)
            .binary(BinOp::Shl, Val::Int(32, Prim::Int), T)
            .is_err());
        let r = Val::Int(1, Prim::Int)
            .binary(BinOp::Shl, Val::Int(31, Prim::Int), T)
            .unwrap();
        assert_eq!(r, Val::Int(i32::MIN as i128, Prim::Int));
    }
}
