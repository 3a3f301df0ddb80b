//! `abicall call` end to end: the built binary on the C fixtures (arguments
//! as C literals, returns printed as C initializers or JSON), the README
//! examples, and the error cases (exit status 2, message on stderr).
//! The CLI cannot make callbacks: "both directions" here means arguments
//! and returns.

use crate::support::fixtures;

use std::process::Output;

const BIN: &str = env!("CARGO_BIN_EXE_abicall");

fn run(args: &[&str]) -> Output {
    fixtures::host::exe_command(BIN)
        .arg("call")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

/// Runs `abicall call [--json] --cdef abi_cases.h <fixtures.so> args…`.
fn fx(json: bool, args: &[&str]) -> Output {
    let so = fixtures::fixtures_so();
    let header = fixtures::fixtures_header_path();
    let mut all: Vec<&str> = Vec::new();
    if json {
        all.push("--json");
    }
    all.extend(["--cdef", header.to_str().unwrap(), so.to_str().unwrap()]);
    all.extend(args);
    run(&all)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Asserts success and the exact stdout.
fn ok(out: Output, want: &str) {
    assert!(
        out.status.success(),
        "exit {:?}, stderr: {}",
        out.status.code(),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), want, "stderr: {}", text(&out.stderr));
}

/// Asserts exit status 2, nothing on stdout, and `needle` in the error line.
fn fails(out: Output, needle: &str) {
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {} stderr: {err}",
        text(&out.stdout)
    );
    assert_eq!(text(&out.stdout), "");
    assert!(err.starts_with("abicall: error: "), "{err}");
    assert!(err.contains(needle), "`{err}` does not contain `{needle}`");
}

#[test]
fn readme_examples() {
    ok(run(&["libm.so.6", "double cos(double)", "0.5"]), "0.8775825618903728\n");
    ok(
        run(&["--header", "stdlib.h", "-", "div", "17", "5"]),
        "{ .quot = 3, .rem = 2 }\n",
    );
}

#[test]
fn struct_returns() {
    ok(fx(false, &["fx_row1_ret"]), "{ .f = 1.5, .i = -123456789 }\n");
    ok(fx(false, &["fx_row2_ret"]), "{ .f = -2.75, .i = -1070596096 }\n");
    ok(fx(false, &["fx_row5_ret"]), "{ .d = -2.5, .l = -1234567890123 }\n");
    ok(fx(false, &["fx_row6_ret"]), "{ .l = 1234605616436508552, .d = 6.25 }\n");
    ok(fx(false, &["fx_row7_ret"]), "{ .x = 1.25, .y = -2.5, .z = 1024.75 }\n");
    ok(
        fx(false, &["fx_row8_ret"]),
        "{ .a = -1, .b = 72623859790382856, .c = -9000000000 }\n",
    );
    ok(fx(false, &["fx_row9_ret"]), "{ .c = 81, .d = -2.0625 }\n");
    // 1536 + 2^-53 and -(1 + 2^-60): exact, not rounded to double.
    // long double is x87 on x86_64, binary128 on aarch64: the same C value
    // printed with the digits its format needs to read back.
    let row10s = if cfg!(target_arch = "aarch64") {
        "{ .x = 1536.0000000000000001110223024625157L }\n"
    } else {
        "{ .x = 1536.0000000000000001L }\n"
    };
    ok(fx(false, &["fx_row10s_ret"]), row10s);
    ok(fx(false, &["fx_row13_ret"]), "{ .a = -7.75, .b = 8.875 }\n");
    ok(fx(false, &["fx_row17_ret"]), "{ .a = 65, .b = 122 }\n");
    ok(fx(false, &["fx_row19_ret"]), "{}\n");
    ok(
        fx(false, &["fx_row20_ret"]),
        "{ .a = -4, .b = 448585461, .c = -545766266488 }\n",
    );
    ok(
        fx(false, &["fx_row22_ret"]),
        "{ .a = 1.5, .b = -2.5, .c = 3.25, .d = -4.125 }\n",
    );
    ok(fx(false, &["fx_row23_ret"]), "{ .a = -1.0625, .b = 7.75 }\n");
    ok(fx(false, &["fx_row24_ret"]), "{ .a = { 0.5, -1.5, 2.5, -3.5, 4.5 } }\n");
    ok(
        fx(false, &["fx_row25_ret"]),
        "{ .v = 13433369256225207278633426983318972665 }\n",
    );
    ok(fx(false, &["fx_row28_ret"]), "{ .a = -1.75, .b = { -1.75, 3.5 } }\n");
}

