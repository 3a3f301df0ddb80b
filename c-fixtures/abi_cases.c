/* Known-answer functions for the rows of docs/abi-cases.md (see abi_cases.h for
 * the conventions and c-fixtures/README.md for the table). Every known value
 * is defined exactly once, as fx_rowN_value below. */
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>

#include "abi_cases.h"
#include "fx_internal.h"

/* ---- known values ---------------------------------------------------------- */

#define FX_I128(hi, lo) ((__int128)(((unsigned __int128)(hi) << 64) | (unsigned __int128)(lo)))

static const struct fx_r1 fx_row1_value = {1.5f, -123456789};
static const union fx_r2 fx_row2_value = {.f = -2.75f};
static const union fx_r3 fx_row3_value = {.d = 1234.5625};
static const union fx_r4 fx_row4_value = {.l = 0x400921FB54442D18L};
static const struct fx_r5 fx_row5_value = {-2.5, -1234567890123L};
static const struct fx_r6 fx_row6_value = {0x1122334455667788L, 6.25};
static const struct fx_r7 fx_row7_value = {1.25f, -2.5f, 1024.75f};
static const struct fx_r8 fx_row8_value = {-1L, 0x0102030405060708L, -9000000000L};
static const struct fx_r9 fx_row9_value = {'Q', -2.0625};
static const long double fx_row10_value = -(1.0L + 0x1p-60L);
static const struct fx_r10s fx_row10s_value = {1536.0L + 0x1p-53L};
static const int fx_row11_ints[5] = {11, -22, 33, -44, 55};
static const __int128 fx_row11_value = FX_I128(0xF123456789ABCDEFULL, 0xFEDCBA9876543210ULL);
static const long fx_row12_longs[6] = {101, -202, 303, -404, 505, -606};
static const double fx_row12_last_value = -0.375;
static const double fx_row13_doubles[7] = {0.5, -1.5, 2.25, -3.125, 4.0625, -5.03125, 6.015625};
static const struct fx_r13 fx_row13_value = {-7.75, 8.875};
static const double fx_row13_last_value = 9.5;
static const float _Complex fx_row14f_value = __builtin_complex(1.5f, -2.25f);
static const double _Complex fx_row14d_value = __builtin_complex(-0.125, 4096.5);
static const long double _Complex fx_row14l_value = __builtin_complex(1.0L + 0x1p-60L, -(3.0L + 0x1p-61L));
static const char fx_row16c_value = 'Z';
static const signed char fx_row16sc_value = -100;
static const unsigned char fx_row16uc_value = 200;
static const short fx_row16s_value = -30000;
static const unsigned short fx_row16us_value = 60000;
static const _Bool fx_row16b_value = 1;
static const struct fx_r17 fx_row17_value = {'A', 'z'};
static const int fx_row19_a = 0x1919, fx_row19_b = -0x1919;
static const struct fx_r20 fx_row20_value = {-4, 0x1ABCDEF5u, -0x7F12345678L};
static const struct fx_r21 fx_row21_value = {{0x12, 0x34, 0x56}};
static const struct fx_r22 fx_row22_value = {1.5f, -2.5f, 3.25f, -4.125f};
static const struct fx_r23 fx_row23_value = {-1.0625, 7.75f};
static const struct fx_r24 fx_row24_value = {{0.5f, -1.5f, 2.5f, -3.5f, 4.5f}};
static const int fx_row25_a = -25, fx_row25_b = 2525;
static const struct fx_r25 fx_row25_value = {FX_I128(0x0A1B2C3D4E5F6071ULL, 0x8293A4B5C6D7E8F9ULL)};
static const union fx_r28 fx_row28_value = {.b = {-1.75f, 3.5f}};
static const long fx_row29_longs[8] = {1, -2, 3, -4, 5, -6, 7, -8};
static const double fx_row29_doubles[8] = {0.125, -0.25, 0.375, -0.5, 0.625, -0.75, 0.875, -1.0};
static const signed char fx_row29_c = -29;
static const short fx_row29_s = -2929;
static const int fx_row29_i = 292929;
static const float fx_row29_f = 2.875f;
static const double fx_row29_d = -29.5;
static const long fx_row29_l = -0x2929292929L;

