-- Nested aggregates, anonymous members, arrays of pointers, 2-D arrays.
local ffi = require("ffi")
ffi.cdef[[
struct shape { int kind; union { struct { double r; } circle; struct { double w, h; } rect; }; };
struct grid { int cells[3][4]; };
struct named { const char *names[3]; int count; };
]]

local s = ffi.new("struct shape")
s.kind = 2
s.rect.w = 3
s.rect.h = 4
print("anon union", s.kind, string.format("%g %g", s.rect.w, s.rect.h), string.format("%g", s.circle.r))
print("sizes", ffi.sizeof("struct shape"), ffi.offsetof("struct shape", "rect"), ffi.sizeof("struct grid"))

local g = ffi.new("struct grid")
for i = 0, 2 do for j = 0, 3 do g.cells[i][j] = i * 10 + j end end
print("grid", g.cells[0][0], g.cells[1][2], g.cells[2][3])
local flat = ffi.cast("int *", g.cells)
print("flat", flat[5], flat[11])

local keep = {"alpha", "beta", "gamma"}
local n = ffi.new("struct named")
for i = 1, 3 do n.names[i - 1] = keep[i] end
n.count = 3
print("names", ffi.string(n.names[0]), ffi.string(n.names[2]), n.count)

local arr = ffi.new("double[2][2]", {{1, 2}, {3, 4}})
print("2d init", string.format("%g %g %g %g", arr[0][0], arr[0][1], arr[1][0], arr[1][1]))
local ptrs = ffi.new("int *[2]")
local a, b = ffi.new("int[1]", 7), ffi.new("int[1]", 8)
ptrs[0], ptrs[1] = a, b
print("ptrs", ptrs[0][0], ptrs[1][0], ptrs[0] ~= ptrs[1])
