//! x86_64 SysV code generation: call trampolines and callback entry stubs,
//! emitted with dynasmrt from a [`CallPlan`].
//!
//! A **call trampoline** is `extern "C" fn(code, args, ret) -> u32`:
//!
//! ```text
//! push rbp; mov rbp, rsp; push rbx; push r12      ; rbx = args, r12 = ret
//! sub rsp, 16 + stack area  [; and rsp, -stack_align]
//! mov [rbp-24], rdi                               ; the C function
//! per argument with stack parts:                  ; first, so `rep movsb`
//!     mov rax, [rbx + 8*i]; test rax, rax; jz null ;   may use rdi/rsi/rcx
//!     copy / extend / promote each part to [rsp + slot]
//! per argument with register parts:
//!     mov rax, [rbx + 8*i]; test rax, rax; jz null
//!     mov rdi, [rax]  /  movsx esi, byte [rax]  /  movsd xmm0, [rax+8] ...
//! [mov rdi, r12]                                  ; hidden result pointer
//! [mov eax, N]                                    ; variadic: vector registers used
//! call [rbp-24]
//! mov [r12], rax / movsd [r12+8], xmm0 / fstp tword [r12] ...
//! xor eax, eax                                    ; 1 when an argument pointer was NULL
//! ```
//!
//! Nothing dispatches on types at call time: every load width, extension,
//! promotion and destination is decided here, once per signature.
//!
//! A **callback stub** is entered by C with the plan's registers and stack:
//! it stores each register-passed argument into a value area of its own
//! frame, fills an array of argument pointers (into that area, or straight
//! into the caller's stack arguments), zeroes a return buffer, calls the
//! host dispatcher `(state, argv, out)` and loads the return registers
//! (`rax`/`rdx`/`xmm0`/`xmm1`, narrow integers extended, `st0`/`st1` for x87
//! results, `rax` = the hidden pointer for results in memory) from the buffer.

use super::read::{read_of, Read};
use crate::abi::{CallPlan, Loc, Pass, ValueClass};
use crate::types::Prim;
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};

type Asm = VecAssembler<X64Relocation>;

/// Hardware numbers of the integer argument registers `rdi rsi rdx rcx r8 r9`.
const ARG_GPRS: [u8; 6] = [7, 6, 2, 1, 8, 9];
/// Hardware numbers of the integer return registers `rax rdx`.
const RET_GPRS: [u8; 2] = [0, 2];
const RAX: u8 = 0;
const RBX: u8 = 3;
const RCX: u8 = 1;
const RSI: u8 = 6;
const RSP: u8 = 4;
const R10: u8 = 10;
const R11: u8 = 11;
const R12: u8 = 12;
/// A vector register no argument uses, for promotions.
const XTMP: u8 = 15;
/// Stack areas larger than this are left to libffi.
const MAX_STACK: u64 = 1 << 20;
/// Stack copies larger than this use `rep movsb` instead of unrolled moves.
const UNROLL_MAX: u64 = 128;

/// Splits `size` (1..=8) bytes into loads of 8, 4, 2 and 1 bytes: `(offset, width)`.
fn pieces(size: u64) -> Vec<(i32, u8)> {
    let mut out = Vec::new();
    let mut at = 0u64;
    for w in [8u64, 4, 2, 1] {
        while size - at >= w {
            out.push((at as i32, w as u8));
            at += w;
        }
    }
    out
}

/// `dst` = the `size` (1..=8) bytes at `[base + off]`, zero-extended; `tmp`
/// is clobbered for sizes that are not 1, 2, 4 or 8.
fn load_bytes(ops: &mut Asm, dst: u8, base: u8, off: i32, size: u64, tmp: u8) {
    let ps = pieces(size);
    let mut first = true;
    for &(po, w) in ps.iter().rev() {
        let r = if first { dst } else { tmp };
        let o = off + po;
        match w {
            8 => dynasm!(ops ; .arch x64 ; mov Rq(r), QWORD [Rq(base) + o]),
            4 => dynasm!(ops ; .arch x64 ; mov Rd(r), DWORD [Rq(base) + o]),
            2 => dynasm!(ops ; .arch x64 ; movzx Rd(r), WORD [Rq(base) + o]),
            _ => dynasm!(ops ; .arch x64 ; movzx Rd(r), BYTE [Rq(base) + o]),
        }
        if !first {
            // Only the highest piece can precede a lower one: shift what we
            // have up past the new piece and merge it in.
            dynasm!(ops ; .arch x64 ; shl Rq(dst), (w as i8) * 8 ; or Rq(dst), Rq(tmp));
        }
        first = false;
    }
}

