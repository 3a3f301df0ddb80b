/* Callees for benches/peers/run.sh: the shapes of issue 16's table, with
 * trivial bodies so each peer's timing is its call sequence. Built by
 * run.sh with gcc -O2 -fPIC -shared. */
#include <stddef.h>

struct pr_pt { double x, y; };
struct pr_m24 { long a, b, c; };

void pr_void(void) {}
long pr_add6(long a, long b, long c, long d, long e, long f) { return a + b + c + d + e + f; }
struct pr_pt pr_addpt(struct pr_pt a, struct pr_pt b) {
    struct pr_pt r = { a.x + b.x, a.y + b.y };
    return r;
}
struct pr_m24 pr_m24(struct pr_m24 v) {
    struct pr_m24 r = { v.b, v.c, v.a };
    return r;
}
/* The comparator calls a qsort made; reset by the driver. */
long pr_calls;
int pr_cmp(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    pr_calls++;
    return (x > y) - (x < y);
}
