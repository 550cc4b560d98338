/* SPDX-License-Identifier: MIT */
/* profdiff data: per-run aggregation of every measure, keyed by function or line, and comparison. */
#include "diffdata.h"
#include "regions.h"

#include "aggregate.h"
#include "format.h"
#include "htab.h"

#include <prof/profile.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND_BIT(k) ((uint64_t)1 << (k))

/* The measured quantities, by mode. Wall and alloc views are young: their samples are counted
 * here as format.md defines them (wall: periods of 1/hz s per kind; alloc: estimated bytes). */
static const struct dd_measure dd_measures[] = {
    {"cpu", "CPU time", "s", FMT_MODE_CPU, KIND_BIT(FMT_KIND_CPU), 1},
    {"wall-on", "wall time on CPU", "s", FMT_MODE_WALL, KIND_BIT(FMT_KIND_WALL_ON), 1},
    {"wall-off", "wall time off CPU (blocked or waiting for a CPU)", "s", FMT_MODE_WALL,
     KIND_BIT(FMT_KIND_WALL_OFF) | KIND_BIT(FMT_KIND_WALL_RUNNABLE), 1},
#ifdef PROF_KIND_ALLOC
    {"alloc", "allocated bytes", "B", FMT_MODE_ALLOC, KIND_BIT(PROF_KIND_ALLOC), 0},
#endif
};

/* What a sample contributes, through the aggregate's value hook: the measure's weight (periods
 * or bytes) for its kinds, else nothing. */
static uint64_t dd_measure_value(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    const struct dd_measure *m = arg;
    (void)p;
    return s->kind < 64 && (m->kinds & KIND_BIT(s->kind)) ? s->weight : 0;
}

/* Count hook: one per sample of the measure's kinds (the independent events behind the value). */
static uint64_t dd_measure_count(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    return dd_measure_value(p, s, arg) ? 1 : 0;
}

const char *dd_status_name(enum dd_status st)
{
    switch (st) {
    case DD_UNCHANGED: return "unchanged";
    case DD_REGRESSION: return "regression";
    case DD_IMPROVEMENT: return "improvement";
    case DD_NEW: return "new";
    case DD_VANISHED: return "vanished";
    case DD_TOO_FEW: return "too_few";
    case DD_ABSENT: return "absent";
    }
    return "?";
}

static char *dd_strdup(const char *s)
{
    return strdup(s ? s : "");
}

/* Entry of `key`, created (with display strings and zeroed per-run arrays) if new; NULL on ENOMEM. */
static struct dd_entry *dd_entry_get(struct dd_data *d, size_t nruns, const char *key,
                                     const char *name, const char *location, const char *module,
                                     int is_inline)
{
    struct strtab *keys = d->keys;
    size_t before = keys->count;
    long id = strtab_intern(keys, key, strlen(key));
    if (id < 0)
        return NULL;
    if (keys->count == before)
        return &d->e[id];
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 64;
        struct dd_entry *ne = realloc(d->e, ncap * sizeof(*ne));
        if (!ne)
            return NULL;
        d->e = ne;
        d->cap = ncap;
    }
    struct dd_entry *e = &d->e[d->n];
    memset(e, 0, sizeof(*e));
    double *block = calloc(4 * nruns, sizeof(double));
    e->name = dd_strdup(name);
    e->location = dd_strdup(location);
    e->module = dd_strdup(module);
    if (!block || !e->name || !e->location || !e->module) {
        free(block);
        free(e->name);
        free(e->location);
        free(e->module);
        return NULL;
    }
    d->n++;
    e->is_inline = is_inline;
    e->val[DD_SELF] = block;
    e->val[DD_CUM] = block + nruns;
    e->cnt[DD_SELF] = block + 2 * nruns;
    e->cnt[DD_CUM] = block + 3 * nruns;
    return e;
}

