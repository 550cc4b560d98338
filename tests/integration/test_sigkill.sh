#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A profiled process killed with SIGKILL leaves a readable profile of every chunk flushed so far.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built spin_forever

hz=1000
out=$TEST_TMP/spin.prof
PROF_HZ=$hz profile_bg "$out" "$EXAMPLES/spin_forever" >"$TEST_TMP/stdout"
# Kill after 2 s of the program's CPU time rather than 2 s of wall time: under a parallel ctest
# the program may get less than a whole core, and the assertion below is about CPU samples.
tck=$(getconf CLK_TCK)
for ((i = 0; i < 150; i++)); do   # at most ~15 s of wall time
    kill -0 "$PROFILED_PID" 2>/dev/null || fail "spin_forever exited by itself before the kill"
    # utime and stime are fields 14 and 15 of /proc/PID/stat, 12 and 13 after the ")".
    ticks=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$PROFILED_PID/stat")
    ((ticks >= 2 * tck)) && break
    sleep 0.1
done
echo "spin_forever used $ticks ticks ($tck per second) of CPU before the kill"
kill -KILL "$PROFILED_PID"
wait_bg "$PROFILED_PID"
((BG_STATUS == 128 + 9)) || fail "spin_forever ended with status $BG_STATUS, expected 137 (SIGKILL)"
grep -q '^spin_forever: spinning$' "$TEST_TMP/stdout" || fail "spin_forever did not start"
[[ -s $out ]] || fail "no profile written before the kill"

txt=$TEST_TMP/report.txt
report "$txt" "$out"   # exit 0 is required: a killed run is a normal case
cat "$txt"
cat "$txt.err"
grep -qE '^profreport: warning: .*did not end cleanly' "$txt.err" \
    || fail "profreport did not warn on stderr that the run did not end cleanly"
ok "warning about the unclean end"

# With the default 1 s flush interval, the chunk flushed at ~1 s survives a kill at 2 s.
samples=$(samples_of "$txt")
assert_ge "$samples" $((hz * 8 / 10)) "samples (>= 1 s x $hz Hz x 0.8)"
top=$(top_row 'Self (exclusive)' "$txt")
[[ $(cut -f2 <<<"$top") == spin_forever_loop ]] \
    || fail "top self row is '$(cut -f2 <<<"$top")', expected spin_forever_loop"
assert_ge "$(cut -f1 <<<"$top")" 90 "spin_forever_loop self %"
