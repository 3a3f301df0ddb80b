-- ffi.metatype's __new (called by the ctype, not by ffi.new) and complex
-- numbers' .re/.im, printed with %g so LuaJIT and Lua 5.4 print alike.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { double x, y; } mvec2; ]]
local calls = 0
local mvec2
mvec2 = ffi.metatype("mvec2", {
  __new = function(ct, x, y) calls = calls + 1; return ffi.new(ct, x * 10, y * 10) end,
  __add = function(a, b) return mvec2(a.x + b.x, a.y + b.y) end,
  __index = { len = function(v) return math.sqrt(v.x * v.x + v.y * v.y) end },
})
local a = mvec2(0.3, 0.4)
print(string.format("%g %g %g", a.x, a.y, a:len()))
local b = a + a
print(string.format("%g %g calls=%d", b.x, b.y, calls))
local d = ffi.new("mvec2", 1, 2) -- the default constructor: no __new
print(string.format("%g %g calls=%d", d.x, d.y, calls))
local c = ffi.new("double _Complex", 1.5, -2)
print(string.format("%g %g", c.re, c.im))
local f = ffi.new("float _Complex", 0.5, 0.25)
print(string.format("%g %g", f.re, f.im))
local r = ffi.new("double _Complex", 3)
print(string.format("%g %g", r.re, r.im))
print(tostring(c), tostring(f), tostring(r))
print(pcall(function() return c + c end) == false) -- no complex arithmetic, as in LuaJIT
