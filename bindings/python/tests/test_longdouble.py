"""long double at full precision (x87 80-bit on x86_64) and long double
_Complex, compared with cffi where cffi supports the type."""

import platform

import pytest

import abicall

cffi = pytest.importorskip("cffi")

LIBM = "libm.so.6"
CDEF = "long double nextafterl(long double, long double); long double fabsl(long double);"


def _x87():
    return platform.machine() in ("x86_64", "AMD64")


@pytest.mark.parametrize("mod", [cffi, abicall], ids=["cffi", "abicall"])
def test_round_trip_keeps_every_bit(mod):
    ffi = mod.FFI()
    ffi.cdef(CDEF)
    m = ffi.dlopen(LIBM)
    x = m.nextafterl(1.0, 2.0)  # 1 + 2**-63 on x86_64: no double has it
    assert ffi.typeof(x) is ffi.typeof("long double")
    p = ffi.new("long double *", x)
    y = p[0]
    # the bytes survive a store and a load, and C still sees 1 + ulp
    assert bytes(ffi.buffer(ffi.new("long double *", y)))[:10] == bytes(ffi.buffer(p))[:10]
    back = m.nextafterl(y, 0.0)
    assert float(back) == 1.0
    if _x87():
        assert bytes(ffi.buffer(p))[:10] != bytes(ffi.buffer(ffi.new("long double *", 1.0)))[:10]
    z = ffi.cast("long double", y)
    assert bytes(ffi.buffer(ffi.new("long double *", z)))[:10] == bytes(ffi.buffer(p))[:10]


def test_long_double_complex():
    ffi = abicall.FFI()
    ffi.cdef("long double _Complex conjl(long double _Complex); long double cabsl(long double _Complex);")
    m = ffi.dlopen(LIBM)
    c = m.conjl(1 + 2j)
    assert ffi.typeof(c).cname == "long double _Complex"
    assert complex(c) == 1 - 2j
    assert float(m.cabsl(3 + 4j)) == 5.0
    q = ffi.new("long double _Complex *", 5 - 1j)
    assert complex(q[0]) == 5 - 1j
    q[0] = c
    assert complex(q[0]) == 1 - 2j
    with pytest.raises(TypeError):
        ffi.new("long double _Complex *", "x")


def test_complex_int_is_refused():
    with pytest.raises(abicall.CDefError):
        abicall.FFI().typeof("_Complex int")


def test_gc_on_opaque_pointer():
    ffi = abicall.FFI()
    ffi.cdef("typedef struct _x X; typedef ... Y; void *malloc(size_t); void free(void *);")
    libc = ffi.dlopen(None)
    freed = []
    for t in ("X *", "Y *"):
        p = ffi.gc(ffi.cast(t, libc.malloc(8)), lambda q: (freed.append(q), libc.free(q)))
        assert ffi.typeof(p) is ffi.typeof(t)
        del p
    assert len(freed) == 2
    with pytest.raises((AttributeError, abicall.FFIError)):
        ffi.cast("X *", 4096).field


@pytest.mark.parametrize("mod", [cffi, abicall], ids=["cffi", "abicall"])
def test_sizeof_open_array_is_an_error(mod):
    ffi = mod.FFI()
    with pytest.raises(ValueError):
        ffi.sizeof("int[]")
    assert ffi.sizeof(ffi.new("int[]", 3)) == 3 * ffi.sizeof("int")