/* Adds one aggregate's rows (values or counts) of run `run` into d. */
static int dd_add_rows(struct dd_set *s, struct dd_data *d, const struct agg *a, size_t run,
                       double unit, int add_val, int add_cnt)
{
    char key[2048];
    if (s->by_line) {
        for (size_t i = 0; i < a->nhot; i++) {
            const struct sym_func *f = sym_func_get(a->sym, sym_line_func(a->sym, a->hot[i].id));
            const char *label = sym_line_label(a->sym, a->hot[i].id);
            snprintf(key, sizeof(key), "%s\x1f%s\x1f%d", label, f->name, f->is_inline);
            struct dd_entry *e = dd_entry_get(d, s->nruns, key, label, f->name, f->module, f->is_inline);
            if (!e)
                return -ENOMEM;
            double v = (double)a->hot[i].weight;
            e->val[DD_SELF][run] += add_val ? v * unit : 0;
            e->cnt[DD_SELF][run] += add_cnt ? v : 0;
        }
        return 0;
    }
    for (int metric = 0; metric < 2; metric++) {
        const struct agg_row *rows = metric == DD_CUM ? a->cum : a->self;
        size_t n = metric == DD_CUM ? a->ncum : a->nself;
        for (size_t i = 0; i < n; i++) {
            const struct sym_func *f = sym_func_get(a->sym, rows[i].id);
            snprintf(key, sizeof(key), "%s\x1f%s\x1f%d", f->name, f->location, f->is_inline);
            struct dd_entry *e = dd_entry_get(d, s->nruns, key, f->name, f->location, f->module,
                                              f->is_inline);
            if (!e)
                return -ENOMEM;
            double v = (double)rows[i].weight;
            e->val[metric][run] += add_val ? v * unit : 0;
            e->cnt[metric][run] += add_cnt ? v : 0;
        }
    }
    return 0;
}

/* Aggregates one run for one measure: values (and counts: the weight in periods, or one per
 * sample for byte measures). */
