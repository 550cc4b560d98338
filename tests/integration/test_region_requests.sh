#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regions end to end with examples/regions/region_requests (10,000 "request" calls, each with a
# nested "parse"; every 10th request slow): exact call counts; p50/p95/p99 and totals within 5 % of
# the program's own measurements (it spins, so durations are known even on a loaded machine);
# nested regions inclusive; samples carry their region (--region); --slow-region isolates the
# slow calls' stacks; --dump shows the region records.
source "$(dirname "$0")/../lib.sh"
need_built region_requests

out=$TEST_TMP/r.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/region_requests" 10000 >"$TEST_TMP/measured.txt"
report "$TEST_TMP/regions.txt" --regions "$out"
cat "$TEST_TMP/measured.txt" "$TEST_TMP/regions.txt"

# measured NAME FIELD: a value the program printed ("measured NAME ... FIELD=V").
measured() {
    awk -v n="$1" -v f="$2" '$1 == "measured" && $2 == n {
        for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' \
        "$TEST_TMP/measured.txt"
}

# col PATH N: column N of the region row PATH, durations in ns. Row: count, total, mean, p50,
# p95, p99, max (each "VALUE UNIT"), samples, on-CPU, off-CPU, path.
col() {
    awk -v path="$1" -v want="$2" '
        function ns(v, u) { return v * (u == "s" ? 1e9 : u == "ms" ? 1e6 : u == "us" ? 1e3 : 1) }
        $NF == path && NF == 17 {
            c[1] = $1
            for (k = 2; k <= 7; k++) c[k] = ns($(2 * k - 2), $(2 * k - 1))
            c[8] = $14
            printf "%.0f\n", c[want]
        }' "$TEST_TMP/regions.txt"
}

# within5 ACTUAL EXPECTED MSG: |ACTUAL - EXPECTED| <= 5 % of EXPECTED.
within5() {
    assert_near "$1" "$2" "$(awk -v e="$2" 'BEGIN { printf "%.0f", e * 0.05 }')" "$3"
}

[[ $(col request 1) == 10000 ]] || fail "request count $(col request 1), expected 10000"
[[ $(col request/parse 1) == 10000 ]] || fail "parse count $(col request/parse 1), expected 10000"
ok "counts exact: 10000 requests, 10000 nested parses"
for name in request parse; do
    path=$name
    [[ $name == parse ]] && path=request/parse
    within5 "$(col $path 4)" "$(measured $name p50_ns)" "$name p50 (ns)"
    within5 "$(col $path 5)" "$(measured $name p95_ns)" "$name p95 (ns)"
    within5 "$(col $path 6)" "$(measured $name p99_ns)" "$name p99 (ns)"
    within5 "$(col $path 2)" "$(measured $name total_ns)" "$name total (ns, inclusive)"
done
# Inclusive: a request's time holds its parse's.
assert_ge "$(col request 2)" "$(col request/parse 2)" "request total >= nested parse total"

# Samples carry their region: nearly all samples are inside requests, and those in "parse" run
# parse_part.
req_samples=$(col request 8)
all=$(awk '/^Samples in a region:/ { print $7 }' "$TEST_TMP/regions.txt")
assert_ge "$(awk -v a="$req_samples" -v b="$all" 'BEGIN { print 100 * a / b }')" 97 \
    "% of samples inside request"
report "$TEST_TMP/parse.folded" --format collapsed --region parse "$out"
assert_ge "$(collapsed_share "$TEST_TMP/parse.folded" parse_part)" 95 "--region parse: parse_part %"
report "$TEST_TMP/req.folded" --format collapsed --region request "$out"
assert_ge "$(collapsed_total "$TEST_TMP/req.folded")" "$req_samples" "--region request keeps its samples"
assert_ge "$(collapsed_share "$TEST_TMP/req.folded" parse_part)" 1 "--region request includes nested parse"

# The slow tail: requests over 1.5 ms are the slow ones (2 ms and more of slow_part), plus, on a
# loaded machine, fast ones that were preempted. The program measured the CPU time of the requests
# over 1.5 ms, per part: the filtered samples must split the same way (within 5 points).
report "$TEST_TMP/all.folded" --format collapsed "$out"
report "$TEST_TMP/slow.folded" --format collapsed --slow-region request --slower-than 1.5 "$out"
all_slow=$(collapsed_share "$TEST_TMP/all.folded" slow_part)
slow=$(collapsed_share "$TEST_TMP/slow.folded" slow_part)
fast=$(collapsed_share "$TEST_TMP/slow.folded" fast_part)
over_cpu=$(measured over_1500us cpu_ns)
want_slow=$(awk -v a="$(measured over_1500us slow_part_cpu_ns)" -v t="$over_cpu" 'BEGIN { print 100 * a / t }')
want_fast=$(awk -v a="$(measured over_1500us fast_part_cpu_ns)" -v t="$over_cpu" 'BEGIN { print 100 * a / t }')
echo "slow_part: $all_slow % of all samples, $slow % with --slow-region (CPU time of the requests over 1.5 ms: $want_slow %)"
echo "fast_part with --slow-region: $fast % (CPU time: $want_fast %)"
assert_ge "$want_slow" 50 "slow_part share of the CPU time of requests over 1.5 ms (else the machine drowned the slow tail)"
assert_near "$slow" "$want_slow" 5 "--slow-region request --slower-than 1.5: slow_part %"
assert_near "$fast" "$want_fast" 5 "--slow-region request --slower-than 1.5: fast_part %"
ok "--slow-region isolates the slow calls"
# Text tables honour the filter too.
report "$TEST_TMP/slow.txt" --slow-region request --slower-than 1.5 "$out"
has_row "Cumulative (inclusive)" slow_part "$TEST_TMP/slow.txt" || fail "slow_part not in filtered tables"
if has_row "Cumulative (inclusive)" fast_part "$TEST_TMP/slow.txt"; then
    assert_near "$(pct_of "Cumulative (inclusive)" fast_part "$TEST_TMP/slow.txt")" "$want_fast" 5 \
        "fast_part in the slow tail's text tables"
fi

# A region name that does not exist is an error.
if "$PROFREPORT" --region nosuch "$out" >/dev/null 2>"$TEST_TMP/err"; then
    fail "--region nosuch succeeded"
fi
grep -q "no region named 'nosuch'" "$TEST_TMP/err" || fail "no message for --region nosuch"

"$PROFREPORT" --dump "$out" >"$TEST_TMP/dump.txt"
grep -q '^chunk [0-9]* REGION_DEF id=1 name=request parent=0$' "$TEST_TMP/dump.txt" || fail "no REGION_DEF in --dump"
grep -q 'REGION_STATS id=2 count=' "$TEST_TMP/dump.txt" || fail "no REGION_STATS in --dump"
grep -q 'REGION_CALLS count=' "$TEST_TMP/dump.txt" || fail "no REGION_CALLS in --dump"
ok "regions end to end"