/// Stores the low `size` (1..=8) bytes of `src` at `[base + off]`; `tmp` is
/// clobbered for sizes that are not 1, 2, 4 or 8.
fn store_bytes(ops: &mut Asm, src: u8, base: u8, off: i32, size: u64, tmp: u8) {
    let ps = pieces(size);
    let single = ps.len() == 1;
    if !single {
        dynasm!(ops ; .arch x64 ; mov Rq(tmp), Rq(src));
    }
    let r = if single { src } else { tmp };
    for (k, &(po, w)) in ps.iter().enumerate() {
        let o = off + po;
        match w {
            8 => dynasm!(ops ; .arch x64 ; mov QWORD [Rq(base) + o], Rq(r)),
            4 => dynasm!(ops ; .arch x64 ; mov DWORD [Rq(base) + o], Rd(r)),
            2 => dynasm!(ops ; .arch x64 ; mov WORD [Rq(base) + o], Rw(r)),
            _ => dynasm!(ops ; .arch x64 ; mov BYTE [Rq(base) + o], Rb(r)),
        }
        if k + 1 < ps.len() {
            dynasm!(ops ; .arch x64 ; shr Rq(r), (w as i8) * 8);
        }
    }
}

/// Loads a vector register from `size` bytes at `[base + off]`.
fn load_xmm(ops: &mut Asm, x: u8, base: u8, off: i32, size: u64) {
    match size {
        8 => dynasm!(ops ; .arch x64 ; movsd Rx(x), QWORD [Rq(base) + off]),
        4 => dynasm!(ops ; .arch x64 ; movss Rx(x), DWORD [Rq(base) + off]),
        16 => dynasm!(ops ; .arch x64 ; movups Rx(x), OWORD [Rq(base) + off]),
        _ => {
            load_bytes(ops, R10, base, off, size, R11);
            dynasm!(ops ; .arch x64 ; movq Rx(x), Rq(R10));
        }
    }
}

/// Stores `size` bytes of a vector register at `[base + off]`.
fn store_xmm(ops: &mut Asm, x: u8, base: u8, off: i32, size: u64) {
    match size {
        8 => dynasm!(ops ; .arch x64 ; movsd QWORD [Rq(base) + off], Rx(x)),
        4 => dynasm!(ops ; .arch x64 ; movss DWORD [Rq(base) + off], Rx(x)),
        16 => dynasm!(ops ; .arch x64 ; movups OWORD [Rq(base) + off], Rx(x)),
        _ => {
            dynasm!(ops ; .arch x64 ; movq Rq(R10), Rx(x));
            store_bytes(ops, R10, base, off, size, R11);
        }
    }
}

fn off32(v: u64) -> Option<i32> {
    i32::try_from(v).ok()
}

