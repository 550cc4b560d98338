#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Under wall sampling at 1000 Hz the host's blocking calls behave exactly as without the profiler
# (examples/wall/wall_host.c checks usleep, poll, nanosleep, clock_nanosleep, select, epoll_wait,
# pthread_cond_timedwait and a blocking read: full durations, right results, no EINTR).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built wall_host

# Unprofiled first: the checks themselves must hold on this machine.
"$EXAMPLES/wall_host" >"$TEST_TMP/plain.out" || { cat "$TEST_TMP/plain.out"; fail "wall_host fails even without the profiler"; }
ok "without profiler: $(tail -1 "$TEST_TMP/plain.out")"

for mode in wall cpu,wall; do
    out=$TEST_TMP/host-${mode/,/-}.prof
    rc=0
    PROF_MODE=$mode PROF_HZ=1000 profile "$out" "$EXAMPLES/wall_host" >"$TEST_TMP/run.out" 2>&1 || rc=$?
    cat "$TEST_TMP/run.out"
    ((rc == 0)) || fail "PROF_MODE=$mode PROF_HZ=1000: the host's calls did not behave as without the profiler (exit $rc)"
    ok "PROF_MODE=$mode PROF_HZ=1000: $(tail -1 "$TEST_TMP/run.out")"
    report "$TEST_TMP/host.txt" "$out"
    grep -q '^Wall:' "$TEST_TMP/host.txt" || fail "PROF_MODE=$mode: no wall summary in the report"
done
