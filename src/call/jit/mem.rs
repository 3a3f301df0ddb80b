//! Executable memory for generated code, never writable and executable at
//! once (W^X).
//!
//! Two ways to get it, tried in order:
//!
//! 1. **Dual mapping** (default): a 64 KiB `memfd` mapped twice, once
//!    read+write and once read+execute, at different addresses. Code is
//!    written through the writable view and run from the executable one,
//!    so many pieces of code share a page and a new piece can be added to a
//!    page while other threads run code on it. Space is handed out in
//!    32-byte granules (a bitmap per chunk) and given back when the
//!    [`CodeBlock`] is dropped; freed granules are filled with `int3` /
//!    `udf` so a stale jump traps instead of running someone else's code.
//! 2. **Private pages**: one anonymous mapping per piece of code, written
//!    read+write, then `mprotect`ed to read+execute and never written again.
//!    On Apple arm64 (the only way there: no `memfd`) the mapping is
//!    `MAP_JIT`, written between `pthread_jit_write_protect_np(0)` and
//!    `(1)` — writable for the writing thread only, never executable while
//!    writable — as the hardened runtime's `allow-jit` entitlement expects
//!    (an app signed with the hardened runtime needs
//!    `com.apple.security.cs.allow-jit`, or gets the fast path and libffi).
//!
//! When neither works (SELinux `execmem`, PaX MPROTECT, a seccomp filter),
//! [`CodeBlock::new`] returns `None` and the caller uses a tier without
//! generated code. `ABICALL_JIT_MEMORY=dual|private|none` forces one way
//! (read once per process; `none` simulates a host that refuses executable
//! memory, for tests).
//!
//! On aarch64 a freed granule is not handed out again while its chunk
//! lives: a chunk gives out its granules once, in order, and is unmapped
//! when its last block is freed (see `REUSE_GRANULES`: qemu-user runs
//! stale code from a granule rewritten through the writable view, and
//! real hardware would need the other threads' instruction caches
//! synchronised too), so code is still packed many pieces to a page and
//! memory stays bounded by what is live.
//!
//! On aarch64 the instruction cache is made coherent with the written bytes
//! (`__clear_cache` over the executable view; `sys_icache_invalidate` on
//! Apple) before an address is handed out.

use std::ffi::c_void;
use std::sync::{Mutex, OnceLock};

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut c_void;
    fn munmap(addr: *mut c_void, len: usize) -> i32;
}

#[cfg(target_os = "linux")]
extern "C" {
    fn mprotect(addr: *mut c_void, len: usize, prot: i32) -> i32;
    fn memfd_create(name: *const std::ffi::c_char, flags: u32) -> i32;
    fn ftruncate(fd: i32, len: i64) -> i32;
    fn close(fd: i32) -> i32;
}

#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
extern "C" {
    fn __clear_cache(begin: *mut std::ffi::c_char, end: *mut std::ffi::c_char);
}

// Apple arm64: `MAP_JIT` memory is writable or executable per thread,
// switched with `pthread_jit_write_protect_np`; the instruction cache is
// made coherent with `sys_icache_invalidate`.
#[cfg(target_os = "macos")]
extern "C" {
    fn pthread_jit_write_protect_np(enabled: i32);
    fn sys_icache_invalidate(start: *mut c_void, len: usize);
}

const PROT_READ: i32 = 1;
const PROT_WRITE: i32 = 2;
const PROT_EXEC: i32 = 4;
#[cfg(target_os = "linux")]
const MAP_SHARED: i32 = 1;
const MAP_PRIVATE: i32 = 2;
#[cfg(target_os = "linux")]
const MAP_ANONYMOUS: i32 = 0x20;
#[cfg(target_os = "macos")]
const MAP_ANONYMOUS: i32 = 0x1000;
#[cfg(target_os = "macos")]
const MAP_JIT: i32 = 0x800;
#[cfg(target_os = "linux")]
const MFD_CLOEXEC: u32 = 1;
/// Mapping granularity (Apple arm64 pages are 16 KiB).
#[cfg(target_os = "linux")]
const PAGE: usize = 4096;
#[cfg(target_os = "macos")]
const PAGE: usize = 16384;

