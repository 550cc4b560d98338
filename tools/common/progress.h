/* SPDX-License-Identifier: MIT */
/* Progress line on stderr for long work (symbolizing big profiles), shown only when stderr is a
 * terminal, redrawn at most a few times per second and erased when done.
 *
 * Thread contract: one progress object per thread; plain tool code. */
#ifndef PROF_PROGRESS_H
#define PROF_PROGRESS_H

#include <stdint.h>

struct progress {
    const char *what;   /* "symbolizing stacks" */
    uint64_t total;     /* units of work, 0 = unknown */
    uint64_t last_ns;   /* last redraw (monotonic) */
    uint64_t start_ns;
    int enabled;        /* stderr is a tty and the work is not tiny */
    int shown;          /* a line is on screen */
};

/* Starts a progress line for `total` units (shown only after half a second of work). */
void progress_begin(struct progress *pg, const char *what, uint64_t total);
/* Reports `done` units finished; cheap when called often. */
void progress_update(struct progress *pg, uint64_t done);
/* Erases the line. */
void progress_end(struct progress *pg);

#endif
