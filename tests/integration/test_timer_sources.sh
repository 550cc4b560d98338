#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Each timer source (perf, cputime, itimer) asked for with PROF_TIMER is the one used and recorded,
# keeps work532's 5:3:2 split within 3 points, and has its effective rate recorded.
#
# Per source, two runs of work532: 1 CPU-second at the default settings (the source works), and
# one at PROF_HZ=1000 long enough for ~2000 samples, where the split is checked.
# Both must name the source in the header (timer and timer_requested) and warn about nothing. The
# default run must split work_a/b/c 50/30/20 % +-3 points in `profreport --format collapsed`. The
# 1000 Hz run checks the rate the profile records (samples / the process CPU time counter, as
# bench/profstat computes it) and that the report shows it:
#   perf     >= 90 % of 1000 Hz (a high-resolution perf-event clock);
#   cputime  > 0, and reported: POSIX CPU timers fire on the scheduler tick (250 Hz here);
#   itimer   > 0, and reported (process-wide ITIMER_PROF, tick-limited too).
# (The split at 1000 Hz is measured by bench/run_suite.sh, not asserted here: with a period shorter
# than the tick, itimer samples carry weight 1 whatever CPU time they stand for, so on a loaded
# machine their split wanders; see docs/performance.md.)
# The perf source is skipped only when the runtime reports that perf_event_open itself was refused
# by this kernel (perf_event_paranoid, seccomp); cputime and itimer always exist on Linux.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532
PROFSTAT=${PROFSTAT:-$PROF_BUILD/bench/profstat}
[[ -x $PROFSTAT ]] || fail "profstat not built: $PROFSTAT"
unset PROF_TEST_FAIL_PERF PROF_HZ PROF_TIMER

# stat_of KEY STATFILE: the value of "KEY value" in profstat's output.
stat_of() {
    local v
    v=$(awk -v k="$1" '$1 == k { print $2; exit }' "$2")
    [[ -n $v ]] || fail "profstat printed no '$1' (see $2)"
    echo "$v"
}

# check_split PROFILE LABEL: work_a/b/c inclusive shares 50/30/20 +-3 in the collapsed report.
check_split() {
    local prof=$1 label=$2 col=$1.collapsed
    report "$col" --format collapsed "$prof"
    assert_near "$(collapsed_share "$col" work_a)" 50 3 "$label: work_a inclusive %"
    assert_near "$(collapsed_share "$col" work_b)" 30 3 "$label: work_b inclusive %"
    assert_near "$(collapsed_share "$col" work_c)" 20 3 "$label: work_c inclusive %"
}

# run_source SOURCE HZ: profiles work532 with PROF_TIMER=SOURCE (and PROF_HZ=HZ unless "default").
# The split is checked on runs with >= ~2000 samples: the sampling noise of a 50 % share is then
# 1.1 points, so +-3 holds by 2.7 standard deviations. (At the default 100 Hz, 3 s give ~300
# samples and a 2.9-point deviation: a +-3 check would fail a third of the time by chance.) The
# tick-limited sources deliver ~250 Hz when asked for 1000, so they run 8 s; perf runs 2 s.
# into $TEST_TMP/SOURCE-HZ.prof, profstat output in .stat, the program's stderr in .err.
# Returns 3 when SOURCE is perf and the kernel refused perf_event_open.
run_source() {
    local src=$1 hz=$2 base=$TEST_TMP/$1-$2 secs=2
    [[ $src == perf ]] || secs=8
    if [[ $hz == default ]]; then
        secs=1
        PROF_TIMER=$src profile "$base.prof" "$EXAMPLES/work532" $secs >"$base.out" 2>"$base.err"
    else
        PROF_TIMER=$src PROF_HZ=$hz profile "$base.prof" "$EXAMPLES/work532" $secs >"$base.out" \
            2>"$base.err"
    fi
    grep -q "^work532: seconds=$secs " "$base.out" || fail "$src/$hz: work532 did not print its result"
    [[ -s $base.prof ]] || fail "$src/$hz: no profile written"
    "$PROFSTAT" "$base.prof" >"$base.stat" 2>"$base.stat.err" ||
        fail "$src/$hz: profstat failed: $(cat "$base.stat.err")"
    local used
    used=$(stat_of timer "$base.stat")
    if [[ $src == perf && $used != perf ]] && grep -q '^libprof: warning: perf_event_open' "$base.err"; then
        echo "note: perf events refused here: $(grep -m1 'perf_event_open' "$base.err")"
        return 3
    fi
    [[ $used == "$src" ]] || fail "$src/$hz: header timer is '$used', asked for $src (stderr: $(cat "$base.err"))"
    [[ $(stat_of timer_requested "$base.stat") == "$src" ]] ||
        fail "$src/$hz: header timer_requested is not $src"
    ok "$src/$hz: header records timer=$src, timer_requested=$src"
    if grep -q '^libprof: warning' "$base.err"; then
        fail "$src/$hz: unexpected warning: $(grep -m1 '^libprof: warning' "$base.err")"
    fi
    return 0
}

tested=0
for src in perf cputime itimer; do
    rc=0
    run_source "$src" default || rc=$?
    if ((rc == 3)); then
        echo "SKIP (part): timer source perf is not allowed on this machine"
        continue
    fi

    rc=0
    run_source "$src" 1000 || rc=$?
    ((rc == 0)) || fail "$src: perf events worked at the default rate but not at 1000 Hz"
    st=$TEST_TMP/$src-1000.stat
    [[ $(stat_of hz "$st") == 1000 ]] || fail "$src: header hz is not 1000"
    check_split "$TEST_TMP/$src-1000.prof" "$src, 1000 Hz"
    rate=$(stat_of effective_hz "$st")
    echo "$src: $(stat_of samples "$st") samples, $(stat_of cpu_s "$st") CPU-s, $rate samples per CPU-second"
    case $src in
        perf) assert_ge "$rate" 900 "perf: samples per CPU-second at 1000 Hz" ;;
        *)
            assert_ge "$rate" 1 "$src: samples per CPU-second at 1000 Hz (tick-limited, reported)"
            ;;
    esac
    # The report shows the same source and an effective rate.
    txt=$TEST_TMP/$src-1000.txt
    report "$txt" "$TEST_TMP/$src-1000.prof"
    grep -qE "^Timer: *$src\\b" "$txt" || fail "$src: report header does not name the timer: $(grep -m1 '^Timer' "$txt")"
    grep -qE '^Rate: requested [0-9]+ Hz, effective [0-9.]+ Hz' "$txt" || fail "$src: report header has no requested/effective rate line"
    ok "$src: report names the timer and its rate ($(grep -m1 '^Rate:' "$txt"))"
    tested=$((tested + 1))
done
((tested >= 2)) || fail "fewer than two timer sources tested"
ok "$tested timer sources checked"
