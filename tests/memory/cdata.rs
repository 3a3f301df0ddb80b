//! Owned C memory: new with initializers, members, elements, bounds, strings,
//! unpack, from_buffer, memmove, buffers, gc and ownership.

use abicall::memory::{memmove, CData, Ptr};
use abicall::types::{FieldDecl, Prim, RecordAttrs, RecordKind, TypeId, Types};
use abicall::{Error, Ffi, Target, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn int(v: i128) -> Value {
    Value::Int(v)
}

/// struct pt { double x, y; }; struct line { int id; struct pt a, b; char name[8]; int *p; };
fn line_types() -> (Types, TypeId, TypeId) {
    let mut t = Types::new(Target::X86_64SysV);
    let d = t.prim(Prim::Double);
    let i = t.prim(Prim::Int);
    let c = t.prim(Prim::Char);
    let ip = t.pointer(i);
    let name = t.array(c, Some(8));
    let pt = t
        .define_record(
            RecordKind::Struct,
            Some("pt"),
            vec![FieldDecl::new("x", d), FieldDecl::new("y", d)],
            RecordAttrs::default(),
        )
        .unwrap();
    let line = t
        .define_record(
            RecordKind::Struct,
            Some("line"),
            vec![
                FieldDecl::new("id", i),
                FieldDecl::new("a", pt),
                FieldDecl::new("b", pt),
                FieldDecl::new("name", name),
                FieldDecl::new("p", ip),
            ],
            RecordAttrs::default(),
        )
        .unwrap();
    (t, pt, line)
}

#[test]
fn scalars_new_read_write_and_range_checks() {
    let mut t = Types::new(Target::X86_64SysV);
    let uc = t.prim(Prim::UChar);
    let sh = t.prim(Prim::Short);
    let u64t = t.prim(Prim::ULongLong);
    let i128t = t.prim(Prim::UInt128);
    let f = t.prim(Prim::Float);
    let b = t.prim(Prim::Bool);
    let dc = t.prim(Prim::DoubleComplex);

    let c = CData::new(&t, uc, None).unwrap();
    assert_eq!(c.read(&t).unwrap(), int(0), "new memory is zeroed");
    assert!(
        c.describe(&t)
            .starts_with("<cdata 'unsigned char' owning 1 bytes at 0x"),
        "{}",
        c.describe(&t)
    );
    c.write(&t, &int(255)).unwrap();
    assert_eq!(c.read(&t).unwrap(), int(255));
    let e = c.write(&t, &int(256)).unwrap_err();
    assert!(
        matches!(&e, Error::Convert { ty, message } if ty == "unsigned char" && message.contains("256")),
        "{e}"
    );
    assert!(c.write(&t, &int(-1)).is_err());
    assert!(
        matches!(c.write(&t, &Value::Float(1.0)), Err(Error::Convert { .. })),
        "float into int is an error"
    );
    assert!(c.write(&t, &Value::Null).is_err());

    let s = CData::new(&t, sh, Some(&int(-32768))).unwrap();
    assert_eq!(s.read(&t).unwrap(), int(-32768));
    assert_eq!(s.to_bytes(&t).unwrap(), vec![0x00, 0x80]);
    assert!(s.write(&t, &int(32768)).is_err());

    let u = CData::new(&t, u64t, Some(&int(u64::MAX as i128))).unwrap();
    assert_eq!(u.read(&t).unwrap(), int(u64::MAX as i128));
    let w = CData::new(&t, i128t, Some(&Value::UInt(u128::MAX))).unwrap();
    assert_eq!(w.read(&t).unwrap(), Value::UInt(u128::MAX));

    let fl = CData::new(&t, f, Some(&int(16777217))).unwrap();
    assert_eq!(
        fl.read(&t).unwrap(),
        Value::Float(16777216.0),
        "int into float rounds like C"
    );

    let bo = CData::new(&t, b, Some(&Value::Bool(true))).unwrap();
    assert_eq!(bo.read(&t).unwrap(), Value::Bool(true));
    assert!(bo.write(&t, &int(2)).is_err(), "_Bool takes only 0 or 1");

    let z = CData::new(&t, dc, Some(&Value::Complex(1.0, -2.0))).unwrap();
    assert_eq!(z.read(&t).unwrap(), Value::Complex(1.0, -2.0));
    assert_eq!(z.size(&t).unwrap(), 16);
}

#[test]
fn structs_with_nested_and_designated_initializers() {
    let (t, _pt, line) = line_types();
    let init = Value::List(vec![
        int(7),
        Value::List(vec![Value::Float(1.0), Value::Float(2.0)]),
        Value::fields([("y", Value::Float(4.0))]),
        Value::str("abc"),
    ]);
    let l = CData::new(&t, line, Some(&init)).unwrap();
    assert_eq!(l.get(&t, "id").unwrap(), int(7));
    assert_eq!(l.get(&t, "a.x").unwrap(), Value::Float(1.0));
    assert_eq!(l.field(&t, "a").unwrap().get(&t, "y").unwrap(), Value::Float(2.0));
    assert_eq!(
        l.get(&t, "b.x").unwrap(),
        Value::Float(0.0),
        "unmentioned members are zero"
    );
    assert_eq!(l.get(&t, "b.y").unwrap(), Value::Float(4.0));
    assert_eq!(l.field(&t, "name").unwrap().string(&t, None).unwrap(), b"abc");
    assert!(l.get(&t, "p").unwrap().is_null());
    assert_eq!(l.field(&t, "b").unwrap().address().unwrap(), l.address().unwrap() + 24);
    assert_eq!(l.get(&t, "name[1]").unwrap(), int(b'b' as i128));

    // designated with member paths; everything else zeroed
    l.write(
        &t,
        &Value::fields([("a.y", Value::Float(9.5)), ("name", Value::str("12345678"))]),
    )
    .unwrap();
    assert_eq!(l.get(&t, "id").unwrap(), int(0));
    assert_eq!(l.get(&t, "a.y").unwrap(), Value::Float(9.5));
    assert_eq!(
        l.field(&t, "name").unwrap().string(&t, None).unwrap(),
        b"12345678",
        "exactly full: no NUL"
    );

    // deep read
    let deep = l.field(&t, "a").unwrap().read_deep(&t).unwrap();
    assert_eq!(
        deep,
        Value::fields([("x", Value::Float(0.0)), ("y", Value::Float(9.5))])
    );

    // errors: too many initializers, unknown member, NULL for a struct, string too long
    assert!(matches!(
        CData::new(&t, line, Some(&Value::List(vec![int(0); 6]))),
        Err(Error::Convert { .. })
    ));
    let e = l.write(&t, &Value::fields([("nope", int(1))])).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    assert!(matches!(
        l.field(&t, "a").unwrap().write(&t, &Value::Null),
        Err(Error::Convert { .. })
    ));
    assert!(l.set(&t, "name", &Value::str("123456789")).is_err());
    assert!(l.get(&t, "zzz").is_err());

    // copy a struct from another object of the same type
    let other = CData::new(&t, line, Some(&Value::fields([("id", int(42))]))).unwrap();
    l.write(&t, &Value::CData(other.clone())).unwrap();
    assert_eq!(l.get(&t, "id").unwrap(), int(42));
    // a struct member read gives a view of the same memory, not a copy
    let a = l.get(&t, "a").unwrap();
    a.as_cdata().unwrap().set(&t, "x", &Value::Float(-1.0)).unwrap();
    assert_eq!(l.get(&t, "a.x").unwrap(), Value::Float(-1.0));
}

#[test]
fn pointers_in_memory() {
    let (t, _pt, line) = line_types();
    let mut t = t;
    let i = t.prim(Prim::Int);
    let d = t.prim(Prim::Double);
    let arr = CData::new_array(&mut t, i, 4, Some(&Value::List(vec![int(10), int(20), int(30)]))).unwrap();
    let l = CData::new(&t, line, None).unwrap();
    // an int array decays to int *
    l.set(&t, "p", &Value::CData(arr.clone())).unwrap();
    let p = l.get(&t, "p").unwrap();
    assert_eq!(p.as_ptr().unwrap().addr(), arr.address().unwrap());
    // a pointer to double is not an int *
    let dd = CData::new(&t, d, None).unwrap();
    assert!(l.set(&t, "p", &Value::Pointer(dd.pointer().unwrap())).is_err());
    assert!(l.set(&t, "p", &int(5)).is_err(), "integers need a cast");
    l.set(&t, "p", &Value::Null).unwrap();
    assert!(l.get(&t, "p").unwrap().is_null());
    // a pointer from memory has unknown extent: safe deref refuses, unsafe works
    l.set(&t, "p", &Value::Pointer(arr.decay(&t).unwrap())).unwrap();
    let raw = l.get(&t, "p").unwrap().as_ptr().unwrap().clone();
    assert!(raw.target().is_err());
    // SAFETY: it points to `arr`, 4 ints, alive here.
    let v = unsafe { raw.deref(&t, 4).unwrap() };
    assert_eq!(v.offset(&t, 2).unwrap().read(&t).unwrap(), int(30));
    // pointer arithmetic on a derived pointer, dereferenced safely
    let p2 = arr.decay(&t).unwrap().add(&t, 1).unwrap();
    assert_eq!(p2.addr(), arr.address().unwrap() + 4);
    assert_eq!(p2.target().unwrap().read(&t).unwrap(), int(20));
    assert!(p2.add(&t, 10).unwrap().target().is_err(), "outside the array");
    assert_eq!(p2.diff(&t, &arr.decay(&t).unwrap()).unwrap(), 1);
    let vp = t.prim(Prim::Void);
    assert!(Ptr::new(0x1000, vp).add(&t, 1).is_err(), "void * arithmetic");
}

#[test]
fn arrays_with_runtime_length_and_bounds() {
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let n = 1000;
    let a = CData::new_array(&mut t, i, n, None).unwrap();
    assert_eq!(a.len(&t), Some(n));
    assert_eq!(a.size(&t).unwrap(), 4 * n);
    for k in 0..n {
        a.index(&t, k).unwrap().write(&t, &int(k as i128 * 3)).unwrap();
    }
    assert_eq!(a.index(&t, 999).unwrap().read(&t).unwrap(), int(2997));
    let e = a.index(&t, n).unwrap_err();
    assert!(e.to_string().contains("out of bounds"), "{e}");
    // unsized array from an initializer
    let open = t.array(i, None);
    let b = CData::new(&t, open, Some(&Value::List(vec![int(1), int(2), int(3)]))).unwrap();
    assert_eq!(b.len(&t), Some(3));
    assert!(CData::new(&t, open, None).is_err(), "T[] needs a length");
    // fixed array: too many initializers, unpack, bounds
    let a3 = t.array(i, Some(3));
    assert!(CData::new(&t, a3, Some(&Value::List(vec![int(1); 4]))).is_err());
    let c = CData::new(&t, a3, Some(&Value::List(vec![int(5), int(-6)]))).unwrap();
    assert_eq!(c.unpack(&t, 3).unwrap(), vec![int(5), int(-6), int(0)]);
    assert!(c.unpack(&t, 4).is_err());
    assert!(c.index(&t, 3).is_err());
    // offset within and outside the region
    let e0 = c.index(&t, 0).unwrap();
    assert_eq!(e0.offset(&t, 1).unwrap().read(&t).unwrap(), int(-6));
    assert!(
        e0.offset(&t, 3).unwrap().read(&t).is_err(),
        "one past the end is not readable"
    );
    assert!(e0.offset(&t, 4).is_err());
    assert!(e0.offset(&t, -1).is_err());
    // 2-D arrays
    let a23 = t.array(a3, Some(2));
    let m = CData::new(
        &t,
        a23,
        Some(&Value::List(vec![
            Value::List(vec![int(1), int(2), int(3)]),
            Value::List(vec![int(4)]),
        ])),
    )
    .unwrap();
    assert_eq!(m.index(&t, 1).unwrap().index(&t, 0).unwrap().read(&t).unwrap(), int(4));
    assert_eq!(
        m.read_deep(&t).unwrap(),
        Value::List(vec![
            Value::List(vec![int(1), int(2), int(3)]),
            Value::List(vec![int(4), int(0), int(0)])
        ])
    );
}

#[test]
fn flexible_array_member() {
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let d = t.prim(Prim::Double);
    let da = t.array(d, None);
    let s = t
        .define_record(
            RecordKind::Struct,
            Some("v"),
            vec![FieldDecl::new("n", i), FieldDecl::new("d", da)],
            RecordAttrs::default(),
        )
        .unwrap();
    let v = CData::new_flexible(&t, s, 5, None).unwrap();
    let arr = v.field(&t, "d").unwrap();
    assert_eq!(arr.len(&t), Some(5));
    arr.index(&t, 4).unwrap().write(&t, &Value::Float(2.5)).unwrap();
    assert!(arr.index(&t, 5).is_err());
    assert!(CData::new_flexible(&t, i, 5, None).is_err());
}

#[test]
fn char_and_wide_strings() {
    let mut t = Types::new(Target::X86_64SysV);
    let c = t.prim(Prim::Char);
    let wc = t.prim(Prim::Int); // wchar_t on x86_64 Linux
    let c16 = t.prim(Prim::UShort); // char16_t
    let copen = t.array(c, None);
    let s = CData::new(&t, copen, Some(&Value::str("hello"))).unwrap();
    assert_eq!(s.len(&t), Some(6), "string + NUL");
    assert_eq!(s.string(&t, None).unwrap(), b"hello");
    assert_eq!(s.string(&t, Some(3)).unwrap(), b"hel");
    // no NUL inside the known memory: stops at the end, never past it
    let c4 = t.array(c, Some(4));
    let full = CData::new(&t, c4, Some(&Value::str("abcd"))).unwrap();
    assert_eq!(full.string(&t, None).unwrap(), b"abcd");
    assert_eq!(full.string(&t, Some(100)).unwrap(), b"abcd");
    // wide: UTF-32 and UTF-16
    let wopen = t.array(wc, None);
    let w = CData::new(&t, wopen, Some(&Value::WStr("héllo €𝄞".into()))).unwrap();
    assert_eq!(w.len(&t), Some(9));
    assert_eq!(w.wstring(&t, None).unwrap(), "héllo €𝄞");
    assert_eq!(w.wstring(&t, Some(2)).unwrap(), "hé");
    let u16open = t.array(c16, None);
    let u = CData::new(&t, u16open, Some(&Value::WStr("a𝄞".into()))).unwrap();
    assert_eq!(u.len(&t), Some(4), "surrogate pair + NUL");
    assert_eq!(u.wstring(&t, None).unwrap(), "a𝄞");
    // wrong element types
    assert!(w.string(&t, None).is_err());
    assert!(s.wstring(&t, None).is_err());
    let i8s = t.array(wc, Some(2));
    assert!(CData::new(&t, i8s, Some(&Value::str("x"))).is_err(), "bytes into int[]");
    // raw pointer strings (unsafe API)
    let p = s.decay(&t).unwrap();
    // SAFETY: `s` holds a NUL-terminated string and is alive.
    assert_eq!(unsafe { p.string(None) }.unwrap(), b"hello");
    // SAFETY: `s` is alive and has at least 2 readable bytes (maxlen 2).
    assert_eq!(unsafe { p.string(Some(2)) }.unwrap(), b"he");
    let wp = w.decay(&t).unwrap();
    // SAFETY: `w` holds a NUL-terminated UTF-32 string.
    assert_eq!(unsafe { wp.wstring(4, None) }.unwrap(), "héllo €𝄞");
    // SAFETY: `w` has 9 ints.
    let un = unsafe { wp.unpack(&t, 3) }.unwrap();
    assert_eq!(un, vec![int('h' as i128), int('é' as i128), int('l' as i128)]);
}

#[test]
fn from_buffer_memmove_and_buffers() {
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let iopen = t.array(i, None);
    let mut bytes = Vec::new();
    for k in 0..5i32 {
        bytes.extend_from_slice(&(k * 100).to_le_bytes());
    }
    bytes.push(0xEE); // a trailing partial element is not part of the array
    let a = CData::from_buffer(&t, iopen, bytes).unwrap();
    assert_eq!(a.len(&t), Some(5));
    assert_eq!(
        a.unpack(&t, 5).unwrap(),
        (0..5).map(|k| int(k * 100)).collect::<Vec<_>>()
    );
    a.index(&t, 0).unwrap().write(&t, &int(-1)).unwrap();
    assert_eq!(&a.to_bytes(&t).unwrap()[..4], &[0xFF; 4]);
    let i4 = t.array(i, Some(4));
    assert!(CData::from_buffer(&t, i4, vec![0; 15]).is_err(), "too small");

    // overlapping memmove, both directions
    let b = CData::new_array(&mut t, i, 8, Some(&Value::List((0..8).map(int).collect()))).unwrap();
    memmove(&b.index(&t, 2).unwrap(), &b, 4 * 5).unwrap();
    assert_eq!(b.unpack(&t, 8).unwrap(), [0, 1, 0, 1, 2, 3, 4, 7].map(int).to_vec());
    memmove(&b, &b.index(&t, 3).unwrap(), 4 * 5).unwrap();
    assert_eq!(b.unpack(&t, 8).unwrap(), [1, 2, 3, 4, 7, 3, 4, 7].map(int).to_vec());
    assert!(
        memmove(&b.index(&t, 4).unwrap(), &b, 4 * 5).is_err(),
        "destination too small"
    );
    assert!(memmove(&b, &a, 32).is_err(), "source too small");

    // buffer views write through to the memory
    let buf = b.buffer(&t, None).unwrap();
    assert_eq!(buf.len(), 32);
    buf.write_at(4, &9i32.to_le_bytes()).unwrap();
    assert_eq!(b.index(&t, 1).unwrap().read(&t).unwrap(), int(9));
    let mut four = [0u8; 4];
    buf.read_at(28, &mut four).unwrap();
    assert_eq!(i32::from_le_bytes(four), 7);
    assert!(buf.read_at(29, &mut four).is_err());
    assert!(b.buffer(&t, Some(33)).is_err());
    assert_eq!(buf.to_vec(), b.to_bytes(&t).unwrap());
}

#[test]
fn gc_destructor_runs_exactly_once_and_ownership() {
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(AtomicUsize::new(0));
    let a = CData::new_array(&mut t, i, 4, None).unwrap();
    let addr = a.address().unwrap();
    {
        let (c2, s2) = (calls.clone(), seen.clone());
        let g = a.gc(move |p| {
            c2.fetch_add(1, Ordering::SeqCst);
            s2.store(p, Ordering::SeqCst);
        });
        let g2 = g.clone();
        let elem = g.index(&t, 2).unwrap();
        let p = g2.decay(&t).unwrap();
        drop(g);
        drop(g2);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "an element view keeps the gc object alive"
        );
        drop(elem);
        assert_eq!(calls.load(Ordering::SeqCst), 0, "a derived pointer keeps it alive");
        drop(p);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(seen.load(Ordering::SeqCst), addr);
    // the original object is still usable
    a.index(&t, 0).unwrap().write(&t, &int(1)).unwrap();
    // gc on a raw pointer
    let c3 = calls.clone();
    let p = Ptr::new(0x1234, i).gc(move |_| {
        c3.fetch_add(1, Ordering::SeqCst);
    });
    let q = p.add(&t, 1).unwrap();
    drop(p);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    drop(q);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // an element / pointer outlives its parent's handle and the memory stays valid
    let elem;
    let ptr;
    {
        let arr = CData::new_array(&mut t, i, 3, Some(&Value::List(vec![int(7), int(8), int(9)]))).unwrap();
        elem = arr.index(&t, 1).unwrap();
        ptr = arr.decay(&t).unwrap().add(&t, 2).unwrap();
        assert!(Arc::strong_count(arr.owner().unwrap()) >= 3);
    }
    assert_eq!(elem.read(&t).unwrap(), int(8));
    assert_eq!(ptr.target().unwrap().read(&t).unwrap(), int(9));
    assert_eq!(Arc::strong_count(elem.owner().unwrap()), 2);
}

#[test]
fn enums_and_cast_view() {
    let mut t = Types::new(Target::X86_64SysV);
    let e = t.declare_enum(Some("color"));
    t.complete_enum(e, vec![("RED".into(), 0), ("GREEN".into(), 5)], None, false)
        .unwrap();
    let c = CData::new(&t, e, Some(&Value::str("GREEN"))).unwrap();
    assert_eq!(c.read(&t).unwrap(), int(5));
    assert!(c.write(&t, &Value::str("BLUE")).is_err());
    assert!(c.write(&t, &int(-1)).is_err(), "unsigned int underlying type");
    let u = t.prim(Prim::UInt);
    let f = t.prim(Prim::Float);
    let x = CData::new(&t, f, Some(&Value::Float(1.0))).unwrap();
    assert_eq!(x.cast_view(&t, u).unwrap().read(&t).unwrap(), int(0x3f80_0000));
    let d = t.prim(Prim::Double);
    assert!(x.cast_view(&t, d).is_err(), "8 bytes do not fit in 4");
}

#[test]
fn scalar_encode_decode_for_the_call_layer() {
    use abicall::memory::{decode_value, encode_value, MAX_SCALAR};
    let mut t = Types::new(Target::Aarch64Linux);
    let c = t.prim(Prim::Char); // unsigned on aarch64 Linux
    let sc = t.prim(Prim::SChar);
    let i = t.prim(Prim::Int);
    let ip = t.pointer(i);
    let st = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("x", i)],
            RecordAttrs::default(),
        )
        .unwrap();
    let mut buf = [0u8; MAX_SCALAR];
    assert_eq!(encode_value(&t, c, &Value::Str(vec![0xE9]), &mut buf).unwrap(), 1);
    assert_eq!(decode_value(&t, c, &buf[..1]).unwrap(), int(0xE9));
    encode_value(&t, sc, &Value::Str(vec![0xE9]), &mut buf).unwrap();
    assert_eq!(decode_value(&t, sc, &buf[..1]).unwrap(), int(-23));
    assert!(encode_value(&t, c, &Value::str("ab"), &mut buf).is_err());
    assert_eq!(encode_value(&t, ip, &Value::Null, &mut buf).unwrap(), 8);
    assert!(decode_value(&t, ip, &buf[..8]).unwrap().is_null());
    assert!(encode_value(&t, st, &int(1), &mut buf).is_err());
    assert!(decode_value(&t, i, &buf[..2]).is_err(), "too few bytes");
    // dotted member paths resolve without the general path parser
    let outer = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("pad", c), FieldDecl::new("in", st)],
            RecordAttrs::default(),
        )
        .unwrap();
    let o = CData::new(&t, outer, Some(&Value::fields([("in.x", int(9))]))).unwrap();
    assert_eq!(
        o.field(&t, "in.x").unwrap().address().unwrap(),
        o.address().unwrap() + 4
    );
    assert_eq!(o.get(&t, "in.x").unwrap(), int(9));
    assert!(o.get(&t, "in.y").is_err());
    assert!(o.get(&t, "pad.x").is_err());
}

