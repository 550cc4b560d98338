/* SPDX-License-Identifier: MIT */
/* profdiff regions: region paths of both sides, their calls and percentiles, and the p95 test. */
#include "regions.h"

#include "../profreport/regions.h" /* rg_table_build, rg_percentile, rg_fmt_ns */
#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- The statistic (pure) ---- */

/* Bucket b of a REGION_STATS histogram (docs/format.md): below 16 the value b itself, then 16
 * buckets per power of two 2^e (e = b / 16 + 3), each 2^(e - 4) wide. */
static void rd_bucket(unsigned b, double *low, double *width)
{
    if (b < 16) {
        *low = (double)b;
        *width = 0; /* one value */
        return;
    }
    int e = (int)(b / 16u) + 3;
    *width = ldexp(1.0, e - 4);
    *low = ldexp(1.0, e) + (double)(b % 16u) * *width;
}

double rd_hist_above(const uint64_t *hist, double ns)
{
    double n = 0;
    for (unsigned b = 0; b < PROF_REGION_BUCKETS; b++) {
        if (!hist[b])
            continue;
        double low, width;
        rd_bucket(b, &low, &width);
        /* The last bucket also holds everything longer: no upper edge to split at. */
        if (b == PROF_REGION_BUCKETS - 1)
            width = 0;
        if (low > ns)
            n += (double)hist[b];
        else if (width > 0 && low + width > ns)
            n += (double)hist[b] * (low + width - ns) / width;
    }
    return n;
}

double rd_share_z(double k_base, double n_base, double k_new, double n_new)
{
    double pb = (k_base + 0.5) / (n_base + 1.0), pn = (k_new + 0.5) / (n_new + 1.0);
    double sd = sqrt(pb * (1.0 - pb) / n_base + pn * (1.0 - pn) / n_new);
    return (k_new / n_new - k_base / n_base) / sd;
}

int rd_test_p95(const uint64_t *hist_base, uint64_t n_base, const uint64_t *hist_new,
                uint64_t n_new, double q_ns, double threshold, double confidence, double run_sd,
                struct rd_test *out)
{
    if (n_base == 0 || n_new == 0 || !(q_ns >= 0) || !(threshold > 0) ||
        !(confidence > 0 && confidence < 1) || !(run_sd >= 0))
        return -1;
    /* The machine moves a whole run's latencies (load, frequency): a shift of log p95 with
     * standard deviation run_sd that more calls do not average away. Allow for it at the required
     * confidence by moving the test points outwards (sds added, not in quadrature: conservative). */
    struct rd_test t = {.q_ns = q_ns, .margin = exp(ds_norm_quantile(confidence) * run_sd)};
    double nb = (double)n_base, nn = (double)n_new;
    /* Under "no change" the new calls exceed q as often as the base's calls do (about 5 %); the
     * base's own share carries its sampling noise (and the histogram's rounding) into the test. */
    double kb = rd_hist_above(hist_base, q_ns);
    double k_up = rd_hist_above(hist_new, q_ns * (1.0 + threshold) * t.margin);
    t.share_base = kb / nb;
    t.share_up = k_up / nn;
    /* New p95 beyond (1 + t) q: more than the base's share of new calls above (1 + t) q. */
    t.p_up = 1.0 - ds_norm_cdf(rd_share_z(kb, nb, k_up, nn));
    if (threshold < 1.0) {
        /* New p95 below (1 - t) q: fewer than the base's share of new calls above (1 - t) q. */
        double k_down = rd_hist_above(hist_new, q_ns * (1.0 - threshold) / t.margin);
        t.share_down = k_down / nn;
        t.p_down = ds_norm_cdf(rd_share_z(kb, nb, k_down, nn));
    } else {
        t.share_down = 0;
        t.p_down = 1.0;
    }
    double alpha = 1.0 - confidence;
    if (t.p_up < alpha)
        t.verdict = DS_REGRESSION;
    else if (t.p_down < alpha)
        t.verdict = DS_IMPROVEMENT;
    /* Direction of the change: more new calls above q than the base's share means p95 rose. */
    double above_q = rd_hist_above(hist_new, q_ns) / nn;
    t.confidence = 1.0 - (above_q >= t.share_base ? t.p_up : t.p_down);
    *out = t;
    return 0;
}

/* ---- Loading ---- */

