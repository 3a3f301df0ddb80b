"""The quick call path (bindings/python/src/quick.rs): calls whose
arguments are exactly int / float / bytes / pointer cdata skip the general
conversion. Every edge of what it takes and what it leaves to the general
path must give what cffi gives: the same values, the same exception types,
errno, callbacks, threads."""

import threading

import pytest

from conftest import CDEF, _module


def outcome(f):
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - comparing exception types is the point
        return ("raise", type(e).__name__)


class Idx:
    def __index__(self):
        return 7


class MyInt(int):
    pass


class MyFloat(float):
    pass


def cases(ffi, lib):
    """(name, thunk) pairs exercised on both backends."""
    p = ffi.new("int *", 41)
    arr = ffi.new("int[4]", [1, 2, 3, 4])
    vp = ffi.cast("void *", p)
    return [
        ("add", lambda: lib.add(2, 3)),
        ("add max", lambda: lib.add(2**31 - 1, 0)),
        ("add min", lambda: lib.add(-(2**31), 0)),
        ("add overflow", lambda: lib.add(2**31, 0)),
        ("add huge", lambda: lib.add(2**70, 0)),
        ("add float", lambda: lib.add(1.5, 0)),
        ("add str", lambda: lib.add("1", 0)),
        ("add None", lambda: lib.add(None, 0)),
        ("add bool", lambda: lib.add(True, 1)),
        ("add subclass", lambda: lib.add(MyInt(5), 1)),
        ("add __index__", lambda: lib.add(Idx(), 1)),
        ("add few", lambda: lib.add(1)),
        ("add many", lambda: lib.add(1, 2, 3)),
        ("add kw", lambda: lib.add(1, b=2)),
        ("uc 255", lambda: lib.uc_echo(255)),
        ("uc 256", lambda: lib.uc_echo(256)),
        ("uc -1", lambda: lib.uc_echo(-1)),
        ("sc -128", lambda: lib.sc_neg(-128 + 1)),
        ("sc 128", lambda: lib.sc_neg(128)),
        ("i64 min", lambda: lib.i64_neg(-(2**63) + 1)),
        ("i64 over", lambda: lib.i64_neg(2**63)),
        ("u64 max", lambda: lib.u64_max()),
        ("add64", lambda: lib.add64(2**62, 2**62 - 1)),
        ("fmul", lambda: lib.fmul(1.5, 2.25)),
        ("fmul int", lambda: lib.fmul(3, 2)),
        ("fmul sub", lambda: lib.fmul(MyFloat(0.5), 4.0)),
        ("fmul inf", lambda: lib.fmul(float("inf"), 1.0)),
        ("dsum10", lambda: lib.dsum10(*[0.5 * i for i in range(10)])),
        ("isum10", lambda: lib.isum10(*range(10))),
        ("isum10 short", lambda: lib.isum10(*range(9))),
        ("int_ptr_id", lambda: lib.int_ptr_id(p)[0]),
        ("int_ptr_id arr", lambda: lib.int_ptr_id(arr)[2]),
        ("int_ptr_id void*", lambda: outcome(lambda: lib.int_ptr_id(vp)) [0]),
        ("int_ptr_id NULL", lambda: lib.int_ptr_id(ffi.NULL) == ffi.NULL),
        ("int_ptr_id None", lambda: lib.int_ptr_id(None) == ffi.NULL),
        ("int_ptr_id wrong", lambda: lib.int_ptr_id(ffi.new("char *"))),
        ("int_ptr_id int", lambda: lib.int_ptr_id(5)),
        ("sum_array", lambda: lib.sum_array(arr, 4)),
        ("sum_array bytes", lambda: lib.sum_array(b"abcd", 1)),
        ("echo_ptr bytes", lambda: lib.echo_ptr(b"xy") != ffi.NULL),
        ("fill_buf bytes", lambda: outcome(lambda: lib.fill_buf(b"\0" * 4, 2, b"z"))),
        ("errno", lambda: (lib.fail_with_errno(13), ffi.errno)),
        ("is_even", lambda: lib.is_even(4)),
        ("next_color", lambda: lib.next_color(0)),
    ]


@pytest.mark.parametrize("i", range(44))
def test_quick_path_matches_cffi(i, libpath):
    got = {}
    for name in ("cffi", "abicall"):
        m = _module(name)
        ffi = m.FFI()
        ffi.cdef(CDEF)
        lib = ffi.dlopen(libpath)
        cs = cases(ffi, lib)
        assert len(cs) == 44
        label, thunk = cs[i]
        got[name] = outcome(thunk)
    assert got["abicall"] == got["cffi"], label


def test_quick_path_is_taken_where_it_applies(libpath):
    import abicall

    ffi = abicall.FFI()
    ffi.cdef(CDEF)
    lib = ffi.dlopen(libpath)
    for name in ("add", "add64", "fmul", "dsum10", "isum10", "sum_array", "apply", "wlen", "u64_max", "fail_with_errno"):
        assert getattr(lib, name)._quick_path, name
    # Not taken: records, long double, variadics, char and _Bool
    # parameters, pointer results (a cdata is made: the general path).
    for name in ("make_point", "point_sum", "ldadd", "varsum", "char_next", "greet", "int_ptr_id", "fill_buf"):
        f = getattr(lib, name)
        assert not f._quick_path, name


def test_quick_path_callbacks_errno_and_threads(libpath):
    import abicall

    ffi = abicall.FFI()
    ffi.cdef(CDEF)
    lib = ffi.dlopen(libpath)
    seen = []

    @ffi.callback("int(int, int)")
    def mul(a, b):
        seen.append(threading.get_ident())
        return a * b

    # apply() takes a function pointer cdata: quick path, callback inside.
    assert lib.apply._quick_path
    assert lib.apply(mul, 6, 7) == 42
    # the GIL is released around the call: a callback from another thread runs
    assert lib.apply_in_thread(mul, 3, 5) == 15
    assert len(set(seen)) == 2
    # errno set by C survives Python code run between calls
    lib.fail_with_errno(7)
    [x * 2 for x in range(100)]
    assert ffi.errno == 7
    ffi.errno = 0
    # many threads through the same Function at once
    errors = []

    def work(k):
        try:
            for j in range(2000):
                assert lib.add(k, j) == k + j
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_cast_and_new_find_the_type_table_of_each_ffi():
    """ffi.cast / ffi.new read the FFI's type table from its slot directly
    once measured (methods.rs): instances of FFI and of a subclass, taking
    turns, each see their own declarations, also after the subclass is
    modified."""
    import abicall

    class MyFFI(abicall.FFI):
        pass

    a, b = abicall.FFI(), MyFFI()
    a.cdef("typedef int T;")
    b.cdef("typedef double T;")
    for _ in range(3):
        assert a.typeof(a.cast("T", 1.0)).cname == "int"
        assert b.typeof(b.cast("T", 1)).cname == "double"
        assert a.new("T *", 5)[0] == 5
        assert b.new("T *", 0.5)[0] == 0.5
        p = a.new("int *", 7)
        assert a.cast("int *", a.cast("void *", p))[0] == 7
        q = b.new("int *", 9)
        assert b.cast("int *", b.cast("void *", q))[0] == 9
    MyFFI.extra = 1  # the subclass changes: its version tag is renewed
    assert b.cast("T", 2).__class__ is not None and float(b.cast("T", 2)) == 2.0
    assert int(a.cast("T", 3)) == 3
