#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: profile an example program under libprof and print its report.
set -euo pipefail
build=${1:-build}
out="$build/demo.prof"
rm -f "$out"
echo "== running examples/work532 under libprof (PROF_HZ=1000) =="
LD_PRELOAD="$PWD/$build/src/libprof.so" PROF_OUT="$out" PROF_HZ=1000 "$build/examples/work532" 2
echo
echo "== profreport $out =="
"$build/tools/profreport/profreport" --top 15 "$out"
