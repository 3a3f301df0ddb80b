//! Layout vs the compiler, randomized.
//!
//! A seeded generator (`layout_oracle/gen.rs`) makes random struct/union
//! types; each is built with the [`Types`] builder API and rendered to C.
//! The layout probe (`support/layout_probe.rs`) checks `sizeof`, `__alignof__`,
//! `offsetof` of every member path and the bytes of every bitfield:
//! x86_64 with gcc (compiled and run), aarch64 with `aarch64-linux-gnu-gcc`
//! (`_Static_assert`s for sizes/offsets; bitfield bytes run under
//! `qemu-aarch64-static`).
//!
//! Default: 2,000 types per target. The big sweep (see docs/testing.md):
//! `ABICALL_LAYOUT_COUNT=100000 cargo test --release --test layout oracle::`;
//! `ABICALL_LAYOUT_SEED=<n>` picks another seed. Apple arm64 is not checked:
//! there is no Apple compiler here.

use crate::support;

#[path = "gen.rs"]
mod gen;

use abicall::types::Types;
use abicall::Target;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use support::layout_probe::{check_cases, report, Case};

const DEFAULT_COUNT: u64 = 2000;
const DEFAULT_SEED: u64 = 0x1a70_0c1e_5eed;
const BATCH: u64 = 500;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim().replace('_', "");
            let parsed = match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}=`{v}` is not a number"))
        }
        Err(_) => default,
    }
}

/// Generates batch `b` for `target`: the cases and the table they are built in.
/// Types our layout rejects are returned as error strings.
fn make_batch(target: Target, seed: u64, first: u64, count: u64) -> (Types, Vec<Case>, Vec<String>) {
    let mut types = Types::new(target);
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    let mut cov = gen::Coverage::new();
    for k in first..first + count {
        let g = gen::generate(seed, k, &format!("k{k}_"), &mut cov);
        let c_defs = g.to_c();
        match g.build(&mut types) {
            Ok(ty) => cases.push(Case {
                label: format!("seed {seed:#x}, type {k}"),
                c_defs,
                c_type: g.c_type(),
                ty,
            }),
            Err(e) => errors.push(format!(
                "seed {seed:#x}, type {k}: our layout rejected valid C: {e}\n{c_defs}"
            )),
        }
    }
    (types, cases, errors)
}

fn sweep(target: Target, tag: &str) {
    let start = Instant::now();
    let count = env_u64("ABICALL_LAYOUT_COUNT", DEFAULT_COUNT);
    let seed = env_u64("ABICALL_LAYOUT_SEED", DEFAULT_SEED);
    let batches = count.div_ceil(BATCH);
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let checked = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(batches as usize);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let b = next.fetch_add(1, Ordering::Relaxed) as u64;
                if b >= batches {
                    break;
                }
                let first = b * BATCH;
                let n = BATCH.min(count - first);
                let (types, cases, errors) = make_batch(target, seed, first, n);
                let mismatches = check_cases(&types, &cases, &format!("layout-{tag}-{b}"));
                checked.fetch_add(cases.len(), Ordering::Relaxed);
                let mut f = failures.lock().unwrap();
                f.extend(errors);
                if !mismatches.is_empty() {
                    f.push(report(target, &cases, &mismatches, 5));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "{target}: {} generated types checked against the compiler (seed {seed:#x}) in {:.1?}",
        checked.load(Ordering::Relaxed),
        start.elapsed()
    );
    assert!(
        failures.is_empty(),
        "our layout disagrees with the compiler (reproduce one type with ABICALL_LAYOUT_SEED and its index):\n{}",
        failures.join("\n")
    );
    assert_eq!(checked.load(Ordering::Relaxed) as u64, count);
}

#[test]
fn x86_64_random_layouts_match_gcc() {
    sweep(Target::X86_64SysV, "x86_64");
}

#[test]
fn aarch64_random_layouts_match_aarch64_gcc() {
    sweep(Target::Aarch64Linux, "aarch64");
}

/// The generator is deterministic and reaches every construct the issue lists
/// within the default count.
#[test]
fn generator_is_deterministic_and_covers_every_construct() {
    let mut cov = gen::Coverage::new();
    for k in 0..DEFAULT_COUNT {
        gen::generate(DEFAULT_SEED, k, "x", &mut cov);
    }
    let mut other = gen::Coverage::new();
    let a = gen::generate(DEFAULT_SEED, 17, "x", &mut other).to_c();
    let b = gen::generate(DEFAULT_SEED, 17, "x", &mut other).to_c();
    assert_eq!(a, b);
    let mut want: Vec<String> = [
        "union",
        "empty struct",
        "empty union",
        "packed record",
        "aligned record",
        "packed member",
        "aligned member",
        "#pragma pack(1)",
        "#pragma pack(2)",
        "#pragma pack(4)",
        "#pragma pack(8)",
        "#pragma pack(16)",
        "bitfield :0",
        "bitfield unnamed",
        "bitfield wider than 32",
        "bitfield enum",
        "bitfield typedef aligned",
        "enum packed",
        "enum negative",
        "enum 64-bit",
        "typedef aligned",
        "typedef aligned (record)",
        "typedef aligned (array)",
        "array [0]",
        "array multi-dim",
        "array of records",
        "array of typedef aligned",
        "nested record",
        "nested inline record",
        "anonymous member",
        "flexible array",
        "vector",
        "array of vectors",
        "bitfield-heavy record",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for p in [
        "_Bool",
        "char",
        "signed char",
        "unsigned char",
        "short",
        "unsigned short",
        "int",
        "unsigned int",
        "long",
        "unsigned long",
        "long long",
        "unsigned long long",
        "__int128",
        "unsigned __int128",
    ] {
        want.push(format!("bitfield {p}"));
    }
    let missing: Vec<&String> = want.iter().filter(|w| cov.get(*w).copied().unwrap_or(0) < 3).collect();
    assert!(
        missing.is_empty(),
        "generator rarely or never makes: {missing:?}\n{cov:#?}"
    );
}
