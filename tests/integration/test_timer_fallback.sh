#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# When perf events fail (PROF_TEST_FAIL_PERF=1), PROF_TIMER=perf and auto fall back to POSIX CPU
# timers: one warning line on stderr, the fallback recorded in the header and as a WARNING record,
# and the profile still right (work532's 5:3:2 split within 3 points).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532
PROFSTAT=${PROFSTAT:-$PROF_BUILD/bench/profstat}
[[ -x $PROFSTAT ]] || fail "profstat not built: $PROFSTAT"
unset PROF_HZ PROF_TIMER

stat_of() {
    local v
    v=$(awk -v k="$1" '$1 == k { print $2; exit }' "$2")
    [[ -n $v ]] || fail "profstat printed no '$1' (see $2)"
    echo "$v"
}

for asked in perf auto; do
    base=$TEST_TMP/fallback-$asked
    # 8 s at PROF_HZ=1000: the fallback (POSIX CPU timers) delivers ~250 Hz here, so ~2000 samples,
    # enough for the +-3-point split below to hold by ~2.7 standard deviations of sampling noise.
    PROF_TEST_FAIL_PERF=1 PROF_TIMER=$asked PROF_HZ=1000 profile "$base.prof" "$EXAMPLES/work532" 8 \
        >"$base.out" 2>"$base.err" || fail "$asked: work532 exited with $? under the fallback"
    grep -q '^work532: seconds=8 ' "$base.out" || fail "$asked: work532 did not print its result"
    cat "$base.err"

    # Exactly one warning line, naming perf_event_open, and nothing else on stderr from us.
    nwarn=$(grep -c '^libprof: warning: perf_event_open' "$base.err" || true)
    [[ $nwarn == 1 ]] || fail "$asked: expected one 'libprof: warning: perf_event_open...' line, got $nwarn"
    nother=$(grep '^libprof:' "$base.err" | grep -vc '^libprof: warning: perf_event_open' || true)
    [[ $nother == 0 ]] || fail "$asked: other libprof lines on stderr"
    ok "$asked: one warning on stderr: $(grep '^libprof: warning' "$base.err")"

    "$PROFSTAT" "$base.prof" >"$base.stat" 2>"$base.stat.err" ||
        fail "$asked: profstat failed: $(cat "$base.stat.err")"
    [[ $(stat_of timer "$base.stat") == cputime ]] ||
        fail "$asked: header timer is '$(stat_of timer "$base.stat")', expected the cputime fallback"
    [[ $(stat_of timer_requested "$base.stat") == "$asked" ]] ||
        fail "$asked: header timer_requested is '$(stat_of timer_requested "$base.stat")'"
    ok "$asked: header records timer=cputime, timer_requested=$asked"
    assert_ge "$(stat_of samples "$base.stat")" 1 "$asked: samples under the fallback"

    # The same warning is kept in the profile (WARNING record), and the report names the timer.
    grep -q 'perf_event_open' "$base.stat.err" ||
        fail "$asked: the profile holds no WARNING record about perf_event_open"
    ok "$asked: WARNING record in the profile"
    txt=$base.txt
    report "$txt" "$base.prof"
    grep -qE '^Timer: *cputime\b' "$txt" || fail "$asked: report header: $(grep -m1 '^Timer' "$txt")"

    col=$base.collapsed
    report "$col" --format collapsed "$base.prof"
    assert_near "$(collapsed_share "$col" work_a)" 50 3 "$asked fallback: work_a inclusive %"
    assert_near "$(collapsed_share "$col" work_b)" 30 3 "$asked fallback: work_b inclusive %"
    assert_near "$(collapsed_share "$col" work_c)" 20 3 "$asked fallback: work_c inclusive %"
done

# Without the seam, asking for cputime never mentions perf.
base=$TEST_TMP/no-seam
PROF_TIMER=cputime profile "$base.prof" "$EXAMPLES/work532" 0.2 >/dev/null 2>"$base.err"
if grep -q 'perf_event_open' "$base.err"; then
    fail "PROF_TIMER=cputime printed a perf warning: $(cat "$base.err")"
fi
ok "PROF_TIMER=cputime: no perf warning"
