/* abicall C fixtures: declarations of every known-answer function.
 *
 * This file is plain C declarations on purpose (no preprocessor, no
 * #include): it is meant to be fed as-is to abicall's cdef parser as well as
 * included by the fixture sources. Row numbers refer to
 * docs/abi-cases.md ("Tricky ABI cases"), see c-fixtures/README.md.
 *
 * Conventions, for every row N (with variant suffix for rows 10, 14, 16):
 *   T    fx_rowN_ret(void)       returns the row's known value
 *   int  fx_rowN_arg(T v)        1 if v equals the known value, else 0 and
 *                                fx_last_error_msg() says which member differed
 *   T    fx_rowN_echo(T v)       returns v unchanged
 *   int  fx_rowN_cb(T (*cb)(T))  calls cb(known value); 1 if cb returned the
 *                                known value (cb is expected to echo), else 0
 * Rows whose signature has several arguments (11, 12, 13, 19, 25, 29) take the
 * full argument list in _arg and _echo (echo returns the aggregate of interest),
 * _cb takes a callback of _echo's type, and _cbargs takes a callback of _arg's
 * type: it is called with the known arguments and its result is returned (so
 * fx_rowN_arg itself is a valid callback for fx_rowN_cbargs).
 * Members are compared, never padding bytes; bitfields field by field.
 */

typedef unsigned long size_t;

/* ---- error reporting ---------------------------------------------------- */

/* Last mismatch description written by any thread (also kept per thread). */
extern char fx_last_error[256];
/* The calling thread's last mismatch description ("" if none). */
const char *fx_last_error_msg(void);
/* Clears the calling thread's last error. */
void fx_clear_error(void);
/* "gcc <version>" or "clang <version>": the compiler that built the library
 * (a clang-built fx_narrow_arg_sext relies on callers extending its arguments). */
const char *fx_built_by(void);

/* ---- row 1: struct { float f; int i; } -> one INTEGER eightbyte ---------
 * known value: { f = 1.5f, i = -123456789 } */
struct fx_r1 { float f; int i; };
struct fx_r1 fx_row1_ret(void);
int fx_row1_arg(struct fx_r1 v);
struct fx_r1 fx_row1_echo(struct fx_r1 v);
int fx_row1_cb(struct fx_r1 (*cb)(struct fx_r1));

/* ---- row 2 (and row 28): union { float f; int i; } -> INTEGER -----------
 * known value: f = -2.75f, i.e. i = -1070596096 (0xC0300000); compared via i */
union fx_r2 { float f; int i; };
union fx_r2 fx_row2_ret(void);
int fx_row2_arg(union fx_r2 v);
union fx_r2 fx_row2_echo(union fx_r2 v);
int fx_row2_cb(union fx_r2 (*cb)(union fx_r2));

/* ---- row 3: union { float f; double d; } -> SSE ---------------------------
 * known value: d = 1234.5625; compared via d */
union fx_r3 { float f; double d; };
union fx_r3 fx_row3_ret(void);
int fx_row3_arg(union fx_r3 v);
union fx_r3 fx_row3_echo(union fx_r3 v);
int fx_row3_cb(union fx_r3 (*cb)(union fx_r3));

/* ---- row 4: union { double d; long l; } -> INTEGER ------------------------
 * known value: l = 0x400921FB54442D18 (d = 3.141592653589793); compared via l */
union fx_r4 { double d; long l; };
union fx_r4 fx_row4_ret(void);
int fx_row4_arg(union fx_r4 v);
union fx_r4 fx_row4_echo(union fx_r4 v);
int fx_row4_cb(union fx_r4 (*cb)(union fx_r4));

/* ---- row 5: struct { double d; long l; } -> SSE + INTEGER ------------------
 * known value: { d = -2.5, l = -1234567890123 } */
struct fx_r5 { double d; long l; };
struct fx_r5 fx_row5_ret(void);
int fx_row5_arg(struct fx_r5 v);
struct fx_r5 fx_row5_echo(struct fx_r5 v);
int fx_row5_cb(struct fx_r5 (*cb)(struct fx_r5));

/* ---- row 6: struct { long l; double d; } -> INTEGER + SSE ------------------
 * known value: { l = 0x1122334455667788, d = 6.25 } */
