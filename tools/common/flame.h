/* SPDX-License-Identifier: MIT */
/* Flame graph writer: folded stacks -> one self-contained, interactive SVG (inline CSS and
 * JavaScript, no network fetches). Hover shows name, weight and %, click zooms, "Search" (or
 * Ctrl-F) highlights matching frames and prints the matched share. With base stacks the graph
 * is differential: the new profile's shape, each frame coloured by the change of its weight
 * against the base (red: grew / slower, blue: shrank / faster).
 *
 * Frames wide enough to see are also drawn as static SVG elements, so viewers without scripts
 * (an <img> in a web page) show the picture; the script redraws everything from a compact
 * node table, which keeps the file small for profiles with many thousands of stacks.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROF_FLAME_H
#define PROF_FLAME_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flame_stack {
    const char *stack; /* "root;...;leaf" (collapsed format) */
    uint64_t weight;
};

struct flame_options {
    const char *title;    /* heading, e.g. "work532 — CPU" */
    const char *subtitle; /* smaller second line, may be NULL */
    const char *unit;     /* "samples", "bytes"... */
    int width;            /* pixels, 0 = 1200 */
    double base_scale;    /* differential: base weights are multiplied by this before comparing
                           * (e.g. the ratio of sampling rates); 0 = scale to the new total */
    /* Optional strip drawn by the caller between the title and the graph (e.g. the run's
     * timeline): `header_height` pixels are reserved and header() is called to fill them. */
    int header_height;
    void (*header)(FILE *out, double y, double width, void *arg);
    void *header_arg;
};

/* Writes the SVG of `stacks` (several entries with the same stack are summed). `base` (may be
 * NULL) makes it differential: each frame's colour is its change (new - base x base_scale),
 * relative to the largest change of any frame.
 * Returns 0, -ENOMEM, or -EIO when writing failed. */
int flame_write_svg(FILE *out, const struct flame_stack *stacks, size_t n,
                    const struct flame_stack *base, size_t nbase, const struct flame_options *o);

#endif
