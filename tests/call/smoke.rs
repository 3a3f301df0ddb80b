//! Smoke tests of the libffi call path against libc/libm functions, with
//! types built from code (the fixture-based tests cover every ABI row).

use abicall::call::{CallbackOptions, RawCall, RawCallback};
use abicall::types::{Prim, Types};
use abicall::Target;
use std::ffi::c_void;

fn sym(lib: &libloading::Library, name: &str) -> *const c_void {
    // SAFETY: we only take the address.
    unsafe { *lib.get::<*const c_void>(name.as_bytes()).unwrap() }
}

fn libm() -> libloading::Library {
    // SAFETY: loading libm runs no unsafe initialisers.
    unsafe { libloading::Library::new("libm.so.6").unwrap() }
}

#[test]
fn cos_through_libffi() {
    let mut t = Types::new(Target::host().unwrap());
    let d = t.prim(Prim::Double);
    let f = t.func(d, vec![d], false);
    let m = libm();
    // SAFETY: cos has signature double(double).
    let call = unsafe { RawCall::new(&t, f, &[], sym(&m, "cos"), None) }.unwrap();
    let x = 0.5f64;
    let mut r = 0f64;
    // SAFETY: pointers to a double argument and a double result.
    unsafe { call.call(&[&x as *const f64 as *const c_void], &mut r as *mut f64 as *mut c_void) }.unwrap();
    assert_eq!(r, 0.5f64.cos());
    // Wrong count is an error, not a crash.
    // SAFETY: rejected before any call.
    assert!(unsafe { call.call(&[], &mut r as *mut f64 as *mut c_void) }.is_err());
}

#[test]
fn snprintf_variadic_promotions() {
    let mut t = Types::new(Target::host().unwrap());
    let c = t.prim(Prim::Char);
    let cp = t.pointer(c);
    let ul = t.prim(Prim::ULong);
    let i = t.prim(Prim::Int);
    let fl = t.prim(Prim::Float);
    let ch = t.prim(Prim::Char);
    let f = t.func(i, vec![cp, ul, cp], true);
    let this = libloading::os::unix::Library::this();
    // SAFETY: address only.
    let p = unsafe { *this.get::<*const c_void>(b"snprintf").unwrap() };
    // SAFETY: snprintf(char*, size_t, const char*, ...), here with (float, char).
    let call = unsafe { RawCall::new(&t, f, &[fl, ch], p, None) }.unwrap();
    let mut buf = [0u8; 64];
    let bufp = buf.as_mut_ptr();
    let n: u64 = 64;
    let fmt = c"%.2f %d".as_ptr();
    let x: f32 = 1.5;
    let k: i8 = 7;
    let mut r: i32 = 0;
    // SAFETY: pointers to values of the planned types.
    unsafe {
        call.call(
            &[
                &bufp as *const _ as *const c_void,
                &n as *const u64 as *const c_void,
                &fmt as *const _ as *const c_void,
                &x as *const f32 as *const c_void,
                &k as *const i8 as *const c_void,
            ],
            &mut r as *mut i32 as *mut c_void,
        )
    }
    .unwrap();
    assert_eq!(&buf[..r as usize], b"1.50 7");
}

#[test]
fn qsort_with_callback() {
    let mut t = Types::new(Target::host().unwrap());
    let i = t.prim(Prim::Int);
    let v = t.prim(Prim::Void);
    let vp = t.pointer(v);
    let cmp = t.func(i, vec![vp, vp], false);
    let cmpp = t.pointer(cmp);
    let ul = t.prim(Prim::ULong);
    let qs = t.func(v, vec![vp, ul, ul, cmpp], false);
    let cb = RawCallback::new(
        &t,
        cmp,
        Box::new(|args, ret| {
            // SAFETY: qsort passes two pointers to ints.
            unsafe {
                let a = **(args[0] as *const *const i32);
                let b = **(args[1] as *const *const i32);
                *(ret as *mut i32) = (a > b) as i32 - (a < b) as i32;
            }
            Ok(())
        }),
        CallbackOptions::default(),
    )
    .unwrap();
    let this = libloading::os::unix::Library::this();
    // SAFETY: address only.
    let p = unsafe { *this.get::<*const c_void>(b"qsort").unwrap() };
    // SAFETY: qsort(void*, size_t, size_t, int(*)(const void*, const void*)).
    let call = unsafe { RawCall::new(&t, qs, &[], p, None) }.unwrap();
    let mut data: Vec<i32> = (0..1000).map(|k| (k * 7919) % 1000 - 500).collect();
    let base = data.as_mut_ptr() as *mut c_void;
    let n = data.len() as u64;
    let sz = 4u64;
    let code = cb.code();
    // SAFETY: valid array, element size, comparator of the right type.
    unsafe {
        call.call(
            &[
                &base as *const _ as *const c_void,
                &n as *const u64 as *const c_void,
                &sz as *const u64 as *const c_void,
                &code as *const _ as *const c_void,
            ],
            std::ptr::null_mut(),
        )
    }
    .unwrap();
    let mut sorted = data.clone();
    sorted.sort();
    assert_eq!(data, sorted);
}

