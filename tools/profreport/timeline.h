/* SPDX-License-Identifier: MIT */
/* profreport's view of the run over time: the METRICS intervals as a table and terminal charts
 * (--timeline), and the ALERT records with the top stacks of the interval each fired in.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_TIMELINE_H
#define PROFREPORT_TIMELINE_H

#include <prof/profile.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct timeline_options {
    size_t top;              /* stacks listed per alert (0 = 5) */
    const char *thread;      /* thread filter for the alert stacks (agg_options.thread) */
    int sym_flags;           /* SYM_* flags */
    uint64_t from_ns, to_ns; /* --from/--to: only intervals and alerts in it; to_ns <= from_ns: all */
    int chart_width;         /* columns of the charts (0 = 100) */
};

/* "40", "40.5", "0.25": seconds since the start of the run -> ns. Returns 0 or -1. */
int timeline_parse_seconds(const char *s, uint64_t *ns);

/* Whether the profile has METRICS records. */
int timeline_present(const struct prof_profile *p);

/* --timeline: per process, one row per interval (time, CPU %, user/sys, RSS, threads, samples,
 * drops, live heap, off-CPU share, a CPU bar), then one sparkline per metric. */
void timeline_report(FILE *out, const struct prof_profile *p, const struct timeline_options *o);

/* Charts only: the sparklines of the last `last` intervals of process `process` (0 = all),
 * `width` columns at most. Used by the live view. */
void timeline_sparklines(FILE *out, const struct prof_profile *p, uint32_t process, size_t last,
                         int width);

/* "Alerts" section: each alert with its time, rule and value, and the top stacks of the interval
 * it fired in (allocated bytes for heap and rss rules when the profile has allocation samples,
 * else timer samples). Prints nothing when the profile has no alerts. Returns 0, or a negative
 * errno with a message in errbuf. */
int timeline_alerts(FILE *out, const struct prof_profile *p, const struct timeline_options *o,
                    char *errbuf, size_t errlen);

#endif
