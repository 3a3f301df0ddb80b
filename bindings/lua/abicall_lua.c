/*
 * abicall_lua.c -- a Lua 5.4 module offering LuaJIT's `ffi` API, written
 * against include/abicall.h only (the C API of abicall).
 *
 *   package.preload.ffi = function() return require("abicall") end
 *   local ffi = require("ffi")
 *
 * Layout of this file (docs/guide.md, "Embedding in an interpreter"):
 *   1. state, errors          -- one abicall context per Lua state; every
 *                                abicall status becomes a Lua error *after*
 *                                abicall returned (no longjmp crosses it)
 *   2. ctypes                 -- interned by abicall_type_id
 *   3. cdata                  -- userdata holding or pointing to C memory
 *   4. conversions            -- Lua value <-> C bytes, LuaJIT's rules
 *   5. initializers           -- ffi.new's rules (tables, VLAs, strings)
 *   6. indexing, arithmetic   -- fields, elements, pointers, 64-bit ints
 *   7. calls                  -- prepared abicall_function per signature
 *   8. callbacks              -- status callbacks; Lua errors saved and
 *                                re-raised after abicall_call returns
 *   9. the ffi table
 */
#include <lua.h>
#include <lauxlib.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "abicall.h"

#define CTYPE_MT "abicall.ctype"
#define CDATA_MT "abicall.cdata"
#define FUNC_MT "abicall.func"
#define NS_MT "abicall.namespace"
#define MAX_ARGS 32

/* ---------------------------------------------------------------- 1. state */

typedef struct state {
  abicall_context *ctx;
  abicall_library *process;
} state;

static state *S; /* one per process: the context is shared by every Lua state */

/* The Lua thread inside abicall_call on this OS thread, for callbacks (each
 * OS thread may run its own lua_State). Initial-exec TLS: one instruction
 * to reach, no __tls_get_addr call on the per-call path. */
static __thread lua_State *running __attribute__((tls_model("initial-exec")));
/* A Lua error raised in a callback during that call (registry ref of the
 * running state), re-raised when abicall_call returns ABICALL_E_CALLBACK. */
static __thread int saved_error __attribute__((tls_model("initial-exec"))) = LUA_NOREF;
/* errno as the last C call through this module left it (ffi.errno): saved
 * here, not by abicall, because the direct entry (section 7) skips abicall's
 * errno capture, whose thread-local costs a __tls_get_addr call per access
 * in a shared object, while this one is a single initial-exec access. */
static __thread int saved_errno __attribute__((tls_model("initial-exec")));

/* C memory abicall holds for this thread's Lua objects (call objects,
 * callbacks) that the collector has not been told about yet, in bytes. Lua
 * 5.4 sees only the memory it allocates itself: each KiB abicall holds for
 * a new object advances the collector as allocating a KiB would
 * (lua_gc(LUA_GCSTEP)), so a program making many callbacks or function
 * pointers gets them collected at the pace their real size calls for. */
static __thread size_t gc_pending __attribute__((tls_model("initial-exec")));

static void gc_account(lua_State *L, size_t bytes) {
  gc_pending += bytes;
  if (gc_pending >= 1024) {
    int kib = (int)(gc_pending / 1024);
    gc_pending %= 1024;
    lua_gc(L, LUA_GCSTEP, kib);
  }
}

/* Raises the abicall error as a Lua error (abicall has returned: safe). */
static int raise(lua_State *L, abicall_status s, const abicall_error *e) {
  return luaL_error(L, "%s", s == ABICALL_OK ? "ok" : e->message);
}
#define CHECK(L, call)                       \
  do {                                       \
    abicall_error e_;                        \
    abicall_status s_ = (call);              \
    if (s_ != ABICALL_OK) raise(L, s_, &e_); \
  } while (0)
#define E (&e_)

/* ---------------------------------------------------------------- 2. ctypes */

typedef struct ctype {
  abicall_type *t;
  uint32_t id;
  abicall_kind kind;
  size_t size;    /* 0 when incomplete or a function */
  size_t align;
  int is_signed;
  size_t length;  /* arrays: element count (0: unknown, T[]) */
  int vla;        /* T[?] from ffi.new */
} ctype;
/* ctype userdata uservalues: 1 item ctype (pointers, arrays), 2 metatype
 * table, 3 field table (structs/unions). */

static ctype *toctype(lua_State *L, int i) { return (ctype *)luaL_testudata(L, i, CTYPE_MT); }

/* Pushes the interned ctype of `t` (taking ownership of the handle). */
static ctype *push_ctype(lua_State *L, abicall_type *t) {
  abicall_error e;
  uint32_t id;
  if (abicall_type_id(t, &id, &e) != ABICALL_OK) {
    abicall_type_free(t, NULL);
    luaL_error(L, "%s", e.message);
  }
  lua_getfield(L, LUA_REGISTRYINDEX, "abicall.ctypes");
  if (lua_rawgeti(L, -1, id) == LUA_TUSERDATA) {
    lua_remove(L, -2);
    abicall_type_free(t, NULL);
    return toctype(L, -1);
  }
  lua_pop(L, 1);
  ctype *ct = (ctype *)lua_newuserdatauv(L, sizeof(ctype), 3);
  memset(ct, 0, sizeof *ct);
  ct->t = t;
  ct->id = id;
  luaL_setmetatable(L, CTYPE_MT);
  abicall_type_kind(t, &ct->kind, NULL);
  if (ct->kind != ABICALL_KIND_FUNCTION && abicall_type_size(t, &ct->size, NULL) != ABICALL_OK) ct->size = 0;
  abicall_type_align(t, &ct->align, NULL);
  { bool sg = false; abicall_type_is_signed(t, &sg, NULL); ct->is_signed = sg; }
  if (ct->kind == ABICALL_KIND_ARRAY) abicall_type_length(t, &ct->length, NULL);
  lua_pushvalue(L, -1);
  lua_rawseti(L, -3, id);
  lua_remove(L, -2);
  return ct;
}

static int ctype_gc(lua_State *L) {
  ctype *ct = toctype(L, 1);
  if (ct && ct->t) { abicall_type_free(ct->t, NULL); ct->t = NULL; }
  return 0;
}

/* Parses a C type name into a ctype (pushed). */
static ctype *ctype_of_name(lua_State *L, const char *name) {
  abicall_type *t;
  CHECK(L, abicall_type_new(S->ctx, name, &t, E));
  return push_ctype(L, t);
}

/* The item ctype (pointee / element) of `ct` at index `i`, pushed. */
static ctype *push_item(lua_State *L, int i) {
  i = lua_absindex(L, i);
  if (lua_getiuservalue(L, i, 1) == LUA_TUSERDATA) return toctype(L, -1);
  lua_pop(L, 1);
  abicall_type *t;
  CHECK(L, abicall_type_item(toctype(L, i)->t, &t, E));
  ctype *it = push_ctype(L, t);
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, i, 1);
  return it;
}

static int is_int_kind(abicall_kind k) { return k >= ABICALL_KIND_CHAR && k <= ABICALL_KIND_ULONGLONG; }
static int is_record(abicall_kind k) { return k == ABICALL_KIND_STRUCT || k == ABICALL_KIND_UNION; }
static int is_ptrlike(abicall_kind k) { return k == ABICALL_KIND_POINTER || k == ABICALL_KIND_ARRAY; }

static void ctype_name(const ctype *ct, char *buf, size_t cap) {
  if (abicall_type_name(ct->t, buf, cap, NULL, NULL) != ABICALL_OK) snprintf(buf, cap, "?");
}

/* ---------------------------------------------------------------- 3. cdata */

typedef struct cdata {
  void *ptr;       /* the object */
  int is_cb;       /* a callback pointer (uservalue 3 holds it) */
  size_t vla_len;  /* bytes of a variable-length struct (0 otherwise) */
  unsigned char inline_[16]; /* start of owned storage (aligned up to 16) */
} cdata;
/* cdata uservalues: 1 ctype, 2 owner (memory it points into) or nil,
 * 3 gc finalizer or callback record. */

static cdata *tocdata(lua_State *L, int i) { return (cdata *)luaL_testudata(L, i, CDATA_MT); }

static ctype *cdata_ctype(lua_State *L, int i) {
  lua_getiuservalue(L, i, 1);
  ctype *ct = toctype(L, -1);
  lua_pop(L, 1); /* the cdata keeps it alive */
  return ct;
}

/* A new cdata owning `size` zeroed bytes, of the ctype at index `cti`. */
static cdata *new_cdata(lua_State *L, int cti, size_t size) {
  cti = lua_absindex(L, cti);
  cdata *cd = (cdata *)lua_newuserdatauv(L, sizeof(cdata) + size + 16, 3);
  uintptr_t p = ((uintptr_t)cd->inline_ + 15) & ~(uintptr_t)15;
  cd->ptr = (void *)p;
  cd->is_cb = 0;
  cd->vla_len = 0;
  memset(cd->ptr, 0, size);
  luaL_setmetatable(L, CDATA_MT);
  lua_pushvalue(L, cti);
  lua_setiuservalue(L, -2, 1);
  return cd;
}

/* A cdata referring to memory at `p` kept alive by the value at `owner`
 * (0: none). */
static cdata *ref_cdata(lua_State *L, int cti, void *p, int owner) {
  cti = lua_absindex(L, cti);
  if (owner) owner = lua_absindex(L, owner);
  cdata *cd = (cdata *)lua_newuserdatauv(L, sizeof(cdata), 3);
  cd->ptr = p;
  cd->is_cb = 0;
  cd->vla_len = 0;
  luaL_setmetatable(L, CDATA_MT);
  lua_pushvalue(L, cti);
  lua_setiuservalue(L, -2, 1);
  if (owner) { lua_pushvalue(L, owner); lua_setiuservalue(L, -2, 2); }
  return cd;
}

enum { K_GENERIC, K_DOUBLE, K_FLOAT, K_I8, K_U8, K_I16, K_U16, K_I32, K_U32, K_BOOL, K_VOID };

struct func {
  abicall_function *fn;   /* the fixed-signature call (NULL for variadic) */
  abicall_entry entry;    /* its direct entry (abicall_function_entry) */
  void *code;
  int nparams;
  int variadic;
  int all_fast;           /* every parameter and the result are scalar kinds */
  size_t ret_size;
  unsigned char argk[MAX_ARGS];
  unsigned char retk;
};
typedef struct func func;
static func *func_of(lua_State *L, int i);
static func *tofunc(lua_State *L, int i);
static int func_call(lua_State *L);
static func *push_func(lua_State *L, int cti, void *code, abicall_function *fixed);

/* ---------------------------------------------------------- 4. conversions */

/* A 64-bit integer from a Lua value (numbers truncate as LuaJIT does,
 * integer cdata and booleans convert). Sets *isu for unsigned 64-bit. */
static int to_i64(lua_State *L, int i, int64_t *out, int *isu) {
  if (isu) *isu = 0;
  switch (lua_type(L, i)) {
  case LUA_TNUMBER:
    if (lua_isinteger(L, i)) *out = (int64_t)lua_tointeger(L, i);
    else {
      double d = lua_tonumber(L, i);
      *out = d >= 9223372036854775808.0 ? (int64_t)(uint64_t)d : (int64_t)d;
    }
    return 1;
  case LUA_TBOOLEAN: *out = lua_toboolean(L, i); return 1;
  case LUA_TUSERDATA: {
    cdata *cd = tocdata(L, i);
    if (!cd) return 0;
    ctype *ct = cdata_ctype(L, i);
    switch (ct->kind) {
    case ABICALL_KIND_BOOL: *out = *(unsigned char *)cd->ptr; return 1;
    case ABICALL_KIND_FLOAT: *out = (int64_t)*(float *)cd->ptr; return 1;
    case ABICALL_KIND_DOUBLE: *out = (int64_t)*(double *)cd->ptr; return 1;
    case ABICALL_KIND_POINTER: *out = (int64_t)(uintptr_t)*(void **)cd->ptr; return 1;
    case ABICALL_KIND_ARRAY: *out = (int64_t)(uintptr_t)cd->ptr; return 1;
    default:
      if (is_int_kind(ct->kind) || ct->kind == ABICALL_KIND_ENUM) {
        switch (ct->size) {
        case 1: *out = ct->is_signed ? *(int8_t *)cd->ptr : *(uint8_t *)cd->ptr; break;
        case 2: *out = ct->is_signed ? *(int16_t *)cd->ptr : *(uint16_t *)cd->ptr; break;
        case 4: *out = ct->is_signed ? (int64_t)*(int32_t *)cd->ptr : (int64_t)*(uint32_t *)cd->ptr; break;
        case 8: *out = *(int64_t *)cd->ptr; if (isu) *isu = !ct->is_signed; break;
        default: return 0;
        }
        return 1;
      }
      return 0;
    }
  }
  default: return 0;
  }
}

