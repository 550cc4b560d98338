# SPDX-License-Identifier: MIT
# Shared helpers for the shell tests (source it): paths, a temp dir, profiling and report parsing.
#
# Tests run under `set -euo pipefail`; every helper either succeeds or calls fail, so a failed
# assertion always ends the test with exit 1 and a message saying what was expected.
#
# Paths come from the environment that ctest sets (tests/integration/CMakeLists.txt); the
# defaults let a developer run a test by hand from the source tree after `make build`.
set -euo pipefail

PROF_SRC=${PROF_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PROF_BUILD=${PROF_BUILD:-$PROF_SRC/build}
PROF_LIB=${PROF_LIB:-$PROF_BUILD/src/libprof.so}
PROFREPORT=${PROFREPORT:-$PROF_BUILD/tools/profreport/profreport}
EXAMPLES=${EXAMPLES:-$PROF_BUILD/examples}

# Temp dir, removed on exit; background processes started by profile_bg are killed first.
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/libprof-test.XXXXXX")
_LIB_BG_PIDS=()
_lib_cleanup() {
    local pid
    for pid in "${_LIB_BG_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TEST_TMP"
}
trap _lib_cleanup EXIT

# Any command that fails outside a condition ends the test (set -e); say which one, so that a
# crash of a profiled program is not a silent exit 1. -E: also inside functions.
set -E
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited with status $?" >&2' ERR

# fail MSG: the test failed.
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# skip MSG: something the test needs is truly absent on this machine (never for our own build).
skip() {
    echo "SKIP: $*"
    exit 0
}

# ok MSG: a passed check, for the log.
ok() {
    echo "ok: $*"
}

# need_runtime EXAMPLE...: libprof.so and the named examples are products of our build; missing
# ones are a failure, not a skip.
need_runtime() {
    [[ -f $PROF_LIB ]] || fail "libprof.so not built: $PROF_LIB"
    local ex
    for ex in "$@"; do
        [[ -x $EXAMPLES/$ex ]] || fail "example not built: $EXAMPLES/$ex"
    done
}

# need_built EXAMPLE...: need_runtime, and profreport too.
need_built() {
    need_runtime "$@"
    [[ -x $PROFREPORT ]] || fail "profreport not built: $PROFREPORT"
}

# The runtime's PROF_* settings the caller set (exported or not), as NAME=VALUE words. The test
# harness's own path variables are not runtime settings and are left out.
_lib_prof_env() {
    local v
    for v in $(compgen -v PROF_ || true); do
        case $v in
            PROF_SRC | PROF_BUILD | PROF_LIB) ;;
            *) printf '%s=%s\0' "$v" "${!v}" ;;
        esac
    done
}

# profile OUT CMD...: run CMD under libprof.so writing OUT, plus any PROF_* the caller set
# (e.g. `PROF_HZ=1000 profile out.prof prog`). Returns CMD's exit status.
profile() {
    local out=$1
    shift
    local -a envs=()
    mapfile -d '' envs < <(_lib_prof_env)
    env -u PROF_SRC -u PROF_BUILD -u PROF_LIB "${envs[@]}" \
        LD_PRELOAD="$PROF_LIB" PROF_OUT="$out" "$@"
}

# profile_bg OUT CMD...: like profile, in the background; sets PROFILED_PID (the program's own
# pid, since env execs it). The process is killed at exit if the test did not reap it.
profile_bg() {
    local out=$1
    shift
    local -a envs=()
    mapfile -d '' envs < <(_lib_prof_env)
    env -u PROF_SRC -u PROF_BUILD -u PROF_LIB "${envs[@]}" \
        LD_PRELOAD="$PROF_LIB" PROF_OUT="$out" "$@" &
    PROFILED_PID=$!
    _LIB_BG_PIDS+=("$PROFILED_PID")
}

# wait_bg PID: wait for a process started by profile_bg; sets BG_STATUS to its exit status. Once
# reaped its pid may be reused, so it is taken off the list that the exit cleanup kills.
# shellcheck disable=SC2034  # BG_STATUS is a result for the sourcing test
wait_bg() {
    local pid=$1 p
    local -a keep=()
    BG_STATUS=0
    wait "$pid" || BG_STATUS=$?
    for p in "${_LIB_BG_PIDS[@]}"; do
        [[ $p == "$pid" ]] || keep+=("$p")
    done
    _LIB_BG_PIDS=("${keep[@]}")
}

