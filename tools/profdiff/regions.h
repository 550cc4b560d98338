/* SPDX-License-Identifier: MIT */
/* profdiff regions: per region path, calls and latency percentiles of the base and new sides from
 * the runtime's histograms, and the p95 test (docs/profdiff.md, "Regions").
 *
 * Thread contract: one thread per rd_set; the test functions are pure. */
#ifndef PROF_DIFF_REGIONS_H
#define PROF_DIFF_REGIONS_H

#include "diffdata.h"
#include "diffstat.h"

#include <prof/profile.h>
#include <stdint.h>
#include <stdio.h>

/* Calls of one region path on one side, summed over the side's runs. */
struct rd_side {
    uint64_t count;
    uint64_t min_ns, max_ns; /* min_ns = UINT64_MAX without calls */
    uint64_t hist[PROF_REGION_BUCKETS];
};

/* The p95 test of one region (rd_test_p95). */
struct rd_test {
    double q_ns;        /* the base's p95 */
    double margin;      /* run-to-run noise allowance: the test points are q (1 + t) margin and
                           q (1 - t) / margin */
    double share_base;  /* share of the base's calls above q_ns */
    double share_up;    /* share of the new calls above q_ns * (1 + threshold) * margin */
    double share_down;  /* share of the new calls above q_ns * (1 - threshold) / margin */
    double p_up;        /* p-value of H0 "new p95 <= (1 + threshold) * base p95" */
    double p_down;      /* p-value of H0 "new p95 >= (1 - threshold) * base p95"; 1 if threshold >= 1 */
    double confidence;  /* 1 - p in the direction of the p95 change */
    enum ds_verdict verdict;
};

struct rd_region {
    char *path;     /* "request/parse" */
    unsigned depth; /* 0 = outermost */
    struct rd_side side[2]; /* [0] base, [1] new */
    double calls[2];        /* calls per run, mean over the side's runs */
    double pct[2][3];       /* p50, p95, p99 per side, ns (0 without calls) */
    struct rd_test t;       /* valid when status is UNCHANGED, REGRESSION or IMPROVEMENT */
    enum dd_status status;  /* REGRESSION / IMPROVEMENT / UNCHANGED, TOO_FEW, NEW, VANISHED */
    int calls_changed;      /* calls per run changed by more than the threshold (informational) */
    double *p95_run;        /* [run]: p95 of each run (0: no call in that run) */
    double run_var;         /* between-run variance of log p95 used (max of prior and estimate) */
};

struct rd_set {
    size_t nruns, nbase; /* set before adding runs: runs [0, nbase) are the base side */
    size_t runs[2];      /* runs added per side */
    size_t n, cap;
    struct rd_region *r;
};

/* Calls of a histogram (docs/format.md REGION_STATS buckets) longer than `ns`: buckets entirely
 * above count whole, the bucket holding `ns` in proportion to the part of its width above `ns`
 * (calls spread evenly inside a bucket). */
double rd_hist_above(const uint64_t *hist, double ns);

/* z statistic of share k_new / n_new against share k_base / n_base (two proportions, unpooled
 * variance; each share in the variance is taken as (k + 0.5) / (n + 1), so that a share of 0 or 1
 * still has a spread). n_base and n_new must be > 0. */
double rd_share_z(double k_base, double n_base, double k_new, double n_new);

/* The p95 test: base and new histograms of n_base and n_new calls, q_ns the base's p95,
 * threshold a fraction, confidence in (0, 1), run_sd the standard deviation of log(new p95 /
 * base p95) that run-to-run noise alone causes (0: none). Returns 0, or -1 for invalid
 * arguments. */
int rd_test_p95(const uint64_t *hist_base, uint64_t n_base, const uint64_t *hist_new,
                uint64_t n_new, double q_ns, double threshold, double confidence, double run_sd,
                struct rd_test *out);

/* Adds the regions of profile `p`, run `run` (< s->nruns; base when < s->nbase). 0 or -ENOMEM. */
int rd_add_run(struct rd_set *s, const struct prof_profile *p, size_t run);
/* Percentiles, call changes and the test of every region under params. */
void rd_compare(struct rd_set *s, const struct dd_params *params);
/* Regions flagged as regressions. */
size_t rd_regressions(const struct rd_set *s);
void rd_free(struct rd_set *s);

/* The "Regions" table (nothing when neither side has regions); top rows at most (0 = all). */
void rd_text(FILE *out, const struct rd_set *s, const struct dd_params *params, size_t top);
/* The JSON "regions" object (docs/profdiff.md), without a trailing comma or newline. */
void rd_json(FILE *out, const struct rd_set *s);

#endif
