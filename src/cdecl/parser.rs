//! The parser state and its token helpers, shared by the grammar modules
//! ([`super::specs`], [`super::declarator`], [`super::record`],
//! [`super::expr`], [`super::directive`], [`super::decl`]).

use super::builtins;
use super::lexer::{lex, Tk, Token, P};
use crate::decls::Decls;
use crate::error::{Error, ParseErrorKind};
use crate::types::{TypeId, Types};

use crate::types::MAX_DEPTH;

/// How often [`Parser::bump`] may be called at a sticky end (end of input or
/// of a directive line) before the parse fails: a guarantee that no loop
/// over tokens can spin there, whatever it forgot to check.
const MAX_STUCK_BUMPS: u32 = 1024;

/// A parse error, boxed so that every `Result` in the recursive descent
/// stays pointer-sized (deep nesting then needs little stack).
pub(crate) struct PErr(pub(crate) Box<Error>);

/// `Result` of the parser's internal functions.
pub(crate) type PResult<T> = std::result::Result<T, PErr>;

/// The parser: the tokens of one text and the tables it adds to.
pub(crate) struct Parser<'a> {
    pub(super) src: &'a str,
    pub(super) toks: Vec<Token>,
    lex_error: Option<(ParseErrorKind, String)>,
    pub(super) pos: usize,
    pub(super) types: &'a mut Types,
    pub(super) decls: &'a mut Decls,
    depth: u32,
    /// Inside a directive line: `Eol` ends the token run, no nested directives.
    pub(super) in_directive: bool,
    /// Inside an unevaluated operand (`0 && 1/0`): arithmetic errors are ignored.
    pub(super) uneval: u32,
    /// Set where a type abicall cannot represent (`_Float128` on x86_64,
    /// `_Float16`, decimal floats) was met: the file-scope declaration that
    /// uses it is skipped instead of failing the whole text.
    pub(super) unsupported_type_at: Option<usize>,
    /// `TypeId`s of the scalars, looked up once.
    prims: [Option<TypeId>; 32],
    /// `bump` calls that could not advance (at the end of the input or of a
    /// directive line): a loop that keeps bumping there is cut short with an
    /// error instead of spinning.
    stuck: u32,
}

impl<'a> Parser<'a> {
    /// Tokenizes `text` and processes the directives at its start.
    pub(crate) fn new(types: &'a mut Types, decls: &'a mut Decls, text: &'a str) -> PResult<Parser<'a>> {
        let lexed = lex(text);
        let mut p = Parser {
            src: text,
            toks: lexed.tokens,
            lex_error: lexed.error,
            pos: 0,
            types,
            decls,
            depth: 0,
            in_directive: false,
            stuck: 0,
            uneval: 0,
            unsupported_type_at: None,
            prims: [None; 32],
        };
        p.directives()?;
        Ok(p)
    }

    /// The current token.
    pub(super) fn tok(&self) -> Token {
        self.toks[self.pos]
    }

    /// The text of a token.
    pub(super) fn text_of(&self, t: Token) -> &'a str {
        &self.src[t.start as usize..t.end as usize]
    }