/* ---- member comparisons ------------------------------------------------------ */

static int eq_i128(const char *ctx, const char *name, __int128 got, __int128 want) {
    if (got == want)
        return 1;
    return fx_fail("%s: %s = 0x%016llx%016llx, expected 0x%016llx%016llx", ctx, name,
                   (unsigned long long)((unsigned __int128)got >> 64), (unsigned long long)got,
                   (unsigned long long)((unsigned __int128)want >> 64), (unsigned long long)want);
}

static int eq_r1(const char *ctx, struct fx_r1 g, struct fx_r1 w) {
    FX_CHK(ctx, "f", g.f, w.f, "%.9g");
    FX_CHK(ctx, "i", g.i, w.i, "%d");
    return 1;
}
static int eq_r2(const char *ctx, union fx_r2 g, union fx_r2 w) {
    FX_CHK(ctx, "i", g.i, w.i, "%d");
    return 1;
}
static int eq_r3(const char *ctx, union fx_r3 g, union fx_r3 w) {
    FX_CHK(ctx, "d", g.d, w.d, "%.17g");
    return 1;
}
static int eq_r4(const char *ctx, union fx_r4 g, union fx_r4 w) {
    FX_CHK(ctx, "l", g.l, w.l, "%#lx");
    return 1;
}
static int eq_r5(const char *ctx, struct fx_r5 g, struct fx_r5 w) {
    FX_CHK(ctx, "d", g.d, w.d, "%.17g");
    FX_CHK(ctx, "l", g.l, w.l, "%ld");
    return 1;
}
static int eq_r6(const char *ctx, struct fx_r6 g, struct fx_r6 w) {
    FX_CHK(ctx, "l", g.l, w.l, "%#lx");
    FX_CHK(ctx, "d", g.d, w.d, "%.17g");
    return 1;
}
static int eq_r7(const char *ctx, struct fx_r7 g, struct fx_r7 w) {
    FX_CHK(ctx, "x", g.x, w.x, "%.9g");
    FX_CHK(ctx, "y", g.y, w.y, "%.9g");
    FX_CHK(ctx, "z", g.z, w.z, "%.9g");
    return 1;
}
static int eq_r8(const char *ctx, struct fx_r8 g, struct fx_r8 w) {
    FX_CHK(ctx, "a", g.a, w.a, "%ld");
    FX_CHK(ctx, "b", g.b, w.b, "%#lx");
    FX_CHK(ctx, "c", g.c, w.c, "%ld");
    return 1;
}
static int eq_r9(const char *ctx, struct fx_r9 g, struct fx_r9 w) {
    FX_CHK(ctx, "c", (int)g.c, (int)w.c, "%d");
    FX_CHK(ctx, "d", (double)g.d, (double)w.d, "%.17g");
    return 1;
}
static int eq_r10(const char *ctx, long double g, long double w) {
    FX_CHK(ctx, "value", g, w, "%.21Lg");
    return 1;
}
static int eq_r10s(const char *ctx, struct fx_r10s g, struct fx_r10s w) {
    FX_CHK(ctx, "x", g.x, w.x, "%.21Lg");
    return 1;
}
static int eq_r11(const char *ctx, __int128 g, __int128 w) { return eq_i128(ctx, "v", g, w); }
static int eq_r13(const char *ctx, struct fx_r13 g, struct fx_r13 w) {
    FX_CHK(ctx, "a", g.a, w.a, "%.17g");
    FX_CHK(ctx, "b", g.b, w.b, "%.17g");
    return 1;
}
static int eq_r14f(const char *ctx, float _Complex g, float _Complex w) {
    FX_CHK(ctx, "real", crealf(g), crealf(w), "%.9g");
    FX_CHK(ctx, "imag", cimagf(g), cimagf(w), "%.9g");
    return 1;
}
static int eq_r14d(const char *ctx, double _Complex g, double _Complex w) {
    FX_CHK(ctx, "real", creal(g), creal(w), "%.17g");
    FX_CHK(ctx, "imag", cimag(g), cimag(w), "%.17g");
    return 1;
}
static int eq_r14l(const char *ctx, long double _Complex g, long double _Complex w) {
    FX_CHK(ctx, "real", creall(g), creall(w), "%.21Lg");
    FX_CHK(ctx, "imag", cimagl(g), cimagl(w), "%.21Lg");
    return 1;
}
static int eq_r17(const char *ctx, struct fx_r17 g, struct fx_r17 w) {
    FX_CHK(ctx, "a", (int)g.a, (int)w.a, "%d");
    FX_CHK(ctx, "b", (int)g.b, (int)w.b, "%d");
    return 1;
}
static int eq_r20(const char *ctx, struct fx_r20 g, struct fx_r20 w) {
    FX_CHK(ctx, "a", (int)g.a, (int)w.a, "%d");
    FX_CHK(ctx, "b", (unsigned)g.b, (unsigned)w.b, "%#x");
    FX_CHK(ctx, "c", (long)g.c, (long)w.c, "%ld");
    return 1;
}
static int eq_r21(const char *ctx, struct fx_r21 g, struct fx_r21 w) {
    FX_CHK(ctx, "c[0]", (int)g.c[0], (int)w.c[0], "%#x");
    FX_CHK(ctx, "c[1]", (int)g.c[1], (int)w.c[1], "%#x");
    FX_CHK(ctx, "c[2]", (int)g.c[2], (int)w.c[2], "%#x");
    return 1;
}
static int eq_r22(const char *ctx, struct fx_r22 g, struct fx_r22 w) {
    FX_CHK(ctx, "a", g.a, w.a, "%.9g");
    FX_CHK(ctx, "b", g.b, w.b, "%.9g");
    FX_CHK(ctx, "c", g.c, w.c, "%.9g");
    FX_CHK(ctx, "d", g.d, w.d, "%.9g");
    return 1;
}
static int eq_r23(const char *ctx, struct fx_r23 g, struct fx_r23 w) {
    FX_CHK(ctx, "a", g.a, w.a, "%.17g");
    FX_CHK(ctx, "b", g.b, w.b, "%.9g");
    return 1;
}
static int eq_r24(const char *ctx, struct fx_r24 g, struct fx_r24 w) {
    static const char *const names[5] = {"a[0]", "a[1]", "a[2]", "a[3]", "a[4]"};
    for (int k = 0; k < 5; k++)
        FX_CHK(ctx, names[k], g.a[k], w.a[k], "%.9g");
    return 1;
}
static int eq_r25(const char *ctx, struct fx_r25 g, struct fx_r25 w) { return eq_i128(ctx, "v", g.v, w.v); }
static int eq_r28(const char *ctx, union fx_r28 g, union fx_r28 w) {
    FX_CHK(ctx, "b[0]", g.b[0], w.b[0], "%.9g");
    FX_CHK(ctx, "b[1]", g.b[1], w.b[1], "%.9g");
    return 1;
}

