#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The profiler must not change its host's stdout, stderr or exit status (exit_status exits 3).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_runtime exit_status

# A few KiB of known stdin, with bytes of every value.
input=$TEST_TMP/input.bin
awk 'BEGIN { for (r = 0; r < 64; r++) for (i = 0; i < 256; i++) printf "%c", i }' >"$input"

# run_case NAME STDIN: the program alone, then under the profiler, compared byte for byte.
run_case() {
    local name=$1 stdin=$2 rc_plain=0 rc_prof=0
    local d=$TEST_TMP/$name
    mkdir -p "$d"
    env -u PROF_SRC -u PROF_BUILD -u PROF_LIB "$EXAMPLES/exit_status" \
        <"$stdin" >"$d/plain.out" 2>"$d/plain.err" || rc_plain=$?
    PROF_HZ=1000 profile "$d/run.prof" "$EXAMPLES/exit_status" \
        <"$stdin" >"$d/prof.out" 2>"$d/prof.err" || rc_prof=$?
    ((rc_plain == 3)) || fail "$name: exit_status alone exited $rc_plain, expected 3"
    ((rc_prof == 3)) || fail "$name: exit_status under the profiler exited $rc_prof, expected 3"
    cmp "$d/plain.out" "$d/prof.out" || { diff "$d/plain.out" "$d/prof.out" >&2 || true;
        fail "$name: stdout differs under the profiler"; }
    cmp "$d/plain.err" "$d/prof.err" || { diff "$d/plain.err" "$d/prof.err" >&2 || true;
        fail "$name: stderr differs under the profiler"; }
    # The comparison means something only if the program really ran: check its known lines.
    grep -qx 'exit_status: line 5' "$d/prof.out" || fail "$name: known stdout line missing"
    grep -qx 'exit_status: warning 3' "$d/prof.err" || fail "$name: known stderr line missing"
    [[ -s $d/run.prof ]] || fail "$name: the profiler wrote no profile (was it loaded?)"
    ok "$name: stdout, stderr and exit status 3 identical with and without the profiler"
}

run_case devnull /dev/null
grep -qx 'exit_status: stdin: 0 bytes fnv1a=cbf29ce484222325' "$TEST_TMP/devnull/prof.out" \
    || fail "devnull: empty stdin checksum line missing"
run_case stdin "$input"
grep -qx "exit_status: stdin: $(wc -c <"$input") bytes fnv1a=[0-9a-f]*" "$TEST_TMP/stdin/prof.out" \
    || fail "stdin: the program did not read all of stdin"

# Stdin through a pipe as well as from a file.
rc=0
PROF_HZ=1000 profile "$TEST_TMP/pipe.prof" "$EXAMPLES/exit_status" \
    < <(cat "$input") >"$TEST_TMP/pipe.out" 2>"$TEST_TMP/pipe.err" || rc=$?
((rc == 3)) || fail "pipe: exit status $rc, expected 3"
cmp "$TEST_TMP/stdin/plain.out" "$TEST_TMP/pipe.out" || fail "pipe: stdout differs"
cmp "$TEST_TMP/stdin/plain.err" "$TEST_TMP/pipe.err" || fail "pipe: stderr differs"
ok "pipe: identical output and exit status"
