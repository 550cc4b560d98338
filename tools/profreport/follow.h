/* SPDX-License-Identifier: MIT */
/* profreport --follow: live view of a profile that is still being written. Re-reads the file every
 * second and redraws the top functions and the latest metrics (terminal escape codes on a tty,
 * appended blocks separated by a line otherwise) until the run ends.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_FOLLOW_H
#define PROFREPORT_FOLLOW_H

#include <stddef.h>
#include <stdio.h>

struct follow_options {
    size_t top;         /* rows of the top table (0 = 15) */
    const char *thread; /* thread filter (agg_options.thread) */
    int sym_flags;      /* SYM_* flags */
    int period_ms;      /* refresh period (0 = 1000) */
    int quiet_ms;       /* the run is over when the file has not grown for this long and its
                         * writer is gone (0 = 3000); an END record ends it at once */
    int wait_ms;        /* how long to wait for the file to appear with a complete chunk
                         * (0 = 30000) */
};

/* Follows `path` until its run ends. Returns 0 (the run ended, cleanly or not), or 2 when the file
 * never became a readable profile (message on stderr). */
int follow_run(FILE *out, const char *path, const struct follow_options *o);

#endif
