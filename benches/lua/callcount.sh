#!/usr/bin/env bash
# Instructions per call of `cos` through the abicall Lua module and through a
# plain Lua C function (benches/lua/plaincos.c), counted by callgrind: the
# difference of a 100,000- and a 400,000-call loop, divided by 300,000, so
# start-up and the module's set-up cancel out. Deterministic (unlike
# benches/lua/run.sh's times). Usage: benches/lua/callcount.sh [--keep DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install -y valgrind" >&2; exit 1; }
cargo build -q -p abicall-capi --release
make -s -C bindings/lua
tmp="$(mktemp -d)"
if [ "${1:-}" = "--keep" ]; then tmp="$2"; mkdir -p "$tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
gcc -O2 -shared -fPIC -I/usr/include/lua5.4 -o "$tmp/plaincos.so" benches/lua/plaincos.c -lm
count() { # which n -> instructions
  LUA_CPATH="bindings/lua/?.so;$tmp/?.so" valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.$1.$2" \
    lua5.4 -e 'package.preload.ffi = function() return require("abicall") end' benches/lua/loop.lua "$2" "$1" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
declare -A per
for w in ffi plain; do
  a="$(count "$w" 100000)"; b="$(count "$w" 400000)"
  per[$w]=$(( (b - a) / 300000 ))
  printf '%-6s %4d instructions per call\n' "$w" "${per[$w]}"
done
awk -v f="${per[ffi]}" -v p="${per[plain]}" 'BEGIN { printf "ratio  %.2fx\n", f / p }'
