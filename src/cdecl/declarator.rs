//! Declarators (C11 6.7.6): pointers, arrays, function parameter lists,
//! parenthesized and abstract declarators, and how they derive a type from
//! the base type.
//!
//! A declarator is parsed into a list of derivations ([`Op`]) that are then
//! applied to the base type in order: the pointers written before the name
//! first, then the suffixes from the last to the first, then the
//! derivations of a parenthesized inner declarator. `int (*f[2])(double)`
//! gives `[Func(double), Ptr, Array(2)]`.

use super::constexpr::Val;
use super::lexer::{Tk, P};
use super::parser::{PResult, Parser};
use super::specs::{Attrs, Kw, SpecCtx};
use crate::error::ParseErrorKind;
use crate::types::{Prim, Quals, TypeId, TypeKind};

/// Largest object the parser accepts (2^56 bytes): record layout works in
/// bits, so sizes must stay far from `u64::MAX / 8`.
pub(super) const MAX_OBJECT_SIZE: u64 = 1 << 56;

/// One type derivation of a declarator.
#[derive(Clone, Debug)]
pub(super) enum Op {
    /// `* quals`.
    Ptr(Quals),
    /// `[len]`.
    Array { len: Option<u64> },
    /// `(params)`.
    Func {
        params: Vec<TypeId>,
        names: Vec<Option<String>>,
        variadic: bool,
        /// Written `()`: no prototype (treated as no parameters).
        unprototyped: bool,
    },
}

/// A parsed declarator.
#[derive(Clone, Debug, Default)]
pub(super) struct Declarator {
    /// The declared name and its token index.
    pub name: Option<(String, usize)>,
    pub ops: Vec<Op>,
    /// Attributes written inside the declarator and after it.
    pub attrs: Attrs,
}

impl Declarator {
    /// Parameter names of the function this declarator declares (if it does).
    pub(super) fn param_names(&self) -> Option<&[Option<String>]> {
        match self.ops.last() {
            Some(Op::Func { names, .. }) => Some(names),
            _ => None,
        }
    }

    /// True when it declares a function written with `()`.
    pub(super) fn unprototyped(&self) -> bool {
        matches!(self.ops.last(), Some(Op::Func { unprototyped: true, .. }))
    }
}

/// Whether a declarator must, may or must not have a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DeclMode {
    /// Declarations and members.
    Named,
    /// Type names.
    Abstract,
    /// Parameters.
    Either,
}

