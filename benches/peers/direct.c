/* The C baseline of benches/peers/run.sh: each shape called through a
 * function pointer read from a volatile (so the call is not inlined), in
 * loops timed with the thread's CPU time, best of 7, an empty loop (one
 * compiler barrier per iteration) subtracted. Results are summed and
 * printed to stderr at the end.
 * Prints "c-direct <shape> <ns per call>". */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct pr_pt { double x, y; };
struct pr_m24 { long a, b, c; };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

#define N 2000000
#define BEST(var, body)                                              \
    do {                                                             \
        var = 1e30;                                                  \
        for (int r = 0; r < 7; r++) {                                \
            double t0 = now();                                       \
            for (long i = 0; i < N; i++) { body; }                   \
            double dt_ = (now() - t0) / N;                           \
            if (dt_ < var) var = dt_;                                  \
        }                                                            \
    } while (0)

static int cmp_ints[64];

int main(int argc, char **argv) {
    void *h = dlopen(argc > 1 ? argv[1] : "./libpeers.so", RTLD_NOW);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    void (*volatile v)(void) = (void (*)(void))dlsym(h, "pr_void");
    long (*volatile add6)(long, long, long, long, long, long) =
        (long (*)(long, long, long, long, long, long))dlsym(h, "pr_add6");
    size_t (*volatile sl)(const char *) = strlen;
    struct pr_pt (*volatile addpt)(struct pr_pt, struct pr_pt) =
        (struct pr_pt (*)(struct pr_pt, struct pr_pt))dlsym(h, "pr_addpt");
    struct pr_m24 (*volatile m24)(struct pr_m24) = (struct pr_m24 (*)(struct pr_m24))dlsym(h, "pr_m24");
    int (*cmp)(const void *, const void *) = (int (*)(const void *, const void *))dlsym(h, "pr_cmp");
    long *calls = (long *)dlsym(h, "pr_calls");
    long sink = 0;
    double dsink = 0;
    const char *volatile text = "hello, world";
    double empty, t;
    BEST(empty, __asm__ volatile(""));
    BEST(t, v()); printf("c-direct void %.2f\n", t - empty);
    BEST(t, sink += add6(i, 2, 3, 4, 5, 6)); printf("c-direct add6 %.2f\n", t - empty);
    BEST(t, sink += sl(text)); printf("c-direct strlen %.2f\n", t - empty);
    struct pr_pt p = { 1.5, 2.5 }, q = { 0.25, 4.0 };
    BEST(t, dsink += addpt(p, q).x); printf("c-direct addpt %.2f\n", t - empty);
    struct pr_m24 m = { 1, 2, 3 };
    BEST(t, sink += m24(m).a); printf("c-direct m24 %.2f\n", t - empty);
    /* qsort of 64 ints (a fixed permutation each round): ns per comparator call. */
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
        long before = *calls;
        double t0 = now();
        for (int k = 0; k < 20000; k++) {
            for (int j = 0; j < 64; j++) cmp_ints[j] = (j * 37) % 64;
            qsort(cmp_ints, 64, sizeof(int), cmp);
        }
        double per = (now() - t0) / (double)(*calls - before);
        if (per < best) best = per;
    }
    printf("c-direct qsort %.2f\n", best);
    /* Results are used, so no call is optimized away. */
    fprintf(stderr, "(%ld %g)\n", sink, dsink);
    return 0;
}
