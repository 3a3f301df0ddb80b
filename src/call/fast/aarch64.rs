//! The AAPCS64 fast path (Linux and the Apple arm64 variant): move lists
//! from plans, and one invoker written in assembly.
//!
//! The register image ([`Image`]) holds `x0`–`x7`, `x8` (the indirect
//! result register), `v0`–`v7` as full 16-byte registers (a `long double`
//! is binary128 in a `q` register; each HFA/HVA member takes its own `v`
//! register) and up to [`MAX_STACK_SLOTS`] 8-byte stack words. The moves
//! fill it from the caller's argument bytes:
//!
//! - a part in `x[n]` or `v[n]` goes to that register's low word(s) (a
//!   16-byte `q` part takes both words of its `v` register); narrow
//!   integers are extended to 64 bits per their signedness (AAPCS64 leaves
//!   the upper bits unspecified, but callers — gcc, clang, libffi — extend);
//! - a part at stack offset `o` goes to stack words `o / 8…` (the plan has
//!   already rounded the NSAA: 8 bytes, or 16 for 16-byte-aligned values,
//!   C.14 / C.4); `__int128` pairs (C.10 / C.11) are two 8-byte parts;
//! - a composite over 16 bytes (B.4) is copied into a per-call area of the
//!   call's frame, and the copy's address goes where the plan puts the
//!   pointer (a register or a stack word): the callee may write its copy;
//! - a hidden result buffer (§6.9) goes to `x8`.
//!
//! [`invoke`] then loads every argument register from the image, copies the
//! stack words below the stack pointer, calls the function and stores `x0`,
//! `x1` and `q0`–`q3` — every register AAPCS64 returns a value in — into a
//! return area, from which the plan's return parts are copied out.
//!
//! Variadic arguments on Linux AAPCS64 travel exactly like named ones
//! (after the default promotions, which the moves perform), so variadic
//! calls need nothing more. Apple arm64 plans use the same image: their
//! variadic arguments are stack parts in 8-byte slots, and a named stack
//! argument packed at its natural size and alignment (a `char` at any
//! byte, a `float` HFA at a 4-byte boundary) is or-ed into the stack words
//! it covers at its byte position (*packed moves*), without extension, so
//! that neighbours sharing a word keep their bytes.

use super::super::errno;
use super::moves::{bytes_load, reg_load, Load};
use crate::abi::{narrow_ext, CallPlan, Ext, Loc, Pass, ValueClass};
use crate::types::Prim;
use std::ffi::c_void;

/// General-purpose argument registers (`x0`–`x7`).
const GPRS: usize = 8;
/// SIMD / floating-point argument registers (`v0`–`v7`).
const FPRS: usize = 8;
/// Most 8-byte stack slots a fast call passes.
pub(crate) const MAX_STACK_SLOTS: usize = 8;
/// Most bytes of by-reference copies (composites over 16 bytes) per call.
const MAX_COPY_BYTES: usize = 512;

/// Image word of `x8`.
const X8: usize = 8;
/// Image word of the low half of `v0` (16-byte aligned: word 9 is padding).
const V0: usize = 10;
/// Image word of the first stack slot.
const STACK0: usize = V0 + 2 * FPRS;
/// Words in the image.
const WORDS: usize = STACK0 + MAX_STACK_SLOTS;

/// The register image [`invoke`] loads: `x0`–`x7`, `x8`, padding,
/// `q0`–`q7`, stack words.
#[repr(C, align(16))]
struct Image([u64; WORDS]);

/// Words of the return area: `x0`, `x1`, `q0`–`q3`.
const RET_WORDS: usize = 2 + 2 * 4;

/// The return area [`invoke`] fills.
#[repr(C, align(16))]
struct RetArea([u64; RET_WORDS]);

/// One move: bytes of argument `arg` at `offset`, loaded per `load`, into
/// image word `dst` (a packed move: or-ed in, shifted left by `shift` bits).
#[derive(Clone, Copy, Debug)]
struct Move {
    arg: u32,
    offset: u32,
    dst: u8,
    shift: u8,
    load: Load,
}

/// One argument passed by reference: its `size` bytes are copied to byte
/// `at` of the per-call copy area, whose address goes to image word `dst`.
#[derive(Clone, Copy, Debug)]
struct CopyArg {
    arg: u32,
    size: u32,
    at: u32,
    dst: u8,
}

/// One part of the return value: `size` (≤ 16) bytes from byte `from` of
/// the return area to byte `offset` of the result.
#[derive(Clone, Copy, Debug)]
struct RetMove {
    from: u8,
    offset: u8,
    size: u8,
}

