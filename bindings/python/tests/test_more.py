"""More of the surface, side by side on cffi and abicall: long double,
pointers to pointers, function pointers returned by C, threads, list_types,
init_once, dir(lib)."""

import threading

import pytest


def test_long_double_stays_cdata(ffi, lib):
    r = lib.ldadd(1.5, 2.25)
    assert ffi.typeof(r) is ffi.typeof("long double")
    assert float(r) == 3.75
    assert repr(r) == "<cdata 'long double' 3.750000E+00>"
    assert float(lib.ldadd(r, 1)) == 4.75


def test_pointer_to_pointer(ffi, lib):
    x = ffi.new("int *", 17)
    pp = ffi.new("int **", x)
    assert pp[0] == x
    assert pp[0][0] == 17
    assert lib.deref2(pp) == 17


def test_function_pointer_returned_by_c(ffi, lib):
    f = lib.get_adder()
    assert ffi.typeof(f) is ffi.typeof("int(*)(int, int)")
    assert f(40, 2) == 42
    assert lib.apply(f, 1, 2) == 3


def test_callback_type_mismatch_is_typeerror(ffi, lib):
    cb = ffi.callback("double(double)", lambda x: x)
    with pytest.raises(TypeError):
        lib.apply(cb, 1, 2)


def test_same_function_from_many_threads(ffi, lib):
    errors = []

    def work(k):
        try:
            for i in range(2000):
                assert lib.add(i, k) == i + k
                p = lib.make_point(i, k)
                assert (p.x, p.y) == (i, k)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_list_types(backend):
    ffi = backend.FFI()
    ffi.cdef("typedef int myint_t; struct s1 { int a; }; union u1 { int a; }; typedef struct s1 s1_t;")
    typedefs, structs, unions = ffi.list_types()
    assert typedefs == ["myint_t", "s1_t"]
    assert structs == ["s1"]
    assert unions == ["u1"]


def test_init_once(ffi):
    calls = []

    def init():
        calls.append(1)
        return 42

    assert ffi.init_once(init, "tag") == 42
    assert ffi.init_once(init, "tag") == 42
    assert calls == [1]


def test_dir_lib_lists_declarations(lib):
    names = dir(lib)
    for n in ("add", "counter", "RED", "ANSWER", "make_point"):
        assert n in names


def test_sizeof_opaque_struct_is_error(backend):
    ffi = backend.FFI()
    ffi.cdef("struct opaque;")
    with pytest.raises(ValueError):
        ffi.sizeof("struct opaque")
    with pytest.raises(TypeError):
        ffi.new("struct opaque *")


def test_struct_array_member_assignment(ffi):
    b = ffi.new("struct big *")
    b.v = [1, 2, 3, 4, 5, 6]
    assert list(b.v) == [1, 2, 3, 4, 5, 6]
    b.v[5] = 60
    assert b.v[5] == 60
    with pytest.raises(IndexError):
        b.v = list(range(7))


def test_cast_between_pointer_types_shares_memory(ffi):
    a = ffi.new("int[2]", [0x41424344, 0])
    c = ffi.cast("char *", a)
    assert c[0] == b"D"
    assert ffi.string(c, 4) == b"DCBA"
    v = ffi.cast("void *", a)
    assert ffi.cast("int *", v)[0] == 0x41424344


def test_unsigned_long_long_and_negative(ffi):
    p = ffi.new("unsigned long long *", 2**64 - 1)
    assert p[0] == 2**64 - 1
    with pytest.raises(OverflowError):
        p[0] = -1
    q = ffi.new("long long *", -(2**63))
    assert q[0] == -(2**63)


def test_float_rounding_in_memory(ffi):
    f = ffi.new("float *", 0.1)
    assert f[0] == pytest.approx(0.1, rel=1e-7) and f[0] != 0.1


def test_bool_memory(ffi):
    b = ffi.new("_Bool[2]", [True, 0])
    assert list(b) == [True, False]


