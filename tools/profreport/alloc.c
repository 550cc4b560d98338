/* SPDX-License-Identifier: MIT */
/* profreport allocation views: allocated bytes/objects tables, leaks, heap growth and peak. */
#include "alloc.h"

#include "aggregate.h"
#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Frames shown per stack in the leak and growth tables, leaf first; deeper callers become "...". */
#define ALLOC_SHOW_FRAMES 8
/* Points of a heap series used for the trend (evenly spaced snapshots): bounds the O(n^2) test. */
#define ALLOC_SERIES_MAX 64

int alloc_present(const struct prof_profile *p)
{
    if (p->nsnapshots)
        return 1;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind == PROF_KIND_ALLOC)
            return 1;
    return 0;
}

int alloc_has_timer_samples(const struct prof_profile *p)
{
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind != PROF_KIND_ALLOC)
            return 1;
    return 0;
}

/* ---- What an allocation sample counts for (agg_options.value) ---- */

/* Estimated objects a sample stands for: weight / size = 1 / P(sampled), at least 1. */
static uint64_t alloc_objects(const struct prof_sample *s)
{
    if (!s->size || !s->weight)
        return 0;
    uint64_t n = (s->weight + s->size / 2) / s->size;
    return n ? n : 1;
}

static int alloc_is_live(const struct prof_sample *s)
{
    return s->free_ns == UINT64_MAX;
}

static uint64_t v_bytes(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    (void)arg;
    return s->kind == PROF_KIND_ALLOC ? s->weight : 0;
}

static uint64_t v_objects(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    (void)arg;
    return s->kind == PROF_KIND_ALLOC ? alloc_objects(s) : 0;
}

static uint64_t v_live_bytes(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    return alloc_is_live(s) ? v_bytes(p, s, arg) : 0;
}

static uint64_t v_live_objects(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    return alloc_is_live(s) ? v_objects(p, s, arg) : 0;
}

typedef uint64_t (*alloc_value_fn)(const struct prof_profile *, const struct prof_sample *, void *);

static int alloc_agg(const struct prof_profile *p, const struct alloc_options *o, alloc_value_fn v,
                     int folded, struct agg **out, char *errbuf, size_t errlen)
{
    struct agg_options ao = {.thread = o->thread, .sym_flags = o->sym_flags, .folded = folded,
                             .value = v, .from_ns = o->from_ns, .to_ns = o->to_ns};
    return agg_build(p, &ao, out, errbuf, errlen);
}

/* ---- Joining two aggregations of the same samples by row name ----
 * Bytes and objects come from two agg_build calls (one measure each); their symbolizers give the
 * same names, so rows are matched by a key string (function + location, line + function, or the
 * folded stack). */

struct alloc_kv {
    char *key;
    uint64_t value;
};

struct alloc_join {
    struct alloc_kv *kv;
    size_t n;
};

static int alloc_kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct alloc_kv *)a)->key, ((const struct alloc_kv *)b)->key);
}

static char *alloc_key(const char *a, const char *b, int flag)
{
    size_t n = strlen(a) + strlen(b) + 4;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s\t%s\t%d", a, b, flag);
    return k;
}

static char *alloc_func_key(const struct agg *a, uint32_t id)
{
    const struct sym_func *f = sym_func_get(a->sym, id);
    return alloc_key(f->name, f->location, f->is_inline);
}

static char *alloc_line_key(const struct agg *a, uint32_t id)
{
    const struct sym_func *f = sym_func_get(a->sym, sym_line_func(a->sym, id));
    return alloc_key(sym_line_label(a->sym, id), f->name, f->is_inline);
}

static void alloc_join_free(struct alloc_join *j)
{
    for (size_t i = 0; i < j->n; i++)
        free(j->kv[i].key);
    free(j->kv);
    memset(j, 0, sizeof(*j));
}

/* Builds a sorted key -> value table from rows of `a` (lines: line ids, else function ids), or
 * from its folded stacks when rows is NULL. */
static int alloc_join_build(struct alloc_join *j, const struct agg *a, const struct agg_row *rows,
                            size_t n, int lines)
{
    size_t count = rows ? n : a->nfolded;
    j->kv = calloc(count ? count : 1, sizeof(*j->kv));
    if (!j->kv)
        return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        struct alloc_kv *e = &j->kv[j->n];
        if (!rows) {
            e->key = strdup(a->folded[i].stack);
            e->value = a->folded[i].weight;
        } else {
            e->key = lines ? alloc_line_key(a, rows[i].id) : alloc_func_key(a, rows[i].id);
            e->value = rows[i].weight;
        }
        if (!e->key)
            return -ENOMEM;
        j->n++;
    }
    qsort(j->kv, j->n, sizeof(*j->kv), alloc_kv_cmp);
    return 0;
}