static int dd_aggregate(struct dd_set *s, struct dd_data *d, const struct prof_profile *p,
                        size_t run, int sym_flags, char *err, size_t errlen)
{
    const struct dd_measure *m = d->m;
    struct agg_options ao = {.sym_flags = sym_flags, .value = dd_measure_value, .value_arg = (void *)m};
    struct agg *a = NULL;
    double unit = m->periods ? 1.0 / (double)s->runs[run].hz : 1.0;
    if (agg_build(p, &ao, &a, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sym_nwarnings(a->sym); i++)
        fprintf(stderr, "profdiff: warning: %s: %s\n", s->runs[run].file, sym_warning(a->sym, i));
    /* Periods are the independent events: their count is the weight. Bytes are not. */
    int rc = dd_add_rows(s, d, a, run, unit, 1, m->periods);
    d->total_val[run] = (double)a->total * unit;
    d->total_cnt[run] = (double)a->total;
    if (rc == 0 && !m->periods) {
        /* Count the samples behind the bytes with a second pass. */
        agg_free(a);
        a = NULL;
        ao.value = dd_measure_count;
        if (agg_build(p, &ao, &a, err, errlen) != 0)
            return -1;
        rc = dd_add_rows(s, d, a, run, 1.0, 0, 1);
        d->total_cnt[run] = (double)a->total;
    }
    agg_free(a);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    return rc ? -1 : 0;
}

static const char *dd_mode_names(uint64_t modes, char *buf, size_t len)
{
    /* Bits we do not know (a newer or damaged file) are named too, so the text is never empty. */
    uint64_t known = FMT_MODE_CPU | FMT_MODE_WALL | FMT_MODE_ALLOC;
    snprintf(buf, len, "%s%s%s%s%s", modes & FMT_MODE_CPU ? "cpu," : "",
             modes & FMT_MODE_WALL ? "wall," : "", modes & FMT_MODE_ALLOC ? "alloc," : "",
             modes & ~known ? "other," : "", modes ? "" : "none,");
    size_t n = strlen(buf);
    if (n > 0)
        buf[n - 1] = '\0'; /* the last comma */
    return buf;
}

/* Loads one file as run `run`: checks it is whole and of the reference run's modes. */
static int dd_load_run(struct dd_set *s, size_t run, const char *file, int sym_flags, char *err,
                       size_t errlen)
{
    struct prof_profile *p = NULL;
    const char *one[1] = {file};
    struct dd_run *r = &s->runs[run];
    if (!(r->file = strdup(file))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (prof_profile_load(one, 1, &p, err, errlen) != 0)
        return -1;
    int rc = -1;
    if (p->damaged) {
        /* The loader's damage warning is already "FILE: reason" and ends with this phrase. */
        snprintf(err, errlen, "%s: damaged profile", file);
        for (size_t i = 0; i < p->nwarnings; i++)
            if (strstr(p->warnings[i], "data after it ignored"))
                snprintf(err, errlen, "%s", p->warnings[i]);
        goto out;
    }
    if (p->nprocesses != 1) {
        snprintf(err, errlen, "%s: holds %zu processes, expected one run per file", file, p->nprocesses);
        goto out;
    }
    const struct prof_process *pr = &p->processes[0];
    r->modes = pr->modes;
    r->hz = pr->hz;
    r->duration_s = (double)pr->duration_ns / 1e9;
    r->exe = dd_strdup(pr->exe_path);
    if (!r->exe) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (run > 0 && r->modes != s->runs[0].modes) {
        char m1[64], m0[64];
        snprintf(err, errlen, "%s: recorded in mode %s, but %s in mode %s: profiles of different "
                 "modes cannot be compared", file, dd_mode_names(r->modes, m1, sizeof(m1)),
                 s->runs[0].file, dd_mode_names(s->runs[0].modes, m0, sizeof(m0)));
        goto out;
    }
    if (r->hz == 0) {
        snprintf(err, errlen, "%s: sampling rate 0 in the header", file);
        goto out;
    }
    for (size_t i = 0; i < s->nmeasures; i++) {
        char aerr[512] = "";
        if (dd_aggregate(s, &s->data[i], p, run, sym_flags, aerr, sizeof(aerr)) != 0) {
            snprintf(err, errlen, "%s: %s", file, aerr);
            goto out;
        }
    }
    if (rd_add_run(s->regions, p, run) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    prof_profile_free(p);
    return rc;
}

/* The measures of the reference mode set, or an error naming the first file. */
static int dd_setup_measures(struct dd_set *s, const char *file, char *err, size_t errlen)
{
    size_t n = 0;
    size_t count = sizeof(dd_measures) / sizeof(dd_measures[0]);
    s->data = calloc(count, sizeof(*s->data));
    if (!s->data) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (!(s->runs[0].modes & dd_measures[i].mode))
            continue;
        struct dd_data *d = &s->data[n++];
        s->nmeasures = n;
        d->m = &dd_measures[i];
        d->total_val = calloc(s->nruns, sizeof(double));
        d->total_cnt = calloc(s->nruns, sizeof(double));
        d->keys = calloc(1, sizeof(struct strtab));
        if (!d->total_val || !d->total_cnt || !d->keys) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        strtab_init(d->keys);
    }
    if (n == 0) {
        char mb[64];
        snprintf(err, errlen, "%s: mode %s has no quantity profdiff can compare", file,
                 dd_mode_names(s->runs[0].modes, mb, sizeof(mb)));
        return -1;
    }
    return 0;
}

int dd_load(struct dd_set *s, const char *const *files, size_t nbase, size_t nfiles, int by_line,
            int sym_flags, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->nruns = nfiles;
    s->nbase = nbase;
    s->by_line = by_line;
    s->runs = calloc(nfiles, sizeof(*s->runs));
    s->regions = calloc(1, sizeof(*s->regions));
    if (!s->runs || !s->regions) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->regions->nruns = nfiles;
    s->regions->nbase = nbase;
    for (size_t i = 0; i < nfiles; i++) {
        if (i == 0) {
            /* The first file sets the modes, hence the measures: read its header first. */
            struct prof_profile *p = NULL;
            if (prof_profile_load(files, 1, &p, err, errlen) != 0)
                return -1;
            s->runs[0].modes = p->nprocesses ? p->processes[0].modes : 0;
            prof_profile_free(p);
            if (dd_setup_measures(s, files[0], err, errlen) != 0)
                return -1;
        }
        if (dd_load_run(s, i, files[i], sym_flags, err, errlen) != 0)
            return -1;
    }
    /* Every run needs samples to compare; a measure without any in every run (blocked time of
     * a program that never blocks) is left out. */
    for (size_t i = 0; i < nfiles; i++) {
        double any = 0;
        for (size_t k = 0; k < s->nmeasures; k++)
            any += s->data[k].total_cnt[i];
        if (any == 0) {
            snprintf(err, errlen, "%s: no samples to compare", files[i]);
            return -1;
        }
    }
    size_t kept = 0;
    for (size_t k = 0; k < s->nmeasures; k++) {
        double any = 0;
        for (size_t i = 0; i < nfiles; i++)
            any += s->data[k].total_cnt[i];
        if (any > 0) {
            struct dd_data tmp = s->data[kept];
            s->data[kept++] = s->data[k];
            s->data[k] = tmp;
        }
    }
    /* Measures past `kept` are empty (no entries): free them now. */
    for (size_t k = kept; k < s->nmeasures; k++) {
        struct dd_data *d = &s->data[k];
        free(d->e);
        free(d->total_val);
        free(d->total_cnt);
        strtab_free(d->keys);
        free(d->keys);
        memset(d, 0, sizeof(*d));
    }
    s->nmeasures = kept;
    return 0;
}

/* Sum and per-run values of one side of vals[0..nruns). */
static void dd_side(const struct dd_set *s, const double *val, const double *cnt, int new_side,
                    struct ds_side *side, double *sumval, double *sumcnt)
{
    size_t lo = new_side ? s->nbase : 0, hi = new_side ? s->nruns : s->nbase;
    double v = 0, c = 0, v2c = 0;
    for (size_t i = lo; i < hi; i++) {
        v += val[i];
        c += cnt[i];
        if (cnt[i] > 0)
            v2c += val[i] * val[i] / cnt[i];
    }
    side->runs = hi - lo;
    side->mean = v / (double)side->runs;
    /* Effective samples (sum v)^2 / sum(v^2 / c): the count itself when all runs share a rate. */
    side->neff = v2c > 0 ? v * v / v2c : 0;
    *sumval = v;
    *sumcnt = c;
}

/* Between-run variance of log values of one row (both sides pooled); floor for a run without
 * samples: half a sample's worth of value. */
static double dd_row_var(const struct dd_set *s, const double *val, const double *cnt, size_t *df)
{
    struct ds_var v = {0};
    double unit = 0;
    for (size_t i = 0; i < s->nruns; i++)
        if (cnt[i] > 0) {
            unit = val[i] / cnt[i];
            break;
        }
    ds_var_add(&v, val, s->nbase, 0.5 * unit);
    ds_var_add(&v, val + s->nbase, s->nruns - s->nbase, 0.5 * unit);
    if (df)
        *df = v.df;
    return ds_var_value(&v);
}

static void dd_compare_one(const struct dd_set *s, const struct dd_params *pp, const double *val,
                           const double *cnt, const double tot[2], struct dd_cmp *c)
{
    struct ds_side b, n;
    double vb, cb, vn, cn;
    memset(c, 0, sizeof(*c));
    dd_side(s, val, cnt, 0, &b, &vb, &cb);
    dd_side(s, val, cnt, 1, &n, &vn, &cn);
    c->before = b.mean;
    c->after = n.mean;
    c->count_before = cb;
    c->count_after = cn;
    c->share_before = tot[0] > 0 ? 100.0 * vb / tot[0] : 0;
    c->share_after = tot[1] > 0 ? 100.0 * vn / tot[1] : 0;
    double est = dd_row_var(s, val, cnt, NULL);
    c->run_var = fmax(pp->run_noise * pp->run_noise, est);
    if (cb == 0 && cn == 0) {
        c->status = DD_ABSENT;
    } else if (cb / (double)b.runs < pp->min_samples && cn / (double)n.runs < pp->min_samples) {
        c->status = DD_TOO_FEW;
    } else if (cb == 0) {
        c->status = DD_NEW;
        c->confidence = ds_presence_confidence(cn, n.runs, b.runs);
    } else if (cn == 0) {
        c->status = DD_VANISHED;
        c->confidence = ds_presence_confidence(cb, b.runs, n.runs);
    } else if (ds_test(&b, &n, c->run_var, pp->threshold, pp->confidence, &c->r) == 0) {
        c->confidence = c->r.confidence;
        c->status = c->r.verdict == DS_REGRESSION    ? DD_REGRESSION
                    : c->r.verdict == DS_IMPROVEMENT ? DD_IMPROVEMENT
                                                     : DD_UNCHANGED;
    }
}

void dd_compare(struct dd_set *s, const struct dd_params *pp)
{
    for (size_t k = 0; k < s->nmeasures; k++) {
        struct dd_data *d = &s->data[k];
        double tot[2] = {0, 0};
        for (size_t i = 0; i < s->nruns; i++)
            tot[i >= s->nbase] += d->total_val[i];
        dd_compare_one(s, pp, d->total_val, d->total_cnt, tot, &d->total);
        d->total_run_var = dd_row_var(s, d->total_val, d->total_cnt, &d->total_df);
        for (size_t i = 0; i < d->n; i++)
            for (int metric = 0; metric < (s->by_line ? 1 : 2); metric++)
                dd_compare_one(s, pp, d->e[i].val[metric], d->e[i].cnt[metric], tot,
                               &d->e[i].cmp[metric]);
    }
    if (s->regions)
        rd_compare(s->regions, pp);
}

void dd_free(struct dd_set *s)
{
    for (size_t k = 0; k < s->nmeasures; k++) {
        struct dd_data *d = &s->data[k];
        for (size_t i = 0; i < d->n; i++) {
            free(d->e[i].name);
            free(d->e[i].location);
            free(d->e[i].module);
            free(d->e[i].val[DD_SELF]);
        }
        free(d->e);
        free(d->total_val);
        free(d->total_cnt);
        if (d->keys)
            strtab_free(d->keys);
        free(d->keys);
    }
    free(s->data);
    for (size_t i = 0; i < s->nruns && s->runs; i++) {
        free(s->runs[i].file);
        free(s->runs[i].exe);
    }
    free(s->runs);
    rd_free(s->regions);
    free(s->regions);
    memset(s, 0, sizeof(*s));
}

enum dd_status dd_row_status(const struct dd_set *s, const struct dd_entry *e)
{
    int nm = s->by_line ? 1 : 2;
    for (int m = 0; m < nm; m++)
        if (e->cmp[m].status == DD_REGRESSION)
            return DD_REGRESSION;
    for (int m = 0; m < nm; m++)
        if (e->cmp[m].status == DD_IMPROVEMENT)
            return DD_IMPROVEMENT;
    return e->cmp[s->by_line ? DD_SELF : DD_CUM].status;
}

size_t dd_regressions(const struct dd_set *s, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < s->data[k].n; i++)
        n += dd_row_status(s, &s->data[k].e[i]) == DD_REGRESSION;
    return n;
}
