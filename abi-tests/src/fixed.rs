//! The fixed signatures every conformance run starts with: each row of
//! `docs/abi-cases.md` (the tricky cases other FFIs get wrong) plus register
//! exhaustion, merges, nesting, HFA unions, alignment and variadic extras.
//! The same list drives `tests/abi/oracle.rs`.

use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};

/// One fixed signature: `ret name(args[..fixed], ...)` when variadic.
#[derive(Clone, Debug)]
pub struct FixedCase {
    /// The abi-cases row (`r12 ...`) or what the extra case exercises (`x ...`).
    pub name: &'static str,
    /// Return type.
    pub ret: TypeId,
    /// Argument types (fixed, then variadic).
    pub args: Vec<TypeId>,
    /// Number of named parameters when variadic.
    pub fixed: Option<usize>,
}

/// A terse type builder over a [`Types`] table.
#[derive(Debug)]
pub struct Builder<'a> {
    /// The table types are added to.
    pub t: &'a mut Types,
}

impl Builder<'_> {
    fn p(&mut self, p: Prim) -> TypeId {
        self.t.prim(p)
    }
    fn ptr(&mut self, to: TypeId) -> TypeId {
        self.t.pointer(to)
    }
    fn arr(&mut self, elem: TypeId, n: u64) -> TypeId {
        self.t.array(elem, Some(n))
    }
    fn void(&mut self) -> TypeId {
        self.t.prim(Prim::Void)
    }
    fn st(&mut self, tag: &str, fields: &[TypeId]) -> TypeId {
        self.rec(RecordKind::Struct, tag, fields, RecordAttrs::default())
    }
    fn un(&mut self, tag: &str, fields: &[TypeId]) -> TypeId {
        self.rec(RecordKind::Union, tag, fields, RecordAttrs::default())
    }
    fn packed(&mut self, tag: &str, fields: &[TypeId]) -> TypeId {
        let attrs = RecordAttrs {
            packed: true,
            ..RecordAttrs::default()
        };
        self.rec(RecordKind::Struct, tag, fields, attrs)
    }
    fn rec(&mut self, kind: RecordKind, tag: &str, fields: &[TypeId], attrs: RecordAttrs) -> TypeId {
        let decls = fields
            .iter()
            .enumerate()
            .map(|(i, &t)| FieldDecl::new(&format!("f{i}"), t))
            .collect();
        self.rec_decls(kind, tag, decls, attrs)
    }
    /// Defines `kind row_<tag> { decls }`. The fixed records are valid C
    /// (not user input), so a refusal is a bug in the layout engine.
    fn rec_decls(&mut self, kind: RecordKind, tag: &str, decls: Vec<FieldDecl>, attrs: RecordAttrs) -> TypeId {
        let tag = format!("row_{tag}");
        let what = format!("fixed conformance record `{tag}`");
        self.t
            .define_record(kind, Some(&tag), decls, attrs)
            .unwrap_or_else(|e| panic!("{what} refused by the layout engine: {e}"))
    }
}

/// Adds the fixed cases' types to `types` and returns the cases.
pub fn fixed_cases(types: &mut Types) -> Vec<FixedCase> {
    cases(&mut Builder { t: types })
}

