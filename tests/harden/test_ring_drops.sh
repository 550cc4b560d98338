#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A ring too small for the sample rate drops samples, and the drops are counted and shown: 5000 Hz
# of 200-frame stacks into a 16 KiB ring must give "dropped N" with N > 0 in profreport's header
# (and the same program with the default ring drops nothing, so the count is not noise).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built
DEEP=$PROF_BUILD/tests/harden/progs/harden_deep
[[ -x $DEEP ]] || fail "test program not built: $DEEP"

dropped_of() {
    local n
    n=$(sed -n 's/^Samples: .*; dropped \([0-9]*\),.*/\1/p' "$1")
    [[ -n $n ]] || fail "no 'dropped N' in the header of $1: $(grep '^Samples:' "$1")"
    echo "$n"
}

PROF_RING_KB=16 PROF_FLUSH_MS=1000 PROF_HZ=5000 profile "$TEST_TMP/tiny.prof" "$DEEP" 1.5 >/dev/null
report "$TEST_TMP/tiny.txt" "$TEST_TMP/tiny.prof"
grep '^Samples:' "$TEST_TMP/tiny.txt"
tiny=$(dropped_of "$TEST_TMP/tiny.txt")
((tiny > 0)) || fail "16 KiB ring at 5000 Hz with 200-frame stacks: dropped $tiny, expected > 0"
kept=$(samples_of "$TEST_TMP/tiny.txt")
((kept > 0)) || fail "tiny ring: no sample kept at all"
ok "tiny ring: $kept samples kept, $tiny dropped"
has_row 'Cumulative (inclusive)' deep_descend "$TEST_TMP/tiny.txt" || fail "tiny ring: deep_descend not in the report"

PROF_FLUSH_MS=1000 PROF_HZ=1000 profile "$TEST_TMP/big.prof" "$DEEP" 0.5 >/dev/null
report "$TEST_TMP/big.txt" "$TEST_TMP/big.prof"
big=$(dropped_of "$TEST_TMP/big.txt")
((big == 0)) || fail "default ring at 1000 Hz dropped $big samples, expected none"
ok "default ring: dropped 0"
