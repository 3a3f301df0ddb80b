//! Pages of per-callback entry stubs, shared by the x86_64 and AAPCS64 fast
//! callback entries: pairs of (code page, data page) filled in order. Stub
//! `i` of a code page reads data slot `i` of its data page (state,
//! dispatcher, entry; on Linux the page after the code page, on Apple a
//! mapping of its own, the code page being `MAP_JIT`) and jumps to the entry; each architecture supplies
//! only the stub's machine code ([`Encode`]). A code page is written once,
//! then made read+execute (never writable and executable at once); data
//! slots stay read+write for the process's life and are never reused.

use super::Dispatch;
use std::ffi::c_void;
use std::sync::Mutex;

extern "C" {
    fn mmap(addr: *mut c_void, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut c_void;
    #[cfg(target_os = "linux")]
    fn mprotect(addr: *mut c_void, len: usize, prot: i32) -> i32;
    #[cfg(all(target_arch = "aarch64", target_os = "linux"))]
    fn __clear_cache(begin: *mut std::ffi::c_char, end: *mut std::ffi::c_char);
    #[cfg(target_os = "macos")]
    fn pthread_jit_write_protect_np(enabled: i32);
    #[cfg(target_os = "macos")]
    fn sys_icache_invalidate(start: *mut c_void, len: usize);
}

/// Bytes of one stub.
pub(super) const STUB: usize = 32;
/// Bytes of one data slot: state, dispatcher, entry.
const SLOT: usize = 24;

/// The machine code of the stub at address `code` whose data slot is at `data`.
pub(super) type Encode = fn(code: usize, data: usize) -> [u8; STUB];

/// A pool of stubs for one entry.
pub(super) struct Pool {
    /// The current code page, its data page, and the next free stub index.
    base: usize,
    data: usize,
    next: usize,
    /// Page size, and stubs per code page (0 before the first pair).
    page: usize,
    per_page: usize,
}

impl Pool {
    /// An empty pool; the first [`stub`] maps its first pair.
    pub(super) const fn new() -> Pool {
        Pool {
            base: 0,
            data: 0,
            next: 0,
            page: 0,
            per_page: 0,
        }
    }
}

/// A code address that runs `dispatch(state, …)` through `entry`, from
/// `pool` (pages of `page_size()` bytes, stubs made by `encode`), or `None`
/// when executable memory cannot be had (then use libffi).
pub(super) fn stub(
    pool: &Mutex<Pool>,
    page_size: fn() -> usize,
    encode: Encode,
    entry: usize,
    state: *const c_void,
    dispatch: Dispatch,
) -> Option<*const c_void> {
    let mut pool = pool.lock().unwrap_or_else(|p| p.into_inner());
    if pool.page == 0 {
        pool.page = page_size();
        pool.per_page = pool.page / STUB;
        pool.next = pool.per_page;
    }
    if pool.next == pool.per_page {
        (pool.base, pool.data) = new_pair(pool.page, pool.per_page, encode)?;
        pool.next = 0;
    }
    let i = pool.next;
    pool.next += 1;
    let data = (pool.data + i * SLOT) as *mut usize;
    // SAFETY: slot `i` of the data page belongs to this stub alone (handed
    // out once under the lock) and is written before the stub's address is
    // returned; the page is read+write for the process's life.
    unsafe {
        data.write(state as usize);
        data.add(1).write(dispatch as *const () as usize);
        data.add(2).write(entry);
    }
    Some((pool.base + i * STUB) as *const c_void)
}

/// Maps a code page whose `per_page` stubs read the data page after it,
/// then makes the code page read+execute (and, on aarch64, visible to the
/// instruction cache). Returns the code page's and the data page's address.
#[cfg(target_os = "linux")]
fn new_pair(page: usize, per_page: usize, encode: Encode) -> Option<(usize, usize)> {
    const PROT_READ: i32 = 1;
    const PROT_WRITE: i32 = 2;
    const PROT_EXEC: i32 = 4;
    const MAP_PRIVATE: i32 = 2;
    const MAP_ANONYMOUS: i32 = 0x20;
    // SAFETY: a fresh anonymous private mapping; no existing memory involved.
    let p = unsafe {
        mmap(
            std::ptr::null_mut(),
            2 * page,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p.is_null() || p as isize == -1 {
        return None;
    }
    let base = p as usize;
    for i in 0..per_page {
        let code = base + i * STUB;
        let bytes = encode(code, base + page + i * SLOT);
        // SAFETY: within the fresh, writable code page.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), code as *mut u8, STUB) };
    }
    // SAFETY: the code page of the mapping above; it is never written again.
    if unsafe { mprotect(p, page, PROT_READ | PROT_EXEC) } != 0 {
        return None;
    }
    // SAFETY: the code page just written; makes the instruction cache see it.
    #[cfg(target_arch = "aarch64")]
    unsafe {
        __clear_cache(p as *mut std::ffi::c_char, (base + page) as *mut std::ffi::c_char)
    };
    Some((base, base + page))
}

/// Apple arm64: the code page is a `MAP_JIT` mapping, written while
/// `pthread_jit_write_protect_np(0)` makes it writable (for this thread
/// only); the data page is an ordinary read+write mapping (the stubs hold
/// their slot's address). Returns the code page's and the data page's address.
#[cfg(target_os = "macos")]
fn new_pair(page: usize, per_page: usize, encode: Encode) -> Option<(usize, usize)> {
    const PROT_READ: i32 = 1;
    const PROT_WRITE: i32 = 2;
    const PROT_EXEC: i32 = 4;
    const MAP_PRIVATE: i32 = 2;
    const MAP_ANONYMOUS: i32 = 0x1000;
    const MAP_JIT: i32 = 0x800;
    let map = |prot: i32, flags: i32| {
        // SAFETY: a fresh anonymous private mapping; no existing memory involved.
        let p = unsafe { mmap(std::ptr::null_mut(), page, prot, flags, -1, 0) };
        (!p.is_null() && p as isize != -1).then_some(p as usize)
    };
    let data = map(PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS)?;
    let base = map(
        PROT_READ | PROT_WRITE | PROT_EXEC,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT,
    )?;
    // SAFETY: `MAP_JIT` pages are writable for this thread between the two
    // calls; nothing runs the fresh code page yet; every stub lies within it.
    unsafe {
        pthread_jit_write_protect_np(0);
        for i in 0..per_page {
            let code = base + i * STUB;
            let bytes = encode(code, data + i * SLOT);
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), code as *mut u8, STUB);
        }
        pthread_jit_write_protect_np(1);
        sys_icache_invalidate(base as *mut c_void, page);
    }
    Some((base, data))
}
