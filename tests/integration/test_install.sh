#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cmake --install into a temp prefix: library, tools, headers, man pages (every PROF_* variable the
# runtime reads is documented in libprof.7) and libprof.pc are there; pkg-config compiles a
# program against the installed API; the installed profrun finds the installed libprof.so (not
# the build tree's) and its profile reads with the installed profreport.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532
command -v cmake >/dev/null || fail "cmake not found"
prefix=$TEST_TMP/prefix
cmake --install "$PROF_BUILD" --prefix "$prefix" >"$TEST_TMP/install.log" 2>&1 ||
    { cat "$TEST_TMP/install.log" >&2; fail "cmake --install failed"; }

libdir=$(dirname "$(find "$prefix" -name libprof.so -print -quit)")
[[ -n $libdir && $libdir != . ]] || fail "no libprof.so installed"
for f in bin/profreport bin/profdiff bin/profrun include/prof/prof.h include/prof/profile.h \
    share/man/man1/profreport.1 share/man/man1/profdiff.1 share/man/man1/profrun.1 \
    share/man/man7/libprof.7; do
    [[ -e $prefix/$f ]] || fail "not installed: $f"
done
pc=$(find "$prefix" -name libprof.pc -print -quit)
[[ -n $pc ]] || fail "no libprof.pc installed"
ok "library ($libdir), tools, headers, man pages, $pc installed"

# Man pages: well-formed for man(1) if it is here, and libprof.7 names every variable.
if command -v man >/dev/null; then
    for m in "$prefix"/share/man/man1/*.1 "$prefix"/share/man/man7/libprof.7; do
        MANWIDTH=100 man -l "$m" >"$TEST_TMP/man.txt" 2>"$TEST_TMP/man.err" || fail "man -l $m failed"
        [[ -s $TEST_TMP/man.txt ]] || fail "man -l $m printed nothing"
    done
    ok "man pages format"
fi
vars=$(grep -ho '"PROF_[A-Z_]*"' "$PROF_SRC"/src/*.c | tr -d '"' | sort -u)
[[ -n $vars ]] || fail "found no PROF_ variables in src/"
for v in $vars; do
    grep -q "^\.B $v\$\|$v" "$prefix/share/man/man7/libprof.7" || fail "libprof.7 does not document $v"
done
for fn in prof_start prof_stop prof_flush prof_set_thread_name prof_region_begin prof_region_end PROF_REGION; do
    grep -q "$fn" "$prefix/share/man/man7/libprof.7" || fail "libprof.7 does not document $fn"
done
ok "libprof.7 documents $(wc -w <<<"$vars") variables and the C API"

# pkg-config: a program using the API builds from the installed files alone.
cat >"$TEST_TMP/api.c" <<'C'
#include <prof/prof.h>
#include <stdio.h>
int main(void)
{
    prof_set_thread_name("api-test");
    { PROF_REGION("block"); }
    printf("flush=%d\n", prof_flush());
    return 0;
}
C
if command -v pkg-config >/dev/null; then
    flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs libprof) ||
        fail "pkg-config cannot read libprof.pc"
    # shellcheck disable=SC2086
    cc -std=c11 -Wall -Werror -o "$TEST_TMP/api" "$TEST_TMP/api.c" $flags || fail "API program does not build"
    "$TEST_TMP/api" | grep -qx 'flush=-38' || fail "without libprof.so, prof_flush() should be PROF_ENOTLOADED"
    ok "pkg-config builds an API user; without the library calls return PROF_ENOTLOADED"
fi

# The installed profrun preloads the installed library: hide the build tree's by running a copy
# of the whole prefix from another place (relocatable), with no LD_PRELOAD of ours around.
cp -a "$prefix" "$TEST_TMP/moved"
cd "$TEST_TMP"
env -u LD_PRELOAD "$TEST_TMP/moved/bin/profrun" -o moved.prof -F 500 -- "$EXAMPLES/work532" 0.3 \
    >/dev/null 2>run.err || { cat run.err >&2; fail "installed profrun failed"; }
grep -q 'profile written to moved.prof' run.err || { cat run.err >&2; fail "installed profrun wrote no profile"; }
# Which library was preloaded: ask the program itself through /proc while it runs.
env -u LD_PRELOAD "$TEST_TMP/moved/bin/profrun" -o maps.prof -- sh -c 'cat /proc/$$/maps' \
    >maps.txt 2>/dev/null || fail "profrun sh failed"
grep -q "$TEST_TMP/moved/.*libprof.so" maps.txt || { grep libprof maps.txt >&2; fail "installed profrun did not preload the installed libprof.so"; }
"$TEST_TMP/moved/bin/profreport" moved.prof >rep.txt 2>&1 || { cat rep.txt >&2; fail "installed profreport failed"; }
has_row 'Self (exclusive)' kernel_loop rep.txt || fail "installed tools: no kernel_loop"
ok "installed (and moved) profrun preloads its own libprof.so; installed profreport reads the profile"
