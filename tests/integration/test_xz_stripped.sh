#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Debian's stripped liblzma: profile `xz` and check, independently of the symbolizer, that at most
# 1 % of the samples in liblzma are attributed to a symbol whose extent (nm -D -S) does not contain
# the sampled address. (gperftools names ~80 % of them after a 26-byte neighbour.)
# Inputs: profreport --dump (module bias), profreport --leaf-addresses (name shown per leaf address).
set -euo pipefail
PROF_BUILD=${PROF_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
PROF_LIB=${PROF_LIB:-$PROF_BUILD/src/libprof.so}
PROFREPORT=${PROFREPORT:-$PROF_BUILD/tools/profreport/profreport}
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 0; }

[[ -f $PROF_LIB ]] || fail "libprof.so not built: $PROF_LIB"
[[ -x $PROFREPORT ]] || fail "profreport not built: $PROFREPORT"
XZ=$(command -v xz) || skip "xz not installed"
command -v nm >/dev/null || skip "nm (binutils) not installed"
LZMA=$(ldd "$XZ" | awk '/liblzma/ {print $3}')
[[ -n $LZMA && -f $LZMA ]] || skip "xz does not link a shared liblzma"
LZMA=$(readlink -f "$LZMA")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/xz-stripped.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ~6 s of compression at -6: a few thousand samples at 1000 Hz.
head -c 4M /dev/urandom | base64 >"$TMP/in.txt"
LD_PRELOAD=$PROF_LIB PROF_OUT=$TMP/xz.prof PROF_HZ=1000 "$XZ" -T1 -6 -c "$TMP/in.txt" >/dev/null
[[ -s $TMP/xz.prof ]] || fail "no profile written"

# Load bias of liblzma as recorded in the MODULE record.
"$PROFREPORT" --dump "$TMP/xz.prof" >"$TMP/dump.txt"
BIAS=$(awk '/MODULE/ && /liblzma/ { for (i = 1; i <= NF; i++) if ($i ~ /^bias=/) { sub("bias=", "", $i); print $i; exit } }' "$TMP/dump.txt")
[[ -n $BIAS ]] || fail "no MODULE record for liblzma in --dump output"

"$PROFREPORT" --leaf-addresses "$TMP/xz.prof" >"$TMP/leaves.txt" 2>"$TMP/leaves.err" ||
    fail "profreport --leaf-addresses failed: $(cat "$TMP/leaves.err")"
# Symbol extents, names without their @@VERSION.
nm -D -S --defined-only "$LZMA" | awk 'NF == 4 { sub(/@.*/, "", $4); print $1, $2, $4 }' >"$TMP/extents.txt"
[[ -s $TMP/extents.txt ]] || fail "nm found no sized symbols in $LZMA"

# leaves: ADDRESS MODULE BIAS WEIGHT NAME
read -r total inlzma wrong named unnamed < <(awk -v bias="$BIAS" '
    function hex(s,    v, i, c) { s = tolower(s); sub(/^0x/, "", s); v = 0
        for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }
        return v }
    FNR == NR { start[$3] = hex($1); size[$3] = hex($2); next }
    { total += $4 }
    $2 ~ /liblzma/ {
        if (hex($3) != hex(bias)) { print "bias mismatch " $3 " vs " bias > "/dev/stderr"; exit 3 }
        off = hex($1) - hex(bias); inlzma += $4
        if ($5 ~ /\+0x[0-9a-f]+$/) { unnamed += $4; next }      # shown as module+offset: no claim made
        named += $4
        if (!($5 in start) || off < start[$5] || off >= start[$5] + size[$5]) {
            wrong += $4
            if (++shown <= 5) printf "misattributed: %s offset 0x%x weight %d\n", $5, off, $4 > "/dev/stderr"
        }
    }
    END { printf "%d %d %d %d %d\n", total, inlzma, wrong, named, unnamed }' "$TMP/extents.txt" "$TMP/leaves.txt")

echo "samples=$total in_liblzma=$inlzma named=$named unnamed=$unnamed misattributed=$wrong"
((total >= 500)) || fail "too few samples ($total) for a meaningful check"
((inlzma * 2 >= total)) || fail "only $inlzma of $total samples in liblzma: wrong module mapping?"
((wrong * 100 <= inlzma)) || fail "$wrong of $inlzma liblzma samples named after a symbol that does not contain them"

# The report itself: the hot liblzma code shows as FDE-grouped rows, not as a neighbour's name.
"$PROFREPORT" --top 5 "$TMP/xz.prof" >"$TMP/report.txt"
awk '/^Self \(exclusive\)/ {s = 1; next} s && /%/ {print; exit}' "$TMP/report.txt" | grep -q 'liblzma.so.5+0x' ||
    fail "top self row is not a liblzma.so.5+0xSTART row: $(cat "$TMP/report.txt")"
if grep -q 'lzma_mf_is_supported' "$TMP/report.txt"; then
    w=$(awk '/^Self/ {s = 1} s && /lzma_mf_is_supported/ {print $1; exit}' "$TMP/report.txt")
    ((${w:-0} * 100 <= inlzma)) || fail "lzma_mf_is_supported has $w self samples"
fi
echo "ok: stripped liblzma attributed within symbol extents"
