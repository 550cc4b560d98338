#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Timeline: timeline_phases runs a CPU phase, an idle phase and a leaking phase (2 s each). The
# --timeline table must show the three phases; --from/--to on the CPU phase must give cpu_phase
# >= 90 %; a heap_growth rule must fire during the leaking phase and never outside it; the default
# text report and --alerts list the alert with leak_phase among its interval's top stacks.
source "$(dirname "$0")/../lib.sh"
need_built timeline_phases

PROF_MODE=cpu,alloc PROF_FLUSH_MS=250 PROF_ALLOC_RATE=65536 PROF_ALERT='heap_growth>10MB/min' \
    profile "$TEST_TMP/t.prof" "$EXAMPLES/timeline_phases" 2 4096 \
    >"$TEST_TMP/phases.txt" 2>"$TEST_TMP/stderr.txt"
cat "$TEST_TMP/phases.txt"

# Phase spans in profile time (seconds since the start of the run).
start_ns=$("$PROFREPORT" --dump "$TEST_TMP/t.prof" |
    awk '/ HEADER /{ for (i = 1; i <= NF; i++) if ($i ~ /^start_monotonic_ns=/) { sub(/.*=/, "", $i); print $i } }')
[[ -n $start_ns ]] || fail "no start_monotonic_ns in the HEADER"
span() { # NAME -> "START END" in seconds
    awk -v n="$1" -v s="$start_ns" '$1 == "phase" && $2 == n { printf "%.6f %.6f\n", ($3 - s) / 1e9, ($4 - s) / 1e9 }' \
        "$TEST_TMP/phases.txt"
}
read -r cpu_a cpu_b < <(span cpu)
read -r idle_a idle_b < <(span idle)
read -r leak_a leak_b < <(span leak)
[[ -n $cpu_a && -n $idle_a && -n $leak_a ]] || fail "the program did not print its three phases"
ok "phases: cpu $cpu_a-$cpu_b s, idle $idle_a-$idle_b s, leak $leak_a-$leak_b s"

# ---- --timeline: intervals lying entirely inside a phase, per phase ----
report "$TEST_TMP/timeline.txt" --timeline "$TEST_TMP/t.prof"
cat "$TEST_TMP/timeline.txt"
# Rows: start_s end_s cpu% user% sys% rss_MiB threads samples dropped heap_MiB ...
phase_stats() { # A B -> "ROWS MEAN_CPU SAMPLES HEAP_FIRST HEAP_LAST"
    awk -v a="$1" -v b="$2" '
        $1 ~ /^[0-9.]+$/ && NF >= 10 && $1 + 0 >= a && $2 + 0 <= b {
            n++; cpu += $3; samples += $8
            if (n == 1) first = $10
            last = $10
        }
        END { printf "%d %.2f %d %s %s\n", n, n ? cpu / n : 0, samples, first, last }' \
        "$TEST_TMP/timeline.txt"
}
read -r n_cpu cpu_mean cpu_samples _ _ < <(phase_stats "$cpu_a" "$cpu_b")
read -r n_idle idle_mean idle_samples idle_h0 idle_h1 < <(phase_stats "$idle_a" "$idle_b")
read -r n_leak leak_mean _ leak_h0 leak_h1 < <(phase_stats "$leak_a" "$leak_b")
assert_ge "$n_cpu" 4 "intervals inside the CPU phase"
assert_ge "$n_idle" 4 "intervals inside the idle phase"
assert_ge "$n_leak" 4 "intervals inside the leaking phase"
# The CPU phase burns one CPU as far as the (busy) machine lets it; the idle phase does not.
# (A shared 2-core machine can give the spinning thread well under 100 %, so compare phases.)
assert_ge "$cpu_samples" 20 "samples in the CPU phase's intervals"
if awk -v c="$cpu_mean" -v i="$idle_mean" 'BEGIN { exit !(c >= 10 && c >= 5 * i + 5) }'; then
    ok "CPU phase mean cpu $cpu_mean % vs idle $idle_mean %"
else
    fail "CPU phase mean cpu $cpu_mean % not clearly above idle $idle_mean %"
fi
assert_near "$idle_samples" 0 2 "samples in the idle phase's intervals"
assert_near "$(awk -v a="$idle_h0" -v b="$idle_h1" 'BEGIN { print b - a }')" 0 0.5 \
    "live heap change over the idle phase (MiB)"
