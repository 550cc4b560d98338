/* SPDX-License-Identifier: MIT */
/* profreport wall views: on-/off-CPU split tables, per-thread summary, blocking episodes. */
#include "wall.h"

#include "format.h"
#include "htab.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Name of off-CPU time without a stack: blocked in a call we do not wrap, or in a wrapped call
 * too short to be seen by a tick (docs/DESIGN.md, wall-clock mode). */
#define WALL_OFF_UNKNOWN "[off-CPU, unknown]"
/* Blocking episodes listed one by one under each stack, at most. */
#define WALL_EPISODES_LISTED 10

/* ---------- selection ---------- */

/* What the selection hook of the off-CPU aggregation saw: every sample that passed the thread
 * filter (so the thread summary and the episodes use exactly the tables' selection). */
struct wall_sel {
    uint8_t *selected;    /* per sample of the profile */
    uint64_t unknown_off; /* weight of selected off-CPU samples without frames */
};

static int wall_is_off(const struct prof_sample *s)
{
    return s->kind == FMT_KIND_WALL_OFF;
}

/* On-CPU aggregation (kinds CPU, WALL_ON, WALL_RUNNABLE); also notes the selection. */
static uint64_t wall_value_on(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    struct wall_sel *sel = arg;
    if (s->kind > FMT_KIND_WALL_RUNNABLE)
        return 0; /* not a timer sample (allocation samples weigh bytes) */
    sel->selected[s - p->samples] = 1;
    return wall_is_off(s) ? 0 : s->weight;
}

static uint64_t wall_value_off(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    struct wall_sel *sel = arg;
    if (!wall_is_off(s))
        return 0;
    if (p->stacks[s->stack].nframes == 0)
        sel->unknown_off += s->weight;
    return s->weight;
}

static double wall_pct(uint64_t w, uint64_t total)
{
    return total ? 100.0 * (double)w / (double)total : 0.0;
}

static uint64_t wall_hz(const struct prof_profile *p, uint32_t process)
{
    uint64_t hz = p->processes[process].hz;
    return hz ? hz : 100;
}

int wall_profile(const struct prof_profile *p)
{
    for (size_t i = 0; i < p->nprocesses; i++)
        if (p->processes[i].modes & FMT_MODE_WALL)
            return 1;
    return 0;
}

/* ---------- split tables ---------- */

/* Rows of two aggregations (two symbolizer contexts) are the same row when their function name,
 * location and inline flag (or line label and function) are equal: the symbolizer's own rule. */
struct wall_map {
    struct strtab keys;
    uint64_t *weight; /* by key id; ids past nknown were only looked up */
    size_t nknown;
};

static void wall_func_key(const struct sym_ctx *sym, uint32_t id, char *buf, size_t len)
{
    const struct sym_func *f = sym_func_get(sym, id);
    snprintf(buf, len, "%s\x1f%s\x1f%d", f->name, f->location, f->is_inline);
}

static void wall_line_key(const struct sym_ctx *sym, uint32_t id, char *buf, size_t len)
{
    char fk[2048];
    wall_func_key(sym, sym_line_func(sym, id), fk, sizeof(fk));
    snprintf(buf, len, "%s\x1f%s", sym_line_label(sym, id), fk);
}

typedef void (*wall_key_fn)(const struct sym_ctx *, uint32_t, char *, size_t);

static int wall_map_build(struct wall_map *m, const struct agg *off, const struct agg_row *rows,
                          size_t n, wall_key_fn key)
{
    strtab_init(&m->keys);
    m->nknown = 0;
    m->weight = calloc(n ? n : 1, sizeof(uint64_t));
    if (!m->weight)
        return -ENOMEM;
    char buf[4096];
    for (size_t i = 0; i < n; i++) {
        key(off->sym, rows[i].id, buf, sizeof(buf));
        long id = strtab_intern(&m->keys, buf, strlen(buf));
        if (id < 0)
            return -ENOMEM;
        m->weight[id] += rows[i].weight;
    }
    m->nknown = m->keys.count;
    return 0;
}

static void wall_map_free(struct wall_map *m)
{
    strtab_free(&m->keys);
    free(m->weight);
}

struct wall_row {
    char *name, *location;
    uint64_t total, off;
};

