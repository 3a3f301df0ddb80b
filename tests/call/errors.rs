//! Bad input to the engine: each case gives an `Err` with the variant and a
//! message a user can act on (or, inside callbacks, goes to the error hook
//! and C receives the error return value) — never a crash.

use crate::support::fixtures;

use abicall::call::{CallbackOptions, RawCallback};
use abicall::library::Library;
use abicall::memory::{from_handle, new_handle};
use abicall::{CallErrorKind, Callback, Error, Ffi, Function, Value};
use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn setup() -> (Ffi, Library) {
    let mut ffi = Ffi::host().expect("host target");
    ffi.cdef(&fixtures::fixtures_header()).expect("fixture header parses");
    let so = fixtures::fixtures_so();
    // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open(so.to_str().unwrap()) }.expect("fixture library opens");
    (ffi, lib)
}

fn func(ffi: &Ffi, lib: &Library, name: &str) -> Function {
    ffi.function(lib, name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Asserts `e` is an argument error for `function`'s argument `index`
/// whose message contains `needle`.
fn assert_arg_err(e: Error, function: &str, index: usize, needle: &str) {
    match &e {
        Error::Argument {
            function: f,
            index: i,
            message,
        } => {
            assert_eq!((f.as_str(), *i), (function, index), "{e}");
            assert!(message.contains(needle), "`{message}` does not contain `{needle}`");
        }
        other => panic!("expected an argument error, got {other:?}"),
    }
}

#[test]
fn wrong_argument_count() {
    let (ffi, lib) = setup();
    let add = func(&ffi, &lib, "fx_add");
    // SAFETY: `add` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { add.call(&[Value::Int(1)]) }.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Call {
                kind: CallErrorKind::ArgumentCount,
                argument: None,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "call error: `fx_add` takes 2 argument(s), 1 given");
    // SAFETY: `add` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { add.call(&[Value::Int(1), Value::Int(2), Value::Int(3)]) }.unwrap_err();
    assert!(e.to_string().contains("takes 2 argument(s), 3 given"), "{e}");
    // Variadic: at least the fixed ones.
    let vsum = func(&ffi, &lib, "fx_vsum");
    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { vsum.call(&[]) }.unwrap_err();
    assert!(e.to_string().contains("takes at least 1 argument(s), 0 given"), "{e}");
    // Variadic types that do not match the variadic arguments.
    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { vsum.call_variadic(&[Value::str("i"), Value::Int(1)], &[]) }.unwrap_err();
    assert!(
        e.to_string().contains("1 variadic argument(s) but 0 type(s) given"),
        "{e}"
    );
}

#[test]
fn wrong_argument_type() {
    let (ffi, lib) = setup();
    let add = func(&ffi, &lib, "fx_add");
    // SAFETY: `add` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { add.call(&[Value::str("x"), Value::Int(1)]) }.unwrap_err(),
        "fx_add",
        1,
        "expected an integer, got a byte string",
    );
    // SAFETY: `add` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { add.call(&[Value::Int(1), Value::Float(2.5)]) }.unwrap_err(),
        "fx_add",
        2,
        "use cast for a C conversion",
    );
    let dd = func(&ffi, &lib, "fx_add_dd");
    // SAFETY: `dd` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { dd.call(&[Value::Float(1.0), Value::Null]) }.unwrap_err(),
        "fx_add_dd",
        2,
        "expected a number",
    );
    // A struct where a different struct is expected.
    let r5 = func(&ffi, &lib, "fx_row5_arg");
    // SAFETY: `fx_row6_ret` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let r6 = unsafe { func(&ffi, &lib, "fx_row6_ret").call(&[]) }.unwrap();
    // SAFETY: `r5` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { r5.call(&[r6]) }.unwrap_err(),
        "fx_row5_arg",
        1,
        "got a C object of type `struct fx_r6`",
    );
    // A struct initializer naming a member that does not exist.
    // SAFETY: `r5` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { r5.call(&[Value::fields([("nope", Value::Int(1))])]) }.unwrap_err();
    assert_arg_err(e, "fx_row5_arg", 1, "nope");
    // An integer for a pointer.
    let strlen = func(&ffi, &lib, "fx_strlen");
    // SAFETY: `strlen` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { strlen.call(&[Value::Int(1234)]) }.unwrap_err(),
        "fx_strlen",
        1,
        "use cast to make a pointer from an integer",
    );
    // A variadic value whose C type cannot be inferred.
    let vsum = func(&ffi, &lib, "fx_vsum");
    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { vsum.call(&[Value::str("i"), Value::List(vec![])]) }.unwrap_err();
    assert!(e.to_string().contains("cannot infer a C type"), "{e}");
}

