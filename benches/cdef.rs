//! Parse + lay out the preprocessed sqlite3.h (the text `benches/cdef_input.py`
//! writes, which is also what `benches/cdef_vs_cffi.py` feeds to cffi).
//!
//! Run: `python3 benches/cdef_vs_cffi.py` (both sides, prints the ratio), or
//! `cargo bench --bench cdef` alone.

use abicall::{Ffi, Target};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::process::Command;

fn input() -> String {
    if let Ok(p) = std::env::var("ABICALL_CDEF_INPUT") {
        return std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {p}: {e}"));
    }
    let out = Command::new("python3")
        .args(["benches/cdef_input.py", "-"])
        .output()
        .expect("python3 benches/cdef_input.py");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn bench(c: &mut Criterion) {
    let text = input();
    let target = Target::host().unwrap_or(Target::X86_64SysV);
    // Make sure it parses before timing it.
    Ffi::new(target).cdef(&text).expect("bench input must parse");
    let mut g = c.benchmark_group("cdef");
    g.throughput(criterion::Throughput::Bytes(text.len() as u64));
    g.bench_function("sqlite3.h parse+layout", |b| {
        b.iter(|| {
            let mut ffi = Ffi::new(target);
            ffi.cdef(black_box(&text)).unwrap();
            let n = ffi.types().len();
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