/* ---- single-value rows: _ret, _arg, _echo, _cb ------------------------------- */

#define FX_ROW(N, T, EQ)                                                                                    \
    T fx_row##N##_ret(void) { return fx_row##N##_value; }                                                   \
    int fx_row##N##_arg(T v) { return EQ("fx_row" #N "_arg", v, fx_row##N##_value); }                       \
    T fx_row##N##_echo(T v) { return v; }                                                                   \
    int fx_row##N##_cb(T (*cb)(T)) {                                                                        \
        return EQ("fx_row" #N "_cb: callback result", cb(fx_row##N##_value), fx_row##N##_value);            \
    }

FX_ROW(1, struct fx_r1, eq_r1)
FX_ROW(2, union fx_r2, eq_r2)
FX_ROW(3, union fx_r3, eq_r3)
FX_ROW(4, union fx_r4, eq_r4)
FX_ROW(5, struct fx_r5, eq_r5)
FX_ROW(6, struct fx_r6, eq_r6)
FX_ROW(7, struct fx_r7, eq_r7)
FX_ROW(8, struct fx_r8, eq_r8)
FX_ROW(9, struct fx_r9, eq_r9)
FX_ROW(10, long double, eq_r10)
FX_ROW(10s, struct fx_r10s, eq_r10s)
FX_ROW(14f, float _Complex, eq_r14f)
FX_ROW(14d, double _Complex, eq_r14d)
FX_ROW(14l, long double _Complex, eq_r14l)
FX_ROW(17, struct fx_r17, eq_r17)
FX_ROW(20, struct fx_r20, eq_r20)
FX_ROW(21, struct fx_r21, eq_r21)
FX_ROW(22, struct fx_r22, eq_r22)
FX_ROW(23, struct fx_r23, eq_r23)
FX_ROW(24, struct fx_r24, eq_r24)
FX_ROW(28, union fx_r28, eq_r28)