static int wall_row_cmp(const void *pa, const void *pb)
{
    const struct wall_row *a = pa, *b = pb;
    if (a->total != b->total)
        return a->total > b->total ? -1 : 1;
    return strcmp(a->name, b->name);
}

static void wall_rows_free(struct wall_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].name);
        free(rows[i].location);
    }
    free(rows);
}

/* Adds the row of function (or line) `id` of `sym` with its on- and off-CPU weights. The off-CPU
 * samples without frames are counted in the [unknown] row by the aggregation: they become their
 * own row, WALL_OFF_UNKNOWN (*unknown_off is what is left of them to take out). */
static int wall_add_row(struct wall_row *wr, size_t *k, const struct sym_ctx *sym, uint32_t id,
                        int lines, uint64_t on, uint64_t off, uint64_t *unknown_off)
{
    uint32_t func = lines ? sym_line_func(sym, id) : id;
    const struct sym_func *f = sym_func_get(sym, func);
    if (func == sym_unknown((struct sym_ctx *)sym)->frames[0].func && *unknown_off) {
        uint64_t u = *unknown_off < off ? *unknown_off : off;
        *unknown_off -= u;
        off -= u;
        wr[*k] = (struct wall_row){strdup(WALL_OFF_UNKNOWN), strdup(""), u, u};
        if (!wr[(*k)++].name || !wr[*k - 1].location)
            return -ENOMEM;
        if (on + off == 0)
            return 0;
    }
    char name[1024], loc[1024];
    if (lines)
        snprintf(name, sizeof(name), "%s", sym_line_label(sym, id));
    else
        snprintf(name, sizeof(name), "%s%s", f->name, f->is_inline ? " [inline]" : "");
    /* The hotspot table's last column is the function, inline frames marked (report.c). */
    snprintf(loc, sizeof(loc), "%s%s", lines ? f->name : f->location,
             lines && f->is_inline ? " [inline]" : "");
    wr[*k] = (struct wall_row){strdup(name), strdup(loc), on + off, off};
    if (!wr[(*k)++].name || !wr[*k - 1].location)
        return -ENOMEM;
    return 0;
}

/* One table: rows of the on-CPU aggregation and of the off-CPU one, merged by name. */
static int wall_table(FILE *out, const char *title, const char *what, const struct agg *on,
                      const struct agg *off, const struct agg_row *on_rows, size_t non,
                      const struct agg_row *off_rows, size_t noff, int lines,
                      uint64_t unknown_off, size_t top)
{
    wall_key_fn keyfn = lines ? wall_line_key : wall_func_key;
    struct wall_map m;
    int rc = wall_map_build(&m, off, off_rows, noff, keyfn);
    struct wall_row *wr = rc ? NULL : calloc(non + noff + 2, sizeof(*wr));
    uint8_t *used = rc ? NULL : calloc(noff + 1, 1);
    size_t k = 0;
    uint64_t total = on->total + off->total;
    char key[4096];
    if (!wr || !used)
        goto nomem;
    for (size_t i = 0; i < non; i++) {
        keyfn(on->sym, on_rows[i].id, key, sizeof(key));
        long id = strtab_intern(&m.keys, key, strlen(key));
        uint64_t o = 0;
        if (id >= 0 && (size_t)id < m.nknown) {
            o = m.weight[id];
            used[id] = 1;
        }
        if (wall_add_row(wr, &k, on->sym, on_rows[i].id, lines, on_rows[i].weight, o, &unknown_off))
            goto nomem;
    }
    for (size_t i = 0; i < noff; i++) {
        keyfn(off->sym, off_rows[i].id, key, sizeof(key));
        long id = strtab_intern(&m.keys, key, strlen(key));
        if (id >= 0 && (size_t)id < m.nknown && used[id])
            continue;
        if (wall_add_row(wr, &k, off->sym, off_rows[i].id, lines, 0, off_rows[i].weight,
                         &unknown_off))
            goto nomem;
    }
    qsort(wr, k, sizeof(*wr), wall_row_cmp);
    size_t shown = top && k > top ? top : k;
    int w = 20;
    for (size_t i = 0; i < shown; i++) {
        int len = (int)strlen(wr[i].name);
        if (len > w)
            w = len > 80 ? 80 : len;
    }
    fprintf(out, "\n%s\n", title);
    fprintf(out, "%7s  %7s  %7s  %7s  %-*s  %s\n", "count", "percent", "on-CPU", "off-CPU", w, what,
            lines ? "function" : "location");
    for (size_t i = 0; i < shown; i++)
        fprintf(out, "%7" PRIu64 "  %6.2f%%  %6.2f%%  %6.2f%%  %-*s  %s\n", wr[i].total,
                wall_pct(wr[i].total, total), wall_pct(wr[i].total - wr[i].off, total),
                wall_pct(wr[i].off, total), w, wr[i].name, wr[i].location);
    rc = 0;
    goto out;
nomem:
    rc = -ENOMEM;
out:
    wall_rows_free(wr, k);
    free(used);
    wall_map_free(&m);
    return rc;
}

