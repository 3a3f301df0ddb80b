"""ctype objects and layout queries, on cffi and abicall."""

import pytest


def test_typeof_kinds_and_names(ffi):
    cases = {
        "int": ("primitive", "int"),
        "int *": ("pointer", "int *"),
        "int[3]": ("array", "int[3]"),
        "int *[3]": ("array", "int *[3]"),
        "int(*)[3]": ("pointer", "int(*)[3]"),
        "struct point": ("struct", "struct point"),
        "union num": ("union", "union num"),
        "enum color": ("enum", "enum color"),
        "int(*)(int, int)": ("function", "int(*)(int, int)"),
        "void": ("void", "void"),
        "const char *": ("pointer", "char *"),
    }
    for decl, (kind, cname) in cases.items():
        t = ffi.typeof(decl)
        assert (t.kind, t.cname) == (kind, cname), decl
        assert repr(t) == "<ctype '%s'>" % cname


def test_typeof_is_interned(ffi):
    assert ffi.typeof("int *") is ffi.typeof("int*")
    assert ffi.typeof("struct point") is ffi.typeof("struct point")
    assert ffi.typeof(ffi.new("int *")) is ffi.typeof("int *")


def test_predefined_ctypes_are_shared_between_ffis(backend, ffi):
    other = backend.FFI()
    for decl in ("int", "int *", "char *[3]", "FILE *", "wchar_t[2]", "double(*)(double)", "void"):
        assert other.typeof(decl) is ffi.typeof(decl), decl
    # declared types belong to their FFI
    other.cdef("struct point { int x, y; };")
    assert other.typeof("struct point") is not ffi.typeof("struct point")
    assert other.typeof("struct point *") is not ffi.typeof("struct point *")
    # cdata of a shared ctype made by one FFI is accepted by the other's functions
    p = other.new("int[]", [3, 4])
    assert ffi.typeof(p) is ffi.typeof("int[]")


def test_shared_ctypes_are_freed_when_unused(backend):
    import gc
    import weakref

    w = weakref.ref(backend.FFI().typeof("unsigned short *(*)(short, unsigned long *[7])"))
    gc.collect()
    assert w() is None


def test_shared_and_declared_types_in_calls(ffi, lib):
    # a variadic function whose type is shared, with arguments of shared and
    # declared types; a function pointer of a shared type through another FFI
    out = ffi.new("char[64]")
    ffi.cdef("int snprintf(char *, size_t, const char *, ...);")
    libc = ffi.dlopen(None)
    p = ffi.new("struct point *", [1, 2])
    n = libc.snprintf(out, 64, b"%d %s %d", ffi.cast("int", 7), ffi.new("char[]", b"ab"), ffi.cast("enum color", 2))
    assert ffi.string(out) == b"7 ab 2"
    assert n == 6
    assert libc.snprintf(out, 64, b"%p", p) > 0


def test_struct_and_union_tags_are_apart(backend):
    # cffi keeps the two tag namespaces apart (C has one)
    ffi = backend.FFI()
    ffi.cdef("struct foo { int a; short b, c, d; }; union foo { int a; short b, c, d; };"
             "union bar { char c; double d; }; struct bar { char c[3]; };"
             "union foo make(struct foo *, union bar);")
    assert (ffi.sizeof("struct foo"), ffi.sizeof("union foo")) == (12, 4)
    assert (ffi.sizeof("union bar"), ffi.sizeof("struct bar")) == (8, 3)
    assert ffi.typeof("union foo *").cname == "union foo *"
    assert ffi.typeof("union foo") is not ffi.typeof("struct foo")
    assert ffi.typeof("union foo(*)(struct foo *, union bar)").args[1] is ffi.typeof("union bar")
    assert sorted(ffi.list_types()[2]) == ["bar", "foo"]
    u = ffi.new("union foo *", {"b": 7})
    assert u.b == 7


def test_item_length(ffi):
    t = ffi.typeof("int[3]")
    assert t.item is ffi.typeof("int")
    assert t.length == 3
    assert ffi.typeof("int[]").length is None
    assert ffi.typeof("struct point *").item is ffi.typeof("struct point")


