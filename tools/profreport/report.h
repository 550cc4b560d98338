/* SPDX-License-Identifier: MIT */
/* profreport output: text header and tables, collapsed stacks, and the leaf-address debug list.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_REPORT_H
#define PROFREPORT_REPORT_H

#include "aggregate.h"

#include <prof/profile.h>
#include <stdio.h>

struct report_options {
    size_t top;         /* rows per table, 0 = all */
    const char *thread; /* as given to --thread, or NULL */
    uint64_t from_ns, to_ns; /* --from/--to window (to_ns <= from_ns: none), for the header */
};

/* Header (program, command, duration, threads, samples, rate, timer, counters, warnings) and the
 * three tables. `warnings` are extra lines (symbolizer) to list with the profile's own. */
void report_text(FILE *out, const struct prof_profile *p, const struct agg *a,
                 const struct report_options *o);
/* The header alone (report_text's first part; the wall views print their own tables after it). */
void report_header(FILE *out, const struct prof_profile *p, const struct agg *a,
                   const struct report_options *o);
/* Folded stacks "root;...;leaf WEIGHT", one per distinct stack. */
void report_collapsed(FILE *out, const struct agg *a);
/* One line per distinct leaf address: "ADDRESS MODULE BIAS WEIGHT NAME" (hex address and bias,
 * module path or "-", the non-inline function the address was attributed to). */
void report_leaves(FILE *out, const struct agg *a);

#endif
