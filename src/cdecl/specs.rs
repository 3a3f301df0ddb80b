//! Declaration specifiers (C11 6.7.1–6.7.5): storage classes, type
//! specifiers and qualifiers, function specifiers, `_Alignas`, and GNU
//! `__attribute__((...))` lists.

use super::constexpr::Val;
use super::lexer::{Tk, Token, P};
use super::parser::{PErr, PResult, Parser};
use crate::error::ParseErrorKind;
use crate::target::Target;
use crate::types::{Prim, Quals, RecordKind, TypeId, TypeKind};

/// Basic type-specifier keywords, counted per declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Basic {
    Void,
    Bool,
    Char,
    Short,
    Int,
    Long,
    Float,
    Double,
    Signed,
    Unsigned,
    Int128,
    Complex,
    Float32,
    Float64,
    Float32x,
    /// `_Float128` / `__float128` / `_Float64x`: `long double` where that is
    /// the same format (see [`extended_float`]).
    Float128,
}
const N_BASIC: usize = 16;

/// The keywords the declaration grammar cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kw {
    Typedef,
    Extern,
    Static,
    Auto,
    Register,
    ThreadLocal,
    Inline,
    Noreturn,
    Const,
    Volatile,
    Restrict,
    Atomic,
    Extension,
    Attribute,
    Asm,
    Basic(Basic),
    /// A floating or decimal type abicall has no representation for.
    UnsupportedType,
    Struct,
    Union,
    Enum,
    Typeof,
    Alignas,
    Sizeof,
    Alignof,
    StaticAssert,
    BuiltinOffsetof,
}

/// Classifies an identifier as a keyword (all GNU spellings included).
pub(super) fn keyword(s: &str) -> Option<Kw> {
    use Basic as B;
    Some(match s {
        "typedef" => Kw::Typedef,
        "extern" => Kw::Extern,
        "static" => Kw::Static,
        "auto" => Kw::Auto,
        "register" => Kw::Register,
        "_Thread_local" | "thread_local" | "__thread" => Kw::ThreadLocal,
        "inline" | "__inline" | "__inline__" => Kw::Inline,
        "_Noreturn" => Kw::Noreturn,
        "const" | "__const" | "__const__" => Kw::Const,
        "volatile" | "__volatile" | "__volatile__" => Kw::Volatile,
        "restrict" | "__restrict" | "__restrict__" => Kw::Restrict,
        "_Atomic" => Kw::Atomic,
        "__extension__" => Kw::Extension,
        "__attribute__" | "__attribute" => Kw::Attribute,
        "asm" | "__asm" | "__asm__" => Kw::Asm,
        "void" => Kw::Basic(B::Void),
        "_Bool" | "bool" => Kw::Basic(B::Bool),
        "char" => Kw::Basic(B::Char),
        "short" => Kw::Basic(B::Short),
        "int" => Kw::Basic(B::Int),
        "long" => Kw::Basic(B::Long),
        "float" => Kw::Basic(B::Float),
        "double" => Kw::Basic(B::Double),
        "signed" | "__signed" | "__signed__" => Kw::Basic(B::Signed),
        "unsigned" => Kw::Basic(B::Unsigned),
        "__int128" => Kw::Basic(B::Int128),
        "_Complex" | "__complex__" | "__complex" => Kw::Basic(B::Complex),
        "_Float32" => Kw::Basic(B::Float32),
        "_Float64" => Kw::Basic(B::Float64),
        "_Float32x" => Kw::Basic(B::Float32x),
        "_Float128" | "__float128" | "_Float64x" => Kw::Basic(B::Float128),
        "_Float16" | "__fp16" | "__bf16" | "_Float128x" | "__float80" | "__ibm128" | "_Decimal32" | "_Decimal64"
        | "_Decimal128" | "_Imaginary" => Kw::UnsupportedType,
        "struct" => Kw::Struct,
        "union" => Kw::Union,
        "enum" => Kw::Enum,
        "typeof" | "__typeof__" | "__typeof" | "typeof_unqual" | "__typeof_unqual__" => Kw::Typeof,
        "_Alignas" | "alignas" => Kw::Alignas,
        "sizeof" => Kw::Sizeof,
        "_Alignof" | "alignof" | "__alignof__" | "__alignof" => Kw::Alignof,
        "_Static_assert" | "static_assert" => Kw::StaticAssert,
        "__builtin_offsetof" => Kw::BuiltinOffsetof,
        _ => return None,
    })
}

