"""Out-of-line ABI-mode modules: cffi's recompiler (``set_source(name,
None)``) generates them from varied cdefs; each is loaded twice, on cffi's
own ``_cffi_backend`` and on ``abicall.backend``, and both must describe and
call the same things."""

import os
import sys

import pytest

cffi = pytest.importorskip("cffi")
import _cffi_backend  # noqa: E402  (cffi's, for the control)

import abicall  # noqa: E402
import abicall.backend  # noqa: E402

from conftest import CDEF  # noqa: E402

CDEFS = {
    # the fixture library's own declarations
    "fixture": CDEF,
    # typedefs, anonymous and opaque types, enums, function pointers, arrays
    "shapes": """
        typedef struct { double a; char tag[4]; } anon_t;
        typedef struct point pt;
        struct point;
        struct outer { struct { int a, b; } inner; union { int i; float f; } u; pt *next; int m[2][3]; };
        typedef ... opaque_t;
        struct fwd;
        typedef enum { A1, B1 = 7, C1 } e1_t;
        enum flags { F_A = 1, F_B = 2, F_NEG = -5 };
        typedef int (*cb_t)(const void *, const void *);
        typedef long long ll_array_t[5];
        typedef e1_t *e1_ptr;
        #define BIG 0x7fffffffffffffff
        #define NEG -12
        static const int K = 7;
        opaque_t *make_opaque(struct fwd *, cb_t, ll_array_t);
        size_t strlen(const char *);
        int abs(int);
        double cos(double);
        void qsort(void *, size_t, size_t, cb_t);
        int printf(const char *, ...);
    """,
    # every builtin integer name cffi serializes as a primitive
    "prims": """
        struct allp { _Bool b; char c; signed char sc; unsigned char uc; short s; unsigned short us;
            int i; unsigned u; long l; unsigned long ul; long long ll; unsigned long long ull;
            float f; double d; long double ld; wchar_t w; char16_t c16; char32_t c32;
            int8_t i8; uint8_t u8; int16_t i16; uint16_t u16; int32_t i32; uint32_t u32;
            int64_t i64; uint64_t u64; intptr_t ip; uintptr_t up; ptrdiff_t pd; size_t sz;
            ssize_t ssz; int_least8_t il8; uint_least64_t ul64; int_fast8_t if8; uint_fast16_t uf16;
            int_fast32_t if32; intmax_t im; uintmax_t um; };
        struct bits2 { unsigned a : 1; int b : 7; unsigned long long c : 40; };
        union mix { char c[3]; int i; double d; };
    """,
}


def _generate(tmp_path, name, cdef, packed=False):
    ffi = cffi.FFI()
    ffi.cdef(cdef, packed=packed)
    ffi.set_source(name, None)
    path = tmp_path / (name + ".py")
    ffi.emit_python_code(str(path))
    return path.read_text()


def _load(source, name, backend):
    """Executes a generated module's source with ``_cffi_backend`` bound to
    ``backend``; returns its ``ffi``."""
    saved = sys.modules.get("_cffi_backend")
    sys.modules["_cffi_backend"] = backend
    try:
        ns = {"__name__": name}
        exec(compile(source, name + ".py", "exec"), ns)
    finally:
        sys.modules["_cffi_backend"] = saved
    return ns["ffi"]


def _both(tmp_path, key, packed=False):
    src = _generate(tmp_path, "_ool_" + key, CDEFS[key], packed)
    return _load(src, "_ool_" + key, _cffi_backend), _load(src, "_ool_" + key, abicall.backend)


TYPES = {
    "fixture": ["struct point", "struct rect", "struct dpair", "struct big", "struct mixed", "struct named",
                "union num", "union small", "struct bits", "enum color"],
    "shapes": ["anon_t", "pt *", "struct outer", "e1_t", "enum flags", "cb_t", "ll_array_t", "e1_ptr"],
    "prims": ["struct allp", "struct bits2", "union mix"],
}


@pytest.mark.parametrize("key", sorted(CDEFS))
def test_layouts_match_cffi(tmp_path, key):
    cf, ab = _both(tmp_path, key)
    assert isinstance(ab, abicall.backend.FFI)
    for t in TYPES[key]:
        assert ab.sizeof(t) == cf.sizeof(t), t
        assert ab.alignof(t) == cf.alignof(t), t
        ct, ca = cf.typeof(t), ab.typeof(t)
        assert ca.kind == ct.kind, t
        if ct.kind in ("struct", "union"):
            # (type names differ for <stdint.h> typedefs: see the README)
            fc = [(n, f.offset, f.bitsize, f.type.kind, cf.sizeof(f.type)) for n, f in ct.fields]
            fa = [(n, f.offset, f.bitsize, f.type.kind, ab.sizeof(f.type)) for n, f in ca.fields]
            assert fa == fc, t
        if ct.kind == "enum":
            assert ca.relements == ct.relements, t


def test_cnames_match_cffi(tmp_path):
    cf, ab = _both(tmp_path, "shapes")
    for t in ["anon_t", "anon_t *", "pt *", "struct outer", "opaque_t *", "cb_t", "e1_t", "e1_ptr",
              "enum flags", "ll_array_t", "struct fwd *"]:
        assert ab.typeof(t).cname == cf.typeof(t).cname, t