/* ---------- per-thread summary ---------- */

struct wall_thread {
    uint32_t process, tid;
    const char *name;
    uint64_t on, runnable, off; /* weights: on CPU (kinds 0, 1), waiting for a CPU, off CPU */
    double seconds;
};

static int wall_thread_cmp(const void *pa, const void *pb)
{
    const struct wall_thread *a = pa, *b = pb;
    uint64_t ta = a->on + a->runnable + a->off, tb = b->on + b->runnable + b->off;
    if (ta != tb)
        return ta > tb ? -1 : 1;
    if (a->process != b->process)
        return a->process < b->process ? -1 : 1;
    return a->tid < b->tid ? -1 : a->tid > b->tid;
}

static uint64_t wall_tkey(uint32_t process, uint32_t tid)
{
    return ((uint64_t)process << 32 | tid) + 1;
}

static const char *wall_thread_name(const struct prof_profile *p, const struct htab *names,
                                    uint32_t process, uint32_t tid)
{
    const uint64_t *i = htab_find(names, wall_tkey(process, tid));
    const char *n = i ? p->threads[*i].name : NULL;
    return n && *n ? n : "?";
}

static int wall_threads(FILE *out, const struct prof_profile *p, const struct wall_sel *sel,
                        const struct htab *names, size_t top)
{
    struct htab idx;
    htab_init(&idx);
    struct wall_thread *t = NULL;
    size_t n = 0, cap = 0;
    int rc = -ENOMEM;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (!sel->selected[i])
            continue;
        int inserted = 0;
        uint64_t *slot = htab_upsert(&idx, wall_tkey(s->process, s->tid), n, &inserted);
        if (!slot)
            goto out;
        if (inserted) {
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct wall_thread *nt = realloc(t, ncap * sizeof(*nt));
                if (!nt)
                    goto out;
                t = nt;
                cap = ncap;
            }
            t[n++] = (struct wall_thread){s->process, s->tid,
                                          wall_thread_name(p, names, s->process, s->tid), 0, 0, 0, 0};
        }
        struct wall_thread *th = &t[*slot];
        if (s->kind == FMT_KIND_WALL_OFF)
            th->off += s->weight;
        else if (s->kind == FMT_KIND_WALL_RUNNABLE)
            th->runnable += s->weight;
        else
            th->on += s->weight;
        th->seconds += (double)s->weight / (double)wall_hz(p, s->process);
    }
    if (n)
        qsort(t, n, sizeof(*t), wall_thread_cmp);
    size_t shown = top && n > top ? top : n;
    fprintf(out, "\nThreads (wall time; on-CPU includes waiting for a CPU)\n");
    fprintf(out, "%8s  %-16s  %8s  %8s  %7s  %8s  %7s\n", "tid", "name", "samples", "seconds",
            "on-CPU", "waiting", "off-CPU");
    for (size_t i = 0; i < shown; i++) {
        uint64_t tot = t[i].on + t[i].runnable + t[i].off;
        fprintf(out, "%8" PRIu32 "  %-16s  %8" PRIu64 "  %8.3f  %6.2f%%  %7.2f%%  %6.2f%%\n",
                t[i].tid, t[i].name, tot, t[i].seconds, wall_pct(t[i].on + t[i].runnable, tot),
                wall_pct(t[i].runnable, tot), wall_pct(t[i].off, tot));
    }
    if (shown < n)
        fprintf(out, "(%zu more threads; --top 0 shows all)\n", n - shown);
    rc = 0;
out:
    free(t);
    htab_free(&idx);
    return rc;
}

