#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How wall mode classifies off-CPU time (examples/wall/wall_kinds.c):
#  - unwrapped: a thread alternating 4 ms raw futex waits (not wrapped) with 6 ms polls (wrapped),
#    at the default 100 Hz, so each wait begins and ends between two ticks. The raw waits are
#    [off-CPU, unknown] (or, for their wake-up latency, waiting for a CPU) in the share the
#    program measured, +-6 points; the polls keep their stack (wait_wrapped); hardly any of it
#    is "waiting for a CPU" (an earlier version put the raw waits there whenever a tick found
#    the thread in poll).
#  - paused: a thread sleeps 600 ms three times while the profiler is paused for 597 ms of each:
#    the paused time is not in the profile (an earlier version counted the whole sleeps, 1.8 s).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built wall_kinds

out=$TEST_TMP/unwrapped.prof
PROF_MODE=wall profile "$out" "$EXAMPLES/wall_kinds" unwrapped 3 >"$TEST_TMP/unwrapped.out"
cat "$TEST_TMP/unwrapped.out"
measured=$(sed -n 's/^wall_kinds: .* unwrapped_pct=\([0-9.]*\) .*/\1/p' "$TEST_TMP/unwrapped.out")
[[ -n $measured ]] || fail "wall_kinds printed no unwrapped_pct"
report "$TEST_TMP/unwrapped.txt" "$out"
cat "$TEST_TMP/unwrapped.txt"
wall_line() { # FIELD: on | waiting | unknown, from the report's Wall: line
    sed -n 's/^Wall: .* on CPU \([0-9.]*\)% (of which waiting for a CPU \([0-9.]*\)%), off CPU [0-9.]*% (\([0-9.]*\)% \[off-CPU, unknown\]).*/\1 \2 \3/p' \
        "$TEST_TMP/unwrapped.txt" | awk -v f="$1" '{ print (f == "on") ? $1 : (f == "waiting") ? $2 : $3 }'
}
unknown=$(wall_line unknown)
waiting=$(wall_line waiting)
[[ -n $unknown && -n $waiting ]] || fail "no Wall: line with on-CPU, waiting and unknown shares"
assert_near "$(awk -v u="$unknown" -v w="$waiting" 'BEGIN { print u + w }')" "$measured" 6 \
    "[off-CPU, unknown] + waiting for a CPU % vs the program's raw futex waits"
assert_le "$waiting" 10 "waiting for a CPU % (the thread only waits)"
report "$TEST_TMP/unwrapped.folded" --format collapsed "$out"
wrapped=$(collapsed_share "$TEST_TMP/unwrapped.folded" wait_wrapped)
assert_near "$wrapped" "$(awk -v m="$measured" 'BEGIN { print 100 - m }')" 8 \
    "wait_wrapped (the polls, with their stack) % vs the program's measurement"

out=$TEST_TMP/paused.prof
PROF_MODE=wall profile "$out" "$EXAMPLES/wall_kinds" paused >"$TEST_TMP/paused.out"
grep -q '^wall_kinds: paused ok' "$TEST_TMP/paused.out" || fail "wall_kinds paused did not finish"
report "$TEST_TMP/paused.txt" --thread sleeper "$out"
cat "$TEST_TMP/paused.txt"
secs=$(awk '$2 == "sleeper" && $3 ~ /^[0-9]+$/ { print $4; exit }' "$TEST_TMP/paused.txt")
[[ -n $secs ]] || fail "no sleeper row in the per-thread summary"
assert_le "$secs" 0.3 "sleeper's sampled seconds (its sleeps were 1.8 s, all but ~10 ms of them paused)"
