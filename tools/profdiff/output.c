/* SPDX-License-Identifier: MIT */
/* profdiff output: text tables (regressions, improvements, new, vanished) and JSON. */
#include "output.h"

#include "regions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------- shared ---------- */

static const struct dd_set *out_sort_set; /* qsort has no context argument */

/* Magnitude used to order rows within a status: the larger side of the judged metric. */
static double out_size(const struct dd_set *s, const struct dd_entry *e)
{
    const struct dd_cmp *c = &e->cmp[s->by_line ? DD_SELF : DD_CUM];
    return fmax(c->before, c->after);
}

static int out_row_cmp(const void *pa, const void *pb)
{
    const struct dd_entry *a = *(const struct dd_entry *const *)pa;
    const struct dd_entry *b = *(const struct dd_entry *const *)pb;
    enum dd_status sa = dd_row_status(out_sort_set, a), sb = dd_row_status(out_sort_set, b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    double za = out_size(out_sort_set, a), zb = out_size(out_sort_set, b);
    if (za != zb)
        return za > zb ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* Rows of one measure in report order (status, then size); NULL on ENOMEM. */
static const struct dd_entry **out_sorted(const struct dd_set *s, const struct dd_data *d)
{
    const struct dd_entry **v = malloc((d->n ? d->n : 1) * sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < d->n; i++)
        v[i] = &d->e[i];
    out_sort_set = s;
    qsort(v, d->n, sizeof(*v), out_row_cmp);
    return v;
}

/* ---------- text ---------- */

static void out_value(char *buf, size_t len, double v, const char *unit)
{
    if (strcmp(unit, "s") == 0)
        snprintf(buf, len, "%.3f s", v);
    else
        snprintf(buf, len, "%.0f %s", v, unit);
}

static void out_conf(char *buf, size_t len, double c)
{
    if (c > 0.9999)
        snprintf(buf, len, ">99.99%%");
    else
        snprintf(buf, len, "%.2f%%", 100.0 * c);
}

static void out_text_row(FILE *out, const struct dd_set *s, const struct dd_data *d,
                         const struct dd_entry *e, int metric, int namew)
{
    const struct dd_cmp *c = &e->cmp[metric];
    char before[32], after[32], change[32], conf[32], name[1024];
    out_value(before, sizeof(before), c->before, d->m->unit);
    out_value(after, sizeof(after), c->after, d->m->unit);
    if (c->status == DD_NEW)
        snprintf(change, sizeof(change), "new");
    else if (c->status == DD_VANISHED)
        snprintf(change, sizeof(change), "gone");
    else
        snprintf(change, sizeof(change), "%+.1f%%", c->r.change_pct);
    out_conf(conf, sizeof(conf), c->confidence);
    snprintf(name, sizeof(name), "%s%s", e->name, e->is_inline && !s->by_line ? " [inline]" : "");
    fprintf(out, "  %-6s %12s %12s %9s %10s  %6.2f%% %6.2f%%  %-*s  %s\n",
            s->by_line ? "line" : metric == DD_CUM ? "cum" : "self", before, after, change, conf,
            c->share_before, c->share_after, namew, name, e->location);
}

static void out_text_table(FILE *out, const struct dd_set *s, const struct dd_data *d,
                           const struct dd_entry **rows, enum dd_status want, const char *title,
                           size_t top)
{
    size_t n = 0, shown = 0;
    int namew = 8;
    int nm = s->by_line ? 1 : 2;
    for (size_t i = 0; i < d->n; i++) {
        if (dd_row_status(s, rows[i]) != want)
            continue;
        n++;
        int w = (int)strlen(rows[i]->name) + (rows[i]->is_inline ? 9 : 0);
        namew = w > namew ? (w > 60 ? 60 : w) : namew;
    }
    fprintf(out, "\n%s: %zu\n", title, n);
    if (n == 0)
        return;
    fprintf(out, "  %-6s %12s %12s %9s %10s  %7s %7s  %-*s  %s\n", "metric", "before", "after",
            "change", "confidence", "share-b", "share-a", namew, s->by_line ? "line" : "function",
            s->by_line ? "function" : "location");
    for (size_t i = 0; i < d->n && (!top || shown < top); i++) {
        if (dd_row_status(s, rows[i]) != want)
            continue;
        shown++;
        /* Regressions and improvements: each metric that is one; new / vanished: the row. */
        for (int m = nm - 1; m >= 0; m--) {
            enum dd_status st = rows[i]->cmp[m].status;
            if (st == want || ((want == DD_NEW || want == DD_VANISHED) && m == nm - 1))
                out_text_row(out, s, d, rows[i], m, namew);
        }
    }
    if (shown < n)
        fprintf(out, "  ... %zu more (--top 0 shows all)\n", n - shown);
}

void out_text(FILE *out, const struct dd_set *s, const struct out_options *o)
{
    const struct dd_params *pp = o->params;
    size_t nnew = s->nruns - s->nbase;
    fprintf(out, "Base: %zu run%s of %s", s->nbase, s->nbase == 1 ? "" : "s", s->runs[0].exe);
    fprintf(out, "\nNew:  %zu run%s of %s\n", nnew, nnew == 1 ? "" : "s", s->runs[s->nbase].exe);
    fprintf(out, "Rule: a change counts when it is beyond %g%% with %g%% confidence; "
                 "under %g samples per run is too few to judge; run-to-run noise at least %g%%\n",
            100.0 * pp->threshold, 100.0 * pp->confidence, pp->min_samples, 100.0 * pp->run_noise);
    double db = 0, dn = 0;
    for (size_t i = 0; i < s->nruns; i++)
        *(i < s->nbase ? &db : &dn) += s->runs[i].duration_s;
    db /= (double)s->nbase;
    dn /= (double)nnew;
    fprintf(out, "Run duration (wall clock, mean per run): %.3f s -> %.3f s (%+.1f%%)\n", db, dn,
            db > 0 ? 100.0 * (dn / db - 1.0) : 0.0);
    for (size_t k = 0; k < s->nmeasures; k++) {
        const struct dd_data *d = &s->data[k];
        const struct dd_cmp *t = &d->total;
        char before[32], after[32], conf[32];
        out_value(before, sizeof(before), t->before, d->m->unit);
        out_value(after, sizeof(after), t->after, d->m->unit);
        out_conf(conf, sizeof(conf), t->confidence);
        fprintf(out, "\n== %s: %s per run, by %s ==\n", d->m->name, d->m->title,
                s->by_line ? "source line" : "function");
        fprintf(out, "Total: %s -> %s (%+.1f%%): %s (confidence %s that it %s by more than %g%%)\n",
                before, after, t->r.change_pct,
                t->status == DD_REGRESSION    ? "regression"
                : t->status == DD_IMPROVEMENT ? "improvement"
                                              : "no significant change",
                conf, t->r.ratio >= 1.0 ? "rose" : "fell", 100.0 * pp->threshold);
        if (d->total_df)
            fprintf(out, "Run-to-run noise of the total, estimated: %.1f%% (%zu degrees of freedom)\n",
                    100.0 * sqrt(d->total_run_var), d->total_df);
        const struct dd_entry **rows = out_sorted(s, d);
        if (!rows) {
            fprintf(out, "(out of memory)\n");
            continue;
        }
        out_text_table(out, s, d, rows, DD_REGRESSION, "Regressions", o->top);
        out_text_table(out, s, d, rows, DD_IMPROVEMENT, "Improvements", o->top);
        out_text_table(out, s, d, rows, DD_NEW, "New", o->top);
        out_text_table(out, s, d, rows, DD_VANISHED, "Vanished", o->top);
        size_t unchanged = 0, few = 0;
        for (size_t i = 0; i < d->n; i++) {
            enum dd_status st = dd_row_status(s, rows[i]);
            unchanged += st == DD_UNCHANGED;
            few += st == DD_TOO_FEW;
        }
        fprintf(out, "\nUnchanged (within the threshold, or not significant): %zu; too few samples "
                     "to judge: %zu\n", unchanged, few);
        free(rows);
    }
    rd_text(out, s->regions, pp, o->top);
}

/* ---------- JSON ---------- */

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(out, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(out, "\\u%04x", *c);
        else
            fputc(*c, out);
    }
    fputc('"', out);
}

static void json_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.10g", v);
    else
        fputs("null", out);
}