/* The region of `path` (created, keeping s->r sorted by path); NULL on ENOMEM. */
static struct rd_region *rd_get(struct rd_set *s, const char *path, unsigned depth)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->r[mid].path, path);
        if (c == 0)
            return &s->r[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (s->n == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 16;
        struct rd_region *nr = realloc(s->r, ncap * sizeof(*nr));
        if (!nr)
            return NULL;
        s->r = nr;
        s->cap = ncap;
    }
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    memmove(&s->r[lo + 1], &s->r[lo], (s->n - lo) * sizeof(*s->r));
    s->n++;
    struct rd_region *r = &s->r[lo];
    memset(r, 0, sizeof(*r));
    r->path = copy;
    r->depth = depth;
    r->side[0].min_ns = r->side[1].min_ns = UINT64_MAX;
    r->p95_run = calloc(s->nruns ? s->nruns : 1, sizeof(double));
    if (!r->p95_run) {
        memmove(&s->r[lo], &s->r[lo + 1], (--s->n - lo) * sizeof(*s->r));
        free(copy);
        return NULL;
    }
    return r;
}

int rd_add_run(struct rd_set *s, const struct prof_profile *p, size_t run)
{
    struct rg_table t;
    int new_side = run >= s->nbase;
    if (run >= s->nruns)
        return -EINVAL;
    if (rg_table_build(p, &t) != 0)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct rg_row *row = &t.rows[i];
        struct rd_region *r = rd_get(s, row->path, row->depth);
        if (!r) {
            rc = -ENOMEM;
            break;
        }
        r->p95_run[run] = rg_percentile(row->hist, row->count, row->min_ns, row->max_ns, 0.95);
        struct rd_side *d = &r->side[new_side];
        d->count += row->count;
        if (row->min_ns < d->min_ns)
            d->min_ns = row->min_ns;
        if (row->max_ns > d->max_ns)
            d->max_ns = row->max_ns;
        for (unsigned b = 0; b < PROF_REGION_BUCKETS; b++)
            d->hist[b] += row->hist[b];
    }
    rg_table_free(&t);
    if (rc == 0)
        s->runs[new_side]++;
    return rc;
}

void rd_free(struct rd_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->r[i].path);
        free(s->r[i].p95_run);
    }
    free(s->r);
    memset(s, 0, sizeof(*s));
}

/* ---- Comparison ---- */

static const double rd_q[3] = {0.50, 0.95, 0.99};

/* Pooled within-side variance of log p95 over the runs with calls (as for functions' values). */
static double rd_run_var(const struct rd_set *s, const struct rd_region *r)
{
    struct ds_var v = {0};
    double *vals = malloc((s->nruns ? s->nruns : 1) * sizeof(double));
    if (!vals)
        return 0;
    for (int side = 0; side < 2; side++) {
        size_t n = 0, lo = side ? s->nbase : 0, hi = side ? s->nruns : s->nbase;
        for (size_t i = lo; i < hi; i++)
            if (r->p95_run[i] > 0)
                vals[n++] = r->p95_run[i];
        ds_var_add(&v, vals, n, 1.0);
    }
    free(vals);
    return ds_var_value(&v);
}

void rd_compare(struct rd_set *s, const struct dd_params *pp)
{
    for (size_t i = 0; i < s->n; i++) {
        struct rd_region *r = &s->r[i];
        for (int k = 0; k < 2; k++) {
            const struct rd_side *d = &r->side[k];
            r->calls[k] = s->runs[k] ? (double)d->count / (double)s->runs[k] : 0;
            for (int j = 0; j < 3; j++)
                r->pct[k][j] = rg_percentile(d->hist, d->count, d->min_ns, d->max_ns, rd_q[j]);
        }
        r->calls_changed = r->calls[0] > 0 && fabs(r->calls[1] / r->calls[0] - 1.0) > pp->threshold;
        memset(&r->t, 0, sizeof(r->t));
        r->run_var = fmax(pp->run_noise * pp->run_noise, rd_run_var(s, r));
        double run_sd = s->runs[0] && s->runs[1]
                            ? sqrt(r->run_var * (1.0 / (double)s->runs[0] + 1.0 / (double)s->runs[1]))
                            : 0;
        if (r->side[0].count == 0 && r->side[1].count == 0)
            r->status = DD_ABSENT;
        else if (r->side[0].count == 0)
            r->status = DD_NEW;
        else if (r->side[1].count == 0)
            r->status = DD_VANISHED;
        else if (r->calls[0] < pp->min_samples || r->calls[1] < pp->min_samples)
            r->status = DD_TOO_FEW;
        else if (rd_test_p95(r->side[0].hist, r->side[0].count, r->side[1].hist, r->side[1].count,
                             r->pct[0][1], pp->threshold, pp->confidence, run_sd, &r->t) != 0)
            r->status = DD_TOO_FEW; /* not testable (cannot happen with counts > 0) */
        else
            r->status = r->t.verdict == DS_REGRESSION    ? DD_REGRESSION
                        : r->t.verdict == DS_IMPROVEMENT ? DD_IMPROVEMENT
                                                         : DD_UNCHANGED;
    }
}

size_t rd_regressions(const struct rd_set *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++)
        n += s->r[i].status == DD_REGRESSION;
    return n;
}