/* ---- row 11: (int x5, __int128) ---------------------------------------------- */

static int check_ints(const char *ctx, const int *got, const int *want, int n) {
    static const char *const names[6] = {"a", "b", "c", "d", "e", "f"};
    for (int k = 0; k < n; k++)
        FX_CHK(ctx, names[k], got[k], want[k], "%d");
    return 1;
}

__int128 fx_row11_ret(void) { return fx_row11_value; }
int fx_row11_arg(int a, int b, int c, int d, int e, __int128 v) {
    const int got[5] = {a, b, c, d, e};
    return check_ints("fx_row11_arg", got, fx_row11_ints, 5) && eq_r11("fx_row11_arg", v, fx_row11_value);
}
__int128 fx_row11_echo(int a, int b, int c, int d, int e, __int128 v) {
    (void)a, (void)b, (void)c, (void)d, (void)e;
    return v;
}
int fx_row11_cb(__int128 (*cb)(int, int, int, int, int, __int128)) {
    const int *k = fx_row11_ints;
    return eq_r11("fx_row11_cb: callback result", cb(k[0], k[1], k[2], k[3], k[4], fx_row11_value), fx_row11_value);
}
long fx_row11_after(int a, int b, int c, int d, int e, __int128 v, long after) {
    return fx_row11_arg(a, b, c, d, e, v) ? after : 0;
}
int fx_row11_cbargs(int (*cb)(int, int, int, int, int, __int128)) {
    const int *k = fx_row11_ints;
    return cb(k[0], k[1], k[2], k[3], k[4], fx_row11_value);
}

/* ---- row 12: (long x6, struct { double d; long l; }, double) ----------------- */

static int check_longs(const char *ctx, const long *got, const long *want, int n) {
    static const char *const names[8] = {"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7"};
    for (int k = 0; k < n; k++)
        FX_CHK(ctx, names[k], got[k], want[k], "%ld");
    return 1;
}

int fx_row12_arg(long l0, long l1, long l2, long l3, long l4, long l5, struct fx_r5 s, double last) {
    const long got[6] = {l0, l1, l2, l3, l4, l5};
    if (!check_longs("fx_row12_arg", got, fx_row12_longs, 6) || !eq_r5("fx_row12_arg: s", s, fx_row5_value))
        return 0;
    FX_CHK("fx_row12_arg", "last", last, fx_row12_last_value, "%.17g");
    return 1;
}
struct fx_r5 fx_row12_echo(long l0, long l1, long l2, long l3, long l4, long l5, struct fx_r5 s, double last) {
    (void)l0, (void)l1, (void)l2, (void)l3, (void)l4, (void)l5, (void)last;
    return s;
}
double fx_row12_last(long l0, long l1, long l2, long l3, long l4, long l5, struct fx_r5 s, double last) {
    (void)l0, (void)l1, (void)l2, (void)l3, (void)l4, (void)l5, (void)s;
    return last;
}
int fx_row12_cb(struct fx_r5 (*cb)(long, long, long, long, long, long, struct fx_r5, double)) {
    const long *k = fx_row12_longs;
    return eq_r5("fx_row12_cb: callback result", cb(k[0], k[1], k[2], k[3], k[4], k[5], fx_row5_value, fx_row12_last_value),
                 fx_row5_value);
}
int fx_row12_cbargs(int (*cb)(long, long, long, long, long, long, struct fx_r5, double)) {
    const long *k = fx_row12_longs;
    return cb(k[0], k[1], k[2], k[3], k[4], k[5], fx_row5_value, fx_row12_last_value);
}