/// A compiled fast call for one plan.
pub(crate) struct FastCall {
    moves: Box<[Move]>,
    /// Apple's packed stack arguments, or-ed into their words after `moves`.
    packed: Box<[Move]>,
    copies: Box<[CopyArg]>,
    /// Arguments without moves (empty structs): their pointers are only
    /// checked for NULL.
    unmoved: Box<[u32]>,
    ret: Box<[RetMove]>,
    /// The result goes through a hidden pointer in `x8`.
    sret: bool,
    /// Bytes of stack arguments, rounded up to 16 (the stack pointer stays
    /// 16-aligned at the call).
    stack_bytes: usize,
}

impl std::fmt::Debug for FastCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastCall")
            .field("moves", &self.moves)
            .field("packed", &self.packed)
            .field("copies", &self.copies)
            .field("ret", &self.ret)
            .field("sret", &self.sret)
            .field("stack_bytes", &self.stack_bytes)
            .finish()
    }
}

/// The image word of an argument location, for a part of `size` bytes
/// starting there (`None` past the image).
fn word_of(loc: Loc, size: u64) -> Option<usize> {
    let (w, words) = match loc {
        Loc::Gpr(r) if (r as usize) < GPRS && size <= 8 => (r as usize, 1),
        Loc::Fpr(r) if (r as usize) < FPRS && size <= 16 => (V0 + 2 * r as usize, 1),
        Loc::Stack(off) if off % 8 == 0 => (STACK0 + (off / 8) as usize, size.div_ceil(8) as usize),
        _ => return None,
    };
    (w + words <= WORDS).then_some(w)
}

impl FastCall {
    /// Compiles `plan`, or `None` when it needs libffi (not an AAPCS64
    /// plan (Linux or Apple), more than [`MAX_STACK_SLOTS`] stack slots, by-reference
    /// copies over 512 bytes or aligned beyond 16). `declared[i]` is
    /// argument `i`'s declared scalar type (needed for variadic promotions).
    pub(crate) fn new(plan: &CallPlan, declared: &[Option<Prim>], signed_char: bool) -> Option<FastCall> {
        let apple = plan.target == crate::Target::Aarch64Apple;
        if !(apple || plan.target == crate::Target::Aarch64Linux)
            || plan.stack_size > (MAX_STACK_SLOTS * 8) as u64
            || plan.stack_align > 16
        {
            return None;
        }
        let mut moves = Vec::new();
        let mut packed = Vec::new();
        let mut copies = Vec::new();
        let mut unmoved = Vec::new();
        let mut at = 0usize;
        for (i, a) in plan.args.iter().enumerate() {
            let arg = u32::try_from(i).ok()?;
            let decl = declared.get(i).copied().flatten();
            let parts = match &a.pass {
                Pass::Direct(parts) => parts,
                Pass::Indirect { ptr, .. } => {
                    // B.4: a copy in this call's frame; its address in `ptr`.
                    if a.align > 16 {
                        return None;
                    }
                    let start = at.next_multiple_of(16);
                    at = start + a.size as usize;
                    if at > MAX_COPY_BYTES {
                        return None;
                    }
                    copies.push(CopyArg {
                        arg,
                        size: a.size as u32,
                        at: start as u32,
                        dst: word_of(*ptr, 8)? as u8,
                    });
                    continue;
                }
            };
            let before = moves.len() + packed.len();
            for p in parts {
                let offset = u32::try_from(p.offset).ok()?;
                if let (true, Loc::Stack(at), None) = (apple, p.loc, a.promoted) {
                    // Apple: a named stack argument's own bytes, word by word.
                    let end = at.checked_add(p.size)?;
                    let mut cur = at;
                    while cur < end {
                        let n = (8 - cur % 8).min(end - cur);
                        packed.push(Move {
                            arg,
                            offset: offset + (cur - at) as u32,
                            dst: u8::try_from(STACK0 + (cur / 8) as usize)
                                .ok()
                                .filter(|&w| (w as usize) < WORDS)?,
                            shift: (8 * (cur % 8)) as u8,
                            load: bytes_load(n)?,
                        });
                        cur += n;
                    }
                    continue;
                }
                let dst = word_of(p.loc, p.size)?;
                let ext = match (p.loc, p.ext, &a.class) {
                    (Loc::Fpr(_), ..) => Ext::None,
                    // Linux AAPCS64 leaves a narrow integer's upper bits
                    // unspecified; we extend to 32 bits (and beyond) as gcc,
                    // clang and libffi do, for callees that rely on it.
                    (_, Ext::None, ValueClass::Scalar(prim)) if a.promoted.is_none() => narrow_ext(*prim, plan.target),
                    _ => p.ext,
                };
                if p.size <= 8 {
                    moves.push(Move {
                        arg,
                        offset,
                        dst: dst as u8,
                        shift: 0,
                        load: reg_load(a.promoted, decl, p.size, ext, signed_char)?,
                    });
                } else {
                    // A `q` register (both words of its `v` slot) or a
                    // multi-word stack value, copied word by word.
                    for w in 0..p.size.div_ceil(8) {
                        let n = (p.size - w * 8).min(8);
                        moves.push(Move {
                            arg,
                            offset: offset + w as u32 * 8,
                            dst: (dst + w as usize) as u8,
                            shift: 0,
                            load: bytes_load(n)?,
                        });
                    }
                }
            }
            if moves.len() + packed.len() == before {
                unmoved.push(arg);
            }
        }
        let (ret, sret) = match &plan.ret.pass {
            _ if matches!(plan.ret.class, ValueClass::Void) => (Vec::new(), false),
            Pass::Indirect { ptr: Loc::Gpr(8), .. } => (Vec::new(), true),
            Pass::Indirect { .. } => return None,
            Pass::Direct(parts) => {
                let mut ret = Vec::with_capacity(parts.len());
                for p in parts {
                    let from = match p.loc {
                        Loc::Gpr(r) if r < 2 && p.size <= 8 => 8 * r,
                        Loc::Fpr(r) if r < 4 && p.size <= 16 => 16 + 16 * r,
                        _ => return None,
                    };
                    ret.push(RetMove {
                        from,
                        offset: u8::try_from(p.offset).ok()?,
                        size: p.size as u8,
                    });
                }
                (ret, false)
            }
        };
        Some(FastCall {
            moves: moves.into_boxed_slice(),
            packed: packed.into_boxed_slice(),
            copies: copies.into_boxed_slice(),
            unmoved: unmoved.into_boxed_slice(),
            ret: ret.into_boxed_slice(),
            sret,
            stack_bytes: (plan.stack_size as usize).next_multiple_of(16),
        })
    }

