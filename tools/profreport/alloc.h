/* SPDX-License-Identifier: MIT */
/* profreport allocation views (PROF_MODE=alloc): allocated bytes and objects per function, stack
 * and line; live at exit (leaks) per stack; stacks whose live heap grows across snapshots; peak heap.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_ALLOC_H
#define PROFREPORT_ALLOC_H

#include <prof/profile.h>
#include <stddef.h>
#include <stdio.h>

struct alloc_options {
    size_t top;         /* rows per table, 0 = all */
    const char *thread; /* "TID" or a thread name (allocation tables only), NULL = all */
    int sym_flags;      /* SYM_* flags */
    int leaks_only;     /* text: only the live-at-exit and growth tables (after the summary) */
    uint64_t from_ns, to_ns; /* --from/--to: tables of the allocations made in the window
                              * (agg_options); to_ns <= from_ns: whole run */
};

/* A heap series is "growing" when, over at least ALLOC_GROWTH_MIN_SNAPSHOTS snapshots, its
 * Mann-Kendall trend statistic tau (pairs that rise minus pairs that fall, over all pairs) reaches
 * ALLOC_GROWTH_MIN_TAU and the last value exceeds the first. */
#define ALLOC_GROWTH_MIN_SNAPSHOTS 4
#define ALLOC_GROWTH_MIN_TAU 0.6

/* Whether the profile holds allocation data (allocation samples or heap snapshots). */
int alloc_present(const struct prof_profile *p);
/* Whether it holds timer (cpu or wall) samples. */
int alloc_has_timer_samples(const struct prof_profile *p);

/* Text: the allocation summary (sampled allocations, estimated totals, live at exit, peak heap),
 * then allocated bytes/objects tables (cumulative, self, by line), leaks by stack and growing
 * stacks. Returns 0, or a negative errno with a message in errbuf. */
int alloc_report_text(FILE *out, const struct prof_profile *p, const struct alloc_options *o,
                      char *errbuf, size_t errlen);
/* Folded stacks "root;...;leaf BYTES": live-at-exit bytes when `leaks`, else allocated bytes. */
int alloc_report_collapsed(FILE *out, const struct prof_profile *p, const struct alloc_options *o,
                           int leaks, char *errbuf, size_t errlen);

#endif
