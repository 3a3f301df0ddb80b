//! Memory for a host's garbage collector: an embedder's allocator for owned
//! C objects (`abicall_object_new_ex`) and the bytes each handle holds
//! (`abicall_*_memory_size`).

use crate::errors::{cdef, fails, function, host_ctx, new_err, ok, process, type_of};
use abicall_capi::abicall_status::*;
use abicall_capi::*;
use std::alloc::Layout;
use std::ffi::c_void;
use std::ptr::{null, null_mut};
use std::sync::Mutex;

/// What the test allocator saw: live blocks (address, size, align) and the
/// log of calls.
#[derive(Default)]
struct Seen {
    live: Vec<(usize, usize, usize)>,
    allocs: usize,
    frees: Vec<(usize, usize, usize)>,
    /// Return NULL (1) or a misaligned address (2) on the next alloc.
    misbehave: u8,
}

unsafe extern "C" fn test_alloc(user: *mut c_void, size: usize, align: usize) -> *mut c_void {
    // SAFETY: `user` is the test's `Mutex<Seen>`, alive during the test.
    let seen = unsafe { &*(user as *const Mutex<Seen>) };
    let mut s = seen.lock().unwrap();
    s.allocs += 1;
    let how = std::mem::take(&mut s.misbehave);
    if how == 1 {
        return null_mut();
    }
    let layout = Layout::from_size_align(size + align, align).unwrap();
    // SAFETY: non-zero size (abicall asks for at least 1 byte, plus `align`).
    let p = unsafe { std::alloc::alloc(layout) };
    // Garbage, so the test sees abicall zero it.
    // SAFETY: `p` has `size + align` writable bytes.
    unsafe { std::ptr::write_bytes(p, 0xab, size + align) };
    let p = if how == 2 { p as usize + 1 } else { p as usize };
    s.live.push((p, size, align));
    p as *mut c_void
}

unsafe extern "C" fn test_free(user: *mut c_void, ptr: *mut c_void, size: usize, align: usize) {
    // SAFETY: as in `test_alloc`.
    let seen = unsafe { &*(user as *const Mutex<Seen>) };
    let mut s = seen.lock().unwrap();
    let at = s
        .live
        .iter()
        .position(|&(p, ..)| p == ptr as usize)
        .expect("free of a block never allocated");
    let (p, sz, al) = s.live.remove(at);
    assert_eq!(
        (sz, al),
        (size, align),
        "free with another size or alignment than alloc"
    );
    s.frees.push((p, sz, al));
    let base = p & !(al - 1);
    // SAFETY: `base` is what `std::alloc::alloc` returned for this layout:
    // blocks start aligned to `al` (>= 2 here), and the misaligned one
    // handed out is `base + 1`, so rounding down finds the start.
    unsafe { std::alloc::dealloc(base as *mut u8, Layout::from_size_align(sz + al, al).unwrap()) };
}

fn allocator(seen: &Mutex<Seen>) -> abicall_allocator {
    abicall_allocator {
        size: std::mem::size_of::<abicall_allocator>(),
        alloc: Some(test_alloc),
        free: Some(test_free),
        user: seen as *const Mutex<Seen> as *mut c_void,
    }
}

fn ptr_of(obj: *const abicall_object) -> *mut c_void {
    let (mut p, mut e) = (null_mut(), new_err());
    // SAFETY: live object.
    ok(unsafe { abicall_object_ptr(obj, &mut p, &mut e) }, &e);
    p
}

fn object_memory(obj: *const abicall_object) -> usize {
    let (mut n, mut e) = (0usize, new_err());
    // SAFETY: live object.
    ok(unsafe { abicall_object_memory_size(obj, &mut n, &mut e) }, &e);
    n
}