/// The GNU attributes abicall honours, collected over a declaration.
#[derive(Clone, Debug, Default)]
pub(super) struct Attrs {
    /// `packed`.
    pub packed: bool,
    /// `aligned(N)` (the largest one given; `aligned` alone is 16).
    pub aligned: Option<u64>,
    /// `mode(M)` and the token index of `M`.
    pub mode: Option<(&'static str, usize)>,
    /// `vector_size(N)`: `N` and the token index where it starts.
    pub vector_size: Option<(u64, usize)>,
    /// `__asm__("symbol")`.
    pub asm: Option<String>,
}

impl Attrs {
    /// Adds the attributes of `o`.
    pub(super) fn merge(&mut self, o: &Attrs) {
        self.packed |= o.packed;
        self.aligned = match (self.aligned, o.aligned) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if o.mode.is_some() {
            self.mode = o.mode;
        }
        if o.vector_size.is_some() {
            self.vector_size = o.vector_size;
        }
        if o.asm.is_some() {
            self.asm.clone_from(&o.asm);
        }
    }
}

/// Storage class of a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Storage {
    None,
    Typedef,
    Extern,
    Static,
    /// `auto`, `register`, `_Thread_local` (accepted, no effect).
    Other,
}

/// Where specifiers are being parsed (decides which are allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SpecCtx {
    /// A file-scope declaration.
    Top,
    /// A struct/union member.
    Member,
    /// A function parameter.
    Param,
    /// A type name (casts, `sizeof`, `parse_type_name`).
    TypeName,
}

/// Parsed declaration specifiers.
pub(super) struct Specs {
    pub storage: Storage,
    /// The base type, qualifiers applied.
    pub base: TypeId,
    pub attrs: Attrs,
    /// Token index where the specifiers start.
    pub start: usize,
    /// The specifiers are an untagged struct/union definition (an anonymous
    /// member when no declarator follows).
    pub anon_record: bool,
}

fn mode_prim(mode: &str, base: Prim, t: Target) -> Option<Prim> {
    use Prim::*;
    let m = mode.trim_start_matches("__").trim_end_matches("__");
    let signed = base.is_signed(t);
    let int = |s: Prim, u: Prim| Some(if signed { s } else { u });
    if base.is_integer() {
        match m {
            "QI" | "byte" => int(SChar, UChar),
            "HI" => int(Short, UShort),
            "SI" => int(Int, UInt),
            "DI" | "word" | "pointer" => int(Long, ULong),
            "TI" => int(Int128, UInt128),
            _ => None,
        }
    } else if base.is_real_float() {
        match (m, t.long_double_format()) {
            ("SF", _) => Some(Float),
            ("DF", _) => Some(Double),
            ("XF", crate::target::LongDoubleFormat::X87Extended) => Some(LongDouble),
            ("TF", crate::target::LongDoubleFormat::Binary128) => Some(LongDouble),
            _ => None,
        }
    } else {
        None
    }
}