#[test]
fn views_used_with_a_foreign_type_table_give_errors() {
    let mut big = Types::new(Target::X86_64SysV);
    for _ in 0..5 {
        let i = big.prim(Prim::Int);
        big.pointer(i);
    }
    let d = big.prim(Prim::LongDouble);
    let arr = big.array(d, Some(4));
    let c = CData::new(&big, arr, None).unwrap();
    let small = Types::new(Target::X86_64SysV);
    assert!(c.read(&small).is_err());
    assert!(c.write(&small, &int(1)).is_err());
    assert!(c.index(&small, 0).is_err());
    assert!(c.field(&small, "x").is_err());
    assert!(c.size(&small).is_err());
    assert_eq!(c.len(&small), None);
    assert!(c.string(&small, None).is_err());
    assert!(c.offset(&small, 1).is_err());
    assert!(CData::new(&small, arr, None).is_err());
    assert!(abicall::memory::cast(&small, arr, &int(1)).is_err());
}

#[test]
fn unions_and_anonymous_members() {
    let mut t = Types::new(Target::X86_64SysV);
    let f = t.prim(Prim::Float);
    let i = t.prim(Prim::Int);
    let u = t
        .define_record(
            RecordKind::Union,
            Some("fi"),
            vec![FieldDecl::new("f", f), FieldDecl::new("i", i)],
            RecordAttrs::default(),
        )
        .unwrap();
    let x = CData::new(&t, u, Some(&Value::List(vec![Value::Float(1.0)]))).unwrap();
    assert_eq!(
        x.get(&t, "i").unwrap(),
        int(0x3f80_0000),
        "a list initializes the first member"
    );
    assert!(CData::new(&t, u, Some(&Value::List(vec![Value::Float(1.0), int(1)]))).is_err());
    x.write(&t, &Value::fields([("i", int(0x4000_0000))])).unwrap();
    assert_eq!(x.get(&t, "f").unwrap(), Value::Float(2.0));
    // struct { int tag; union { float f; int i; }; struct { int a, b; }; }
    let anon_u = t
        .define_record(
            RecordKind::Union,
            None,
            vec![FieldDecl::new("uf", f), FieldDecl::new("ui", i)],
            RecordAttrs::default(),
        )
        .unwrap();
    let anon_s = t
        .define_record(
            RecordKind::Struct,
            None,
            vec![FieldDecl::new("a", i), FieldDecl::new("b", i)],
            RecordAttrs::default(),
        )
        .unwrap();
    let s = t
        .define_record(
            RecordKind::Struct,
            Some("tagged"),
            vec![
                FieldDecl::new("tag", i),
                FieldDecl::anonymous(anon_u),
                FieldDecl::anonymous(anon_s),
            ],
            RecordAttrs::default(),
        )
        .unwrap();
    let v = CData::new(
        &t,
        s,
        Some(&Value::List(vec![
            int(1),
            Value::List(vec![Value::Float(0.5)]),
            Value::List(vec![int(2), int(3)]),
        ])),
    )
    .unwrap();
    assert_eq!(v.get(&t, "uf").unwrap(), Value::Float(0.5));
    assert_eq!(v.get(&t, "b").unwrap(), int(3));
    assert_eq!(v.field(&t, "b").unwrap().address().unwrap(), v.address().unwrap() + 12);
    v.write(&t, &Value::fields([("ui", int(0x3f80_0000)), ("a", int(9))]))
        .unwrap();
    assert_eq!(v.get(&t, "tag").unwrap(), int(0));
    assert_eq!(v.get(&t, "ui").unwrap(), int(0x3f80_0000));
    assert_eq!(v.get(&t, "a").unwrap(), int(9));
    // copying from an object of another type is refused
    assert!(v.write(&t, &Value::CData(x.clone())).is_err());
    assert!(x.write(&t, &Value::CData(v.clone())).is_err());
    assert_eq!(
        v.read_deep(&t).unwrap(),
        Value::fields([
            ("tag", int(0)),
            ("uf", Value::Float(1.0)),
            ("ui", int(0x3f80_0000)),
            ("a", int(9)),
            ("b", int(0))
        ])
    );
}