struct fx_r6 { long l; double d; };
struct fx_r6 fx_row6_ret(void);
int fx_row6_arg(struct fx_r6 v);
struct fx_r6 fx_row6_echo(struct fx_r6 v);
int fx_row6_cb(struct fx_r6 (*cb)(struct fx_r6));

/* ---- row 7: struct { float x, y, z; } -> SSE, SSE -------------------------
 * known value: { x = 1.25f, y = -2.5f, z = 1024.75f } */
struct fx_r7 { float x, y, z; };
struct fx_r7 fx_row7_ret(void);
int fx_row7_arg(struct fx_r7 v);
struct fx_r7 fx_row7_echo(struct fx_r7 v);
int fx_row7_cb(struct fx_r7 (*cb)(struct fx_r7));

/* ---- row 8: struct { long a, b, c; } -> MEMORY ----------------------------
 * known value: { a = -1, b = 0x0102030405060708, c = -9000000000 } */
struct fx_r8 { long a, b, c; };
struct fx_r8 fx_row8_ret(void);
int fx_row8_arg(struct fx_r8 v);
struct fx_r8 fx_row8_echo(struct fx_r8 v);
int fx_row8_cb(struct fx_r8 (*cb)(struct fx_r8));

/* ---- row 9 (and row 26): packed struct { char c; double d; } --------------
 * size 9, align 1. known value: { c = 'Q' (81), d = -2.0625 } */
struct fx_r9 { char c; double d; } __attribute__((packed));
struct fx_r9 fx_row9_ret(void);
int fx_row9_arg(struct fx_r9 v);
struct fx_r9 fx_row9_echo(struct fx_r9 v);
int fx_row9_cb(struct fx_r9 (*cb)(struct fx_r9));

/* ---- row 10 (and row 27): long double -------------------------------------
 * known value: -(1 + 2^-60) = -0x1.000000000000001p+0
 *   x86_64 x87 bytes (little endian, 10 significant of 16):
 *     08 00 00 00 00 00 00 80 ff bf   (mantissa 0x8000000000000008, sign|exp 0xbfff)
 *   aarch64 binary128: sign 1, exponent 0x3fff, fraction bit 2^-60 set */
long double fx_row10_ret(void);
int fx_row10_arg(long double v);
long double fx_row10_echo(long double v);
int fx_row10_cb(long double (*cb)(long double));

/* ---- row 10s: struct { long double x; } -----------------------------------
 * known value: { x = 1536 + 2^-53 = 0x1.8000000000000002p+10 }
 *   x86_64 x87 bytes: 01 00 00 00 00 00 00 c0 09 40 (mantissa 0xC000000000000001, sign|exp 0x4009) */
struct fx_r10s { long double x; };
struct fx_r10s fx_row10s_ret(void);
int fx_row10s_arg(struct fx_r10s v);
struct fx_r10s fx_row10s_echo(struct fx_r10s v);
int fx_row10s_cb(struct fx_r10s (*cb)(struct fx_r10s));

/* ---- row 11: (int x5, __int128) -> the __int128 goes whole on the stack -----
 * known arguments: a..e = 11, -22, 33, -44, 55;
 *   v = (__int128)0xF123456789ABCDEF_FEDCBA9876543210 (negative: high half
 *   0xF123456789ABCDEF, low half 0xFEDCBA9876543210)
 * fx_row11_ret returns v; _echo returns its v; _cb expects cb to return v. */
__int128 fx_row11_ret(void);
int fx_row11_arg(int a, int b, int c, int d, int e, __int128 v);
__int128 fx_row11_echo(int a, int b, int c, int d, int e, __int128 v);
int fx_row11_cb(__int128 (*cb)(int, int, int, int, int, __int128));
int fx_row11_cbargs(int (*cb)(int, int, int, int, int, __int128));
/* Checks the five ints and v like fx_row11_arg, then returns `after` (psABI and
 * gcc: after goes in r9, which v left free; 0 if a..e or v differ). clang < 18
 * splits v between r9 and the stack, clang < 20 leaves r9 unused (LLVM issues
 * 41784 and 123935), so gcc and those clangs disagree on this row. */