impl Parser<'_> {
    /// Whether token `t` can start a type name / declaration specifiers.
    pub(super) fn starts_type(&self, t: Token) -> bool {
        if t.tk != Tk::Ident {
            return false;
        }
        match t.kw {
            Some(k) => !matches!(
                k,
                Kw::Sizeof | Kw::Alignof | Kw::StaticAssert | Kw::Asm | Kw::BuiltinOffsetof
            ),
            None => self.is_typedef_name(self.text_of(t)),
        }
    }

    /// Parses declaration specifiers.
    pub(super) fn specifiers(&mut self, ctx: SpecCtx) -> PResult<Specs> {
        let start = self.pos;
        let mut counts = [0u8; N_BASIC];
        let mut first_basic: Option<usize> = None;
        let mut named: Option<TypeId> = None;
        let mut storage = Storage::None;
        let mut quals = Quals::NONE;
        let mut attrs = Attrs::default();
        let mut anon_record = false;
        loop {
            let t = self.tok();
            if t.tk == Tk::Punct(P::LBrack) && self.nth(1).tk == Tk::Punct(P::LBrack) {
                self.skip_balanced()?; // C23 [[attributes]]
                continue;
            }
            if t.tk != Tk::Ident {
                break;
            }
            let word = self.text_of(t);
            let has_type = named.is_some() || first_basic.is_some();
            let Some(kw) = t.kw else {
                if has_type {
                    break;
                }
                match self.typedef_type(word) {
                    Some(id) => {
                        named = Some(id);
                        self.bump()?;
                        continue;
                    }
                    None => break,
                }
            };
            match kw {
                Kw::Typedef | Kw::Extern | Kw::Static | Kw::Auto | Kw::Register | Kw::ThreadLocal => {
                    let allowed = ctx == SpecCtx::Top || (ctx == SpecCtx::Param && kw == Kw::Register);
                    if !allowed {
                        return Err(self.err(
                            ParseErrorKind::UnexpectedToken,
                            format!("storage class `{word}` is not allowed here"),
                        ));
                    }
                    let new = match kw {
                        Kw::Typedef => Storage::Typedef,
                        Kw::Extern => Storage::Extern,
                        Kw::Static => Storage::Static,
                        _ => Storage::Other,
                    };
                    // `extern __thread` / `static _Thread_local` are fine.
                    if kw != Kw::ThreadLocal {
                        if storage != Storage::None && storage != Storage::Other {
                            return Err(self.err(
                                ParseErrorKind::UnexpectedToken,
                                format!("more than one storage class in a declaration (`{word}`)"),
                            ));
                        }
                        storage = new;
                    }
                    self.bump()?;
                }
                Kw::Inline | Kw::Noreturn | Kw::Extension => self.bump()?,
                Kw::Const => {
                    quals.is_const = true;
                    self.bump()?;
                }
                Kw::Volatile => {
                    quals.is_volatile = true;
                    self.bump()?;
                }
                Kw::Restrict => {
                    quals.is_restrict = true;
                    self.bump()?;
                }
                Kw::Atomic => {
                    if self.nth(1).tk == Tk::Punct(P::LParen) {
                        return Err(self.err(
                            ParseErrorKind::Unsupported,
                            "`_Atomic(type)` is not supported".to_string(),
                        ));
                    }
                    self.bump()?;
                }
                Kw::Attribute => self.attribute(&mut attrs)?,
                Kw::Alignas => self.alignas(&mut attrs)?,
                Kw::Basic(b) => {
                    if b == Basic::Float128 && !extended_float(word, self.types.target()) {
                        return Err(self.unsupported_type(word));
                    }
                    if named.is_some() {
                        return Err(self.err(
                            ParseErrorKind::InvalidType,
                            format!("`{word}` cannot be combined with the type named before it"),
                        ));
                    }
                    counts[b as usize] += 1;
                    first_basic.get_or_insert(self.pos);
                    self.bump()?;
                }
                Kw::UnsupportedType => {
                    return Err(self.unsupported_type(word));
                }
                Kw::Struct | Kw::Union | Kw::Enum | Kw::Typeof => {
                    if has_type {
                        return Err(self.err(
                            ParseErrorKind::InvalidType,
                            format!("`{word}` cannot be combined with the type named before it"),
                        ));
                    }
                    let id = match kw {
                        Kw::Struct | Kw::Union => {
                            let kind = if kw == Kw::Struct {
                                RecordKind::Struct
                            } else {
                                RecordKind::Union
                            };
                            let (id, anon) = self.record_spec(kind)?;
                            anon_record = anon;
                            id
                        }
                        Kw::Enum => self.enum_spec()?,
                        _ => self.typeof_spec()?,
                    };
                    named = Some(id);
                }
                Kw::Asm | Kw::Sizeof | Kw::Alignof | Kw::StaticAssert | Kw::BuiltinOffsetof => break,
            }
        }
        let base = match (named, first_basic) {
            (Some(id), _) => id,
            (None, Some(idx)) => {
                let p = basic_prim(&counts).ok_or_else(|| {
                    self.err_at(
                        idx,
                        ParseErrorKind::InvalidType,
                        format!("invalid combination of type specifiers {}", self.spell_counts(&counts)),
                    )
                })?;
                self.prim(p)
            }
            (None, None) => {
                let t = self.tok();
                if t.tk == Tk::Ident && t.kw.is_none() {
                    let name = self.text_of(t);
                    if let Some(reason) = self.decls.unavailable.get(name) {
                        // A name whose declaration was skipped: this
                        // declaration is skipped too, with the first reason.
                        let msg = format!("`{name}` is not available: {reason}");
                        self.unsupported_type_at = Some(self.pos);
                        return Err(self.err(ParseErrorKind::Unsupported, msg));
                    }
                    return Err(self.err(ParseErrorKind::UnknownType, format!("unknown type name `{name}`")));
                }
                return Err(self.unexpected("a type"));
            }
        };
        let base = if quals.is_empty() {
            base
        } else {
            self.types.qualified(base, quals)
        };
        Ok(Specs {
            storage,
            base,
            attrs,
            start,
            anon_record: anon_record && quals.is_empty(),
        })
    }

    /// The error for a type abicall cannot represent; remembers where it
    /// was raised so a file-scope declaration using it can be skipped.
    fn unsupported_type(&mut self, word: &str) -> PErr {
        self.unsupported_type_at = Some(self.pos);
        self.err(
            ParseErrorKind::Unsupported,
            format!("type `{word}` is not supported on {}", self.types.target()),
        )
    }

    fn spell_counts(&self, counts: &[u8; N_BASIC]) -> String {
        const NAMES: [&str; N_BASIC] = [
            "void",
            "_Bool",
            "char",
            "short",
            "int",
            "long",
            "float",
            "double",
            "signed",
            "unsigned",
            "__int128",
            "_Complex",
            "_Float32",
            "_Float64",
            "_Float32x",
            "_Float128",
        ];
        let mut v = Vec::new();
        for (i, &c) in counts.iter().enumerate() {
            for _ in 0..c {
                v.push(NAMES[i]);
            }
        }
        format!("`{}`", v.join(" "))
    }

    /// `__attribute__((a, b(args), ...))` at the current token.
    pub(super) fn attribute(&mut self, attrs: &mut Attrs) -> PResult<()> {
        self.bump()?;
        self.expect(P::LParen, "(", " after `__attribute__`")?;
        self.expect(P::LParen, "(", " after `__attribute__(`")?;
        self.enter()?;
        loop {
            if self.eat(P::RParen)? {
                break;
            }
            if self.eat(P::Comma)? {
                continue;
            }
            let t = self.tok();
            if t.tk != Tk::Ident {
                return Err(self.unexpected("an attribute name"));
            }
            let raw = self.text_of(t);
            let name = raw.strip_prefix("__").and_then(|s| s.strip_suffix("__")).unwrap_or(raw);
            self.bump()?;
            let has_args = self.at(P::LParen);
            match (name, has_args) {
                ("packed", _) => {
                    attrs.packed = true;
                    if has_args {
                        self.skip_balanced()?;
                    }
                }
                ("aligned", false) => attrs.aligned = Some(attrs.aligned.unwrap_or(0).max(16)),
                ("aligned", true) => {
                    self.bump()?;
                    let idx = self.pos;
                    let v = self.const_expr()?;
                    let a = match v {
                        Val::Int(a, _) if a > 0 && (a as u128).is_power_of_two() && a <= 1 << 28 => a as u64,
                        _ => {
                            return Err(self.err_at(
                                idx,
                                ParseErrorKind::InvalidType,
                                "requested alignment is not a positive power of 2".to_string(),
                            ))
                        }
                    };
                    attrs.aligned = Some(attrs.aligned.unwrap_or(0).max(a));
                    self.expect(P::RParen, ")", " after the alignment")?;
                }
                ("mode", true) => {
                    self.bump()?;
                    let m = self.tok();
                    if m.tk != Tk::Ident {
                        return Err(self.unexpected("a machine mode such as `__DI__`"));
                    }
                    attrs.mode = Some((intern_mode(self.text_of(m)), self.pos));
                    self.bump()?;
                    self.expect(P::RParen, ")", " after the mode")?;
                }
                ("vector_size", true) => {
                    self.bump()?;
                    let idx = self.pos;
                    let n = match self.const_expr()? {
                        Val::Int(n, _) if n >= 0 && n <= i128::from(u64::MAX) => n as u64,
                        _ => {
                            return Err(self.err_at(
                                idx,
                                ParseErrorKind::InvalidType,
                                "`vector_size` needs a nonnegative integer constant".to_string(),
                            ))
                        }
                    };
                    attrs.vector_size = Some((n, idx));
                    self.expect(P::RParen, ")", " after the vector size")?;
                }
                ("vector_size", false) => {
                    return Err(self.err_at(
                        self.pos - 1,
                        ParseErrorKind::InvalidType,
                        "`vector_size` needs a size: `vector_size(N)`".to_string(),
                    ))
                }
                (_, true) => self.skip_balanced()?,
                (_, false) => {}
            }
        }
        self.leave();
        self.expect(P::RParen, ")", " to close `__attribute__((`")
    }

    /// `_Alignas(N)` / `_Alignas(type)`.
    fn alignas(&mut self, attrs: &mut Attrs) -> PResult<()> {
        self.bump()?;
        self.expect(P::LParen, "(", " after `_Alignas`")?;
        let idx = self.pos;
        let a = if self.starts_type(self.tok()) {
            let t = self.type_name()?;
            self.types
                .align_of(t)
                .map_err(|e| self.err_at(idx, ParseErrorKind::InvalidType, e.message()))?
        } else {
            match self.const_expr()? {
                Val::Int(a, _) if a >= 0 && (a == 0 || (a as u128).is_power_of_two()) && a <= 1 << 28 => a as u64,
                _ => {
                    return Err(self.err_at(
                        idx,
                        ParseErrorKind::InvalidType,
                        "requested alignment is not a power of 2".to_string(),
                    ))
                }
            }
        };
        if a > 0 {
            attrs.aligned = Some(attrs.aligned.unwrap_or(0).max(a));
        }
        self.expect(P::RParen, ")", " to close `_Alignas(`")
    }

    /// `typeof(type-name)`, `typeof(name)` of a declared function/variable,
    /// or `typeof(constant expression)`.
    fn typeof_spec(&mut self) -> PResult<TypeId> {
        self.bump()?;
        self.expect(P::LParen, "(", " after `typeof`")?;
        let ty = if self.starts_type(self.tok()) {
            self.type_name()?
        } else {
            let name = self.cur_text();
            let found = self
                .decls
                .variables
                .get(name)
                .map(|v| v.ty)
                .or_else(|| self.decls.functions.get(name).map(|f| f.ty));
            match found {
                Some(t) if self.tok().tk == Tk::Ident && self.nth(1).tk == Tk::Punct(P::RParen) => {
                    self.bump()?;
                    t
                }
                _ => {
                    // An arithmetic constant expression: its C type.
                    let p = match self.const_expr()? {
                        Val::Int(_, p) | Val::Float(_, p) => p,
                    };
                    self.types.prim(p)
                }
            }
        };
        self.expect(P::RParen, ")", " to close `typeof(`")?;
        Ok(ty)
    }

    /// Applies `__attribute__((mode(M)))` and then
    /// `__attribute__((vector_size(N)))` to the base type of a declaration.
    /// gcc applies `vector_size` to the innermost type of the declarator
    /// wherever the attribute is written (`float *p
    /// __attribute__((vector_size(16)))` is a pointer to a vector), which is
    /// this base type.
    pub(super) fn apply_mode(&mut self, base: TypeId, attrs: &Attrs) -> PResult<TypeId> {
        let base = self.apply_machine_mode(base, attrs)?;
        let Some((size, idx)) = attrs.vector_size else {
            return Ok(base);
        };
        let elem = match self.types.kind(base) {
            TypeKind::Prim(p) => Some(*p),
            TypeKind::Enum(_) => self.types.as_prim(base),
            _ => None,
        };
        let Some(elem) = elem else {
            return Err(self.err_at(
                idx,
                ParseErrorKind::InvalidType,
                format!(
                    "invalid vector type for attribute `vector_size`: `{}` is not an integer or real floating type",
                    self.types.display(base)
                ),
            ));
        };
        let quals = self.types.get(base).quals;
        let v = self
            .types
            .vector(elem, size)
            .map_err(|e| self.err_at(idx, ParseErrorKind::InvalidType, e.message()))?;
        Ok(self.types.qualified(v, quals))
    }

    /// Applies `__attribute__((mode(M)))` to a scalar base type.
    fn apply_machine_mode(&mut self, base: TypeId, attrs: &Attrs) -> PResult<TypeId> {
        let Some((mode, idx)) = attrs.mode else {
            return Ok(base);
        };
        let t = self.types.target();
        let p = match self.types.kind(base) {
            TypeKind::Prim(p) => Some(*p),
            _ => None,
        };
        match p.and_then(|p| mode_prim(mode, p, t)) {
            Some(np) => {
                let quals = self.types.get(base).quals;
                let id = self.types.prim(np);
                Ok(self.types.qualified(id, quals))
            }
            None => Err(self.err_at(
                idx,
                ParseErrorKind::Unsupported,
                format!(
                    "machine mode `{mode}` is not supported for `{}`",
                    self.types.display(base)
                ),
            )),
        }
    }
}