/* ---------- blocking episodes ---------- */

struct wall_episode {
    uint32_t process, tid, stack;
    uint64_t start_ns, ns; /* start (approximate: first sample minus its periods), duration */
    uint64_t time_ns;      /* a sample time of the episode: picks the module set */
};

struct wall_group {
    uint32_t process, stack;
    uint64_t count, total_ns, min_ns, max_ns;
    size_t first;          /* index of its first episode in the episode array (sorted by group) */
};

static const struct prof_profile *wall_sort_p; /* qsort has no context argument */

static int wall_sample_cmp(const void *pa, const void *pb)
{
    const struct prof_sample *a = &wall_sort_p->samples[*(const size_t *)pa];
    const struct prof_sample *b = &wall_sort_p->samples[*(const size_t *)pb];
    if (a->process != b->process)
        return a->process < b->process ? -1 : 1;
    if (a->tid != b->tid)
        return a->tid < b->tid ? -1 : 1;
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns ? -1 : 1;
    size_t x = *(const size_t *)pa, y = *(const size_t *)pb;
    return x < y ? -1 : x > y;
}

static int wall_episode_cmp(const void *pa, const void *pb)
{
    const struct wall_episode *a = pa, *b = pb;
    if (a->process != b->process)
        return a->process < b->process ? -1 : 1;
    if (a->stack != b->stack)
        return a->stack < b->stack ? -1 : 1;
    return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

static int wall_group_cmp(const void *pa, const void *pb)
{
    const struct wall_group *a = pa, *b = pb;
    if (a->total_ns != b->total_ns)
        return a->total_ns > b->total_ns ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

/* Runs of consecutive off-CPU samples of one thread with the same stack, in time order: any other
 * sample of that thread (on CPU, waiting for a CPU, off CPU elsewhere) ends a run. */
static int wall_find_episodes(const struct prof_profile *p, const struct wall_sel *sel,
                              uint64_t min_ns, struct wall_episode **out, size_t *nout)
{
    size_t nsel = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        nsel += sel->selected[i];
    size_t *order = malloc((nsel ? nsel : 1) * sizeof(*order));
    if (!order)
        return -ENOMEM;
    nsel = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (sel->selected[i])
            order[nsel++] = i;
    wall_sort_p = p;
    qsort(order, nsel, sizeof(*order), wall_sample_cmp);

    struct wall_episode *ep = NULL, cur = {0};
    size_t n = 0, cap = 0;
    int active = 0;
    for (size_t k = 0; k <= nsel; k++) {
        const struct prof_sample *s = k < nsel ? &p->samples[order[k]] : NULL;
        int extend = s && active && wall_is_off(s) && s->process == cur.process &&
                     s->tid == cur.tid && s->stack == cur.stack;
        if (extend) {
            cur.ns += s->weight * 1000000000u / wall_hz(p, s->process);
            continue;
        }
        if (active && cur.ns > min_ns) {
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                struct wall_episode *ne = realloc(ep, ncap * sizeof(*ne));
                if (!ne) {
                    free(ep);
                    free(order);
                    return -ENOMEM;
                }
                ep = ne;
                cap = ncap;
            }
            ep[n++] = cur;
        }
        active = s && wall_is_off(s);
        if (active) {
            uint64_t ns = s->weight * 1000000000u / wall_hz(p, s->process);
            cur = (struct wall_episode){s->process, s->tid, s->stack,
                                        s->time_ns > ns ? s->time_ns - ns : 0, ns, s->time_ns};
        }
    }
    free(order);
    *out = ep;
    *nout = n;
    return 0;
}

/* Symbolizes frame `i` of a stack (return addresses at address - 1), as aggregate.c does. */
static const struct sym_result *wall_symbolize(struct sym_ctx *sym, const struct prof_profile *p,
                                               uint32_t process, uint64_t time_ns, uint64_t addr,
                                               int is_return)
{
    uint64_t look = is_return && addr ? addr - 1 : addr;
    const struct prof_module *pm = prof_profile_find_module(p, process, look, time_ns);
    if (!pm)
        return sym_unknown(sym);
    int h = sym_module(sym, pm->path, pm->build_id, pm->build_id_len);
    return h < 0 ? NULL : sym_lookup(sym, h, look - pm->bias);
}

/* "leaf <- caller <- ... <- root" into out; the leaf name alone into leaf. */
static int wall_stack_text(struct sym_ctx *sym, const struct prof_profile *p,
                           const struct wall_episode *e, char *out, size_t outlen, char *leaf,
                           size_t leaflen)
{
    const struct prof_stack *st = &p->stacks[e->stack];
    size_t used = 0;
    out[0] = leaf[0] = '\0';
    if (st->nframes == 0) {
        snprintf(out, outlen, "%s", WALL_OFF_UNKNOWN);
        snprintf(leaf, leaflen, "%s", WALL_OFF_UNKNOWN);
        return 0;
    }
    for (uint32_t i = 0; i < st->nframes; i++) {
        /* An off-CPU stack's frame 0 is a return address too (see wall_report_text). */
        const struct sym_result *r = wall_symbolize(sym, p, e->process, e->time_ns, st->frames[i], 1);
        if (!r)
            return -ENOMEM;
        for (uint32_t j = 0; j < r->nframes; j++) {
            const struct sym_func *f = sym_func_get(sym, r->frames[j].func);
            if (!leaf[0])
                snprintf(leaf, leaflen, "%s%s", f->name, f->is_inline ? " [inline]" : "");
            int w = snprintf(out + used, outlen - used, "%s%s%s", used ? " <- " : "", f->name,
                             f->is_inline ? " [inline]" : "");
            if (w < 0 || (size_t)w >= outlen - used) {
                used = outlen - 1;
                break;
            }
            used += (size_t)w;
        }
    }
    return 0;
}

static int wall_episodes(FILE *out, const struct prof_profile *p, const struct agg *off,
                         const struct wall_sel *sel, const struct htab *names, uint64_t block_ms,
                         size_t top)
{
    struct wall_episode *ep = NULL;
    size_t n = 0;
    int rc = wall_find_episodes(p, sel, block_ms * 1000000u, &ep, &n);
    if (rc)
        return rc;
    struct wall_group *g = calloc(n ? n : 1, sizeof(*g));
    char *stack = malloc(16384);
    if (!g || !stack) {
        rc = -ENOMEM;
        goto out;
    }
    qsort(ep, n, sizeof(*ep), wall_episode_cmp);
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ng || g[ng - 1].process != ep[i].process || g[ng - 1].stack != ep[i].stack)
            g[ng++] = (struct wall_group){ep[i].process, ep[i].stack, 0, 0, UINT64_MAX, 0, i};
        struct wall_group *gr = &g[ng - 1];
        gr->count++;
        gr->total_ns += ep[i].ns;
        gr->min_ns = ep[i].ns < gr->min_ns ? ep[i].ns : gr->min_ns;
        gr->max_ns = ep[i].ns > gr->max_ns ? ep[i].ns : gr->max_ns;
    }
    qsort(g, ng, sizeof(*g), wall_group_cmp);
    fprintf(out, "\nBlocking episodes (off-CPU runs of one thread in one stack longer than %" PRIu64
            " ms)\n", block_ms);
    fprintf(out, "%7s  %10s  %10s  %10s  %s\n", "count", "total ms", "min ms", "max ms",
            "function (the stack follows)");
    size_t shown = top && ng > top ? top : ng;
    for (size_t i = 0; i < shown; i++) {
        char leaf[1024];
        rc = wall_stack_text(off->sym, p, &ep[g[i].first], stack, 16384, leaf, sizeof(leaf));
        if (rc)
            goto out;
        fprintf(out, "%7" PRIu64 "  %10.1f  %10.1f  %10.1f  %s\n", g[i].count,
                (double)g[i].total_ns / 1e6, (double)g[i].min_ns / 1e6, (double)g[i].max_ns / 1e6,
                leaf);
        fprintf(out, "         stack: %s\n", stack);
        for (uint64_t k = 0; k < g[i].count && k < WALL_EPISODES_LISTED; k++) {
            const struct wall_episode *e = &ep[g[i].first + k];
            fprintf(out, "         at %.3f s: %.1f ms, thread %s (%" PRIu32 ")\n",
                    (double)e->start_ns / 1e9, (double)e->ns / 1e6,
                    wall_thread_name(p, names, e->process, e->tid), e->tid);
        }
        if (g[i].count > WALL_EPISODES_LISTED)
            fprintf(out, "         (%" PRIu64 " more)\n", g[i].count - WALL_EPISODES_LISTED);
    }
    if (ng == 0)
        fprintf(out, "(none)\n");
    else if (shown < ng)
        fprintf(out, "(%zu more stacks; --top 0 shows all)\n", ng - shown);
    rc = 0;
