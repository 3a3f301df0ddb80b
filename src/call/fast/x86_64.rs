//! The x86_64 SysV fast path: move lists from plans, and the invokers.
//!
//! An invoker calls the C function through
//! `extern "C" fn(u64 ×6, f64 ×8, u64 ×N) -> R`: the six `u64`s land in
//! `rdi rsi rdx rcx r8 r9`, the eight `f64`s in `xmm0`–`xmm7` (psABI
//! §3.2.3: the two register files are assigned independently) and the
//! remaining `u64`s in consecutive 8-byte stack slots from `rsp` at the
//! call. Passing more registers or stack slots than the callee reads is
//! harmless: the caller owns the argument area. `R` is one of four
//! `#[repr(C)]` pairs, which the psABI returns in `rax:rdx`, `xmm0:xmm1`,
//! `xmm0:rax` or `rax:xmm0` — every register-returned shape without x87.
//!
//! Variadic callees read `al` (an upper bound of the vector registers used):
//! their invokers use a C-variadic function-pointer type
//! `extern "C" fn(u64 ×6, f64 ×8, ...)`, for which rustc sets `al` (to 8,
//! the eight `f64` parameters), and pass the stack slots as `...` `u64`s.

use super::super::errno;
use super::moves::{bytes_load, reg_load, Load};
use crate::abi::{CallPlan, Ext, Loc, Pass, ValueClass};
use crate::types::Prim;
use std::ffi::c_void;

/// Integer argument registers.
const GPRS: usize = 6;
/// SSE argument registers.
const FPRS: usize = 8;
/// Most 8-byte stack slots a fast call passes.
pub(crate) const MAX_STACK_SLOTS: usize = 8;
/// The register image: `gpr ×6, fpr ×8, stack ×MAX_STACK_SLOTS`.
const IMAGE: usize = GPRS + FPRS + MAX_STACK_SLOTS;

type Image = [u64; IMAGE];
/// An invoker: calls `code` with the image, returns the return register pair.
type Invoker = unsafe fn(*const c_void, &Image) -> [u64; 2];

/// One move: bytes of argument `arg` at `offset`, loaded per `load`, into image slot `dst`.
#[derive(Clone, Copy, Debug)]
struct Move {
    arg: u32,
    offset: u32,
    dst: u8,
    load: Load,
}

/// One part of the return value: `size` bytes from register `reg` (0 or 1
/// of the returned pair) to byte `offset` of the result.
#[derive(Clone, Copy, Debug)]
struct RetMove {
    reg: u8,
    offset: u8,
    size: u8,
}

/// Which registers the returned `#[repr(C)]` pair occupies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetShape {
    /// `rax`, `rdx` (also `void` and a hidden-pointer return).
    IntInt,
    /// `xmm0`, `xmm1`.
    SseSse,
    /// `xmm0`, `rax`.
    SseInt,
    /// `rax`, `xmm0`.
    IntSse,
}

/// A compiled fast call for one plan.
pub(crate) struct FastCall {
    moves: Box<[Move]>,
    /// Arguments without moves (empty structs): their pointers are only
    /// checked for NULL.
    unmoved: Box<[u32]>,
    ret: [RetMove; 2],
    nret: u8,
    /// The result goes through a hidden pointer in `rdi`.
    sret: bool,
    invoker: Invoker,
}

impl std::fmt::Debug for FastCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastCall")
            .field("moves", &self.moves)
            .field("ret", &&self.ret[..self.nret as usize])
            .field("sret", &self.sret)
            .finish()
    }
}

