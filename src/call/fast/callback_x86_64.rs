//! The x86_64 SysV callback fast path: a precompiled entry that saves the
//! argument registers and hands them, with the stack argument area, to a
//! Rust dispatcher that follows the callback's call plan — instead of
//! libffi's closure, which re-classifies every argument on every call.
//!
//! Each callback gets a *stub* in a pool of code pages written once and
//! then made read+execute (never writable and executable at once). Stub `i`
//! of a page loads its data slot from the page after it (read+write):
//!
//! ```text
//! stub i:  mov r10, [rip + data[i].state]   ; the callback's State
//!          jmp [rip + data[i].entry]        ; abicall_fast_cb_entry
//! ```
//!
//! The entry (`global_asm!` below) saves `rdi…r9` and the low eightbyte of
//! `xmm0–7` into a 14-word register image, reserves a 4-word return area,
//! and calls [`Dispatch`]'s function with (state, image, stack arguments,
//! return area); on return it loads `rax`, `rdx`, `xmm0`, `xmm1` from the
//! return area. The dispatcher builds one pointer per argument: into the
//! image or the stack area for values in one location (no copy), into a
//! small assembly buffer for values split over several (e.g. `__int128`,
//! `struct { double; long; }`).
//!
//! Slots are never reused: a dropped callback's slot keeps pointing to its
//! (zombie) state, so a stale C pointer stays safe, as with libffi closures.

use crate::abi::{CallPlan, Loc, Pass, ValueClass};
use std::ffi::c_void;
use std::sync::Mutex;

use super::stub_pages::{self, STUB};

/// Bytes of the buffer for arguments split over several locations.
const ASSEMBLY_BYTES: usize = 256;
/// The most arguments a fast callback takes (argument pointers live on the stack).
const MAX_ARGS: usize = 32;

/// Where the dispatcher finds one argument's bytes.
#[derive(Clone, Copy, Debug)]
enum ArgSrc {
    /// No bytes (an empty struct): a pointer to zeros.
    Zero,
    /// Entirely in image word `n` (low bytes).
    Reg(u8),
    /// Entirely in the stack area at this offset.
    Stack(u32),
    /// Assembled from `parts[from..to]` into the buffer at `at`.
    Split { from: u16, to: u16, at: u16 },
}

/// One piece of a split argument.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// Offset in the value.
    offset: u16,
    size: u8,
    /// Where the piece's bytes are.
    from: From,
}

/// A location at the entry: image word, or offset in the stack area.
#[derive(Clone, Copy, Debug)]
enum From {
    Reg(u8),
    Stack(u32),
}

/// One part of the return value: bytes `[offset, offset + size)` of the
/// result into return-area word `word` (0 `rax`, 1 `rdx`, 2 `xmm0`, 3 `xmm1`).
#[derive(Clone, Copy, Debug)]
struct RetPiece {
    offset: u8,
    size: u8,
    word: u8,
}

/// A callback plan compiled for the fast entry.
#[derive(Debug)]
pub(crate) struct FastCallback {
    args: Box<[ArgSrc]>,
    pieces: Box<[Piece]>,
    ret: Box<[RetPiece]>,
    /// The result goes to the hidden pointer in `rdi`, returned in `rax`.
    sret: bool,
}

static ZEROS: [u64; 8] = [0; 8];

