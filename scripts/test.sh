#!/usr/bin/env bash
# The test command: installs what a fresh machine lacks, runs `cargo test`,
# builds the Lua module (bindings/lua) and runs its suite against LuaJIT,
# then builds and installs the Python module (bindings/python) with pip and
# runs its pytest suite (set ABICALL_SKIP_PYTHON=1 to skip that part).
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { command -v "$1" >/dev/null 2>&1; }
have gcc || need+=(gcc)
have aarch64-linux-gnu-gcc || need+=(gcc-aarch64-linux-gnu)
have qemu-aarch64-static || need+=(qemu-user-static)
have clang || need+=(clang)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
have lua5.4 || need+=(lua5.4)
[ -f /usr/include/lua5.4/lua.h ] || need+=(liblua5.4-dev)
have luajit || need+=(luajit)

if [ ${#need[@]} -gt 0 ]; then
  echo "scripts/test.sh: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Every crate of the workspace's default members (engine, C API, CLI,
# conformance); --no-fail-fast so one failing binary does not hide the rest.
cargo test --no-fail-fast "$@"

# The Lua module (bindings/lua/README.md): built on the static C library,
# its test programs run under luajit and lua5.4 + the module, outputs compared.
cargo build -q -p abicall-capi --release
make -s -C bindings/lua
bindings/lua/tests/run.sh

if [ "${ABICALL_SKIP_PYTHON:-0}" != "1" ]; then
  PY="${PYTHON:-python3}"
  if ! "$PY" -m pip --version >/dev/null 2>&1; then
    echo "scripts/test.sh: $PY has no pip: run \`apt-get install -y python3-pip\`" >&2
    exit 1
  fi
  missing=()
  for m in maturin pytest cffi; do "$PY" -c "import $m" 2>/dev/null || missing+=("$m"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "scripts/test.sh: installing ${missing[*]} from PyPI" >&2
    "$PY" -m pip install -q "${missing[@]}"
  fi
  # The one command of bindings/python/README.md: build + install, then test.
  "$PY" -m pip install -q ./bindings/python
  "$PY" -m pytest -q bindings/python/tests
fi
