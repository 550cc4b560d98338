#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport's error contract: exit 2 with "profreport: FILE: reason" for missing, foreign, empty,
# truncated and corrupt files (damaged ones still report what they hold, with a warning), exit 2
# with a usage line for usage errors, exit 0 and the three tables for a good file.
set -euo pipefail
PROF_BUILD=${PROF_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
PROF_LIB=${PROF_LIB:-$PROF_BUILD/src/libprof.so}
PROFREPORT=${PROFREPORT:-$PROF_BUILD/tools/profreport/profreport}
EXAMPLES=${EXAMPLES:-$PROF_BUILD/examples}
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $PROFREPORT ]] || fail "profreport not built: $PROFREPORT"
[[ -f $PROF_LIB && -x $EXAMPLES/work532 ]] || fail "libprof.so or examples not built"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/report-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# run ARGS...: runs profreport, leaving $TMP/out, $TMP/err and $rc.
run() {
    set +e
    "$PROFREPORT" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    set -e
}
expect_rc() { [[ $rc == "$1" ]] || fail "$2: exit $rc, expected $1; stderr: $(cat "$TMP/err")"; }
expect_err() { grep -qE -- "$1" "$TMP/err" || fail "$2: stderr lacks /$1/: $(cat "$TMP/err")"; }

# ---- usage errors ----
run
expect_rc 2 "no file"
expect_err '^usage: profreport' "no file"
run --bogus x.prof
expect_rc 2 "unknown option"
expect_err '^usage: profreport' "unknown option"
run --top abc x.prof
expect_rc 2 "--top abc"
run --top
expect_rc 2 "--top without value"
run --format json x.prof
expect_rc 2 "--format json"
run --help
expect_rc 0 "--help"
grep -q '^usage: profreport' "$TMP/out" || fail "--help prints no usage on stdout"

# ---- unusable files ----
run "$TMP/does-not-exist.prof"
expect_rc 2 "missing file"
expect_err "^profreport: $TMP/does-not-exist.prof: " "missing file"
[[ ! -s $TMP/out ]] || fail "missing file: something on stdout"

printf 'hello, this is not a profile at all\n' >"$TMP/foreign.prof"
run "$TMP/foreign.prof"
expect_rc 2 "foreign file"
expect_err "^profreport: $TMP/foreign.prof: " "foreign file"

: >"$TMP/empty.prof"
run "$TMP/empty.prof"
expect_rc 2 "empty file"
expect_err "^profreport: $TMP/empty.prof: " "empty file"

# One bad file among good ones still fails the whole run.
# ---- a good profile with many chunks ----
LD_PRELOAD=$PROF_LIB PROF_OUT=$TMP/good.prof PROF_HZ=1000 PROF_FLUSH_MS=50 \
    "$EXAMPLES/work532" 1 >/dev/null
run "$TMP/good.prof"
expect_rc 0 "good file"
grep -q '^Samples:.*dropped.*failed.*truncated' "$TMP/out" || fail "no Samples: header line"
for t in 'Cumulative (inclusive)' 'Self (exclusive)' 'Hotspots (source lines by self time)'; do
    grep -qxF "$t" "$TMP/out" || fail "section '$t' missing"
done
grep -q 'work_a' "$TMP/out" || fail "good file: work_a not in the report"
good_samples=$(awk '/^Samples:/ {print $2; exit}' "$TMP/out")

run "$TMP/good.prof" "$TMP/does-not-exist.prof"
expect_rc 2 "good + missing"
expect_err "^profreport: $TMP/does-not-exist.prof: " "good + missing"

run --thread no-such-thread "$TMP/good.prof"
expect_rc 2 "--thread with no match"
expect_err '^profreport: .*no-such-thread' "--thread with no match"

# ---- truncated: cut inside the last third; the chunks before the cut still report ----
size=$(stat -c %s "$TMP/good.prof")
head -c $((size * 2 / 3)) "$TMP/good.prof" >"$TMP/trunc.prof"
run "$TMP/trunc.prof"
expect_rc 2 "truncated file"
expect_err "^profreport: warning: $TMP/trunc.prof: .*truncated" "truncated file"
expect_err "^profreport: $TMP/trunc.prof: " "truncated file"
grep -q '^Samples:' "$TMP/out" || fail "truncated file: no report of the data before the cut"
trunc_samples=$(awk '/^Samples:/ {print $2; exit}' "$TMP/out")
((trunc_samples > 0 && trunc_samples < good_samples)) ||
    fail "truncated file: $trunc_samples samples, expected some but fewer than $good_samples"

# ---- corrupt: flip bytes in the middle of the file ----
cp "$TMP/good.prof" "$TMP/corrupt.prof"
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$TMP/corrupt.prof" bs=1 seek=$((size / 2)) conv=notrunc status=none
run "$TMP/corrupt.prof"
expect_rc 2 "corrupt file"
expect_err "^profreport: $TMP/corrupt.prof: " "corrupt file"
expect_err "^profreport: warning: " "corrupt file"

# ---- collapsed: no header, one "a;b;c N" line per stack, weights sum to the selected total ----
run --format collapsed "$TMP/good.prof"
expect_rc 0 "collapsed"
grep -vqE '^[^ ;]+(;[^ ;]+)* [0-9]+$' "$TMP/out" && fail "collapsed: malformed line: $(grep -vE '^[^ ;]+(;[^ ;]+)* [0-9]+$' "$TMP/out" | head -1)"
sum=$(awk '{s += $NF} END {print s}' "$TMP/out")
run "$TMP/good.prof"
weight=$(sed -n 's/^Samples: .* selected (weight \([0-9]*\)).*/\1/p' "$TMP/out")
[[ $sum == "$weight" ]] || fail "collapsed weights sum to $sum, report says $weight"
echo "ok: profreport CLI errors and exit codes"
