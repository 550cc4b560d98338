#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# profreport --format svg: the flame graph is well-formed XML, self-contained (no network
# references), names every function of the profile, stays under 2 MB for a profile of more than
# 10,000 distinct stacks, and --diff colours a doubled worker red, the unchanged ones pale. If
# Chromium is installed, it renders the SVG headless: the script runs (zoom via #zoom=NAME) and a
# screenshot is written.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
need_built work532 diff/work_variant

# check_svg SVG COLLAPSED: XML parses; every frame name of COLLAPSED appears in the SVG (static
# text, titles or the script's name table); no external references.
check_svg() {
    python3 - "$1" "$2" <<'PY' || fail "flame graph check failed for $1"
import re, sys, xml.etree.ElementTree as ET
svg, col = sys.argv[1], sys.argv[2]
tree = ET.parse(svg)                      # raises on malformed XML
root = tree.getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
text = open(svg, encoding="utf-8").read()
names = set()
for line in open(col, encoding="utf-8"):
    stack = line.rstrip("\n").rsplit(" ", 1)[0]
    names.update(stack.split(";"))
missing = [n for n in names if n not in text]
assert not missing, "names missing from the SVG: %s" % missing[:10]
scripts = root.findall("{http://www.w3.org/2000/svg}script")
assert len(scripts) == 1 and "render" in (scripts[0].text or ""), "no inline script"
# Self-contained: the only URL is the SVG namespace; no href/src/url()/@import.
urls = set(re.findall(r"https?://[^\s\"')]+", text)) - {"http://www.w3.org/2000/svg"}
assert not urls, "external URLs: %s" % urls
assert not re.search(r"(xlink:)?href\s*=|\bsrc\s*=|url\(|@import", text), "external reference"
print("ok: %s: well-formed, %d names present, self-contained" % (svg, len(names)))
PY
}

# --- work532 ---
out=$TEST_TMP/w.prof
PROF_HZ=1000 profile "$out" "$EXAMPLES/work532" 1 >/dev/null
report "$TEST_TMP/w.col" --format collapsed "$out"
report "$TEST_TMP/w.out" --format svg -o "$TEST_TMP/w.svg" "$out"
check_svg "$TEST_TMP/w.svg" "$TEST_TMP/w.col"
grep -q '<title>kernel_loop (' "$TEST_TMP/w.svg" || fail "no hover title for kernel_loop"
ok "hover titles present"
# Same SVG on stdout without -o.
report "$TEST_TMP/w2.svg" --format svg "$out"
cmp -s "$TEST_TMP/w.svg" "$TEST_TMP/w2.svg" || fail "svg on stdout differs from -o"
ok "svg to stdout equals -o output"

# --- > 10,000 distinct stacks ---
cc -O1 -g -fno-inline -fno-optimize-sibling-calls -o "$TEST_TMP/paths" \
    "$PROF_SRC/tests/data/flame_paths.c" || fail "cannot build flame_paths.c"
out=$TEST_TMP/paths.prof
PROF_HZ=20000 profile "$out" "$TEST_TMP/paths" 6 >/dev/null
report "$TEST_TMP/paths.col" --format collapsed "$out"
nstacks=$(wc -l <"$TEST_TMP/paths.col")
assert_ge "$nstacks" 10000 "distinct stacks in the big profile"
report "$TEST_TMP/paths.out" --format svg -o "$TEST_TMP/paths.svg" "$out"
size=$(stat -c %s "$TEST_TMP/paths.svg")
((size < 2000000)) || fail "flame graph of $nstacks stacks is $size bytes (limit 2 MB)"
ok "flame graph of $nstacks stacks: $size bytes"
check_svg "$TEST_TMP/paths.svg" "$TEST_TMP/paths.col"

# --- differential: work_b doubled ---
W=$EXAMPLES/diff/work_variant
PROF_HZ=1000 profile "$TEST_TMP/base.prof" "$W" base 0.5 >/dev/null
PROF_HZ=1000 profile "$TEST_TMP/slow.prof" "$W" slow_b 0.5 >/dev/null
report "$TEST_TMP/d.out" --format svg --diff "$TEST_TMP/base.prof" -o "$TEST_TMP/diff.svg" \
    "$TEST_TMP/slow.prof"
report "$TEST_TMP/d.col" --format collapsed "$TEST_TMP/slow.prof"
check_svg "$TEST_TMP/diff.svg" "$TEST_TMP/d.col"
python3 - "$TEST_TMP/diff.svg" <<'PY' || fail "differential colours are wrong"
import re, sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
fills = {}
for g in ET.parse(sys.argv[1]).getroot().iterfind(".//s:g[@class='f']", ns):
    name = g.find("s:title", ns).text.split(" (")[0]
    fills.setdefault(name, g.find("s:rect", ns).get("fill"))
def rgb(n):
    return tuple(int(v) for v in re.match(r"rgb\((\d+),(\d+),(\d+)\)", fills[n]).groups())
r, g, b = rgb("work_b")
assert r == 250 and g < 150 and b < 150, ("work_b should be red (grew)", fills["work_b"])
# work_a and work_c did the same work: pale (a change well below work_b's), either side.
for n in ("work_a", "work_c"):
    r, g, b = rgb(n)
    assert min(r, g, b) > 120, (n + " did not change: should be pale", fills[n])
print("ok: diff colours: work_b %s (red), work_a %s, work_c %s (pale)"
      % (fills["work_b"], fills["work_a"], fills["work_c"]))
PY

# --- headless Chromium render ---
chrome=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chrome ]]; then
    echo "SKIP (part): chromium not installed (apt-get install -y chromium): render check not run"
    exit 0
fi
chrome_run() {
    timeout 90 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$TEST_TMP/chrome" "$@" 2>"$TEST_TMP/chrome.err"
}
chrome_run --dump-dom "file://$TEST_TMP/w.svg#zoom=work_b" >"$TEST_TMP/dom.xml" ||
    { tail -5 "$TEST_TMP/chrome.err" >&2; fail "chromium could not load the SVG"; }
# The script marks the frames it drew; zoomed on work_b, work_a is off screen and
# "Reset zoom" is shown.
grep -qE 'data-rendered="[1-9][0-9]*"' "$TEST_TMP/dom.xml" || fail "the flame graph script did not run"
grep -q 'id="reset" class="ctl"' "$TEST_TMP/dom.xml" || fail "zoom did not show 'Reset zoom'"
grep -q '<title>work_a' "$TEST_TMP/dom.xml" && fail "zoomed on work_b, work_a is still drawn"
ok "chromium runs the script; #zoom=work_b zooms"
chrome_run --window-size=1200,300 --screenshot="$TEST_TMP/flame.png" "file://$TEST_TMP/diff.svg" >/dev/null ||
    fail "chromium screenshot failed"
png=$(stat -c %s "$TEST_TMP/flame.png")
assert_ge "$png" 5000 "screenshot size (bytes)"