#[test]
fn out_of_range_integers() {
    let (ffi, lib) = setup();
    let add = func(&ffi, &lib, "fx_add");
    // SAFETY: `add` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { add.call(&[Value::Int(1), Value::Int(5_000_000_000)]) }.unwrap_err(),
        "fx_add",
        2,
        "integer 5000000000 is out of range (-2147483648..=2147483647)",
    );
    let uc = func(&ffi, &lib, "fx_row16uc_arg");
    // SAFETY: `uc` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { uc.call(&[Value::Int(256)]) }.unwrap_err(),
        "fx_row16uc_arg",
        1,
        "out of range (0..=255)",
    );
    // SAFETY: `uc` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { uc.call(&[Value::Int(-1)]) }.unwrap_err(),
        "fx_row16uc_arg",
        1,
        "out of range (0..=255)",
    );
    let b = func(&ffi, &lib, "fx_row16b_arg");
    // SAFETY: `b` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { b.call(&[Value::Int(2)]) }.unwrap_err(),
        "fx_row16b_arg",
        1,
        "out of range (0..=1)",
    );
    let sc = func(&ffi, &lib, "fx_row16sc_arg");
    // SAFETY: `sc` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { sc.call(&[Value::Int(-129)]) }.unwrap_err(),
        "fx_row16sc_arg",
        1,
        "(-128..=127)",
    );
    // In a struct member: the member is named.
    let r1 = func(&ffi, &lib, "fx_row1_arg");
    // SAFETY: `r1` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let e = unsafe { r1.call(&[Value::fields([("f", Value::Float(1.5)), ("i", Value::Int(1 << 40))])]) }.unwrap_err();
    assert_arg_err(e, "fx_row1_arg", 1, "out of range");
}

#[test]
fn null_where_a_struct_is_expected() {
    let (ffi, lib) = setup();
    for name in ["fx_row5_arg", "fx_row8_arg", "fx_row2_arg"] {
        let f = func(&ffi, &lib, name);
        // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
        assert_arg_err(
            unsafe { f.call(&[Value::Null]) }.unwrap_err(),
            name,
            1,
            "NULL given where a struct/union is passed by value",
        );
    }
    let f = func(&ffi, &lib, "fx_row12_arg");
    let mut args: Vec<Value> = (0..6).map(Value::from).collect();
    args.push(Value::Null);
    args.push(Value::Float(0.0));
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_arg_err(
        unsafe { f.call(&args) }.unwrap_err(),
        "fx_row12_arg",
        7,
        "NULL given where a struct/union",
    );
}

