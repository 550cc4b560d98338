#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of an empty region begin/end pair (bench/regions/region_cost.c), without libprof.so (the
# weak-symbol test of include/prof/prof.h; target <= 5 ns) and with it preloaded (the runtime's
# path; target <= 50 ns), RUNS times each, interleaved; prints each run and the medians.
# Usage: bench/bench_regions.sh [BUILD_DIR [RUNS [PAIRS]]]  (build, 5, 20000000)
# Run by hand (timing-based; never by ctest).
set -euo pipefail
build=$(realpath "${1:-build}")
runs=${2:-5}
pairs=${3:-20000000}
prog=$build/bench/regions/region_cost
lib=$build/src/libprof.so
[[ -x $prog && -f $lib ]] || { echo "build first: $prog, $lib" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
: >"$tmp/off"
: >"$tmp/on"
for ((i = 1; i <= runs; i++)); do
    off=$("$prog" "$pairs" 3)
    on=$(PROF_OUT="$tmp/r.prof" LD_PRELOAD="$lib" "$prog" "$pairs" 3)
    echo "run $i: without: $off | with libprof: $on"
    sed -n 's/.*ns_per_pair=\([0-9.]*\).*/\1/p' <<<"$off" >>"$tmp/off"
    sed -n 's/.*ns_per_pair=\([0-9.]*\).*/\1/p' <<<"$on" >>"$tmp/on"
done
echo "median ns per empty begin/end pair: without libprof $(median <"$tmp/off"), with libprof $(median <"$tmp/on")"
