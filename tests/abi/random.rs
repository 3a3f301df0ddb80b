//! Generated conformance: random signatures (nested structs, unions, arrays,
//! bitfields, packed records, every scalar kind, variadics) from fixed seeds,
//! each checked against the compiler with the run-time oracle of
//! `tests/abi/oracle.rs` (gcc on x86_64, aarch64-linux-gnu-gcc under
//! qemu-aarch64-static). Set `ABICALL_ABI_SEED` to try another seed.

use crate::support::abi as abi_support;

use abi_support::oracle::check_target;
use abi_support::{Case, B};
use abicall::abi;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId};
use abicall::Target;

/// The conformance crate's xorshift64*, started from the same raw state as
/// before (so every recorded seed still gives the same types).
use abicall_conformance::rng::Rng;

const SCALARS: [Prim; 16] = [
    Prim::Char,
    Prim::SChar,
    Prim::UChar,
    Prim::Short,
    Prim::UShort,
    Prim::Int,
    Prim::UInt,
    Prim::Long,
    Prim::ULong,
    Prim::Float,
    Prim::Float,
    Prim::Double,
    Prim::Double,
    Prim::Bool,
    Prim::LongDouble,
    Prim::FloatComplex,
];

fn scalar(r: &mut Rng, b: &mut B) -> TypeId {
    if r.chance(4) {
        let c = b.p(Prim::Char);
        return b.ptr(c);
    }
    if r.chance(3) {
        return b.p(Prim::Int128);
    }
    if r.chance(3) {
        return b.p(Prim::DoubleComplex);
    }
    let p = SCALARS[r.below(SCALARS.len() as u64) as usize];
    b.p(p)
}

fn record(r: &mut Rng, b: &mut B, depth: u32) -> TypeId {
    let n = 1 + r.below(4);
    let mut decls = Vec::new();
    let floaty = r.chance(40); // bias towards HFA / SSE candidates
    for k in 0..n {
        let name = format!("m{k}");
        let pick = r.below(100);
        let d = if floaty && pick < 70 {
            let p = if r.chance(70) { Prim::Float } else { Prim::Double };
            let t = b.p(p);
            if r.chance(25) {
                let a = b.arr(t, 1 + r.below(3));
                FieldDecl::new(&name, a)
            } else {
                FieldDecl::new(&name, t)
            }
        } else if pick < 60 {
            let t = scalar(r, b);
            FieldDecl::new(&name, t)
        } else if pick < 72 {
            let t = scalar(r, b);
            let a = b.arr(t, 1 + r.below(3));
            FieldDecl::new(&name, a)
        } else if pick < 87 && depth < 2 {
            let t = record(r, b, depth + 1);
            FieldDecl::new(&name, t)
        } else {
            let ints = [Prim::Int, Prim::UInt, Prim::Char, Prim::Long, Prim::UShort];
            let p = ints[r.below(ints.len() as u64) as usize];
            let bits = (p.size_align(b.t.target()).0 * 8) as u32;
            let t = b.p(p);
            if r.chance(15) {
                FieldDecl::bitfield(None, t, 0)
            } else {
                FieldDecl::bitfield(Some(&name), t, 1 + r.below(bits as u64) as u32)
            }
        };
        let mut d = d;
        if attrs_on() && d.bit_width.is_none() {
            if r.chance(6) {
                d.align_attr = Some([2, 4, 8, 16][r.below(4) as usize]);
            }
            if r.chance(4) {
                d.packed = true;
            }
        }
        decls.push(d);
    }
    let kind = if r.chance(20) {
        RecordKind::Union
    } else {
        RecordKind::Struct
    };
    let mut attrs = RecordAttrs {
        packed: r.chance(10),
        ..RecordAttrs::default()
    };
    if attrs_on() {
        if r.chance(5) {
            attrs.align_attr = Some([8, 16][r.below(2) as usize]);
        }
        if r.chance(6) {
            attrs.pragma_pack = Some([1, 2, 4][r.below(3) as usize]);
        }
    }
    b.rec_decls(kind, "", decls, attrs)
}

/// Alignment attributes and `#pragma pack` in generated records
/// (`ABICALL_ABI_RANDOM_ATTRS=0` turns them off).
fn attrs_on() -> bool {
    std::env::var("ABICALL_ABI_RANDOM_ATTRS").map_or(true, |v| v != "0")
}

fn value(r: &mut Rng, b: &mut B) -> TypeId {
    if r.chance(45) {
        scalar(r, b)
    } else {
        record(r, b, 0)
    }
}