/* ---- Output ---- */

/* Report order: regressions, improvements, unchanged, new, vanished, too few; then by path. */
static int rd_rank(enum dd_status st)
{
    switch (st) {
    case DD_REGRESSION: return 0;
    case DD_IMPROVEMENT: return 1;
    case DD_UNCHANGED: return 2;
    case DD_NEW: return 3;
    case DD_VANISHED: return 4;
    case DD_TOO_FEW: return 5;
    case DD_ABSENT: return 6;
    }
    return 7;
}

static int rd_report_cmp(const void *pa, const void *pb)
{
    const struct rd_region *a = *(const struct rd_region *const *)pa;
    const struct rd_region *b = *(const struct rd_region *const *)pb;
    int ra = rd_rank(a->status), rb = rd_rank(b->status);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    return strcmp(a->path, b->path);
}

static const struct rd_region **rd_sorted(const struct rd_set *s)
{
    const struct rd_region **v = malloc((s->n ? s->n : 1) * sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        v[i] = &s->r[i];
    qsort(v, s->n, sizeof(*v), rd_report_cmp);
    return v;
}

static const char *rd_change(double before, double after, char *buf, size_t len)
{
    if (before > 0 && after > 0)
        snprintf(buf, len, "%+.1f%%", 100.0 * (after / before - 1.0));
    else
        snprintf(buf, len, "-");
    return buf;
}

static const char *rd_dur(double ns, uint64_t count, char *buf, size_t len)
{
    if (!count)
        return snprintf(buf, len, "-"), buf;
    return rg_fmt_ns(ns, buf, len);
}

static const char *rd_calls(double v, char *buf, size_t len)
{
    snprintf(buf, len, v == floor(v) ? "%.0f" : "%.1f", v);
    return buf;
}

void rd_text(FILE *out, const struct rd_set *s, const struct dd_params *pp, size_t top)
{
    if (!s || s->n == 0)
        return;
    const struct rd_region **v = rd_sorted(s);
    if (!v) {
        fprintf(out, "\nRegions: out of memory\n");
        return;
    }
    size_t counts[DD_ABSENT + 1] = {0};
    for (size_t i = 0; i < s->n; i++)
        counts[s->r[i].status]++;
    fprintf(out, "\n== Regions: calls per run and latency per region path ==\n");
    fprintf(out, "A region regresses when its p95 rose by more than %g%% with %g%% confidence "
                 "(calls above the base's p95, run-to-run noise at least %g%%; docs/profdiff.md); "
                 "under %g calls per run is too few to judge; call counts are informational\n",
            100.0 * pp->threshold, 100.0 * pp->confidence, 100.0 * pp->run_noise,
            pp->min_samples);
    fprintf(out, "Regressions: %zu; improvements: %zu; unchanged: %zu; new: %zu; vanished: %zu; "
                 "too few calls to judge: %zu\n",
            counts[DD_REGRESSION], counts[DD_IMPROVEMENT], counts[DD_UNCHANGED], counts[DD_NEW],
            counts[DD_VANISHED], counts[DD_TOO_FEW]);
    fprintf(out, "  %-11s %9s %9s %8s  %9s %9s %8s  %9s %9s %8s %10s  %9s %9s %8s  %s\n", "status",
            "calls-b", "calls-a", "change", "p50-b", "p50-a", "change", "p95-b", "p95-a", "change",
            "confidence", "p99-b", "p99-a", "change", "region");
    size_t shown = top && top < s->n ? top : s->n;
    for (size_t i = 0; i < shown; i++) {
        const struct rd_region *r = v[i];
        char c[2][32], chg[4][32], p[2][3][32], conf[32];
        int judged = r->status == DD_REGRESSION || r->status == DD_IMPROVEMENT ||
                     r->status == DD_UNCHANGED;
        for (int k = 0; k < 2; k++) {
            rd_calls(r->calls[k], c[k], sizeof(c[k]));
            for (int j = 0; j < 3; j++)
                rd_dur(r->pct[k][j], r->side[k].count, p[k][j], sizeof(p[k][j]));
        }
        rd_change(r->calls[0], r->calls[1], chg[0], sizeof(chg[0]));
        for (int j = 0; j < 3; j++)
            rd_change(r->pct[0][j], r->pct[1][j], chg[j + 1], sizeof(chg[j + 1]));
        if (!judged)
            snprintf(conf, sizeof(conf), "-");
        else if (r->t.confidence > 0.9999)
            snprintf(conf, sizeof(conf), ">99.99%%");
        else
            snprintf(conf, sizeof(conf), "%.2f%%", 100.0 * r->t.confidence);
        fprintf(out, "  %-11s %9s %9s %7s%s  %9s %9s %8s  %9s %9s %8s %10s  %9s %9s %8s  %*s%s\n",
                dd_status_name(r->status), c[0], c[1], chg[0], r->calls_changed ? "*" : " ",
                p[0][0], p[1][0], chg[1], p[0][1], p[1][1], chg[2], conf, p[0][2], p[1][2], chg[3],
                2 * (int)r->depth, "", r->path);
    }
    if (shown < s->n)
        fprintf(out, "  ... %zu more regions (--top 0 shows all)\n", s->n - shown);
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].calls_changed) {
            fprintf(out, "  * calls per run changed by more than %g%% (not a regression by "
                         "itself)\n", 100.0 * pp->threshold);
            break;
        }
    free(v);
}