/* ---- row 13: (double x7, struct { double a, b; }, double) -------------------- */

static int check_doubles(const char *ctx, const double *got, const double *want, int n) {
    static const char *const names[8] = {"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"};
    for (int k = 0; k < n; k++)
        FX_CHK(ctx, names[k], got[k], want[k], "%.17g");
    return 1;
}

struct fx_r13 fx_row13_ret(void) { return fx_row13_value; }
int fx_row13_arg(double d0, double d1, double d2, double d3, double d4, double d5, double d6, struct fx_r13 s,
                 double last) {
    const double got[7] = {d0, d1, d2, d3, d4, d5, d6};
    if (!check_doubles("fx_row13_arg", got, fx_row13_doubles, 7) || !eq_r13("fx_row13_arg: s", s, fx_row13_value))
        return 0;
    FX_CHK("fx_row13_arg", "last", last, fx_row13_last_value, "%.17g");
    return 1;
}
struct fx_r13 fx_row13_echo(double d0, double d1, double d2, double d3, double d4, double d5, double d6,
                            struct fx_r13 s, double last) {
    (void)d0, (void)d1, (void)d2, (void)d3, (void)d4, (void)d5, (void)d6, (void)last;
    return s;
}
double fx_row13_last(double d0, double d1, double d2, double d3, double d4, double d5, double d6, struct fx_r13 s,
                     double last) {
    (void)d0, (void)d1, (void)d2, (void)d3, (void)d4, (void)d5, (void)d6, (void)s;
    return last;
}
int fx_row13_cb(struct fx_r13 (*cb)(double, double, double, double, double, double, double, struct fx_r13, double)) {
    const double *k = fx_row13_doubles;
    return eq_r13("fx_row13_cb: callback result",
                  cb(k[0], k[1], k[2], k[3], k[4], k[5], k[6], fx_row13_value, fx_row13_last_value), fx_row13_value);
}
int fx_row13_cbargs(int (*cb)(double, double, double, double, double, double, double, struct fx_r13, double)) {
    const double *k = fx_row13_doubles;
    return cb(k[0], k[1], k[2], k[3], k[4], k[5], k[6], fx_row13_value, fx_row13_last_value);
}

/* ---- row 16: narrow integers --------------------------------------------------
 * _cb passes the argument through a pointer of type T (*)(unsigned long) so the
 * argument register carries garbage above the declared width; the callback
 * must look only at the declared width. The result is read as T. */

#define FX_ROW16(X, T, DIRTY)                                                                              \
    T fx_row16##X##_ret(void) { return fx_row16##X##_value; }                                              \
    int fx_row16##X##_arg(T v) {                                                                           \
        FX_CHK("fx_row16" #X "_arg", "v", (long)v, (long)fx_row16##X##_value, "%ld");                      \
        return 1;                                                                                          \
    }                                                                                                      \
    T fx_row16##X##_echo(T v) { return v; }                                                                \
    int fx_row16##X##_cb(T (*cb)(T)) {                                                                     \
        T r = FX_FN_CAST(T(*)(unsigned long), cb)(DIRTY);                                                  \
        FX_CHK("fx_row16" #X "_cb: callback result", "value", (long)r, (long)fx_row16##X##_value, "%ld");  \
        return 1;                                                                                          \
    }

