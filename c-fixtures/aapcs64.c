/* The AAPCS64 shapes of issue 14 (see abi_cases.h): many large structs,
 * __int128 register pairs and stack slots, HFA overflow, long double on the
 * stack. Portable C; the values are checked member by member. */
#include <math.h>

#include "abi_cases.h"
#include "fx_internal.h"

#define FX_I128(hi, lo) ((__int128)(((unsigned __int128)(hi) << 64) | (unsigned __int128)(lo)))

static const __int128 fx_i128_value = FX_I128(0xF123456789ABCDEFULL, 0xFEDCBA9876543210ULL);
static const long double fx_ld_value = -(1.0L + 0x1p-60L);

static struct fx_big32 big_value(long k) {
    struct fx_big32 s = {1000 * k + 1, -(1000 * k + 2), 1000 * k + 3, -(1000 * k + 4)};
    return s;
}

static int check_bigs(const char *ctx, const struct fx_big32 *s, int n) {
    static const char *const names[4] = {"a", "b", "c", "d"};
    for (int k = 0; k < n; k++) {
        struct fx_big32 w = big_value(k);
        const long got[4] = {s[k].a, s[k].b, s[k].c, s[k].d};
        const long want[4] = {w.a, w.b, w.c, w.d};
        for (int m = 0; m < 4; m++)
            if (got[m] != want[m])
                return fx_fail("%s: s%d.%s = %ld, expected %ld", ctx, k, names[m], got[m], want[m]);
    }
    return 1;
}

long fx_big9(struct fx_big32 s0, struct fx_big32 s1, struct fx_big32 s2, struct fx_big32 s3,
             struct fx_big32 s4, struct fx_big32 s5, struct fx_big32 s6, struct fx_big32 s7,
             struct fx_big32 s8, long after) {
    const struct fx_big32 s[9] = {s0, s1, s2, s3, s4, s5, s6, s7, s8};
    return check_bigs("fx_big9", s, 9) ? after : 0;
}

long fx_big10(struct fx_big32 s0, struct fx_big32 s1, struct fx_big32 s2, struct fx_big32 s3,
              struct fx_big32 s4, struct fx_big32 s5, struct fx_big32 s6, struct fx_big32 s7,
              struct fx_big32 s8, struct fx_big32 s9, long after) {
    const struct fx_big32 s[10] = {s0, s1, s2, s3, s4, s5, s6, s7, s8, s9};
    return check_bigs("fx_big10", s, 10) ? after : 0;
}

long fx_big10_sum(struct fx_big32 s0, struct fx_big32 s1, struct fx_big32 s2, struct fx_big32 s3,
                  struct fx_big32 s4, struct fx_big32 s5, struct fx_big32 s6, struct fx_big32 s7,
                  struct fx_big32 s8, struct fx_big32 s9) {
    const struct fx_big32 s[10] = {s0, s1, s2, s3, s4, s5, s6, s7, s8, s9};
    long sum = 0;
    for (int k = 0; k < 10; k++)
        sum += (k + 1) * (s[k].a - s[k].b + s[k].c - s[k].d);
    return sum;
}

long fx_big10_cbargs(long (*cb)(struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32,
                                struct fx_big32, struct fx_big32, struct fx_big32, struct fx_big32,
                                struct fx_big32, struct fx_big32, long)) {
    return cb(big_value(0), big_value(1), big_value(2), big_value(3), big_value(4), big_value(5),
              big_value(6), big_value(7), big_value(8), big_value(9), 4242);
}

static int eq_v(const char *ctx, __int128 v) {
    if (v != fx_i128_value)
        return fx_fail("%s: v = 0x%016llx%016llx, expected 0x%016llx%016llx", ctx,
                       (unsigned long long)((unsigned __int128)v >> 64), (unsigned long long)v,
                       (unsigned long long)((unsigned __int128)fx_i128_value >> 64),
                       (unsigned long long)fx_i128_value);
    return 1;
}

long fx_i128_odd(int a, __int128 v, long after) {
    if (a != -5)
        return fx_fail("fx_i128_odd: a = %d, expected -5", a);
    return eq_v("fx_i128_odd", v) ? after : 0;
}

long fx_i128_stack(long l0, long l1, long l2, long l3, long l4, long l5, long l6, __int128 v, long after) {
    const long l[7] = {l0, l1, l2, l3, l4, l5, l6};
    for (int k = 0; k < 7; k++)
        if (l[k] != k + 1)
            return fx_fail("fx_i128_stack: l%d = %ld, expected %d", k, l[k], k + 1);
    return eq_v("fx_i128_stack", v) ? after : 0;
}

long fx_i128_odd_cbargs(long (*cb)(int, __int128, long)) { return cb(-5, fx_i128_value, 777); }

double fx_hfa_overflow(double d0, double d1, double d2, double d3, double d4, double d5,
                       struct fx_hfa3 h, double last) {
    const double d[6] = {d0, d1, d2, d3, d4, d5};
    for (int k = 0; k < 6; k++)
        if (d[k] != k + 0.5) {
            fx_fail("fx_hfa_overflow: d%d = %g, expected %g", k, d[k], k + 0.5);
            return NAN;
        }
    if (h.x != -1.25 || h.y != 2.5 || h.z != -3.75) {
        fx_fail("fx_hfa_overflow: h = { %g, %g, %g }, expected { -1.25, 2.5, -3.75 }", h.x, h.y, h.z);
        return NAN;
    }
    return last;
}

double fx_hfa_overflow_cbargs(double (*cb)(double, double, double, double, double, double,
                                           struct fx_hfa3, double)) {
    struct fx_hfa3 h = {-1.25, 2.5, -3.75};
    return cb(0.5, 1.5, 2.5, 3.5, 4.5, 5.5, h, 6.25);
}

int fx_ld_stack(double d0, double d1, double d2, double d3, double d4, double d5, double d6,
                double d7, long double a, int i, long double b) {
    const double d[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
    for (int k = 0; k < 8; k++)
        if (d[k] != k + 1)
            return fx_fail("fx_ld_stack: d%d = %g, expected %d", k, d[k], k + 1);
    if (a != fx_ld_value)
        return fx_fail("fx_ld_stack: a = %La, expected %La", a, fx_ld_value);
    if (b != -fx_ld_value)
        return fx_fail("fx_ld_stack: b = %La, expected %La", b, -fx_ld_value);
    return i == 7 ? i : fx_fail("fx_ld_stack: i = %d, expected 7", i);
}