static uint64_t alloc_join_get(const struct alloc_join *j, char *key)
{
    struct alloc_kv k = {key, 0};
    const struct alloc_kv *e = j->n ? bsearch(&k, j->kv, j->n, sizeof(*j->kv), alloc_kv_cmp) : NULL;
    return e ? e->value : 0;
}

/* ---- Text output ---- */

static double alloc_pct(uint64_t w, uint64_t total)
{
    return total ? 100.0 * (double)w / (double)total : 0.0;
}

static size_t alloc_rows_shown(size_t n, size_t top)
{
    return top && n > top ? top : n;
}

/* Function (lines = 0) or line table of `bytes`, with the objects of the same rows from `objs`. */
static int alloc_table(FILE *out, const char *title, const struct agg *bytes, const struct agg *objs,
                       const struct agg_row *brows, size_t nb, const struct agg_row *orows, size_t no,
                       int lines, size_t top)
{
    struct alloc_join j = {0};
    if (alloc_join_build(&j, objs, orows, no, lines) < 0) {
        alloc_join_free(&j);
        return -ENOMEM;
    }
    size_t n = alloc_rows_shown(nb, top);
    int w = 20;
    for (size_t i = 0; i < n; i++) {
        const struct sym_func *f = sym_func_get(bytes->sym, lines ? sym_line_func(bytes->sym, brows[i].id)
                                                                  : brows[i].id);
        size_t len = strlen(lines ? sym_line_label(bytes->sym, brows[i].id) : f->name) +
                     (f->is_inline ? strlen(" [inline]") : 0);
        if ((int)len > w)
            w = len > 80 ? 80 : (int)len;
    }
    fprintf(out, "\n%s\n", title);
    fprintf(out, "%15s  %7s  %12s  %-*s  %s\n", "bytes", "percent", "objects", w,
            lines ? "line" : "function", lines ? "function" : "location");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        uint32_t fid = lines ? sym_line_func(bytes->sym, brows[i].id) : brows[i].id;
        const struct sym_func *f = sym_func_get(bytes->sym, fid);
        char *key = lines ? alloc_line_key(bytes, brows[i].id) : alloc_func_key(bytes, brows[i].id);
        if (!key) {
            rc = -ENOMEM;
            break;
        }
        uint64_t objects = alloc_join_get(&j, key);
        free(key);
        char name[1024];
        snprintf(name, sizeof(name), "%s%s", f->name, f->is_inline ? " [inline]" : "");
        fprintf(out, "%15" PRIu64 "  %6.2f%%  %12" PRIu64 "  %-*s  %s\n", brows[i].weight,
                alloc_pct(brows[i].weight, bytes->total), objects, w,
                lines ? sym_line_label(bytes->sym, brows[i].id) : name,
                lines ? name : f->location);
    }
    alloc_join_free(&j);
    return rc;
}

