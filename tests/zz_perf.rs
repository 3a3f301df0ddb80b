use abicall::{Ffi, Target};
#[test]
fn perf() {
    for file in ["/tmp/pp_sqlite3.c", "/tmp/pp_sqlite3_cffi.c"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let n = 200;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let mut ffi = Ffi::new(Target::X86_64SysV);
            ffi.cdef(&text).unwrap();
        }
        println!("{file}: {} bytes, avg {:?}", text.len(), t.elapsed() / n);
    }
}
