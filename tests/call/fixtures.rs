//! Every C fixture (c-fixtures/abi_cases.h, rows of docs/abi-cases.md) called
//! through the public API: `Function::call` with `Value`s in both directions
//! (callbacks made with `Ffi::callback`), and the key rows through the raw
//! API (`RawCall` with byte buffers). Known values come from the header
//! comments / c-fixtures/README.md; `_arg` functions compare member by member
//! in C and say which member differed (`fx_last_error_msg()`).

use crate::support::fixtures;

use abicall::library::Library;
use abicall::memory::CData;
use abicall::target::LongDoubleFormat;
use abicall::types::Types;
use abicall::value::LongDouble;
use abicall::{Ffi, Function, Value};
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A context with the fixture header declared, and the fixture library.
struct Fx {
    ffi: Ffi,
    lib: Library,
}

fn setup() -> Fx {
    setup_with(fixtures::host::host_gcc())
}

/// The fixtures built with `compiler`.
fn setup_with(compiler: &str) -> Fx {
    let mut ffi = Ffi::host().expect("host target");
    ffi.cdef(&fixtures::fixtures_header()).expect("fixture header parses");
    let so = fixtures::fixtures_so_with(compiler);
    // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open(so.to_str().unwrap()) }.expect("fixture library opens");
    Fx { ffi, lib }
}