/* "root;a;leaf" -> "leaf <- a <- root", at most ALLOC_SHOW_FRAMES frames. */
static void alloc_stack_label(const char *folded, char *out, size_t outlen)
{
    const char *frames[ALLOC_SHOW_FRAMES + 1];
    size_t lens[ALLOC_SHOW_FRAMES + 1], n = 0;
    const char *end = folded + strlen(folded);
    /* Walk from the leaf (the end of the string) towards the root. */
    while (end > folded && n <= ALLOC_SHOW_FRAMES) {
        const char *start = end;
        while (start > folded && start[-1] != ';')
            start--;
        frames[n] = start;
        lens[n++] = (size_t)(end - start);
        end = start > folded ? start - 1 : folded;
    }
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < outlen; i++) {
        int k;
        if (i == ALLOC_SHOW_FRAMES)
            k = snprintf(out + used, outlen - used, " <- ...");
        else
            k = snprintf(out + used, outlen - used, "%s%.*s", i ? " <- " : "", (int)lens[i], frames[i]);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

struct alloc_stackrow {
    const char *stack; /* folded */
    uint64_t bytes, objects;
};

static int alloc_stackrow_cmp(const void *pa, const void *pb)
{
    const struct alloc_stackrow *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes > b->bytes ? -1 : 1;
    return strcmp(a->stack, b->stack);
}

static int alloc_leak_table(FILE *out, const struct agg *bytes, const struct agg *objs,
                            const char *title, size_t top)
{
    struct alloc_join j = {0};
    struct alloc_stackrow *rows = calloc(bytes->nfolded ? bytes->nfolded : 1, sizeof(*rows));
    if (!rows || alloc_join_build(&j, objs, NULL, 0, 0) < 0) {
        free(rows);
        alloc_join_free(&j);
        return -ENOMEM;
    }
    for (size_t i = 0; i < bytes->nfolded; i++) {
        rows[i].stack = bytes->folded[i].stack;
        rows[i].bytes = bytes->folded[i].weight;
        rows[i].objects = alloc_join_get(&j, (char *)bytes->folded[i].stack);
    }
    qsort(rows, bytes->nfolded, sizeof(*rows), alloc_stackrow_cmp);
    fprintf(out, "\n%s\n", title);
    fprintf(out, "%15s  %7s  %12s  %s\n", "bytes", "percent", "objects",
            "stack (allocating function first)");
    size_t n = alloc_rows_shown(bytes->nfolded, top);
    for (size_t i = 0; i < n; i++) {
        char label[2048];
        alloc_stack_label(rows[i].stack, label, sizeof(label));
        fprintf(out, "%15" PRIu64 "  %6.2f%%  %12" PRIu64 "  %s\n", rows[i].bytes,
                alloc_pct(rows[i].bytes, bytes->total), rows[i].objects, label);
    }
    if (bytes->nfolded == 0)
        fprintf(out, "  (nothing)\n");
    free(rows);
    alloc_join_free(&j);
    return 0;
}

/* ---- Growth across heap snapshots ---- */

struct alloc_series {
    uint32_t process, stack;
    double *bytes, *objects; /* one value per chosen snapshot of the process */
};

struct alloc_growth {
    uint32_t process, stack;
    double bytes_per_s, objects_per_s, tau;
    uint64_t last_bytes;
    size_t npoints;
};

static int alloc_growth_cmp(const void *pa, const void *pb)
{
    const struct alloc_growth *a = pa, *b = pb;
    if (a->bytes_per_s != b->bytes_per_s)
        return a->bytes_per_s > b->bytes_per_s ? -1 : 1;
    return a->stack < b->stack ? -1 : a->stack > b->stack;
}

/* Least-squares slope of y over t (seconds). */
static double alloc_slope(const double *t, const double *y, size_t n)
{
    double mt = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mt += t[i];
        my += y[i];
    }
    mt /= (double)n;
    my /= (double)n;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += (t[i] - mt) * (y[i] - my);
        den += (t[i] - mt) * (t[i] - mt);
    }
    return den > 0 ? num / den : 0;
}

/* Mann-Kendall tau: (rising pairs - falling pairs) / all pairs, in [-1, 1]. Plateaus count as
 * neither, so a series that stops growing half way scores about 0.5. */
static double alloc_tau(const double *y, size_t n)
{
    long s = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++)
            s += (y[k] > y[i]) - (y[k] < y[i]);
    return n > 1 ? (double)s / ((double)n * (double)(n - 1) / 2) : 0;
}