void out_json_str(FILE *out, const char *s)
{
    json_str(out, s);
}

void out_json_num(FILE *out, double v)
{
    json_num(out, v);
}

static void json_cmp(FILE *out, const struct dd_cmp *c)
{
    int judged = c->status == DD_UNCHANGED || c->status == DD_REGRESSION || c->status == DD_IMPROVEMENT;
    fprintf(out, "{\"status\": ");
    json_str(out, dd_status_name(c->status));
    fprintf(out, ", \"before\": ");
    json_num(out, c->before);
    fprintf(out, ", \"after\": ");
    json_num(out, c->after);
    fprintf(out, ", \"change_pct\": ");
    json_num(out, c->before > 0 ? 100.0 * (c->after / c->before - 1.0) : NAN);
    fprintf(out, ", \"share_before_pct\": ");
    json_num(out, c->share_before);
    fprintf(out, ", \"share_after_pct\": ");
    json_num(out, c->share_after);
    fprintf(out, ", \"samples_before\": ");
    json_num(out, c->count_before);
    fprintf(out, ", \"samples_after\": ");
    json_num(out, c->count_after);
    fprintf(out, ", \"confidence\": ");
    json_num(out, judged || c->status == DD_NEW || c->status == DD_VANISHED ? c->confidence : NAN);
    fprintf(out, ", \"p_regression\": ");
    json_num(out, judged ? c->r.p_up : NAN);
    fprintf(out, ", \"p_improvement\": ");
    json_num(out, judged ? c->r.p_down : NAN);
    fprintf(out, ", \"run_noise_pct\": ");
    json_num(out, 100.0 * sqrt(c->run_var));
    fprintf(out, "}");
}

