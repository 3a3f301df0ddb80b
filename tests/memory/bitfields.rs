//! Bitfield values in memory, with gcc as the oracle: the C program stores
//! the same values into the same struct and prints its bytes; abicall must
//! produce identical bytes (on a zeroed and on an all-ones background) and
//! read gcc's bytes back as the same values. Checked for x86_64 (host gcc)
//! and aarch64 (cross gcc under qemu), where plain `char` bitfields are unsigned.

use crate::support::memory as support;
use abicall_conformance::rng::Rng;

use abicall::memory::CData;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::{Target, Value};
use support::hex_bytes;

/// (C type, prim, name, width)
const FIELDS: &[(&str, Prim, &str, u32)] = &[
    ("signed int", Prim::Int, "a", 3),
    ("unsigned int", Prim::UInt, "b", 5),
    ("int", Prim::Int, "c", 7),
    ("unsigned long long", Prim::ULongLong, "d", 40),
    ("long long", Prim::LongLong, "e", 33),
    ("unsigned char", Prim::UChar, "f", 2),
    ("_Bool", Prim::Bool, "g", 1),
    ("short", Prim::Short, "h", 9),
    ("char", Prim::Char, "q", 4),
    ("unsigned int", Prim::UInt, "i", 17),
    ("long long", Prim::LongLong, "j", 64),
    ("unsigned long long", Prim::ULongLong, "k", 64),
    ("unsigned __int128", Prim::UInt128, "m", 100),
    ("__int128", Prim::Int128, "n", 70),
];

/// Packed: members straddle bytes freely (`y` spans 9 bytes).
const PACKED: &[(&str, Prim, &str, u32)] = &[
    ("unsigned char", Prim::UChar, "x", 3),
    ("unsigned long long", Prim::ULongLong, "y", 62),
    ("signed char", Prim::SChar, "z", 5),
    ("long long", Prim::LongLong, "w", 63),
];

fn build(t: &mut Types, fields: &[(&str, Prim, &str, u32)], packed: bool) -> TypeId {
    let decls = fields
        .iter()
        .map(|(_, p, n, w)| {
            let ty = t.prim(*p);
            FieldDecl::bitfield(Some(n), ty, *w)
        })
        .collect();
    let attrs = RecordAttrs {
        packed,
        ..RecordAttrs::default()
    };
    t.define_record(RecordKind::Struct, None, decls, attrs).unwrap()
}

/// 128 random bits from the conformance generator's PRNG.
fn next_u128(rng: &mut Rng) -> u128 {
    ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128
}

/// Value sets: extremes and random in-range values for every field.
fn value_sets(target: Target, fields: &[(&str, Prim, &str, u32)]) -> Vec<Vec<i128>> {
    let mut rng = Rng::new(0x5eed ^ fields.len() as u64);
    let mut sets = Vec::new();
    for round in 0..8 {
        let set = fields
            .iter()
            .map(|(_, p, _, w)| {
                let signed = p.is_signed(target) && *p != Prim::Bool;
                let (lo, hi): (i128, i128) = if signed {
                    (-(1i128 << (w - 1)), (1i128 << (w - 1)) - 1)
                } else if *w >= 127 {
                    (0, i128::MAX)
                } else {
                    (0, (1i128 << w) - 1)
                };
                match round {
                    0 => hi,
                    1 => lo,
                    2 => (-1i128).max(lo),
                    3 => 1.min(hi),
                    _ => {
                        let span = (hi - lo) as u128 + 1;
                        lo + (next_u128(&mut rng) % span) as i128
                    }
                }
            })
            .collect();
        sets.push(set);
    }
    sets
}

fn c_literal(v: i128) -> String {
    let u = v as u128;
    format!(
        "(((unsigned __int128)0x{:x}ULL << 64) | 0x{:x}ULL)",
        (u >> 64) as u64,
        u as u64
    )
}