#[test]
fn objects_take_their_memory_from_the_embedders_allocator_and_give_it_back() {
    let seen = Mutex::new(Seen::default());
    let a = allocator(&seen);
    let ctx = host_ctx();
    cdef(ctx, "struct pt { char c; double x; };");
    let (dbl, pt) = (type_of(ctx, c"double"), type_of(ctx, c"struct pt"));
    let mut e = new_err();
    // SAFETY: live handles; the allocator and `seen` outlive the objects.
    unsafe {
        let (mut arr, mut one, mut empty) = (null_mut(), null_mut(), null_mut());
        ok(abicall_object_new_ex(dbl, 10, &a, &mut arr, &mut e), &e);
        ok(abicall_object_new_ex(pt, 1, &a, &mut one, &mut e), &e);
        ok(abicall_object_new_ex(pt, 0, &a, &mut empty, &mut e), &e);
        {
            let s = seen.lock().unwrap();
            assert_eq!(s.allocs, 3);
            let sizes: Vec<_> = s.live.iter().map(|&(_, sz, al)| (sz, al)).collect();
            assert_eq!(
                sizes,
                [(80, 8), (16, 8), (1, 8)],
                "one block per object, a zero-size one asks 1 byte"
            );
            assert_eq!(
                ptr_of(arr) as usize,
                s.live[0].0,
                "the object's memory is the allocator's block"
            );
            assert_eq!(ptr_of(one) as usize, s.live[1].0);
        }
        // Zeroed by abicall, then usable as C memory.
        let xs = std::slice::from_raw_parts_mut(ptr_of(arr) as *mut f64, 10);
        assert!(xs.iter().all(|&x| x == 0.0));
        xs[9] = 2.5;
        let (mut v, mut size) = (0f64, 0usize);
        ok(
            abicall_load_double(
                dbl,
                (ptr_of(arr) as *const f64).add(9) as *const c_void,
                null(),
                &mut v,
                &mut e,
            ),
            &e,
        );
        assert_eq!(v, 2.5);
        ok(abicall_object_size(arr, &mut size, &mut e), &e);
        assert_eq!(size, 80);
        // The handle's own bytes: what the 1-byte block's object reports beyond it.
        let handle = object_memory(empty) - 1;
        assert!(handle >= std::mem::size_of::<usize>());
        assert_eq!((object_memory(arr), object_memory(one)), (80 + handle, 16 + handle));
        ok(abicall_object_free(arr, &mut e), &e);
        ok(abicall_object_free(one, &mut e), &e);
        ok(abicall_object_free(empty, &mut e), &e);
        let s = seen.lock().unwrap();
        assert!(s.live.is_empty(), "every block given back");
        assert_eq!(s.frees.len(), 3);
        drop(s);
        // NULL allocator: abicall's own memory, as abicall_object_new.
        let mut own = null_mut();
        ok(abicall_object_new_ex(dbl, 4, null(), &mut own, &mut e), &e);
        assert_eq!(seen.lock().unwrap().allocs, 3);
        assert_eq!(object_memory(own), 32 + handle);
        abicall_object_free(own, null_mut());
        for t in [dbl, pt] {
            abicall_type_free(t, null_mut());
        }
        abicall_context_free(ctx, null_mut());
    }
}

