#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profrun: preloads the build tree's libprof.so by itself, writes the profile where -o says (and
# says so on stderr), passes -F/-m on, and passes the command's exit status through: plain exit
# codes, death by signal (re-raised: the shell sees 128+N), 127 for a missing command.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532
PROFRUN=${PROFRUN:-$PROF_BUILD/tools/profrun/profrun}
[[ -x $PROFRUN ]] || fail "profrun not built: $PROFRUN"
cd "$TEST_TMP"

# A profile of a real program, found without LD_PRELOAD in our environment.
rc=0
env -u LD_PRELOAD "$PROFRUN" -o w.prof -F 500 "$EXAMPLES/work532" 0.3 >out 2>err || rc=$?
((rc == 0)) || { cat err >&2; fail "profrun work532 exited $rc"; }
grep -q '^profrun: profile written to w.prof$' err || { cat err >&2; fail "no 'profile written to' line"; }
report rep.txt w.prof
grep -q 'requested 500 Hz' rep.txt || fail "-F 500 not passed on"
has_row 'Self (exclusive)' kernel_loop rep.txt || fail "profile has no kernel_loop"
ok "profile written, -F passed on, report reads it"

# Default name %e.%p.prof, expanded with the command's pid and name.
"$PROFRUN" "$EXAMPLES/work532" 0.1 >/dev/null 2>err
path=$(sed -n 's/^profrun: profile written to //p' err)
[[ $path =~ ^work532\.[0-9]+\.prof$ && -f $path ]] || { cat err >&2; fail "default path '$path'"; }
ok "default profile path $path"

# -m: wall mode reaches the runtime.
"$PROFRUN" -m wall -o wall.prof -- sleep 0.2 2>err
"$PROFREPORT" --dump wall.prof >wall.dump || fail "--dump of wall.prof failed"
grep -q ' HEADER .* modes=wall ' wall.dump || fail "-m wall not passed on"
ok "-m wall passed on"

# Exit codes pass through; options after the command belong to it.
for code in 0 1 3 42 255; do
    rc=0
    "$PROFRUN" -o e.prof -- sh -c "exit $code" 2>/dev/null || rc=$?
    ((rc == code)) || fail "exit $code came back as $rc"
done
ok "exit codes 0 1 3 42 255 pass through"

# Death by signal: re-raised, so the shell sees 128+N; the profile is still named.
for sig in TERM KILL SEGV ABRT; do
    n=$(kill -l $sig)
    rc=0
    "$PROFRUN" -o s.prof -- sh -c "kill -$sig \$\$" 2>err || rc=$?
    ((rc == 128 + n)) || { cat err >&2; fail "SIG$sig: status $rc, expected $((128 + n))"; }
done
ok "signals TERM KILL SEGV ABRT come back as 128+N"

# A missing command: 127 with a message; no command: usage error 125.
rc=0
"$PROFRUN" -o x.prof /nonexistent/cmd 2>err || rc=$?
((rc == 127)) || fail "missing command: status $rc, expected 127"
grep -q 'nonexistent/cmd' err || fail "missing command not named"
rc=0
"$PROFRUN" 2>/dev/null || rc=$?
((rc == 125)) || fail "no command: status $rc, expected 125"
ok "missing command 127, usage 125"
