//! Call plans: for one signature on one [`Target`], where every byte of every
//! argument and of the return value travels — which integer / floating-point
//! registers, which stack slots, and which values go through a hidden pointer.
//!
//! The plan is the single source of truth for the layers above: the libffi CIF
//! (element lists synthesized from [`ValueClass`]), the fast paths (arguments
//! sorted into GPR / FPR register images by [`Loc`]) and callbacks (which read
//! arguments from, and write results to, the same locations).
//!
//! Locations are data (as in Cranelift's `ArgSlot`): a value is a list of
//! [`Part`]s, each saying "bytes `[offset, offset + size)` of the value are in
//! this register / at this stack offset", or it is passed through a pointer
//! ([`Pass::Indirect`]). One routine per ABI computes them, for arguments and
//! returns alike:
//!
//! - [`x86_64`]: System V psABI §3.2.3 (eightbyte classification, numbered merge rules);
//! - [`aarch64`]: AAPCS64 §6.8 (stages A–C, rules cited by number), with the
//!   Apple arm64 variant as explicit branches.
//!
//! Everything is pure: a plan for any target is computed on any host.
//! [`ffi_shape`] turns a planned value into the libffi type a CIF should use.
//!
//! ```
//! use abicall::{Target, abi, types::{Types, Prim, FieldDecl, RecordKind, RecordAttrs}};
//! let mut t = Types::new(Target::X86_64SysV);
//! let (f, i) = (t.prim(Prim::Float), t.prim(Prim::Int));
//! let s = t.define_record(RecordKind::Struct, Some("s"), vec![
//!     FieldDecl::new("f", f), FieldDecl::new("i", i)], RecordAttrs::default()).unwrap();
//! let d = t.prim(Prim::Double);
//! let plan = abi::plan_call(&t, d, &[s, d], 2, false).unwrap();
//! assert_eq!(plan.to_snapshot(&t), "\
//! arg0 struct s: rdi[0..8]
//! arg1 double: xmm0[0..8]
//! ret double: xmm0[0..8]");
//! ```

pub mod aarch64;
pub mod ffi_shape;
pub mod x86_64;

use crate::error::{AbiErrorKind, Error, Result};
use crate::target::{Arch, Target};
use crate::types::{Prim, TypeId, TypeKind, Types};
use std::fmt::Write as _;

/// Where some bytes of a value live at the call boundary.
///
/// Register numbers index the ABI's register *sequence*, not the hardware
/// encoding: on x86_64, argument `Gpr(0..6)` are `rdi rsi rdx rcx r8 r9` and
/// return `Gpr(0..2)` are `rax rdx`; `Fpr(n)` is `xmmN`. On aarch64 `Gpr(n)` is
/// `xN` (`Gpr(8)` = `x8`, the indirect result register) and `Fpr(n)` is `vN`
/// for arguments and returns alike. [`Loc::name`] spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// A general-purpose register; the bytes sit in its least significant bits.
    Gpr(u8),
    /// A SIMD / floating-point register; the bytes sit in its least significant bits.
    Fpr(u8),
    /// An x87 stack register (`st0`, `st1`); x86_64 returns only.
    X87(u8),
    /// The outgoing argument area: byte offset from the stack pointer at the call.
    Stack(u64),
}

/// Extension of a narrow integer (`_Bool`, `char`, `short`) that the ABI
/// requires of whoever *produces* the value (the caller for arguments, the
/// callee for returns). A producer may always extend; a consumer may rely on
/// the upper bits only where this says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ext {
    /// Upper bits are unspecified.
    None,
    /// Sign-extended to 32 bits.
    Sign32,
    /// Zero-extended to 32 bits.
    Zero32,
}

/// Bytes `[offset, offset + size)` of a value, carried in `loc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Part {
    /// First byte of the value carried.
    pub offset: u64,
    /// Number of bytes carried. In an [`Loc::Fpr`] this is also the access
    /// width: 4 = single (`sN`), 8 = double (`dN`) or a packed eightbyte,
    /// 16 = quad (`qN`, aarch64 binary128).
    pub size: u64,
    /// Where.
    pub loc: Loc,
    /// Extension of a narrow integer in this location.
    pub ext: Ext,
}

/// How a value crosses the call boundary.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pass {
    /// The value's bytes are in these locations (none for an empty struct or `void`).
    Direct(Vec<Part>),
    /// Through memory the caller provides.
    ///
    /// For an argument (AAPCS64 B.4, composites > 16 bytes): the caller copies
    /// the value to memory it owns and passes the copy's address in `ptr` (a
    /// register or an 8-byte stack slot). For a return value: the caller
    /// passes the address of the result buffer in `ptr` (x86_64 `rdi`, taking
    /// the first integer argument register; aarch64 `x8`) and, on x86_64, the
    /// callee returns that address in `returned_in` (`rax`).
    Indirect {
        /// Where the address goes.
        ptr: Loc,
        /// Where the callee returns the address (returns only; x86_64 `rax`).
        returned_in: Option<Loc>,
    },
}

