#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport --annotate FUNCTION: work532's kernel_loop listed with its source, the samples on
# its HOT lines adding up to its self share. The source is the file the debug info names, even
# from a directory holding another file of the same name; a source file that moved gives a clear
# message (exit 2) and --source-dir finds it, matching as much of the recorded path as the copy
# kept; a source edited after the build is warned about; an unknown function is an error.
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

# The recorded path wins over a same-named file where profreport runs.
mkdir -p "$TEST_TMP/decoy"
echo '/* not the profiled source */' >"$TEST_TMP/decoy/work532.c"
(cd "$TEST_TMP/decoy" && "$PROFREPORT" --annotate kernel_loop "$out") >"$TEST_TMP/decoy.txt" ||
    fail "annotate from a directory with a decoy work532.c failed"
src=$(sed -n 's/^Source: //p' "$TEST_TMP/decoy.txt")
[[ $src -ef $PROF_SRC/examples/work532.c ]] || fail "annotate used $src, not the recorded source"
ok "the recorded source path wins over ./work532.c"

# A copy of the tree keeps src/paths.c: --source-dir matches the recorded path's tail
# (copy/src/paths.c), not the same-named decoy at the top of the copy. Then an edit after the build.
copy=$TEST_TMP/copy
mkdir -p "$copy/src"
cp "$moved/paths.c" "$copy/src/paths.c"
echo '/* not the profiled source */' >"$copy/paths.c"
touch -r "$TEST_TMP/bin/paths" "$copy/src/paths.c"
report "$TEST_TMP/copy.txt" --annotate leaf --source-dir "$copy" "$TEST_TMP/p.prof"
grep -q "^Source: $copy/src/paths.c\$" "$TEST_TMP/copy.txt" ||
    fail "--source-dir: $(grep '^Source:' "$TEST_TMP/copy.txt"), expected $copy/src/paths.c"
ok "--source-dir matches the recorded path's tail"
grep -q "warning" "$TEST_TMP/copy.txt.err" && fail "warning about an unedited source"
touch -d '+1 hour' "$copy/src/paths.c"
"$PROFREPORT" --annotate leaf --source-dir "$copy" "$TEST_TMP/p.prof" >/dev/null 2>"$TEST_TMP/edited.err" ||
    fail "annotate of an edited source failed"
cat "$TEST_TMP/edited.err"
grep -q "warning: $copy/src/paths.c is newer than $TEST_TMP/bin/paths" "$TEST_TMP/edited.err" ||
    fail "no warning about a source edited after the build"
ok "a source edited after the build is warned about"

rc=0
"$PROFREPORT" --annotate no_such_function "$out" >/dev/null 2>"$TEST_TMP/nofn.err" || rc=$?
((rc == 2)) && grep -q 'no_such_function: no such function' "$TEST_TMP/nofn.err" ||
    fail "unknown function: exit $rc, $(cat "$TEST_TMP/nofn.err")"
ok "unknown function: exit 2"
