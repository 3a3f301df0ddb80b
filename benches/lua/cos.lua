-- Per-call cost of `cos` through a LuaJIT-style ffi call, measured in one
-- run against a plain Lua C function calling cos (benches/lua/plaincos.c).
-- Run by benches/lua/run.sh under lua5.4 (+ abicall module) and luajit -joff.
local ffi = require("ffi")
ffi.cdef("double cos(double);")
local N = tonumber(arg and arg[1]) or 2000000
local ROUNDS = 7

local function once(f)
  local t0 = os.clock()
  local x = 0
  for i = 1, N do x = x + f(0.5) end
  return os.clock() - t0
end

-- The candidates run in turns within each round (so load on the machine
-- hits them alike); each keeps its best round.
local ok, plain = pcall(require, "plaincos")
local rows = {{"ffi.C.cos (local)", ffi.C.cos}}
if ok then rows[#rows + 1] = {"plain Lua C function", plain} end
rows[#rows + 1] = {"math.cos", math.cos}
for _, r in ipairs(rows) do r[3] = math.huge end
for _ = 1, ROUNDS do
  for _, r in ipairs(rows) do r[3] = math.min(r[3], once(r[2])) end
end
for _, r in ipairs(rows) do r[2] = r[3] / N * 1e9 end
local impl = jit and ("luajit " .. (jit.status() and "(JIT on)" or "-joff")) or (_VERSION .. " + abicall")
for _, r in ipairs(rows) do
  print(string.format("%-24s %-22s %7.1f ns/call", impl, r[1], r[2]))
end
if ok then
  print(string.format("%-24s ratio ffi / plain C function: %.2fx", impl, rows[1][2] / rows[2][2]))
end
