# SPDX-License-Identifier: MIT
# Helpers shared by tests/harden/test_*.sh (source after tests/lib.sh): running a host program with
# and without the profiler and comparing what it prints, and running as an unprivileged user.

HARDEN_PROGS=$PROF_BUILD/tests/harden/progs

# host_baseline PROG ARGS...: runs PROG without the profiler (stdin /dev/null); leaves
# $TEST_TMP/base.out, base.err and BASE_STATUS.
host_baseline() {
    BASE_STATUS=0
    "$@" </dev/null >"$TEST_TMP/base.out" 2>"$TEST_TMP/base.err" || BASE_STATUS=$?
}

# host_profiled TAG RUNNER...: runs RUNNER... (a command line that starts the host under the
# profiler) with stdin /dev/null; leaves $TEST_TMP/TAG.out, TAG.err and HOST_STATUS.
host_profiled() {
    local tag=$1
    shift
    HOST_STATUS=0
    "$@" </dev/null >"$TEST_TMP/$tag.out" 2>"$TEST_TMP/$tag.err" || HOST_STATUS=$?
}

# expect_host_unchanged TAG: the profiled run's stdout is byte-identical to the baseline's, its
# exit status the same, and its stderr is the baseline's plus only "libprof: warning:" lines.
expect_host_unchanged() {
    local tag=$1
    cmp -s "$TEST_TMP/base.out" "$TEST_TMP/$tag.out" ||
        fail "$tag: stdout differs from the run without the profiler: $(diff "$TEST_TMP/base.out" "$TEST_TMP/$tag.out" | head -5)"
    ((HOST_STATUS == BASE_STATUS)) || fail "$tag: exit status $HOST_STATUS, without the profiler $BASE_STATUS"
    grep -v '^libprof: warning: ' "$TEST_TMP/$tag.err" | cmp -s "$TEST_TMP/base.err" - ||
        fail "$tag: stderr (less libprof warnings) differs from the run without the profiler"
    ok "$tag: host stdout, stderr and exit status $HOST_STATUS unchanged"
}

# expect_warnings TAG N PATTERN: exactly N "libprof: warning:" lines on TAG's stderr, each
# matching the extended regex PATTERN.
expect_warnings() {
    local tag=$1 n=$2 pat=$3 got
    got=$(grep -c '^libprof: warning: ' "$TEST_TMP/$tag.err" || true)
    ((got == n)) || fail "$tag: $got libprof warnings, expected $n: $(cat "$TEST_TMP/$tag.err")"
    if ((n > 0)) && grep '^libprof: warning: ' "$TEST_TMP/$tag.err" | grep -vqE -- "$pat"; then
        fail "$tag: a warning does not match /$pat/: $(grep '^libprof: warning: ' "$TEST_TMP/$tag.err")"
    fi
    ok "$tag: $n warning line(s)$( ((n > 0)) && echo ": $(grep -m1 '^libprof: warning: ' "$TEST_TMP/$tag.err")")"
}

# as_user CMD...: runs CMD as the unprivileged user `nobody` when we are root (root ignores file
# permissions, so permission tests need another user); as ourselves otherwise. Returns CMD's status.
as_user() {
    if (($(id -u) == 0)); then
        setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- \
            env PATH=/usr/bin:/bin "$@"
    else
        "$@"
    fi
}

# need_as_user: as_user can run things (setpriv present when root), and the build is reachable by
# that user; skip otherwise (a machine property, not a defect of ours).
need_as_user() {
    if (($(id -u) == 0)); then
        command -v setpriv >/dev/null || skip "running as root without setpriv (util-linux)"
        id nobody >/dev/null 2>&1 || skip "running as root and there is no user 'nobody'"
        as_user test -r "$PROF_LIB" || skip "user nobody cannot read $PROF_LIB"
    fi
}