impl Parser<'_> {
    /// Parses a declarator.
    pub(super) fn declarator(&mut self, mode: DeclMode) -> PResult<Declarator> {
        self.enter()?;
        let r = self.declarator_inner(mode);
        self.leave();
        r
    }

    fn declarator_inner(&mut self, mode: DeclMode) -> PResult<Declarator> {
        let mut attrs = Attrs::default();
        let mut ops = Vec::new();
        loop {
            if self.eat(P::Star)? {
                let mut q = Quals::NONE;
                loop {
                    match self.tok().kw.filter(|_| self.tok().tk == Tk::Ident) {
                        Some(Kw::Const) => q.is_const = true,
                        Some(Kw::Volatile) => q.is_volatile = true,
                        Some(Kw::Restrict) => q.is_restrict = true,
                        Some(Kw::Atomic | Kw::Extension) => {}
                        Some(Kw::Attribute) => {
                            self.attribute(&mut attrs)?;
                            continue;
                        }
                        _ => break,
                    }
                    self.bump()?;
                }
                ops.push(Op::Ptr(q));
            } else if self.tok().kw == Some(Kw::Attribute) {
                self.attribute(&mut attrs)?;
            } else {
                break;
            }
        }
        let mut name = None;
        let mut inner = None;
        let t = self.tok();
        if t.tk == Tk::Ident && t.kw.is_none() {
            if mode == DeclMode::Abstract {
                return Err(self.err(
                    ParseErrorKind::UnexpectedToken,
                    format!("unexpected name `{}` in a type name", self.text_of(t)),
                ));
            }
            name = Some((self.text_of(t).to_string(), self.pos));
            self.bump()?;
        } else if self.at(P::LParen) && self.is_grouping(mode) {
            self.bump()?;
            inner = Some(self.declarator(mode)?);
            self.expect(P::RParen, ")", " to close the parenthesized declarator")?;
        } else if mode == DeclMode::Named {
            return Err(self.unexpected("a name in the declaration"));
        }
        // Attributes right after the name (before suffixes) are GNU syntax too.
        while self.tok().kw == Some(Kw::Attribute) {
            self.attribute(&mut attrs)?;
        }
        let mut suffixes = Vec::new();
        loop {
            if self.at(P::LBrack) {
                suffixes.push(self.array_suffix(mode)?);
            } else if self.at(P::LParen) {
                suffixes.push(self.params()?);
            } else {
                break;
            }
        }
        ops.extend(suffixes.into_iter().rev());
        if let Some(i) = inner {
            name = i.name;
            ops.extend(i.ops);
            attrs.merge(&i.attrs);
        }
        Ok(Declarator { name, ops, attrs })
    }

    /// After `(` in a declarator: a parenthesized declarator (true) or a
    /// parameter list (false)?
    fn is_grouping(&self, mode: DeclMode) -> bool {
        let n = self.nth(1);
        if n.tk == Tk::Punct(P::RParen) {
            return false;
        }
        let is_attr = n.tk == Tk::Ident && n.kw == Some(Kw::Attribute);
        if self.starts_type(n) && !is_attr {
            return false;
        }
        match mode {
            DeclMode::Named => true,
            DeclMode::Either => true,
            DeclMode::Abstract => matches!(n.tk, Tk::Punct(P::Star | P::LParen | P::LBrack)) || is_attr,
        }
    }

    /// `[ ... ]`.
    fn array_suffix(&mut self, mode: DeclMode) -> PResult<Op> {
        self.bump()?;
        while self.tok().tk == Tk::Ident
            && matches!(
                self.tok().kw,
                Some(Kw::Static | Kw::Const | Kw::Volatile | Kw::Restrict | Kw::Atomic)
            )
        {
            self.bump()?;
        }
        let len = if self.at(P::RBrack) {
            None
        } else if self.at(P::Star) && self.nth(1).tk == Tk::Punct(P::RBrack) {
            self.bump()?;
            None
        } else if let Some(len) = self.param_vla_size(mode)? {
            len
        } else {
            let idx = self.pos;
            match self.const_expr()? {
                Val::Int(v, p) => {
                    if v < 0 && p.is_signed(self.types.target()) {
                        return Err(self.err_at(
                            idx,
                            ParseErrorKind::ConstExpr,
                            format!("size of array is negative ({v})"),
                        ));
                    }
                    Some(u64::try_from(v).map_err(|_| {
                        self.err_at(idx, ParseErrorKind::ConstExpr, "size of array is too large".to_string())
                    })?)
                }
                Val::Float(..) => {
                    return Err(self.err_at(
                        idx,
                        ParseErrorKind::ConstExpr,
                        "size of array has non-integer type".to_string(),
                    ))
                }
            }
        };
        self.expect(P::RBrack, "]", " to close the array size")?;
        Ok(Op::Array { len })
    }

    /// In a parameter, an array size naming another parameter
    /// (`char buf[n]`, a VLA) does not matter: the parameter adjusts to a
    /// pointer. Returns `Some(None)` after skipping such a size.
    fn param_vla_size(&mut self, mode: DeclMode) -> PResult<Option<Option<u64>>> {
        if mode != DeclMode::Either {
            return Ok(None);
        }
        let (start, saved) = (self.pos, self.save_nesting());
        match self.const_expr() {
            Ok(_) => {
                self.pos = start;
                self.restore_nesting(saved);
                Ok(None)
            }
            Err(e)
                if matches!(
                    *e.0,
                    crate::Error::Parse {
                        kind: ParseErrorKind::UnknownIdentifier,
                        ..
                    }
                ) =>
            {
                self.pos = start;
                self.restore_nesting(saved);
                let mut depth = 0usize;
                while !(depth == 0 && self.at(P::RBrack)) {
                    if self.at_end() {
                        return Err(self.unexpected("`]`"));
                    }
                    match self.tok().tk {
                        Tk::Punct(P::LBrack | P::LParen) => depth += 1,
                        Tk::Punct(P::RBrack | P::RParen) => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    self.bump()?;
                }
                Ok(Some(None))
            }
            Err(e) => Err(e),
        }
    }

    /// `( parameter-list )`.
    fn params(&mut self) -> PResult<Op> {
        self.enter()?;
        self.bump()?;
        let mut params = Vec::new();
        let mut names = Vec::new();
        let mut variadic = false;
        let mut unprototyped = false;
        if self.eat(P::RParen)? {
            unprototyped = true;
        } else {
            loop {
                if self.eat(P::Ellipsis)? {
                    if params.is_empty() {
                        // C23 `f(...)`; gcc accepts it in C23 mode only, we accept it.
                    }
                    variadic = true;
                    self.expect(P::RParen, ")", " after `...`")?;
                    break;
                }
                let t = self.tok();
                if t.tk == Tk::Ident && t.kw.is_none() && !self.is_typedef_name(self.text_of(t)) {
                    let n = self.nth(1).tk;
                    if n == Tk::Punct(P::Comma) || n == Tk::Punct(P::RParen) {
                        return Err(self.err(
                            ParseErrorKind::Unsupported,
                            "K&R-style parameter lists (names without types) are not supported; write a prototype"
                                .to_string(),
                        ));
                    }
                }
                let pstart = self.pos;
                let specs = self.specifiers(SpecCtx::Param)?;
                let mut d = self.declarator(DeclMode::Either)?;
                self.attributes(&mut d.attrs)?;
                let mut attrs = specs.attrs.clone();
                attrs.merge(&d.attrs);
                let at = d.name.as_ref().map_or(pstart, |n| n.1);
                let base = self.apply_mode(specs.base, &attrs)?;
                let ty = self.apply(base, &d.ops, at)?;
                // C11 6.7.6.3p7-8: arrays and functions adjust to pointers;
                // top-level qualifiers are not part of the function type.
                let ty = match *self.types.kind(ty) {
                    TypeKind::Array { elem, .. } => self.types.pointer(elem),
                    TypeKind::Func(_) => self.types.pointer(ty),
                    TypeKind::Prim(Prim::Void) => {
                        if params.is_empty() && d.name.is_none() && d.ops.is_empty() && self.at(P::RParen) {
                            self.bump()?;
                            break;
                        }
                        return Err(self.err_at(
                            at,
                            ParseErrorKind::InvalidType,
                            "parameter has type `void`".to_string(),
                        ));
                    }
                    _ => self.types.unqualified(ty),
                };
                params.push(ty);
                names.push(d.name.map(|n| n.0));
                if self.eat(P::Comma)? {
                    continue;
                }
                self.expect(P::RParen, ")", " or `,` in the parameter list")?;
                break;
            }
        }
        self.leave();
        Ok(Op::Func {
            params,
            names,
            variadic,
            unprototyped,
        })
    }

    /// GNU attributes (no `__asm__`) at the current position.
    pub(super) fn attributes(&mut self, attrs: &mut Attrs) -> PResult<()> {
        loop {
            if self.tok().kw == Some(Kw::Attribute) {
                self.attribute(attrs)?;
            } else if self.at(P::LBrack) && self.nth(1).tk == Tk::Punct(P::LBrack) {
                self.skip_balanced()?;
            } else {
                return Ok(());
            }
        }
    }

    /// Attributes and `__asm__("symbol")` labels after a declarator.
    pub(super) fn trailing(&mut self, attrs: &mut Attrs) -> PResult<()> {
        loop {
            self.attributes(attrs)?;
            if self.tok().tk == Tk::Ident && self.tok().kw == Some(Kw::Asm) {
                self.bump()?;
                self.expect(P::LParen, "(", " after `__asm__`")?;
                let mut sym = String::new();
                if self.tok().tk != Tk::Str {
                    return Err(self.unexpected("a string literal naming the symbol"));
                }
                while self.tok().tk == Tk::Str {
                    let s = super::literals::string(self.cur_text())
                        .map_err(|m| self.err(ParseErrorKind::InvalidLiteral, m))?;
                    sym.push_str(&s);
                    self.bump()?;
                }
                self.expect(P::RParen, ")", " after the symbol name")?;
                attrs.asm = Some(sym);
            } else {
                return Ok(());
            }
        }
    }

    /// Applies the derivations `ops` to `base`. Errors point at token `at`.
    pub(super) fn apply(&mut self, base: TypeId, ops: &[Op], at: usize) -> PResult<TypeId> {
        let mut t = base;
        for op in ops {
            t = match op {
                Op::Ptr(q) => {
                    let p = self.types.pointer(t);
                    if q.is_empty() {
                        p
                    } else {
                        self.types.qualified(p, *q)
                    }
                }
                Op::Array { len, .. } => {
                    let what = match self.types.kind(t) {
                        TypeKind::Func(_) => Some("functions".to_string()),
                        TypeKind::Prim(Prim::Void) => Some("`void`".to_string()),
                        _ if !self.types.is_complete(t) => {
                            Some(format!("elements of incomplete type `{}`", self.types.display(t)))
                        }
                        _ => None,
                    };
                    if let Some(w) = what {
                        return Err(self.err_at(at, ParseErrorKind::InvalidType, format!("array of {w}")));
                    }
                    let a = self.types.array(t, *len);
                    match self.types.size_of(a) {
                        Err(e) => return Err(self.err_at(at, ParseErrorKind::InvalidType, e.message())),
                        Ok(n) if n > MAX_OBJECT_SIZE => {
                            return Err(self.err_at(
                                at,
                                ParseErrorKind::InvalidType,
                                format!("array of {n} bytes is too large (at most 2^56 bytes)"),
                            ))
                        }
                        Ok(_) => {}
                    }
                    a
                }
                Op::Func { params, variadic, .. } => {
                    match self.types.kind(t) {
                        TypeKind::Array { .. } => {
                            return Err(self.err_at(
                                at,
                                ParseErrorKind::InvalidType,
                                "function cannot return an array".to_string(),
                            ))
                        }
                        TypeKind::Func(_) => {
                            return Err(self.err_at(
                                at,
                                ParseErrorKind::InvalidType,
                                "function cannot return a function".to_string(),
                            ))
                        }
                        _ => {}
                    }
                    let ret = self.types.unqualified(t);
                    self.types.func(ret, params.clone(), *variadic)
                }
            };
            // Array suffixes and stars are parsed in a loop, and typedefs
            // stack derivations across declarations: bound the depth of the
            // type itself, which layout and printing walk recursively.
            self.types
                .check_depth(t)
                .map_err(|e| self.err_at(at, ParseErrorKind::NestingTooDeep, e.message()))?;
        }
        Ok(t)
    }

    /// A type name: specifiers and an abstract declarator (`int (*)[3]`).
    pub(super) fn type_name(&mut self) -> PResult<crate::types::TypeId> {
        let specs = self.specifiers(SpecCtx::TypeName)?;
        let mut d = self.declarator(DeclMode::Abstract)?;
        self.attributes(&mut d.attrs)?;
        let mut attrs = specs.attrs.clone();
        attrs.merge(&d.attrs);
        let base = self.apply_mode(specs.base, &attrs)?;
        self.apply(base, &d.ops, specs.start)
    }
}
