#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of the blocking-call wrappers per call: wall_calls (poll with a zero timeout, COUNT times)
# run without the profiler, with it in cpu mode (wrappers only guard against our EINTR) and in
# wall mode (each call is also timed, offered to the wall thread, and sampled when no tick claimed
# it), in interleaved rounds. Prints each round's ns per call and the medians of the differences
# with the unprofiled run of the same round.
# Usage: bench/bench_wall_calls.sh [BUILD_DIR [ROUNDS [COUNT]]]   Run by hand (timing-based).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
build=${1:-build}
rounds=${2:-9}
count=${3:-2000000}
prog=$build/bench/wall_calls
lib=$build/src/libprof.so
[[ -x $prog && -f $lib ]] || { echo "build first: $prog, $lib" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ns_of() { sed -n 's/.* ns_per_call=\([0-9.]*\).*/\1/p'; }
cpu_d=()
wall_d=()
for ((i = 1; i <= rounds; i++)); do
    base=$("$prog" "$count" | ns_of)
    cpu=$(env PROF_MODE=cpu PROF_OUT="$tmp/c.prof" LD_PRELOAD="$lib" "$prog" "$count" | ns_of)
    wall=$(env PROF_MODE=wall PROF_OUT="$tmp/w.prof" LD_PRELOAD="$lib" "$prog" "$count" | ns_of)
    echo "round $i: ns per call: unprofiled $base, cpu mode $cpu, wall mode $wall"
    cpu_d+=("$(awk -v a="$cpu" -v b="$base" 'BEGIN { printf "%.1f", a - b }')")
    wall_d+=("$(awk -v a="$wall" -v b="$base" 'BEGIN { printf "%.1f", a - b }')")
    rm -f "$tmp"/*.prof
done
echo "wrapper cost per poll(..., 0): cpu mode +$(printf "%s\n" "${cpu_d[@]}" | median) ns, wall mode +$(printf "%s\n" "${wall_d[@]}" | median) ns (medians of $rounds rounds)"