fn gen_cases(seed: u64, target: Target, count: usize) -> (B, Vec<Case>) {
    let mut r = Rng::from_state(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut b = B::new(target);
    let mut cases = Vec::new();
    while cases.len() < count {
        let nargs = 1 + r.below(10) as usize;
        let args: Vec<TypeId> = (0..nargs).map(|_| value(&mut r, &mut b)).collect();
        let ret = if r.chance(20) { b.void() } else { value(&mut r, &mut b) };
        let fixed = r.chance(15).then(|| 1 + r.below(nargs as u64) as usize);
        if args.iter().chain([&ret]).any(|&t| b.t.size_of(t).is_ok_and(|s| s > 48)) {
            continue;
        }
        let plan = match fixed {
            Some(n) => abi::plan_call(&b.t, ret, &args, n.min(nargs), true),
            None => abi::plan_call(&b.t, ret, &args, nargs, false),
        }
        .unwrap();
        if plan.stack_size > 224 || plan.stack_align > 16 {
            continue;
        }
        cases.push(Case {
            name: "random",
            ret,
            args,
            fixed: fixed.map(|n| n.min(nargs)),
        });
    }
    (b, cases)
}

fn seed() -> u64 {
    std::env::var("ABICALL_ABI_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261123)
}

#[test]
fn random_signatures_x86_64_gcc() {
    let (b, cases) = gen_cases(seed(), Target::X86_64SysV, 150);
    check_target(b, &cases);
}

#[test]
fn random_signatures_aarch64_linux_gcc() {
    let (b, cases) = gen_cases(seed(), Target::Aarch64Linux, 150);
    check_target(b, &cases);
}

/// A random GCC vector type: 4 to 32 bytes of an integer or real floating
/// element (not `long double`, which aarch64 refuses by value).
fn vector(r: &mut Rng, b: &mut B) -> TypeId {
    let elems = [
        Prim::Float,
        Prim::Float,
        Prim::Double,
        Prim::Int,
        Prim::UInt,
        Prim::Char,
        Prim::UChar,
        Prim::Short,
        Prim::Long,
        Prim::Int128,
    ];
    let e = elems[r.below(elems.len() as u64) as usize];
    let es = e.size_align(b.t.target()).0;
    let sizes: Vec<u64> = [4, 8, 8, 16, 16, 16, 32].into_iter().filter(|s| *s >= es).collect();
    let size = sizes[r.below(sizes.len() as u64) as usize];
    b.t.vector(e, size).unwrap()
}

/// A record mixing vectors with floats, integers, arrays of vectors and
/// nested records: HVA candidates on aarch64, SSE/SSEUP mixes on x86_64.
fn vector_record(r: &mut Rng, b: &mut B, depth: u32) -> TypeId {
    let n = 1 + r.below(4);
    let same = r.chance(40).then(|| vector(r, b)); // bias towards HVAs
    let mut decls = Vec::new();
    for k in 0..n {
        let name = format!("m{k}");
        let pick = r.below(100);
        let t = match (same, pick) {
            (Some(v), 0..=69) => v,
            (_, 0..=44) => vector(r, b),
            (_, 45..=59) => {
                let v = vector(r, b);
                b.arr(v, 1 + r.below(2))
            }
            (_, 60..=79) => scalar(r, b),
            (_, 80..=89) if depth < 2 => vector_record(r, b, depth + 1),
            _ => b.p(if r.chance(50) { Prim::Float } else { Prim::Double }),
        };
        decls.push(FieldDecl::new(&name, t));
    }
    let kind = if r.chance(20) {
        RecordKind::Union
    } else {
        RecordKind::Struct
    };
    let attrs = RecordAttrs {
        packed: r.chance(5),
        ..RecordAttrs::default()
    };
    b.rec_decls(kind, "", decls, attrs)
}

/// Random signatures where about half the values are GCC vector types or
/// records of them (docs/abi-cases.md row 33), checked by the oracle.
fn gen_vector_cases(seed: u64, target: Target, count: usize) -> (B, Vec<Case>) {
    let mut r = Rng::from_state(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1);
    let mut b = B::new(target);
    let mut cases = Vec::new();
    let value = |r: &mut Rng, b: &mut B| match r.below(100) {
        0..=34 => vector(r, b),
        35..=59 => vector_record(r, b, 0),
        _ => scalar(r, b),
    };
    while cases.len() < count {
        let nargs = 1 + r.below(12) as usize;
        let args: Vec<TypeId> = (0..nargs).map(|_| value(&mut r, &mut b)).collect();
        let ret = if r.chance(15) { b.void() } else { value(&mut r, &mut b) };
        let fixed = r.chance(15).then(|| 1 + r.below(nargs as u64) as usize);
        if args.iter().chain([&ret]).any(|&t| b.t.size_of(t).is_ok_and(|s| s > 64)) {
            continue;
        }
        let plan = match fixed {
            Some(n) => abi::plan_call(&b.t, ret, &args, n.min(nargs), true),
            None => abi::plan_call(&b.t, ret, &args, nargs, false),
        };
        let plan = match plan {
            Ok(p) => p,
            // The refused shapes (x86_64: a small aggregate holding an
            // `__int128` vector), see `tests/abi/cases.rs` row 33.
            Err(e) if e.to_string().contains("not supported") => continue,
            Err(e) => panic!("{e}"),
        };
        if plan.stack_size > 224 {
            continue;
        }
        cases.push(Case {
            name: "random vectors",
            ret,
            args,
            fixed: fixed.map(|n| n.min(nargs)),
        });
    }
    (b, cases)
}

#[test]
fn random_vector_signatures_x86_64_gcc() {
    let (b, cases) = gen_vector_cases(seed(), Target::X86_64SysV, 150);
    check_target(b, &cases);
}

#[test]
fn random_vector_signatures_aarch64_linux_gcc() {
    let (b, cases) = gen_vector_cases(seed(), Target::Aarch64Linux, 150);
    check_target(b, &cases);
}
