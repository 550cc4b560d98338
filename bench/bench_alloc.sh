#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of allocation mode on a malloc-heavy workload: alloc_churn (COUNT million small malloc/free
# pairs + a LEAK_MB cache) run without a profiler and under libprof (PROF_MODE=alloc, default rate
# 512 KiB) as RUNS back-to-back pairs, the order alternating from pair to pair (so a drift of the
# machine's speed hits both sides alike); then HT_RUNS runs under heaptrack. The shared VMs this
# runs on vary by 10-30 % from minute to minute, far more than the effect measured, so the figure
# is the median over the pairs of each pair's ratio libprof / base (CPU time: user + sys of the
# process and its waited-for children, heaptrack_interpret included; and wall time), with the
# quartiles of the ratios beside it. Medians of the plain times are printed too.
# Usage: bench/bench_alloc.sh [BUILD_DIR [RUNS [COUNT_MILLIONS [LEAK_MB [HT_RUNS [IDLE_THREAD]]]]]]
#        (build, 15, 40, 200, 3, 0). IDLE_THREAD=1: the workload starts an idle thread first, so the
#        baseline already has glibc's multi-threaded malloc paths that libprof's flusher thread
#        otherwise switches on (bench/alloc/alloc_churn.c).
# Run by hand (timing-based; never by ctest). Needs heaptrack for the comparison (skipped if absent
# or HT_RUNS is 0).
set -euo pipefail
build=$(realpath "${1:-build}")
runs=${2:-15}
count=${3:-40}
leak=${4:-200}
ht_runs=${5:-3}
idle=${6:-0}
prog=$build/bench/alloc/alloc_churn
run=$build/bench/benchrun
lib=$build/src/libprof.so
[[ -x $prog && -x $run && -f $lib ]] || { echo "build first: $prog, $run, $lib" >&2; exit 2; }
command -v heaptrack >/dev/null || ht_runs=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$2" | tail -1; }
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

base() { "$run" -q -o "$tmp/base" "$prog" "$count" "$leak" "$idle"; }
libprof() {
    "$run" -q -o "$tmp/libprof" env PROF_MODE=alloc PROF_OUT="$tmp/a.prof" LD_PRELOAD="$lib" \
        "$prog" "$count" "$leak" "$idle"
    size=$(stat -c %s "$tmp/a.prof")
    rm -f "$tmp/a.prof"
}

declare -A cpu wall
cpu_ratios="" wall_ratios=""
for ((i = 1; i <= runs; i++)); do
    if ((i % 2)); then base; libprof; else libprof; base; fi
    bc=$(field cpu_s "$tmp/base") bw=$(field wall_s "$tmp/base")
    lc=$(field cpu_s "$tmp/libprof") lw=$(field wall_s "$tmp/libprof")
    cr=$(awk -v a="$lc" -v b="$bc" 'BEGIN { print a / b }')
    wr=$(awk -v a="$lw" -v b="$bw" 'BEGIN { print a / b }')
    cpu_ratios+="$cr " wall_ratios+="$wr "
    cpu[base]+="$bc " wall[base]+="$bw " cpu[libprof]+="$lc " wall[libprof]+="$lw "
    printf 'pair %d: base cpu %s s wall %s s; libprof cpu %s s wall %s s (profile %s bytes); ratio cpu %.3f wall %.3f\n' \
        "$i" "$bc" "$bw" "$lc" "$lw" "$size" "$cr" "$wr"
done
for ((i = 1; i <= ht_runs; i++)); do
    (cd "$tmp" && "$run" -q -o "$tmp/heaptrack" heaptrack -o "$tmp/ht" "$prog" "$count" "$leak" "$idle" \
        >/dev/null 2>&1)
    rm -f "$tmp"/ht*
    cpu[heaptrack]+="$(field cpu_s "$tmp/heaptrack") " wall[heaptrack]+="$(field wall_s "$tmp/heaptrack") "
    echo "heaptrack run $i: cpu $(field cpu_s "$tmp/heaptrack") s wall $(field wall_s "$tmp/heaptrack") s"
done

echo "alloc_churn $count M malloc/free + $leak MB kept$( ((idle)) && echo ", idle thread"), $runs base/libprof pairs (order alternating):"
ratio_line() { # NAME RATIOS
    local m q
    m=$(tr ' ' '\n' <<<"$2" | grep . | median)
    q=$(tr ' ' '\n' <<<"$2" | grep . | quartiles)
    awk -v n="$1" -v m="$m" -v q="$q" 'BEGIN { split(q, a, " ")
        printf "  libprof / base, %s: median %+.1f %% (quartiles %+.1f %% .. %+.1f %%)\n", n,
               100 * (m - 1), 100 * (a[1] - 1), 100 * (a[2] - 1) }'
}
ratio_line "CPU time" "$cpu_ratios"
ratio_line "wall time" "$wall_ratios"
echo "medians of the times (heaptrack: $ht_runs runs after the pairs):"
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
