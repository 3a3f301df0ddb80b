//! Walks over a type's structure (`size_align`, `display`) on a short thread
//! stack: a type nested up to the table's limit must be measured and spelt,
//! never overflow the stack (regression: depth 220 on a 64 KiB thread was a
//! SIGSEGV through `abicall_type_size` / `abicall_type_name`).

use abicall::types::{Prim, TypeId, Types, MAX_DEPTH};
use abicall::Target;

/// Runs `f` on a thread with a 64 KiB stack.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(64 << 10)
        .spawn(f)
        .expect("thread starts")
        .join()
        .expect("no panic on the small stack")
}

#[test]
fn deep_arrays_are_measured_and_spelt_on_a_small_stack() {
    let (size, align, name, len) = on_small_stack(|| {
        let mut t = Types::new(Target::X86_64SysV);
        let mut id = t.prim(Prim::Short);
        for i in 0..220 {
            id = t.array(id, Some(if i == 0 { 3 } else { 1 }));
        }
        assert!(t.depth(id) <= MAX_DEPTH);
        let (size, align) = t.size_align(id).unwrap();
        let name = t.display(id);
        (size, align, name.clone(), name.matches('[').count())
    });
    // short[3] inside 219 levels of [1].
    assert_eq!(size, 6);
    assert_eq!(align, 2);
    assert!(name.starts_with("short ["), "{name}");
    assert_eq!(len, 220);
}

#[test]
fn deep_mixed_types_are_spelt_on_a_small_stack() {
    let (name, size) = on_small_stack(|| {
        let mut t = Types::new(Target::Aarch64Linux);
        let mut id: TypeId = t.prim(Prim::Int);
        let mut i = 0;
        while t.depth(id) < 220 {
            i += 1;
            id = match i % 3 {
                0 => t.pointer(id),
                1 => t.array(id, Some(2)),
                _ => {
                    let d = t.prim(Prim::Double);
                    let f = t.func(id, vec![d], false);
                    t.pointer(f)
                }
            };
        }
        assert!(t.check_depth(id).is_ok());
        id = t.pointer(id);
        (t.display(id), t.size_of(id).ok())
    });
    assert!(name.starts_with("int "), "{name}");
    assert!(name.matches('*').count() > 100, "{name}");
    assert_eq!(size, Some(8));
}
