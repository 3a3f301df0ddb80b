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

/// Emits C definitions for every record reachable from `roots`,
/// dependencies first (the conformance generator's emitter).
pub fn c_defs(types: &Types, roots: &[TypeId]) -> String {
    let mut out = String::new();
    abicall_conformance::csrc::record_defs(types, roots, &mut HashSet::new(), &mut out);
    out
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
        // A GCC vector: its bytes as they are, all meaningful.
        TypeKind::Vector { .. } => {
            let n = types.size_of(ty).unwrap() as usize;
            for b in &mut mask[off..off + n] {
                *b = 0xff;
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

/// The signatures every oracle test checks: each row of docs/abi-cases.md plus
/// register exhaustion, merges, nesting, HFA unions, alignment, variadics
/// (the library's fixed conformance cases, [`abicall_conformance::fixed`]).
pub fn cases(b: &mut B) -> Vec<Case> {
    abicall_conformance::fixed::fixed_cases(&mut b.t)
        .into_iter()
        .map(|c| Case {
            name: c.name,
            ret: c.ret,
            args: c.args,
            fixed: c.fixed,
        })
        .collect()
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

/// Signatures with GCC vector types (docs/abi-cases.md row 33): every
/// vector size class alone, as a return value, in structs and unions (HVAs
/// on aarch64), misaligned in a packed struct, past register exhaustion,
/// on the stack and through `...`.
pub fn vector_cases(b: &mut B) -> Vec<Case> {
    use Prim::*;
    let mut v = Vec::new();
    let mut add = |name: &'static str, ret: TypeId, args: Vec<TypeId>, fixed: Option<usize>| {
        v.push(Case { name, ret, args, fixed })
    };
    let vec = |b: &mut B, p: Prim, n: u64| b.t.vector(p, n).unwrap();
    let (v2sf, v4sf, v2df, v4si, v16qu) = (
        vec(b, Float, 8),
        vec(b, Float, 16),
        vec(b, Double, 16),
        vec(b, Int, 16),
        vec(b, UChar, 16),
    );
    let (v2si, v8qi, v1df, v4hi) = (vec(b, Int, 8), vec(b, SChar, 8), vec(b, Double, 8), vec(b, Short, 8));
    let (v4qi, v2hi, v2qi, v1sf, v1si) = (
        vec(b, Char, 4),
        vec(b, Short, 4),
        vec(b, UChar, 2),
        vec(b, Float, 4),
        vec(b, Int, 4),
    );
    let (v8sf, v8si, v4df, v8df) = (
        vec(b, Float, 32),
        vec(b, Int, 32),
        vec(b, Double, 32),
        vec(b, Double, 64),
    );
    let (i, l, f, d, c) = (b.p(Int), b.p(Long), b.p(Float), b.p(Double), b.p(Char));
    let void = b.void();

    add("v 16-byte float vectors", v4sf, vec![v4sf, v4sf], None);
    add(
        "v 16-byte double vector around a double",
        v2df,
        vec![v2df, d, v2df],
        None,
    );
    add(
        "v 16-byte int vectors around an int",
        v4si,
        vec![v4si, i, v4si, v16qu],
        None,
    );
    add("v 8-byte float vectors", v2sf, vec![v2sf, v2sf, f], None);
    add("v 8-byte int vectors", v2si, vec![v2si, l, v8qi, v4hi], None);
    add("v 8-byte double vector", v1df, vec![v1df, v1df], None);
    add("v narrow int vectors", v4qi, vec![v4qi, v2hi, v2qi, i, v1si], None);
    add("v 4-byte float vector", v1sf, vec![v1sf, f, v1sf], None);
    let (v1xf, v1ti, v1di, v2xf) = (
        vec(b, LongDouble, 16),
        vec(b, Int128, 16),
        vec(b, Long, 8),
        vec(b, LongDouble, 32),
    );
    if b.t.target() == Target::X86_64SysV {
        // aarch64 refuses a 16-byte vector of one `long double` by value
        // (see `abi::aarch64`); x86_64 passes it in memory.
        add(
            "v one-element 16-byte vectors",
            v1xf,
            vec![v1xf, v1ti, v1xf, v1di],
            None,
        );
        add("v long double vectors", v2xf, vec![v2xf, v1xf], None);
    }
    add("v one-element __int128 vector", v1ti, vec![v1ti, v1di, v1ti], None);
    add("v 32-byte long double vector", v2xf, vec![v2xf, i], None);
    let s_v1d = b.st("sv1d", &[v1df]);
    add("v struct{v1df}", s_v1d, vec![s_v1d, d], None);
    add("v 32-byte vectors", v8sf, vec![v8sf, i, v8si], None);
    add("v 32-byte double vector", v4df, vec![v4df], None);
    add("v 64-byte vectors", v8df, vec![v8df, v8df, i], None);
    add("v 16-byte vectors past exhaustion", void, vec![v4sf; 10], None);
    add(
        "v 8-byte vectors past exhaustion",
        void,
        vec![v2sf, d, v2sf, d, v2sf, d, v2sf, d, v2sf, v2sf],
        None,
    );
    add(
        "v 32-byte vectors on the stack",
        void,
        vec![i, v8sf, d, v8si, v4sf],
        None,
    );

    let s_v4 = b.st("sv4", &[v4sf]);
    add("v struct{v4sf}", s_v4, vec![s_v4, d, s_v4], None);
    let s_2v2 = b.st("s2v2", &[v2sf, v2sf]);
    add("v struct{v2sf,v2sf}", s_2v2, vec![s_2v2, s_2v2], None);
    let s_v2ff = b.st("sv2ff", &[v2sf, f, f]);
    add("v struct{v2sf,float,float}", s_v2ff, vec![s_v2ff], None);
    let s_v2d = b.st("sv2d", &[v2sf, d]);
    add("v struct{v2sf,double}", s_v2d, vec![s_v2d], None);
    let s_2v4 = b.st("s2v4", &[v4sf, v4sf]);
    add("v struct{v4sf,v4sf}", s_2v4, vec![s_2v4, i], None);
    let s_4v4 = b.st("s4v4", &[v4sf, v4si, v2df, v16qu]);
    add("v struct of four 16-byte vectors", s_4v4, vec![s_4v4, s_4v4], None);
    let s_5v4 = b.st("s5v4", &[v4sf, v4sf, v4sf, v4sf, v4sf]);
    add("v struct of five 16-byte vectors", s_5v4, vec![s_5v4], None);
    let a_v2 = b.arr(v2sf, 3);
    let s_av2 = b.st("sav2", &[a_v2]);
    add("v struct{v2sf[3]}", s_av2, vec![s_av2, f], None);
    let s_mix = b.st("smix", &[v2sf, v4sf]);
    add("v struct{v2sf,v4sf}", s_mix, vec![s_mix], None);
    let u_vv = b.un("uvv", &[v4sf, v2df]);
    add("v union{v4sf,v2df}", u_vv, vec![u_vv, u_vv], None);
    let f4 = b.arr(f, 4);
    let u_vf = b.un("uvf", &[v4sf, f4]);
    add("v union{v4sf,float[4]}", u_vf, vec![u_vf], None);
    let u_vl = b.un("uvl", &[v2sf, l]);
    add("v union{v2sf,long}", u_vl, vec![u_vl], None);
    let s_vl = b.st("svl", &[v4si, l]);
    add("v struct{v4si,long}", s_vl, vec![s_vl, i], None);
    let s_lv = b.st("slv", &[l, v2si]);
    add("v struct{long,v2si}", s_lv, vec![s_lv], None);
    let s_iv = b.st("siv", &[i, v4qi]);
    add("v struct{int,v4qi}", s_iv, vec![s_iv], None);
    let p_v = b.packed("pv", &[c, v4sf]);
    add("v packed{char,v4sf}", p_v, vec![p_v, i], None);
    let p_v2 = b.packed("pv2", &[c, v2sf]);
    add("v packed{char,v2sf}", p_v2, vec![p_v2], None);
    let s_v8 = b.st("sv8", &[v8sf]);
    add("v struct{v8sf}", s_v8, vec![s_v8, i], None);
    add("v vectors through ...", i, vec![i, v4sf, v2df, d, v2sf, v4si], Some(1));
    // aarch64 gcc: a 4-byte float vector is stacked even with x registers
    // free, and the integers after it follow it to the stack (C.13).
    add(
        "v 4-byte float vectors among integers",
        v1sf,
        vec![i, v1sf, i, v1sf, f, l],
        None,
    );
    let s_v1sf = b.st("sv1sf", &[v1sf, v1sf]);
    add("v struct{v1sf,v1sf}", s_v1sf, vec![s_v1sf, v1sf, s_v1sf], None);
    v
}