static double to_num(lua_State *L, int i, int *ok) {
  *ok = 1;
  if (lua_type(L, i) == LUA_TNUMBER) return lua_tonumber(L, i);
  cdata *cd = tocdata(L, i);
  if (cd) {
    ctype *ct = cdata_ctype(L, i);
    if (ct->kind == ABICALL_KIND_FLOAT) return *(float *)cd->ptr;
    if (ct->kind == ABICALL_KIND_DOUBLE) return *(double *)cd->ptr;
    if (ct->kind == ABICALL_KIND_LONGDOUBLE) {
      double d = 0; abicall_load_double(ct->t, cd->ptr, NULL, &d, NULL); return d;
    }
  }
  int64_t v; int u;
  if (to_i64(L, i, &v, &u)) return u ? (double)(uint64_t)v : (double)v;
  *ok = 0;
  return 0;
}

/* The address a Lua value denotes for a pointer slot; 0 and *ok = 0 if none. */
static void *to_ptr(lua_State *L, int i, int *ok) {
  *ok = 1;
  switch (lua_type(L, i)) {
  case LUA_TNIL: return NULL;
  case LUA_TSTRING: return (void *)lua_tostring(L, i);
  case LUA_TLIGHTUSERDATA: return lua_touserdata(L, i);
  case LUA_TFUNCTION: {
    func *f = func_of(L, i);
    if (f) { lua_pop(L, 1); return f->code; }
    break;
  }
  case LUA_TUSERDATA: {
    if (tofunc(L, i)) return tofunc(L, i)->code;
    cdata *cd = tocdata(L, i);
    if (cd) {
      ctype *ct = cdata_ctype(L, i);
      if (ct->kind == ABICALL_KIND_POINTER) return *(void **)cd->ptr;
      if (ct->kind == ABICALL_KIND_ARRAY || is_record(ct->kind)) return cd->ptr;
      if (is_int_kind(ct->kind)) { int64_t v; to_i64(L, i, &v, NULL); return (void *)(uintptr_t)v; }
    }
    break;
  }
  default: break;
  }
  *ok = 0;
  return NULL;
}

static void store_int(const ctype *ct, void *p, int64_t v) {
  switch (ct->size) {
  case 1: *(uint8_t *)p = (uint8_t)v; break;
  case 2: *(uint16_t *)p = (uint16_t)v; break;
  case 4: *(uint32_t *)p = (uint32_t)v; break;
  case 8: *(uint64_t *)p = (uint64_t)v; break;
  case 16: { int64_t w[2]; w[0] = v; w[1] = (ct->is_signed && v < 0) ? -1 : 0; memcpy(p, w, 16); break; }
  default: break;
  }
}

static int init_aggregate(lua_State *L, int cti, void *p, int first, int n);


/* Converts the Lua value at `i` to the C type at `cti`, stored at `p`
 * (LuaJIT's conversion rules for assignments and arguments). */
static void to_c(lua_State *L, int i, int cti, void *p) {
  i = lua_absindex(L, i);
  cti = lua_absindex(L, cti);
  ctype *ct = toctype(L, cti);
  char tn[128];
  int ok = 1;
  switch (ct->kind) {
  case ABICALL_KIND_BOOL: {
    int64_t v;
    if (lua_isboolean(L, i)) *(unsigned char *)p = lua_toboolean(L, i);
    else if (to_i64(L, i, &v, NULL)) *(unsigned char *)p = v != 0;
    else ok = 0;
    break;
  }
  case ABICALL_KIND_FLOAT: { double d = to_num(L, i, &ok); if (ok) *(float *)p = (float)d; break; }
  case ABICALL_KIND_DOUBLE: { double d = to_num(L, i, &ok); if (ok) *(double *)p = d; break; }
  case ABICALL_KIND_LONGDOUBLE: {
    double d = to_num(L, i, &ok);
    if (ok) CHECK(L, abicall_store_double(ct->t, p, NULL, d, E));
    break;
  }
  case ABICALL_KIND_FLOAT_COMPLEX: case ABICALL_KIND_DOUBLE_COMPLEX: case ABICALL_KIND_LONGDOUBLE_COMPLEX: {
    double re = 0, im = 0;
    if (lua_istable(L, i)) {
      lua_rawgeti(L, i, 1); re = lua_tonumber(L, -1);
      lua_rawgeti(L, i, 2); im = lua_tonumber(L, -1);
      lua_pop(L, 2);
    } else if (tocdata(L, i) && cdata_ctype(L, i)->kind == ct->kind) {
      memcpy(p, tocdata(L, i)->ptr, ct->size);
      break;
    } else re = to_num(L, i, &ok);
    if (ok) CHECK(L, abicall_store_complex(ct->t, p, NULL, re, im, E));
    break;
  }
  case ABICALL_KIND_ENUM:
    if (lua_type(L, i) == LUA_TSTRING) {
      int64_t v;
      abicall_error e;
      if (abicall_constant_int(S->ctx, lua_tostring(L, i), &v, &e) != ABICALL_OK)
        luaL_error(L, "invalid value '%s' for enum", lua_tostring(L, i));
      store_int(ct, p, v);
      break;
    }
    /* fall through */
  case ABICALL_KIND_CHAR: case ABICALL_KIND_SCHAR: case ABICALL_KIND_UCHAR: case ABICALL_KIND_SHORT:
  case ABICALL_KIND_USHORT: case ABICALL_KIND_INT: case ABICALL_KIND_UINT: case ABICALL_KIND_LONG:
  case ABICALL_KIND_ULONG: case ABICALL_KIND_LONGLONG: case ABICALL_KIND_ULONGLONG:
  case ABICALL_KIND_INT128: case ABICALL_KIND_UINT128: {
    int64_t v;
    if (to_i64(L, i, &v, NULL)) store_int(ct, p, v);
    else ok = 0;
    break;
  }
  case ABICALL_KIND_POINTER: {
    void *v;
    if (lua_isfunction(L, i)) luaL_error(L, "use ffi.cast(\"<function pointer type>\", f) to make a callback");
    v = to_ptr(L, i, &ok);
    if (ok) *(void **)p = v;
    break;
  }
  case ABICALL_KIND_ARRAY: case ABICALL_KIND_STRUCT: case ABICALL_KIND_UNION: {
    cdata *cd = tocdata(L, i);
    if (cd && cdata_ctype(L, i)->id == ct->id) { memmove(p, cd->ptr, ct->size); break; }
    if (lua_istable(L, i) || (ct->kind == ABICALL_KIND_ARRAY && lua_type(L, i) == LUA_TSTRING)) {
      memset(p, 0, ct->size);
      init_aggregate(L, cti, p, i, 1);
      break;
    }
    ok = 0;
    break;
  }
  default: ok = 0; break;
  }
  if (!ok) {
    ctype_name(ct, tn, sizeof tn);
    luaL_error(L, "cannot convert '%s' to '%s'", luaL_typename(L, i), tn);
  }
}

static void push_i64(lua_State *L, int64_t v, int is_unsigned);

/* Pushes the C value at `p` of the ctype at `cti` as a Lua value: small
 * integers and floating values as numbers, 64-bit integers, pointers and
 * complex numbers as new cdata, aggregates as references into `owner`. */
static void push_value(lua_State *L, int cti, void *p, int owner) {
  cti = lua_absindex(L, cti);
  ctype *ct = toctype(L, cti);
  switch (ct->kind) {
  case ABICALL_KIND_VOID: lua_pushnil(L); return;
  case ABICALL_KIND_BOOL: lua_pushboolean(L, *(unsigned char *)p != 0); return;
  case ABICALL_KIND_FLOAT: lua_pushnumber(L, *(float *)p); return;
  case ABICALL_KIND_DOUBLE: lua_pushnumber(L, *(double *)p); return;
  case ABICALL_KIND_LONGDOUBLE: { double d = 0; abicall_load_double(ct->t, p, NULL, &d, NULL); lua_pushnumber(L, d); return; }
  case ABICALL_KIND_ARRAY: case ABICALL_KIND_STRUCT: case ABICALL_KIND_UNION:
    ref_cdata(L, cti, p, owner);
    return;
  case ABICALL_KIND_POINTER: case ABICALL_KIND_FLOAT_COMPLEX: case ABICALL_KIND_DOUBLE_COMPLEX:
  case ABICALL_KIND_LONGDOUBLE_COMPLEX: case ABICALL_KIND_INT128: case ABICALL_KIND_UINT128:
    memcpy(new_cdata(L, cti, ct->size)->ptr, p, ct->size);
    return;
  default:
    if (ct->size == 8) { memcpy(new_cdata(L, cti, 8)->ptr, p, 8); return; }
    switch (ct->size) {
    case 1: lua_pushinteger(L, ct->is_signed ? *(int8_t *)p : *(uint8_t *)p); return;
    case 2: lua_pushinteger(L, ct->is_signed ? *(int16_t *)p : *(uint16_t *)p); return;
    case 4: lua_pushinteger(L, ct->is_signed ? (lua_Integer)*(int32_t *)p : (lua_Integer)(int64_t)*(uint32_t *)p); return;
    default: lua_pushnil(L); return;
    }
  }
}

/* ---------------------------------------------------------- 5. initializers */

/* Field table of a record ctype at `cti` (pushed): name -> {offset, ctype,
 * bitwidth or nil, path}, and [1..n] -> the same records in order. Members
 * of anonymous struct/union members are flattened in. */
static void add_fields(lua_State *L, int tbl, ctype *rec, size_t base, const char *prefix, int *n) {
  size_t count = 0, i;
  abicall_error e;
  if (abicall_type_field_count(rec->t, &count, &e) != ABICALL_OK) luaL_error(L, "%s", e.message);
  for (i = 0; i < count; i++) {
    abicall_field f;
    char name[256], path[512];
    abicall_type *ft;
    if (abicall_type_field(rec->t, i, &f, name, sizeof name, &ft, &e) != ABICALL_OK) luaL_error(L, "%s", e.message);
    ctype *fct = push_ctype(L, ft);
    int fidx = lua_gettop(L);
    snprintf(path, sizeof path, "%s%s%s", prefix, *prefix && f.name_len ? "." : "", name);
    if (f.name_len == 0 && !f.is_bitfield) {
      add_fields(L, tbl, fct, base + f.offset, path, n);
      lua_pop(L, 1);
      continue;
    }
    if (f.name_len == 0) { lua_pop(L, 1); continue; } /* unnamed bitfield */
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)(base + f.offset)); lua_setfield(L, -2, "offset");
    lua_pushvalue(L, fidx); lua_setfield(L, -2, "ctype");
    if (f.is_bitfield) { lua_pushinteger(L, f.bit_width); lua_setfield(L, -2, "bits"); }
    lua_pushstring(L, path); lua_setfield(L, -2, "path");
    lua_pushvalue(L, -1); lua_setfield(L, tbl, name);
    lua_rawseti(L, tbl, ++*n);
    lua_pop(L, 1);
  }
}

