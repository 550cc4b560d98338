#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every hand-made damaged or hostile profile in tests/data/corrupt/ (tests/data/make_corrupt.py)
# makes profreport and profdiff (on either side) exit 2 with exactly one "TOOL: FILE: reason" line
# on stderr (other lines may only be "TOOL: warning: ..."); profreport --dump exits 0 or 2 the same
# way. None may crash (exit >= 128), hang (30 s timeout) or exceed 1 GiB of address space
# (ulimit -v). Reports of stack loops count each function once per stack (no percentage above 100).
set -euo pipefail
PROF_SRC=${PROF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PROF_BUILD=${PROF_BUILD:-$PROF_SRC/build}
PROFREPORT=${PROFREPORT:-$PROF_BUILD/tools/profreport/profreport}
PROFDIFF=${PROFDIFF:-$PROF_BUILD/tools/profdiff/profdiff}
CORPUS=$PROF_SRC/tests/data/corrupt
GOOD=$PROF_SRC/tests/data/golden-v1.prof
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $PROFREPORT ]] || fail "profreport not built: $PROFREPORT"
[[ -x $PROFDIFF ]] || fail "profdiff not built: $PROFDIFF"
[[ -f $GOOD ]] || fail "missing $GOOD"
shopt -s nullglob
files=("$CORPUS"/*.prof)
((${#files[@]} >= 40)) || fail "corpus has ${#files[@]} files, expected the 40+ of make_corrupt.py"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/corrupt-cli.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# The corpus in the tree is what the generator writes (no stale or hand-edited file).
python3 "$PROF_SRC/tests/data/make_corrupt.py" "$TMP/regen" >/dev/null
for f in "${files[@]}"; do
    cmp -s "$f" "$TMP/regen/${f##*/}" || fail "${f##*/} differs from what make_corrupt.py writes: re-run it"
done
(($(ls "$TMP/regen" | wc -l) == ${#files[@]})) || fail "make_corrupt.py writes files missing from $CORPUS"

# Address-space limit: not under AddressSanitizer, which reserves terabytes of shadow memory up front
# (the sanitizer run checks memory errors instead).
MEM_KB=$((1024 * 1024))
# Time limit for a hang: 30 s; under ASan the tools run several times slower and, without the
# memory limit, go through a decompression bomb's legal ~11 M samples instead of failing at 1 GiB.
TIME_S=30
# (grep reads all of nm's output: with -q, nm could die of SIGPIPE and pipefail hide the match.)
if nm "$PROFREPORT" 2>/dev/null | grep '__asan_init' >/dev/null; then
    MEM_KB=unlimited
    TIME_S=180
fi

# run TOOL ARGS...: runs TOOL bounded in time and memory; leaves $TMP/out, $TMP/err and $rc.
run() {
    rc=0
    (
        ulimit -v "$MEM_KB"
        exec timeout -k 5 "$TIME_S" "$@"
    ) </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
}

# check NAME TOOL FILE: exit 2, one "TOOL: FILE: " line, the rest warnings of TOOL.
check() {
    local what=$1 tool=$2 file=$3
    ((rc != 124 && rc != 137)) || fail "$what: timed out (hang)"
    ((rc < 128)) || fail "$what: crashed with status $rc (signal $((rc - 128))): $(tail -3 "$TMP/err")"
    ((rc == 2)) || fail "$what: exit $rc, expected 2; stderr: $(head -3 "$TMP/err")"
    local n
    n=$(grep -cF "$tool: $file: " "$TMP/err" || true)
    ((n == 1)) || fail "$what: $n '$tool: FILE: reason' lines, expected 1: $(cat "$TMP/err")"
    grep -vE "^$tool: " "$TMP/err" | grep -q . && fail "$what: stray stderr: $(grep -vE "^$tool: " "$TMP/err" | head -3)"
    grep -E "^$tool: " "$TMP/err" | grep -vF "$tool: $file: " | grep -vqE "^$tool: warning: " &&
        fail "$what: a second error line: $(cat "$TMP/err")"
    return 0
}

for f in "${files[@]}"; do
    name=${f##*/}
    run "$PROFREPORT" "$f"
    check "profreport $name" profreport "$f"
    # Whatever was reported before the damage is sane: no percentage above 100.
    if awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+%$/ && $i + 0 > 100.0001) bad = 1 } END { exit !bad }' "$TMP/out"; then
        fail "profreport $name: a percentage above 100: $(grep -E '[0-9]{3,}\.[0-9]+%' "$TMP/out" | head -3)"
    fi
    cp "$TMP/err" "$TMP/report.err"
    # --dump decodes records only (no stack or module references), so a file whose records are
    # well-formed but reference undefined ids dumps with exit 0; it still must not crash or hang.
    run "$PROFREPORT" --dump "$f"
    if ((rc == 0)); then
        grep -q . "$TMP/out" || fail "profreport --dump $name: exit 0 and no output"
    else
        check "profreport --dump $name" profreport "$f"
    fi
    run "$PROFDIFF" "$GOOD" "$f"
    check "profdiff GOOD $name" profdiff "$f"
    run "$PROFDIFF" "$f" "$GOOD"
    check "profdiff $name GOOD" profdiff "$f"
    echo "ok: $name: $(grep -F "profreport: $f: " "$TMP/report.err" | sed "s|profreport: $f: ||")"
done
echo "ok: ${#files[@]} corrupt files: exit 2 with one message from profreport and profdiff"