fn oracle_src(fields: &[(&str, Prim, &str, u32)], packed: bool, sets: &[Vec<i128>]) -> String {
    let mut s = String::from("#include <stdio.h>\n#include <string.h>\n");
    s += &format!("struct {} S {{\n", if packed { "__attribute__((packed))" } else { "" });
    for (cty, _, n, w) in fields {
        s += &format!("  {cty} {n}:{w};\n");
    }
    s += "};\nstatic void dump(struct S *p) { const unsigned char *b = (const void *)p;\n";
    s += "  for (unsigned i = 0; i < sizeof *p; i++) printf(\"%02x\", b[i]); printf(\"\\n\"); }\n";
    s += "int main(void) { struct S s; printf(\"%u\\n\", (unsigned)sizeof s);\n";
    for set in sets {
        for bg in ["0x00", "0xff"] {
            s += &format!("  memset(&s, {bg}, sizeof s);\n");
            for ((_, _, n, _), v) in fields.iter().zip(set) {
                s += &format!("  s.{n} = {};\n", c_literal(*v));
            }
            s += "  dump(&s);\n";
        }
    }
    s + "  return 0; }\n"
}

fn check(target: Target, fields: &[(&str, Prim, &str, u32)], packed: bool, tag: &str) {
    let mut t = Types::new(target);
    let ty = build(&mut t, fields, packed);
    let sets = value_sets(target, fields);
    let src = oracle_src(fields, packed, &sets);
    let out = match target {
        Target::X86_64SysV => support::compile_run(tag, &src),
        _ => support::compile_run_aarch64(tag, &src),
    };
    let mut lines = out.lines();
    let size: u64 = lines.next().unwrap().parse().unwrap();
    assert_eq!(t.size_of(ty).unwrap(), size, "{target} sizeof");
    let mut checked = 0;
    for set in &sets {
        for bg in [0x00u8, 0xff] {
            let want = hex_bytes(lines.next().expect("oracle line"));
            // write: same values, same background, forward and reverse order
            for reverse in [false, true] {
                let c = CData::from_buffer(&t, ty, vec![bg; size as usize]).unwrap();
                let mut order: Vec<usize> = (0..fields.len()).collect();
                if reverse {
                    order.reverse();
                }
                for k in order {
                    c.set(&t, fields[k].2, &Value::Int(set[k])).unwrap();
                }
                assert_eq!(
                    c.to_bytes(&t).unwrap(),
                    want,
                    "{target} bytes for {set:?} bg {bg:#x} rev {reverse}"
                );
            }
            // read: gcc's bytes give the same values
            let c = CData::from_buffer(&t, ty, want.clone()).unwrap();
            for (k, (_, p, n, _)) in fields.iter().enumerate() {
                let got = c.get(&t, n).unwrap();
                let expect = if *p == Prim::Bool {
                    Value::Bool(set[k] != 0)
                } else {
                    Value::Int(set[k])
                };
                assert_eq!(got, expect, "{target} field {n}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 16);
}

#[test]
fn bitfields_match_gcc_x86_64() {
    check(Target::X86_64SysV, FIELDS, false, "bf-x86");
    check(Target::X86_64SysV, PACKED, true, "bfp-x86");
}

#[test]
fn bitfields_match_gcc_aarch64() {
    check(Target::Aarch64Linux, FIELDS, false, "bf-a64");
    check(Target::Aarch64Linux, PACKED, true, "bfp-a64");
}

#[test]
fn bitfield_range_and_address_errors() {
    let mut t = Types::new(Target::X86_64SysV);
    let ty = build(&mut t, FIELDS, false);
    let c = CData::new(&t, ty, None).unwrap();
    let e = c.set(&t, "a", &Value::Int(4)).unwrap_err();
    assert!(e.to_string().contains("width 3"), "{e}");
    assert!(c.set(&t, "a", &Value::Int(-5)).is_err());
    assert!(c.set(&t, "b", &Value::Int(32)).is_err());
    assert!(c.set(&t, "b", &Value::Int(-1)).is_err());
    assert!(c.set(&t, "g", &Value::Int(2)).is_err());
    assert!(c.set(&t, "b", &Value::Float(1.0)).is_err());
    let a = c.field(&t, "a").unwrap();
    assert!(a.address().is_err(), "a bitfield has no address");
    assert!(a.pointer().is_err());
    // list initializer fills bitfields in order
    let c2 = CData::new(
        &t,
        ty,
        Some(&Value::List(vec![Value::Int(-4), Value::Int(31), Value::Int(-64)])),
    )
    .unwrap();
    assert_eq!(c2.get(&t, "a").unwrap(), Value::Int(-4));
    assert_eq!(c2.get(&t, "b").unwrap(), Value::Int(31));
    assert_eq!(c2.get(&t, "c").unwrap(), Value::Int(-64));
    assert_eq!(c2.get(&t, "d").unwrap(), Value::Int(0));
}