/// What a value *is* to the ABI; what the libffi CIF synthesizes its element
/// list from (see the module docs of [`x86_64`] and [`aarch64`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueClass {
    /// `void` (returns only).
    Void,
    /// A scalar of this type (enums: their underlying type; after variadic
    /// promotion, the promoted type).
    Scalar(Prim),
    /// A data or function pointer.
    Pointer,
    /// An aggregate of size 0 (GNU C empty struct): passed as nothing.
    Empty,
    /// x86_64: an aggregate classified into eightbytes of class INTEGER /
    /// SSE (NO_CLASS for padding-only eightbytes; X87 + X87UP for a struct
    /// holding one `long double`). Synthesize one filler element per
    /// eightbyte of that class.
    Eightbytes(Vec<x86_64::Class>),
    /// x86_64: an aggregate of class MEMORY (also `long double _Complex`,
    /// COMPLEX_X87): an opaque block of the value's size and alignment.
    Memory,
    /// aarch64: a homogeneous floating-point aggregate (also `_Complex`):
    /// `count` members of the floating-point type `base`.
    Hfa {
        /// `Float`, `Double` or `LongDouble`.
        base: Prim,
        /// 1 to 4.
        count: u8,
    },
    /// aarch64: a short vector (a GCC vector type of 8 or 16 bytes; `count`
    /// is then 1) or a homogeneous short-vector aggregate of `count` such
    /// vectors: one `v` register (`dN` / `qN`) per vector.
    Hva {
        /// Bytes per vector: 8 or 16.
        size: u64,
        /// 1 to 4.
        count: u8,
    },
    /// aarch64: any other composite (≤ 16 bytes: in GPRs as if loaded by
    /// `LDR`s; larger: passed by reference to a copy).
    Composite,
}

/// The plan for one argument or for the return value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ValuePlan {
    /// The declared type.
    pub ty: TypeId,
    /// For a variadic argument changed by the default argument promotions
    /// (`float` → `double`, integers narrower than `int` → `int`): the type
    /// actually passed. The caller converts the value first; a callback
    /// converts back.
    pub promoted: Option<Prim>,
    /// Size of the passed value in bytes (after promotion).
    pub size: u64,
    /// Alignment of the passed value in bytes (after promotion).
    pub align: u64,
    /// What the value is to the ABI.
    pub class: ValueClass,
    /// Where it goes.
    pub pass: Pass,
}

impl ValuePlan {
    /// The parts of a directly passed value (empty for [`Pass::Indirect`]).
    pub fn parts(&self) -> &[Part] {
        match &self.pass {
            Pass::Direct(p) => p,
            Pass::Indirect { .. } => &[],
        }
    }
}

/// A complete call plan for one signature on one target.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallPlan {
    /// The ABI this plan is for.
    pub target: Target,
    /// One plan per argument actually passed (fixed, then variadic).
    pub args: Vec<ValuePlan>,
    /// The return value (class [`ValueClass::Void`] for `void`).
    pub ret: ValuePlan,
    /// The function is variadic (`...`).
    pub variadic: bool,
    /// Number of named (fixed) parameters; `args[fixed_args..]` are variadic.
    pub fixed_args: usize,
    /// Integer argument registers used (x86_64: including the hidden return pointer in `rdi`).
    pub gpr_used: u8,
    /// Floating-point / vector argument registers used.
    pub fpr_used: u8,
    /// Bytes of outgoing stack arguments (a multiple of 8; the caller keeps
    /// the stack pointer 16-aligned at the call).
    pub stack_size: u64,
    /// Alignment the stack pointer needs at the call: 16, or more when an
    /// over-aligned argument is passed on the stack (x86_64 gcc realigns the
    /// stack for a 32-byte-aligned struct argument).
    pub stack_align: u64,
    /// x86_64 variadic calls: the value for `al` (an upper bound of the vector
    /// registers used; we give the exact count). `None` elsewhere.
    pub al: Option<u8>,
}