out:
    free(stack);
    free(g);
    free(ep);
    return rc;
}

/* ---------- the report ---------- */

/* One line on what wall sampling recorded: periods of 1/hz per thread, and the effective rate
 * (samples per thread-second: off-CPU samples carry several periods, so it is below hz). */
static void wall_summary(FILE *out, const struct prof_profile *p, const struct wall_sel *sel,
                         uint64_t total, uint64_t off_total)
{
    uint64_t nsel = 0, on = 0, runnable = 0;
    double thread_s = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (!sel->selected[i])
            continue;
        nsel++;
        thread_s += (double)s->weight / (double)wall_hz(p, s->process);
        if (s->kind == FMT_KIND_WALL_RUNNABLE)
            runnable += s->weight;
        else if (!wall_is_off(s))
            on += s->weight;
    }
    fprintf(out, "Wall: %.3f thread-seconds sampled (periods of 1/%" PRIu64
            " s); on CPU %.2f%% (of which waiting for a CPU %.2f%%), off CPU %.2f%% (%.2f%% "
            "%s)\n",
            thread_s, wall_hz(p, 0), wall_pct(on + runnable, total), wall_pct(runnable, total),
            wall_pct(off_total, total), wall_pct(sel->unknown_off, total), WALL_OFF_UNKNOWN);
    fprintf(out, "Wall rate: %.1f samples per thread-second recorded (requested %" PRIu64
            " periods per second per thread)\n",
            thread_s > 0 ? (double)nsel / thread_s : 0.0, wall_hz(p, 0));
}

