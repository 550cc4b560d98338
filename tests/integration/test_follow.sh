#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport --follow on a running program: at least two refreshes, the last one after the END
# record says "ended", exit 0. Non-tty output appends blocks separated by a line; under a pseudo-
# terminal (script -qfc) each refresh clears the screen instead. A program killed with SIGKILL
# (no END record) ends the live view once its file stops growing and its pid is gone.
source "$(dirname "$0")/../lib.sh"
need_built timeline_phases

export PROF_MODE=cpu,alloc PROF_FLUSH_MS=250 PROF_ALLOC_RATE=65536

# ---- Non-tty: appended blocks ----
profile_bg "$TEST_TMP/a.prof" "$EXAMPLES/timeline_phases" 1 >/dev/null
rc=0
timeout 60 "$PROFREPORT" --follow --top 5 "$TEST_TMP/a.prof" >"$TEST_TMP/follow.txt" \
    2>"$TEST_TMP/follow.err" || rc=$?
wait_bg "$PROFILED_PID"
cat "$TEST_TMP/follow.err" >&2
((rc == 0)) || fail "profreport --follow exited with $rc"
((BG_STATUS == 0)) || fail "timeline_phases exited with $BG_STATUS"
frames=$(grep -c '^profreport --follow ' "$TEST_TMP/follow.txt" || true)
seps=$(grep -c '^-\{20,\}$' "$TEST_TMP/follow.txt" || true)
assert_ge "$frames" 2 "refreshes (non-tty)"
[[ $seps -eq $((frames - 1)) ]] || fail "$frames blocks but $seps separator lines"
if grep -q $'\033' "$TEST_TMP/follow.txt"; then
    fail "escape codes in non-tty output"
fi
tail -n 30 "$TEST_TMP/follow.txt"
tail -n 30 "$TEST_TMP/follow.txt" | grep -q '^profreport --follow .* ended ' ||
    fail "the last refresh does not say the run ended"
grep -q '^Top functions by self' "$TEST_TMP/follow.txt" || fail "no top table"
grep -q '% *cpu_phase$' "$TEST_TMP/follow.txt" || fail "cpu_phase not in the top table"
grep -q '^Last interval' "$TEST_TMP/follow.txt" || fail "no metrics line"
# A growing file's last chunk is incomplete: expected, never reported.
if grep -qi 'truncated\|warning' "$TEST_TMP/follow.txt" "$TEST_TMP/follow.err"; then
    fail "follow mode reported the incomplete chunk of the growing file"
fi
ok "non-tty live view: $frames refreshes"

# ---- Pseudo-terminal: each refresh clears the screen ----
if command -v script >/dev/null 2>&1; then
    profile_bg "$TEST_TMP/b.prof" "$EXAMPLES/timeline_phases" 1 >/dev/null
    rc=0
    timeout 60 script -qfec "'$PROFREPORT' --follow --top 5 '$TEST_TMP/b.prof'" /dev/null \
        >"$TEST_TMP/pty.txt" 2>&1 </dev/null || rc=$?
    wait_bg "$PROFILED_PID"
    ((rc == 0)) || fail "profreport --follow under script exited with $rc"
    clears=$(grep -ao $'\033\\[H\033\\[2J' "$TEST_TMP/pty.txt" | wc -l)
    assert_ge "$clears" 2 "screen redraws (pseudo-terminal)"
    grep -aq 'ended' "$TEST_TMP/pty.txt" || fail "the last redraw does not say the run ended"
    if grep -aq '^-\{20,\}' "$TEST_TMP/pty.txt"; then
        fail "separator lines on a terminal"
    fi
else
    echo "script(1) not installed: pseudo-terminal part skipped"
fi

# ---- Killed program: no END, the view ends when the file is quiet and the pid gone ----
profile_bg "$TEST_TMP/c.prof" "$EXAMPLES/timeline_phases" 5 >/dev/null
victim=$PROFILED_PID
timeout 60 "$PROFREPORT" --follow "$TEST_TMP/c.prof" >"$TEST_TMP/killed.txt" 2>&1 &
follower=$!
sleep 2
kill -KILL "$victim"
wait_bg "$victim"
rc=0
wait "$follower" || rc=$?
((rc == 0)) || fail "profreport --follow of a killed program exited with $rc"
tail -n 30 "$TEST_TMP/killed.txt" | grep -q 'ended (no END record' ||
    fail "the last refresh does not say the run ended without END"
ok "killed program: live view ended"
