//! Calling C functions that take and return GCC vector types, against a
//! library compiled by the host's gcc (the oracle): 8-byte vectors, an HVA
//! of 8-byte vectors and 32-byte vectors returned through memory work on
//! both hosts; a 16-byte vector (one whole `xmm` register on x86_64) cannot
//! be described to libffi, so on x86_64 only the JIT tier calls it (the
//! libffi tier is refused with an error naming the type), while on aarch64
//! it travels in a `q` register on every tier (docs/abi-cases.md row 33).

use crate::support::memory::compile_so;

use abicall::library::Library;
use abicall::{Ffi, Target, Value};

const DECLS: &str = "
typedef float v2sf __attribute__((vector_size(8)));
typedef int v2si __attribute__((vector_size(8)));
typedef float v4sf __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));
typedef float v8sf __attribute__((vector_size(32)));
typedef double v2df __attribute__((vector_size(16)));
struct hva2 { v2sf a, b; };
struct hv { v4sf v; };
struct hvd { v2df v; double d; };
";

const DEFS: &str = "
v2sf vx_add2(v2sf a, v2sf b) { return a + b; }
v2si vx_mul2i(v2si a, int k) { return a * k; }
float vx_sum_hva(struct hva2 s) { return s.a[0] + s.a[1] + s.b[0] + s.b[1]; }
v8sf vx_scale8(const v8sf *a, float k) { return *a * k; }
v4sf vx_add4(v4sf a, v4sf b) { return a + b; }
v4si vx_neg4(v4si a) { return -a; }
static float vx_w(v4sf v) { return v[0] + 2 * v[1] + 3 * v[2] + 4 * v[3]; }
float vx_many(v4sf a, v4sf b, v4sf c, v4sf d, v4sf e, v4sf f, v4sf g, v4sf h, v4sf i, int k, v4sf j) {
    return vx_w(a) + 2 * vx_w(b) + 3 * vx_w(c) + 4 * vx_w(d) + 5 * vx_w(e) + 6 * vx_w(f) + 7 * vx_w(g)
        + 8 * vx_w(h) + 9 * vx_w(i) + 10 * vx_w(j) + 1000 * k;
}
struct hv vx_wrap(struct hv a, double k) { struct hv r = { a.v * (float)k }; return r; }
v2df vx_mixd(double x, struct hvd s, v2df y, long n) { v2df r = { x + s.d + y[0], s.v[0] * s.v[1] + y[1] + n }; return r; }
float vx_apply2(v2sf (*f)(v2sf, struct hva2), v2sf x) {
    struct hva2 h = { { 10.0f, 20.0f }, { 30.0f, 40.0f } };
    v2sf r = f(x, h);
    return r[0] * 1000.0f + r[1];
}
v4sf vx_apply4(v4sf (*f)(v4sf), v4sf x) { return f(x + 1.0f) * 2.0f; }
typedef float v1sf __attribute__((vector_size(4)));
float vx_v1sf(int a, v1sf b, long c, v1sf d, float e) { return a * 1000 + b[0] * 100 + c * 10 + d[0] + e; }
v1sf vx_v1sf_ret(int a) { v1sf r = { a * 0.5f }; return r; }
float vx_v1sf_cb(float (*f)(int, v1sf, long, v1sf)) { v1sf x = { 2.0f }, y = { 4.0f }; return f(1, x, 3, y); }
";

const PROTOS: &str = "
v2sf vx_add2(v2sf a, v2sf b);
v2si vx_mul2i(v2si a, int k);
float vx_sum_hva(struct hva2 s);
v8sf vx_scale8(const v8sf *a, float k);
v4sf vx_add4(v4sf a, v4sf b);
v4si vx_neg4(v4si a);
float vx_many(v4sf a, v4sf b, v4sf c, v4sf d, v4sf e, v4sf f, v4sf g, v4sf h, v4sf i, int k, v4sf j);
struct hv vx_wrap(struct hv a, double k);
v2df vx_mixd(double x, struct hvd s, v2df y, long n);
float vx_apply2(v2sf (*f)(v2sf, struct hva2), v2sf x);
v4sf vx_apply4(v4sf (*f)(v4sf), v4sf x);
typedef float v1sf __attribute__((vector_size(4)));
float vx_v1sf(int a, v1sf b, long c, v1sf d, float e);
v1sf vx_v1sf_ret(int a);
float vx_v1sf_cb(float (*f)(int, v1sf, long, v1sf));
";

struct Fx {
    ffi: Ffi,
    lib: Library,
}

