"""cdata objects: new, cast, indexing, fields, iteration, comparison,
pointer arithmetic, strings, buffers, handles, gc. Each test runs on cffi
and abicall."""

import gc as pygc

import pytest


def test_new_scalar_pointer(ffi):
    p = ffi.new("int *", 42)
    assert p[0] == 42
    p[0] = -1
    assert p[0] == -1
    assert repr(p) == "<cdata 'int *' owning 4 bytes>"


def test_new_requires_pointer_or_array(ffi):
    with pytest.raises(TypeError):
        ffi.new("int")


def test_new_initializer_errors(ffi):
    with pytest.raises(OverflowError):
        ffi.new("unsigned char *", 256)
    with pytest.raises(TypeError):
        ffi.new("int *", 1.5)
    with pytest.raises(OverflowError):
        ffi.new("_Bool *", 2)
    with pytest.raises(IndexError):
        ffi.new("int[2]", [1, 2, 3])
    with pytest.raises(IndexError):
        ffi.new("char[2]", b"abc")
    with pytest.raises(TypeError):
        ffi.new("char *[]", [b"a"])


def test_new_array_length_iteration(ffi):
    a = ffi.new("int[]", [1, 2, 3])
    assert len(a) == 3
    assert list(a) == [1, 2, 3]
    assert repr(a) == "<cdata 'int[]' owning 12 bytes>"
    b = ffi.new("int[5]")
    assert list(b) == [0] * 5
    c = ffi.new("int[]", 4)
    assert len(c) == 4 and ffi.sizeof(c) == 16


def test_array_index_errors(ffi):
    a = ffi.new("int[3]")
    with pytest.raises(IndexError):
        a[3]
    with pytest.raises(IndexError):
        a[-1]
    with pytest.raises(IndexError):
        a[3] = 1


def test_len_and_iter_on_pointer_are_typeerrors(ffi):
    p = ffi.new("int *")
    with pytest.raises(TypeError):
        len(p)
    with pytest.raises(TypeError):
        iter(p)


def test_struct_new_list_dict(ffi):
    p = ffi.new("struct point *", [1, 2])
    assert (p.x, p.y) == (1, 2)
    q = ffi.new("struct point *", {"y": 9})
    assert (q.x, q.y) == (0, 9)
    with pytest.raises(ValueError):
        ffi.new("struct point *", [1, 2, 3])
    with pytest.raises(KeyError):
        ffi.new("struct point *", {"z": 1})
    with pytest.raises(AttributeError):
        p.z
    with pytest.raises(AttributeError):
        p.z = 1


def test_struct_field_write_and_types(ffi):
    p = ffi.new("struct mixed *")
    p.c = b"q"
    p.d = 1.25
    p.i = 7
    assert (p.c, p.d, p.i) == (b"q", 1.25, 7)
    with pytest.raises(TypeError):
        p.i = 1.5
    with pytest.raises(OverflowError):
        p.i = 2**40


def test_nested_struct_views_share_memory(ffi):
    r = ffi.new("struct rect *", [[1, 2], [3, 4]])
    a = r.a
    a.x = 100
    assert r.a.x == 100
    assert r[0].b.y == 4


def test_struct_deref_repr(ffi):
    p = ffi.new("struct point *")
    assert repr(p[0]) == "<cdata 'struct point' owning 8 bytes>"
    arr = ffi.new("struct point[2]")
    assert repr(arr[1]).startswith("<cdata 'struct point &' 0x")


def test_char_array_field_and_string(ffi):
    n = ffi.new("struct named *", [b"bob", 3])
    assert ffi.string(n.name) == b"bob"
    assert ffi.typeof(n.name) is ffi.typeof("char[8]")
    n.name = b"alice"
    assert ffi.string(n.name) == b"alice"


def test_cast_integers(ffi):
    assert int(ffi.cast("int", 2**40 + 5)) == 5
    assert int(ffi.cast("unsigned char", -1)) == 255
    assert int(ffi.cast("signed char", 200)) == -56
    assert ffi.cast("_Bool", 2) == True  # noqa: E712
    assert repr(ffi.cast("int", 5)) == "<cdata 'int' 5>"
    assert repr(ffi.cast("char", 65)) == "<cdata 'char' b'A'>"
    assert int(ffi.cast("char", 65)) == 65


def test_cast_floats(ffi):
    assert float(ffi.cast("double", 2)) == 2.0
    assert int(ffi.cast("int", 3.9)) == 3
    assert repr(ffi.cast("float", 1)) == "<cdata 'float' 1.0>"
    with pytest.raises(TypeError):
        float(ffi.cast("int", 3))


def test_cast_pointer_int_roundtrip(ffi):
    p = ffi.new("int *")
    addr = int(ffi.cast("intptr_t", p))
    assert addr != 0
    q = ffi.cast("int *", addr)
    assert q == p
    assert ffi.cast("int *", 0) == ffi.NULL
    with pytest.raises(TypeError):
        int(p)


