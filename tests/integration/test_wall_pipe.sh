#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Wall mode, blocking episodes (examples/wall/wall_pipe.c): three ~300 ms blocks in read() on a
# pipe are three episodes of ~300 ms, with their stack; --block-ms raises the threshold.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built wall_pipe

out=$TEST_TMP/pipe.prof
PROF_MODE=wall profile "$out" "$EXAMPLES/wall_pipe" >"$TEST_TMP/stdout"
cat "$TEST_TMP/stdout"
grep -q '^wall_pipe: reads=3$' "$TEST_TMP/stdout" || fail "wall_pipe did not read its 3 messages"
txt=$TEST_TMP/pipe.txt
report "$txt" "$out"
sed -n '/^Threads (/,$p' "$txt"

# episodes FILE: "COUNT MIN MAX" of the episode group whose function is read and whose stack is
# read <- wait_for_message, then one line per listed episode duration.
episodes() {
    awk '
        /^Blocking episodes/ { insec = 1; next }
        !insec { next }
        /^ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+  / { cand = ($5 == "read"); grp = $1 " " $3 " " $4; hit = 0; next }
        cand && /^ +stack: read <- wait_for_message( |$)/ { print grp; hit = 1; next }
        hit && /^ +at [0-9.]+ s: / { d = $4; print d }
        /^ +stack:/ { hit = 0 }' "$1"
}
mapfile -t ep < <(episodes "$txt")
((${#ep[@]} > 0)) || fail "no blocking episode 'read' with stack read <- wait_for_message"
read -r count min max <<<"${ep[0]}"
[[ $count == 3 ]] || fail "read episodes: $count, expected 3"
ok "3 blocking episodes in read <- wait_for_message"
for d in "${ep[@]:1}"; do
    assert_near "$d" 300 30 "episode duration (ms)"
done
# The program's own measurement of each read agrees too.
while read -r ms; do
    assert_near "$ms" 300 30 "read duration measured by the program (ms)"
done < <(sed -n 's/^wall_pipe: read [0-9] ms=\([0-9.]*\) .*/\1/p' "$TEST_TMP/stdout")
grep -qE '^ +[0-9]+ +pipe-reader +[0-9]+' "$txt" || fail "no pipe-reader row in the per-thread summary"

# Above the threshold, no episode; the option is validated.
report "$TEST_TMP/pipe500.txt" --block-ms 500 "$out"
grep -q 'longer than 500 ms' "$TEST_TMP/pipe500.txt" || fail "--block-ms 500 not reflected in the title"
[[ -z $(episodes "$TEST_TMP/pipe500.txt") ]] || fail "--block-ms 500 still lists the 300 ms reads"
ok "--block-ms 500 hides the 300 ms episodes"
rc=0
"$PROFREPORT" --block-ms abc "$out" >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "--block-ms abc: exit $rc, expected 2"
ok "--block-ms abc is a usage error"
