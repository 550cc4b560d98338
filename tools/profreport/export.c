/* SPDX-License-Identifier: MIT */
/* profreport exports: pprof, flame graph SVG (plain and differential), JSON tables, --annotate. */
#include "export.h"

#include "annotate.h"
#include "flame.h"
#include "timeline_strip.h"
#include "format.h"
#include "jsonreport.h"
#include "pprof.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum export_format export_format(const char *name)
{
    if (strcmp(name, "pprof") == 0)
        return EXPORT_PPROF;
    if (strcmp(name, "svg") == 0)
        return EXPORT_SVG;
    if (strcmp(name, "json") == 0)
        return EXPORT_JSON;
    return EXPORT_NONE;
}

/* ---------- sample selection per view (agg_options.value) ---------- */

static uint64_t ex_alloc_bytes(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    (void)arg;
    return s->kind == PROF_KIND_ALLOC ? s->weight : 0;
}

static uint64_t ex_live_bytes(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    return s->free_ns == UINT64_MAX ? ex_alloc_bytes(p, s, arg) : 0;
}

static uint64_t ex_wall_on(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    (void)arg;
    return s->kind <= FMT_KIND_WALL_RUNNABLE && s->kind != FMT_KIND_WALL_OFF ? s->weight : 0;
}

static uint64_t ex_wall_off(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    (void)arg;
    return s->kind == FMT_KIND_WALL_OFF ? s->weight : 0;
}

/* The folded stacks of the view main.c would show: allocated (or live) bytes, on- plus off-CPU
 * time of a wall profile, else CPU samples. Up to two aggregations; the caller frees them. */
struct ex_folded {
    struct agg *a[2];
    struct flame_stack *stacks;
    size_t n;
    const char *unit;
};

static int ex_folded_build(const struct prof_profile *p, const struct export_options *eo,
                           struct ex_folded *out, char *err, size_t errlen)
{
    struct agg_options ao = eo->ao;
    int nagg = 1;
    memset(out, 0, sizeof(*out));
    ao.folded = 1;
    ao.keep_leaves = 0;
    out->unit = "samples";
    if (eo->alloc_view) {
        ao.value = eo->leaks ? ex_live_bytes : ex_alloc_bytes;
        out->unit = "bytes";
    } else if (wall_profile(p)) {
        ao.value = ex_wall_on;
        nagg = 2;
    }
    if (agg_build(p, &ao, &out->a[0], err, errlen))
        return -1;
    if (nagg == 2) {
        ao.value = ex_wall_off;
        if (agg_build(p, &ao, &out->a[1], err, errlen))
            return -1;
    }
    size_t total = 0;
    for (int i = 0; i < nagg; i++)
        total += out->a[i]->nfolded;
    out->stacks = malloc((total ? total : 1) * sizeof(*out->stacks));
    if (!out->stacks) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < nagg; i++) {
        for (size_t k = 0; k < out->a[i]->nfolded; k++)
            out->stacks[out->n++] = (struct flame_stack){out->a[i]->folded[k].stack,
                                                         out->a[i]->folded[k].weight};
        for (size_t k = 0; k < sym_nwarnings(out->a[i]->sym); k++)
            fprintf(stderr, "profreport: warning: %s\n", sym_warning(out->a[i]->sym, k));
    }
    return 0;
}

static void ex_folded_free(struct ex_folded *f)
{
    agg_free(f->a[0]);
    agg_free(f->a[1]);
    free(f->stacks);
}

static const char *ex_basename(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "?";
}

static const char *ex_view_name(const struct prof_profile *p, const struct export_options *eo)
{
    if (eo->alloc_view)
        return eo->leaks ? "live heap at exit" : "allocated bytes";
    return wall_profile(p) ? "wall clock (on- and off-CPU)" : "CPU";
}

/* Output stream: -o FILE, or stdout (refused for binary output on a terminal). */
static FILE *ex_open(const struct export_options *eo, int binary)
{
    if (!eo->output || strcmp(eo->output, "-") == 0) {
        if (binary && isatty(STDOUT_FILENO)) {
            fprintf(stderr, "profreport: not writing binary pprof data to a terminal; use -o FILE\n");
            return NULL;
        }
        return stdout;
    }
    FILE *f = fopen(eo->output, binary ? "wb" : "w");
    if (!f)
        fprintf(stderr, "profreport: %s: %s\n", eo->output, strerror(errno));
    return f;
}

static int ex_close(const struct export_options *eo, FILE *f, int rc)
{
    int bad = fflush(f) != 0 || ferror(f);
    if (f != stdout && fclose(f) != 0)
        bad = 1;
    if (bad && rc == 0) {
        fprintf(stderr, "profreport: error writing %s: %s\n", eo->output ? eo->output : "output",
                strerror(errno));
        rc = -1;
    }
    return rc;
}

