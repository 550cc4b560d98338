#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A setgid program ignores PROF_*: libprof reads its variables with secure_getenv, which returns
# NULL when the process runs in secure mode (AT_SECURE: effective ids differ from real ones).
#
# How: the loader ignores LD_PRELOAD paths in secure mode, so the test program (harden_secure)
# links libprof.so itself (absolute build RUNPATH, which secure mode honours). A copy is made setgid
# to a group the running user is not in, and run by an unprivileged user: as root, `setpriv` to
# `nobody` (root's own setgid run would not be secure: its real gid is already the file's group).
# Run by that user without the setgid bit, the same binary writes PROF_OUT (the control); with the
# bit, PROF_OUT is not created and libprof, still active, writes its default %e.%p.prof in the
# working directory instead, which proves it was loaded and ran with its defaults. A bad PROF_HZ
# warns in the control and is silently ignored in secure mode.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../harden/harden_lib.sh"
need_built
PROG=$HARDEN_PROGS/harden_secure
[[ -x $PROG ]] || fail "test program not built: $PROG"
need_as_user

if (($(id -u) == 0)); then
    group=root # nobody is not in it
else
    # A supplementary group of ours other than the primary one: then egid != rgid.
    group=$(id -Gn | tr ' ' '\n' | grep -vxF "$(id -gn)" | head -1 || true)
    [[ -n $group ]] || skip "not root and no supplementary group: cannot make a setgid program that changes our gid"
fi

# A world-writable working directory (sticky, like /tmp) for the unprivileged user.
chmod 0711 "$TEST_TMP"
work=$TEST_TMP/work
mkdir -m 1777 "$work"
cp "$PROG" "$TEST_TMP/plain"
cp "$PROG" "$TEST_TMP/setgid"
chgrp "$group" "$TEST_TMP/setgid"
chmod 2755 "$TEST_TMP/setgid"
chmod 0755 "$TEST_TMP/plain"
if findmnt -no OPTIONS --target "$TEST_TMP" 2>/dev/null | grep -qw nosuid; then
    skip "$TEST_TMP is on a nosuid mount: the setgid bit would have no effect"
fi

# run TAG BINARY: as the unprivileged user, in $work, with PROF_OUT and a bad PROF_HZ.
run() {
    local tag=$1 bin=$2 st=0
    as_user sh -c 'cd "$1" && exec env PROF_OUT="$2" PROF_HZ=bogus "$3"' sh "$work" \
        "$work/$tag.prof" "$bin" >"$TEST_TMP/$tag.out" 2>"$TEST_TMP/$tag.err" </dev/null || st=$?
    ((st == 0)) || fail "$tag: exit status $st: $(cat "$TEST_TMP/$tag.err")"
    grep -qx 'harden_secure: done' "$TEST_TMP/$tag.out" || fail "$tag: the program's output is missing"
}

# ---- control: not setgid, the variables are honoured ----
run plain "$TEST_TMP/plain"
[[ -s $work/plain.prof ]] || fail "control: PROF_OUT was not written (is libprof loaded?): $(cat "$TEST_TMP/plain.err")"
grep -q "PROF_HZ='bogus' is not valid" "$TEST_TMP/plain.err" || fail "control: no warning for PROF_HZ=bogus"
ok "control (not setgid): PROF_OUT written, bad PROF_HZ warned about"

# ---- setgid: the variables are ignored, libprof runs on its defaults ----
run setgid "$TEST_TMP/setgid"
[[ ! -e $work/setgid.prof ]] || fail "setgid: PROF_OUT was honoured ($work/setgid.prof exists)"
grep -q 'PROF_HZ' "$TEST_TMP/setgid.err" && fail "setgid: PROF_HZ was read: $(cat "$TEST_TMP/setgid.err")"
shopt -s nullglob
defaults=("$work"/setgid.*.prof)
((${#defaults[@]} == 1)) || fail "setgid: expected libprof's default output setgid.PID.prof in the working directory (proof that it ran), found: $(ls "$work")"
"$PROFREPORT" "${defaults[0]}" >"$TEST_TMP/r.txt" 2>&1 || fail "setgid: the default profile does not read"
grep -q 'requested 100 Hz' "$TEST_TMP/r.txt" || fail "setgid: not the default rate: $(grep '^Timer' "$TEST_TMP/r.txt")"
ok "setgid: PROF_OUT and PROF_HZ ignored; libprof wrote ${defaults[0]##*/} at the default 100 Hz"