FX_ROW16(c, char, 0x5A5A5A5A5A5AA55AUL)
FX_ROW16(sc, signed char, 0x5A5A5A5A5A5A5A9CUL)
FX_ROW16(uc, unsigned char, 0xA5A5A5A5A5A5A5C8UL)
FX_ROW16(s, short, 0x5A5A5A5A5A5A8AD0UL)
FX_ROW16(us, unsigned short, 0xA5A5A5A5A5A5EA60UL)
FX_ROW16(b, _Bool, 0xA5A5A5A5A5A5A501UL)

short fx_narrow_ret(int x) { return (short)(x * 65537); }

int fx_narrow_arg_sext(signed char c, short s, unsigned char uc, unsigned short us, _Bool b) {
    FX_CHK("fx_narrow_arg_sext", "c", (int)c, -100, "%d");
    FX_CHK("fx_narrow_arg_sext", "s", (int)s, -30000, "%d");
    FX_CHK("fx_narrow_arg_sext", "uc", (int)uc, 200, "%d");
    FX_CHK("fx_narrow_arg_sext", "us", (int)us, 60000, "%d");
    FX_CHK("fx_narrow_arg_sext", "b", (int)b, 1, "%d");
    return 1;
}

int fx_row16_sum(signed char c, short s, unsigned char uc, unsigned short us, _Bool b) { return c + s + uc + us + b; }

int fx_row16_cbargs(int (*cb)(signed char, short, unsigned char, unsigned short, _Bool)) {
    return FX_FN_CAST(int (*)(unsigned long, unsigned long, unsigned long, unsigned long, unsigned long), cb)(
        0x5A5A5A5A5A5A5A9CUL, 0xA5A5A5A5A5A58AD0UL, 0x5A5A5A5A5A5A5AC8UL, 0xA5A5A5A5A5A5EA60UL, 0x5A5A5A5A5A5A5A01UL);
}

/* Hand-written: narrow returns with garbage above the declared width, and a
 * callee that inspects whole 32-bit argument registers. */
#define FX_ASM_FN(name, body)                                                                                  \
    __asm__(".pushsection .text\n\t.globl " name "\n\t.type " name ", %function\n\t.p2align 4\n" name ":\n" body \
            "\n\t.size " name ", .-" name "\n\t.popsection\n");

#if defined(__x86_64__)
#define FX_DIRTY(name, imm) FX_ASM_FN(name, "\tmovabsq $" imm ", %rax\n\tret")
FX_DIRTY("fx_row16c_dirty", "0xA5A5A5A5A5A5A55A")
FX_DIRTY("fx_row16sc_dirty", "0xA5A5A5A5A5A5A59C")
FX_DIRTY("fx_row16uc_dirty", "0x5A5A5A5A5A5A5AC8")
FX_DIRTY("fx_row16s_dirty", "0xA5A5A5A5A5A58AD0")
FX_DIRTY("fx_row16us_dirty", "0x5A5A5A5A5A5AEA60")
FX_DIRTY("fx_row16b_dirty", "0xA5A5A5A5A5A5A500")
FX_ASM_FN("fx_row16_extended", "\txorl %eax, %eax\n"
                               "\tcmpl $-100, %edi\n\tjne 1f\n"
                               "\tcmpl $-30000, %esi\n\tjne 1f\n"
                               "\tcmpl $200, %edx\n\tjne 1f\n"
                               "\tcmpl $60000, %ecx\n\tjne 1f\n"
                               "\tcmpl $1, %r8d\n\tjne 1f\n"
                               "\tmovl $1, %eax\n"
                               "1:\tret")
#elif defined(__aarch64__)
#define FX_DIRTY(name, h3, h2, h1, h0)                                                                         \
    FX_ASM_FN(name, "\tmovz x0, #" h0 "\n\tmovk x0, #" h1 ", lsl #16\n\tmovk x0, #" h2 ", lsl #32\n"           \
                    "\tmovk x0, #" h3 ", lsl #48\n\tret")
