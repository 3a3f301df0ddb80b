//! Struct, union and enum specifiers (C11 6.7.2.1–6.7.2.3): tags, forward
//! declarations completed later (same `TypeId`), member lists with
//! bitfields, anonymous members and flexible arrays, enumerators.

use super::constexpr::Val;
use super::declarator::{DeclMode, Declarator};
use super::lexer::{Tk, P};
use super::parser::{PErr, PResult, Parser};
use super::specs::{Attrs, Kw, SpecCtx};
use crate::decls::{Constant, DeclKind};
use crate::error::ParseErrorKind;
use crate::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, TypeKind};
use std::collections::HashSet;

impl Parser<'_> {
    /// Parses an optional tag (identifier that is not a keyword).
    fn tag(&mut self) -> PResult<Option<(String, usize)>> {
        let t = self.tok();
        if t.tk == Tk::Ident && t.kw.is_none() {
            let idx = self.pos;
            self.bump()?;
            Ok(Some((self.text_of(t).to_string(), idx)))
        } else {
            Ok(None)
        }
    }

    /// `struct`/`union` specifier. Returns the type and whether it is an
    /// untagged definition.
    pub(super) fn record_spec(&mut self, kind: RecordKind) -> PResult<(TypeId, bool)> {
        let kw_idx = self.pos;
        self.bump()?;
        let mut attrs = Attrs::default();
        self.attributes(&mut attrs)?;
        let tag = self.tag()?;
        self.attributes(&mut attrs)?;
        if !self.at(P::LBrace) {
            let Some((tag, tidx)) = tag else {
                return Err(self.unexpected(&format!("a tag name or `{{` after `{}`", kind.keyword())));
            };
            return Ok((self.tag_ref(Some(kind), &tag, tidx)?, false));
        }
        let pragma_pack = self.decls.pack;
        let (id, redefining) = match &tag {
            Some((t, tidx)) => match self.decls.tags.get(t.as_str()).copied() {
                Some(old) => match self.types.record_of(old) {
                    Some(r) if r.kind == kind => (old, r.layout.is_some()),
                    _ => return Err(self.tag_kind_error(t, *tidx, old, kind.keyword())),
                },
                None => {
                    let id = self.types.declare_record(kind, Some(t));
                    self.decls.tags.insert(t.clone(), id);
                    self.decls.order.push((DeclKind::Tag, t.clone()));
                    (id, false)
                }
            },
            None => (self.types.declare_record(kind, None), false),
        };
        self.enter()?;
        self.bump()?; // `{`
        let fields = self.member_list(kind)?;
        self.leave();
        self.attributes(&mut attrs)?;
        let ra = RecordAttrs {
            packed: attrs.packed,
            align_attr: attrs.aligned,
            pragma_pack,
        };
        let at = tag.as_ref().map_or(kw_idx, |t| t.1);
        if redefining {
            if self.same_record_def(id, &fields, ra) {
                return Ok((id, tag.is_none()));
            }
            return Err(self.err_at(
                at,
                ParseErrorKind::Redefinition,
                format!("redefinition of `{}` with different members", self.types.display(id)),
            ));
        }
        // Checked here as well as in `complete_record` for the error kind.
        self.types
            .check_record_depth(id, &fields)
            .map_err(|e| self.err_at(at, ParseErrorKind::NestingTooDeep, e.message()))?;
        self.types
            .complete_record(id, fields, ra)
            .map_err(|e| self.err_at(at, ParseErrorKind::InvalidType, e.message()))?;
        Ok((id, tag.is_none()))
    }

    fn tag_kind_error(&self, tag: &str, idx: usize, old: TypeId, used_as: &str) -> PErr {
        let was = match self.types.kind(old) {
            TypeKind::Enum(_) => "enum",
            _ => self.types.record_of(old).map_or("struct", |r| r.kind.keyword()),
        };
        self.err_at(
            idx,
            ParseErrorKind::Redefinition,
            format!("`{tag}` was declared as a `{was}` tag, used here as `{used_as}`"),
        )
    }

    /// A reference to a tag (`struct s` without a body): the known type, or
    /// a new incomplete one. `kind == None` is an enum.
    fn tag_ref(&mut self, kind: Option<RecordKind>, tag: &str, idx: usize) -> PResult<TypeId> {
        let used_as = kind.map_or("enum", |k| k.keyword());
        if let Some(&old) = self.decls.tags.get(tag) {
            let same = match (self.types.kind(old), kind) {
                (TypeKind::Enum(_), None) => true,
                (TypeKind::Record(r), Some(k)) => self.types.record(*r).kind == k,
                _ => false,
            };
            return if same {
                Ok(old)
            } else {
                Err(self.tag_kind_error(tag, idx, old, used_as))
            };
        }
        let id = match kind {
            Some(k) => self.types.declare_record(k, Some(tag)),
            None => self.types.declare_enum(Some(tag)),
        };
        self.decls.tags.insert(tag.to_string(), id);
        self.decls.order.push((DeclKind::Tag, tag.to_string()));
        Ok(id)
    }

    /// Names a member list makes visible (looking through anonymous members).
    fn visible_names(&self, ty: TypeId, out: &mut Vec<String>) {
        if let Some(r) = self.types.record_of(ty) {
            for f in &r.fields {
                match &f.name {
                    Some(n) => out.push(n.clone()),
                    None if f.bit.is_none() => self.visible_names(f.ty, out),
                    None => {}
                }
            }
        }
    }

    /// Members up to and including the closing `}`.
    fn member_list(&mut self, kind: RecordKind) -> PResult<Vec<FieldDecl>> {
        let mut fields: Vec<FieldDecl> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut flex: Option<(usize, String)> = None;
        let mut total: u64 = 0;
        loop {
            if self.eat(P::RBrace)? {
                return Ok(fields);
            }
            if self.eat(P::Semi)? {
                continue;
            }
            if self.at_end() {
                return Err(self.unexpected("`}` to close the member list"));
            }
            if self.tok().tk == Tk::Ident && self.tok().kw == Some(Kw::StaticAssert) {
                self.static_assert()?;
                continue;
            }
            let specs = self.specifiers(SpecCtx::Member)?;
            if self.at(P::Semi) {
                if specs.anon_record {
                    if let Some((fidx, fname)) = &flex {
                        return Err(self.flex_not_last(*fidx, fname));
                    }
                    let mut names = Vec::new();
                    self.visible_names(specs.base, &mut names);
                    for n in names {
                        if !seen.insert(n.clone()) {
                            return Err(self.err_at(
                                specs.start,
                                ParseErrorKind::InvalidType,
                                format!("duplicate member `{n}`"),
                            ));
                        }
                    }
                    fields.push(FieldDecl {
                        name: None,
                        ty: specs.base,
                        bit_width: None,
                        packed: specs.attrs.packed,
                        align_attr: specs.attrs.aligned,
                    });
                }
                // Otherwise (`struct t;`, `int;`): declares no member, as in gcc.
                self.bump()?;
                continue;
            }
            loop {
                let member_idx = self.pos;
                let mut d = if self.at(P::Colon) {
                    Declarator::default()
                } else {
                    self.declarator(DeclMode::Named)?
                };
                self.attributes(&mut d.attrs)?;
                let width = if self.eat(P::Colon)? {
                    let widx = self.pos;
                    Some((self.const_expr()?, widx))
                } else {
                    None
                };
                self.attributes(&mut d.attrs)?;
                let mut attrs = specs.attrs.clone();
                attrs.merge(&d.attrs);
                let at = d.name.as_ref().map_or(member_idx, |n| n.1);
                let named = d.name.is_some();
                let label = |p: &Self| {
                    if named {
                        format!("member `{}`", p.text_of(p.toks[at]))
                    } else {
                        "unnamed member".to_string()
                    }
                };
                if let Some((fidx, fname)) = &flex {
                    return Err(self.flex_not_last(*fidx, fname));
                }
                let base = self.apply_mode(specs.base, &attrs)?;
                let ty = self.apply(base, &d.ops, at)?;
                let invalid = |p: &Self, m: String| p.err_at(at, ParseErrorKind::InvalidType, m);
                match self.types.kind(ty) {
                    TypeKind::Func(_) => {
                        return Err(invalid(self, format!("{} is declared as a function", label(self))))
                    }
                    TypeKind::Prim(Prim::Void) => {
                        return Err(invalid(self, format!("{} has type `void`", label(self))))
                    }
                    TypeKind::Array { len: None, .. } if width.is_none() => {
                        if kind == RecordKind::Union {
                            return Err(invalid(self, format!("flexible array {} in a union", label(self))));
                        }
                        flex = Some((at, label(self)));
                    }
                    _ if !self.types.is_complete(ty) => {
                        return Err(invalid(
                            self,
                            format!("{} has incomplete type `{}`", label(self), self.types.display(ty)),
                        ))
                    }
                    _ => {}
                }
                let bit_width = match width {
                    None => None,
                    Some((v, widx)) => Some(self.bitfield_width(ty, v, widx, &label(self), d.name.is_some())?),
                };
                if d.name.is_none() && bit_width.is_none() {
                    return Err(invalid(self, "a member needs a name".to_string()));
                }
                total = total.saturating_add(self.types.size_of(ty).unwrap_or(0));
                if total > super::declarator::MAX_OBJECT_SIZE {
                    return Err(invalid(self, "struct is too large (at most 2^56 bytes)".to_string()));
                }
                if let Some((n, _)) = &d.name {
                    if !seen.insert(n.clone()) {
                        return Err(invalid(self, format!("duplicate member `{n}`")));
                    }
                }
                // gcc applies the attributes after the declarator before
                // those among the specifiers: `char __attribute__((vector_size(8)))
                // m __attribute__((packed))` meets `packed` while `m` is
                // still a `char`, which it ignores (1-byte alignment), so the
                // vector keeps its alignment (checked with gcc 12).
                let packed_ignored = d.attrs.packed
                    && !specs.attrs.packed
                    && specs.attrs.vector_size.is_some()
                    && d.attrs.vector_size.is_none()
                    && bit_width.is_none()
                    && {
                        let plain = Attrs {
                            vector_size: None,
                            ..attrs.clone()
                        };
                        let before = self.apply_mode(specs.base, &plain)?;
                        let before = self.apply(before, &d.ops, at)?;
                        self.types.align_of(before).is_ok_and(|a| a <= 1)
                    };
                fields.push(FieldDecl {
                    name: d.name.map(|n| n.0),
                    ty,
                    bit_width,
                    packed: attrs.packed && !packed_ignored,
                    align_attr: attrs.aligned,
                });
                if self.eat(P::Comma)? {
                    continue;
                }
                if self.eat(P::Semi)? {
                    break;
                }
                return Err(self.unexpected("`;` after the member declaration"));
            }
        }
    }

    fn flex_not_last(&self, idx: usize, label: &str) -> PErr {
        self.err_at(
            idx,
            ParseErrorKind::InvalidType,
            format!("flexible array {label} is not the last member"),
        )
    }

    fn bitfield_width(&self, ty: TypeId, v: Val, widx: usize, label: &str, named: bool) -> PResult<u32> {
        let t = self.types.target();
        let bad = |m: String| self.err_at(widx, ParseErrorKind::InvalidType, m);
        let prim = self.types.as_prim(ty).filter(|p| p.is_integer()).ok_or_else(|| {
            bad(format!(
                "bitfield {label} has non-integer type `{}`",
                self.types.display(ty)
            ))
        })?;
        let bits = if prim == Prim::Bool {
            1
        } else {
            prim.size_align(t).0 * 8
        };
        let w = match v {
            Val::Int(w, _) => w,
            Val::Float(..) => return Err(bad(format!("width of bitfield {label} is not an integer constant"))),
        };
        if w < 0 {
            return Err(bad(format!("negative width {w} for bitfield {label}")));
        }
        if w as u128 > bits as u128 {
            return Err(bad(format!(
                "width of bitfield {label} ({w}) exceeds its type `{}` ({bits} bits)",
                self.types.display(ty)
            )));
        }
        if w == 0 && named {
            return Err(bad(format!("zero-width bitfield {label} must be unnamed")));
        }
        Ok(w as u32)
    }

    /// True when `fields`/`attrs` define the same record as complete record `id`.
    fn same_record_def(&self, id: TypeId, fields: &[FieldDecl], attrs: RecordAttrs) -> bool {
        let Some(r) = self.types.record_of(id) else {
            return false;
        };
        r.attrs == attrs
            && r.decls.len() == fields.len()
            && r.decls.iter().zip(fields).all(|(a, b)| {
                a.name == b.name
                    && a.bit_width == b.bit_width
                    && a.packed == b.packed
                    && a.align_attr == b.align_attr
                    && self.same_type(a.ty, b.ty, 0)
            })
    }

    /// Structural type identity, for accepting identical redefinitions:
    /// the same id, or derived types / untagged records built the same way.
    pub(super) fn same_type(&self, a: TypeId, b: TypeId, depth: u32) -> bool {
        if a == b {
            return true;
        }
        if depth > 64 {
            return false;
        }
        let (ra, rb) = (self.types.get(a), self.types.get(b));
        if ra.quals != rb.quals || ra.align_override != rb.align_override {
            return false;
        }
        match (&ra.kind, &rb.kind) {
            (TypeKind::Pointer(x), TypeKind::Pointer(y)) => self.same_type(*x, *y, depth + 1),
            (TypeKind::Array { elem: x, len: l1 }, TypeKind::Array { elem: y, len: l2 }) => {
                l1 == l2 && self.same_type(*x, *y, depth + 1)
            }
            (TypeKind::Func(f), TypeKind::Func(g)) => {
                let (f, g) = (self.types.func_sig(*f), self.types.func_sig(*g));
                f.variadic == g.variadic
                    && f.params.len() == g.params.len()
                    && self.same_type(f.ret, g.ret, depth + 1)
                    && f.params
                        .iter()
                        .zip(&g.params)
                        .all(|(x, y)| self.same_type(*x, *y, depth + 1))
            }
            (TypeKind::Record(x), TypeKind::Record(y)) => {
                let (x, y) = (self.types.record(*x), self.types.record(*y));
                x.kind == y.kind
                    && x.tag == y.tag
                    && x.layout.is_some()
                    && y.layout.is_some()
                    && x.attrs == y.attrs
                    && x.decls.len() == y.decls.len()
                    && x.decls.iter().zip(&y.decls).all(|(p, q)| {
                        p.name == q.name
                            && p.bit_width == q.bit_width
                            && p.packed == q.packed
                            && p.align_attr == q.align_attr
                            && self.same_type(p.ty, q.ty, depth + 1)
                    })
            }
            _ => false,
        }
    }

    /// `enum` specifier.
    pub(super) fn enum_spec(&mut self) -> PResult<TypeId> {
        let kw_idx = self.pos;
        self.bump()?;
        let mut attrs = Attrs::default();
        self.attributes(&mut attrs)?;
        let tag = self.tag()?;
        self.attributes(&mut attrs)?;
        let fixed = if self.eat(P::Colon)? {
            let fidx = self.pos;
            let ty = self.type_name()?;
            match self.types.as_prim(ty).filter(|p| p.is_integer()) {
                Some(p) => Some(p),
                None => {
                    return Err(self.err_at(
                        fidx,
                        ParseErrorKind::InvalidType,
                        format!(
                            "enum underlying type `{}` is not an integer type",
                            self.types.display(ty)
                        ),
                    ))
                }
            }
        } else {
            None
        };
        let at = tag.as_ref().map_or(kw_idx, |t| t.1);
        if !self.at(P::LBrace) {
            let Some((tag, tidx)) = tag else {
                return Err(self.unexpected("a tag name or `{` after `enum`"));
            };
            let id = self.tag_ref(None, &tag, tidx)?;
            if let (Some(p), TypeKind::Enum(e)) = (fixed, self.types.kind(id).clone()) {
                if !self.types.enum_(e).complete {
                    self.types
                        .complete_enum(id, Vec::new(), Some(p), false)
                        .map_err(|e| self.err_at(at, ParseErrorKind::InvalidType, e.message()))?;
                }
            }
            return Ok(id);
        }
        let (id, redefining) = match &tag {
            Some((t, tidx)) => match self.decls.tags.get(t.as_str()).copied() {
                Some(old) => match self.types.kind(old).clone() {
                    TypeKind::Enum(e) => {
                        let en = self.types.enum_(e);
                        (old, en.complete && !en.values.is_empty())
                    }
                    _ => return Err(self.tag_kind_error(t, *tidx, old, "enum")),
                },
                None => {
                    let id = self.types.declare_enum(Some(t));
                    self.decls.tags.insert(t.clone(), id);
                    self.decls.order.push((DeclKind::Tag, t.clone()));
                    (id, false)
                }
            },
            None => (self.types.declare_enum(None), false),
        };
        self.enter()?;
        self.bump()?; // `{`
        let mut values: Vec<(String, i128)> = Vec::new();
        let mut next: Option<i128> = Some(0);
        loop {
            if self.eat(P::RBrace)? {
                break;
            }
            let t = self.tok();
            if t.tk != Tk::Ident || t.kw.is_some() {
                return Err(self.unexpected("an enumerator name or `}`"));
            }
            let name = self.text_of(t);
            let name_idx = self.pos;
            self.bump()?;
            let mut ignored = Attrs::default();
            self.attributes(&mut ignored)?;
            let v = if self.eat(P::Assign)? {
                let vidx = self.pos;
                match self.const_expr()? {
                    Val::Int(v, p) => {
                        if !p.is_signed(self.types.target()) && v < 0 {
                            (v as u128).min(i128::MAX as u128) as i128
                        } else {
                            v
                        }
                    }
                    Val::Float(..) => {
                        return Err(self.err_at(
                            vidx,
                            ParseErrorKind::ConstExpr,
                            format!("value of enumerator `{name}` is not an integer constant"),
                        ))
                    }
                }
            } else {
                next.ok_or_else(|| {
                    self.err_at(
                        name_idx,
                        ParseErrorKind::ConstExpr,
                        format!("overflow in the value of enumerator `{name}`"),
                    )
                })?
            };
            next = v.checked_add(1);
            let c = Constant::Int { value: v, ty: id };
            match self.decls.constants.get(name) {
                Some(old) if *old == c => {}
                Some(_) => {
                    return Err(self.err_at(
                        name_idx,
                        ParseErrorKind::Redefinition,
                        format!("redefinition of enumerator `{name}`"),
                    ))
                }
                None => {
                    self.decls.constants.insert(name.to_string(), c);
                    self.decls.order.push((DeclKind::Constant, name.to_string()));
                }
            }
            values.push((name.to_string(), v));
            if self.eat(P::Comma)? {
                continue;
            }
            self.expect(P::RBrace, "}", " or `,` after the enumerator")?;
            break;
        }
        self.leave();
        self.attributes(&mut attrs)?;
        if redefining {
            let same = match self.types.kind(id) {
                TypeKind::Enum(e) => self.types.enum_(*e).values == values,
                _ => false,
            };
            if same {
                return Ok(id);
            }
            return Err(self.err_at(
                at,
                ParseErrorKind::Redefinition,
                format!(
                    "redefinition of `{}` with different enumerators",
                    self.types.display(id)
                ),
            ));
        }
        let fixed = fixed.or_else(|| match self.types.kind(id) {
            TypeKind::Enum(e) if self.types.enum_(*e).fixed => Some(self.types.enum_(*e).underlying),
            _ => None,
        });
        self.types
            .complete_enum(id, values, fixed, attrs.packed)
            .map_err(|e| self.err_at(at, ParseErrorKind::InvalidType, e.message()))?;
        Ok(id)
    }

    /// `_Static_assert(expr, "message");` (message optional, C23).
    pub(super) fn static_assert(&mut self) -> PResult<()> {
        let idx = self.pos;
        self.bump()?;
        self.expect(P::LParen, "(", " after `_Static_assert`")?;
        let v = self.const_expr()?;
        let mut msg = String::new();
        if self.eat(P::Comma)? {
            while self.tok().tk == Tk::Str {
                msg.push_str(&super::literals::string(self.cur_text()).unwrap_or_default());
                self.bump()?;
            }
        }
        self.expect(P::RParen, ")", " to close `_Static_assert(`")?;
        self.expect(P::Semi, ";", " after `_Static_assert(...)`")?;
        if !v.truthy() {
            return Err(self.err_at(
                idx,
                ParseErrorKind::ConstExpr,
                format!("static assertion failed: {msg}"),
            ));
        }
        Ok(())
    }
}
