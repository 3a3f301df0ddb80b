//! AAPCS64 code generation (Linux, and the Apple arm64 variant):
//! call trampolines and callback entry stubs, emitted with dynasmrt from a
//! [`CallPlan`].
//!
//! The Apple variant differs only in its plans (narrow stack arguments
//! packed at their natural size and alignment, variadic arguments on the
//! stack, no even register pair for 16-aligned values): the generator
//! places what the plan says, storing a packed stack argument's own bytes
//! and nothing around them.
//!
//! A **call trampoline** is `extern "C" fn(code, args, ret) -> u32`:
//!
//! ```text
//! stp x29, x30, [sp, #-48]!; mov x29, sp          ; full frame (stack arguments
//! stp x19, x20, [sp, #16]; stp x21, x22, [sp, #32] ;  or by-reference copies)
//! mov x19, x1; mov x20, x2; mov x21, x0           ; args, ret, code
//! sub sp, sp, #area; mov x22, sp                  ; outgoing stack words, then copies
//! per argument:  ldr x9, [x19, #8*i]; cbz x9, null
//!     B.4 copy:  copy size bytes from [x9] to [x22 + copy]; its address to xN / a stack word
//!     stack:     ldr/str (extended narrow integers, promoted floats) to [x22 + slot]
//!     registers: ldr xN / ldrsb xN / ldr sN / ldr dN / ldr qN, [x9 + offset]
//! mov x8, x20                                     ; hidden result pointer
//! blr x21
//! str x0 / str d0 / str q1 ... , [x20 + offset]   ; the plan's return parts
//! mov w0, #0                                      ; 1 when an argument pointer was NULL
//! ```
//!
//! Without stack arguments and copies the trampoline keeps a 32-byte frame
//! ("lean"): `ret` is saved there, `code` moves to `x16`, and the argument
//! array stays in `x1`, whose own argument part is loaded last.
//!
//! A **callback stub** is entered by C with the plan's registers and stack:
//! it stores each register-passed argument into a value area of its frame,
//! fills an array of argument pointers (into that area, straight into the
//! caller's stack arguments, or the caller's copy for a B.4 composite),
//! zeroes a return buffer, calls the host dispatcher `(state, argv, out)`
//! (`out` = `x8` for a result in memory) and loads `x0`/`x1`/`v0`–`v3`
//! from the buffer.
//!
//! Nothing dispatches on types at call time. Every immediate is range
//! checked before it is emitted; a plan that would need one out of range
//! (areas over 1 MiB) gets `None` and the next tier.

use super::read::{read_of, Read};
use crate::abi::{narrow_ext, CallPlan, Ext, Loc, Pass, ValueClass};
use crate::types::Prim;
use dynasmrt::aarch64::Aarch64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};

type Asm = VecAssembler<Aarch64Relocation>;

/// The current argument's bytes.
const X9: u32 = 9;
/// Addresses computed for an access whose offset does not encode.
const X10: u32 = 10;
/// Data moved between memory locations; the callback stub's pointer values.
const X11: u32 = 11;
/// Pieces of a value that is not 1, 2, 4 or 8 bytes.
const X12: u32 = 12;
/// Copy loop: count, source, destination.
const X13: u32 = 13;
const X14: u32 = 14;
const X15: u32 = 15;
/// Full frame: the argument array, the result buffer, the function and the
/// outgoing area (callee-saved, kept across the call).
const ARGS: u32 = 19;
const RET: u32 = 20;
const AREA: u32 = 22;
/// Outgoing areas and callback frames larger than this go to other tiers.
const MAX_AREA: u64 = 1 << 20;
/// The address of the B.4 copy being made (full frame: `x16`/`x17` are free).
const X17: u32 = 17;
/// Copies longer than this use a loop instead of unrolled moves.
const UNROLL_MAX: u64 = 128;

/// Whether `plan` is for an AAPCS64 target (Linux or Apple).
fn is_aapcs64(plan: &CallPlan) -> bool {
    matches!(plan.target, crate::Target::Aarch64Linux | crate::Target::Aarch64Apple)
}