#[test]
fn scalar_returns() {
    let row10 = if cfg!(target_arch = "aarch64") {
        "-1.0000000000000000008673617379884035L\n"
    } else {
        "-1.0000000000000000009L\n"
    };
    ok(fx(false, &["fx_row10_ret"]), row10);
    ok(
        fx(false, &["fx_row11_ret"]),
        "-19755281857354483019128557594802376176\n",
    );
    ok(fx(false, &["fx_row14f_ret"]), "1.5 + -2.25*I\n");
    ok(fx(false, &["fx_row14d_ret"]), "-0.125 + 4096.5*I\n");
    for (f, want) in [
        ("fx_row16c_dirty", "90"),
        ("fx_row16sc_dirty", "-100"),
        ("fx_row16uc_dirty", "200"),
        ("fx_row16s_dirty", "-30000"),
        ("fx_row16us_dirty", "60000"),
        ("fx_row16b_dirty", "0"),
        ("fx_row16b_ret", "1"),
    ] {
        ok(fx(false, &[f]), &format!("{want}\n"));
    }
    ok(fx(false, &["fx_narrow_ret", "0x12345678"]), "22136\n");
    // void: nothing printed.
    ok(fx(false, &["fx_noop"]), "");
}

#[test]
fn struct_and_scalar_arguments() {
    for args in [
        &["fx_row1_arg", "{1.5, -123456789}"][..],
        &["fx_row1_arg", "{.i = -123456789, .f = 1.5}"],
        &["fx_row2_arg", "{.i = -1070596096}"],
        &["fx_row3_arg", "{.d = 1234.5625}"],
        &["fx_row4_arg", "{.l = 0x400921FB54442D18}"],
        &["fx_row5_arg", "{-2.5, -1234567890123}"],
        &["fx_row6_arg", "{0x1122334455667788, 6.25}"],
        &["fx_row7_arg", "{1.25, -2.5, 1024.75}"],
        &["fx_row8_arg", "{-1, 0x0102030405060708, -9000000000}"],
        &["fx_row9_arg", "{'Q', -2.0625}"],
        &["fx_row17_arg", "{'A', 'z'}"],
        &["fx_row20_arg", "{-4, 0x1ABCDEF5, -0x7F12345678}"],
        &["fx_row21_arg", "{{0x12, 0x34, 0x56}}"],
        &["fx_row22_arg", "{1.5, -2.5, 3.25, -4.125}"],
        &["fx_row23_arg", "{-1.0625, 7.75}"],
        &["fx_row24_arg", "{{0.5, -1.5, 2.5, -3.5, 4.5}}"],
        &["fx_row28_arg", "{.b = {-1.75, 3.5}}"],
        &["fx_row14f_arg", "{1.5, -2.25}"],
        &["fx_row14d_arg", "{-0.125, 4096.5}"],
        &["fx_row16c_arg", "'Z'"],
        &["fx_row16sc_arg", "-100"],
        &["fx_row16uc_arg", "200"],
        &["fx_row16s_arg", "-30000"],
        &["fx_row16us_arg", "60000"],
        &["fx_row16b_arg", "1"],
        &["fx_narrow_arg_sext", "-100", "-30000", "200", "60000", "1"],
        &["fx_row16_extended", "-100", "-30000", "200", "60000", "1"],
        &[
            "fx_row11_arg",
            "11",
            "-22",
            "33",
            "-44",
            "55",
            "-19755281857354483019128557594802376176",
        ],
        &[
            "fx_row12_arg",
            "101",
            "-202",
            "303",
            "-404",
            "505",
            "-606",
            "{-2.5, -1234567890123}",
            "-0.375",
        ],
        &[
            "fx_row13_arg",
            "0.5",
            "-1.5",
            "2.25",
            "-3.125",
            "4.0625",
            "-5.03125",
            "6.015625",
            "{-7.75, 8.875}",
            "9.5",
        ],
        &["fx_row19_arg", "6425", "{}", "-6425"],
        &[
            "fx_row25_arg",
            "-25",
            "{13433369256225207278633426983318972665}",
            "2525",
        ],
        &[
            "fx_row29_arg",
            "1",
            "-2",
            "3",
            "-4",
            "5",
            "-6",
            "7",
            "-8",
            "0.125",
            "-0.25",
            "0.375",
            "-0.5",
            "0.625",
            "-0.75",
            "0.875",
            "-1.0",
            "-29",
            "-2929",
            "292929",
            "2.875",
            "-29.5",
            "-0x2929292929",
        ],
    ] {
        let out = fx(false, args);
        assert_eq!(
            text(&out.stdout),
            "1\n",
            "{args:?}: stderr {} (a 0 means the C side saw another value)",
            text(&out.stderr)
        );
    }
    ok(
        fx(false, &["fx_row5_echo", "{.d = 0.5, .l = -7}"]),
        "{ .d = 0.5, .l = -7 }\n",
    );
    ok(
        fx(
            false,
            &["fx_row12_echo", "1", "2", "3", "4", "5", "6", "{8.5, 9}", "1.0"],
        ),
        "{ .d = 8.5, .l = 9 }\n",
    );
    ok(
        fx(
            false,
            &["fx_row12_last", "1", "2", "3", "4", "5", "6", "{8.5, 9}", "-0.375"],
        ),
        "-0.375\n",
    );
    ok(fx(false, &["fx_row19_echo", "1", "{}", "-6425"]), "-6425\n");
    ok(fx(false, &["fx_alias", "4"]), "13\n");
    ok(
        fx(false, &["fx_add6", "1", "2", "3", "4", "5", "0x10000000000"]),
        "1099511627791\n",
    );
}