    /// Calls `code` with `args` (one pointer per planned argument) and
    /// writes the result to `ret`. Returns `false`, having called nothing,
    /// when an argument pointer is NULL.
    ///
    /// # Safety
    /// `args.len()` is the plan's argument count; `code` is a C function of
    /// the compiled plan's signature; non-NULL `args` and `ret` as for
    /// [`crate::call::RawCall::call`].
    #[inline(always)]
    pub(crate) unsafe fn call(&self, code: *const c_void, args: &[*const c_void], ret: *mut c_void) -> bool {
        let mut image = Image([0; WORDS]);
        for m in self.moves.iter() {
            // SAFETY: `m.arg` < the plan's argument count = `args.len()`
            // (checked by the caller), by construction in `new`.
            let a = unsafe { *args.get_unchecked(m.arg as usize) };
            if a.is_null() {
                return false;
            }
            // SAFETY: `a` points to a value of the planned type, whose bytes
            // `[offset, offset + load width)` the plan covers.
            let src = unsafe { (a as *const u8).add(m.offset as usize) };
            let v = if m.load == Load::U64 {
                // SAFETY: `src` has the eight bytes of this word (the plan
                // covers `[offset, offset + 8)` of the argument).
                unsafe { (src as *const u64).read_unaligned() }
            } else {
                // SAFETY: `src` has the bytes `m.load` reads.
                unsafe { m.load.read(src) }
            };
            // SAFETY: `m.dst` < WORDS by construction in `new` (`word_of`).
            unsafe { *image.0.get_unchecked_mut(m.dst as usize) = v };
        }
        for m in self.packed.iter() {
            // SAFETY: as for `moves`: `m.arg` < `args.len()` (`new`).
            let a = unsafe { *args.get_unchecked(m.arg as usize) };
            if a.is_null() {
                return false;
            }
            // SAFETY: `a` points to the argument, which has the bytes
            // `[offset, offset + load width)` (a piece of a planned part).
            let v = unsafe { m.load.read((a as *const u8).add(m.offset as usize)) };
            // SAFETY: `m.dst` < WORDS (checked in `new`).
            unsafe { *image.0.get_unchecked_mut(m.dst as usize) |= v << m.shift };
        }
        for &i in self.unmoved.iter() {
            // SAFETY: `i` < the plan's argument count = `args.len()`.
            if unsafe { args.get_unchecked(i as usize) }.is_null() {
                return false;
            }
        }
        #[repr(C, align(16))]
        struct Copies([u8; MAX_COPY_BYTES]);
        let mut copies = std::mem::MaybeUninit::<Copies>::uninit();
        let base = copies.as_mut_ptr() as *mut u8;
        for c in self.copies.iter() {
            // SAFETY: `c.arg` < `args.len()`, by construction in `new`.
            let a = unsafe { *args.get_unchecked(c.arg as usize) };
            if a.is_null() {
                return false;
            }
            // SAFETY: `[at, at + size)` lies within the copy area (checked in
            // `new`); `a` points to the argument's `size` bytes (caller contract).
            let copy = unsafe {
                let dst = base.add(c.at as usize);
                std::ptr::copy_nonoverlapping(a as *const u8, dst, c.size as usize);
                dst
            };
            // SAFETY: `c.dst` < WORDS (`word_of` in `new`).
            unsafe { *image.0.get_unchecked_mut(c.dst as usize) = copy as u64 };
        }
        if self.sret {
            image.0[X8] = ret as u64;
        }
        let mut area = std::mem::MaybeUninit::<RetArea>::uninit();
        errno::before_call();
        // SAFETY: the image holds every argument register and `stack_bytes`
        // (≤ MAX_STACK_SLOTS * 8, a multiple of 16) stack bytes; `code` has
        // the plan's signature (caller contract); the area has RET_WORDS words.
        unsafe { invoke(code, image.0.as_ptr(), self.stack_bytes, area.as_mut_ptr() as *mut u64) };
        errno::after_call();
        let area = area.as_ptr() as *const u8;
        for r in self.ret.iter() {
            // SAFETY: the invoker wrote the whole area; `[from, from + size)`
            // lies within it and `[offset, offset + size)` within the result
            // (plan), for which `ret` has room (caller contract).
            unsafe {
                let src = area.add(r.from as usize);
                let dst = (ret as *mut u8).add(r.offset as usize);
                match r.size {
                    8 => (dst as *mut u64).write_unaligned((src as *const u64).read()),
                    4 => (dst as *mut u32).write_unaligned((src as *const u32).read()),
                    n => std::ptr::copy_nonoverlapping(src, dst, n as usize),
                }
            }
        }
        true
    }
}

