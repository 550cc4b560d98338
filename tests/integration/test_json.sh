#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport --format json: valid JSON with the documented schema (docs/json.md) whose tables
# agree with the text report (same rows, same percentages) for CPU and allocation profiles.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/alloc_lib.sh"
need_built work532 alloc_sites

out=$TEST_TMP/cpu.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/work532" 0.5 >/dev/null
report "$TEST_TMP/cpu.txt" "$out"
report "$TEST_TMP/cpu.json" --format json "$out"
for fn in work_a work_b work_c; do
    echo "$fn $(pct_of 'Cumulative (inclusive)' $fn "$TEST_TMP/cpu.txt")"
done >"$TEST_TMP/cpu.expect"
python3 - "$TEST_TMP/cpu.json" "$TEST_TMP/cpu.expect" "$(samples_of "$TEST_TMP/cpu.txt")" <<'PY' || fail "cpu json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "libprof-report/1" and d["view"] == "cpu" and d["unit"] == "samples", d
assert set(d["tables"]) == {"cumulative", "self", "lines"}, d["tables"].keys()
assert d["processes"][0]["exe"].endswith("work532")
for k in ("selected", "total", "dropped", "unwind_failed", "truncated"):
    assert isinstance(d["samples"][k], int), k
cum = {r["function"]: r for r in d["tables"]["cumulative"]}
for line in open(sys.argv[2]):
    fn, pct = line.split()
    assert abs(cum[fn]["percent"] - float(pct)) < 0.01, (fn, cum[fn], pct)
top = d["tables"]["self"][0]
assert top["function"] == "kernel_loop" and top["location"].startswith("work532.c:"), top
assert d["tables"]["lines"][0]["function"] == "kernel_loop"
print("ok: cpu json: schema, work_a/b/c inclusive % equal to the text report, kernel_loop on top")
PY

out=$TEST_TMP/alloc.prof
PROF_MODE=alloc PROF_ALLOC_RATE=4096 profile "$out" "$EXAMPLES/alloc_sites" 4 >/dev/null
report "$TEST_TMP/alloc.txt" "$out"
report "$TEST_TMP/alloc.json" --format json "$out"
row=$(alloc_rows 'Allocated bytes, self (allocating function)' "$TEST_TMP/alloc.txt" | awk 'NR == 1')
python3 - "$TEST_TMP/alloc.json" "$row" <<'PY' || fail "alloc json"
import json, sys
d = json.load(open(sys.argv[1]))
bytes_, pct, objs, rest = sys.argv[2].split("\t")
assert d["view"] == "alloc" and d["unit"] == "bytes", d["view"]
top = d["tables"]["self"][0]
assert top["function"] == rest.split()[0], (top, rest)
assert top["bytes"] == int(bytes_) and top["objects"] == int(objs), (top, bytes_, objs)
assert abs(top["percent"] - float(pct)) < 0.01
assert "leaks" in d["tables"]
print("ok: alloc json: top self row %s %d bytes %d objects as in the text report"
      % (top["function"], top["bytes"], top["objects"]))
PY
