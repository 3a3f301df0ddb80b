-- Layout, initializers and memory helpers, compared with luajit's output.
local ffi = require("ffi")
ffi.cdef[[
struct rec { char tag[8]; int vals[3]; struct { short a, b; } pair; bool ok; };
struct bits { unsigned lo : 4; unsigned hi : 12; int s : 7; };
union u { double d; uint64_t bits; };
typedef struct { uint8_t r, g, b, a; } rgba;
]]

print("offsetof", ffi.offsetof("struct rec", "vals"), ffi.offsetof("struct rec", "pair"), ffi.offsetof("struct rec", "ok"))
print("sizes", ffi.sizeof("struct rec"), ffi.sizeof("struct bits"), ffi.alignof("union u"), ffi.sizeof("rgba"))
print("bitfield offsetof", ffi.offsetof("struct bits", "hi"))

local r = ffi.new("struct rec", {"name", {1, 2, 3}, {5, 6}, true})
print("rec", ffi.string(r.tag), r.vals[0], r.vals[2], r.pair.a, r.pair.b, r.ok)
local r2 = ffi.new("struct rec", {tag = "x", pair = {b = 9}})
print("rec by name", ffi.string(r2.tag), r2.vals[1], r2.pair.a, r2.pair.b, r2.ok)

local b = ffi.new("struct bits", {lo = 15, hi = 4095, s = -64})
print("bits", b.lo, b.hi, b.s)
b.s = 63
b.lo = 16
print("bits wrap", b.lo, b.hi, b.s)

local u = ffi.new("union u", {1.0})
print("union", tostring(u.bits))
u.bits = 0
print("union zero", string.format("%g", u.d))

local px = ffi.new("rgba[2]", {{1, 2, 3, 4}, {5, 6, 7, 8}})
local bytes = ffi.cast("uint8_t *", px)
print("bytes", bytes[0], bytes[3], bytes[4], bytes[7])
local copy = ffi.new("rgba[2]")
ffi.copy(copy, px, ffi.sizeof(px))
print("copy", copy[1].r, copy[1].a)
ffi.fill(copy, ffi.sizeof(copy))
print("fill", copy[0].r, copy[1].a)

local p0 = ffi.cast("rgba *", px)
local p1 = p0 + 1
print("ptr cmp", p1 > p0, p0 < p1, p1 - p0, p0 == ffi.cast("rgba *", px))
print("intptr", tonumber(ffi.cast("intptr_t", p1) - ffi.cast("intptr_t", p0)))
print("deref", p1.g, p1[0].b, (p0 + 1).a)

local s = ffi.new("char[6]", "hello")
print("string len", ffi.string(s, ffi.new("size_t", 3)), #ffi.string(s))
print("bool", ffi.new("bool", 1) and true, tonumber(ffi.new("bool", true)))
