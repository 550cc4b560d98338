#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A profiled process that dies of SIGSEGV (or is SIGKILLed) after ~2 s of work keeps its own exit
# status, and its profile holds everything up to the last flush: the sampled CPU time and the time
# span of the file both cover at least (run time - 1.1 s), with the default 1 s flush interval. (The
# flushes tick from the flusher's start, a few ms after the program's clock starts, so a crash at
# 2.00 s of CPU can fall just before the second flush: 1 s of data, and 0.1 s of slack.)
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built
CRASH=$PROF_BUILD/tests/harden/progs/harden_crash
[[ -x $CRASH ]] || fail "test program not built: $CRASH"
hz=1000

# check_profile NAME PROFILE CPU_S WALL_S: profreport reads the file with exit 0 (a killed run is a
# normal case) and a warning, and it covers CPU_S - 1.1 s of CPU samples and WALL_S - 1.1 s of run
# time.
check_profile() {
    local name=$1 prof=$2 cpu=$3 wall=$4 txt=$TEST_TMP/$1.txt
    [[ -s $prof ]] || fail "$name: no profile written"
    report "$txt" "$prof"
    grep -qE '^profreport: warning: .*did not end cleanly' "$txt.err" ||
        fail "$name: no 'did not end cleanly' warning: $(cat "$txt.err")"
    # Sampled CPU seconds = total weight / hz (weight counts timer overruns too).
    local weight sampled duration
    weight=$(sed -n 's/^Samples: [0-9]* in file (weight \([0-9]*\)).*/\1/p' "$txt")
    [[ -n $weight ]] || fail "$name: no sample weight in the report header"
    sampled=$(awk -v w="$weight" -v hz=$hz 'BEGIN { printf "%.3f", w / hz }')
    duration=$(sed -n 's/^Duration: \([0-9.]*\) s.*/\1/p' "$txt" | head -1)
    [[ -n $duration ]] || fail "$name: no Duration line"
    echo "$name: program cpu ${cpu}s wall ${wall}s; profile: ${sampled}s of samples, spans ${duration}s"
    assert_ge "$sampled" "$(awk -v c="$cpu" 'BEGIN { print c - 1.1 }')" \
        "$name: sampled CPU seconds >= program CPU - 1.1 s"
    assert_ge "$duration" "$(awk -v c="$wall" 'BEGIN { print c - 1.1 }')" \
        "$name: profile time span >= run time - 1.1 s"
    local top
    top=$(top_row 'Self (exclusive)' "$txt")
    [[ $(cut -f2 <<<"$top") == crash_work ]] || fail "$name: top self row is '$top', expected crash_work"
}

# ---- SIGSEGV after 2 s of CPU ----
status=0
PROF_HZ=$hz profile "$TEST_TMP/segv.prof" "$CRASH" 2.0 >"$TEST_TMP/segv.out" 2>"$TEST_TMP/segv.err" ||
    status=$?
((status == 128 + 11)) || fail "harden_crash exited with $status, expected 139 (SIGSEGV): $(cat "$TEST_TMP/segv.err")"
read -r cpu wall < <(awk '/^harden_crash: cpu/ { print $3, $5 }' "$TEST_TMP/segv.out")
[[ -n ${cpu:-} ]] || fail "harden_crash printed no timing line: $(cat "$TEST_TMP/segv.out")"
ok "SIGSEGV kept: exit status $status"
check_profile segv "$TEST_TMP/segv.prof" "$cpu" "$wall"

# ---- SIGKILL after 2 s of CPU (the program's own CPU time, so a busy machine does not matter) ----
PROF_HZ=$hz profile_bg "$TEST_TMP/kill.prof" "$CRASH" 0 spin >"$TEST_TMP/kill.out"
tck=$(getconf CLK_TCK)
t0=$(date +%s.%N)
ticks=0
for ((i = 0; i < 300; i++)); do
    kill -0 "$PROFILED_PID" 2>/dev/null || fail "harden_crash exited before the kill"
    ticks=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$PROFILED_PID/stat")
    ((ticks >= 2 * tck)) && break
    sleep 0.05
done
kill -KILL "$PROFILED_PID"
t1=$(date +%s.%N)
wait_bg "$PROFILED_PID"
((BG_STATUS == 128 + 9)) || fail "harden_crash ended with $BG_STATUS, expected 137 (SIGKILL)"
cpu=$(awk -v t="$ticks" -v h="$tck" 'BEGIN { printf "%.3f", t / h }')
wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
# The wall time measured here starts after the program was started, so it is a lower bound of the
# run time: the profile's span must still reach it minus one flush interval.
check_profile kill "$TEST_TMP/kill.prof" "$cpu" "$wall"
