"""Calling C functions: scalars, structs by value, pointers, variadics,
errors. Every test runs on cffi and on abicall (the `backend` fixture)."""

import math

import pytest


def test_int_args_and_return(lib):
    assert lib.add(2, 3) == 5
    assert lib.add(-7, 3) == -4
    assert lib.add64(2**40, 2**40) == 2**41


def test_int_overflow_raises_overflowerror(lib):
    with pytest.raises(OverflowError):
        lib.add(2**31, 0)
    with pytest.raises(OverflowError):
        lib.uc_echo(256)
    with pytest.raises(OverflowError):
        lib.uc_echo(-1)


def test_wrong_argument_count_is_typeerror(lib):
    with pytest.raises(TypeError):
        lib.add(1)
    with pytest.raises(TypeError):
        lib.add(1, 2, 3)


def test_wrong_argument_type_is_typeerror(lib):
    with pytest.raises(TypeError):
        lib.add(1.5, 2)
    with pytest.raises(TypeError):
        lib.add("1", 2)
    with pytest.raises(TypeError):
        lib.fmul("x", 1.0)


def test_narrow_integers(lib):
    assert lib.uc_echo(255) == 255
    assert lib.sc_neg(5) == -5
    assert lib.sc_neg(-128) == -128
    assert lib.i64_neg(-(2**63) + 1) == 2**63 - 1
    assert lib.u64_max() == 2**64 - 1


def test_char_and_bool(lib):
    assert lib.char_next(b"a") == b"b"
    with pytest.raises(TypeError):
        lib.char_next(97)
    assert lib.is_even(4) is True
    assert lib.is_even(3) is False


def test_floats(ffi, lib):
    assert lib.fmul(1.5, 2.0) == 3.0
    assert lib.fmul(3, 2) == 6.0
    assert lib.dsum10(*[0.5] * 10) == 5.0
    assert isinstance(lib.fmul(1.0, 1.0), float)


def test_many_int_args_use_the_stack(lib):
    assert lib.isum10(*range(1, 11)) == 55


def test_libm_by_soname(backend):
    ffi = backend.FFI()
    ffi.cdef("double cos(double); double pow(double, double);")
    m = ffi.dlopen("libm.so.6")
    assert m.cos(0.0) == 1.0
    assert m.pow(2.0, 10.0) == 1024.0
    assert abs(m.cos(1.0) - math.cos(1.0)) < 1e-15


def test_dlopen_none_is_libc(backend):
    ffi = backend.FFI()
    ffi.cdef("size_t strlen(const char *); int abs(int);")
    c = ffi.dlopen(None)
    assert c.strlen(b"hello") == 5
    assert c.abs(-3) == 3


def test_struct_by_value(ffi, lib):
    p = lib.make_point(3, 4)
    assert ffi.typeof(p) is ffi.typeof("struct point")
    assert (p.x, p.y) == (3, 4)
    assert lib.point_sum(p) == 7
    q = lib.point_swap(p)
    assert (q.x, q.y) == (4, 3)


def test_struct_result_outlives_its_views(ffi, lib):
    # a struct result owns its bytes (abicall keeps small ones inside the
    # cdata): pointers and buffers taken from it keep them alive
    import gc

    p = lib.make_point(3, 4)
    q = ffi.addressof(p)
    y = ffi.addressof(p, "y")
    buf = ffi.buffer(q)
    r = repr(p)
    del p
    gc.collect()
    lib.make_point(7, 8)  # reuses freed memory, if any
    assert (q.x, q.y, y[0]) == (3, 4, 4)
    assert bytes(buf) == bytes(ffi.buffer(ffi.new("struct point *", [3, 4])))
    assert r == "<cdata 'struct point' owning 8 bytes>"
    b = lib.big_make(1)  # 48 bytes: too big to keep inside the cdata
    v = b.v
    del b
    gc.collect()
    assert list(v) == [1, 2, 3, 4, 5, 6]


def test_struct_by_value_from_new(ffi, lib):
    p = ffi.new("struct point *", [10, 20])
    assert lib.point_sum(p[0]) == 30


def test_nested_struct_by_value(lib):
    r = lib.make_rect(1, 2, 4, 6)
    assert (r.a.x, r.a.y, r.b.x, r.b.y) == (1, 2, 4, 6)
    assert lib.rect_area(r) == 12


def test_double_pair_struct(lib, ffi):
    p = ffi.new("struct dpair *", [1.5, -2.0])
    r = lib.dpair_scale(p[0], 2.0)
    assert (r.a, r.b) == (3.0, -4.0)


def test_big_struct_in_memory(lib):
    b = lib.big_make(10)
    assert list(b.v) == [10, 11, 12, 13, 14, 15]
    assert lib.big_sum(b) == 75


def test_mixed_struct(lib):
    m = lib.mixed_make(b"z", 2.5, -9)
    assert (m.c, m.d, m.i) == (b"z", 2.5, -9)


def test_struct_pointer_is_modified_in_place(ffi, lib):
    p = ffi.new("struct point *", {"x": 1, "y": 2})
    lib.point_inc(p)
    assert (p.x, p.y) == (2, 3)


def test_wrong_struct_type_is_typeerror(ffi, lib):
    r = ffi.new("struct rect *")
    with pytest.raises(TypeError):
        lib.point_sum(r[0])
    with pytest.raises(TypeError):
        lib.point_inc(ffi.new("struct rect *"))


