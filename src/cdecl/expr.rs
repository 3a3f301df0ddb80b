//! Constant expressions (C11 6.6): literals, enumerators and other named
//! constants, unary and binary operators, `?:`, casts, `sizeof`,
//! `_Alignof` and `__builtin_offsetof`. See [`super::constexpr`] for the
//! arithmetic.

use super::constexpr::{BinOp, Val};
use super::lexer::{Tk, P};
use super::literals;
use super::parser::{PResult, Parser};
use super::specs::Kw;
use crate::decls::Constant;
use crate::error::ParseErrorKind;
use crate::types::{int_fits, Prim, TypeId, TypeKind};

/// Operators of the binary-expression levels, with their precedence.
enum Op2 {
    Bin(BinOp),
    LogAnd,
    LogOr,
}

impl Parser<'_> {
    /// A conditional expression (what C calls a constant-expression).
    pub(super) fn const_expr(&mut self) -> PResult<Val> {
        self.enter()?;
        let r = self.conditional();
        self.leave();
        r
    }

    fn conditional(&mut self) -> PResult<Val> {
        let c = self.binary(1)?;
        if !self.eat(P::Question)? {
            return Ok(c);
        }
        let cond = c.truthy();
        self.uneval += u32::from(!cond);
        let a = self.comma_expr();
        self.uneval -= u32::from(!cond);
        let a = a?;
        self.expect(P::Colon, ":", " in the conditional expression")?;
        self.uneval += u32::from(cond);
        let b = self.const_expr();
        self.uneval -= u32::from(cond);
        let b = b?;
        let t = self.types.target();
        Ok(if cond {
            a.conditional_result(b, t)
        } else {
            b.conditional_result(a, t)
        })
    }

    /// `expr, expr, ...` (inside parentheses).
    fn comma_expr(&mut self) -> PResult<Val> {
        let mut v = self.const_expr()?;
        while self.eat(P::Comma)? {
            v = self.const_expr()?;
        }
        Ok(v)
    }

    fn binop(&self) -> Option<(Op2, u8)> {
        let Tk::Punct(p) = self.tok().tk else {
            return None;
        };
        use BinOp as B;
        Some(match p {
            P::OrOr => (Op2::LogOr, 1),
            P::AndAnd => (Op2::LogAnd, 2),
            P::Pipe => (Op2::Bin(B::Or), 3),
            P::Caret => (Op2::Bin(B::Xor), 4),
            P::Amp => (Op2::Bin(B::And), 5),
            P::EqEq => (Op2::Bin(B::Eq), 6),
            P::Ne => (Op2::Bin(B::Ne), 6),
            P::Lt => (Op2::Bin(B::Lt), 7),
            P::Gt => (Op2::Bin(B::Gt), 7),
            P::Le => (Op2::Bin(B::Le), 7),
            P::Ge => (Op2::Bin(B::Ge), 7),
            P::Shl => (Op2::Bin(B::Shl), 8),
            P::Shr => (Op2::Bin(B::Shr), 8),
            P::Plus => (Op2::Bin(B::Add), 9),
            P::Minus => (Op2::Bin(B::Sub), 9),
            P::Star => (Op2::Bin(B::Mul), 10),
            P::Slash => (Op2::Bin(B::Div), 10),
            P::Percent => (Op2::Bin(B::Rem), 10),
            _ => return None,
        })
    }

    /// Precedence climbing over the binary operators (left-associative).
    fn binary(&mut self, min_prec: u8) -> PResult<Val> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binop() {
            if prec < min_prec {
                break;
            }
            let op_idx = self.pos;
            self.bump()?;
            lhs = match op {
                Op2::LogAnd | Op2::LogOr => {
                    let is_and = matches!(op, Op2::LogAnd);
                    let skip = lhs.truthy() != is_and;
                    self.uneval += u32::from(skip);
                    let rhs = self.binary(prec + 1);
                    self.uneval -= u32::from(skip);
                    let rhs = rhs?;
                    let r = if is_and {
                        lhs.truthy() && rhs.truthy()
                    } else {
                        lhs.truthy() || rhs.truthy()
                    };
                    Val::Int(r as i128, Prim::Int)
                }
                Op2::Bin(b) => {
                    let rhs = self.binary(prec + 1)?;
                    match lhs.binary(b, rhs, self.types.target()) {
                        Ok(v) => v,
                        Err(_) if self.uneval > 0 => Val::Int(0, Prim::Int),
                        Err(m) => return Err(self.err_at(op_idx, ParseErrorKind::ConstExpr, m)),
                    }
                }
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> PResult<Val> {
        let t = self.tok();
        let idx = self.pos;
        let op = match t.tk {
            Tk::Punct(P::Minus) => Some('-'),
            Tk::Punct(P::Plus) => Some('+'),
            Tk::Punct(P::Tilde) => Some('~'),
            Tk::Punct(P::Bang) => Some('!'),
            _ => None,
        };
        if let Some(op) = op {
            self.bump()?;
            self.enter()?;
            let v = self.unary();
            self.leave();
            return v?
                .unary(op, self.types.target())
                .map_err(|m| self.err_at(idx, ParseErrorKind::ConstExpr, m));
        }
        if t.tk == Tk::Ident {
            match t.kw {
                Some(Kw::Sizeof) => return self.size_or_align(true),
                Some(Kw::Alignof) => return self.size_or_align(false),
                Some(Kw::BuiltinOffsetof) => return self.offsetof(),
                _ => {}
            }
        }
        if t.tk == Tk::Punct(P::LParen) && self.starts_type(self.nth(1)) {
            self.bump()?;
            let ty = self.type_name()?;
            self.expect(P::RParen, ")", " to close the cast")?;
            self.enter()?;
            let v = self.unary();
            self.leave();
            return self.cast(v?, ty, idx);
        }
        self.primary()
    }

    /// `(type) value`.
    fn cast(&mut self, v: Val, ty: TypeId, idx: usize) -> PResult<Val> {
        let t = self.types.target();
        match self.types.as_prim(ty) {
            Some(p) if p.is_integer() => v
                .convert_int(p, t)
                .map_err(|m| self.err_at(idx, ParseErrorKind::ConstExpr, m)),
            Some(p) if p.is_real_float() => {
                let f = v.as_f64(t);
                Ok(Val::Float(if p == Prim::Float { f as f32 as f64 } else { f }, p))
            }
            _ => Err(self.err_at(
                idx,
                ParseErrorKind::ConstExpr,
                format!(
                    "cast to `{}` is not allowed in an integer constant expression",
                    self.types.display(ty)
                ),
            )),
        }
    }

    /// `sizeof` / `_Alignof` of a type name, a declared variable or an expression.
    fn size_or_align(&mut self, size: bool) -> PResult<Val> {
        let kw = self.cur_text();
        self.bump()?;
        let idx = self.pos;
        let ty = if self.at(P::LParen) && self.starts_type(self.nth(1)) {
            self.bump()?;
            let ty = self.type_name()?;
            self.expect(P::RParen, ")", &format!(" to close `{kw}(`"))?;
            ty
        } else if let Some(ty) = self.variable_operand()? {
            ty
        } else {
            self.enter()?;
            self.uneval += 1;
            let v = self.unary();
            self.uneval -= 1;
            self.leave();
            let p = match v? {
                Val::Int(_, p) | Val::Float(_, p) => p,
            };
            self.types.prim(p)
        };
        // C11 `_Alignof` / `alignof` is gcc's `min_align_of_type`, GNU
        // `__alignof__` the layout alignment (they differ only for types
        // over-aligned by a large x86_64 vector).
        let c11 = matches!(kw, "_Alignof" | "alignof");
        let r = match self.types.kind(ty) {
            // gcc extension: sizeof(void) == 1.
            TypeKind::Prim(Prim::Void) => Ok((1, 1)),
            _ if c11 && !size => self
                .types
                .size_align(ty)
                .and_then(|(s, _)| Ok((s, self.types.c11_align_of(ty)?))),
            _ => self.types.size_align(ty),
        };
        let (s, a) = r.map_err(|e| {
            self.err_at(
                idx,
                ParseErrorKind::ConstExpr,
                format!("invalid application of `{kw}`: {}", e.message()),
            )
        })?;
        Ok(Val::Int(if size { s } else { a } as i128, Prim::ULong))
    }

    /// `x` or `(x)` naming a declared variable: its type.
    fn variable_operand(&mut self) -> PResult<Option<TypeId>> {
        let (paren, name_tok) = if self.at(P::LParen) {
            (true, self.nth(1))
        } else {
            (false, self.tok())
        };
        if name_tok.tk != Tk::Ident {
            return Ok(None);
        }
        let Some(ty) = self.decls.variables.get(self.text_of(name_tok)).map(|v| v.ty) else {
            return Ok(None);
        };
        if paren && self.nth(2).tk != Tk::Punct(P::RParen) {
            return Ok(None);
        }
        self.bump()?;
        if paren {
            self.bump()?;
            self.bump()?;
        }
        Ok(Some(ty))
    }

    /// `__builtin_offsetof(type, member.designator[3])`.
    fn offsetof(&mut self) -> PResult<Val> {
        self.bump()?;
        self.expect(P::LParen, "(", " after `__builtin_offsetof`")?;
        let ty = self.type_name()?;
        self.expect(P::Comma, ",", " after the type in `__builtin_offsetof`")?;
        let start = self.pos;
        let mut path = String::new();
        loop {
            if self.tok().tk == Tk::Ident && (path.is_empty() || path.ends_with('.')) {
                path.push_str(self.cur_text());
                self.bump()?;
            } else if !path.is_empty() && !path.ends_with('.') && self.at(P::Dot) {
                path.push('.');
                self.bump()?;
            } else if !path.is_empty() && !path.ends_with('.') && self.at(P::LBrack) {
                self.bump()?;
                let i = self.const_expr()?;
                let Val::Int(i, _) = i else {
                    return Err(self.err(ParseErrorKind::ConstExpr, "array index is not an integer".to_string()));
                };
                path.push_str(&format!("[{i}]"));
                self.expect(P::RBrack, "]", " after the index")?;
            } else {
                break;
            }
        }
        if path.is_empty() || path.ends_with('.') {
            return Err(self.unexpected("a member name"));
        }
        self.expect(P::RParen, ")", " to close `__builtin_offsetof(`")?;
        let fp = self
            .types
            .offset_of(ty, &path)
            .map_err(|e| self.err_at(start, ParseErrorKind::ConstExpr, e.to_string()))?;
        if fp.bit.is_some() {
            return Err(self.err_at(
                start,
                ParseErrorKind::ConstExpr,
                format!("cannot take the offset of bitfield `{path}`"),
            ));
        }
        Ok(Val::Int(fp.offset as i128, Prim::ULong))
    }

    fn primary(&mut self) -> PResult<Val> {
        let t = self.tok();
        let target = self.types.target();
        match t.tk {
            Tk::Number => {
                let v = literals::number(self.text_of(t), target)
                    .map_err(|m| self.err(ParseErrorKind::InvalidLiteral, m))?;
                self.bump()?;
                Ok(v)
            }
            Tk::Char => {
                let v = literals::char_const(self.text_of(t), target)
                    .map_err(|m| self.err(ParseErrorKind::InvalidLiteral, m))?;
                self.bump()?;
                Ok(v)
            }
            Tk::Str => Err(self.err(
                ParseErrorKind::ConstExpr,
                "a string literal is not an arithmetic constant".to_string(),
            )),
            Tk::Punct(P::LParen) => {
                self.bump()?;
                let v = self.comma_expr()?;
                self.expect(P::RParen, ")", " to close the parenthesis")?;
                Ok(v)
            }
            Tk::Ident if t.kw.is_none() => {
                let name = self.text_of(t);
                match self.decls.constants.get(name).copied() {
                    Some(c) => {
                        self.bump()?;
                        Ok(self.constant_value(c))
                    }
                    None if self.is_typedef_name(name) => Err(self.unexpected("an expression")),
                    None => Err(self.err(
                        ParseErrorKind::UnknownIdentifier,
                        format!("`{name}` is not a constant (sizes and values must be constant expressions)"),
                    )),
                }
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// The value and C type of a named constant. Enumerators have type
    /// `int` when their value fits (C11 6.4.4.3), else the enum's type.
    fn constant_value(&self, c: Constant) -> Val {
        let t = self.types.target();
        match c {
            Constant::Float { value, ty } => Val::Float(value, self.types.as_prim(ty).unwrap_or(Prim::Double)),
            Constant::Int { value, ty } => {
                let p = match self.types.kind(ty) {
                    TypeKind::Enum(_) => {
                        if int_fits(Prim::Int, value, t) {
                            Prim::Int
                        } else {
                            [Prim::Long, Prim::ULong, Prim::Int128]
                                .into_iter()
                                .find(|p| int_fits(*p, value, t))
                                .unwrap_or(Prim::UInt128)
                        }
                    }
                    _ => self.types.as_prim(ty).filter(|p| p.is_integer()).unwrap_or(Prim::Long),
                };
                Val::Int(value, p)
            }
        }
    }
}