long fx_row11_after(int a, int b, int c, int d, int e, __int128 v, long after);

/* ---- row 12: (long x6, struct { double d; long l; }, double) ---------------
 * The struct is struct fx_r5 with row 5's known value.
 * known arguments: l0..l5 = 101, -202, 303, -404, 505, -606; s = row 5 value;
 *   last = -0.375. _echo returns s; _cb expects cb to return s. */
int fx_row12_arg(long l0, long l1, long l2, long l3, long l4, long l5, struct fx_r5 s, double last);
struct fx_r5 fx_row12_echo(long l0, long l1, long l2, long l3, long l4, long l5, struct fx_r5 s, double last);
int fx_row12_cb(struct fx_r5 (*cb)(long, long, long, long, long, long, struct fx_r5, double));
int fx_row12_cbargs(int (*cb)(long, long, long, long, long, long, struct fx_r5, double));
/* Returns `last` (checks that the trailing double arrives in xmm0). */
double fx_row12_last(long l0, long l1, long l2, long l3, long l4, long l5, struct fx_r5 s, double last);

/* ---- row 13: (double x7, struct { double a, b; }, double) ------------------
 * known arguments: d0..d6 = 0.5, -1.5, 2.25, -3.125, 4.0625, -5.03125, 6.015625;
 *   s = { a = -7.75, b = 8.875 }; last = 9.5.
 * fx_row13_ret returns s; _echo returns s; _cb expects cb to return s. */
struct fx_r13 { double a, b; };
struct fx_r13 fx_row13_ret(void);
int fx_row13_arg(double d0, double d1, double d2, double d3, double d4, double d5, double d6, struct fx_r13 s,
                 double last);
struct fx_r13 fx_row13_echo(double d0, double d1, double d2, double d3, double d4, double d5, double d6,
                            struct fx_r13 s, double last);
int fx_row13_cb(struct fx_r13 (*cb)(double, double, double, double, double, double, double, struct fx_r13, double));
int fx_row13_cbargs(int (*cb)(double, double, double, double, double, double, double, struct fx_r13, double));
/* Returns `last` (checks that the trailing double arrives in xmm7). */
double fx_row13_last(double d0, double d1, double d2, double d3, double d4, double d5, double d6, struct fx_r13 s,
                     double last);

/* ---- row 14: complex ------------------------------------------------------
 * 14f: float _Complex        known value: 1.5f - 2.25f i
 * 14d: double _Complex       known value: -0.125 + 4096.5 i
 * 14l: long double _Complex  known value: (1 + 2^-60) - (3 + 2^-61) i */
float _Complex fx_row14f_ret(void);
int fx_row14f_arg(float _Complex v);
float _Complex fx_row14f_echo(float _Complex v);
int fx_row14f_cb(float _Complex (*cb)(float _Complex));
double _Complex fx_row14d_ret(void);
int fx_row14d_arg(double _Complex v);
double _Complex fx_row14d_echo(double _Complex v);
int fx_row14d_cb(double _Complex (*cb)(double _Complex));
long double _Complex fx_row14l_ret(void);
int fx_row14l_arg(long double _Complex v);
long double _Complex fx_row14l_echo(long double _Complex v);
int fx_row14l_cb(long double _Complex (*cb)(long double _Complex));

/* ---- row 15: variadic -------------------------------------------------------
 * fx_vsum walks fmt, one letter per variadic argument, reading the promoted type:
 *   i int, l long, c char (read as int), f float (read as double),
 *   d double, L long double, s const char *, p void *.
 * It renders what it read into the calling thread's fx_vsum_text(), items
 * separated by one space: i/l/c as "%d"/"%ld" (c: the int read), d/f as
 * "%.17g", L as "%.21Lg", s as "%s", p as "%p"; each prefixed by the letter and
 * ':' e.g. fx_vsum("fci", 1.5f, (char)7, -3) -> text "f:1.5 c:7 i:-3".
 * Returns the sum of the numeric arguments as a double (s and p add nothing),
 * or -1e300 for an unknown letter (text then ends with "?"). */
