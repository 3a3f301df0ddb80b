#!/usr/bin/env bash
# Lua bench: `cos` per call through the abicall Lua module vs a plain Lua C
# function, in one run, then LuaJIT's interpreter (-joff) on the same calls.
# Usage: benches/lua/run.sh [calls per round]   (builds what it needs)
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p abicall-capi --release
make -s -C bindings/lua
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -shared -fPIC -I/usr/include/lua5.4 -o "$tmp/plaincos.so" benches/lua/plaincos.c -lm
LUA_CPATH="bindings/lua/?.so;$tmp/?.so" lua5.4 -e 'package.preload.ffi = function() return require("abicall") end' benches/lua/cos.lua "$@"
luajit -joff benches/lua/cos.lua "$@"
