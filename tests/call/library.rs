//! Libraries: open by soname, path or the process; symbol lookup with
//! `__asm__` renames; extern globals read and written; errors name the
//! library and the symbol; libraries stay loaded while views exist; errno.

use crate::support::memory as support;

use abicall::call::errno;
use abicall::decls::{FuncDecl, VarDecl};
use abicall::library::Library;
use abicall::types::{Prim, Types};
use abicall::{Error, Target, Value};

const FIXTURE: &str = r#"
int counter = 5;
const char *name = "x";
double scale[3] = { 1.5, 2.5, 3.5 };
struct { int a; short b; } pair = { 7, -8 };
int bump(void) { return ++counter; }
int real_impl(int x) __asm__("renamed_impl");
int real_impl(int x) { return x * 2; }
"#;

#[test]
fn open_by_soname_and_process() {
    // SAFETY: loading `libm.so.6` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let m = unsafe { Library::open("libm.so.6") }.unwrap();
    assert_eq!(m.name(), "libm.so.6");
    assert_ne!(m.symbol("cos").unwrap().addr(), 0);
    // SAFETY: opening the running process loads no new code.
    let me = unsafe { Library::open("-") }.unwrap();
    assert_ne!(me.symbol("strlen").unwrap().addr(), 0);
    assert_ne!(
        // SAFETY: `None` opens the running process, which loads no new code.
        unsafe { Library::open_opt(None) }
            .unwrap()
            .symbol("malloc")
            .unwrap()
            .addr(),
        0
    );
    // the same function through the process and through libc's soname
    // SAFETY: loading `libc.so.6` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let libc = unsafe { Library::open("libc.so.6") }.unwrap();
    assert_eq!(
        libc.symbol("strlen").unwrap().addr(),
        me.symbol("strlen").unwrap().addr()
    );
}

#[test]
fn errors_name_library_and_symbol() {
    // SAFETY: loading `libdoes-not-exist-abicall.so.9` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let e = unsafe { Library::open("libdoes-not-exist-abicall.so.9") }.unwrap_err();
    match &e {
        Error::LibraryOpen { library, message } => {
            assert_eq!(library, "libdoes-not-exist-abicall.so.9");
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("libdoes-not-exist-abicall.so.9"), "{e}");
    // SAFETY: loading `libm.so.6` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let m = unsafe { Library::open("libm.so.6") }.unwrap();
    let e = m.symbol("no_such_function_abicall").unwrap_err();
    match &e {
        Error::SymbolNotFound { library, symbol, .. } => {
            assert_eq!(library, "libm.so.6");
            assert_eq!(symbol, "no_such_function_abicall");
        }
        other => panic!("{other:?}"),
    }
    let s = e.to_string();
    assert!(s.contains("libm.so.6") && s.contains("no_such_function_abicall"), "{s}");
    assert!(m.symbol("co\0s").is_err());
}

#[test]
fn globals_renames_and_lifetime() {
    let so = support::compile_so("libfix", FIXTURE);
    let path = so.to_str().unwrap().to_string();
    let mut t = Types::new(Target::X86_64SysV);
    let i = t.prim(Prim::Int);
    let c = t.prim(Prim::Char);
    let cc = t.qualified(c, abicall::types::Quals::CONST);
    let ccp = t.pointer(cc);
    let d = t.prim(Prim::Double);
    let d3 = t.array(d, Some(3));
    let fty = t.func(i, vec![i], false);

    // SAFETY: loading `path` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let lib = unsafe { Library::open(&path) }.unwrap();
    let var = |name: &str, ty, asm: Option<&str>| VarDecl {
        name: name.into(),
        ty,
        asm_name: asm.map(str::to_string),
    };
    // SAFETY: the variable is declared with its real type and size.
    let counter = unsafe { lib.variable(&t, &var("counter", i, None)) }.unwrap();
    assert_eq!(counter.read(&t).unwrap(), Value::Int(5));
    counter.write(&t, &Value::Int(41)).unwrap();
    // C sees the write: call bump() through its symbol
    let bump = lib.symbol("bump").unwrap();
    // SAFETY: `bump` is `int bump(void)` in the fixture compiled above.
    let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(bump.addr()) };
    assert_eq!(f(), 42);
    assert_eq!(counter.read(&t).unwrap(), Value::Int(42), "and we see C's write");

    // SAFETY: the variable is declared with its real type and size.
    let name = unsafe { lib.variable(&t, &var("name", ccp, None)) }.unwrap();
    let p = name.read(&t).unwrap();
    // SAFETY: `name` points to the string literal "x" in the loaded library.
    assert_eq!(unsafe { p.as_ptr().unwrap().string(None) }.unwrap(), b"x");

    // SAFETY: the variable is declared with its real type and size.
    let scale = unsafe { lib.variable(&t, &var("scale", d3, None)) }.unwrap();
    assert_eq!(
        scale.unpack(&t, 3).unwrap(),
        vec![Value::Float(1.5), Value::Float(2.5), Value::Float(3.5)]
    );
    assert!(scale.index(&t, 3).is_err(), "bounded by the declared type");

    // __asm__ rename: the C name differs from the symbol
    let fd = FuncDecl {
        name: "double_it".into(),
        ty: fty,
        param_names: vec![None],
        asm_name: Some("renamed_impl".into()),
    };
    let sym = lib.function(&fd).unwrap();
    assert_eq!(sym.name(), "renamed_impl");
    // SAFETY: `renamed_impl` is `int (int)`.
    let g: extern "C" fn(i32) -> i32 = unsafe { std::mem::transmute(sym.addr()) };
    assert_eq!(g(21), 42);
    let plain = FuncDecl {
        asm_name: None,
        ..fd.clone()
    };
    let e = lib.function(&plain).unwrap_err();
    assert!(
        e.to_string().contains("double_it") && e.to_string().contains(&path),
        "{e}"
    );
    // a renamed variable
    // SAFETY: the variable is declared with its real type and size.
    let v = unsafe { lib.variable(&t, &var("my_counter", i, Some("counter"))) }.unwrap();
    assert_eq!(v.read(&t).unwrap(), Value::Int(42));

    // the library stays loaded while a view of its memory exists
    let addr = counter.address().unwrap();
    drop(lib);
    drop(bump);
    drop(sym);
    drop(v);
    drop(name);
    drop(scale);
    assert_eq!(counter.read(&t).unwrap(), Value::Int(42));
    assert_eq!(counter.address().unwrap(), addr);
    counter.write(&t, &Value::Int(1)).unwrap();
    drop(counter);
    let _ = std::fs::remove_dir_all(so.parent().unwrap());
}