static void push_fields(lua_State *L, int cti) {
  cti = lua_absindex(L, cti);
  if (lua_getiuservalue(L, cti, 3) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  int n = 0;
  add_fields(L, lua_gettop(L), toctype(L, cti), 0, "", &n);
  lua_pushvalue(L, -1);
  lua_setiuservalue(L, cti, 3);
}

/* Stores a Lua value into a bitfield of the record (ctype at `reci`) at
 * `rec`: truncated to the width as C would (and LuaJIT does). */
static void store_bitfield(lua_State *L, int reci, void *rec, int fld, int vi) {
  lua_getfield(L, fld, "bits");
  int bits = (int)lua_tointeger(L, -1);
  lua_getfield(L, fld, "ctype");
  ctype *fct = toctype(L, -1);
  lua_getfield(L, fld, "path");
  const char *path = lua_tostring(L, -1);
  int64_t v;
  if (!to_i64(L, vi, &v, NULL)) luaL_error(L, "cannot convert '%s' to a bitfield", luaL_typename(L, vi));
  if (bits < 64) {
    uint64_t mask = ((uint64_t)1 << bits) - 1, u = (uint64_t)v & mask;
    if (fct->is_signed && bits > 0 && (u >> (bits - 1)) & 1) v = (int64_t)(u | ~mask);
    else v = (int64_t)u;
  }
  CHECK(L, abicall_store_int(toctype(L, reci)->t, rec, path, v, E));
  lua_pop(L, 3);
}

static void load_bitfield(lua_State *L, int reci, void *rec, int fld) {
  lua_getfield(L, fld, "path");
  int64_t v = 0;
  CHECK(L, abicall_load_int(toctype(L, reci)->t, rec, lua_tostring(L, -1), &v, E));
  lua_pop(L, 1);
  lua_pushinteger(L, v);
}

/* Fills the aggregate (ctype at `cti`, memory `p`, already zeroed) from `n`
 * initializers at stack slots first..first+n-1 (LuaJIT's rules). */
static int init_aggregate(lua_State *L, int cti, void *p, int first, int n) {
  ctype *ct = toctype(L, cti);
  cti = lua_absindex(L, cti);
  if (n == 0) return 0;
  if (n == 1 && tocdata(L, first) && cdata_ctype(L, first)->id == ct->id) {
    memmove(p, tocdata(L, first)->ptr, ct->size); /* a copy of an object of the same type */
    return 0;
  }
  if (ct->kind == ABICALL_KIND_ARRAY) {
    ctype *el = push_item(L, cti);
    int eli = lua_gettop(L);
    size_t len = ct->length ? ct->length : (el->size ? ct->size / el->size : 0);
    if (ct->vla) len = ct->size / (el->size ? el->size : 1);
    if (n == 1 && lua_type(L, first) == LUA_TSTRING && el->size == 1) {
      size_t sl;
      const char *s = lua_tolstring(L, first, &sl);
      memcpy(p, s, sl + 1 > len ? len : sl + 1);
    } else if (n == 1 && lua_istable(L, first)) {
      int base = lua_rawgeti(L, first, 0) != LUA_TNIL ? 0 : 1;
      lua_pop(L, 1);
      size_t k, got = 0;
      for (k = 0; k < len; k++) {
        if (lua_rawgeti(L, first, (lua_Integer)(k + base)) == LUA_TNIL) { lua_pop(L, 1); break; }
        to_c(L, -1, eli, (char *)p + k * el->size);
        lua_pop(L, 1);
        got++;
      }
      if (got == 1) for (k = 1; k < len; k++) memcpy((char *)p + k * el->size, p, el->size);
    } else {
      size_t k;
      if ((size_t)n > len) luaL_error(L, "too many initializers");
      for (k = 0; k < (size_t)n; k++) to_c(L, first + (int)k, eli, (char *)p + k * el->size);
      if (n == 1) for (k = 1; k < len; k++) memcpy((char *)p + k * el->size, p, el->size);
    }
    lua_pop(L, 1);
    return 0;
  }
  if (is_record(ct->kind)) {
    push_fields(L, cti);
    int ft = lua_gettop(L);
    lua_Integer nf = (lua_Integer)luaL_len(L, ft), k;
    int one_table = n == 1 && lua_istable(L, first) && !tocdata(L, first);
    if (one_table && lua_rawgeti(L, first, 1) == LUA_TNIL && (lua_pop(L, 1), lua_rawgeti(L, first, 0) == LUA_TNIL)) {
      lua_pop(L, 1);
      /* by name */
      for (k = 1; k <= nf; k++) {
        lua_rawgeti(L, ft, k);
        int fld = lua_gettop(L);
        lua_getfield(L, fld, "path");
        lua_gettable(L, first);
        if (!lua_isnil(L, -1)) {
          if (lua_getfield(L, fld, "bits") != LUA_TNIL) { lua_pop(L, 1); store_bitfield(L, cti, p, fld, fld + 1); }
          else {
            lua_pop(L, 1);
            lua_getfield(L, fld, "offset");
            size_t off = (size_t)lua_tointeger(L, -1);
            lua_getfield(L, fld, "ctype");
            to_c(L, fld + 1, -1, (char *)p + off);
            lua_pop(L, 2);
          }
        }
        lua_pop(L, 2);
      }
    } else {
      int base = 1, tbl = 0;
      if (one_table) { lua_pop(L, 1); tbl = first; base = lua_rawgeti(L, first, 0) != LUA_TNIL ? 0 : 1; lua_pop(L, 1); }
      lua_Integer count = tbl ? nf : n;
      if (ct->kind == ABICALL_KIND_UNION && count > 1) count = 1;
      for (k = 1; k <= count && k <= nf; k++) {
        int vi;
        if (tbl) {
          if (lua_rawgeti(L, tbl, k - 1 + base) == LUA_TNIL) { lua_pop(L, 1); break; }
          vi = lua_gettop(L);
        } else vi = first + (int)k - 1;
        lua_rawgeti(L, ft, k);
        int fld = lua_gettop(L);
        if (lua_getfield(L, fld, "bits") != LUA_TNIL) { lua_pop(L, 1); store_bitfield(L, cti, p, fld, vi); }
        else {
          lua_pop(L, 1);
          lua_getfield(L, fld, "offset");
          size_t off = (size_t)lua_tointeger(L, -1);
          lua_getfield(L, fld, "ctype");
          to_c(L, vi, -1, (char *)p + off);
          lua_pop(L, 2);
        }
        lua_pop(L, tbl ? 2 : 1);
      }
    }
    lua_pop(L, 1);
    return 0;
  }
  to_c(L, first, cti, p);
  return 0;
}

/* ------------------------------------------------ 6. indexing, arithmetic */

/* Resolves a type argument: a ctype, a cdata (its type) or a C type name. */
static ctype *check_ctype(lua_State *L, int i) {
  ctype *ct = toctype(L, i);
  if (ct) { lua_pushvalue(L, i); return ct; }
  if (tocdata(L, i)) { lua_getiuservalue(L, i, 1); return toctype(L, -1); }
  return ctype_of_name(L, luaL_checkstring(L, i));
}

/* The element pointer and element ctype (pushed) of cdata `i` indexed by `k`. */
static void *element(lua_State *L, int i, ctype *ct, lua_Integer k) {
  cdata *cd = tocdata(L, i);
  lua_getiuservalue(L, i, 1);
  ctype *el = push_item(L, -1);
  lua_remove(L, -2);
  char *base = ct->kind == ABICALL_KIND_POINTER ? *(char **)cd->ptr : (char *)cd->ptr;
  if (!el->size) luaL_error(L, "cannot index a pointer to an incomplete type");
  return base + k * (lua_Integer)el->size;
}

static int metatype_index(lua_State *L, int cti, int key);

static int cdata_index(lua_State *L) {
  cdata *cd = tocdata(L, 1);
  lua_getiuservalue(L, 1, 1);
  int cti = lua_gettop(L);
  ctype *ct = toctype(L, cti);
  if (lua_type(L, 2) == LUA_TNUMBER || (tocdata(L, 2) && is_int_kind(cdata_ctype(L, 2)->kind))) {
    int64_t k;
    to_i64(L, 2, &k, NULL);
    if (!is_ptrlike(ct->kind)) luaL_error(L, "cannot index a non-pointer cdata");
    void *p = element(L, 1, ct, (lua_Integer)k);
    push_value(L, -1, p, ct->kind == ABICALL_KIND_ARRAY ? 1 : 0);
    return 1;
  }
  if (cd->is_cb && lua_type(L, 2) == LUA_TSTRING) {
    const char *k = lua_tostring(L, 2);
    if (!strcmp(k, "free") || !strcmp(k, "set")) {
      lua_getfield(L, LUA_REGISTRYINDEX, "abicall.cbmethods");
      lua_getfield(L, -1, k);
      return 1;
    }
  }
  if ((ct->kind == ABICALL_KIND_FLOAT_COMPLEX || ct->kind == ABICALL_KIND_DOUBLE_COMPLEX ||
       ct->kind == ABICALL_KIND_LONGDOUBLE_COMPLEX) && lua_type(L, 2) == LUA_TSTRING) {
    const char *k = lua_tostring(L, 2); /* LuaJIT's c.re / c.im */
    if (!strcmp(k, "re") || !strcmp(k, "im")) {
      double re = 0, im = 0;
      CHECK(L, abicall_load_complex(ct->t, cd->ptr, NULL, &re, &im, E));
      lua_pushnumber(L, k[0] == 'r' ? re : im);
      return 1;
    }
  }
  ctype *rec = ct;
  void *base = cd->ptr;
  int reci = cti, owner = 1;
  if (ct->kind == ABICALL_KIND_POINTER) { /* p.field for a pointer to a record */
    rec = push_item(L, cti);
    reci = lua_gettop(L);
    base = *(void **)cd->ptr;
    owner = 0;
  }
  if (is_record(rec->kind) && lua_type(L, 2) == LUA_TSTRING) {
    push_fields(L, reci);
    if (lua_getfield(L, -1, lua_tostring(L, 2)) == LUA_TTABLE) {
      int fld = lua_gettop(L);
      if (!base) luaL_error(L, "attempt to index a NULL pointer");
      if (lua_getfield(L, fld, "bits") != LUA_TNIL) { load_bitfield(L, reci, base, fld); return 1; }
      lua_getfield(L, fld, "offset");
      size_t off = (size_t)lua_tointeger(L, -1);
      lua_getfield(L, fld, "ctype");
      push_value(L, -1, (char *)base + off, owner);
      return 1;
    }
    lua_settop(L, reci);
  }
  if (metatype_index(L, reci, 2)) return 1;
  char tn[128];
  ctype_name(rec, tn, sizeof tn);
  return luaL_error(L, "'%s' has no member named '%s'", tn, luaL_tolstring(L, 2, NULL));
}

static int cdata_newindex(lua_State *L) {
  cdata *cd = tocdata(L, 1);
  lua_getiuservalue(L, 1, 1);
  int cti = lua_gettop(L);
  ctype *ct = toctype(L, cti);
  if (lua_type(L, 2) == LUA_TNUMBER || tocdata(L, 2)) {
    int64_t k;
    if (!to_i64(L, 2, &k, NULL) || !is_ptrlike(ct->kind)) luaL_error(L, "cannot index this cdata");
    void *p = element(L, 1, ct, (lua_Integer)k);
    to_c(L, 3, -1, p);
    return 0;
  }
  ctype *rec = ct;
  void *base = cd->ptr;
  int reci = cti;
  if (ct->kind == ABICALL_KIND_POINTER) { rec = push_item(L, cti); reci = lua_gettop(L); base = *(void **)cd->ptr; }
  if (is_record(rec->kind) && lua_type(L, 2) == LUA_TSTRING) {
    push_fields(L, reci);
    if (lua_getfield(L, -1, lua_tostring(L, 2)) == LUA_TTABLE) {
      int fld = lua_gettop(L);
      if (!base) luaL_error(L, "attempt to index a NULL pointer");
      if (lua_getfield(L, fld, "bits") != LUA_TNIL) { lua_pop(L, 1); store_bitfield(L, reci, base, fld, 3); return 0; }
      lua_getfield(L, fld, "offset");
      size_t off = (size_t)lua_tointeger(L, -1);
      lua_getfield(L, fld, "ctype");
      to_c(L, 3, -1, (char *)base + off);
      return 0;
    }
  }
  lua_settop(L, reci);
  if (lua_getiuservalue(L, reci, 2) == LUA_TTABLE && lua_getfield(L, -1, "__newindex") != LUA_TNIL) {
    lua_pushvalue(L, 1); lua_pushvalue(L, 2); lua_pushvalue(L, 3);
    lua_call(L, 3, 0);
    return 0;
  }
  char tn[128];
  ctype_name(rec, tn, sizeof tn);
  return luaL_error(L, "'%s' has no member named '%s'", tn, luaL_tolstring(L, 2, NULL));
}

/* ffi.metatype's __index for the record ctype at `cti`: pushes the result. */
static int metatype_index(lua_State *L, int cti, int key) {
  if (lua_getiuservalue(L, cti, 2) != LUA_TTABLE) { lua_pop(L, 1); return 0; }
  int t = lua_getfield(L, -1, "__index");
  if (t == LUA_TTABLE) {
    lua_pushvalue(L, key);
    if (lua_gettable(L, -2) != LUA_TNIL) return 1;
    lua_pop(L, 3); /* a missing key is an error, as in LuaJIT */
    return 0;
  }
  if (t == LUA_TFUNCTION) { lua_pushvalue(L, 1); lua_pushvalue(L, key); lua_call(L, 2, 1); return 1; }
  lua_pop(L, 2);
  return 0;
}

/* The metatype metamethod `name` of the cdata at `i` (pushed), if any. */
static int metamethod(lua_State *L, int i, const char *name) {
  cdata *cd = tocdata(L, i);
  if (!cd) return 0;
  int top = lua_gettop(L);
  i = lua_absindex(L, i);
  lua_getiuservalue(L, i, 1);
  ctype *ct = toctype(L, -1);
  if (ct->kind == ABICALL_KIND_POINTER) { push_item(L, -1); lua_remove(L, -2); }
  if (lua_getiuservalue(L, -1, 2) == LUA_TTABLE && lua_getfield(L, -1, name) != LUA_TNIL) {
    lua_replace(L, top + 1);
    lua_settop(L, top + 1);
    return 1;
  }
  lua_settop(L, top);
  return 0;
}

static void push_i64(lua_State *L, int64_t v, int is_unsigned) {
  ctype_of_name(L, is_unsigned ? "uint64_t" : "int64_t");
  *(int64_t *)new_cdata(L, -1, 8)->ptr = v;
  lua_remove(L, -2);
}

/* Whether the value at `i` is an integer cdata (64-bit: *wide). */
static int int_cdata(lua_State *L, int i, int *wide) {
  cdata *cd = tocdata(L, i);
  if (!cd) return 0;
  ctype *ct = cdata_ctype(L, i);
  *wide = ct->size == 8;
  return is_int_kind(ct->kind) || ct->kind == ABICALL_KIND_ENUM;
}

static int arith(lua_State *L, int op) {
  static const char *const names[] = {"__add", "__sub", "__mul", "__div", "__mod", "__pow", "__unm"};
  cdata *a = tocdata(L, 1), *b = tocdata(L, 2);
  ctype *ta = a ? cdata_ctype(L, 1) : NULL, *tb = b ? cdata_ctype(L, 2) : NULL;
  /* pointer arithmetic */
  if (ta && is_ptrlike(ta->kind) && (op == 0 || op == 1)) {
    int ok;
    if (op == 1 && tb && is_ptrlike(tb->kind)) {
      lua_getiuservalue(L, 1, 1);
      ctype *el = push_item(L, -1);
      char *pa = (char *)to_ptr(L, 1, &ok), *pb = (char *)to_ptr(L, 2, &ok);
      lua_pushinteger(L, el->size ? (pa - pb) / (lua_Integer)el->size : 0);
      return 1;
    }
    int64_t k;
    if (!to_i64(L, 2, &k, NULL)) luaL_error(L, "invalid pointer arithmetic");
    lua_getiuservalue(L, 1, 1);
    ctype *el = push_item(L, -1);
    char *pa = (char *)to_ptr(L, 1, &ok);
    char *r = pa + (op == 0 ? k : -k) * (int64_t)el->size;
    /* the result is a pointer to the element type */
    abicall_type *pt;
    CHECK(L, abicall_type_pointer(el->t, &pt, E));
    push_ctype(L, pt);
    *(void **)new_cdata(L, -1, sizeof(void *))->ptr = r;
    return 1;
  }
  if (tb && is_ptrlike(tb->kind) && op == 0) { lua_pushvalue(L, 1); lua_rotate(L, 1, 1); lua_replace(L, 2); return arith(L, 0); }
  int wa = 0, wb = 0;
  int ia = int_cdata(L, 1, &wa), ib = int_cdata(L, 2, &wb);
  if (ia || ib) { /* integer cdata: 64-bit arithmetic, as in LuaJIT */
    int64_t x = 0, y = 0;
    int ua = 0, ub = 0;
    if (!to_i64(L, 1, &x, &ua) || (op != 6 && !to_i64(L, 2, &y, &ub))) luaL_error(L, "attempt to perform arithmetic on a cdata value");
    int u = ua || ub;
    int64_t r = 0;
    switch (op) {
    case 0: r = (int64_t)((uint64_t)x + (uint64_t)y); break;
    case 1: r = (int64_t)((uint64_t)x - (uint64_t)y); break;
    case 2: r = (int64_t)((uint64_t)x * (uint64_t)y); break;
    case 3:
      if (y == 0) r = u ? -1 : (x < 0 ? INT64_MIN : (x == 0 ? 0 : INT64_MAX));
      else if (u) r = (int64_t)((uint64_t)x / (uint64_t)y);
      else if (x == INT64_MIN && y == -1) r = x;
      else r = x / y;
      break;
    case 4:
      if (y == 0) r = x;
      else if (u) r = (int64_t)((uint64_t)x % (uint64_t)y);
      else if (y == -1) r = 0;
      else { r = x % y; if (r && ((r ^ y) < 0)) r += y; }
      break;
    case 5: {
      uint64_t base = (uint64_t)x, acc = 1, e = (uint64_t)y;
      if (!u && y < 0) { r = x == 1 ? 1 : (x == -1 ? ((y & 1) ? -1 : 1) : 0); break; }
      while (e) { if (e & 1) acc *= base; base *= base; e >>= 1; }
      r = (int64_t)acc;
      break;
    }
    case 6: r = (int64_t)(0 - (uint64_t)x); break;
    }
    push_i64(L, r, u);
    return 1;
  }
  if (metamethod(L, 1, names[op]) || metamethod(L, 2, names[op])) {
    lua_pushvalue(L, 1); lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
  }
  int ok1, ok2;
  double x = to_num(L, 1, &ok1), y = op == 6 ? 0 : to_num(L, 2, &ok2);
  if (!ok1 || (op != 6 && !ok2)) return luaL_error(L, "attempt to perform arithmetic on a cdata value");
  lua_pushnumber(L, op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : op == 3 ? x / y : op == 6 ? -x : 0);
  return 1;
}
static int cdata_add(lua_State *L) { return arith(L, 0); }
static int cdata_sub(lua_State *L) { return arith(L, 1); }
static int cdata_mul(lua_State *L) { return arith(L, 2); }
static int cdata_div(lua_State *L) { return arith(L, 3); }
static int cdata_mod(lua_State *L) { return arith(L, 4); }
static int cdata_pow(lua_State *L) { return arith(L, 5); }
static int cdata_unm(lua_State *L) { return arith(L, 6); }

/* Compares two values: pointers by address, integers as 64-bit. */
static int compare(lua_State *L, int op) {
  ctype *ta = tocdata(L, 1) ? cdata_ctype(L, 1) : NULL, *tb = tocdata(L, 2) ? cdata_ctype(L, 2) : NULL;
  if ((ta && is_ptrlike(ta->kind)) || (tb && is_ptrlike(tb->kind))) {
    int oka, okb;
    uintptr_t a = (uintptr_t)to_ptr(L, 1, &oka), b = (uintptr_t)to_ptr(L, 2, &okb);
    if (!oka || !okb) { if (op == 0) { lua_pushboolean(L, 0); return 1; } luaL_error(L, "cannot compare a pointer"); }
    lua_pushboolean(L, op == 0 ? a == b : op == 1 ? a < b : a <= b);
    return 1;
  }
  if (op == 0 && metamethod(L, 1, "__eq")) { lua_pushvalue(L, 1); lua_pushvalue(L, 2); lua_call(L, 2, 1); return 1; }
  int wa = 0, wb = 0;
  if (int_cdata(L, 1, &wa) || int_cdata(L, 2, &wb)) {
    int64_t x, y;
    int ua, ub;
    if (to_i64(L, 1, &x, &ua) && to_i64(L, 2, &y, &ub) && (lua_type(L, 1) != LUA_TNUMBER || lua_isinteger(L, 1) || (double)x == lua_tonumber(L, 1)) &&
        (lua_type(L, 2) != LUA_TNUMBER || lua_isinteger(L, 2) || (double)y == lua_tonumber(L, 2))) {
      int u = ua || ub;
      int r = op == 0 ? x == y : op == 1 ? (u ? (uint64_t)x < (uint64_t)y : x < y) : (u ? (uint64_t)x <= (uint64_t)y : x <= y);
      lua_pushboolean(L, r);
      return 1;
    }
    int o1, o2;
    double a = to_num(L, 1, &o1), b = to_num(L, 2, &o2);
    lua_pushboolean(L, op == 0 ? a == b : op == 1 ? a < b : a <= b);
    return 1;
  }
  if (op == 0) { lua_pushboolean(L, tocdata(L, 1) && tocdata(L, 2) && tocdata(L, 1)->ptr == tocdata(L, 2)->ptr); return 1; }
  if (metamethod(L, 1, op == 1 ? "__lt" : "__le") || metamethod(L, 2, op == 1 ? "__lt" : "__le")) {
    lua_pushvalue(L, 1); lua_pushvalue(L, 2); lua_call(L, 2, 1); return 1;
  }
  return luaL_error(L, "attempt to compare cdata values");
}
static int cdata_eq(lua_State *L) { return compare(L, 0); }
static int cdata_lt(lua_State *L) { return compare(L, 1); }
static int cdata_le(lua_State *L) { return compare(L, 2); }

static int cdata_tostring(lua_State *L) {
  cdata *cd = tocdata(L, 1);
  ctype *ct = cdata_ctype(L, 1);
  if (metamethod(L, 1, "__tostring")) { lua_pushvalue(L, 1); lua_call(L, 1, 1); return 1; }
  if (is_int_kind(ct->kind) && ct->size == 8) {
    if (ct->is_signed) lua_pushfstring(L, "%sLL", (lua_pushfstring(L, "%I", (lua_Integer)*(int64_t *)cd->ptr), lua_tostring(L, -1)));
    else { char b[32]; snprintf(b, sizeof b, "%" PRIu64 "ULL", *(uint64_t *)cd->ptr); lua_pushstring(L, b); }
    return 1;
  }
  if (ct->kind == ABICALL_KIND_FLOAT_COMPLEX || ct->kind == ABICALL_KIND_DOUBLE_COMPLEX ||
      ct->kind == ABICALL_KIND_LONGDOUBLE_COMPLEX) {
    /* LuaJIT's text: "1+2i" (%.14g parts); lua_pushfstring has no %+ or %g */
    double re = 0, im = 0;
    char b[80];
    CHECK(L, abicall_load_complex(ct->t, cd->ptr, NULL, &re, &im, E));
    snprintf(b, sizeof b, "%.14g%+.14gi", re, im);
    lua_pushstring(L, b);
    return 1;
  }
  char tn[128];
  ctype_name(ct, tn, sizeof tn);
  void *addr = ct->kind == ABICALL_KIND_POINTER ? *(void **)cd->ptr : cd->ptr;
  if (ct->kind == ABICALL_KIND_POINTER && !addr) { lua_pushfstring(L, "cdata<%s>: NULL", tn); return 1; }
  lua_pushfstring(L, "cdata<%s>: %p", tn, addr);
  return 1;
}

static int cdata_len(lua_State *L) {
  if (metamethod(L, 1, "__len")) { lua_pushvalue(L, 1); lua_call(L, 1, 1); return 1; }
  return luaL_error(L, "attempt to get length of a cdata value");
}

static int cdata_concat(lua_State *L) {
  if (metamethod(L, 1, "__concat") || metamethod(L, 2, "__concat")) {
    lua_pushvalue(L, 1); lua_pushvalue(L, 2); lua_call(L, 2, 1); return 1;
  }
  return luaL_error(L, "attempt to concatenate a cdata value");
}

/* Calling a function pointer cdata: prepared once, cached on the cdata. */
static int cdata_call(lua_State *L) {
  cdata *cd = tocdata(L, 1);
  int top = lua_gettop(L);
  if (metamethod(L, 1, "__call")) { lua_insert(L, 1); lua_call(L, top, LUA_MULTRET); return lua_gettop(L); }
  ctype *ct = cdata_ctype(L, 1);
  if (ct->kind != ABICALL_KIND_POINTER) return luaL_error(L, "attempt to call a non-function cdata");
  lua_getiuservalue(L, 1, 1);
  if (push_item(L, -1)->kind != ABICALL_KIND_FUNCTION) return luaL_error(L, "attempt to call a non-function cdata");
  lua_settop(L, top);
  if (cd->is_cb || lua_getiuservalue(L, 1, 2) != LUA_TUSERDATA || !tofunc(L, -1)) {
    lua_settop(L, top);
    if (!*(void **)cd->ptr) return luaL_error(L, "attempt to call a NULL function pointer");
    lua_getiuservalue(L, 1, 1);
    push_func(L, -1, *(void **)cd->ptr, NULL);
    lua_remove(L, -2);
    if (!cd->is_cb) { lua_pushvalue(L, -1); lua_setiuservalue(L, 1, 2); }
  }
  lua_replace(L, 1);
  return func_call(L);
}

static int cdata_gc(lua_State *L) {
  if (lua_getiuservalue(L, 1, 3) == LUA_TFUNCTION) { lua_pushvalue(L, 1); lua_call(L, 1, 0); }
  return 0;
}

/* ---------------------------------------------------------------- 7. calls */

/* A C function (section 7). How a parameter or result converts, decided once per function so a call
 * of a scalar signature touches no Lua table. */

static unsigned char fast_kind(const ctype *ct) {
  switch (ct->kind) {
  case ABICALL_KIND_DOUBLE: return K_DOUBLE;
  case ABICALL_KIND_FLOAT: return K_FLOAT;
  case ABICALL_KIND_BOOL: return K_BOOL;
  case ABICALL_KIND_VOID: return K_VOID;
  case ABICALL_KIND_CHAR: case ABICALL_KIND_SCHAR: case ABICALL_KIND_UCHAR: case ABICALL_KIND_SHORT:
  case ABICALL_KIND_USHORT: case ABICALL_KIND_INT: case ABICALL_KIND_UINT: case ABICALL_KIND_ENUM:
  case ABICALL_KIND_LONG: case ABICALL_KIND_ULONG: case ABICALL_KIND_LONGLONG: case ABICALL_KIND_ULONGLONG:
    switch (ct->size) {
    case 1: return ct->is_signed ? K_I8 : K_U8;
    case 2: return ct->is_signed ? K_I16 : K_U16;
    case 4: return ct->is_signed ? K_I32 : K_U32;
    default: return K_GENERIC; /* 64-bit results are cdata */
    }
  default: return K_GENERIC;
  }
}
/* func userdata uservalues: 1 function ctype, 2 table of param ctypes [1..n]
 * and the return ctype at [0], 3 cache of variadic calls by type ids. */

static func *tofunc(lua_State *L, int i) { return (func *)luaL_testudata(L, i, FUNC_MT); }

/* Pushes a callable for the function (or pointer-to-function) ctype at
 * `cti` and code address `code`. */
static func *push_func(lua_State *L, int cti, void *code, abicall_function *fixed) {
  cti = lua_absindex(L, cti);
  ctype *ct = toctype(L, cti);
  size_t np = 0;
  bool var = false;
  CHECK(L, abicall_type_signature(ct->t, &np, &var, E));
  if (np > MAX_ARGS) luaL_error(L, "too many parameters");
  func *f = (func *)lua_newuserdatauv(L, sizeof(func), 3);
  memset(f, 0, sizeof *f);
  luaL_setmetatable(L, FUNC_MT);
  f->code = code;
  f->nparams = (int)np;
  f->variadic = var;
  lua_pushvalue(L, cti);
  lua_setiuservalue(L, -2, 1);
  lua_createtable(L, (int)np, 1);
  size_t i;
  f->all_fast = !var;
  for (i = 0; i <= np; i++) {
    abicall_type *pt;
    CHECK(L, abicall_type_param(ct->t, i == np ? (size_t)ABICALL_RETURN : i, &pt, E));
    unsigned char k = fast_kind(push_ctype(L, pt));
    if (i == np) f->retk = k;
    else f->argk[i] = k;
    if (k == K_GENERIC || (k == K_VOID && i < np)) f->all_fast = 0;
    lua_rawseti(L, -2, i == np ? 0 : (lua_Integer)(i + 1));
  }
  lua_setiuservalue(L, -2, 2);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 3);
  if (!var) {
    if (!fixed) CHECK(L, abicall_function_new_at(ct->t, code, NULL, 0, &fixed, E));
    f->fn = fixed;
    CHECK(L, abicall_function_entry(fixed, 0, &f->entry, E));
    { size_t n = 0; if (abicall_function_memory_size(fixed, &n, NULL) == ABICALL_OK) gc_account(L, n); }
    abicall_function_ret_size(fixed, &f->ret_size, NULL);
  }
  return f;
}

