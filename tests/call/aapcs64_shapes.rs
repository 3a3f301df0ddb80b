//! The AAPCS64 shapes of issue 14 (`c-fixtures/aapcs64.c`), called and
//! called back through the public API on whatever host the test runs on,
//! against the fixture library built by that host's C compiler (the oracle):
//! 9 and 10 structs of 32 bytes by value (pointers to caller-made copies
//! that end up on the stack), `__int128` after an odd number of integer
//! registers and with one register left, an HFA that overflows the v
//! registers, and `long double` (binary128 on aarch64) on the stack. On
//! x86_64 the same calls check the System V paths. Each runs on the
//! default tier here and on the others in `fixtures::every_tier_runs_every_fixture`'s
//! child processes (on aarch64 Linux: the fast path, then libffi).

use crate::support::fixtures;

use abicall::library::Library;
use abicall::target::LongDoubleFormat;
use abicall::value::LongDouble;
use abicall::{Ffi, Function, Value};
use std::sync::{Arc, Mutex};

struct Fx {
    ffi: Ffi,
    lib: Library,
}

fn setup() -> Fx {
    let mut ffi = Ffi::host().expect("host target");
    ffi.cdef(&fixtures::fixtures_header()).expect("fixture header parses");
    let so = fixtures::fixtures_so();
    // SAFETY: the fixture library is built by the test from c-fixtures; its
    // initialisers only set up the fixtures' own state.
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
        // SAFETY: every fixture is declared with its real signature (the
        // fixture header) and the tests pass arguments valid for it.
        unsafe { self.f(name).call(args) }.unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn last_error(&self) -> String {
        match self.call("fx_last_error_msg", &[]) {
            // SAFETY: fx_last_error_msg returns a NUL-terminated per-thread buffer.
            Value::Pointer(p) => String::from_utf8_lossy(&unsafe { p.string(Some(256)) }.unwrap()).into_owned(),
            other => panic!("fx_last_error_msg returned {other:?}"),
        }
    }
}

/// Struct k of the 32-byte series.
fn big(k: i128) -> Value {
    Value::fields([
        ("a", Value::Int(1000 * k + 1)),
        ("b", Value::Int(-(1000 * k + 2))),
        ("c", Value::Int(1000 * k + 3)),
        ("d", Value::Int(-(1000 * k + 4))),
    ])
}

/// The members `names` of a struct argument a callback received.
fn members(types: &SharedTypes, v: &Value, names: &[&str]) -> Result<Vec<Value>, String> {
    let c = v.as_cdata().ok_or_else(|| format!("struct argument as {v:?}"))?;
    let t = types.read().map_err(|e| e.to_string())?;
    names
        .iter()
        .map(|m| c.get(&t, m).map_err(|e| format!("member {m}: {e}")))
        .collect()
}

type SharedTypes = Arc<std::sync::RwLock<abicall::types::Types>>;

#[test]
fn nine_and_ten_32_byte_structs_by_value() {
    let fx = setup();
    let mut args: Vec<Value> = (0..9).map(big).collect();
    args.push(Value::Int(-909));
    assert_eq!(fx.call("fx_big9", &args), Value::Int(-909), "{}", fx.last_error());
    let mut args: Vec<Value> = (0..10).map(big).collect();
    let sum: i128 = (0..10).map(|k| (k + 1) * (4000 * k + 10)).sum();
    assert_eq!(fx.call("fx_big10_sum", &args), Value::Int(sum));
    args.push(Value::Int(1010));
    assert_eq!(fx.call("fx_big10", &args), Value::Int(1010), "{}", fx.last_error());
}

#[test]
fn ten_32_byte_structs_into_a_callback() {
    let mut fx = setup();
    let seen: Arc<Mutex<Vec<Vec<i128>>>> = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let types = fx.ffi.shared_types();
    let sig = "long(struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32, \
               struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32, long)";
    let cb = fx
        .ffi
        .callback(sig, move |got| {
            let mut s = seen2.lock().unwrap();
            for v in &got[..10] {
                let m = members(&types, v, &["a", "b", "c", "d"])?;
                s.push(
                    m.iter()
                        .map(|x| if let Value::Int(i) = x { *i } else { i128::MIN })
                        .collect(),
                );
            }
            match &got[10] {
                Value::Int(i) => Ok(Value::Int(*i + 1)),
                other => Err(format!("last argument {other:?}")),
            }
        })
        .unwrap();
    let r = fx.call("fx_big10_cbargs", &[cb.value()]);
    assert_eq!(r, Value::Int(4243));
    let want: Vec<Vec<i128>> = (0..10)
        .map(|k| vec![1000 * k + 1, -(1000 * k + 2), 1000 * k + 3, -(1000 * k + 4)])
        .collect();
    assert_eq!(*seen.lock().unwrap(), want);
}

