/* SPDX-License-Identifier: MIT */
/* profreport --format json: header and tables as JSON (docs/json.md). */
#include "jsonreport.h"

#include "format.h"
#include "htab.h"
#include "json_out.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Rows merged over two aggregations (on/off-CPU, or bytes/objects) by a name key. */
struct jr_row {
    const struct agg *agg; /* the aggregation whose symbolizer names the row */
    uint32_t id;           /* func or line id in it */
    uint64_t v[2];
};

struct jr_table {
    struct strtab keys;
    struct jr_row *rows;
    size_t n, cap;
};

static uint64_t jr_value_wall_on(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    (void)p;
    (void)a;
    return s->kind <= FMT_KIND_WALL_RUNNABLE && s->kind != FMT_KIND_WALL_OFF ? s->weight : 0;
}

static uint64_t jr_value_wall_off(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    (void)p;
    (void)a;
    return s->kind == FMT_KIND_WALL_OFF ? s->weight : 0;
}

static uint64_t jr_value_bytes(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    (void)p;
    (void)a;
    return s->kind == PROF_KIND_ALLOC ? s->weight : 0;
}

/* Estimated objects, as the allocation tables count them (alloc.c). */
static uint64_t jr_value_objects(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    (void)p;
    (void)a;
    if (s->kind != PROF_KIND_ALLOC || !s->size || !s->weight)
        return 0;
    uint64_t n = (s->weight + s->size / 2) / s->size;
    return n ? n : 1;
}

static uint64_t jr_value_live(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    return s->free_ns == UINT64_MAX ? jr_value_bytes(p, s, a) : 0;
}

static void jr_key(const struct agg *a, uint32_t id, int lines, char *buf, size_t len)
{
    if (lines) {
        const struct sym_func *f = sym_func_get(a->sym, sym_line_func(a->sym, id));
        snprintf(buf, len, "%s\t%s\t%d", sym_line_label(a->sym, id), f->name, f->is_inline);
    } else {
        const struct sym_func *f = sym_func_get(a->sym, id);
        snprintf(buf, len, "%s\t%s\t%d", f->name, f->location, f->is_inline);
    }
}

static int jr_add(struct jr_table *t, const struct agg *a, const struct agg_row *rows, size_t n,
                  int lines, int col)
{
    char key[4096];
    for (size_t i = 0; i < n; i++) {
        jr_key(a, rows[i].id, lines, key, sizeof(key));
        size_t before = t->keys.count;
        long id = strtab_intern(&t->keys, key, strlen(key));
        if (id < 0)
            return -ENOMEM;
        if (t->keys.count != before) {
            if (t->n == t->cap) {
                size_t ncap = t->cap ? t->cap * 2 : 256;
                struct jr_row *nr = realloc(t->rows, ncap * sizeof(*nr));
                if (!nr)
                    return -ENOMEM;
                t->rows = nr;
                t->cap = ncap;
            }
            t->rows[t->n++] = (struct jr_row){a, rows[i].id, {0, 0}};
        }
        t->rows[id].v[col] += rows[i].weight;
    }
    return 0;
}

static int jr_sort_first_only; /* qsort has no context argument */

static int jr_row_cmp(const void *pa, const void *pb)
{
    const struct jr_row *a = pa, *b = pb;
    uint64_t x = a->v[0] + (jr_sort_first_only ? 0 : a->v[1]);
    uint64_t y = b->v[0] + (jr_sort_first_only ? 0 : b->v[1]);
    if (x != y)
        return x > y ? -1 : 1;
    return 0;
}

static double jr_pct(uint64_t w, uint64_t total)
{
    return total ? 100.0 * (double)w / (double)total : 0.0;
}

