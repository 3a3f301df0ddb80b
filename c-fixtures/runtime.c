/* Fixture functions that are not about one docs/abi-cases.md row: error reporting,
 * variadic helpers, errno, callbacks from new threads, qsort, simple calls,
 * globals and an asm-label renamed symbol. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi_cases.h"
#include "fx_internal.h"

/* ---- error reporting ------------------------------------------------------------ */

char fx_last_error[256];
static _Thread_local char fx_thread_error[256];
static pthread_mutex_t fx_error_lock = PTHREAD_MUTEX_INITIALIZER;

int fx_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fx_thread_error, sizeof fx_thread_error, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&fx_error_lock);
    memcpy(fx_last_error, fx_thread_error, sizeof fx_last_error);
    pthread_mutex_unlock(&fx_error_lock);
    return 0;
}

const char *fx_last_error_msg(void) { return fx_thread_error; }
void fx_clear_error(void) { fx_thread_error[0] = 0; }

const char *fx_built_by(void) {
#if defined(__clang__)
    return "clang " __clang_version__;
#else
    return "gcc " __VERSION__;
#endif
}

/* ---- row 15: variadic ---------------------------------------------------------------- */

static _Thread_local char fx_vsum_buf[1024];

const char *fx_vsum_text(void) { return fx_vsum_buf; }

double fx_vsum(const char *fmt, ...) {
    va_list ap;
    size_t used = 0;
    double sum = 0;
    fx_vsum_buf[0] = 0;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        char item[160];
        switch (*p) {
        case 'i': {
            int v = va_arg(ap, int);
            snprintf(item, sizeof item, "i:%d", v);
            sum += v;
            break;
        }
        case 'l': {
            long v = va_arg(ap, long);
            snprintf(item, sizeof item, "l:%ld", v);
            sum += (double)v;
            break;
        }
        case 'c': {
            int v = va_arg(ap, int);
            snprintf(item, sizeof item, "c:%d", v);
            sum += v;
            break;
        }
        case 'f':
        case 'd': {
            double v = va_arg(ap, double);
            snprintf(item, sizeof item, "%c:%.17g", *p, v);
            sum += v;
            break;
        }
        case 'L': {
            long double v = va_arg(ap, long double);
            snprintf(item, sizeof item, "L:%.21Lg", v);
            sum += (double)v;
            break;
        }
        case 's': {
            const char *v = va_arg(ap, const char *);
            snprintf(item, sizeof item, "s:%.150s", v ? v : "(null)");
            break;
        }
        case 'p': {
            void *v = va_arg(ap, void *);
            snprintf(item, sizeof item, "p:%p", v);
            break;
        }
        default:
            snprintf(item, sizeof item, "?");
            sum = -1e300;
            break;
        }
        used += (size_t)snprintf(fx_vsum_buf + used, sizeof fx_vsum_buf - used, "%s%s", used ? " " : "", item);
        if (used >= sizeof fx_vsum_buf || sum == -1e300)
            break;
    }
    va_end(ap);
    return sum;
}

double fx_vavg(int n, ...) {
    va_list ap;
    double s = 0;
    va_start(ap, n);
    for (int k = 0; k < n; k++)
        s += va_arg(ap, double);
    va_end(ap);
    return n > 0 ? s / n : 0.0;
}

int fx_vsnprintf(char *buf, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return r;
}

int fx_row15_cb(double (*cb)(int, ...)) {
    double r = cb(3, 1.5, -2.25, 8.25);
    FX_CHK("fx_row15_cb", "callback result", r, 2.5, "%.17g");
    return 1;
}

/* ---- errno ------------------------------------------------------------------------------ */

int fx_set_errno(int e) {
    errno = e;
    return -1;
}
int fx_get_errno(void) { return errno; }

/* ---- callbacks from threads the host did not create ----------------------------------- */

struct fx_one_call {
    int (*cb)(int);
    int x;
    int result;
};

static void *fx_one_call_main(void *arg) {
    struct fx_one_call *c = arg;
    c->result = c->cb(c->x);
    return NULL;
}

int fx_call_in_thread(int (*cb)(int), int x) {
    struct fx_one_call c = {cb, x, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, fx_one_call_main, &c) != 0)
        return -1000000;
    pthread_join(t, NULL);
    return c.result;
}

struct fx_many {
    int (*cb)(int);
    int calls_each;
    int *results;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int state; /* 0 waiting, 1 go, 2 abort */
};

struct fx_many_thread {
    struct fx_many *m;
    int index;
};

static void *fx_many_main(void *arg) {
    struct fx_many_thread *t = arg;
    struct fx_many *m = t->m;
    pthread_mutex_lock(&m->lock);
    while (m->state == 0)
        pthread_cond_wait(&m->cond, &m->lock);
    int go = m->state == 1;
    pthread_mutex_unlock(&m->lock);
    if (go) {
        for (int j = 0; j < m->calls_each; j++) {
            int k = t->index * m->calls_each + j;
            m->results[k] = m->cb(k);
        }
    }
    return NULL;
}

int fx_call_n_threads(int (*cb)(int), int nthreads, int calls_each, int *results) {
    if (nthreads <= 0 || calls_each < 0)
        return EINVAL;
    struct fx_many m = {cb, calls_each, results, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t *tids = calloc((size_t)nthreads, sizeof *tids);
    struct fx_many_thread *args = calloc((size_t)nthreads, sizeof *args);
    if (!tids || !args) {
        free(tids);
        free(args);
        return ENOMEM;
    }
    int created = 0, err = 0;
    for (; created < nthreads; created++) {
        args[created] = (struct fx_many_thread){&m, created};
        err = pthread_create(&tids[created], NULL, fx_many_main, &args[created]);
        if (err != 0)
            break;
    }
    pthread_mutex_lock(&m.lock);
    m.state = err == 0 ? 1 : 2;
    pthread_cond_broadcast(&m.cond);
    pthread_mutex_unlock(&m.lock);
    for (int k = 0; k < created; k++)
        pthread_join(tids[k], NULL);
    free(tids);
    free(args);
    return err;
}

/* ---- qsort --------------------------------------------------------------------------------- */

int fx_qsort_ints(int *a, size_t n, int (*cmp)(const void *, const void *)) {
    qsort(a, n, sizeof *a, cmp);
    for (size_t k = 1; k < n; k++)
        if (cmp(&a[k - 1], &a[k]) > 0)
            return fx_fail("fx_qsort_ints: a[%zu] = %d sorts after a[%zu] = %d", k - 1, a[k - 1], k, a[k]);
    return 1;
}

/* ---- simple functions and globals ------------------------------------------------------- */

int fx_add(int a, int b) { return a + b; }
long fx_add6(long a, long b, long c, long d, long e, long f) { return a + b + c + d + e + f; }
double fx_add_dd(double a, double b) { return a + b; }
void fx_noop(void) {}
size_t fx_strlen(const char *s) { return strlen(s); }
void fx_fill_point(struct fx_point *out) {
    out->x = 7;
    out->y = -8;
}
const char *fx_hello(void) { return "hello from fixtures"; }

int fx_counter = 42;
int fx_counter_get(void) { return fx_counter; }
const char *fx_name = "fixtures";
struct fx_point fx_origin = {-3, 4};
int fx_origin_key(void) { return fx_origin.x * 1000 + fx_origin.y; }

/* Declared in abi_cases.h with __asm__("fx_real_name"): this definition's
 * symbol is fx_real_name. */
int fx_alias(int x) { return x * 3 + 1; }
