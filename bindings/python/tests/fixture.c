/* Test library for the abicall Python tests (built by conftest.py with gcc). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

struct point { int x, y; };
struct rect { struct point a, b; };
struct dpair { double a, b; };
struct big { long v[6]; };
struct mixed { char c; double d; int i; };
struct named { char name[8]; int id; };
union num { int i; float f; double d; };
union small { int i; float f; };
struct bits { unsigned a : 3; int b : 5; unsigned c : 12; };
struct __attribute__((packed)) pk { char c; int i; short s; };
enum color { RED, GREEN = 5, BLUE };

int counter = 7;
struct point origin = { 3, 4 };
int table[4] = { 10, 20, 30, 40 };

int add(int a, int b) { return a + b; }
long long add64(long long a, long long b) { return a + b; }
unsigned char uc_echo(unsigned char c) { return c; }
signed char sc_neg(signed char c) { return (signed char)-c; }
char char_next(char c) { return (char)(c + 1); }
_Bool is_even(int v) { return v % 2 == 0; }
int64_t i64_neg(int64_t v) { return -v; }
uint64_t u64_max(void) { return UINT64_MAX; }
float fmul(float a, float b) { return a * b; }
double dsum10(double a, double b, double c, double d, double e, double f, double g, double h, double i, double j) {
    return a + b + c + d + e + f + g + h + i + j;
}
long isum10(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j) {
    return (long)a + b + c + d + e + f + g + h + i + j;
}
struct point make_point(int x, int y) { struct point p = { x, y }; return p; }
int point_sum(struct point p) { return p.x + p.y; }
struct point point_swap(struct point p) { struct point q = { p.y, p.x }; return q; }
struct rect make_rect(int a, int b, int c, int d) { struct rect r = { { a, b }, { c, d } }; return r; }
int rect_area(struct rect r) { return (r.b.x - r.a.x) * (r.b.y - r.a.y); }
struct dpair dpair_scale(struct dpair p, double k) { p.a *= k; p.b *= k; return p; }
struct big big_make(long s) { struct big b; for (int i = 0; i < 6; i++) b.v[i] = s + i; return b; }
long big_sum(struct big b) { long s = 0; for (int i = 0; i < 6; i++) s += b.v[i]; return s; }
struct mixed mixed_make(char c, double d, int i) { struct mixed m = { c, d, i }; return m; }
union num num_from_double(double d) { union num n; n.d = d; return n; }
double num_as_double(union num n) { return n.d; }
union small small_from_float(float f) { union small s; s.f = f; return s; }
int small_bits(union small s) { return s.i; }
struct bits bits_make(unsigned a, int b, unsigned c) { struct bits x = { a, b, c }; return x; }
int bits_check(struct bits x, unsigned a, int b, unsigned c) { return x.a == a && x.b == b && x.c == c; }
struct pk pk_make(char c, int i, short s) { struct pk p = { c, i, s }; return p; }
long pk_sum(struct pk p) { return p.c + p.i + p.s; }
void point_inc(struct point *p) { p->x++; p->y++; }
int *int_ptr_id(int *p) { return p; }
void *echo_ptr(void *p) { return p; }
int sum_array(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
void fill_buf(char *buf, int n, char c) { memset(buf, c, (size_t)n); }
const char *greet(void) { return "hello"; }
const wchar_t *wgreet(void) { return L"h\u00e9llo"; }
size_t wlen(const wchar_t *s) { return wcslen(s); }
enum color next_color(enum color c) { return c == RED ? GREEN : c == GREEN ? BLUE : RED; }
int counter_bump(void) { return ++counter; }
int fail_with_errno(int v) { errno = v; return -1; }
int get_errno(void) { return errno; }
int varsum(int n, ...) {
    va_list ap; va_start(ap, n); int s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, int);
    va_end(ap); return s;
}
double vardsum(int n, ...) {
    va_list ap; va_start(ap, n); double s = 0;
    for (int i = 0; i < n; i++) s += va_arg(ap, double);
    va_end(ap); return s;
}

long double ldadd(long double a, long double b) { return a + b; }
int deref2(int **pp) { return **pp; }
int (*get_adder(void))(int, int) { return add; }

int apply(int (*f)(int, int), int a, int b) { return f(a, b); }
double apply_d(double (*f)(double), double x) { return f(x); }
struct point apply_pt(struct point (*f)(struct point), struct point p) { return f(p); }
void apply_void(void (*f)(int), int v) { f(v); }

struct thread_call { int (*f)(int, int); int a, b, r; };
static void *thread_main(void *arg) {
    struct thread_call *c = arg;
    c->r = c->f(c->a, c->b);
    return NULL;
}
/* Calls f(a, b) from a new thread (one Python never saw). */
int apply_in_thread(int (*f)(int, int), int a, int b) {
    struct thread_call c = { f, a, b, 0 };
    pthread_t t;
    if (pthread_create(&t, NULL, thread_main, &c) != 0) return -1;
    pthread_join(t, NULL);
    return c.r;
}
/* n threads each call f(i, i) concurrently; returns the sum of results. */
int apply_many_threads(int (*f)(int, int), int n) {
    struct thread_call c[16];
    pthread_t t[16];
    if (n > 16) n = 16;
    for (int i = 0; i < n; i++) {
        c[i].f = f; c[i].a = i; c[i].b = i; c[i].r = 0;
        pthread_create(&t[i], NULL, thread_main, &c[i]);
    }
    int s = 0;
    for (int i = 0; i < n; i++) { pthread_join(t[i], NULL); s += c[i].r; }
    return s;
}
