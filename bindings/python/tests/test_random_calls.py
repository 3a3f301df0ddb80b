"""Random C signatures (fixed seed), compiled with gcc, called through cffi
and through abicall with the same random arguments: results must be equal.
Covers every scalar class, many-argument (stack) cases and small/large
structs by value in both directions (cffi's supported set)."""

import os
import random
import shutil
import subprocess

import pytest

from conftest import _module

INTS = {"signed char": 8, "unsigned char": 8, "short": 16, "unsigned short": 16, "int": 32,
        "unsigned int": 32, "long": 64, "unsigned long": 64, "long long": 64}
FLOATS = ["float", "double"]
STRUCTS = {
    "struct r_ii": "int a; int b;",
    "struct r_dd": "double a; double b;",
    "struct r_fi": "float a; int b;",
    "struct r_cs": "char a; short b;",
    "struct r_ffff": "float a; float b; float c; float d;",
    "struct r_big": "long a; long b; long c; double d;",
    "struct r_di": "double a; int b;",
}
N_FUNCS = 40


def gen(seed):
    rng = random.Random(seed)
    lines = ["#include <stdint.h>"] + ["%s { %s };" % (n, b) for n, b in STRUCTS.items()]
    cdef = ["%s { %s };" % (n, b) for n, b in STRUCTS.items()]
    sigs = []
    for i in range(N_FUNCS):
        nargs = rng.randint(0, 12)
        params = [rng.choice(list(INTS) + FLOATS * 3 + list(STRUCTS)) for _ in range(nargs)]
        ret = rng.choice(list(INTS) + FLOATS + list(STRUCTS) + ["void"])
        plist = ", ".join("%s a%d" % (t, k) for k, t in enumerate(params)) or "void"
        body = ["uint64_t h = 1469598103934665603ULL;"]
        for k, t in enumerate(params):
            if t in INTS:
                body.append("h = (h ^ (uint64_t)(int64_t)a%d) * 1099511628211ULL;" % k)
            elif t in FLOATS:
                body.append("h = (h ^ (uint64_t)(int64_t)(a%d * 1024.0)) * 1099511628211ULL;" % k)
            else:
                for fld in [x.split()[-1] for x in STRUCTS[t].split(";") if x.strip()]:
                    body.append("h = (h ^ (uint64_t)(int64_t)(a%d.%s * 4)) * 1099511628211ULL;" % (k, fld))
        if ret == "void":
            body.append("last_hash = h;")
        elif ret in INTS:
            body.append("return (%s)h;" % ret)
        elif ret in FLOATS:
            body.append("return (%s)(h %% 1000003) / 8.0;" % ret)
        else:
            body.append("%s r;" % ret)
            for n, fld in enumerate([x.split()[-1] for x in STRUCTS[ret].split(";") if x.strip()]):
                body.append("r.%s = (h >> %d) & 0x7f;" % (fld, 5 * n))
            body.append("return r;")
        lines.append("%s f%d(%s) { %s }" % (ret, i, plist, " ".join(body)))
        cdef.append("%s f%d(%s);" % (ret, i, plist))
        sigs.append((params, ret))
    lines.insert(1, "uint64_t last_hash;")
    cdef.append("extern uint64_t last_hash;")
    return "\n".join(lines), "\n".join(cdef), sigs


def arg_value(ffi, t, rng):
    if t in INTS:
        bits = INTS[t]
        if t.startswith("unsigned"):
            return rng.randrange(1 << bits)
        return rng.randrange(-(1 << (bits - 1)), 1 << (bits - 1))
    if t in FLOATS:
        return rng.choice([0.0, 1.5, -2.25, 1024.125, -3e5])
    p = ffi.new(t + " *")
    for fld in [x.split()[-1] for x in STRUCTS[t].split(";") if x.strip()]:
        ft = dict((x.split()[-1], " ".join(x.split()[:-1])) for x in STRUCTS[t].split(";") if x.strip())[fld]
        v = rng.randrange(-50, 50)
        setattr(p, fld, bytes([v & 0x7F]) if ft == "char" else (v / 2 if ft in FLOATS else v))
    return p[0]


def plain(ffi, v):
    if isinstance(v, (int, float)) or v is None:
        return v
    ct = ffi.typeof(v)
    return tuple(getattr(v, name) for name, _ in ct.fields)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.fail("gcc not found: run `apt-get install -y gcc`")
    src, cdef, sigs = gen(1234)
    d = str(tmp_path_factory.mktemp("randcalls"))
    with open(os.path.join(d, "r.c"), "w") as f:
        f.write(src)
    so = os.path.join(d, "librand.so")
    subprocess.run([gcc, "-O1", "-shared", "-fPIC", "-o", so, os.path.join(d, "r.c")], check=True)
    return so, cdef, sigs


def run(module, compiled, seed):
    so, cdef, sigs = compiled
    m = _module(module)
    ffi = m.FFI()
    ffi.cdef(cdef)
    lib = ffi.dlopen(so)
    rng = random.Random(seed)
    out = []
    for i, (params, ret) in enumerate(sigs):
        args = [arg_value(ffi, t, rng) for t in params]
        r = getattr(lib, "f%d" % i)(*args)
        out.append(plain(ffi, r) if ret != "void" else ("void", lib.last_hash))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_random_calls_match_cffi(compiled, seed):
    expected = run("cffi", compiled, seed)
    got = run("abicall", compiled, seed)
    assert len(set(map(repr, expected))) > N_FUNCS // 2  # the results carry information
    assert got == expected


def run_callbacks(module, compiled, seed):
    """Each signature as a callback, called through its C function pointer."""
    so, cdef, sigs = compiled
    m = _module(module)
    ffi = m.FFI()
    ffi.cdef(cdef)
    rng = random.Random(seed)
    out = []
    for params, ret in sigs:
        seen = []

        def f(*args, ret=ret, seen=seen):
            seen.append(tuple(plain(ffi, a) for a in args))
            h = hash(seen[-1]) & 0xFFFF
            if ret == "void":
                return None
            if ret in INTS:
                return h % 100
            if ret in FLOATS:
                return h / 4.0
            p = ffi.new(ret + " *")
            first = [x.split()[-1] for x in STRUCTS[ret].split(";") if x.strip()][0]
            setattr(p, first, bytes([h & 0x7F]) if "char" in STRUCTS[ret].split(";")[0] else h % 100)
            return p[0]

        sig = "%s(%s)" % (ret, ", ".join(params) or "void")
        cb = ffi.callback(sig, f)
        args = [arg_value(ffi, t, rng) for t in params]
        r = cb(*args)
        out.append((seen[0], plain(ffi, r)))
    return out


@pytest.mark.parametrize("seed", range(3))
def test_random_callbacks_match_cffi(compiled, seed):
    assert run_callbacks("abicall", compiled, seed) == run_callbacks("cffi", compiled, seed)
