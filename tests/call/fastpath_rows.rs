//! The JIT tier and the fast path against the libffi path and the C
//! fixtures' known answers: every abi-cases row type that fits in
//! registers or ≤ 8 stack slots, narrow returns with dirty upper bits,
//! variadics, stack arguments, x87 results (x86_64: JIT and libffi only),
//! binary128 `long double` in `q` registers (aarch64). The rows were chosen
//! for x86_64 (comments say where each value goes there); on aarch64 Linux
//! the same C calls run through the AAPCS64 fast path (other registers,
//! composites over 16 bytes by reference to a copy, results over 16 bytes
//! through `x8`). Each call runs through every tier; the bytes must agree,
//! and the fixtures' `_arg` functions (C comparing member by member) must
//! accept what `_ret` returned. On other hosts every test is listed as
//! ignored, with the reason.
#![cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    allow(dead_code, unused_imports)
)]

use crate::support::fixtures;

use abicall::call::{RawCall, Tier};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::Target;
use std::ffi::{c_void, CStr};
use std::sync::OnceLock;

fn lib() -> &'static libloading::Library {
    static LIB: OnceLock<libloading::Library> = OnceLock::new();
    // SAFETY: the fixture library has no unsafe initialisers.
    LIB.get_or_init(|| unsafe { libloading::Library::new(fixtures::fixtures_so()).unwrap() })
}