# report OUTFILE ARGS...: run profreport ARGS with stdout to OUTFILE and stderr to OUTFILE.err;
# a non-zero exit status fails the test (showing stderr).
report() {
    local out=$1
    shift
    local rc=0
    "$PROFREPORT" "$@" >"$out" 2>"$out.err" || rc=$?
    if ((rc != 0)); then
        cat "$out.err" >&2
        fail "profreport $* exited with $rc"
    fi
}

# section_rows SECTION REPORTFILE: the data rows under the section title line SECTION (exact,
# at column 0) of a text report, up to the next section title. A row is
#   COUNT  PERCENT%  NAME  [LOCATION]
# Prints one row per line as "PERCENT<TAB>NAME<TAB>LOCATION", where NAME is the text between the
# percent and the last run of two or more spaces (names may contain single spaces, e.g.
# "geo::dot [inline]" or C++ signatures) and LOCATION is what follows it (may be empty).
section_rows() {
    awk -v want="$1" '
        $0 == "Cumulative (inclusive)" || $0 == "Self (exclusive)" ||
        $0 == "Hotspots (source lines by self time)" { insec = ($0 == want); next }
        !insec { next }
        /^[^ \t]/ && seen { insec = 0; next }          # unindented text ends the table
        match($0, /^[ \t]*[0-9]+[ \t]+[0-9.]+%[ \t]+/) {
            seen = 1
            pct = $2; sub(/%$/, "", pct)
            rest = substr($0, RSTART + RLENGTH)
            sub(/[ \t]+$/, "", rest)
            name = rest; loc = ""
            # Split at the last run of 2+ blanks: the location column.
            if (match(rest, /.*[ \t][ \t]+/)) {
                name = substr(rest, 1, RLENGTH); loc = substr(rest, RLENGTH + 1)
                sub(/[ \t]+$/, "", name)
            }
            printf "%s\t%s\t%s\n", pct, name, loc
        }' "$2"
}

# _lib_name_match NAME PATTERN (awk function text): exact, or a prefix when PATTERN ends in '*'.
_LIB_AWK_MATCH='
    function name_match(name, pat) {
        if (substr(pat, length(pat)) == "*")
            return substr(name, 1, length(pat) - 1) == substr(pat, 1, length(pat) - 1)
        return name == pat
    }'