def test_null_and_bool(ffi):
    assert repr(ffi.NULL) == "<cdata 'void *' NULL>"
    assert not ffi.NULL
    assert ffi.new("int *")
    assert not ffi.cast("int", 0)
    assert ffi.cast("int", 3)
    assert repr(ffi.cast("int *", 0)) == "<cdata 'int *' NULL>"


def test_primitive_comparisons(ffi):
    assert ffi.cast("int", 5) == 5
    assert ffi.cast("int", 3) < 4
    assert ffi.cast("char", 65) == b"A"
    assert ffi.cast("int", 5) != 6


def test_pointer_comparisons_and_hash(ffi):
    a = ffi.new("int[4]")
    p, q = a + 1, a + 3
    assert p < q and q > p and p <= p and p != q
    assert ffi.cast("void *", 5) == ffi.cast("int *", 5)
    assert hash(ffi.cast("int *", 5)) == hash(ffi.cast("int *", 5))
    assert ffi.new("int *") != ffi.new("int *")


def test_pointer_arithmetic(ffi):
    a = ffi.new("int[]", [10, 20, 30, 40])
    p = a + 1
    assert ffi.typeof(p) is ffi.typeof("int *")
    assert p[0] == 20 and p[2] == 40
    assert (p + 2)[0] == 40
    assert (p - 1)[0] == 10
    assert (a + 3) - p == 2
    assert p - a == 1
    p[1] = 31
    assert a[2] == 31


def test_pointer_subtraction_type_mismatch(ffi):
    a = ffi.new("int[2]")
    b = ffi.new("char[2]")
    with pytest.raises(TypeError):
        (a + 0) - (b + 0)


def test_slices(ffi):
    a = ffi.new("int[]", [1, 2, 3, 4, 5])
    s = a[1:4]
    assert len(s) == 3
    assert list(s) == [2, 3, 4]
    assert repr(ffi.typeof(s)) == "<ctype 'int[]'>"
    a[0:2] = [7, 8]
    assert list(a) == [7, 8, 3, 4, 5]
    with pytest.raises(ValueError):
        a[0:2] = [1]


def test_string_and_errors(ffi):
    assert ffi.string(ffi.new("char[]", b"abc")) == b"abc"
    assert ffi.string(ffi.new("char[10]", b"abcdef"), 2) == b"ab"
    with pytest.raises(RuntimeError):
        ffi.string(ffi.cast("char *", 0))
    assert ffi.string(ffi.cast("char", 66)) == b"B"


def test_unpack(ffi):
    assert ffi.unpack(ffi.new("char[]", b"hello"), 3) == b"hel"
    assert ffi.unpack(ffi.new("int[]", [1, 2, 3]), 2) == [1, 2]
    assert ffi.unpack(ffi.new("double[]", [0.5, 1.5]), 2) == [0.5, 1.5]


def test_buffer(ffi):
    a = ffi.new("char[]", b"abcd")
    buf = ffi.buffer(a)
    assert len(buf) == 5
    assert buf[:] == b"abcd\0"
    assert buf[0] == b"a"
    assert buf[1:3] == b"bc"
    buf[0:2] = b"XY"
    assert ffi.string(a) == b"XYcd"
    i = ffi.new("int *", 0x01020304)
    assert ffi.buffer(i)[:] == b"\x04\x03\x02\x01"
    assert ffi.buffer(a, 2)[:] == b"XY"
    assert bytes(ffi.buffer(a, 2)) == b"XY"


def test_from_buffer(ffi):
    ba = bytearray(b"hello")
    c = ffi.from_buffer(ba)
    assert ffi.typeof(c) is ffi.typeof("char[]")
    assert len(c) == 5
    c[0] = b"j"
    assert ba == bytearray(b"jello")
    ints = ffi.from_buffer("int[]", bytearray(8))
    assert len(ints) == 2
    ro = ffi.from_buffer(b"xyz")
    assert ffi.string(ro) == b"xyz"
    with pytest.raises(TypeError):
        ffi.from_buffer("unicode is refused")


def test_from_buffer_require_writable(ffi):
    with pytest.raises((TypeError, BufferError)):
        ffi.from_buffer(b"abc", require_writable=True)


def test_memmove(ffi):
    a = ffi.new("int[]", [1, 2, 3, 4])
    b = ffi.new("int[4]")
    ffi.memmove(b, a, 16)
    assert list(b) == [1, 2, 3, 4]
    ffi.memmove(a + 1, a, 8)
    assert list(a) == [1, 1, 2, 4]
    ba = bytearray(4)
    ffi.memmove(ba, ffi.new("char[]", b"wxyz"), 4)
    assert ba == bytearray(b"wxyz")
    c = ffi.new("char[4]")
    ffi.memmove(c, b"abc", 3)
    assert ffi.string(c) == b"abc"


