#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# threads31 ground truth: thread "heavy" does 3x the CPU work of "light": 75/25 of their weight.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built threads31

out=$TEST_TMP/threads31.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/threads31" >"$TEST_TMP/run.out"
cat "$TEST_TMP/run.out"

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
# Samples follow CPU time. The plan is 75 % of it for heavy, but a loaded or virtualised
# machine that stalls one thread for a while charges it the stall: compare with the CPU time
# each thread measured itself, and report (not fail on) a run the machine moved off plan.
cpu_of() { sed -n "s/^threads31: $1 .*cpu_s=\([0-9.]*\) .*/\1/p" "$TEST_TMP/run.out"; }
heavy_cpu=$(cpu_of heavy)
light_cpu=$(cpu_of light)
[ -n "$heavy_cpu" ] && [ -n "$light_cpu" ] || fail "threads31 printed no cpu_s= figures"
measured=$(awk -v h="$heavy_cpu" -v l="$light_cpu" 'BEGIN { printf "%.2f", 100 * h / (h + l) }')
echo "heavy CPU share measured by the threads: $measured % (planned 75 %)"
if awk -v m="$measured" 'BEGIN { exit !(m < 72 || m > 78) }'; then
    echo "note: the machine moved this run off its 75 % plan; comparing with what it measured"
fi
assert_near "$share" "$measured" 3 "heavy share of heavy+light % (vs measured CPU)"

# Both threads run the kernel: it is the leaf of (nearly) all of each thread's weight.
for t in heavy light; do
    s=$(collapsed_share "$TEST_TMP/$t.collapsed" kernel_loop self)
    assert_ge "$s" 95 "$t: kernel_loop self %"
done
