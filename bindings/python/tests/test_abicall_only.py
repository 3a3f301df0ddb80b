"""What abicall adds over cffi: unions, bitfield structs and packed structs
by value; GIL release around calls; the fast path. Each by-value test also
checks that cffi refuses the same declaration, so the test documents the
difference."""

import struct
import threading
import time

import pytest

from conftest import CDEF, CDEF_BY_VALUE, CDEF_PACKED


def cffi_refuses(libpath, call):
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.cdef(CDEF_PACKED, packed=True)
    ffi.cdef(CDEF_BY_VALUE)
    lib = ffi.dlopen(libpath)
    with pytest.raises(NotImplementedError):
        call(ffi, lib)


def test_union_return_and_argument(affi, alib, libpath):
    u = alib.num_from_double(2.5)
    assert affi.typeof(u) is affi.typeof("union num")
    assert u.d == 2.5
    assert alib.num_as_double(u) == 2.5
    v = affi.new("union num *", {"d": -1.25})
    assert alib.num_as_double(v[0]) == -1.25
    cffi_refuses(libpath, lambda f, l: l.num_from_double(2.5))


def test_small_union_in_sse_register(affi, alib):
    s = alib.small_from_float(1.0)
    assert s.i == 0x3F800000
    assert alib.small_bits(s) == 0x3F800000
    assert alib.small_bits(affi.new("union small *", {"f": -2.0})[0]) == struct.unpack("<i", struct.pack("<f", -2.0))[0]


def test_bitfield_struct_by_value(affi, alib, libpath):
    b = alib.bits_make(5, -7, 1000)
    assert (b.a, b.b, b.c) == (5, -7, 1000)
    assert alib.bits_check(b, 5, -7, 1000) == 1
    x = affi.new("struct bits *", [3, 15, 4095])
    assert alib.bits_check(x[0], 3, 15, 4095) == 1
    assert alib.bits_check(x[0], 3, 14, 4095) == 0
    cffi_refuses(libpath, lambda f, l: l.bits_make(1, 2, 3))


def test_packed_struct_by_value(affi, alib, libpath):
    p = alib.pk_make(b"\x01", 100000, -3)
    assert affi.sizeof(p) == 7
    assert (p.c, p.i, p.s) == (b"\x01", 100000, -3)
    assert alib.pk_sum(p) == 1 + 100000 - 3
    cffi_refuses(libpath, lambda f, l: l.pk_sum(f.new("struct pk *")[0]))


def test_union_callback_by_value(affi):
    cb = affi.callback("double(union num)", lambda n: n.d * 2)
    assert cb(affi.new("union num *", {"d": 1.5})[0]) == 3.0


