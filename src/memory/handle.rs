//! Handles (cffi's `new_handle` / `from_handle`): an opaque `void *` that C
//! code can carry around (as a callback's user data, say) and give back, which
//! maps to a host object.
//!
//! The pointer values are not addresses of anything: they encode a slot in a
//! process-wide table, the slot's generation and a per-process random tag:
//!
//! ```text
//!  63        48 47              24 23              0
//! |  tag (16)  | generation (24)  |  slot + 1 (24)  |
//! ```
//!
//! with the low 48 bits scrambled by a keyed bijection (a per-process key
//! XORed in, then two rounds of multiply-by-odd and xorshift modulo 2^48)
//! and the tag XORed with the key's top bits. `from_handle` checks all
//! three, so a handle that was freed (stale generation), never issued, or
//! forged gives `Err` instead of undefined behaviour. A random forgery
//! passes only if it guesses the 16-bit tag and hits a live slot's exact
//! generation; because of the scrambling, a handle with a bit flipped (a
//! neighbour of a live one) decodes to an unrelated slot and generation,
//! not to the next slot. The table is behind a `Mutex`, so
//! handles work from any thread.
//!
//! ```
//! use abicall::memory::{from_handle, new_handle};
//! use std::sync::Arc;
//! let (guard, p) = new_handle(Arc::new(String::from("state"))).unwrap();
//! let back = from_handle(p).unwrap();
//! assert_eq!(back.downcast_ref::<String>().unwrap(), "state");
//! drop(guard);
//! assert!(from_handle(p).is_err()); // stale
//! ```

use crate::error::{Error, MemoryErrorKind, Result};
use std::any::Any;
use std::collections::hash_map::RandomState;
use std::ffi::c_void;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

/// What a handle refers to.
pub type HandleValue = Arc<dyn Any + Send + Sync>;

const SLOT_BITS: u32 = 24;
const GEN_BITS: u32 = 24;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;

struct Slot {
    generation: u64,
    value: Option<HandleValue>,
}

struct Table {
    tag: u64,
    key: u64,
    slots: Vec<Slot>,
    free: Vec<usize>,
}

fn table() -> &'static Mutex<Table> {
    static T: OnceLock<Mutex<Table>> = OnceLock::new();
    T.get_or_init(|| {
        // RandomState is seeded randomly per process.
        let mut h = RandomState::new().build_hasher();
        h.write_u64(0x6162_6963_616c_6c00);
        let r = h.finish();
        let mut h2 = RandomState::new().build_hasher();
        h2.write_u64(r);
        let key = h2.finish() & ((1 << 48) - 1);
        // Tag never zero so that small integers are never valid handles.
        let tag = (r >> 48).max(1);
        Mutex::new(Table {
            tag,
            key,
            slots: Vec::new(),
            free: Vec::new(),
        })
    })
}

fn lock() -> std::sync::MutexGuard<'static, Table> {
    table().lock().unwrap_or_else(|e| e.into_inner())
}

/// The low 48 bits.
const LOW48: u64 = (1 << 48) - 1;
/// Odd multipliers of the scrambling rounds.
const MIX: [u64; 2] = [0x9e37_79b9_7f4b, 0xc2b2_ae3d_27d5];

/// The inverse of odd `c` modulo 2^48 (Newton's iteration).
const fn inverse48(c: u64) -> u64 {
    let mut inv = c;
    let mut k = 0;
    while k < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(c.wrapping_mul(inv)));
        k += 1;
    }
    inv & LOW48
}

const UNMIX: [u64; 2] = [inverse48(MIX[0]), inverse48(MIX[1])];

/// A bijection of 48-bit values (multiply by odd, then `x ^ x >> 24`,
/// which is its own inverse on 48 bits).
fn scramble(mut x: u64) -> u64 {
    for m in MIX {
        x = x.wrapping_mul(m) & LOW48;
        x ^= x >> 24;
    }
    x
}