#[test]
fn a_failing_or_bad_allocator_is_an_error() {
    let seen = Mutex::new(Seen::default());
    let ctx = host_ctx();
    cdef(ctx, "struct typo_user { struct typo *p; };");
    let (dbl, typo) = (type_of(ctx, c"double"), type_of(ctx, c"struct typo"));
    let mut e = new_err();
    let mut o = null_mut();
    // SAFETY: live handles; allocator structs readable.
    unsafe {
        let a = allocator(&seen);
        seen.lock().unwrap().misbehave = 1;
        fails(
            abicall_object_new_ex(dbl, 2, &a, &mut o, &mut e),
            &e,
            ABICALL_E_MEMORY,
            "returned NULL for 16 bytes",
        );
        seen.lock().unwrap().misbehave = 2;
        fails(
            abicall_object_new_ex(dbl, 2, &a, &mut o, &mut e),
            &e,
            ABICALL_E_MEMORY,
            "not aligned to 8 bytes",
        );
        {
            let s = seen.lock().unwrap();
            assert!(s.live.is_empty(), "the misaligned block was given back");
            assert_eq!((s.allocs, s.frees.len()), (2, 1));
        }
        fails(
            abicall_object_new_ex(typo, 1, &a, &mut o, &mut e),
            &e,
            ABICALL_E_UNKNOWN_TYPE,
            "typo",
        );
        fails(
            abicall_object_new_ex(dbl, usize::MAX, &a, &mut o, &mut e),
            &e,
            ABICALL_E_MEMORY,
            "do not fit",
        );
        let old = abicall_allocator {
            size: 8,
            ..allocator(&seen)
        };
        fails(
            abicall_object_new_ex(dbl, 1, &old, &mut o, &mut e),
            &e,
            ABICALL_E_VERSION,
            "alloc->size",
        );
        let no_free = abicall_allocator {
            free: None,
            ..allocator(&seen)
        };
        fails(
            abicall_object_new_ex(dbl, 1, &no_free, &mut o, &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "alloc->free",
        );
        fails(
            abicall_object_new_ex(dbl, 1, &a, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "out_obj",
        );
        assert!(o.is_null(), "no object on failure");
        assert_eq!(
            seen.lock().unwrap().allocs,
            2,
            "nothing allocated for a request refused up front"
        );
        abicall_type_free(dbl, null_mut());
        abicall_type_free(typo, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}

unsafe extern "C" fn nop(_: *mut c_void, _: *const *mut c_void, _: *mut c_void) {}

#[test]
fn handles_report_the_memory_they_hold() {
    let ctx = host_ctx();
    cdef(
        ctx,
        "double cos(double); int snprintf(char *, unsigned long, const char *, ...);\
         typedef struct { double a, b, c, d; } quad; quad quad_of(quad, quad, quad, int, int, int, int, int, int, int);",
    );
    let lib = process();
    let cos = function(ctx, lib, c"cos");
    let mut e = new_err();
    let mem = |f: *const abicall_function| {
        let (mut n, mut e) = (0usize, new_err());
        // SAFETY: live call object.
        ok(unsafe { abicall_function_memory_size(f, &mut n, &mut e) }, &e);
        n
    };
    // A call object of a larger signature holds more.
    let big_t = type_of(ctx, c"quad (*)(quad, quad, quad, int, int, int, int, int, int, int)");
    let mut big = null_mut();
    // SAFETY: the code pointer is never called (only the plan is made).
    ok(
        unsafe { abicall_function_new_at(big_t, nop as *const c_void, null(), 0, &mut big, &mut e) },
        &e,
    );
    let (small, large) = (mem(cos), mem(big));
    assert!(
        small > std::mem::size_of::<usize>() * 8,
        "cos's call object reports {small} bytes"
    );
    assert!(
        large > small,
        "10 arguments with structs ({large}) vs one double ({small})"
    );
    // Callbacks report theirs.
    let cb_t = type_of(ctx, c"void (*)(int)");
    let mut cb = null_mut();
    let mut n = 0usize;
    // SAFETY: live handles; `nop` ignores its arguments.
    unsafe {
        ok(
            abicall_callback_new_type(cb_t, Some(nop), null_mut(), None, &mut cb, &mut e),
            &e,
        );
        ok(abicall_callback_memory_size(cb, &mut n, &mut e), &e);
        assert!(n > std::mem::size_of::<usize>() * 8, "callback reports {n} bytes");
        // Each kind refuses the others' handles and NULL out-pointers.
        fails(
            abicall_function_memory_size(cb as *const abicall_function, &mut n, &mut e),
            &e,
            ABICALL_E_BAD_HANDLE,
            "abicall_function",
        );
        fails(
            abicall_callback_memory_size(cb, null_mut(), &mut e),
            &e,
            ABICALL_E_NULL_ARG,
            "out_bytes",
        );
        abicall_callback_free(cb, null_mut());
        fails(
            abicall_callback_memory_size(cb, &mut n, &mut e),
            &e,
            ABICALL_E_FREED,
            "freed",
        );
        for f in [cos, big] {
            abicall_function_free(f, null_mut());
        }
        for t in [big_t, cb_t] {
            abicall_type_free(t, null_mut());
        }
        abicall_library_free(lib, null_mut());
        abicall_context_free(ctx, null_mut());
    }
}