#[test]
fn unknown_symbol() {
    let (mut ffi, lib) = setup();
    ffi.cdef("int fx_no_such_function(int);").unwrap();
    let e = ffi.function(&lib, "fx_no_such_function").unwrap_err();
    match &e {
        Error::SymbolNotFound {
            symbol,
            library,
            message,
        } => {
            assert_eq!(symbol, "fx_no_such_function");
            assert!(library.ends_with("libfixtures.so"), "{library}");
            assert!(message.contains("undefined symbol"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The asm-renamed function is looked up by its symbol name, and the
    // C name itself is not a symbol.
    assert!(ffi.function(&lib, "fx_alias").is_ok());
    assert!(matches!(lib.symbol("fx_alias"), Err(Error::SymbolNotFound { .. })));
    // Not declared at all.
    let e = ffi.function(&lib, "fx_undeclared").unwrap_err();
    assert_eq!(e, Error::UnknownName("fx_undeclared".into()));
    assert_eq!(e.to_string(), "`fx_undeclared` is not declared");
}

#[test]
fn unknown_library() {
    // SAFETY: loading `/nonexistent/dir/libnope.so` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let e = unsafe { Library::open("/nonexistent/dir/libnope.so") }.unwrap_err();
    match &e {
        Error::LibraryOpen { library, message } => {
            assert_eq!(library, "/nonexistent/dir/libnope.so");
            assert!(message.contains("No such file"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // SAFETY: loading `libabicall-does-not-exist.so.9` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let e = unsafe { Library::open("libabicall-does-not-exist.so.9") }.unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot open library `libabicall-does-not-exist.so.9`"),
        "{e}"
    );
    // Not a shared object.
    // SAFETY: loading the fixture library runs its initializers, which are sound for this library (a system library, or one the tests build).
    let e = unsafe { Library::open(fixtures::fixtures_header_path().to_str().unwrap()) }.unwrap_err();
    assert!(matches!(e, Error::LibraryOpen { .. }), "{e:?}");
}

#[test]
fn freed_handle() {
    let (h, p) = new_handle(Arc::new(41u32)).unwrap();
    assert_eq!(from_handle(p).unwrap().downcast_ref::<u32>(), Some(&41));
    drop(h);
    let e = from_handle(p).unwrap_err();
    assert_eq!(e, Error::Handle(p as usize));
    assert!(e.to_string().contains("already freed"), "{e}");
    // A slot reused by a new handle does not revive the old pointer.
    let (h2, p2) = new_handle(Arc::new(7u32)).unwrap();
    assert_ne!(p, p2);
    assert!(from_handle(p).is_err());
    assert!(from_handle(p2).is_ok());
    drop(h2);
    // Never issued.
    assert!(matches!(
        from_handle(0x1000 as *const c_void),
        Err(Error::Handle(0x1000))
    ));
    assert!(from_handle(std::ptr::null()).is_err());
}

#[test]
fn handle_through_c_callback() {
    // A callback running on a C thread looks a handle up; once the handle
    // is freed the lookup fails, the callback returns Err, and C gets 0.
    let (mut ffi, lib) = setup();
    let (h, p) = new_handle(Arc::new(Mutex::new(0i32))).unwrap();
    let addr = p as usize;
    let cb = ffi
        .callback("int(int)", move |a| {
            let v = from_handle(addr as *const c_void).map_err(|e| e.to_string())?;
            let m = v.downcast_ref::<Mutex<i32>>().ok_or("wrong handle type")?;
            *m.lock().unwrap() += a[0].as_int().unwrap() as i32;
            Ok(Value::Int(1))
        })
        .unwrap();
    let f = func(&ffi, &lib, "fx_call_in_thread");
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_eq!(unsafe { f.call(&[cb.value(), Value::Int(5)]) }.unwrap(), Value::Int(1));
    let v = from_handle(p).unwrap();
    assert_eq!(*v.downcast_ref::<Mutex<i32>>().unwrap().lock().unwrap(), 5);
    drop(v);
    drop(h);
    // The handle is gone: the callback reports Err and C gets 0.
    // SAFETY: `f` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_eq!(unsafe { f.call(&[cb.value(), Value::Int(5)]) }.unwrap(), Value::Int(0));
}

#[test]
fn calling_a_non_function() {
    let (mut ffi, lib) = setup();
    let e = ffi.function(&lib, "fx_counter").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Call {
                kind: CallErrorKind::NotAFunction,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("`fx_counter` is a variable of type `int`, not a function"),
        "{e}"
    );
    // A raw address with a type that is not a function type.
    let sym = lib.symbol("fx_add").unwrap();
    // SAFETY: rejected before any call (the type is not a function type).
    let e = unsafe { ffi.function_at("int", sym.as_ptr()) }.unwrap_err();
    assert!(e.to_string().contains("is not a function"), "{e}");
    // A NULL function pointer.
    // SAFETY: rejected before any call.
    let e = unsafe { ffi.function_at("int(int, int)", std::ptr::null()) }.unwrap_err();
    assert!(e.to_string().contains("NULL function pointer"), "{e}");
    // A callback of a non-function type.
    let e = ffi.callback("int", |_| Ok(Value::Int(0))).unwrap_err();
    assert!(e.to_string().contains("is not a function type"), "{e}");
}

/// A callback with an error hook that records messages and an error
/// return value of `err`.
fn hooked(ffi: &mut Ffi, err: i32, f: Box<abicall::api::CallbackFn>) -> (Callback, Arc<Mutex<Vec<String>>>) {
    let msgs = Arc::new(Mutex::new(Vec::new()));
    let m2 = msgs.clone();
    let ty = ffi.type_of("int(int)").unwrap();
    let opts = CallbackOptions {
        on_error: Some(Box::new(move |m: &str| m2.lock().unwrap().push(m.to_string()))),
        error_return: Some(err.to_le_bytes().to_vec()),
    };
    (Callback::new(ffi.shared_types(), ty, f, opts).unwrap(), msgs)
}

#[test]
fn callback_panicking() {
    let (mut ffi, lib) = setup();
    let (cb, msgs) = hooked(
        &mut ffi,
        -99,
        Box::new(|a| {
            if a[0].as_int() == Some(3) {
                panic!("boom at three");
            }
            Ok(Value::Int(a[0].as_int().unwrap() + 100))
        }),
    );
    // Called directly, on this thread.
    // SAFETY: the callback has type int(int).
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(cb.code()) };
    assert_eq!(f(1), 101);
    assert_eq!(f(3), -99);
    assert_eq!(msgs.lock().unwrap().as_slice(), ["callback panicked: boom at three"]);
    // Called from a C thread: the panic stays on that side of the boundary.
    let t = func(&ffi, &lib, "fx_call_in_thread");
    assert_eq!(
        // SAFETY: `t` is declared with its real signature (the fixture header) and these arguments are valid for it.
        unsafe { t.call(&[cb.value(), Value::Int(3)]) }.unwrap(),
        Value::Int(-99)
    );
    assert_eq!(msgs.lock().unwrap().len(), 2);
    // Still usable afterwards.
    assert_eq!(
        // SAFETY: `t` is declared with its real signature (the fixture header) and these arguments are valid for it.
        unsafe { t.call(&[cb.value(), Value::Int(4)]) }.unwrap(),
        Value::Int(104)
    );
    // Default options: zero returned (the report goes to stderr).
    let cb0 = ffi.callback("int(int)", |_| panic!("default policy")).unwrap();
    // SAFETY: `t` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_eq!(unsafe { t.call(&[cb0.value(), Value::Int(1)]) }.unwrap(), Value::Int(0));
    // RawCallback: same policy.
    let types = ffi.types();
    let ty = ffi.decls().functions["fx_add"].ty;
    let seen = Arc::new(Mutex::new(String::new()));
    let s2 = seen.clone();
    let raw = RawCallback::new(
        &types,
        ty,
        Box::new(|_, _| panic!("raw boom")),
        CallbackOptions {
            on_error: Some(Box::new(move |m: &str| *s2.lock().unwrap() = m.to_string())),
            error_return: Some(7i32.to_le_bytes().to_vec()),
        },
    )
    .unwrap();
    drop(types);
    // SAFETY: fx_add's type int(int, int).
    let g: extern "C" fn(i32, i32) -> i32 = unsafe { std::mem::transmute(raw.code()) };
    assert_eq!(g(1, 2), 7);
    assert_eq!(*seen.lock().unwrap(), "callback panicked: raw boom");
    // An error return of the wrong size is refused.
    let e = Callback::new(
        ffi.shared_types(),
        ffi.type_of("int(int)").unwrap(),
        Box::new(|_| Ok(Value::Int(0))),
        CallbackOptions {
            on_error: None,
            error_return: Some(vec![0; 3]),
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("error return value has 3 bytes, the return type has 4"),
        "{e}"
    );
}

#[test]
fn callback_returning_err_or_a_bad_value() {
    let (mut ffi, _lib) = setup();
    let (cb, msgs) = hooked(
        &mut ffi,
        -1,
        Box::new(|a| match a[0].as_int().unwrap() {
            0 => Err("refused zero".to_string()),
            1 => Ok(Value::str("not an int")),
            2 => Ok(Value::Int(1 << 40)),
            x => Ok(Value::Int(x)),
        }),
    );
    // SAFETY: int(int).
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(cb.code()) };
    assert_eq!((f(0), f(1), f(2), f(5)), (-1, -1, -1, 5));
    let m = msgs.lock().unwrap();
    assert_eq!(m.len(), 3, "{m:?}");
    assert_eq!(m[0], "callback failed: refused zero");
    assert!(
        m[1].contains("return value") && m[1].contains("expected an integer"),
        "{}",
        m[1]
    );
    assert!(
        m[2].contains("return value") && m[2].contains("out of range"),
        "{}",
        m[2]
    );
}

#[test]
fn callback_called_after_drop() {
    let (mut ffi, lib) = setup();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let (cb, msgs) = hooked(
        &mut ffi,
        -5,
        Box::new(move |a| {
            c2.fetch_add(1, Ordering::SeqCst);
            Ok(a[0].clone())
        }),
    );
    let code = cb.code();
    let stale = cb.value();
    // SAFETY: int(int).
    let f: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(code) };
    assert_eq!(f(8), 8);
    drop(cb);
    // Documented: the trampoline stays valid; the call is reported through
    // the hook and answered with the error return value; the closure is gone.
    assert_eq!(f(8), -5);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        msgs.lock().unwrap().as_slice(),
        ["callback called after it was dropped"]
    );
    // The same from C, on a C thread.
    let t = func(&ffi, &lib, "fx_call_in_thread");
    // SAFETY: `t` is declared with its real signature (the fixture header) and these arguments are valid for it.
    assert_eq!(unsafe { t.call(&[stale, Value::Int(9)]) }.unwrap(), Value::Int(-5));
    assert_eq!(msgs.lock().unwrap().len(), 2);
}

#[test]
fn concurrent_calls_from_eight_threads() {
    let (ffi, lib) = setup();
    let add6 = func(&ffi, &lib, "fx_add6");
    let echo = func(&ffi, &lib, "fx_row5_echo");
    let vsum = func(&ffi, &lib, "fx_vsum");
    let types = ffi.shared_types();
    std::thread::scope(|s| {
        for t in 0..8i128 {
            let (add6, echo, vsum, types) = (&add6, &echo, &vsum, types.clone());
            s.spawn(move || {
                for k in 0..200i128 {
                    let args: Vec<Value> = (0..6).map(|j| Value::Int(t * 1000 + k + j)).collect();
                    assert_eq!(
                        // SAFETY: `add6` is declared with its real signature (the fixture header) and these arguments are valid for it.
                        unsafe { add6.call(&args) }.unwrap(),
                        Value::Int(6 * (t * 1000 + k) + 15)
                    );
                    let v = Value::fields([("d", Value::Float(k as f64 + 0.5)), ("l", Value::Int(t))]);
                    // SAFETY: `echo` is declared with its real signature (the fixture header) and these arguments are valid for it.
                    let r = unsafe { echo.call(&[v]) }.unwrap();
                    let tt = types.read().unwrap();
                    let cd = r.as_cdata().unwrap();
                    assert_eq!(cd.get(&tt, "d").unwrap(), Value::Float(k as f64 + 0.5));
                    assert_eq!(cd.get(&tt, "l").unwrap(), Value::Int(t));
                    drop(tt);
                    // Variadic calls infer types and share the plan cache.
                    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
                    let r = unsafe { vsum.call(&[Value::str("id"), Value::Int(t), Value::Float(0.25)]) }.unwrap();
                    assert_eq!(r, Value::Float(t as f64 + 0.25));
                }
            });
        }
    });
}

#[test]
fn concurrent_callbacks_from_eight_threads() {
    let (mut ffi, lib) = setup();
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let cb = ffi
        .callback("int(int)", move |a| {
            c2.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Int(a[0].as_int().unwrap() ^ 0x5a5a))
        })
        .unwrap();
    // 8 C threads released together, each calling the one Rust callback.
    let n = func(&ffi, &lib, "fx_call_n_threads");
    let results = ffi.new_object("int[800]", None).unwrap();
    // SAFETY: `n` is declared with its real signature (the fixture header) and these arguments are valid for it.
    let r = unsafe {
        n.call(&[
            cb.value(),
            Value::Int(8),
            Value::Int(100),
            Value::CData(results.clone()),
        ])
    }
    .unwrap();
    assert_eq!(r, Value::Int(0));
    assert_eq!(count.load(Ordering::SeqCst), 800);
    let got = results.unpack(&ffi.types(), 800).unwrap();
    for (k, v) in got.iter().enumerate() {
        assert_eq!(*v, Value::Int(k as i128 ^ 0x5a5a), "results[{k}]");
    }
    // 8 Rust threads each asking C to call the callback on yet another thread.
    let t = func(&ffi, &lib, "fx_call_in_thread");
    std::thread::scope(|s| {
        for i in 0..8 {
            let (t, cb) = (&t, &cb);
            s.spawn(move || {
                for k in 0..20 {
                    let x = i * 100 + k;
                    assert_eq!(
                        // SAFETY: `t` is declared with its real signature (the fixture header) and these arguments are valid for it.
                        unsafe { t.call(&[cb.value(), Value::Int(x)]) }.unwrap(),
                        Value::Int(x ^ 0x5a5a)
                    );
                }
            });
        }
    });
    assert_eq!(count.load(Ordering::SeqCst), 800 + 160);
}

#[test]
fn callbacks_while_other_threads_change_the_type_table() {
    // A call does not hold the type table's lock while C runs: a callback
    // (which reads the table) on a C thread must not deadlock against
    // threads adding types (variadic calls infer and intern types; cdef).
    let (mut ffi, lib) = setup();
    let cb = ffi
        .callback("int(int)", |a| Ok(Value::Int(a[0].as_int().unwrap() + 1)))
        .unwrap();
    let t = func(&ffi, &lib, "fx_call_in_thread");
    let vsum = func(&ffi, &lib, "fx_vsum");
    let types = ffi.shared_types();
    std::thread::scope(|s| {
        for i in 0..4 {
            let (t, cb) = (&t, &cb);
            s.spawn(move || {
                for k in 0..50 {
                    assert_eq!(
                        // SAFETY: `t` is declared with its real signature (the fixture header) and these arguments are valid for it.
                        unsafe { t.call(&[cb.value(), Value::Int(i * 100 + k)]) }.unwrap(),
                        Value::Int(i * 100 + k + 1)
                    );
                }
            });
        }
        for i in 0..4 {
            let (vsum, types) = (&vsum, types.clone());
            s.spawn(move || {
                for k in 0..50 {
                    // SAFETY: `vsum` is declared with its real signature (the fixture header) and these arguments are valid for it.
                    let r = unsafe { vsum.call(&[Value::str("ii"), Value::Int(i), Value::Int(k)]) }.unwrap();
                    assert_eq!(r, Value::Float((i + k) as f64));
                    // A writer on the type table, as `Ffi::cdef` / `type_of` would be.
                    let mut w = types.write().unwrap();
                    let int = w.prim(abicall::types::Prim::Int);
                    w.array(int, Some(k as u64 + 1));
                }
            });
        }
    });
}

#[test]
fn callback_value_for_pointer_form_signature() {
    // Regression: `Callback::value()` for a signature written `int (*)(…)`
    // was a pointer to the function *pointer* type, and qsort refused it.
    let mut ffi = Ffi::host().unwrap();
    ffi.cdef("void qsort(void *, unsigned long, unsigned long, int (*)(const void *, const void *));")
        .unwrap();
    let qsort = ffi.function(&Library::process(), "qsort").unwrap();
    let int = ffi.type_of("int").unwrap();
    let types = ffi.shared_types();
    for sig in [
        "int (*)(const void *, const void *)",
        "int (const void *, const void *)",
    ] {
        let types = types.clone();
        let cb = ffi
            .callback(sig, move |args| {
                let t = types.read().unwrap();
                let mut k = [0i128; 2];
                for (k, a) in k.iter_mut().zip(args) {
                    let p = a.as_ptr().unwrap().with_pointee(int);
                    // SAFETY: qsort passes pointers to elements of the array below.
                    *k = unsafe { p.deref(&t, 1) }
                        .and_then(|c| c.read(&t))
                        .unwrap()
                        .as_int()
                        .unwrap();
                }
                Ok(Value::Int(k[0].cmp(&k[1]) as i128))
            })
            .unwrap();
        assert_eq!(ffi.types().display(cb.ty()), "int (const void *, const void *)");
        let arr = ffi
            .new_object(
                "int[4]",
                Some(&Value::List(vec![
                    Value::Int(3),
                    Value::Int(-1),
                    Value::Int(2),
                    Value::Int(0),
                ])),
            )
            .unwrap();
        // SAFETY: `qsort` is declared with its real signature (the fixture header) and these arguments are valid for it.
        unsafe { qsort.call(&[Value::CData(arr.clone()), Value::Int(4), Value::Int(4), cb.value()]) }
            .unwrap_or_else(|e| panic!("{sig}: {e}"));
        let got: Vec<i128> = arr
            .unpack(&ffi.types(), 4)
            .unwrap()
            .iter()
            .map(|v| v.as_int().unwrap())
            .collect();
        assert_eq!(got, [-1, 0, 2, 3], "{sig}");
    }
}

/// Calls and callbacks for another target's types: an `Error::Host` naming
/// the target and the host, which a caller can branch on.
#[test]
fn other_target_is_a_structured_error() {
    let host = abicall::Target::host().unwrap();
    let other = if host == abicall::Target::X86_64SysV {
        abicall::Target::Aarch64Linux
    } else {
        abicall::Target::X86_64SysV
    };
    let mut ffi = Ffi::new(other);
    ffi.cdef("unsigned long strlen(const char *);").unwrap();
    let e = ffi.function(&Library::process(), "strlen").unwrap_err();
    assert!(
        matches!(&e, Error::Host { target: Some(t), host: Some(h), .. } if *t == other && *h == host),
        "{e:?}"
    );
    let e = ffi.callback("int (int)", |_| Ok(Value::Int(0))).unwrap_err();
    assert!(
        matches!(&e, Error::Host { target: Some(t), .. } if *t == other),
        "{e:?}"
    );
    assert!(e.to_string().contains("cannot make callbacks for target"), "{e}");
}

/// A plan of another variant of the host's architecture (Apple arm64 on
/// aarch64 Linux): `RawCall::new` refuses it like any other target, while
/// `RawCall::from_plan` and `RawCallback::with_tier_for_variant` take it
/// through abicall's own code only, refusing the libffi tier with the
/// reason; a plan of another architecture is refused by both.
#[test]
fn another_variant_runs_on_abicalls_own_code_only() {
    use abicall::call::{CallbackOptions, RawCall, RawCallback, Tier};
    use abicall::types::{Prim, Types};
    let host = abicall::Target::host().unwrap();
    let other_arch = if host == abicall::Target::X86_64SysV {
        abicall::Target::Aarch64Apple
    } else {
        abicall::Target::X86_64SysV
    };
    let mut t = Types::new(other_arch);
    let i = t.prim(Prim::Int);
    let f = t.func(i, vec![i], false);
    let plan = abicall::abi::plan_func(&t, f, &[]).unwrap();
    // SAFETY: refused before anything could be called.
    let e = unsafe { RawCall::from_plan(&t, plan, std::ptr::dangling::<std::ffi::c_void>(), None) }.unwrap_err();
    assert!(matches!(e, Error::Host { .. }), "{e:?}");
    let e = RawCallback::with_tier_for_variant(&t, f, Box::new(|_, _| Ok(())), CallbackOptions::default(), Tier::Jit)
        .unwrap_err();
    assert!(matches!(e, Error::Host { .. }), "{e:?}");
    if host != abicall::Target::Aarch64Linux {
        return;
    }
    extern "C" fn twice(x: i32) -> i32 {
        2 * x
    }
    let mut t = Types::new(abicall::Target::Aarch64Apple);
    let i = t.prim(Prim::Int);
    let f = t.func(i, vec![i], false);
    let plan = abicall::abi::plan_func(&t, f, &[]).unwrap();
    // SAFETY: `int twice(int)` is called the same way on both variants.
    let e = unsafe { RawCall::new(&t, f, &[], twice as *const std::ffi::c_void, None) }.unwrap_err();
    assert!(matches!(e, Error::Host { .. }), "{e:?}");
    // SAFETY: as above.
    let mut c = unsafe { RawCall::from_plan(&t, plan, twice as *const std::ffi::c_void, None) }.unwrap();
    assert!(!c.has_tier(Tier::Libffi));
    let e = c.set_tier(Tier::Libffi).unwrap_err();
    assert!(e.to_string().contains("libffi in this process follows"), "{e}");
    for tier in [Tier::Fast, Tier::Jit] {
        if !tier.available() {
            continue;
        }
        c.set_tier(tier).unwrap();
        let x = 21i32;
        let mut r = [0u8; 8];
        // SAFETY: one `int` argument, room for the `int` result.
        unsafe { c.call(&[&x as *const i32 as *const _], r.as_mut_ptr() as *mut _) }.unwrap();
        assert_eq!(i32::from_le_bytes(r[..4].try_into().unwrap()), 42, "{tier}");
    }
    let e =
        RawCallback::with_tier_for_variant(&t, f, Box::new(|_, _| Ok(())), CallbackOptions::default(), Tier::Libffi)
            .unwrap_err();
    assert!(e.to_string().contains("libffi in this process follows"), "{e}");
    let cb = RawCallback::with_tier_for_variant(
        &t,
        f,
        Box::new(|args, ret| {
            // SAFETY: one `int` argument; `ret` has room for the `int` result.
            unsafe { *(ret as *mut i32) = *(args[0] as *const i32) + 1 };
            Ok(())
        }),
        CallbackOptions::default(),
        Tier::Fast,
    )
    .unwrap();
    // SAFETY: the callback has type `int(int)`, called the same way on both variants.
    let g: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(cb.code()) };
    assert_eq!(g(41), 42);
}
