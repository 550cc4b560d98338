# SPDX-License-Identifier: MIT
# Helpers for the allocation-view tests (source after tests/lib.sh).

# alloc_rows TITLE REPORTFILE: rows of the profreport allocation table titled TITLE (exact line),
# from after its column header to the next blank line, as tab-separated fields: the numeric
# columns first, then the rest of the line (function/stack label) as the last field.
#   allocated tables: BYTES PCT OBJECTS NAME-AND-LOCATION
#   leaks:            BYTES PCT OBJECTS STACK
#   growth:           BYTES/S OBJECTS/S LIVE SNAPSHOTS STACK
alloc_rows() {
    awk -v want="$1" '
        $0 == want { insec = 1; hdr = 1; next }
        !insec { next }
        hdr { hdr = 0; next }
        /^[ \t]*$/ { exit }
        /^[ \t]*\(/ { exit }
        {
            line = $0; sub(/^[ \t]+/, "", line)
            out = ""; n = 0
            ncols = (want ~ /^Growing/) ? 4 : 3
            while (n < ncols && match(line, /^[0-9.]+%?[ \t]+/)) {
                v = substr(line, 1, RLENGTH); sub(/[ \t]+$/, "", v); sub(/%$/, "", v)
                out = out v "\t"; line = substr(line, RLENGTH + 1); n++
            }
            print out line
        }' "$2"
}