/// Bytes of one dual-mapped chunk.
const CHUNK: usize = 64 * 1024;
/// Allocation unit inside a chunk.
const GRANULE: usize = 32;
const GRANULES: usize = CHUNK / GRANULE;
const WORDS: usize = GRANULES / 64;

/// The filler for unused code bytes: `int3` on x86_64; on aarch64 `udf #0`
/// is four zero bytes.
#[cfg(target_arch = "x86_64")]
const FILL: u8 = 0xcc;
#[cfg(not(target_arch = "x86_64"))]
const FILL: u8 = 0x00;

/// How executable memory is obtained (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Dual,
    Private,
    None,
}

/// The mode without `ABICALL_JIT_MEMORY`: dual mapping first, private
/// pages when it fails.
const DEFAULT_MODE: Option<Mode> = None;

/// Whether a freed granule may be handed out again while its chunk lives.
/// Not on aarch64: a granule rewritten through the writable view would run
/// stale code under qemu-user (which notices self-modifying code only
/// through the address that executes it, and treats `__clear_cache` as a
/// no-op), and on hardware another thread could still hold the old
/// instructions in its instruction cache. There a chunk hands out each
/// granule once and is unmapped when its last block is freed (a new
/// mapping at the same address is a fresh page for qemu and the kernel).
const REUSE_GRANULES: bool = cfg!(not(target_arch = "aarch64"));

fn forced_mode() -> Option<Mode> {
    static M: OnceLock<Option<Mode>> = OnceLock::new();
    *M.get_or_init(|| match std::env::var("ABICALL_JIT_MEMORY").as_deref() {
        Ok("dual") => Some(Mode::Dual),
        Ok("private") => Some(Mode::Private),
        Ok("none") => Some(Mode::None),
        _ => None,
    })
}

/// One dual-mapped chunk.
struct Chunk {
    /// The writable view.
    w: usize,
    /// The executable view.
    x: usize,
    /// Bit set = granule in use.
    used: [u64; WORDS],
    /// Granules handed out so far (without `REUSE_GRANULES`: the next one).
    next: usize,
}

struct Arena {
    /// Chunks by index (`None`: unmapped, the index free for a new chunk).
    chunks: Vec<Option<Chunk>>,
    /// Dual mapping failed once: don't try again.
    dual_failed: bool,
}

static ARENA: Mutex<Arena> = Mutex::new(Arena {
    chunks: Vec::new(),
    dual_failed: false,
});

/// Where a block lives.
#[derive(Debug)]
enum Home {
    /// Granules `[first, first + count)` of chunk `chunk`.
    Pooled { chunk: usize, first: usize, count: usize },
    /// A private mapping of `len` bytes of its own.
    Own { len: usize },
}

/// A piece of generated code in executable memory; freed on drop.
#[derive(Debug)]
pub(crate) struct CodeBlock {
    addr: usize,
    home: Home,
}

impl CodeBlock {
    /// Copies `code` into executable memory, or `None` when the host refuses
    /// to give any (or `ABICALL_JIT_MEMORY=none`).
    pub(crate) fn new(code: &[u8]) -> Option<CodeBlock> {
        if code.is_empty() {
            return None;
        }
        let mode = forced_mode().or(DEFAULT_MODE);
        if mode == Some(Mode::None) {
            return None;
        }
        if mode != Some(Mode::Private) && code.len() <= CHUNK {
            let mut arena = ARENA.lock().unwrap_or_else(|p| p.into_inner());
            if !arena.dual_failed {
                if let Some(b) = pooled(&mut arena, code) {
                    return Some(b);
                }
                if arena.chunks.iter().all(Option::is_none) {
                    arena.dual_failed = true;
                }
            }
            if mode == Some(Mode::Dual) {
                return None;
            }
        }
        own(code)
    }

