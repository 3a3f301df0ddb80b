//! Handles: live ones map back to their value; stale, foreign and forged
//! pointers give `Err`; the table works from many threads at once.

use abicall::memory::{from_handle, new_handle};
use abicall::Error;
use std::any::Any;
use std::ffi::c_void;
use std::sync::Arc;

fn val(x: u64) -> Arc<dyn Any + Send + Sync> {
    Arc::new(x)
}

fn get(p: *mut c_void) -> Option<u64> {
    from_handle(p).ok().and_then(|a| a.downcast_ref::<u64>().copied())
}

#[test]
fn live_stale_foreign_forged() {
    let (h, p) = new_handle(val(42)).unwrap();
    assert_eq!(h.as_ptr(), p);
    assert_eq!(get(p), Some(42));
    assert!(!p.is_null());
    // forged: neighbours of a live handle, small integers, NULL, a real address
    for delta in [1usize, 2, 1 << 24, 1 << 48, 1 << 63] {
        assert!(
            from_handle((p as usize ^ delta) as *mut c_void).is_err(),
            "forged {delta:#x}"
        );
    }
    for x in [0usize, 1, 8, 0x1000] {
        assert!(matches!(from_handle(x as *mut c_void), Err(Error::Handle(_))));
    }
    let local = 5u64;
    assert!(from_handle(&local as *const u64 as *const c_void).is_err());
    // stale: dropped handle, even after its slot is reused
    drop(h);
    assert!(from_handle(p).is_err());
    let (h2, p2) = new_handle(val(43)).unwrap();
    assert_ne!(p2, p, "a reused slot gets a new generation");
    assert!(from_handle(p).is_err());
    assert_eq!(get(p2), Some(43));
    drop(h2);
}

#[test]
fn value_lives_while_handle_does() {
    let v = val(7);
    let weak = Arc::downgrade(&v);
    let (h, p) = new_handle(v).unwrap();
    let got = from_handle(p).unwrap();
    drop(got);
    assert!(weak.upgrade().is_some());
    drop(h);
    assert!(weak.upgrade().is_none(), "dropping the guard releases the value");
}

#[test]
fn eight_threads_concurrently() {
    let threads: Vec<_> = (0..8u64)
        .map(|tid| {
            std::thread::spawn(move || {
                let mut stale = Vec::new();
                for round in 0..500u64 {
                    let mut live = Vec::new();
                    for k in 0..8 {
                        let x = tid * 1_000_000 + round * 10 + k;
                        let (h, p) = new_handle(val(x)).unwrap();
                        live.push((h, p as usize, x));
                    }
                    for (_, p, x) in &live {
                        assert_eq!(get(*p as *mut c_void), Some(*x));
                    }
                    for (h, p, _) in live {
                        drop(h);
                        stale.push(p);
                    }
                }
                // no stale pointer is accepted, whoever reused the slots
                stale.iter().filter(|p| from_handle(**p as *mut c_void).is_ok()).count()
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 0);
    }
}
