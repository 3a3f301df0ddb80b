//! Tokens of preprocessed C text, as spans into the text.
//!
//! The whole input is tokenized up front into one `Vec<Token>` (a token is
//! 20 bytes; no per-token allocation). A lexical error does not abort
//! tokenization immediately: it ends the token list with a [`Tk::Error`]
//! token, so the declarations before it are still parsed (and kept) and the
//! error is reported when the parser reaches it.
//!
//! Preprocessing directives are kept as token runs: a `#` that is the first
//! token of a line becomes [`Tk::Hash`], and the end of that line becomes
//! [`Tk::Eol`]. Backslash-newline is a line continuation everywhere.

use super::specs::{keyword, Kw};
use crate::error::ParseErrorKind;

/// Punctuators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum P {
    LParen,
    RParen,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Semi,
    Comma,
    Star,
    Colon,
    Question,
    Dot,
    Ellipsis,
    Plus,
    Minus,
    Tilde,
    Bang,
    Slash,
    Percent,
    Shl,
    Shr,
    Lt,
    Gt,
    Le,
    Ge,
    EqEq,
    Ne,
    Amp,
    Pipe,
    Caret,
    AndAnd,
    OrOr,
    Assign,
    /// Any other valid C punctuator (`->`, `++`, `+=`, `##`, ...): never
    /// valid in a declaration, kept so errors can name it.
    Other,
}

/// Token kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tk {
    /// Identifier or keyword.
    Ident,
    /// A preprocessing number (validated when used).
    Number,
    /// Character literal, prefix included.
    Char,
    /// String literal, prefix included.
    Str,
    /// Punctuator.
    Punct(P),
    /// `#` starting a directive line.
    Hash,
    /// End of a directive line.
    Eol,
    /// End of input.
    Eof,
    /// A lexical error (see [`Lexed::error`]); always the last token.
    Error,
}

/// One token: kind and span, with its 1-based line and column (in characters).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub tk: Tk,
    /// For identifiers: the keyword it is, classified once here.
    pub kw: Option<Kw>,
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

/// The result of tokenizing a text.
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    /// Kind and message of the lexical error the final [`Tk::Error`] token stands for.
    pub error: Option<(ParseErrorKind, String)>,
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    // Line/column bookkeeping: `line`/`col` describe byte `synced`.
    synced: usize,
    line: u32,
    col: u32,
    at_bol: bool,
    in_directive: bool,
    tokens: Vec<Token>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$'
}

