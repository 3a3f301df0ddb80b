#!/usr/bin/env python3
"""Formats benches/peers/run.sh's results as the markdown table of
docs/performance.md ("Peers"): ns per call and the ratio to the C call."""
import re
import sys

SHAPES = [
    ("void", "`void()`"),
    ("add6", "`long add6(long ×6)`"),
    ("strlen", "`strlen`"),
    ("addpt", "`pt addpt(pt, pt)` {double, double}"),
    ("m24", "24-byte struct → struct (MEMORY)"),
    ("qsort", "qsort comparator (per call)"),
]
PEERS = [
    ("c-direct", "C direct"),
    ("rust-ffi_call", "libffi `ffi_call`¹"),
    ("rust-jit", "abicall RawCall (JIT)¹"),
    ("rust-value", "abicall `Function::call`¹"),
    ("abicall-python", "abicall Python"),
    ("luajit", "LuaJIT (JIT)"),
    ("luajit-joff", "LuaJIT -joff"),
    ("koffi", "koffi"),
    ("cffi", "cffi ABI mode"),
    ("ctypes", "ctypes"),
]

ns = {}
# Ratios to a direct call measured elsewhere than the C driver (the bench's
# own direct call), keyed like `ns`.
own_ratio = {}
missing = {}
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) >= 3 and parts[1] == "-":
        missing[parts[0]] = line.split(":", 1)[1].strip()
    elif len(parts) == 3:
        ns[(parts[0], parts[1])] = float(parts[2])

# `abicall bench`: ns per call with its own direct baseline (Rust `extern "C"`
# callees in the binary); qsort as a ratio to its C comparator.
rows = {"void": r"^void\(\)", "add6": r"^add6:", "strlen": r"^strlen", "addpt": r"^pt\(pt,pt\)", "m24": r"^m24\("}
bench = open(sys.argv[2]).read().splitlines()
for shape, pat in rows.items():
    for line in bench:
        if re.match(pat, line):
            nums = re.findall(r"[0-9]+\.[0-9]+", line.split("|")[0])
            direct, ffi_call, jit = (float(x) for x in nums[:3])
            ns[("rust-ffi_call", shape)] = ffi_call
            ns[("rust-jit", shape)] = jit
            own_ratio[("rust-ffi_call", shape)] = ffi_call / direct
            own_ratio[("rust-jit", shape)] = jit / direct
for line in bench:
    m = re.search(r"Function::call\(&\[Value\]\) ([0-9.]+) \(value/raw ([0-9.]+)\)", line)
    if m:
        ns[("rust-value", "add6")] = float(m.group(1))
        own_ratio[("rust-value", "add6")] = own_ratio[("rust-jit", "add6")] * float(m.group(2))
    m = re.search(r"C comparator ([0-9.]+), libffi closure ([0-9.]+), abicall callback jit ([0-9.]+)", line)
    if m and ("c-direct", "qsort") in ns:
        c, closure, jit = (float(x) for x in m.groups())
        ns[("rust-ffi_call", "qsort")] = ns[("c-direct", "qsort")] * closure / c
        ns[("rust-jit", "qsort")] = ns[("c-direct", "qsort")] * jit / c

print("| call | " + " | ".join(name for _, name in PEERS) + " |")
print("|---|" + "---|" * len(PEERS))
for shape, title in SHAPES:
    cells = []
    base = ns.get(("c-direct", shape))
    for peer, _ in PEERS:
        if peer in missing:
            cells.append("not installed")
        elif (peer, shape) in ns:
            v = ns[(peer, shape)]
            r = own_ratio.get((peer, shape), v / base if base else None)
            cells.append(f"{v:.1f} ({r:.1f}×)" if r is not None else f"{v:.1f}")
        else:
            cells.append("–")
    print(f"| {title} | " + " | ".join(cells) + " |")
print()
print("¹ From `abicall bench` in the same run: ns per call with the bench's own")
print("direct call (a Rust `extern \"C\"` function in the binary) as the ratio's")
print("baseline; its qsort row is the bench's ratio to its C comparator applied")
print("to the C driver's comparator time.")
for peer, hint in missing.items():
    print(f"\n{peer}: not installed here ({hint})")