static int func_gc(lua_State *L) {
  func *f = tofunc(L, 1);
  if (f->fn) { abicall_function_free(f->fn, NULL); f->fn = NULL; }
  return 0;
}

/* The variadic argument's C type per LuaJIT's rules (pushed ctype). */
static void vararg_ctype(lua_State *L, int i) {
  switch (lua_type(L, i)) {
  case LUA_TNUMBER: ctype_of_name(L, "double"); return;
  case LUA_TBOOLEAN: ctype_of_name(L, "int"); return;
  case LUA_TSTRING: ctype_of_name(L, "const char *"); return;
  case LUA_TNIL: case LUA_TLIGHTUSERDATA: ctype_of_name(L, "void *"); return;
  case LUA_TUSERDATA:
    if (tocdata(L, i)) {
      ctype *ct = cdata_ctype(L, i);
      if (ct->kind == ABICALL_KIND_FLOAT) { ctype_of_name(L, "double"); return; }
      if ((is_int_kind(ct->kind) || ct->kind == ABICALL_KIND_BOOL || ct->kind == ABICALL_KIND_ENUM) && ct->size < 4) { ctype_of_name(L, "int"); return; }
      if (ct->kind == ABICALL_KIND_ARRAY) {
        abicall_type *pt;
        lua_getiuservalue(L, i, 1);
        ctype *el = push_item(L, -1);
        CHECK(L, abicall_type_pointer(el->t, &pt, E));
        lua_pop(L, 2);
        push_ctype(L, pt);
        return;
      }
      lua_getiuservalue(L, i, 1);
      return;
    }
    /* fall through */
  default:
    luaL_error(L, "cannot pass a %s to a variadic function", luaL_typename(L, i));
  }
}