#[test]
fn hand_made_member_paths_are_checked() {
    use abicall::types::{BitField, FieldPath};
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let c = CData::new(&t, i, None).unwrap();
    let far = c.member(&FieldPath {
        offset: 1 << 40,
        ty: i,
        bit: None,
    });
    assert!(far.read(&t).is_err());
    assert!(far.write(&t, &int(1)).is_err());
    for (bit_offset, bit_width) in [(1000, 3), (0, 200), (7, 128)] {
        let m = c.member(&FieldPath {
            offset: 0,
            ty: i,
            bit: Some(BitField { bit_offset, bit_width }),
        });
        assert!(m.read(&t).is_err());
        assert!(m.write(&t, &int(0)).is_err());
    }
}

/// Type ids carry their table: a `CData` or id from another context is an
/// error (not misread as the type with the same index there), and the
/// table's accessors never panic on it.
#[test]
fn ids_from_another_context_are_refused() {
    let mut a = Ffi::new(Target::X86_64SysV);
    let mut b = Ffi::new(Target::X86_64SysV);
    a.cdef("struct big { double d[64]; };").unwrap();
    b.cdef("struct small { char c; };").unwrap();
    let big = a.type_of("struct big").unwrap();
    let small = b.type_of("struct small").unwrap();
    let obj = a.new_object("struct big", None).unwrap();
    {
        let tb = b.types();
        assert!(!tb.contains(big) && tb.contains(small));
        assert!(tb.check(big).is_err());
        // No panic, whatever the index: `void`, which has no size.
        let _ = tb.kind(big);
        assert!(tb.size_of(big).is_err());
        let _ = tb.display(big);
        assert_eq!(tb.depth(big), 0);
        // The other context's object: an error, not 512 bytes read as a char.
        let e = obj.read(&tb).unwrap_err().to_string();
        assert!(e.contains("does not belong to this type table"), "{e}");
        assert!(obj.write(&tb, &Value::Int(1)).is_err());
        // Raw ids round-trip only into their own table.
        assert_eq!(a.types().id_from_raw(big.to_raw()).unwrap(), big);
        assert!(tb.id_from_raw(big.to_raw()).is_err());
        assert_eq!(tb.id_at(small.index()), Some(small));
    }
}