#[test]
fn out_parameters() {
    ok(
        fx(false, &["fx_fill_point", "&{0, 0}"]),
        "*arg1 = { .x = 7, .y = -8 }\n",
    );
    ok(
        fx(true, &["fx_fill_point", "&{0, 0}"]),
        "{\"return\":null,\"out\":[{\"x\":7,\"y\":-8}]}\n",
    );
    // An array out-parameter: qsort cannot be driven (needs a callback), but
    // fx_row18_sum reads a flexible struct built from a literal.
    ok(fx(false, &["fx_strlen", "&\"hello\""]), "5\n*arg1 = \"hello\"\n");
}

#[test]
fn json_output() {
    ok(
        fx(true, &["fx_row5_echo", "{.d = -2.5, .l = 7}"]),
        "{\"return\":{\"d\":-2.5,\"l\":7},\"out\":[]}\n",
    );
    ok(fx(true, &["fx_row16b_ret"]), "{\"return\":true,\"out\":[]}\n");
    ok(
        fx(true, &["fx_row14d_ret"]),
        "{\"return\":[-0.125,4096.5],\"out\":[]}\n",
    );
    ok(
        fx(true, &["fx_row24_ret"]),
        "{\"return\":{\"a\":[0.5,-1.5,2.5,-3.5,4.5]},\"out\":[]}\n",
    );
    ok(
        fx(true, &["fx_hello"]),
        "{\"return\":\"hello from fixtures\",\"out\":[]}\n",
    );
    ok(fx(true, &["fx_noop"]), "{\"return\":null,\"out\":[]}\n");
    ok(fx(true, &["fx_add", "2", "-5"]), "{\"return\":-3,\"out\":[]}\n");
}

