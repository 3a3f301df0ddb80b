/* Callees for benches/calls.rs: trivial bodies, so a benchmark measures the
 * call sequence. benches/support/bench_lib.rs builds it with the fixtures'
 * compiler command (gcc -O2 -fPIC -shared) when a bench starts. */
#include <stddef.h>

struct bn_pt { double x, y; };
struct bn_m24 { long a, b, c; };

void bn_noop(void) {}
int bn_inc(int x) { return x + 1; }
double bn_half(double x) { return x * 0.5; }
long bn_add6(long a, long b, long c, long d, long e, long f) { return a + b + c + d + e + f; }
double bn_sum8(double a, double b, double c, double d, double e, double f, double g, double h) {
    return a + b + c + d + e + f + g + h;
}
double bn_mixed(int a, double b, const long *p, double c) { return a + b + *p + c; }
struct bn_pt bn_pt_add(struct bn_pt a, struct bn_pt b) {
    struct bn_pt r = { a.x + b.x, a.y + b.y };
    return r;
}
struct bn_m24 bn_m24_rot(struct bn_m24 v) {
    struct bn_m24 r = { v.b, v.c, v.a };
    return r;
}
int bn_cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