/// Emits the call trampoline for `plan`, or `None` when the plan has
/// something this generator does not place (arguments by reference, which
/// x86_64 never plans; a stack area over 1 MiB).
/// `declared[i]` is argument `i`'s declared scalar type (for promotions).
///
/// With `frame`, the trampoline's second argument is not an array of
/// argument pointers but an argument frame: argument `i`'s bytes are at
/// byte `frame[i]` of it (read in place: no pointer loads, no NULL checks).
pub(crate) fn call_trampoline(
    plan: &CallPlan,
    declared: &[Option<Prim>],
    signed_char: bool,
    frame: Option<&[u32]>,
) -> Option<Vec<u8>> {
    if plan.target != crate::Target::X86_64SysV || plan.stack_size > MAX_STACK || plan.stack_align > 4096 {
        return None;
    }
    let mut ops = Asm::new(0);
    let null = ops.new_dynamic_label();
    let done = ops.new_dynamic_label();
    // Without stack arguments the trampoline keeps no frame of its own
    // ("lean"): `ret` and `code` are pushed, the argument array (or frame)
    // stays in `rsi`, whose own argument part is loaded last. Otherwise
    // `rbp` frames the outgoing area, `rbx` holds the array, `r12` `ret`.
    let lean = plan.stack_size == 0;
    // Lean and nothing written through `ret` (a `void` result): only `code`
    // is pushed, which also aligns the stack for the call.
    let bare = lean && matches!(plan.ret.class, ValueClass::Void) && matches!(plan.ret.pass, Pass::Direct(_));
    let (base, ret_base) = if lean { (RSI, RCX) } else { (RBX, R12) };
    if bare {
        dynasm!(ops ; .arch x64 ; push rdi);
    } else if lean {
        dynasm!(ops ; .arch x64
            ; push rdx
            ; push rdi
            ; sub rsp, 8
        );
    } else {
        let area = off32(plan.stack_size.next_multiple_of(16) + 16)?;
        dynasm!(ops ; .arch x64
            ; push rbp
            ; mov rbp, rsp
            ; push rbx
            ; push r12
            ; mov rbx, rsi
            ; mov r12, rdx
            ; sub rsp, area
        );
        if plan.stack_align > 16 {
            let mask = -(plan.stack_align as i32);
            dynasm!(ops ; .arch x64 ; and rsp, mask);
        }
        dynasm!(ops ; .arch x64 ; mov [rbp - 24], rdi);
    }

    // Where argument `i`'s bytes are: (base register, displacement). With
    // `into_base`, the part is loaded into the base register itself, so
    // its address goes through `rax` first.
    let arg_ptr = |ops: &mut Asm, i: usize, into_base: bool| -> Option<(u8, i32)> {
        if let Some(f) = frame {
            let d = i32::try_from(*f.get(i)?).ok()?;
            if into_base {
                dynasm!(ops ; .arch x64 ; lea rax, [Rq(base) + d]);
                return Some((RAX, 0));
            }
            return Some((base, d));
        }
        let o = off32(8 * i as u64)?;
        dynasm!(ops ; .arch x64
            ; mov rax, QWORD [Rq(base) + o]
            ; test rax, rax
            ; jz =>null
        );
        Some((RAX, 0))
    };

    // Phase 1: stack parts (may use rdi, rsi, rcx for `rep movsb`).
    for (i, a) in plan.args.iter().enumerate() {
        let Pass::Direct(parts) = &a.pass else { return None };
        if !parts.iter().any(|p| matches!(p.loc, Loc::Stack(_))) {
            continue;
        }
        let (b, d) = arg_ptr(&mut ops, i, false)?;
        for p in parts {
            let Loc::Stack(slot) = p.loc else { continue };
            let (src, dst) = (d.checked_add(off32(p.offset)?)?, off32(slot)?);
            match read_of(
                a.promoted,
                declared.get(i).copied().flatten(),
                p.size,
                p.ext,
                signed_char,
            )? {
                Read::F32ToF64 => dynasm!(ops ; .arch x64
                    ; cvtss2sd Rx(XTMP), DWORD [Rq(b) + src]
                    ; movsd QWORD [rsp + dst], Rx(XTMP)),
                Read::Sext(1) => dynasm!(ops ; .arch x64 ; movsx r10, BYTE [Rq(b) + src] ; mov [rsp + dst], r10),
                Read::Sext(_) => dynasm!(ops ; .arch x64 ; movsx r10, WORD [Rq(b) + src] ; mov [rsp + dst], r10),
                Read::Zext(1) => dynasm!(ops ; .arch x64 ; movzx r10d, BYTE [Rq(b) + src] ; mov [rsp + dst], r10),
                Read::Zext(_) => dynasm!(ops ; .arch x64 ; movzx r10d, WORD [Rq(b) + src] ; mov [rsp + dst], r10),
                Read::Bytes if p.size > UNROLL_MAX => {
                    let n = off32(p.size)?;
                    dynasm!(ops ; .arch x64
                        ; lea rsi, [Rq(b) + src]
                        ; lea rdi, [rsp + dst]
                        ; mov ecx, n
                        ; rep movsb
                    );
                }
                Read::Bytes => {
                    let mut at = 0u64;
                    while at < p.size {
                        let n = (p.size - at).min(8);
                        let (s, d) = (src + at as i32, dst + at as i32);
                        load_bytes(&mut ops, R10, b, s, n, R11);
                        store_bytes(&mut ops, R10, RSP, d, n, R11);
                        at += n;
                    }
                }
            }
        }
    }

    // Phase 2: register parts; empty arguments are only checked for NULL.
    // Lean: the part going to `rsi` (the base) comes last.
    let mut groups: Vec<(usize, Vec<&crate::abi::Part>, bool)> = Vec::new();
    let mut last = None;
    for (i, a) in plan.args.iter().enumerate() {
        let Pass::Direct(parts) = &a.pass else { return None };
        let regs: Vec<_> = parts.iter().filter(|p| !matches!(p.loc, Loc::Stack(_))).collect();
        if regs.is_empty() && !parts.is_empty() {
            continue;
        }
        let (to_base, others): (Vec<_>, Vec<_>) = regs.into_iter().partition(|p| lean && p.loc == Loc::Gpr(1));
        if !others.is_empty() || to_base.is_empty() {
            groups.push((i, others, false));
        }
        if !to_base.is_empty() {
            last = Some((i, to_base, true));
        }
    }
    groups.extend(last);
    for (i, regs, into_base) in groups {
        let a = &plan.args[i];
        let (b, d) = arg_ptr(&mut ops, i, into_base)?;
        for p in regs {
            let src = d.checked_add(off32(p.offset)?)?;
            let read = read_of(
                a.promoted,
                declared.get(i).copied().flatten(),
                p.size,
                p.ext,
                signed_char,
            )?;
            match p.loc {
                Loc::Gpr(r) => {
                    let r = *ARG_GPRS.get(r as usize)?;
                    match read {
                        Read::Sext(1) => dynasm!(ops ; .arch x64 ; movsx Rq(r), BYTE [Rq(b) + src]),
                        Read::Sext(_) => dynasm!(ops ; .arch x64 ; movsx Rq(r), WORD [Rq(b) + src]),
                        Read::Zext(1) => dynasm!(ops ; .arch x64 ; movzx Rd(r), BYTE [Rq(b) + src]),
                        Read::Zext(_) => dynasm!(ops ; .arch x64 ; movzx Rd(r), WORD [Rq(b) + src]),
                        Read::Bytes if (1..=8).contains(&p.size) => load_bytes(&mut ops, r, b, src, p.size, R10),
                        _ => return None,
                    }
                }
                Loc::Fpr(x) if x < 8 => match read {
                    Read::F32ToF64 => dynasm!(ops ; .arch x64 ; cvtss2sd Rx(x), DWORD [Rq(b) + src]),
                    Read::Bytes if (1..=8).contains(&p.size) || p.size == 16 => load_xmm(&mut ops, x, b, src, p.size),
                    _ => return None,
                },
                _ => return None,
            }
        }
    }

    match &plan.ret.pass {
        _ if matches!(plan.ret.class, ValueClass::Void) => {}
        Pass::Indirect { ptr: Loc::Gpr(0), .. } if lean => dynasm!(ops ; .arch x64 ; mov rdi, [rsp + 16]),
        Pass::Indirect { ptr: Loc::Gpr(0), .. } => dynasm!(ops ; .arch x64 ; mov rdi, r12),
        Pass::Indirect { .. } => return None,
        Pass::Direct(_) => {}
    }
    if plan.variadic {
        let nvec = plan.al.unwrap_or(8) as i32;
        dynasm!(ops ; .arch x64 ; mov eax, nvec);
    }
    if bare {
        dynasm!(ops ; .arch x64 ; call QWORD [rsp]);
    } else if lean {
        dynasm!(ops ; .arch x64 ; call QWORD [rsp + 8] ; mov rcx, [rsp + 16]);
    } else {
        dynasm!(ops ; .arch x64 ; call QWORD [rbp - 24]);
    }

    if let (Pass::Direct(parts), false) = (&plan.ret.pass, matches!(plan.ret.class, ValueClass::Void)) {
        // x87 values: pop st0 first (the real part of a complex), then st1.
        let mut x87: Vec<_> = parts.iter().filter(|p| matches!(p.loc, Loc::X87(_))).collect();
        x87.sort_by_key(|p| match p.loc {
            Loc::X87(n) => n,
            _ => 0,
        });
        for p in parts {
            let dst = off32(p.offset)?;
            match p.loc {
                Loc::Gpr(r) if (1..=8).contains(&p.size) => {
                    store_bytes(&mut ops, *RET_GPRS.get(r as usize)?, ret_base, dst, p.size, R11)
                }
                Loc::Fpr(x) if x < 2 && ((1..=8).contains(&p.size) || p.size == 16) => {
                    store_xmm(&mut ops, x, ret_base, dst, p.size)
                }
                Loc::X87(_) => {}
                _ => return None,
            }
        }
        for p in x87 {
            let dst = off32(p.offset)?;
            if p.size >= 16 {
                // Bytes 10..16 of a long double are padding: make them zeros.
                dynasm!(ops ; .arch x64 ; mov QWORD [Rq(ret_base) + dst + 8], 0);
            } else if p.size < 10 {
                return None;
            }
            dynasm!(ops ; .arch x64 ; fstp TWORD [Rq(ret_base) + dst]);
        }
    }
    dynasm!(ops ; .arch x64 ; xor eax, eax ; =>done);
    if bare {
        dynasm!(ops ; .arch x64 ; pop rcx ; ret);
    } else if lean {
        dynasm!(ops ; .arch x64 ; add rsp, 24 ; ret);
    } else {
        dynasm!(ops ; .arch x64
            ; lea rsp, [rbp - 16]
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
        );
    }
    dynasm!(ops ; .arch x64
        ; =>null
        ; mov eax, 1
        ; jmp =>done
    );
    ops.finalize().ok()
}

