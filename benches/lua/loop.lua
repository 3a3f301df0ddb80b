-- One loop of `x = x + f(0.5)`, for instruction counts (benches/lua/callcount.sh):
-- lua5.4 loop.lua N ffi|plain
local ffi = require("ffi")
ffi.cdef("double cos(double);")
local n, which = tonumber(arg[1]), arg[2]
local f = which == "ffi" and ffi.C.cos or require("plaincos")
local x = 0
for _ = 1, n do x = x + f(0.5) end
print(x)