static int call_status(lua_State *L, abicall_status s, abicall_error *e) {
  if (s == ABICALL_E_CALLBACK && saved_error != LUA_NOREF) {
    /* A Lua error raised in a callback: re-raise the original value now
     * that abicall and C have returned. */
    lua_rawgeti(L, LUA_REGISTRYINDEX, saved_error);
    luaL_unref(L, LUA_REGISTRYINDEX, saved_error);
    saved_error = LUA_NOREF;
    return lua_error(L);
  }
  if (saved_error != LUA_NOREF) { /* the call failed for another reason first */
    luaL_unref(L, LUA_REGISTRYINDEX, saved_error);
    saved_error = LUA_NOREF;
  }
  return luaL_error(L, "%s", e->message);
}

/* __call: converts the arguments into a frame on the C stack, calls, and
 * converts the result. */
union slot { int64_t i; double d; float f; void *p; long double ld; unsigned char b[16]; };

/* The number at `a` for a scalar parameter, or a generic conversion (out
 * of line: the hot loop of fast_call stays small). */
static __attribute__((noinline)) void fast_arg(lua_State *L, int fi, int a, int param, unsigned char k, union slot *s) {
  int isnum = 0;
  lua_Number d;
  if ((k == K_DOUBLE || k == K_FLOAT) && lua_type(L, a) == LUA_TNUMBER) {
    /* (lua_tonumberx alone would also take numeric strings, as LuaJIT does not) */
    d = lua_tonumberx(L, a, &isnum);
    if (k == K_DOUBLE) s->d = d; else s->f = (float)d;
    return;
  } else if (k != K_BOOL && lua_isinteger(L, a)) {
    s->i = (int64_t)lua_tointeger(L, a);
    return; /* little-endian: the low bytes are the narrow value */
  }
  {
    /* anything else (floats to integers, cdata, booleans): the general rule */
    lua_getiuservalue(L, fi, 2);
    lua_rawgeti(L, -1, param);
    to_c(L, a, -1, s);
    lua_pop(L, 2);
  }
}

static int fast_ret(lua_State *L, unsigned char k, const union slot *r) {
  switch (k) {
  case K_DOUBLE: lua_pushnumber(L, r->d); return 1;
  case K_FLOAT: lua_pushnumber(L, r->f); return 1;
  case K_I8: lua_pushinteger(L, (int8_t)r->b[0]); return 1;
  case K_U8: lua_pushinteger(L, r->b[0]); return 1;
  case K_I16: lua_pushinteger(L, *(const int16_t *)r); return 1;
  case K_U16: lua_pushinteger(L, *(const uint16_t *)r); return 1;
  case K_I32: lua_pushinteger(L, *(const int32_t *)r); return 1;
  case K_U32: lua_pushinteger(L, *(const uint32_t *)r); return 1;
  case K_BOOL: lua_pushboolean(L, r->b[0] != 0); return 1;
  default: return 0;
  }
}

#define FAST_ARGS 8

/* After a direct-entry call that did not complete normally: a Lua error
 * saved by a callback is re-raised, a refused call is made again through
 * abicall_call, which says why (out of line: its abicall_error stays out of
 * fast_call's frame). */
static __attribute__((noinline)) int fast_fail(lua_State *L, func *f, void **argv, void *ret) {
  abicall_error e;
  if (saved_error != LUA_NOREF) return call_status(L, ABICALL_E_CALLBACK, &e);
  return call_status(L, abicall_call(f->fn, argv, ret, &e), &e);
}

/* The scalar path: up to FAST_ARGS scalar arguments, a scalar result, no
 * Lua table touched, abicall entered through the function's direct entry
 * (abicall_function_entry: on the JIT tier, the generated trampoline
 * itself). A small frame: this is the per-call cost. */
static inline __attribute__((always_inline)) int fast_call(lua_State *L, func *f, int fi, int a0, int nargs) {
  union slot slots[FAST_ARGS], retbuf;
  void *argv[FAST_ARGS];
  int i;
  for (i = 0; i < nargs; i++) {
    int a = i + a0;
    unsigned char k = f->argk[i];
    argv[i] = &slots[i];
    if (__builtin_expect(k == K_DOUBLE && lua_type(L, a) == LUA_TNUMBER, 1)) slots[i].d = lua_tonumberx(L, a, NULL);
    else fast_arg(L, fi, a, i + 1, k, &slots[i]);
  }
  lua_State *prev = running;
  running = L;
  errno = saved_errno;
  uint32_t refused = f->entry.call(f->entry.data, argv, &retbuf);
  saved_errno = errno;
  running = prev;
  /* a Lua error in a callback during the call (the entry does not report
   * it: cb_entry saved it), or a refused call */
  if (__builtin_expect(saved_error != LUA_NOREF || refused, 0)) return fast_fail(L, f, argv, &retbuf);
  if (f->retk == K_DOUBLE) { lua_pushnumber(L, retbuf.d); return 1; }
  return fast_ret(L, f->retk, &retbuf);
}