# 4 MiB/s for 2 s, of which the intervals inside the phase see at least 1.25 s.
assert_ge "$(awk -v a="$leak_h0" -v b="$leak_h1" 'BEGIN { print b - a }')" 3 \
    "live heap growth over the leaking phase (MiB)"
grep -q '^Charts' "$TEST_TMP/timeline.txt" || fail "no charts after the timeline table"
grep -q '^  heap MiB ' "$TEST_TMP/timeline.txt" || fail "no heap chart"

# ---- --from/--to on the CPU phase: cpu_phase >= 90 % ----
from=$(awk -v a="$cpu_a" 'BEGIN { printf "%.3f", a + 0.05 }')
to=$(awk -v b="$cpu_b" 'BEGIN { printf "%.3f", b - 0.05 }')
report "$TEST_TMP/cpu.txt" --from "$from" --to "$to" "$TEST_TMP/t.prof"
grep -q "^Time window: $from s to $to s" "$TEST_TMP/cpu.txt" || fail "no Time window line"
assert_ge "$(pct_of 'Self (exclusive)' cpu_phase "$TEST_TMP/cpu.txt")" 90 \
    "cpu_phase self % in the CPU phase window"
# The window also restricts the allocation tables: none of leak_phase's allocations in it.
if grep -A5 '^Allocated bytes, self' "$TEST_TMP/cpu.txt" | grep -q leak_phase; then
    fail "leak_phase's allocations appear in the CPU phase window"
fi
# And the leaking phase's window holds leak_phase's allocations and (almost) no cpu_phase.
report "$TEST_TMP/leak.txt" --alloc --from "$leak_a" --to "$leak_b" "$TEST_TMP/t.prof"
grep -A3 '^Allocated bytes, self' "$TEST_TMP/leak.txt" | grep -q leak_phase ||
    fail "leak_phase is not the allocating function of the leaking phase window"
report "$TEST_TMP/collapsed.txt" --format collapsed --from "$from" --to "$to" "$TEST_TMP/t.prof"
assert_ge "$(collapsed_share "$TEST_TMP/collapsed.txt" cpu_phase)" 90 \
    "cpu_phase share of the windowed collapsed output"

# ---- Alerts: heap_growth fires in the leaking phase, and only there ----
"$PROFREPORT" --dump "$TEST_TMP/t.prof" | grep ' ALERT ' >"$TEST_TMP/alerts.txt" || true
cat "$TEST_TMP/alerts.txt"
n_alerts=$(grep -c 'rule=heap_growth' "$TEST_TMP/alerts.txt" || true)
assert_ge "$n_alerts" 1 "heap_growth alerts"
while read -r t; do
    if awk -v t="$t" -v a="$leak_a" -v b="$leak_b" 'BEGIN { s = t / 1e9; exit !(s >= a && s <= b) }'; then
        ok "heap_growth alert at $t ns lies in the leaking phase"
    else
        fail "heap_growth alert at $t ns outside the leaking phase ($leak_a-$leak_b s)"
    fi
done < <(grep 'rule=heap_growth' "$TEST_TMP/alerts.txt" | sed 's/.*time_ns=\([0-9]*\).*/\1/')
grep -q 'libprof: alert: heap_growth>10MB/min at' "$TEST_TMP/stderr.txt" ||
    fail "the alert line is not on stderr"

report "$TEST_TMP/default.txt" "$TEST_TMP/t.prof"
grep -q '^Alerts$' "$TEST_TMP/default.txt" || fail "no Alerts section in the default report"
report "$TEST_TMP/alerts_view.txt" --alerts "$TEST_TMP/t.prof"
cat "$TEST_TMP/alerts_view.txt"
grep -q 'heap_growth>10MB/min' "$TEST_TMP/alerts_view.txt" || fail "--alerts lacks the rule"
grep -q 'top stacks by allocated bytes' "$TEST_TMP/alerts_view.txt" ||
    fail "--alerts: heap rule without the allocation stacks of its interval"
grep -A3 'top stacks' "$TEST_TMP/alerts_view.txt" | grep -q '%  leak_phase' ||
    fail "--alerts: leak_phase is not the top stack of the alert's interval"
ok "alerts listed with their interval's stacks"
