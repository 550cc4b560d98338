#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# work532 ground truth: work_a/work_b/work_c take 50/30/20 % inclusive, kernel_loop >= 95 % self.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532

out=$TEST_TMP/work532.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/work532" 2 >"$TEST_TMP/stdout"
grep -q '^work532: seconds=2 ' "$TEST_TMP/stdout" || fail "work532 did not print its result line"

# Text tables.
txt=$TEST_TMP/report.txt
report "$txt" "$out"
cat "$txt"
for sec in 'Cumulative (inclusive)' 'Self (exclusive)' 'Hotspots (source lines by self time)'; do
    grep -qxF "$sec" "$txt" || fail "section title '$sec' missing at column 0"
done
# The header accounts for samples lost on the way (format.md COUNTERS): it must say so.
hdr=$(awk '/^Cumulative \(inclusive\)$/ { exit } { print }' "$txt")
for word in dropped failed truncated; do
    grep -qi "$word" <<<"$hdr" || fail "report header does not mention $word samples"
done
samples=$(samples_of "$txt")
# 2 s of CPU at 1000 Hz is ~2000 samples; half of that means the timer is badly off.
assert_ge "$samples" 1000 "samples in a 2 s run at 1000 Hz"
a=$(pct_of 'Cumulative (inclusive)' work_a "$txt")
b=$(pct_of 'Cumulative (inclusive)' work_b "$txt")
c=$(pct_of 'Cumulative (inclusive)' work_c "$txt")
assert_near "$a" 50 3 "text: work_a inclusive %"
assert_near "$b" 30 3 "text: work_b inclusive %"
assert_near "$c" 20 3 "text: work_c inclusive %"
k=$(pct_of 'Self (exclusive)' kernel_loop "$txt")
assert_ge "$k" 95 "text: kernel_loop self %"
top=$(top_row 'Self (exclusive)' "$txt" | cut -f2)
[[ $top == kernel_loop ]] || fail "top self row is '$top', expected kernel_loop"

# Collapsed stacks of the same profile must tell the same story.
col=$TEST_TMP/report.collapsed
report "$col" --format collapsed "$out"
head -5 "$col"
ca=$(collapsed_share "$col" work_a)
cb=$(collapsed_share "$col" work_b)
cc=$(collapsed_share "$col" work_c)
assert_near "$ca" 50 3 "collapsed: work_a inclusive %"
assert_near "$cb" 30 3 "collapsed: work_b inclusive %"
assert_near "$cc" 20 3 "collapsed: work_c inclusive %"
ck=$(collapsed_share "$col" kernel_loop self)
assert_ge "$ck" 95 "collapsed: kernel_loop self %"
# Root first: the stacks through a worker must read ...;main;work_X;kernel_loop.
grep -qE '(^|;)main;work_a;kernel_loop [0-9]+$' "$col" \
    || fail "no collapsed stack 'main;work_a;kernel_loop' (root first)"
ok "collapsed stacks are root first"