/* Calls the func at index `fi` with the arguments from `a0` to the top. */
static int func_call_at(lua_State *L, int fi, int a0) {
  func *f = (func *)lua_touserdata(L, fi);
  int nargs = lua_gettop(L) - (a0 - 1), i;
  if (f->all_fast && nargs == f->nparams && nargs <= FAST_ARGS) return fast_call(L, f, fi, a0, nargs);
  union slot slots[MAX_ARGS];
  void *argv[MAX_ARGS];
  union slot retbuf[4];
  void *ret = retbuf;
  abicall_function *fn = f->fn;
  if (nargs > MAX_ARGS) return luaL_error(L, "too many arguments");
  if (f->variadic ? nargs < f->nparams : nargs != f->nparams)
    return luaL_error(L, "wrong number of arguments for function call (%d for %d)", nargs, f->nparams);
  lua_getiuservalue(L, fi, 2);
  int pt = lua_gettop(L);
  if (f->variadic) {
    /* the prepared call for these variadic types, cached by type ids */
    const abicall_type *vt[MAX_ARGS];
    luaL_Buffer key;
    int base = lua_gettop(L);
    luaL_buffinit(L, &key);
    for (i = f->nparams; i < nargs; i++) {
      vararg_ctype(L, i + a0);
      ctype *ct = toctype(L, -1);
      vt[i - f->nparams] = ct->t;
      lua_pushfstring(L, "%d,", (int)ct->id);
      lua_insert(L, -2);
      lua_insert(L, base + 1 + (i - f->nparams)); /* keep the ctypes below the buffer */
      luaL_addvalue(&key);
    }
    luaL_pushresult(&key);
    lua_getiuservalue(L, fi, 3);
    lua_pushvalue(L, -2);
    if (lua_gettable(L, -2) == LUA_TLIGHTUSERDATA) fn = (abicall_function *)lua_touserdata(L, -1);
    else {
      lua_getiuservalue(L, fi, 1);
      CHECK(L, abicall_function_new_at(toctype(L, -1)->t, f->code, vt, (size_t)(nargs - f->nparams), &fn, E));
      lua_pop(L, 1);
      lua_pushvalue(L, -3);
      lua_pushlightuserdata(L, fn);
      lua_settable(L, -4); /* freed with the func (see func_gc_var) */
      { size_t n = 0; if (abicall_function_memory_size(fn, &n, NULL) == ABICALL_OK) gc_account(L, n); }
    }
    lua_pop(L, 3);
    for (i = f->nparams; i < nargs; i++) {
      void *p = &slots[i];
      if (toctype(L, base + 1 + (i - f->nparams))->size > sizeof slots[i]) p = lua_newuserdatauv(L, toctype(L, base + 1 + (i - f->nparams))->size, 0);
      to_c(L, i + a0, base + 1 + (i - f->nparams), p);
      argv[i] = p;
    }
    abicall_function_ret_size(fn, &f->ret_size, NULL);
  }
  for (i = 0; i < f->nparams; i++) {
    int a = i + a0;
    lua_rawgeti(L, pt, i + 1);
    ctype *ct = toctype(L, -1);
    cdata *cd;
    if (is_record(ct->kind) && (cd = tocdata(L, a)) != NULL) argv[i] = cd->ptr; /* by value, no copy */
    else if (ct->kind == ABICALL_KIND_DOUBLE && lua_type(L, a) == LUA_TNUMBER) { slots[i].d = lua_tonumber(L, a); argv[i] = &slots[i]; }
    else {
      if (ct->size > sizeof slots[i]) {
        /* a large value: its memory stays on the Lua stack during the call */
        void *p = lua_newuserdatauv(L, ct->size, 0);
        to_c(L, a, -2, p);
        argv[i] = p;
        lua_remove(L, -2);
        continue;
      }
      to_c(L, a, -1, &slots[i]);
      argv[i] = &slots[i];
    }
    lua_pop(L, 1);
  }
  if (f->ret_size > sizeof retbuf) ret = lua_newuserdatauv(L, f->ret_size, 0);
  abicall_error e;
  lua_State *prev = running;
  running = L;
  errno = saved_errno;
  abicall_status s = abicall_call(fn, argv, ret, &e);
  saved_errno = errno;
  running = prev;
  if (s != ABICALL_OK) return call_status(L, s, &e);
  lua_rawgeti(L, pt, 0);
  ctype *rt = toctype(L, -1);
  if (rt->kind == ABICALL_KIND_DOUBLE) { lua_pushnumber(L, *(double *)ret); return 1; }
  if (rt->kind == ABICALL_KIND_VOID) return 0;
  if (is_record(rt->kind)) { memcpy(new_cdata(L, -1, rt->size)->ptr, ret, rt->size); return 1; }
  push_value(L, -1, ret, 0);
  return 1;
}

/* C functions of a namespace are Lua C closures over their func userdata:
 * calling a C function is then as cheap for Lua as calling any C function
 * (a userdata with __call costs a metamethod lookup per call). */
static int func_closure_call(lua_State *L) { return func_call_at(L, lua_upvalueindex(1), 1); }

/* The closure of a function whose parameters and result are all scalars
 * (all_fast): straight to fast_call, without func_call_at's general frame. */
static int func_closure_fast(lua_State *L) {
  func *f = (func *)lua_touserdata(L, lua_upvalueindex(1));
  int nargs = lua_gettop(L);
  if (nargs != f->nparams || nargs > FAST_ARGS) return func_call_at(L, lua_upvalueindex(1), 1);
  return fast_call(L, f, lua_upvalueindex(1), 1, nargs);
}

/* __call of FUNC_MT: argument 1 is always a func userdata. */
static int func_call(lua_State *L) { return func_call_at(L, 1, 2); }

/* The func behind a value: a func userdata or one of its closures. */
static func *func_of(lua_State *L, int i) {
  func *f = tofunc(L, i);
  if (f) { lua_pushvalue(L, i); return f; }
  if (lua_tocfunction(L, i) == func_closure_call || lua_tocfunction(L, i) == func_closure_fast) {
    lua_getupvalue(L, i, 1);
    return tofunc(L, -1);
  }
  return NULL;
}

static int func_gc_var(lua_State *L) {
  if (lua_getiuservalue(L, 1, 3) == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      abicall_function_free((abicall_function *)lua_touserdata(L, -1), NULL);
      lua_pop(L, 1);
    }
  }
  return func_gc(L);
}

static int func_tostring(lua_State *L) {
  char tn[128];
  lua_getiuservalue(L, 1, 1);
  ctype_name(toctype(L, -1), tn, sizeof tn);
  lua_pushfstring(L, "cdata<%s>: %p", tn, tofunc(L, 1)->code);
  return 1;
}

/* ------------------------------------------------------------ 8. callbacks */

typedef struct cbrec {
  abicall_callback *cb;
  lua_State *main;  /* the main thread of the state that made it */
  int fnref;      /* the Lua function (registry ref) */
  int sigref;     /* the function ctype (registry ref) */
} cbrec;

/* Runs inside lua_pcall: converts the C arguments, calls the Lua function
 * and converts its result into `ret`. */
static int cb_body(lua_State *L) {
  cbrec *r = (cbrec *)lua_touserdata(L, 1);
  void *const *args = (void *const *)lua_touserdata(L, 2);
  void *ret = lua_touserdata(L, 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->sigref);
  int sig = lua_gettop(L);
  size_t np = 0, i;
  abicall_type_signature(toctype(L, sig)->t, &np, NULL, NULL);
  lua_rawgeti(L, LUA_REGISTRYINDEX, r->fnref);
  for (i = 0; i < np; i++) {
    abicall_type *pt;
    CHECK(L, abicall_type_param(toctype(L, sig)->t, i, &pt, E));
    push_ctype(L, pt);
    push_value(L, -1, args[i], 0);
    lua_remove(L, -2);
    if (lua_type(L, -1) == LUA_TUSERDATA && tocdata(L, -1) && is_record(cdata_ctype(L, -1)->kind)) {
      /* a struct argument by value: copy it out of the C frame */
      lua_getiuservalue(L, -1, 1);
      ctype *ct = toctype(L, -1);
      cdata *copy = new_cdata(L, -1, ct->size);
      memcpy(copy->ptr, tocdata(L, -3)->ptr, ct->size);
      lua_remove(L, -2); lua_remove(L, -2);
    }
  }
  lua_call(L, (int)np, 1);
  abicall_type *rt;
  CHECK(L, abicall_type_param(toctype(L, sig)->t, ABICALL_RETURN, &rt, E));
  ctype *rct = push_ctype(L, rt);
  if (rct->kind != ABICALL_KIND_VOID) to_c(L, -2, -1, ret);
  return 0;
}

/* The abicall status callback: never lets a Lua error escape (lua_pcall);
 * a failure is saved and reported as a status, re-raised by func_call. */
static int cb_entry(void *user, void *const *args, void *ret, abicall_error *err) {
  cbrec *r = (cbrec *)user;
  /* the Lua thread whose C call is running the callback, else (called by C
   * on its own, outside any call) the main thread of the callback's state */
  lua_State *L = running ? running : r->main;
  int top = lua_gettop(L);
  if (!lua_checkstack(L, 8)) return ABICALL_E_MEMORY;
  lua_pushcfunction(L, cb_body);
  lua_pushlightuserdata(L, user);
  lua_pushlightuserdata(L, (void *)args);
  lua_pushlightuserdata(L, ret);
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    const char *m = lua_tostring(L, -1);
    snprintf(err->message, sizeof err->message, "%s", m ? m : "(error object is not a string)");
    /* kept for the running call to re-raise; outside any call the hook
     * reports the message and the value is dropped */
    if (running && saved_error == LUA_NOREF) saved_error = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, top);
    return ABICALL_E_CALLBACK;
  }
  lua_settop(L, top);
  return ABICALL_OK;
}

static void cb_hook(void *user, const char *message) {
  (void)user;
  /* a call through the module runs: it re-raises the saved Lua error */
  if (running && saved_error != LUA_NOREF) return;
  fprintf(stderr, "abicall (Lua): callback error: %s\n", message);
}

/* ffi.cast("T (*)(...)", luafn): a callback pointer cdata. */
static int make_callback(lua_State *L, int cti, int fni) {
  ctype *ct = toctype(L, cti);
  cbrec *r = (cbrec *)lua_newuserdatauv(L, sizeof(cbrec), 0);
  int ri = lua_gettop(L);
  memset(r, 0, sizeof *r);
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  r->main = lua_tothread(L, -1);
  lua_pop(L, 1);
  lua_pushvalue(L, fni);
  r->fnref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, cti);
  r->sigref = luaL_ref(L, LUA_REGISTRYINDEX);
  abicall_callback_options o;
  memset(&o, 0, sizeof o);
  o.size = sizeof o;
  o.flags = ABICALL_CALLBACK_OWNER_THREAD; /* a Lua state is single-threaded */
  o.on_error = cb_hook;
  abicall_error e;
  if (abicall_callback_new_status(ct->t, cb_entry, r, NULL, &o, &r->cb, &e) != ABICALL_OK) {
    luaL_unref(L, LUA_REGISTRYINDEX, r->fnref);
    luaL_unref(L, LUA_REGISTRYINDEX, r->sigref);
    return luaL_error(L, "%s", e.message);
  }
  void *code;
  abicall_callback_code(r->cb, &code, NULL);
  cdata *cd = new_cdata(L, cti, sizeof(void *));
  *(void **)cd->ptr = code;
  cd->is_cb = 1;
  lua_pushvalue(L, ri);
  lua_setiuservalue(L, -2, 2); /* the record, kept alive by the pointer cdata */
  { size_t n = 0; if (abicall_callback_memory_size(r->cb, &n, NULL) == ABICALL_OK) gc_account(L, n); }
  return 1;
}

static cbrec *check_cb(lua_State *L) {
  cdata *cd = tocdata(L, 1);
  if (!cd || !cd->is_cb) luaL_error(L, "not a callback");
  lua_getiuservalue(L, 1, 2);
  cbrec *r = (cbrec *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!r->cb) luaL_error(L, "bad callback");
  return r;
}

static int cb_free(lua_State *L) {
  cbrec *r = check_cb(L);
  abicall_callback_free(r->cb, NULL);
  r->cb = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, r->fnref);
  luaL_unref(L, LUA_REGISTRYINDEX, r->sigref);
  return 0;
}