/// The inverse of [`scramble`].
fn unscramble(mut x: u64) -> u64 {
    for m in UNMIX.iter().rev() {
        x ^= x >> 24;
        x = x.wrapping_mul(*m) & LOW48;
    }
    x
}

impl Table {
    fn encode(&self, slot: usize, generation: u64) -> usize {
        let low = ((generation & GEN_MASK) << SLOT_BITS) | (slot as u64 + 1);
        let v = (self.tag << 48) | scramble(low ^ (self.key & LOW48));
        v as usize
    }

    /// The slot a handle denotes, if it is live.
    fn decode(&self, h: usize) -> Option<usize> {
        let h = h as u64;
        if h >> 48 != self.tag {
            return None;
        }
        let v = unscramble(h & LOW48) ^ (self.key & LOW48);
        let slot = (v & SLOT_MASK).checked_sub(1)? as usize;
        let generation = (v >> SLOT_BITS) & GEN_MASK;
        let s = self.slots.get(slot)?;
        (s.value.is_some() && s.generation & GEN_MASK == generation).then_some(slot)
    }
}

/// Owns a handle: while it lives, [`from_handle`] on its pointer gives the
/// value back; dropping it frees the slot (the pointer becomes stale).
#[derive(Debug)]
pub struct Handle {
    ptr: usize,
}

impl Handle {
    /// The pointer to give to C.
    pub fn as_ptr(&self) -> *mut c_void {
        self.ptr as *mut c_void
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let value = {
            let mut t = lock();
            match t.decode(self.ptr) {
                Some(slot) => {
                    let s = &mut t.slots[slot];
                    s.generation = s.generation.wrapping_add(1);
                    let v = s.value.take();
                    t.free.push(slot);
                    v
                }
                None => None,
            }
        };
        // The value is dropped outside the lock (its Drop may use handles).
        drop(value);
    }
}

/// Makes a handle for `value`: returns the owning guard and the pointer to
/// hand to C.
pub fn new_handle(value: HandleValue) -> Result<(Handle, *mut c_void)> {
    let mut t = lock();
    let slot = match t.free.pop() {
        Some(s) => s,
        None => {
            if t.slots.len() as u64 >= SLOT_MASK {
                return Err(Error::memory(
                    MemoryErrorKind::Unavailable,
                    format!("too many live handles ({})", t.slots.len()),
                ));
            }
            t.slots.push(Slot {
                generation: 0,
                value: None,
            });
            t.slots.len() - 1
        }
    };
    t.slots[slot].value = Some(value);
    let ptr = t.encode(slot, t.slots[slot].generation);
    Ok((Handle { ptr }, ptr as *mut c_void))
}

/// The value behind a handle pointer; `Err` for a pointer that was never
/// issued, is forged, or whose [`Handle`] was dropped.
pub fn from_handle(ptr: *const c_void) -> Result<HandleValue> {
    let t = lock();
    let slot = t.decode(ptr as usize).ok_or(Error::Handle(ptr as usize))?;
    t.slots[slot].value.clone().ok_or(Error::Handle(ptr as usize))
}

#[cfg(test)]
mod scramble_tests {
    use super::*;

    #[test]
    fn scrambling_is_a_bijection_that_spreads_a_flipped_bit() {
        for x in [0u64, 1, 2, 0xff_ffff, 1 << 24, LOW48, 0x1234_5678_9abc] {
            assert_eq!(unscramble(scramble(x)), x, "{x:#x}");
            assert!(scramble(x) <= LOW48);
        }
        // Neighbouring values land far apart: a flipped low bit changes
        // the generation field too.
        let (a, b) = (scramble(5), scramble(4));
        assert!((a ^ b).count_ones() > 8, "{a:#x} {b:#x}");
        assert_ne!(unscramble(scramble(7) ^ 1) >> SLOT_BITS, 0);
    }
}