double fx_vsum(const char *fmt, ...);
const char *fx_vsum_text(void);
/* Average of n doubles. */
double fx_vavg(int n, ...);
/* vsnprintf into buf (the real printf family); returns its result. */
int fx_vsnprintf(char *buf, size_t size, const char *fmt, ...);
/* Structs by value through `...`: expects tag = 15 followed by
 * (struct fx_r5, struct fx_r7, struct fx_r8, struct fx_r1, double -0.375, int 1515)
 * with rows 5, 7, 8, 1 known values; 1 if all match, else 0 + fx_last_error. */
int fx_row15_vstruct(int tag, ...);
/* Calls cb(3, 1.5, -2.25, 8.25) and returns 1 if cb returned their average 2.5
 * (fx_vavg is a valid callback). */
int fx_row15_cb(double (*cb)(int, ...));

/* ---- row 16: narrow integers ------------------------------------------------
 * Variants and known values:
 *   16c  char           'Z' (90)
 *   16sc signed char    -100
 *   16uc unsigned char  200
 *   16s  short          -30000
 *   16us unsigned short 60000
 *   16b  _Bool          1
 * fx_row16X_cb calls cb with dirty upper bits in the argument register (the
 * value is right in the declared width, bits 8/16..63 are 0x5A/0xA5 garbage),
 * so the callback must read only the declared width; the result is compared in
 * the declared width.
 * fx_row16X_dirty (hand-written assembly) returns the known value with garbage
 * in the bits of the return register above the declared width (for 16b: returns
 * false, 0 in the low byte, garbage above). */
char fx_row16c_ret(void);
int fx_row16c_arg(char v);
char fx_row16c_echo(char v);
int fx_row16c_cb(char (*cb)(char));
char fx_row16c_dirty(void);
signed char fx_row16sc_ret(void);
int fx_row16sc_arg(signed char v);
signed char fx_row16sc_echo(signed char v);
int fx_row16sc_cb(signed char (*cb)(signed char));
signed char fx_row16sc_dirty(void);
unsigned char fx_row16uc_ret(void);
int fx_row16uc_arg(unsigned char v);
unsigned char fx_row16uc_echo(unsigned char v);
int fx_row16uc_cb(unsigned char (*cb)(unsigned char));
unsigned char fx_row16uc_dirty(void);
short fx_row16s_ret(void);
int fx_row16s_arg(short v);
short fx_row16s_echo(short v);
int fx_row16s_cb(short (*cb)(short));
short fx_row16s_dirty(void);
unsigned short fx_row16us_ret(void);
int fx_row16us_arg(unsigned short v);
unsigned short fx_row16us_echo(unsigned short v);
int fx_row16us_cb(unsigned short (*cb)(unsigned short));
unsigned short fx_row16us_dirty(void);
_Bool fx_row16b_ret(void);
int fx_row16b_arg(_Bool v);
_Bool fx_row16b_echo(_Bool v);
int fx_row16b_cb(_Bool (*cb)(_Bool));
_Bool fx_row16b_dirty(void);
/* (short)(x * 65537): the low 16 bits are x's, the bits above are whatever the
 * compiler leaves (e.g. x itself). fx_narrow_ret(0x12345678) == 0x5678. */
short fx_narrow_ret(int x);
/* 1 if c = -100, s = -30000, uc = 200, us = 60000, b = 1, compared in the
 * declared widths (both gcc and clang 14 compare only the low bits here). */
int fx_narrow_arg_sext(signed char c, short s, unsigned char uc, unsigned short us, _Bool b);
/* Returns c + s + uc + us + b as int (-100 - 30000 + 200 + 60000 + 1 = 30101 for
 * the known values). Built by clang, it adds the whole 32-bit registers, i.e.
 * relies on the caller having extended the arguments (gcc re-extends them):
 * the clang-built library's fx_row16_sum is the test of caller extension. */
int fx_row16_sum(signed char c, short s, unsigned char uc, unsigned short us, _Bool b);
/* Hand-written assembly: 1 if the five argument registers hold the known
 * values extended to 32 bits (sign for signed, zero for unsigned and _Bool),
 * i.e. the caller extended them as clang-built callees assume. */
