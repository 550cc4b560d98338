#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# dlopen_main ground truth: ~0.3 s in main_work, then ~1 s in plugin_work of a dlopen()ed and
# later dlclose()d libplugin.so, which must be symbolized by name (77 % vs 23 %).
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built dlopen_main
[[ -f $EXAMPLES/libplugin.so ]] || fail "example not built: $EXAMPLES/libplugin.so"

out=$TEST_TMP/dlopen.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/dlopen_main" >"$TEST_TMP/stdout"
grep -q '^dlopen_main: plugin=' "$TEST_TMP/stdout" || fail "dlopen_main did not print its result"

txt=$TEST_TMP/report.txt
report "$txt" "$out"
cat "$txt"
if grep -qE 'libplugin\.so\+0x' "$txt"; then
    fail "frames in libplugin.so are shown as addresses, not symbolized"
fi
# Symbolized from the plugin's own debug info although it was unloaded before the report.
loc=$(section_rows 'Self (exclusive)' "$txt" | awk -F'\t' '$2 == "plugin_work" && !n++ { print $3 }')
[[ $loc =~ (^|/)plugin\.c:[0-9]+$ ]] || fail "plugin_work's location is '$loc', expected plugin.c:LINE"
ok "plugin_work located at $loc"
p=$(pct_of 'Self (exclusive)' plugin_work "$txt")
m=$(pct_of 'Self (exclusive)' main_work "$txt")
# Ground truth 1.0/1.3 = 77 % and 0.3/1.3 = 23 %; dlopen and start-up cost a little of the run.
assert_near "$p" 77 5 "text: plugin_work self %"
assert_near "$m" 23 5 "text: main_work self %"

col=$TEST_TMP/report.collapsed
report "$col" --format collapsed "$out"
cp=$(collapsed_share "$col" plugin_work)
assert_near "$cp" 77 5 "collapsed: plugin_work inclusive %"
grep -qE '(^|;)main;plugin_work [0-9]+$' "$col" \
    || fail "no collapsed stack main;plugin_work (the call through the dlsym pointer)"
ok "plugin_work is called from main"
