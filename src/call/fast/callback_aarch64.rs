//! The AAPCS64 callback fast path (Linux and the Apple arm64 variant,
//! whose packed stack arguments are read where they lie): a precompiled entry that saves
//! the argument registers and hands them, with the stack argument area, to
//! a Rust dispatcher that follows the callback's call plan — instead of
//! libffi's closure, which re-classifies every argument on every call.
//!
//! Each callback gets a *stub* in a pool of code pages written once and
//! then made read+execute (never writable and executable at once). Stub `i`
//! of a page finds its data slot (read+write; on Linux in the page after it):
//!
//! ```text
//! stub i:  ldr x16, 1f               ; the slot: state, dispatcher, entry
//!          ldr x17, [x16, #16]
//!          br  x17                   ; the entry below
//!          udf #0
//!      1:  .quad data[i]
//! ```
//!
//! `x16` / `x17` are the intra-procedure-call scratch registers (IP0/IP1),
//! which AAPCS64 lets a veneer clobber between caller and callee. The entry
//! (a naked function below) saves `x0`–`x7`, `x8` and the full `q0`–`q7`
//! into a register image laid out as the call side's (`x0..x7, x8, pad,
//! q0..q7`), reserves a return area, and calls [`Dispatch`]'s function with
//! (state, image, stack arguments, return area); on return it loads `x0`,
//! `x1`, `q0`–`q3` from the return area. The dispatcher builds one pointer
//! per argument: into the image or the stack area for values in one
//! location (no copy), the pointer found there for a composite passed by
//! reference (B.4: the caller's copy, which the callee may use in place),
//! or into a small assembly buffer for values split over several (an HFA in
//! `v` registers, a composite or `__int128` in a register pair).
//!
//! Slots are never reused for another entry: a dropped callback's slot
//! keeps pointing to its (zombie) state, so a stale C pointer stays safe,
//! as with libffi closures.

use crate::abi::{CallPlan, Loc, Pass, ValueClass};
use std::ffi::c_void;
use std::sync::Mutex;

use super::stub_pages::{self, STUB};

/// Bytes of the buffer for arguments split over several locations.
const ASSEMBLY_BYTES: usize = 256;
/// The most arguments a fast callback takes (argument pointers live on the stack).
const MAX_ARGS: usize = 32;

/// Byte offset of `x8` in the image.
const X8: u32 = 64;
/// Byte offset of `q0` in the image (16-aligned; bytes 72..80 are padding).
const V0: u32 = 80;
/// Bytes of the image: `x0`–`x8`, padding, `q0`–`q7`.
const IMAGE_BYTES: u32 = V0 + 8 * 16;

/// Where the dispatcher finds one argument.
#[derive(Clone, Copy, Debug)]
enum ArgSrc {
    /// No bytes (an empty struct): a pointer to zeros.
    Zero,
    /// Entirely at this location.
    At(From),
    /// Passed by reference: the location holds the address of the caller's copy.
    Ref(From),
    /// Assembled from `parts[from..to]` into the buffer at `at`.
    Split { from: u16, to: u16, at: u16 },
}

/// One piece of a split argument.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// Offset in the value.
    offset: u16,
    /// Bytes (at most 16, a `q` register).
    size: u8,
    /// Where the piece's bytes are.
    from: From,
}

/// A location at the entry: a byte offset in the image, or in the stack area.
#[derive(Clone, Copy, Debug)]
enum From {
    Image(u16),
    Stack(u32),
}

/// One part of the return value: bytes `[offset, offset + size)` of the
/// result into byte `at` of the return area (`x0` 0, `x1` 8, `qN` 16 + 16N).
#[derive(Clone, Copy, Debug)]
struct RetPiece {
    offset: u8,
    size: u8,
    at: u8,
}

/// A callback plan compiled for the fast entry.
#[derive(Debug)]
pub(crate) struct FastCallback {
    args: Box<[ArgSrc]>,
    pieces: Box<[Piece]>,
    ret: Box<[RetPiece]>,
    /// The result goes to the hidden pointer in `x8`.
    sret: bool,
}

static ZEROS: [u64; 8] = [0; 8];

