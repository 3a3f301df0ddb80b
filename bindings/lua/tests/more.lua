-- More LuaJIT ffi behaviour, compared line by line with luajit's output.
local ffi = require("ffi")
local function f(x) return string.format("%.17g", x) end

ffi.cdef[[
extern int optind;
double pow(double, double);
double strtod(const char *, char **);
long strtol(const char *, char **, int);
int sprintf(char *, const char *, ...);
void *malloc(size_t);
void free(void *);
void *memset(void *, int, size_t);
typedef struct { double x, y; } vec2;
typedef double (*binop)(double, double);
typedef struct { int n; int items[?]; } bag;
enum mode { M_READ = 1, M_WRITE = 2, M_BOTH = 3 };
struct node { int v; struct node *next; };
]]

-- ffi.load and the C namespace share declarations
local m = ffi.load("m")
print("load", f(m.pow(2, 10)))

-- variables: read and write
local saved = ffi.C.optind
ffi.C.optind = 7
print("var", ffi.C.optind)
ffi.C.optind = saved

-- out-parameters
local endp = ffi.new("char *[1]")
local v = ffi.C.strtod("2.5rest", endp)
print("strtod", f(v), ffi.string(endp[0]))

-- errno from C
ffi.errno(0)
ffi.C.strtol("99999999999999999999", nil, 10)
print("ERANGE", ffi.errno() == 34)

-- errno through functions of scalar signatures (the module's direct path):
-- set by C, and the value given to ffi.errno reaches C unchanged
ffi.cdef("double log(double); double fabs(double);")
ffi.errno(0)
ffi.C.log(-1)
print("EDOM", ffi.errno() == 33)
ffi.errno(42)
ffi.C.fabs(-1.5)
print("kept", ffi.errno())

-- callbacks returning double, through a function pointer cdata
local add = ffi.cast("binop", function(a, b) return a + b end)
print("callback", f(add(1.25, 2)))
add:free()

-- struct values: typedef names, copies, by-value returns
local a = ffi.new("vec2", 1, 2)
local b = ffi.new("vec2", a)
b.x = 10
print("copy", f(a.x), f(b.x), ffi.sizeof("vec2"))
print("typeof", ffi.typeof("vec2") == ffi.typeof(a), ffi.istype("vec2", b), ffi.istype("vec2", 1))

-- metatypes with operators and tostring
local V = ffi.metatype("vec2", {
  __add = function(p, q) return ffi.new("vec2", p.x + q.x, p.y + q.y) end,
  __tostring = function(p) return string.format("(%g, %g)", p.x, p.y) end,
  __index = {len2 = function(p) return p.x * p.x + p.y * p.y end},
})
local s = V(1, 2) + V(3, 4)
print("metatype", tostring(s), f(s:len2()))

-- variable-length structs
local bg = ffi.new("bag", 4)
bg.n = 4
for i = 0, 3 do bg.items[i] = i * i end
print("vls", ffi.sizeof(bg), bg.items[3])

-- enums: constants and strings
local e = ffi.new("enum mode", "M_WRITE")
print("enum", tonumber(e), ffi.C.M_BOTH)

-- linked structures through pointers
local nodes = ffi.new("struct node[3]")
for i = 0, 2 do nodes[i].v = i + 1; nodes[i].next = i < 2 and nodes + (i + 1) or nil end
local sum, p = 0, ffi.cast("struct node *", nodes)
while p ~= nil and tonumber(ffi.cast("intptr_t", p)) ~= 0 do sum = sum + p.v; p = p.next end
print("list", sum)

-- malloc'ed memory with ffi.gc
local raw = ffi.gc(ffi.cast("int *", ffi.C.malloc(16)), ffi.C.free)
ffi.C.memset(raw, 0, 16)
raw[3] = 42
print("malloc", raw[0], raw[3])

-- 64-bit arithmetic and comparisons
local x = ffi.new("int64_t", 5)
local y = ffi.new("uint64_t", 3)
print("i64 ops", tostring(x + y), tostring(x - 7), tostring(-x), tostring(x * x), tostring(x / 2), tostring(x % 3), tostring(x ^ 3))
print("i64 cmp", x > y, x <= 5, x < 6)
print("u64 wrap", tostring(ffi.new("uint64_t", 0) - 1), tostring(ffi.new("uint32_t", 0) - 1))
print("tostring", tostring(ffi.new("int64_t", -12)), tostring(ffi.cast("uint64_t", 12)))

-- variadic conversions: numbers are doubles, strings char *, cdata keep their type
local buf = ffi.new("char[128]")
ffi.C.sprintf(buf, "%g|%s|%d|%u|%lld|%c", 1.5, "str", ffi.new("short", -3), ffi.new("unsigned char", 200), ffi.new("int64_t", 2^40), ffi.new("char", 65))
print("vararg", ffi.string(buf))

-- errors raised in nested callbacks, caught, and calls afterwards still work
local depth = 0
local cb
cb = ffi.cast("binop", function(a, b)
  depth = depth + 1
  if a > 2 then error("too deep") end
  return cb(a + 1, b)
end)
local ok, msg = pcall(cb, 0, 0)
print("nested", ok, (tostring(msg):match("too deep")), depth)
print("after", f(ffi.C.pow(3, 2)))
cb:free()

-- a callback resumed inside a coroutine
local co = coroutine.wrap(function()
  local sq = ffi.cast("binop", function(p, q) return p * q end)
  coroutine.yield(f(sq(6, 7)))
  sq:free()
  return "done"
end)
print("coroutine", co(), co())

-- bad conversions are Lua errors
print("bad arg", (pcall(ffi.C.pow, "x", 1)))
print("bad new", (pcall(ffi.new, "vec2", {x = "nope"})))
print("bad call", (pcall(ffi.C.pow, 1)))
print("no strings as numbers", (pcall(ffi.C.pow, "2", 1)), (pcall(ffi.new, "double", "2")))
print("truncation", ffi.C.strtol("12", nil, 10.9), tostring(ffi.new("int64_t", -2.9)))

-- platform queries
print("abi", ffi.abi("64bit"), ffi.abi("le"), ffi.abi("win"), ffi.abi("be"), ffi.os, ffi.arch)

-- parameterized types
local vp = ffi.typeof("$ *", ffi.typeof("vec2"))
local arr4 = ffi.typeof("int[$]", 4)
print("params", ffi.sizeof(arr4), vp == ffi.typeof("vec2 *"), ffi.sizeof(ffi.typeof("$[$]", ffi.typeof("vec2"), 3)))
