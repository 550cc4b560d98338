#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# fork, exec, vfork and posix_spawn under the profiler: each process gets its own file holding its
# own samples only; the host's output and exit status are unchanged; PROF_FOLLOW_FORK=0 opts out.
source "$(dirname "$0")/../lib.sh"
need_built
FORKER=${PROGS:-$PROF_BUILD/tests/progs}/forker
[[ -x $FORKER ]] || fail "test program not built: $FORKER"

# leaf_functions FILE: the non-runtime functions named in FILE's collapsed stacks.
leaf_names() {
    "$PROFREPORT" --format collapsed "$1" 2>/dev/null | tr ';' '\n' | awk '{print $1}' | sort -u
}
holds() { leaf_names "$1" | grep -qx "$2"; }

# --- fork + exec, output pattern with %p ---
cd "$TEST_TMP"
out=$(PROF_HZ=1000 profile "$TEST_TMP/f.%p.prof" "$FORKER" fork) || fail "forker fork failed under the profiler"
grep -q "fork done: ok" <<<"$out" || fail "forker fork output: $out"
mapfile -t files < <(ls f.*.prof* | sort)
((${#files[@]} == 3)) || fail "expected 3 profiles (parent, child, exec'd image), got: ${files[*]}"
parent="" child="" image=""
for f in "${files[@]}"; do
    if [[ $f == *.exec1 ]]; then image=$f
    elif holds "$f" parent_work; then parent=$f
    else child=$f; fi
done
[[ -n $parent && -n $child && -n $image ]] || fail "could not tell the files apart: ${files[*]}"
holds "$parent" parent_work && ! holds "$parent" child_work || fail "$parent must hold parent_work only"
holds "$child" child_work && ! holds "$child" parent_work || fail "$child must hold child_work only"
holds "$image" exec_work && ! holds "$image" child_work || fail "$image must hold exec_work only"
[[ $image == "$child.exec1" ]] || fail "the exec'd image should write $child.exec1, wrote $image"
# The child's file ends with END (reason exec): no 'did not end cleanly' warning.
"$PROFREPORT" "$child" >/dev/null 2>"$TEST_TMP/child.err" || fail "profreport on the child's file"
! grep -q "did not end cleanly" "$TEST_TMP/child.err" || fail "child's file lacks its END record"
ok "fork: parent, child and exec'd image each in their own file"

# --- the same without %p: the child appends its pid, the parent's file is untouched ---
rm -f f.*
out=$(PROF_HZ=1000 profile "$TEST_TMP/g.prof" "$FORKER" fork) || fail "forker fork (no %p) failed"
[[ -f g.prof ]] || fail "parent's g.prof missing"
holds g.prof parent_work && ! holds g.prof child_work || fail "g.prof must be the parent's"
mapfile -t kids < <(ls g.prof.[0-9]* 2>/dev/null)
((${#kids[@]} == 1)) || fail "expected one g.prof.PID for the child, got: ${kids[*]:-none}"
holds "${kids[0]}" child_work || fail "${kids[0]} must hold child_work"
ok "fork without %p: child writes g.prof.PID"

# --- opting out: the fork child is not profiled (its exec'd image is, being a new program) ---
rm -f g.*
PROF_FOLLOW_FORK=0 PROF_HZ=1000 profile "$TEST_TMP/h.%p.prof" "$FORKER" fork >/dev/null ||
    fail "forker fork with PROF_FOLLOW_FORK=0 failed"
for f in h.*.prof*; do
    ! holds "$f" child_work || fail "PROF_FOLLOW_FORK=0: $f holds the child's samples"
done
ok "PROF_FOLLOW_FORK=0 opts out"

# --- vfork and posix_spawn children are safe ---
for mode in vfork spawn; do
    rm -f v.*
    out=$(PROF_HZ=1000 profile "$TEST_TMP/v.%p.prof" "$FORKER" $mode) || fail "forker $mode failed: $out"
    grep -q "$mode done: ok" <<<"$out" || fail "forker $mode output: $out"
    ok "$mode: host unaffected"
done
# posix_spawn'd image of ourselves is profiled into its own file.
spawned=$(for f in v.*.prof; do if holds "$f" exec_work; then echo "$f"; fi; done)
[[ -n $spawned ]] || fail "the posix_spawn'd program was not profiled"
ok "posix_spawn'd program profiled separately"