impl FastCallback {
    /// Compiles `plan`, or `None` when it needs libffi (x87 returns, too
    /// many arguments, split arguments larger than the assembly buffer).
    pub(crate) fn new(plan: &CallPlan) -> Option<FastCallback> {
        if plan.target != crate::Target::X86_64SysV || plan.variadic || plan.args.len() > MAX_ARGS {
            return None;
        }
        let word = |loc: Loc| -> Option<From> {
            match loc {
                Loc::Gpr(r) if r < 6 => Some(From::Reg(r)),
                Loc::Fpr(r) if r < 8 => Some(From::Reg(6 + r)),
                Loc::Stack(off) => Some(From::Stack(u32::try_from(off).ok()?)),
                _ => None,
            }
        };
        let mut args = Vec::with_capacity(plan.args.len());
        let mut pieces = Vec::new();
        let mut at = 0usize;
        for a in &plan.args {
            let Pass::Direct(parts) = &a.pass else { return None };
            let src = match parts.as_slice() {
                [] => ArgSrc::Zero,
                [p] if p.offset == 0 => match word(p.loc)? {
                    From::Reg(r) if p.size <= 8 => ArgSrc::Reg(r),
                    From::Stack(off) => ArgSrc::Stack(off),
                    From::Reg(_) => return None,
                },
                _ => {
                    let from = pieces.len();
                    for p in parts {
                        if p.size > 8 || p.offset + p.size > a.size {
                            // A multi-word stack part of a split value never happens
                            // on x86_64 (a value is all registers or all memory).
                            return None;
                        }
                        pieces.push(Piece {
                            offset: u16::try_from(p.offset).ok()?,
                            size: p.size as u8,
                            from: word(p.loc)?,
                        });
                    }
                    let start = at.next_multiple_of(16);
                    at = start + a.size as usize;
                    if at > ASSEMBLY_BYTES {
                        return None;
                    }
                    ArgSrc::Split {
                        from: from as u16,
                        to: pieces.len() as u16,
                        at: start as u16,
                    }
                }
            };
            args.push(src);
        }
        let (ret, sret) = match &plan.ret.pass {
            _ if matches!(plan.ret.class, ValueClass::Void) => (Vec::new(), false),
            Pass::Indirect { ptr: Loc::Gpr(0), .. } => (Vec::new(), true),
            Pass::Indirect { .. } => return None,
            Pass::Direct(parts) => {
                let mut ret = Vec::with_capacity(parts.len());
                for p in parts {
                    let w = match p.loc {
                        Loc::Gpr(r) if r < 2 => r,
                        Loc::Fpr(r) if r < 2 => 2 + r,
                        _ => return None,
                    };
                    if p.size > 8 || p.offset + p.size > 16 {
                        return None;
                    }
                    ret.push(RetPiece {
                        offset: p.offset as u8,
                        size: p.size as u8,
                        word: w,
                    });
                }
                (ret, false)
            }
        };
        Some(FastCallback {
            args: args.into_boxed_slice(),
            pieces: pieces.into_boxed_slice(),
            ret: ret.into_boxed_slice(),
            sret,
        })
    }

    /// Whether the result goes through the hidden pointer (`rdi` → `rax`).
    pub(crate) fn sret(&self) -> bool {
        self.sret
    }

    /// The hidden result pointer the caller passed (`rdi`, image word 0).
    ///
    /// # Safety
    /// `image` is the entry's register image.
    #[inline(always)]
    pub(crate) unsafe fn sret_ptr(&self, image: *const u64) -> *mut u8 {
        // SAFETY: word 0 of the image is `rdi` (this function's contract).
        (unsafe { *image }) as *mut u8
    }

    /// Builds the argument pointers for one call and runs `f` with them.
    ///
    /// # Safety
    /// `image` is the entry's register image, `stack` the caller's stack
    /// argument area, both laid out per the plan this was compiled from.
    #[inline(always)]
    pub(crate) unsafe fn with_args<R>(
        &self,
        image: *const u64,
        stack: *const u8,
        f: impl FnOnce(&[*const c_void]) -> R,
    ) -> R {
        #[repr(C, align(16))]
        struct Assembly([u8; ASSEMBLY_BYTES]);
        let mut asm = std::mem::MaybeUninit::<Assembly>::uninit();
        let asm_p = asm.as_mut_ptr() as *mut u8;
        let mut ptrs = [std::ptr::null::<c_void>(); MAX_ARGS];
        let from_ptr = |from: From| -> *const u8 {
            match from {
                // SAFETY: `r` < 14, the image's words (`rdi`…`r9`, `xmm0`–`xmm7`), by construction.
                From::Reg(r) => unsafe { image.add(r as usize) as *const u8 },
                // SAFETY: the plan places the argument at this offset of the area.
                From::Stack(off) => unsafe { stack.add(off as usize) },
            }
        };
        for (slot, src) in ptrs.iter_mut().zip(self.args.iter()) {
            *slot = match *src {
                ArgSrc::Zero => ZEROS.as_ptr() as *const c_void,
                ArgSrc::Reg(r) => from_ptr(From::Reg(r)) as *const c_void,
                ArgSrc::Stack(off) => from_ptr(From::Stack(off)) as *const c_void,
                ArgSrc::Split { from, to, at } => {
                    for p in &self.pieces[from as usize..to as usize] {
                        // SAFETY: the piece lies within the value, which lies
                        // within the assembly buffer (checked in `new`); the
                        // source has `size` ≤ 8 readable bytes.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                from_ptr(p.from),
                                asm_p.add(at as usize + p.offset as usize),
                                p.size as usize,
                            )
                        };
                    }
                    // SAFETY: `at` < ASSEMBLY_BYTES (checked in `new`).
                    unsafe { asm_p.add(at as usize) as *const c_void }
                }
            };
        }
        f(&ptrs[..self.args.len()])
    }

    /// Moves the result's bytes at `src` into the return area's words.
    ///
    /// # Safety
    /// `src` has the return type's bytes; `area` is the entry's 4-word return area.
    #[inline(always)]
    pub(crate) unsafe fn put_return(&self, src: *const u8, area: *mut u64) {
        for p in self.ret.iter() {
            let mut v = 0u64;
            // SAFETY: the piece lies within the value (plan); `v` has 8 bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.add(p.offset as usize),
                    &mut v as *mut u64 as *mut u8,
                    p.size as usize,
                );
                *area.add(p.word as usize) = v;
            }
        }
    }
}

