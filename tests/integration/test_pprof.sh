#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport --format pprof: the real reader (`go tool pprof -top`) reads our gzipped
# profile.proto for CPU, wall and allocation profiles, and its top function and percentages agree
# with profreport's own tables within 1 point (the same samples are exported, so any gap is an
# encoding bug, not noise). Skipped only when the Go toolchain is absent.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/alloc_lib.sh"
need_built work532 wall_pipe alloc_sites alloc_leak
command -v go >/dev/null 2>&1 || skip "go not installed (apt-get install golang-go): pprof reader check not run"

# go tool pprof needs a writable HOME and GOCACHE and must not fetch anything.
export HOME=$TEST_TMP/home GOCACHE=$TEST_TMP/gocache GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
mkdir -p "$HOME" "$GOCACHE"

# pprof_top FILE [ARGS...]: `go tool pprof -top` rows as "FLAT%<TAB>CUM%<TAB>NAME".
pprof_top() {
    local f=$1
    shift
    go tool pprof -symbolize=none -top -nodecount=1000 "$@" "$f" >"$f.top" 2>"$f.top.err" || {
        cat "$f.top.err" >&2
        fail "go tool pprof could not read $f"
    }
    awk 'hdr && NF >= 6 {
             name = $6; for (i = 7; i <= NF; i++) name = name " " $i
             f = $2; c = $5; sub(/%$/, "", f); sub(/%$/, "", c)
             printf "%s\t%s\t%s\n", f, c, name }
         $1 == "flat" && $2 == "flat%" { hdr = 1 }' "$f.top"
}

# pprof_pct FILE-ROWS NAME COLUMN(1 flat, 2 cum): the percent of the row NAME.
pprof_pct() {
    local v
    v=$(awk -F'\t' -v n="$2" -v c="$3" '$3 == n { print $c; exit }' "$1")
    [[ -n $v ]] || { head -20 "$1" >&2; fail "pprof -top has no row '$2'"; }
    echo "$v"
}

# --- CPU: work532 ---
out=$TEST_TMP/cpu.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/work532" 1 >/dev/null
report "$TEST_TMP/cpu.txt" "$out"
report "$TEST_TMP/cpu.out" --format pprof -o "$TEST_TMP/cpu.pb.gz" "$out"
[[ $(head -c2 "$TEST_TMP/cpu.pb.gz" | od -An -tx1 | tr -d ' ') == 1f8b ]] || fail "pprof output is not gzip"
pprof_top "$TEST_TMP/cpu.pb.gz" >"$TEST_TMP/cpu.rows"
cat "$TEST_TMP/cpu.pb.gz.top"
grep -q '^Type: cpu$' "$TEST_TMP/cpu.pb.gz.top" || fail "pprof sample type is not cpu"
ptop=$(awk -F'\t' 'NR == 1 { print $3 }' "$TEST_TMP/cpu.rows")
rtop=$(top_row 'Self (exclusive)' "$TEST_TMP/cpu.txt" | cut -f2)
[[ $ptop == "$rtop" ]] || fail "cpu: pprof top function '$ptop', profreport '$rtop'"
ok "cpu: top function $ptop in both"
assert_near "$(pprof_pct "$TEST_TMP/cpu.rows" "$rtop" 1)" \
    "$(pct_of 'Self (exclusive)' "$rtop" "$TEST_TMP/cpu.txt")" 1 "cpu: $rtop flat% vs self%"
for fn in work_a work_b work_c; do
    assert_near "$(pprof_pct "$TEST_TMP/cpu.rows" $fn 2)" \
        "$(pct_of 'Cumulative (inclusive)' $fn "$TEST_TMP/cpu.txt")" 1 "cpu: $fn cum% vs inclusive%"
done
# `pprof -list` finds the source by the whole path the debug info gave (run from elsewhere), and
# its per-line times sit on work532's HOT lines.
(cd "$TEST_TMP" && go tool pprof -symbolize=none -list '^kernel_loop$' "$TEST_TMP/cpu.pb.gz") \
    >"$TEST_TMP/cpu.list" 2>&1 || { cat "$TEST_TMP/cpu.list" >&2; fail "pprof -list failed"; }