/// fx_row11's `__int128`.
const V128: i128 = 0xF123456789ABCDEF_FEDCBA9876543210u128 as i128;

#[test]
fn int128_in_an_even_register_pair_and_on_the_stack() {
    let mut fx = setup();
    let r = fx.call("fx_i128_odd", &[Value::Int(-5), Value::Int(V128), Value::Int(31)]);
    assert_eq!(r, Value::Int(31), "{}", fx.last_error());
    let mut args: Vec<Value> = (1..=7).map(Value::Int).collect();
    args.extend([Value::Int(V128), Value::Int(-32)]);
    assert_eq!(fx.call("fx_i128_stack", &args), Value::Int(-32), "{}", fx.last_error());
    // The issue's `long f(int, int, int, int, int, __int128)` shape (row 11).
    let mut args: Vec<Value> = [11, -22, 33, -44, 55].into_iter().map(Value::Int).collect();
    args.extend([Value::Int(V128), Value::Int(-77)]);
    assert_eq!(fx.call("fx_row11_after", &args), Value::Int(-77), "{}", fx.last_error());
    let cb = fx
        .ffi
        .callback("long(int, __int128, long)", |got| match got {
            [Value::Int(-5), Value::Int(V128), Value::Int(l)] => Ok(Value::Int(*l * 2)),
            other => Err(format!("callback received {other:?}")),
        })
        .unwrap();
    assert_eq!(fx.call("fx_i128_odd_cbargs", &[cb.value()]), Value::Int(1554));
}

#[test]
fn hfa_that_overflows_the_v_registers() {
    let mut fx = setup();
    let mut args: Vec<Value> = (0..6).map(|k| Value::Float(k as f64 + 0.5)).collect();
    args.push(Value::fields([
        ("x", Value::Float(-1.25)),
        ("y", Value::Float(2.5)),
        ("z", Value::Float(-3.75)),
    ]));
    args.push(Value::Float(9.125));
    let r = fx.call("fx_hfa_overflow", &args);
    assert_eq!(r, Value::Float(9.125), "{}", fx.last_error());
    let got: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let got2 = got.clone();
    let types = fx.ffi.shared_types();
    let cb = fx
        .ffi
        .callback(
            "double(double, double, double, double, double, double, struct fx_hfa3, double)",
            move |a| {
                let h = members(&types, &a[6], &["x", "y", "z"])?;
                *got2.lock().unwrap() = Some(format!("{:?} {:?} {:?}", &a[..6], h, a[7]));
                Ok(a[7].clone())
            },
        )
        .unwrap();
    assert_eq!(fx.call("fx_hfa_overflow_cbargs", &[cb.value()]), Value::Float(6.25));
    assert_eq!(
        got.lock().unwrap().as_deref(),
        Some("[Float(0.5), Float(1.5), Float(2.5), Float(3.5), Float(4.5), Float(5.5)] [Float(-1.25), Float(2.5), Float(-3.75)] Float(6.25)")
    );
}

/// -(1 + 2^-60) and its negation in the host's `long double` format.
fn ld_pair() -> (Value, Value) {
    let format = abicall::Target::host().unwrap().long_double_format();
    let make = |neg: bool| {
        let mut bytes = [0u8; 16];
        match format {
            LongDoubleFormat::X87Extended => {
                bytes[..10].copy_from_slice(&[0x08, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
                bytes[9] |= u8::from(neg) << 7;
            }
            LongDoubleFormat::Binary128 => {
                let v = (u128::from(neg) << 127) | (0x3fffu128 << 112) | (1u128 << 52);
                bytes = v.to_le_bytes();
            }
            LongDoubleFormat::Double => panic!("long double is double on this host"),
        }
        Value::LongDouble(LongDouble { bytes, format })
    };
    (make(true), make(false))
}

#[test]
fn long_double_on_the_stack() {
    let fx = setup();
    let (a, b) = ld_pair();
    let mut args: Vec<Value> = (1..=8).map(|k| Value::Float(k as f64)).collect();
    args.extend([a, Value::Int(7), b]);
    assert_eq!(fx.call("fx_ld_stack", &args), Value::Int(7), "{}", fx.last_error());
}