static int cb_set(lua_State *L) {
  cbrec *r = check_cb(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_rawseti(L, LUA_REGISTRYINDEX, r->fnref);
  return 0;
}

/* ------------------------------------------------------------ 9. ffi table */

static int ffi_cdef(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  abicall_error e;
  /* LuaJIT's variable-length struct member `T x[?]` is C's flexible array
   * member `T x[]` (ffi.new gives it its length). */
  luaL_gsub(L, s, "[?]", "[]");
  s = lua_tolstring(L, -1, &len);
  abicall_status st = abicall_cdef(S->ctx, s, len, &e);
  if (st != ABICALL_OK) {
    if (e.line) return luaL_error(L, "%d:%d: %s", (int)e.line, (int)e.col, e.message);
    return luaL_error(L, "%s", e.message);
  }
  return 0;
}

static int ffi_new(lua_State *L) {
  int n = lua_gettop(L);
  int is_vla = lua_type(L, 1) == LUA_TSTRING && strstr(lua_tostring(L, 1), "[?]") != NULL;
  ctype *ct = is_vla ? (lua_pushnil(L), NULL) : check_ctype(L, 1);
  int cti = lua_gettop(L);
  int first = 2, ninit = n - 1;
  size_t size = ct ? ct->size : 0;
  char tn[128];
  if (ct) ctype_name(ct, tn, sizeof tn);
  if (is_vla) {
    /* a VLA: T[?] with the count as first initializer */
    char name[256];
    const char *src = lua_tostring(L, 1), *q = strstr(src, "[?]");
    int64_t count = 0;
    if (!to_i64(L, 2, &count, NULL)) return luaL_error(L, "VLA size expected");
    if (count < 0) return luaL_error(L, "negative VLA size");
    snprintf(name, sizeof name, "%.*s[%lld]%s", (int)(q - src), src, (long long)count, q + 3);
    lua_pop(L, 1);
    ct = ctype_of_name(L, name);
    cti = lua_gettop(L);
    size = ct->size;
    first = 3;
    ninit = n - 2;
  } else if (is_record(ct->kind) && ninit >= 1 && lua_type(L, 2) == LUA_TNUMBER) {
    /* a variable-length struct: its last member is `T x[?]` (C's `T x[]`) */
    size_t nf = 0;
    abicall_field fd;
    abicall_type *ft;
    abicall_type_field_count(ct->t, &nf, NULL);
    if (nf && abicall_type_field(ct->t, nf - 1, &fd, NULL, 0, &ft, NULL) == ABICALL_OK) {
      ctype *fct = push_ctype(L, ft);
      if (fct->kind == ABICALL_KIND_ARRAY && fct->length == 0) {
        ctype *el = push_item(L, -1);
        int64_t count = 0;
        to_i64(L, 2, &count, NULL);
        if (count < 0) return luaL_error(L, "negative VLS size");
        size = fd.offset + (size_t)count * el->size;
        if (size < ct->size) size = ct->size;
        size = (size + ct->align - 1) / ct->align * ct->align;
        first = 3;
        ninit = n - 2;
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
  }
  if (!size) return luaL_error(L, "cannot create an object of the incomplete type '%s'", tn);
  cdata *cd = new_cdata(L, cti, size);
  int cdi = lua_gettop(L);
  if (ct && size != ct->size) cd->vla_len = size;
  if (ninit > 0) {
    if (is_ptrlike(ct->kind) && ct->kind == ABICALL_KIND_ARRAY) init_aggregate(L, cti, cd->ptr, first, ninit);
    else if (is_record(ct->kind)) init_aggregate(L, cti, cd->ptr, first, ninit);
    else if (ninit >= 2 && (ct->kind == ABICALL_KIND_FLOAT_COMPLEX || ct->kind == ABICALL_KIND_DOUBLE_COMPLEX ||
                            ct->kind == ABICALL_KIND_LONGDOUBLE_COMPLEX)) {
      /* ffi.new("double _Complex", re, im) */
      int ok1 = 0, ok2 = 0;
      double re = to_num(L, first, &ok1), im = to_num(L, first + 1, &ok2);
      if (!ok1 || !ok2) return luaL_error(L, "cannot convert the parts of '%s' to numbers", tn);
      CHECK(L, abicall_store_complex(ct->t, cd->ptr, NULL, re, im, E));
    } else to_c(L, first, cti, cd->ptr);
  }
  lua_settop(L, cdi);
  if (is_record(ct->kind) && lua_getiuservalue(L, cti, 2) == LUA_TTABLE && lua_getfield(L, -1, "__gc") == LUA_TFUNCTION) {
    lua_setiuservalue(L, cdi, 3);
  }
  lua_settop(L, cdi);
  return 1;
}

/* ffi.typeof("T")(init...): the metatype's __new if it has one (called
 * with the ctype and the arguments, as LuaJIT does; ffi.new inside it
 * gives the default constructor), else ffi.new. */
static int ctype_call(lua_State *L) {
  int top = lua_gettop(L);     /* the ctype (argument 1) and the arguments */
  ctype *ct = toctype(L, 1);
  if (ct && is_record(ct->kind)) {
    if (lua_getiuservalue(L, 1, 2) == LUA_TTABLE && lua_getfield(L, -1, "__new") != LUA_TNIL) {
      lua_replace(L, -2);      /* __new where the metatype table was */
      lua_insert(L, 1);        /* below the ctype and the arguments */
      lua_call(L, top, LUA_MULTRET);
      return lua_gettop(L);
    }
    lua_settop(L, top);
  }
  return ffi_new(L);
}

static int ffi_cast(lua_State *L) {
  ctype *ct = check_ctype(L, 1);
  int cti = lua_gettop(L);
  if (lua_isfunction(L, 2)) {
    if (ct->kind != ABICALL_KIND_POINTER) return luaL_error(L, "a callback needs a function pointer type");
    return make_callback(L, cti, 2);
  }
  if (ct->kind == ABICALL_KIND_POINTER) {
    int ok;
    void *p = to_ptr(L, 2, &ok);
    if (!ok) {
      int64_t v;
      if (!to_i64(L, 2, &v, NULL)) return luaL_error(L, "cannot convert '%s' to a pointer", luaL_typename(L, 2));
      p = (void *)(uintptr_t)v;
    }
    cdata *cd = new_cdata(L, cti, sizeof(void *));
    *(void **)cd->ptr = p;
    if (lua_type(L, 2) == LUA_TUSERDATA) { lua_pushvalue(L, 2); lua_setiuservalue(L, -2, 2); }
    return 1;
  }
  if (is_int_kind(ct->kind) || ct->kind == ABICALL_KIND_BOOL || ct->kind == ABICALL_KIND_ENUM) {
    int64_t v;
    int ok;
    if (!to_i64(L, 2, &v, NULL)) { v = (int64_t)(uintptr_t)to_ptr(L, 2, &ok); if (!ok) return luaL_error(L, "cannot cast '%s'", luaL_typename(L, 2)); }
    cdata *cd = new_cdata(L, cti, ct->size);
    if (ct->kind == ABICALL_KIND_BOOL) *(unsigned char *)cd->ptr = v != 0;
    else store_int(ct, cd->ptr, v);
    return 1;
  }
  cdata *cd = new_cdata(L, cti, ct->size ? ct->size : 1);
  to_c(L, 2, cti, cd->ptr);
  return 1;
}

/* LuaJIT's parameterized types: each `$` in the type name is replaced by
 * the next argument, a ctype (spelt by its C name) or an integer. */
static int ffi_typeof(lua_State *L) {
  if (func_of(L, 1)) { lua_getiuservalue(L, -1, 1); return 1; }
  if (lua_type(L, 1) == LUA_TSTRING && lua_gettop(L) > 1) {
    const char *src = lua_tostring(L, 1);
    int arg = 2, nargs = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (; *src; src++) {
      if (*src != '$') { luaL_addchar(&b, *src); continue; }
      if (arg > nargs) return luaL_error(L, "missing argument for '$'");
      ctype *ct = toctype(L, arg);
      char tn[256];
      if (ct) ctype_name(ct, tn, sizeof tn);
      else if (lua_isinteger(L, arg)) snprintf(tn, sizeof tn, "%lld", (long long)lua_tointeger(L, arg));
      else return luaL_error(L, "bad argument #%d to 'typeof' (ctype or integer expected)", arg);
      if (strstr(tn, "<anonymous>")) return luaL_error(L, "cannot spell the anonymous type '%s' in a '$' parameter", tn);
      luaL_addstring(&b, tn);
      arg++;
    }
    luaL_pushresult(&b);
    ctype_of_name(L, lua_tostring(L, -1));
    return 1;
  }
  check_ctype(L, 1);
  return 1;
}

static int ffi_istype(lua_State *L) {
  ctype *ct = check_ctype(L, 1);
  cdata *cd = tocdata(L, 2);
  if (!cd) { lua_pushboolean(L, 0); return 1; }
  ctype *o = cdata_ctype(L, 2);
  int same = o->id == ct->id;
  if (!same && is_record(ct->kind) && o->kind == ABICALL_KIND_POINTER) {
    lua_getiuservalue(L, 2, 1);
    same = push_item(L, -1)->id == ct->id;
  }
  lua_pushboolean(L, same);
  return 1;
}

static int ffi_sizeof(lua_State *L) {
  if (lua_type(L, 1) == LUA_TSTRING && strstr(lua_tostring(L, 1), "[?]")) {
    char name[256];
    int64_t count = 0;
    const char *src = lua_tostring(L, 1), *q = strstr(src, "[?]");
    if (!to_i64(L, 2, &count, NULL)) { lua_pushnil(L); return 1; }
    snprintf(name, sizeof name, "%.*s[%lld]%s", (int)(q - src), src, (long long)count, q + 3);
    lua_pushinteger(L, (lua_Integer)ctype_of_name(L, name)->size);
    return 1;
  }
  ctype *ct = check_ctype(L, 1);
  cdata *cd = tocdata(L, 1);
  if (cd && cd->vla_len) { lua_pushinteger(L, (lua_Integer)cd->vla_len); return 1; }
  if (!ct->size) {
    if (0) {
      char name[256];
      const char *src = lua_tostring(L, 1), *q = strstr(src, "[?]");
      snprintf(name, sizeof name, "%.*s[%lld]%s", (int)(q - src), src, (long long)lua_tointeger(L, 2), q + 3);
      lua_pushinteger(L, (lua_Integer)ctype_of_name(L, name)->size);
      return 1;
    }
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)ct->size);
  return 1;
}

static int ffi_alignof(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)check_ctype(L, 1)->align);
  return 1;
}

static int ffi_offsetof(lua_State *L) {
  ctype *ct = check_ctype(L, 1);
  const char *f = luaL_checkstring(L, 2);
  size_t off;
  abicall_error e;
  if (abicall_type_offsetof(ct->t, f, &off, NULL, &e) != ABICALL_OK) {
    /* a bitfield: LuaJIT returns its byte offset, bit position and size */
    push_fields(L, lua_gettop(L));
    if (lua_getfield(L, -1, f) == LUA_TTABLE) {
      abicall_field fd;
      size_t i, n = 0;
      abicall_type_field_count(ct->t, &n, NULL);
      for (i = 0; i < n; i++) {
        char nm[256];
        abicall_type_field(ct->t, i, &fd, nm, sizeof nm, NULL, NULL);
        if (!strcmp(nm, f)) {
          lua_pushinteger(L, (lua_Integer)fd.offset);
          lua_pushinteger(L, fd.bit_offset);
          lua_pushinteger(L, fd.bit_width);
          return 3;
        }
      }
    }
    return 0;
  }
  lua_pushinteger(L, (lua_Integer)off);
  return 1;
}

static int ffi_string(lua_State *L) {
  int ok;
  const char *p = (const char *)to_ptr(L, 1, &ok);
  if (!ok) return luaL_error(L, "cannot convert '%s' to 'const char *'", luaL_typename(L, 1));
  if (!p) return luaL_error(L, "bad argument #1 to 'string' (NULL pointer)");
  if (lua_isnoneornil(L, 2)) lua_pushstring(L, p);
  else {
    int64_t n;
    if (!to_i64(L, 2, &n, NULL) || n < 0) return luaL_error(L, "bad length");
    lua_pushlstring(L, p, (size_t)n);
  }
  return 1;
}

static int ffi_copy(lua_State *L) {
  int ok1, ok2;
  void *d = to_ptr(L, 1, &ok1);
  const void *s = to_ptr(L, 2, &ok2);
  if (!ok1 || !ok2) return luaL_error(L, "ffi.copy: bad pointer");
  size_t n;
  if (lua_isnoneornil(L, 3)) {
    if (lua_type(L, 2) != LUA_TSTRING) return luaL_error(L, "ffi.copy: missing length");
    n = lua_rawlen(L, 2) + 1;
  } else {
    int64_t v;
    if (!to_i64(L, 3, &v, NULL) || v < 0) return luaL_error(L, "ffi.copy: bad length");
    n = (size_t)v;
  }
  memmove(d, s, n);
  return 0;
}