int wall_report_text(FILE *out, const struct prof_profile *p, const struct agg *a,
                     const struct agg_options *ao, const struct report_options *ro,
                     const struct wall_options *wo, char *errbuf, size_t errlen)
{
    struct wall_sel sel = {calloc(p->nsamples ? p->nsamples : 1, 1), 0};
    struct agg_options oo = *ao;
    struct agg *on = NULL, *off = NULL;
    struct htab names;
    htab_init(&names);
    int rc = -ENOMEM;
    if (!sel.selected)
        goto out;
    oo.keep_leaves = 0;
    oo.folded = 0;
    oo.value = wall_value_on;
    oo.value_arg = &sel;
    if ((rc = agg_build(p, &oo, &on, errbuf, errlen)))
        goto out;
    /* Off-CPU separately, for the split columns. (Their frame 0 is stored inside the wrapper's
     * call instruction by the runtime, so it is looked up as it is, like any leaf.) */
    oo.value = wall_value_off;
    if ((rc = agg_build(p, &oo, &off, errbuf, errlen)))
        goto out;
    rc = -ENOMEM;
    for (size_t i = 0; i < p->nthreads; i++)
        if (!htab_upsert(&names, wall_tkey(p->threads[i].process, p->threads[i].tid), i, NULL))
            goto out;
    report_header(out, p, a, ro);
    wall_summary(out, p, &sel, on->total + off->total, off->total);
    if ((rc = wall_table(out, "Cumulative (inclusive)", "function", on, off, on->cum, on->ncum,
                         off->cum, off->ncum, 0, sel.unknown_off, ro->top)) ||
        (rc = wall_table(out, "Self (exclusive)", "function", on, off, on->self, on->nself,
                         off->self, off->nself, 0, sel.unknown_off, ro->top)) ||
        (rc = wall_table(out, "Hotspots (source lines by self time)", "line", on, off, on->hot,
                         on->nhot, off->hot, off->nhot, 1, sel.unknown_off, ro->top)) ||
        (rc = wall_threads(out, p, &sel, &names, ro->top)) ||
        (rc = wall_episodes(out, p, off, &sel, &names, wo->block_ms, ro->top)))
        goto out;
    rc = 0;
out:
    if (rc == -ENOMEM)
        snprintf(errbuf, errlen, "out of memory");
    htab_free(&names);
    agg_free(on);
    agg_free(off);
    free(sel.selected);
    return rc;
}
