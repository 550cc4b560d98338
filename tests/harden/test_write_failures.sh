#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# When the profile cannot be written the host is not disturbed: a PROF_OUT in a missing directory
# or in a read-only directory, and a disk that fills up mid-run (the PROF_TEST_FAIL_WRITE_AFTER seam
# of src/writer.c), each give exactly one "libprof: warning:" line, and the host's stdout, stderr
# and exit status stay those of a run without the profiler. After the full disk, the file holds
# the chunks written before it and nothing after.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/harden_lib.sh"
need_built exit_status
HOST=$EXAMPLES/exit_status

host_baseline "$HOST"
((BASE_STATUS == 3)) || fail "exit_status without the profiler exits $BASE_STATUS, expected 3"

# ---- a control: a writable path gives no warning and a profile ----
host_profiled control env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/control.prof" "$HOST"
expect_host_unchanged control
expect_warnings control 0 ''
[[ -s $TEST_TMP/control.prof ]] || fail "control: no profile written"

# ---- a directory that does not exist ----
host_profiled nodir env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/no/such/dir/x.prof" "$HOST"
expect_host_unchanged nodir
expect_warnings nodir 1 "$TEST_TMP/no/such/dir/x.prof: cannot create profile \(No such file or directory\); profiling off"
[[ ! -e $TEST_TMP/no ]] || fail "nodir: something was created"

# ---- a read-only directory (as an unprivileged user: root writes anywhere) ----
need_as_user
chmod 0711 "$TEST_TMP"
mkdir -m 0555 "$TEST_TMP/ro"
host_baseline as_user "$HOST"
host_profiled rodir as_user env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/ro/x.prof" "$HOST"
expect_host_unchanged rodir
expect_warnings rodir 1 "$TEST_TMP/ro/x.prof: cannot create profile \((Permission denied|Read-only file system)\); profiling off"
[[ -z $(ls -A "$TEST_TMP/ro") ]] || fail "rodir: something was created in the read-only directory"

# ---- the disk fills up after 2 chunks (test seam: the 3rd chunk is half written, then ENOSPC) ----
host_baseline "$HOST"
host_profiled full env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/full.prof" PROF_FLUSH_MS=50 \
    PROF_TEST_FAIL_WRITE_AFTER=2 "$HOST"
expect_host_unchanged full
expect_warnings full 1 "$TEST_TMP/full.prof: write failed \(No space left on device\); the profile ends here, the program continues"
# The file: chunks 0 and 1 complete, then a truncated chunk 2 and nothing after it.
dump=$TEST_TMP/full.dump
"$PROFREPORT" --dump "$TEST_TMP/full.prof" >"$dump" 2>&1 || true
grep -q '^chunk 0 HEADER' "$dump" || fail "full: chunk 0 lost: $(head -3 "$dump")"
grep -q '^chunk 1 ' "$dump" || fail "full: chunk 1 lost"
grep -q '^chunk 2 ' "$dump" && fail "full: records of chunk 2 were read, its write should have failed"
grep -qE 'truncated in chunk 2' "$dump" || fail "full: no truncation at chunk 2: $(tail -2 "$dump")"
ok "full: the profile holds chunks 0-1, then the cut chunk 2"