FX_DIRTY("fx_row16c_dirty", "0xA5A5", "0xA5A5", "0xA5A5", "0xA55A")
FX_DIRTY("fx_row16sc_dirty", "0xA5A5", "0xA5A5", "0xA5A5", "0xA59C")
FX_DIRTY("fx_row16uc_dirty", "0x5A5A", "0x5A5A", "0x5A5A", "0x5AC8")
FX_DIRTY("fx_row16s_dirty", "0xA5A5", "0xA5A5", "0xA5A5", "0x8AD0")
FX_DIRTY("fx_row16us_dirty", "0x5A5A", "0x5A5A", "0x5A5A", "0xEA60")
FX_DIRTY("fx_row16b_dirty", "0xA5A5", "0xA5A5", "0xA5A5", "0xA500")
FX_ASM_FN("fx_row16_extended", "\tmov w9, #-100\n\tcmp w0, w9\n\tb.ne 1f\n"
                               "\tmov w9, #-30000\n\tcmp w1, w9\n\tb.ne 1f\n"
                               "\tcmp w2, #200\n\tb.ne 1f\n"
                               "\tmov w9, #60000\n\tcmp w3, w9\n\tb.ne 1f\n"
                               "\tcmp w4, #1\n\tb.ne 1f\n"
                               "\tmov w0, #1\n\tret\n"
                               "1:\tmov w0, #0\n\tret")
#else
#error "abicall fixtures: the row 16 assembly exists for x86_64 and aarch64 only"
#endif

/* ---- row 18: flexible array member --------------------------------------------- */

double fx_row18_sum(const struct fx_r18 *p) {
    double s = 0;
    for (int k = 0; k < p->n; k++)
        s += p->d[k];
    return s;
}
struct fx_r18 *fx_row18_new(int n) {
    struct fx_r18 *p = malloc(sizeof *p + (size_t)(n < 0 ? 0 : n) * sizeof(double));
    if (!p)
        return NULL;
    p->n = n;
    for (int k = 0; k < n; k++)
        p->d[k] = k + 0.5;
    return p;
}
void fx_row18_free(struct fx_r18 *p) { free(p); }

/* ---- row 19: empty struct between ints ------------------------------------------ */

struct fx_r19 fx_row19_ret(void) { return (struct fx_r19){}; }
int fx_row19_arg(int a, struct fx_r19 e, int b) {
    (void)e;
    FX_CHK("fx_row19_arg", "a", a, fx_row19_a, "%d");
    FX_CHK("fx_row19_arg", "b", b, fx_row19_b, "%d");
    return 1;
}
int fx_row19_echo(int a, struct fx_r19 e, int b) {
    (void)a, (void)e;
    return b;
}
int fx_row19_cb(int (*cb)(int, struct fx_r19, int)) {
    FX_CHK("fx_row19_cb", "callback result", cb(fx_row19_a, (struct fx_r19){}, fx_row19_b), fx_row19_b, "%d");
    return 1;
}
int fx_row19_cbargs(int (*cb)(int, struct fx_r19, int)) { return cb(fx_row19_a, (struct fx_r19){}, fx_row19_b); }

/* ---- row 25: (int, struct { __int128 v; }, int) ---------------------------------- */

struct fx_r25 fx_row25_ret(void) { return fx_row25_value; }
int fx_row25_arg(int a, struct fx_r25 s, int b) {
    FX_CHK("fx_row25_arg", "a", a, fx_row25_a, "%d");
    if (!eq_r25("fx_row25_arg: s", s, fx_row25_value))
        return 0;
    FX_CHK("fx_row25_arg", "b", b, fx_row25_b, "%d");
    return 1;
}
struct fx_r25 fx_row25_echo(int a, struct fx_r25 s, int b) {
    (void)a, (void)b;
    return s;
}
int fx_row25_cb(struct fx_r25 (*cb)(int, struct fx_r25, int)) {
    return eq_r25("fx_row25_cb: callback result", cb(fx_row25_a, fx_row25_value, fx_row25_b), fx_row25_value);
}
int fx_row25_cbargs(int (*cb)(int, struct fx_r25, int)) { return cb(fx_row25_a, fx_row25_value, fx_row25_b); }

