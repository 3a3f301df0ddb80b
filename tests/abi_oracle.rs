//! The compiler as the oracle for call plans.
//!
//! For every signature in [`cases`], C code compiled by gcc (x86_64) or
//! aarch64-linux-gnu-gcc (run under qemu-aarch64-static) calls
//!
//! - an assembly stub `dump` through a function pointer of that type, with a
//!   distinctive byte pattern in every argument; the stub saves all argument
//!   registers (and `al`, `x8`) and the first 256 bytes of the stack
//!   arguments. The test checks that every part of the plan finds exactly its
//!   bytes at the predicted location, that the parts cover every meaningful
//!   byte, that narrow integers are extended where the plan says so, and that
//!   indirect arguments point to a copy of the value;
//! - an assembly stub `retstub` returning a known register image (or, when
//!   the plan says the result is returned through memory, writing it through
//!   the hidden pointer); the test checks that the C caller finds the value
//!   in the bytes the plan says.

mod abi_support;

use abi_support::{c_defs, pattern, require_tool, B};
use abicall::abi::{CallPlan, Ext, Loc, Pass};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

/// One signature: return type, argument types, number of named parameters
/// (`None`: not variadic).
struct Case {
    name: &'static str,
    ret: TypeId,
    args: Vec<TypeId>,
    fixed: Option<usize>,
}

