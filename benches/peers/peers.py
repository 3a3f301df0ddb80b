#!/usr/bin/env python3
"""cffi (ABI mode), ctypes and abicall's Python module on the shapes of
benches/peers/run.sh, in one process: thread CPU time, best of 7, empty
loop subtracted. Prints "<peer> <shape> <ns per call>" (or
"<peer> - not installed: <command>")."""
import ctypes
import sys
import time

LIB = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
CDEF = """
struct pr_pt { double x, y; };
struct pr_m24 { long a, b, c; };
void pr_void(void);
long pr_add6(long, long, long, long, long, long);
size_t strlen(const char *);
struct pr_pt pr_addpt(struct pr_pt, struct pr_pt);
struct pr_m24 pr_m24(struct pr_m24);
void qsort(void *, size_t, size_t, int (*)(const void *, const void *));
"""


def best(f, n=N):
    b = float("inf")
    for _ in range(7):
        t0 = time.thread_time_ns()
        f(n)
        b = min(b, (time.thread_time_ns() - t0) / n)
    return b


def empty(n):
    for _ in range(n):
        pass


EMPTY = best(empty)


def calls0(f):
    def run(n):
        for _ in range(n):
            f()
    return run


def calls_add6(g):
    def run(n):
        for i in range(n):
            g(i, 2, 3, 4, 5, 6)
    return run


def calls1(f, x):
    def run(n):
        for _ in range(n):
            f(x)
    return run


def calls_x(f, p, q):
    def run(n):
        for _ in range(n):
            f(p, q).x
    return run


def calls_a(f, m):
    def run(n):
        for _ in range(n):
            f(m).a
    return run


def report(peer, shape, f):
    print(f"{peer} {shape} {best(f) - EMPTY:.2f}", flush=True)


def qsort_cost(peer, sort_once, counter):
    b = float("inf")
    for _ in range(7):
        counter[0] = 0
        t0 = time.thread_time_ns()
        for _ in range(20):
            sort_once()
        b = min(b, (time.thread_time_ns() - t0) / counter[0])
    print(f"{peer} qsort {b:.2f}", flush=True)


def run_ffi(peer, mod):
    ffi = mod.FFI()
    ffi.cdef(CDEF)
    lib = ffi.dlopen(LIB)
    libc = ffi.dlopen(None)
    f = lib.pr_void
    report(peer, "void", calls0(f))
    g = lib.pr_add6
    report(peer, "add6", calls_add6(g))
    s = libc.strlen
    report(peer, "strlen", calls1(s, b"hello, world"))
    p = ffi.new("struct pr_pt *", (1.5, 2.5))[0]
    q = ffi.new("struct pr_pt *", (0.25, 4.0))[0]
    a = lib.pr_addpt
    report(peer, "addpt", calls_x(a, p, q))
    m = ffi.new("struct pr_m24 *", (1, 2, 3))[0]
    r = lib.pr_m24
    report(peer, "m24", calls_a(r, m))
    counter = [0]

    def cmp(x, y):
        counter[0] += 1
        u = ffi.cast("int *", x)[0]
        v = ffi.cast("int *", y)[0]
        return (u > v) - (u < v)

    cb = ffi.callback("int (*)(const void *, const void *)", cmp)
    arr = ffi.new("int[64]")
    init = [(j * 37) % 64 for j in range(64)]
    qs = libc.qsort

    def once():
        arr[0:64] = init
        qs(arr, 64, 4, cb)

    qsort_cost(peer, once, counter)


def run_ctypes():
    peer = "ctypes"

    class Pt(ctypes.Structure):
        _fields_ = [("x", ctypes.c_double), ("y", ctypes.c_double)]

    class M24(ctypes.Structure):
        _fields_ = [("a", ctypes.c_long), ("b", ctypes.c_long), ("c", ctypes.c_long)]

    lib = ctypes.CDLL(LIB)
    libc = ctypes.CDLL(None)
    f = lib.pr_void
    f.restype = None
    f.argtypes = []
    report(peer, "void", calls0(f))
    g = lib.pr_add6
    g.restype = ctypes.c_long
    g.argtypes = [ctypes.c_long] * 6
    report(peer, "add6", calls_add6(g))
    s = libc.strlen
    s.restype = ctypes.c_size_t
    s.argtypes = [ctypes.c_char_p]
    report(peer, "strlen", calls1(s, b"hello, world"))
    a = lib.pr_addpt
    a.restype = Pt
    a.argtypes = [Pt, Pt]
    p, q = Pt(1.5, 2.5), Pt(0.25, 4.0)
    report(peer, "addpt", calls_x(a, p, q))
    r = lib.pr_m24
    r.restype = M24
    r.argtypes = [M24]
    m = M24(1, 2, 3)
    report(peer, "m24", calls_a(r, m))
    counter = [0]
    CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
    IP = ctypes.POINTER(ctypes.c_int)

    def cmp(x, y):
        counter[0] += 1
        u = ctypes.cast(x, IP)[0]
        v = ctypes.cast(y, IP)[0]
        return (u > v) - (u < v)

    cb = CMP(cmp)
    arr = (ctypes.c_int * 64)()
    init = [(j * 37) % 64 for j in range(64)]
    qs = libc.qsort
    qs.restype = None
    qs.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, CMP]

    def once():
        arr[0:64] = init
        qs(arr, 64, 4, cb)

    qsort_cost(peer, once, counter)


for name, runner in (("abicall-python", "abicall"), ("cffi", "cffi")):
    try:
        mod = __import__(runner)
    except ImportError:
        hint = "pip install ./bindings/python" if runner == "abicall" else "pip install cffi"
        print(f"{name} - not installed: {hint}", flush=True)
        continue
    run_ffi(name, mod)
run_ctypes()
