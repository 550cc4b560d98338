/* SPDX-License-Identifier: MIT */
/* profdiff statistics: is a change in a sampled quantity beyond a threshold, given sampling noise
 * and run-to-run (machine) noise? Pure functions, no I/O; the model is in docs/profdiff.md.
 *
 * Thread contract: none needed (no state). */
#ifndef PROF_DIFFSTAT_H
#define PROF_DIFFSTAT_H

#include <stddef.h>

/* Standard normal distribution: P(Z <= z), and its inverse for 0 < p < 1. */
double ds_norm_cdf(double z);
double ds_norm_quantile(double p);

/* Pooled within-side variance of log per-run values (the between-run variance of one side's
 * runs, summed over both sides' degrees of freedom). Feed each side's per-run values with
 * ds_var_add; a run with value <= 0 is counted as `floor` (half a sample's worth: log needs > 0). */
struct ds_var {
    double ss;  /* sum of squared deviations of log values from their side's mean */
    size_t df;  /* degrees of freedom: sum over sides of (runs - 1) */
};
void ds_var_add(struct ds_var *v, const double *values, size_t n, double floor);
/* ss / df, or 0 when df == 0 (no side has two runs). */
double ds_var_value(const struct ds_var *v);

/* One side of a comparison. */
struct ds_side {
    double mean;  /* mean per-run value (seconds, bytes...) */
    double neff;  /* effective number of independent samples over all runs (Poisson counts) */
    size_t runs;  /* number of runs (>= 1) */
};

enum ds_verdict { DS_UNCHANGED = 0, DS_REGRESSION = 1, DS_IMPROVEMENT = 2 };

struct ds_result {
    double ratio;      /* new.mean / base.mean */
    double change_pct; /* 100 * (ratio - 1) */
    double sd_log;     /* standard deviation of log(ratio) under the noise model */
    double p_up;       /* p-value of H0 "ratio <= 1 + threshold" (small: a regression) */
    double p_down;     /* p-value of H0 "ratio >= 1 - threshold" (small: an improvement); 1 if
                          threshold >= 1 (a fall of 100 % or more cannot happen) */
    double confidence; /* 1 - p of the direction of the change: confidence that the change is
                          beyond the threshold that way */
    enum ds_verdict verdict;
};

/* Tests base -> new. `run_var` is the between-run variance of log values (per run) to assume,
 * `threshold` a fraction (0.10 for 10 %), `confidence` in (0, 1). Both means must be > 0 and both
 * neff > 0. Returns 0, or -1 for invalid arguments (result untouched). */
int ds_test(const struct ds_side *base, const struct ds_side *new_, double run_var,
            double threshold, double confidence, struct ds_result *out);

/* Confidence that a quantity absent from `absent_runs` runs but seen with `count` samples over
 * `seen_runs` runs is really new (or really vanished): 1 - P(no sample at all in the absent side
 * if its rate were the same), Poisson: 1 - exp(-count * absent_runs / seen_runs). */
double ds_presence_confidence(double count, size_t seen_runs, size_t absent_runs);

#endif