impl FastCall {
    /// Compiles `plan`, or `None` when it needs libffi (x87 values, more
    /// than [`MAX_STACK_SLOTS`] stack slots, another target).
    /// `declared[i]` is argument `i`'s declared scalar type (needed for
    /// variadic promotions).
    pub(crate) fn new(plan: &CallPlan, declared: &[Option<Prim>], signed_char: bool) -> Option<FastCall> {
        // The invokers keep the stack 16-aligned: an over-aligned stack
        // argument (32-byte aligned struct) needs the JIT.
        if plan.target != crate::Target::X86_64SysV
            || plan.stack_size > (MAX_STACK_SLOTS * 8) as u64
            || plan.stack_align > 16
        {
            return None;
        }
        let mut moves = Vec::new();
        let mut unmoved = Vec::new();
        for (i, a) in plan.args.iter().enumerate() {
            let arg = u32::try_from(i).ok()?;
            let before = moves.len();
            let Pass::Direct(parts) = &a.pass else {
                // x86_64 has no by-reference arguments; MEMORY goes on the stack.
                return None;
            };
            for p in parts {
                let offset = u32::try_from(p.offset).ok()?;
                match p.loc {
                    Loc::Gpr(r) if (r as usize) < GPRS => {
                        moves.push(Move {
                            arg,
                            offset,
                            dst: r,
                            load: reg_load(
                                a.promoted,
                                declared.get(i).copied().flatten(),
                                p.size,
                                p.ext,
                                signed_char,
                            )?,
                        });
                    }
                    Loc::Fpr(r) if (r as usize) < FPRS => {
                        moves.push(Move {
                            arg,
                            offset,
                            dst: (GPRS + r as usize) as u8,
                            load: reg_load(
                                a.promoted,
                                declared.get(i).copied().flatten(),
                                p.size,
                                Ext::None,
                                signed_char,
                            )?,
                        });
                    }
                    Loc::Stack(off) if off % 8 == 0 => {
                        let first = (off / 8) as usize;
                        let words = p.size.div_ceil(8) as usize;
                        if first + words > MAX_STACK_SLOTS {
                            return None;
                        }
                        if words == 1 {
                            moves.push(Move {
                                arg,
                                offset,
                                dst: (GPRS + FPRS + first) as u8,
                                load: reg_load(
                                    a.promoted,
                                    declared.get(i).copied().flatten(),
                                    p.size,
                                    p.ext,
                                    signed_char,
                                )?,
                            });
                        } else {
                            // An aggregate (or 16-byte scalar) copied word by word.
                            for w in 0..words {
                                let n = (p.size - w as u64 * 8).min(8);
                                moves.push(Move {
                                    arg,
                                    offset: offset + w as u32 * 8,
                                    dst: (GPRS + FPRS + first + w) as u8,
                                    load: bytes_load(n)?,
                                });
                            }
                        }
                    }
                    _ => return None,
                }
            }
            if moves.len() == before {
                unmoved.push(arg);
            }
        }
        let (shape, ret, nret, sret) = match &plan.ret.pass {
            _ if matches!(plan.ret.class, ValueClass::Void) => (RetShape::IntInt, [RET_NONE; 2], 0, false),
            Pass::Indirect { ptr: Loc::Gpr(0), .. } => (RetShape::IntInt, [RET_NONE; 2], 0, true),
            Pass::Indirect { .. } => return None,
            Pass::Direct(parts) => ret_shape(parts)?,
        };
        let invoker = pick(shape, plan.stack_size.div_ceil(8) as usize, plan.variadic)?;
        Some(FastCall {
            moves: moves.into_boxed_slice(),
            unmoved: unmoved.into_boxed_slice(),
            ret,
            nret,
            sret,
            invoker,
        })
    }