#[test]
fn variadics() {
    ok(
        fx(false, &["fx_vsum", "\"fci\"", "(float)1.5", "(char)7", "-3"]),
        "5.5\n",
    );
    ok(fx(false, &["fx_vavg", "3", "1.5", "-2.25", "8.25"]), "2.5\n");
    ok(
        fx(false, &["fx_vsum", "\"ild\"", "-4", "0x10000000000", "0.25"]),
        "1099511627772.25\n",
    );
    ok(
        fx(
            false,
            &[
                "fx_row15_vstruct",
                "15",
                "(struct fx_r5){-2.5, -1234567890123}",
                "(struct fx_r7){1.25, -2.5, 1024.75}",
                "(struct fx_r8){-1, 0x0102030405060708, -9000000000}",
                "(struct fx_r1){1.5, -123456789}",
                "-0.375",
                "1515",
            ],
        ),
        "1\n",
    );
    // The real printf family through `...`, writing into an out-buffer.
    ok(
        run(&[
            "-",
            "int snprintf(char *, unsigned long, const char *, ...)",
            "&\"..........\"",
            "11",
            "\"%.2f|%d\"",
            "(float)1.5",
            "(char)7",
        ]),
        "6\n*arg1 = \"1.50|7\"\n",
    );
}

#[test]
fn c_output_comes_before_the_result() {
    // C's stdout is flushed after the call, before abicall prints.
    ok(
        run(&["-", "int printf(const char *, ...)", "\"%d %s|\"", "5", "\"x\""]),
        "5 x|4\n",
    );
}

#[test]
fn strings() {
    ok(fx(false, &["fx_hello"]), "\"hello from fixtures\"\n");
    ok(fx(false, &["fx_strlen", "\"h\\tllo\\n\""]), "6\n");
    ok(fx(false, &["fx_strlen", "\"\""]), "0\n");
    ok(
        run(&["-", "char *strchr(const char *, int)", "\"abc\\\"def\"", "'\"'"]),
        "\"\\\"def\"\n",
    );
}

#[test]
fn errors_unknown_library_and_symbol() {
    fails(
        run(&["/nonexistent/libnope.so", "int f(int)", "1"]),
        "cannot open library `/nonexistent/libnope.so`",
    );
    fails(
        fx(false, &["int fx_nope(int)", "1"]),
        "symbol `fx_nope` not found in library",
    );
    fails(fx(false, &["fx_undeclared", "1"]), "`fx_undeclared` is not declared");
    fails(
        fx(false, &["fx_counter"]),
        "`fx_counter` is a variable of type `int`, not a function",
    );
}

#[test]
fn errors_bad_arguments() {
    fails(fx(false, &["fx_add", "1"]), "`fx_add` takes 2 argument(s), 1 given");
    fails(
        fx(false, &["fx_add", "1", "2", "3"]),
        "`fx_add` takes 2 argument(s), 3 given",
    );
    fails(
        fx(false, &["fx_add", "1", "5000000000"]),
        "`fx_add`, argument 2: cannot convert to `int`: integer 5000000000 is out of range (-2147483648..=2147483647)",
    );
    fails(
        fx(false, &["fx_row16uc_arg", "256"]),
        "integer 256 is out of range (0..=255)",
    );
    fails(fx(false, &["fx_add", "1", "{1"]), "argument 2: expected `,` or `}`");
    fails(
        fx(false, &["fx_add", "1", "\"abc"]),
        "argument 2: unterminated string literal",
    );
    fails(fx(false, &["fx_add", "1", "2.5"]), "expected an integer, got a float");
    fails(
        fx(false, &["fx_row5_arg", "NULL"]),
        "`fx_row5_arg`, argument 1: cannot convert to `struct fx_r5`: NULL given where a struct/union is passed by value",
    );
    fails(run(&["-", "int abs(int", "1"]), "prototype:1:");
    fails(
        fx(false, &["fx_vsum", "\"i\"", "{1, 2}"]),
        "needs a cast giving its type",
    );
    fails(fx(false, &["fx_strlen", "&NULL"]), "`&NULL` points to nothing");
    fails(
        fx(false, &["fx_add", "&{1}", "2"]),
        "`&…` needs a pointer parameter, not `int`",
    );
    fails(fx(false, &["fx_add", "1", "(foo)3"]), "unknown type name `foo`");
    fails(fx(false, &["fx_add", "1", "'ab'"]), "exactly one character");
    // The other architecture's ABI (the test may run on either host).
    let other = if cfg!(target_arch = "aarch64") {
        "x86_64"
    } else {
        "aarch64"
    };
    fails(
        run(&["--target", other, "-", "int abs(int)", "1"]),
        &format!("--target {other} is not this host's ABI"),
    );
}

