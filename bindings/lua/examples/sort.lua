-- A LuaJIT ffi program: qsort with a Lua comparator, a struct by value,
-- and a Lua error raised inside a callback. Runs unchanged under luajit and
-- under lua5.4 with the abicall module preloaded as `ffi`.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { int quot; int rem; } div_t;
div_t div(int, int);
void qsort(void *, size_t, size_t, int (*)(const void *, const void *));
]]

local d = ffi.C.div(17, 5)
print(string.format("div(17, 5) = {%d, %d}, sizeof(div_t) = %d", d.quot, d.rem, ffi.sizeof("div_t")))
print("same ctype:", ffi.typeof("div_t") == ffi.typeof(d))

local xs = ffi.new("int[6]", {5, 3, 9, 1, 8, 2})
local cmp = ffi.cast("int (*)(const void *, const void *)", function(a, b)
  local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
  return x < y and -1 or (x > y and 1 or 0)
end)
ffi.C.qsort(xs, 6, ffi.sizeof("int"), cmp)
print("sorted:", xs[0], xs[1], xs[2], xs[3], xs[4], xs[5])

cmp:set(function() error("comparator gave up") end)
local ok, err = pcall(ffi.C.qsort, xs, 6, ffi.sizeof("int"), cmp)
print("error from the callback:", ok, err:match("comparator gave up"))
cmp:free()