    /// Bytes of executable memory this block takes.
    pub(crate) fn size(&self) -> usize {
        match self.home {
            Home::Pooled { count, .. } => count * GRANULE,
            Home::Own { len } => len,
        }
    }

    /// The executable address of the first byte.
    pub(crate) fn addr(&self) -> *const c_void {
        self.addr as *const c_void
    }

    /// Whether this block shares a dual-mapped chunk (tests).
    #[cfg(test)]
    fn pooled(&self) -> bool {
        matches!(self.home, Home::Pooled { .. })
    }
}

impl Drop for CodeBlock {
    fn drop(&mut self) {
        match self.home {
            Home::Pooled { chunk, first, count } => {
                let mut arena = ARENA.lock().unwrap_or_else(|p| p.into_inner());
                let Some(c) = arena.chunks[chunk].as_mut() else {
                    return;
                };
                // SAFETY: the granules belong to this block (marked in use
                // for it alone); nothing runs them any more (the owner is
                // being dropped); the writable view covers the chunk.
                unsafe { std::ptr::write_bytes((c.w + first * GRANULE) as *mut u8, FILL, count * GRANULE) };
                flush(c.x + first * GRANULE, count * GRANULE);
                for g in first..first + count {
                    c.used[g / 64] &= !(1 << (g % 64));
                }
                if !REUSE_GRANULES && c.used.iter().all(|&w| w == 0) {
                    let (w, x) = (c.w, c.x);
                    arena.chunks[chunk] = None;
                    // SAFETY: both views of a chunk none of whose granules
                    // is in use any more; nothing refers to it now.
                    unsafe {
                        munmap(w as *mut c_void, CHUNK);
                        munmap(x as *mut c_void, CHUNK);
                    }
                }
            }
            Home::Own { len } => {
                // SAFETY: the block's own mapping, no longer used.
                unsafe { munmap(self.addr as *mut c_void, len) };
            }
        }
    }
}

/// First fit in the existing chunks (without `REUSE_GRANULES`: the first
/// chunk with enough granules never handed out), else a new chunk.
fn pooled(arena: &mut Arena, code: &[u8]) -> Option<CodeBlock> {
    let count = code.len().div_ceil(GRANULE);
    let mut found = None;
    'chunks: for (ci, c) in arena.chunks.iter().enumerate() {
        let Some(c) = c else { continue };
        if !REUSE_GRANULES {
            if c.next + count <= GRANULES {
                found = Some((ci, c.next));
                break;
            }
            continue;
        }
        let mut run = 0;
        for g in 0..GRANULES {
            if c.used[g / 64] & (1 << (g % 64)) != 0 {
                run = 0;
            } else {
                run += 1;
                if run == count {
                    found = Some((ci, g + 1 - count));
                    break 'chunks;
                }
            }
        }
    }
    let (chunk, first) = match found {
        Some(f) => f,
        None => {
            let c = new_chunk()?;
            match arena.chunks.iter().position(Option::is_none) {
                Some(i) => {
                    arena.chunks[i] = Some(c);
                    (i, 0)
                }
                None => {
                    arena.chunks.push(Some(c));
                    (arena.chunks.len() - 1, 0)
                }
            }
        }
    };
    let c = arena.chunks[chunk].as_mut()?;
    for g in first..first + count {
        c.used[g / 64] |= 1 << (g % 64);
    }
    c.next = c.next.max(first + count);
    let w = c.w + first * GRANULE;
    // SAFETY: the granules were free and are now this block's alone; the
    // writable view maps them; `code` fits (count granules).
    unsafe {
        std::ptr::copy_nonoverlapping(code.as_ptr(), w as *mut u8, code.len());
        std::ptr::write_bytes((w + code.len()) as *mut u8, FILL, count * GRANULE - code.len());
    }
    let x = c.x + first * GRANULE;
    flush(x, count * GRANULE);
    Some(CodeBlock {
        addr: x,
        home: Home::Pooled { chunk, first, count },
    })
}