use super::Dispatch;

std::arch::global_asm!(
    ".text",
    ".p2align 4",
    ".globl abicall_fast_cb_entry",
    ".hidden abicall_fast_cb_entry",
    "abicall_fast_cb_entry:",
    ".cfi_startproc",
    "push rbp",
    ".cfi_def_cfa_offset 16",
    ".cfi_offset rbp, -16",
    "mov rbp, rsp",
    ".cfi_def_cfa_register rbp",
    // 14 image words + 4 return words = 144 bytes (keeps rsp 16-aligned).
    "sub rsp, 144",
    "mov [rsp + 0], rdi",
    "mov [rsp + 8], rsi",
    "mov [rsp + 16], rdx",
    "mov [rsp + 24], rcx",
    "mov [rsp + 32], r8",
    "mov [rsp + 40], r9",
    "movq [rsp + 48], xmm0",
    "movq [rsp + 56], xmm1",
    "movq [rsp + 64], xmm2",
    "movq [rsp + 72], xmm3",
    "movq [rsp + 80], xmm4",
    "movq [rsp + 88], xmm5",
    "movq [rsp + 96], xmm6",
    "movq [rsp + 104], xmm7",
    // r10 = the state, r11 = the dispatcher, both loaded by the stub.
    "mov rdi, r10",
    "mov rsi, rsp",
    "lea rdx, [rbp + 16]",
    "lea rcx, [rsp + 112]",
    "call r11",
    "mov rax, [rsp + 112]",
    "mov rdx, [rsp + 120]",
    "movq xmm0, [rsp + 128]",
    "movq xmm1, [rsp + 136]",
    "leave",
    ".cfi_def_cfa rsp, 8",
    "ret",
    ".cfi_endproc",
);

extern "C" {
    fn abicall_fast_cb_entry();
}

static POOL: Mutex<stub_pages::Pool> = Mutex::new(stub_pages::Pool::new());

/// A code address that runs `dispatch(state, …)` through the fast entry,
/// or `None` when executable memory cannot be had (then use libffi).
pub(crate) fn stub(state: *const c_void, dispatch: Dispatch) -> Option<*const c_void> {
    let entry = abicall_fast_cb_entry as *const () as usize;
    stub_pages::stub(&POOL, || 4096, encode_stub, entry, state, dispatch)
}

/// Stub at `code` for the slot at `data`: `mov r10, [rip + state]`,
/// `mov r11, [rip + dispatcher]`, `jmp [rip + entry]`, `int3` padding.
fn encode_stub(code: usize, data: usize) -> [u8; STUB] {
    let mut b = [0xccu8; STUB]; // int3 padding
                                // mov r10, [rip + d0]   4c 8b 15 disp32      (7 bytes)
                                // mov r11, [rip + d1]   4c 8b 1d disp32      (7 bytes)
                                // jmp [rip + d2]        ff 25 disp32         (6 bytes)
    let rel = |at: usize, target: usize| ((target as isize - (code + at) as isize) as i32).to_le_bytes();
    b[0..3].copy_from_slice(&[0x4c, 0x8b, 0x15]);
    b[3..7].copy_from_slice(&rel(7, data));
    b[7..10].copy_from_slice(&[0x4c, 0x8b, 0x1d]);
    b[10..14].copy_from_slice(&rel(14, data + 8));
    b[14..16].copy_from_slice(&[0xff, 0x25]);
    b[16..20].copy_from_slice(&rel(20, data + 16));
    b
}