/// A library for the regressions below, built once per test run.
fn robust_so() -> String {
    static SO: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SO.get_or_init(|| {
        let src = r#"
struct rb_in { int x; };
struct rb_anon_end { int a; struct { int b; struct rb_in s; }; };
struct rb_anon_end rb_anon_end(void) { struct rb_anon_end r = {1, {2, {7}}}; return r; }
char *rb_bad_ptr(void) { return (char *)0x10; }
struct rb_has_str { int n; char *s; const char *t; };
struct rb_has_str rb_has_str(void) { struct rb_has_str r = {3, (char *)0x10, "ok"}; return r; }
struct rb_cplx { int a; double _Complex z; int b; };
double rb_cplx(struct rb_cplx c) { return c.a + __real__ c.z * 10 + __imag__ c.z * 100 + c.b * 1000; }
unsigned long rb_addr(const void *p) { return (unsigned long)p; }
long double rb_ld_bits(long double x, unsigned long *lo, unsigned *hi) {
    unsigned char b[16] = {0}; __builtin_memcpy(b, &x, 10);
    __builtin_memcpy(lo, b, 8); *hi = b[8] | b[9] << 8; return x;
}
"#;
        crate::support::memory::compile_so("cli-robust", src)
            .to_str()
            .unwrap()
            .to_string()
    })
    .clone()
}

const RB_DECLS: &str = "struct rb_in { int x; };
struct rb_anon_end { int a; struct { int b; struct rb_in s; }; };
struct rb_anon_end rb_anon_end(void);
char *rb_bad_ptr(void);
struct rb_has_str { int n; char *s; const char *t; };
struct rb_has_str rb_has_str(void);
struct rb_cplx { int a; double _Complex z; int b; };
double rb_cplx(struct rb_cplx c);
unsigned long rb_addr(const void *p);
long double rb_ld_bits(long double x, unsigned long *lo, unsigned *hi);
";