def test_pointer_return_and_identity(ffi, lib):
    x = ffi.new("int *", 5)
    y = lib.int_ptr_id(x)
    assert ffi.typeof(y) is ffi.typeof("int *")
    assert y == x
    assert y[0] == 5


def test_void_pointer_accepts_any_pointer(ffi, lib):
    x = ffi.new("int *")
    v = lib.echo_ptr(x)
    assert ffi.typeof(v) is ffi.typeof("void *")
    assert v == x
    assert lib.echo_ptr(ffi.NULL) == ffi.NULL


def test_incompatible_pointer_is_typeerror(ffi, lib):
    with pytest.raises(TypeError):
        lib.int_ptr_id(ffi.new("char[4]"))
    with pytest.raises(TypeError):
        lib.int_ptr_id(1234)


def test_list_for_pointer_makes_temporary_array(lib):
    assert lib.sum_array([1, 2, 3, 4], 4) == 10
    assert lib.sum_array((5, 6), 2) == 11


def test_array_for_pointer(ffi, lib):
    a = ffi.new("int[]", [1, 2, 3])
    assert lib.sum_array(a, 3) == 6
    assert lib.sum_array(a + 1, 2) == 5


def test_char_buffer_written_by_c(ffi, lib):
    buf = ffi.new("char[5]")
    lib.fill_buf(buf, 4, b"z")
    assert ffi.string(buf) == b"zzzz"
    ba = bytearray(b"......")
    lib.fill_buf(ffi.from_buffer(ba), 3, b"q")
    assert ba == bytearray(b"qqq...")


def test_char_pointer_return_and_string(ffi, lib):
    s = lib.greet()
    assert ffi.typeof(s) is ffi.typeof("char *")
    assert ffi.string(s) == b"hello"
    assert ffi.string(s, 3) == b"hel"


def test_wchar_string(ffi, lib):
    s = lib.wgreet()
    assert ffi.string(s) == "h\u00e9llo"
    w = ffi.new("wchar_t[]", "abc")
    assert lib.wlen(w) == 3
    assert lib.wlen("h\u00e9llo") == 5
    assert ffi.string(w) == "abc"


def test_enum_arguments_and_constants(ffi, lib):
    assert lib.RED == 0 and lib.GREEN == 5 and lib.BLUE == 6
    assert lib.next_color(lib.RED) == lib.GREEN
    assert lib.next_color(lib.BLUE) == 0
    assert ffi.string(ffi.cast("enum color", 5)) == "GREEN"
    assert ffi.string(ffi.cast("enum color", 77)) == "77"


def test_define_constants(lib):
    assert lib.ANSWER == 42


def test_global_variables(ffi, lib):
    lib.counter = 100
    assert lib.counter == 100
    assert lib.counter_bump() == 101
    assert lib.counter == 101
    assert (lib.origin.x, lib.origin.y) == (3, 4)
    lib.table = [10, 20, 30, 40]
    assert list(lib.table) == [10, 20, 30, 40]
    lib.table[1] = 21
    assert lib.table[1] == 21
    p = ffi.addressof(lib, "counter")
    assert ffi.typeof(p) is ffi.typeof("int *")
    assert p[0] == 101


def test_missing_function_is_attributeerror(backend, libpath):
    ffi = backend.FFI()
    ffi.cdef("int no_such_function_here(int);")
    lib = ffi.dlopen(libpath)
    with pytest.raises(AttributeError):
        lib.no_such_function_here
    with pytest.raises(AttributeError):
        lib.not_declared_at_all


def test_dlopen_missing_library_is_oserror(backend):
    with pytest.raises(OSError):
        backend.FFI().dlopen("libdoes-not-exist-abicall.so")


def test_variadic_with_cdata_ints(ffi, lib):
    assert lib.varsum(3, ffi.cast("int", 1), ffi.cast("int", 2), ffi.cast("int", 3)) == 6
    assert lib.vardsum(2, ffi.cast("double", 1.5), ffi.cast("double", 2.0)) == 3.5


def test_variadic_printf_snprintf(backend):
    ffi = backend.FFI()
    ffi.cdef("int snprintf(char *, size_t, const char *, ...);")
    c = ffi.dlopen(None)
    buf = ffi.new("char[64]")
    n = c.snprintf(buf, 64, b"%d-%s-%.1f", ffi.cast("int", 42), ffi.new("char[]", b"xy"), ffi.cast("double", 2.5))
    assert ffi.string(buf) == b"42-xy-2.5"
    assert n == 9


def test_function_pointer_cast_and_call(ffi, lib):
    fp = ffi.cast("int(*)(int, int)", lib.add)
    assert fp(20, 22) == 42
    assert ffi.typeof(lib.add) is ffi.typeof("int(*)(int, int)")


def test_errno_is_saved_after_call(ffi, lib):
    assert lib.fail_with_errno(34) == -1
    assert ffi.errno == 34
    ffi.errno = 5
    assert lib.get_errno() == 5


def test_null_passed_as_pointer(ffi, lib):
    assert lib.int_ptr_id(ffi.NULL) == ffi.NULL
    with pytest.raises(TypeError):
        lib.int_ptr_id(None)
