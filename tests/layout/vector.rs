//! GCC vector types (`__attribute__((vector_size(N)))`) against the
//! compilers: sizes, alignments and their placement in structs, unions and
//! arrays, with every element type, sizes from 1 to 128 bytes, the
//! attribute written among the specifiers, after the declarator, on a
//! pointer or array declarator, combined with `aligned` (raising and, on a
//! typedef, lowering), `packed`, `#pragma pack`, bitfields and glibc's
//! `<bits/link.h>` types.
//!
//! The C text is parsed by abicall's declaration parser, so the parser's
//! handling of the attribute is checked along with the layout. The layout
//! probe compares with gcc (x86_64, compiled and run) and
//! aarch64-linux-gnu-gcc (static asserts, run under qemu); once they agree,
//! the facts docs/abi-cases.md row 33 states are asserted.

use crate::support;

use abicall::decls::Decls;
use abicall::types::{Prim, TypeId, TypeKind, Types};
use abicall::{cdecl, Target};
use support::layout_probe::{check_cases, report, Case};

/// The types under test; each `typedef` name and `struct`/`union` tag below
/// is one case.
const TEXT: &str = r#"
typedef float v2sf __attribute__((vector_size(8)));
typedef float v4sf __attribute__((vector_size(16)));
typedef float v8sf __attribute__((vector_size(32)));
typedef double v2df __attribute__((vector_size(16)));
typedef double v4df __attribute__((__vector_size__(32)));
typedef double v8df __attribute__((vector_size(64)));
typedef int v4si __attribute__((vector_size(16)));
typedef int v8si __attribute__((__vector_size__(32)));
typedef long long v2di __attribute__((vector_size(16)));
typedef long long v4di __attribute__((vector_size(32)));
typedef unsigned v2su __attribute__((vector_size(8)));
typedef unsigned long v4du __attribute__((vector_size(4 * sizeof(long))));
typedef short v4hi __attribute__((vector_size(8)));
typedef char v4qi __attribute__((vector_size(4)));
typedef signed char v2qs __attribute__((vector_size(2)));
typedef char v1qi __attribute__((vector_size(1)));
typedef unsigned char v16qu __attribute__((vector_size(16)));
typedef float v1sf __attribute__((vector_size(4)));
typedef long double v2xf __attribute__((vector_size(32)));
typedef __int128 v2ti __attribute__((vector_size(32)));
typedef float v32sf __attribute__((vector_size(128)));
typedef float __attribute__((vector_size(16))) spec_v4sf;
typedef const float cv4sf __attribute__((vector_size(16)));
enum ve { VE_A, VE_B };
typedef enum ve v4e __attribute__((vector_size(16)));
typedef float v8sf_a16 __attribute__((vector_size(32), aligned(16)));
typedef double v8df_a16 __attribute__((__vector_size__(64), __aligned__(16)));
typedef int v4si_a64 __attribute__((vector_size(16), aligned(64)));
struct vs_c8 { char c; v8sf v; };
struct vs_c16 { char c; v4sf v; };
struct vs_c64 { char c; v8df v; };
struct vs_c128 { char c; v32sf v; };
struct vs_tail { v8sf v; char c; };
struct vs_small { char c; v4qi q; v2qs s; v1qi o; v1sf f; };
struct vs_arr { char c; v8si v[2]; short s; };
union vu { char c; v8sf v; v4si w; };
struct vs_nest { char c; struct vs_tail t; };
struct __attribute__((packed)) vs_packed { char c; v4sf v; };
#pragma pack(4)
struct vs_pragma { char c; v8sf v; };
#pragma pack()
struct vs_memalign { char c; v8sf v __attribute__((aligned(8))); };
struct vs_memalign64 { char c; v4sf v __attribute__((aligned(64))); };
struct vs_lowered { char c; v8sf_a16 v; v4si_a64 w; };
struct vs_bits { int a : 3; v2sf v; unsigned b : 7; };
struct vs_decl {
    char c;
    float v __attribute__((vector_size(16)));
    float *p __attribute__((vector_size(32)));
    double w[2] __attribute__((vector_size(16)));
    int __attribute__((vector_size(8))) x, y[3];
};
struct vs_hva { v4sf a, b, c; };
struct vs_packed_order {
    char c;
    unsigned char __attribute__((vector_size(2))) m __attribute__((packed));
    char d;
    int __attribute__((vector_size(8))) n __attribute__((packed));
    char e;
    char o __attribute__((vector_size(8), packed));
    char f;
    unsigned char p[2] __attribute__((vector_size(4))) __attribute__((packed));
};
struct __attribute__((aligned(8))) vs_recalign { char c; v8sf v; };
struct vs_nested_user { char c; struct vs_memalign64 m; };
typedef struct vs_c8 vs_c8_a8 __attribute__((aligned(8)));
union vu_user { v8sf v; int i __attribute__((aligned(32))); };
typedef union {
    v8sf_a16 ymm[2];
    v8df_a16 zmm[1];
    v4sf xmm[4];
} la_vector __attribute__((__aligned__(16)));
struct la_regs { unsigned long rdx; v4sf xmm[8]; la_vector vector[8]; __int128 unused[4]; };
"#;

