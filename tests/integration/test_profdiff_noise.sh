#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profdiff does not cry wolf: 20 comparisons of two separate runs of the identical program (8 runs
# of work_variant base, ~1 s each, 20 distinct ordered pairs) at default settings must all exit 0
# with no regression and no improvement.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
PROFDIFF=${PROFDIFF:-$PROF_BUILD/tools/profdiff/profdiff}
need_runtime diff/work_variant
[[ -x $PROFDIFF ]] || fail "profdiff not built: $PROFDIFF"

export PROF_HZ=1000
NRUNS=8
for ((i = 0; i < NRUNS; i++)); do
    profile "$TEST_TMP/run$i.prof" "$EXAMPLES/diff/work_variant" base 1 >/dev/null
done

# 20 distinct ordered pairs (i, j), i != j: offsets 1 and 3 for every run, offset 4 for four runs.
pairs=()
for ((i = 0; i < NRUNS; i++)); do
    pairs+=("$i $(((i + 1) % NRUNS))" "$i $(((i + 3) % NRUNS))")
done
for ((i = 0; i < 4; i++)); do
    pairs+=("$i $((i + 4))")
done
((${#pairs[@]} == 20)) || fail "expected 20 pairs, built ${#pairs[@]}"

clean=0
worst=0
for pr in "${pairs[@]}"; do
    read -r i j <<<"$pr"
    rc=0
    "$PROFDIFF" --format json "$TEST_TMP/run$i.prof" "$TEST_TMP/run$j.prof" >"$TEST_TMP/d.json" \
        2>"$TEST_TMP/d.err" || rc=$?
    line=$(python3 - "$TEST_TMP/d.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["measures"][0]
judged = [r for r in m["rows"] if r["cum"]["status"] in ("unchanged", "regression", "improvement")]
flagged = [r["name"] for r in m["rows"] if r["status"] in ("regression", "improvement")]
big = max(judged, key=lambda r: abs(r["cum"]["change_pct"]))
print("%d %.1f total %+.1f%% largest %s %+.1f%% (confidence %.4f) flagged: %s" % (
    len(flagged), abs(big["cum"]["change_pct"]), m["total"]["change_pct"], big["name"],
    big["cum"]["change_pct"], big["cum"]["confidence"], ",".join(flagged) or "none"))
PY
)
    read -r nflag absmax rest <<<"$line"
    echo "run$i -> run$j: exit $rc; $rest"
    if ((rc == 0 && nflag == 0)); then
        clean=$((clean + 1))
    else
        cat "$TEST_TMP/d.err" >&2
    fi
    worst=$(awk -v a="$absmax" -v w="$worst" 'BEGIN { print (a > w) ? a : w }')
done
echo "largest |change| of a judged function over the 20 comparisons: $worst %"
((clean == 20)) || fail "only $clean of 20 comparisons of identical runs were clean (exit 0, nothing flagged)"
ok "20 of 20 comparisons of identical runs: exit 0, no regression, no improvement"