#[test]
fn errno_get_set() {
    errno::set_live(0);
    assert_eq!(errno::live(), 0);
    errno::set_live(34);
    assert_eq!(errno::live(), 34);
    // per thread
    std::thread::spawn(|| {
        errno::set_live(7);
        assert_eq!(errno::live(), 7);
    })
    .join()
    .unwrap();
    assert_eq!(errno::live(), 34);
    // a libc call that sets errno (strtol overflow) is visible through get()
    // SAFETY: opening the running process loads no new code.
    let me = unsafe { Library::open("-") }.unwrap();
    let strtol = me.symbol("strtol").unwrap();
    // SAFETY: strtol is `long strtol(const char *, char **, int)`.
    let f: extern "C" fn(*const std::ffi::c_char, *mut *mut u8, i32) -> i64 =
        unsafe { std::mem::transmute(strtol.addr()) };
    errno::set_live(0);
    let r = f(c"99999999999999999999999".as_ptr(), std::ptr::null_mut(), 10);
    let e = errno::live();
    assert_eq!(r, i64::MAX);
    assert_eq!(e, 34, "ERANGE");
}

#[test]
fn open_flags_global_and_now() {
    let so = support::compile_so("libglob", "int abicall_glob_marker = 99;\n");
    let path = so.to_str().unwrap().to_string();
    let me = Library::process();
    assert!(me.symbol("abicall_glob_marker").is_err(), "not loaded yet");
    // SAFETY: loading `path` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let local = unsafe { Library::open_with(&path, false, true) }.unwrap();
    assert!(local.symbol("abicall_glob_marker").is_ok());
    assert!(
        me.symbol("abicall_glob_marker").is_err(),
        "RTLD_LOCAL hides it from the process"
    );
    // SAFETY: loading `path` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let global = unsafe { Library::open_with(&path, true, true) }.unwrap();
    let a = me.symbol("abicall_glob_marker").unwrap();
    assert_eq!(a.addr(), global.symbol("abicall_glob_marker").unwrap().addr());
    // RTLD_NOW reports a missing dependency at open time
    let bad = support::compile_so(
        "libneedsmissing",
        "extern int abicall_missing_fn(void); int f(void) { return abicall_missing_fn(); }\n",
    );
    // SAFETY: loading `bad.to_str().unwrap()` runs its initializers, which are sound for this library (a system library, or one the tests build).
    let e = unsafe { Library::open_with(bad.to_str().unwrap(), false, true) }.unwrap_err();
    assert!(e.to_string().contains("abicall_missing_fn"), "{e}");
    assert!(
        // SAFETY: loading `bad.to_str().unwrap()` runs its initializers, which are sound for this library (a system library, or one the tests build).
        unsafe { Library::open_with(bad.to_str().unwrap(), false, false) }.is_ok(),
        "lazy binding defers it"
    );
    drop((local, global, a));
    let _ = std::fs::remove_dir_all(so.parent().unwrap());
    let _ = std::fs::remove_dir_all(bad.parent().unwrap());
}