/// `r` = `v`.
fn mov_imm(ops: &mut Asm, r: u32, v: u64) {
    let h = |k: u32| ((v >> (16 * k)) & 0xffff) as u32;
    let (h0, h1, h2, h3) = (h(0), h(1), h(2), h(3));
    dynasm!(ops ; .arch aarch64 ; movz X(r), #h0);
    if h1 != 0 {
        dynasm!(ops ; .arch aarch64 ; movk X(r), #h1, lsl #16);
    }
    if h2 != 0 {
        dynasm!(ops ; .arch aarch64 ; movk X(r), #h2, lsl #32);
    }
    if h3 != 0 {
        dynasm!(ops ; .arch aarch64 ; movk X(r), #h3, lsl #48);
    }
}

/// `dst` = `base` + `off` (neither is `sp`); `None` for offsets of 16 MiB or more.
fn add_imm(ops: &mut Asm, dst: u32, base: u32, off: u64) -> Option<()> {
    if off >= 1 << 24 {
        return None;
    }
    let (hi, lo) = ((off >> 12) as u32, (off & 0xfff) as u32);
    let mut from = base;
    if hi != 0 {
        dynasm!(ops ; .arch aarch64 ; add XSP(dst), XSP(from), #hi, lsl #12);
        from = dst;
    }
    if lo != 0 || from != dst {
        dynasm!(ops ; .arch aarch64 ; add XSP(dst), XSP(from), #lo);
    }
    Some(())
}

/// `sp` -= `n` (`n` < 16 MiB, a multiple of 16).
fn sub_sp(ops: &mut Asm, n: u64) {
    let (hi, lo) = ((n >> 12) as u32, (n & 0xfff) as u32);
    if hi != 0 {
        dynasm!(ops ; .arch aarch64 ; sub sp, sp, #hi, lsl #12);
    }
    if lo != 0 {
        dynasm!(ops ; .arch aarch64 ; sub sp, sp, #lo);
    }
}

/// A base register and an immediate offset that encodes for an access of
/// `scale` bytes at `base + off`: the offset itself when it is a multiple
/// of `scale` below 4096 × `scale`, else `x10` = `base + off` and 0.
fn at(ops: &mut Asm, base: u32, off: u64, scale: u64) -> Option<(u32, u32)> {
    if off.is_multiple_of(scale) && off / scale < 4096 {
        return Some((base, off as u32));
    }
    add_imm(ops, X10, base, off)?;
    Some((X10, 0))
}

/// Splits `size` (1..=8) bytes into accesses of 8, 4, 2 and 1 bytes: `(offset, width)`.
fn pieces(size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut o = 0u64;
    for w in [8u64, 4, 2, 1] {
        while size - o >= w {
            out.push((o, w));
            o += w;
        }
    }
    out
}

/// `X(r)` = the `w` (1, 2, 4 or 8) bytes at `base + off`, zero-extended.
fn load_piece(ops: &mut Asm, r: u32, base: u32, off: u64, w: u64) -> Option<()> {
    let (b, o) = at(ops, base, off, w)?;
    match w {
        8 => dynasm!(ops ; .arch aarch64 ; ldr X(r), [X(b), o]),
        4 => dynasm!(ops ; .arch aarch64 ; ldr W(r), [X(b), o]),
        2 => dynasm!(ops ; .arch aarch64 ; ldrh W(r), [X(b), o]),
        _ => dynasm!(ops ; .arch aarch64 ; ldrb W(r), [X(b), o]),
    }
    Some(())
}

/// Stores the low `w` (1, 2, 4 or 8) bytes of `X(r)` at `base + off`.
fn store_piece(ops: &mut Asm, r: u32, base: u32, off: u64, w: u64) -> Option<()> {
    let (b, o) = at(ops, base, off, w)?;
    match w {
        8 => dynasm!(ops ; .arch aarch64 ; str X(r), [X(b), o]),
        4 => dynasm!(ops ; .arch aarch64 ; str W(r), [X(b), o]),
        2 => dynasm!(ops ; .arch aarch64 ; strh W(r), [X(b), o]),
        _ => dynasm!(ops ; .arch aarch64 ; strb W(r), [X(b), o]),
    }
    Some(())
}

/// `X(r)` = the `size` (1..=8) bytes at `base + off`, zero-extended (`x12`
/// is clobbered for sizes that are not 1, 2, 4 or 8).
fn load_bytes(ops: &mut Asm, r: u32, base: u32, off: u64, size: u64) -> Option<()> {
    let ps = pieces(size);
    let (&(top, w), rest) = ps.split_last()?;
    load_piece(ops, r, base, off + top, w)?;
    // Lower pieces shift in under what is loaded: r = (r << 8w) | piece.
    for &(po, w) in rest.iter().rev() {
        load_piece(ops, X12, base, off + po, w)?;
        let shift = (8 * w) as u32;
        dynasm!(ops ; .arch aarch64 ; orr X(r), X(X12), X(r), lsl #shift);
    }
    Some(())
}

/// Stores the low `size` (1..=8) bytes of `X(r)` at `base + off` (`x12` is
/// clobbered for sizes that are not 1, 2, 4 or 8).
fn store_bytes(ops: &mut Asm, r: u32, base: u32, off: u64, size: u64) -> Option<()> {
    let ps = pieces(size);
    if let [(0, w)] = ps.as_slice() {
        return store_piece(ops, r, base, off, *w);
    }
    dynasm!(ops ; .arch aarch64 ; mov X(X12), X(r));
    for (k, &(po, w)) in ps.iter().enumerate() {
        store_piece(ops, X12, base, off + po, w)?;
        if k + 1 < ps.len() {
            let shift = (8 * w) as u32;
            dynasm!(ops ; .arch aarch64 ; lsr X(X12), X(X12), #shift);
        }
    }
    Some(())
}

/// `v` register `n` = `size` (4, 8 or 16) bytes at `base + off`.
fn load_fpr(ops: &mut Asm, n: u32, base: u32, off: u64, size: u64) -> Option<()> {
    let (b, o) = at(ops, base, off, size)?;
    match size {
        4 => dynasm!(ops ; .arch aarch64 ; ldr S(n), [X(b), o]),
        8 => dynasm!(ops ; .arch aarch64 ; ldr D(n), [X(b), o]),
        16 => dynasm!(ops ; .arch aarch64 ; ldr Q(n), [X(b), o]),
        _ => return None,
    }
    Some(())
}

/// Stores `size` (4, 8 or 16) bytes of `v` register `n` at `base + off`.
fn store_fpr(ops: &mut Asm, n: u32, base: u32, off: u64, size: u64) -> Option<()> {
    let (b, o) = at(ops, base, off, size)?;
    match size {
        4 => dynasm!(ops ; .arch aarch64 ; str S(n), [X(b), o]),
        8 => dynasm!(ops ; .arch aarch64 ; str D(n), [X(b), o]),
        16 => dynasm!(ops ; .arch aarch64 ; str Q(n), [X(b), o]),
        _ => return None,
    }
    Some(())
}

/// `X(dst)` = the address of a B.4 copy at byte `at` of the outgoing area,
/// rounded up to `align` (a power of two).
fn copy_addr(ops: &mut Asm, dst: u32, at: u64, align: u64) -> Option<()> {
    add_imm(ops, dst, AREA, at)?;
    if align > 16 {
        add_imm(ops, dst, dst, align - 1)?;
        let mask = !(align - 1);
        dynasm!(ops ; .arch aarch64 ; and XSP(dst), X(dst), #mask);
    }
    Some(())
}

/// Copies `n` bytes from `src + so` to `dst + doff` (`x10`–`x15` clobbered).
fn copy(ops: &mut Asm, src: u32, so: u64, dst: u32, doff: u64, n: u64) -> Option<()> {
    let (src, so, dst, doff, mut left) = if n > UNROLL_MAX {
        add_imm(ops, X14, src, so)?;
        add_imm(ops, X15, dst, doff)?;
        mov_imm(ops, X13, n / 8);
        let lp = ops.new_dynamic_label();
        dynasm!(ops ; .arch aarch64
            ; =>lp
            ; ldr X(X11), [X(X14)], 8
            ; str X(X11), [X(X15)], 8
            ; subs X(X13), XSP(X13), #1
            ; b.ne =>lp
        );
        (X14, 0, X15, 0, n % 8)
    } else {
        (src, so, dst, doff, n)
    };
    let mut o = 0;
    while left > 0 {
        let k = left.min(8);
        load_bytes(ops, X11, src, so + o, k)?;
        store_bytes(ops, X11, dst, doff + o, k)?;
        o += k;
        left -= k;
    }
    Some(())
}

/// The extension a register or stack part of argument `a` gets: the plan's,
/// or for a narrow integer scalar the one gcc, clang and libffi apply.
fn part_ext(plan: &CallPlan, a: &crate::abi::ValuePlan, p: &crate::abi::Part) -> Ext {
    match (p.loc, p.ext, &a.class) {
        (Loc::Fpr(_), ..) => Ext::None,
        // Apple packs a narrow stack argument into its own bytes: widening
        // it would overwrite its neighbours.
        (Loc::Stack(_), ..) if plan.target == crate::Target::Aarch64Apple => p.ext,
        (_, Ext::None, ValueClass::Scalar(prim)) if a.promoted.is_none() => narrow_ext(*prim, plan.target),
        _ => p.ext,
    }
}

/// Loads part `p` (read per `read`) from `base + off` into its register.
fn load_reg(ops: &mut Asm, loc: Loc, read: Read, base: u32, off: u64, size: u64) -> Option<()> {
    match loc {
        Loc::Gpr(r) if r < 8 => {
            let r = r as u32;
            match read {
                Read::Sext(1) => {
                    let (b, o) = at(ops, base, off, 1)?;
                    dynasm!(ops ; .arch aarch64 ; ldrsb X(r), [X(b), o]);
                }
                Read::Sext(_) => {
                    let (b, o) = at(ops, base, off, 2)?;
                    dynasm!(ops ; .arch aarch64 ; ldrsh X(r), [X(b), o]);
                }
                Read::Zext(w) => load_piece(ops, r, base, off, w as u64)?,
                Read::Bytes if (1..=8).contains(&size) => load_bytes(ops, r, base, off, size)?,
                _ => return None,
            }
        }
        Loc::Fpr(n) if n < 8 => {
            let n = n as u32;
            match read {
                Read::F32ToF64 => {
                    load_fpr(ops, n, base, off, 4)?;
                    dynasm!(ops ; .arch aarch64 ; fcvt D(n), S(n));
                }
                Read::Bytes => load_fpr(ops, n, base, off, size)?,
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(())
}

/// Emits the call trampoline for `plan` (AAPCS64, Linux or Apple), or `None` when the
/// plan has something this generator does not place or its areas exceed
/// 1 MiB. `declared[i]` is argument `i`'s declared scalar type (for
/// promotions). With `frame`, argument `i`'s bytes are at byte `frame[i]`
/// of the argument frame the second argument points to (no pointer loads,
/// no NULL checks).
pub(crate) fn call_trampoline(
    plan: &CallPlan,
    declared: &[Option<Prim>],
    signed_char: bool,
    frame: Option<&[u32]>,
) -> Option<Vec<u8>> {
    if !is_aapcs64(plan) || plan.stack_align > 16 {
        return None;
    }
    let stack_bytes = plan.stack_size.next_multiple_of(16);
    // Per-call copies of B.4 composites, after the outgoing stack words.
    let mut copies = vec![None; plan.args.len()];
    let mut area = stack_bytes;
    for (i, a) in plan.args.iter().enumerate() {
        if let Pass::Indirect { .. } = a.pass {
            // Over-aligned copies get room to be aligned at run time (the
            // stack pointer is only 16-aligned).
            if !a.align.is_power_of_two() || a.align > 4096 {
                return None;
            }
            copies[i] = Some((area, a.align));
            area = (area + a.size + a.align.saturating_sub(16)).next_multiple_of(16);
        }
    }
    if area > MAX_AREA {
        return None;
    }
    let lean = area == 0;
    let sret = match &plan.ret.pass {
        _ if matches!(plan.ret.class, ValueClass::Void) => false,
        Pass::Indirect { ptr: Loc::Gpr(8), .. } => true,
        Pass::Indirect { .. } => return None,
        Pass::Direct(_) => false,
    };

    let mut ops = Asm::new(0);
    let null = ops.new_dynamic_label();
    let done = ops.new_dynamic_label();
    // `base`: the argument array (or frame) during argument loading;
    // `code`: the function's address until the call.
    let (base, code) = if lean {
        dynasm!(ops ; .arch aarch64
            ; stp x29, x30, [sp, -32]!
            ; add x29, sp, #0
            ; str x2, [sp, 16]
            ; mov x16, x0
        );
        (1u32, 16u32)
    } else {
        dynasm!(ops ; .arch aarch64
            ; stp x29, x30, [sp, -48]!
            ; add x29, sp, #0
            ; stp x19, x20, [sp, 16]
            ; stp x21, x22, [sp, 32]
            ; mov x19, x1
            ; mov x20, x2
            ; mov x21, x0
        );
        sub_sp(&mut ops, area);
        dynasm!(ops ; .arch aarch64 ; add x22, sp, #0);
        (ARGS, 21u32)
    };
    if sret {
        dynasm!(ops ; .arch aarch64 ; mov x8, x2);
    }

    // `x9` (or the frame base) and the displacement of argument `i`'s bytes.
    let arg_ptr = |ops: &mut Asm, i: usize| -> Option<(u32, u64)> {
        if let Some(f) = frame {
            return Some((base, *f.get(i)? as u64));
        }
        let (b, o) = at(ops, base, 8 * i as u64, 8)?;
        dynasm!(ops ; .arch aarch64
            ; ldr X(X9), [X(b), o]
            ; cbz X(X9), =>null
        );
        Some((X9, 0))
    };

    // Phase 1 (full frame only): copies and stack words, which use the
    // temporaries; argument registers are loaded after them.
    for (i, a) in plan.args.iter().enumerate() {
        match &a.pass {
            Pass::Indirect { ptr, .. } => {
                let (at_copy, align) = copies[i]?;
                let (b, d) = arg_ptr(&mut ops, i)?;
                copy_addr(&mut ops, X17, at_copy, align)?;
                copy(&mut ops, b, d, X17, 0, a.size)?;
                if let Loc::Stack(slot) = *ptr {
                    copy_addr(&mut ops, X17, at_copy, align)?;
                    store_piece(&mut ops, X17, AREA, slot, 8)?;
                }
            }
            Pass::Direct(parts) => {
                if !parts.iter().any(|p| matches!(p.loc, Loc::Stack(_))) {
                    continue;
                }
                let (b, d) = arg_ptr(&mut ops, i)?;
                for p in parts {
                    let Loc::Stack(slot) = p.loc else { continue };
                    let read = read_of(
                        a.promoted,
                        declared.get(i).copied().flatten(),
                        p.size,
                        part_ext(plan, a, p),
                        signed_char,
                    )?;
                    let src = d + p.offset;
                    match read {
                        Read::Bytes => copy(&mut ops, b, src, AREA, slot, p.size)?,
                        Read::F32ToF64 => {
                            load_fpr(&mut ops, 31, b, src, 4)?;
                            dynasm!(ops ; .arch aarch64 ; fcvt d31, s31);
                            store_fpr(&mut ops, 31, AREA, slot, 8)?;
                        }
                        Read::Sext(w) => {
                            let (bb, o) = at(&mut ops, b, src, w as u64)?;
                            if w == 1 {
                                dynasm!(ops ; .arch aarch64 ; ldrsb X(X11), [X(bb), o]);
                            } else {
                                dynasm!(ops ; .arch aarch64 ; ldrsh X(X11), [X(bb), o]);
                            }
                            store_piece(&mut ops, X11, AREA, slot, 8)?;
                        }
                        Read::Zext(w) => {
                            load_piece(&mut ops, X11, b, src, w as u64)?;
                            store_piece(&mut ops, X11, AREA, slot, 8)?;
                        }
                    }
                }
            }
        }
    }

    // Phase 2: register parts (lean: the part going to `x1`, the base, last).
    let mut order: Vec<usize> = Vec::with_capacity(plan.args.len());
    let mut to_base = None;
    for (i, a) in plan.args.iter().enumerate() {
        let regs = a.parts().iter().filter(|p| !matches!(p.loc, Loc::Stack(_))).count();
        match &a.pass {
            Pass::Indirect { ptr: Loc::Gpr(_), .. } => order.push(i),
            Pass::Indirect { .. } => {}
            Pass::Direct(parts) if parts.is_empty() => order.push(i),
            Pass::Direct(parts) if regs > 0 => {
                if lean && parts.iter().any(|p| p.loc == Loc::Gpr(1)) {
                    to_base = Some(i);
                } else {
                    order.push(i);
                }
            }
            Pass::Direct(_) => {}
        }
    }
    order.extend(to_base);
    for i in order {
        let a = &plan.args[i];
        match &a.pass {
            Pass::Indirect { ptr: Loc::Gpr(r), .. } => {
                let r = u32::from(*r);
                if r >= 8 {
                    return None;
                }
                let (at_copy, align) = copies[i]?;
                copy_addr(&mut ops, r, at_copy, align)?;
            }
            Pass::Indirect { .. } => {}
            Pass::Direct(parts) => {
                let (b, d) = arg_ptr(&mut ops, i)?;
                // A part into `x1` in a lean trampoline is loaded last: it
                // overwrites the base the others are read from.
                let (last, others): (Vec<&crate::abi::Part>, Vec<&crate::abi::Part>) = parts
                    .iter()
                    .filter(|p| !matches!(p.loc, Loc::Stack(_)))
                    .partition(|p| lean && frame.is_some() && p.loc == Loc::Gpr(1));
                for p in others.into_iter().chain(last) {
                    let read = read_of(
                        a.promoted,
                        declared.get(i).copied().flatten(),
                        p.size,
                        part_ext(plan, a, p),
                        signed_char,
                    )?;
                    load_reg(&mut ops, p.loc, read, b, d + p.offset, p.size)?;
                }
            }
        }
    }

    dynasm!(ops ; .arch aarch64 ; blr X(code));

    if let (Pass::Direct(parts), false) = (&plan.ret.pass, matches!(plan.ret.class, ValueClass::Void)) {
        let ret = if lean {
            dynasm!(ops ; .arch aarch64 ; ldr X(X15), [sp, 16]);
            X15
        } else {
            RET
        };
        for p in parts {
            match p.loc {
                Loc::Gpr(r) if r < 2 && (1..=8).contains(&p.size) => {
                    store_bytes(&mut ops, r as u32, ret, p.offset, p.size)?
                }
                Loc::Fpr(n) if n < 4 => store_fpr(&mut ops, n as u32, ret, p.offset, p.size)?,
                _ => return None,
            }
        }
    }
    dynasm!(ops ; .arch aarch64 ; movz w0, #0 ; =>done);
    if lean {
        dynasm!(ops ; .arch aarch64 ; ldp x29, x30, [sp], 32 ; ret);
    } else {
        dynasm!(ops ; .arch aarch64
            ; add sp, x29, #0
            ; ldp x19, x20, [sp, 16]
            ; ldp x21, x22, [sp, 32]
            ; ldp x29, x30, [sp], 48
            ; ret
        );
    }
    dynasm!(ops ; .arch aarch64
        ; =>null
        ; movz w0, #1
        ; b =>done
    );
    ops.finalize().ok()
}

/// Where the callback stub takes one argument's pointer from.
enum Src {
    /// The value area at this offset of the frame (register parts stored there).
    Area(u64),
    /// The caller's stack arguments at this offset.
    Stack(u64),
    /// A B.4 copy whose address came in this register.
    RegRef(u32),
    /// A B.4 copy whose address came in this stack word.
    StackRef(u64),
    /// No bytes: a pointer to zeros.
    Zero,
}

/// Emits the callback entry stub for `plan` (AAPCS64, Linux or Apple), or `None` for
/// plans it does not place. `dispatch(state, argv, out)` runs the host
/// closure; `zeros` is a readable block of 16 zero bytes for empty
/// arguments; `widen` is `(size, signed)` for a narrow integer result.
pub(crate) fn callback_stub(
    plan: &CallPlan,
    state: usize,
    dispatch: usize,
    zeros: usize,
    widen: Option<(usize, bool)>,
) -> Option<Vec<u8>> {
    if !is_aapcs64(plan) || plan.variadic {
        return None;
    }
    let n = plan.args.len() as u64;
    // Frame (from sp): argv (8n), value areas, return buffer, saved x8.
    let mut at_ = (8 * n).next_multiple_of(16);
    let mut srcs = Vec::with_capacity(plan.args.len());
    for a in &plan.args {
        srcs.push(match &a.pass {
            Pass::Indirect { ptr: Loc::Gpr(r), .. } if *r < 8 => Src::RegRef(*r as u32),
            Pass::Indirect { ptr: Loc::Stack(o), .. } => Src::StackRef(*o),
            Pass::Indirect { .. } => return None,
            Pass::Direct(parts) if parts.is_empty() => Src::Zero,
            Pass::Direct(parts) => {
                let stacked = parts.iter().filter(|p| matches!(p.loc, Loc::Stack(_))).count();
                if stacked == parts.len() {
                    // Contiguous in the caller's stack, as in the value.
                    let Loc::Stack(o0) = parts[0].loc else { return None };
                    let start = o0.checked_sub(parts[0].offset)?;
                    let same = parts
                        .iter()
                        .all(|p| matches!(p.loc, Loc::Stack(o) if o.checked_sub(p.offset) == Some(start)));
                    if !same {
                        return None;
                    }
                    Src::Stack(start)
                } else if stacked == 0 {
                    let s = Src::Area(at_);
                    at_ = (at_ + a.size.max(8)).next_multiple_of(16);
                    s
                } else {
                    return None;
                }
            }
        });
    }
    let ret_void = matches!(plan.ret.class, ValueClass::Void);
    let sret = match &plan.ret.pass {
        _ if ret_void => false,
        Pass::Indirect { ptr: Loc::Gpr(8), .. } => true,
        Pass::Indirect { .. } => return None,
        Pass::Direct(_) => false,
    };
    let ret_at = at_;
    let ret_len = if sret || ret_void {
        0
    } else {
        plan.ret.size.max(16).next_multiple_of(16)
    };
    at_ += ret_len;
    let saved_x8 = at_;
    at_ += 16;
    let frame = at_.next_multiple_of(16);
    if frame > MAX_AREA {
        return None;
    }

    let mut ops = Asm::new(0);
    dynasm!(ops ; .arch aarch64
        ; stp x29, x30, [sp, -16]!
        ; add x29, sp, #0
    );
    sub_sp(&mut ops, frame);
    // x15: the frame; the caller's stack arguments are at x29 + 16.
    dynasm!(ops ; .arch aarch64 ; add x15, sp, #0);
    if sret {
        store_piece(&mut ops, 8, X15, saved_x8, 8)?;
    }
    for (i, (a, s)) in plan.args.iter().zip(&srcs).enumerate() {
        let slot = 8 * i as u64;
        match *s {
            Src::Zero => mov_imm(&mut ops, X11, zeros as u64),
            Src::Stack(o) => add_imm(&mut ops, X11, 29, 16 + o)?,
            Src::StackRef(o) => load_piece(&mut ops, X11, 29, 16 + o, 8)?,
            Src::RegRef(r) => dynasm!(ops ; .arch aarch64 ; mov X(X11), X(r)),
            Src::Area(v) => {
                for p in a.parts() {
                    match p.loc {
                        Loc::Gpr(r) if r < 8 && (1..=8).contains(&p.size) => {
                            store_bytes(&mut ops, r as u32, X15, v + p.offset, p.size)?
                        }
                        Loc::Fpr(r) if r < 8 => store_fpr(&mut ops, r as u32, X15, v + p.offset, p.size)?,
                        _ => return None,
                    }
                }
                add_imm(&mut ops, X11, X15, v)?;
            }
        }
        store_piece(&mut ops, X11, X15, slot, 8)?;
    }
    let mut z = 0;
    while z < ret_len {
        let (b, o) = at(&mut ops, X15, ret_at + z, 8)?;
        dynasm!(ops ; .arch aarch64 ; str xzr, [X(b), o]);
        z += 8;
    }
    mov_imm(&mut ops, 0, state as u64);
    dynasm!(ops ; .arch aarch64 ; mov x1, x15);
    if sret {
        load_piece(&mut ops, 2, X15, saved_x8, 8)?;
    } else {
        add_imm(&mut ops, 2, X15, ret_at)?;
    }
    mov_imm(&mut ops, 16, dispatch as u64);
    dynasm!(ops ; .arch aarch64 ; blr x16 ; add x15, sp, #0);
    if !sret && !ret_void {
        for p in plan.ret.parts() {
            let o = ret_at + p.offset;
            match p.loc {
                Loc::Gpr(r) if r < 2 && (1..=8).contains(&p.size) => {
                    let r = r as u32;
                    // The buffer is zeroed and at least 16 bytes: a full
                    // load zero-extends any narrower value.
                    match widen {
                        Some((1, true)) => {
                            let (b, oo) = at(&mut ops, X15, o, 1)?;
                            dynasm!(ops ; .arch aarch64 ; ldrsb X(r), [X(b), oo]);
                        }
                        Some((2, true)) => {
                            let (b, oo) = at(&mut ops, X15, o, 2)?;
                            dynasm!(ops ; .arch aarch64 ; ldrsh X(r), [X(b), oo]);
                        }
                        Some((4, true)) => {
                            let (b, oo) = at(&mut ops, X15, o, 4)?;
                            dynasm!(ops ; .arch aarch64 ; ldrsw X(r), [X(b), oo]);
                        }
                        _ => load_bytes(&mut ops, r, X15, o, 8)?,
                    }
                }
                Loc::Fpr(r) if r < 4 => load_fpr(&mut ops, r as u32, X15, o, p.size)?,
                _ => return None,
            }
        }
    }
    dynasm!(ops ; .arch aarch64
        ; add sp, x29, #0
        ; ldp x29, x30, [sp], 16
        ; ret
    );
    ops.finalize().ok()
}

/// The generated code run directly (the fixtures and the conformance
/// runs exercise every plan shape).
#[cfg(test)]
mod run_tests {
    use crate::abi::plan_func;
    use crate::types::{Prim, Types};

    extern "C" fn add2(a: i64, b: i32) -> i64 {
        a + b as i64
    }

    #[test]
    fn runs_a_trampoline() {
        let mut t = Types::new(crate::Target::Aarch64Linux);
        let l = t.prim(Prim::Long);
        let i = t.prim(Prim::Int);
        let f = t.func(l, vec![l, i], false);
        let plan = plan_func(&t, f, &[]).unwrap();
        let j = super::super::JitCall::new(&plan, &[None, None], false, None).expect("compiled");
        let (a, b) = (40i64, 2i32);
        let args = [
            &a as *const i64 as *const std::ffi::c_void,
            &b as *const i32 as *const std::ffi::c_void,
        ];
        let mut r = 0i64;
        // SAFETY: the trampoline was generated for `long(long, int)`, which `add2` is; both argument pointers point to values of those types and `r` holds the result.
        let rc = unsafe {
            (j.entry())(
                add2 as *const std::ffi::c_void,
                args.as_ptr(),
                &mut r as *mut i64 as *mut _,
            )
        };
        assert_eq!((rc, r), (0, 42));
        let j = super::super::JitCall::new(&plan, &[None, None], false, Some(&[0, 8])).expect("compiled");
        let frame = [40u64, (-5i32) as u32 as u64];
        // SAFETY: the frame trampoline reads a `long` at byte 0 and an `int` at byte 8 of `frame`, which holds them; `add2` has the planned signature.
        let rc = unsafe {
            (j.entry())(
                add2 as *const std::ffi::c_void,
                frame.as_ptr() as *const _,
                &mut r as *mut i64 as *mut _,
            )
        };
        assert_eq!((rc, r), (0, 35));
    }

    unsafe extern "C" fn dispatch(state: *const std::ffi::c_void, argv: *const *const std::ffi::c_void, out: *mut u8) {
        // SAFETY: the stub passes one pointer per argument of `long(long, int)` and a zeroed 16-byte result buffer.
        unsafe {
            let a = *(*argv as *const i64);
            let b = *(*argv.add(1) as *const i32);
            *(out as *mut i64) = a * 100 + b as i64 + state as i64;
        }
    }

    #[test]
    fn runs_a_stub() {
        let mut t = Types::new(crate::Target::Aarch64Linux);
        let l = t.prim(Prim::Long);
        let i = t.prim(Prim::Int);
        let f = t.func(l, vec![l, i], false);
        let plan = plan_func(&t, f, &[]).unwrap();
        let s = super::super::JitStub::new(&plan, 1000 as *const _, dispatch, None).expect("compiled");
        // SAFETY: the stub has this signature.
        let g: extern "C" fn(i64, i32) -> i64 = unsafe { std::mem::transmute(s.code()) };
        assert_eq!(g(7, 3), 1703);
    }

    extern "C" fn addi(a: i32, b: i32) -> i32 {
        a + b
    }

    #[test]
    fn runs_through_rawcall() {
        let mut t = Types::new(crate::Target::Aarch64Linux);
        let i = t.prim(Prim::Int);
        let f = t.func(i, vec![i, i], false);
        // SAFETY: `addi` is an `int(int, int)` function, the type `f` declares.
        let c = unsafe { crate::call::RawCall::new(&t, f, &[], addi as *const std::ffi::c_void, None) }.unwrap();
        assert_eq!(c.tier(), crate::call::Tier::Jit);
        let (a, b) = (2i32, -5i32);
        let args = [
            &a as *const i32 as *const std::ffi::c_void,
            &b as *const i32 as *const std::ffi::c_void,
        ];
        let mut r = [0u8; 16];
        // SAFETY: both argument pointers point to `int`s and `r` has room for the `int` result.
        unsafe { c.call(&args, r.as_mut_ptr() as *mut _) }.unwrap();
        assert_eq!(i32::from_le_bytes(r[..4].try_into().unwrap()), -3);
    }
}
