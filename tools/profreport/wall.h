/* SPDX-License-Identifier: MIT */
/* profreport wall-clock views: on-CPU / off-CPU split of the tables, per-thread summary and
 * blocking episodes of profiles recorded with PROF_MODE=wall (alone or with cpu).
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_WALL_H
#define PROFREPORT_WALL_H

#include "aggregate.h"
#include "report.h"

#include <prof/profile.h>
#include <stdint.h>
#include <stdio.h>

struct wall_options {
    uint64_t block_ms; /* blocking episodes: off-CPU runs strictly longer than this */
};

/* True when some process of the profile was recorded with wall mode. */
int wall_profile(const struct prof_profile *p);

/* The text report of a wall profile: the header, then the cumulative, self and hotspot tables of
 * `a` (all samples of the selection) with on-CPU / off-CPU columns, the per-thread summary and
 * the blocking episodes. `ao` is the selection `a` was built with (thread filter, symbolizer
 * flags). Returns 0, or a negative errno with a message in errbuf. */
int wall_report_text(FILE *out, const struct prof_profile *p, const struct agg *a,
                     const struct agg_options *ao, const struct report_options *ro,
                     const struct wall_options *wo, char *errbuf, size_t errlen);

#endif