static void rd_json_pct(FILE *out, const struct rd_region *r, int j)
{
    fprintf(out, "{\"before_ns\": ");
    out_json_num(out, r->side[0].count ? r->pct[0][j] : NAN);
    fprintf(out, ", \"after_ns\": ");
    out_json_num(out, r->side[1].count ? r->pct[1][j] : NAN);
    fprintf(out, ", \"change_pct\": ");
    out_json_num(out, r->side[0].count && r->side[1].count && r->pct[0][j] > 0
                          ? 100.0 * (r->pct[1][j] / r->pct[0][j] - 1.0)
                          : NAN);
    fprintf(out, "}");
}

void rd_json(FILE *out, const struct rd_set *s)
{
    size_t counts[DD_ABSENT + 1] = {0};
    size_t n = s ? s->n : 0;
    for (size_t i = 0; i < n; i++)
        counts[s->r[i].status]++;
    fprintf(out, "{\"runs_base\": %zu, \"runs_new\": %zu, \"counts\": {", s ? s->runs[0] : 0,
            s ? s->runs[1] : 0);
    for (int st = DD_UNCHANGED; st < DD_ABSENT; st++) {
        fprintf(out, "%s", st ? ", " : "");
        out_json_str(out, dd_status_name((enum dd_status)st));
        fprintf(out, ": %zu", counts[st]);
    }
    fprintf(out, "},\n    \"rows\": [");
    const struct rd_region **v = n ? rd_sorted(s) : NULL;
    for (size_t i = 0; v && i < n; i++) {
        const struct rd_region *r = v[i];
        const char *slash = strrchr(r->path, '/');
        int judged = r->status == DD_REGRESSION || r->status == DD_IMPROVEMENT ||
                     r->status == DD_UNCHANGED;
        fprintf(out, "%s\n      {\"path\": ", i ? "," : "");
        out_json_str(out, r->path);
        fprintf(out, ", \"name\": ");
        out_json_str(out, slash ? slash + 1 : r->path);
        fprintf(out, ", \"depth\": %u, \"status\": ", r->depth);
        out_json_str(out, dd_status_name(r->status));
        fprintf(out, ",\n       \"calls_before\": ");
        out_json_num(out, r->calls[0]);
        fprintf(out, ", \"calls_after\": ");
        out_json_num(out, r->calls[1]);
        fprintf(out, ", \"calls_change_pct\": ");
        out_json_num(out, r->calls[0] > 0 ? 100.0 * (r->calls[1] / r->calls[0] - 1.0) : NAN);
        fprintf(out, ", \"calls_changed\": %s", r->calls_changed ? "true" : "false");
        fprintf(out, ",\n       \"p50\": ");
        rd_json_pct(out, r, 0);
        fprintf(out, ", \"p95\": ");
        rd_json_pct(out, r, 1);
        fprintf(out, ",\n       \"p99\": ");
        rd_json_pct(out, r, 2);
        fprintf(out, ",\n       \"test\": ");
        if (judged) {
            fprintf(out, "{\"base_p95_ns\": ");
            out_json_num(out, r->t.q_ns);
            fprintf(out, ", \"margin\": ");
            out_json_num(out, r->t.margin);
            fprintf(out, ", \"run_noise_pct\": ");
            out_json_num(out, 100.0 * sqrt(r->run_var));
            fprintf(out, ", \"share_base\": ");
            out_json_num(out, r->t.share_base);
            fprintf(out, ", \"share_new_above_up\": ");
            out_json_num(out, r->t.share_up);
            fprintf(out, ", \"share_new_above_down\": ");
            out_json_num(out, r->t.share_down);
            fprintf(out, ", \"confidence\": ");
            out_json_num(out, r->t.confidence);
            fprintf(out, ", \"p_regression\": ");
            out_json_num(out, r->t.p_up);
            fprintf(out, ", \"p_improvement\": ");
            out_json_num(out, r->t.p_down);
            fprintf(out, "}");
        } else {
            fprintf(out, "null");
        }
        fprintf(out, "}");
    }
    fprintf(out, "]}");
    free(v);
}
