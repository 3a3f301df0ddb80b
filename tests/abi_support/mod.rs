//! Shared helpers for the call-plan tests: a terse type builder, and the C
//! spelling of built types (for the compiler-oracle tests).
#![allow(dead_code)]

pub mod oracle;

use abicall::abi::{self, CallPlan};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, TypeKind, Types};
use abicall::Target;
use std::collections::HashSet;

/// A type table plus shorthands.
pub struct B {
    pub t: Types,
    n: u32,
}

impl B {
    pub fn new(target: Target) -> B {
        B {
            t: Types::new(target),
            n: 0,
        }
    }
    pub fn p(&mut self, p: Prim) -> TypeId {
        self.t.prim(p)
    }
    pub fn ptr(&mut self, to: TypeId) -> TypeId {
        self.t.pointer(to)
    }
    pub fn arr(&mut self, elem: TypeId, n: u64) -> TypeId {
        self.t.array(elem, Some(n))
    }
    fn tag(&mut self, tag: &str) -> String {
        self.n += 1;
        if tag.is_empty() {
            format!("s{}", self.n)
        } else {
            tag.to_string()
        }
    }
    /// `struct tag { T0 f0; T1 f1; ... }`.
    pub fn st(&mut self, tag: &str, fields: &[TypeId]) -> TypeId {
        self.rec(RecordKind::Struct, tag, fields, RecordAttrs::default())
    }
    /// `union tag { ... }`.
    pub fn un(&mut self, tag: &str, fields: &[TypeId]) -> TypeId {
        self.rec(RecordKind::Union, tag, fields, RecordAttrs::default())
    }
    /// `struct __attribute__((packed)) tag { ... }`.
    pub fn packed(&mut self, tag: &str, fields: &[TypeId]) -> TypeId {
        let attrs = RecordAttrs {
            packed: true,
            ..RecordAttrs::default()
        };
        self.rec(RecordKind::Struct, tag, fields, attrs)
    }
    pub fn rec(&mut self, kind: RecordKind, tag: &str, fields: &[TypeId], attrs: RecordAttrs) -> TypeId {
        let decls = fields
            .iter()
            .enumerate()
            .map(|(i, &t)| FieldDecl::new(&format!("f{i}"), t))
            .collect();
        self.rec_decls(kind, tag, decls, attrs)
    }
    pub fn rec_decls(&mut self, kind: RecordKind, tag: &str, decls: Vec<FieldDecl>, attrs: RecordAttrs) -> TypeId {
        let tag = self.tag(tag);
        self.t.define_record(kind, Some(&tag), decls, attrs).unwrap()
    }
    pub fn void(&mut self) -> TypeId {
        self.t.prim(Prim::Void)
    }
    pub fn plan(&self, ret: TypeId, args: &[TypeId]) -> CallPlan {
        abi::plan_call(&self.t, ret, args, args.len(), false).unwrap()
    }
    pub fn vplan(&self, ret: TypeId, args: &[TypeId], fixed: usize) -> CallPlan {
        abi::plan_call(&self.t, ret, args, fixed, true).unwrap()
    }
    /// Snapshot of a non-variadic call.
    pub fn snap(&self, ret: TypeId, args: &[TypeId]) -> String {
        self.plan(ret, args).to_snapshot(&self.t)
    }
    /// Snapshot of a variadic call with `fixed` named parameters.
    pub fn vsnap(&self, ret: TypeId, args: &[TypeId], fixed: usize) -> String {
        self.vplan(ret, args, fixed).to_snapshot(&self.t)
    }
}

/// Emits C definitions for every record reachable from `roots`, dependencies first.
pub fn c_defs(types: &Types, roots: &[TypeId]) -> String {
    let mut out = String::new();
    let mut done = HashSet::new();
    for &r in roots {
        emit(types, r, &mut done, &mut out);
    }
    out
}

fn emit(types: &Types, ty: TypeId, done: &mut HashSet<TypeId>, out: &mut String) {
    match types.kind(ty) {
        TypeKind::Pointer(p) => emit(types, *p, done, out),
        TypeKind::Array { elem, .. } => emit(types, *elem, done, out),
        TypeKind::Record(_) => {
            if !done.insert(ty) {
                return;
            }
            let rec = types.record_of(ty).unwrap().clone();
            for d in &rec.decls {
                emit(types, d.ty, done, out);
            }
            let mut attrs = Vec::new();
            if rec.attrs.packed {
                attrs.push("packed".to_string());
            }
            if let Some(a) = rec.attrs.align_attr {
                attrs.push(format!("aligned({a})"));
            }
            if let Some(n) = rec.attrs.pragma_pack {
                out.push_str(&format!("#pragma pack(push, {n})\n"));
            }
            out.push_str(rec.kind.keyword());
            if !attrs.is_empty() {
                out.push_str(&format!(" __attribute__(({}))", attrs.join(", ")));
            }
            out.push_str(&format!(" {} {{ ", rec.tag.as_deref().expect("records need tags")));
            for d in &rec.decls {
                out.push_str(&types.declare(d.ty, d.name.as_deref().unwrap_or("")));
                if let Some(w) = d.bit_width {
                    out.push_str(&format!(" : {w}"));
                }
                if d.packed {
                    out.push_str(" __attribute__((packed))");
                }
                if let Some(a) = d.align_attr {
                    out.push_str(&format!(" __attribute__((aligned({a})))"));
                }
                out.push_str("; ");
            }
            out.push_str("};\n");
            if rec.attrs.pragma_pack.is_some() {
                out.push_str("#pragma pack(pop)\n");
            }
        }
        _ => {}
    }
}

