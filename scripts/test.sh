#!/usr/bin/env bash
# The test command: installs what a fresh machine lacks, runs `cargo test`,
# then the engine's test suite cross-built for aarch64 Linux and run under
# qemu-user (set ABICALL_SKIP_AARCH64=1 to skip that part), then the
# Apple arm64 type-check (ABICALL_SKIP_APPLE_CHECK=1 skips it), then
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

# aarch64 as a host (issue 14): the engine, C API, CLI and conformance
# packages (the Python binding is x86_64-only) cross-built and their tests
# run under qemu-user.
if [ "${ABICALL_SKIP_AARCH64:-0}" != "1" ] && [ "$(uname -m)" != "aarch64" ]; then
  aarch64_std() {
    local libdir
    libdir="$(${RUSTC:-rustc} --target aarch64-unknown-linux-gnu --print target-libdir 2>/dev/null)" || return 1
    ls "$libdir"/libstd-*.rlib >/dev/null 2>&1
  }
  if ! aarch64_std; then
    if command -v rustup >/dev/null 2>&1; then
      timeout 300 rustup target add aarch64-unknown-linux-gnu >&2 || true
    fi
  fi
  if ! aarch64_std; then
    # Debian's rustc-web ships an aarch64 standard library as a foreign package.
    web="dpkg --add-architecture arm64 && apt-get update && apt-get install -y rustc-web libstd-rust-web-dev:arm64"
    echo "scripts/test.sh: no aarch64 standard library; trying: $web" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    { $SUDO dpkg --add-architecture arm64 && $SUDO apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rustc-web libstd-rust-web-dev:arm64 >/dev/null; } || true
    for r in /usr/bin/rustc-web /usr/lib/rust-web/bin/rustc /usr/bin/rustc; do
      if [ -x "$r" ] && RUSTC="$r" aarch64_std; then
        # rustdoc of the same toolchain, or the doctests meet rlibs of another rustc.
        export RUSTC="$r" RUSTDOC="$(dirname "$r")/rustdoc"
        web_rustc=1
        break
      fi
    done
    if ! aarch64_std; then
      echo "scripts/test.sh: no Rust standard library for aarch64-unknown-linux-gnu: run \`rustup target add aarch64-unknown-linux-gnu\` or \`$web\`" >&2
      exit 1
    fi
  fi
  # shellcheck source=scripts/aarch64-env.sh
  . scripts/aarch64-env.sh
  start=$(date +%s)
  echo "scripts/test.sh: aarch64 programs run under qemu-aarch64-static -L $ABICALL_QEMU_LD_PREFIX" >&2
  # A hang under qemu-user (see aarch64-env.sh) fails this step with a
  # message instead of stalling the run until CI's own limit.
  timeout --kill-after=30 2400 \
    cargo test --no-fail-fast -p abicall -p abicall-conformance -p abicall-cli -p abicall-capi \
    --target aarch64-unknown-linux-gnu "$@" || {
    rc=$?
    [ "$rc" -ne 124 ] || echo "scripts/test.sh: aarch64 tests did not finish within 40 min (killed)" >&2
    exit "$rc"
  }
  echo "scripts/test.sh: aarch64 tests (qemu-user) took $(( $(date +%s) - start )) s" >&2
  # rustc-web served the aarch64 build only; the Python module builds with
  # the machine's own toolchain.
  [ -z "${web_rustc:-}" ] || unset RUSTC RUSTDOC
fi

# Apple arm64 (issue 14): no Apple machine runs code here. The Apple plans
# are checked against clang's assembly (`cargo test --test abi apple`), the
# generated code for them runs under qemu in the aarch64 step
# (apple_variant_through_abicalls_own_code), and the Apple-only source
# (MAP_JIT memory, stub pages, page size) is type-checked here for
# aarch64-apple-darwin with warnings denied (libffi as a system library:
# nothing is linked; clang assembles the `stacker` crate's helper).
if [ "${ABICALL_SKIP_APPLE_CHECK:-0}" != "1" ]; then
  apple_std() {
    local libdir
    libdir="$(rustc --target aarch64-apple-darwin --print target-libdir 2>/dev/null)" || return 1
    ls "$libdir"/libcore-*.rlib >/dev/null 2>&1
  }
  if ! apple_std && command -v rustup >/dev/null 2>&1; then
    timeout 300 rustup target add aarch64-apple-darwin >&2 || true
  fi
  if ! apple_std; then
    echo "scripts/test.sh: no Rust standard library for aarch64-apple-darwin: run \`rustup target add aarch64-apple-darwin\` (or set ABICALL_SKIP_APPLE_CHECK=1)" >&2
    exit 1
  fi
  CC_aarch64_apple_darwin=clang CFLAGS_aarch64_apple_darwin=--target=arm64-apple-macos11 RUSTFLAGS="-D warnings" \
    cargo check -q -p abicall --target aarch64-apple-darwin --features libffi/system
  echo "scripts/test.sh: abicall type-checks for aarch64-apple-darwin" >&2
fi

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
  # cffi 2.0.0's own ABI-mode tests against abicall, with cffi as the control
  # (downloads the cffi sdist from PyPI; see bindings/python/README.md).
  "$PY" -c "import cffi, sys; sys.exit(cffi.__version__ != '2.0.0')" 2>/dev/null \
    || "$PY" -m pip install -q cffi==2.0.0
  bindings/python/cffi_suite/run.sh
fi