fn is_ident_cont(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// Tokenizes `text`. Texts longer than 4 GiB are rejected with an error token.
pub(crate) fn lex(text: &str) -> Lexed {
    let mut lx = Lexer {
        text,
        b: text.as_bytes(),
        pos: 0,
        synced: 0,
        line: 1,
        col: 1,
        at_bol: true,
        in_directive: false,
        tokens: Vec::with_capacity(text.len() / 4 + 8),
    };
    if text.len() >= u32::MAX as usize {
        lx.push(Tk::Error, 0, 0);
        return Lexed {
            tokens: lx.tokens,
            error: Some((ParseErrorKind::Unsupported, "declaration text larger than 4 GiB".into())),
        };
    }
    let error = lx.run().err();
    Lexed {
        tokens: lx.tokens,
        error,
    }
}

impl Lexer<'_> {
    /// Brings `line`/`col` up to byte `to` (linear over the whole input).
    fn sync(&mut self, to: usize) {
        let seg = &self.b[self.synced..to];
        let chars = |s: &[u8]| s.iter().filter(|&&c| c & 0xC0 != 0x80).count() as u32;
        match seg.iter().rposition(|&c| c == b'\n') {
            Some(last) => {
                self.line += seg.iter().filter(|&&c| c == b'\n').count() as u32;
                self.col = 1 + chars(&seg[last + 1..]);
            }
            None => self.col += chars(seg),
        }
        self.synced = to;
    }

    fn push(&mut self, tk: Tk, start: usize, end: usize) {
        self.sync(start);
        let kw = if tk == Tk::Ident {
            self.text.get(start..end).and_then(keyword)
        } else {
            None
        };
        self.tokens.push(Token {
            tk,
            kw,
            start: start as u32,
            end: end as u32,
            line: self.line,
            col: self.col,
        });
    }

    fn peek(&self, off: usize) -> u8 {
        self.b.get(self.pos + off).copied().unwrap_or(0)
    }

    fn fail(&mut self, at: usize, kind: ParseErrorKind, msg: String) -> Result<(), (ParseErrorKind, String)> {
        let end = (at + 1).min(self.b.len());
        // Keep the span on a char boundary.
        let mut end = end;
        while end < self.b.len() && self.b[end] & 0xC0 == 0x80 {
            end += 1;
        }
        self.push(Tk::Error, at, end);
        Err((kind, msg))
    }

    fn run(&mut self) -> Result<(), (ParseErrorKind, String)> {
        loop {
            // Whitespace, comments, line continuations.
            let c = self.peek(0);
            match c {
                0 if self.pos >= self.b.len() => {
                    if self.in_directive {
                        self.push(Tk::Eol, self.pos, self.pos);
                    }
                    self.push(Tk::Eof, self.pos, self.pos);
                    return Ok(());
                }
                b'\n' => {
                    if self.in_directive {
                        self.push(Tk::Eol, self.pos, self.pos);
                        self.in_directive = false;
                    }
                    self.at_bol = true;
                    self.pos += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    self.pos += 1;
                    continue;
                }
                b'\\' => {
                    let mut p = self.pos + 1;
                    while p < self.b.len() && matches!(self.b[p], b' ' | b'\t' | b'\r') {
                        p += 1;
                    }
                    if p < self.b.len() && self.b[p] == b'\n' {
                        self.pos = p + 1;
                        continue;
                    }
                    return self.fail(
                        self.pos,
                        ParseErrorKind::InvalidCharacter,
                        "stray `\\` in declaration text".into(),
                    );
                }
                b'/' if self.peek(1) == b'/' => {
                    while self.pos < self.b.len() && self.b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                    continue;
                }
                b'/' if self.peek(1) == b'*' => {
                    let start = self.pos;
                    let rest = &self.b[self.pos + 2..];
                    match rest.windows(2).position(|w| w == b"*/") {
                        Some(i) => {
                            self.pos += 2 + i + 2;
                            continue;
                        }
                        None => {
                            return self.fail(
                                start,
                                ParseErrorKind::Unterminated,
                                "unterminated comment: `/*` without a matching `*/`".into(),
                            );
                        }
                    }
                }
                _ => {}
            }
            let start = self.pos;
            let bol = std::mem::replace(&mut self.at_bol, false);
            if c == b'#' && bol && !self.in_directive {
                self.pos += 1;
                self.in_directive = true;
                self.push(Tk::Hash, start, self.pos);
                continue;
            }
            if is_ident_start(c) {
                while is_ident_cont(self.peek(0)) {
                    self.pos += 1;
                }
                let word = &self.b[start..self.pos];
                let q = self.peek(0);
                if (q == b'\'' || q == b'"') && matches!(word, b"L" | b"u" | b"U" | b"u8") {
                    self.quoted(start, q)?;
                    continue;
                }
                self.push(Tk::Ident, start, self.pos);
                continue;
            }
            if c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit()) {
                self.pos += 1;
                loop {
                    let d = self.peek(0);
                    let exp_sign =
                        matches!(d, b'+' | b'-') && matches!(self.b[self.pos - 1], b'e' | b'E' | b'p' | b'P');
                    if exp_sign || is_ident_cont(d) || d == b'.' {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                self.push(Tk::Number, start, self.pos);
                continue;
            }
            if c == b'\'' || c == b'"' {
                self.quoted(start, c)?;
                continue;
            }
            let (p, len) = match (c, self.peek(1), self.peek(2)) {
                (b'.', b'.', b'.') => (P::Ellipsis, 3),
                (b'<', b'<', b'=') | (b'>', b'>', b'=') => (P::Other, 3),
                (b'<', b'<', _) => (P::Shl, 2),
                (b'>', b'>', _) => (P::Shr, 2),
                (b'<', b'=', _) => (P::Le, 2),
                (b'>', b'=', _) => (P::Ge, 2),
                (b'=', b'=', _) => (P::EqEq, 2),
                (b'!', b'=', _) => (P::Ne, 2),
                (b'&', b'&', _) => (P::AndAnd, 2),
                (b'|', b'|', _) => (P::OrOr, 2),
                (b'-', b'>', _) | (b'+', b'+', _) | (b'-', b'-', _) | (b'#', b'#', _) => (P::Other, 2),
                (b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^', b'=', _) => (P::Other, 2),
                (b'(', ..) => (P::LParen, 1),
                (b')', ..) => (P::RParen, 1),
                (b'[', ..) => (P::LBrack, 1),
                (b']', ..) => (P::RBrack, 1),
                (b'{', ..) => (P::LBrace, 1),
                (b'}', ..) => (P::RBrace, 1),
                (b';', ..) => (P::Semi, 1),
                (b',', ..) => (P::Comma, 1),
                (b'*', ..) => (P::Star, 1),
                (b':', ..) => (P::Colon, 1),
                (b'?', ..) => (P::Question, 1),
                (b'.', ..) => (P::Dot, 1),
                (b'+', ..) => (P::Plus, 1),
                (b'-', ..) => (P::Minus, 1),
                (b'~', ..) => (P::Tilde, 1),
                (b'!', ..) => (P::Bang, 1),
                (b'/', ..) => (P::Slash, 1),
                (b'%', ..) => (P::Percent, 1),
                (b'<', ..) => (P::Lt, 1),
                (b'>', ..) => (P::Gt, 1),
                (b'&', ..) => (P::Amp, 1),
                (b'|', ..) => (P::Pipe, 1),
                (b'^', ..) => (P::Caret, 1),
                (b'=', ..) => (P::Assign, 1),
                (b'#', ..) => (P::Other, 1),
                _ => {
                    let shown = std::str::from_utf8(&self.b[start..])
                        .ok()
                        .and_then(|s| s.chars().next())
                        .map_or_else(|| format!("byte 0x{c:02x}"), |ch| format!("{ch:?}"));
                    return self.fail(
                        start,
                        ParseErrorKind::InvalidCharacter,
                        format!("invalid character {shown} in declaration text"),
                    );
                }
            };
            self.pos += len;
            self.push(Tk::Punct(p), start, self.pos);
        }
    }

    /// A character or string literal whose opening quote is at `self.pos`
    /// (`start` includes any prefix).
    fn quoted(&mut self, start: usize, q: u8) -> Result<(), (ParseErrorKind, String)> {
        self.pos += 1;
        loop {
            match self.peek(0) {
                0 if self.pos >= self.b.len() => break,
                b'\n' => break,
                b'\\' => self.pos += 2,
                c if c == q => {
                    self.pos += 1;
                    let tk = if q == b'"' { Tk::Str } else { Tk::Char };
                    self.push(tk, start, self.pos);
                    return Ok(());
                }
                _ => self.pos += 1,
            }
        }
        let what = if q == b'"' {
            "string literal"
        } else {
            "character constant"
        };
        let quote = q as char;
        self.fail(
            start,
            ParseErrorKind::Unterminated,
            format!("unterminated {what}: missing closing `{quote}` on the same line"),
        )
    }
}
