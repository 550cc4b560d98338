/* SPDX-License-Identifier: MIT */
/* profdiff statistics: normal distribution, between-run variance, the threshold test. */
#include "diffstat.h"

#include <math.h>

double ds_norm_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* Acklam's rational approximation (relative error < 1.2e-9), refined by one Halley step on
 * erfc, which brings it to double precision in the tails that matter here. */
double ds_norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    const double plow = 0.02425;
    if (!(p > 0.0 && p < 1.0))
        return p == 0.0 ? -INFINITY : p == 1.0 ? INFINITY : NAN;
    double x;
    if (p < plow) {
        double q = sqrt(-2.0 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    } else if (p <= 1.0 - plow) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
    } else {
        double q = sqrt(-2.0 * log(1.0 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    double e = ds_norm_cdf(x) - p;
    double u = e * 2.5066282746310002 * exp(x * x / 2.0); /* e * sqrt(2 pi) * exp(x^2 / 2) */
    return x - u / (1.0 + x * u / 2.0);
}

void ds_var_add(struct ds_var *v, const double *values, size_t n, double floor)
{
    if (n < 2)
        return;
    double mean = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += log(values[i] > 0.0 ? values[i] : floor);
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = log(values[i] > 0.0 ? values[i] : floor) - mean;
        v->ss += d * d;
    }
    v->df += n - 1;
}

double ds_var_value(const struct ds_var *v)
{
    return v->df ? v->ss / (double)v->df : 0.0;
}

int ds_test(const struct ds_side *base, const struct ds_side *new_, double run_var,
            double threshold, double confidence, struct ds_result *out)
{
    if (!(base->mean > 0.0) || !(new_->mean > 0.0) || !(base->neff > 0.0) ||
        !(new_->neff > 0.0) || base->runs == 0 || new_->runs == 0 || !(run_var >= 0.0) ||
        !(threshold > 0.0) || !(confidence > 0.0 && confidence < 1.0))
        return -1;
    struct ds_result r = {0};
    r.ratio = new_->mean / base->mean;
    r.change_pct = 100.0 * (r.ratio - 1.0);
    /* log of a per-run mean: Poisson part 1/neff, run part run_var/runs (delta method). */
    double var = 1.0 / base->neff + 1.0 / new_->neff +
                 run_var * (1.0 / (double)base->runs + 1.0 / (double)new_->runs);
    r.sd_log = sqrt(var);
    double l = log(r.ratio);
    r.p_up = 1.0 - ds_norm_cdf((l - log1p(threshold)) / r.sd_log);
    r.p_down = threshold < 1.0 ? ds_norm_cdf((l - log1p(-threshold)) / r.sd_log) : 1.0;
    double alpha = 1.0 - confidence;
    if (r.p_up < alpha)
        r.verdict = DS_REGRESSION;
    else if (r.p_down < alpha)
        r.verdict = DS_IMPROVEMENT;
    r.confidence = 1.0 - (r.ratio >= 1.0 ? r.p_up : r.p_down);
    *out = r;
    return 0;
}

double ds_presence_confidence(double count, size_t seen_runs, size_t absent_runs)
{
    if (seen_runs == 0 || !(count > 0.0))
        return 0.0;
    return -expm1(-count * (double)absent_runs / (double)seen_runs);
}