/// No `memfd` on Apple: no dual mapping (private `MAP_JIT` pages instead).
#[cfg(target_os = "macos")]
fn new_chunk() -> Option<Chunk> {
    None
}

/// Maps a memfd twice: read+write and read+execute.
#[cfg(target_os = "linux")]
fn new_chunk() -> Option<Chunk> {
    // SAFETY: a NUL-terminated name; the fd is ours.
    let fd = unsafe { memfd_create(c"abicall-jit".as_ptr(), MFD_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let chunk = (|| {
        // SAFETY: our fresh fd.
        if unsafe { ftruncate(fd, CHUNK as i64) } != 0 {
            return None;
        }
        // SAFETY: a fresh shared mapping of our fd; no existing memory involved.
        let w = unsafe { mmap(std::ptr::null_mut(), CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) };
        if w as isize == -1 || w.is_null() {
            return None;
        }
        // SAFETY: a fresh shared read+execute mapping of our own fd; no existing memory involved.
        let x = unsafe { mmap(std::ptr::null_mut(), CHUNK, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) };
        if x as isize == -1 || x.is_null() {
            // SAFETY: the mapping made just above.
            unsafe { munmap(w, CHUNK) };
            return None;
        }
        // SAFETY: the writable view of the fresh chunk.
        unsafe { std::ptr::write_bytes(w as *mut u8, FILL, CHUNK) };
        flush(x as usize, CHUNK);
        Some(Chunk {
            w: w as usize,
            x: x as usize,
            used: [0; WORDS],
            next: 0,
        })
    })();
    // SAFETY: the mappings keep the file alive; the descriptor is not needed.
    unsafe { close(fd) };
    chunk
}

/// A private mapping for one block: written, then executable and never
/// written again (see `seal`).
fn own(code: &[u8]) -> Option<CodeBlock> {
    let len = code.len().div_ceil(PAGE) * PAGE;
    // SAFETY: a fresh anonymous private mapping.
    let p = unsafe { mmap(std::ptr::null_mut(), len, OWN_PROT, OWN_FLAGS, -1, 0) };
    if p as isize == -1 || p.is_null() {
        return None;
    }
    // SAFETY: our fresh mapping of `len` ≥ code.len() bytes, run by nothing yet.
    if !unsafe { seal(p as *mut u8, len, code) } {
        // SAFETY: our mapping, never handed out.
        unsafe { munmap(p, len) };
        return None;
    }
    flush(p as usize, len);
    Some(CodeBlock {
        addr: p as usize,
        home: Home::Own { len },
    })
}

/// How `own` maps a block: read+write, then `mprotect`ed (Linux); `MAP_JIT`
/// read+write+execute, writable for one thread at a time (Apple arm64).
#[cfg(target_os = "linux")]
const OWN_PROT: i32 = PROT_READ | PROT_WRITE;
#[cfg(target_os = "linux")]
const OWN_FLAGS: i32 = MAP_PRIVATE | MAP_ANONYMOUS;
#[cfg(target_os = "macos")]
const OWN_PROT: i32 = PROT_READ | PROT_WRITE | PROT_EXEC;
#[cfg(target_os = "macos")]
const OWN_FLAGS: i32 = MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT;

/// Copies `code` into the fresh mapping `p` of `len` bytes (the rest
/// filled with `FILL`) and makes it executable and read-only: `mprotect`
/// to read+execute; `false` when refused.
///
/// # Safety
/// `p` is a fresh private mapping of `len` ≥ `code.len()` bytes made by
/// `own`, which nothing runs yet.
#[cfg(target_os = "linux")]
unsafe fn seal(p: *mut u8, len: usize, code: &[u8]) -> bool {
    // SAFETY: the fresh writable mapping has `len` ≥ code.len() bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(code.as_ptr(), p, code.len());
        std::ptr::write_bytes(p.add(code.len()), FILL, len - code.len());
    }
    // SAFETY: our mapping; from now on it is never written.
    unsafe { mprotect(p as *mut c_void, len, PROT_READ | PROT_EXEC) == 0 }
}

/// As the Linux `seal`, for a `MAP_JIT` mapping (Apple arm64): writable
/// (and not executable) for this thread only while the code is copied in.
///
/// # Safety
/// As for the Linux `seal`.
#[cfg(target_os = "macos")]
unsafe fn seal(p: *mut u8, len: usize, code: &[u8]) -> bool {
    // SAFETY: `MAP_JIT` pages become writable (and not executable) for this
    // thread between the two calls; nothing runs this fresh mapping yet;
    // it has `len` ≥ code.len() bytes.
    unsafe {
        pthread_jit_write_protect_np(0);
        std::ptr::copy_nonoverlapping(code.as_ptr(), p, code.len());
        std::ptr::write_bytes(p.add(code.len()), FILL, len - code.len());
        pthread_jit_write_protect_np(1);
    }
    true
}

/// Makes the instruction cache see bytes just written for `[x, x + len)`.
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
fn flush(x: usize, len: usize) {
    // SAFETY: a range of our own executable mapping.
    unsafe { __clear_cache(x as *mut std::ffi::c_char, (x + len) as *mut std::ffi::c_char) };
}

/// Makes the instruction cache see bytes just written for `[x, x + len)`.
#[cfg(all(target_arch = "aarch64", target_os = "macos"))]
fn flush(x: usize, len: usize) {
    // SAFETY: a range of our own executable mapping.
    unsafe { sys_icache_invalidate(x as *mut c_void, len) };
}

/// x86_64 keeps the instruction cache coherent with stores.
#[cfg(not(target_arch = "aarch64"))]
fn flush(_x: usize, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_pooled_and_freed_granules_trap() {
        if forced_mode().is_some() {
            return;
        }
        let a = CodeBlock::new(&[0x90; 40]).expect("executable memory");
        let b = CodeBlock::new(&[0x90; 10]).expect("executable memory");
        assert!(a.pooled() && b.pooled());
        let Home::Pooled { chunk, first, count } = a.home else {
            unreachable!()
        };
        assert_eq!(count, 2, "40 bytes take two granules");
        // SAFETY: reading the executable view (readable).
        assert_eq!(unsafe { *(a.addr() as *const u8) }, 0x90);
        // SAFETY: reading the padding after the code in the readable executable view.
        assert_eq!(unsafe { *((a.addr() as usize + 40) as *const u8) }, FILL);
        let a_addr = a.addr() as usize;
        drop(a);
        // SAFETY: the chunk stays mapped while `b` lives in it.
        assert_eq!(unsafe { *(a_addr as *const u8) }, FILL, "freed code is overwritten");
        {
            let arena = ARENA.lock().unwrap();
            let c = arena.chunks[chunk].as_ref().expect("b keeps the chunk");
            assert_eq!(c.used[first / 64] & (1 << (first % 64)), 0, "granule free");
        }
        // Without granule reuse (aarch64) the freed address is not handed
        // out again while the chunk lives; with it, first fit takes it back.
        let c = CodeBlock::new(&[0x90; 40]).expect("executable memory");
        if !REUSE_GRANULES {
            assert_ne!(c.addr() as usize, a_addr, "a freed granule is not reused");
        }
        drop((b, c));
    }

    #[test]
    fn large_blocks_get_their_own_mapping() {
        if forced_mode() == Some(Mode::None) {
            return;
        }
        let big = vec![FILL; CHUNK + 1];
        let b = CodeBlock::new(&big).expect("executable memory");
        assert!(!b.pooled());
        assert_eq!(b.addr() as usize % PAGE, 0);
    }
}
