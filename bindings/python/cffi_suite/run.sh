#!/usr/bin/env bash
# Runs cffi 2.0.0's own ABI-mode tests against abicall, and the same files on
# cffi's own FFI as the control (see rebind.py and compare.py), then fails
# unless every control-passing test passes with abicall or is on the short
# list in bindings/python/README.md, and no test crashed.
# Needs: the abicall module installed, cffi==2.0.0, pytest.
# Usage: bindings/python/cffi_suite/run.sh [extra pytest args]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PY="${PYTHON:-python3}"
for m in cffi pytest abicall; do
  if ! "$PY" -c "import $m" 2>/dev/null; then
    echo "cffi_suite: python module $m missing: run \`$PY -m pip install cffi==2.0.0 pytest ./bindings/python\`" >&2
    exit 1
  fi
done
ver="$("$PY" -c 'import cffi; print(cffi.__version__)')"
if [ "$ver" != "2.0.0" ]; then
  echo "cffi_suite: cffi $ver installed, the suite is cffi 2.0.0's: run \`$PY -m pip install cffi==2.0.0\`" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PY" -m pip download -q --no-binary :all: --no-deps cffi==2.0.0 -d "$work" >/dev/null
tar -xzf "$work"/cffi-2.0.0.tar.gz -C "$work"
src="$work/cffi-2.0.0"

files=(
  testing/cffi0/test_ffi_backend.py
  testing/cffi0/test_parsing.py
  testing/cffi0/test_unicode_literals.py
  testing/cffi1/test_ffi_obj.py
  testing/cffi1/test_unicode_literals.py
)

run() { # side, extra args...
  local side="$1"; shift
  local fork=0
  [ "$side" = abicall ] && fork=1 # a crash fails its own test, not the run
  (cd "$src" && ABICALL_CFFI_SUITE_FORK="$fork" ABICALL_CFFI_SUITE_TARGET="$side" ABICALL_CFFI_SUITE_RESULTS="$work/$side.jsonl" \
    PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
    "$PY" -m pytest -q -p rebind -p no:cacheprovider -o addopts= "$@" "${files[@]}" \
    >"$work/$side.log" 2>&1) || true
  tail -n 1 "$work/$side.log" | sed "s/^/cffi_suite: $side: /"
  [ -s "$work/$side.jsonl" ] || { echo "cffi_suite: $side ran no test:"; tail -n 30 "$work/$side.log"; exit 1; }
}
run cffi "$@"
run abicall "$@"
if [ -n "${ABICALL_CFFI_SUITE_KEEP:-}" ]; then
  cp "$work"/cffi.jsonl "$work"/abicall.jsonl "$work"/abicall.log "$ABICALL_CFFI_SUITE_KEEP"/
fi
"$PY" "$here/compare.py" "$work/cffi.jsonl" "$work/abicall.jsonl" "$here/../README.md"