static int ex_pprof(const struct prof_profile *p, const struct export_options *eo)
{
    struct pprof_options po = {.view = eo->alloc_view      ? PPROF_ALLOC
                                       : wall_profile(p) ? PPROF_WALL
                                                         : PPROF_CPU,
                               .thread = eo->ao.thread, .sym_flags = eo->ao.sym_flags,
                               .from_ns = eo->ao.from_ns, .to_ns = eo->ao.to_ns};
    char err[1024] = "";
    FILE *out = ex_open(eo, 1);
    if (!out)
        return -1;
    int rc = pprof_write(out, p, &po, err, sizeof(err));
    if (rc)
        fprintf(stderr, "profreport: %s\n", err);
    return ex_close(eo, out, rc ? -1 : 0);
}

struct strip_arg {
    const struct prof_profile *p;
    const struct export_options *eo;
};

static void ex_strip(FILE *out, double y, double width, void *arg)
{
    const struct strip_arg *a = arg;
    struct timeline_strip_options so = {.x = 10, .y = y, .width = width - 20,
                                        .file = a->p->nprocesses ? a->p->processes[0].file : NULL,
                                        .from_ns = a->eo->ao.from_ns, .to_ns = a->eo->ao.to_ns};
    timeline_svg_strip(out, a->p, 0, &so);
}

static int ex_svg(const struct prof_profile *p, const struct export_options *eo)
{
    struct ex_folded cur = {0}, base = {0};
    struct prof_profile *bp = NULL;
    char err[1024] = "";
    int rc = -1;
    FILE *out = NULL;
    if (ex_folded_build(p, eo, &cur, err, sizeof(err)))
        goto fail;
    if (eo->diff_base) {
        const char *files[1] = {eo->diff_base};
        if (prof_profile_load(files, 1, &bp, err, sizeof(err)) != 0)
            goto fail;
        struct export_options beo = *eo;
        beo.alloc_view = eo->alloc_view;
        if (ex_folded_build(bp, &beo, &base, err, sizeof(err)))
            goto fail;
    }
    const struct prof_process *pr = p->nprocesses ? &p->processes[0] : NULL;
    char title[512], sub[512];
    snprintf(title, sizeof(title), "%s%s — %s", eo->diff_base ? "Differential flame graph: " : "",
             ex_basename(pr ? pr->exe_path : NULL), ex_view_name(p, eo));
    uint64_t total = 0;
    for (size_t i = 0; i < cur.n; i++)
        total += cur.stacks[i].weight;
    if (eo->diff_base)
        snprintf(sub, sizeof(sub),
                 "%" PRIu64 " %s; colour: change against %s (red: more, slower; blue: less, faster)",
                 total, cur.unit, ex_basename(eo->diff_base));
    else
        snprintf(sub, sizeof(sub), "%" PRIu64 " %s in %.3f s; click a frame to zoom, Ctrl-F to search",
                 total, cur.unit, pr ? (double)pr->duration_ns / 1e9 : 0.0);
    struct flame_options fo = {.title = title, .subtitle = sub, .unit = cur.unit, .base_scale = 1};
    /* The run over time above the graph, when the profile has intervals (a window selected in it
     * shows the --from/--to command for that window). */
    struct strip_arg sa = {p, eo};
    if (p->nintervals && !eo->diff_base) {
        fo.header = ex_strip;
        fo.header_arg = &sa;
        fo.header_height = TIMELINE_STRIP_HEIGHT + 8;
    }
    /* Time views compare periods: samples of a run at another rate are rescaled. */
    if (bp && !eo->alloc_view && pr && bp->nprocesses && bp->processes[0].hz && pr->hz)
        fo.base_scale = (double)pr->hz / (double)bp->processes[0].hz;
    if (!(out = ex_open(eo, 0)))
        goto fail;
    rc = flame_write_svg(out, cur.stacks, cur.n, eo->diff_base ? base.stacks : NULL, base.n, &fo);
    if (rc == -ENOMEM)
        fprintf(stderr, "profreport: out of memory\n");
    rc = ex_close(eo, out, rc ? -1 : 0);
    out = NULL;
    goto done;
fail:
    fprintf(stderr, "profreport: %s\n", err[0] ? err : "cannot build the flame graph");
done:
    ex_folded_free(&cur);
    ex_folded_free(&base);
    prof_profile_free(bp);
    return rc;
}

int export_run(const struct prof_profile *p, const struct export_options *eo)
{
    if (eo->diff_base && eo->format != EXPORT_SVG) {
        fprintf(stderr, "profreport: --diff needs --format svg (profdiff compares tables)\n");
        return -1;
    }
    if (eo->annotate)
        return annotate_run(p, eo);
    switch (eo->format) {
    case EXPORT_PPROF: return ex_pprof(p, eo);
    case EXPORT_SVG: return ex_svg(p, eo);
    case EXPORT_JSON: {
        FILE *out = ex_open(eo, 0);
        if (!out)
            return -1;
        return ex_close(eo, out, json_report(out, p, eo));
    }
    default: return -1;
    }
}
