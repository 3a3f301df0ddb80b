//! Owned memory throughput: `CData::new` + drop for a scalar, a struct and
//! an array. Run with `cargo bench --bench memory`.

use abicall::memory::CData;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::{Target, Value};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::time::Duration;

fn memory(c: &mut Criterion) {
    let mut t = Types::new(Target::host().unwrap());
    let (i, d) = (t.prim(Prim::Int), t.prim(Prim::Double));
    let s = t
        .define_record(
            RecordKind::Struct,
            Some("pt"),
            vec![FieldDecl::new("x", d), FieldDecl::new("y", d), FieldDecl::new("n", i)],
            RecordAttrs::default(),
        )
        .unwrap();
    let arr = t.array(i, Some(1024));
    let mut g = c.benchmark_group("CData new+drop");
    g.warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    g.bench_function("int zeroed", |b| b.iter(|| black_box(CData::new(&t, i, None).unwrap())));
    let v = Value::Int(7);
    g.bench_function("int init", |b| {
        b.iter(|| black_box(CData::new(&t, i, Some(&v)).unwrap()))
    });
    g.bench_function("struct zeroed", |b| {
        b.iter(|| black_box(CData::new(&t, s, None).unwrap()))
    });
    g.bench_function("int[1024] zeroed", |b| {
        b.iter(|| black_box(CData::new(&t, arr, None).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, memory);
criterion_main!(benches);
