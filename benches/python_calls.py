#!/usr/bin/env python3
"""Per-call overhead from Python: abicall vs cffi ABI mode vs ctypes, same run.

Signatures timed:
  void(void)        a no-op compiled here with gcc (`void nop(void) {}`)
  size_t(char *)    libc strlen(b"hello, world")
  double(double)    libm cos(0.5)

Each is timed with timeit (best of --repeat interleaved rounds of --number
calls), with the cost of an empty Python loop subtracted, and printed in
ns/call with the ratios to abicall (above 1: abicall is faster). Usage (after `pip install ./bindings/python`):

    python3 benches/python_calls.py [--number N] [--repeat R]
"""
import argparse
import atexit
import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
import timeit

import cffi

import abicall

CDEF = """
void nop(void);
size_t strlen(const char *);
double cos(double);
"""


def build_nop():
    d = tempfile.mkdtemp(prefix="abicall-bench-")
    atexit.register(shutil.rmtree, d, True)
    src = os.path.join(d, "nop.c")
    so = os.path.join(d, "libnop.so")
    with open(src, "w") as f:
        f.write("void nop(void) {}\n")
    try:
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", so, src], check=True)
    except FileNotFoundError:
        sys.exit("gcc not found: run `apt-get install -y gcc`")
    return so


def ffi_libs(mod, nop_so):
    ffi = mod.FFI()
    ffi.cdef(CDEF)
    return ffi.dlopen(nop_so), ffi.dlopen(None), ffi.dlopen("libm.so.6")


def ctypes_funcs(nop_so):
    nop = ctypes.CDLL(nop_so).nop
    nop.argtypes, nop.restype = [], None
    libc = ctypes.CDLL(None)
    strlen = libc.strlen
    strlen.argtypes, strlen.restype = [ctypes.c_char_p], ctypes.c_size_t
    cos = ctypes.CDLL("libm.so.6").cos
    cos.argtypes, cos.restype = [ctypes.c_double], ctypes.c_double
    return nop, strlen, cos


def measure(cases, number, repeat):
    """ns per call for each (name, stmt, globals) case. The rounds are
    interleaved (every case once per round, best round kept), so load from
    other processes hits all backends alike; an empty loop is subtracted."""
    timers = {key: timeit.Timer(stmt, globals=glb) for key, stmt, glb in cases}
    empty = timeit.Timer("pass")
    best = {key: float("inf") for key in timers}
    base = float("inf")
    for _ in range(repeat):
        base = min(base, empty.timeit(number))
        for key, t in timers.items():
            best[key] = min(best[key], t.timeit(number))
    return {key: max(v - base, 0.0) / number * 1e9 for key, v in best.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    nop_so = build_nop()
    stmts = {"void()": "nop()", "strlen(char*)": "strlen(s)", "double(double)": "cos(0.5)"}
    cases = []
    for name, mod in (("abicall", abicall), ("cffi", cffi)):
        nlib, clib, mlib = ffi_libs(mod, nop_so)
        glb = {"nop": nlib.nop, "strlen": clib.strlen, "cos": mlib.cos, "s": b"hello, world"}
        assert glb["strlen"](b"hello, world") == 12 and glb["cos"](0.0) == 1.0
        cases += [((name, sig), stmt, glb) for sig, stmt in stmts.items()]
    nop, strlen, cos = ctypes_funcs(nop_so)
    glb = {"nop": nop, "strlen": strlen, "cos": cos, "s": b"hello, world"}
    cases += [(("ctypes", sig), stmt, glb) for sig, stmt in stmts.items()]
    ns = measure(cases, args.number, args.repeat)
    results = {b: {sig: ns[(b, sig)] for sig in stmts} for b in ("abicall", "cffi", "ctypes")}

    print("Python %s, cffi %s; ns per call (best of %d rounds x %d calls, empty loop subtracted)"
          % (sys.version.split()[0], cffi.__version__, args.repeat, args.number))
    print("%-16s %10s %10s %10s %14s %14s" % ("signature", "abicall", "cffi", "ctypes", "cffi/abicall", "ctypes/abicall"))
    slower = []
    for sig in results["abicall"]:
        a, c, t = results["abicall"][sig], results["cffi"][sig], results["ctypes"][sig]
        print("%-16s %10.1f %10.1f %10.1f %13.2fx %13.2fx" % (sig, a, c, t, c / a, t / a))
        if a >= c:
            slower.append(sig)
    if slower:
        print("abicall is not faster than cffi ABI mode on: " + ", ".join(slower))


if __name__ == "__main__":
    main()
