#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profdiff's error contract: exit 2 with a usage line for usage errors, exit 2 with
# "profdiff: FILE: reason" for missing, foreign, truncated files and profiles of different modes;
# --help exits 0; a good pair exits 0 and its JSON document parses with the documented keys.
set -euo pipefail
PROF_BUILD=${PROF_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
PROF_LIB=${PROF_LIB:-$PROF_BUILD/src/libprof.so}
PROFDIFF=${PROFDIFF:-$PROF_BUILD/tools/profdiff/profdiff}
EXAMPLES=${EXAMPLES:-$PROF_BUILD/examples}
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $PROFDIFF ]] || fail "profdiff not built: $PROFDIFF"
[[ -f $PROF_LIB && -x $EXAMPLES/diff/work_variant ]] || fail "libprof.so or work_variant not built"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/profdiff-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

run() {
    set +e
    "$PROFDIFF" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    set -e
}
expect_rc() { [[ $rc == "$1" ]] || fail "$2: exit $rc, expected $1; stderr: $(cat "$TMP/err")"; }
expect_err() { grep -qE -- "$1" "$TMP/err" || fail "$2: stderr lacks /$1/: $(cat "$TMP/err")"; }

LD_PRELOAD=$PROF_LIB PROF_OUT=$TMP/a.prof "$EXAMPLES/diff/work_variant" base 0.3 >/dev/null
LD_PRELOAD=$PROF_LIB PROF_OUT=$TMP/b.prof "$EXAMPLES/diff/work_variant" base 0.3 >/dev/null
LD_PRELOAD=$PROF_LIB PROF_MODE=wall PROF_OUT=$TMP/wall.prof "$EXAMPLES/diff/work_variant" base 0.3 >/dev/null

# ---- usage errors ----
run
expect_rc 2 "no file"
expect_err '^usage: profdiff' "no file"
run "$TMP/a.prof"
expect_rc 2 "one file"
run "$TMP/a.prof" "$TMP/b.prof" "$TMP/a.prof"
expect_rc 2 "three files without --"
expect_err "need '--'" "three files without --"
run "$TMP/a.prof" --
expect_rc 2 "nothing after --"
run --base "$TMP/a.prof"
expect_rc 2 "--base without --new"
run --base "$TMP/a.prof" --new "$TMP/b.prof" "$TMP/a.prof"
expect_rc 2 "--base/--new plus a positional file"
for bad in "--threshold 0" "--threshold x" "--confidence 1" "--confidence 0" "--confidence 99" \
    "--min-samples -1" "--run-noise -5" "--by file" "--format xml" "--top 1.5" "--bogus"; do
    # shellcheck disable=SC2086  # split the option and its value
    run $bad "$TMP/a.prof" "$TMP/b.prof"
    expect_rc 2 "$bad"
    expect_err '^usage: profdiff' "$bad"
done
run --help
expect_rc 0 "--help"
grep -q '^usage: profdiff' "$TMP/out" || fail "--help prints no usage on stdout"

# ---- unusable files ----
run "$TMP/missing.prof" "$TMP/b.prof"
expect_rc 2 "missing base"
expect_err "^profdiff: $TMP/missing.prof: " "missing base"
[[ ! -s $TMP/out ]] || fail "missing file: something on stdout"
printf 'not a profile\n' >"$TMP/foreign.prof"
run "$TMP/a.prof" "$TMP/foreign.prof"
expect_rc 2 "foreign new"
expect_err "^profdiff: $TMP/foreign.prof: " "foreign new"
size=$(stat -c %s "$TMP/b.prof")
head -c $((size - 7)) "$TMP/b.prof" >"$TMP/trunc.prof"
run "$TMP/a.prof" "$TMP/trunc.prof"
expect_rc 2 "truncated new"
expect_err "^profdiff: $TMP/trunc.prof: " "truncated new"

# ---- incompatible profiles: different modes ----
run "$TMP/a.prof" "$TMP/wall.prof"
expect_rc 2 "cpu vs wall"
expect_err "^profdiff: $TMP/wall.prof: recorded in mode wall.*different modes" "cpu vs wall"
run "$TMP/a.prof" "$TMP/a.prof" -- "$TMP/b.prof" "$TMP/wall.prof"
expect_rc 2 "cpu vs wall among several"
expect_err "^profdiff: $TMP/wall.prof: " "cpu vs wall among several"

# ---- a good pair: exit 0, JSON with the documented keys ----
run --format json "$TMP/a.prof" "$TMP/b.prof"
expect_rc 0 "same program twice"
python3 - "$TMP/out" <<'PY' || fail "JSON document lacks documented keys"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "libprof.profdiff/1"
assert d["by"] == "function"
assert set(d["settings"]) == {"threshold_pct", "confidence", "min_samples", "run_noise_pct"}
assert d["settings"]["threshold_pct"] == 10 and d["settings"]["confidence"] == 0.99
for side in ("base", "new"):
    assert len(d[side]["runs"]) == 1
    assert set(d[side]["runs"][0]) == {"file", "exe", "hz", "duration_s"}
m = d["measures"][0]
assert m["name"] == "cpu" and m["unit"] == "s"
cmp_keys = {"status", "before", "after", "change_pct", "share_before_pct", "share_after_pct",
            "samples_before", "samples_after", "confidence", "p_regression", "p_improvement",
            "run_noise_pct"}
assert set(m["total"]) == cmp_keys, set(m["total"]) ^ cmp_keys
assert set(m["counts"]) == {"unchanged", "regression", "improvement", "new", "vanished", "too_few"}
assert sum(m["counts"].values()) == len(m["rows"])
for r in m["rows"]:
    assert set(r) == {"name", "location", "module", "inline", "status", "self", "cum"}, r.keys()
    assert set(r["cum"]) == cmp_keys and set(r["self"]) == cmp_keys
assert d["regressions"] == 0 and d["exit_status"] == 0
assert any(r["name"] == "work_a" for r in m["rows"])
PY
echo "ok: profdiff usage errors, unusable and incompatible files, JSON keys"
