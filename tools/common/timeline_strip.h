/* SPDX-License-Identifier: MIT */
/* Timeline strip for SVG reports: the run's METRICS intervals (CPU bars, live heap or RSS line,
 * alert marks) as one self-contained SVG fragment, meant to sit above a flame graph. Dragging
 * across the strip selects a window and shows the `profreport --from S --to S` command that
 * re-renders the graph for it (a flame graph holds no sample times, so it cannot re-filter itself).
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROF_COMMON_TIMELINE_STRIP_H
#define PROF_COMMON_TIMELINE_STRIP_H

#include <prof/profile.h>
#include <stdint.h>
#include <stdio.h>

struct timeline_strip_options {
    double x, y;             /* top-left corner in the enclosing SVG's user units */
    double width, height;    /* size of the strip (0: 1200 x TIMELINE_STRIP_HEIGHT) */
    const char *file;        /* profile path shown in the command hint (NULL: "FILE") */
    uint64_t from_ns, to_ns; /* window in effect (--from/--to), drawn as the selection; to_ns <=
                              * from_ns: none */
};

/* Height the strip takes by default, including its caption line. */
#define TIMELINE_STRIP_HEIGHT 72

/* Writes the strip for process `process` of `p` as a <g id="timeline-strip"> element (with its own
 * <style> and <script>). Writes nothing and returns 0 when the process has no METRICS records.
 * Returns 0, or -EIO when writing failed. */
int timeline_svg_strip(FILE *out, const struct prof_profile *p, uint32_t process,
                       const struct timeline_strip_options *o);

#endif
