-- LuaJIT's FFI on the shapes of benches/peers/run.sh (run with `luajit` and
-- `luajit -joff`). os.clock() is process CPU time; best of 7, empty loop
-- subtracted. Prints "<label> <shape> <ns per call>".
local ffi = require("ffi")
local label, libpath = arg[1], arg[2]
ffi.cdef[[
struct pr_pt { double x, y; };
struct pr_m24 { long a, b, c; };
void pr_void(void);
long pr_add6(long, long, long, long, long, long);
size_t strlen(const char *);
struct pr_pt pr_addpt(struct pr_pt, struct pr_pt);
struct pr_m24 pr_m24(struct pr_m24);
void qsort(void *, size_t, size_t, int (*)(const void *, const void *));
]]
local L = ffi.load(libpath)
local C = ffi.C
local N = tonumber(arg[3] or "1000000")

local function best(f)
  local b = math.huge
  for _ = 1, 7 do
    local t0 = os.clock()
    f(N)
    local t = (os.clock() - t0) / N
    if t < b then b = t end
  end
  return b * 1e9
end

local empty = best(function(n) local s = 0 for i = 1, n do s = s + i end return s end)
local function report(shape, f) print(string.format("%s %s %.2f", label, shape, best(f) - empty)) end

report("void", function(n) local f = L.pr_void for _ = 1, n do f() end end)
report("add6", function(n) local f, s = L.pr_add6, 0 for i = 1, n do s = s + f(i, 2, 3, 4, 5, 6) end return s end)
local text = "hello, world"
report("strlen", function(n) local f, s = C.strlen, 0 for _ = 1, n do s = s + f(text) end return s end)
local p = ffi.new("struct pr_pt", 1.5, 2.5)
local q = ffi.new("struct pr_pt", 0.25, 4.0)
report("addpt", function(n) local f, s = L.pr_addpt, 0 for _ = 1, n do s = s + f(p, q).x end return s end)
local m = ffi.new("struct pr_m24", 1, 2, 3)
report("m24", function(n) local f, s = L.pr_m24, 0 for _ = 1, n do s = s + f(m).a end return s end)

-- qsort with a Lua comparator: ns per comparator call.
local calls = 0
local cb = ffi.cast("int (*)(const void *, const void *)", function(a, b)
  calls = calls + 1
  local x, y = ffi.cast("const int *", a)[0], ffi.cast("const int *", b)[0]
  return (x > y and 1 or 0) - (x < y and 1 or 0)
end)
local arr = ffi.new("int[64]")
local b = math.huge
for _ = 1, 7 do
  calls = 0
  local t0 = os.clock()
  for _ = 1, 2000 do
    for j = 0, 63 do arr[j] = (j * 37) % 64 end
    C.qsort(arr, 64, 4, cb)
  end
  local t = (os.clock() - t0) / calls
  if t < b then b = t end
end
print(string.format("%s qsort %.2f", label, b * 1e9))
cb:free()