/// Where the callback stub puts one argument's pointer.
enum Src {
    /// Into the value area at this offset (register-passed parts stored there).
    Area(i32),
    /// The caller's stack argument at this offset from its `rsp` at the call.
    Stack(i32),
    /// No bytes: a pointer to zeros.
    Zero,
}

/// Emits the callback entry stub for `plan`, or `None` for plans it does
/// not place. `dispatch(state, argv, out)` runs the host closure; `zeros`
/// is a readable 16-byte-aligned block of zeros for empty arguments;
/// `widen` is `(size, signed)` for a narrow integer result.
pub(crate) fn callback_stub(
    plan: &CallPlan,
    state: usize,
    dispatch: usize,
    zeros: usize,
    widen: Option<(usize, bool)>,
) -> Option<Vec<u8>> {
    if plan.target != crate::Target::X86_64SysV || plan.variadic {
        return None;
    }
    let n = plan.args.len() as u64;
    // Frame: argv (8n), value area, return buffer, saved hidden pointer.
    let mut at = (8 * n).next_multiple_of(16);
    let mut srcs = Vec::with_capacity(plan.args.len());
    for a in &plan.args {
        let Pass::Direct(parts) = &a.pass else { return None };
        let on_stack = parts.iter().filter(|p| matches!(p.loc, Loc::Stack(_))).count();
        srcs.push(match parts.as_slice() {
            [] => Src::Zero,
            [p] if on_stack == 1 => {
                let Loc::Stack(o) = p.loc else { return None };
                if p.offset != 0 {
                    return None;
                }
                Src::Stack(off32(o + 16)?)
            }
            _ if on_stack == 0 => {
                let s = Src::Area(off32(at)?);
                at = (at + a.size.max(8)).next_multiple_of(16);
                s
            }
            _ => return None,
        });
    }
    let ret_void = matches!(plan.ret.class, ValueClass::Void);
    let sret = match &plan.ret.pass {
        _ if ret_void => false,
        Pass::Indirect { ptr: Loc::Gpr(0), .. } => true,
        Pass::Indirect { .. } => return None,
        Pass::Direct(_) => false,
    };
    let ret_at = off32(at)?;
    let ret_len = if sret || ret_void {
        0
    } else {
        plan.ret.size.max(16).next_multiple_of(16)
    };
    at += ret_len;
    let saved_rdi = off32(at)?;
    at += 16;
    let frame = off32(at.next_multiple_of(16))?;

    let mut ops = Asm::new(0);
    dynasm!(ops ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; sub rsp, frame
    );
    if sret {
        dynasm!(ops ; .arch x64 ; mov [rsp + saved_rdi], rdi);
    }
    for (i, (a, s)) in plan.args.iter().zip(&srcs).enumerate() {
        let slot = off32(8 * i as u64)?;
        match *s {
            Src::Zero => {
                let z = zeros as i64;
                dynasm!(ops ; .arch x64 ; mov r11, QWORD z ; mov [rsp + slot], r11);
            }
            Src::Stack(o) => dynasm!(ops ; .arch x64 ; lea r11, [rbp + o] ; mov [rsp + slot], r11),
            Src::Area(v) => {
                for p in a.parts() {
                    let d = v + off32(p.offset)?;
                    match p.loc {
                        Loc::Gpr(r) if (1..=8).contains(&p.size) => {
                            store_bytes(&mut ops, *ARG_GPRS.get(r as usize)?, RSP, d, p.size, R11)
                        }
                        Loc::Fpr(x) if x < 8 && ((1..=8).contains(&p.size) || p.size == 16) => {
                            store_xmm(&mut ops, x, RSP, d, p.size)
                        }
                        _ => return None,
                    }
                }
                dynasm!(ops ; .arch x64 ; lea r11, [rsp + v] ; mov [rsp + slot], r11);
            }
        }
    }
    if ret_len > 0 {
        dynasm!(ops ; .arch x64 ; pxor Rx(XTMP), Rx(XTMP));
        let mut z = 0;
        while z < ret_len as i32 {
            dynasm!(ops ; .arch x64 ; movaps OWORD [rsp + ret_at + z], Rx(XTMP));
            z += 16;
        }
    }
    let (st, disp) = (state as i64, dispatch as i64);
    dynasm!(ops ; .arch x64
        ; mov rdi, QWORD st
        ; mov rsi, rsp
    );
    if sret {
        dynasm!(ops ; .arch x64 ; mov rdx, [rsp + saved_rdi]);
    } else {
        dynasm!(ops ; .arch x64 ; lea rdx, [rsp + ret_at]);
    }
    dynasm!(ops ; .arch x64
        ; mov rax, QWORD disp
        ; call rax
    );
    if sret {
        dynasm!(ops ; .arch x64 ; mov rax, [rsp + saved_rdi]);
    } else if !ret_void {
        let parts = plan.ret.parts();
        let mut x87 = Vec::new();
        for p in parts {
            let o = ret_at + off32(p.offset)?;
            match p.loc {
                Loc::Gpr(r) if (1..=8).contains(&p.size) => {
                    let r = *RET_GPRS.get(r as usize)?;
                    match widen {
                        Some((1, true)) => dynasm!(ops ; .arch x64 ; movsx Rq(r), BYTE [rsp + o]),
                        Some((2, true)) => dynasm!(ops ; .arch x64 ; movsx Rq(r), WORD [rsp + o]),
                        Some((4, true)) => dynasm!(ops ; .arch x64 ; movsxd Rq(r), DWORD [rsp + o]),
                        // The buffer is zeroed and at least 16 bytes: a full
                        // eightbyte load zero-extends any narrower value.
                        _ => dynasm!(ops ; .arch x64 ; mov Rq(r), QWORD [rsp + o]),
                    }
                }
                Loc::Fpr(x) if x < 2 && ((1..=8).contains(&p.size) || p.size == 16) => {
                    load_xmm(&mut ops, x, RSP, o, if p.size > 8 { 16 } else { 8 })
                }
                Loc::X87(n) => x87.push((n, o)),
                _ => return None,
            }
        }
        // Push st1 first so the value for st0 ends on top.
        x87.sort_by_key(|&(n, _)| std::cmp::Reverse(n));
        for (_, o) in x87 {
            dynasm!(ops ; .arch x64 ; fld TWORD [rsp + o]);
        }
    }
    dynasm!(ops ; .arch x64
        ; leave
        ; ret
    );
    ops.finalize().ok()
}
