//! C literals on the command line: `42`, `-0x10UL`, `2.5f`, `'a'`, `"text"`,
//! `NULL`, `{1, 2.5}`, `{.x = 1, .y = {2, 3}}`, `(long)7`, and a leading `&`
//! for a pointer to a fresh object holding the initializer.

/// A parsed argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// `&` given: pass a pointer to a new object initialised with `lit`.
    pub address_of: bool,
    /// The literal.
    pub lit: Lit,
}

/// A literal with the type its spelling implies, if any.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// Integer, with the C type its suffix (or char-literal form) gives.
    Int(i128, Option<&'static str>),
    /// Floating constant; `Some("float")` for an `f` suffix.
    Float(f64, Option<&'static str>),
    /// `long double` constant (`l`/`L` suffix): its text without the
    /// suffix, sign included, rounded once to the target's format when used.
    LongFloat(String),
    /// String literal bytes (no terminating NUL).
    Str(Vec<u8>),
    /// `NULL`.
    Null,
    /// `{a, b}`.
    List(Vec<Lit>),
    /// `{.x = a, .y = b}` (mixed with positional items is not supported).
    Fields(Vec<(String, Lit)>),
    /// `(type) literal`.
    Cast(String, Box<Lit>),
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

/// Parses one command-line argument.
pub fn parse_arg(text: &str) -> Result<Arg, String> {
    let mut p = P {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let address_of = p.eat(b'&');
    let lit = p.lit(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected `{}` at column {} of `{text}`",
            p.rest_token(),
            p.i + 1
        ));
    }
    Ok(Arg { address_of, lit })
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn rest_token(&self) -> String {
        let end = (self.i + 12).min(self.s.len());
        String::from_utf8_lossy(&self.s[self.i..end]).into_owned()
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        if self.i >= self.s.len() {
            Err(format!("expected {what} at end of argument"))
        } else {
            Err(format!(
                "expected {what} at column {}, found `{}`",
                self.i + 1,
                self.rest_token()
            ))
        }
    }

    fn lit(&mut self, depth: usize) -> Result<Lit, String> {
        if depth > 64 {
            return Err("initializer nested too deeply".into());
        }
        self.ws();
        match self.peek() {
            Some(b'{') => self.braces(depth),
            Some(b'"') => {
                let mut out = Vec::new();
                // Adjacent string literals concatenate, as in C.
                while self.peek() == Some(b'"') {
                    self.i += 1;
                    self.string_body(b'"', &mut out)?;
                    self.ws();
                }
                Ok(Lit::Str(out))
            }
            Some(b'\'') => {
                self.i += 1;
                let mut out = Vec::new();
                self.string_body(b'\'', &mut out)?;
                match out.as_slice() {
                    [c] => Ok(Lit::Int(*c as i8 as i128, Some("char"))),
                    _ => Err("a character literal must hold exactly one character".into()),
                }
            }
            Some(b'(') => {
                // A cast: `(type) literal`.
                let start = self.i + 1;
                let mut depth_p = 0;
                while self.i < self.s.len() {
                    match self.s[self.i] {
                        b'(' => depth_p += 1,
                        b')' => {
                            depth_p -= 1;
                            if depth_p == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return self.err("`)` closing the cast");
                }
                let ty = String::from_utf8_lossy(&self.s[start..self.i]).trim().to_string();
                self.i += 1;
                if ty.is_empty() {
                    return Err("empty type in cast".into());
                }
                let inner = self.lit(depth + 1)?;
                Ok(Lit::Cast(ty, Box::new(inner)))
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let start = self.i;
                while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_') {
                    self.i += 1;
                }
                let word = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                match word {
                    "NULL" | "nullptr" => Ok(Lit::Null),
                    "true" => Ok(Lit::Int(1, Some("_Bool"))),
                    "false" => Ok(Lit::Int(0, Some("_Bool"))),
                    "INFINITY" | "inf" => Ok(Lit::Float(f64::INFINITY, None)),
                    "NAN" | "nan" => Ok(Lit::Float(f64::NAN, None)),
                    _ => {
                        self.i = start;
                        self.err("a C literal (number, 'c', \"text\", NULL or {...})")
                    }
                }
            }
            Some(_) => self.number(),
            None => self.err("a C literal"),
        }
    }

    fn braces(&mut self, depth: usize) -> Result<Lit, String> {
        self.i += 1; // `{`
        let mut pos = Vec::new();
        let mut named = Vec::new();
        loop {
            if self.eat(b'}') {
                break;
            }
            if self.eat(b'.') {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_alphanumeric() || matches!(self.s[self.i], b'_' | b'.' | b'[' | b']'))
                {
                    self.i += 1;
                }
                if start == self.i {
                    return self.err("a member name after `.`");
                }
                let name = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                if !self.eat(b'=') {
                    return self.err("`=` after the member name");
                }
                named.push((name, self.lit(depth + 1)?));
            } else {
                pos.push(self.lit(depth + 1)?);
            }
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                break;
            }
            return self.err("`,` or `}`");
        }
        match (pos.is_empty(), named.is_empty()) {
            (_, true) => Ok(Lit::List(pos)),
            (true, false) => Ok(Lit::Fields(named)),
            _ => Err("mixing positional and designated (.name =) initializers is not supported".into()),
        }
    }

    fn string_body(&mut self, quote: u8, out: &mut Vec<u8>) -> Result<(), String> {
        loop {
            let Some(c) = self.peek() else {
                return Err(format!(
                    "unterminated {} literal",
                    if quote == b'"' { "string" } else { "character" }
                ));
            };
            self.i += 1;
            if c == quote {
                return Ok(());
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err("unterminated escape sequence".into());
            };
            self.i += 1;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'a' => out.push(7),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'v' => out.push(11),
                // GNU extension, as gcc and clang accept it.
                b'e' | b'E' => out.push(27),
                b'\'' | b'"' | b'?' | b'\\' => out.push(e),
                b'0'..=b'7' => {
                    let mut v = (e - b'0') as u32;
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ b'0'..=b'7') => {
                                v = v * 8 + (d - b'0') as u32;
                                self.i += 1;
                            }
                            _ => break,
                        }
                    }
                    if v > 0xFF {
                        return Err(format!("octal escape sequence `\\{v:o}` out of range (above \\377)"));
                    }
                    out.push(v as u8);
                }
                b'x' => {
                    let start = self.i;
                    while self.peek().is_some_and(|d| d.is_ascii_hexdigit()) {
                        self.i += 1;
                    }
                    let h = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
                    if h.is_empty() {
                        return Err("\\x used with no following hex digits".into());
                    }
                    // As in C, the escape takes every hex digit that follows;
                    // its value must fit in a char.
                    let v = h.bytes().try_fold(0u32, |v, d| {
                        let v = v * 16 + (d as char).to_digit(16).unwrap_or(0);
                        (v <= 0xFF).then_some(v)
                    });
                    match v {
                        Some(v) => out.push(v as u8),
                        None => {
                            return Err(format!(
                                "hex escape sequence `\\x{h}` out of range (above \\xff; a string of its own ends the escape: \"\\x12\" \"3\")"
                            ))
                        }
                    }
                }
                b'u' | b'U' => {
                    let n = if e == b'u' { 4 } else { 8 };
                    let digits = self.s.get(self.i..self.i + n).unwrap_or(&[]);
                    if digits.len() != n || !digits.iter().all(|d| d.is_ascii_hexdigit()) {
                        return Err(format!(
                            "incomplete universal character name: `\\{}` needs {n} hex digits",
                            e as char
                        ));
                    }
                    let text = std::str::from_utf8(digits).unwrap_or("0");
                    self.i += n;
                    let cp = u32::from_str_radix(text, 16).unwrap_or(u32::MAX);
                    // C11 6.4.3: no surrogates, nothing above U+10FFFF, and
                    // below U+00A0 only $, @ and `.
                    let allowed = cp >= 0xA0 || matches!(cp, 0x24 | 0x40 | 0x60);
                    match char::from_u32(cp).filter(|_| allowed) {
                        Some(c) => {
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        None => return Err(format!("`\\{}{text}` is not a valid universal character", e as char)),
                    }
                }
                other => {
                    let shown = if other.is_ascii_graphic() {
                        (other as char).to_string()
                    } else {
                        format!("\\x{other:02x}")
                    };
                    return Err(format!("unknown escape sequence `\\{shown}`"));
                }
            }
        }
    }

    fn number(&mut self) -> Result<Lit, String> {
        let start = self.i;
        let neg = match self.peek() {
            Some(b'-') => {
                self.i += 1;
                true
            }
            Some(b'+') => {
                self.i += 1;
                false
            }
            _ => false,
        };
        self.ws();
        let body_start = self.i;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            let prev = if self.i > body_start { self.s[self.i - 1] } else { 0 };
            let exp_sign = (c == b'-' || c == b'+')
                && matches!(prev, b'e' | b'E' | b'p' | b'P')
                && !(self.s[body_start..].starts_with(b"0x") && matches!(prev, b'e' | b'E'));
            if c.is_ascii_alphanumeric() || c == b'.' || exp_sign {
                self.i += 1;
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&self.s[body_start..self.i]).unwrap_or("");
        if text.is_empty() {
            self.i = start;
            return self.err("a number");
        }
        let lower = text.to_ascii_lowercase();
        let is_hex = lower.starts_with("0x");
        let is_float = if is_hex {
            lower.contains('p') || lower.contains('.')
        } else {
            lower.contains(['.', 'e'])
        };
        if is_float {
            if let Some(n) = lower.strip_suffix('l') {
                // Checked here, rounded to the target's format by the caller.
                let sign = if neg { "-" } else { "" };
                let ok = abicall::value::LongDouble::parse(n, abicall::target::LongDoubleFormat::Binary128).is_some();
                if !ok {
                    return Err(format!("malformed floating constant `{text}`"));
                }
                return Ok(Lit::LongFloat(format!("{sign}{n}")));
            }
            let (num, ty) = if let Some(n) = lower.strip_suffix('f') {
                (n, Some("float"))
            } else {
                (lower.as_str(), None)
            };
            let v = if is_hex {
                parse_hex_float(num)
            } else {
                num.parse::<f64>().ok()
            }
            .ok_or_else(|| format!("malformed floating constant `{text}`"))?;
            return Ok(Lit::Float(if neg { -v } else { v }, ty));
        }
        // Integer: split off the suffix.
        let digits_end = lower
            .char_indices()
            .find(|&(i, c)| {
                let in_prefix = i < 2 && (is_hex || lower.starts_with("0b"));
                !(in_prefix || c.is_ascii_hexdigit() && (is_hex || c.is_ascii_digit()))
            })
            .map_or(lower.len(), |(i, _)| i);
        let (digits, suffix) = lower.split_at(digits_end);
        let ty = match suffix {
            "" => None,
            "u" => Some("unsigned int"),
            "l" => Some("long"),
            "ul" | "lu" => Some("unsigned long"),
            "ll" => Some("long long"),
            "ull" | "llu" => Some("unsigned long long"),
            _ => {
                return Err(format!(
                    "malformed integer constant `{text}` (unknown suffix `{suffix}`)"
                ))
            }
        };
        let v = if let Some(h) = digits.strip_prefix("0x") {
            i128::from_str_radix(h, 16)
        } else if let Some(b) = digits.strip_prefix("0b") {
            i128::from_str_radix(b, 2)
        } else if digits.len() > 1 && digits.starts_with('0') {
            i128::from_str_radix(&digits[1..], 8)
        } else {
            digits.parse::<i128>()
        }
        .map_err(|_| format!("malformed integer constant `{text}`"))?;
        Ok(Lit::Int(if neg { -v } else { v }, ty))
    }
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let s = s.strip_prefix("0x")?;
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_arg("42").unwrap().lit, Lit::Int(42, None));
        assert_eq!(parse_arg("-0x10UL").unwrap().lit, Lit::Int(-16, Some("unsigned long")));
        assert_eq!(parse_arg("017").unwrap().lit, Lit::Int(15, None));
        assert_eq!(parse_arg("2.5f").unwrap().lit, Lit::Float(2.5, Some("float")));
        assert_eq!(parse_arg("1e-3").unwrap().lit, Lit::Float(1e-3, None));
        assert_eq!(parse_arg("0x1p-2").unwrap().lit, Lit::Float(0.25, None));
        assert_eq!(parse_arg("'a'").unwrap().lit, Lit::Int(97, Some("char")));
        assert!(parse_arg("12zz").is_err());
        assert!(parse_arg("'ab'").is_err());
    }

    #[test]
    fn aggregates() {
        let a = parse_arg("&{.x = 1, .y = {2, \"s\\n\"}}").unwrap();
        assert!(a.address_of);
        assert_eq!(
            a.lit,
            Lit::Fields(vec![
                ("x".into(), Lit::Int(1, None)),
                (
                    "y".into(),
                    Lit::List(vec![Lit::Int(2, None), Lit::Str(b"s\n".to_vec())])
                )
            ])
        );
        assert_eq!(
            parse_arg("(long) 7").unwrap().lit,
            Lit::Cast("long".into(), Box::new(Lit::Int(7, None)))
        );
        assert!(parse_arg("{1, .x = 2}").is_err());
        assert!(parse_arg("{1, 2").is_err());
        assert!(parse_arg("\"abc").is_err());
    }
}
