#!/usr/bin/env bash
# Runs every test program under LuaJIT (the oracle) and under Lua 5.4 with
# bindings/lua/abicall.so preloaded as `ffi`; their outputs must be equal.
# Usage: bindings/lua/tests/run.sh   (after `make -C bindings/lua`)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for t in "$here"/*.lua; do
  want="$(luajit "$t" 2>&1)" || { echo "luajit failed on $t:"; echo "$want"; exit 1; }
  got="$(LUA_CPATH="$here/../?.so" lua5.4 -e 'package.preload.ffi = function() return require("abicall") end' "$t" 2>&1)" || { echo "lua5.4 failed on $t:"; echo "$got"; exit 1; }
  if [ "$want" != "$got" ]; then
    echo "output differs for $(basename "$t") (luajit < > lua5.4 + abicall):"
    diff <(echo "$want") <(echo "$got") || true
    exit 1
  fi
  echo "ok $(basename "$t") ($(echo "$want" | wc -l) lines, same under luajit and lua5.4)"
done