/// The C spellings of the cases, in [`TEXT`] order.
const CASES: &[&str] = &[
    "v2sf",
    "v4sf",
    "v8sf",
    "v2df",
    "v4df",
    "v8df",
    "v4si",
    "v8si",
    "v2di",
    "v4di",
    "v2su",
    "v4du",
    "v4hi",
    "v4qi",
    "v2qs",
    "v1qi",
    "v16qu",
    "v1sf",
    "v2xf",
    "v2ti",
    "v32sf",
    "spec_v4sf",
    "cv4sf",
    "v4e",
    "v8sf_a16",
    "v8df_a16",
    "v4si_a64",
    "struct vs_c8",
    "struct vs_c16",
    "struct vs_c64",
    "struct vs_c128",
    "struct vs_tail",
    "struct vs_small",
    "struct vs_arr",
    "union vu",
    "struct vs_nest",
    "struct vs_packed",
    "struct vs_pragma",
    "struct vs_memalign",
    "struct vs_memalign64",
    "struct vs_lowered",
    "struct vs_bits",
    "struct vs_decl",
    "struct vs_hva",
    "struct vs_packed_order",
    "struct vs_recalign",
    "struct vs_nested_user",
    "vs_c8_a8",
    "union vu_user",
    "la_vector",
    "struct la_regs",
];

fn lookup(d: &Decls, name: &str) -> TypeId {
    let found = match name.split_once(' ') {
        Some((_, tag)) => d.tags.get(tag),
        None => d.typedefs.get(name),
    };
    *found.unwrap_or_else(|| panic!("`{name}` was not declared by the test text"))
}

/// Parses [`TEXT`] for `target` and checks every case against the compiler.
fn check(target: Target) -> (Types, Decls) {
    let mut t = Types::new(target);
    let mut d = Decls::default();
    cdecl::parse(&mut t, &mut d, TEXT).unwrap_or_else(|e| panic!("{target}: {e}"));
    let cases: Vec<Case> = CASES
        .iter()
        .enumerate()
        .map(|(i, &name)| Case {
            label: format!("vector case {name}"),
            c_defs: if i == 0 { TEXT.to_string() } else { String::new() },
            c_type: name.to_string(),
            ty: lookup(&d, name),
        })
        .collect();
    let mismatches = check_cases(&t, &cases, &format!("vector-{target}"));
    assert!(
        mismatches.is_empty(),
        "our layout of vector types disagrees with the compiler:{}",
        report(target, &cases, &mismatches, 20)
    );
    (t, d)
}

