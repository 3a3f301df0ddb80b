//! Every C fixture (c-fixtures/abi_cases.h, rows of abi-cases.md) called
//! through the public API: `Function::call` with `Value`s in both directions
//! (callbacks made with `Ffi::callback`), and the key rows through the raw
//! API (`RawCall` with byte buffers). Known values come from the header
//! comments / c-fixtures/README.md; `_arg` functions compare member by member
//! in C and say which member differed (`fx_last_error_msg()`).

#[path = "support/fixtures.rs"]
mod fixtures;

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
    let mut ffi = Ffi::host().expect("host target");
    ffi.cdef(&fixtures::fixtures_header()).expect("fixture header parses");
    let so = fixtures::fixtures_so();
    let lib = Library::open(so.to_str().unwrap()).expect("fixture library opens");
    Fx { ffi, lib }
}

impl Fx {
    fn f(&self, name: &str) -> Function {
        self.ffi
            .function(&self.lib, name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn call(&self, name: &str, args: &[Value]) -> Value {
        self.f(name).call(args).unwrap_or_else(|e| panic!("{name}: {e}"))
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
        self.ffi.callback(sig, f).unwrap_or_else(|e| panic!("callback `{sig}`: {e}"))
    }

    fn cb_value(&self, cb: &abicall::Callback) -> Value {
        cb.value()
    }
}

fn ld(bytes10: [u8; 10]) -> Value {
    let mut bytes = [0u8; 16];
    bytes[..10].copy_from_slice(&bytes10);
    Value::LongDouble(LongDouble {
        bytes,
        format: LongDoubleFormat::X87Extended,
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
            vec![("a", f32v(1.5)), ("b", f32v(-2.5)), ("c", f32v(3.25)), ("d", f32v(-4.125))],
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

/// Equality, with long doubles compared on their 10 significant x87 bytes.
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::LongDouble(x), Value::LongDouble(y)) => x.bytes[..10] == y.bytes[..10] && x.format == y.format,
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
