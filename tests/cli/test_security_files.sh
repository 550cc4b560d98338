#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Output file safety: PROF_OUT naming a symlink (to a file of ours, or dangling) or an existing file
# that is not a profile of ours is never written through or clobbered: the target stays
# byte-identical (or absent), profiling is off with one warning, and the host runs unchanged. A
# created profile has mode 0600 whatever the umask; an earlier profile of ours is replaced.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../harden/harden_lib.sh"
need_built exit_status
HOST=$EXAMPLES/exit_status
host_baseline "$HOST"

# ---- a symlink to a file the test owns ----
printf 'precious data, not a profile\n' >"$TEST_TMP/target.txt"
cp "$TEST_TMP/target.txt" "$TEST_TMP/target.orig"
ln -s "$TEST_TMP/target.txt" "$TEST_TMP/link.prof"
host_profiled symlink env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/link.prof" "$HOST"
expect_host_unchanged symlink
expect_warnings symlink 1 "link.prof: .*profiling off"
cmp -s "$TEST_TMP/target.txt" "$TEST_TMP/target.orig" || fail "symlink: the link's target was modified"
[[ -L $TEST_TMP/link.prof ]] || fail "symlink: the link itself was replaced"
ok "symlink: target byte-identical, link kept"

# ---- a symlink to a profile of ours: not followed either (we replace only regular files) ----
LD_PRELOAD=$PROF_LIB PROF_OUT=$TEST_TMP/old.prof "$HOST" </dev/null >/dev/null 2>&1 || true
cp "$TEST_TMP/old.prof" "$TEST_TMP/old.orig"
ln -s "$TEST_TMP/old.prof" "$TEST_TMP/link2.prof"
host_profiled symlink2 env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/link2.prof" "$HOST"
expect_host_unchanged symlink2
expect_warnings symlink2 1 "link2.prof: .*profiling off"
cmp -s "$TEST_TMP/old.prof" "$TEST_TMP/old.orig" || fail "symlink2: the profile behind the link was modified"
ok "symlink to a profile: not followed"

# ---- a dangling symlink: nothing is created at its target ----
ln -s "$TEST_TMP/created-through-link.prof" "$TEST_TMP/dangling.prof"
host_profiled dangling env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/dangling.prof" "$HOST"
expect_host_unchanged dangling
expect_warnings dangling 1 "dangling.prof: .*profiling off"
[[ ! -e $TEST_TMP/created-through-link.prof ]] || fail "dangling: a file was created through the link"
ok "dangling symlink: not followed"

# ---- an existing file that is not a profile ----
head -c 4096 /dev/urandom >"$TEST_TMP/foreign.prof"
cp "$TEST_TMP/foreign.prof" "$TEST_TMP/foreign.orig"
host_profiled foreign env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/foreign.prof" "$HOST"
expect_host_unchanged foreign
expect_warnings foreign 1 "foreign.prof: exists and is not an earlier profile of ours"
cmp -s "$TEST_TMP/foreign.prof" "$TEST_TMP/foreign.orig" || fail "foreign: the existing file was modified"
ok "foreign file: byte-identical"

# ---- a profile of ours owned by another user is not replaced either (needs root to set up) ----
if (($(id -u) == 0)) && id nobody >/dev/null 2>&1; then
    cp "$TEST_TMP/old.orig" "$TEST_TMP/others.prof"
    chown nobody "$TEST_TMP/others.prof"
    host_profiled others env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/others.prof" "$HOST"
    expect_host_unchanged others
    expect_warnings others 1 "others.prof: exists and is not an earlier profile of ours"
    cmp -s "$TEST_TMP/others.prof" "$TEST_TMP/old.orig" || fail "others: another user's profile was modified"
    ok "another user's profile: byte-identical"
fi

# ---- mode 0600 whatever the umask; an earlier profile of ours is replaced ----
host_profiled mode sh -c 'umask 000; exec env LD_PRELOAD="$0" PROF_OUT="$1" "$2"' \
    "$PROF_LIB" "$TEST_TMP/mode.prof" "$HOST"
expect_host_unchanged mode
expect_warnings mode 0 ''
mode=$(stat -c %a "$TEST_TMP/mode.prof")
[[ $mode == 600 ]] || fail "profile created with mode $mode under umask 000, expected 600"
ok "new profile: mode 0600 under umask 000"
ino=$(stat -c %i "$TEST_TMP/mode.prof")
host_profiled again env LD_PRELOAD="$PROF_LIB" PROF_OUT="$TEST_TMP/mode.prof" "$HOST"
expect_warnings again 0 ''
"$PROFREPORT" "$TEST_TMP/mode.prof" >/dev/null 2>&1 || fail "the replaced profile does not read"
[[ $(stat -c %a "$TEST_TMP/mode.prof") == 600 ]] || fail "replaced profile: mode is not 600"
ok "earlier profile of ours replaced (inode $ino -> $(stat -c %i "$TEST_TMP/mode.prof"))"