/// Whether extended float keyword `word` has the format of `long double` on
/// `t`: `_Float64x` is `long double` on x86_64 (x87) and aarch64 Linux
/// (binary128); `_Float128` / `__float128` only on aarch64 Linux (on x86_64
/// it is a distinct binary128 type abicall has no representation for).
fn extended_float(word: &str, t: Target) -> bool {
    match word {
        "_Float64x" => t != Target::Aarch64Apple,
        _ => t == Target::Aarch64Linux,
    }
}

/// Maps a mode name to a static string (modes are a small closed set).
fn intern_mode(s: &str) -> &'static str {
    const MODES: [&str; 12] = [
        "QI", "HI", "SI", "DI", "TI", "word", "pointer", "byte", "SF", "DF", "XF", "TF",
    ];
    let m = s.trim_start_matches("__").trim_end_matches("__");
    MODES.iter().copied().find(|x| *x == m).unwrap_or("unknown")
}

/// The scalar named by a combination of basic type keywords.
fn basic_prim(c: &[u8; N_BASIC]) -> Option<Prim> {
    use Basic as B;
    let n = |b: Basic| c[b as usize];
    let signed = n(B::Signed);
    let unsigned = n(B::Unsigned);
    if signed + unsigned > 1 || c.iter().enumerate().any(|(i, &k)| k > 1 && i != B::Long as usize) || n(B::Long) > 2 {
        return None;
    }
    // Everything named, other than the listed allowed keywords, must be absent.
    let only = |allowed: &[Basic]| {
        c.iter()
            .enumerate()
            .all(|(i, &k)| k == 0 || allowed.iter().any(|a| *a as usize == i))
    };
    let sign = |s: Prim, u: Prim| if unsigned > 0 { u } else { s };
    let sgn = [B::Signed, B::Unsigned];
    use Prim::*;
    Some(if n(B::Void) > 0 {
        only(&[B::Void]).then_some(Void)?
    } else if n(B::Bool) > 0 {
        only(&[B::Bool]).then_some(Bool)?
    } else if n(B::Char) > 0 {
        only(&[B::Char, B::Signed, B::Unsigned]).then_some(if signed > 0 {
            SChar
        } else if unsigned > 0 {
            UChar
        } else {
            Char
        })?
    } else if n(B::Short) > 0 {
        only(&[B::Short, B::Int, sgn[0], sgn[1]]).then_some(sign(Short, UShort))?
    } else if n(B::Int128) > 0 {
        only(&[B::Int128, sgn[0], sgn[1]]).then_some(sign(Int128, UInt128))?
    } else if n(B::Long) == 1 && n(B::Double) > 0 {
        if n(B::Complex) > 0 {
            only(&[B::Long, B::Double, B::Complex]).then_some(LongDoubleComplex)?
        } else {
            only(&[B::Long, B::Double]).then_some(LongDouble)?
        }
    } else if n(B::Long) == 2 {
        only(&[B::Long, B::Int, sgn[0], sgn[1]]).then_some(sign(LongLong, ULongLong))?
    } else if n(B::Long) == 1 {
        only(&[B::Long, B::Int, sgn[0], sgn[1]]).then_some(sign(Long, ULong))?
    } else if n(B::Float) > 0 {
        only(&[B::Float, B::Complex]).then_some(if n(B::Complex) > 0 { FloatComplex } else { Float })?
    } else if n(B::Double) > 0 {
        only(&[B::Double, B::Complex]).then_some(if n(B::Complex) > 0 { DoubleComplex } else { Double })?
    } else if n(B::Float32) > 0 {
        only(&[B::Float32, B::Complex]).then_some(if n(B::Complex) > 0 { FloatComplex } else { Float })?
    } else if n(B::Float64) > 0 || n(B::Float32x) > 0 {
        only(&[B::Float64, B::Float32x, B::Complex]).then_some(if n(B::Complex) > 0 {
            DoubleComplex
        } else {
            Double
        })?
    } else if n(B::Float128) > 0 {
        only(&[B::Float128, B::Complex]).then_some(if n(B::Complex) > 0 {
            LongDoubleComplex
        } else {
            LongDouble
        })?
    } else if n(B::Complex) > 0 {
        only(&[B::Complex]).then_some(DoubleComplex)?
    } else {
        only(&[B::Int, B::Signed, B::Unsigned]).then_some(sign(Int, UInt))?
    })
}