/* Finds growing stacks of one process; appends them to *out. `idx` are the snapshot indices used. */
static int alloc_growth_process(const struct prof_profile *p, const size_t *idx, size_t n,
                                struct alloc_growth **out, size_t *nout, size_t *capout)
{
    /* Series per stack present in any chosen snapshot; stack index -> series slot via a table. */
    uint32_t *slot = malloc(p->nstacks * sizeof(*slot) + 1);
    double *t = malloc(n * sizeof(*t));
    struct alloc_series *ser = NULL;
    size_t nser = 0, capser = 0;
    int rc = -ENOMEM;
    if (!slot || !t)
        goto out;
    for (size_t i = 0; i < p->nstacks; i++)
        slot[i] = UINT32_MAX;
    for (size_t k = 0; k < n; k++) {
        const struct prof_heap_snapshot *s = &p->snapshots[idx[k]];
        t[k] = (double)s->time_ns / 1e9;
        for (size_t e = 0; e < s->n; e++) {
            uint32_t st = s->entries[e].stack;
            if (slot[st] == UINT32_MAX) {
                if (nser == capser) {
                    size_t c = capser ? capser * 2 : 64;
                    struct alloc_series *ns = realloc(ser, c * sizeof(*ns));
                    if (!ns)
                        goto out;
                    ser = ns;
                    capser = c;
                }
                struct alloc_series *x = &ser[nser];
                x->process = s->process;
                x->stack = st;
                x->bytes = calloc(n, sizeof(double));
                x->objects = calloc(n, sizeof(double));
                if (!x->bytes || !x->objects) {
                    free(x->bytes);
                    free(x->objects);
                    goto out;
                }
                slot[st] = (uint32_t)nser++;
            }
            ser[slot[st]].bytes[k] += (double)s->entries[e].bytes;
            ser[slot[st]].objects[k] += (double)s->entries[e].objects;
        }
    }
    for (size_t i = 0; i < nser; i++) {
        const struct alloc_series *x = &ser[i];
        double tau = alloc_tau(x->bytes, n);
        double slope = alloc_slope(t, x->bytes, n);
        if (tau < ALLOC_GROWTH_MIN_TAU || slope <= 0 || x->bytes[n - 1] <= x->bytes[0])
            continue;
        if (*nout == *capout) {
            size_t c = *capout ? *capout * 2 : 16;
            struct alloc_growth *ng = realloc(*out, c * sizeof(*ng));
            if (!ng)
                goto out;
            *out = ng;
            *capout = c;
        }
        (*out)[(*nout)++] = (struct alloc_growth){x->process, x->stack, slope,
                                                  alloc_slope(t, x->objects, n), tau,
                                                  (uint64_t)x->bytes[n - 1], n};
    }
    rc = 0;
out:
    for (size_t i = 0; i < nser; i++) {
        free(ser[i].bytes);
        free(ser[i].objects);
    }
    free(ser);
    free(slot);
    free(t);
    return rc;
}

/* Label "leaf <- caller <- ..." of one raw stack, symbolized with `sym`, frame names as in folded
 * stacks (agg_folded_name), at most ALLOC_SHOW_FRAMES frames like the leak table. */
static int alloc_symbolize_stack(const struct prof_profile *p, struct sym_ctx *sym, int *symmod,
                                 uint32_t process, uint32_t stack, uint64_t time_ns, char *out,
                                 size_t outlen)
{
    const struct prof_stack *st = &p->stacks[stack];
    size_t used = 0, shown = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < st->nframes; i++) {
        uint64_t look = i > 0 && st->frames[i] ? st->frames[i] - 1 : st->frames[i];
        const struct prof_module *m = prof_profile_find_module(p, process, look, time_ns);
        const struct sym_result *r;
        if (!m) {
            r = sym_unknown(sym);
        } else {
            size_t mi = (size_t)(m - p->modules);
            if (symmod[mi] < 0)
                symmod[mi] = sym_module(sym, m->path, m->build_id, m->build_id_len);
            if (symmod[mi] < 0)
                return -ENOMEM;
            r = sym_lookup(sym, symmod[mi], look - m->bias);
        }
        if (!r)
            return -ENOMEM;
        for (uint32_t k = 0; k < r->nframes; k++) {
            char name[1024];
            if (shown == ALLOC_SHOW_FRAMES) {
                snprintf(out + used, outlen - used, " <- ...");
                return 0;
            }
            agg_folded_name(sym_func_get(sym, r->frames[k].func), name, sizeof(name));
            int w = snprintf(out + used, outlen - used, "%s%s", shown ? " <- " : "", name);
            if (w < 0 || (size_t)w >= outlen - used)
                return 0; /* label full */
            used += (size_t)w;
            shown++;
        }
    }
    if (!shown)
        snprintf(out, outlen, "[unknown]");
    return 0;
}

