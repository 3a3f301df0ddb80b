//! Declarations `cdef` accepts, checked through the `Types`/`Decls` API:
//! structure (kinds, signatures, names, constants, ids), and — where the
//! parser decides layout-relevant attributes — against gcc.

use abicall::decls::Constant;
use abicall::types::{Prim, TypeId, TypeKind};
use abicall::{Ffi, Target};

fn ffi(text: &str) -> Ffi {
    let mut f = Ffi::new(Target::X86_64SysV);
    f.cdef(text).unwrap_or_else(|e| panic!("{e}\nin:\n{text}"));
    f
}

fn prim_of(f: &mut Ffi, name: &str) -> Prim {
    let t = f.type_of(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    match f.types().kind(t) {
        TypeKind::Prim(p) => *p,
        k => panic!("{name}: not a scalar: {k:?}"),
    }
}

fn int_const(f: &Ffi, name: &str) -> (i128, String) {
    match f.decls().constants.get(name) {
        Some(Constant::Int { value, ty }) => (*value, f.types().display(*ty)),
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn base_type_spellings() {
    let mut f = Ffi::new(Target::X86_64SysV);
    let table = [
        ("char", Prim::Char),
        ("signed char", Prim::SChar),
        ("unsigned char", Prim::UChar),
        ("short int", Prim::Short),
        ("unsigned short", Prim::UShort),
        ("int", Prim::Int),
        ("signed", Prim::Int),
        ("unsigned", Prim::UInt),
        ("long int", Prim::Long),
        ("unsigned long", Prim::ULong),
        ("long long", Prim::LongLong),
        ("long unsigned long int", Prim::ULongLong),
        ("__int128", Prim::Int128),
        ("unsigned __int128", Prim::UInt128),
        ("__int128_t", Prim::Int128),
        ("__uint128_t", Prim::UInt128),
        ("_Bool", Prim::Bool),
        ("bool", Prim::Bool),
        ("float", Prim::Float),
        ("double", Prim::Double),
        ("long double", Prim::LongDouble),
        ("_Float32", Prim::Float),
        ("_Float64", Prim::Double),
        ("float _Complex", Prim::FloatComplex),
        ("__complex__ double", Prim::DoubleComplex),
        ("_Complex", Prim::DoubleComplex),
        ("long double _Complex", Prim::LongDoubleComplex),
        ("__signed__ char", Prim::SChar),
        ("void", Prim::Void),
    ];
    for (name, p) in table {
        assert_eq!(prim_of(&mut f, name), p, "{name}");
    }
}

#[test]
fn builtin_typedefs_per_target() {
    let mut f = Ffi::new(Target::X86_64SysV);
    for (n, p) in [
        ("int8_t", Prim::SChar),
        ("uint8_t", Prim::UChar),
        ("int16_t", Prim::Short),
        ("uint16_t", Prim::UShort),
        ("int32_t", Prim::Int),
        ("uint32_t", Prim::UInt),
        ("int64_t", Prim::Long),
        ("uint64_t", Prim::ULong),
        ("size_t", Prim::ULong),
        ("ssize_t", Prim::Long),
        ("intptr_t", Prim::Long),
        ("uintptr_t", Prim::ULong),
        ("ptrdiff_t", Prim::Long),
        ("wchar_t", Prim::Int),
        ("char16_t", Prim::UShort),
        ("char32_t", Prim::UInt),
        // glibc's <stdint.h> (gcc: sizeof 1, 8, 8, 8 on x86_64 and aarch64)
        ("int_fast8_t", Prim::SChar),
        ("uint_fast8_t", Prim::UChar),
        ("int_fast16_t", Prim::Long),
        ("uint_fast16_t", Prim::ULong),
        ("int_fast32_t", Prim::Long),
        ("uint_fast32_t", Prim::ULong),
        ("int_fast64_t", Prim::Long),
        ("uint_fast64_t", Prim::ULong),
    ] {
        assert_eq!(prim_of(&mut f, n), p, "{n}");
    }
    let mut apple = Ffi::new(Target::Aarch64Apple);
    assert_eq!(prim_of(&mut apple, "int_fast16_t"), Prim::Short);
    assert_eq!(prim_of(&mut apple, "uint_fast32_t"), Prim::UInt);
    let mut a = Ffi::new(Target::Aarch64Linux);
    assert_eq!(prim_of(&mut a, "wchar_t"), Prim::UInt);
    // __builtin_va_list: x86_64 `struct __va_list_tag[1]`, aarch64 Linux
    // `struct __va_list`, Apple `char *`.
    let t = f.type_of("__builtin_va_list").unwrap();
    assert!(matches!(f.types().kind(t), TypeKind::Array { len: Some(1), .. }));
    assert_eq!(f.types().size_align(t).unwrap(), (24, 8));
    let t = a.type_of("__builtin_va_list").unwrap();
    assert!(f.types().record_of(t).is_none() || a.types().record_of(t).is_some());
    assert_eq!(a.types().size_align(t).unwrap(), (32, 8));
    let mut m = Ffi::new(Target::Aarch64Apple);
    let t = m.type_of("__builtin_va_list").unwrap();
    assert_eq!(m.types().display(t), "char *");
    // One id per context, across cdef calls.
    let before = f.type_of("__builtin_va_list").unwrap();
    f.cdef("typedef __builtin_va_list my_va;").unwrap();
    assert_eq!(f.decls().typedefs["my_va"], before);
    // Builtins are not listed as declarations of the text.
    assert!(!f.decls().typedefs.contains_key("size_t"));
}

/// A predefined typedef name is a distinct type spelt with its name, with
/// the kind, layout and ABI of the type it names, and compatible with it.
#[test]
fn builtin_typedefs_are_distinct_compatible_aliases() {
    let mut f = ffi("size_t my_strlen(const char *);");
    let size_t = f.type_of("size_t").unwrap();
    let ulong = f.type_of("unsigned long").unwrap();
    let int = f.type_of("int").unwrap();
    let p_size_t = f.type_of("size_t *").unwrap();
    let p_ulong = f.type_of("unsigned long *").unwrap();
    let fty = f.decls().functions["my_strlen"].ty;
    {
        let t = f.types();
        assert_ne!(size_t, ulong);
        assert_eq!(t.get(size_t).alias, Some("size_t"));
        assert_eq!(t.kind(size_t), t.kind(ulong));
        assert_eq!(t.size_align(size_t).unwrap(), t.size_align(ulong).unwrap());
        assert_eq!(t.display(size_t), "size_t");
        assert_eq!(t.display(p_size_t), "size_t *");
        assert!(t.same_modulo_alias(size_t, ulong) && t.same_modulo_alias(p_size_t, p_ulong));
        assert!(!t.same_modulo_alias(size_t, int));
        assert_eq!(t.display(fty), "size_t (const char *)");
        // The call plan is that of `unsigned long`.
        let plan = abicall::abi::plan_func(&t, fty, &[]).unwrap();
        assert_eq!(plan.ret.size, 8);
    }
    assert_eq!(f.types_mut().unaliased(size_t), ulong);
    // A `size_t *` object initialised from an `unsigned long *` one.
    let n = f.new_object("unsigned long *", None).unwrap();
    let t = f.types();
    let q = abicall::memory::CData::new(&t, p_size_t, Some(&abicall::Value::CData(n.clone()))).unwrap();
    assert_eq!(q.to_bytes(&t).unwrap(), n.address().unwrap().to_le_bytes());
}

#[test]
fn builtin_typedef_redefined_identically() {
    let mut f = ffi("typedef unsigned long size_t; typedef int wchar_t; size_t n(void);");
    let builtin = f.type_of("unsigned long").unwrap();
    assert_eq!(f.decls().typedefs["size_t"], builtin);
}

#[test]
fn typedef_chains_resolve_to_one_id() {
    let mut f = ffi("typedef int A; typedef A B; typedef B C; typedef const C D;");
    let int = f.type_of("int").unwrap();
    assert_eq!(f.decls().typedefs["A"], int);
    assert_eq!(f.decls().typedefs["C"], int);
    assert_eq!(f.type_of("C").unwrap(), int);
    let d = f.decls().typedefs["D"];
    assert!(f.types().get(d).quals.is_const);
    assert_eq!(f.type_of("const int").unwrap(), d);
}

#[test]
fn identical_redefinitions_are_accepted() {
    let mut f = ffi("typedef int T; typedef int T;\n\
         struct s { int a; char b[4]; }; struct s { int a; char b[4]; };\n\
         typedef struct { double x; struct { int y; } in; } P; typedef struct { double x; struct { int y; } in; } P;\n\
         enum e { A, B = 5 }; enum e { A, B = 5 };\n\
         int f(int); int f(int x);\n\
         extern int v; extern int v;\n\
         #define N 3\n#define N 3\n\
         static const int K = 1; static const int K = 1;");
    let s1 = f.type_of("struct s").unwrap();
    assert_eq!(f.decls().tags["s"], s1);
    assert_eq!(f.sizeof("P").unwrap(), 16);
    assert_eq!(int_const(&f, "B").0, 5);
    // A prototype after an unprototyped declaration replaces it.
    f.cdef("int g(); int g(int, double);").unwrap();
    assert_eq!(f.types().sig_of(f.decls().functions["g"].ty).unwrap().params.len(), 2);
}

#[test]
fn incomplete_struct_completed_later_keeps_its_id() {
    let mut f = ffi("struct s; typedef struct s S; struct s *make(void); extern S *cur;\n\
         struct s { int a; S *next; };");
    let id = f.decls().tags["s"];
    assert_eq!(f.decls().typedefs["S"], id);
    assert!(f.types().is_complete(id));
    let ret = f.types().sig_of(f.decls().functions["make"].ty).unwrap().ret;
    assert_eq!(*f.types().kind(ret), TypeKind::Pointer(id));
    assert_eq!(f.sizeof("S").unwrap(), 16);
    // A later cdef call sees the same tag.
    f.cdef("struct s *again(struct s *);").unwrap();
    let p = f.types().sig_of(f.decls().functions["again"].ty).unwrap().params[0];
    assert_eq!(*f.types().kind(p), TypeKind::Pointer(id));
}

#[test]
fn functions_params_and_variadics() {
    let f = ffi("extern int printf(const char *__restrict fmt, ...);\n\
         int none(void); int empty(); _Noreturn void die(int code);\n\
         void arr(int a[10], char m[][4], int fn(double));\n\
         long named(int first, unsigned, double *third);\n\
         int fscanf(void *s, const char *f, ...) __asm__(\"\" \"__isoc99_fscanf\");\n\
         extern int old(int) __attribute__((deprecated)) __asm__(\"new_sym\");");
    let d = f.decls();
    let t = f.types();
    let sig = |n: &str| t.sig_of(d.functions[n].ty).unwrap().clone();
    assert!(sig("printf").variadic);
    assert_eq!(sig("printf").params.len(), 1);
    assert_eq!(t.display(sig("printf").params[0]), "const char *");
    assert_eq!(sig("none").params.len(), 0);
    assert!(!sig("none").variadic);
    assert_eq!(sig("empty").params.len(), 0);
    assert!(!sig("empty").variadic);
    let a = sig("arr");
    assert_eq!(t.display(a.params[0]), "int *");
    assert_eq!(t.display(a.params[1]), "char (*)[4]");
    assert_eq!(t.display(a.params[2]), "int (*)(double)");
    assert_eq!(
        d.functions["named"].param_names,
        vec![Some("first".to_string()), None, Some("third".to_string())]
    );
    assert_eq!(d.functions["fscanf"].symbol(), "__isoc99_fscanf");
    assert_eq!(d.functions["old"].symbol(), "new_sym");
    assert_eq!(d.functions["die"].symbol(), "die");
}

#[test]
fn function_pointers_and_abstract_declarators() {
    let mut f = ffi("typedef int (*cb_t)(void *ctx, int n);\n\
         void reg(void (*on_event)(int, const char *), cb_t cb);\n\
         int (*lookup(const char *name))(double);\n\
         void (*signal_like(int sig, void (*h)(int)))(int);\n\
         typedef double fn_t(double); fn_t cosine;\n\
         extern int (*table[4])(void);");
    let d = f.decls().clone();
    let t = f.types();
    let cb = d.typedefs["cb_t"];
    let s = t.sig_of(cb).unwrap();
    assert_eq!(s.params.len(), 2);
    assert_eq!(t.display(cb), "int (*)(void *, int)");
    assert_eq!(
        t.display(d.functions["reg"].ty),
        "void (void (*)(int, const char *), int (*)(void *, int))"
    );
    assert_eq!(t.display(d.functions["lookup"].ty), "int (*(const char *))(double)");
    assert_eq!(
        t.display(d.functions["signal_like"].ty),
        "void (*(int, void (*)(int)))(int)"
    );
    assert_eq!(t.display(d.functions["cosine"].ty), "double (double)");
    assert_eq!(t.display(d.variables["table"].ty), "int (*[4])(void)");
    drop(t);
    for (text, shown) in [
        ("int (*)(double)", "int (*)(double)"),
        ("int[4]", "int [4]"),
        ("int *[3]", "int *[3]"),
        ("int (*)[3]", "int (*)[3]"),
        ("char const * volatile", "const char * volatile"),
        ("cb_t", "int (*)(void *, int)"),
        ("void (*(*)(int))(void)", "void (*(*)(int))(void)"),
    ] {
        let ty = f.type_of(text).unwrap();
        assert_eq!(f.types().display(ty), shown, "{text}");
    }
    f.cdef("struct pt { double x, y; }; typedef struct pt foo_t;").unwrap();
    let p = f.type_of("struct pt *").unwrap();
    let pt = f.decls().tags["pt"];
    assert_eq!(*f.types().kind(p), TypeKind::Pointer(pt));
    assert_eq!(f.type_of("foo_t").unwrap(), pt);
    assert!(f.type_of("int x").is_err());
    assert!(f.type_of("nope_t").is_err());
}

#[test]
fn array_sizes_from_constant_expressions() {
    let mut f = ffi("enum { N = 4, M = N * 2 };\n\
         struct h { char c; double d; };\n\
         struct a {\n\
           char s1[sizeof(int) * 2 + 'A' - 64];\n\
           char s2[_Alignof(double) + __alignof__(struct h)];\n\
           char s3[(unsigned char)260];\n\
           char s4[M > N ? M : N];\n\
           char s5[__builtin_offsetof(struct h, d)];\n\
           char s6[(1 << 4) | 1];\n\
           char s7[-1U > 0 && !0];\n\
           char s8[sizeof(struct h[3]) / sizeof(struct h)];\n\
           char s9[1 ? 2 : 1 / 0];\n\
           char s10[(int)2.9 + sizeof 'x'];\n\
         };");
    let a = f.type_of("struct a").unwrap();
    let lens: Vec<Option<u64>> = f
        .types()
        .record_of(a)
        .unwrap()
        .fields
        .iter()
        .map(|fl| match f.types().kind(fl.ty) {
            TypeKind::Array { len, .. } => *len,
            _ => None,
        })
        .collect();
    let want = [9, 16, 4, 8, 8, 17, 1, 3, 2, 6];
    assert_eq!(lens, want.iter().map(|v| Some(*v as u64)).collect::<Vec<_>>());
}

#[test]
fn defines_and_constants() {
    let f = ffi("#define A 10\n\
         #define B (A * 2 + 1)\n\
         #define HEX 0xffu\n\
         #define BIG (~0ULL)\n\
         #define TOP (1UL << 63)\n\
         #define NEG (-1)\n\
         #define F 1.5f\n\
         #define D (A / 4.0)\n\
         #define FN(x) ((x) + 1)\n\
         #define STR \"text\"\n\
         #define EMPTY\n\
         #define UNKNOWN (nope + 1)\n\
         static const int K = B + 1;\n\
         static const unsigned char TRUNC = 300;\n\
         static const double PI = 3.25;\n\
         const long L = -5;");
    assert_eq!(int_const(&f, "A"), (10, "int".into()));
    assert_eq!(int_const(&f, "B"), (21, "int".into()));
    assert_eq!(int_const(&f, "HEX"), (255, "unsigned int".into()));
    assert_eq!(int_const(&f, "BIG"), (u64::MAX as i128, "unsigned long long".into()));
    assert_eq!(int_const(&f, "TOP"), (1i128 << 63, "unsigned long".into()));
    assert_eq!(int_const(&f, "NEG"), (-1, "int".into()));
    assert_eq!(int_const(&f, "K"), (22, "int".into()));
    assert_eq!(int_const(&f, "TRUNC"), (44, "unsigned char".into()));
    assert_eq!(int_const(&f, "L"), (-5, "long".into()));
    let fl = |n: &str| match f.decls().constants[n] {
        Constant::Float { value, ty } => (value, f.types().display(ty)),
        _ => panic!("{n}"),
    };
    assert_eq!(fl("F"), (1.5, "float".into()));
    assert_eq!(fl("D"), (2.5, "double".into()));
    assert_eq!(fl("PI"), (3.25, "double".into()));
    for skipped in ["FN", "STR", "EMPTY", "UNKNOWN"] {
        assert!(!f.decls().constants.contains_key(skipped), "{skipped}");
    }
}

#[test]
fn extern_variables() {
    let f = ffi(
        "extern int errno_like; extern const char *names[]; extern const char *names[3];\n\
         extern int renamed __asm__(\"real_name\"); int tentative; static int hidden;\n\
         extern __thread int tls;",
    );
    let v = &f.decls().variables;
    assert_eq!(f.types().display(v["errno_like"].ty), "int");
    assert_eq!(f.types().display(v["names"].ty), "const char *[3]");
    assert_eq!(v["renamed"].symbol(), "real_name");
    assert!(v.contains_key("tentative"));
    assert!(v.contains_key("tls"));
    assert!(!v.contains_key("hidden"));
}

#[test]
fn enums() {
    let mut f = ffi("enum small { S0, S1, S2 = S1 + 5, S3 };\n\
         enum neg { NA = -3, NB };\n\
         enum wide { W0 = 0x100000000, W1 };\n\
         enum uwide { U0 = 0xffffffffffffffffULL };\n\
         enum : unsigned char { FX = 200 };\n\
         enum fixed : short { F0 = -1 };\n\
         enum __attribute__((packed)) pk { P0 = 1, P1 = 200 };\n\
         enum pk2 { Q0 = -1, Q1 = 100 } __attribute__((__packed__));\n\
         enum chars { CA = 'a', CB = L'b' };\n\
         enum fwd; enum fwd { FW = 7 };");
    assert_eq!(int_const(&f, "S2"), (6, "enum small".into()));
    assert_eq!(int_const(&f, "S3").0, 7);
    assert_eq!(int_const(&f, "NB").0, -2);
    assert_eq!(int_const(&f, "W1").0, 0x100000001);
    assert_eq!(int_const(&f, "U0").0, u64::MAX as i128);
    assert_eq!(int_const(&f, "CA").0, 97);
    assert_eq!(int_const(&f, "CB").0, 98);
    let under = |f: &mut Ffi, n: &str| {
        let t = f.type_of(n).unwrap();
        match f.types().kind(t) {
            TypeKind::Enum(e) => f.types().enum_(*e).underlying,
            _ => panic!("{n}"),
        }
    };
    assert_eq!(under(&mut f, "enum small"), Prim::UInt);
    assert_eq!(under(&mut f, "enum neg"), Prim::Int);
    assert_eq!(under(&mut f, "enum wide"), Prim::ULong);
    assert_eq!(under(&mut f, "enum uwide"), Prim::ULong);
    assert_eq!(under(&mut f, "enum fixed"), Prim::Short);
    assert_eq!(under(&mut f, "enum pk"), Prim::UChar);
    assert_eq!(under(&mut f, "enum pk2"), Prim::SChar);
    let fwd = f.decls().tags["fwd"];
    assert_eq!(f.type_of("enum fwd").unwrap(), fwd);
    assert_eq!(int_const(&f, "FW").0, 7);
    // The anonymous fixed enum's constant has the enum type with underlying uchar.
    let Constant::Int { ty, .. } = f.decls().constants["FX"] else {
        panic!()
    };
    assert_eq!(f.types().size_of(ty).unwrap(), 1);
}

fn member_offset(f: &mut Ffi, ty: &str, path: &str) -> u64 {
    f.offsetof(ty, path)
        .unwrap_or_else(|e| panic!("{ty}.{path}: {e}"))
        .offset
}

#[test]
fn struct_members() {
    let mut f = ffi("struct outer {\n\
           int kind;\n\
           union { int i; float fl; };\n\
           struct { char a, b; };\n\
           struct inner { short x; } in;\n\
           unsigned flags : 3, : 0, more : sizeof(int) * 2;\n\
           __extension__ long long ll;\n\
           char tail[];\n\
         };\n\
         struct inner use_inner(void);");
    let outer = f.type_of("struct outer").unwrap();
    let rec = f.types().record_of(outer).unwrap().clone();
    assert!(rec.layout.unwrap().has_flexible_array);
    assert_eq!(rec.fields.len(), 9);
    assert!(rec.fields[1].name.is_none() && rec.fields[2].name.is_none());
    assert_eq!(rec.fields[4].bit.unwrap().bit_width, 3);
    assert_eq!(rec.fields[5].bit.unwrap().bit_width, 0);
    assert_eq!(rec.fields[6].bit.unwrap().bit_width, 8);
    // Anonymous members are looked through.
    assert_eq!(member_offset(&mut f, "struct outer", "fl"), 4);
    assert_eq!(member_offset(&mut f, "struct outer", "b"), 9);
    assert_eq!(member_offset(&mut f, "struct outer", "in.x"), 10);
    // The nested definition is a file-scope tag.
    let inner = f.decls().tags["inner"];
    assert_eq!(
        f.types().sig_of(f.decls().functions["use_inner"].ty).unwrap().ret,
        inner
    );
}

#[test]
fn attributes_reach_the_records() {
    let mut f = ffi("struct __attribute__((packed)) p1 { char c; int i; };\n\
         struct p2 { char c; int i; } __attribute__((__packed__));\n\
         struct p3 { char c; int i __attribute__((packed)); };\n\
         struct a1 { char c; } __attribute__((aligned));\n\
         struct __attribute__((aligned(32))) a2 { char c; };\n\
         struct a3 { char c; __attribute__((aligned(8))) char d; };\n\
         typedef int aint __attribute__((aligned(8)));\n\
         typedef int register_like __attribute__((__mode__(__word__)));\n\
         typedef unsigned int u64_like __attribute__((mode(DI)));\n\
         struct al { char c; _Alignas(16) int x; };");
    let attrs = |f: &mut Ffi, n: &str| {
        let t = f.type_of(n).unwrap();
        f.types().record_of(t).unwrap().attrs
    };
    assert!(attrs(&mut f, "struct p1").packed);
    assert!(attrs(&mut f, "struct p2").packed);
    assert!(!attrs(&mut f, "struct p3").packed);
    let p3 = f.type_of("struct p3").unwrap();
    assert!(f.types().record_of(p3).unwrap().decls[1].packed);
    assert_eq!(attrs(&mut f, "struct a1").align_attr, Some(16));
    assert_eq!(attrs(&mut f, "struct a2").align_attr, Some(32));
    let a3 = f.type_of("struct a3").unwrap();
    assert_eq!(f.types().record_of(a3).unwrap().decls[1].align_attr, Some(8));
    let aint = f.decls().typedefs["aint"];
    assert_eq!(f.types().get(aint).align_override, Some(8));
    assert_eq!(prim_of(&mut f, "register_like"), Prim::Long);
    assert_eq!(prim_of(&mut f, "u64_like"), Prim::ULong);
    let al = f.type_of("struct al").unwrap();
    assert_eq!(f.types().record_of(al).unwrap().decls[1].align_attr, Some(16));
}

#[test]
fn pragma_pack_stack() {
    let mut f = ffi("# 1 \"pack.h\"\n\
         #pragma once\n\
         #pragma GCC visibility push(default)\n\
         struct d0 { char c; int i; };\n\
         #pragma pack(push, 2)\n\
         struct d2 { char c; int i; };\n\
         #pragma pack(push)\n\
         #pragma pack(1)\n\
         struct d1 { char c; int i; };\n\
         #pragma pack()\n\
         struct dd { char c; int i; };\n\
         #pragma pack(pop)\n\
         struct d2b { char c; int i; };\n\
         #pragma pack(pop)\n\
         struct d0b { char c; int i; };\n\
         #pragma pack(4)\n");
    let pp = |f: &mut Ffi, n: &str| {
        let t = f.type_of(n).unwrap();
        f.types().record_of(t).unwrap().attrs.pragma_pack
    };
    assert_eq!(pp(&mut f, "struct d0"), None);
    assert_eq!(pp(&mut f, "struct d2"), Some(2));
    assert_eq!(pp(&mut f, "struct d1"), Some(1));
    assert_eq!(pp(&mut f, "struct dd"), None);
    assert_eq!(pp(&mut f, "struct d2b"), Some(2));
    assert_eq!(pp(&mut f, "struct d0b"), None);
    assert_eq!(f.decls().pack, Some(4));
    assert!(f.decls().pack_stack.is_empty());
    // The pack in force carries over to the next cdef call.
    f.cdef("struct later { char c; int i; };").unwrap();
    assert_eq!(pp(&mut f, "struct later"), Some(4));
}

#[test]
fn gnu_extras_and_skipped_constructs() {
    let f = ffi("__extension__ typedef long long ll_t;\n\
         __asm__(\".symver foo,foo@V1\");\n\
         _Static_assert(sizeof(ll_t) == 8, \"ll\");\n\
         [[nodiscard]] int c23(void);\n\
         static __inline unsigned int bswap(unsigned int x) { return __builtin_bswap32(x); }\n\
         extern __inline __attribute__((__gnu_inline__)) int ext_inl(int a) { if (a) { return 1; } return 0; }\n\
         extern int __attribute__((visibility(\"default\"))) vis(int *__restrict p, char *__restrict__ q);\n\
         typedef __typeof__(sizeof(int)) sz_t;\n\
         int line_in_middle(int a,\n\
         # 40 \"other.h\" 3\n\
         int b);\n");
    let d = f.decls();
    assert!(d.functions.contains_key("c23"));
    assert!(!d.functions.contains_key("bswap"));
    assert!(d.functions.contains_key("ext_inl"));
    assert!(d.functions.contains_key("vis"));
    assert_eq!(
        f.types().sig_of(d.functions["line_in_middle"].ty).unwrap().params.len(),
        2
    );
    assert_eq!(f.types().display(d.typedefs["ll_t"]), "long long");
}

// ---- gcc as the oracle for what the parser decides -----------------------

fn gcc_for(target: Target) -> (&'static str, &'static str) {
    match target {
        Target::X86_64SysV => ("gcc", "apt-get install -y gcc"),
        _ => ("aarch64-linux-gnu-gcc", "apt-get install -y gcc-aarch64-linux-gnu"),
    }
}

/// Parses `text` for `target`, then has gcc check every size, alignment,
/// member offset and integer constant we computed with `_Static_assert`s.
fn check_with_gcc(target: Target, text: &str, constants: &[&str]) {
    let mut f = Ffi::new(target);
    f.cdef(text).unwrap_or_else(|e| panic!("{e}"));
    let mut c = String::from("#include <stddef.h>\n#include <uchar.h>\n");
    c.push_str(text);
    c.push('\n');
    let mut names: Vec<(String, TypeId)> = Vec::new();
    for (tag, id) in &f.decls().tags {
        let kw = match f.types().kind(*id) {
            TypeKind::Enum(_) => "enum",
            _ => f.types().record_of(*id).unwrap().kind.keyword(),
        };
        names.push((format!("{kw} {tag}"), *id));
    }
    for (n, id) in &f.decls().typedefs {
        names.push((n.clone(), *id));
    }
    names.sort();
    let mut n = 0;
    for (name, id) in &names {
        if !f.types().is_complete(*id) {
            continue;
        }
        let (s, a) = f.types().size_align(*id).unwrap();
        c.push_str(&format!(
            "_Static_assert(sizeof({name}) == {s} && _Alignof({name}) == {a}, \"{name}: size {s} align {a}\");\n"
        ));
        n += 1;
        if let Some(r) = f.types().record_of(*id) {
            for fl in &r.fields {
                if let (Some(m), None) = (&fl.name, fl.bit) {
                    let o = fl.offset;
                    c.push_str(&format!(
                        "_Static_assert(offsetof({name}, {m}) == {o}, \"{name}.{m} at {o}\");\n"
                    ));
                    n += 1;
                }
            }
        }
    }
    for k in constants {
        let lit = match f.decls().constants[*k] {
            Constant::Int { value, .. } if value < 0 => format!("({value}LL)"),
            Constant::Int { value, .. } => format!("{value}ULL"),
            Constant::Float { value, .. } => format!("{value:e}"),
        };
        c.push_str(&format!("_Static_assert(({k}) == {lit}, \"{k} == {lit}\");\n"));
        n += 1;
    }
    assert!(n > 5);
    let dir = std::env::temp_dir().join(format!("abicall-cdecl-parse-{}-{}", std::process::id(), target.name()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join(format!("oracle-{}.c", text.len()));
    std::fs::write(&src, &c).unwrap();
    let (cc, hint) = gcc_for(target);
    let out = std::process::Command::new(cc)
        .args(["-std=gnu11", "-fsyntax-only", "-w"])
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("{cc} not found ({e}): run `{hint}`"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{cc} disagrees with our layout/constants for {target}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const ORACLE_TEXT: &str = r#"
struct __attribute__((packed)) p1 { char c; int i; };
struct p2 { char c; int i; short s; } __attribute__((__packed__));
struct p3 { char c; int i __attribute__((packed)); };
struct a1 { char c; } __attribute__((aligned));
struct __attribute__((aligned(32))) a2 { char c; };
struct a3 { char c; __attribute__((aligned(8))) char d; int e __attribute__((aligned(16))); };
typedef int aint __attribute__((aligned(8)));
struct uses_aint { char c; aint x; };
typedef long lowered __attribute__((aligned(2)));
typedef int register_like __attribute__((__mode__(__word__)));
struct al { char c; _Alignas(16) int x; _Alignas(double) char y; };
#pragma pack(push, 2)
struct pk2 { char c; int i; double d; };
#pragma pack(push, 1)
struct pk1 { char c; long l; short s : 5; int t : 20; };
#pragma pack(pop)
struct pk2b { char c; long l; };
#pragma pack(pop)
struct bits { unsigned a : 3, : 0, b : sizeof(int) * 2; char c; long d : 40; };
struct anon { int k; union { int i; double f; }; struct { char x, y; }; char tail[]; };
enum __attribute__((packed)) small_enum { SE0, SE1 = 200 };
enum neg_enum { NE0 = -5, NE1 };
enum wide_enum { WE0 = 0x100000000 };
struct with_enums { enum small_enum s; enum neg_enum n; enum wide_enum w; };
typedef __builtin_va_list va;
struct holds_va { char c; va v; };
struct wc { char c; wchar_t w; char16_t u; char32_t U; };
struct ld { char c; long double x; _Complex float cf; __int128 i; };
#define C1 (-1U)
#define C2 (1UL << 63)
#define C3 (~0ULL >> 1)
#define C4 ((unsigned char)300 + (signed char)200)
#define C5 ('\377' + 1)
#define C6 (-1 < 0U)
#define C7 (-1L < 0U)
#define C8 (sizeof(struct pk1) * 3 / 2 % 7)
#define C9 (__builtin_offsetof(struct anon, y) + _Alignof(struct a2))
#define C10 (0x7fffffff + 1L)
#define C11 ((int)-2.9 - (unsigned short)65537)
#define C12 (L'\xff' + u'a' + U'b')
#define C13 (7 / -2 * 100 + 7 % -2)
#define C14 (0 ? 1 : 2u)
enum { E1 = -1U > 0, E2 = 1 << 30 | 077, E3 = E2 >> 3 ^ 0b101 };
"#;

const ORACLE_CONSTANTS: &[&str] = &[
    "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "C13", "C14", "E1", "E2", "E3", "SE1",
    "NE1", "WE0",
];

#[test]
fn gcc_agrees_x86_64() {
    check_with_gcc(Target::X86_64SysV, ORACLE_TEXT, ORACLE_CONSTANTS);
}

#[test]
fn gcc_agrees_aarch64() {
    check_with_gcc(Target::Aarch64Linux, ORACLE_TEXT, ORACLE_CONSTANTS);
}

/// A file-scope declaration using a type abicall cannot represent
/// (`_Float128` on x86_64, `_Float16`) is skipped, not fatal.
#[test]
fn unrepresentable_types_skip_their_declaration() {
    let text = "extern _Float128 strtof128(const char *s, char **end);\n\
                struct q { __float128 v; };\n\
                _Float16 half(_Float16);\n\
                static __inline _Float128 body(_Float128 x) { return x; }\n\
                int after(void);";
    let mut x = ffi(text);
    assert!(!x.decls().functions.contains_key("strtof128"));
    assert!(!x.decls().functions.contains_key("half"));
    assert!(x.decls().functions.contains_key("after"));
    let q = x.type_of("struct q").unwrap();
    assert!(!x.types().is_complete(q));
    let mut a = Ffi::new(Target::Aarch64Linux);
    a.cdef(text).unwrap();
    let f = &a.decls().functions["strtof128"];
    assert_eq!(a.types().display(f.ty), "long double (const char *, char **)");
    assert_eq!(a.sizeof("struct q").unwrap(), 16);
    // _Complex _Float32 / _Float64x.
    let mut y = ffi("typedef _Complex _Float32 cf; typedef _Float64x ext;");
    assert_eq!(y.types().display(y.decls().typedefs["cf"]), "float _Complex");
    assert_eq!(prim_of(&mut y, "ext"), Prim::LongDouble);
}

/// VLA parameters (`char buf[n]`, glibc's `regexec`) adjust to pointers.
#[test]
fn vla_parameters() {
    let f = ffi("int fill(unsigned long n, char buf[n], int m[static n][4]);");
    let t = f.types();
    assert_eq!(
        t.display(f.decls().functions["fill"].ty),
        "int (unsigned long, char *, int (*)[4])"
    );
}
