//! Number, character and string literals (C11 6.4.4, 6.4.5).

use super::constexpr::{normalize, Val};
use crate::target::Target;
use crate::types::Prim;

/// Parses an integer or floating literal. `Err` is the message.
pub(crate) fn number(text: &str, t: Target) -> Result<Val, String> {
    let lower = text.to_ascii_lowercase();
    let hex = lower.starts_with("0x");
    let is_float = lower.contains('.') || (hex && lower.contains('p')) || (!hex && lower.contains('e'));
    if is_float {
        float(text, &lower, hex)
    } else {
        integer(text, &lower)
    }
    .map(|v| match v {
        Val::Int(x, p) => Val::Int(normalize(x, p, t), p),
        f => f,
    })
    .and_then(|v| fits(v, text, t))
}

fn fits(v: Val, text: &str, t: Target) -> Result<Val, String> {
    match v {
        Val::Int(x, p) if x < 0 && !p.is_signed(t) => Err(format!("integer literal `{text}` is too large")),
        _ => Ok(v),
    }
}

fn integer(text: &str, lower: &str) -> Result<Val, String> {
    let (radix, body) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower)
    };
    let digits_end = body.find(|c: char| !c.is_digit(radix)).unwrap_or(body.len());
    let (digits, suffix) = body.split_at(digits_end);
    if digits.is_empty() && radix != 8 {
        return Err(format!("invalid integer literal `{text}`: no digits"));
    }
    let (unsigned, longs) = match suffix {
        "" => (false, 0),
        "u" => (true, 0),
        "l" => (false, 1),
        "ul" | "lu" => (true, 1),
        "ll" => (false, 2),
        "ull" | "llu" => (true, 2),
        _ => {
            let bad = suffix.chars().next().unwrap_or(' ');
            return Err(if bad.is_ascii_digit() || (radix == 16 && bad.is_ascii_hexdigit()) {
                format!("invalid digit `{bad}` in integer literal `{text}`")
            } else {
                format!(
                    "invalid suffix `{}` on integer literal `{text}`",
                    &text[text.len() - suffix.len()..]
                )
            });
        }
    };
    // Suffix case rule: `lL` / `Ll` is not a valid suffix.
    if longs == 2 && !(text.contains("ll") || text.contains("LL")) {
        return Err(format!("invalid suffix on integer literal `{text}`"));
    }
    let v = if digits.is_empty() {
        0
    } else {
        u64::from_str_radix(digits, radix).map_err(|_| format!("integer literal `{text}` is too large"))?
    };
    // C11 6.4.4.1p5: the first type of the list the value fits in.
    use Prim::*;
    let cands: &[Prim] = match (radix == 10, unsigned, longs) {
        (true, false, 0) => &[Int, Long],
        (true, false, 1) => &[Long],
        (true, false, _) => &[LongLong],
        (false, false, 0) => &[Int, UInt, Long, ULong],
        (false, false, 1) => &[Long, ULong],
        (false, false, _) => &[LongLong, ULongLong],
        (_, true, 0) => &[UInt, ULong],
        (_, true, 1) => &[ULong],
        (_, true, _) => &[ULongLong],
    };
    let ty = cands
        .iter()
        .copied()
        .find(|p| fits_prim(*p, v))
        // gcc: "integer constant is so large that it is unsigned".
        .unwrap_or(if longs == 2 { ULongLong } else { ULong });
    Ok(Val::Int(v as i128, ty))
}

fn fits_prim(p: Prim, v: u64) -> bool {
    use Prim::*;
    match p {
        Int => v <= i32::MAX as u64,
        UInt => v <= u32::MAX as u64,
        Long | LongLong => v <= i64::MAX as u64,
        _ => true,
    }
}

fn float(text: &str, lower: &str, hex: bool) -> Result<Val, String> {
    let (body, ty) = if let Some(b) = lower.strip_suffix('f').filter(|_| !hex || lower.contains('p')) {
        (b, Prim::Float)
    } else if let Some(b) = lower.strip_suffix('l') {
        (b, Prim::LongDouble)
    } else {
        (lower, Prim::Double)
    };
    let bad = || format!("invalid floating literal `{text}`");
    let v = if hex {
        let b = &body[2..];
        let (mant, exp) = b.split_once('p').ok_or_else(bad)?;
        let exp: i32 = exp.parse().map_err(|_| bad())?;
        let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
        if ip.is_empty() && fp.is_empty() {
            return Err(bad());
        }
        let mut m = 0f64;
        for c in ip.chars() {
            m = m * 16.0 + c.to_digit(16).ok_or_else(bad)? as f64;
        }
        let mut scale = 1.0 / 16.0;
        for c in fp.chars() {
            m += c.to_digit(16).ok_or_else(bad)? as f64 * scale;
            scale /= 16.0;
        }
        m * 2f64.powi(exp)
    } else {
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
        {
            return Err(bad());
        }
        body.parse::<f64>().map_err(|_| bad())?
    };
    let v = if ty == Prim::Float { v as f32 as f64 } else { v };
    Ok(Val::Float(v, ty))
}