    /// Calls `code` with `args` (one pointer per planned argument) and
    /// writes the result to `ret`. Returns `false`, having called nothing,
    /// when an argument pointer is NULL (checked while moving, so the
    /// common case makes one pass over the arguments).
    ///
    /// # Safety
    /// `args.len()` is the plan's argument count; `code` is a C function of
    /// the compiled plan's signature; non-NULL `args` and `ret` as for
    /// [`crate::call::RawCall::call`].
    #[inline(always)]
    pub(crate) unsafe fn call(&self, code: *const c_void, args: &[*const c_void], ret: *mut c_void) -> bool {
        let mut image: Image = [0; IMAGE];
        for m in self.moves.iter() {
            // SAFETY: `m.arg` < the plan's argument count = `args.len()`
            // (checked by the caller), by construction in `new`.
            let a = unsafe { *args.get_unchecked(m.arg as usize) };
            if a.is_null() {
                return false;
            }
            // SAFETY: `a` points to a value of the planned type, whose bytes
            // `[offset, offset + load width)` the plan covers; `m.dst` < IMAGE
            // by construction in `new`.
            let src = unsafe { (a as *const u8).add(m.offset as usize) };
            // The common case (a whole eightbyte) without the dispatch.
            let v = if m.load == Load::U64 {
                // SAFETY: `src` has the eight bytes of this eightbyte (the plan
                // covers `[offset, offset + 8)` of the argument).
                unsafe { (src as *const u64).read_unaligned() }
            } else {
                // SAFETY: `src` has the bytes `m.load` reads (the plan covers
                // `[offset, offset + load width)` of the argument).
                unsafe { m.load.read(src) }
            };
            // SAFETY: `m.dst` < IMAGE (see above).
            unsafe { *image.get_unchecked_mut(m.dst as usize) = v };
        }
        for &i in self.unmoved.iter() {
            // SAFETY: `i` < the plan's argument count = `args.len()`.
            if unsafe { args.get_unchecked(i as usize) }.is_null() {
                return false;
            }
        }
        if self.sret {
            image[0] = ret as u64;
        }
        errno::before_call();
        // SAFETY: the invoker matches the plan's shape; `code` has the
        // plan's signature (caller contract).
        let pair = unsafe { (self.invoker)(code, &image) };
        errno::after_call();
        for r in &self.ret[..self.nret as usize] {
            // SAFETY: `ret` has room for the return value, which covers
            // `[offset, offset + size)`; `reg` < 2, `size` ≤ 8.
            unsafe {
                store(
                    pair[r.reg as usize & 1],
                    (ret as *mut u8).add(r.offset as usize),
                    r.size,
                )
            };
        }
        true
    }
}

/// Stores the low `size` (≤ 8) bytes of `v` at `dst`.
///
/// # Safety
/// `dst` has `size` writable bytes.
#[inline(always)]
unsafe fn store(v: u64, dst: *mut u8, size: u8) {
    // SAFETY: `dst` has `size` writable bytes (this function's contract) and
    // every arm writes at most `size` bytes, unaligned.
    unsafe {
        match size {
            8 => (dst as *mut u64).write_unaligned(v),
            4 => (dst as *mut u32).write_unaligned(v as u32),
            2 => (dst as *mut u16).write_unaligned(v as u16),
            1 => dst.write(v as u8),
            n => {
                for k in 0..n.min(8) as usize {
                    dst.add(k).write((v >> (8 * k)) as u8);
                }
            }
        }
    }
}

const RET_NONE: RetMove = RetMove {
    reg: 0,
    offset: 0,
    size: 0,
};

/// The return shape and moves for register-returned parts.
fn ret_shape(parts: &[crate::abi::Part]) -> Option<(RetShape, [RetMove; 2], u8, bool)> {
    let mv = |reg: u8, p: &crate::abi::Part| -> Option<RetMove> {
        (p.size <= 8 && p.offset < 256).then_some(RetMove {
            reg,
            offset: p.offset as u8,
            size: p.size as u8,
        })
    };
    Some(match parts {
        [] => (RetShape::IntInt, [RET_NONE; 2], 0, false),
        [a] => {
            let shape = match a.loc {
                Loc::Gpr(0) => RetShape::IntInt,
                Loc::Fpr(0) => RetShape::SseSse,
                _ => return None,
            };
            (shape, [mv(0, a)?, RET_NONE], 1, false)
        }
        [a, b] => {
            let shape = match (a.loc, b.loc) {
                (Loc::Gpr(0), Loc::Gpr(1)) => RetShape::IntInt,
                (Loc::Fpr(0), Loc::Fpr(1)) => RetShape::SseSse,
                (Loc::Fpr(0), Loc::Gpr(0)) => RetShape::SseInt,
                (Loc::Gpr(0), Loc::Fpr(0)) => RetShape::IntSse,
                _ => return None,
            };
            (shape, [mv(0, a)?, mv(1, b)?], 2, false)
        }
        _ => return None,
    })
}

/// A returned register pair.
trait Pair: Copy {
    fn bits(self) -> [u64; 2];
}

#[repr(C)]
#[derive(Clone, Copy)]
struct IntInt(u64, u64);
#[repr(C)]
#[derive(Clone, Copy)]
struct SseSse(f64, f64);
#[repr(C)]
#[derive(Clone, Copy)]
struct SseInt(f64, u64);
#[repr(C)]
#[derive(Clone, Copy)]
struct IntSse(u64, f64);