/// The cases, built with `b`.
fn cases(b: &mut Builder) -> Vec<FixedCase> {
    use Prim::*;
    let mut v = Vec::new();
    let mut add = |name: &'static str, ret: TypeId, args: Vec<TypeId>, fixed: Option<usize>| {
        v.push(FixedCase { name, ret, args, fixed })
    };
    let (c, sc, uc, sh, ush, i, ui, l, f, d, ld, bo) = (
        b.p(Char),
        b.p(SChar),
        b.p(UChar),
        b.p(Short),
        b.p(UShort),
        b.p(Int),
        b.p(UInt),
        b.p(Long),
        b.p(Float),
        b.p(Double),
        b.p(LongDouble),
        b.p(Bool),
    );
    let i128 = b.p(Int128);
    let void = b.void();
    let pc = b.ptr(c);
    // Rows 1-10.
    let s_fi = b.st("fi", &[f, i]);
    add("r1 struct{float,int}", s_fi, vec![s_fi], None);
    let u_fi = b.un("ufi", &[f, i]);
    add("r2 union{float,int}", u_fi, vec![u_fi], None);
    let u_fd = b.un("ufd", &[f, d]);
    add("r3 union{float,double}", u_fd, vec![u_fd], None);
    let u_dl = b.un("udl", &[d, l]);
    add("r4 union{double,long}", u_dl, vec![u_dl], None);
    let s_dl = b.st("dl", &[d, l]);
    add("r5 struct{double,long}", s_dl, vec![s_dl], None);
    let s_ld = b.st("ld", &[l, d]);
    add("r6 struct{long,double}", s_ld, vec![s_ld], None);
    let s_f3 = b.st("f3", &[f, f, f]);
    add("r7 struct{float x3}", s_f3, vec![s_f3], None);
    let s_l3 = b.st("l3", &[l, l, l]);
    add("r8 struct{long x3}", s_l3, vec![s_l3, i], None);
    let p_cd = b.packed("pcd", &[c, d]);
    add("r9 packed{char,double}", p_cd, vec![p_cd, i], None);
    let s_ldbl = b.st("sld", &[ld]);
    add("r10 long double", ld, vec![i, ld, d], None);
    add("r10 struct{long double}", s_ldbl, vec![s_ldbl, i], None);
    add("r11 (int x5, __int128)", void, vec![i, i, i, i, i, i128], None);
    add(
        "r12 (long x6, struct{double,long}, double)",
        void,
        vec![l, l, l, l, l, l, s_dl, d],
        None,
    );
    let s_dd = b.st("dd", &[d, d]);
    add(
        "r13 (double x7, struct{double,double}, double)",
        void,
        vec![d, d, d, d, d, d, d, s_dd, d],
        None,
    );
    let (fc, dc, ldc) = (b.p(FloatComplex), b.p(DoubleComplex), b.p(LongDoubleComplex));
    add("r14 float _Complex", fc, vec![fc, i], None);
    add("r14 double _Complex", dc, vec![dc, i], None);
    add("r14 long double _Complex", ldc, vec![ldc, i], None);
    add("r15 printf(fmt, float, char)", i, vec![pc, f, c], Some(1));
    add("r16 char", c, vec![c, sc, uc, sh, ush, bo], None);
    add("r16 signed char ret", sc, vec![], None);
    add("r16 unsigned short ret", ush, vec![], None);
    add("r16 short ret", sh, vec![], None);
    add("r16 bool ret", bo, vec![], None);
    let zw = b.rec_decls(
        RecordKind::Struct,
        "zw",
        vec![
            FieldDecl::new("a", c),
            FieldDecl::bitfield(None, i, 0),
            FieldDecl::new("b", c),
        ],
        RecordAttrs::default(),
    );
    add("r17 struct{char a; int :0; char b}", zw, vec![zw, zw], None);
    let fam_arr = b.t.array(d, None);
    let fam = b.rec_decls(
        RecordKind::Struct,
        "fam",
        vec![FieldDecl::new("n", i), FieldDecl::new("d", fam_arr)],
        RecordAttrs::default(),
    );
    add("r18 struct{int n; double d[]}", fam, vec![fam, d], None);
    let empty = b.st("empty", &[]);
    add("r19 struct{}", empty, vec![empty, i, empty, d], None);
    let bf = b.rec_decls(
        RecordKind::Struct,
        "bf",
        vec![
            FieldDecl::bitfield(Some("a"), i, 3),
            FieldDecl::bitfield(Some("b"), ui, 29),
            FieldDecl::bitfield(Some("c"), l, 40),
        ],
        RecordAttrs::default(),
    );
    add("r20 bitfields", bf, vec![bf], None);
    let c3 = b.arr(c, 3);
    let s_c3 = b.st("c3", &[c3]);
    add("r21 struct{char c[3]}", s_c3, vec![s_c3, s_c3], None);
    // Rows 22-29.
    let s_f4 = b.st("f4", &[f, f, f, f]);
    add("r22 struct{float x4}", s_f4, vec![s_f4], None);
    let s_df = b.st("df", &[d, f]);
    add("r23 struct{double,float}", s_df, vec![s_df], None);
    let f5 = b.arr(f, 5);
    let s_f5 = b.st("f5", &[f5]);
    add("r24 struct{float a[5]}", s_f5, vec![s_f5, s_f5], None);
    let s_i128 = b.st("i128s", &[i128]);
    add("r25 (int, struct{__int128})", s_i128, vec![i, s_i128], None);
    add("r25 (int x5, __int128)", i128, vec![i, i, i, i, i, i128], None);
    add(
        "r25 (int x7, __int128, int)",
        void,
        vec![i, i, i, i, i, i, i, i128, i],
        None,
    );
    add("r27 long double x9", ld, vec![ld, ld, ld, ld, ld, ld, ld, ld, ld], None);
    let f2 = b.arr(f, 2);
    let u_ff2 = b.un("uff2", &[f, f2]);
    add("r28 union{float a; float b[2]}", u_ff2, vec![u_ff2], None);
    add(
        "r29 stack chars",
        void,
        vec![c, c, c, c, c, c, c, c, c, c, sh, i, d, d, d, d, d, d, d, d, d, f, uc],
        None,
    );
    // Extras: exhaustion, merges, nesting, HFA unions, alignment.
    add(
        "x hfa after 6 doubles",
        s_f3,
        vec![d, d, d, d, d, d, s_f3, f, s_f4],
        None,
    );
    let s_ifd = b.st("ifd", &[i, f, d]);
    add("x struct{int,float,double}", s_ifd, vec![s_ifd], None);
    let s_ffl = b.st("ffl", &[f, f, l]);
    add("x struct{float,float,long}", s_ffl, vec![s_ffl], None);
    let s_shf = b.st("shf", &[sh, f]);
    add("x struct{short,float}", s_shf, vec![s_shf], None);
    let s_bc = b.st("bc", &[f, f]);
    let s_nest = b.st("nest", &[f2, s_bc]);
    add("x struct{float a[2]; struct{float b,c}}", s_nest, vec![s_nest], None);
    let d2 = b.arr(d, 2);
    let s_d2 = b.st("d2", &[d2]);
    let s_i2 = b.st("i2", &[d2, i]);
    add(
        "x struct{double a[2]}, struct{double a[2]; int}",
        s_d2,
        vec![s_d2, s_i2],
        None,
    );
    let u_sf = b.un("usf", &[s_bc, f2]);
    add("x union{struct{float,float}; float[2]}", u_sf, vec![u_sf], None);
    let u_sd = b.un("usd", &[s_bc, d]);
    add("x union{struct{float,float}; double}", u_sd, vec![u_sd], None);
    let p_ci = b.packed("pci", &[c, i]);
    add("x packed{char,int}", p_ci, vec![p_ci], None);
    let p_sc = b.packed("psc", &[sh, c]);
    add("x packed{short,char}", p_sc, vec![p_sc], None);
    let al16 = b.rec(
        RecordKind::Struct,
        "al16",
        &[l, l],
        RecordAttrs {
            align_attr: Some(16),
            ..RecordAttrs::default()
        },
    );
    add("x (int, aligned(16) struct{long,long})", void, vec![i, al16, i], None);
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
    add(
        "x (int, struct{long a aligned(16); long b})",
        memb16,
        vec![i, memb16],
        None,
    );
    add(
        "x (int x7, struct{double,long})",
        void,
        vec![i, i, i, i, i, i, i, s_dl, i],
        None,
    );
    add(
        "x (int x6, struct{long x3}, ...)",
        s_l3,
        vec![i, i, i, i, i, i, s_l3, s_l3],
        None,
    );
    add("x ptr", pc, vec![pc, pc], None);
    let s_fc = b.st("sfc", &[fc, f]);
    add("x struct{float _Complex; float}", s_fc, vec![s_fc], None);
    let s_ffc = b.st("sffc", &[f, fc]);
    add("x struct{float; float _Complex}", s_ffc, vec![s_ffc], None);
    add(
        "x variadic (int, ...)",
        i,
        vec![i, d, s_f4, i, ld, s_l3, f, i128],
        Some(1),
    );
    add(
        "x (int x7, struct{double,long}, char)",
        void,
        vec![i, i, i, i, i, i, i, s_dl, c],
        None,
    );
    add(
        "x (long x8, char, struct{char[3]}, int)",
        void,
        vec![l, l, l, l, l, l, l, l, c, s_c3, i],
        None,
    );
    add(
        "x (double x6, struct{float x3}, float, float)",
        void,
        vec![d, d, d, d, d, d, s_f3, f, f],
        None,
    );
    add("x (struct pci, struct psc)", p_ci, vec![p_ci, p_sc], None);
    add("x (int, al16, int, memb16)", void, vec![i, al16, i, memb16], None);
    add(
        "x (struct nest, struct d2, struct d2i)",
        s_nest,
        vec![s_nest, s_d2, s_i2],
        None,
    );
    add("x (union usf, union usd)", void, vec![u_sf, u_sd], None);
    let fpad = b.rec(
        RecordKind::Struct,
        "fpad",
        &[f],
        RecordAttrs {
            align_attr: Some(16),
            ..RecordAttrs::default()
        },
    );
    add("x aligned(16) struct{float}", fpad, vec![i, fpad, f], None);
    let fzf = b.rec_decls(
        RecordKind::Struct,
        "fzf",
        vec![
            FieldDecl::new("a", f),
            FieldDecl::bitfield(None, i, 0),
            FieldDecl::new("b", f),
        ],
        RecordAttrs::default(),
    );
    add("x struct{float a; int :0; float b}", fzf, vec![fzf], None);
    let fbits = b.rec_decls(
        RecordKind::Struct,
        "fbits",
        vec![FieldDecl::new("a", f), FieldDecl::bitfield(Some("b"), i, 5)],
        RecordAttrs::default(),
    );
    add("x struct{float a; int b:5}", fbits, vec![fbits, fbits], None);
    let al32 = b.rec(
        RecordKind::Struct,
        "al32",
        &[l],
        RecordAttrs {
            align_attr: Some(32),
            ..RecordAttrs::default()
        },
    );
    add(
        "x aligned(32) struct on the stack",
        al32,
        vec![l, l, l, l, l, l, i, al32, i],
        None,
    );
    let zw_u1 = b.rec_decls(
        RecordKind::Union,
        "zwu1",
        vec![FieldDecl::bitfield(None, i, 0), FieldDecl::new("f", f)],
        RecordAttrs::default(),
    );
    let zw_u2 = b.rec_decls(
        RecordKind::Union,
        "zwu2",
        vec![FieldDecl::bitfield(None, l, 0), FieldDecl::new("d", d)],
        RecordAttrs::default(),
    );
    let zw_s1 = b.rec_decls(
        RecordKind::Struct,
        "zws1",
        vec![FieldDecl::bitfield(None, i, 0), FieldDecl::new("f", f)],
        RecordAttrs::default(),
    );
    let zw_e = b.rec_decls(
        RecordKind::Union,
        "zwe",
        vec![FieldDecl::bitfield(None, sh, 0)],
        RecordAttrs::default(),
    );
    let zw_s2 = b.st("zws2", &[zw_e, dc]);
    add(
        "x zero-width bitfields: struct vs union",
        zw_u1,
        vec![zw_u1, zw_u2, zw_s1, zw_s2],
        None,
    );
    let u3 = b.arr(ui, 3);
    let u_x87 = b.un("ux87", &[ld, f, bo, u3]);
    let ul1 = b.arr(l, 1);
    let u_outer = b.un("uouter", &[ul1, u_x87]);
    let u_ldi = b.un("uldi", &[ld, u3]);
    let zi = b.rec_decls(
        RecordKind::Union,
        "zi",
        vec![FieldDecl::bitfield(None, ui, 0)],
        RecordAttrs::default(),
    );
    let h_c = b.st("hc", &[f, f, zi]);
    let h_d = b.st("hd", &[zi, f, f]);
    let h_s1 = b.st("hs1", &[dc, zi]);
    let h_s2 = b.st("hs2", &[fc, zw_e]);
    let h_s3 = b.st("hs3", &[zw_e, d]);
    add(
        "x size-0 unions of :0 and HFAs",
        void,
        vec![h_c, h_d, h_s1, h_s2, h_s3],
        None,
    );
    let bf16 = b.rec_decls(
        RecordKind::Struct,
        "bf16",
        vec![FieldDecl::bitfield(Some("x"), l, 16)],
        RecordAttrs::default(),
    );
    let bf4 = b.rec_decls(
        RecordKind::Struct,
        "bf4",
        vec![FieldDecl::bitfield(Some("x"), i, 4)],
        RecordAttrs::default(),
    );
    let p_g = b.packed("pg", &[c, bf16]);
    let p_h = b.packed("ph", &[i, bf16]);
    let p_b = b.packed("pb", &[c, bf4]);
    add(
        "x packed parents of mode-sized bitfields",
        void,
        vec![p_g, p_h, p_b],
        None,
    );
    add("x unions with long double", u_ldi, vec![u_outer, u_ldi, u_x87], None);
    let e_in = b.st("ein", &[empty, f, f]);
    add("x struct{struct{} e; float, float}", e_in, vec![e_in], None);
    add("x variadic all fixed", d, vec![d, i], Some(2));
    let s_ldld = b.st("sldld", &[ld, ld]);
    add("x struct{long double x2}", s_ldld, vec![s_ldld], None);
    let c10 = b.arr(c, 10);
    let s_c10 = b.st("c10", &[c10]);
    add(
        "x struct{char[10]} x5",
        s_c10,
        vec![s_c10, s_c10, s_c10, s_c10, s_c10],
        None,
    );
    let s_if = b.st("if_", &[i, f]);
    add(
        "x struct{int,float} after 8 floats",
        void,
        vec![f, f, f, f, f, f, f, f, s_if, s_f4, f],
        None,
    );
    // Regressions found by the generated runs.
    let tpad = b.rec_decls(
        RecordKind::Struct,
        "tpad",
        vec![
            FieldDecl::new("a", l),
            FieldDecl {
                align_attr: Some(16),
                ..FieldDecl::new("e", empty)
            },
        ],
        RecordAttrs::default(),
    );
    add(
        "x struct with trailing padding eightbyte, then longs (libffi closures count NO_CLASS)",
        tpad,
        vec![tpad, l, tpad, l, l, l, l],
        None,
    );
    let pld = b.rec_decls(
        RecordKind::Struct,
        "pld",
        vec![FieldDecl {
            packed: true,
            ..FieldDecl::new("x", ld)
        }],
        RecordAttrs::default(),
    );
    add(
        "x packed long double struct on the stack at an 8-aligned offset",
        pld,
        vec![l, l, l, l, l, l, l, pld, i, pld],
        None,
    );
    // AAPCS64 shapes libffi gets wrong or that stress the stage C rules
    // (issue 14; also run by the aarch64 build against compiled code).
    let big32 = b.st("big32", &[l, l, l, l]);
    add(
        "x aapcs64: ten 32-byte structs by value (copies' pointers on the stack)",
        l,
        vec![big32, big32, big32, big32, big32, big32, big32, big32, big32, big32, l],
        None,
    );
    add(
        "x aapcs64: __int128 after one int (even pair x2, x3)",
        l,
        vec![i, i128, l],
        None,
    );
    add(
        "x aapcs64: __int128 with one register left (stack, 16-aligned)",
        i128,
        vec![l, l, l, l, l, l, l, i128, l],
        None,
    );
    add(
        "x aapcs64: variadic __int128 after one named int",
        l,
        vec![i, i128, l],
        Some(1),
    );
    let hd3 = b.st("hd3", &[d, d, d]);
    add(
        "x aapcs64: HFA of 3 doubles after 6 doubles (wholly on the stack, NSRN = 8)",
        d,
        vec![d, d, d, d, d, d, hd3, d],
        None,
    );
    add(
        "x aapcs64: long double on the stack after 8 doubles",
        ld,
        vec![d, d, d, d, d, d, d, d, ld, i, ld],
        None,
    );
    // Shapes that only one test caught before (issue 18).
    let a16 = b.rec_decls(
        RecordKind::Struct,
        "a16stk",
        vec![FieldDecl::new("x", i128)],
        RecordAttrs::default(),
    );
    add(
        "x 16-aligned composite on the stack after an 8-byte slot (aarch64 C.14: 16-aligned NSAA)",
        a16,
        vec![l, l, l, l, l, l, l, l, i, a16, sc, a16],
        None,
    );
    let pka = b.rec_decls(
        RecordKind::Struct,
        "packal",
        vec![
            FieldDecl::new("c", c),
            FieldDecl {
                align_attr: Some(8),
                ..FieldDecl::new("x", i)
            },
            FieldDecl::new("s", sh),
        ],
        RecordAttrs {
            pragma_pack: Some(2),
            ..RecordAttrs::default()
        },
    );
    add(
        "x #pragma pack(2) capping an aligned(8) member, in registers and on the stack",
        pka,
        vec![pka, d, pka, l, l, l, l, pka, pka],
        None,
    );
    // Narrow signed and unsigned integers in registers, on the stack,
    // through `...`, and returned, on every tier.
    let narrow = vec![sc, uc, sh, ush, bo, c, sc, sh, uc, ush, sc];
    add("x narrow integers, signed char return", sc, narrow.clone(), None);
    add("x narrow integers, unsigned char return", uc, narrow.clone(), None);
    add("x narrow integers, short return", sh, narrow.clone(), None);
    add("x narrow integers, unsigned short return", ush, narrow.clone(), None);
    add("x narrow integers, _Bool return", bo, narrow.clone(), None);
    add("x narrow integers, char return", c, narrow[..4].to_vec(), None);
    add(
        "x narrow integers through ...",
        sc,
        vec![i, sc, uc, sh, ush, bo, c, f],
        Some(1),
    );
    v
}
