#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of wall mode with idle threads: wall_idle (64 threads blocked for 5 s) run alternately
# without and with PROF_MODE=wall PROF_HZ=100, RUNS times each; the overhead is the extra process
# CPU time divided by the wall time, as % of one core (median of the interleaved pairs).
# Usage: bench/bench_wall_idle.sh [BUILD_DIR [RUNS [THREADS [HZ [HOW]]]]]   (HOW: cond|sleep|raw)
# Run by hand (timing-based; never by ctest).
set -euo pipefail
build=${1:-build}
runs=${2:-5}
threads=${3:-64}
hz=${4:-100}
how=${5:-cond}
seconds=5
prog=$build/bench/wall_idle
lib=$build/src/libprof.so
[[ -x $prog && -f $lib ]] || { echo "build first: $prog, $lib" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpu_of() { sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p'; }
wall_of() { sed -n 's/.* wall_s=\([0-9.]*\).*/\1/p'; }

overheads=()
for ((i = 1; i <= runs; i++)); do
    base=$("$prog" "$threads" "$seconds" "$how")
    prof=$(env PROF_MODE=wall PROF_HZ="$hz" PROF_OUT="$tmp/idle.prof" LD_PRELOAD="$lib" \
        "$prog" "$threads" "$seconds" "$how")
    b=$(cpu_of <<<"$base")
    p=$(cpu_of <<<"$prof")
    w=$(wall_of <<<"$prof")
    o=$(awk -v b="$b" -v p="$p" -v w="$w" 'BEGIN { printf "%.3f", 100 * (p - b) / w }')
    echo "run $i: cpu without ${b} s, with ${p} s over ${w} s wall: overhead ${o} % of one core"
    overheads+=("$o")
    rm -f "$tmp/idle.prof"
done
median=$(printf '%s\n' "${overheads[@]}" | sort -g | awk '{ v[NR] = $1 } END {
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "wall mode, $threads idle threads ($how), $hz Hz: median overhead $median % of one core ($runs interleaved runs)"
