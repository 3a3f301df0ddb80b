//! Call plans for every row of docs/abi-cases.md, on every target (x86_64 SysV,
//! aarch64 Linux, Apple arm64), as exact-output snapshots.
//!
//! The x86_64 and aarch64 Linux expectations are the compiler's answers:
//! every signature here is also in `tests/abi/oracle.rs`, which checks the
//! plan against gcc / aarch64-linux-gnu-gcc register and stack dumps. The
//! Apple arm64 lines follow Apple's "Writing ARM64 code for Apple platforms"
//! and were checked against `clang --target=arm64-apple-macos11 -S` (see
//! `tests/abi/apple.rs`).

use crate::support::abi as abi_support;

use abi_support::B;
use abicall::abi::{self, Ext, Loc, Pass, ValueClass};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind};
use abicall::Target;

/// Expected snapshots; `apple: None` means "same as aarch64 Linux".
struct Expect<'a> {
    x86: &'a str,
    a64: &'a str,
    apple: Option<&'a str>,
}

fn check(e: Expect, f: impl Fn(&mut B) -> String) {
    let mut failures = Vec::new();
    for (target, want) in [
        (Target::X86_64SysV, e.x86),
        (Target::Aarch64Linux, e.a64),
        (Target::Aarch64Apple, e.apple.unwrap_or(e.a64)),
    ] {
        let mut b = B::new(target);
        let got = f(&mut b);
        if got != want {
            failures.push(format!("--- {target}: expected\n{want}\n--- got\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

use Prim::*;

#[test]
fn row01_struct_float_int() {
    check(
        Expect {
            x86: "arg0 struct fi: rdi[0..8]\nret struct fi: rax[0..8]",
            a64: "arg0 struct fi: x0[0..8]\nret struct fi: x0[0..8]",
            apple: None,
        },
        |b| {
            let (f, i) = (b.p(Float), b.p(Int));
            let s = b.st("fi", &[f, i]);
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row02_union_float_int() {
    check(
        Expect {
            x86: "arg0 union ufi: rdi[0..4]\nret union ufi: rax[0..4]",
            a64: "arg0 union ufi: x0[0..4]\nret union ufi: x0[0..4]",
            apple: None,
        },
        |b| {
            let (f, i) = (b.p(Float), b.p(Int));
            let u = b.un("ufi", &[f, i]);
            b.snap(u, &[u])
        },
    );
}

#[test]
fn row03_union_float_double() {
    check(
        Expect {
            x86: "arg0 union ufd: xmm0[0..8]\nret union ufd: xmm0[0..8]",
            // Not an HFA (float and double members): integer registers.
            a64: "arg0 union ufd: x0[0..8]\nret union ufd: x0[0..8]",
            apple: None,
        },
        |b| {
            let (f, d) = (b.p(Float), b.p(Double));
            let u = b.un("ufd", &[f, d]);
            b.snap(u, &[u])
        },
    );
}

#[test]
fn row04_union_double_long() {
    check(
        Expect {
            x86: "arg0 union udl: rdi[0..8]\nret union udl: rax[0..8]",
            a64: "arg0 union udl: x0[0..8]\nret union udl: x0[0..8]",
            apple: None,
        },
        |b| {
            let (d, l) = (b.p(Double), b.p(Long));
            let u = b.un("udl", &[d, l]);
            b.snap(u, &[u])
        },
    );
}

#[test]
fn row05_struct_double_long_return() {
    check(
        Expect {
            x86: "arg0 struct dl: xmm0[0..8] rdi[8..16]\nret struct dl: xmm0[0..8] rax[8..16]",
            a64: "arg0 struct dl: x0[0..8] x1[8..16]\nret struct dl: x0[0..8] x1[8..16]",
            apple: None,
        },
        |b| {
            let (d, l) = (b.p(Double), b.p(Long));
            let s = b.st("dl", &[d, l]);
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row06_struct_long_double() {
    check(
        Expect {
            x86: "arg0 struct ld: rdi[0..8] xmm0[8..16]\nret struct ld: rax[0..8] xmm0[8..16]",
            a64: "arg0 struct ld: x0[0..8] x1[8..16]\nret struct ld: x0[0..8] x1[8..16]",
            apple: None,
        },
        |b| {
            let (d, l) = (b.p(Double), b.p(Long));
            let s = b.st("ld", &[l, d]);
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row07_struct_three_floats() {
    check(
        Expect {
            x86: "arg0 struct f3: xmm0[0..8] xmm1[8..12]\nret struct f3: xmm0[0..8] xmm1[8..12]",
            a64: "arg0 struct f3: s0[0..4] s1[4..8] s2[8..12]\nret struct f3: s0[0..4] s1[4..8] s2[8..12]",
            apple: None,
        },
        |b| {
            let f = b.p(Float);
            let s = b.st("f3", &[f, f, f]);
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row08_struct_three_longs_memory() {
    check(
        Expect {
            x86: "arg0 struct l3: stack+0[0..24]\narg1 int: rsi[0..4]\nret struct l3: sret rdi -> rax",
            a64: "arg0 struct l3: indirect x0\narg1 int: x1[0..4]\nret struct l3: sret x8",
            apple: None,
        },
        |b| {
            let (l, i) = (b.p(Long), b.p(Int));
            let s = b.st("l3", &[l, l, l]);
            b.snap(s, &[s, i])
        },
    );
}

#[test]
fn row09_row26_packed_char_double() {
    check(
        Expect {
            x86: "arg0 struct pcd: stack+0[0..9]\narg1 int: rsi[0..4]\nret struct pcd: sret rdi -> rax",
            a64: "arg0 struct pcd: x0[0..8] x1[8..9]\narg1 int: x2[0..4]\nret struct pcd: x0[0..8] x1[8..9]",
            apple: None,
        },
        |b| {
            let (c, d, i) = (b.p(Char), b.p(Double), b.p(Int));
            let s = b.packed("pcd", &[c, d]);
            assert_eq!(b.t.size_align(s).unwrap(), (9, 1));
            b.snap(s, &[s, i])
        },
    );
}

#[test]
fn row10_long_double() {
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 long double: stack+0[0..16]\narg2 double: xmm0[0..8]\nret long double: st0[0..10]",
            a64: "arg0 int: x0[0..4]\narg1 long double: q0[0..16]\narg2 double: d1[0..8]\nret long double: q0[0..16]",
            apple: Some("arg0 int: x0[0..4]\narg1 long double: d0[0..8]\narg2 double: d1[0..8]\nret long double: d0[0..8]"),
        },
        |b| {
            let (i, ld, d) = (b.p(Int), b.p(LongDouble), b.p(Double));
            b.snap(ld, &[i, ld, d])
        },
    );
    check(
        Expect {
            x86: "arg0 struct sld: stack+0[0..16]\narg1 int: rdi[0..4]\nret struct sld: st0[0..10]",
            a64: "arg0 struct sld: q0[0..16]\narg1 int: x0[0..4]\nret struct sld: q0[0..16]",
            apple: Some("arg0 struct sld: d0[0..8]\narg1 int: x0[0..4]\nret struct sld: d0[0..8]"),
        },
        |b| {
            let (i, ld) = (b.p(Int), b.p(LongDouble));
            let s = b.st("sld", &[ld]);
            b.snap(s, &[s, i])
        },
    );
}

fn ints(b: &mut B, p: Prim, n: usize) -> Vec<abicall::types::TypeId> {
    let t = b.p(p);
    vec![t; n]
}

#[test]
fn row11_row25_int128_after_five_ints() {
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 int: rsi[0..4]\narg2 int: rdx[0..4]\narg3 int: rcx[0..4]\narg4 int: r8[0..4]\n\
                  arg5 __int128: stack+0[0..16]\nret __int128: rax[0..8] rdx[8..16]",
            a64: "arg0 int: x0[0..4]\narg1 int: x1[0..4]\narg2 int: x2[0..4]\narg3 int: x3[0..4]\narg4 int: x4[0..4]\n\
                  arg5 __int128: x6[0..8] x7[8..16]\nret __int128: x0[0..8] x1[8..16]",
            // Apple drops C.10: no even register pair.
            apple: Some(
                "arg0 int: x0[0..4]\narg1 int: x1[0..4]\narg2 int: x2[0..4]\narg3 int: x3[0..4]\narg4 int: x4[0..4]\n\
                 arg5 __int128: x5[0..8] x6[8..16]\nret __int128: x0[0..8] x1[8..16]",
            ),
        },
        |b| {
            let mut a = ints(b, Int, 5);
            let q = b.p(Int128);
            a.push(q);
            b.snap(q, &a)
        },
    );
}

#[test]
fn row12_struct_needs_int_and_sse_but_no_int_left() {
    check(
        Expect {
            x86: "arg0 long: rdi[0..8]\narg1 long: rsi[0..8]\narg2 long: rdx[0..8]\narg3 long: rcx[0..8]\n\
                  arg4 long: r8[0..8]\narg5 long: r9[0..8]\narg6 struct dl: stack+0[0..16]\narg7 double: xmm0[0..8]\n\
                  ret void: -",
            a64: "arg0 long: x0[0..8]\narg1 long: x1[0..8]\narg2 long: x2[0..8]\narg3 long: x3[0..8]\n\
                  arg4 long: x4[0..8]\narg5 long: x5[0..8]\narg6 struct dl: x6[0..8] x7[8..16]\narg7 double: d0[0..8]\n\
                  ret void: -",
            apple: None,
        },
        |b| {
            let mut a = ints(b, Long, 6);
            let (d, l, v) = (b.p(Double), b.p(Long), b.void());
            let s = b.st("dl", &[d, l]);
            a.extend([s, d]);
            b.snap(v, &a)
        },
    );
}

#[test]
fn row13_struct_needs_two_sse_only_one_left() {
    check(
        Expect {
            x86: "arg0 double: xmm0[0..8]\narg1 double: xmm1[0..8]\narg2 double: xmm2[0..8]\narg3 double: xmm3[0..8]\n\
                  arg4 double: xmm4[0..8]\narg5 double: xmm5[0..8]\narg6 double: xmm6[0..8]\n\
                  arg7 struct dd: stack+0[0..16]\narg8 double: xmm7[0..8]\nret void: -",
            // HFA of 2 with one v register left: C.3 sets NSRN = 8, so the last double goes to the stack too.
            a64: "arg0 double: d0[0..8]\narg1 double: d1[0..8]\narg2 double: d2[0..8]\narg3 double: d3[0..8]\n\
                  arg4 double: d4[0..8]\narg5 double: d5[0..8]\narg6 double: d6[0..8]\n\
                  arg7 struct dd: stack+0[0..16]\narg8 double: stack+16[0..8]\nret void: -",
            apple: None,
        },
        |b| {
            let mut a = ints(b, Double, 7);
            let (d, v) = (b.p(Double), b.void());
            let s = b.st("dd", &[d, d]);
            a.extend([s, d]);
            b.snap(v, &a)
        },
    );
}

#[test]
fn row14_complex() {
    check(
        Expect {
            x86: "arg0 float _Complex: xmm0[0..8]\narg1 int: rdi[0..4]\nret float _Complex: xmm0[0..8]",
            a64: "arg0 float _Complex: s0[0..4] s1[4..8]\narg1 int: x0[0..4]\nret float _Complex: s0[0..4] s1[4..8]",
            apple: None,
        },
        |b| {
            let (c, i) = (b.p(FloatComplex), b.p(Int));
            b.snap(c, &[c, i])
        },
    );
    check(
        Expect {
            x86: "arg0 double _Complex: xmm0[0..8] xmm1[8..16]\narg1 int: rdi[0..4]\n\
                  ret double _Complex: xmm0[0..8] xmm1[8..16]",
            a64: "arg0 double _Complex: d0[0..8] d1[8..16]\narg1 int: x0[0..4]\n\
                  ret double _Complex: d0[0..8] d1[8..16]",
            apple: None,
        },
        |b| {
            let (c, i) = (b.p(DoubleComplex), b.p(Int));
            b.snap(c, &[c, i])
        },
    );
    check(
        Expect {
            x86: "arg0 long double _Complex: stack+0[0..32]\narg1 int: rdi[0..4]\n\
                  ret long double _Complex: st0[0..10] st1[16..26]",
            a64: "arg0 long double _Complex: q0[0..16] q1[16..32]\narg1 int: x0[0..4]\n\
                  ret long double _Complex: q0[0..16] q1[16..32]",
            apple: Some(
                "arg0 long double _Complex: d0[0..8] d1[8..16]\narg1 int: x0[0..4]\n\
                 ret long double _Complex: d0[0..8] d1[8..16]",
            ),
        },
        |b| {
            let (c, i) = (b.p(LongDoubleComplex), b.p(Int));
            b.snap(c, &[c, i])
        },
    );
}

#[test]
fn row15_printf_promotions_and_al() {
    check(
        Expect {
            x86: "arg0 char *: rdi[0..8]\narg1... float as double: xmm0[0..8]\narg2... char as int: rsi[0..4]\n\
                  ret int: rax[0..4]\nal=1",
            a64: "arg0 char *: x0[0..8]\narg1... float as double: d0[0..8]\narg2... char as int: x1[0..4]\n\
                  ret int: x0[0..4]",
            // Apple: every variadic argument on the stack, in 8-byte slots.
            apple: Some(
                "arg0 char *: x0[0..8]\narg1... float as double: stack+0[0..8]\narg2... char as int: stack+8[0..4]\n\
                 ret int: x0[0..4]",
            ),
        },
        |b| {
            let (c, f, i) = (b.p(Char), b.p(Float), b.p(Int));
            let pc = b.ptr(c);
            b.vsnap(i, &[pc, f, c], 1)
        },
    );
}

#[test]
fn row16_narrow_integers() {
    check(
        Expect {
            x86: "arg0 char: rdi[0..1]+sext32\narg1 signed char: rsi[0..1]+sext32\narg2 unsigned char: rdx[0..1]+zext32\n\
                  arg3 short: rcx[0..2]+sext32\narg4 unsigned short: r8[0..2]+zext32\narg5 _Bool: r9[0..1]+zext32\n\
                  ret char: rax[0..1]",
            // AAPCS64: the callee extends; upper bits are unspecified (char is unsigned on Linux).
            a64: "arg0 char: x0[0..1]\narg1 signed char: x1[0..1]\narg2 unsigned char: x2[0..1]\n\
                  arg3 short: x3[0..2]\narg4 unsigned short: x4[0..2]\narg5 _Bool: x5[0..1]\nret char: x0[0..1]",
            // Apple: the caller extends to 32 bits (char is signed), and the callee extends results.
            apple: Some(
                "arg0 char: x0[0..1]+sext32\narg1 signed char: x1[0..1]+sext32\narg2 unsigned char: x2[0..1]+zext32\n\
                 arg3 short: x3[0..2]+sext32\narg4 unsigned short: x4[0..2]+zext32\narg5 _Bool: x5[0..1]+zext32\n\
                 ret char: x0[0..1]+sext32",
            ),
        },
        |b| {
            let a = [Char, SChar, UChar, Short, UShort, Bool].map(|p| b.p(p));
            b.snap(a[0], &a)
        },
    );
}

#[test]
fn row17_zero_width_bitfield() {
    check(
        Expect {
            x86: "arg0 struct zw: rdi[0..5]\nret struct zw: rax[0..5]",
            a64: "arg0 struct zw: x0[0..8]\nret struct zw: x0[0..8]",
            apple: None,
        },
        |b| {
            let (c, i) = (b.p(Char), b.p(Int));
            let s = b.rec_decls(
                RecordKind::Struct,
                "zw",
                vec![
                    FieldDecl::new("a", c),
                    FieldDecl::bitfield(None, i, 0),
                    FieldDecl::new("b", c),
                ],
                RecordAttrs::default(),
            );
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row18_flexible_array_member() {
    check(
        Expect {
            x86: "arg0 struct fam: rdi[0..8]\narg1 double: xmm0[0..8]\nret struct fam: rax[0..8]",
            a64: "arg0 struct fam: x0[0..8]\narg1 double: d0[0..8]\nret struct fam: x0[0..8]",
            apple: None,
        },
        |b| {
            let (i, d) = (b.p(Int), b.p(Double));
            let fa = b.t.array(d, None);
            let s = b.rec_decls(
                RecordKind::Struct,
                "fam",
                vec![FieldDecl::new("n", i), FieldDecl::new("d", fa)],
                RecordAttrs::default(),
            );
            assert_eq!(b.t.offset_of(s, "d").unwrap().offset, 8);
            b.snap(s, &[s, d])
        },
    );
}

#[test]
fn row19_empty_struct() {
    check(
        Expect {
            x86: "arg0 struct empty: -\narg1 int: rdi[0..4]\narg2 struct empty: -\narg3 double: xmm0[0..8]\n\
                  ret struct empty: -",
            a64: "arg0 struct empty: -\narg1 int: x0[0..4]\narg2 struct empty: -\narg3 double: d0[0..8]\n\
                  ret struct empty: -",
            apple: None,
        },
        |b| {
            let (i, d) = (b.p(Int), b.p(Double));
            let e = b.st("empty", &[]);
            b.snap(e, &[e, i, e, d])
        },
    );
}

#[test]
fn row20_bitfields_flatten_to_bytes() {
    check(
        Expect {
            x86: "arg0 struct bf: rdi[0..8] rsi[8..16]\nret struct bf: rax[0..8] rdx[8..16]",
            a64: "arg0 struct bf: x0[0..8] x1[8..16]\nret struct bf: x0[0..8] x1[8..16]",
            apple: None,
        },
        |b| {
            let (i, u, l) = (b.p(Int), b.p(UInt), b.p(Long));
            let s = b.rec_decls(
                RecordKind::Struct,
                "bf",
                vec![
                    FieldDecl::bitfield(Some("a"), i, 3),
                    FieldDecl::bitfield(Some("b"), u, 29),
                    FieldDecl::bitfield(Some("c"), l, 40),
                ],
                RecordAttrs::default(),
            );
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row21_char_array_struct() {
    check(
        Expect {
            x86: "arg0 struct c3: rdi[0..3]\narg1 struct c3: rsi[0..3]\nret struct c3: rax[0..3]",
            a64: "arg0 struct c3: x0[0..3]\narg1 struct c3: x1[0..3]\nret struct c3: x0[0..3]",
            apple: None,
        },
        |b| {
            let c = b.p(Char);
            let a = b.arr(c, 3);
            let s = b.st("c3", &[a]);
            b.snap(s, &[s, s])
        },
    );
}

#[test]
fn row22_hfa_four_floats() {
    check(
        Expect {
            x86: "arg0 struct f4: xmm0[0..8] xmm1[8..16]\nret struct f4: xmm0[0..8] xmm1[8..16]",
            a64: "arg0 struct f4: s0[0..4] s1[4..8] s2[8..12] s3[12..16]\n\
                  ret struct f4: s0[0..4] s1[4..8] s2[8..12] s3[12..16]",
            apple: None,
        },
        |b| {
            let f = b.p(Float);
            let s = b.st("f4", &[f, f, f, f]);
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row23_mixed_double_float_not_hfa() {
    check(
        Expect {
            x86: "arg0 struct df: xmm0[0..8] xmm1[8..16]\nret struct df: xmm0[0..8] xmm1[8..16]",
            a64: "arg0 struct df: x0[0..8] x1[8..16]\nret struct df: x0[0..8] x1[8..16]",
            apple: None,
        },
        |b| {
            let (d, f) = (b.p(Double), b.p(Float));
            let s = b.st("df", &[d, f]);
            b.snap(s, &[s])
        },
    );
}

#[test]
fn row24_five_floats_by_reference() {
    check(
        Expect {
            x86: "arg0 struct f5: stack+0[0..20]\narg1 struct f5: stack+24[0..20]\nret struct f5: sret rdi -> rax",
            a64: "arg0 struct f5: indirect x0\narg1 struct f5: indirect x1\nret struct f5: sret x8",
            apple: None,
        },
        |b| {
            let f = b.p(Float);
            let a = b.arr(f, 5);
            let s = b.st("f5", &[a]);
            b.snap(s, &[s, s])
        },
    );
}

#[test]
fn row25_int128_struct_even_pair() {
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 struct i128s: rsi[0..8] rdx[8..16]\nret struct i128s: rax[0..8] rdx[8..16]",
            a64: "arg0 int: x0[0..4]\narg1 struct i128s: x2[0..8] x3[8..16]\nret struct i128s: x0[0..8] x1[8..16]",
            apple: Some(
                "arg0 int: x0[0..4]\narg1 struct i128s: x1[0..8] x2[8..16]\nret struct i128s: x0[0..8] x1[8..16]",
            ),
        },
        |b| {
            let (i, q) = (b.p(Int), b.p(Int128));
            let s = b.st("i128s", &[q]);
            b.snap(s, &[i, s])
        },
    );
}

#[test]
fn row27_long_double_in_q_registers() {
    check(
        Expect {
            x86: "arg0 long double: stack+0[0..16]\narg1 long double: stack+16[0..16]\nret long double: st0[0..10]",
            a64: "arg0 long double: q0[0..16]\narg1 long double: q1[0..16]\nret long double: q0[0..16]",
            apple: Some("arg0 long double: d0[0..8]\narg1 long double: d1[0..8]\nret long double: d0[0..8]"),
        },
        |b| {
            let ld = b.p(LongDouble);
            b.snap(ld, &[ld, ld])
        },
    );
}

#[test]
fn row28_union_hfa() {
    check(
        Expect {
            x86: "arg0 union ufi: rdi[0..4]\narg1 union uff2: xmm0[0..8]\nret void: -",
            a64: "arg0 union ufi: x0[0..4]\narg1 union uff2: s0[0..4] s1[4..8]\nret void: -",
            apple: None,
        },
        |b| {
            let (f, i, v) = (b.p(Float), b.p(Int), b.void());
            let f2 = b.arr(f, 2);
            let u1 = b.un("ufi", &[f, i]);
            let u2 = b.un("uff2", &[f, f2]);
            b.snap(v, &[u1, u2])
        },
    );
}

#[test]
fn row29_stack_slots() {
    check(
        Expect {
            x86: "arg0 char: rdi[0..1]+sext32\narg1 char: rsi[0..1]+sext32\narg2 char: rdx[0..1]+sext32\n\
                  arg3 char: rcx[0..1]+sext32\narg4 char: r8[0..1]+sext32\narg5 char: r9[0..1]+sext32\n\
                  arg6 char: stack+0[0..1]+sext32\narg7 char: stack+8[0..1]+sext32\narg8 char: stack+16[0..1]+sext32\n\
                  arg9 char: stack+24[0..1]+sext32\narg10 short: stack+32[0..2]+sext32\narg11 float: xmm0[0..4]\n\
                  ret void: -",
            a64: "arg0 char: x0[0..1]\narg1 char: x1[0..1]\narg2 char: x2[0..1]\narg3 char: x3[0..1]\n\
                  arg4 char: x4[0..1]\narg5 char: x5[0..1]\narg6 char: x6[0..1]\narg7 char: x7[0..1]\n\
                  arg8 char: stack+0[0..1]\narg9 char: stack+8[0..1]\narg10 short: stack+16[0..2]\n\
                  arg11 float: s0[0..4]\nret void: -",
            // Apple: only the space required, at natural alignment.
            apple: Some(
                "arg0 char: x0[0..1]+sext32\narg1 char: x1[0..1]+sext32\narg2 char: x2[0..1]+sext32\n\
                 arg3 char: x3[0..1]+sext32\narg4 char: x4[0..1]+sext32\narg5 char: x5[0..1]+sext32\n\
                 arg6 char: x6[0..1]+sext32\narg7 char: x7[0..1]+sext32\narg8 char: stack+0[0..1]\n\
                 arg9 char: stack+1[0..1]\narg10 short: stack+2[0..2]\narg11 float: s0[0..4]\nret void: -",
            ),
        },
        |b| {
            let mut a = ints(b, Char, 10);
            let (s, f, v) = (b.p(Short), b.p(Float), b.void());
            a.extend([s, f]);
            b.snap(v, &a)
        },
    );
}

// ---------------------------------------------------------------------------
// Beyond the table.

#[test]
fn exhaustion_mid_list_hfa_and_floats() {
    check(
        Expect {
            x86: "arg0 double: xmm0[0..8]\narg1 double: xmm1[0..8]\narg2 double: xmm2[0..8]\narg3 double: xmm3[0..8]\n\
                  arg4 double: xmm4[0..8]\narg5 double: xmm5[0..8]\narg6 struct f3: xmm6[0..8] xmm7[8..12]\n\
                  arg7 float: stack+0[0..4]\narg8 float: stack+8[0..4]\nret void: -",
            a64: "arg0 double: d0[0..8]\narg1 double: d1[0..8]\narg2 double: d2[0..8]\narg3 double: d3[0..8]\n\
                  arg4 double: d4[0..8]\narg5 double: d5[0..8]\narg6 struct f3: stack+0[0..12]\n\
                  arg7 float: stack+16[0..4]\narg8 float: stack+24[0..4]\nret void: -",
            // Checked with clang: the HFA takes 12 bytes at sp, the floats follow at 12 and 16.
            apple: Some(
                "arg0 double: d0[0..8]\narg1 double: d1[0..8]\narg2 double: d2[0..8]\narg3 double: d3[0..8]\n\
                 arg4 double: d4[0..8]\narg5 double: d5[0..8]\narg6 struct f3: stack+0[0..12]\n\
                 arg7 float: stack+12[0..4]\narg8 float: stack+16[0..4]\nret void: -",
            ),
        },
        |b| {
            let mut a = ints(b, Double, 6);
            let (f, v) = (b.p(Float), b.void());
            let s = b.st("f3", &[f, f, f]);
            a.extend([s, f, f]);
            b.snap(v, &a)
        },
    );
}

#[test]
fn exhaustion_composite_after_seven_ints() {
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 int: rsi[0..4]\narg2 int: rdx[0..4]\narg3 int: rcx[0..4]\n\
                  arg4 int: r8[0..4]\narg5 int: r9[0..4]\narg6 int: stack+0[0..4]\narg7 struct dl: stack+8[0..16]\n\
                  arg8 char: stack+24[0..1]+sext32\nret void: -",
            // C.12 fails (2 double-words, 1 register left), C.13 sets NGRN = 8: the char follows on the stack.
            a64: "arg0 int: x0[0..4]\narg1 int: x1[0..4]\narg2 int: x2[0..4]\narg3 int: x3[0..4]\n\
                  arg4 int: x4[0..4]\narg5 int: x5[0..4]\narg6 int: x6[0..4]\narg7 struct dl: stack+0[0..16]\n\
                  arg8 char: stack+16[0..1]\nret void: -",
            apple: Some(
                "arg0 int: x0[0..4]\narg1 int: x1[0..4]\narg2 int: x2[0..4]\narg3 int: x3[0..4]\n\
                 arg4 int: x4[0..4]\narg5 int: x5[0..4]\narg6 int: x6[0..4]\narg7 struct dl: stack+0[0..16]\n\
                 arg8 char: stack+16[0..1]\nret void: -",
            ),
        },
        |b| {
            let mut a = ints(b, Int, 7);
            let (d, l, c, v) = (b.p(Double), b.p(Long), b.p(Char), b.void());
            let s = b.st("dl", &[d, l]);
            a.extend([s, c]);
            b.snap(v, &a)
        },
    );
}

#[test]
fn mixed_eightbyte_merges() {
    // {int, float | double}: eightbyte 0 INTEGER+SSE → INTEGER, eightbyte 1 SSE.
    // {float, float | long}: eightbyte 0 SSE, eightbyte 1 INTEGER.
    // {short, float}: one eightbyte, INTEGER.
    check(
        Expect {
            x86: "arg0 struct ifd: rdi[0..8] xmm0[8..16]\narg1 struct ffl: xmm1[0..8] rsi[8..16]\n\
                  arg2 struct shf: rdx[0..8]\nret void: -",
            a64: "arg0 struct ifd: x0[0..8] x1[8..16]\narg1 struct ffl: x2[0..8] x3[8..16]\n\
                  arg2 struct shf: x4[0..8]\nret void: -",
            apple: None,
        },
        |b| {
            let (i, f, d, l, s, v) = (b.p(Int), b.p(Float), b.p(Double), b.p(Long), b.p(Short), b.void());
            let a = b.st("ifd", &[i, f, d]);
            let c = b.st("ffl", &[f, f, l]);
            let e = b.st("shf", &[s, f]);
            b.snap(v, &[a, c, e])
        },
    );
}

#[test]
fn nested_arrays_and_hfa_of_nested_arrays() {
    check(
        Expect {
            x86: "arg0 struct nest: xmm0[0..8] xmm1[8..16]\narg1 struct d2: xmm2[0..8] xmm3[8..16]\n\
                  arg2 struct d2i: stack+0[0..24]\nret struct nest: xmm0[0..8] xmm1[8..16]",
            a64: "arg0 struct nest: s0[0..4] s1[4..8] s2[8..12] s3[12..16]\narg1 struct d2: d4[0..8] d5[8..16]\n\
                  arg2 struct d2i: indirect x0\nret struct nest: s0[0..4] s1[4..8] s2[8..12] s3[12..16]",
            apple: None,
        },
        |b| {
            let (f, d, i) = (b.p(Float), b.p(Double), b.p(Int));
            let f2 = b.arr(f, 2);
            let bc = b.st("bc", &[f, f]);
            let nest = b.st("nest", &[f2, bc]);
            let d2 = b.arr(d, 2);
            let sd2 = b.st("d2", &[d2]);
            let sd2i = b.st("d2i", &[d2, i]);
            b.snap(nest, &[nest, sd2, sd2i])
        },
    );
}

#[test]
fn union_hfas() {
    check(
        Expect {
            x86: "arg0 union usf: xmm0[0..8]\narg1 union usd: xmm1[0..8]\nret void: -",
            // Same base type in every member → HFA; float and double members → not.
            a64: "arg0 union usf: s0[0..4] s1[4..8]\narg1 union usd: x0[0..8]\nret void: -",
            apple: None,
        },
        |b| {
            let (f, d, v) = (b.p(Float), b.p(Double), b.void());
            let f2 = b.arr(f, 2);
            let bc = b.st("bc", &[f, f]);
            let usf = b.un("usf", &[bc, f2]);
            let usd = b.un("usd", &[bc, d]);
            b.snap(v, &[usf, usd])
        },
    );
}

#[test]
fn packed_structs() {
    check(
        Expect {
            // int at offset 1 is misaligned → MEMORY; {short, char} has no misaligned field.
            x86: "arg0 struct pci: stack+0[0..5]\narg1 struct psc: rsi[0..3]\nret struct pci: sret rdi -> rax",
            a64: "arg0 struct pci: x0[0..5]\narg1 struct psc: x1[0..3]\nret struct pci: x0[0..5]",
            apple: None,
        },
        |b| {
            let (c, i, s) = (b.p(Char), b.p(Int), b.p(Short));
            let pci = b.packed("pci", &[c, i]);
            let psc = b.packed("psc", &[s, c]);
            b.snap(pci, &[pci, psc])
        },
    );
}

#[test]
fn alignment_16_composites() {
    // aligned(16) on the struct does not change its natural alignment (AAPCS64
    // C.10 looks at the members); an aligned(16) member does.
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 struct al16: rsi[0..8] rdx[8..16]\narg2 int: rcx[0..4]\n\
                  arg3 struct memb16: r8[0..8] r9[8..16]\nret void: -",
            a64: "arg0 int: x0[0..4]\narg1 struct al16: x1[0..8] x2[8..16]\narg2 int: x3[0..4]\n\
                  arg3 struct memb16: x4[0..8] x5[8..16]\nret void: -",
            apple: None,
        },
        |b| {
            let (i, l, v) = (b.p(Int), b.p(Long), b.void());
            let al16 = b.rec(
                RecordKind::Struct,
                "al16",
                &[l, l],
                RecordAttrs {
                    align_attr: Some(16),
                    ..RecordAttrs::default()
                },
            );
            let memb16 = b.rec_decls(
                RecordKind::Struct,
                "memb16",
                vec![
                    FieldDecl {
                        align_attr: Some(16),
                        ..FieldDecl::new("a", l)
                    },
                    FieldDecl::new("b", l),
                ],
                RecordAttrs::default(),
            );
            b.snap(v, &[i, al16, i, memb16])
        },
    );
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 struct memb16: rsi[0..8] rdx[8..16]\nret void: -",
            a64: "arg0 int: x0[0..4]\narg1 struct memb16: x2[0..8] x3[8..16]\nret void: -",
            apple: Some("arg0 int: x0[0..4]\narg1 struct memb16: x1[0..8] x2[8..16]\nret void: -"),
        },
        |b| {
            let (i, l, v) = (b.p(Int), b.p(Long), b.void());
            let memb16 = b.rec_decls(
                RecordKind::Struct,
                "memb16",
                vec![
                    FieldDecl {
                        align_attr: Some(16),
                        ..FieldDecl::new("a", l)
                    },
                    FieldDecl::new("b", l),
                ],
                RecordAttrs::default(),
            );
            b.snap(v, &[i, memb16])
        },
    );
}

#[test]
fn variadic_mixed_and_al_count() {
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1... double: xmm0[0..8]\narg2... struct f4: xmm1[0..8] xmm2[8..16]\n\
                  arg3... int: rsi[0..4]\narg4... long double: stack+0[0..16]\narg5... struct l3: stack+16[0..24]\n\
                  arg6... float as double: xmm3[0..8]\narg7... __int128: rdx[0..8] rcx[8..16]\nret int: rax[0..4]\nal=4",
            a64: "arg0 int: x0[0..4]\narg1... double: d0[0..8]\narg2... struct f4: s1[0..4] s2[4..8] s3[8..12] s4[12..16]\n\
                  arg3... int: x1[0..4]\narg4... long double: q5[0..16]\narg5... struct l3: indirect x2\n\
                  arg6... float as double: d6[0..8]\narg7... __int128: x4[0..8] x5[8..16]\nret int: x0[0..4]",
            // Apple: all on the stack in 8-byte slots (16-aligned for __int128); > 16 bytes by reference.
            apple: Some(
                "arg0 int: x0[0..4]\narg1... double: stack+0[0..8]\narg2... struct f4: stack+8[0..16]\n\
                 arg3... int: stack+24[0..4]\narg4... long double: stack+32[0..8]\narg5... struct l3: indirect stack+40\n\
                 arg6... float as double: stack+48[0..8]\narg7... __int128: stack+64[0..16]\nret int: x0[0..4]",
            ),
        },
        |b| {
            let (i, d, f, l, ld, q) = (b.p(Int), b.p(Double), b.p(Float), b.p(Long), b.p(LongDouble), b.p(Int128));
            let f4 = b.st("f4", &[f, f, f, f]);
            let l3 = b.st("l3", &[l, l, l]);
            b.vsnap(i, &[i, d, f4, i, ld, l3, f, q], 1)
        },
    );
}

#[test]
fn x86_64_al_is_vector_register_count_and_capped_by_eight() {
    let mut b = B::new(Target::X86_64SysV);
    let (i, d) = (b.p(Int), b.p(Double));
    let mut args = vec![i];
    args.extend(vec![d; 10]);
    let p = b.vplan(i, &args, 1);
    assert_eq!(p.al, Some(8));
    assert_eq!(p.fpr_used, 8);
    assert_eq!(p.stack_size, 16);
    assert_eq!(p.stack_align, 16);
    // Not variadic: no al.
    assert_eq!(b.plan(i, &[i]).al, None);
}

#[test]
fn apple_named_stack_packing_vs_linux_slots() {
    check(
        Expect {
            x86: "arg0 long: rdi[0..8]\narg1 long: rsi[0..8]\narg2 long: rdx[0..8]\narg3 long: rcx[0..8]\n\
                  arg4 long: r8[0..8]\narg5 long: r9[0..8]\narg6 long: stack+0[0..8]\narg7 long: stack+8[0..8]\n\
                  arg8 char: stack+16[0..1]+sext32\narg9 struct c3: stack+24[0..3]\narg10 int: stack+32[0..4]\nret void: -",
            a64: "arg0 long: x0[0..8]\narg1 long: x1[0..8]\narg2 long: x2[0..8]\narg3 long: x3[0..8]\n\
                  arg4 long: x4[0..8]\narg5 long: x5[0..8]\narg6 long: x6[0..8]\narg7 long: x7[0..8]\n\
                  arg8 char: stack+0[0..1]\narg9 struct c3: stack+8[0..3]\narg10 int: stack+16[0..4]\nret void: -",
            // Checked with clang: char at sp, the composite (rounded to 8 bytes by B.5) at sp+8.
            apple: Some(
                "arg0 long: x0[0..8]\narg1 long: x1[0..8]\narg2 long: x2[0..8]\narg3 long: x3[0..8]\n\
                 arg4 long: x4[0..8]\narg5 long: x5[0..8]\narg6 long: x6[0..8]\narg7 long: x7[0..8]\n\
                 arg8 char: stack+0[0..1]\narg9 struct c3: stack+8[0..3]\narg10 int: stack+16[0..4]\nret void: -",
            ),
        },
        |b| {
            let mut a = ints(b, Long, 8);
            let (c, i, v) = (b.p(Char), b.p(Int), b.void());
            let ca = b.arr(c, 3);
            let s = b.st("c3", &[ca]);
            a.extend([c, s, i]);
            b.snap(v, &a)
        },
    );
}

#[test]
fn plan_fields_for_the_layers_above() {
    // x86_64: the classes the CIF synthesizes filler elements from.
    let mut b = B::new(Target::X86_64SysV);
    let (f, i, d, l) = (b.p(Float), b.p(Int), b.p(Double), b.p(Long));
    let u = b.un("ufi", &[f, i]);
    let s = b.st("dl", &[d, l]);
    let big = b.st("l3", &[l, l, l]);
    let p = b.plan(big, &[u, s, big]);
    use abicall::abi::x86_64::Class;
    assert_eq!(p.args[0].class, ValueClass::Eightbytes(vec![Class::Integer]));
    assert_eq!(
        p.args[1].class,
        ValueClass::Eightbytes(vec![Class::Sse, Class::Integer])
    );
    assert_eq!(p.args[2].class, ValueClass::Memory);
    assert_eq!(
        p.ret.pass,
        Pass::Indirect {
            ptr: Loc::Gpr(0),
            returned_in: Some(Loc::Gpr(0))
        }
    );
    // rdi holds the hidden pointer, so rsi is the first argument register used.
    assert_eq!(p.args[0].parts()[0].loc, Loc::Gpr(1));
    assert_eq!((p.gpr_used, p.fpr_used, p.stack_size), (3, 1, 24));

    // aarch64: HFA members and sizes.
    let mut b = B::new(Target::Aarch64Linux);
    let f = b.p(Float);
    let s = b.st("f3", &[f, f, f]);
    let c = b.p(Char);
    let p = b.plan(s, &[s, c]);
    assert_eq!(p.args[0].class, ValueClass::Hfa { base: Float, count: 3 });
    assert_eq!(p.args[1].parts()[0].ext, Ext::None);
    assert_eq!(abi::aarch64::hfa(&b.t, s), Some((Float, 3)));
}

#[test]
fn plan_func_from_a_function_type() {
    let mut b = B::new(Target::X86_64SysV);
    let (i, c, d) = (b.p(Int), b.p(Char), b.p(Double));
    let pc = b.ptr(c);
    let printf = b.t.func(i, vec![pc], true);
    let p = abi::plan_func(&b.t, printf, &[d, i]).unwrap();
    assert_eq!(p.fixed_args, 1);
    assert_eq!(
        p.to_snapshot(&b.t),
        "arg0 char *: rdi[0..8]\narg1... double: xmm0[0..8]\narg2... int: rsi[0..4]\nret int: rax[0..4]\nal=1"
    );
    let fp = b.ptr(printf);
    assert_eq!(abi::plan_func(&b.t, fp, &[]).unwrap().args.len(), 1);
}

#[test]
fn bad_signatures_are_errors_not_panics() {
    let mut b = B::new(Target::Aarch64Linux);
    let (i, v) = (b.p(Int), b.void());
    let inc = b.t.declare_record(RecordKind::Struct, Some("opaque"));
    let arr = b.arr(i, 4);
    let f = b.t.func(i, vec![i], false);
    let c = b.p(Char);
    let huge = b.arr(c, 1 << 40);
    let huge = b.st("huge", &[huge]);
    let cases = [
        (
            abi::plan_call(&b.t, i, &[v], 1, false),
            "argument 0 of type `void` cannot be passed",
        ),
        (abi::plan_call(&b.t, i, &[inc], 1, false), "incomplete"),
        (abi::plan_call(&b.t, inc, &[], 0, false), "incomplete"),
        (
            abi::plan_call(&b.t, i, &[arr], 1, false),
            "arrays cannot be passed by value",
        ),
        (abi::plan_call(&b.t, arr, &[], 0, false), "cannot return"),
        (abi::plan_call(&b.t, i, &[i, i], 1, false), "non-variadic"),
        (abi::plan_func(&b.t, f, &[i]), "is not variadic"),
        (abi::plan_func(&b.t, i, &[]), "is not a function type"),
        (
            abi::plan_call(&b.t, i, &[huge, huge, huge, huge], 4, false),
            "too large to pass by value",
        ),
    ];
    for (r, msg) in cases {
        let e = r.unwrap_err().to_string();
        assert!(e.contains(msg), "error `{e}` should mention `{msg}`");
    }
}

#[test]
fn over_aligned_stack_argument() {
    check(
        Expect {
            x86: "arg0 int: rdi[0..4]\narg1 int: rsi[0..4]\narg2 int: rdx[0..4]\narg3 int: rcx[0..4]\n\
                  arg4 int: r8[0..4]\narg5 int: r9[0..4]\narg6 int: stack+0[0..4]\narg7 struct al32: stack+32[0..32]\n\
                  arg8 int: stack+64[0..4]\nret void: -",
            a64: "arg0 int: x0[0..4]\narg1 int: x1[0..4]\narg2 int: x2[0..4]\narg3 int: x3[0..4]\n\
                  arg4 int: x4[0..4]\narg5 int: x5[0..4]\narg6 int: x6[0..4]\narg7 struct al32: indirect x7\n\
                  arg8 int: stack+0[0..4]\nret void: -",
            apple: None,
        },
        |b| {
            let mut a = ints(b, Int, 7);
            let (l, i, v) = (b.p(Long), b.p(Int), b.void());
            let al32 = b.rec(
                RecordKind::Struct,
                "al32",
                &[l],
                RecordAttrs {
                    align_attr: Some(32),
                    ..RecordAttrs::default()
                },
            );
            a.extend([al32, i]);
            let p = b.plan(v, &a);
            let want = if b.t.target() == Target::X86_64SysV { 32 } else { 16 };
            assert_eq!(p.stack_align, want);
            p.to_snapshot(&b.t)
        },
    );
}

#[test]
fn zero_width_bitfields_struct_vs_union() {
    // gcc 12: `:0` is ignored in a struct but makes a union's eightbyte INTEGER
    // (x86_64) / the union not an HFA (aarch64); a size-0 member adds nothing.
    check(
        Expect {
            x86: "arg0 union zwu1: rdi[0..4]\narg1 union zwu2: rsi[0..8]\narg2 struct zws1: xmm0[0..4]\n\
                  arg3 struct zws2: xmm1[0..8] xmm2[8..16]\nret void: -",
            a64: "arg0 union zwu1: x0[0..4]\narg1 union zwu2: x1[0..8]\narg2 struct zws1: s0[0..4]\n\
                  arg3 struct zws2: d1[0..8] d2[8..16]\nret void: -",
            apple: None,
        },
        |b| {
            let (i, l, f, d, sh, dc, v) = (
                b.p(Int),
                b.p(Long),
                b.p(Float),
                b.p(Double),
                b.p(Short),
                b.p(DoubleComplex),
                b.void(),
            );
            let u1 = b.rec_decls(
                RecordKind::Union,
                "zwu1",
                vec![FieldDecl::bitfield(None, i, 0), FieldDecl::new("f", f)],
                RecordAttrs::default(),
            );
            let u2 = b.rec_decls(
                RecordKind::Union,
                "zwu2",
                vec![FieldDecl::bitfield(None, l, 0), FieldDecl::new("d", d)],
                RecordAttrs::default(),
            );
            let s1 = b.rec_decls(
                RecordKind::Struct,
                "zws1",
                vec![FieldDecl::bitfield(None, i, 0), FieldDecl::new("f", f)],
                RecordAttrs::default(),
            );
            let e = b.rec_decls(
                RecordKind::Union,
                "zwe",
                vec![FieldDecl::bitfield(None, sh, 0)],
                RecordAttrs::default(),
            );
            let s2 = b.st("zws2", &[e, dc]);
            b.snap(v, &[u1, u2, s1, s2])
        },
    );
}

/// Row 33: GCC vector types. x86_64: a 16-byte vector takes one whole xmm
/// register (SSE + SSEUP), an 8-byte one an xmm register's low half, a
/// 32-byte one (no AVX) memory; aarch64: short vectors go in q/d registers,
/// a struct of up to four of them is an HVA, larger vectors are passed by
/// reference. The x86_64 and aarch64 lines are the compilers' answers
/// (`tests/abi/oracle.rs`, `oracle_vectors_*`).
#[test]
fn row33_vector_types() {
    check(
        Expect {
            x86: "arg0 float __attribute__((vector_size(16))): xmm0[0..16]\n\
                  arg1 float __attribute__((vector_size(8))): xmm1[0..8]\n\
                  arg2 struct hva: stack+0[0..32]\n\
                  arg3 float __attribute__((vector_size(32))): stack+32[0..32]\n\
                  arg4 struct v4: xmm2[0..16]\n\
                  ret float __attribute__((vector_size(16))): xmm0[0..16]",
            a64: "arg0 float __attribute__((vector_size(16))): q0[0..16]\n\
                  arg1 float __attribute__((vector_size(8))): d1[0..8]\n\
                  arg2 struct hva: q2[0..16] q3[16..32]\n\
                  arg3 float __attribute__((vector_size(32))): indirect x0\n\
                  arg4 struct v4: q4[0..16]\n\
                  ret float __attribute__((vector_size(16))): q0[0..16]",
            apple: None,
        },
        |b| {
            let v4sf = b.t.vector(Float, 16).unwrap();
            let v2sf = b.t.vector(Float, 8).unwrap();
            let v8sf = b.t.vector(Float, 32).unwrap();
            let hva = b.st("hva", &[v4sf, v4sf]);
            let v4 = b.st("v4", &[v4sf]);
            b.snap(v4sf, &[v4sf, v2sf, hva, v8sf, v4])
        },
    );
}

/// Row 33: an aarch64 16-byte vector of one `long double` is refused by
/// value (gcc passes it in two d registers and then loses track of the
/// arguments after it), with the type named; x86_64 passes it in memory.
#[test]
fn row33_long_double_vector_is_refused_on_aarch64() {
    let mut b = B::new(Target::Aarch64Linux);
    let v1tf = b.t.vector(LongDouble, 16).unwrap();
    let void = b.void();
    let err = abi::plan_call(&b.t, void, &[v1tf], 1, false).unwrap_err().to_string();
    assert!(err.contains("long double __attribute__((vector_size(16)))"), "{err}");
    let s = b.st("wrap", &[v1tf]);
    let err = abi::plan_call(&b.t, s, &[], 0, false).unwrap_err().to_string();
    assert!(err.contains("struct wrap"), "{err}");
    let mut b = B::new(Target::X86_64SysV);
    let v1xf = b.t.vector(LongDouble, 16).unwrap();
    assert_eq!(
        b.snap(v1xf, &[v1xf]),
        "arg0 long double __attribute__((vector_size(16))): stack+0[0..16]\n\
         ret long double __attribute__((vector_size(16))): sret rdi -> rax"
    );
}

/// Row 33: a 4-byte `float` vector. aarch64-linux-gnu-gcc gives it no
/// general register (a floating type) and no v register (not a short
/// vector): it is stacked, and the `long` after it is too (C.13); Apple
/// (clang) passes it in a general register; x86_64 has no mode for it:
/// memory. Returned in `x0` on aarch64.
#[test]
fn row33_four_byte_float_vector() {
    check(
        Expect {
            x86: "arg0 int: rsi[0..4]\n\
                  arg1 float __attribute__((vector_size(4))): stack+0[0..4]\n\
                  arg2 long: rdx[0..8]\n\
                  ret float __attribute__((vector_size(4))): sret rdi -> rax",
            a64: "arg0 int: x0[0..4]\n\
                  arg1 float __attribute__((vector_size(4))): stack+0[0..4]\n\
                  arg2 long: stack+8[0..8]\n\
                  ret float __attribute__((vector_size(4))): x0[0..4]",
            apple: Some(
                "arg0 int: x0[0..4]\n\
                 arg1 float __attribute__((vector_size(4))): x1[0..4]\n\
                 arg2 long: x2[0..8]\n\
                 ret float __attribute__((vector_size(4))): x0[0..4]",
            ),
        },
        |b| {
            let v1sf = b.t.vector(Float, 4).unwrap();
            let (i, l) = (b.p(Int), b.p(Long));
            b.snap(v1sf, &[i, v1sf, l])
        },
    );
}

/// Row 33: x86_64 refuses a small struct holding a one-element `__int128`
/// vector by value (gcc passes only its low 8 bytes), naming both types;
/// the same vector alone goes whole in `xmm0`.
#[test]
fn row33_small_struct_of_int128_vector_is_refused_on_x86_64() {
    let mut b = B::new(Target::X86_64SysV);
    let v1ti = b.t.vector(Int128, 16).unwrap();
    let s = b.st("wrap", &[v1ti]);
    let void = b.void();
    for (ret, args) in [(void, vec![s]), (s, vec![])] {
        let err = abi::plan_call(&b.t, ret, &args, args.len(), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("struct wrap") && err.contains("__int128 __attribute__((vector_size(16)))"),
            "{err}"
        );
    }
    assert_eq!(
        b.snap(v1ti, &[v1ti]),
        "arg0 __int128 __attribute__((vector_size(16))): xmm0[0..16]\n\
         ret __int128 __attribute__((vector_size(16))): xmm0[0..16]"
    );
}
