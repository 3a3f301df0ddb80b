//! Initialized structs: abicall's bytes for `new(struct, {...})` equal the
//! bytes gcc emits for the same static initializer, on x86_64 and aarch64
//! (scalar encodings: long double per target, complex, bool, char arrays,
//! nested designated members, zeroed rest).

use crate::support::memory as support;

use abicall::memory::CData;
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, Types};
use abicall::{Target, Value};
use support::hex_bytes;

const C_SRC: &str = r#"
#include <stdio.h>
struct in { int a; double b; };
struct S {
  char c; short s; int i; long l; float f; double d; long double ld;
  float _Complex fc; double _Complex dc; _Bool b; unsigned char arr[3];
  struct in in; long double _Complex ldc; unsigned __int128 big; int *p;
};
static struct S s = {
  .c = 'A', .s = -1234, .i = 0x12345678, .l = -1, .f = 1.5f, .d = -0.1, .ld = 0.1,
  .fc = __builtin_complex(1.0f, -2.0f), .dc = __builtin_complex(0.25, 1e300), .b = 1,
  .arr = "xy", .in = { .b = 2.5 }, .ldc = __builtin_complex((long double)-3.0, (long double)1e-300),
  .big = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL, .p = 0,
};
int main(void) {
  const unsigned char *b = (const void *)&s;
  for (unsigned k = 0; k < sizeof s; k++) printf("%02x", b[k]);
  printf("\n");
  return 0;
}
"#;

fn check(target: Target) {
    let mut t = Types::new(target);
    let p = |t: &mut Types, p| t.prim(p);
    let i = p(&mut t, Prim::Int);
    let d = p(&mut t, Prim::Double);
    let inner = t
        .define_record(
            RecordKind::Struct,
            Some("in"),
            vec![FieldDecl::new("a", i), FieldDecl::new("b", d)],
            RecordAttrs::default(),
        )
        .unwrap();
    let uc = p(&mut t, Prim::UChar);
    let arr = t.array(uc, Some(3));
    let ip = t.pointer(i);
    let members = [
        ("c", p(&mut t, Prim::Char)),
        ("s", p(&mut t, Prim::Short)),
        ("i", i),
        ("l", p(&mut t, Prim::Long)),
        ("f", p(&mut t, Prim::Float)),
        ("d", d),
        ("ld", p(&mut t, Prim::LongDouble)),
        ("fc", p(&mut t, Prim::FloatComplex)),
        ("dc", p(&mut t, Prim::DoubleComplex)),
        ("b", p(&mut t, Prim::Bool)),
        ("arr", arr),
        ("in", inner),
        ("ldc", p(&mut t, Prim::LongDoubleComplex)),
        ("big", p(&mut t, Prim::UInt128)),
        ("p", ip),
    ];
    let s = t
        .define_record(
            RecordKind::Struct,
            Some("S"),
            members.iter().map(|(n, ty)| FieldDecl::new(n, *ty)).collect(),
            RecordAttrs::default(),
        )
        .unwrap();
    let init = Value::fields([
        ("c", Value::Str(b"A".to_vec())),
        ("s", Value::Int(-1234)),
        ("i", Value::Int(0x12345678)),
        ("l", Value::Int(-1)),
        ("f", Value::Float(1.5)),
        ("d", Value::Float(-0.1)),
        ("ld", Value::Float(0.1)),
        ("fc", Value::Complex(1.0, -2.0)),
        ("dc", Value::Complex(0.25, 1e300)),
        ("b", Value::Bool(true)),
        ("arr", Value::str("xy")),
        ("in", Value::fields([("b", Value::Float(2.5))])),
        ("ldc", Value::Complex(-3.0, 1e-300)),
        ("big", Value::UInt(0x0123456789abcdef_fedcba9876543210)),
        ("p", Value::Null),
    ]);
    let c = CData::new(&t, s, Some(&init)).unwrap();
    let out = match target {
        Target::X86_64SysV => support::compile_run("init-x86", C_SRC),
        _ => support::compile_run_aarch64("init-a64", C_SRC),
    };
    let want = hex_bytes(out.trim());
    let got = c.to_bytes(&t).unwrap();
    assert_eq!(got.len(), want.len(), "{target}: sizeof differs");
    let fmt = target.long_double_format();
    let ld_off = t.offset_of(s, "ld").unwrap().offset as usize;
    let ldc_off = t.offset_of(s, "ldc").unwrap().offset as usize;
    for k in 0..got.len() {
        // x87 long double: 6 padding bytes after the 10 value bytes are not
        // specified by the ABI; compare only the value bytes.
        let pad = fmt == abicall::target::LongDoubleFormat::X87Extended
            && [ld_off, ldc_off, ldc_off + 16]
                .iter()
                .any(|o| k >= o + 10 && k < o + 16);
        if !pad {
            assert_eq!(
                got[k], want[k],
                "{target}: byte {k} differs\nours {got:02x?}\ngcc  {want:02x?}"
            );
        }
    }
    // and reading gcc's bytes gives the values back
    let g = CData::from_buffer(&t, s, want).unwrap();
    assert_eq!(g.get(&t, "s").unwrap(), Value::Int(-1234));
    assert_eq!(g.get(&t, "ld").unwrap().as_f64(), Some(0.1));
    assert_eq!(g.get(&t, "dc").unwrap(), Value::Complex(0.25, 1e300));
    assert_eq!(g.get(&t, "ldc").unwrap(), Value::Complex(-3.0, 1e-300));
    assert_eq!(g.get(&t, "in.b").unwrap(), Value::Float(2.5));
    assert_eq!(
        g.get(&t, "big").unwrap(),
        Value::UInt(0x0123456789abcdef_fedcba9876543210)
    );
}

#[test]
fn initialized_struct_bytes_match_gcc_x86_64() {
    check(Target::X86_64SysV);
}

#[test]
fn initialized_struct_bytes_match_gcc_aarch64() {
    check(Target::Aarch64Linux);
}
