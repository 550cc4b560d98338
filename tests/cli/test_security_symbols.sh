#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libprof.so, injected into other people's processes, exports only its public API (prof__*, each
# declared in include/prof/prof.h) and the libc functions it interposes, named one by one in
# src/libprof.map: `nm -D --defined-only` checked against that allow-list. Without the version
# script and hidden visibility, every internal function (ring_*, fmt_*, config_*, zlib's inflate...)
# would be exported and could collide with the host's symbols.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
[[ -f $PROF_LIB ]] || fail "libprof.so not built: $PROF_LIB"
command -v nm >/dev/null || skip "nm (binutils) not installed"
MAP=$PROF_SRC/src/libprof.map
HEADER=$PROF_SRC/include/prof/prof.h

# The global: section of the version script, one entry per line (comments dropped).
globals=$(sed -e 's|/\*.*\*/||g' "$MAP" | awk '
    /global:/ { on = 1; sub(/.*global:/, "") }
    /local:/ { on = 0 }
    on { gsub(/[;{}]/, " "); for (i = 1; i <= NF; i++) print $i }')
[[ -n $globals ]] || fail "no global: entries in $MAP"
# The only pattern allowed in the map is the public prefix; any other wildcard would defeat this test.
patterns=$(grep -F '*' <<<"$globals" || true)
[[ $patterns == 'prof__*' ]] || fail "unexpected wildcard entries in $MAP: $patterns"
names=$(grep -vF '*' <<<"$globals")

bad=()
n=0
while read -r _ type sym; do
    [[ -n $sym ]] || continue
    sym=${sym%%@*} # strip a version suffix, if any
    n=$((n + 1))
    if grep -qxF "$sym" <<<"$names"; then
        continue
    elif [[ $sym == prof__* ]] && grep -qE "\\b$sym\\(" "$HEADER"; then
        continue
    fi
    bad+=("$sym ($type)")
done < <(nm -D --defined-only "$PROF_LIB" | awk 'NF == 3')
((n > 0)) || fail "nm found no defined dynamic symbol in $PROF_LIB"
((${#bad[@]} == 0)) || fail "$PROF_LIB exports ${#bad[@]} symbol(s) outside the allow-list: ${bad[*]}"
ok "$n exported symbols, all public prof__* API or interposed libc functions"

# Versioned and absolute symbols (nm prints them with 2 fields when they have no address) must not
# sneak in either.
odd=$(nm -D --defined-only "$PROF_LIB" | awk 'NF != 3' || true)
[[ -z $odd ]] || fail "unexpected dynamic symbol entries: $odd"
