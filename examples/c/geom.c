/* geom.c: a tiny C library for examples/c/embed.c (structs by value).
 * Build: gcc -shared -fPIC -o libgeom.so examples/c/geom.c -lm */
#include <math.h>

struct point {
    double x, y;
};

struct box {
    struct point lo, hi;
    int scale;
};

/* Two 16-byte structs by value: each travels in two SSE registers on x86_64
 * (an HFA in two FP registers on aarch64). */
double point_dist(struct point a, struct point b) {
    return hypot(b.x - a.x, b.y - a.y);
}

/* A 40-byte struct by value (in memory) returning a struct in registers. */
struct point box_center(struct box b) {
    struct point c = {(b.lo.x + b.hi.x) / 2 * b.scale, (b.lo.y + b.hi.y) / 2 * b.scale};
    return c;
}