/// C11 `_Alignof` against the compiler: `_Static_assert`s of our
/// [`Types::c11_align_of`] (and GNU `__alignof__`) for every case, compiled
/// by the target's gcc and parsed back by abicall's own parser, which
/// evaluates both keywords.
fn c11_alignof(target: Target, t: &Types, d: &Decls) {
    let mut asserts = String::new();
    for name in CASES {
        let ty = lookup(d, name);
        let (c11, gnu) = (t.c11_align_of(ty).unwrap(), t.align_of(ty).unwrap());
        asserts.push_str(&format!(
            "_Static_assert(_Alignof({name}) == {c11} && __alignof__({name}) == {gnu}, \"{name}: {c11} {gnu}\");\n"
        ));
    }
    let dir = support::tools::TempDir::new("vector-alignof").expect("create a temporary directory");
    let src = dir.path().join("alignof.c");
    std::fs::write(&src, format!("{TEXT}\n{asserts}")).unwrap();
    let cc = match target {
        Target::X86_64SysV => support::tools::gcc(),
        _ => support::tools::aarch64_gcc(),
    };
    let out = support::tools::run(
        std::process::Command::new(cc)
            .args(["-std=gnu11", "-fsyntax-only"])
            .arg(&src),
        "compile the _Alignof asserts",
    );
    assert!(
        out.status.success(),
        "{target}: C11 _Alignof disagrees with the compiler:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut t2 = Types::new(target);
    let mut d2 = Decls::default();
    cdecl::parse(&mut t2, &mut d2, &format!("{TEXT}\n{asserts}"))
        .unwrap_or_else(|e| panic!("{target}: abicall evaluates _Alignof / __alignof__ differently: {e}"));
}

fn sa(t: &Types, d: &Decls, name: &str) -> (u64, u64) {
    t.size_align(lookup(d, name)).unwrap()
}

/// The parser's reading of the attribute where it is not on a plain name.
fn declarator_forms(t: &Types, d: &Decls) {
    let s = lookup(d, "struct vs_decl");
    let member = |name: &str| t.field(s, name).unwrap().0.ty;
    let v = |elem: Prim, len: u64| TypeKind::Vector { elem, len };
    assert_eq!(t.kind(member("v")), &v(Prim::Float, 4));
    // `float *p __attribute__((vector_size(32)))`: a pointer to a vector.
    match t.kind(member("p")) {
        TypeKind::Pointer(to) => assert_eq!(t.kind(*to), &v(Prim::Float, 8)),
        k => panic!("`p` should be a pointer to a vector, is {k:?}"),
    }
    // `double w[2] __attribute__((vector_size(16)))`: an array of 2 vectors.
    match t.kind(member("w")) {
        TypeKind::Array { elem, len: Some(2) } => assert_eq!(t.kind(*elem), &v(Prim::Double, 2)),
        k => panic!("`w` should be an array of 2 vectors, is {k:?}"),
    }
    // Among the specifiers, the attribute applies to every declarator.
    assert_eq!(t.kind(member("x")), &v(Prim::Int, 2));
    assert_eq!(t.size_of(member("y")).unwrap(), 24);
    // The element keeps the qualifiers on the vector; an enum gives its
    // underlying type.
    let cv = lookup(d, "cv4sf");
    assert!(t.get(cv).quals.is_const);
    assert_eq!(t.kind(cv), &v(Prim::Float, 4));
    assert_eq!(t.kind(lookup(d, "v4e")), &v(Prim::UInt, 4));
}

/// x86_64: a vector is aligned to its size (gcc's `TYPE_ALIGN`, whatever
/// `-mavx` says), so 32- and 64-byte vectors are 32/64-aligned in structs.
#[test]
fn vector_layout_x86_64_matches_gcc() {
    let (t, d) = check(Target::X86_64SysV);
    declarator_forms(&t, &d);
    c11_alignof(Target::X86_64SysV, &t, &d);
    let row = "docs/abi-cases.md row 33 (x86_64)";
    assert_eq!(sa(&t, &d, "v4sf"), (16, 16), "{row}");
    assert_eq!(sa(&t, &d, "v8sf"), (32, 32), "{row}");
    assert_eq!(sa(&t, &d, "v8df"), (64, 64), "{row}");
    assert_eq!(sa(&t, &d, "v32sf"), (128, 128), "{row}");
    assert_eq!(sa(&t, &d, "struct vs_c8"), (64, 32), "{row}");
    let c11 = |name: &str| t.c11_align_of(lookup(&d, name)).unwrap();
    assert_eq!(
        (c11("v8sf"), c11("struct vs_c8")),
        (16, 16),
        "{row}: gcc's _Alignof caps at 16"
    );
    assert_eq!(
        c11("struct vs_memalign64"),
        64,
        "{row}: unless an aligned attribute says more"
    );
    assert_eq!(
        sa(&t, &d, "v8sf_a16"),
        (32, 16),
        "{row}: aligned(16) on the typedef lowers it"
    );
    assert_eq!(sa(&t, &d, "struct la_regs"), (720, 16), "{row}");
}

/// AAPCS64: a vector is aligned to its size, at most 16 bytes.
#[test]
fn vector_layout_aarch64_matches_aarch64_gcc() {
    let (t, d) = check(Target::Aarch64Linux);
    declarator_forms(&t, &d);
    c11_alignof(Target::Aarch64Linux, &t, &d);
    let row = "docs/abi-cases.md row 33 (aarch64)";
    assert_eq!(sa(&t, &d, "v2sf"), (8, 8), "{row}");
    assert_eq!(sa(&t, &d, "v4sf"), (16, 16), "{row}");
    assert_eq!(sa(&t, &d, "v8sf"), (32, 16), "{row}");
    assert_eq!(sa(&t, &d, "v8df"), (64, 16), "{row}");
    assert_eq!(sa(&t, &d, "struct vs_c8"), (48, 16), "{row}");
    assert_eq!(sa(&t, &d, "v4si_a64"), (16, 64), "{row}: aligned(64) raises it");
}