/* ---- row 29: stack arguments -------------------------------------------------------- */

int fx_row29_arg(long a0, long a1, long a2, long a3, long a4, long a5, long a6, long a7, double f0, double f1,
                 double f2, double f3, double f4, double f5, double f6, double f7, signed char c, short s, int i,
                 float f, double d, long l) {
    const long gl[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    const double gd[8] = {f0, f1, f2, f3, f4, f5, f6, f7};
    if (!check_longs("fx_row29_arg", gl, fx_row29_longs, 8) || !check_doubles("fx_row29_arg", gd, fx_row29_doubles, 8))
        return 0;
    FX_CHK("fx_row29_arg", "c", (int)c, (int)fx_row29_c, "%d");
    FX_CHK("fx_row29_arg", "s", (int)s, (int)fx_row29_s, "%d");
    FX_CHK("fx_row29_arg", "i", i, fx_row29_i, "%d");
    FX_CHK("fx_row29_arg", "f", f, fx_row29_f, "%.9g");
    FX_CHK("fx_row29_arg", "d", d, fx_row29_d, "%.17g");
    FX_CHK("fx_row29_arg", "l", l, fx_row29_l, "%ld");
    return 1;
}
long fx_row29_echo(long a0, long a1, long a2, long a3, long a4, long a5, long a6, long a7, double f0, double f1,
                   double f2, double f3, double f4, double f5, double f6, double f7, signed char c, short s, int i,
                   float f, double d, long l) {
    (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7;
    (void)f0, (void)f1, (void)f2, (void)f3, (void)f4, (void)f5, (void)f6, (void)f7;
    (void)c, (void)s, (void)i, (void)f, (void)d;
    return l;
}
int fx_row29_cb(long (*cb)(long, long, long, long, long, long, long, long, double, double, double, double, double,
                           double, double, double, signed char, short, int, float, double, long)) {
    const long *a = fx_row29_longs;
    const double *x = fx_row29_doubles;
    long r = cb(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7],
                fx_row29_c, fx_row29_s, fx_row29_i, fx_row29_f, fx_row29_d, fx_row29_l);
    FX_CHK("fx_row29_cb", "callback result", r, fx_row29_l, "%ld");
    return 1;
}
int fx_row29_cbargs(int (*cb)(long, long, long, long, long, long, long, long, double, double, double, double, double,
                              double, double, double, signed char, short, int, float, double, long)) {
    const long *a = fx_row29_longs;
    const double *x = fx_row29_doubles;
    return cb(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7],
              fx_row29_c, fx_row29_s, fx_row29_i, fx_row29_f, fx_row29_d, fx_row29_l);
}

/* ---- row 15: struct values through `...` (needs the known values above) ----------- */

#include <stdarg.h>

int fx_row15_vstruct(int tag, ...) {
    FX_CHK("fx_row15_vstruct", "tag", tag, 15, "%d");
    va_list ap;
    va_start(ap, tag);
    struct fx_r5 s5 = va_arg(ap, struct fx_r5);
    struct fx_r7 s7 = va_arg(ap, struct fx_r7);
    struct fx_r8 s8 = va_arg(ap, struct fx_r8);
    struct fx_r1 s1 = va_arg(ap, struct fx_r1);
    double d = va_arg(ap, double);
    int i = va_arg(ap, int);
    va_end(ap);
    if (!eq_r5("fx_row15_vstruct: fx_r5", s5, fx_row5_value) || !eq_r7("fx_row15_vstruct: fx_r7", s7, fx_row7_value) ||
        !eq_r8("fx_row15_vstruct: fx_r8", s8, fx_row8_value) || !eq_r1("fx_row15_vstruct: fx_r1", s1, fx_row1_value))
        return 0;
    FX_CHK("fx_row15_vstruct", "double", d, -0.375, "%.17g");
    FX_CHK("fx_row15_vstruct", "int", i, 1515, "%d");
    return 1;
}