/// The entry location of an argument part of `size` bytes at `loc`.
fn from_loc(loc: Loc, size: u64) -> Option<From> {
    match loc {
        Loc::Gpr(r) if r < 8 && size <= 8 => Some(From::Image(8 * r as u16)),
        Loc::Fpr(r) if r < 8 && size <= 16 => Some(From::Image((V0 + 16 * r as u32) as u16)),
        Loc::Stack(off) => Some(From::Stack(u32::try_from(off).ok()?)),
        _ => None,
    }
}

impl FastCallback {
    /// Compiles `plan`, or `None` when it needs libffi (not an AAPCS64
    /// plan (Linux or Apple), variadic, too many arguments, split arguments larger
    /// than the assembly buffer).
    pub(crate) fn new(plan: &CallPlan) -> Option<FastCallback> {
        if !matches!(plan.target, crate::Target::Aarch64Linux | crate::Target::Aarch64Apple)
            || plan.variadic
            || plan.args.len() > MAX_ARGS
        {
            return None;
        }
        let mut args = Vec::with_capacity(plan.args.len());
        let mut pieces = Vec::new();
        let mut at = 0usize;
        for a in &plan.args {
            let parts = match &a.pass {
                Pass::Indirect { ptr, .. } => {
                    args.push(ArgSrc::Ref(from_loc(*ptr, 8)?));
                    continue;
                }
                Pass::Direct(parts) => parts,
            };
            let src = match parts.as_slice() {
                [] => ArgSrc::Zero,
                [p] if p.offset == 0 && p.size == a.size => ArgSrc::At(from_loc(p.loc, p.size)?),
                _ => {
                    let from = pieces.len();
                    for p in parts {
                        if p.size > 16 || p.offset + p.size > a.size {
                            return None;
                        }
                        pieces.push(Piece {
                            offset: u16::try_from(p.offset).ok()?,
                            size: p.size as u8,
                            from: from_loc(p.loc, p.size)?,
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
            Pass::Indirect { ptr: Loc::Gpr(8), .. } => (Vec::new(), true),
            Pass::Indirect { .. } => return None,
            Pass::Direct(parts) => {
                let mut ret = Vec::with_capacity(parts.len());
                for p in parts {
                    let at = match p.loc {
                        Loc::Gpr(r) if r < 2 && p.size <= 8 => 8 * r,
                        Loc::Fpr(r) if r < 4 && p.size <= 16 => 16 + 16 * r,
                        _ => return None,
                    };
                    ret.push(RetPiece {
                        offset: u8::try_from(p.offset).ok()?,
                        size: p.size as u8,
                        at,
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

    /// Whether the result goes through the hidden pointer (`x8`).
    pub(crate) fn sret(&self) -> bool {
        self.sret
    }

    /// The hidden result pointer the caller passed in `x8`.
    ///
    /// # Safety
    /// `image` is the entry's register image.
    #[inline(always)]
    pub(crate) unsafe fn sret_ptr(&self, image: *const u64) -> *mut u8 {
        // SAFETY: the image holds `x8` at byte X8 (this function's contract).
        (unsafe { *image.add(X8 as usize / 8) }) as *mut u8
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
                // SAFETY: `off` < IMAGE_BYTES, within the image, by construction.
                From::Image(off) => unsafe { (image as *const u8).add(off as usize) },
                // SAFETY: the plan places the argument at this offset of the area.
                From::Stack(off) => unsafe { stack.add(off as usize) },
            }
        };
        for (slot, src) in ptrs.iter_mut().zip(self.args.iter()) {
            *slot = match *src {
                ArgSrc::Zero => ZEROS.as_ptr() as *const c_void,
                ArgSrc::At(from) => from_ptr(from) as *const c_void,
                // SAFETY: the location holds the 8-byte address of the
                // caller's copy (AAPCS64 B.4), which lives for the call.
                ArgSrc::Ref(from) => unsafe { (from_ptr(from) as *const *const c_void).read_unaligned() },
                ArgSrc::Split { from, to, at } => {
                    for p in &self.pieces[from as usize..to as usize] {
                        // SAFETY: the piece lies within the value, which lies
                        // within the assembly buffer (checked in `new`); the
                        // source has `size` ≤ 16 readable bytes.
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

    /// Moves the result's bytes at `src` into the return area.
    ///
    /// # Safety
    /// `src` has the return type's bytes; `area` is the entry's 10-word return area.
    #[inline(always)]
    pub(crate) unsafe fn put_return(&self, src: *const u8, area: *mut u64) {
        for p in self.ret.iter() {
            // SAFETY: the piece lies within the value (plan) and, at `at`,
            // within the 80-byte area (`new`: at most q3's 16 bytes).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.add(p.offset as usize),
                    (area as *mut u8).add(p.at as usize),
                    p.size as usize,
                )
            };
        }
    }
}

use super::Dispatch;

/// Bytes of the entry's frame: `x29`/`x30`, the image, the return area.
const FRAME: u32 = 16 + IMAGE_BYTES + RET_BYTES;
/// Bytes of the return area: `x0`, `x1`, `q0`–`q3`.
const RET_BYTES: u32 = 16 + 4 * 16;

/// The entry every stub jumps to, with `x16` = its data slot (state,
/// dispatcher, entry). Not callable from Rust.
///
/// # Safety
/// Only entered from a stub, with the C caller's argument registers and stack.
#[unsafe(naked)]
unsafe extern "C" fn entry() {
    std::arch::naked_asm!(
        "stp x29, x30, [sp, #-{frame}]!",
        "mov x29, sp",
        "stp x0, x1, [sp, #16]",
        "stp x2, x3, [sp, #32]",
        "stp x4, x5, [sp, #48]",
        "stp x6, x7, [sp, #64]",
        "str x8, [sp, #{x8}]",
        "stp q0, q1, [sp, #{q0}]",
        "stp q2, q3, [sp, #{q2}]",
        "stp q4, q5, [sp, #{q4}]",
        "stp q6, q7, [sp, #{q6}]",
        // x0 = the state, x9 = the dispatcher (both from the stub's slot).
        "ldp x0, x9, [x16]",
        "add x1, sp, #16",
        "add x2, sp, #{frame}",
        "add x3, sp, #{area}",
        "blr x9",
        "ldp x0, x1, [sp, #{area}]",
        "ldp q0, q1, [sp, #{area_q0}]",
        "ldp q2, q3, [sp, #{area_q2}]",
        "ldp x29, x30, [sp], #{frame}",
        "ret",
        frame = const FRAME,
        x8 = const 16 + X8,
        q0 = const 16 + V0,
        q2 = const 16 + V0 + 32,
        q4 = const 16 + V0 + 64,
        q6 = const 16 + V0 + 96,
        area = const 16 + IMAGE_BYTES,
        area_q0 = const 16 + IMAGE_BYTES + 16,
        area_q2 = const 16 + IMAGE_BYTES + 48,
    )
}

extern "C" {
    fn sysconf(name: i32) -> std::ffi::c_long;
}

/// The page size (aarch64 Linux kernels use 4, 16 or 64 KiB pages; Apple 16 KiB).
fn page() -> usize {
    #[cfg(target_os = "linux")]
    const SC_PAGESIZE: i32 = 30;
    #[cfg(target_os = "macos")]
    const SC_PAGESIZE: i32 = 29;
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { sysconf(SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

static POOL: Mutex<stub_pages::Pool> = Mutex::new(stub_pages::Pool::new());

/// A code address that runs `dispatch(state, …)` through the fast entry,
/// or `None` when executable memory cannot be had (then use libffi).
pub(crate) fn stub(state: *const c_void, dispatch: Dispatch) -> Option<*const c_void> {
    stub_pages::stub(&POOL, page, encode_stub, entry as *const () as usize, state, dispatch)
}

/// Stub at `code` for the slot at `data` (12 bytes of code, the slot's
/// address as a literal at byte 16, the rest `udf #0`): the slot may be
/// anywhere (on Apple the code page is a `MAP_JIT` mapping of its own).
fn encode_stub(_code: usize, data: usize) -> [u8; STUB] {
    let words: [u32; STUB / 4] = [
        0x5800_0090, // ldr x16, #16 (the literal below)
        0xf940_0a11, // ldr x17, [x16, #16]
        0xd61f_0220, // br x17
        0,           // udf #0 (padding)
        data as u32, // the slot's address
        (data as u64 >> 32) as u32,
        0,
        0,
    ];
    let mut b = [0u8; STUB];
    for (chunk, w) in b.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    b
}
