#!/usr/bin/env bash
# Runs every test program under LuaJIT (the oracle) and under Lua 5.4 with
# bindings/lua/abicall.so preloaded as `ffi`; their outputs must be equal.
# Usage: bindings/lua/tests/run.sh   (after `make -C bindings/lua`)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lua54() { LUA_CPATH="$here/../?.so" lua5.4 -e 'package.preload.ffi = function() return require("abicall") end' "$@"; }
# *_puc.lua: assertions about where PUC Lua differs from LuaJIT (lua5.4 only)
for t in "$here"/*_puc.lua; do lua54 "$t"; done
for t in "$here"/*.lua; do
  case "$t" in *_puc.lua) continue ;; esac
  want="$(luajit "$t" 2>&1)" || { echo "luajit failed on $t:"; echo "$want"; exit 1; }
  got="$(lua54 "$t" 2>&1)" || { echo "lua5.4 failed on $t:"; echo "$got"; exit 1; }
  if [ "$want" != "$got" ]; then
    echo "output differs for $(basename "$t") (luajit < > lua5.4 + abicall):"
    diff <(echo "$want") <(echo "$got") || true
    exit 1
  fi
  echo "ok $(basename "$t") ($(echo "$want" | wc -l) lines, same under luajit and lua5.4)"
done