static int alloc_growth_table(FILE *out, const struct prof_profile *p, const struct alloc_options *o)
{
    struct alloc_growth *g = NULL;
    size_t ng = 0, capg = 0;
    size_t *idx = malloc((p->nsnapshots ? p->nsnapshots : 1) * sizeof(*idx));
    size_t *all = malloc((p->nsnapshots ? p->nsnapshots : 1) * sizeof(*all));
    int *symmod = malloc((p->nmodules ? p->nmodules : 1) * sizeof(*symmod));
    struct sym_ctx *sym = sym_new(o->sym_flags);
    int rc = -ENOMEM;
    if (!idx || !all || !symmod || !sym)
        goto out;
    size_t longest = 0;
    for (uint32_t proc = 0; proc < p->nprocesses; proc++) {
        size_t n = 0;
        for (size_t i = 0; i < p->nsnapshots; i++)
            if (p->snapshots[i].process == proc)
                all[n++] = i;
        if (n > longest)
            longest = n;
        if (n < ALLOC_GROWTH_MIN_SNAPSHOTS)
            continue;
        /* Evenly spaced points, always including the first and the last snapshot. */
        size_t m = n < ALLOC_SERIES_MAX ? n : ALLOC_SERIES_MAX;
        for (size_t k = 0; k < m; k++)
            idx[k] = all[k * (n - 1) / (m - 1)];
        if (alloc_growth_process(p, idx, m, &g, &ng, &capg) < 0)
            goto out;
    }
    qsort(g, ng, sizeof(*g), alloc_growth_cmp);
    for (size_t i = 0; i < p->nmodules; i++)
        symmod[i] = -1;
    fprintf(out, "\nGrowing stacks (live bytes rising across heap snapshots)\n");
    fprintf(out, "%15s  %12s  %15s  %9s  %s\n", "bytes/s", "objects/s", "live bytes", "snapshots",
            "stack (allocating function first)");
    size_t n = alloc_rows_shown(ng, o->top);
    for (size_t i = 0; i < n; i++) {
        char label[2048];
        uint64_t t = 0; /* the stack's modules: as of its last snapshot in its process */
        for (size_t s = 0; s < p->nsnapshots; s++)
            if (p->snapshots[s].process == g[i].process)
                t = p->snapshots[s].time_ns;
        if (alloc_symbolize_stack(p, sym, symmod, g[i].process, g[i].stack, t, label,
                                  sizeof(label)) < 0)
            goto out;
        fprintf(out, "%15.0f  %12.1f  %15" PRIu64 "  %9zu  %s\n", g[i].bytes_per_s,
                g[i].objects_per_s, g[i].last_bytes, g[i].npoints, label);
    }
    if (ng == 0)
        fprintf(out, "  (none: %zu snapshots%s)\n", longest,
                longest < ALLOC_GROWTH_MIN_SNAPSHOTS ? ", too few to judge a trend" : "");
    rc = 0; /* symbolizer warnings: the allocation tables' symbolizer prints the same ones */
out:
    sym_free(sym);
    free(symmod);
    free(idx);
    free(all);
    free(g);
    return rc;
}

/* ---- Summary ---- */

struct alloc_event {
    uint64_t time_ns;
    int64_t delta;
};

static int alloc_event_cmp(const void *pa, const void *pb)
{
    const struct alloc_event *a = pa, *b = pb;
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns ? -1 : 1;
    return (a->delta > b->delta) - (a->delta < b->delta); /* frees first at equal times */
}

/* Peak of the estimated live heap of one process, replaying sampled allocations and frees. */
static int alloc_peak(const struct prof_profile *p, uint32_t process, uint64_t *peak,
                      uint64_t *peak_ns)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind == PROF_KIND_ALLOC && p->samples[i].process == process)
            n += alloc_is_live(&p->samples[i]) ? 1 : 2;
    struct alloc_event *ev = malloc((n ? n : 1) * sizeof(*ev));
    if (!ev)
        return -ENOMEM;
    n = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (s->kind != PROF_KIND_ALLOC || s->process != process)
            continue;
        int64_t w = s->weight > INT64_MAX ? INT64_MAX : (int64_t)s->weight;
        ev[n++] = (struct alloc_event){s->time_ns, w};
        if (!alloc_is_live(s))
            ev[n++] = (struct alloc_event){s->free_ns < s->time_ns ? s->time_ns : s->free_ns, -w};
    }
    qsort(ev, n, sizeof(*ev), alloc_event_cmp);
    int64_t cur = 0, best = 0;
    *peak_ns = 0;
    for (size_t i = 0; i < n; i++) {
        cur += ev[i].delta;
        if (cur > best) {
            best = cur;
            *peak_ns = ev[i].time_ns;
        }
    }
    *peak = (uint64_t)best;
    free(ev);
    return 0;
}

