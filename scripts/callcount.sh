#!/usr/bin/env bash
# Instructions per call (callgrind, deterministic) for each signature and
# tier: runs examples/callcount.rs with 2,000 and 12,000 calls and divides
# the difference by 10,000. Needs valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind missing: apt-get install -y valgrind" >&2; exit 1; }
cargo build -q --release --example callcount
bin=target/release/examples/callcount
ir() {
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$1" "$2" "$3" >/dev/null 2>&1
    callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
    rm -f "$out"
}
printf '%-6s %8s %8s %8s %8s %8s %8s\n' sig direct jit fast libffi frame value
for sig in void add6 pt m24; do
    row=$(printf '%-6s' "$sig")
    for mode in direct jit fast libffi frame value; do
        if [ "$mode" = value ] && [ "$sig" != void ] && [ "$sig" != add6 ]; then
            row+=$(printf ' %8s' -)
            continue
        fi
        a=$(ir "$sig" "$mode" 2000)
        b=$(ir "$sig" "$mode" 12000)
        row+=$(printf ' %8.1f' "$(echo "($b - $a) / 10000" | bc -l)")
    done
    echo "$row"
done
# A callback entered from C (qsort-style comparator): compiled comparator
# vs the callback's tiers.
row=$(printf '%-6s' cb)
for mode in direct jit fast libffi; do
    a=$(ir cb "$mode" 2000)
    b=$(ir cb "$mode" 12000)
    row+=$(printf ' %8.1f' "$(echo "($b - $a) / 10000" | bc -l)")
done
echo "$row        -        -"

