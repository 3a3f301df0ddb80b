"""Explicit side-by-side runs: the same body on cffi and on abicall must
give equal results (reprs, values, exception types)."""

import pytest

from conftest import run_both


def outcome(f):
    """The result of f(), or the exception's type name."""
    try:
        return ("ok", f())
    except Exception as e:  # noqa: BLE001 - comparing exception types is the point
        return ("raise", type(e).__name__)


def body_reprs(ffi, lib):
    return [
        repr(ffi.new("int *")),
        repr(ffi.new("int[3]")),
        repr(ffi.new("struct point *")),
        repr(ffi.cast("int", -3)),
        repr(ffi.cast("unsigned short", 70000)),
        repr(ffi.cast("double", 0.5)),
        repr(ffi.cast("char", 10)),
        repr(ffi.NULL),
        repr(ffi.typeof("struct rect")),
        repr(ffi.typeof("int(*)(int, int)")),
        repr(lib.make_point(1, 2)),
    ]


def body_values(ffi, lib):
    a = ffi.new("int[]", list(range(6)))
    p = ffi.new("struct rect *", {"a": [1, 2], "b": {"x": 3, "y": 4}})
    return [
        list(a), a[5], (a + 2)[1], (a + 5) - (a + 1), len(a[1:3]),
        p.a.x, p.b.y, lib.rect_area(p[0]),
        lib.add(1, 2), lib.fmul(0.5, 0.25), lib.uc_echo(200), lib.sc_neg(100),
        lib.sum_array([3, 4, 5], 3), ffi.string(lib.greet()), ffi.unpack(a, 3),
        ffi.buffer(ffi.new("short *", -2))[:], ffi.sizeof("struct big"), ffi.alignof("struct dpair"),
        int(ffi.cast("unsigned int", -1)), int(ffi.cast("long", 1.9)), ffi.cast("_Bool", 0.0) == 0,
    ]


def body_errors(ffi, lib):
    return [
        outcome(lambda: lib.add(1)),
        outcome(lambda: lib.add(2**32, 1)),
        outcome(lambda: lib.add(None, 1)),
        outcome(lambda: lib.fmul(b"x", 1.0)),
        outcome(lambda: lib.point_sum(1)),
        outcome(lambda: lib.int_ptr_id(ffi.new("char *"))),
        outcome(lambda: ffi.new("int[2]", [1, 2, 3])),
        outcome(lambda: ffi.new("struct point *", [1, 2, 3])),
        outcome(lambda: ffi.new("struct point *", {"q": 1})),
        outcome(lambda: ffi.new("int")),
        outcome(lambda: ffi.new("int[2]")[2]),
        outcome(lambda: len(ffi.new("int *"))),
        outcome(lambda: ffi.string(ffi.cast("char *", 0))),
        outcome(lambda: int(ffi.new("int *"))),
        outcome(lambda: ffi.new("signed char *", 128)),
        outcome(lambda: ffi.new("struct point *").nope),
        outcome(lambda: ffi.typeof("struct nope *").item.fields),
    ]


def body_callbacks(ffi, lib):
    out = []
    cb = ffi.callback("int(int, int)", lambda a, b: a ** 2 + b)
    out.append(lib.apply(cb, 3, 4))
    out.append(lib.apply_in_thread(cb, 5, 1))
    cbe = ffi.callback("int(int, int)", lambda a, b: a // b, error=-1, onerror=lambda *a: None)
    out.append(lib.apply(cbe, 1, 0))
    out.append(lib.apply(cbe, 9, 3))
    return out


@pytest.mark.parametrize("body", [body_reprs, body_values, body_errors, body_callbacks])
def test_same_results(body, libpath):
    cffi_result, abicall_result = run_both(body, libpath)
    assert abicall_result == cffi_result