/// A byte pattern for a value of type `ty` (argument number `seed`) and the
/// mask of the bits that carry meaning (padding and the x87 pad bytes are 0).
/// Floating-point leaves get ordinary finite values so that conversions
/// (variadic `float` → `double`) are exact.
pub fn pattern(types: &Types, ty: TypeId, seed: u32) -> (Vec<u8>, Vec<u8>) {
    let size = types.size_of(ty).unwrap() as usize;
    let mut bytes: Vec<u8> = (0..size)
        .map(|k| (0x11u32.wrapping_mul(seed + 1).wrapping_add(k as u32 * 0x0b) & 0xff) as u8)
        .collect();
    let mut mask = vec![0u8; size];
    let mut leaf = 0u32;
    walk(types, ty, 0, seed, &mut leaf, &mut bytes, &mut mask);
    (bytes, mask)
}

fn walk(types: &Types, ty: TypeId, off: usize, seed: u32, leaf: &mut u32, bytes: &mut [u8], mask: &mut [u8]) {
    let target = types.target();
    let prim = match types.kind(ty) {
        TypeKind::Pointer(_) => Some(Prim::ULong),
        _ => types.as_prim(ty),
    };
    if let Some(p) = prim {
        *leaf += 1;
        let v = 1.5 + seed as f64 * 0.25 + *leaf as f64 * 0.03125;
        let size = p.size_align(target).0 as usize;
        let (parts, psize) = if p.is_complex() { (2, size / 2) } else { (1, size) };
        for i in 0..parts {
            let o = off + i * psize;
            let v = v + i as f64;
            let real = if p.is_complex() {
                match p {
                    Prim::FloatComplex => Prim::Float,
                    Prim::DoubleComplex => Prim::Double,
                    _ => Prim::LongDouble,
                }
            } else {
                p
            };
            match real {
                Prim::Float => bytes[o..o + 4].copy_from_slice(&(v as f32).to_le_bytes()),
                Prim::Double => bytes[o..o + 8].copy_from_slice(&v.to_le_bytes()),
                Prim::LongDouble => match target.long_double_format() {
                    abicall::target::LongDoubleFormat::Double => bytes[o..o + 8].copy_from_slice(&v.to_le_bytes()),
                    abicall::target::LongDoubleFormat::X87Extended => {
                        // 1.xxx: explicit integer bit set, exponent 0x3fff.
                        let m: u64 = (1u64 << 63) | ((*leaf as u64 + seed as u64 * 16) << 40) | 0x1234;
                        bytes[o..o + 8].copy_from_slice(&m.to_le_bytes());
                        bytes[o + 8..o + 10].copy_from_slice(&0x3fffu16.to_le_bytes());
                        for b in &mut mask[o..o + 10] {
                            *b = 0xff;
                        }
                        continue;
                    }
                    abicall::target::LongDoubleFormat::Binary128 => {
                        bytes[o + 14..o + 16].copy_from_slice(&0x3fffu16.to_le_bytes());
                    }
                },
                Prim::Bool => bytes[o] = 1,
                _ => {}
            }
            for b in &mut mask[o..o + psize] {
                *b = 0xff;
            }
        }
        return;
    }
    match types.kind(ty) {
        TypeKind::Array { elem, len: Some(n) } => {
            let es = types.size_of(*elem).unwrap() as usize;
            for i in 0..*n as usize {
                walk(types, *elem, off + i * es, seed, leaf, bytes, mask);
            }
        }
        TypeKind::Record(_) => {
            let rec = types.record_of(ty).unwrap();
            for f in &rec.fields {
                match f.bit {
                    Some(b) => {
                        let first = off * 8 + f.bit_pos() as usize;
                        for bit in first..first + b.bit_width as usize {
                            mask[bit / 8] |= 1 << (bit % 8);
                        }
                    }
                    None => walk(types, f.ty, off + f.offset as usize, seed, leaf, bytes, mask),
                }
            }
        }
        _ => {}
    }
}

/// Fails with the install command when a tool is missing.
pub fn require_tool(tool: &str, package: &str) {
    let ok = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "{tool} not found: run `apt-get install -y {package}`");
}

/// One signature: return type, argument types, number of named parameters
/// (`None`: not variadic).
pub struct Case {
    pub name: &'static str,
    pub ret: TypeId,
    pub args: Vec<TypeId>,
    pub fixed: Option<usize>,
}

/// The signatures every oracle test checks: each row of abi-cases.md plus
/// register exhaustion, merges, nesting, HFA unions, alignment, variadics.
pub fn cases(b: &mut B) -> Vec<Case> {
    use Prim::*;
    let mut v = Vec::new();
    let mut add = |name: &'static str, ret: TypeId, args: Vec<TypeId>, fixed: Option<usize>| {
        v.push(Case { name, ret, args, fixed })
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
    v
}

/// The pattern of a (possibly promoted) argument as the callee receives it.
pub fn pattern_promoted(types: &Types, declared: TypeId, promoted: Option<Prim>, k: u32) -> (Vec<u8>, Vec<u8>) {
    let (pat, mask) = pattern(types, declared, k);
    match promoted {
        None => (pat, mask),
        Some(Prim::Double) => {
            let f = f32::from_le_bytes(pat[..4].try_into().unwrap());
            ((f as f64).to_le_bytes().to_vec(), vec![0xff; 8])
        }
        Some(_) => {
            // Integer promotion to int: sign- or zero-extend the declared value.
            let p = types.as_prim(declared).unwrap();
            let v: i64 = match (pat.len(), p.is_signed(types.target())) {
                (1, true) => pat[0] as i8 as i64,
                (1, false) => pat[0] as i64,
                (2, true) => i16::from_le_bytes([pat[0], pat[1]]) as i64,
                _ => u16::from_le_bytes([pat[0], pat[1]]) as i64,
            };
            ((v as i32).to_le_bytes().to_vec(), vec![0xff; 4])
        }
    }
}