fn setup() -> Fx {
    let so = compile_so("vectors", &format!("{DECLS}{DEFS}"));
    let mut ffi = Ffi::host().expect("host target");
    ffi.cdef(&format!("{DECLS}{PROTOS}"))
        .expect("vector declarations parse");
    // SAFETY: the library was just compiled from DEFS; it has no initialisers.
    let lib = unsafe { Library::open(so.to_str().unwrap()) }.expect("vector library opens");
    Fx { ffi, lib }
}

impl Fx {
    /// A new object of type `ty` holding `bytes`.
    fn object(&mut self, ty: &str, bytes: &[u8]) -> Value {
        let cd = self.ffi.new_object(ty, None).unwrap_or_else(|e| panic!("{ty}: {e}"));
        cd.write_bytes(0, bytes).unwrap();
        Value::CData(cd)
    }

    fn call(&self, name: &str, args: &[Value]) -> Value {
        let f = self
            .ffi
            .function(&self.lib, name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // SAFETY: the prototypes in PROTOS are those of DEFS, and the
        // arguments have the declared types.
        unsafe { f.call(args) }.unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn bytes(&self, v: &Value) -> Vec<u8> {
        v.as_cdata()
            .unwrap_or_else(|| panic!("a vector result as {v:?}"))
            .to_bytes(&self.ffi.types())
            .unwrap()
    }
}

fn floats(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn ints(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[test]
fn eight_byte_vectors_and_hvas_by_value() {
    let mut fx = setup();
    let a = fx.object("v2sf", &floats(&[1.5, -2.0]));
    let b = fx.object("v2sf", &floats(&[0.25, 8.0]));
    let r = fx.call("vx_add2", &[a, b]);
    assert_eq!(fx.bytes(&r), floats(&[1.75, 6.0]));

    let a = fx.object("v2si", &ints(&[3, -7]));
    let r = fx.call("vx_mul2i", &[a, Value::Int(6)]);
    assert_eq!(fx.bytes(&r), ints(&[18, -42]));

    let s = fx.object("struct hva2", &floats(&[1.0, 2.0, 4.0, 8.0]));
    assert_eq!(fx.call("vx_sum_hva", &[s]), Value::Float(15.0));
}

#[test]
fn thirty_two_byte_vector_returned_through_memory() {
    let mut fx = setup();
    let a = fx.object("v8sf", &floats(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]));
    let p = Value::Pointer(a.as_cdata().unwrap().pointer().unwrap());
    let r = fx.call("vx_scale8", &[p, Value::Float(0.5)]);
    assert_eq!(fx.bytes(&r), floats(&[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]));
}

fn doubles(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// 16-byte vectors by value: alone, nine of them (the ninth and tenth on
/// the stack on x86_64, past `xmm7`), in a struct (SSE + SSEUP) and beside
/// doubles and a struct with a `double` after the vector. On x86_64 these
/// run on the JIT tier, the only one that can place a whole `xmm`; the
/// libffi tier refuses them naming the type.
#[test]
fn sixteen_byte_vectors_by_value() {
    use abicall::call::Tier;
    let mut fx = setup();
    let a = fx.object("v4sf", &floats(&[1.0, 2.0, 3.0, 4.0]));
    let b = fx.object("v4sf", &floats(&[0.5, 0.25, -3.0, 100.0]));
    let r = fx.call("vx_add4", &[a, b]);
    assert_eq!(fx.bytes(&r), floats(&[1.5, 2.25, 0.0, 104.0]));
    let a = fx.object("v4si", &ints(&[1, -2, 3, i32::MIN + 1]));
    let r = fx.call("vx_neg4", &[a]);
    assert_eq!(fx.bytes(&r), ints(&[-1, 2, -3, i32::MAX]));

    // vx_many: sum of (n+1) * w(v_n) + 1000 k, w(v) = v0 + 2 v1 + 3 v2 + 4 v3.
    let mut args = Vec::new();
    let mut want = 0.0f32;
    for n in 0..10 {
        let v = [n as f32, 1.0, -(n as f32) / 2.0, 0.25 * n as f32];
        want += (n + 1) as f32 * (v[0] + 2.0 * v[1] + 3.0 * v[2] + 4.0 * v[3]);
        args.push(fx.object("v4sf", &floats(&v)));
    }
    want += 7000.0;
    args.insert(9, Value::Int(7));
    assert_eq!(fx.call("vx_many", &args), Value::Float(want as f64));

    let s = fx.object("struct hv", &floats(&[1.0, -2.0, 0.5, 8.0]));
    let r = fx.call("vx_wrap", &[s, Value::Float(3.0)]);
    assert_eq!(fx.bytes(&r), floats(&[3.0, -6.0, 1.5, 24.0]));

    let s = fx.object("struct hvd", &doubles(&[3.0, 5.0, 0.125]));
    let y = fx.object("v2df", &doubles(&[100.0, 1000.0]));
    let r = fx.call("vx_mixd", &[Value::Float(2.0), s, y, Value::Int(-4)]);
    assert_eq!(fx.bytes(&r), doubles(&[102.125, 1011.0]));

    if fx.ffi.target() == Target::X86_64SysV {
        for (name, ty) in [
            ("vx_add4", "float __attribute__((vector_size(16)))"),
            ("vx_neg4", "int __attribute__((vector_size(16)))"),
        ] {
            let f = fx.ffi.function(&fx.lib, name).unwrap();
            let mut raw = f.raw().expect("a non-variadic function has its call").clone();
            assert!(!raw.has_tier(Tier::Libffi), "{name}: libffi cannot place a whole xmm");
            assert!(
                !raw.has_tier(Tier::Fast),
                "{name}: the register image holds 8 bytes per xmm"
            );
            assert_eq!(raw.tier(), Tier::Jit, "{name}");
            let err = raw.set_tier(Tier::Libffi).unwrap_err().to_string();
            assert!(err.contains("libffi") && err.contains(ty), "{name}: {err}");
            assert_eq!(raw.tier(), Tier::Jit, "{name}: a refused tier changes nothing");
        }
    }
}

/// The 8-byte vector calls through every call tier the host has (JIT,
/// fast path, libffi), not only the default one.
#[test]
fn eight_byte_vectors_on_every_tier() {
    use abicall::call::Tier;
    let fx = setup();
    let a = floats(&[1.5, -2.0]);
    let b = floats(&[0.25, 8.0]);
    let hva = floats(&[1.0, 2.0, 4.0, 8.0]);
    let mut ran = Vec::new();
    for tier in Tier::ALL {
        for (name, args, want) in [
            ("vx_add2", vec![a.clone(), b.clone()], floats(&[1.75, 6.0])),
            ("vx_sum_hva", vec![hva.clone()], floats(&[15.0])),
        ] {
            let f = fx.ffi.function(&fx.lib, name).unwrap();
            let mut raw = f.raw().expect("a non-variadic function has its call").clone();
            if raw.set_tier(tier).is_err() {
                continue;
            }
            let ptrs: Vec<*const std::ffi::c_void> = args.iter().map(|x| x.as_ptr().cast()).collect();
            let mut ret = [0u8; 16];
            // SAFETY: `raw` calls `name` with its declared signature; each
            // argument buffer holds a value of the parameter's type and the
            // return buffer is larger than the result.
            unsafe { raw.call(&ptrs, ret.as_mut_ptr().cast()) }.unwrap_or_else(|e| panic!("{name} ({tier}): {e}"));
            assert_eq!(ret[..want.len()], want[..], "{name} through the {tier} tier");
            ran.push(format!("{name}/{tier}"));
        }
    }
    assert!(ran.len() >= 2, "not even libffi ran: {ran:?}");
}

/// C calls an abicall callback taking an 8-byte vector and an HVA of them
/// and returning a vector (every call tier's callback entry takes 8-byte
/// vectors), and one taking and returning a 16-byte vector; on x86_64 a
/// libffi closure for the latter is refused with the type named.
#[test]
fn callbacks_with_vectors() {
    let mut fx = setup();
    let types = fx.ffi.shared_types();
    let cb = fx
        .ffi
        .callback("v2sf (*)(v2sf, struct hva2)", move |args| {
            let t = types.read().map_err(|e| e.to_string())?;
            let x = args[0]
                .as_cdata()
                .ok_or("vector argument")?
                .to_bytes(&t)
                .map_err(|e| e.to_string())?;
            let h = args[1]
                .as_cdata()
                .ok_or("HVA argument")?
                .to_bytes(&t)
                .map_err(|e| e.to_string())?;
            let f = |b: &[u8], i: usize| f32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap());
            let out = floats(&[f(&x, 0) + f(&h, 0) + f(&h, 1), f(&x, 1) + f(&h, 2) + f(&h, 3)]);
            let ty = args[0].as_cdata().unwrap().ty();
            let r = abicall::memory::CData::new(&t, ty, None).map_err(|e| e.to_string())?;
            r.write_bytes(0, &out).map_err(|e| e.to_string())?;
            Ok(Value::CData(r))
        })
        .expect("an 8-byte vector callback");
    let x = fx.object("v2sf", &floats(&[1.0, 2.0]));
    // (1 + 10 + 20) * 1000 + (2 + 30 + 40)
    assert_eq!(fx.call("vx_apply2", &[cb.value(), x]), Value::Float(31072.0));

    // A 16-byte vector crosses in `xmm`/`q` registers both ways (on x86_64
    // through the JIT tier's entry stub, the only one that takes it).
    let cb = fx
        .ffi
        .callback("v4sf (*)(v4sf)", |args| Ok(args[0].clone()))
        .expect("a 16-byte vector callback");
    let x = fx.object("v4sf", &floats(&[1.0, 2.0, 3.0, 4.0]));
    let r = fx.call("vx_apply4", &[cb.value(), x]);
    assert_eq!(fx.bytes(&r), floats(&[4.0, 6.0, 8.0, 10.0]));
    if fx.ffi.target() == Target::X86_64SysV {
        use abicall::call::{CallbackOptions, RawCallback};
        let fty = fx.ffi.type_of("v4sf (v4sf)").unwrap();
        let err = RawCallback::new_libffi(
            &fx.ffi.types(),
            fty,
            Box::new(|_, _| Ok(())),
            CallbackOptions::default(),
        )
        .expect_err("libffi cannot take a whole xmm")
        .to_string();
        assert!(
            err.contains("float __attribute__((vector_size(16)))") && err.contains("libffi"),
            "{err}"
        );
    }
}

/// A vector object takes `{a, b, …}` element by element (the rest zero),
/// reads back deeply as the list of its elements, and passes by value from
/// a list as it does from an object.
#[test]
fn vector_values_from_and_to_lists() {
    let mut fx = setup();
    let v = fx
        .ffi
        .new_object("v2si", Some(&Value::List(vec![Value::Int(7)])))
        .unwrap();
    assert_eq!(v.to_bytes(&fx.ffi.types()).unwrap(), ints(&[7, 0]));
    assert_eq!(
        v.read_deep(&fx.ffi.types()).unwrap(),
        Value::List(vec![Value::Int(7), Value::Int(0)])
    );
    let too_many = Value::List(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
    let e = fx.ffi.new_object("v2si", Some(&too_many)).unwrap_err().to_string();
    assert!(e.contains("3 initializers for a vector of 2"), "{e}");
    let r = fx.call(
        "vx_add2",
        &[
            Value::List(vec![Value::Float(1.5), Value::Float(2.0)]),
            Value::List(vec![Value::Float(0.5)]),
        ],
    );
    assert_eq!(fx.bytes(&r), floats(&[2.0, 2.0]));
    let deep = r.as_cdata().unwrap().read_deep(&fx.ffi.types()).unwrap();
    assert_eq!(deep, Value::List(vec![Value::Float(2.0), Value::Float(2.0)]));
}

/// 4-byte `float` vectors: stacked by gcc on aarch64 even with x registers
/// free (and the `long` after one follows it to the stack), returned in
/// `w0`; on x86_64 passed and returned in memory.
#[test]
fn four_byte_float_vectors() {
    let fx = setup();
    let v = |x: f32| Value::List(vec![Value::Float(x.into())]);
    let r = fx.call(
        "vx_v1sf",
        &[Value::Int(1), v(2.0), Value::Int(3), v(4.0), Value::Float(0.5)],
    );
    assert_eq!(r, Value::Float(1234.5));
    let r = fx.call("vx_v1sf_ret", &[Value::Int(5)]);
    assert_eq!(fx.bytes(&r), floats(&[2.5]));
}

/// A callback receiving 4-byte `float` vectors (stacked by gcc on aarch64,
/// with the `long` between them) reads each from where gcc put it.
#[test]
fn four_byte_float_vectors_into_a_callback() {
    let mut fx = setup();
    let types = fx.ffi.shared_types();
    let cb = fx
        .ffi
        .callback("float (*)(int, v1sf, long, v1sf)", move |args| {
            let t = types.read().map_err(|e| e.to_string())?;
            let elem = |v: &Value| -> Result<f64, String> {
                match v
                    .as_cdata()
                    .ok_or("vector argument")?
                    .read_deep(&t)
                    .map_err(|e| e.to_string())?
                {
                    Value::List(items) => match items.first() {
                        Some(Value::Float(x)) => Ok(*x),
                        other => Err(format!("element {other:?}")),
                    },
                    other => Err(format!("vector read as {other:?}")),
                }
            };
            let int = |v: &Value| match v {
                Value::Int(i) => Ok(*i as f64),
                other => Err(format!("integer argument {other:?}")),
            };
            Ok(Value::Float(
                int(&args[0])? * 1000.0 + elem(&args[1])? * 100.0 + int(&args[2])? * 10.0 + elem(&args[3])?,
            ))
        })
        .expect("a callback taking 4-byte float vectors");
    assert_eq!(fx.call("vx_v1sf_cb", &[cb.value()]), Value::Float(1234.0));
}
