//! Fuzz owned C memory: `CData::new` with arbitrary initializers for a set
//! of tricky types (bitfields, unions, packed, nested arrays, flexible
//! arrays, long double, complex, __int128, enums, wide strings), then field
//! and element access, `read_deep`, `cast`. Every operation must give `Ok`
//! or `Err` — never a panic — and for integer-only types, writing back what
//! was read must reproduce the same bytes.
#![no_main]

use abicall::memory::{cast, CData};
use abicall::{Ffi, Target, Value};
use libfuzzer_sys::fuzz_target;

const PRELUDE: &str = r#"
struct bf { unsigned a : 3; int b : 5; long c : 40; unsigned : 0; char d; _Bool e : 1; };
union u { int i; float f; char c[7]; struct bf b; };
struct __attribute__((packed)) pk { char c; int i; short s : 9; long long l; };
struct nest { struct bf s; union u v; short arr[2][3]; enum e { E0, E1 = -3, E2 = 1000 } en; };
struct flex { int n; short data[]; };
struct fl { float f; double d; long double ld; double _Complex z; };
"#;

/// Type names, with whether the round-trip property applies (integer-only,
/// no union, no pointer, fixed size).
const TYPES: &[(&str, bool)] = &[
    ("int", true),
    ("signed char", true),
    ("_Bool", true),
    ("unsigned __int128", true),
    ("char[8]", true),
    ("char[]", false),
    ("wchar_t[4]", true),
    ("char16_t[]", false),
    ("struct bf", true),
    ("struct bf[2]", true),
    ("union u", false),
    ("struct pk", true),
    ("struct nest", false),
    ("struct nest[2]", false),
    ("struct flex", false),
    ("struct fl", false),
    ("long double", false),
    ("double _Complex", false),
    ("enum e", true),
    ("int *", false),
    ("short[2][3]", true),
];

const NAMES: &[&str] = &["a", "b", "c", "d", "e", "i", "f", "s", "v", "arr", "en", "n", "data", "s.a", "v.b.c", "x"];

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |v, _| (v << 8) | self.byte() as u64)
    }
    fn value(&mut self, depth: u32) -> Value {
        let tag = self.byte();
        match (tag % 12, depth) {
            (0, _) => Value::Null,
            (1, _) => Value::Bool(tag & 0x80 != 0),
            (2, _) => Value::Int(self.u64() as i64 as i128),
            (3, _) => Value::Int((self.u64() as i128) << 64 | self.u64() as i128),
            (4, _) => Value::UInt(u128::MAX - self.byte() as u128),
            (5, _) => Value::Float(f64::from_bits(self.u64())),
            (6, _) => Value::Complex(f64::from_bits(self.u64()), self.byte() as f64),
            (7, _) => {
                let n = (self.byte() % 12) as usize;
                Value::Str((0..n).map(|_| self.byte()).collect())
            }
            (8, _) => {
                let n = (self.byte() % 6) as usize;
                Value::WStr((0..n).map(|_| char::from_u32(self.byte() as u32 * 300).unwrap_or('?')).collect())
            }
            (9, d) if d < 5 => {
                let n = (self.byte() % 6) as usize;
                Value::List((0..n).map(|_| self.value(d + 1)).collect())
            }
            (10, d) if d < 5 => {
                let n = (self.byte() % 4) as usize;
                Value::Fields(
                    (0..n)
                        .map(|_| {
                            let name = NAMES[self.byte() as usize % NAMES.len()].to_string();
                            (name, self.value(d + 1))
                        })
                        .collect(),
                )
            }
            _ => Value::Int(self.byte() as i128 - 128),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let target = Target::ALL[b.byte() as usize % Target::ALL.len()];
    let mut ffi = Ffi::new(target);
    ffi.cdef(PRELUDE).expect("prelude parses");
    let (name, roundtrip) = TYPES[b.byte() as usize % TYPES.len()];
    let ty = ffi.type_of(name).expect("prelude type");
    let init = b.value(0);
    let types = ffi.types();
    let Ok(cd) = CData::new(&types, ty, Some(&init)) else {
        let _ = cast(&types, ty, &init);
        return;
    };
    let before = cd.to_bytes(&types).expect("an owned object has bytes");
    if let Ok(v) = cd.read_deep(&types) {
        if roundtrip && target == Target::X86_64SysV {
            let again = CData::new(&types, ty, Some(&v)).unwrap_or_else(|e| panic!("{name}: re-init from {v:?}: {e}"));
            assert_eq!(again.to_bytes(&types).unwrap(), before, "{name}: {init:?} -> {v:?}");
        }
    }
    // Member and element access, reads and writes with more arbitrary values.
    for _ in 0..4 {
        let field = NAMES[b.byte() as usize % NAMES.len()];
        let v = b.value(2);
        let _ = cd.get(&types, field);
        let _ = cd.set(&types, field, &v);
        if let Ok(m) = cd.field(&types, field) {
            let _ = m.read_deep(&types);
            let _ = m.write(&types, &v);
        }
        let i = b.byte() as usize % 5;
        if let Ok(e) = cd.index(&types, i) {
            let _ = e.read_deep(&types);
            let _ = e.write(&types, &v);
        }
        let _ = cd.write(&types, &v);
        let _ = cast(&types, ty, &v);
    }
    let _ = cd.read_deep(&types);
});