def test_gil_released_during_call(affi):
    affi.cdef("int usleep(unsigned int);")
    c = affi.dlopen(None)
    threads = [threading.Thread(target=c.usleep, args=(200000,)) for _ in range(4)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.6, "4 x 0.2 s sleeps took %.2f s: the GIL is not released" % elapsed


def test_fast_path_for_scalar_signatures(alib):
    assert alib.add._fast_path
    assert alib.dsum10._fast_path


def test_variadic_accepts_python_numbers(alib):
    assert alib.varsum(3, 1, 2, 3) == 6
    assert alib.vardsum(2, 0.25, 0.5) == 0.75


def test_exceptions_exported():
    import abicall

    assert issubclass(abicall.CDefError, Exception)
    assert abicall.FFI.error is abicall.FFIError
    assert abicall.error is abicall.FFIError


def test_struct_return_owns_its_memory(alib):
    ps = [alib.make_point(i, -i) for i in range(100)]
    assert [(p.x, p.y) for p in ps] == [(i, -i) for i in range(100)]
    assert repr(ps[0]) == "<cdata 'struct point' owning 8 bytes>"


def test_guide_python_snippet():
    """The Python block of docs/guide.md ("Embedding in Python"), verbatim."""
    from abicall import FFI

    ffi = FFI()
    ffi.cdef("""
        union num { int i; double d; };
        double cos(double);
        int abs(int);
    """)
    libm, libc = ffi.dlopen("libm.so.6"), ffi.dlopen(None)
    assert libm.cos(0.0) == 1.0 and libc.abs(-3) == 3
    u = ffi.new("union num *", {"d": 2.5})
    cb = ffi.callback("double(union num)", lambda n: n.d * 2)   # union by value
    assert cb(u[0]) == 5.0


def test_readme_example():
    """The example at the top of bindings/python/README.md."""
    from abicall import FFI

    ffi = FFI()
    ffi.cdef("""
        struct point { int x, y; };
        double cos(double);
        size_t strlen(const char *);
        void qsort(void *, size_t, size_t, int(*)(const void *, const void *));
    """)
    libm = ffi.dlopen("libm.so.6")
    libc = ffi.dlopen(None)
    assert libm.cos(0.0) == 1.0
    assert libc.strlen(b"hello") == 5

    p = ffi.new("struct point *", [1, 2])
    assert (p.x, p.y) == (1, 2)

    @ffi.callback("int(const void *, const void *)")
    def cmp(a, b):
        x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
        return (x > y) - (x < y)

    arr = ffi.new("int[]", [5, 3, 9])
    libc.qsort(arr, 3, ffi.sizeof("int"), cmp)
    assert list(arr) == [3, 5, 9]


def test_stale_callback_pointer_is_safe(affi, alib, capfd):
    """cffi crashes when C calls a callback whose object is gone; abicall
    keeps the trampoline and answers with the error value."""
    import gc

    cb = affi.callback("int(int, int)", lambda a, b: a + b, error=-1)
    addr = int(affi.cast("intptr_t", cb))
    assert alib.apply(cb, 2, 3) == 5
    del cb
    gc.collect()
    stale = affi.cast("int(*)(int, int)", addr)
    assert alib.apply(stale, 2, 3) == -1  # the error value
    assert "called after it was dropped" in capfd.readouterr().err


def test_no_leak_in_hot_paths(alib, affi):
    """Calls, callbacks (also from a foreign thread), views and temporaries
    leave no Python objects behind."""
    import gc

    cb = affi.callback("int(int, int)", lambda a, b: a + b)

    def work(n):
        for i in range(n):
            p = alib.make_point(i, 2)
            assert alib.point_sum(p) == i + 2
            alib.apply(cb, 1, 2)
            alib.sum_array([1, 2], 2)
            r = affi.new("struct rect *", {"a": [1, 2]})
            r.a.x
            affi.string(alib.greet())
        alib.apply_in_thread(cb, 1, 2)

    work(200)
    gc.collect()
    before = len(gc.get_objects())
    work(2000)
    gc.collect()
    assert len(gc.get_objects()) - before < 50


def test_complex_by_value_and_int128():
    """cffi refuses complex arguments/results in ABI mode; abicall passes
    them (libm's cexp/csqrtf), and stores __int128 values."""
    import cmath

    import abicall
    import cffi

    decl = "double _Complex cexp(double _Complex); float _Complex csqrtf(float _Complex);"
    ffi = abicall.FFI()
    ffi.cdef(decl)
    m = ffi.dlopen("libm.so.6")
    assert m.cexp(1j * cmath.pi) == cmath.exp(1j * cmath.pi)
    assert m.csqrtf(-4 + 0j) == 2j
    p = ffi.new("__int128 *", -(2**100))
    assert p[0] == -(2**100)
    q = ffi.new("unsigned __int128 *", 2**127)
    assert q[0] == 2**127
    with pytest.raises(OverflowError):
        q[0] = -1

    c = cffi.FFI()
    c.cdef(decl)
    with pytest.raises(NotImplementedError):
        c.dlopen("libm.so.6").cexp(1j)


def test_memmove_checks_known_extents(affi):
    # cffi copies past the end of a `new` object (heap corruption); abicall
    # checks n against every extent it knows and raises ValueError.
    small = affi.new("char[2]")
    with pytest.raises(ValueError, match="destination"):
        affi.memmove(small, b"abcdef", 6)
    with pytest.raises(ValueError, match="source"):
        affi.memmove(affi.new("char[8]"), affi.new("char[2]"), 6)
    with pytest.raises(ValueError, match="source"):
        affi.memmove(affi.new("char[8]"), b"ab", 6)
    with pytest.raises(ValueError, match="destination"):
        affi.memmove(affi.buffer(affi.new("int[2]")), b"0123456789", 10)
    with pytest.raises(ValueError, match="destination"):
        affi.memmove(bytearray(3), affi.new("char[8]"), 4)
    with pytest.raises(ValueError, match="negative"):
        affi.memmove(small, b"ab", -1)
    # Within the extents, and through views (pointer arithmetic), as before.
    big = affi.new("char[8]", b"0123456")
    affi.memmove(small, big, 2)
    assert affi.string(small, 2) == b"01"
    affi.memmove(big + 4, b"xyz", 3)
    assert affi.string(big) == b"0123xyz"


def test_union_tag_after_attributes():
    import abicall

    # union tags are kept apart from struct tags also past __attribute__
    ffi = abicall.FFI()
    ffi.cdef("union __attribute__((aligned(16))) u { char c; }; struct u { char c[3]; };"
             "union u pick(union   u);")
    assert (ffi.sizeof("union u"), ffi.sizeof("struct u")) == (16, 3)
    assert ffi.typeof("union u(*)(union u)").result is ffi.typeof("union u")


def test_vector_types_are_laid_out_as_gcc_does(affi):
    """cffi's parser refuses `vector_size`; abicall lays such types out
    (sizes from gcc: a 16-byte vector is 16-aligned) and refuses values."""
    import abicall

    ffi = abicall.FFI()
    ffi.cdef(
        "typedef float v4sf __attribute__((vector_size(16)));"
        "typedef int v2si __attribute__((vector_size(8)));"
        "struct vs { char c; v4sf v; v2si w; };"
    )
    assert ffi.typeof("v4sf").kind == "vector"
    assert (ffi.sizeof("v4sf"), ffi.alignof("v4sf")) == (16, 16)
    assert (ffi.sizeof("v2si"), ffi.alignof("v2si")) == (8, 8)
    assert ffi.sizeof("struct vs") == 48
    assert (ffi.offsetof("struct vs", "v"), ffi.offsetof("struct vs", "w")) == (16, 32)
    p = ffi.new("v4sf *")  # zeroed memory of the right size
    assert len(ffi.buffer(p)) == 16
    with pytest.raises(TypeError, match="vector_size"):
        p[0]
    with pytest.raises(TypeError, match="vector_size"):
        ffi.new("v4sf *", [1, 2, 3, 4])