def test_addressof(ffi):
    r = ffi.new("struct rect *", [[1, 2], [3, 4]])
    pb = ffi.addressof(r[0], "b")
    assert ffi.typeof(pb) is ffi.typeof("struct point *")
    assert pb.y == 4
    py = ffi.addressof(r[0], "b", "y")
    assert ffi.typeof(py) is ffi.typeof("int *")
    py[0] = 44
    assert r.b.y == 44
    whole = ffi.addressof(r[0])
    assert whole == r
    a = ffi.new("int[3]")
    assert ffi.addressof(a, 2) == a + 2


def test_handles(ffi):
    obj = {"k": [1, 2]}
    h = ffi.new_handle(obj)
    assert ffi.typeof(h) is ffi.typeof("void *")
    assert ffi.from_handle(h) is obj
    assert ffi.from_handle(ffi.cast("void *", h)) is obj


def test_gc_runs_destructor(ffi):
    seen = []
    p = ffi.gc(ffi.new("int *", 5), lambda x: seen.append(x[0]))
    assert p[0] == 5
    del p
    pygc.collect()
    assert seen == [5]


def test_bitfields_in_memory(ffi):
    b = ffi.new("struct bits *")
    b.a = 7
    b.b = -16
    b.c = 4095
    assert (b.a, b.b, b.c) == (7, -16, 4095)
    with pytest.raises(OverflowError):
        b.a = 8
    with pytest.raises(OverflowError):
        b.b = 16
    raw = int.from_bytes(ffi.buffer(b)[:], "little")
    assert raw & 7 == 7 and (raw >> 3) & 31 == 16 and (raw >> 8) & 4095 == 4095


def test_union_in_memory(ffi):
    u = ffi.new("union num *")
    u.d = 1.0
    assert u.i == 0
    u.f = 1.0
    assert u.i == 0x3F800000
    assert ffi.sizeof("union num") == 8


def test_enum_field(ffi):
    ffi.cdef("struct painted { enum color c; };")
    p = ffi.new("struct painted *")
    p.c = 6
    assert p.c == 6
    p.c = 5
    assert p.c == 5


def test_wchar_arrays(ffi):
    w = ffi.new("wchar_t[]", "h\u00e9")
    assert len(w) == 3
    assert ffi.string(w) == "h\u00e9"


def test_buffer_protocol(ffi, tmp_path):
    a = ffi.new("char[8]")
    buf = ffi.buffer(a)
    mv = memoryview(buf)
    assert mv.nbytes == 8 and not mv.readonly
    mv[0:3] = b"abc"
    assert ffi.string(a) == b"abc"
    assert bytes(buf)[:3] == b"abc"
    assert bytearray(buf)[:3] == bytearray(b"abc")
    f = tmp_path / "data"
    f.write_bytes(b"12345678")
    with open(f, "rb") as fh:
        assert fh.readinto(ffi.buffer(a)) == 8
    assert ffi.string(a, 8) == b"12345678"
    d = ffi.new("double *", 1.5)
    import struct
    assert struct.unpack("<d", ffi.buffer(d))[0] == 1.5


def test_new_common_cases_and_errors(backend, ffi):
    # the cases ffi.new makes natively, and their errors, as in cffi
    ct = ffi.typeof("struct point *")
    for cdecl, init, want in [
        ("int *", None, 0),
        ("int *", 5, 5),
        ("double *", 1.5, 1.5),
        ("char *", b"x", b"x"),
        ("long long *", -(2**63), -(2**63)),
        ("int *", True, 1),
        ("enum color *", 5, "GREEN"),
    ]:
        p = ffi.new(cdecl, init) if init is not None else ffi.new(cdecl)
        got = p[0]
        assert (got if cdecl != "enum color *" else ffi.string(ffi.cast("enum color", got))) == want, cdecl
    p = ffi.new(ct, [1, 2])
    assert (p.x, p.y) == (1, 2)
    p = ffi.new("struct point *", {"y": 3})
    assert (p.x, p.y) == (0, 3)
    a = ffi.new("int[3]")
    assert list(a) == [0, 0, 0] and len(a) == 3
    assert ffi.sizeof(ffi.new("int[3]", [1, 2])) == 12
    for cdecl, init, exc in [
        ("int *", "str", TypeError),
        ("int *", 2**40, OverflowError),
        ("struct point *", [1, 2, 3], ValueError),
        ("struct point *", {"z": 1}, KeyError),
        ("void *", None, TypeError),
        ("int", None, TypeError),
    ]:
        with pytest.raises(exc):
            ffi.new(cdecl, init)
    with pytest.raises(TypeError):
        ffi.new()
    with pytest.raises(TypeError):
        ffi.new("int *", 1, 2)
    assert ffi.new(cdecl="int *", init=4)[0] == 4