def test_constants_and_calls(tmp_path, libpath):
    cf, ab = _both(tmp_path, "shapes")
    lc, la = cf.dlopen(None), ab.dlopen(None)
    for name in ["BIG", "NEG", "K", "A1", "B1", "C1", "F_A", "F_B", "F_NEG"]:
        assert getattr(la, name) == getattr(lc, name), name
    assert la.strlen(b"hello") == lc.strlen(b"hello") == 5
    assert la.abs(-4) == 4 and la.cos(0.0) == 1.0

    @ab.callback("cb_t")
    def cmp(a, b):
        x, y = ab.cast("int *", a)[0], ab.cast("int *", b)[0]
        return (x > y) - (x < y)

    arr = ab.new("int[]", [5, 1, 4])
    la.qsort(arr, 3, ab.sizeof("int"), cmp)
    assert list(arr) == [1, 4, 5]
    with pytest.raises(ab.error):
        la.make_opaque  # declared, but not in the C library: ffi.error, as cffi
    with pytest.raises(cf.error):
        lc.make_opaque


def test_fixture_library(tmp_path, libpath):
    cf, ab = _both(tmp_path, "fixture")
    lc, la = cf.dlopen(libpath), ab.dlopen(libpath)
    assert la.add(2, 3) == lc.add(2, 3) == 5
    assert la.ANSWER == lc.ANSWER == 42 and la.GREEN == lc.GREEN == 5
    p = la.make_point(3, 4)
    assert (p.x, p.y) == (3, 4)
    assert la.rect_area(la.make_rect(0, 0, 2, 5)) == 10
    assert la.big_sum(la.big_make(1)) == lc.big_sum(lc.big_make(1))
    assert la.counter == lc.counter
    la.counter = 17
    assert lc.counter == 17  # the same C global
    assert (la.origin.x, la.origin.y) == (3, 4)


def test_packed_and_include(tmp_path):
    cf, ab = _both(tmp_path, "prims", packed=True)
    for t in ["struct allp", "union mix"]:
        assert ab.sizeof(t) == cf.sizeof(t), t
    # a module that includes another (generated as cffi would)
    base = cffi.FFI()
    base.cdef("struct point { int x, y; }; typedef int myint;")
    base.set_source("_ool_base", None)
    base.emit_python_code(str(tmp_path / "_ool_base.py"))
    top = cffi.FFI()
    top.include(base)
    top.cdef("struct seg { struct point a, b; myint n; };")
    top.set_source("_ool_top", None)
    top.emit_python_code(str(tmp_path / "_ool_top.py"))
    results = []
    for backend in (_cffi_backend, abicall.backend):
        saved = sys.modules.get("_cffi_backend")
        sys.modules["_cffi_backend"] = backend
        sys.path.insert(0, str(tmp_path))
        try:
            for m in ("_ool_base", "_ool_top"):
                sys.modules.pop(m, None)
            import _ool_top

            f = _ool_top.ffi
            results.append((f.sizeof("struct seg"), f.offsetof("struct seg", "n"), f.typeof("myint").cname))
        finally:
            sys.path.remove(str(tmp_path))
            for m in ("_ool_base", "_ool_top"):
                sys.modules.pop(m, None)
            sys.modules["_cffi_backend"] = saved
    assert results[0] == results[1]


def test_use_for_cffi_modules(tmp_path):
    _generate(tmp_path, "_ool_hook", "int abs(int);")
    saved = sys.modules.get("_cffi_backend")
    sys.path.insert(0, str(tmp_path))
    try:
        assert abicall.use_for_cffi_modules() is saved
        import _ool_hook

        assert isinstance(_ool_hook.ffi, abicall.backend.FFI)
        assert _ool_hook.ffi.dlopen(None).abs(-9) == 9
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("_ool_hook", None)
        sys.modules["_cffi_backend"] = saved


def test_bad_tables():
    with pytest.raises(ImportError):
        abicall.backend.FFI("_x", _version=0x1234)
    with pytest.raises(ValueError):
        abicall.backend.FFI("_x", _version=0x2601, _types=b"\x00\x00\x01")
    with pytest.raises(ValueError):
        # a primitive number cffi does not define
        abicall.backend.FFI("_x", _version=0x2601, _types=b"\x00\x00\x7f\x01", _typenames=(b"\x00\x00\x00\x00t",))
    with pytest.raises(TypeError):
        abicall.backend.FFI(42)
    assert os.path.exists(os.path.dirname(abicall.__file__))


@pytest.mark.parametrize("backend_ffi", [_cffi_backend.FFI, abicall.backend.FFI], ids=["cffi", "abicall"])
def test_bad_type_strings_worded_as_cffi(backend_ffi):
    ffi = backend_ffi()
    cases = {
        "": "identifier expected\n\n^",
        "union  union": "struct or union name expected\nunion  union\n       ^",
        "struct  nowhere_s *": "undefined struct/union name\nstruct  nowhere_s *\n        ^",
        "Y" * 501: "undefined type name",
        "\x02 int": "identifier expected\n? int\n^",
    }
    for text, msg in cases.items():
        with pytest.raises(ffi.error) as e:
            ffi.typeof(text)
        assert str(e.value) == msg, text