fn sym_in(lib: &libloading::Library, name: &str) -> *const c_void {
    // SAFETY: only the address is taken.
    unsafe {
        *lib.get::<*const c_void>(name.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

fn sym(name: &str) -> *const c_void {
    sym_in(lib(), name)
}

fn last_error() -> String {
    let f: extern "C" fn() -> *const std::ffi::c_char =
        // SAFETY: `const char *fx_last_error_msg(void)`.
        unsafe { std::mem::transmute(sym("fx_last_error_msg")) };
    // SAFETY: a NUL-terminated per-thread buffer.
    unsafe { CStr::from_ptr(f()) }.to_string_lossy().into_owned()
}

/// Whether the JIT tier is expected on this host (x86_64 and aarch64
/// Linux, unless executable memory is refused on purpose).
fn jit_expected() -> bool {
    cfg!(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        target_os = "linux"
    )) && std::env::var("ABICALL_JIT_MEMORY").as_deref() != Ok("none")
}

/// Integer argument registers of the host ABI (x86_64 6, AAPCS64 8).
const GPRS: usize = if cfg!(target_arch = "x86_64") { 6 } else { 8 };

/// Calls `name` with `args` through the JIT, the fast path and libffi,
/// asserts the JIT and fast path were taken and all results agree; returns them.
fn both_in(
    lib: &libloading::Library,
    t: &Types,
    name: &str,
    func: TypeId,
    va: &[TypeId],
    args: &[*const c_void],
) -> Vec<u8> {
    // SAFETY: the fixture's declaration matches `func` (abi_cases.h).
    let mut c = unsafe { RawCall::new(t, func, va, sym_in(lib, name), None) }.unwrap();
    c.set_fast_path(true);
    assert!(
        c.uses_fast_path(),
        "{name}: plan not eligible:\n{}",
        c.plan().to_snapshot(t)
    );
    assert_eq!(c.tier(), Tier::Fast);
    let n = c.ret_size();
    let mut fast = vec![0u8; n.max(1)];
    // SAFETY: args point to values of the planned types; buffer of ret_size.
    unsafe { c.call(args, fast.as_mut_ptr() as *mut c_void) }.unwrap();
    assert_eq!(c.has_tier(Tier::Jit), jit_expected(), "{name}: JIT tier");
    if jit_expected() {
        c.set_tier(Tier::Jit).unwrap();
        assert!(c.uses_fast_path());
        let mut jit = vec![0u8; n.max(1)];
        // SAFETY: as above.
        unsafe { c.call(args, jit.as_mut_ptr() as *mut c_void) }.unwrap();
        assert_eq!(jit, fast, "{name}: JIT and fast path disagree");
    }
    c.set_fast_path(false);
    assert!(!c.uses_fast_path());
    let mut slow = vec![0u8; n.max(1)];
    // SAFETY: args point to values of the planned types; `slow` has ret_size bytes.
    unsafe { c.call(args, slow.as_mut_ptr() as *mut c_void) }.unwrap();
    assert_eq!(fast, slow, "{name}: fast path and libffi disagree");
    // The same call through an argument frame, on every tier.
    for tier in Tier::ALL {
        if c.set_tier(tier).is_err() {
            continue;
        }
        let mut frame = c.frame().unwrap();
        for (i, &a) in args.iter().enumerate() {
            let slot = frame.arg_mut(i).unwrap();
            // SAFETY: `a` points to a value of the argument's declared type,
            // whose size the slot has.
            slot.copy_from_slice(unsafe { std::slice::from_raw_parts(a as *const u8, slot.len()) });
        }
        assert!(frame.arg_mut(args.len()).is_none());
        let mut out = vec![0u8; n.max(1)];
        // SAFETY: every slot written; buffer of ret_size.
        unsafe { frame.call(out.as_mut_ptr() as *mut c_void) }.unwrap();
        assert_eq!(out, fast, "{name}: argument frame on the {tier} tier disagrees");
        // The same through a caller-owned frame (as an interpreter keeps on its stack).
        let (offsets, size) = c.frame_layout().unwrap();
        let mut own = vec![0u128; size / 16];
        let base = own.as_mut_ptr() as *mut u8;
        for (i, (&a, &o)) in args.iter().zip(offsets).enumerate() {
            let len = c.frame_arg_size(i).unwrap();
            // SAFETY: `a` points to `len` bytes of the argument's declared
            // type; the slot at `o` has room for them (layout).
            unsafe { std::ptr::copy_nonoverlapping(a as *const u8, base.add(o as usize), len) };
        }
        assert!(c.frame_arg_size(args.len()).is_none());
        let mut out = vec![0u8; n.max(1)];
        // SAFETY: a 16-aligned frame with every argument; buffer of ret_size.
        unsafe { c.call_frame(base, out.as_mut_ptr() as *mut c_void) }.unwrap();
        assert_eq!(out, fast, "{name}: caller-owned frame on the {tier} tier disagrees");
        assert_eq!(
            c.frame_entry().is_some(),
            tier == Tier::Jit,
            "{name}: frame entry on {tier}"
        );
    }
    fast.truncate(n);
    fast
}

fn both(t: &Types, name: &str, func: TypeId, va: &[TypeId], args: &[*const c_void]) -> Vec<u8> {
    both_in(lib(), t, name, func, va, args)
}

fn p<T>(v: &T) -> *const c_void {
    v as *const T as *const c_void
}

fn int_of(b: &[u8]) -> i32 {
    i32::from_le_bytes(b[..4].try_into().unwrap())
}

/// For a one-value row type `ty`: `_ret` → bytes, `_arg(bytes)` == 1,
/// `_echo(bytes)` == bytes, all on both paths.
fn row(t: &mut Types, n: &str, ty: TypeId) -> Vec<u8> {
    let i = t.prim(Prim::Int);
    let f_ret = t.func(ty, vec![], false);
    let f_arg = t.func(i, vec![ty], false);
    let f_echo = t.func(ty, vec![ty], false);
    let v = both(t, &format!("fx_row{n}_ret"), f_ret, &[], &[]);
    let args = [v.as_ptr() as *const c_void];
    let ok = both(t, &format!("fx_row{n}_arg"), f_arg, &[], &args);
    // libffi once replaced `avalue[i]` of large structs with dangling stack copies.
    assert_eq!(
        std::hint::black_box(&args)[0],
        v.as_ptr() as *const c_void,
        "row {n}: the argument array was changed"
    );
    assert_eq!(int_of(&ok), 1, "row {n}: {}", last_error());
    let e = both(
        t,
        &format!("fx_row{n}_echo"),
        f_echo,
        &[],
        &[v.as_ptr() as *const c_void],
    );
    assert_eq!(e, v, "row {n} echo");
    v
}

fn rec(t: &mut Types, kind: RecordKind, fields: &[(&str, TypeId)]) -> TypeId {
    let f = fields.iter().map(|(n, ty)| FieldDecl::new(n, *ty)).collect();
    t.define_record(kind, None, f, RecordAttrs::default()).unwrap()
}

fn types() -> Types {
    Types::new(Target::host().unwrap())
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn rows_1_to_7_aggregates_in_registers() {
    let mut t = types();
    let (f, i, d, l) = (
        t.prim(Prim::Float),
        t.prim(Prim::Int),
        t.prim(Prim::Double),
        t.prim(Prim::Long),
    );
    let r1 = rec(&mut t, RecordKind::Struct, &[("f", f), ("i", i)]);
    let v = row(&mut t, "1", r1);
    assert_eq!(&v[..4], &1.5f32.to_le_bytes());
    assert_eq!(int_of(&v[4..]), -123456789);
    let r2 = rec(&mut t, RecordKind::Union, &[("f", f), ("i", i)]);
    assert_eq!(int_of(&row(&mut t, "2", r2)), -1070596096);
    let r3 = rec(&mut t, RecordKind::Union, &[("f", f), ("d", d)]);
    assert_eq!(row(&mut t, "3", r3), 1234.5625f64.to_le_bytes());
    let r4 = rec(&mut t, RecordKind::Union, &[("d", d), ("l", l)]);
    assert_eq!(row(&mut t, "4", r4), 0x400921FB54442D18u64.to_le_bytes());
    let r5 = rec(&mut t, RecordKind::Struct, &[("d", d), ("l", l)]);
    let v = row(&mut t, "5", r5);
    assert_eq!(&v[..8], &(-2.5f64).to_le_bytes());
    assert_eq!(&v[8..], &(-1234567890123i64).to_le_bytes());
    let r6 = rec(&mut t, RecordKind::Struct, &[("l", l), ("d", d)]);
    let v = row(&mut t, "6", r6);
    assert_eq!(&v[..8], &0x1122334455667788i64.to_le_bytes());
    assert_eq!(&v[8..], &6.25f64.to_le_bytes());
    let r7 = rec(&mut t, RecordKind::Struct, &[("x", f), ("y", f), ("z", f)]);
    let v = row(&mut t, "7", r7);
    assert_eq!(&v[8..], &1024.75f32.to_le_bytes());
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn row_8_memory_struct_sret_and_stack() {
    let mut t = types();
    let l = t.prim(Prim::Long);
    let r8 = rec(&mut t, RecordKind::Struct, &[("a", l), ("b", l), ("c", l)]);
    let v = row(&mut t, "8", r8);
    assert_eq!(&v[16..], &(-9000000000i64).to_le_bytes());
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn rows_17_20_21_odd_aggregates() {
    let mut t = types();
    let (c, i, u, l) = (
        t.prim(Prim::Char),
        t.prim(Prim::Int),
        t.prim(Prim::UInt),
        t.prim(Prim::Long),
    );
    let r17 = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![
                FieldDecl::new("a", c),
                FieldDecl::bitfield(None, i, 0),
                FieldDecl::new("b", c),
            ],
            RecordAttrs::default(),
        )
        .unwrap();
    let v = row(&mut t, "17", r17);
    assert_eq!((v[0], v[4]), (b'A', b'z'));
    let r20 = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![
                FieldDecl::bitfield(Some("a"), i, 3),
                FieldDecl::bitfield(Some("b"), u, 29),
                FieldDecl::bitfield(Some("c"), l, 40),
            ],
            RecordAttrs::default(),
        )
        .unwrap();
    row(&mut t, "20", r20);
    let c3 = t.array(c, Some(3));
    let r21 = rec(&mut t, RecordKind::Struct, &[("c", c3)]);
    assert_eq!(row(&mut t, "21", r21), [0x12, 0x34, 0x56]);
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn row_16_narrow_ints_and_dirty_returns() {
    let mut t = types();
    let cases: [(&str, Prim, i64); 6] = [
        ("c", Prim::Char, b'Z' as i64),
        ("sc", Prim::SChar, -100),
        ("uc", Prim::UChar, 200),
        ("s", Prim::Short, -30000),
        ("us", Prim::UShort, 60000),
        ("b", Prim::Bool, 1),
    ];
    for (n, prim, known) in cases {
        let ty = t.prim(prim);
        let v = row(&mut t, &format!("16{n}"), ty);
        let size = v.len();
        assert_eq!(&v[..], &known.to_le_bytes()[..size], "row 16{n}");
        // The `_dirty` functions leave garbage above the declared width: the
        // result buffer holds exactly the declared bytes.
        let f = t.func(ty, vec![], false);
        let d = both(&t, &format!("fx_row16{n}_dirty"), f, &[], &[]);
        let want = if prim == Prim::Bool { 0 } else { known };
        assert_eq!(&d[..], &want.to_le_bytes()[..size], "row 16{n} dirty");
    }
    // fx_narrow_ret(0x12345678) == 0x5678 (short), wide argument.
    let (i, s) = (t.prim(Prim::Int), t.prim(Prim::Short));
    let f = t.func(s, vec![i], false);
    let x: i32 = 0x12345678;
    assert_eq!(both(&t, "fx_narrow_ret", f, &[], &[p(&x)]), 0x5678u16.to_le_bytes());
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn row_16_caller_extends_for_clang_callees() {
    let clang = fixtures::fixtures_so_with("clang");
    // SAFETY: the fixture library has no unsafe initialisers.
    let lib = unsafe { libloading::Library::new(clang) }.unwrap();
    let mut t = types();
    let ps: Vec<TypeId> = [Prim::SChar, Prim::Short, Prim::UChar, Prim::UShort, Prim::Bool]
        .iter()
        .map(|&x| t.prim(x))
        .collect();
    let i = t.prim(Prim::Int);
    let f = t.func(i, ps, false);
    let (a, b, c, d, e): (i8, i16, u8, u16, bool) = (-100, -30000, 200, 60000, true);
    let args = [p(&a), p(&b), p(&c), p(&d), p(&e)];
    assert_eq!(int_of(&both_in(&lib, &t, "fx_row16_sum", f, &[], &args)), 30101);
    assert_eq!(int_of(&both_in(&lib, &t, "fx_row16_extended", f, &[], &args)), 1);
    assert_eq!(int_of(&both_in(&lib, &t, "fx_narrow_arg_sext", f, &[], &args)), 1);
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn rows_11_12_13_stack_arguments() {
    let mut t = types();
    let (i, l, d, i128_) = (
        t.prim(Prim::Int),
        t.prim(Prim::Long),
        t.prim(Prim::Double),
        t.prim(Prim::Int128),
    );
    // Row 11: __int128 whole on the stack, the following long in r9.
    let f = t.func(l, vec![i, i, i, i, i, i128_, l], false);
    let ints: [i32; 5] = [11, -22, 33, -44, 55];
    let v: u128 = (0xF123456789ABCDEFu128 << 64) | 0xFEDCBA9876543210;
    let after: i64 = -77;
    let mut args: Vec<*const c_void> = ints.iter().map(p).collect();
    args.push(p(&v));
    args.push(p(&after));
    let r = both(&t, "fx_row11_after", f, &[], &args);
    assert_eq!(r, after.to_le_bytes(), "{}", last_error());
    // Row 12: long ×6, struct {double, long} (→ stack), double (→ xmm0).
    let r5 = rec(&mut t, RecordKind::Struct, &[("d", d), ("l", l)]);
    let ls: [i64; 6] = [101, -202, 303, -404, 505, -606];
    let mut s5 = [0u8; 16];
    s5[..8].copy_from_slice(&(-2.5f64).to_le_bytes());
    s5[8..].copy_from_slice(&(-1234567890123i64).to_le_bytes());
    let last = -0.375f64;
    let mut args: Vec<*const c_void> = ls.iter().map(p).collect();
    args.push(s5.as_ptr() as *const c_void);
    args.push(p(&last));
    let mut params = vec![l; 6];
    params.extend([r5, d]);
    let f_arg = t.func(i, params.clone(), false);
    assert_eq!(
        int_of(&both(&t, "fx_row12_arg", f_arg, &[], &args)),
        1,
        "{}",
        last_error()
    );
    let f_echo = t.func(r5, params.clone(), false);
    assert_eq!(both(&t, "fx_row12_echo", f_echo, &[], &args), s5);
    let f_last = t.func(d, params, false);
    assert_eq!(both(&t, "fx_row12_last", f_last, &[], &args), last.to_le_bytes());
    // Row 13: double ×7, struct {double a, b} (→ stack), double (→ xmm7).
    let r13 = rec(&mut t, RecordKind::Struct, &[("a", d), ("b", d)]);
    let ds = [0.5, -1.5, 2.25, -3.125, 4.0625, -5.03125, 6.015625f64];
    let s13 = [-7.75f64, 8.875];
    let last = 9.5f64;
    let mut args: Vec<*const c_void> = ds.iter().map(p).collect();
    args.push(p(&s13));
    args.push(p(&last));
    let mut params = vec![d; 7];
    params.extend([r13, d]);
    let f_arg = t.func(i, params.clone(), false);
    assert_eq!(
        int_of(&both(&t, "fx_row13_arg", f_arg, &[], &args)),
        1,
        "{}",
        last_error()
    );
    let f_last = t.func(d, params, false);
    assert_eq!(both(&t, "fx_row13_last", f_last, &[], &args), last.to_le_bytes());
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn row_19_empty_struct_and_row_29_eight_stack_slots() {
    let mut t = types();
    let i = t.prim(Prim::Int);
    let e = rec(&mut t, RecordKind::Struct, &[]);
    let (a, b) = (6425i32, -6425i32);
    let f = t.func(i, vec![i, e, i], false);
    let args = [p(&a), p(&0u8), p(&b)];
    assert_eq!(int_of(&both(&t, "fx_row19_arg", f, &[], &args)), 1, "{}", last_error());
    assert_eq!(int_of(&both(&t, "fx_row19_echo", f, &[], &args)), b);
    // Row 29: long ×8, double ×8, signed char, short, int, float, double,
    // long: 8 stack slots, narrow ints and a float on the stack.
    let (l, d, sc, s, fl) = (
        t.prim(Prim::Long),
        t.prim(Prim::Double),
        t.prim(Prim::SChar),
        t.prim(Prim::Short),
        t.prim(Prim::Float),
    );
    let mut params = vec![l; 8];
    params.extend([d; 8]);
    params.extend([sc, s, i, fl, d, l]);
    let ls: [i64; 8] = [1, -2, 3, -4, 5, -6, 7, -8];
    let ds = [0.125, -0.25, 0.375, -0.5, 0.625, -0.75, 0.875, -1.0f64];
    let (x0, x1, x2, x3, x4, x5): (i8, i16, i32, f32, f64, i64) = (-29, -2929, 292929, 2.875, -29.5, -0x2929292929);
    let mut args: Vec<*const c_void> = ls.iter().map(p).collect();
    args.extend(ds.iter().map(p));
    args.extend([p(&x0), p(&x1), p(&x2), p(&x3), p(&x4), p(&x5)]);
    let f_arg = t.func(i, params.clone(), false);
    assert_eq!(
        int_of(&both(&t, "fx_row29_arg", f_arg, &[], &args)),
        1,
        "{}",
        last_error()
    );
    let f_echo = t.func(l, params, false);
    assert_eq!(both(&t, "fx_row29_echo", f_echo, &[], &args), x5.to_le_bytes());
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn variadics_set_al_and_promote() {
    let mut t = types();
    let (c, i, d, fl, ul, ch) = (
        t.prim(Prim::Char),
        t.prim(Prim::Int),
        t.prim(Prim::Double),
        t.prim(Prim::Float),
        t.prim(Prim::ULong),
        t.prim(Prim::Char),
    );
    let cp = t.pointer(c);
    // snprintf with doubles (al must be set) and ints, through libc.
    let this = libloading::os::unix::Library::this();
    // SAFETY: address only.
    let snp = unsafe { *this.get::<*const c_void>(b"snprintf").unwrap() };
    let f = t.func(i, vec![cp, ul, cp], true);
    let mut buf = [0u8; 128];
    let bufp = buf.as_mut_ptr();
    let n: u64 = 128;
    let fmt = c"%.3f|%d|%.1f|%ld|%g|%c".as_ptr();
    let (a, b, x, y, z, k): (f64, i32, f32, i64, f64, i8) = (3.25, -7, 0.5, 1 << 40, 1e-3, b'Q' as i8);
    let args = [p(&bufp), p(&n), p(&fmt), p(&a), p(&b), p(&x), p(&y), p(&z), p(&k)];
    let va = [d, i, fl, t.prim(Prim::Long), d, ch];
    // SAFETY: snprintf(char *, size_t, const char *, ...) with these types.
    let mut call = unsafe { RawCall::new(&t, f, &va, snp, None) }.unwrap();
    call.set_fast_path(true);
    assert!(call.uses_fast_path());
    let want = "3.250|-7|0.5|1099511627776|0.001|Q";
    for tier in Tier::ALL {
        if call.set_tier(tier).is_err() {
            assert!(tier == Tier::Jit && !jit_expected());
            continue;
        }
        buf.fill(0);
        let mut r = 0i32;
        // SAFETY: pointers to values of the planned types.
        unsafe { call.call(&args, &mut r as *mut i32 as *mut c_void) }.unwrap();
        assert_eq!(std::str::from_utf8(&buf[..r as usize]).unwrap(), want, "{tier}");
    }
    // fx_vavg: 10 variadic doubles, two of them on the stack.
    let f = t.func(d, vec![i], true);
    let xs: Vec<f64> = (1..=10).map(|k| k as f64 * 1.5).collect();
    let cnt = 10i32;
    let mut args = vec![p(&cnt)];
    args.extend(xs.iter().map(p));
    let r = both(&t, "fx_vavg", f, &[d; 10], &args);
    assert_eq!(r, 8.25f64.to_le_bytes());
    // fx_vsum: float and char promotions, ints, a long.
    let f = t.func(d, vec![cp], true);
    let l = t.prim(Prim::Long);
    let fmt = c"fcild".as_ptr();
    let (x, k, m, big, dd): (f32, i8, i32, i64, f64) = (1.5, 7, -3, 1 << 33, 0.25);
    let r = both(
        &t,
        "fx_vsum",
        f,
        &[fl, ch, i, l, d],
        &[p(&fmt), p(&x), p(&k), p(&m), p(&big), p(&dd)],
    );
    assert_eq!(
        f64::from_le_bytes(r.try_into().unwrap()),
        1.5 + 7.0 - 3.0 + (1u64 << 33) as f64 + 0.25
    );
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn row_15_structs_through_varargs() {
    let mut t = types();
    let (i, d, l, f) = (
        t.prim(Prim::Int),
        t.prim(Prim::Double),
        t.prim(Prim::Long),
        t.prim(Prim::Float),
    );
    let r5 = rec(&mut t, RecordKind::Struct, &[("d", d), ("l", l)]);
    let r7 = rec(&mut t, RecordKind::Struct, &[("x", f), ("y", f), ("z", f)]);
    let r8 = rec(&mut t, RecordKind::Struct, &[("a", l), ("b", l), ("c", l)]);
    let r1 = rec(&mut t, RecordKind::Struct, &[("f", f), ("i", i)]);
    let get = |t: &mut Types, n: &str, ty| {
        let fr = t.func(ty, vec![], false);
        both(t, &format!("fx_row{n}_ret"), fr, &[], &[])
    };
    let (v5, v7, v8, v1) = (
        get(&mut t, "5", r5),
        get(&mut t, "7", r7),
        get(&mut t, "8", r8),
        get(&mut t, "1", r1),
    );
    let tag = 15i32;
    let (x, k) = (-0.375f64, 1515i32);
    let f = t.func(i, vec![i], true);
    let args = [
        p(&tag),
        v5.as_ptr().cast(),
        v7.as_ptr().cast(),
        v8.as_ptr().cast(),
        v1.as_ptr().cast(),
        p(&x),
        p(&k),
    ];
    let r = both(&t, "fx_row15_vstruct", f, &[r5, r7, r8, r1, d, i], &args);
    assert_eq!(int_of(&r), 1, "{}", last_error());
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn libm_and_libc_scalars() {
    let mut t = types();
    let (d, i, c, ul) = (
        t.prim(Prim::Double),
        t.prim(Prim::Int),
        t.prim(Prim::Char),
        t.prim(Prim::ULong),
    );
    // SAFETY: libm has no unsafe initialisers.
    let m = unsafe { libloading::Library::new("libm.so.6") }.unwrap();
    let pow = t.func(d, vec![d, d], false);
    let (a, b) = (1.5f64, 2.5f64);
    assert_eq!(
        both_in(&m, &t, "pow", pow, &[], &[p(&a), p(&b)]),
        a.powf(b).to_le_bytes()
    );
    let ldexp = t.func(d, vec![d, i], false);
    let e = -3i32;
    assert_eq!(
        both_in(&m, &t, "ldexp", ldexp, &[], &[p(&a), p(&e)]),
        (a / 8.0).to_le_bytes()
    );
    let fl = t.prim(Prim::Float);
    let sqrtf = t.func(fl, vec![fl], false);
    let x = 2.25f32;
    assert_eq!(both_in(&m, &t, "sqrtf", sqrtf, &[], &[p(&x)]), 1.5f32.to_le_bytes());
    let cp = t.pointer(c);
    let strlen = t.func(ul, vec![cp], false);
    let s = c"seventeen chars!!".as_ptr();
    assert_eq!(both(&t, "fx_strlen", strlen, &[], &[p(&s)]), 17u64.to_le_bytes());
    let l = t.prim(Prim::Long);
    let add6 = t.func(l, vec![l; 6], false);
    let xs: [i64; 6] = [1, -20, 300, -4000, 50000, -600000];
    let args: Vec<*const c_void> = xs.iter().map(p).collect();
    assert_eq!(
        both(&t, "fx_add6", add6, &[], &args),
        xs.iter().sum::<i64>().to_le_bytes()
    );
    let v = t.prim(Prim::Void);
    let noop = t.func(v, vec![], false);
    assert!(both(&t, "fx_noop", noop, &[], &[]).is_empty());
}

#[test]
#[cfg_attr(
    not(target_arch = "x86_64"),
    ignore = "x86_64 host only: x87 results (aarch64 long double is binary128, see below)"
)]
fn x87_long_double_return_takes_jit_or_libffi() {
    // Named `*long_double*` so scripts/valgrind.sh runs it in its long double
    // pass (valgrind rounds x87 values to 64 bits).
    let mut t = types();
    let ld = t.prim(Prim::LongDouble);
    let f = t.func(ld, vec![], false);
    // SAFETY: `long double fx_row10_ret(void)`.
    let mut c = unsafe { RawCall::new(&t, f, &[], sym("fx_row10_ret"), None) }.unwrap();
    assert!(!c.has_fast_path() && !c.has_tier(Tier::Fast));
    assert!(c.set_tier(Tier::Fast).is_err());
    assert_eq!(c.has_tier(Tier::Jit), jit_expected());
    for tier in [Tier::Jit, Tier::Libffi] {
        if c.set_tier(tier).is_err() {
            continue;
        }
        let mut out = [0u8; 16];
        // SAFETY: 16-byte buffer for a long double.
        unsafe { c.call(&[], out.as_mut_ptr() as *mut c_void) }.unwrap();
        assert_eq!(&out[..10], &[0x08, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xbf], "{tier}");
    }
    // long double _Complex: st0 (real) and st1 (imaginary), both popped.
    let ldc = t.prim(Prim::LongDoubleComplex);
    let f = t.func(ldc, vec![ldc], false);
    // SAFETY: `long double _Complex fx_row14l_echo(long double _Complex)`.
    let mut c = unsafe { RawCall::new(&t, f, &[], sym("fx_row14l_echo"), None) }.unwrap();
    let mut v = [0u8; 32];
    v[..10].copy_from_slice(&[0x08, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xbf]);
    v[16..26].copy_from_slice(&[0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x09, 0x40]);
    for tier in [Tier::Jit, Tier::Libffi] {
        if c.set_tier(tier).is_err() {
            continue;
        }
        for _ in 0..3 {
            let mut out = [0u8; 32];
            // SAFETY: a 32-byte value and buffer.
            unsafe { c.call(&[p(&v)], out.as_mut_ptr() as *mut c_void) }.unwrap();
            assert_eq!((&out[..10], &out[16..26]), (&v[..10], &v[16..26]), "{tier}");
        }
    }
}

/// AAPCS64 shapes x86_64 sends through x87 or memory: binary128 `long
/// double` in `q0` (alone, in a struct — an HFA of one — and as `_Complex`,
/// an HFA of two), HFAs of floats and doubles, a 20-byte float array
/// struct (5 members: not an HFA, so by reference to a copy and returned
/// through `x8`), a packed 9-byte struct in `x0`/`x1`.
#[test]
#[cfg_attr(
    not(all(target_arch = "aarch64", target_os = "linux")),
    ignore = "aarch64 Linux host only: binary128 long double and HFAs in v registers"
)]
fn aapcs64_long_double_and_hfa_rows() {
    let mut t = types();
    let (f, d, c, ld) = (
        t.prim(Prim::Float),
        t.prim(Prim::Double),
        t.prim(Prim::Char),
        t.prim(Prim::LongDouble),
    );
    // -(1 + 2^-60) in binary128: exponent 0x3fff, fraction bit 52.
    let v = row(&mut t, "10", ld);
    assert_eq!(v, [0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xbf]);
    let r10s = rec(&mut t, RecordKind::Struct, &[("x", ld)]);
    row(&mut t, "10s", r10s);
    for (n, prim) in [
        ("14f", Prim::FloatComplex),
        ("14d", Prim::DoubleComplex),
        ("14l", Prim::LongDoubleComplex),
    ] {
        let ty = t.prim(prim);
        row(&mut t, n, ty);
    }
    let r22 = rec(&mut t, RecordKind::Struct, &[("a", f), ("b", f), ("c", f), ("d", f)]);
    let v = row(&mut t, "22", r22);
    assert_eq!(v.len(), 16);
    let r23 = rec(&mut t, RecordKind::Struct, &[("a", d), ("b", f)]);
    row(&mut t, "23", r23);
    let f5 = t.array(f, Some(5));
    let r24 = rec(&mut t, RecordKind::Struct, &[("a", f5)]);
    assert_eq!(row(&mut t, "24", r24).len(), 20);
    let r9 = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("c", c), FieldDecl::new("d", d)],
            RecordAttrs {
                packed: true,
                ..RecordAttrs::default()
            },
        )
        .unwrap();
    assert_eq!(row(&mut t, "9", r9).len(), 9);
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn ineligible_plans_and_the_switches() {
    let mut t = types();
    let (l, i) = (t.prim(Prim::Long), t.prim(Prim::Int));
    // More than 8 stack slots: libffi only.
    let f = t.func(i, vec![l; GPRS + 9], false);
    // SAFETY: never called.
    let c = unsafe { RawCall::new(&t, f, &[], sym("fx_add6"), None) }.unwrap();
    assert!(!c.has_fast_path());
    assert_eq!(c.has_tier(Tier::Jit), jit_expected());
    // Exactly 8 stack slots — eligible.
    let f = t.func(i, vec![l; GPRS + 8], false);
    // SAFETY: never called.
    let mut c = unsafe { RawCall::new(&t, f, &[], sym("fx_add6"), None) }.unwrap();
    assert!(c.has_fast_path());
    c.set_fast_path(false);
    assert!(c.has_fast_path() && !c.uses_fast_path());
    assert!(!c.clone().uses_fast_path());
    if cfg!(target_arch = "aarch64") {
        // AAPCS64 B.4 copies: 10 structs of 48 bytes (480 bytes of copies)
        // are eligible, 11 (528 > 512) are not, though their pointers fit.
        let l6 = t.array(l, Some(6));
        let s48 = rec(&mut t, RecordKind::Struct, &[("a", l6)]);
        for (n, eligible) in [(10, true), (11, false)] {
            let f = t.func(i, vec![s48; n], false);
            // SAFETY: never called.
            let c = unsafe { RawCall::new(&t, f, &[], sym("fx_add6"), None) }.unwrap();
            assert_eq!(c.has_fast_path(), eligible, "{n} structs of 48 bytes");
        }
    }
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn env_switch_turns_the_default_off() {
    // A child process with ABICALL_NO_FASTPATH=1 (read once per process).
    if std::env::var_os("FASTPATH_CHILD").is_some() {
        let mut t = types();
        let l = t.prim(Prim::Long);
        let f = t.func(l, vec![l; 6], false);
        // SAFETY: `long fx_add6(long ×6)`.
        let c = unsafe { RawCall::new(&t, f, &[], sym("fx_add6"), None) }.unwrap();
        let want = match std::env::var("FASTPATH_CHILD").unwrap().as_str() {
            "nofast" => Tier::Libffi,
            "nojit" => Tier::Fast,
            _ if jit_expected() => Tier::Jit,
            _ => Tier::Fast,
        };
        assert_eq!(c.tier(), want);
        assert!(c.has_fast_path() && c.uses_fast_path() == (want != Tier::Libffi));
        return;
    }
    for (child, var) in [
        ("nofast", "ABICALL_NO_FASTPATH"),
        ("nojit", "ABICALL_NO_JIT"),
        ("default", "ABICALL_UNUSED"),
    ] {
        let exe = std::env::current_exe().unwrap();
        let out = crate::support::host::exe_command(exe)
            .args([
                "--exact",
                "fastpath_rows::env_switch_turns_the_default_off",
                "--nocapture",
            ])
            .env("FASTPATH_CHILD", child)
            .env(var, "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("1 passed"), "{child}: {text}");
    }
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn errno_is_saved_and_restored_on_both_paths_and_threads() {
    let mut t = types();
    let i = t.prim(Prim::Int);
    let set_t = t.func(i, vec![i], false);
    let get_t = t.func(i, vec![], false);
    // SAFETY: `int fx_set_errno(int)`, `int fx_get_errno(void)`.
    let (mut set, mut get) = unsafe {
        (
            RawCall::new(&t, set_t, &[], sym("fx_set_errno"), None).unwrap(),
            RawCall::new(&t, get_t, &[], sym("fx_get_errno"), None).unwrap(),
        )
    };
    let run = |set: &RawCall, get: &RawCall, k: i32| {
        let (e, mut r) = (k, 0i32);
        // SAFETY: an int argument and an int result.
        unsafe { set.call(&[p(&e)], &mut r as *mut i32 as *mut c_void) }.unwrap();
        assert_eq!((r, abicall::call::errno()), (-1, k), "errno saved after the call");
        abicall::call::set_errno(k + 1);
        // SAFETY: an int result.
        unsafe { get.call(&[], &mut r as *mut i32 as *mut c_void) }.unwrap();
        assert_eq!(r, k + 1, "errno restored before the call");
    };
    for tier in Tier::ALL {
        if set.set_tier(tier).is_err() || get.set_tier(tier).is_err() {
            assert!(tier == Tier::Jit && !jit_expected());
            continue;
        }
        run(&set, &get, 11);
        std::thread::scope(|s| {
            s.spawn(|| run(&set, &get, 22));
        });
        run(&set, &get, 33);
    }
}

#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn row_16_narrow_callback_returns() {
    use abicall::call::{CallbackOptions, RawCallback};
    let mut t = types();
    let i = t.prim(Prim::Int);
    for (n, prim, size) in [
        ("c", Prim::Char, 1),
        ("sc", Prim::SChar, 1),
        ("uc", Prim::UChar, 1),
        ("s", Prim::Short, 2),
        ("us", Prim::UShort, 2),
        ("b", Prim::Bool, 1),
    ] {
        let ty = t.prim(prim);
        let cb_t = t.func(ty, vec![ty], false);
        let cb_p = t.pointer(cb_t);
        // An echo: copies the declared width only.
        let cb = RawCallback::new(
            &t,
            cb_t,
            Box::new(move |args, ret| {
                // SAFETY: one argument and a return buffer of `size` bytes.
                unsafe { std::ptr::copy_nonoverlapping(args[0] as *const u8, ret as *mut u8, size) };
                Ok(())
            }),
            CallbackOptions::default(),
        )
        .unwrap();
        let f = t.func(i, vec![cb_p], false);
        let code = cb.code();
        let r = both(&t, &format!("fx_row16{n}_cb"), f, &[], &[p(&code)]);
        assert_eq!(int_of(&r), 1, "row 16{n} callback: {}", last_error());
    }
}

/// A NULL argument pointer is refused with the argument's number on both
/// paths before anything is called — including an empty struct's pointer,
/// whose bytes are never read — and so is a NULL return buffer.
#[test]
#[cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "aarch64", target_os = "linux"))),
    ignore = "x86_64 and aarch64 Linux hosts only: the fast path exists there only"
)]
fn null_argument_pointers_refused_on_both_paths() {
    let mut t = types();
    let i = t.prim(Prim::Int);
    let e = rec(&mut t, RecordKind::Struct, &[]);
    let f = t.func(i, vec![i, e, i], false);
    let (a, b) = (6425i32, -6425i32);
    let empty = [0u8; 1];
    // SAFETY: `int fx_row19_echo(int, struct fx_r19, int)`.
    let mut c = unsafe { RawCall::new(&t, f, &[], sym("fx_row19_echo"), None) }.unwrap();
    for tier in Tier::ALL {
        if c.set_tier(tier).is_err() {
            assert!(tier == Tier::Jit && !jit_expected());
            continue;
        }
        assert_eq!(c.uses_fast_path(), tier != Tier::Libffi);
        let fast = tier;
        let mut r = 0i32;
        let rp = &mut r as *mut i32 as *mut c_void;
        for (k, args) in [
            [std::ptr::null(), p(&empty), p(&b)],
            [p(&a), std::ptr::null(), p(&b)],
            [p(&a), p(&empty), std::ptr::null()],
        ]
        .iter()
        .enumerate()
        {
            // SAFETY: the non-NULL pointers point to values of the planned types.
            let err = unsafe { c.call(args, rp) }.unwrap_err().to_string();
            assert!(
                err.contains(&format!("argument {}: NULL given", k + 1)),
                "fast={fast}: {err}"
            );
        }
        // SAFETY: the argument pointers are valid; the NULL return buffer is
        // refused before any call.
        let err = unsafe { c.call(&[p(&a), p(&empty), p(&b)], std::ptr::null_mut()) }
            .unwrap_err()
            .to_string();
        assert!(err.contains("NULL return buffer"), "fast={fast}: {err}");
        // SAFETY: valid pointers.
        unsafe { c.call(&[p(&a), p(&empty), p(&b)], rp) }.unwrap();
        assert_eq!(r, b);
    }
}