impl Fx {
    fn f(&self, name: &str) -> Function {
        self.ffi
            .function(&self.lib, name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn call(&self, name: &str, args: &[Value]) -> Value {
        // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
        unsafe { self.f(name).call(args) }.unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// The calling thread's last fixture error message.
    fn last_error(&self) -> String {
        match self.call("fx_last_error_msg", &[]) {
            // SAFETY: fx_last_error_msg returns a NUL-terminated per-thread buffer.
            Value::Pointer(p) => String::from_utf8_lossy(&unsafe { p.string(Some(256)) }.unwrap()).into_owned(),
            other => panic!("fx_last_error_msg returned {other:?}"),
        }
    }

    /// Calls a `_arg`/`_cbargs`-style function and asserts it returned 1.
    fn expect_one(&self, name: &str, args: &[Value]) {
        let r = self.call(name, args);
        assert_eq!(r, Value::Int(1), "{name} returned {r:?}: {}", self.last_error());
    }

    fn callback<F>(&mut self, sig: &str, f: F) -> abicall::Callback
    where
        F: Fn(&[Value]) -> Result<Value, String> + Send + Sync + 'static,
    {
        self.ffi
            .callback(sig, f)
            .unwrap_or_else(|e| panic!("callback `{sig}`: {e}"))
    }

    fn cb_value(&self, cb: &abicall::Callback) -> Value {
        cb.value()
    }
}

/// The host's `long double` format (x87 on x86_64, binary128 on aarch64 Linux).
fn ld_format() -> LongDoubleFormat {
    abicall::Target::host().expect("host target").long_double_format()
}

/// Significant bytes of a host `long double` (10 for x87, 16 for binary128).
fn ld_len() -> usize {
    match ld_format() {
        LongDoubleFormat::X87Extended => 10,
        _ => 16,
    }
}

/// The host `long double` bytes of a value given by its x87 bytes (the
/// known values are written that way). x87 and binary128 share the sign,
/// the 15-bit exponent and its bias; binary128 drops the explicit integer
/// bit and has 112 fraction bits, so the conversion of these values is exact.
fn host_ld(bytes10: [u8; 10]) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    match ld_format() {
        LongDoubleFormat::X87Extended => bytes[..10].copy_from_slice(&bytes10),
        LongDoubleFormat::Binary128 => {
            let m = u64::from_le_bytes(bytes10[..8].try_into().unwrap());
            let se = u16::from_le_bytes([bytes10[8], bytes10[9]]);
            let v = (u128::from(se) << 112) | (u128::from(m & !(1u64 << 63)) << 49);
            bytes = v.to_le_bytes();
        }
        LongDoubleFormat::Double => panic!("long double is double on this host"),
    }
    bytes
}

fn ld(bytes10: [u8; 10]) -> Value {
    Value::LongDouble(LongDouble {
        bytes: host_ld(bytes10),
        format: ld_format(),
    })
}

/// Row 10: -(1 + 2^-60).
fn row10_value() -> Value {
    ld([0x08, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xbf])
}

/// Row 10s: 1536 + 2^-53.
fn row10s_value() -> Value {
    ld([0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x09, 0x40])
}

fn f32v(x: f32) -> Value {
    Value::Float(x as f64)
}

/// What a value of a row must look like.
enum Exp {
    /// A scalar, compared with `==`.
    Scalar(Value),
    /// A struct/union: these member paths with these values.
    Fields(Vec<(&'static str, Value)>),
}

/// A single-value row: `T fx_rowN_ret(void)`, `int _arg(T)`, `T _echo(T)`, `int _cb(T (*)(T))`.
struct Row {
    name: &'static str,
    /// The C type, for the callback signature.
    ty: &'static str,
    /// The known value as an argument.
    init: Value,
    exp: Exp,
}

fn struct_row(name: &'static str, ty: &'static str, fields: Vec<(&'static str, Value)>) -> Row {
    let init = Value::Fields(
        fields
            .iter()
            .filter(|(n, _)| !n.contains('['))
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect(),
    );
    Row {
        name,
        ty,
        init,
        exp: Exp::Fields(fields),
    }
}

fn scalar_row(name: &'static str, ty: &'static str, v: Value) -> Row {
    Row {
        name,
        ty,
        init: v.clone(),
        exp: Exp::Scalar(v),
    }
}

fn rows() -> Vec<Row> {
    let r5 = || vec![("d", Value::Float(-2.5)), ("l", Value::Int(-1234567890123))];
    let v = vec![
        struct_row(
            "row1",
            "struct fx_r1",
            vec![("f", f32v(1.5)), ("i", Value::Int(-123456789))],
        ),
        Row {
            name: "row2",
            ty: "union fx_r2",
            init: Value::fields([("i", Value::Int(-1070596096))]),
            exp: Exp::Fields(vec![("i", Value::Int(-1070596096)), ("f", f32v(-2.75))]),
        },
        Row {
            name: "row3",
            ty: "union fx_r3",
            init: Value::fields([("d", Value::Float(1234.5625))]),
            exp: Exp::Fields(vec![("d", Value::Float(1234.5625))]),
        },
        Row {
            name: "row4",
            ty: "union fx_r4",
            init: Value::fields([("l", Value::Int(0x400921FB54442D18))]),
            exp: Exp::Fields(vec![
                ("l", Value::Int(0x400921FB54442D18)),
                ("d", Value::Float(std::f64::consts::PI)),
            ]),
        },
        struct_row("row5", "struct fx_r5", r5()),
        struct_row(
            "row6",
            "struct fx_r6",
            vec![("l", Value::Int(0x1122334455667788)), ("d", Value::Float(6.25))],
        ),
        struct_row(
            "row7",
            "struct fx_r7",
            vec![("x", f32v(1.25)), ("y", f32v(-2.5)), ("z", f32v(1024.75))],
        ),
        struct_row(
            "row8",
            "struct fx_r8",
            vec![
                ("a", Value::Int(-1)),
                ("b", Value::Int(0x0102030405060708)),
                ("c", Value::Int(-9000000000)),
            ],
        ),
        struct_row(
            "row9",
            "struct fx_r9",
            vec![("c", Value::Int(b'Q' as i128)), ("d", Value::Float(-2.0625))],
        ),
        scalar_row("row10", "long double", row10_value()),
        struct_row("row10s", "struct fx_r10s", vec![("x", row10s_value())]),
        scalar_row("row14f", "float _Complex", Value::Complex(1.5, -2.25)),
        scalar_row("row14d", "double _Complex", Value::Complex(-0.125, 4096.5)),
        scalar_row("row16c", "char", Value::Int(b'Z' as i128)),
        scalar_row("row16sc", "signed char", Value::Int(-100)),
        scalar_row("row16uc", "unsigned char", Value::Int(200)),
        scalar_row("row16s", "short", Value::Int(-30000)),
        scalar_row("row16us", "unsigned short", Value::Int(60000)),
        scalar_row("row16b", "_Bool", Value::Bool(true)),
        struct_row(
            "row17",
            "struct fx_r17",
            vec![("a", Value::Int(b'A' as i128)), ("b", Value::Int(b'z' as i128))],
        ),
        struct_row(
            "row20",
            "struct fx_r20",
            vec![
                ("a", Value::Int(-4)),
                ("b", Value::Int(0x1ABCDEF5)),
                ("c", Value::Int(-0x7F12345678)),
            ],
        ),
        Row {
            name: "row21",
            ty: "struct fx_r21",
            init: Value::fields([(
                "c",
                Value::List(vec![Value::Int(0x12), Value::Int(0x34), Value::Int(0x56)]),
            )]),
            exp: Exp::Fields(vec![
                ("c[0]", Value::Int(0x12)),
                ("c[1]", Value::Int(0x34)),
                ("c[2]", Value::Int(0x56)),
            ]),
        },
        struct_row(
            "row22",
            "struct fx_r22",
            vec![
                ("a", f32v(1.5)),
                ("b", f32v(-2.5)),
                ("c", f32v(3.25)),
                ("d", f32v(-4.125)),
            ],
        ),
        struct_row(
            "row23",
            "struct fx_r23",
            vec![("a", Value::Float(-1.0625)), ("b", f32v(7.75))],
        ),
        Row {
            name: "row24",
            ty: "struct fx_r24",
            init: Value::fields([(
                "a",
                Value::List([0.5, -1.5, 2.5, -3.5, 4.5].iter().map(|&x| f32v(x)).collect()),
            )]),
            exp: Exp::Fields(vec![
                ("a[0]", f32v(0.5)),
                ("a[1]", f32v(-1.5)),
                ("a[2]", f32v(2.5)),
                ("a[3]", f32v(-3.5)),
                ("a[4]", f32v(4.5)),
            ]),
        },
        Row {
            name: "row28",
            ty: "union fx_r28",
            init: Value::fields([("b", Value::List(vec![f32v(-1.75), f32v(3.5)]))]),
            exp: Exp::Fields(vec![("b[0]", f32v(-1.75)), ("b[1]", f32v(3.5)), ("a", f32v(-1.75))]),
        },
    ];
    v
}

/// Compares a value of a row with its expectation; `Err` says what differs.
fn check(types: &Types, what: &str, got: &Value, exp: &Exp) -> Result<(), String> {
    match exp {
        Exp::Scalar(e) => {
            if same_scalar(got, e) {
                Ok(())
            } else {
                Err(format!("{what}: got {got:?}, expected {e:?}"))
            }
        }
        Exp::Fields(fields) => {
            let cd = got
                .as_cdata()
                .ok_or_else(|| format!("{what}: expected a struct/union, got {got:?}"))?;
            for (path, e) in fields {
                let v = cd.get(types, path).map_err(|err| format!("{what}.{path}: {err}"))?;
                if !same_scalar(&v, e) {
                    return Err(format!("{what}.{path}: got {v:?}, expected {e:?}"));
                }
            }
            Ok(())
        }
    }
}

/// Equality, with long doubles compared on their significant bytes.
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::LongDouble(x), Value::LongDouble(y)) => {
            x.bytes[..ld_len()] == y.bytes[..ld_len()] && x.format == y.format
        }
        (Value::Bool(x), Value::Int(y)) | (Value::Int(y), Value::Bool(x)) => (*x as i128) == *y,
        _ => a == b,
    }
}

fn row_named(name: &str) -> Row {
    rows().into_iter().find(|r| r.name == name).expect("row")
}

fn run_row(fx: &mut Fx, row: &Row) {
    let n = row.name;
    let types = fx.ffi.shared_types();
    // _ret
    let ret = fx.call(&format!("fx_{n}_ret"), &[]);
    check(&fx.ffi.types(), &format!("fx_{n}_ret"), &ret, &row.exp).unwrap();
    // _arg with the known value
    fx.expect_one(&format!("fx_{n}_arg"), std::slice::from_ref(&row.init));
    // _arg with what _ret returned (a C object passed back by value)
    fx.expect_one(&format!("fx_{n}_arg"), std::slice::from_ref(&ret));
    // _echo
    let echo = fx.call(&format!("fx_{n}_echo"), std::slice::from_ref(&row.init));
    check(&fx.ffi.types(), &format!("fx_{n}_echo"), &echo, &row.exp).unwrap();
    // _cb: C calls our echo; the argument must arrive right, and C checks the result.
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let (fl, cl, name) = (failures.clone(), calls.clone(), n.to_string());
    let cb = fx.callback(&format!("{t}({t})", t = row.ty), move |args| {
        cl.fetch_add(1, Ordering::SeqCst);
        let row = row_named(&name);
        let t = types.read().unwrap();
        if let Err(e) = check(&t, "callback argument", &args[0], &row.exp) {
            fl.lock().unwrap().push(e);
        }
        Ok(args[0].clone())
    });
    let r = fx.call(&format!("fx_{n}_cb"), &[fx.cb_value(&cb)]);
    assert_eq!(failures.lock().unwrap().as_slice(), &[] as &[String], "fx_{n}_cb");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "fx_{n}_cb calls");
    assert_eq!(r, Value::Int(1), "fx_{n}_cb: {}", fx.last_error());
}

macro_rules! row_tests {
    ($($test:ident => $row:literal),* $(,)?) => {$(
        #[test]
        fn $test() {
            let mut fx = setup();
            run_row(&mut fx, &row_named($row));
        }
    )*};
}

row_tests! {
    row1_struct_float_int => "row1",
    row2_union_float_int => "row2",
    row3_union_float_double => "row3",
    row4_union_double_long => "row4",
    row5_struct_double_long => "row5",
    row6_struct_long_double => "row6",
    row7_struct_three_floats => "row7",
    row8_struct_memory => "row8",
    row9_packed => "row9",
    row10_long_double => "row10",
    row10s_struct_long_double => "row10s",
    row14f_float_complex => "row14f",
    row14d_double_complex => "row14d",
    row16c_char => "row16c",
    row16sc_signed_char => "row16sc",
    row16uc_unsigned_char => "row16uc",
    row16s_short => "row16s",
    row16us_unsigned_short => "row16us",
    row16b_bool => "row16b",
    row17_zero_width_bitfield => "row17",
    row20_bitfields_by_value => "row20",
    row21_char_array_struct => "row21",
    row22_hfa => "row22",
    row23_double_float => "row23",
    row24_float_array_struct => "row24",
    row28_union_float_array => "row28",
}

fn ints(v: &[i128]) -> Vec<Value> {
    v.iter().map(|&x| Value::Int(x)).collect()
}

fn floats(v: &[f64]) -> Vec<Value> {
    v.iter().map(|&x| Value::Float(x)).collect()
}

/// Row 11's `v`: high 0xF123456789ABCDEF, low 0xFEDCBA9876543210.
const ROW11_V: i128 = 0xF123456789ABCDEF_FEDCBA9876543210u128 as i128;
/// Row 25's `s.v`.
const ROW25_V: i128 = 0x0A1B2C3D4E5F6071_8293A4B5C6D7E8F9;

fn row11_args() -> Vec<Value> {
    let mut a = ints(&[11, -22, 33, -44, 55]);
    a.push(Value::Int(ROW11_V));
    a
}

fn row12_args() -> Vec<Value> {
    let mut a = ints(&[101, -202, 303, -404, 505, -606]);
    a.push(Value::fields([
        ("d", Value::Float(-2.5)),
        ("l", Value::Int(-1234567890123)),
    ]));
    a.push(Value::Float(-0.375));
    a
}

fn row13_args() -> Vec<Value> {
    let mut a = floats(&[0.5, -1.5, 2.25, -3.125, 4.0625, -5.03125, 6.015625]);
    a.push(Value::fields([("a", Value::Float(-7.75)), ("b", Value::Float(8.875))]));
    a.push(Value::Float(9.5));
    a
}

fn row19_args() -> Vec<Value> {
    vec![Value::Int(6425), Value::List(vec![]), Value::Int(-6425)]
}

fn row25_args() -> Vec<Value> {
    vec![
        Value::Int(-25),
        Value::fields([("v", Value::Int(ROW25_V))]),
        Value::Int(2525),
    ]
}

fn row29_args() -> Vec<Value> {
    let mut a = ints(&[1, -2, 3, -4, 5, -6, 7, -8]);
    a.extend(floats(&[0.125, -0.25, 0.375, -0.5, 0.625, -0.75, 0.875, -1.0]));
    a.extend([
        Value::Int(-29),
        Value::Int(-2929),
        Value::Int(292929),
        Value::Float(2.875),
        Value::Float(-29.5),
        Value::Int(-0x2929292929),
    ]);
    a
}

/// Checks callback arguments against the known ones (aggregates: member by
/// member against `fields`, at index `agg`).
fn check_args(
    types: &SharedTypes,
    got: &[Value],
    want: &[Value],
    agg: Option<(usize, Vec<(&'static str, Value)>)>,
) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{} arguments, expected {}", got.len(), want.len()));
    }
    let t = types.read().unwrap();
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        match &agg {
            Some((k, fields)) if *k == i => check(&t, &format!("argument {i}"), g, &Exp::Fields(fields.clone()))?,
            _ if i == agg.as_ref().map_or(usize::MAX, |a| a.0) => {}
            _ if !same_scalar(g, w) => return Err(format!("argument {i}: got {g:?}, expected {w:?}")),
            _ => {}
        }
    }
    Ok(())
}