/// Runs `abicall call [--json] --cdef <RB_DECLS> <robust.so> args…`.
fn rb(json: bool, args: &[&str]) -> Output {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("abicall-cli-rb-{}-{k}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h = dir.join("rb.h");
    std::fs::write(&h, RB_DECLS).unwrap();
    let so = robust_so();
    let mut all: Vec<&str> = Vec::new();
    if json {
        all.push("--json");
    }
    all.extend(["--cdef", h.to_str().unwrap(), &so]);
    all.extend(args);
    let out = run(&all);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[test]
fn json_anonymous_member_ending_with_a_struct() {
    // Was `{"return":{"a":1,"b":2,"s":{"x":7},"out":[]}` (brace trimming).
    let out = rb(true, &["rb_anon_end"]);
    ok(
        out.clone(),
        "{\"return\":{\"a\":1,\"b\":2,\"s\":{\"x\":7}},\"out\":[]}\n",
    );
    let doc = crate::support::json::parse(&text(&out.stdout));
    assert_eq!(doc.get("return").get("s").get("x").u64(), 7);
    ok(rb(false, &["rb_anon_end"]), "{ .a = 1, { .b = 2, .s = { .x = 7 } } }\n");
}

#[test]
fn char_pointers_to_unreadable_memory_print_as_pointers() {
    // Was a SIGSEGV: every non-NULL `char *` was read as a string.
    ok(rb(false, &["rb_bad_ptr"]), "(char *)0x10\n");
    ok(rb(true, &["rb_bad_ptr"]), "{\"return\":\"0x10\",\"out\":[]}\n");
    ok(
        rb(false, &["rb_has_str"]),
        "{ .n = 3, .s = (char *)0x10, .t = \"ok\" }\n",
    );
    ok(
        rb(true, &["rb_has_str"]),
        "{\"return\":{\"n\":3,\"s\":\"0x10\",\"t\":\"ok\"},\"out\":[]}\n",
    );
}

#[test]
fn escapes_as_in_c() {
    // \u and \U are UTF-8, as gcc encodes them in a char string.
    ok(
        run(&["-", "unsigned long strlen(const char *)", "\"caf\\u00e9\""]),
        "5\n",
    );
    ok(
        run(&["-", "unsigned long strlen(const char *)", "\"\\U0001F600\""]),
        "4\n",
    );
    ok(
        run(&["-", "char *strchr(const char *, int)", "\"x\\u00e9\\?\\'\"", "'?'"]),
        "\"?'\"\n",
    );
    ok(run(&["-", "unsigned long strlen(const char *)", "\"\\x00041\""]), "1\n");
    fails(
        run(&["-", "unsigned long strlen(const char *)", "\"\\q\""]),
        "unknown escape sequence `\\q`",
    );
    fails(
        run(&["-", "unsigned long strlen(const char *)", "\"\\x100\""]),
        "hex escape sequence `\\x100` out of range",
    );
    fails(
        run(&["-", "unsigned long strlen(const char *)", "\"\\x\""]),
        "\\x used with no following hex digits",
    );
    fails(
        run(&["-", "unsigned long strlen(const char *)", "\"\\u12\""]),
        "`\\u` needs 4 hex digits",
    );
    fails(
        run(&["-", "unsigned long strlen(const char *)", "\"\\ud800\""]),
        "`\\ud800` is not a valid universal character",
    );
    fails(
        run(&["-", "unsigned long strlen(const char *)", "\"\\u0041\""]),
        "`\\u0041` is not a valid universal character",
    );
}

#[test]
fn casts_are_c_conversions() {
    // In the variadic part the cast gives both type and value.
    ok(
        run(&[
            "-",
            "int printf(const char *, ...)",
            "\"%d %d %u|\"",
            "(int)(short)99999",
            "(short)99999",
            "(unsigned char)-1",
        ]),
        "-31073 -31073 255|18\n",
    );
    // A cast value goes to a parameter of another type as C converts it.
    ok(run(&["-", "int abs(int)", "(short)99999"]), "31073\n");
    ok(run(&["-", "long labs(long)", "(int)3000000000"]), "1294967296\n");
    ok(
        run(&["libm.so.6", "double fabs(double)", "(float)-0.1"]),
        "0.10000000149011612\n",
    );
    ok(rb(false, &["rb_addr", "(const void *)0x1234"]), "4660\n");
    ok(rb(false, &["rb_addr", "(void *)-1"]), "18446744073709551615\n");
    ok(rb(false, &["rb_addr", "(char *)(long)-2"]), "18446744073709551614\n");
    fails(
        run(&["-", "int abs(int)", "(struct nope *)1"]),
        "expected an integer, got a pointer",
    );
    fails(run(&["-", "int abs(int)", "(nope)1"]), "unknown type name `nope`");
    fails(run(&["-", "int abs(int)", "(int)\"x\""]), "cast to `int`");
}

#[test]
fn complex_members_in_initializers() {
    ok(rb(false, &["rb_cplx", "{1, {2.0, 3.0}, 4}"]), "4321.0\n");
    ok(rb(false, &["rb_cplx", "{.z = {2, 3}, .b = 4, .a = 1}"]), "4321.0\n");
    ok(
        rb(false, &["rb_cplx", "(struct rb_cplx){1, {2.0, 3.0}, 4}"]),
        "4321.0\n",
    );
    fails(
        rb(false, &["rb_cplx", "{1, {2.0, 3.0, 1.0}, 4}"]),
        "_Complex initializer has 2 numbers",
    );
}

#[test]
fn long_double_exact_both_ways() {
    // nextafterl(1, 2) is 1 + 2^-63 on x86_64 (x87) and 1 + 2^-112 on
    // aarch64 (binary128): printed with every digit needed to read it back,
    // not as 1.0L.
    let (next, next_json) = if cfg!(target_arch = "aarch64") {
        (
            "1.0000000000000000000000000000000002L\n",
            "{\"return\":1.0000000000000000000000000000000002,\"out\":[]}\n",
        )
    } else {
        (
            "1.0000000000000000001L\n",
            "{\"return\":1.0000000000000000001,\"out\":[]}\n",
        )
    };
    ok(
        run(&[
            "libm.so.6",
            "long double nextafterl(long double, long double)",
            "1.0L",
            "2.0L",
        ]),
        next,
    );
    ok(
        run(&[
            "--json",
            "libm.so.6",
            "long double nextafterl(long double, long double)",
            "1.0L",
            "2.0L",
        ]),
        next_json,
    );
    if !cfg!(target_arch = "x86_64") {
        // The rest reads the x87 format's mantissa and exponent words
        // (rb_ld_bits); binary128 text is checked by the engine's
        // memory::longdouble tests on every host.
        return;
    }
    // A literal keeps its bits on the way in (decimal and hex).
    for lit in ["1.0000000000000000001L", "0x1.0000000000000002p0L"] {
        ok(
            rb(false, &["rb_ld_bits", lit, "&{0}", "&{0}"]),
            "1.0000000000000000001L\n*arg2 = { 9223372036854775809 }\n*arg3 = { 16383 }\n",
        );
    }
    // Beyond double's range, still exact.
    let big = text(&rb(false, &["rb_ld_bits", "1e4000L", "&{0}", "&{0}"]).stdout);
    assert!(big.starts_with("1e4000L\n"), "{big}");
    // An unsuffixed constant is a double, converted as C does: 0.1 keeps
    // double's 53 bits (mantissa 0xCCCCCCCCCCCCD000, exponent 0x3FFB).
    let tenth = text(&rb(false, &["rb_ld_bits", "0.1", "&{0}", "&{0}"]).stdout);
    assert!(
        tenth.ends_with("*arg2 = { 14757395258967642112 }\n*arg3 = { 16379 }\n"),
        "{tenth}"
    );
    assert!(!tenth.starts_with("0.1L"), "{tenth}");
}

/// GCC vector types on the command line: `{…}` initializes a vector
/// element by element and a vector result prints as its elements (it used
/// to recurse until the stack overflowed); a 16-byte vector on x86_64 is
/// refused with the type named (docs/abi-cases.md row 33).
#[test]
fn vector_arguments_and_results() {
    let so = crate::support::memory::compile_so(
        "cli_vectors",
        "typedef float v2sf __attribute__((vector_size(8)));\n\
         typedef int v4si __attribute__((vector_size(16)));\n\
         v2sf vx_add2(v2sf a, v2sf b) { return a + b; }\n\
         v4si vx_neg4(v4si a) { return -a; }\n",
    );
    let so = so.to_str().unwrap();
    let add2 = "float __attribute__((vector_size(8))) vx_add2(float __attribute__((vector_size(8))), \
                float __attribute__((vector_size(8))))";
    ok(run(&[so, add2, "{1.5, 2}", "{0.25, -8}"]), "{ 1.75, -6.0 }\n");
    ok(
        run(&["--json", so, add2, "{1.5}", "{0.25, -8}"]),
        "{\"return\":[1.75,-8.0],\"out\":[]}\n",
    );
    fails(
        run(&[so, add2, "{1, 2, 3}", "{0, 0}"]),
        "3 initializers for a vector of 2",
    );
    let neg4 = "int __attribute__((vector_size(16))) vx_neg4(int __attribute__((vector_size(16))))";
    ok(run(&[so, neg4, "{1, -2, 3, 4}"]), "{ -1, 2, -3, -4 }\n");
    if abicall::Target::host() == Some(abicall::Target::X86_64SysV) {
        let out = fixtures::host::exe_command(BIN)
            .env("ABICALL_NO_JIT", "1")
            .arg("call")
            .args([so, neg4, "{1, -2, 3, 4}"])
            .output()
            .expect("abicall runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "prepared without the JIT: {err}");
        assert!(
            err.contains("int __attribute__((vector_size(16)))") && err.contains("the JIT tier"),
            "{err}"
        );
    }
}
