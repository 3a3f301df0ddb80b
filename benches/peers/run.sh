#!/usr/bin/env bash
# Peer table (docs/performance.md, "Peers"): the shapes of issue 16's table
# called from C directly, from abicall (Rust RawCall and Function::call via
# `abicall bench`, the Python module), and from LuaJIT (JIT on and -joff),
# koffi (Node), cffi (ABI mode) and ctypes, in one run on this machine.
# Each peer times its own loop (CPU time, best of 7, empty loop
# subtracted); the table gives ns per call and the ratio to the C call.
# A peer that is not installed gets its install command in the table.
#   benches/peers/run.sh            # about 3 minutes
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
out="$tmp/results.txt"
: > "$out"

gcc -O2 -fPIC -shared -o "$tmp/libpeers.so" "$here/peers.c"
gcc -O2 -o "$tmp/direct" "$here/direct.c" -ldl
"$tmp/direct" "$tmp/libpeers.so" >> "$out"

if command -v luajit >/dev/null; then
  luajit "$here/peers.lua" luajit "$tmp/libpeers.so" >> "$out"
  luajit -joff "$here/peers.lua" luajit-joff "$tmp/libpeers.so" 200000 >> "$out"
else
  echo "luajit - not installed: apt-get install -y luajit" >> "$out"
  echo "luajit-joff - not installed: apt-get install -y luajit" >> "$out"
fi

if command -v node >/dev/null && command -v npm >/dev/null \
   && (cd "$tmp" && npm install --silent --no-save --prefix "$tmp/node" koffi >/dev/null 2>&1); then
  node "$here/peers.js" "$tmp/node/node_modules/koffi" "$tmp/libpeers.so" >> "$out"
else
  echo "koffi - not installed: apt-get install -y nodejs npm (koffi comes from npm at run time)" >> "$out"
fi

python3 "$here/peers.py" "$tmp/libpeers.so" >> "$out"

# abicall from Rust: the bench's own direct-call baseline and tiers.
(cd "$root" && cargo run --quiet --release -p abicall-cli -- bench) > "$tmp/bench.txt"
python3 "$here/table.py" "$out" "$tmp/bench.txt"
