//! Move lists shared by the fast paths: how one part of an argument is
//! read from the caller's bytes into a 64-bit register-image word (narrow
//! integer extension, variadic promotion).

use crate::abi::Ext;
use crate::types::Prim;

/// How one move reads its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Load {
    /// Eight bytes.
    U64,
    /// Four bytes, zero-extended (a `float` in a vector register, an `int`).
    U32,
    /// `n` (1..=7) bytes, zero-extended.
    Bytes(u8),
    /// A signed 8- or 16-bit integer, sign-extended (x86_64 psABI, Apple
    /// arm64: to 32 bits; we extend to 64, which includes it).
    Sext(u8),
    /// An unsigned 8- or 16-bit integer, zero-extended.
    Zext(u8),
    /// A `float` promoted to `double` (variadic arguments).
    F32ToF64,
}

/// The load for a value part going into one register / stack slot.
pub(super) fn reg_load(
    promoted: Option<Prim>,
    declared: Option<Prim>,
    size: u64,
    ext: Ext,
    signed_char: bool,
) -> Option<Load> {
    if let (Some(to), Some(from)) = (promoted, declared) {
        // Default argument promotions: the caller converts the declared value.
        return Some(match (from, to) {
            (Prim::Float, Prim::Double) => Load::F32ToF64,
            (Prim::SChar, Prim::Int) => Load::Sext(1),
            (Prim::Char, Prim::Int) if signed_char => Load::Sext(1),
            (Prim::Bool | Prim::UChar | Prim::Char, Prim::Int) => Load::Zext(1),
            (Prim::Short, Prim::Int) => Load::Sext(2),
            (Prim::UShort, Prim::Int) => Load::Zext(2),
            _ => return None,
        });
    }
    match ext {
        Ext::Sign32 => Some(Load::Sext(size as u8)),
        Ext::Zero32 => Some(Load::Zext(size as u8)),
        Ext::None => bytes_load(size),
    }
}

pub(super) fn bytes_load(size: u64) -> Option<Load> {
    match size {
        8 => Some(Load::U64),
        4 => Some(Load::U32),
        1..=7 => Some(Load::Bytes(size as u8)),
        _ => None,
    }
}

impl Load {
    /// # Safety
    /// `p` has the bytes this load reads.
    #[inline(always)]
    pub(super) unsafe fn read(self, p: *const u8) -> u64 {
        // SAFETY: `p` has the bytes this load reads (this function's
        // contract); every arm reads only those, unaligned.
        unsafe {
            match self {
                Load::U64 => (p as *const u64).read_unaligned(),
                Load::U32 => (p as *const u32).read_unaligned() as u64,
                Load::Bytes(n) => {
                    let mut v = 0u64;
                    std::ptr::copy_nonoverlapping(p, &mut v as *mut u64 as *mut u8, n as usize);
                    v
                }
                Load::Sext(1) => (p as *const i8).read() as i64 as u64,
                Load::Sext(_) => (p as *const i16).read_unaligned() as i64 as u64,
                Load::Zext(1) => p.read() as u64,
                Load::Zext(_) => (p as *const u16).read_unaligned() as u64,
                Load::F32ToF64 => ((p as *const f32).read_unaligned() as f64).to_bits(),
            }
        }
    }
}
