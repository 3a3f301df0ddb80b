//! long double converters checked against gcc: x87 extended (`long double`
//! on x86_64) and IEEE binary128 (`__float128`, the same format as aarch64
//! Linux `long double`).

use crate::support::memory as support;

use abicall::memory::longdouble::{binary128_to_f64, f64_to_binary128, f64_to_x87, x87_to_f64};
use abicall::memory::CData;
use abicall::target::LongDoubleFormat;
use abicall::types::{Prim, Types};
use abicall::{Target, Value};
use support::hex_bytes;

const DOUBLES: &str = "0.0, -0.0, 1.0, -1.0, 0.5, 1.0/3.0, -2.0/3.0, 3.141592653589793, 1e300, -1e-300, \
    1.7976931348623157e308, 2.2250738585072014e-308, 2.225073858507201e-308, 4.9406564584124654e-324, \
    -1e-310, 123456789.0, 1e22, 0.1, INFINITY, -INFINITY, NAN";

/// Wide values narrowed to double: ordinary, tie cases, overflow, f64
/// subnormal range, underflow to zero, x87 denormals.
const WIDE: &str = "1.0L/3, -2.0L/3, 0.1L, 1e4000L, -1e4000L, 1e-320L, 1e-4940L, -1e-4950L, \
    1 + 0x1p-53L, 1 + 0x3p-53L, 1 + 0x1p-53L + 0x1p-60L, 0x1.fffffffffffff8p1023L, 0x1.fffffffffffff7p1023L, \
    0x1p-1075L, 0x1.8p-1075L, 0x1p-1076L, 0x1.0000000000001p-1075L, 0x1.fffffffffffffp-1023L, \
    0x1.ffffffffffffffp-1023L, LDBL_MAX, -LDBL_MIN, LDBL_TRUE_MIN, NAN, -INFINITY, 0.0L, -0.0L, \
    12345.678901234567890123L";

fn oracle() -> String {
    let src = format!(
        r#"
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <float.h>
#define LDBL_TRUE_MIN_ 0x1p-16445L
static void hex(const void *p, int n) {{ const unsigned char *b = p; for (int i = 0; i < n; i++) printf("%02x", b[i]); }}
int main(void) {{
  double ds[] = {{ {DOUBLES} }};
  for (unsigned i = 0; i < sizeof ds / sizeof ds[0]; i++) {{
    long double l = ds[i]; __float128 q = ds[i];
    printf("W "); hex(&ds[i], 8); printf(" "); hex(&l, 10); printf(" "); hex(&q, 16); printf("\n");
  }}
  long double ls[] = {{ {WIDE} }};
  for (unsigned i = 0; i < sizeof ls / sizeof ls[0]; i++) {{
    double d = (double)ls[i];
    printf("X "); hex(&ls[i], 10); printf(" "); hex(&d, 8); printf("\n");
    __float128 q = ls[i]; double dq = (double)q;
    printf("Q "); hex(&q, 16); printf(" "); hex(&dq, 8); printf("\n");
  }}
  /* binary128 values with more precision than x87: 113-bit ties and rounding */
  __float128 qs[] = {{ (__float128)1 / 3, (__float128)2 / 3, 1 + (__float128)0x1p-53L + (__float128)0x1p-112L,
                       1 + (__float128)0x1p-53L, (__float128)0x1p-16494L * 3, 1e4000Q, (__float128)0x1p-1074L * 0x1.8p0Q }};
  for (unsigned i = 0; i < sizeof qs / sizeof qs[0]; i++) {{
    double dq = (double)qs[i];
    printf("Q "); hex(&qs[i], 16); printf(" "); hex(&dq, 8); printf("\n");
  }}
  return 0;
}}
"#
    )
    .replace("LDBL_TRUE_MIN,", "LDBL_TRUE_MIN_,");
    support::compile_run("ldbl", &src)
}

fn arr16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..b.len()].copy_from_slice(b);
    a
}

fn f64_of(b: &[u8]) -> f64 {
    f64::from_le_bytes(b.try_into().unwrap())
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn converters_match_gcc() {
    let out = oracle();
    let (mut w, mut x, mut q) = (0, 0, 0);
    for line in out.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts[0] {
            "W" => {
                let d = f64_of(&hex_bytes(parts[1]));
                assert_eq!(&f64_to_x87(d)[..10], &hex_bytes(parts[2])[..], "x87 of {d:e}");
                assert_eq!(&f64_to_binary128(d)[..], &hex_bytes(parts[3])[..], "binary128 of {d:e}");
                // and back, exactly
                assert!(same(x87_to_f64(&f64_to_x87(d)), d));
                assert!(same(binary128_to_f64(&f64_to_binary128(d)), d));
                w += 1;
            }
            "X" => {
                let want = f64_of(&hex_bytes(parts[2]));
                let got = x87_to_f64(&arr16(&hex_bytes(parts[1])));
                assert!(
                    same(got, want),
                    "x87 {} -> {got:e} (bits {:#x}), gcc {want:e} (bits {:#x})",
                    parts[1],
                    got.to_bits(),
                    want.to_bits()
                );
                x += 1;
            }
            "Q" => {
                let want = f64_of(&hex_bytes(parts[2]));
                let got = binary128_to_f64(&arr16(&hex_bytes(parts[1])));
                assert!(
                    same(got, want),
                    "binary128 {} -> {got:e} (bits {:#x}), gcc {want:e} (bits {:#x})",
                    parts[1],
                    got.to_bits(),
                    want.to_bits()
                );
                q += 1;
            }
            other => panic!("unexpected oracle line {other}"),
        }
    }
    assert!(w >= 20 && x >= 25 && q >= 30, "oracle printed too little: {w} {x} {q}");
}