# pct_of SECTION NAME REPORTFILE: the percent of the first row of SECTION whose name is NAME
# (a trailing '*' makes NAME a prefix). A missing row fails the test, showing the section.
pct_of() {
    local section=$1 name=$2 file=$3 pct
    pct=$(section_rows "$section" "$file" | awk -F'\t' -v pat="$name" "$_LIB_AWK_MATCH"'
        !done && name_match($2, pat) { print $1; done = 1 }')
    if [[ -z $pct ]]; then
        {
            echo "--- section '$section' of $file:"
            section_rows "$section" "$file" | awk 'NR <= 20'
        } >&2
        fail "no row '$name' in section '$section' of $file"
    fi
    echo "$pct"
}

# has_row SECTION NAME REPORTFILE: succeeds if some row of SECTION is named NAME (prefix with '*').
has_row() {
    section_rows "$1" "$3" | awk -F'\t' -v pat="$2" "$_LIB_AWK_MATCH"'
        name_match($2, pat) { found = 1 } END { exit !found }'
}

# top_row SECTION REPORTFILE: "PERCENT<TAB>NAME<TAB>LOCATION" of the first row of SECTION.
top_row() {
    local row
    row=$(section_rows "$1" "$2" | awk 'NR == 1')
    [[ -n $row ]] || fail "section '$1' of $2 has no rows"
    echo "$row"
}

# samples_of REPORTFILE: the first number on the header line starting with "Samples:".
samples_of() {
    local n
    n=$(awk '/^Samples:/ && !done { done = 1; if (match($0, /[0-9]+/)) print substr($0, RSTART, RLENGTH) }' "$1")
    [[ -n $n ]] || fail "no 'Samples:' line with a number in $1"
    echo "$n"
}

# collapsed_total FILE: the summed weight of a `--format collapsed` output.
collapsed_total() {
    awk '{ t += $NF } END { print t + 0 }' "$1"
}

# collapsed_share FILE NAME [incl|self]: percent of the total weight of a collapsed output whose
# stack contains the frame NAME (incl, the default) or has it as the leaf (self). Frames are
# separated by ';' and may contain spaces; the weight is the last field. A trailing '*' makes
# NAME a prefix. Fails if the file holds no weight at all.
collapsed_share() {
    local file=$1 name=$2 kind=${3:-incl} out
    out=$(awk -v pat="$name" -v kind="$kind" "$_LIB_AWK_MATCH"'
        {
            w = $NF; stack = $0
            sub(/[ \t]+[0-9]+[ \t]*$/, "", stack)
            total += w
            n = split(stack, f, ";")
            if (kind == "self") {
                if (name_match(f[n], pat)) hit += w
            } else {
                for (i = 1; i <= n; i++) if (name_match(f[i], pat)) { hit += w; break }
            }
        }
        END { if (total > 0) printf "%.2f\n", 100 * hit / total }' "$file")
    [[ -n $out ]] || fail "collapsed output $file holds no samples"
    echo "$out"
}

# assert_near ACTUAL EXPECTED TOL MSG: |ACTUAL - EXPECTED| <= TOL (numbers may be fractional).
assert_near() {
    local actual=$1 expected=$2 tol=$3 msg=$4
    if awk -v a="$actual" -v e="$expected" -v t="$tol" 'BEGIN {
            d = a - e; if (d < 0) d = -d; exit !(a ~ /^-?[0-9.]+$/ && d <= t) }'; then
        ok "$msg: $actual (expected $expected +-$tol)"
    else
        fail "$msg: got $actual, expected $expected +-$tol"
    fi
}

# _assert_cmp ACTUAL OP BOUND MSG: ACTUAL OP BOUND for OP ">=" or "<=" (ACTUAL must be a number).
_assert_cmp() {
    local actual=$1 op=$2 bound=$3 msg=$4
    if awk -v a="$actual" -v op="$op" -v b="$bound" 'BEGIN {
            exit !(a ~ /^-?[0-9.]+$/ && (op == ">=" ? a + 0 >= b + 0 : a + 0 <= b + 0)) }'; then
        ok "$msg: $actual ($op $bound)"
    else
        fail "$msg: got $actual, expected $op $bound"
    fi
}

# assert_ge ACTUAL MIN MSG: ACTUAL >= MIN.
assert_ge() { _assert_cmp "$1" ">=" "$2" "$3"; }

# assert_le ACTUAL MAX MSG: ACTUAL <= MAX.
assert_le() { _assert_cmp "$1" "<=" "$2" "$3"; }

# ---- profdiff ----

# diff_rc OUT ARGS...: "$PROFDIFF" ARGS with stdout to OUT (stderr to OUT.err); sets rc.
diff_rc() {
    local out=$1
    shift
    rc=0
    "$PROFDIFF" "$@" >"$out" 2>"$out.err" || rc=$?
}

# json_check FILE PYTHON: runs PYTHON with `d` = the parsed profdiff JSON document, `row(name)` =
# the row of that function in the first measure and `reg(path)` = the region row of that path;
# an assertion failure fails the test.
json_check() {
    python3 - "$1" "$2" <<'PY' || fail "JSON check failed on $1"
import json, sys
d = json.load(open(sys.argv[1]))
def row(name):
    rows = [r for r in d["measures"][0]["rows"] if r["name"] == name]
    assert len(rows) == 1, f"{len(rows)} rows named {name}"
    return rows[0]
def reg(path):
    rows = [r for r in d["regions"]["rows"] if r["path"] == path]
    assert len(rows) == 1, f"{len(rows)} region rows {path}"
    return rows[0]
exec(sys.argv[2])
PY
}