/// Calls `code` with the argument registers from `image` and `stack_bytes`
/// bytes of stack arguments from the image's stack words, then stores
/// `x0`, `x1`, `q0`–`q3` into `ret` (10 words).
///
/// # Safety
/// `image` is a 16-aligned [`Image`], `stack_bytes` a multiple of 16 no
/// larger than its stack words; `code` is a C function reading at most
/// these registers and stack bytes; `ret` has 10 writable, 16-aligned words.
#[unsafe(naked)]
unsafe extern "C" fn invoke(code: *const c_void, image: *const u64, stack_bytes: usize, ret: *mut u64) {
    std::arch::naked_asm!(
        // Frame: fp, lr, x19 (the return area), padding.
        "stp x29, x30, [sp, #-32]!",
        "mov x29, sp",
        "str x19, [sp, #16]",
        "mov x19, x3",
        "mov x9, x0",
        "mov x10, x1",
        // The stack arguments, copied below the stack pointer in 16-byte steps.
        "sub sp, sp, x2",
        "cbz x2, 3f",
        "add x11, x10, #{stack}",
        "mov x12, sp",
        "2:",
        "ldp x13, x14, [x11], #16",
        "stp x13, x14, [x12], #16",
        "subs x2, x2, #16",
        "b.ne 2b",
        "3:",
        "ldp q0, q1, [x10, #{v0}]",
        "ldp q2, q3, [x10, #{v2}]",
        "ldp q4, q5, [x10, #{v4}]",
        "ldp q6, q7, [x10, #{v6}]",
        "ldr x8, [x10, #{x8}]",
        "ldp x0, x1, [x10]",
        "ldp x2, x3, [x10, #16]",
        "ldp x4, x5, [x10, #32]",
        "ldp x6, x7, [x10, #48]",
        "blr x9",
        "stp x0, x1, [x19]",
        "stp q0, q1, [x19, #16]",
        "stp q2, q3, [x19, #48]",
        "mov sp, x29",
        "ldr x19, [sp, #16]",
        "ldp x29, x30, [sp], #32",
        "ret",
        stack = const STACK0 * 8,
        v0 = const V0 * 8,
        v2 = const (V0 + 4) * 8,
        v4 = const (V0 + 8) * 8,
        v6 = const (V0 + 12) * 8,
        x8 = const X8 * 8,
    )
}
