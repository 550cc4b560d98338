#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# alloc_leak ground truth: cache_add keeps N blocks of 1000 bytes (the leak, growing over the run),
# churn allocates and frees 1 M short-lived blocks (~530 MB) in 40 small bursts. The leak table's top entry must be cache_add
# with N x 1000 bytes +-10 %, churn must not be among the leaks, and the growth table must flag
# cache_add's stack.
#
# Sampling noise: with rate R each 1000-byte block is sampled with p = 1 - exp(-1000/R) and counts
# 1000/p bytes, so the estimate of N x 1000 has a relative standard error sqrt((1-p)/(N p)). With
# R = 16384 (p = 0.059) and N = 40000 (~2370 samples) that is 2.0 %: the +-10 % tolerance is 5
# standard errors (a spurious failure about once in 10^6 runs).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/alloc_lib.sh"
need_built alloc_leak

N=40000
want=$((N * 1000))
out=$TEST_TMP/leak.prof
PROF_MODE=alloc PROF_ALLOC_RATE=16384 PROF_FLUSH_MS=100 profile "$out" "$EXAMPLES/alloc_leak" "$N" \
    >"$TEST_TMP/stdout"
grep -q "^alloc_leak: leaked=$want bytes" "$TEST_TMP/stdout" || fail "alloc_leak did not leak $want bytes"

txt=$TEST_TMP/leaks.txt
report "$txt" --leaks "$out"
cat "$txt"
top=$(alloc_rows 'Live at exit (leaks), by stack' "$txt" | awk 'NR == 1')
[[ -n $top ]] || fail "leak table is empty"
leaf=$(cut -f4 <<<"$top" | awk '{ print $1 }')
[[ $leaf == cache_add ]] || fail "top leak is allocated by '$leaf', expected cache_add (row: $top)"
ok "top leak is allocated by cache_add"
assert_near "$(cut -f1 <<<"$top")" "$want" $((want / 10)) "cache_add live bytes at exit"
if alloc_rows 'Live at exit (leaks), by stack' "$txt" | cut -f4 | grep -q 'churn'; then
    # A free lost on the way (ring full: 'dropped' in the header) leaves its block live for ever.
    grep '^Samples:' "$txt" >&2
    fail "churn appears among the leaks"
fi
ok "churn is not among the leaks"
grow=$(alloc_rows 'Growing stacks (live bytes rising across heap snapshots)' "$txt" |
    awk -F'\t' '{ split($5, f, " "); if (f[1] == "cache_add") { print; exit } }')
[[ -n $grow ]] || fail "the growth table does not flag cache_add"
ok "growth table flags cache_add: $(cut -f1 <<<"$grow") bytes/s"
assert_ge "$(cut -f1 <<<"$grow")" 1 "cache_add growth rate (bytes/s)"
if alloc_rows 'Growing stacks (live bytes rising across heap snapshots)' "$txt" | cut -f5 |
    grep -q 'churn'; then
    fail "churn is flagged as growing"
fi

# Collapsed live bytes tell the same story.
col=$TEST_TMP/leaks.folded
report "$col" --leaks --format collapsed "$out"
cat "$col"
live=$(awk '{ n = split($1, f, ";"); if (f[n] == "cache_add") s += $NF } END { print s + 0 }' "$col")
assert_near "$live" "$want" $((want / 10)) "collapsed --leaks: cache_add live bytes"
grep -q 'churn' "$col" && fail "collapsed --leaks shows churn"

# Without --leaks: allocated bytes. churn allocates far more than cache_add (~530 MB vs 20 MB).
report "$TEST_TMP/all.txt" "$out"
self=$(alloc_rows 'Allocated bytes, self (allocating function)' "$TEST_TMP/all.txt" | awk 'NR == 1')
[[ $(cut -f4 <<<"$self" | awk '{ print $1 }') == churn ]] || fail "top allocating function is not churn: $self"
ok "churn allocates the most"
report "$TEST_TMP/all.folded" --format collapsed "$out"
ch=$(collapsed_share "$TEST_TMP/all.folded" churn self)
assert_ge "$ch" 90 "collapsed allocated bytes: churn share %"