extern "C" fn sum6(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64) -> i64 {
    a.wrapping_add(b)
        .wrapping_add(c)
        .wrapping_add(d)
        .wrapping_add(e)
        .wrapping_add(f)
}
extern "C" fn ident_u64(x: u64) -> u64 {
    x
}
extern "C" fn mixed(s: i16, c: u8, d: f64) -> i32 {
    (s as f64 * 1000.0 + c as f64 + d) as i32
}

/// `Function::call` on scalar signatures: the per-signature frame path
/// (JIT tier) and the general paths give the same answers, and a value the
/// frame path does not take (out of range, another kind) gets the general
/// path's conversion or error.
#[test]
fn function_call_frame_path_and_fallbacks() {
    use abicall::{Ffi, Function, Value};
    let mut ffi = Ffi::host().unwrap();
    let f6 = ffi.type_of("long (*)(long, long, long, long, long, long)").unwrap();
    let fu = ffi.type_of("unsigned long (*)(unsigned long)").unwrap();
    let fm = ffi.type_of("int (*)(short, unsigned char, double)").unwrap();
    // SAFETY: each function has the declared type.
    let (add6, idu, mix) = unsafe {
        (
            Function::from_raw(ffi.shared_types(), "sum6", f6, sum6 as *const c_void, None).unwrap(),
            Function::from_raw(ffi.shared_types(), "ident_u64", fu, ident_u64 as *const c_void, None).unwrap(),
            Function::from_raw(ffi.shared_types(), "mixed", fm, mixed as *const c_void, None).unwrap(),
        )
    };
    let ints = |xs: &[i128]| xs.iter().map(|&x| Value::Int(x)).collect::<Vec<_>>();
    // SAFETY: the functions have the declared types and only compute with
    // their arguments.
    unsafe {
        assert_eq!(add6.call(&ints(&[1, 2, 3, 4, 5, 6])).unwrap(), Value::Int(21));
        assert_eq!(
            add6.call(&ints(&[i64::MIN as i128, i64::MAX as i128, 0, 0, 0, 0]))
                .unwrap(),
            Value::Int(-1)
        );
        let e = add6.call(&ints(&[i64::MAX as i128 + 1, 0, 0, 0, 0, 0])).unwrap_err();
        assert!(
            e.to_string().contains("out of range") || e.to_string().contains("range"),
            "{e}"
        );
        assert!(add6.call(&ints(&[1, 2, 3])).is_err(), "argument count");
        assert_eq!(
            idu.call(&ints(&[u64::MAX as i128])).unwrap(),
            Value::Int(u64::MAX as i128)
        );
        assert!(idu.call(&ints(&[-1])).is_err());
        assert_eq!(
            mix.call(&[Value::Int(-3), Value::Int(255), Value::Float(0.5)]).unwrap(),
            Value::Int(-2744)
        );
        assert!(mix
            .call(&[Value::Int(40000), Value::Int(0), Value::Float(0.0)])
            .is_err());
        assert!(mix.call(&[Value::Int(1), Value::Int(256), Value::Float(0.0)]).is_err());
        // An integer for the `double`: the general path converts it, as before.
        let general = mix.call(&[Value::Int(1), Value::Int(2), Value::Int(3)]);
        match general {
            Ok(v) => assert_eq!(v, Value::Int(1005)),
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}