/// The memory errors a host branches on carry their kind: an interpreter maps
/// `OutOfBounds` to its index error, `Null` to its null-pointer error, ...
#[test]
fn memory_errors_carry_their_kind() {
    use abicall::MemoryErrorKind as K;
    fn kind(e: Error) -> K {
        match e {
            Error::Memory { kind, .. } => kind,
            other => panic!("expected a memory error, got {other:?}"),
        }
    }
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let c = t.prim(Prim::Char);
    let v = t.prim(Prim::Void);
    let a3 = t.array(i, Some(3));
    let a = CData::new(&t, a3, None).unwrap();
    assert_eq!(kind(a.index(&t, 3).unwrap_err()), K::OutOfBounds);
    assert_eq!(kind(a.unpack(&t, 4).unwrap_err()), K::OutOfBounds);
    let e0 = a.index(&t, 0).unwrap();
    assert_eq!(kind(e0.offset(&t, 4).unwrap_err()), K::OutOfBounds);
    let one = CData::new(&t, i, None).unwrap();
    assert_eq!(
        kind(one.index(&t, 0).unwrap_err()),
        K::WrongType,
        "an int is not an array"
    );
    assert_eq!(kind(one.string(&t, None).unwrap_err()), K::WrongType);
    let cp = t.pointer(c);
    assert_eq!(kind(Ptr::new(0, c).target().unwrap_err()), K::Null);
    let nul = CData::new(&t, cp, None).unwrap();
    assert_eq!(
        kind(nul.string(&t, None).unwrap_err()),
        K::WrongType,
        "string() of a char * cdata"
    );
    // SAFETY: a NULL address is refused before anything is read.
    let e = unsafe { abicall::memory::string_at(std::ptr::null(), None) }.unwrap_err();
    assert_eq!(kind(e), K::Null);
    assert_eq!(kind(Ptr::new(0x1000, c).target().unwrap_err()), K::Untracked);
    assert_eq!(kind(Ptr::new(0x1000, v).add(&t, 1).unwrap_err()), K::WrongType);
    assert_eq!(
        kind(CData::new_array(&mut t, i, usize::MAX / 2, None).unwrap_err()),
        K::Size
    );
    let other = Types::new(Target::X86_64SysV);
    let big = t.array(c, Some(99));
    let b = CData::new(&t, big, None).unwrap();
    assert_eq!(kind(b.read(&other).unwrap_err()), K::ForeignType);
    // the message is the error's text
    let e = a.index(&t, 7).unwrap_err();
    assert!(e.to_string().contains("index 7 is out of bounds"), "{e}");
}
