//! Directive lines left in preprocessed text: `#define NAME <constant
//! expression>`, `#pragma pack(...)`, line markers (`# 1 "file.h"`),
//! `#line`, `#ident`, other `#pragma`s and `#undef`.
//!
//! A `#define` whose body is not an integer or floating constant expression
//! (a function-like macro, a string, an expression naming an unknown
//! identifier, an empty body) is skipped silently: real headers have many.
//! Conditional and include directives mean the text was not preprocessed:
//! they are `Unsupported` errors that say so.

use super::constexpr::Val;
use super::lexer::{Tk, P};
use super::parser::{PResult, Parser};
use crate::decls::{Constant, DeclKind};
use crate::error::ParseErrorKind;

impl Parser<'_> {
    /// Processes the directive lines at the current position.
    pub(super) fn directives(&mut self) -> PResult<()> {
        while self.tok().tk == Tk::Hash {
            self.in_directive = true;
            let r = self.directive();
            self.in_directive = false;
            r?;
            // Skip the rest of the line.
            while !matches!(self.tok().tk, Tk::Eol | Tk::Eof | Tk::Error) {
                self.pos += 1;
            }
            if self.tok().tk == Tk::Eol {
                self.pos += 1;
            }
        }
        Ok(())
    }

    fn directive(&mut self) -> PResult<()> {
        self.bump()?; // `#`
        let t = self.tok();
        match t.tk {
            // Null directive, line marker (`# 12 "file.h" 1 3 4`).
            Tk::Eol | Tk::Number | Tk::Eof => Ok(()),
            Tk::Ident => match self.text_of(t) {
                "define" => self.define(),
                "undef" => {
                    self.bump()?;
                    // Only constants can have come from a #define; leave
                    // enumerators (same namespace in C) alone.
                    Ok(())
                }
                "pragma" => {
                    self.bump()?;
                    if self.at_word("pack") {
                        self.bump()?;
                        self.pragma_pack()
                    } else {
                        Ok(())
                    }
                }
                "line" | "ident" | "sccs" | "warning" => Ok(()),
                "include" | "include_next" | "import" | "if" | "ifdef" | "ifndef" | "elif" | "elifdef" | "elifndef"
                | "else" | "endif" | "error" | "embed" => Err(self.err(
                    ParseErrorKind::Unsupported,
                    format!(
                        "`#{}` is a preprocessor directive: run the text through the C preprocessor \
                         first (e.g. `cpp -P`)",
                        self.text_of(t)
                    ),
                )),
                other => Err(self.err(
                    ParseErrorKind::Unsupported,
                    format!("unknown preprocessor directive `#{other}`"),
                )),
            },
            _ => Err(self.unexpected("a directive name after `#`")),
        }
    }

    fn define(&mut self) -> PResult<()> {
        self.bump()?;
        let name_tok = self.tok();
        if name_tok.tk != Tk::Ident {
            return Err(self.unexpected("a macro name after `#define`"));
        }
        let name = self.text_of(name_tok);
        let name_idx = self.pos;
        self.bump()?;
        // Function-like macro: `(` right after the name.
        if self.at(P::LParen) && self.tok().start == name_tok.end {
            return Ok(());
        }
        if self.at_end() {
            return Ok(());
        }
        // `#define ALIAS OTHER_CONSTANT` keeps the constant exactly.
        if self.tok().tk == Tk::Ident && self.nth(1).tk == Tk::Eol {
            if let Some(&c) = self.decls.constants.get(self.cur_text()) {
                return self.define_constant(name, name_idx, c);
            }
        }
        let saved = self.save_nesting();
        let value = match self.const_expr() {
            Ok(v) if self.tok().tk == Tk::Eol || self.tok().tk == Tk::Eof => v,
            _ => {
                self.restore_nesting(saved);
                return Ok(());
            }
        };
        let c = match value {
            Val::Int(v, p) => Constant::Int {
                value: v,
                ty: self.types.prim(p),
            },
            Val::Float(f, p) => Constant::Float {
                value: f,
                ty: self.types.prim(p),
            },
        };
        self.define_constant(name, name_idx, c)
    }

    /// Adds constant `name`; an identical redefinition is accepted.
    pub(super) fn define_constant(&mut self, name: &str, idx: usize, c: Constant) -> PResult<()> {
        match self.decls.constants.get(name) {
            Some(old) if *old == c => Ok(()),
            Some(old) => Err(self.err_at(
                idx,
                ParseErrorKind::Redefinition,
                format!(
                    "`{name}` redefined with a different value (was {}, now {})",
                    self.show_constant(old),
                    self.show_constant(&c)
                ),
            )),
            None => {
                self.decls.constants.insert(name.to_string(), c);
                self.decls.order.push((DeclKind::Constant, name.to_string()));
                Ok(())
            }
        }
    }

    fn show_constant(&self, c: &Constant) -> String {
        match c {
            Constant::Int { value, ty } => format!("{value} of type `{}`", self.types.display(*ty)),
            Constant::Float { value, ty } => format!("{value} of type `{}`", self.types.display(*ty)),
        }
    }

    /// `#pragma pack(N)`, `pack()`, `pack(push[, N])`, `pack(pop)`.
    fn pragma_pack(&mut self) -> PResult<()> {
        self.expect(P::LParen, "(", " after `#pragma pack`")?;
        if self.eat(P::RParen)? {
            self.decls.pack = None;
            return Ok(());
        }
        if self.tok().tk == Tk::Number {
            let n = self.pack_value()?;
            self.decls.pack = n;
        } else if self.at_word("push") {
            self.bump()?;
            self.decls.pack_stack.push(self.decls.pack);
            if self.eat(P::Comma)? {
                if self.tok().tk == Tk::Ident {
                    // `push, identifier[, N]` (MSVC form): the label is ignored.
                    self.bump()?;
                    if !self.eat(P::Comma)? {
                        return self.expect(P::RParen, ")", " to close `#pragma pack(`");
                    }
                }
                let n = self.pack_value()?;
                self.decls.pack = n;
            }
        } else if self.at_word("pop") {
            self.bump()?;
            // gcc warns and keeps the current value on an empty stack.
            if let Some(v) = self.decls.pack_stack.pop() {
                self.decls.pack = v;
            }
        } else {
            return Err(self.unexpected("a number, `push` or `pop` in `#pragma pack(...)`"));
        }
        self.expect(P::RParen, ")", " to close `#pragma pack(`")
    }

    fn pack_value(&mut self) -> PResult<Option<u64>> {
        let t = self.tok();
        let v = match (t.tk, self.text_of(t).parse::<u64>()) {
            (Tk::Number, Ok(v)) if v == 0 || (v.is_power_of_two() && v <= 16) => v,
            _ => return Err(self.unexpected("1, 2, 4, 8 or 16 in `#pragma pack`")),
        };
        self.bump()?;
        Ok(if v == 0 { None } else { Some(v) })
    }
}
