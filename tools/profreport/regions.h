/* SPDX-License-Identifier: MIT */
/* Regions in reports: the per-region table (calls, latency percentiles from the runtime's
 * histograms, samples on and off CPU), and the sample filters --region and --slow-region.
 * Also built into profdiff (tools/profdiff/regions.c) for the per-region table and percentiles.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_REGIONS_H
#define PROFREPORT_REGIONS_H

#include <prof/profile.h>
#include <stdint.h>
#include <stdio.h>

/* One region path ("outer/inner"), merged over the processes of a profile. */
struct rg_row {
    char *path;        /* names from the outermost, joined with '/' */
    const char *name;  /* innermost name (points into path) */
    unsigned depth;    /* 0 = outermost */
    uint64_t count, total_ns, min_ns, max_ns; /* min_ns = UINT64_MAX without calls */
    uint64_t hist[PROF_REGION_BUCKETS];
    uint64_t on_weight, off_weight; /* samples inside (inclusive of nested regions) */
};

struct rg_table {
    size_t n;
    struct rg_row *rows; /* sorted by path: a region's nested regions follow it */
};

/* Builds the table of `p`'s regions. Returns 0 or -ENOMEM. */
int rg_table_build(const struct prof_profile *p, struct rg_table *t);
void rg_table_free(struct rg_table *t);
/* The row of `path`, or NULL. */
const struct rg_row *rg_table_find(const struct rg_table *t, const char *path);

/* The q-quantile (0 < q <= 1) of a histogram of `count` durations, in ns: the smallest duration d
 * with at least ceil(q * count) calls <= d, estimated as its bucket's midpoint (relative error at
 * most 1/32) and kept within [min_ns, max_ns]. 0 without calls. */
double rg_percentile(const uint64_t *hist, uint64_t count, uint64_t min_ns, uint64_t max_ns,
                     double q);
/* Number of calls in buckets entirely above `ns` (calls certainly longer than ns). */
uint64_t rg_count_above(const uint64_t *hist, double ns);

/* Duration as text with three significant digits and a unit (ns, us, ms, s). */
const char *rg_fmt_ns(double ns, char *buf, size_t len);

/* --regions: the table as text. `top` rows at most (0 = all). */
void regions_report_text(FILE *out, const struct prof_profile *p, size_t top);

struct region_filter {
    const char *region;      /* --region NAME: samples with NAME anywhere on their region path */
    const char *slow_region; /* --slow-region NAME: samples whose enclosing call of NAME ... */
    double slower_than_ms;   /* ... lasted longer than this (--slower-than MS) */
};

/* Keeps only the samples the filter selects (p->samples compacted, thread weights recomputed), so
 * every later table and export sees that subset. Returns the number of samples kept, or -1 with a
 * message in errbuf when a NAME names no region of the profile. */
long regions_filter(struct prof_profile *p, const struct region_filter *f, char *errbuf,
                    size_t errlen);

#endif