/// Plans a call: `ret` and `params` are the return and argument types
/// actually passed; `params[..fixed_args]` are the named parameters and the
/// rest are variadic arguments (only with `variadic`).
pub fn plan_call(types: &Types, ret: TypeId, params: &[TypeId], fixed_args: usize, variadic: bool) -> Result<CallPlan> {
    if fixed_args > params.len() || (!variadic && fixed_args != params.len()) {
        return Err(Error::abi(
            AbiErrorKind::ArgumentCount,
            None,
            format!(
                "{} argument(s) given for {} named parameter(s){}",
                params.len(),
                fixed_args,
                if variadic { "" } else { " of a non-variadic function" }
            ),
        ));
    }
    let mut vals = Vec::with_capacity(params.len());
    for (i, &p) in params.iter().enumerate() {
        vals.push(ArgInput::new(types, p, i, i >= fixed_args)?);
    }
    let ret = RetInput::new(types, ret)?;
    let inputs = Inputs {
        ret,
        args: vals,
        fixed_args,
        variadic,
    };
    match types.target() {
        Target::X86_64SysV => x86_64::plan(types, &inputs),
        Target::Aarch64Linux | Target::Aarch64Apple => aarch64::plan(types, &inputs),
    }
}

/// Plans a call to a function of type `func` (a function type or a pointer to
/// one); `variadic_args` are the types of the arguments passed for `...`.
pub fn plan_func(types: &Types, func: TypeId, variadic_args: &[TypeId]) -> Result<CallPlan> {
    let sig = types.sig_of(func).ok_or_else(|| {
        Error::abi(
            AbiErrorKind::NotAFunction,
            None,
            format!("`{}` is not a function type", types.display(func)),
        )
    })?;
    if !sig.variadic && !variadic_args.is_empty() {
        return Err(Error::abi(
            AbiErrorKind::NotVariadic,
            None,
            format!(
                "`{}` is not variadic but {} extra argument(s) were given",
                types.display(func),
                variadic_args.len()
            ),
        ));
    }
    let mut params = sig.params.clone();
    params.extend_from_slice(variadic_args);
    plan_call(types, sig.ret, &params, sig.params.len(), sig.variadic)
}

/// A checked argument, ready for classification.
pub(crate) struct ArgInput {
    pub ty: TypeId,
    pub promoted: Option<Prim>,
    pub variadic: bool,
}

impl ArgInput {
    fn new(types: &Types, ty: TypeId, index: usize, variadic: bool) -> Result<ArgInput> {
        let what = || format!("argument {index} of type `{}`", types.display(ty));
        match types.kind(ty) {
            TypeKind::Prim(Prim::Void) => {
                return Err(Error::abi(
                    AbiErrorKind::NotPassable,
                    Some(index),
                    format!("{} cannot be passed", what()),
                ))
            }
            TypeKind::Func(_) => {
                return Err(Error::abi(
                    AbiErrorKind::NotPassable,
                    Some(index),
                    format!("{}: pass a pointer to the function instead", what()),
                ))
            }
            TypeKind::Array { .. } => {
                return Err(Error::abi(
                    AbiErrorKind::NotPassable,
                    Some(index),
                    format!(
                        "{}: arrays cannot be passed by value (C adjusts them to pointers)",
                        what()
                    ),
                ))
            }
            _ => {}
        }
        let (size, _) = types.size_align(ty).map_err(|e| {
            Error::abi(
                AbiErrorKind::Incomplete,
                Some(index),
                format!("{}: {}", what(), e.message()),
            )
        })?;
        if size > MAX_BY_VALUE {
            return Err(Error::abi(
                AbiErrorKind::TooLarge,
                Some(index),
                format!(
                    "{} is {size} bytes, too large to pass by value (limit {MAX_BY_VALUE}); pass a pointer",
                    what()
                ),
            ));
        }
        let promoted = if variadic { default_promotion(types, ty) } else { None };
        Ok(ArgInput { ty, promoted, variadic })
    }
}

/// Largest value passed by value (keeps stack offsets far from overflow).
pub const MAX_BY_VALUE: u64 = 1 << 32;

/// The return type, checked.
pub(crate) struct RetInput {
    pub ty: TypeId,
    pub void: bool,
}

impl RetInput {
    fn new(types: &Types, ty: TypeId) -> Result<RetInput> {
        let what = || format!("return type `{}`", types.display(ty));
        match types.kind(ty) {
            TypeKind::Prim(Prim::Void) => return Ok(RetInput { ty, void: true }),
            TypeKind::Func(_) | TypeKind::Array { .. } => {
                return Err(Error::abi(
                    AbiErrorKind::NotPassable,
                    None,
                    format!("{}: C functions cannot return it", what()),
                ))
            }
            _ => {}
        }
        types
            .size_align(ty)
            .map_err(|e| Error::abi(AbiErrorKind::Incomplete, None, format!("{}: {}", what(), e.message())))?;
        Ok(RetInput { ty, void: false })
    }
}

/// Everything a per-ABI planner needs.
pub(crate) struct Inputs {
    pub ret: RetInput,
    pub args: Vec<ArgInput>,
    pub fixed_args: usize,
    pub variadic: bool,
}

