#!/bin/sh
# Converts 10,000 small Latin-1 strings to UTF-8 three ways (plus abicall's
# raw call API) and prints a Markdown table of the cost per string:
#   spawn   — `iconv -f LATIN1 -t UTF-8` as a child process per string
#   abicall — one Function::call per string through abicall
#   raw     — one RawCall::call per string (abicall's raw call API)
#   direct  — Rust calling iconv through an `extern "C"` declaration
# Usage: benches/iconv_three_ways.sh [N]   (from the repository root)
set -eu
N=${1:-10000}
cd "$(dirname "$0")/.."
cargo build --release --quiet --example iconv_bench
BIN=target/release/examples/iconv_bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for mode in direct raw abicall spawn; do
    "$BIN" "$mode" "$N" >"$TMP/$mode"
done
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(uname -sr)"
echo "command: benches/iconv_three_ways.sh $N"
echo
cat "$TMP/direct" "$TMP/raw" "$TMP/abicall" "$TMP/spawn" | awk -v n="$N" '
    { mode[NR] = $1; per[NR] = $4; sum[NR] = $5 }
    END {
        for (i = 2; i <= NR; i++)
            if (sum[i] != sum[1]) { print "checksum mismatch: " mode[i] > "/dev/stderr"; exit 1 }
        label["direct"]  = "direct: Rust `extern \"C\"` call (baseline)"
        label["raw"]     = "abicall raw call API (`RawCall::call`)"
        label["abicall"] = "abicall `Function::call` with `Value`s"
        label["spawn"]   = "spawn `iconv` per string"
        printf "| way (%d strings, one iconv call each) | per string | vs direct |\n", n
        printf "|---|---:|---:|\n"
        for (i = 1; i <= NR; i++) {
            p = per[i]
            unit = p >= 1e6 ? sprintf("%.2f ms", p / 1e6) : p >= 1e3 ? sprintf("%.2f µs", p / 1e3) : sprintf("%.0f ns", p)
            printf "| %s | %s | %.1f× |\n", label[mode[i]], unit, p / per[1]
        }
        printf "\nspawn vs abicall `Function::call`: %.0f× slower\n", per[4] / per[3]
        printf "all four produced the same output (FNV-1a %s)\n", sum[1]
    }'