/// Decodes the escape sequences of a quoted literal body into code units.
fn units(body: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(body.len());
    let mut it = body.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c as u32);
            continue;
        }
        let e = it.next().ok_or("incomplete escape sequence")?;
        let v = match e {
            'n' => 10,
            't' => 9,
            'r' => 13,
            'a' => 7,
            'b' => 8,
            'f' => 12,
            'v' => 11,
            'e' | 'E' => 27,
            '\\' | '\'' | '"' | '?' => e as u32,
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                v
            }
            'x' | 'u' | 'U' => {
                let max = match e {
                    'u' => 4,
                    'U' => 8,
                    _ => usize::MAX,
                };
                let mut v: u32 = 0;
                let mut n = 0;
                while n < max {
                    match it.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v
                                .checked_mul(16)
                                .and_then(|v| v.checked_add(d))
                                .ok_or("escape sequence out of range")?;
                            it.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 || (e != 'x' && n != max) {
                    return Err(format!("invalid `\\{e}` escape sequence"));
                }
                v
            }
            other => return Err(format!("unknown escape sequence `\\{other}`")),
        };
        out.push(v);
    }
    Ok(out)
}

/// Splits a literal's prefix (`L`, `u`, `U`, `u8`) from its quoted body.
fn split_prefix(text: &str) -> (&str, &str) {
    let q = text.find(['\'', '"']).unwrap_or(0);
    let body = &text[q..];
    (&text[..q], &body[1..body.len().saturating_sub(1).max(1)])
}

/// Value and type of a character constant.
pub(crate) fn char_const(text: &str, t: Target) -> Result<Val, String> {
    let (prefix, body) = split_prefix(text);
    let us = units(body)?;
    if us.is_empty() {
        return Err("empty character constant".into());
    }
    match prefix {
        "" | "u8" => {
            // Plain chars are bytes: UTF-8 encode anything above 0x7f that is
            // not an escape, then combine like gcc ('ab' = 'a' * 256 + 'b').
            let mut bytes = Vec::new();
            let mut raw = body.chars();
            for u in &us {
                if *u > 0xff {
                    return Err("character escape out of range for `char`".into());
                }
                let _ = raw.next();
                bytes.push(*u as u8);
            }
            if bytes.len() > 4 {
                return Err("character constant too long for its type".into());
            }
            if bytes.len() == 1 {
                let ch = if prefix.is_empty() { Prim::Char } else { Prim::UChar };
                let v = normalize(bytes[0] as i128, ch, t);
                return Ok(Val::Int(v, if prefix.is_empty() { Prim::Int } else { Prim::UChar }));
            }
            let mut v: i128 = 0;
            for b in bytes {
                v = (v << 8) | b as i128;
            }
            Ok(Val::Int(normalize(v, Prim::Int, t), Prim::Int))
        }
        _ => {
            if us.len() != 1 {
                return Err("wide character constant must hold one character".into());
            }
            let ty = match prefix {
                "L" if t.wchar_is_signed() => Prim::Int,
                "L" => Prim::UInt,
                "u" => Prim::UShort,
                _ => Prim::UInt,
            };
            Ok(Val::Int(normalize(us[0] as i128, ty, t), ty))
        }
    }
}

/// The content of a string literal (escapes decoded; prefixes ignored).
pub(crate) fn string(text: &str) -> Result<String, String> {
    let (_, body) = split_prefix(text);
    let us = units(body)?;
    Ok(us.into_iter().filter_map(char::from_u32).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    const T: Target = Target::X86_64SysV;

    #[test]
    fn integer_types() {
        assert_eq!(number("42", T), Ok(Val::Int(42, Prim::Int)));
        assert_eq!(number("0x80000000", T), Ok(Val::Int(0x8000_0000, Prim::UInt)));
        assert_eq!(number("2147483648", T), Ok(Val::Int(2147483648, Prim::Long)));
        assert_eq!(number("1ULL", T), Ok(Val::Int(1, Prim::ULongLong)));
        assert_eq!(number("077", T), Ok(Val::Int(63, Prim::Int)));
        assert_eq!(number("0", T), Ok(Val::Int(0, Prim::Int)));
        assert!(number("08", T).is_err());
        assert!(number("12abc", T).is_err());
        assert!(number("0x", T).is_err());
        assert!(number("99999999999999999999", T).is_err());
    }

    #[test]
    fn floats_and_chars() {
        assert_eq!(number("1.5f", T), Ok(Val::Float(1.5, Prim::Float)));
        assert_eq!(number("0x1p-2", T), Ok(Val::Float(0.25, Prim::Double)));
        assert_eq!(number("1e3L", T), Ok(Val::Float(1000.0, Prim::LongDouble)));
        assert_eq!(char_const("'a'", T), Ok(Val::Int(97, Prim::Int)));
        assert_eq!(char_const("'\\377'", T), Ok(Val::Int(-1, Prim::Int)));
        assert_eq!(
            char_const("'\\377'", Target::Aarch64Linux),
            Ok(Val::Int(255, Prim::Int))
        );
        assert_eq!(char_const("'ab'", T), Ok(Val::Int(0x6162, Prim::Int)));
        assert!(char_const("''", T).is_err());
        assert_eq!(string("\"a\\x41\""), Ok("aA".to_string()));
    }
}