/// C's default argument promotions for an argument matching `...`:
/// `float` → `double`; `_Bool`, `char`, `short` (and enums whose underlying
/// type is that narrow) → `int`. `None` when the type is unchanged.
pub fn default_promotion(types: &Types, ty: TypeId) -> Option<Prim> {
    let p = types.as_prim(ty)?;
    use Prim::*;
    match p {
        Float => Some(Double),
        Bool | Char | SChar | UChar | Short | UShort => Some(Int),
        _ => None,
    }
}

/// The scalar view of a type: prim (enums: underlying), or `None` for pointers
/// and aggregates.
pub(crate) fn scalar_of(types: &Types, ty: TypeId, promoted: Option<Prim>) -> Option<Prim> {
    promoted.or_else(|| types.as_prim(ty))
}

/// The extension a narrow integer scalar gets when `extends` holds for the ABI.
pub(crate) fn narrow_ext(p: Prim, target: Target) -> Ext {
    use Prim::*;
    match p {
        Bool | UChar | UShort => Ext::Zero32,
        SChar | Short => Ext::Sign32,
        Char => {
            if target.char_is_signed() {
                Ext::Sign32
            } else {
                Ext::Zero32
            }
        }
        _ => Ext::None,
    }
}

pub(crate) fn round_up(v: u64, a: u64) -> u64 {
    debug_assert!(a.is_power_of_two());
    (v + a - 1) & !(a - 1)
}

impl Loc {
    /// The assembler name of this location on `target`; `ret` selects the
    /// return-register sequence on x86_64 (`rax rdx`), `size` picks the
    /// aarch64 FP register view (`s` / `d` / `q`).
    pub fn name(self, target: Target, ret: bool, size: u64) -> String {
        match (target.arch(), self) {
            (_, Loc::Stack(o)) => format!("stack+{o}"),
            (_, Loc::X87(n)) => format!("st{n}"),
            (Arch::X86_64, Loc::Gpr(n)) => {
                let seq: &[&str] = if ret { &x86_64::RET_GPRS } else { &x86_64::ARG_GPRS };
                seq.get(n as usize).map_or_else(|| format!("gpr{n}"), |s| s.to_string())
            }
            (Arch::X86_64, Loc::Fpr(n)) => format!("xmm{n}"),
            (Arch::Aarch64, Loc::Gpr(n)) => format!("x{n}"),
            (Arch::Aarch64, Loc::Fpr(n)) => match size {
                0..=4 => format!("s{n}"),
                5..=8 => format!("d{n}"),
                _ => format!("q{n}"),
            },
        }
    }
}

impl CallPlan {
    /// The exact-output snapshot form, one line per argument then the return:
    /// `arg1 struct s: rdi[0..8] xmm0[8..16]`, `arg0 char: rdi[0..1]+sext32`,
    /// `arg2 struct big: indirect x2`, `ret struct big: sret rdi -> rax`,
    /// followed by `al=N` for x86_64 variadic calls.
    pub fn to_snapshot(&self, types: &Types) -> String {
        let mut out = String::new();
        for (i, a) in self.args.iter().enumerate() {
            let _ = write!(out, "arg{i}{} ", if i >= self.fixed_args { "..." } else { "" });
            self.write_value(types, a, false, &mut out);
            out.push('\n');
        }
        out.push_str("ret ");
        self.write_value(types, &self.ret, true, &mut out);
        if let Some(al) = self.al {
            let _ = write!(out, "\nal={al}");
        }
        out
    }

    fn write_value(&self, types: &Types, v: &ValuePlan, ret: bool, out: &mut String) {
        out.push_str(&types.display(v.ty));
        if let Some(p) = v.promoted {
            let _ = write!(out, " as {}", p.c_name());
        }
        out.push(':');
        match &v.pass {
            Pass::Direct(parts) if parts.is_empty() => out.push_str(" -"),
            Pass::Direct(parts) => {
                for p in parts {
                    let _ = write!(
                        out,
                        " {}[{}..{}]",
                        p.loc.name(self.target, ret, p.size),
                        p.offset,
                        p.offset + p.size
                    );
                    match p.ext {
                        Ext::None => {}
                        Ext::Sign32 => out.push_str("+sext32"),
                        Ext::Zero32 => out.push_str("+zext32"),
                    }
                }
            }
            Pass::Indirect { ptr, returned_in } => {
                let _ = write!(
                    out,
                    " {} {}",
                    if ret { "sret" } else { "indirect" },
                    ptr.name(self.target, false, 8)
                );
                if let Some(r) = returned_in {
                    let _ = write!(out, " -> {}", r.name(self.target, true, 8));
                }
            }
        }
    }
}