listed=$(sed -n 's/^ROUTINE =* kernel_loop in //p' "$TEST_TMP/cpu.list" | head -1)
[[ $listed == /* && $listed -ef $PROF_SRC/examples/work532.c ]] ||
    { cat "$TEST_TMP/cpu.list" >&2; fail "pprof -list names '$listed', not work532.c's whole path"; }
hot=$(awk '$3 ~ /^[0-9]+:$/ && $1 != "." && /HOT/' "$TEST_TMP/cpu.list" | wc -l)
assert_ge "$hot" 1 "pprof -list: HOT source lines with samples"
awk '$3 ~ /^[0-9]+:$/ && $1 != "." && !/HOT/ { bad = 1 } END { exit !bad }' "$TEST_TMP/cpu.list" &&
    { cat "$TEST_TMP/cpu.list" >&2; fail "pprof -list: samples on a line not marked HOT"; }
ok "pprof -list shows kernel_loop's source with samples on its HOT lines only"
# Sample types and units: samples/count and cpu/nanoseconds.
go tool pprof -symbolize=none -sample_index=samples -top "$TEST_TMP/cpu.pb.gz" 2>/dev/null |
    grep -q '^Type: samples$' || fail "cpu: no 'samples' sample type"
ok "cpu: samples and cpu sample types"

# --- Wall: wall_pipe (blocked in read, pthread_join, nanosleep; some CPU) ---
out=$TEST_TMP/wall.prof
PROF_MODE=wall profile "$out" "$EXAMPLES/wall_pipe" >/dev/null
report "$TEST_TMP/wall.txt" "$out"
report "$TEST_TMP/wall.out" --format pprof -o "$TEST_TMP/wall.pb.gz" "$out"
pprof_top "$TEST_TMP/wall.pb.gz" >"$TEST_TMP/wall.rows"
cat "$TEST_TMP/wall.pb.gz.top"
grep -q '^Type: wall$' "$TEST_TMP/wall.pb.gz.top" || fail "pprof sample type is not wall"
ptop=$(awk -F'\t' 'NR == 1 { print $3 }' "$TEST_TMP/wall.rows")
# Wall table rows: COUNT PERCENT ON-CPU OFF-CPU FUNCTION LOCATION.
rtop=$(awk '$0 == "Self (exclusive)" { s = 1; next } s && $2 ~ /%$/ { print $5; exit }' "$TEST_TMP/wall.txt")
[[ $ptop == "$rtop" ]] || fail "wall: pprof top function '$ptop', profreport '$rtop'"
ok "wall: top function $ptop in both"
# The report's rows have on-/off-CPU columns: percent is the first.
rpct=$(awk '$0 == "Self (exclusive)" { s = 1; next } s && $0 ~ /%/ && $5 == n { sub(/%/, "", $2); print $2; exit }' \
    n="$rtop" "$TEST_TMP/wall.txt")
assert_near "$(pprof_pct "$TEST_TMP/wall.rows" "$rtop" 1)" "$rpct" 1 "wall: $rtop flat% vs self%"
# On/off-CPU state is a label: focusing on off-cpu keeps the blocking calls only.
go tool pprof -symbolize=none -tagfocus=state=off-cpu -top "$TEST_TMP/wall.pb.gz" 2>/dev/null |
    grep -q ' read$' || fail "wall: no off-cpu 'read' with -tagfocus=state=off-cpu"
ok "wall: state label selects off-CPU samples"

# --- Alloc: alloc_sites (allocated bytes) and alloc_leak (in use at exit) ---
out=$TEST_TMP/alloc.prof
PROF_MODE=alloc PROF_ALLOC_RATE=4096 profile "$out" "$EXAMPLES/alloc_sites" 8 >/dev/null
report "$TEST_TMP/alloc.txt" "$out"
report "$TEST_TMP/alloc.out" --format pprof -o "$TEST_TMP/alloc.pb.gz" "$out"
for t in alloc_objects alloc_space inuse_objects inuse_space; do
    go tool pprof -symbolize=none -sample_index=$t -top "$TEST_TMP/alloc.pb.gz" 2>/dev/null |
        grep -q "^Type: $t\$" || fail "alloc: no sample type $t"
done
ok "alloc: the four sample types"
pprof_top "$TEST_TMP/alloc.pb.gz" -sample_index=alloc_space >"$TEST_TMP/alloc.rows"
cat "$TEST_TMP/alloc.pb.gz.top"
ptop=$(awk -F'\t' 'NR == 1 { print $3 }' "$TEST_TMP/alloc.rows")
rrow=$(alloc_rows 'Allocated bytes, self (allocating function)' "$TEST_TMP/alloc.txt" | awk 'NR == 1')
rtop=$(cut -f4 <<<"$rrow" | awk '{ print $1 }')
[[ $ptop == "$rtop" ]] || fail "alloc: pprof top function '$ptop', profreport '$rtop'"
ok "alloc: top function $ptop in both"
assert_near "$(pprof_pct "$TEST_TMP/alloc.rows" "$rtop" 1)" "$(cut -f2 <<<"$rrow")" 1 \
    "alloc: $rtop flat% vs allocated bytes %"

out=$TEST_TMP/leak.prof
PROF_MODE=alloc PROF_ALLOC_RATE=16384 profile "$out" "$EXAMPLES/alloc_leak" 20000 >/dev/null
report "$TEST_TMP/leak.pb.out" --format pprof -o "$TEST_TMP/leak.pb.gz" "$out"
report "$TEST_TMP/leak.col" --leaks --format collapsed "$out"
pprof_top "$TEST_TMP/leak.pb.gz" -sample_index=inuse_space >"$TEST_TMP/leak.rows"
cat "$TEST_TMP/leak.pb.gz.top"
ptop=$(awk -F'\t' 'NR == 1 { print $3 }' "$TEST_TMP/leak.rows")
[[ $ptop == cache_add ]] || fail "inuse_space: pprof top function '$ptop', expected cache_add"
assert_near "$(pprof_pct "$TEST_TMP/leak.rows" cache_add 1)" \
    "$(collapsed_share "$TEST_TMP/leak.col" cache_add self)" 1 "inuse: cache_add flat% vs live bytes %"
