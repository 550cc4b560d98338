#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Deadlock freedom: threads doing dlopen/dlclose, malloc/free, C++ exceptions and fork() in loops,
# profiled at 1000 Hz in every mode at once for 30 s, must finish. A watchdog turns a hang into a
# failure (with the stacks of every thread, for the record) instead of a stuck CI run.
source "$(dirname "$0")/../lib.sh"
need_built dlopen_main
STRESS=${PROGS:-$PROF_BUILD/tests/progs}/stress
PLUGIN=$EXAMPLES/libplugin.so
[[ -x $STRESS && -f $PLUGIN ]] || fail "stress program or plugin not built"
SECONDS_TO_RUN=${PROF_STRESS_SECONDS:-30}
WATCHDOG=$((SECONDS_TO_RUN * 3 + 30))

# A crash leaves a core here (core_pattern permitting) whose stacks are printed below.
cd "$TEST_TMP"
ulimit -c unlimited 2>/dev/null || true
PROF_HZ=1000 PROF_MODE=cpu,wall,alloc PROF_ALLOC_RATE=65536 \
    profile_bg "$TEST_TMP/stress.prof" "$STRESS" "$PLUGIN" "$SECONDS_TO_RUN" >"$TEST_TMP/out" 2>&1
pid=$PROFILED_PID
for ((t = 0; t < WATCHDOG; t++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
    if command -v gdb >/dev/null; then
        gdb -p "$pid" -batch -ex "thread apply all bt 15" 2>/dev/null | grep -E '^(#|Thread)' >&2 || true
    fi
    fail "stress still running after ${WATCHDOG}s: the profiler deadlocked its host"
fi
wait_bg "$pid"
cat "$TEST_TMP/out"
if ((BG_STATUS != 0)); then
    core=$(ls -t "$TEST_TMP"/core* 2>/dev/null | head -1 || true)
    if [[ -n $core ]] && command -v gdb >/dev/null; then
        gdb -batch -ex "thread apply all bt 25" "$STRESS" "$core" 2>/dev/null | grep -E '^(#|Thread)' >&2 || true
    fi
    fail "stress exited with $BG_STATUS under the profiler"
fi
grep -q "stress done" "$TEST_TMP/out" || fail "stress did not finish its loops"
report "$TEST_TMP/r.txt" "$TEST_TMP/stress.prof"
n=$(samples_of "$TEST_TMP/r.txt")
((n > 1000)) || fail "only $n samples recorded during the stress run"
ok "stress ran ${SECONDS_TO_RUN}s at 1000 Hz in cpu,wall,alloc mode without a hang ($n samples)"
