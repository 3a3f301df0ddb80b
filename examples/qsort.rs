//! `cargo run --example qsort`: libc's `qsort` sorting an owned C `int`
//! array with a Rust closure as the comparator.
//!
//! The closure receives the two `const void *` arguments as [`Value`]s,
//! views them as `int`s through the shared type table, and may capture
//! state (here: a call counter and the sort key).

use abicall::library::Library;
use abicall::{Ffi, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn main() -> abicall::Result<()> {
    let mut ffi = Ffi::host()?;
    ffi.cdef("void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));")?;
    let qsort = ffi.function(&Library::process(), "qsort")?;

    let numbers = [42, -7, 19, 0, 3, -40, 25, 8, 19, -1];
    let array = ffi.new_object(
        &format!("int[{}]", numbers.len()),
        Some(&Value::List(numbers.iter().map(|&n| Value::from(n)).collect())),
    )?;
    let int = ffi.type_of("int")?;
    // A callback is passed as a pointer to its function type.
    let compar = ffi.type_of("int (const void *, const void *)")?;
    let types = ffi.shared_types();

    for (label, by_abs) in [("ascending", false), ("by absolute value", true)] {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let types = types.clone();
        let compare = ffi.callback("int (*)(const void *, const void *)", move |args| {
            counter.fetch_add(1, Ordering::Relaxed);
            let t = types.read().map_err(|_| "type table lock poisoned".to_string())?;
            let mut key = [0i128; 2];
            for (k, arg) in key.iter_mut().zip(args) {
                let p = arg.as_ptr().ok_or("argument is not a pointer")?.with_pointee(int);
                // SAFETY: qsort passes pointers to elements of the int array
                // it is sorting, which lives for the whole call.
                let v = unsafe { p.deref(&t, 1) }
                    .and_then(|c| c.read(&t))
                    .map_err(|e| e.to_string())?;
                let v = v.as_int().ok_or("element is not an integer")?;
                *k = if by_abs { v.abs() } else { v };
            }
            Ok(Value::from(key[0].cmp(&key[1]) as i32))
        })?;
        // SAFETY: `qsort` is declared with its real signature (the example's declarations) and these arguments are valid for it.
        unsafe {
            qsort.call(&[
                Value::CData(array.clone()),
                Value::from(numbers.len() as u64),
                Value::from(4u64),
                Value::Pointer(abicall::memory::Ptr::new(compare.code() as usize, compar)),
            ])
        }?;
        let sorted = array.unpack(&ffi.types(), numbers.len())?;
        let text: Vec<String> = sorted
            .iter()
            .map(|v| v.as_int().unwrap_or_default().to_string())
            .collect();
        println!("{label}: {}", text.join(" "));
        println!("  (comparator called {} times)", calls.load(Ordering::Relaxed));
    }
    Ok(())
}
