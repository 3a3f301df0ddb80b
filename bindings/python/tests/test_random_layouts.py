"""Random struct/union declarations (fixed seed): layout, initialization
and the bytes in memory must be identical under cffi and abicall."""

import random

import pytest

from conftest import _module

SCALARS = ["char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int",
           "long", "unsigned long", "long long", "float", "double", "_Bool", "int8_t", "uint16_t",
           "int32_t", "uint64_t", "void *"]


def make_decls(rng, n):
    decls, names = [], []
    for i in range(n):
        kind = "union" if rng.random() < 0.2 else "struct"
        fields = []
        for j in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.15 and names:
                t = names[rng.randrange(len(names))]
            else:
                t = rng.choice(SCALARS)
            if rng.random() < 0.25:
                t = rng.choice(["int", "unsigned int", "unsigned char", "short", "long long"])
                bits = {"int": 32, "unsigned int": 32, "unsigned char": 8, "short": 16, "long long": 64}[t]
                fields.append((t, "f%d" % j, " : %d" % rng.randint(1, bits - 1)))
                continue
            arr = "[%d]" % rng.randint(1, 4) if rng.random() < 0.2 else ""
            fields.append((t, "f%d" % j, arr))
        body = " ".join("%s %s%s;" % f for f in fields)
        decls.append("%s s%d { %s };" % (kind, i, body))
        names.append("%s s%d" % (kind, i))
    return "\n".join(decls), names


def value_for(ffi, ct, rng):
    k = ct.kind
    if k == "primitive":
        if ct.cname in ("float", "double"):
            return rng.choice([0.5, -2.25, 1e10])
        if ct.cname == "_Bool":
            return rng.choice([True, False])
        if ct.cname == "char":
            return bytes([rng.randrange(256)])
        size = ffi.sizeof(ct)
        signed = ct.cname.startswith(("signed", "short", "int", "long")) and "unsigned" not in ct.cname
        lo, hi = (-(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1) if signed else (0, (1 << (8 * size)) - 1)
        return rng.randint(lo, hi)
    if k == "pointer":
        return ffi.NULL
    if k == "array":
        return [value_for(ffi, ct.item, rng) for _ in range(ct.length)]
    fields = ct.fields
    if k == "union":
        fields = fields[:1]
    out = {}
    for name, f in fields:
        if f.bitsize >= 0:
            signed = "unsigned" not in f.type.cname
            w = f.bitsize
            lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
            out[name] = rng.randint(lo, hi)
        else:
            out[name] = value_for(ffi, f.type, rng)
    return out


def body(module, seed):
    m = _module(module)
    ffi = m.FFI()
    rng = random.Random(seed)
    text, names = make_decls(rng, 25)
    ffi.cdef(text)
    out = []
    for name in names:
        ct = ffi.typeof(name)
        row = [ffi.sizeof(name), ffi.alignof(name), ct.kind]
        # (type names differ for <stdint.h> typedefs: cffi keeps them)
        row += [(fname, f.offset, f.bitshift, f.bitsize, f.type.kind, ffi.sizeof(f.type)) for fname, f in ct.fields]
        vrng = random.Random(seed * 1000 + len(out))
        init = value_for(ffi, ct, vrng)
        p = ffi.new(name + " *", init)
        row.append(ffi.buffer(p)[:])
        row.append([getattr(p, fname) for fname, f in ct.fields if f.bitsize >= 0])
        out.append(row)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_random_layouts_match_cffi(seed):
    assert body("abicall", seed) == body("cffi", seed)