type SharedTypes = Arc<std::sync::RwLock<Types>>;
type FieldsFn = fn() -> Vec<(&'static str, Value)>;

/// A multi-argument row: `_arg`, `_echo` (checked by `echo_exp`), `_cb`
/// (callback of `_echo`'s type returning `echo_of(args)`), `_cbargs` (callback
/// of `_arg`'s type checking every argument and returning 1).
fn run_multi(
    n: &str,
    args: fn() -> Vec<Value>,
    agg: Option<(usize, FieldsFn)>,
    echo_sig: &str,
    echo_exp: Exp,
    echo_of: fn(&[Value]) -> Value,
    arg_sig: &str,
) {
    let mut fx = setup();
    fx.expect_one(&format!("fx_{n}_arg"), &args());
    let echo = fx.call(&format!("fx_{n}_echo"), &args());
    check(&fx.ffi.types(), &format!("fx_{n}_echo"), &echo, &echo_exp).unwrap();

    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let types = fx.ffi.shared_types();
    let (fl, cl, ty, ag) = (failures.clone(), calls.clone(), types.clone(), agg);
    let cb = fx.callback(echo_sig, move |got| {
        cl.fetch_add(1, Ordering::SeqCst);
        if let Err(e) = check_args(&ty, got, &args(), ag.map(|(k, f)| (k, f()))) {
            fl.lock().unwrap().push(e);
        }
        Ok(echo_of(got))
    });
    let r = fx.call(&format!("fx_{n}_cb"), &[cb.value()]);
    assert_eq!(failures.lock().unwrap().as_slice(), &[] as &[String], "fx_{n}_cb");
    assert_eq!(r, Value::Int(1), "fx_{n}_cb: {}", fx.last_error());

    let (fl, cl, ty) = (failures.clone(), calls.clone(), types.clone());
    let cb = fx.callback(arg_sig, move |got| {
        cl.fetch_add(1, Ordering::SeqCst);
        match check_args(&ty, got, &args(), agg.map(|(k, f)| (k, f()))) {
            Ok(()) => Ok(Value::Int(1)),
            Err(e) => {
                fl.lock().unwrap().push(e);
                Ok(Value::Int(0))
            }
        }
    });
    let r = fx.call(&format!("fx_{n}_cbargs"), &[cb.value()]);
    assert_eq!(failures.lock().unwrap().as_slice(), &[] as &[String], "fx_{n}_cbargs");
    assert_eq!(r, Value::Int(1), "fx_{n}_cbargs");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // The C function itself is a valid `_cbargs` callback.
    let own = fx.f(&format!("fx_{n}_arg"));
    let p = Value::Pointer(abicall::memory::Ptr::new(own.code() as usize, own.ty()));
    fx.expect_one(&format!("fx_{n}_cbargs"), &[p]);
}

#[test]
fn row11_int128_after_five_ints() {
    run_multi(
        "row11",
        row11_args,
        None,
        "__int128(int, int, int, int, int, __int128)",
        Exp::Scalar(Value::Int(ROW11_V)),
        |a| a[5].clone(),
        "int(int, int, int, int, int, __int128)",
    );
    let fx = setup();
    assert_eq!(fx.call("fx_row11_ret", &[]), Value::Int(ROW11_V));
    let mut a = row11_args();
    a.push(Value::Int(-77));
    assert_eq!(fx.call("fx_row11_after", &a), Value::Int(-77), "{}", fx.last_error());
}

#[test]
fn row12_struct_after_full_gprs() {
    let r5 = || vec![("d", Value::Float(-2.5)), ("l", Value::Int(-1234567890123))];
    run_multi(
        "row12",
        row12_args,
        Some((6, r5)),
        "struct fx_r5(long, long, long, long, long, long, struct fx_r5, double)",
        Exp::Fields(r5()),
        |a| a[6].clone(),
        "int(long, long, long, long, long, long, struct fx_r5, double)",
    );
    let fx = setup();
    assert_eq!(fx.call("fx_row12_last", &row12_args()), Value::Float(-0.375));
}

#[test]
fn row13_struct_after_seven_doubles() {
    let r13 = || vec![("a", Value::Float(-7.75)), ("b", Value::Float(8.875))];
    run_multi(
        "row13",
        row13_args,
        Some((7, r13)),
        "struct fx_r13(double, double, double, double, double, double, double, struct fx_r13, double)",
        Exp::Fields(r13()),
        |a| a[7].clone(),
        "int(double, double, double, double, double, double, double, struct fx_r13, double)",
    );
    let fx = setup();
    assert_eq!(fx.call("fx_row13_last", &row13_args()), Value::Float(9.5));
    let r = fx.call("fx_row13_ret", &[]);
    check(&fx.ffi.types(), "fx_row13_ret", &r, &Exp::Fields(r13())).unwrap();
}

#[test]
fn row19_empty_struct_between_ints() {
    run_multi(
        "row19",
        row19_args,
        Some((1, Vec::new)),
        "int(int, struct fx_r19, int)",
        Exp::Scalar(Value::Int(-6425)),
        |a| a[2].clone(),
        "int(int, struct fx_r19, int)",
    );
    let fx = setup();
    let r = fx.call("fx_row19_ret", &[]);
    let cd = r.as_cdata().expect("struct");
    assert_eq!(cd.size(&fx.ffi.types()).unwrap(), 0);
}

#[test]
fn row25_int128_struct() {
    let r25 = || vec![("v", Value::Int(ROW25_V))];
    run_multi(
        "row25",
        row25_args,
        Some((1, r25)),
        "struct fx_r25(int, struct fx_r25, int)",
        Exp::Fields(r25()),
        |a| a[1].clone(),
        "int(int, struct fx_r25, int)",
    );
    let fx = setup();
    let r = fx.call("fx_row25_ret", &[]);
    check(&fx.ffi.types(), "fx_row25_ret", &r, &Exp::Fields(r25())).unwrap();
}

#[test]
fn row29_stack_arguments() {
    run_multi(
        "row29",
        row29_args,
        None,
        "long(long, long, long, long, long, long, long, long, double, double, double, double, double, double, \
         double, double, signed char, short, int, float, double, long)",
        Exp::Scalar(Value::Int(-0x2929292929)),
        |a| a[21].clone(),
        "int(long, long, long, long, long, long, long, long, double, double, double, double, double, double, \
         double, double, signed char, short, int, float, double, long)",
    );
}

#[test]
fn row16_dirty_narrow_returns_are_truncated() {
    let fx = setup();
    for (n, want) in [
        ("c", Value::Int(b'Z' as i128)),
        ("sc", Value::Int(-100)),
        ("uc", Value::Int(200)),
        ("s", Value::Int(-30000)),
        ("us", Value::Int(60000)),
        ("b", Value::Bool(false)),
    ] {
        assert_eq!(fx.call(&format!("fx_row16{n}_dirty"), &[]), want, "fx_row16{n}_dirty");
    }
    assert_eq!(fx.call("fx_narrow_ret", &[Value::Int(0x12345678)]), Value::Int(0x5678));
    assert_eq!(fx.call("fx_narrow_ret", &[Value::Int(0x8000)]), Value::Int(-0x8000));
}

fn row16_args() -> Vec<Value> {
    vec![
        Value::Int(-100),
        Value::Int(-30000),
        Value::Int(200),
        Value::Int(60000),
        Value::Bool(true),
    ]
}

#[test]
fn row16_narrow_arguments_extended_by_caller() {
    let mut fx = setup();
    fx.expect_one("fx_narrow_arg_sext", &row16_args());
    assert_eq!(fx.call("fx_row16_sum", &row16_args()), Value::Int(30101));
    // Hand-written assembly: 1 only if all five registers were extended to 32 bits.
    fx.expect_one("fx_row16_extended", &row16_args());
    // Callback with dirty upper bits in every register: we read the declared widths.
    let seen = Arc::new(Mutex::new(String::new()));
    let s2 = seen.clone();
    let cb = fx.callback(
        "int(signed char, short, unsigned char, unsigned short, _Bool)",
        move |a| {
            let want = row16_args();
            let ok = a.iter().zip(&want).all(|(g, w)| same_scalar(g, w));
            *s2.lock().unwrap() = format!("{a:?}");
            Ok(Value::Int(ok as i128))
        },
    );
    let r = fx.call("fx_row16_cbargs", &[cb.value()]);
    assert_eq!(r, Value::Int(1), "callback saw {}", seen.lock().unwrap());
}

#[test]
fn row16_clang_callee_relies_on_extension() {
    // The clang-built fx_row16_sum adds whole 32-bit registers.
    let mut ffi = Ffi::host().unwrap();
    ffi.cdef(&fixtures::fixtures_header()).unwrap();
    let so = fixtures::fixtures_so_with("clang");
    // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open(so.to_str().unwrap()) }.unwrap();
    let f = ffi.function(&lib, "fx_row16_sum").unwrap();
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_eq!(unsafe { f.call(&row16_args()) }.unwrap(), Value::Int(30101));
}

#[test]
fn row14l_long_double_complex() {
    let fx = setup();
    // Through `Value`s the parts are rounded to f64: (1 + 2^-60) -> 1, (3 + 2^-61) -> 3.
    assert_eq!(fx.call("fx_row14l_ret", &[]), Value::Complex(1.0, -3.0));
    // Exact bytes through the raw API: re = 1 + 2^-60, im = -(3 + 2^-61).
    let mut want = [0u8; 32];
    want[..16].copy_from_slice(&host_ld([0x08, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]));
    want[16..].copy_from_slice(&host_ld([0x02, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0xc0]));
    let n = ld_len();
    let ret = fx.f("fx_row14l_ret");
    let raw = ret.raw().unwrap();
    assert_eq!(raw.ret_size(), 32);
    let mut out = [0u8; 32];
    // SAFETY: no arguments; `out` has ret_size bytes.
    unsafe { raw.call(&[], out.as_mut_ptr() as *mut c_void) }.unwrap();
    assert_eq!(out[..n], want[..n], "real part");
    assert_eq!(out[16..16 + n], want[16..16 + n], "imaginary part");
    let arg = fx.f("fx_row14l_arg");
    let mut r = 0i32;
    // SAFETY: one `long double _Complex` argument (32 bytes), int result.
    unsafe {
        arg.raw()
            .unwrap()
            .call(&[want.as_ptr() as *const c_void], &mut r as *mut i32 as *mut c_void)
    }
    .unwrap();
    assert_eq!(r, 1, "fx_row14l_arg: {}", fx.last_error());
    let echo = fx.f("fx_row14l_echo");
    let mut back = [0u8; 32];
    // SAFETY: the argument is a 32-byte long double _Complex; `back` holds the 32-byte result.
    unsafe {
        echo.raw()
            .unwrap()
            .call(&[want.as_ptr() as *const c_void], back.as_mut_ptr() as *mut c_void)
    }
    .unwrap();
    assert_eq!((&back[..n], &back[16..16 + n]), (&want[..n], &want[16..16 + n]));
    // Callback: C passes the known value; we echo its exact bytes.
    let types = fx.ffi.types();
    let t = fx.ffi.decls().functions["fx_row14l_echo"].ty;
    let cb = abicall::call::RawCallback::new(
        &types,
        t,
        Box::new(|args, ret| {
            // SAFETY: one 32-byte argument, 32-byte result buffer.
            unsafe { std::ptr::copy_nonoverlapping(args[0] as *const u8, ret as *mut u8, 32) };
            Ok(())
        }),
        Default::default(),
    )
    .unwrap();
    drop(types);
    let code = cb.code();
    let cbf = fx.f("fx_row14l_cb");
    let mut r = 0i32;
    // SAFETY: one function-pointer argument of the declared type.
    unsafe {
        cbf.raw().unwrap().call(
            &[&code as *const *const c_void as *const c_void],
            &mut r as *mut i32 as *mut c_void,
        )
    }
    .unwrap();
    assert_eq!(r, 1, "fx_row14l_cb: {}", fx.last_error());
}

fn vsum_text(fx: &Fx) -> String {
    match fx.call("fx_vsum_text", &[]) {
        // SAFETY: a NUL-terminated per-thread buffer.
        Value::Pointer(p) => String::from_utf8_lossy(&unsafe { p.string(None) }.unwrap()).into_owned(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn row15_variadic_promotions() {
    let mut fx = setup();
    let vsum = fx.f("fx_vsum");
    let fl = fx.ffi.type_of("float").unwrap();
    let ch = fx.ffi.type_of("char").unwrap();
    let int = fx.ffi.type_of("int").unwrap();
    // float -> double, char -> int.
    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let r = unsafe {
        vsum.call_variadic(
            &[Value::str("fci"), Value::Float(1.5), Value::Int(7), Value::Int(-3)],
            &[fl, ch, int],
        )
    }
    .unwrap();
    assert_eq!(r, Value::Float(5.5));
    assert_eq!(vsum_text(&fx), "f:1.5 c:7 i:-3");
    // Inferred types: int, long (does not fit int), double, string.
    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let r = unsafe {
        vsum.call(&[
            Value::str("ilds"),
            Value::Int(-4),
            Value::Int(1 << 40),
            Value::Float(0.25),
            Value::str("txt"),
        ])
    }
    .unwrap();
    assert_eq!(r.as_f64().unwrap(), -4.0 + (1u64 << 40) as f64 + 0.25);
    assert_eq!(vsum_text(&fx), "i:-4 l:1099511627776 d:0.25 s:txt");
    // fx_vavg(3, ...) with doubles.
    let avg = fx.call(
        "fx_vavg",
        &floats(&[1.5, -2.25, 8.25])
            .into_iter()
            .fold(vec![Value::Int(3)], |mut v, x| {
                v.push(x);
                v
            }),
    );
    assert_eq!(avg, Value::Float(2.5));
    // The real vsnprintf: "%f %d" with (float)1.5, (char)7.
    let buf = fx.ffi.new_object("char[64]", None).unwrap();
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let n = unsafe {
        fx.f("fx_vsnprintf").call_variadic(
            &[
                Value::CData(buf.clone()),
                Value::Int(64),
                Value::str("%f %d"),
                Value::Float(1.5),
                Value::Int(7),
            ],
            &[fl, ch],
        )
    }
    .unwrap();
    assert_eq!(n, Value::Int(10));
    assert_eq!(buf.string(&fx.ffi.types(), None).unwrap(), b"1.500000 7");
}

#[test]
fn row15_structs_through_varargs() {
    let mut fx = setup();
    let tys: Vec<_> = [
        "struct fx_r5",
        "struct fx_r7",
        "struct fx_r8",
        "struct fx_r1",
        "double",
        "int",
    ]
    .iter()
    .map(|t| fx.ffi.type_of(t).unwrap())
    .collect();
    let args = vec![
        Value::Int(15),
        row_named("row5").init,
        row_named("row7").init,
        row_named("row8").init,
        row_named("row1").init,
        Value::Float(-0.375),
        Value::Int(1515),
    ];
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let r = unsafe { fx.f("fx_row15_vstruct").call_variadic(&args, &tys) }.unwrap();
    assert_eq!(r, Value::Int(1), "{}", fx.last_error());
    // Inferred from the C objects' own types.
    let objs: Vec<Value> = args
        .iter()
        .enumerate()
        .map(|(i, v)| match i {
            1..=4 => {
                let ty = ["struct fx_r5", "struct fx_r7", "struct fx_r8", "struct fx_r1"][i - 1];
                Value::CData(fx.ffi.new_object(ty, Some(v)).unwrap())
            }
            _ => v.clone(),
        })
        .collect();
    fx.expect_one("fx_row15_vstruct", &objs);
}

#[test]
fn row15_variadic_callback() {
    let mut fx = setup();
    // Variadic callbacks are refused with a message (C cannot tell us the types).
    let e = fx
        .ffi
        .callback("double(int, ...)", |_| Ok(Value::Float(0.0)))
        .unwrap_err();
    assert!(e.to_string().contains("variadic callbacks are not supported"), "{e}");
    // A C variadic function works as the callback.
    let vavg = fx.f("fx_vavg");
    let p = Value::Pointer(abicall::memory::Ptr::new(vavg.code() as usize, vavg.ty()));
    fx.expect_one("fx_row15_cb", &[p]);
}

#[test]
fn row18_flexible_array_by_pointer() {
    let mut fx = setup();
    assert_eq!(fx.ffi.sizeof("struct fx_r18").unwrap(), 8);
    let p = fx.call("fx_row18_new", &[Value::Int(4)]);
    assert_eq!(
        fx.call("fx_row18_sum", std::slice::from_ref(&p)),
        Value::Float(0.5 + 1.5 + 2.5 + 3.5)
    );
    {
        let ptr = p.as_ptr().unwrap();
        let t = fx.ffi.types();
        // SAFETY: fx_row18_new returned a live struct fx_r18 (header part).
        let hdr = unsafe { ptr.deref(&t, 1) }.unwrap();
        assert_eq!(hdr.get(&t, "n").unwrap(), Value::Int(4));
    }
    assert_eq!(fx.call("fx_row18_free", &[p]), Value::Null);
    // Our own flexible object passed to C.
    let ty = fx.ffi.type_of("struct fx_r18").unwrap();
    let obj = {
        let t = fx.ffi.types();
        let o = CData::new_flexible(&t, ty, 3, None).unwrap();
        o.set(&t, "n", &Value::Int(3)).unwrap();
        for (i, x) in [1.25, -2.5, 10.0].iter().enumerate() {
            o.set(&t, &format!("d[{i}]"), &Value::Float(*x)).unwrap();
        }
        o
    };
    assert_eq!(fx.call("fx_row18_sum", &[Value::CData(obj)]), Value::Float(8.75));
}

#[test]
fn errno_saved_and_restored() {
    let fx = setup();
    assert_eq!(fx.call("fx_set_errno", &[Value::Int(33)]), Value::Int(-1));
    assert_eq!(abicall::call::errno(), 33);
    abicall::call::set_errno(44);
    assert_eq!(fx.call("fx_get_errno", &[]), Value::Int(44));
    assert_eq!(abicall::call::errno(), 44);
    // Per thread.
    std::thread::spawn(|| assert_eq!(abicall::call::errno(), 0))
        .join()
        .unwrap();
}

#[test]
fn callback_on_foreign_thread() {
    let mut fx = setup();
    let tid = Arc::new(Mutex::new(None));
    let t2 = tid.clone();
    let cb = fx.callback("int(int)", move |a| {
        *t2.lock().unwrap() = Some(std::thread::current().id());
        Ok(Value::Int(a[0].as_int().unwrap() * 2 + 1))
    });
    assert_eq!(
        fx.call("fx_call_in_thread", &[cb.value(), Value::Int(20)]),
        Value::Int(41)
    );
    assert_ne!(tid.lock().unwrap().unwrap(), std::thread::current().id());
}

#[test]
fn callback_from_eight_c_threads() {
    let mut fx = setup();
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let cb = fx.callback("int(int)", move |a| {
        c2.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Int(a[0].as_int().unwrap() * 3 - 7))
    });
    let (threads, each) = (8, 50);
    let results = fx.ffi.new_object(&format!("int[{}]", threads * each), None).unwrap();
    let r = fx.call(
        "fx_call_n_threads",
        &[
            cb.value(),
            Value::Int(threads),
            Value::Int(each),
            Value::CData(results.clone()),
        ],
    );
    assert_eq!(r, Value::Int(0));
    assert_eq!(count.load(Ordering::SeqCst), (threads * each) as usize);
    let t = fx.ffi.types();
    let got = results.unpack(&t, (threads * each) as usize).unwrap();
    let want: Vec<Value> = (0..threads * each).map(|k| Value::Int(k * 3 - 7)).collect();
    assert_eq!(got, want);
}

#[test]
fn qsort_with_rust_comparator() {
    let mut fx = setup();
    let cmp = fx.callback("int(const void *, const void *)", |a| {
        let rd = |v: &Value| {
            let p = v.as_ptr().ok_or("pointer expected")?.addr() as *const i32;
            // SAFETY: qsort passes pointers to elements of the int array.
            Ok::<i32, String>(unsafe { p.read() })
        };
        let (x, y) = (rd(&a[0])?, rd(&a[1])?);
        Ok(Value::Int((x > y) as i128 - (x < y) as i128))
    });
    let data: Vec<Value> = (0..200).map(|k| Value::Int((k * 7919) % 200 - 100)).collect();
    let arr = fx.ffi.new_object("int[200]", Some(&Value::List(data))).unwrap();
    fx.expect_one(
        "fx_qsort_ints",
        &[Value::CData(arr.clone()), Value::Int(200), cmp.value()],
    );
    let t = fx.ffi.types();
    let got: Vec<i128> = arr
        .unpack(&t, 200)
        .unwrap()
        .iter()
        .map(|v| v.as_int().unwrap())
        .collect();
    let mut want = got.clone();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(got[0], -100);
}

#[test]
fn globals_read_and_write() {
    let fx = setup();
    let t = || fx.ffi.types();
    // SAFETY: `fx_counter` is declared with its real type and size.
    let counter = unsafe { fx.ffi.variable(&fx.lib, "fx_counter") }.unwrap();
    assert_eq!(counter.read(&t()).unwrap(), Value::Int(42));
    counter.write(&t(), &Value::Int(-5)).unwrap();
    assert_eq!(fx.call("fx_counter_get", &[]), Value::Int(-5));
    counter.write(&t(), &Value::Int(42)).unwrap();

    // SAFETY: `fx_name` is declared with its real type and size.
    let name = unsafe { fx.ffi.variable(&fx.lib, "fx_name") }.unwrap();
    let p = name.read(&t()).unwrap();
    // SAFETY: fx_name points to a string literal.
    assert_eq!(unsafe { p.as_ptr().unwrap().string(None) }.unwrap(), b"fixtures");

    // SAFETY: `fx_origin` is declared with its real type and size.
    let origin = unsafe { fx.ffi.variable(&fx.lib, "fx_origin") }.unwrap();
    assert_eq!(origin.get(&t(), "x").unwrap(), Value::Int(-3));
    assert_eq!(origin.get(&t(), "y").unwrap(), Value::Int(4));
    assert_eq!(fx.call("fx_origin_key", &[]), Value::Int(-3 * 1000 + 4));
    origin
        .write(&t(), &Value::fields([("x", Value::Int(12)), ("y", Value::Int(-34))]))
        .unwrap();
    assert_eq!(fx.call("fx_origin_key", &[]), Value::Int(12 * 1000 - 34));
    origin
        .write(&t(), &Value::fields([("x", Value::Int(-3)), ("y", Value::Int(4))]))
        .unwrap();
    // The global is passed by value as an aggregate too.
    // SAFETY: `fx_last_error` is declared with its real type and size.
    let last = unsafe { fx.ffi.variable(&fx.lib, "fx_last_error") }.unwrap();
    assert_eq!(last.size(&t()).unwrap(), 256);
}

#[test]
fn asm_label_alias_and_simple_functions() {
    let mut fx = setup();
    assert_eq!(fx.call("fx_alias", &[Value::Int(4)]), Value::Int(13));
    assert!(fx.lib.symbol("fx_alias").is_err(), "no fx_alias symbol");
    assert_eq!(fx.call("fx_add", &[Value::Int(2), Value::Int(-5)]), Value::Int(-3));
    assert_eq!(
        fx.call("fx_add6", &ints(&[1, 2, 3, 4, 5, 1 << 40])),
        Value::Int(15 + (1 << 40))
    );
    assert_eq!(fx.call("fx_add_dd", &floats(&[0.25, 2.5])), Value::Float(2.75));
    assert_eq!(fx.call("fx_noop", &[]), Value::Null);
    assert_eq!(fx.call("fx_strlen", &[Value::str("hello")]), Value::Int(5));
    let pt = fx.ffi.new_object("struct fx_point *", None).unwrap();
    assert_eq!(fx.call("fx_fill_point", &[Value::CData(pt.clone())]), Value::Null);
    let t = fx.ffi.types();
    assert_eq!(
        (pt.get(&t, "x").unwrap(), pt.get(&t, "y").unwrap()),
        (Value::Int(7), Value::Int(-8))
    );
    let h = fx.call("fx_hello", &[]);
    assert_eq!(
        // SAFETY: a string literal.
        unsafe { h.as_ptr().unwrap().string(None) }.unwrap(),
        b"hello from fixtures"
    );
    let built = fx.call("fx_built_by", &[]);
    // SAFETY: a string literal.
    assert!(unsafe { built.as_ptr().unwrap().string(None) }
        .unwrap()
        .starts_with(b"gcc"));
}

/// Calls a prepared raw call with pointers to Rust values laid out by
/// `#[repr(C)]` (independent of abicall's layout code).
///
/// # Safety
/// `args` point to values of the function's parameter types; `R` is its
/// return type's layout.
unsafe fn raw_call<R: Copy>(f: &Function, args: &[*const c_void], zero: R) -> R {
    let raw = f.raw().expect("not variadic");
    assert_eq!(raw.ret_size(), std::mem::size_of::<R>(), "{}: return size", f.name());
    let mut r = zero;
    // SAFETY: `args` match the function's parameters and `R` its return
    // type's layout (this function's contract); `r` has ret_size bytes.
    unsafe { raw.call(args, &mut r as *mut R as *mut c_void) }.unwrap();
    r
}

fn p<T>(v: &T) -> *const c_void {
    v as *const T as *const c_void
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct R5 {
    d: f64,
    l: i64,
}
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct R7 {
    x: f32,
    y: f32,
    z: f32,
}
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct R8 {
    a: i64,
    b: i64,
    c: i64,
}
#[repr(C, packed)]
#[derive(Clone, Copy)]
struct R9 {
    c: u8,
    d: f64,
}
/// `struct { int a:3; unsigned b:29; long c:40; }` as gcc lays it out on
/// x86_64: `a` bits 0..3 and `b` bits 3..32 of the first word, `c` the low
/// 40 bits of the second eightbyte.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct R20 {
    ab: u32,
    pad: u32,
    c: u64,
}
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, PartialEq)]
struct R25 {
    v: i128,
}

#[test]
fn raw_api_key_rows() {
    let fx = setup();
    let int_ret = |name: &str, args: &[*const c_void]| {
        // SAFETY: every caller below passes the parameter types of `name`.
        let r: i32 = unsafe { raw_call(&fx.f(name), args, 0) };
        assert_eq!(r, 1, "{name}: {}", fx.last_error());
    };
    // Row 5: SSE + INTEGER return.
    let r5 = R5 {
        d: -2.5,
        l: -1234567890123,
    };
    // SAFETY: no arguments, struct fx_r5 result.
    assert_eq!(unsafe { raw_call(&fx.f("fx_row5_ret"), &[], R5 { d: 0.0, l: 0 }) }, r5);
    int_ret("fx_row5_arg", &[p(&r5)]);
    // Row 7: two SSE eightbytes.
    let r7 = R7 {
        x: 1.25,
        y: -2.5,
        z: 1024.75,
    };
    assert_eq!(
        // SAFETY: struct fx_r7 argument and result.
        unsafe { raw_call(&fx.f("fx_row7_echo"), &[p(&r7)], R7 { x: 0.0, y: 0.0, z: 0.0 }) },
        r7
    );
    int_ret("fx_row7_arg", &[p(&r7)]);
    // Row 8: MEMORY, hidden return pointer.
    let r8 = R8 {
        a: -1,
        b: 0x0102030405060708,
        c: -9000000000,
    };
    assert_eq!(
        // SAFETY: struct fx_r8 argument and result.
        unsafe { raw_call(&fx.f("fx_row8_echo"), &[p(&r8)], R8 { a: 0, b: 0, c: 0 }) },
        r8
    );
    int_ret("fx_row8_arg", &[p(&r8)]);
    // Row 9: packed, size 9.
    let r9 = R9 { c: b'Q', d: -2.0625 };
    // SAFETY: struct fx_r9 argument and result.
    let back = unsafe { raw_call(&fx.f("fx_row9_echo"), &[p(&r9)], R9 { c: 0, d: 0.0 }) };
    assert_eq!((back.c, { back.d }), (b'Q', -2.0625));
    int_ret("fx_row9_arg", &[p(&r9)]);
    // Row 20: bitfields.
    let a: i32 = -4;
    let b: u32 = 0x1ABCDEF5;
    let c: i64 = -0x7F12345678;
    let r20 = R20 {
        ab: (a as u32 & 7) | (b << 3),
        pad: 0,
        c: c as u64 & ((1 << 40) - 1),
    };
    int_ret("fx_row20_arg", &[p(&r20)]);
    // SAFETY: no arguments, struct fx_r20 result.
    let got = unsafe { raw_call(&fx.f("fx_row20_ret"), &[], R20 { ab: 0, pad: 0, c: 0 }) };
    assert_eq!((got.ab, got.c & ((1 << 40) - 1)), (r20.ab, r20.c));
    // Row 25: 16-aligned struct between ints; row 11: __int128 after five ints.
    let r25 = R25 { v: ROW25_V };
    let (ia, ib) = (-25i32, 2525i32);
    int_ret("fx_row25_arg", &[p(&ia), p(&r25), p(&ib)]);
    assert_eq!(
        // SAFETY: (int, struct fx_r25, int) -> struct fx_r25.
        unsafe { raw_call(&fx.f("fx_row25_echo"), &[p(&ia), p(&r25), p(&ib)], R25 { v: 0 }) },
        r25
    );
    let five = [11i32, -22, 33, -44, 55];
    let v11 = ROW11_V;
    let after = 0x1234_5678_9abci64;
    let mut args: Vec<*const c_void> = five.iter().map(p).collect();
    args.push(p(&v11));
    int_ret("fx_row11_arg", &args);
    args.push(p(&after));
    // SAFETY: (int ×5, __int128, long) -> long.
    assert_eq!(unsafe { raw_call(&fx.f("fx_row11_after"), &args, 0i64) }, after);
    // Wrong argument count through the raw API: an error, not a call.
    let mut r = 0i32;
    // SAFETY: rejected before the call.
    let e = unsafe {
        fx.f("fx_row5_arg")
            .raw()
            .unwrap()
            .call(&[], &mut r as *mut i32 as *mut c_void)
    }
    .unwrap_err();
    assert!(e.to_string().contains("expected 1 argument(s), got 0"), "{e}");
}

/// A `long double`'s bytes, aligned like one (16).
#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Ld16([u8; 16]);

/// Valgrind computes x87 long doubles with 64-bit precision: the tests named
/// `*long_double*` are skipped by scripts/valgrind.sh (see docs/testing.md).
#[test]
fn raw_api_long_double_rows() {
    let fx = setup();
    let int_ret = |name: &str, args: &[*const c_void]| {
        // SAFETY: every caller below passes the parameter types of `name`.
        let r: i32 = unsafe { raw_call(&fx.f(name), args, 0) };
        assert_eq!(r, 1, "{name}: {}", fx.last_error());
    };
    // Row 10: long double (x87) in memory, returned in st0.
    let n = ld_len();
    let ld10 = Ld16(host_ld([0x08, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xbf]));
    // SAFETY: no arguments, 16-byte long double result.
    let got: Ld16 = unsafe { raw_call(&fx.f("fx_row10_ret"), &[], Ld16([0; 16])) };
    assert_eq!(got.0[..n], ld10.0[..n]);
    int_ret("fx_row10_arg", &[p(&ld10)]);
    let ld10s = Ld16(host_ld([0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0x09, 0x40]));
    // SAFETY: struct fx_r10s argument and result (16 bytes).
    let got: Ld16 = unsafe { raw_call(&fx.f("fx_row10s_echo"), &[p(&ld10s)], Ld16([0; 16])) };
    assert_eq!(got.0[..n], ld10s.0[..n]);
    int_ret("fx_row10s_arg", &[p(&ld10s)]);
}

#[test]
fn row15_variadic_long_double() {
    let fx = setup();
    // A `long double` value in `...` is inferred as `long double` (x87 on
    // the stack on x86_64, binary128 in a q register on aarch64).
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let r = unsafe {
        fx.f("fx_vsum")
            .call(&[Value::str("Ld"), row10_value(), Value::Float(0.5)])
    }
    .unwrap();
    assert_eq!(r.as_f64().unwrap(), -0.5);
    assert_eq!(vsum_text(&fx), "L:-1.00000000000000000087 d:0.5");
}

#[test]
fn fixture_reports_the_differing_member() {
    // The `_arg` checks can fail: a wrong member gives 0 and names it.
    let fx = setup();
    fx.call("fx_clear_error", &[]);
    assert_eq!(fx.last_error(), "");
    let wrong = Value::fields([("d", Value::Float(-2.5)), ("l", Value::Int(1))]);
    assert_eq!(fx.call("fx_row5_arg", &[wrong]), Value::Int(0));
    let msg = fx.last_error();
    assert!(msg.starts_with("fx_row5_arg: l = 1, expected -1234567890123"), "{msg}");
    fx.call("fx_clear_error", &[]);
    assert_eq!(fx.last_error(), "");
}

#[test]
fn single_value_rows_against_the_clang_build() {
    // clang-built callees (and callers of our callbacks) for every
    // single-value row; clang relies on caller extension of narrow ints.
    let mut fx = setup_with("clang");
    for row in rows().iter().filter(|r| !is_long_double(r)) {
        run_row(&mut fx, row);
    }
}

fn is_long_double(r: &Row) -> bool {
    matches!(r.name, "row10" | "row10s")
}

#[test]
fn long_double_rows_against_the_clang_build() {
    let mut fx = setup_with("clang");
    for row in rows().iter().filter(|r| is_long_double(r)) {
        run_row(&mut fx, row);
    }
}

#[test]
fn callbacks_return_initializers() {
    // A callback may return a designated or positional initializer instead
    // of a C object, for register (row 5), MEMORY (row 8) and HFA-ish (row 22) returns.
    let mut fx = setup();
    let cb = fx.callback("struct fx_r5(struct fx_r5)", |_| {
        Ok(Value::fields([
            ("l", Value::Int(-1234567890123)),
            ("d", Value::Float(-2.5)),
        ]))
    });
    fx.expect_one("fx_row5_cb", &[cb.value()]);
    let cb = fx.callback("struct fx_r8(struct fx_r8)", |_| {
        Ok(Value::List(ints(&[-1, 0x0102030405060708, -9000000000])))
    });
    fx.expect_one("fx_row8_cb", &[cb.value()]);
    let cb = fx.callback("struct fx_r22(struct fx_r22)", |_| {
        Ok(Value::List(vec![f32v(1.5), f32v(-2.5), f32v(3.25), f32v(-4.125)]))
    });
    fx.expect_one("fx_row22_cb", &[cb.value()]);
    let cb = fx.callback("_Bool(_Bool)", |_| Ok(Value::Int(1)));
    fx.expect_one("fx_row16b_cb", &[cb.value()]);
}

/// The tier a prepared call and a callback take by default, per the
/// environment: the JIT (x86_64 and aarch64 Linux), the fast path with
/// `ABICALL_NO_JIT`, libffi with `ABICALL_NO_FASTPATH`.
fn expected_tier() -> abicall::call::Tier {
    use abicall::call::Tier;
    let on = |v: &str| std::env::var_os(v).is_some_and(|v| !v.is_empty() && v != "0");
    let jit_host = cfg!(all(
        any(target_arch = "x86_64", target_arch = "aarch64"),
        target_os = "linux"
    ));
    let fast_host = cfg!(any(
        target_arch = "x86_64",
        all(target_arch = "aarch64", target_os = "linux")
    ));
    if on("ABICALL_NO_FASTPATH") || !fast_host {
        Tier::Libffi
    } else if on("ABICALL_NO_JIT") || !jit_host || std::env::var("ABICALL_JIT_MEMORY").as_deref() == Ok("none") {
        Tier::Fast
    } else {
        Tier::Jit
    }
}

#[test]
fn default_tier_follows_the_environment() {
    let mut fx = setup();
    let f = fx.f("fx_add6");
    assert_eq!(f.raw().unwrap().tier(), expected_tier());
    let cb = fx.callback("int (*)(int, int)", |_| Ok(Value::Int(0)));
    assert_eq!(cb.raw().tier(), expected_tier());
}

/// This file's tests and `aapcs64_shapes` again in child processes with
/// `ABICALL_NO_JIT=1` (the fast path) and `ABICALL_NO_FASTPATH=1` (libffi),
/// so every fixture runs through every tier; the parent runs the default
/// tier (the JIT on x86_64 Linux, the fast path on aarch64 Linux). Two more
/// children exercise executable memory: `ABICALL_JIT_MEMORY=none` (a host
/// that refuses it: the JIT falls back to the fast path) and `=private`
/// (one private W^X mapping per trampoline instead of the shared pages).
#[test]
fn every_tier_runs_every_fixture() {
    if std::env::var_os("ENGINE_FIXTURES_CHILD").is_some() {
        return;
    }
    for (var, value) in [
        ("ABICALL_NO_JIT", "1"),
        ("ABICALL_NO_FASTPATH", "1"),
        ("ABICALL_JIT_MEMORY", "none"),
        ("ABICALL_JIT_MEMORY", "private"),
    ] {
        let mut cmd = crate::support::host::exe_command(std::env::current_exe().unwrap());
        cmd.args(["fixtures::", "aapcs64_shapes::"])
            .env("ENGINE_FIXTURES_CHILD", "1")
            .env(var, value);
        let what = format!("the fixtures with {var}={value}");
        let out = crate::support::host::output_within(&mut cmd, std::time::Duration::from_secs(600), &what);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains(" passed; 0 failed"),
            "{var}={value}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