int fx_row16_extended(signed char c, short s, unsigned char uc, unsigned short us, _Bool b);
/* Calls cb with the known values and dirty upper bits in every argument
 * register; returns cb's result (fx_narrow_arg_sext is a valid cb). */
int fx_row16_cbargs(int (*cb)(signed char, short, unsigned char, unsigned short, _Bool));

/* ---- row 17: struct { char a; int :0; char b; } ---------------------------
 * x86_64 gcc: size 5, align 1, b at offset 4. known value: { a = 'A', b = 'z' } */
struct fx_r17 { char a; int :0; char b; };
struct fx_r17 fx_row17_ret(void);
int fx_row17_arg(struct fx_r17 v);
struct fx_r17 fx_row17_echo(struct fx_r17 v);
int fx_row17_cb(struct fx_r17 (*cb)(struct fx_r17));

/* ---- row 18: flexible array member (by pointer only) ----------------------
 * size 8, d at offset 8. */
struct fx_r18 { int n; double d[]; };
/* Sum of p->d[0 .. p->n). */
double fx_row18_sum(const struct fx_r18 *p);
/* malloc'ed with n elements d[i] = i + 0.5 (free with fx_row18_free). */
struct fx_r18 *fx_row18_new(int n);
void fx_row18_free(struct fx_r18 *p);

/* ---- row 19: empty struct (GNU C, size 0) between ints ---------------------
 * known arguments: a = 6425 (0x1919), b = -6425. */
struct fx_r19 { };
struct fx_r19 fx_row19_ret(void);
int fx_row19_arg(int a, struct fx_r19 e, int b);
/* Returns b (checks that b did not move because of e). */
int fx_row19_echo(int a, struct fx_r19 e, int b);
/* Calls cb(6425, e, -6425) and returns 1 if cb returned b = -6425. */
int fx_row19_cb(int (*cb)(int, struct fx_r19, int));
int fx_row19_cbargs(int (*cb)(int, struct fx_r19, int));

/* ---- row 20: bitfields by value ---------------------------------------------
 * size 16 on x86_64. known value: { a = -4, b = 0x1ABCDEF5, c = -0x7F12345678 } */
struct fx_r20 { int a:3; unsigned b:29; long c:40; };
struct fx_r20 fx_row20_ret(void);
int fx_row20_arg(struct fx_r20 v);
struct fx_r20 fx_row20_echo(struct fx_r20 v);
int fx_row20_cb(struct fx_r20 (*cb)(struct fx_r20));

/* ---- row 21: struct { char c[3]; } ----------------------------------------
 * known value: { c = { 0x12, 0x34, 0x56 } } */
struct fx_r21 { char c[3]; };
struct fx_r21 fx_row21_ret(void);
int fx_row21_arg(struct fx_r21 v);
struct fx_r21 fx_row21_echo(struct fx_r21 v);
int fx_row21_cb(struct fx_r21 (*cb)(struct fx_r21));

/* ---- row 22: HFA struct { float a, b, c, d; } -----------------------------
 * known value: { 1.5f, -2.5f, 3.25f, -4.125f } */
struct fx_r22 { float a, b, c, d; };
struct fx_r22 fx_row22_ret(void);
int fx_row22_arg(struct fx_r22 v);
struct fx_r22 fx_row22_echo(struct fx_r22 v);
int fx_row22_cb(struct fx_r22 (*cb)(struct fx_r22));

/* ---- row 23: struct { double a; float b; } --------------------------------
 * known value: { a = -1.0625, b = 7.75f } */
struct fx_r23 { double a; float b; };
struct fx_r23 fx_row23_ret(void);
int fx_row23_arg(struct fx_r23 v);
struct fx_r23 fx_row23_echo(struct fx_r23 v);
int fx_row23_cb(struct fx_r23 (*cb)(struct fx_r23));

/* ---- row 24: struct { float a[5]; } ---------------------------------------
 * known value: { a = { 0.5f, -1.5f, 2.5f, -3.5f, 4.5f } } */
struct fx_r24 { float a[5]; };
struct fx_r24 fx_row24_ret(void);
int fx_row24_arg(struct fx_r24 v);
struct fx_r24 fx_row24_echo(struct fx_r24 v);
int fx_row24_cb(struct fx_r24 (*cb)(struct fx_r24));

