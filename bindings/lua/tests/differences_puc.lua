-- Where PUC Lua 5.4 cannot express a LuaJIT semantic, and what the module
-- offers instead (run under lua5.4 only; see bindings/lua/README.md).
local ffi = require("ffi")
ffi.cdef("void *malloc(size_t); void free(void *);")

-- 1. A NULL pointer is not == nil: Lua 5.4 calls __eq only when both
--    operands are tables or full userdata. Compare with ffi.nullptr.
local p = ffi.cast("void *", 0)
assert(p ~= nil, "a NULL cdata is a userdata, never nil")
assert(p == ffi.nullptr)
assert(ffi.cast("int *", 0) == ffi.nullptr)
local q = ffi.C.malloc(8)
assert(q ~= ffi.nullptr)
ffi.C.free(q)

-- 2. A 64-bit cdata is not == a Lua number (same reason); <, <= work.
local x = ffi.new("int64_t", 5)
assert(not (x == 5))
assert(x == ffi.new("int64_t", 5))
assert(x <= 5 and x < 6 and not (x < 5))

-- 3. tonumber: the module wraps the global so it converts cdata (LuaJIT's
--    tonumber does); it returns integers for integer cdata.
assert(tonumber(x) == 5 and math.type(tonumber(x)) == "integer")
assert(tonumber("12") == 12 and tonumber("z", 36) == 35)
assert(ffi.tonumber == tonumber)

-- 4. Lua 5.4 has integers: C integers up to 32 bits come back as Lua
--    integers, doubles as floats (print(1.0) shows "1.0", LuaJIT "1").
ffi.cdef("double floor(double); int abs(int);")
assert(math.type(ffi.C.floor(2.5)) == "float")
assert(math.type(ffi.C.abs(-2)) == "integer")

-- 5. A Lua error in a callback is re-raised by the outer call, with its
--    original value (tables too), after abicall and C returned.
ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const void *, const void *));")
local cb = ffi.cast("int (*)(const void *, const void *)", function() error({code = 7}) end)
local arr = ffi.new("int[2]", {2, 1})
local ok, e = pcall(ffi.C.qsort, arr, 2, 4, cb)
assert(not ok and type(e) == "table" and e.code == 7)
cb:free()
print("ok differences_puc.lua")