static void json_side(FILE *out, const struct dd_set *s, int new_side)
{
    size_t lo = new_side ? s->nbase : 0, hi = new_side ? s->nruns : s->nbase;
    fprintf(out, "{\"runs\": [");
    for (size_t i = lo; i < hi; i++) {
        const struct dd_run *r = &s->runs[i];
        fprintf(out, "%s\n      {\"file\": ", i > lo ? "," : "");
        json_str(out, r->file);
        fprintf(out, ", \"exe\": ");
        json_str(out, r->exe);
        fprintf(out, ", \"hz\": %llu, \"duration_s\": ", (unsigned long long)r->hz);
        json_num(out, r->duration_s);
        fprintf(out, "}");
    }
    fprintf(out, "]}");
}

void out_json(FILE *out, const struct dd_set *s, const struct out_options *o)
{
    const struct dd_params *pp = o->params;
    size_t nreg = 0;
    fprintf(out, "{\n  \"schema\": \"libprof.profdiff/1\",\n  \"by\": ");
    json_str(out, s->by_line ? "line" : "function");
    fprintf(out, ",\n  \"settings\": {\"threshold_pct\": ");
    json_num(out, 100.0 * pp->threshold);
    fprintf(out, ", \"confidence\": ");
    json_num(out, pp->confidence);
    fprintf(out, ", \"min_samples\": ");
    json_num(out, pp->min_samples);
    fprintf(out, ", \"run_noise_pct\": ");
    json_num(out, 100.0 * pp->run_noise);
    fprintf(out, "},\n  \"base\": ");
    json_side(out, s, 0);
    fprintf(out, ",\n  \"new\": ");
    json_side(out, s, 1);
    fprintf(out, ",\n  \"measures\": [");
    for (size_t k = 0; k < s->nmeasures; k++) {
        const struct dd_data *d = &s->data[k];
        size_t counts[DD_ABSENT + 1] = {0};
        const struct dd_entry **rows = out_sorted(s, d);
        for (size_t i = 0; i < d->n; i++)
            counts[dd_row_status(s, &d->e[i])]++;
        nreg += counts[DD_REGRESSION];
        fprintf(out, "%s\n    {\"name\": ", k ? "," : "");
        json_str(out, d->m->name);
        fprintf(out, ", \"title\": ");
        json_str(out, d->m->title);
        fprintf(out, ", \"unit\": ");
        json_str(out, d->m->unit);
        fprintf(out, ",\n     \"total\": ");
        json_cmp(out, &d->total);
        fprintf(out, ",\n     \"total_run_noise_estimate_pct\": ");
        json_num(out, d->total_df ? 100.0 * sqrt(d->total_run_var) : NAN);
        fprintf(out, ", \"total_run_noise_df\": %zu", d->total_df);
        fprintf(out, ",\n     \"counts\": {");
        for (int st = DD_UNCHANGED; st < DD_ABSENT; st++) {
            fprintf(out, "%s", st ? ", " : "");
            json_str(out, dd_status_name((enum dd_status)st));
            fprintf(out, ": %zu", counts[st]);
        }
        fprintf(out, "},\n     \"rows\": [");
        for (size_t i = 0; rows && i < d->n; i++) {
            const struct dd_entry *e = rows[i];
            fprintf(out, "%s\n      {\"name\": ", i ? "," : "");
            json_str(out, e->name);
            fprintf(out, s->by_line ? ", \"function\": " : ", \"location\": ");
            json_str(out, e->location);
            fprintf(out, ", \"module\": ");
            json_str(out, e->module);
            fprintf(out, ", \"inline\": %s, \"status\": ", e->is_inline ? "true" : "false");
            json_str(out, dd_status_name(dd_row_status(s, e)));
            fprintf(out, ",\n       \"self\": ");
            json_cmp(out, &e->cmp[DD_SELF]);
            fprintf(out, ",\n       \"cum\": ");
            if (s->by_line)
                fprintf(out, "null");
            else
                json_cmp(out, &e->cmp[DD_CUM]);
            fprintf(out, "}");
        }
        fprintf(out, "]}");
        free(rows);
    }
    fprintf(out, "],\n  \"regions\": ");
    rd_json(out, s->regions);
    nreg += rd_regressions(s->regions);
    fprintf(out, ",\n  \"regressions\": %zu,\n  \"exit_status\": %d\n}\n", nreg, o->exit_status);
}
