#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The top hotspot line of work532 is a line of kernel_loop's loop body (marked /* HOT */ there).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532

mapfile -t hot < <(grep -n '/\* HOT \*/' "$PROF_SRC/examples/work532.c" | cut -d: -f1)
((${#hot[@]} > 0)) || fail "no /* HOT */ marker in examples/work532.c"
echo "HOT lines of work532.c: ${hot[*]}"

out=$TEST_TMP/work532.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/work532" 1 >/dev/null
txt=$TEST_TMP/report.txt
report "$txt" "$out"
awk '/^Hotspots \(source lines by self time\)$/ { on = 1 } on && n++ < 12' "$txt"

row=$(top_row 'Hotspots (source lines by self time)' "$txt")
line=$(cut -f2 <<<"$row")
# The file may be printed as a path; it must end in work532.c:N with N a HOT line.
[[ $line =~ (^|/)work532\.c:([0-9]+)$ ]] || fail "top hotspot '$line' is not a line of work532.c"
n=${BASH_REMATCH[2]}
for h in "${hot[@]}"; do
    if [[ $n == "$h" ]]; then
        ok "top hotspot work532.c:$n is a HOT line (${hot[*]}), $(cut -f1 <<<"$row")% of self time"
        exit 0
    fi
done
fail "top hotspot is work532.c:$n, expected one of the HOT lines ${hot[*]}"