/* One table. `kind`: 0 cpu (count), 1 wall (count = on + off), 2 alloc (bytes + objects). */
static int jr_table(FILE *out, const char *name, const struct agg *a0, const struct agg_row *r0,
                    size_t n0, const struct agg *a1, const struct agg_row *r1, size_t n1,
                    int lines, int kind, uint64_t total, size_t top, int last)
{
    struct jr_table t = {0};
    strtab_init(&t.keys);
    int rc = jr_add(&t, a0, r0, n0, lines, 0);
    if (!rc && a1)
        rc = jr_add(&t, a1, r1, n1, lines, 1);
    if (rc) {
        strtab_free(&t.keys);
        free(t.rows);
        return rc;
    }
    /* Alloc rows are ordered by bytes alone (objects are column 1). */
    jr_sort_first_only = kind == 2;
    qsort(t.rows, t.n, sizeof(*t.rows), jr_row_cmp);
    size_t shown = top && t.n > top ? top : t.n;
    fprintf(out, "    ");
    json_str(out, name);
    fprintf(out, ": [");
    for (size_t i = 0; i < shown; i++) {
        const struct jr_row *r = &t.rows[i];
        const struct sym_ctx *sym = r->agg->sym;
        fprintf(out, "%s\n      {", i ? "," : "");
        if (lines) {
            const struct sym_func *f = sym_func_get(sym, sym_line_func(sym, r->id));
            fprintf(out, "\"line\": ");
            json_str(out, sym_line_label(sym, r->id));
            fprintf(out, ", \"function\": ");
            json_str(out, f->name);
            fprintf(out, ", \"inline\": %s", f->is_inline ? "true" : "false");
        } else {
            const struct sym_func *f = sym_func_get(sym, r->id);
            fprintf(out, "\"function\": ");
            json_str(out, f->name);
            fprintf(out, ", \"location\": ");
            json_str(out, f->location);
            fprintf(out, ", \"module\": ");
            json_str(out, f->module);
            fprintf(out, ", \"inline\": %s", f->is_inline ? "true" : "false");
        }
        if (kind == 2) {
            fprintf(out, ", \"bytes\": %" PRIu64 ", \"percent\": ", r->v[0]);
            json_num(out, jr_pct(r->v[0], total));
            fprintf(out, ", \"objects\": %" PRIu64, r->v[1]);
        } else {
            uint64_t count = r->v[0] + r->v[1];
            fprintf(out, ", \"count\": %" PRIu64 ", \"percent\": ", count);
            json_num(out, jr_pct(count, total));
            if (kind == 1) {
                fprintf(out, ", \"on_cpu_percent\": ");
                json_num(out, jr_pct(r->v[0], total));
                fprintf(out, ", \"off_cpu_percent\": ");
                json_num(out, jr_pct(r->v[1], total));
            }
        }
        fprintf(out, "}");
    }
    fprintf(out, "%s]%s\n", shown ? "\n    " : "", last ? "" : ",");
    strtab_free(&t.keys);
    free(t.rows);
    return 0;
}

static void jr_header(FILE *out, const struct prof_profile *p, const char *view, const char *unit,
                      uint64_t selected, uint64_t total)
{
    fprintf(out, "{\n  \"schema\": \"libprof-report/1\",\n  \"view\": ");
    json_str(out, view);
    fprintf(out, ",\n  \"unit\": ");
    json_str(out, unit);
    fprintf(out, ",\n  \"processes\": [");
    for (size_t i = 0; i < p->nprocesses; i++) {
        const struct prof_process *pr = &p->processes[i];
        fprintf(out, "%s\n    {\"pid\": %" PRIu64 ", \"exe\": ", i ? "," : "", pr->pid);
        json_str(out, pr->exe_path);
        fprintf(out, ", \"file\": ");
        json_str(out, pr->file);
        fprintf(out, ", \"argv\": [");
        for (size_t k = 0; k < pr->argc; k++) {
            fprintf(out, "%s", k ? ", " : "");
            json_str(out, pr->argv[k]);
        }
        fprintf(out, "], \"duration_s\": ");
        json_num(out, (double)pr->duration_ns / 1e9);
        fprintf(out, ", \"hz\": %" PRIu64 ", \"ended_cleanly\": %s}", pr->hz,
                pr->ended_cleanly ? "true" : "false");
    }
    fprintf(out, "\n  ],\n  \"samples\": {\"selected\": %" PRIu64 ", \"total\": %" PRIu64
                 ", \"dropped\": %" PRIu64 ", \"unwind_failed\": %" PRIu64
                 ", \"truncated\": %" PRIu64 "},\n  \"warnings\": [",
            selected, total, prof_profile_counter(p, FMT_CTR_DROPPED),
            prof_profile_counter(p, FMT_CTR_UNWIND_FAILED),
            prof_profile_counter(p, FMT_CTR_TRUNCATED));
    for (size_t i = 0; i < p->nwarnings; i++) {
        fprintf(out, "%s", i ? ", " : "");
        json_str(out, p->warnings[i]);
    }
    fprintf(out, "],\n  \"tables\": {\n");
}