/* ---- row 25: (int, struct { __int128 v; }, int) ----------------------------
 * (the (int x5, __int128) half of row 25 is row 11)
 * known arguments: a = -25; s.v = high 0x0A1B2C3D4E5F6071, low 0x8293A4B5C6D7E8F9;
 *   b = 2525. fx_row25_ret returns s; _echo returns s; _cb expects cb to return s. */
struct fx_r25 { __int128 v; };
struct fx_r25 fx_row25_ret(void);
int fx_row25_arg(int a, struct fx_r25 s, int b);
struct fx_r25 fx_row25_echo(int a, struct fx_r25 s, int b);
int fx_row25_cb(struct fx_r25 (*cb)(int, struct fx_r25, int));
int fx_row25_cbargs(int (*cb)(int, struct fx_r25, int));

/* ---- row 28: union { float a; float b[2]; } -------------------------------
 * (union { float f; int i; } is row 2) known value: b = { -1.75f, 3.5f } */
union fx_r28 { float a; float b[2]; };
union fx_r28 fx_row28_ret(void);
int fx_row28_arg(union fx_r28 v);
union fx_r28 fx_row28_echo(union fx_r28 v);
int fx_row28_cb(union fx_r28 (*cb)(union fx_r28));

/* ---- row 29: stack arguments after full register files --------------------
 * known arguments: a0..a7 = 1, -2, 3, -4, 5, -6, 7, -8;
 *   f0..f7 = 0.125, -0.25, 0.375, -0.5, 0.625, -0.75, 0.875, -1.0;
 *   then (on the stack on both targets) c = -29, s = -2929, i = 292929,
 *   f = 2.875f, d = -29.5, l = -0x2929292929.
 * _echo returns l; _cb expects cb to return l. */
int fx_row29_arg(long a0, long a1, long a2, long a3, long a4, long a5, long a6, long a7, double f0, double f1,
                 double f2, double f3, double f4, double f5, double f6, double f7, signed char c, short s, int i,
                 float f, double d, long l);
long fx_row29_echo(long a0, long a1, long a2, long a3, long a4, long a5, long a6, long a7, double f0, double f1,
                   double f2, double f3, double f4, double f5, double f6, double f7, signed char c, short s, int i,
                   float f, double d, long l);
int fx_row29_cb(long (*cb)(long, long, long, long, long, long, long, long, double, double, double, double, double,
                           double, double, double, signed char, short, int, float, double, long));
int fx_row29_cbargs(int (*cb)(long, long, long, long, long, long, long, long, double, double, double, double, double,
                              double, double, double, signed char, short, int, float, double, long));

/* ---- errno, threads, qsort -------------------------------------------------- */

/* Sets errno = e and returns -1. */
int fx_set_errno(int e);
/* Returns the calling thread's errno. */
int fx_get_errno(void);
/* Runs cb(x) on a new pthread (one the host did not create) and returns its
 * result; -1000000 if the thread could not be created. */
int fx_call_in_thread(int (*cb)(int), int x);
/* Starts nthreads pthreads together (barrier); thread t calls cb(k) for
 * k = t * calls_each + j, j in [0, calls_each), storing cb(k) in results[k]
 * (results has nthreads * calls_each elements). Returns 0, or the pthread error
 * number if a thread could not be created (then no callback has run). */
int fx_call_n_threads(int (*cb)(int), int nthreads, int calls_each, int *results);
/* qsort(a, n, sizeof(int), cmp); returns 1 if afterwards cmp(a[i], a[i+1]) <= 0
 * for every i, else 0. */
int fx_qsort_ints(int *a, size_t n, int (*cmp)(const void *, const void *));

/* ---- simple functions and globals ------------------------------------------ */