static int alloc_summary(FILE *out, const struct prof_profile *p, const struct alloc_options *o,
                         const struct agg *bytes, const struct agg *objs, const struct agg *live,
                         const struct agg *live_objs)
{
    uint64_t nalloc = 0, nfreed = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        if (p->samples[i].kind == PROF_KIND_ALLOC) {
            nalloc++;
            nfreed += !alloc_is_live(&p->samples[i]);
        }
    }
    int clean = 1;
    fprintf(out, "\nAllocations\n");
    for (size_t i = 0; i < p->nprocesses; i++) {
        const struct prof_process *pr = &p->processes[i];
        clean &= pr->ended_cleanly;
        if (pr->modes & FMT_MODE_ALLOC)
            fprintf(out, "Sampling: one sample per %" PRIu64 " allocated bytes on average (pid %" PRIu64
                         ")\n",
                    pr->alloc_rate, pr->pid);
    }
    fprintf(out,
            "Sampled: %" PRIu64 " allocations in file, %" PRIu64 " of them freed; %" PRIu64
            " events lost, %" PRIu64 " frees without their allocation\n",
            nalloc, nfreed, prof_profile_counter(p, FMT_CTR_ALLOC_LOST),
            prof_profile_counter(p, FMT_CTR_FREES_UNMATCHED));
    if (o->thread)
        fprintf(out, "Thread filter: %s (allocation tables; growth and peak are per process)\n",
                o->thread);
    fprintf(out, "Allocated (estimated): %" PRIu64 " bytes in %" PRIu64 " objects\n", bytes->total,
            objs->total);
    fprintf(out, "Live at %s (estimated): %" PRIu64 " bytes in %" PRIu64 " objects\n",
            clean ? "exit" : "the end of the profile (run did not end cleanly)", live->total,
            live_objs->total);
    for (uint32_t i = 0; i < p->nprocesses; i++) {
        uint64_t peak, peak_ns;
        if (alloc_peak(p, i, &peak, &peak_ns) < 0)
            return -ENOMEM;
        fprintf(out, "Peak heap (estimated): %" PRIu64 " bytes at %.3f s (pid %" PRIu64 ")\n", peak,
                (double)peak_ns / 1e9, p->processes[i].pid);
    }
    return 0;
}

int alloc_report_text(FILE *out, const struct prof_profile *p, const struct alloc_options *o,
                      char *errbuf, size_t errlen)
{
    struct agg *bytes = NULL, *objs = NULL, *live = NULL, *live_objs = NULL;
    int rc = alloc_agg(p, o, v_bytes, 0, &bytes, errbuf, errlen);
    if (!rc)
        rc = alloc_agg(p, o, v_objects, 0, &objs, errbuf, errlen);
    if (!rc)
        rc = alloc_agg(p, o, v_live_bytes, 1, &live, errbuf, errlen);
    if (!rc)
        rc = alloc_agg(p, o, v_live_objects, 1, &live_objs, errbuf, errlen);
    if (!rc)
        rc = alloc_summary(out, p, o, bytes, objs, live, live_objs);
    if (!rc && !o->leaks_only) {
        rc = alloc_table(out, "Allocated bytes, cumulative (inclusive)", bytes, objs, bytes->cum,
                         bytes->ncum, objs->cum, objs->ncum, 0, o->top);
        if (!rc)
            rc = alloc_table(out, "Allocated bytes, self (allocating function)", bytes, objs,
                             bytes->self, bytes->nself, objs->self, objs->nself, 0, o->top);
        if (!rc)
            rc = alloc_table(out, "Allocated bytes by source line", bytes, objs, bytes->hot,
                             bytes->nhot, objs->hot, objs->nhot, 1, o->top);
    }
    if (!rc)
        rc = alloc_leak_table(out, live, live_objs, "Live at exit (leaks), by stack", o->top);
    if (!rc)
        rc = alloc_growth_table(out, p, o);
    if (!rc && bytes)
        for (size_t i = 0; i < sym_nwarnings(bytes->sym); i++)
            fprintf(stderr, "profreport: warning: %s\n", sym_warning(bytes->sym, i));
    if (rc == -ENOMEM)
        snprintf(errbuf, errlen, "out of memory");
    agg_free(bytes);
    agg_free(objs);
    agg_free(live);
    agg_free(live_objs);
    return rc;
}

int alloc_report_collapsed(FILE *out, const struct prof_profile *p, const struct alloc_options *o,
                           int leaks, char *errbuf, size_t errlen)
{
    struct agg *a = NULL;
    int rc = alloc_agg(p, o, leaks ? v_live_bytes : v_bytes, 1, &a, errbuf, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < sym_nwarnings(a->sym); i++)
        fprintf(stderr, "profreport: warning: %s\n", sym_warning(a->sym, i));
    for (size_t i = 0; i < a->nfolded; i++)
        fprintf(out, "%s %" PRIu64 "\n", a->folded[i].stack, a->folded[i].weight);
    agg_free(a);
    return 0;
}