    /// The text of the current token.
    pub(super) fn cur_text(&self) -> &'a str {
        self.text_of(self.tok())
    }

    /// True if the current token is punctuator `p`.
    pub(super) fn at(&self, p: P) -> bool {
        self.tok().tk == Tk::Punct(p)
    }

    /// True if the current token is the identifier/keyword `word`.
    pub(super) fn at_word(&self, word: &str) -> bool {
        let t = self.tok();
        t.tk == Tk::Ident && self.text_of(t) == word
    }

    /// True at the end of the input (or of the directive line being parsed).
    pub(super) fn at_end(&self) -> bool {
        matches!(self.tok().tk, Tk::Eof | Tk::Eol | Tk::Error)
    }

    /// The token `n` positions ahead, looking over directive lines.
    pub(super) fn nth(&self, n: usize) -> Token {
        let mut i = self.pos;
        for _ in 0..n {
            if matches!(self.toks[i].tk, Tk::Eof | Tk::Error) || (self.in_directive && self.toks[i].tk == Tk::Eol) {
                break;
            }
            i += 1;
            if !self.in_directive {
                while self.toks[i].tk == Tk::Hash {
                    while !matches!(self.toks[i].tk, Tk::Eol | Tk::Error | Tk::Eof) {
                        i += 1;
                    }
                    if self.toks[i].tk == Tk::Eol {
                        i += 1;
                    }
                }
            }
        }
        self.toks[i]
    }

    /// Moves to the next token, processing any directive lines on the way.
    pub(super) fn bump(&mut self) -> PResult<()> {
        if matches!(self.tok().tk, Tk::Eof | Tk::Error) || (self.in_directive && self.tok().tk == Tk::Eol) {
            self.stuck += 1;
            if self.stuck > MAX_STUCK_BUMPS {
                return Err(self.unexpected("more input"));
            }
            return Ok(());
        }
        self.pos += 1;
        if !self.in_directive {
            self.directives()?;
        }
        Ok(())
    }

    /// Consumes punctuator `p` if it is next.
    pub(super) fn eat(&mut self, p: P) -> PResult<bool> {
        if self.at(p) {
            self.bump()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Consumes punctuator `p` or fails with "expected `p` {context}, found ...".
    pub(super) fn expect(&mut self, p: P, spelling: &str, context: &str) -> PResult<()> {
        if self.eat(p)? {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{spelling}`{context}")))
        }
    }

    /// How a token is named in messages.
    pub(super) fn describe(&self, t: Token) -> String {
        match t.tk {
            Tk::Eof => "end of input".to_string(),
            Tk::Eol => "end of line".to_string(),
            _ => format!("`{}`", self.text_of(t)),
        }
    }

    /// An error at token index `idx`. If that token is the lexical-error
    /// token, the lexical error is reported instead.
    #[cold]
    #[inline(never)]
    pub(super) fn err_at(&self, idx: usize, kind: ParseErrorKind, message: String) -> PErr {
        let t = self.toks[idx];
        if t.tk == Tk::Error {
            let (k, m) = self
                .lex_error
                .clone()
                .unwrap_or((ParseErrorKind::InvalidCharacter, "invalid input".to_string()));
            return PErr(Box::new(Error::Parse {
                kind: k,
                line: t.line,
                col: t.col,
                token: self.text_of(t).to_string(),
                message: m,
            }));
        }
        PErr(Box::new(Error::Parse {
            kind,
            line: t.line,
            col: t.col,
            token: match t.tk {
                Tk::Eof | Tk::Eol => String::new(),
                _ => self.text_of(t).to_string(),
            },
            message,
        }))
    }

    /// An error at the current token.
    #[cold]
    pub(super) fn err(&self, kind: ParseErrorKind, message: String) -> PErr {
        self.err_at(self.pos, kind, message)
    }

    /// "expected {what}, found {current token}" (`UnexpectedEof` at the end).
    #[cold]
    #[inline(never)]
    pub(super) fn unexpected(&self, what: &str) -> PErr {
        let t = self.tok();
        let kind = if t.tk == Tk::Eof {
            ParseErrorKind::UnexpectedEof
        } else {
            ParseErrorKind::UnexpectedToken
        };
        self.err(kind, format!("expected {what}, found {}", self.describe(t)))
    }

    /// Enters one nesting level (declarator, parenthesis, member list, ...).
    pub(super) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                ParseErrorKind::NestingTooDeep,
                format!("declarations or expressions nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// Leaves a nesting level entered with [`Parser::enter`].
    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The `TypeId` of scalar `p` (cached: interning hashes).
    pub(super) fn prim(&mut self, p: crate::types::Prim) -> TypeId {
        let slot = &mut self.prims[(p as usize) & 31];
        match slot {
            Some(id) => *id,
            None => {
                let id = self.types.prim(p);
                *slot = Some(id);
                id
            }
        }
    }

    /// The nesting counters, to restore after an error that is recovered from.
    pub(super) fn save_nesting(&self) -> (u32, u32) {
        (self.depth, self.uneval)
    }

    /// Restores counters saved with [`Parser::save_nesting`].
    pub(super) fn restore_nesting(&mut self, saved: (u32, u32)) {
        (self.depth, self.uneval) = saved;
    }

    /// The type a typedef name stands for (declared or builtin).
    pub(super) fn typedef_type(&mut self, name: &str) -> Option<TypeId> {
        if let Some(&t) = self.decls.typedefs.get(name) {
            return Some(t);
        }
        builtins::resolve(self.types, self.decls, name)
    }

    /// Whether `name` is a typedef name (declared or builtin), without side effects.
    pub(super) fn is_typedef_name(&self, name: &str) -> bool {
        self.decls.typedefs.contains_key(name) || builtins::is_builtin(name)
    }

    /// Skips a balanced `(...)`, `[...]` or `{...}` group starting at the
    /// current (opening) token. Iterative: any depth is fine.
    pub(super) fn skip_balanced(&mut self) -> PResult<()> {
        let open_idx = self.pos;
        let mut stack: Vec<P> = Vec::new();
        loop {
            let t = self.tok();
            match t.tk {
                Tk::Punct(P::LParen) => stack.push(P::RParen),
                Tk::Punct(P::LBrack) => stack.push(P::RBrack),
                Tk::Punct(P::LBrace) => stack.push(P::RBrace),
                Tk::Punct(c @ (P::RParen | P::RBrack | P::RBrace)) if stack.pop() != Some(c) => {
                    return Err(self.err(
                        ParseErrorKind::UnexpectedToken,
                        format!("unbalanced `{}`", self.text_of(t)),
                    ));
                }
                Tk::Eof | Tk::Error | Tk::Eol => {
                    let o = self.toks[open_idx];
                    return Err(self.unexpected(&format!(
                        "the match of `{}` opened at {}:{}",
                        self.text_of(o),
                        o.line,
                        o.col
                    )));
                }
                _ => {}
            }
            self.bump()?;
            if stack.is_empty() {
                return Ok(());
            }
        }
    }
}