struct fx_point { int x; int y; };
int fx_add(int a, int b);
long fx_add6(long a, long b, long c, long d, long e, long f);
double fx_add_dd(double a, double b);
void fx_noop(void);
size_t fx_strlen(const char *s);
/* Writes { x = 7, y = -8 } to *out. */
void fx_fill_point(struct fx_point *out);
/* Returns "hello from fixtures". */
const char *fx_hello(void);
/* Initially 42. */
extern int fx_counter;
/* Returns fx_counter (to observe writes made through the symbol). */
int fx_counter_get(void);
/* Initially "fixtures". */
extern const char *fx_name;
/* Initially { x = -3, y = 4 }. */
extern struct fx_point fx_origin;
/* Returns fx_origin.x * 1000 + fx_origin.y. */
int fx_origin_key(void);
/* Symbol renamed by an asm label: the exported symbol is fx_real_name, there is
 * no fx_alias symbol. Returns x * 3 + 1. */
int fx_alias(int x) __asm__("fx_real_name");

/* ---- AAPCS64 shapes libffi gets wrong (issue 14; c-fixtures/aapcs64.c) -----
 * Valid C on every host; on aarch64 they exercise the rules abicall applies
 * itself instead of leaving them to libffi.
 *
 * 32-byte structs by value (AAPCS64 B.4: passed as pointers to caller-made
 * copies; from the 9th on the pointers go on the stack).
 *   known values: struct k (k = 0, 1, ...) = { 1000k + 1, -(1000k + 2), 1000k + 3, -(1000k + 4) }
 *   fx_big9 / fx_big10 check every member (fx_last_error_msg names the
 *   first wrong one), then return `after` (0 on a mismatch).
 *   fx_big10_sum returns the sum over k of (k + 1) * (a - b + c - d).
 *   fx_big10_cbargs calls cb with the known values and returns its result. */
struct fx_big32 { long a, b, c, d; };
long fx_big9(struct fx_big32 s0, struct fx_big32 s1, struct fx_big32 s2, struct fx_big32 s3,
             struct fx_big32 s4, struct fx_big32 s5, struct fx_big32 s6, struct fx_big32 s7,
             struct fx_big32 s8, long after);
long fx_big10(struct fx_big32 s0, struct fx_big32 s1, struct fx_big32 s2, struct fx_big32 s3,
              struct fx_big32 s4, struct fx_big32 s5, struct fx_big32 s6, struct fx_big32 s7,
              struct fx_big32 s8, struct fx_big32 s9, long after);
long fx_big10_sum(struct fx_big32 s0, struct fx_big32 s1, struct fx_big32 s2, struct fx_big32 s3,
                  struct fx_big32 s4, struct fx_big32 s5, struct fx_big32 s6, struct fx_big32 s7,
                  struct fx_big32 s8, struct fx_big32 s9);
long fx_big10_cbargs(long (*cb)(struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32,
                                struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32,
                                struct fx_big32, struct fx_big32, long));

/* __int128 after an odd number of integer registers (AAPCS64 C.10: even pair)
 * and with one register left (C.13/C.14: on the stack, 16-aligned).
 *   known value v: fx_row11's; l0..l6 = 1..7; a = -5.
 *   Both check their arguments and return `after` (0 on a mismatch). */
long fx_i128_odd(int a, __int128 v, long after);
long fx_i128_stack(long l0, long l1, long l2, long l3, long l4, long l5, long l6, __int128 v, long after);
long fx_i128_odd_cbargs(long (*cb)(int, __int128, long));

/* An HFA that does not fit in the v registers left (AAPCS64 C.3: it goes
 * wholly on the stack and NSRN becomes 8, so `last` goes on the stack too).
 *   known values: d0..d5 = 0.5, 1.5, ..., 5.5; h = { -1.25, 2.5, -3.75 }.
 *   fx_hfa_overflow checks them and returns `last` (NaN on a mismatch). */
struct fx_hfa3 { double x, y, z; };
double fx_hfa_overflow(double d0, double d1, double d2, double d3, double d4, double d5,
                       struct fx_hfa3 h, double last);
double fx_hfa_overflow_cbargs(double (*cb)(double, double, double, double, double, double,
                                           struct fx_hfa3, double));

/* long double on the stack after eight doubles (aarch64 Linux: binary128,
 * 16-aligned stack slots), with an int between.
 *   known values: d0..d7 = 1..8; a = fx_row10's value; i = 7; b = -a.
 *   Returns i if all arrived, else 0. */
int fx_ld_stack(double d0, double d1, double d2, double d3, double d4, double d5, double d6,
                double d7, long double a, int i, long double b);
