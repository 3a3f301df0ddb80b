//! File-scope declarations (C11 6.7, 6.9): typedefs, function prototypes
//! (and skipped inline bodies), `extern` variables, `static const`
//! constants, and what a redeclaration may and may not change.

use super::declarator::DeclMode;
use super::lexer::{Tk, P};
use super::parser::{PErr, PResult, Parser};
use super::specs::{Kw, SpecCtx, Storage};
use crate::decls::{Constant, DeclKind, FuncDecl, VarDecl};
use crate::error::ParseErrorKind;
use crate::types::{TypeId, TypeKind};

impl Parser<'_> {
    /// Parses the whole text.
    pub(crate) fn translation_unit(&mut self) -> PResult<()> {
        loop {
            let t = self.tok();
            match t.tk {
                Tk::Eof => return Ok(()),
                Tk::Punct(P::Semi) => self.bump()?,
                Tk::Ident if t.kw == Some(Kw::StaticAssert) => self.static_assert()?,
                Tk::Ident if t.kw == Some(Kw::Asm) => {
                    // File-scope `__asm__(".symver ...");`.
                    self.bump()?;
                    while self.at_word("volatile") || self.at_word("__volatile__") {
                        self.bump()?;
                    }
                    if !self.at(P::LParen) {
                        return Err(self.unexpected("`(` after `__asm__`"));
                    }
                    self.skip_balanced()?;
                    self.expect(P::Semi, ";", " after `__asm__(...)`")?;
                }
                _ => {
                    let start = self.pos;
                    let saved = self.save_nesting();
                    self.unsupported_type_at = None;
                    if let Err(e) = self.declaration() {
                        if self.unsupported_type_at.is_none() {
                            return Err(e);
                        }
                        self.restore_nesting(saved);
                        self.skip_declaration(start)?;
                        self.mark_unavailable(start, self.pos, &e.0.message());
                    }
                }
            }
        }
    }

    /// Records the names the skipped declaration in tokens `start..end`
    /// would have declared as unavailable, for `reason`: identifiers at
    /// bracket depth 0 followed by `;`, `,`, `=`, `[`, `(` or an attribute
    /// (declarators), and tags defined with a body (`struct t {`).
    fn mark_unavailable(&mut self, start: usize, end: usize, reason: &str) {
        let mut depth = 0usize;
        let mut names = Vec::new();
        for i in start..end.min(self.toks.len()) {
            let t = self.toks[i];
            match t.tk {
                Tk::Punct(P::LParen | P::LBrack | P::LBrace) => {
                    if t.tk == Tk::Punct(P::LBrace) && depth == 0 && i >= start + 2 {
                        let (kw, tag) = (self.toks[i - 2], self.toks[i - 1]);
                        let kw = self.text_of(kw);
                        if tag.tk == Tk::Ident && matches!(kw, "struct" | "union" | "enum") {
                            names.push(format!("{kw} {}", self.text_of(tag)));
                        }
                    }
                    depth += 1;
                }
                Tk::Punct(P::RParen | P::RBrack | P::RBrace) => depth = depth.saturating_sub(1),
                Tk::Ident if depth == 0 && t.kw.is_none() && i + 1 < self.toks.len() => {
                    let next = self.toks[i + 1];
                    let ends = matches!(
                        next.tk,
                        Tk::Punct(P::Semi | P::Comma | P::Assign | P::LBrack | P::LParen)
                    ) || (next.tk == Tk::Ident && self.text_of(next).contains("attribute"));
                    let prev_is_tag_kw =
                        i > start && matches!(self.text_of(self.toks[i - 1]), "struct" | "union" | "enum");
                    if ends && !prev_is_tag_kw {
                        names.push(self.text_of(t).to_string());
                    }
                }
                _ => {}
            }
        }
        for n in names {
            if !self.decls.typedefs.contains_key(&n)
                && !self.decls.functions.contains_key(&n)
                && !self.decls.variables.contains_key(&n)
            {
                self.decls.unavailable.entry(n).or_insert_with(|| reason.to_string());
            }
        }
    }

    /// Skips the file-scope declaration starting at token `start`: up to its
    /// `;` at bracket depth 0, or through a function body.
    fn skip_declaration(&mut self, start: usize) -> PResult<()> {
        self.pos = start;
        let mut depth = 0usize;
        let mut prev = Tk::Eof;
        loop {
            let t = self.tok().tk;
            match t {
                Tk::Eof | Tk::Error => return Err(self.unexpected("`;` at the end of the declaration")),
                Tk::Punct(P::Semi) if depth == 0 => return self.bump(),
                Tk::Punct(P::LBrace) if depth == 0 && prev == Tk::Punct(P::RParen) => return self.skip_balanced(),
                Tk::Punct(P::LParen | P::LBrack | P::LBrace) => depth += 1,
                Tk::Punct(P::RParen | P::RBrack | P::RBrace) => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = t;
            self.bump()?;
        }
    }

    fn declaration(&mut self) -> PResult<()> {
        let specs = self.specifiers(SpecCtx::Top)?;
        if self.eat(P::Semi)? {
            return Ok(());
        }
        let mut first = true;
        loop {
            let mut d = self.declarator(DeclMode::Named)?;
            self.trailing(&mut d.attrs)?;
            let mut attrs = specs.attrs.clone();
            attrs.merge(&d.attrs);
            let Some((name, idx)) = d.name.take() else {
                return Err(self.unexpected("a name in the declaration"));
            };
            let base = self.apply_mode(specs.base, &attrs)?;
            let ty = self.apply(base, &d.ops, idx)?;
            let is_func = matches!(self.types.kind(ty), TypeKind::Func(_));
            if specs.storage == Storage::Typedef {
                let ty = match attrs.aligned {
                    Some(a) => self
                        .types
                        .with_align(ty, a)
                        .map_err(|e| self.err_at(idx, ParseErrorKind::InvalidType, e.message()))?,
                    None => ty,
                };
                self.define_typedef(&name, idx, ty)?;
            } else if is_func {
                let names = match d.param_names() {
                    Some(n) => n.to_vec(),
                    None => vec![None; self.types.sig_of(ty).map_or(0, |s| s.params.len())],
                };
                let has_body = first && self.at(P::LBrace) && d.param_names().is_some();
                // A static function with a body has no symbol to call.
                if !(has_body && specs.storage == Storage::Static) {
                    self.declare_function(&name, idx, ty, names, attrs.asm.clone(), d.unprototyped())?;
                }
                if has_body {
                    // Inline definitions in headers (`static __inline`,
                    // `__extern_inline`): the body is skipped.
                    return self.skip_balanced();
                }
            } else if self.at(P::Assign) {
                self.initializer(&name, idx, ty)?;
            } else if specs.storage != Storage::Static {
                self.declare_variable(&name, idx, ty, attrs.asm.clone())?;
            }
            first = false;
            if self.eat(P::Comma)? {
                continue;
            }
            if self.eat(P::Semi)? {
                return Ok(());
            }
            if self.at(P::LBrace) {
                return Err(self.err(
                    ParseErrorKind::Unsupported,
                    "a `{` here is not a function body; expected `;` after the declaration".to_string(),
                ));
            }
            return Err(self.unexpected("`;` after declaration"));
        }
    }

    /// `= value` of a `const` integer or floating object: a constant.
    fn initializer(&mut self, name: &str, idx: usize, ty: TypeId) -> PResult<()> {
        let eq = self.pos;
        let prim = self.types.as_prim(ty).filter(|p| p.is_integer() || p.is_real_float());
        let Some(prim) = prim.filter(|_| self.types.get(ty).quals.is_const) else {
            return Err(self.err_at(
                eq,
                ParseErrorKind::Unsupported,
                "initializers are supported only on `const` integer or floating objects \
                 (`static const int X = 5;`)"
                    .to_string(),
            ));
        };
        self.bump()?;
        let vidx = self.pos;
        let v = self.const_expr()?;
        let t = self.types.target();
        let cty = self.types.unqualified(ty);
        let c = if prim.is_integer() {
            match v.convert_int(prim, t) {
                Ok(super::constexpr::Val::Int(value, _)) => Constant::Int { value, ty: cty },
                Ok(_) => unreachable!("convert_int returns an integer"),
                Err(m) => return Err(self.err_at(vidx, ParseErrorKind::ConstExpr, m)),
            }
        } else {
            let f = v.as_f64(t);
            let f = if prim == crate::types::Prim::Float {
                f as f32 as f64
            } else {
                f
            };
            Constant::Float { value: f, ty: cty }
        };
        self.define_constant(name, idx, c)
    }

    fn other_kind_error(&self, name: &str, idx: usize, is: &str) -> PErr {
        self.err_at(
            idx,
            ParseErrorKind::Redefinition,
            format!("`{name}` redeclared as a different kind of symbol (it is a {is})"),
        )
    }

    fn define_typedef(&mut self, name: &str, idx: usize, ty: TypeId) -> PResult<()> {
        if self.decls.functions.contains_key(name) {
            return Err(self.other_kind_error(name, idx, "function"));
        }
        if self.decls.variables.contains_key(name) {
            return Err(self.other_kind_error(name, idx, "variable"));
        }
        match self.decls.typedefs.get(name).copied() {
            Some(old) if self.same_type(old, ty, 0) => Ok(()),
            Some(old) => Err(self.err_at(
                idx,
                ParseErrorKind::Redefinition,
                format!(
                    "conflicting types for typedef `{name}`: `{}` before, `{}` now",
                    self.types.display(old),
                    self.types.display(ty)
                ),
            )),
            None => {
                self.decls.typedefs.insert(name.to_string(), ty);
                self.decls.order.push((DeclKind::Typedef, name.to_string()));
                Ok(())
            }
        }
    }

    fn declare_function(
        &mut self,
        name: &str,
        idx: usize,
        ty: TypeId,
        param_names: Vec<Option<String>>,
        asm_name: Option<String>,
        unprototyped: bool,
    ) -> PResult<()> {
        if self.decls.typedefs.contains_key(name) {
            return Err(self.other_kind_error(name, idx, "typedef"));
        }
        if self.decls.variables.contains_key(name) {
            return Err(self.other_kind_error(name, idx, "variable"));
        }
        if let Some(old) = self.decls.functions.get(name) {
            let old_ty = old.ty;
            let same = self.same_type(old_ty, ty, 0);
            // `int f();` is compatible with any prototype returning `int`.
            let (os, ns) = (self.types.sig_of(old_ty), self.types.sig_of(ty));
            let old_unproto = os.is_some_and(|s| s.params.is_empty() && !s.variadic);
            let compatible = match (os, ns) {
                (Some(o), Some(n)) => (unprototyped || old_unproto) && self.same_type(o.ret, n.ret, 0),
                _ => false,
            };
            if !same && !compatible {
                return Err(self.err_at(
                    idx,
                    ParseErrorKind::Redefinition,
                    format!(
                        "conflicting types for function `{name}`: `{}` before, `{}` now",
                        self.types.display(old_ty),
                        self.types.display(ty)
                    ),
                ));
            }
            let f = self.decls.functions.get_mut(name).expect("checked above");
            if !same && !unprototyped {
                f.ty = ty;
                f.param_names = param_names;
            }
            if asm_name.is_some() {
                f.asm_name = asm_name;
            }
            return Ok(());
        }
        self.decls.functions.insert(
            name.to_string(),
            FuncDecl {
                name: name.to_string(),
                ty,
                param_names,
                asm_name,
            },
        );
        self.decls.order.push((DeclKind::Function, name.to_string()));
        Ok(())
    }

    fn declare_variable(&mut self, name: &str, idx: usize, ty: TypeId, asm_name: Option<String>) -> PResult<()> {
        if self.decls.typedefs.contains_key(name) {
            return Err(self.other_kind_error(name, idx, "typedef"));
        }
        if self.decls.functions.contains_key(name) {
            return Err(self.other_kind_error(name, idx, "function"));
        }
        if let Some(old) = self.decls.variables.get(name) {
            let old_ty = old.ty;
            // `extern int a[];` may be completed by `extern int a[10];`.
            let completes = match (self.types.kind(old_ty), self.types.kind(ty)) {
                (TypeKind::Array { elem: e1, len: None }, TypeKind::Array { elem: e2, .. }) => {
                    self.same_type(*e1, *e2, 0)
                }
                _ => false,
            };
            let widens = match (self.types.kind(old_ty), self.types.kind(ty)) {
                (TypeKind::Array { elem: e1, .. }, TypeKind::Array { elem: e2, len: None }) => {
                    self.same_type(*e1, *e2, 0)
                }
                _ => false,
            };
            if !self.same_type(old_ty, ty, 0) && !completes && !widens {
                return Err(self.err_at(
                    idx,
                    ParseErrorKind::Redefinition,
                    format!(
                        "conflicting types for variable `{name}`: `{}` before, `{}` now",
                        self.types.display(old_ty),
                        self.types.display(ty)
                    ),
                ));
            }
            let v = self.decls.variables.get_mut(name).expect("checked above");
            if completes {
                v.ty = ty;
            }
            if asm_name.is_some() {
                v.asm_name = asm_name;
            }
            return Ok(());
        }
        self.decls.variables.insert(
            name.to_string(),
            VarDecl {
                name: name.to_string(),
                ty,
                asm_name,
            },
        );
        self.decls.order.push((DeclKind::Variable, name.to_string()));
        Ok(())
    }
}