/* Live-at-exit stacks (allocation view): folded stacks of live bytes, largest first. */
static int jr_leaks(FILE *out, const struct agg *live, size_t top)
{
    struct agg_folded *rows = malloc((live->nfolded ? live->nfolded : 1) * sizeof(*rows));
    if (!rows)
        return -ENOMEM;
    memcpy(rows, live->folded, live->nfolded * sizeof(*rows));
    for (size_t i = 1; i < live->nfolded; i++) /* insertion sort by weight: lists are short */
        for (size_t k = i; k > 0 && rows[k].weight > rows[k - 1].weight; k--) {
            struct agg_folded t = rows[k];
            rows[k] = rows[k - 1];
            rows[k - 1] = t;
        }
    size_t shown = top && live->nfolded > top ? top : live->nfolded;
    fprintf(out, "    \"leaks\": [");
    for (size_t i = 0; i < shown; i++) {
        fprintf(out, "%s\n      {\"stack\": ", i ? "," : "");
        json_str(out, rows[i].stack);
        fprintf(out, ", \"bytes\": %" PRIu64 ", \"percent\": ", rows[i].weight);
        json_num(out, jr_pct(rows[i].weight, live->total));
        fprintf(out, "}");
    }
    fprintf(out, "%s]\n", shown ? "\n    " : "");
    free(rows);
    return 0;
}

int json_report(FILE *out, const struct prof_profile *p, const struct export_options *eo)
{
    struct agg_options ao = eo->ao;
    struct agg *a0 = NULL, *a1 = NULL, *live = NULL;
    char err[1024] = "";
    int kind = eo->alloc_view ? 2 : wall_profile(p) ? 1 : 0;
    int rc = -1;
    ao.folded = 0;
    ao.keep_leaves = 0;
    if (kind == 1) {
        ao.value = jr_value_wall_on;
    } else if (kind == 2) {
        ao.value = eo->leaks ? jr_value_live : jr_value_bytes;
    }
    if (agg_build(p, &ao, &a0, err, sizeof(err)))
        goto out;
    if (kind) {
        ao.value = kind == 1 ? jr_value_wall_off : jr_value_objects;
        if (agg_build(p, &ao, &a1, err, sizeof(err)))
            goto out;
    }
    if (kind == 2) {
        ao.value = jr_value_live;
        ao.folded = 1;
        if (agg_build(p, &ao, &live, err, sizeof(err)))
            goto out;
    }
    uint64_t total = a0->total + (kind == 1 ? a1->total : 0);
    uint64_t selected = a0->nsamples + (kind == 1 ? a1->nsamples : 0);
    const char *view = kind == 2 ? (eo->leaks ? "leaks" : "alloc") : kind == 1 ? "wall" : "cpu";
    jr_header(out, p, view, kind == 2 ? "bytes" : "samples", selected, total);
    size_t top = eo->ro.top;
    snprintf(err, sizeof(err), "out of memory");
    if (jr_table(out, "cumulative", a0, a0->cum, a0->ncum, a1, a1 ? a1->cum : NULL,
                 a1 ? a1->ncum : 0, 0, kind, total, top, 0) ||
        jr_table(out, "self", a0, a0->self, a0->nself, a1, a1 ? a1->self : NULL,
                 a1 ? a1->nself : 0, 0, kind, total, top, 0) ||
        jr_table(out, "lines", a0, a0->hot, a0->nhot, a1, a1 ? a1->hot : NULL, a1 ? a1->nhot : 0,
                 1, kind, total, top, kind != 2) ||
        (kind == 2 && jr_leaks(out, live, top)))
        goto out;
    fprintf(out, "  }\n}\n");
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "profreport: %s\n", err[0] ? err : "json output failed");
    agg_free(a0);
    agg_free(a1);
    agg_free(live);
    return rc;
}
