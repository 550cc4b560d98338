#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of allocation mode on a malloc-heavy workload: alloc_churn (COUNT million small malloc/free
# pairs + a LEAK_MB cache) run without a profiler, under libprof (PROF_MODE=alloc, default rate
# 512 KiB) and under heaptrack, interleaved, RUNS times each. Prints each run and the medians of
# CPU time (user + sys of the process and its waited-for children: heaptrack_interpret counts)
# and wall time, with the overhead of each profiler over the baseline median.
# Usage: bench/bench_alloc.sh [BUILD_DIR [RUNS [COUNT_MILLIONS [LEAK_MB]]]]  (build, 5, 40, 200)
# Run by hand (timing-based; never by ctest). Needs heaptrack for the comparison (skipped if absent).
set -euo pipefail
build=$(realpath "${1:-build}")
runs=${2:-5}
count=${3:-40}
leak=${4:-200}
prog=$build/bench/alloc/alloc_churn
run=$build/bench/benchrun
lib=$build/src/libprof.so
[[ -x $prog && -x $run && -f $lib ]] || { echo "build first: $prog, $run, $lib" >&2; exit 2; }
have_ht=0
command -v heaptrack >/dev/null && have_ht=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$2" | tail -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A cpu wall
for ((i = 1; i <= runs; i++)); do
    "$run" -q -o "$tmp/base" "$prog" "$count" "$leak"
    "$run" -q -o "$tmp/libprof" env PROF_MODE=alloc PROF_OUT="$tmp/a.prof" LD_PRELOAD="$lib" \
        "$prog" "$count" "$leak"
    size=$(stat -c %s "$tmp/a.prof")
    rm -f "$tmp/a.prof"
    line="run $i: base cpu $(field cpu_s "$tmp/base") s wall $(field wall_s "$tmp/base") s;"
    line+=" libprof cpu $(field cpu_s "$tmp/libprof") s wall $(field wall_s "$tmp/libprof") s (profile $size bytes)"
    for k in base libprof; do
        cpu[$k]+="$(field cpu_s "$tmp/$k") "
        wall[$k]+="$(field wall_s "$tmp/$k") "
    done
    if ((have_ht)); then
        (cd "$tmp" && "$run" -q -o "$tmp/heaptrack" heaptrack -o "$tmp/ht" "$prog" "$count" "$leak" \
            >/dev/null 2>&1)
        rm -f "$tmp"/ht*
        line+="; heaptrack cpu $(field cpu_s "$tmp/heaptrack") s wall $(field wall_s "$tmp/heaptrack") s"
        cpu[heaptrack]+="$(field cpu_s "$tmp/heaptrack") "
        wall[heaptrack]+="$(field wall_s "$tmp/heaptrack") "
    fi
    echo "$line"
done
echo "alloc_churn $count M malloc/free + $leak MB kept, medians of $runs interleaved runs:"
bc=$(tr ' ' '\n' <<<"${cpu[base]}" | grep . | median)
bw=$(tr ' ' '\n' <<<"${wall[base]}" | grep . | median)
for k in base libprof heaptrack; do
    [[ -n ${cpu[$k]:-} ]] || continue
    c=$(tr ' ' '\n' <<<"${cpu[$k]}" | grep . | median)
    w=$(tr ' ' '\n' <<<"${wall[$k]}" | grep . | median)
    awk -v k="$k" -v c="$c" -v w="$w" -v bc="$bc" -v bw="$bw" 'BEGIN {
        printf "  %-10s cpu %7.3f s (%+6.1f %%)   wall %7.3f s (%+6.1f %%)\n", k, c, 100 * (c - bc) / bc,
               w, 100 * (w - bw) / bw }'
done
