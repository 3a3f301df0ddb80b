-- Plain LuaJIT ffi code: runs unchanged under luajit and under lua5.4 with
-- the abicall module (tests/run.sh preloads it as `ffi`). Output must match.
local ffi = require("ffi")
local function show(...) print(...) end
local function f(x) return string.format("%.17g", x) end

ffi.cdef[[
typedef struct { int quot; int rem; } div_t;
div_t div(int, int);
double cos(double);
int abs(int);
size_t strlen(const char *);
int snprintf(char *, size_t, const char *, ...);
void qsort(void *, size_t, size_t, int (*)(const void *, const void *));
char *strerror(int);
int atoi(const char *);
long long llabs(long long);
struct pt { int x, y; };
struct box { struct pt lo, hi; double scale; };
struct flags { unsigned a : 3; unsigned b : 5; int c : 4; };
union num { int i; float f; unsigned char b[4]; };
enum color { RED, GREEN = 5, BLUE };
]]

-- calls, numbers, strings
show("cos", f(ffi.C.cos(0.5)))
show("abs", ffi.C.abs(-42))
show("strlen", tonumber(ffi.C.strlen("hello")))
show("atoi", ffi.C.atoi("1234"))
local d = ffi.C.div(17, 5)
show("div", d.quot, d.rem)

-- sizes and layout
show("sizeof", ffi.sizeof("struct box"), ffi.alignof("struct box"), ffi.offsetof("struct box", "scale"))
show("sizeof div_t", ffi.sizeof("div_t"), ffi.sizeof("union num"), ffi.sizeof("int[7]"))

-- new and initializers
local p = ffi.new("struct pt", 3, 4)
show("pt", p.x, p.y)
local b = ffi.new("struct box", {lo = {1, 2}, hi = {x = 5, y = 6}, scale = 2.5})
show("box", b.lo.x, b.lo.y, b.hi.x, b.hi.y, f(b.scale))
b.hi.y = 60
show("box.hi.y", b.hi.y)
local a = ffi.new("int[5]", {10, 20, 30})
show("arr", a[0], a[1], a[2], a[3], a[4])
local r = ffi.new("int[4]", 7)
show("repeat", r[0], r[1], r[2], r[3])
local v = ffi.new("double[?]", 3)
v[2] = 1.5
show("vla", f(v[0]), f(v[2]), ffi.sizeof(v))
local s = ffi.new("char[16]", "abc")
show("string", ffi.string(s), ffi.string(s, 2))
local z = ffi.new("int[3]", 1, 2)
show("zero-fill", z[0], z[1], z[2])

-- unions and bitfields
local u = ffi.new("union num")
u.i = 0x3f800000
show("union", f(u.f), u.b[3])
local fl = ffi.new("struct flags")
fl.a = 5; fl.b = 17; fl.c = -3
show("bits", fl.a, fl.b, fl.c)
fl.a = 9
show("wrap", fl.a, fl.b)
show("enum", ffi.C.GREEN, ffi.C.BLUE)

-- snprintf, variadic conversions
local buf = ffi.new("char[64]")
local n = ffi.C.snprintf(buf, 64, "%s-%d-%.2f-%lld", "x", ffi.new("int", 7), 2.5, ffi.new("long long", 123456789012))
show("snprintf", n, ffi.string(buf))

-- 64-bit integers
local big = ffi.new("int64_t", 2^53) + 1
show("i64", tostring(big), tostring(big + 1), tostring(big * 2))
local ub = ffi.cast("uint64_t", 0) - 1
show("u64", tostring(ub), tostring(ub / 2))
show("llabs", tostring(ffi.C.llabs(-5)))
show("tonumber", tonumber(ffi.new("int", 12)), tonumber(ffi.new("int64_t", 99)))
show("cmp", big > ffi.new("int64_t", 1), ffi.new("int64_t", 3) < ffi.new("int64_t", 4))

-- pointers
local ia = ffi.new("int[4]", {1, 2, 3, 4})
local ip = ffi.cast("int *", ia)
show("ptr", ip[0], (ip + 2)[0], (ip + 3) - ip, ip + 1 > ip)
ip[1] = 20
show("ptr write", ia[1])
local np = ffi.cast("int *", 0)
show("null", np == ffi.cast("void *", 0))
show("typeof", tostring(ffi.typeof("int")), ffi.istype("struct pt", p), ffi.istype("int", p))

-- copy and fill
local dst = ffi.new("char[8]")
ffi.copy(dst, "hi")
ffi.fill(dst + 2, 3, 65)
show("copy/fill", ffi.string(dst, 5))

-- callbacks
local cmp = ffi.cast("int (*)(const void *, const void *)", function(x, y)
  local i, j = ffi.cast("const int *", x)[0], ffi.cast("const int *", y)[0]
  return i < j and -1 or (i > j and 1 or 0)
end)
local data = ffi.new("int[6]", {5, 3, 9, 1, 8, 2})
ffi.C.qsort(data, 6, ffi.sizeof("int"), cmp)
show("qsort", data[0], data[1], data[2], data[3], data[4], data[5])
cmp:set(function(x, y)
  local i, j = ffi.cast("const int *", x)[0], ffi.cast("const int *", y)[0]
  return j - i
end)
ffi.C.qsort(data, 6, 4, cmp)
show("qsort desc", data[0], data[5])
cmp:free()

-- errors raised in a callback come back as Lua errors of the outer call
local bad = ffi.cast("int (*)(const void *, const void *)", function() error("boom in callback") end)
local ok, err = pcall(ffi.C.qsort, data, 6, 4, bad)
show("cb error", ok, (tostring(err):match("boom in callback")))
bad:free()

-- errno
ffi.errno(0)
ffi.C.strerror(2)
show("errno", ffi.errno(7), ffi.errno())

-- metatype
local Pt = ffi.metatype("struct pt", {__index = {norm2 = function(self) return self.x * self.x + self.y * self.y end}})
show("metatype", Pt(3, 4):norm2())

-- gc
local freed = 0
do local g = ffi.gc(ffi.new("int[1]"), function() freed = freed + 1 end) end
collectgarbage(); collectgarbage()
show("gc", freed)

-- errors are Lua errors
show("bad cdef", (pcall(ffi.cdef, "struct s { int x y; };")))
show("bad field", (pcall(function() return p.nope end)))
show("bad type", (pcall(ffi.new, "struct nosuch")))