def test_fields(ffi):
    t = ffi.typeof("struct mixed")
    names = [n for n, _ in t.fields]
    assert names == ["c", "d", "i"]
    f = dict(t.fields)
    assert f["d"].offset == 8 and f["d"].type is ffi.typeof("double")
    assert f["c"].bitsize == -1
    bits = dict(ffi.typeof("struct bits").fields)
    assert (bits["b"].bitshift, bits["b"].bitsize) == (3, 5)


def test_function_type(ffi):
    t = ffi.typeof("int(*)(int, double)")
    assert t.kind == "function"
    assert t.result is ffi.typeof("int")
    assert t.args == (ffi.typeof("int"), ffi.typeof("double"))
    assert t.ellipsis is False
    assert ffi.typeof("int(*)(int, ...)").ellipsis is True


def test_enum_elements(ffi):
    t = ffi.typeof("enum color")
    assert t.elements == {0: "RED", 5: "GREEN", 6: "BLUE"}
    assert t.relements == {"RED": 0, "GREEN": 5, "BLUE": 6}


def test_sizeof_alignof_offsetof(ffi):
    assert ffi.sizeof("int") == 4
    assert ffi.sizeof("struct mixed") == 24
    assert ffi.alignof("struct mixed") == 8
    assert ffi.offsetof("struct mixed", "i") == 16
    assert ffi.offsetof("struct rect", "b") == 8
    assert ffi.offsetof("struct rect", "b", "y") == 12
    assert ffi.offsetof("struct big", "v", 2) == 16
    assert ffi.sizeof(ffi.new("int[]", 5)) == 20
    assert ffi.sizeof(ffi.new("struct point *")) == 8


def test_unknown_type_is_cdeferror(backend, ffi):
    with pytest.raises(backend.CDefError):
        ffi.typeof("foo_t")


def test_cdef_parse_error_is_cdeferror(backend):
    with pytest.raises(backend.CDefError):
        backend.FFI().cdef("int f(")


def test_getctype(ffi):
    assert ffi.getctype("int", "*") == "int *"
    assert ffi.getctype("int") == "int"
    assert ffi.getctype("int[3]", "*") == "int(*)[3]"
    assert ffi.getctype("struct point", "p") == "struct point p"


def test_ffi_error_is_exception_class(backend):
    assert issubclass(backend.FFIError, Exception)
    assert issubclass(backend.CDefError, Exception)


def test_packed_struct_layout(backend):
    ffi = backend.FFI()
    ffi.cdef("struct pk { char c; int i; short s; };", packed=True)
    assert ffi.sizeof("struct pk") == 7
    assert ffi.offsetof("struct pk", "i") == 1
    p = ffi.new("struct pk *", [b"a", 0x11223344, 7])
    assert ffi.buffer(p)[:] == b"a\x44\x33\x22\x11\x07\x00"


def test_typedefs(backend):
    ffi = backend.FFI()
    ffi.cdef("typedef struct { double x, y; } vec2; typedef int myint;")
    assert ffi.sizeof("vec2") == 16
    assert ffi.typeof("myint") is ffi.typeof("int")
    v = ffi.new("vec2 *", [1.0, 2.0])
    assert v.y == 2.0


def test_predefined_typedef_names_are_their_own_ctypes(ffi):
    # cffi keeps `size_t`, `int32_t`, ... as primitive types of their own;
    # user typedefs resolve to what they name.
    ffi.cdef("typedef int my_int_t; typedef size_t my_size_t;")
    for name, same_size in [("size_t", "unsigned long"), ("int32_t", "int"), ("intptr_t", "long"),
                            ("uint8_t", "unsigned char"), ("ssize_t", "long")]:
        t = ffi.typeof(name)
        assert (t.kind, t.cname, repr(t)) == ("primitive", name, "<ctype '%s'>" % name)
        assert t is not ffi.typeof(same_size)
        assert ffi.sizeof(t) == ffi.sizeof(same_size)
        assert ffi.typeof(name + " *").cname == name + " *"
        assert ffi.typeof(name + "[3]").cname == name + "[3]"
    assert ffi.typeof("my_int_t") is ffi.typeof("int")
    assert ffi.typeof("my_size_t") is ffi.typeof("size_t")
    assert ffi.typeof("size_t(*)(char *)").cname == "size_t(*)(char *)"
    p = ffi.new("size_t *", 2**64 - 1)
    assert p[0] == 2**64 - 1
    with pytest.raises(OverflowError):
        ffi.new("int32_t *", 2**31)
