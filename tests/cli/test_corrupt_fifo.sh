#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A profile is untrusted input, and so are the module paths it names: profreport and profdiff
# must not hang when a MODULE path is a FIFO (open(2) of a FIFO without a writer blocks forever).
# The profile is otherwise valid; the tools must finish (exit 0, the module's frames unsymbolized,
# with a warning) within 30 s. The file is generated here because the FIFO must exist at run time.
set -euo pipefail
PROF_SRC=${PROF_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PROF_BUILD=${PROF_BUILD:-$PROF_SRC/build}
PROFREPORT=${PROFREPORT:-$PROF_BUILD/tools/profreport/profreport}
PROFDIFF=${PROFDIFF:-$PROF_BUILD/tools/profdiff/profdiff}
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $PROFREPORT && -x $PROFDIFF ]] || fail "profreport/profdiff not built in $PROF_BUILD"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/corrupt-fifo.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkfifo "$TMP/module.fifo"
python3 - "$PROF_SRC/tests/data" "$TMP/module.fifo" "$TMP/fifo.prof" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import make_corrupt as m
samples = [(100, 1, 1000 * i, 1) for i in range(1, 40)]
data = (m.file_header()
        + m.chunk(m.header_rec() + m.module_rec(path=sys.argv[2]) + m.thread_rec()
                  + m.stack_rec(1, [0x401000, 0x402000]) + m.samples_rec(samples) + m.end_rec()))
open(sys.argv[3], "wb").write(data)
PY

for tool in profreport profdiff; do
    rc=0
    if [[ $tool == profreport ]]; then
        timeout -k 5 30 "$PROFREPORT" "$TMP/fifo.prof" </dev/null >"$TMP/out" 2>"$TMP/err" || rc=$?
    else
        timeout -k 5 30 "$PROFDIFF" --min-samples 1 "$TMP/fifo.prof" "$TMP/fifo.prof" </dev/null \
            >"$TMP/out" 2>"$TMP/err" || rc=$?
    fi
    ((rc != 124 && rc != 137)) || fail "$tool hangs on a profile whose MODULE path is a FIFO"
    ((rc < 128)) || fail "$tool crashed (status $rc) on a MODULE path that is a FIFO"
    ((rc == 0)) || fail "$tool: exit $rc on a valid profile naming a FIFO: $(cat "$TMP/err")"
    grep -q "^$tool: warning: .*module.fifo" "$TMP/err" || fail "$tool: no warning about the FIFO: $(cat "$TMP/err")"
    echo "ok: $tool: finished (exit $rc) with a warning about the FIFO module"
done
