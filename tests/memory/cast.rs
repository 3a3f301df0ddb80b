//! `cast` with C semantics, checked against what gcc computes for the same casts.

use crate::support::memory as support;

use abicall::memory::{cast, CData, Ptr};
use abicall::types::{Prim, Types};
use abicall::{Error, Target, Value};

#[test]
fn integer_and_float_casts_match_gcc() {
    let mut t = Types::new(Target::X86_64SysV);
    let p = |t: &mut Types, p| t.prim(p);
    let (uc, sc, sh, us, ui, i, ll, ull, bo, f, d) = (
        p(&mut t, Prim::UChar),
        p(&mut t, Prim::SChar),
        p(&mut t, Prim::Short),
        p(&mut t, Prim::UShort),
        p(&mut t, Prim::UInt),
        p(&mut t, Prim::Int),
        p(&mut t, Prim::LongLong),
        p(&mut t, Prim::ULongLong),
        p(&mut t, Prim::Bool),
        p(&mut t, Prim::Float),
        p(&mut t, Prim::Double),
    );
    let vp = p(&mut t, Prim::Void);
    let vptr = t.pointer(vp);
    // (C expression printed as long long, abicall cast)
    let cases: Vec<(&str, _, Value)> = vec![
        ("(unsigned char)300", uc, Value::Int(300)),
        ("(signed char)200", sc, Value::Int(200)),
        ("(signed char)-129", sc, Value::Int(-129)),
        ("(short)70000", sh, Value::Int(70000)),
        ("(unsigned short)-2", us, Value::Int(-2)),
        ("(unsigned)-1", ui, Value::Int(-1)),
        ("(int)0x1ffffffffLL", i, Value::Int(0x1_ffff_ffff)),
        ("(int)-3.7", i, Value::Float(-3.7)),
        ("(int)3.99", i, Value::Float(3.99)),
        ("(long long)1e18", ll, Value::Float(1e18)),
        (
            "(long long)(unsigned long long)18446744073709551615ULL",
            ll,
            Value::UInt(u64::MAX as u128),
        ),
        ("(unsigned char)(_Bool)1", uc, Value::Bool(true)),
        ("(_Bool)0.5", bo, Value::Float(0.5)),
        ("(_Bool)256", bo, Value::Int(256)),
        (
            "(unsigned char)(unsigned long)(void *)0x1234",
            uc,
            Value::Pointer(Ptr::new(0x1234, vp)),
        ),
        (
            "(int)(long)(void *)0x123456789",
            i,
            Value::Pointer(Ptr::new(0x1_2345_6789, vp)),
        ),
        ("(unsigned long long)(long long)-5", ull, Value::Int(-5)),
    ];
    let mut src = String::from("#include <stdio.h>\nint main(void) {\n");
    for (e, _, _) in &cases {
        src += &format!("  printf(\"%lld\\n\", (long long)({e}));\n");
    }
    // float results as bit patterns
    src += "  { float x = (float)16777217; unsigned u; __builtin_memcpy(&u, &x, 4); printf(\"%u\\n\", u); }\n";
    src += "  { float x = (float)0.1; unsigned u; __builtin_memcpy(&u, &x, 4); printf(\"%u\\n\", u); }\n";
    src += "  { double x = (double)9007199254740993LL; unsigned long long u; __builtin_memcpy(&u, &x, 8); printf(\"%llu\\n\", u); }\n";
    src += "  return 0; }\n";
    let out = support::compile_run("cast", &src);
    let mut lines = out.lines();
    for (e, ty, v) in &cases {
        let want: i128 = lines.next().unwrap().parse().unwrap();
        let got = cast(&t, *ty, v).unwrap();
        let got = match got {
            Value::Bool(b) => b as i128,
            // (long long) of an unsigned long long: reinterpret like the C printf does
            Value::Int(x) if *ty == ull => x as u64 as i64 as i128,
            other => other.as_int().unwrap(),
        };
        assert_eq!(got, want, "{e}");
    }
    let f1: u32 = lines.next().unwrap().parse().unwrap();
    assert_eq!(
        cast(&t, f, &Value::Int(16777217)).unwrap(),
        Value::Float(f32::from_bits(f1) as f64)
    );
    let f2: u32 = lines.next().unwrap().parse().unwrap();
    assert_eq!(
        cast(&t, f, &Value::Float(0.1)).unwrap(),
        Value::Float(f32::from_bits(f2) as f64)
    );
    let d1: u64 = lines.next().unwrap().parse().unwrap();
    assert_eq!(
        cast(&t, d, &Value::Int(9007199254740993)).unwrap(),
        Value::Float(f64::from_bits(d1))
    );
    let _ = vptr;
}

#[test]
fn pointer_casts_and_errors() {
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let c = t.prim(Prim::Char);
    let ip = t.pointer(i);
    let cp = t.pointer(c);
    let l = t.prim(Prim::Long);
    // int -> pointer -> int
    let p = cast(&t, ip, &Value::Int(0x1000)).unwrap();
    assert_eq!(p.as_ptr().unwrap().addr(), 0x1000);
    assert_eq!(p.as_ptr().unwrap().pointee(), i);
    assert_eq!(cast(&t, l, &p).unwrap(), Value::Int(0x1000));
    assert!(cast(&t, ip, &Value::Int(-1)).unwrap().as_ptr().unwrap().addr() == usize::MAX);
    assert!(cast(&t, ip, &Value::Null).unwrap().is_null());
    // pointer -> pointer keeps the address and the ownership
    let arr = CData::new_array(
        &mut t,
        i,
        2,
        Some(&Value::List(vec![Value::Int(0x01020304), Value::Int(0)])),
    )
    .unwrap();
    let q = cast(&t, cp, &Value::CData(arr.clone())).unwrap();
    let q = q.as_ptr().unwrap();
    assert_eq!(q.addr(), arr.address().unwrap());
    assert_eq!(q.pointee(), c);
    assert!(q.owner().is_some(), "a cast pointer still keeps the array alive");
    drop(arr);
    assert_eq!(
        q.target().unwrap().read(&t).unwrap(),
        Value::Int(4),
        "first byte, little-endian"
    );
    // errors
    let s = t.array(i, Some(2));
    assert!(matches!(cast(&t, s, &Value::Int(1)), Err(Error::Convert { .. })));
    assert!(cast(&t, i, &Value::Float(f64::NAN)).is_err());
    assert!(cast(&t, i, &Value::Float(f64::INFINITY)).is_err());
    assert!(cast(&t, ip, &Value::Float(1.0)).is_err());
    assert!(cast(&t, i, &Value::str("x")).is_err());
    // complex -> real takes the real part
    let d = t.prim(Prim::Double);
    assert_eq!(cast(&t, d, &Value::Complex(2.5, 1.0)).unwrap(), Value::Float(2.5));
}