static int ffi_fill(lua_State *L) {
  int ok;
  void *d = to_ptr(L, 1, &ok);
  int64_t n, c = 0;
  if (!ok || !to_i64(L, 2, &n, NULL)) return luaL_error(L, "ffi.fill: bad arguments");
  if (!lua_isnoneornil(L, 3)) to_i64(L, 3, &c, NULL);
  memset(d, (int)c, (size_t)n);
  return 0;
}

static int ffi_errno(lua_State *L) {
  int old = saved_errno;
  if (!lua_isnoneornil(L, 1)) saved_errno = errno = (int)luaL_checkinteger(L, 1);
  lua_pushinteger(L, old);
  return 1;
}

static int ffi_gc(lua_State *L) {
  if (!tocdata(L, 1)) return luaL_error(L, "ffi.gc: cdata expected");
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, 1, 3);
  lua_settop(L, 1);
  return 1;
}

/* ffi.abi(param): the host's ABI properties, as LuaJIT names them. */
static int ffi_abi(lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  static const char *const yes[] = {"64bit", "le", "fpu", "hardfp", NULL};
  int r = 0, i;
  for (i = 0; yes[i]; i++) r |= !strcmp(p, yes[i]);
  lua_pushboolean(L, r);
  return 1;
}

static int ffi_metatype(lua_State *L) {
  ctype *ct = check_ctype(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!is_record(ct->kind)) return luaL_error(L, "ffi.metatype: a struct or union type expected");
  if (lua_getiuservalue(L, -1, 2) == LUA_TTABLE) return luaL_error(L, "cannot change a protected metatable");
  lua_pop(L, 1);
  lua_pushvalue(L, 2);
  lua_setiuservalue(L, -2, 2);
  return 1; /* the ctype */
}

static int ffi_tonumber(lua_State *L) {
  cdata *cd = tocdata(L, 1);
  if (!cd) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
  }
  ctype *ct = cdata_ctype(L, 1);
  if (is_int_kind(ct->kind) || ct->kind == ABICALL_KIND_ENUM || ct->kind == ABICALL_KIND_BOOL) {
    int64_t v; int u;
    to_i64(L, 1, &v, &u);
    if (u && v < 0) lua_pushnumber(L, (double)(uint64_t)v);
    else lua_pushinteger(L, v);
    return 1;
  }
  int ok;
  double d = to_num(L, 1, &ok);
  if (ok) lua_pushnumber(L, d);
  else if (ct->kind == ABICALL_KIND_POINTER) lua_pushnil(L);
  else lua_pushnil(L);
  return 1;
}

/* Namespace lookup (ffi.C.name, lib.name): functions (cached), variables,
 * constants. The namespace userdata holds its abicall_library. */
typedef struct ns { abicall_library *lib; } ns;

static int ns_index(lua_State *L) {
  ns *n = (ns *)luaL_checkudata(L, 1, NS_MT);
  const char *name = luaL_checkstring(L, 2);
  lua_getiuservalue(L, 1, 1); /* cache */
  if (lua_getfield(L, -1, name) != LUA_TNIL) return 1;
  lua_pop(L, 1);
  abicall_declaration kind;
  abicall_error e;
  if (abicall_decl_kind(S->ctx, name, &kind, &e) != ABICALL_OK) return luaL_error(L, "missing declaration for symbol '%s'", name);
  if (kind == ABICALL_DECL_CONSTANT) {
    int64_t v;
    double d;
    if (abicall_constant_int(S->ctx, name, &v, NULL) == ABICALL_OK) lua_pushinteger(L, v);
    else { abicall_constant_double(S->ctx, name, &d, NULL); lua_pushnumber(L, d); }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, name);
    return 1;
  }
  if (kind == ABICALL_DECL_FUNCTION) {
    abicall_function *fn = NULL;
    abicall_type *ft;
    bool var = false;
    const void *code = NULL;
    CHECK(L, abicall_decl_variadic(S->ctx, name, &var, E));
    CHECK(L, abicall_decl_type(S->ctx, name, &ft, E));
    push_ctype(L, ft);
    if (!var) {
      CHECK(L, abicall_function_new(S->ctx, n->lib, name, NULL, 0, &fn, E));
      abicall_function_code(fn, &code, NULL);
    } else {
      void *addr;
      CHECK(L, abicall_library_symbol(n->lib, name, &addr, E));
      code = addr;
    }
    func *f = push_func(L, -1, (void *)code, fn);
    lua_pushcclosure(L, f->all_fast && f->nparams <= FAST_ARGS ? func_closure_fast : func_closure_call, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -4, name);
    return 1;
  }
  if (kind == ABICALL_DECL_VARIABLE) {
    void *addr;
    abicall_type *vt;
    CHECK(L, abicall_variable(S->ctx, n->lib, name, &addr, &vt, E));
    push_ctype(L, vt);
    push_value(L, -1, addr, 0);
    return 1;
  }
  return luaL_error(L, "'%s' is not a function, variable or constant", name);
}

static int ns_newindex(lua_State *L) {
  ns *n = (ns *)luaL_checkudata(L, 1, NS_MT);
  const char *name = luaL_checkstring(L, 2);
  void *addr;
  abicall_type *vt;
  CHECK(L, abicall_variable(S->ctx, n->lib, name, &addr, &vt, E));
  push_ctype(L, vt);
  to_c(L, 3, -1, addr);
  return 0;
}

static int ns_gc(lua_State *L) {
  ns *n = (ns *)luaL_checkudata(L, 1, NS_MT);
  if (n->lib) { abicall_library_free(n->lib, NULL); n->lib = NULL; }
  return 0;
}

static void push_ns(lua_State *L, abicall_library *lib) {
  ns *n = (ns *)lua_newuserdatauv(L, sizeof(ns), 1);
  n->lib = lib;
  luaL_setmetatable(L, NS_MT);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 1);
}

/* LuaJIT's ffi.load("m") tries libm.so, which on many systems is a linker
 * script (GROUP ( /lib/.../libm.so.6 ... )): opens the first library it
 * names. */
static abicall_library *open_ld_script(const char *file, uint32_t flags) {
  static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib"};
  size_t d;
  for (d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
    char path[1024], text[2048], lib[512];
    snprintf(path, sizeof path, "%s/%s", dirs[d], file);
    FILE *fp = fopen(path, "r");
    if (!fp) continue;
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = 0;
    const char *g = strstr(text, "GROUP");
    if (!g) g = strstr(text, "INPUT");
    if (!g || !(g = strchr(g, '/'))) continue;
    size_t k = 0;
    while (g[k] && g[k] != ' ' && g[k] != ')' && k < sizeof lib - 1) { lib[k] = g[k]; k++; }
    lib[k] = 0;
    abicall_library *h;
    if (abicall_library_open(lib, flags, &h, NULL) == ABICALL_OK) return h;
  }
  return NULL;
}

static int ffi_load(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  abicall_library *lib;
  abicall_error e;
  uint32_t flags = lua_toboolean(L, 2) ? ABICALL_OPEN_GLOBAL : 0;
  if (abicall_library_open(name, flags, &lib, &e) != ABICALL_OK) {
    /* LuaJIT also tries lib<name>.so */
    char alt[512];
    snprintf(alt, sizeof alt, "lib%s.so", name);
    if (strchr(name, '/')) return luaL_error(L, "%s", e.message);
    if (abicall_library_open(alt, flags, &lib, NULL) != ABICALL_OK && !(lib = open_ld_script(alt, flags)))
      return luaL_error(L, "%s", e.message);
  }
  push_ns(L, lib);
  return 1;
}

static int ctype_tostring(lua_State *L) {
  char tn[128];
  ctype_name(toctype(L, 1), tn, sizeof tn);
  lua_pushfstring(L, "ctype<%s>", tn);
  return 1;
}

static int ctype_eq(lua_State *L) {
  ctype *a = toctype(L, 1), *b = toctype(L, 2);
  lua_pushboolean(L, a && b && a->id == b->id);
  return 1;
}

static const luaL_Reg cdata_mt[] = {
  {"__index", cdata_index}, {"__newindex", cdata_newindex}, {"__add", cdata_add}, {"__sub", cdata_sub},
  {"__mul", cdata_mul}, {"__div", cdata_div}, {"__mod", cdata_mod}, {"__pow", cdata_pow}, {"__unm", cdata_unm},
  {"__eq", cdata_eq}, {"__lt", cdata_lt}, {"__le", cdata_le}, {"__tostring", cdata_tostring},
  {"__len", cdata_len}, {"__concat", cdata_concat}, {"__gc", cdata_gc}, {"__call", cdata_call}, {NULL, NULL}};

static const luaL_Reg ffi_funcs[] = {
  {"cdef", ffi_cdef}, {"new", ffi_new}, {"cast", ffi_cast}, {"typeof", ffi_typeof}, {"istype", ffi_istype},
  {"sizeof", ffi_sizeof}, {"alignof", ffi_alignof}, {"offsetof", ffi_offsetof}, {"string", ffi_string},
  {"copy", ffi_copy}, {"fill", ffi_fill}, {"errno", ffi_errno}, {"gc", ffi_gc}, {"metatype", ffi_metatype},
  {"load", ffi_load}, {"abi", ffi_abi}, {NULL, NULL}};

int luaopen_abicall(lua_State *L) {
  if (!S) {
    S = (state *)calloc(1, sizeof *S);
    if (!S) return luaL_error(L, "out of memory");
    abicall_error e;
    if (abicall_context_new(NULL, &S->ctx, &e) != ABICALL_OK || abicall_library_open(NULL, 0, &S->process, &e) != ABICALL_OK) {
      free(S); S = NULL;
      return luaL_error(L, "%s", e.message);
    }
    saved_error = LUA_NOREF;
  }
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "abicall.ctypes");
  luaL_newmetatable(L, CTYPE_MT);
  lua_pushcfunction(L, ctype_gc); lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, ctype_tostring); lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, ctype_call); lua_setfield(L, -2, "__call");
  lua_pushcfunction(L, ctype_eq); lua_setfield(L, -2, "__eq");
  lua_pop(L, 1);
  luaL_newmetatable(L, CDATA_MT);
  luaL_setfuncs(L, cdata_mt, 0);
  lua_pop(L, 1);
  luaL_newmetatable(L, FUNC_MT);
  lua_pushcfunction(L, func_call); lua_setfield(L, -2, "__call");
  lua_pushcfunction(L, func_gc_var); lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, func_tostring); lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
  luaL_newmetatable(L, NS_MT);
  lua_pushcfunction(L, ns_index); lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ns_newindex); lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, ns_gc); lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_newtable(L);
  lua_pushcfunction(L, cb_free); lua_setfield(L, -2, "free");
  lua_pushcfunction(L, cb_set); lua_setfield(L, -2, "set");
  lua_setfield(L, LUA_REGISTRYINDEX, "abicall.cbmethods");

  luaL_newlib(L, ffi_funcs);
  abicall_library *proc;
  abicall_error e;
  if (abicall_library_open(NULL, 0, &proc, &e) != ABICALL_OK) return luaL_error(L, "%s", e.message);
  push_ns(L, proc);
  lua_setfield(L, -2, "C");
  ctype_of_name(L, "void *");
  new_cdata(L, -1, sizeof(void *));
  lua_setfield(L, -3, "nullptr");
  lua_pop(L, 1);
  {
    const char *target = "x86_64";
    abicall_context_target(S->ctx, &target, NULL);
    lua_pushstring(L, !strcmp(target, "x86_64") ? "x64" : "arm64");
    lua_setfield(L, -2, "arch");
    lua_pushstring(L, !strcmp(target, "aarch64-apple") ? "OSX" : "Linux");
    lua_setfield(L, -2, "os");
  }
  /* tonumber on cdata, as in LuaJIT: the global is wrapped (documented) */
  lua_getglobal(L, "tonumber");
  if (lua_tocfunction(L, -1) != ffi_tonumber) {
    lua_pushcclosure(L, ffi_tonumber, 1);
    lua_pushvalue(L, -1);
    lua_setglobal(L, "tonumber");
  }
  lua_setfield(L, -2, "tonumber");
  return 1;
}
