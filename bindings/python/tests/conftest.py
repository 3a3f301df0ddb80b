"""Shared fixtures: the C test library (built with gcc) and the two FFI
backends, so side-by-side tests run the same body on cffi and abicall."""

import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

CDEF = """
struct point { int x, y; };
struct rect { struct point a, b; };
struct dpair { double a, b; };
struct big { long v[6]; };
struct mixed { char c; double d; int i; };
struct named { char name[8]; int id; };
union num { int i; float f; double d; };
union small { int i; float f; };
struct bits { unsigned a : 3; int b : 5; unsigned c : 12; };
enum color { RED, GREEN = 5, BLUE };
#define ANSWER 42

extern int counter;
extern struct point origin;
extern int table[4];

int add(int a, int b);
long long add64(long long a, long long b);
unsigned char uc_echo(unsigned char c);
signed char sc_neg(signed char c);
char char_next(char c);
_Bool is_even(int v);
int64_t i64_neg(int64_t v);
uint64_t u64_max(void);
float fmul(float a, float b);
double dsum10(double, double, double, double, double, double, double, double, double, double);
long isum10(int, int, int, int, int, int, int, int, int, int);
struct point make_point(int x, int y);
int point_sum(struct point p);
struct point point_swap(struct point p);
struct rect make_rect(int a, int b, int c, int d);
int rect_area(struct rect r);
struct dpair dpair_scale(struct dpair p, double k);
struct big big_make(long s);
long big_sum(struct big b);
struct mixed mixed_make(char c, double d, int i);
void point_inc(struct point *p);
int *int_ptr_id(int *p);
void *echo_ptr(void *p);
int sum_array(const int *a, int n);
void fill_buf(char *buf, int n, char c);
const char *greet(void);
const wchar_t *wgreet(void);
size_t wlen(const wchar_t *s);
enum color next_color(enum color c);
int counter_bump(void);
int fail_with_errno(int v);
int get_errno(void);
int varsum(int n, ...);
double vardsum(int n, ...);
long double ldadd(long double a, long double b);
int deref2(int **pp);
int (*get_adder(void))(int, int);
int apply(int (*f)(int, int), int a, int b);
double apply_d(double (*f)(double), double x);
struct point apply_pt(struct point (*f)(struct point), struct point p);
void apply_void(void (*f)(int), int v);
int apply_in_thread(int (*f)(int, int), int a, int b);
int apply_many_threads(int (*f)(int, int), int n);
"""

# A packed struct (declared with cdef(..., packed=True), which both support).
CDEF_PACKED = "struct pk { char c; int i; short s; };"

# What cffi refuses by value; abicall-only tests declare these.
CDEF_BY_VALUE = """
union num num_from_double(double d);
double num_as_double(union num n);
union small small_from_float(float f);
int small_bits(union small s);
struct bits bits_make(unsigned a, int b, unsigned c);
int bits_check(struct bits x, unsigned a, int b, unsigned c);
struct pk pk_make(char c, int i, short s);
long pk_sum(struct pk p);
"""


@pytest.fixture(scope="session")
def libpath(tmp_path_factory):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc not found: run `apt-get install -y gcc`")
    d = str(tmp_path_factory.mktemp("fixture"))
    so = os.path.join(d, "libfixture.so")
    subprocess.run([gcc, "-O1", "-shared", "-fPIC", "-pthread", "-o", so, os.path.join(HERE, "fixture.c")], check=True)
    return so


def _module(name):
    if name == "cffi":
        import cffi

        return cffi
    import abicall

    return abicall


@pytest.fixture(params=["cffi", "abicall"])
def backend(request):
    """The FFI module under test: the same body runs against cffi and abicall."""
    return _module(request.param)


@pytest.fixture
def ffi(backend):
    f = backend.FFI()
    f.cdef(CDEF)
    return f


@pytest.fixture
def lib(ffi, libpath):
    return ffi.dlopen(libpath)


@pytest.fixture
def affi():
    """An abicall FFI with the by-value declarations cffi refuses."""
    import abicall

    f = abicall.FFI()
    f.cdef(CDEF)
    f.cdef(CDEF_PACKED, packed=True)
    f.cdef(CDEF_BY_VALUE)
    return f


@pytest.fixture
def alib(affi, libpath):
    return affi.dlopen(libpath)


def run_both(body, libpath):
    """Runs body(ffi, lib) on cffi and on abicall and returns both results."""
    out = []
    for name in ("cffi", "abicall"):
        m = _module(name)
        f = m.FFI()
        f.cdef(CDEF)
        out.append(body(f, f.dlopen(libpath)))
    return out
