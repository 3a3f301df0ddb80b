/* The baseline of benches/lua/cos.lua: a plain Lua C function calling cos
 * directly, the cheapest way Lua 5.4 can reach a C function. */
#include <lua.h>
#include <lauxlib.h>
#include <math.h>

static int plain_cos(lua_State *L) {
  lua_pushnumber(L, cos(luaL_checknumber(L, 1)));
  return 1;
}

int luaopen_plaincos(lua_State *L) {
  lua_pushcfunction(L, plain_cos);
  return 1;
}
