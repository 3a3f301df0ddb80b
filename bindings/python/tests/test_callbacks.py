"""Callbacks: Python functions as C function pointers (cffi and abicall)."""

import threading

import pytest


def test_callback_basic(ffi, lib):
    cb = ffi.callback("int(int, int)", lambda a, b: a * b)
    assert lib.apply(cb, 6, 7) == 42
    assert ffi.typeof(cb) is ffi.typeof("int(*)(int, int)")
    assert repr(cb).startswith("<cdata 'int(*)(int, int)' calling <function")


def test_callback_decorator(ffi, lib):
    @ffi.callback("int(int, int)")
    def sub(a, b):
        return a - b

    assert lib.apply(sub, 10, 3) == 7


def test_callback_called_from_python(ffi):
    cb = ffi.callback("int(int)", lambda x: x + 1)
    assert cb(41) == 42


def test_callback_double_and_void(ffi, lib):
    assert lib.apply_d(ffi.callback("double(double)", lambda x: x / 4), 1.0) == 0.25
    seen = []
    lib.apply_void(ffi.callback("void(int)", seen.append), 9)
    assert seen == [9]


def test_callback_struct_by_value(ffi, lib):
    def swap(p):
        return ffi.new("struct point *", [p.y, p.x])[0]

    cb = ffi.callback("struct point(struct point)", swap)
    r = lib.apply_pt(cb, lib.make_point(1, 2))
    assert (r.x, r.y) == (2, 1)


def test_callback_exception_returns_error_value(ffi, lib, monkeypatch):
    seen = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: seen.append(u.exc_type))

    def boom(a, b):
        raise ZeroDivisionError("boom")

    cb = ffi.callback("int(int, int)", boom, error=-5)
    assert lib.apply(cb, 1, 2) == -5
    cb0 = ffi.callback("int(int, int)", boom)
    assert lib.apply(cb0, 1, 2) == 0
    assert seen == [ZeroDivisionError, ZeroDivisionError]


def test_callback_onerror(ffi, lib):
    seen = []

    def onerror(exc, val, tb):
        seen.append((exc, str(val)))
        return 99

    cb = ffi.callback("int(int, int)", lambda a, b: 1 // 0, error=-1, onerror=onerror)
    assert lib.apply(cb, 1, 2) == 99
    assert seen[0][0] is ZeroDivisionError

    cb2 = ffi.callback("int(int, int)", lambda a, b: 1 // 0, error=-1, onerror=lambda *a: None)
    assert lib.apply(cb2, 1, 2) == -1


def test_callback_bad_return_value(ffi, lib):
    seen = []
    cb = ffi.callback("int(int, int)", lambda a, b: "not an int", error=-3,
                      onerror=lambda e, v, tb: seen.append(e))
    assert lib.apply(cb, 1, 2) == -3
    assert seen == [TypeError]


def test_callback_from_foreign_thread(ffi, lib):
    names = []

    def f(a, b):
        names.append(threading.current_thread().name)
        return a + b

    cb = ffi.callback("int(int, int)", f)
    assert lib.apply_in_thread(cb, 20, 22) == 42
    assert len(names) == 1


def test_callback_from_many_threads(ffi, lib):
    cb = ffi.callback("int(int, int)", lambda a, b: a + b)
    assert lib.apply_many_threads(cb, 8) == sum(2 * i for i in range(8))


def test_qsort_with_callback(backend):
    ffi = backend.FFI()
    ffi.cdef("void qsort(void *, size_t, size_t, int(*)(const void *, const void *));")
    c = ffi.dlopen(None)

    @ffi.callback("int(const void *, const void *)")
    def cmp(a, b):
        x = ffi.cast("int *", a)[0]
        y = ffi.cast("int *", b)[0]
        return (x > y) - (x < y)

    arr = ffi.new("int[]", [5, 3, 9, 1, 7])
    c.qsort(arr, 5, ffi.sizeof("int"), cmp)
    assert list(arr) == [1, 3, 5, 7, 9]


def test_callback_requires_callable(ffi):
    with pytest.raises(TypeError):
        ffi.callback("int(int)", 42)


def test_callback_pointer_args(ffi, lib):
    def f(p):
        return ffi.cast("int *", p)[0] * 2

    cb = ffi.callback("int(void *)", f)
    x = ffi.new("int *", 21)
    assert cb(x) == 42


def test_callback_exception_goes_to_unraisablehook(ffi, monkeypatch):
    seen = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: seen.append((u.exc_type, u.err_msg)))

    def boom(x):
        raise KeyError("nope")

    assert ffi.callback("int(int)", boom, error=7)(1) == 7
    assert seen[0][0] is KeyError
    assert seen[0][1].startswith("Exception ignored from cffi callback <function ")
    seen.clear()
    assert ffi.callback("int(int)", lambda x: "str", error=8)(1) == 8
    assert seen[0][0] is TypeError
    assert seen[0][1].endswith(", trying to convert the result back to C")


def test_callback_exception_in_foreign_thread(ffi, lib, monkeypatch):
    seen = []
    monkeypatch.setattr("sys.unraisablehook", lambda u: seen.append(u.exc_type))
    cb = ffi.callback("int(int, int)", lambda a, b: a // b, error=-9)
    assert lib.apply_in_thread(cb, 1, 0) == -9
    assert seen == [ZeroDivisionError]