impl Pair for IntInt {
    #[inline(always)]
    fn bits(self) -> [u64; 2] {
        [self.0, self.1]
    }
}
impl Pair for SseSse {
    #[inline(always)]
    fn bits(self) -> [u64; 2] {
        [self.0.to_bits(), self.1.to_bits()]
    }
}
impl Pair for SseInt {
    #[inline(always)]
    fn bits(self) -> [u64; 2] {
        [self.0.to_bits(), self.1]
    }
}
impl Pair for IntSse {
    #[inline(always)]
    fn bits(self) -> [u64; 2] {
        [self.0, self.1.to_bits()]
    }
}

/// Defines a fixed and a variadic invoker passing the listed stack slots.
macro_rules! invokers {
    ($fixed:ident, $var:ident, [$($t:ty = $s:literal),*]) => {
        /// # Safety
        /// `code` is a C function taking at most the image's registers and
        /// these stack slots, returning in `R`'s registers.
        unsafe fn $fixed<R: Pair>(code: *const c_void, r: &Image) -> [u64; 2] {
            type F<R> = unsafe extern "C" fn(
                u64, u64, u64, u64, u64, u64,
                f64, f64, f64, f64, f64, f64, f64, f64 $(, $t)*
            ) -> R;
            // SAFETY: a C function pointer; the callee reads a subset of
            // these argument registers / slots (caller contract).
            unsafe {
                let f: F<R> = std::mem::transmute::<*const c_void, F<R>>(code);
                f(
                    r[0], r[1], r[2], r[3], r[4], r[5],
                    f64::from_bits(r[6]), f64::from_bits(r[7]), f64::from_bits(r[8]), f64::from_bits(r[9]),
                    f64::from_bits(r[10]), f64::from_bits(r[11]), f64::from_bits(r[12]), f64::from_bits(r[13])
                    $(, r[GPRS + FPRS + $s])*
                )
                .bits()
            }
        }

        /// # Safety
        /// As for the fixed invoker; the callee is variadic.
        unsafe fn $var<R: Pair>(code: *const c_void, r: &Image) -> [u64; 2] {
            type F<R> = unsafe extern "C" fn(
                u64, u64, u64, u64, u64, u64,
                f64, f64, f64, f64, f64, f64, f64, f64, ...
            ) -> R;
            // SAFETY: as in the fixed invoker; calling through a C-variadic
            // type makes the compiler set `al`.
            unsafe {
                let f: F<R> = std::mem::transmute::<*const c_void, F<R>>(code);
                f(
                    r[0], r[1], r[2], r[3], r[4], r[5],
                    f64::from_bits(r[6]), f64::from_bits(r[7]), f64::from_bits(r[8]), f64::from_bits(r[9]),
                    f64::from_bits(r[10]), f64::from_bits(r[11]), f64::from_bits(r[12]), f64::from_bits(r[13])
                    $(, r[GPRS + FPRS + $s])*
                )
                .bits()
            }
        }
    };
}

invokers!(fixed0, var0, []);
invokers!(fixed2, var2, [u64 = 0, u64 = 1]);
invokers!(fixed4, var4, [u64 = 0, u64 = 1, u64 = 2, u64 = 3]);
invokers!(
    fixed8,
    var8,
    [u64 = 0, u64 = 1, u64 = 2, u64 = 3, u64 = 4, u64 = 5, u64 = 6, u64 = 7]
);

/// The invoker for a shape: return pair, stack slots (rounded up to 0, 2,
/// 4 or 8), variadic or not.
fn pick(shape: RetShape, slots: usize, variadic: bool) -> Option<Invoker> {
    macro_rules! by_ret {
        ($f:ident) => {
            match shape {
                RetShape::IntInt => $f::<IntInt> as Invoker,
                RetShape::SseSse => $f::<SseSse> as Invoker,
                RetShape::SseInt => $f::<SseInt> as Invoker,
                RetShape::IntSse => $f::<IntSse> as Invoker,
            }
        };
    }
    Some(match (slots, variadic) {
        (0, false) => by_ret!(fixed0),
        (0, true) => by_ret!(var0),
        (1..=2, false) => by_ret!(fixed2),
        (1..=2, true) => by_ret!(var2),
        (3..=4, false) => by_ret!(fixed4),
        (3..=4, true) => by_ret!(var4),
        (5..=8, false) => by_ret!(fixed8),
        (5..=8, true) => by_ret!(var8),
        _ => return None,
    })
}
