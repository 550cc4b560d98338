#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The malloc-family interposer under a multithreaded stress: every function (malloc, calloc,
# realloc, reallocarray, free, posix_memalign, aligned_alloc, memalign, valloc, pvalloc), alignments
# up to 8192, realloc(p, 0), cross-thread frees. The program checks alignment, usable size, calloc
# zeroing and realloc contents itself; here it must run clean under the profiler, and since it
# frees everything, none of its stacks may be live at exit (every sampled free matched).
# The one exception: keep_after_failed_grow keeps 512 x 64 KiB blocks whose realloc failed. A failed
# realloc leaves its block allocated, so they must be live at exit: 32 MiB within 6 standard errors
# (+-20 % at the sparse rate, +-10 % at the dense one). Sampling noise
# (rate R, block B, N blocks): relative standard error sqrt((1-p)/(N p)) with p = 1 - exp(-B/R):
# 3.4 % at R = 64 KiB, ~0 at R = 2 KiB.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/alloc_lib.sh"
need_built alloc_stress

"$EXAMPLES/alloc_stress" 20000 >"$TEST_TMP/plain.out" || fail "alloc_stress fails even without the profiler"

run() { # NAME ITERATIONS KEPT_TOLERANCE_PCT: profile one run with the PROF_* the caller set, check it
    local name=$1 iters=$2 tol_pct=$3 out=$TEST_TMP/$1.prof rc=0
    profile "$out" "$EXAMPLES/alloc_stress" "$iters" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" || rc=$?
    cat "$TEST_TMP/$name.err" >&2
    ((rc == 0)) || fail "$name: alloc_stress exited with $rc under the profiler"
    grep -q '^alloc_stress: ok' "$TEST_TMP/$name.out" || fail "$name: no 'ok' line"
    ok "$name: alloc_stress ran clean ($iters operations per thread)"
    report "$TEST_TMP/$name.txt" "$out"
    sed -n '/^Allocations$/,/^$/p' "$TEST_TMP/$name.txt"
    local sampled
    sampled=$(awk '/^Sampled:/ { print $2; exit }' "$TEST_TMP/$name.txt")
    assert_ge "${sampled:-0}" 1000 "$name: allocations sampled"
    has_stress=$(alloc_rows 'Allocated bytes, self (allocating function)' "$TEST_TMP/$name.txt" |
        awk -F'\t' '{ split($4, f, " "); if (f[1] == "stress_op") print "yes" }')
    [[ $has_stress == yes ]] || fail "$name: stress_op is not the allocating function"
    if alloc_rows 'Live at exit (leaks), by stack' "$TEST_TMP/$name.txt" | cut -f4 | grep -q 'stress_op'; then
        grep '^Samples:' "$TEST_TMP/$name.txt" >&2
        fail "$name: stress_op blocks live at exit, but the program freed them all"
    fi
    ok "$name: no stress_op block live at exit"
    local want=$((512 * 65536)) kept
    kept=$(alloc_rows 'Live at exit (leaks), by stack' "$TEST_TMP/$name.txt" |
        awk -F'\t' '{ split($4, f, " "); if (f[1] == "keep_after_failed_grow") s += $1 } END { print s + 0 }')
    assert_near "$kept" "$want" $((want * tol_pct / 100)) "$name: live bytes of the blocks whose realloc failed"
}

# Tolerances: 6 standard errors (3.4 % at 64 KiB, 0.4 % at 2 KiB; see the top).
PROF_MODE=cpu,alloc PROF_ALLOC_RATE=65536 run cpu_alloc 100000 20
PROF_MODE=alloc PROF_ALLOC_RATE=2048 run dense 10000 10