fn cases(b: &mut B) -> Vec<Case> {
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

// ---------------------------------------------------------------------------
// Assembly stubs.

const X86_STUBS: &str = r#"
    .text
    .globl dump
dump:
    movq %rdi, regs+0(%rip)
    movq %rsi, regs+8(%rip)
    movq %rdx, regs+16(%rip)
    movq %rcx, regs+24(%rip)
    movq %r8, regs+32(%rip)
    movq %r9, regs+40(%rip)
    movq %rax, regs+48(%rip)
    movdqu %xmm0, regs+56(%rip)
    movdqu %xmm1, regs+72(%rip)
    movdqu %xmm2, regs+88(%rip)
    movdqu %xmm3, regs+104(%rip)
    movdqu %xmm4, regs+120(%rip)
    movdqu %xmm5, regs+136(%rip)
    movdqu %xmm6, regs+152(%rip)
    movdqu %xmm7, regs+168(%rip)
    leaq 8(%rsp), %rsi
    leaq stk(%rip), %rdi
    movl $256, %ecx
    rep movsb
    ret

    .globl retstub
retstub:
    movl mode(%rip), %eax
    cmpl $1, %eax
    je 1f
    movq rimg+0(%rip), %rax
    movq rimg+8(%rip), %rdx
    movdqu rimg+16(%rip), %xmm0
    movdqu rimg+32(%rip), %xmm1
    cmpl $2, mode(%rip)
    jl 3f
    je 2f
    fldt rimg+64(%rip)
2:  fldt rimg+48(%rip)
3:  ret
1:  movq %rdi, %rax
    leaq rimg(%rip), %rsi
    movq retsize(%rip), %rcx
    rep movsb
    ret
    .section .note.GNU-stack,"",@progbits
"#;

const A64_STUBS: &str = r#"
    .text
    .globl dump
dump:
    adrp x9, regs
    add x9, x9, :lo12:regs
    stp x0, x1, [x9]
    stp x2, x3, [x9, 16]
    stp x4, x5, [x9, 32]
    stp x6, x7, [x9, 48]
    str x8, [x9, 64]
    stp q0, q1, [x9, 80]
    stp q2, q3, [x9, 112]
    stp q4, q5, [x9, 144]
    stp q6, q7, [x9, 176]
    adrp x10, stk
    add x10, x10, :lo12:stk
    mov x11, sp
    mov x12, 0
1:  ldr x13, [x11, x12]
    str x13, [x10, x12]
    add x12, x12, 8
    cmp x12, 256
    b.lt 1b
    ret

    .globl retstub
retstub:
    adrp x9, mode
    ldr w9, [x9, :lo12:mode]
    adrp x10, rimg
    add x10, x10, :lo12:rimg
    cmp w9, 1
    b.eq 1f
    ldp x0, x1, [x10]
    ldp q0, q1, [x10, 16]
    ldp q2, q3, [x10, 48]
    ret
1:  adrp x11, retsize
    ldr x11, [x11, :lo12:retsize]
    mov x12, 0
2:  cmp x12, x11
    b.ge 3f
    ldrb w13, [x10, x12]
    strb w13, [x8, x12]
    add x12, x12, 1
    b 2b
3:  ret
    .section .note.GNU-stack,"",@progbits
"#;

/// Register dump layout: (offset of GPR n, offset of FPR n, offset of `al`).
fn dump_layout(target: Target) -> (usize, usize, usize) {
    match target {
        Target::X86_64SysV => (0, 56, 48),
        _ => (0, 80, usize::MAX),
    }
}

/// Return image layout: (GPR n, FPR n, st n).
fn ret_layout(target: Target) -> (usize, usize, usize) {
    match target {
        Target::X86_64SysV => (0, 16, 48),
        _ => (0, 16, usize::MAX),
    }
}

fn rimg(target: Target) -> Vec<u8> {
    let mut v: Vec<u8> = (0..96u32).map(|k| (0x5a + k * 0x0d) as u8).collect();
    if target == Target::X86_64SysV {
        for (n, base) in [48usize, 64].iter().enumerate() {
            let m: u64 = (1u64 << 63) | ((n as u64 + 3) << 48) | 0xabcd;
            v[*base..*base + 8].copy_from_slice(&m.to_le_bytes());
            v[*base + 8..*base + 10].copy_from_slice(&0x3ffeu16.to_le_bytes());
        }
    }
    v
}

fn c_bytes(b: &[u8]) -> String {
    let mut s = String::from("{");
    for x in b {
        let _ = write!(s, "{x},");
    }
    if b.is_empty() {
        s.push('0');
    }
    s.push('}');
    s
}

fn is_sret(p: &CallPlan) -> bool {
    matches!(p.ret.pass, Pass::Indirect { .. })
}

fn ret_mode(p: &CallPlan) -> u32 {
    if is_sret(p) {
        return 1;
    }
    let parts = p.ret.parts();
    if parts.iter().any(|q| q.loc == Loc::X87(1)) {
        3
    } else if parts.iter().any(|q| q.loc == Loc::X87(0)) {
        2
    } else {
        0
    }
}

/// Generates the C program for all cases.
fn c_program(types: &mut Types, cases: &[Case], plans: &[CallPlan]) -> String {
    let target = types.target();
    let mut roots: Vec<TypeId> = Vec::new();
    for c in cases {
        roots.push(c.ret);
        roots.extend(&c.args);
    }
    let mut s = String::from(
        "#include <stdio.h>\n#include <string.h>\n#include <stdint.h>\n\
         unsigned char regs[208]; unsigned char stk[256]; unsigned char rimg[96];\n\
         unsigned int mode; unsigned long retsize;\n\
         void dump(void); void retstub(void);\n\
         static void hex(const void *p, unsigned long n) { const unsigned char *b = p; \
         for (unsigned long i = 0; i < n; i++) printf(\"%02x\", b[i]); }\n\
         __attribute__((noinline)) static int ind(uintptr_t p, const unsigned char *pat, \
         const unsigned char *mask, unsigned long n) { char here; uintptr_t h = (uintptr_t)&here; \
         if (p < h - 65536 || p > h + 65536) return 0; const unsigned char *q = (const unsigned char *)p; \
         for (unsigned long i = 0; i < n; i++) if ((q[i] ^ pat[i]) & mask[i]) return 0; return 1; }\n",
    );
    s.push_str(&c_defs(types, &roots));
    let img = rimg(target);
    let _ = writeln!(s, "static const unsigned char rimg_init[96] = {};", c_bytes(&img));
    let mut main = String::from("int main(void) {\n  memcpy(rimg, rimg_init, 96);\n");
    for (n, (c, plan)) in cases.iter().zip(plans).enumerate() {
        // Argument side.
        let fixed = c.fixed.unwrap_or(c.args.len());
        let fty = types.func(c.ret, c.args[..fixed].to_vec(), c.fixed.is_some());
        let fptr = types.pointer(fty);
        let _ = writeln!(s, "static void case{n}(void) {{ /* {} */", c.name);
        let _ = writeln!(s, "  typedef {};", types.declare(fptr, "fn_t"));
        let mut call_args = Vec::new();
        for (k, &a) in c.args.iter().enumerate() {
            let (pat, mask) = pattern(types, a, k as u32);
            let _ = writeln!(s, "  static const unsigned char p{k}[] = {};", c_bytes(&pat));
            let _ = writeln!(s, "  static const unsigned char m{k}[] = {};", c_bytes(&mask));
            let _ = writeln!(
                s,
                "  {}; memcpy(&a{k}, p{k}, sizeof a{k});",
                types.declare(a, &format!("a{k}"))
            );
            call_args.push(format!("a{k}"));
        }
        let _ = writeln!(s, "  memset(regs, 0, sizeof regs); memset(stk, 0, sizeof stk);");
        let _ = writeln!(s, "  ((fn_t)(void *)dump)({});", call_args.join(", "));
        // Indirect arguments: check the copy right away, before anything reuses the stack.
        let mut inds = Vec::new();
        let (gpr_off, _, _) = dump_layout(target);
        for (k, a) in plan.args.iter().enumerate() {
            if let Pass::Indirect { ptr, .. } = a.pass {
                let src = match ptr {
                    Loc::Gpr(r) => format!("regs + {}", gpr_off + 8 * r as usize),
                    Loc::Stack(o) => format!("stk + {o}"),
                    _ => panic!("indirect pointer in {ptr:?}"),
                };
                let _ = writeln!(
                    s,
                    "  uintptr_t ip{k}; memcpy(&ip{k}, {src}, 8); int ok{k} = ind(ip{k}, p{k}, m{k}, sizeof a{k});"
                );
                inds.push(k);
            }
        }
        let _ = writeln!(
            s,
            "  printf(\"A{n} \"); hex(regs, sizeof regs); printf(\" \"); hex(stk, sizeof stk);"
        );
        for k in inds {
            let _ = writeln!(s, "  printf(\" I{k}=%d\", ok{k});");
        }
        let _ = writeln!(s, "  printf(\"\\n\");\n}}");
        let _ = writeln!(main, "  case{n}();");
        // Return side.
        if plan.ret.size > 0 {
            let rty = types.func(c.ret, vec![], false);
            let rptr = types.pointer(rty);
            let _ = writeln!(s, "static void rcase{n}(void) {{");
            let _ = writeln!(s, "  typedef {};", types.declare(rptr, "rf_t"));
            let _ = writeln!(s, "  mode = {}; retsize = {};", ret_mode(plan), plan.ret.size);
            let _ = writeln!(s, "  {} = ((rf_t)(void *)retstub)();", types.declare(c.ret, "r"));
            let _ = writeln!(s, "  printf(\"R{n} \"); hex(&r, sizeof r); printf(\"\\n\");\n}}");
            let _ = writeln!(main, "  rcase{n}();");
        }
    }
    main.push_str("  return 0;\n}\n");
    s.push_str(&main);
    s
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("abicall-abi-oracle-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn compile_and_run(target: Target, c: &str) -> String {
    let dir = tmpdir(target.name());
    let cfile = dir.join("t.c");
    let sfile = dir.join("stubs.s");
    let exe = dir.join("t");
    std::fs::write(&cfile, c).unwrap();
    let (cc, pkg, stubs) = match target {
        Target::X86_64SysV => ("gcc", "gcc", X86_STUBS),
        _ => ("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu", A64_STUBS),
    };
    require_tool(cc, pkg);
    std::fs::write(&sfile, stubs).unwrap();
    let mut cmd = Command::new(cc);
    cmd.args(["-O2", "-w", "-o"]).arg(&exe).arg(&cfile).arg(&sfile);
    if target != Target::X86_64SysV {
        cmd.arg("-static");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cc} failed:\n{}\n(source in {})",
        String::from_utf8_lossy(&out.stderr),
        cfile.display()
    );
    let run = if target == Target::X86_64SysV {
        Command::new(&exe).output().unwrap()
    } else {
        require_tool("qemu-aarch64-static", "qemu-user-static");
        Command::new("qemu-aarch64-static").arg(&exe).output().unwrap()
    };
    assert!(run.status.success(), "oracle program failed: {:?}", run);
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(run.stdout).unwrap()
}

fn check_target(target: Target) {
    if target != Target::X86_64SysV && target != Target::Aarch64Linux {
        unreachable!();
    }
    let mut b = B::new(target);
    let cases = cases(&mut b);
    let plans: Vec<CallPlan> = cases
        .iter()
        .map(|c| match c.fixed {
            Some(n) => b.vplan(c.ret, &c.args, n),
            None => b.plan(c.ret, &c.args),
        })
        .collect();
    if std::env::var_os("ABICALL_PRINT_PLANS").is_some() {
        for (c, p) in cases.iter().zip(&plans) {
            eprintln!("== {} ({target})\n{}", c.name, p.to_snapshot(&b.t));
        }
    }
    let prog = c_program(&mut b.t, &cases, &plans);
    let out = compile_and_run(target, &prog);
    let types = &b.t;
    let (gpr, fpr, al_off) = dump_layout(target);
    let (rgpr, rfpr, rst) = ret_layout(target);
    let img = rimg(target);
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in out.lines() {
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap();
        let n: usize = tag[1..].parse().unwrap();
        let (case, plan) = (&cases[n], &plans[n]);
        let snap = plan.to_snapshot(types);
        let mut fail = |what: String| failures.push(format!("[{}] {}: {what}\nplan:\n{snap}", target, case.name));
        if tag.starts_with('A') {
            let regs = unhex(words.next().unwrap());
            let stk = unhex(words.next().unwrap());
            let inds: Vec<&str> = words.collect();
            for (k, a) in plan.args.iter().enumerate() {
                let (pat, mask) = pattern_promoted(types, case.args[k], a.promoted, k as u32);
                match &a.pass {
                    Pass::Indirect { .. } => {
                        if !inds.contains(&format!("I{k}=1").as_str()) {
                            fail(format!("arg{k}: no copy of the value behind the indirect pointer"));
                        }
                    }
                    Pass::Direct(parts) => {
                        let mut covered = vec![0u8; pat.len()];
                        for p in parts {
                            let (src, at): (&[u8], usize) = match p.loc {
                                Loc::Gpr(r) => (&regs, gpr + 8 * r as usize),
                                Loc::Fpr(r) => (&regs, fpr + 16 * r as usize),
                                Loc::Stack(o) => (&stk, o as usize),
                                Loc::X87(_) => {
                                    fail(format!("arg{k}: x87 register for an argument"));
                                    continue;
                                }
                            };
                            for c in &mut covered[p.offset as usize..(p.offset + p.size) as usize] {
                                *c = 0xff;
                            }
                            for j in 0..p.size as usize {
                                let want = pat[p.offset as usize + j];
                                let m = mask[p.offset as usize + j];
                                if (src[at + j] ^ want) & m != 0 {
                                    fail(format!(
                                        "arg{k}: byte {} expected {want:02x} at {:?}+{j}, found {:02x}",
                                        p.offset as usize + j,
                                        p.loc,
                                        src[at + j]
                                    ));
                                    break;
                                }
                            }
                            if p.ext != Ext::None && p.size < 4 {
                                let top = src[at + p.size as usize - 1];
                                let fillb = if p.ext == Ext::Sign32 && top & 0x80 != 0 {
                                    0xff
                                } else {
                                    0
                                };
                                if src[at + p.size as usize..at + 4].iter().any(|&x| x != fillb) {
                                    fail(format!("arg{k}: not extended to 32 bits as {:?}", p.ext));
                                }
                            }
                        }
                        for j in 0..pat.len() {
                            if mask[j] != 0 && covered[j] == 0 {
                                fail(format!("arg{k}: byte {j} is in no part"));
                                break;
                            }
                        }
                    }
                }
            }
            if let Some(al) = plan.al {
                if regs[al_off] != al {
                    fail(format!("al = {} but the plan says {al}", regs[al_off]));
                }
            }
        } else {
            let got = unhex(words.next().unwrap_or(""));
            let (_, mask) = pattern(types, case.ret, 0);
            match &plan.ret.pass {
                Pass::Indirect { .. } => {
                    for j in 0..got.len() {
                        if (got[j] ^ img[j]) & mask[j] != 0 {
                            fail(format!("ret: byte {j} not written through the hidden pointer"));
                            break;
                        }
                    }
                }
                Pass::Direct(parts) => {
                    let mut covered = vec![0u8; got.len()];
                    for p in parts {
                        let at = match p.loc {
                            Loc::Gpr(r) => rgpr + 8 * r as usize,
                            Loc::Fpr(r) => rfpr + 16 * r as usize,
                            Loc::X87(r) => rst + 16 * r as usize,
                            Loc::Stack(_) => {
                                fail("ret: on the stack".into());
                                continue;
                            }
                        };
                        for c in &mut covered[p.offset as usize..(p.offset + p.size) as usize] {
                            *c = 0xff;
                        }
                        for j in 0..p.size as usize {
                            let o = p.offset as usize + j;
                            if (got[o] ^ img[at + j]) & mask[o] != 0 {
                                fail(format!(
                                    "ret: byte {o} expected {:02x} from {:?}+{j}, found {:02x}",
                                    img[at + j],
                                    p.loc,
                                    got[o]
                                ));
                                break;
                            }
                        }
                    }
                    for j in 0..got.len() {
                        if mask[j] != 0 && covered[j] == 0 {
                            fail(format!("ret: byte {j} is in no part"));
                            break;
                        }
                    }
                }
            }
        }
        checked += 1;
    }
    let expected: usize = plans.len() + plans.iter().filter(|p| p.ret.size > 0).count();
    assert_eq!(checked, expected, "oracle output incomplete:\n{out}");
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The pattern of a (possibly promoted) argument as the callee receives it.
fn pattern_promoted(types: &Types, declared: TypeId, promoted: Option<Prim>, k: u32) -> (Vec<u8>, Vec<u8>) {
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

#[test]
fn oracle_x86_64_gcc() {
    check_target(Target::X86_64SysV);
}

#[test]
fn oracle_aarch64_linux_gcc() {
    check_target(Target::Aarch64Linux);
}
