#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# C++: the report shows the demangled method geo::Matrix::multiply and the inline frame geo::dot.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built cpp_inline

out=$TEST_TMP/cpp.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/cpp_inline" >/dev/null
txt=$TEST_TMP/report.txt
report "$txt" "$out"
cat "$txt"

if grep -q '_ZN3geo' "$txt"; then
    fail "mangled C++ names in the report"
fi
mul=$(pct_of 'Cumulative (inclusive)' 'geo::Matrix::multiply*' "$txt")
dot=$(pct_of 'Cumulative (inclusive)' 'geo::dot [inline]' "$txt")
# Ground truth: nearly all CPU time is in multiply, and most of it inside the inlined dot.
assert_ge "$mul" 90 "geo::Matrix::multiply inclusive %"
assert_ge "$dot" 80 "geo::dot [inline] inclusive %"

col=$TEST_TMP/report.collapsed
report "$col" --format collapsed "$out"
head -5 "$col"
# In collapsed stacks the inline frame is geo::dot_[i], directly under multiply.
grep -qE '(^|;)geo::Matrix::multiply[^;]*;geo::dot_\[i\] [0-9]+$' "$col" \
    || fail "no collapsed stack ...;geo::Matrix::multiply...;geo::dot_[i]"
cd_=$(collapsed_share "$col" 'geo::dot_[i]')
assert_ge "$cd_" 80 "collapsed: geo::dot_[i] inclusive %"
