#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A stripped copy of work532: no invented names; the hot kernel is one row, grouped by the
# function bounds in .eh_frame, and labelled <copy>+0x<offset> inside kernel_loop's real bounds.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532
for tool in strip nm readelf ldd; do
    command -v "$tool" >/dev/null || skip "$tool is not installed"
done

copy=w532stripped
bin=$TEST_TMP/$copy
cp "$EXAMPLES/work532" "$bin"
strip "$bin"
# nm exits 0 even without symbols, so ask readelf about the sections instead (through a file:
# `readelf | grep -q` can fail under pipefail when grep stops reading early).
readelf -S "$bin" >"$TEST_TMP/sections"
if grep -qE '\.symtab|\.debug_' "$TEST_TMP/sections"; then
    fail "strip left a symbol table or debug info in $bin"
fi
grep -q '\.eh_frame ' "$TEST_TMP/sections" || fail "the stripped copy has no .eh_frame"

# Function bounds from the unstripped original (same code, same addresses): "start end name",
# in decimal (bash arithmetic does the hex; mawk has no strtonum).
bounds=$TEST_TMP/bounds
while read -r addr size type name; do
    if [[ $type == [Tt] && -n $name ]]; then
        echo "$((16#$addr)) $((16#$addr + 16#$size)) $name"
    fi
done < <(nm -S --defined-only "$EXAMPLES/work532") >"$bounds"
grep -q ' kernel_loop$' "$bounds" || fail "cannot read kernel_loop's bounds from $EXAMPLES/work532"

out=$TEST_TMP/stripped.prof
PROF_HZ=1000 profile "$out" "$bin" 1 >/dev/null
txt=$TEST_TMP/report.txt
report "$txt" "$out"
cat "$txt"

# debug_file_of OBJECT: its separate debug file under /usr/lib/debug/.build-id (e.g. from
# libc6-dbg), if one is installed.
debug_file_of() {
    local id
    id=$(readelf -n "$1" 2>/dev/null | awk '/Build ID:/ && !id { id = $3 } END { print id }')
    [[ -n $id && -f /usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug ]] \
        && echo "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
    return 0
}

# Names a row may legitimately carry: defined dynamic symbols of the copy; symbols of every
# shared object it runs with (libc, the loader, libprof.so: dynamic, static where not stripped,
# and from their separate debug files); or an unsymbolized "<object>+0x<hex>" where <object> is
# the copy or one of those objects. The copy itself is NOT given a debug file: its build-id's
# debug file does not exist, so every name for its code must come from its .dynsym.
libs=$(ldd "$bin" | awk '$(NF-1) ~ /^\// { print $(NF-1) } $1 ~ /^\// { print $1 }' | sort -u)
[[ -z $(debug_file_of "$bin") ]] || fail "a debug file exists for the copy's build-id"
known=$TEST_TMP/known
{
    nm -D --defined-only "$bin" 2>/dev/null || true
    for lib in $libs "$PROF_LIB"; do
        for f in "$lib" $(debug_file_of "$(readlink -f "$lib")"); do
            nm -D --defined-only "$f" 2>/dev/null || true
            nm --defined-only "$f" 2>/dev/null || true
        done
    done
} | awk 'NF >= 3 { n = $3; sub(/@.*/, "", n); print n }' | sort -u >"$known"
objects=$TEST_TMP/objects
{
    for lib in $libs "$PROF_LIB"; do
        basename "$lib"
        basename "$(readlink -f "$lib")"
    done
    echo '[vdso]'
    echo 'linux-vdso.so.1'
} | sort -u >"$objects"

for sec in 'Cumulative (inclusive)' 'Self (exclusive)'; do
    while IFS=$'\t' read -r pct name _; do
        case $name in
            work_a | work_b | work_c | kernel_loop | main)
                fail "$sec: row '$name' names a function the stripped copy has no symbol for" ;;
            "$copy"+0x*) ;;
            *+0x*)
                [[ $name =~ ^([^+\ ]+)\+0x[0-9a-f]+$ ]] || fail "$sec: malformed row '$name'"
                grep -qxF -- "${BASH_REMATCH[1]}" "$objects" \
                    || fail "$sec: row '$name' is not an offset in the copy or a loaded object" ;;
            *)
                grep -qxF -- "${name% \[inline\]}" "$known" \
                    || fail "$sec: row '$name' ($pct%) is not a dynamic symbol of any loaded object" ;;
        esac
    done < <(section_rows "$sec" "$txt")
done
ok "every row is a real dynamic symbol or an <object>+0x offset"

# in_function OFFSET NAME: OFFSET (hex, 0x...) lies in [start, end) of NAME in the original.
in_function() {
    awk -v off="$(($1))" -v fn="$2" '$3 == fn && off + 0 >= $1 + 0 && off + 0 < $2 + 0 { f = 1 }
                                     END { exit !f }' "$bounds"
}

top=$(top_row 'Self (exclusive)' "$txt")
tname=$(cut -f2 <<<"$top")
[[ $tname =~ ^$copy\+(0x[0-9a-f]+)$ ]] || fail "top self row is '$tname', expected $copy+0x..."
in_function "${BASH_REMATCH[1]}" kernel_loop \
    || fail "top self row $tname is not inside kernel_loop's bounds ($(grep ' kernel_loop$' "$bounds"))"
assert_ge "$(cut -f1 <<<"$top")" 95 "one row ($tname, kernel_loop's group) holds the self time %"

# Grouping return addresses by function too: work_a/b/c's groups keep their 50/30/20 shares.
for pair in work_a:50 work_b:30 work_c:20; do
    fn=${pair%:*}
    pct=
    while IFS=$'\t' read -r p n _; do
        if [[ -z $pct && $n =~ ^$copy\+(0x[0-9a-f]+)$ ]] && in_function "${BASH_REMATCH[1]}" "$fn"; then
            pct=$p
        fi
    done < <(section_rows 'Cumulative (inclusive)' "$txt")
    [[ -n $pct ]] || fail "no cumulative row $copy+0x... inside $fn's bounds"
    assert_near "$pct" "${pair#*:}" 3 "cumulative % of the group inside $fn"
done
