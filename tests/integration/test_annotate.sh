#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport --annotate FUNCTION: work532's kernel_loop listed with its source, the samples on
# its HOT lines adding up to its self share; a source file that moved gives a clear message
# (exit 2) and --source-dir finds it; an unknown function is an error.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532

out=$TEST_TMP/w.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/work532" 0.5 >/dev/null
report "$TEST_TMP/w.txt" "$out"
report "$TEST_TMP/ann.txt" --annotate kernel_loop --source-dir "$PROF_SRC/examples" "$out"
cat "$TEST_TMP/ann.txt"
grep -q '^Source: .*work532.c$' "$TEST_TMP/ann.txt" || fail "no Source: line naming work532.c"
# Rows with samples: COUNT PERCENT% LINE SOURCE; every one must be a /* HOT */ line.
sum=$(awk '$2 ~ /%$/ && $3 ~ /^[0-9]+$/ { p = $2; sub(/%/, "", p); s += p;
           if ($0 !~ /HOT/) bad = 1 } END { if (bad) print "bad"; else printf "%.2f\n", s }' "$TEST_TMP/ann.txt")
[[ $sum != bad ]] || fail "samples on a line not marked HOT"
assert_near "$sum" "$(pct_of 'Self (exclusive)' kernel_loop "$TEST_TMP/w.txt")" 0.5 \
    "annotated lines add up to kernel_loop's self %"

# A program whose source moved away after the build.
# (Moved deeper than the search below the executable's directory reaches.)
moved=$TEST_TMP/a/b/c/d/e/moved
mkdir -p "$TEST_TMP/src" "$TEST_TMP/bin" "$moved"
cp "$PROF_SRC/tests/data/flame_paths.c" "$TEST_TMP/src/paths.c"
cc -O1 -g -fno-inline -fno-optimize-sibling-calls -o "$TEST_TMP/bin/paths" "$TEST_TMP/src/paths.c"
PROF_HZ=1000 profile "$TEST_TMP/p.prof" "$TEST_TMP/bin/paths" 2 >/dev/null
mv "$TEST_TMP/src/paths.c" "$moved/paths.c"
rc=0
(cd "$TEST_TMP/bin" && "$PROFREPORT" --annotate leaf "$TEST_TMP/p.prof") \
    >"$TEST_TMP/nosrc.txt" 2>"$TEST_TMP/nosrc.err" || rc=$?
cat "$TEST_TMP/nosrc.err"
((rc == 2)) || fail "missing source: exit $rc, expected 2"
grep -q 'source file paths.c not found.*--source-dir' "$TEST_TMP/nosrc.err" || fail "no clear message for a missing source"
ok "missing source: exit 2 with a message naming the file and --source-dir"
report "$TEST_TMP/remap.txt" --annotate leaf --source-dir "$moved" "$TEST_TMP/p.prof"
grep -q "^Source: $moved/paths.c\$" "$TEST_TMP/remap.txt" || fail "--source-dir not used"
grep -qE '^ +[0-9]+ +[0-9.]+% +[0-9]+ .*sink \+= i \^ path' "$TEST_TMP/remap.txt" ||
    fail "leaf's loop line has no samples"
ok "--source-dir finds the moved source; leaf's loop line has samples"

rc=0
"$PROFREPORT" --annotate no_such_function "$out" >/dev/null 2>"$TEST_TMP/nofn.err" || rc=$?
((rc == 2)) && grep -q 'no_such_function: no such function' "$TEST_TMP/nofn.err" ||
    fail "unknown function: exit $rc, $(cat "$TEST_TMP/nofn.err")"
ok "unknown function: exit 2"