def test_isinstance_cdata(ffi, lib):
    assert isinstance(ffi.new("int *"), ffi.CData)
    assert isinstance(lib.add, ffi.CData)
    assert isinstance(ffi.callback("int(int)", lambda x: x), ffi.CData)
    assert isinstance(ffi.typeof("int"), ffi.CType)
    assert not isinstance(3, ffi.CData)


def test_dlopen_short_name(backend):
    ffi = backend.FFI()
    ffi.cdef("double sqrt(double);")
    m = ffi.dlopen("m")
    assert m.sqrt(16.0) == 4.0


def test_flexible_array_member(backend):
    ffi = backend.FFI()
    ffi.cdef("struct fam { int n; int items[]; };")
    p = ffi.new("struct fam *", {"n": 3, "items": [1, 2, 3]})
    assert repr(p) == "<cdata 'struct fam *' owning 16 bytes>"
    assert len(p.items) == 3 and list(p.items) == [1, 2, 3]
    assert ffi.typeof(p.items) is ffi.typeof("int[]")
    assert ffi.sizeof(p[0]) == 16
    q = ffi.new("struct fam *", [2, [5, 6]])
    assert len(q.items) == 2 and q.items[1] == 6
    r = ffi.new("struct fam *", {"n": 1, "items": 4})
    assert len(r.items) == 4
    c = ffi.cast("struct fam *", p)
    assert ffi.typeof(c.items) is ffi.typeof("int *")
    assert c.items[2] == 3


def test_new_allocator_with_malloc_free(backend):
    ffi = backend.FFI()
    ffi.cdef("void *malloc(size_t); void free(void *);")
    c = ffi.dlopen(None)
    freed = []

    def free(p):
        freed.append(1)
        c.free(p)

    alloc = ffi.new_allocator(c.malloc, free)
    a = alloc("int[4]", [1, 2, 3, 4])
    assert ffi.typeof(a) is ffi.typeof("int[4]")
    assert list(a) == [1, 2, 3, 4]
    b = alloc("int[]", 3)
    assert len(b) == 3 and list(b) == [0, 0, 0]
    p = alloc("int *", 9)
    assert p[0] == 9
    del a, b, p
    import gc

    gc.collect()
    assert freed == [1, 1, 1]


def test_release_from_buffer(ffi):
    ba = bytearray(b"abc")
    with ffi.from_buffer(ba) as c:
        assert c[0] == b"a"
    ba.extend(b"d")  # the buffer is no longer pinned
    assert ba == bytearray(b"abcd")


def test_include(backend, libpath):
    base = backend.FFI()
    base.cdef("struct point { int x, y; };")
    ffi = backend.FFI()
    ffi.include(base)
    ffi.cdef("int point_sum(struct point p);")
    lib = ffi.dlopen(libpath)
    assert lib.point_sum(ffi.new("struct point *", [4, 5])[0]) == 9


def test_header_typedefs_of_wchar_types_are_accepted(backend):
    ffi = backend.FFI()
    ffi.cdef("typedef int wchar_t; typedef unsigned short char16_t; size_t wcslen(const wchar_t *);")
    assert ffi.sizeof("wchar_t") == 4 and ffi.sizeof("char16_t") == 2
    assert ffi.dlopen(None).wcslen(ffi.new("wchar_t[]", [97, 98, 0])) == 2


def test_cdef_errors_are_framed_as_in_cffi(backend):
    ffi = backend.FFI()
    with pytest.raises(backend.CDefError) as e:
        ffi.cdef("int a;\n  x y z ;")
    assert str(e.value).startswith('cannot parse "x y z ;"\n<cdef source string>:2:')
    with pytest.raises(backend.CDefError) as e:
        ffi.cdef('int b;\n# 7 "decls.h"\nint c;\n  u v w;\n')
    assert str(e.value).startswith("parse error\ndecls.h:8:")
    with pytest.raises(backend.CDefError) as e:
        ffi.cdef("void g(mystery_t);")
    assert str(e.value).startswith("<cdef source string>:1: g arg 1: unknown type 'mystery_t'")
