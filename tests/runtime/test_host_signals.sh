#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A host that installs its own SIGPROF handler, arms ITIMER_PROF and blocks SIGPROF in a thread
# keeps working under the profiler: its handler gets its own signals (not ours), it reads back the
# disposition it set, and we still profile it.
source "$(dirname "$0")/../lib.sh"
need_built
HOST=${PROGS:-$PROF_BUILD/tests/progs}/sigprof_host
[[ -x $HOST ]] || fail "test program not built: $HOST"

base=$("$HOST") || fail "sigprof_host fails even without the profiler: $base"
base_hits=$(awk '/host handler calls/{print $4}' <<<"$base")
for timer in perf cputime; do
    out=$(PROF_HZ=1000 PROF_TIMER=$timer profile "$TEST_TMP/h.prof" "$HOST" 2>"$TEST_TMP/err") ||
        fail "sigprof_host under the profiler ($timer): $out $(cat "$TEST_TMP/err")"
    grep -q "handler read back: same" <<<"$out" || fail "$timer: the host reads back another handler"
    hits=$(awk '/host handler calls/{print $4}' <<<"$out")
    # Its own 100 Hz timer over ~1.3 s of CPU: about as many as without us, and never our 1000 Hz.
    ((hits >= base_hits / 2 && hits <= base_hits * 2 + 20)) ||
        fail "$timer: host handler got $hits SIGPROFs (without profiler: $base_hits)"
    report "$TEST_TMP/r.txt" "$TEST_TMP/h.prof"
    n=$(samples_of "$TEST_TMP/r.txt")
    if [[ $timer == perf ]]; then
        ((n >= 500)) || fail "perf: only $n samples of a ~1.3 s CPU run at 1000 Hz"
    else
        ((n >= 100)) || fail "cputime: only $n samples"
    fi
    ok "$timer: host handler $hits calls (baseline $base_hits), profile $n samples"
done
