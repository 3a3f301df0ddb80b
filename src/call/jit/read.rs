//! How a generated trampoline reads one argument part from the caller's
//! bytes: as they are, extended, or promoted (shared by the code generators).

use crate::abi::Ext;
use crate::types::Prim;

/// How one argument part is read from the caller's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Read {
    /// `size` bytes as they are.
    Bytes,
    /// A signed 8/16-bit integer, sign-extended to 64 bits.
    Sext(u8),
    /// An unsigned 8/16-bit integer, zero-extended.
    Zext(u8),
    /// A `float` promoted to `double`.
    F32ToF64,
}

/// The read for one part (mirrors the fast path's choice of loads).
pub(super) fn read_of(
    promoted: Option<Prim>,
    declared: Option<Prim>,
    size: u64,
    ext: Ext,
    signed_char: bool,
) -> Option<Read> {
    if let (Some(to), Some(from)) = (promoted, declared) {
        return Some(match (from, to) {
            (Prim::Float, Prim::Double) => Read::F32ToF64,
            (Prim::SChar, Prim::Int) => Read::Sext(1),
            (Prim::Char, Prim::Int) if signed_char => Read::Sext(1),
            (Prim::Bool | Prim::UChar | Prim::Char, Prim::Int) => Read::Zext(1),
            (Prim::Short, Prim::Int) => Read::Sext(2),
            (Prim::UShort, Prim::Int) => Read::Zext(2),
            _ => return None,
        });
    }
    Some(match (ext, size) {
        (Ext::Sign32, 1 | 2) => Read::Sext(size as u8),
        (Ext::Zero32, 1 | 2) => Read::Zext(size as u8),
        _ => Read::Bytes,
    })
}
