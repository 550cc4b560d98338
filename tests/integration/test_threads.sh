#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# threads31 ground truth: thread "heavy" does 3x the CPU work of "light": 75/25 of their weight.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built threads31

out=$TEST_TMP/threads31.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/threads31" >/dev/null

txt=$TEST_TMP/report.txt
report "$txt" "$out"
head -8 "$txt"

# Per-thread weight: the summed weights of the collapsed stacks of one thread.
report "$TEST_TMP/heavy.collapsed" --format collapsed --thread heavy "$out"
report "$TEST_TMP/light.collapsed" --format collapsed --thread light "$out"
heavy=$(collapsed_total "$TEST_TMP/heavy.collapsed")
light=$(collapsed_total "$TEST_TMP/light.collapsed")
echo "weight: heavy=$heavy light=$light"
# ~1.5 s + 0.5 s of CPU at 1000 Hz; far less means threads or samples went missing.
assert_ge "$light" 200 "light thread weight"
assert_ge "$heavy" 600 "heavy thread weight"
share=$(awk -v h="$heavy" -v l="$light" 'BEGIN { printf "%.2f", 100 * h / (h + l) }')
assert_near "$share" 75 3 "heavy share of heavy+light %"

# Both threads run the kernel: it is the leaf of (nearly) all of each thread's weight.
for t in heavy light; do
    s=$(collapsed_share "$TEST_TMP/$t.collapsed" kernel_loop self)
    assert_ge "$s" 95 "$t: kernel_loop self %"
done
