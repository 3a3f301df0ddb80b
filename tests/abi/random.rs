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