#[test]
fn long_double_values_in_memory_per_target() {
    for (target, fmt) in [
        (Target::X86_64SysV, LongDoubleFormat::X87Extended),
        (Target::Aarch64Linux, LongDoubleFormat::Binary128),
        (Target::Aarch64Apple, LongDoubleFormat::Double),
    ] {
        let mut t = Types::new(target);
        let ld = t.prim(Prim::LongDouble);
        let c = CData::new(&t, ld, Some(&Value::Float(0.1))).unwrap();
        match c.read(&t).unwrap() {
            Value::LongDouble(l) => {
                assert_eq!(l.format, fmt);
                assert_eq!(l.to_f64(), 0.1);
            }
            v => panic!("{v:?}"),
        }
        // a long double value written back keeps its exact bytes
        let raw = c.to_bytes(&t).unwrap();
        let d = CData::new(&t, ld, Some(&c.read(&t).unwrap())).unwrap();
        assert_eq!(d.to_bytes(&t).unwrap(), raw);
        let ldc = t.prim(Prim::LongDoubleComplex);
        let z = CData::new(&t, ldc, Some(&Value::Complex(1.5, -2.25))).unwrap();
        assert_eq!(z.read(&t).unwrap(), Value::Complex(1.5, -2.25));
    }
}

/// Decimal and hex constants, including ties at 64 and 113 bits, values
/// near the top and bottom of the range, subnormals, and long digit strings.
const TEXTS: &[&str] = &[
    "1.0000000000000000001",
    "0.1",
    "3.14159265358979323846264338327950288",
    "1e4000",
    "1.18973149535723176502e+4932",
    "1.18973149535723176508e+4932",
    "3.36210314311209350626e-4932",
    "3.6451995318824746025e-4951",
    "1.8225997659412373012e-4951",
    "1.8225997659412373013e-4951",
    "6.4751751194380251109e-4966",
    "1e-4970",
    "123456789012345678901234567890123456789.0",
    "0.000000000000000000000000000000000001",
    "2.00000000000000000021684043449710088680149056017398834228515625",
    "2.00000000000000000021684043449710088680149056017398834228515626",
    "9007199254740993.0",
    "18446744073709551617.0",
    "18446744073709551615.5",
    "0x1.0000000000000001p0",
    "0x1.00000000000000008p0",
    "0x1.00000000000000018p0",
    "0x1.0000000000000000000000000001p0",
    "0x1.00000000000000000000000000008p0",
    "0x1p-16445",
    "0x1p-16446",
    "0x1.8p-16446",
    "0x1p-16494",
    "0x1.fffffffffffffffep16383",
    "0x1.ffffffffffffffffp16383",
    "1e-5000",
    "7e4931",
];

#[test]
fn text_constants_match_gcc() {
    use abicall::memory::longdouble::{format_shortest, parse};
    let mut src = String::from(
        "#include <stdio.h>\nstatic void hex(const void *p, int n) { const unsigned char *b = p; for (int i = 0; i < n; i++) printf(\"%02x\", b[i]); }\nint main(void) {\n",
    );
    for t in TEXTS {
        src.push_str(&format!(
            "  {{ long double l = {t}L; __float128 q = {t}Q; hex(&l, 10); printf(\" \"); hex(&q, 16); printf(\"\\n\"); }}\n"
        ));
    }
    src.push_str("  return 0;\n}\n");
    let out = support::compile_run("ldtext", &src);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), TEXTS.len());
    for (t, line) in TEXTS.iter().zip(lines) {
        let (x, q) = line.split_once(' ').unwrap();
        for (fmt, want, n) in [
            (LongDoubleFormat::X87Extended, hex_bytes(x), 10),
            (LongDoubleFormat::Binary128, hex_bytes(q), 16),
        ] {
            let got = parse(t, fmt).unwrap_or_else(|| panic!("{t} does not parse"));
            assert_eq!(&got[..n], &want[..], "{t} as {fmt:?}");
            // Printed, it reads back to the same bits, and one digit
            // fewer would not (the shortest round trip).
            let shown = format_shortest(&got, fmt);
            let back = parse(&shown, fmt).unwrap();
            if got[..n] != back[..n] {
                panic!("{t} as {fmt:?}: printed {shown}, reads back differently");
            }
            let neg = parse(&format!("-{t}"), fmt).unwrap();
            assert_eq!(format_shortest(&neg, fmt), format!("-{shown}"));
        }
    }
}
