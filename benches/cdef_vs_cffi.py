#!/usr/bin/env python3
"""cdef speed, abicall vs Python cffi, on the same text in one run.

Times cffi's FFI().cdef() on the preprocessed sqlite3.h (best of N), then runs
`cargo bench --bench cdef` on the same file and prints both and the ratio.
Usage: python3 benches/cdef_vs_cffi.py
"""
import os, re, subprocess, sys, tempfile, time
sys.path.insert(0, os.path.dirname(__file__))
import cdef_input

import cffi

text = cdef_input.make()
path = os.path.join(tempfile.mkdtemp(), "sqlite3.i")
open(path, "w").write(text)

best = float("inf")
for _ in range(10):
    t = time.perf_counter()
    cffi.FFI().cdef(text)
    best = min(best, time.perf_counter() - t)
print(f"cffi {cffi.__version__} FFI().cdef: {best*1e3:.2f} ms (best of 10, {len(text)} bytes)")

env = dict(os.environ, ABICALL_CDEF_INPUT=path)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = subprocess.run(["cargo", "bench", "--bench", "cdef", "--", "--noplot"], cwd=root, env=env,
                     capture_output=True, text=True)
if out.returncode != 0:
    sys.exit(out.stdout + out.stderr)
m = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", out.stdout)
if not m:
    sys.exit("could not read criterion output:\n" + out.stdout)
val, unit = float(m.group(1)), m.group(2)
scale = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]
ours = val * scale
print(f"abicall Ffi::cdef (parse + layout): {ours*1e6:.1f} µs (criterion median)")
print(f"ratio cffi/abicall = {best/ours:.0f}x")
