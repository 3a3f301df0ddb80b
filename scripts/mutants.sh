#!/usr/bin/env bash
# Mutation check of `abicall abi-test` (docs/testing.md, "Mutation check").
#
# Applies each ABI mutation in abi-tests/mutants/*.diff, one at a time, to a
# scratch copy of the committed tree (a detached git worktree in a temp dir),
# builds the abicall CLI there and runs `abicall abi-test` on a fixed seed
# for each target the mutation concerns (its `Targets:` line; aarch64 runs
# through the register-dump oracle under qemu). A mutant is killed when
# abi-test fails (non-zero exit) and names at least one failing signature
# (`== signature N` / `== fixed case N`); failing without naming one (an
# error, a crash of the whole run) does not count. The last line is
# `mutants: K killed of N`.
#
#   scripts/mutants.sh                 # every mutant, seed 1, 250 signatures
#   scripts/mutants.sh 09-fast-no-al   # mutants whose file name contains this
#   MUTANT_SEED=2 MUTANT_COUNT=500 scripts/mutants.sh
#
# Not part of scripts/test.sh: one build per mutant (about a minute each
# on 2 cores with the incremental release build).
set -u
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
seed=${MUTANT_SEED:-1}
count=${MUTANT_COUNT:-250}
filter=${1:-}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/abicall-mutants.XXXXXX")
wt="$scratch/tree"
# The build cache is kept between runs (only the mutated crates rebuild).
export CARGO_TARGET_DIR="${MUTANT_TARGET_DIR:-$repo/target/mutants}"
export CARGO_PROFILE_RELEASE_INCREMENTAL=true
export CARGO_PROFILE_RELEASE_DEBUG=0
cleanup() {
    git -C "$repo" worktree remove --force "$wt" >/dev/null 2>&1
    rm -rf "$scratch"
}
trap cleanup EXIT
git -C "$repo" worktree add --detach "$wt" HEAD >/dev/null 2>&1 || {
    echo "mutants: cannot create a worktree in $wt" >&2
    exit 2
}
killed=0
total=0
for diff in "$repo"/abi-tests/mutants/*.diff; do
    name=$(basename "$diff" .diff)
    [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
    total=$((total + 1))
    what=$(sed -n 's/^Mutant: //p' "$diff" | head -1)
    targets=$(sed -n 's/^Targets: //p' "$diff" | head -1)
    git -C "$wt" checkout -q -- . && git -C "$wt" clean -qfd
    if ! git -C "$wt" apply "$diff"; then
        echo "mutant $name ($what): does not apply to HEAD -- survived"
        continue
    fi
    if ! (cd "$wt" && nice cargo build -q --release -p abicall-cli >"$scratch/build.log" 2>&1); then
        echo "mutant $name ($what): does not build -- survived"
        tail -5 "$scratch/build.log"
        continue
    fi
    verdict=""
    for t in $targets; do
        log="$scratch/$name-$t.log"
        start=$(date +%s)
        (cd "$wt" && nice "$CARGO_TARGET_DIR/release/abicall" abi-test --seed "$seed" --count "$count" \
            --target "$t" --jobs 2 >"$log" 2>&1)
        rc=$?
        secs=$(( $(date +%s) - start ))
        named=$(grep -c '^== \(signature\|fixed case\)' "$log")
        if [[ $rc -ne 0 && $named -gt 0 ]]; then
            first=$(grep -m1 -A1 '^== \(signature\|fixed case\)' "$log" | tr '\n' ' ' | cut -c1-220)
            crashes=$(grep -c '^-- crash' "$log")
            verdict="$verdict killed on $t in ${secs}s ($named signatures, $crashes of them crashes caught in a child; first: $first)"
        else
            verdict="$verdict survived on $t (exit $rc, ${secs}s: $(tail -1 "$log" | cut -c1-120))"
        fi
    done
    if [[ "$verdict" == *killed* ]]; then
        killed=$((killed + 1))
        echo "mutant $name ($what):$verdict"
    else
        echo "mutant $name ($what):$verdict -- SURVIVED"
    fi
done
echo "mutants: $killed killed of $total"
