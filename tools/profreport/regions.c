/* SPDX-License-Identifier: MIT */
/* Regions in reports: per-region table with latency percentiles, and the --region / --slow-region
 * sample filters. */
#include "regions.h"

#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- Histogram (docs/format.md REGION_STATS numbering) ---- */

static double rg_bucket_low(unsigned b)
{
    if (b < 16)
        return (double)b;
    unsigned e = b / 16u + 3u, m = b % 16u;
    return ldexp(1.0, (int)e) + (double)m * ldexp(1.0, (int)e - 4);
}

static double rg_bucket_width(unsigned b)
{
    return b < 16 ? 1.0 : ldexp(1.0, (int)(b / 16u + 3u) - 4);
}

double rg_percentile(const uint64_t *hist, uint64_t count, uint64_t min_ns, uint64_t max_ns, double q)
{
    if (count == 0)
        return 0;
    double want = ceil(q * (double)count);
    if (want < 1)
        want = 1;
    uint64_t seen = 0;
    double v = (double)max_ns;
    for (unsigned b = 0; b < PROF_REGION_BUCKETS; b++) {
        seen += hist[b];
        if ((double)seen >= want) {
            /* Below 16 ns a bucket is one value; the last bucket has no upper bound. */
            if (b < 16)
                v = (double)b;
            else if (b < PROF_REGION_BUCKETS - 1)
                v = rg_bucket_low(b) + rg_bucket_width(b) / 2;
            break;
        }
    }
    if (min_ns != UINT64_MAX && v < (double)min_ns)
        v = (double)min_ns;
    if (v > (double)max_ns)
        v = (double)max_ns;
    return v;
}

uint64_t rg_count_above(const uint64_t *hist, double ns)
{
    uint64_t n = 0;
    for (unsigned b = 0; b < PROF_REGION_BUCKETS; b++)
        if (rg_bucket_low(b) > ns)
            n += hist[b];
    return n;
}

const char *rg_fmt_ns(double ns, char *buf, size_t len)
{
    static const struct {
        double scale;
        const char *unit;
    } units[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
    size_t u = 0;
    while (u + 1 < sizeof(units) / sizeof(units[0]) && ns < units[u].scale)
        u++;
    double v = ns / units[u].scale;
    snprintf(buf, len, "%.*f %s", v >= 100 || u == 3 ? 0 : v >= 10 ? 1 : 2, v, units[u].unit);
    return buf;
}

/* ---- The table ---- */

/* "outer/inner" of region index i (0-based), malloc'd; nesting depth in *depth. */
static char *rg_path(const struct prof_profile *p, uint32_t i, unsigned *depth)
{
    uint32_t chain[64]; /* the runtime keeps 32 levels; deeper paths are cut at the outer end */
    unsigned d = 0;
    size_t len = 0;
    for (uint32_t r = i + 1; r && d < 64; r = p->regions[r - 1].parent) {
        chain[d++] = r - 1;
        len += strlen(p->regions[r - 1].name) + 1;
    }
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    size_t pos = 0;
    for (unsigned k = d; k-- > 0;) {
        const char *name = p->regions[chain[k]].name;
        size_t n = strlen(name);
        memcpy(s + pos, name, n);
        pos += n;
        if (k)
            s[pos++] = '/';
    }
    s[pos] = '\0';
    *depth = d ? d - 1 : 0;
    return s;
}

static int rg_row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rg_row *)a)->path, ((const struct rg_row *)b)->path);
}

void rg_table_free(struct rg_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].path);
    free(t->rows);
    t->rows = NULL;
    t->n = 0;
}

const struct rg_row *rg_table_find(const struct rg_table *t, const char *path)
{
    struct rg_row key = {.path = (char *)path};
    return t->n ? bsearch(&key, t->rows, t->n, sizeof(key), rg_row_cmp) : NULL;
}

/* Which wall kinds count as on / off CPU: wall samples if the profile has any, else CPU samples
 * (all on CPU). */
static int rg_has_wall(const struct prof_profile *p)
{
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind >= FMT_KIND_WALL_ON && p->samples[i].kind <= FMT_KIND_WALL_RUNNABLE)
            return 1;
    return 0;
}

int rg_table_build(const struct prof_profile *p, struct rg_table *t)
{
    memset(t, 0, sizeof(*t));
    if (!p->nregions)
        return 0;
    t->rows = calloc(p->nregions, sizeof(*t->rows));
    char **paths = calloc(p->nregions, sizeof(*paths));
    unsigned *depths = calloc(p->nregions, sizeof(*depths));
    if (!t->rows || !paths || !depths)
        goto oom;
    for (uint32_t i = 0; i < p->nregions; i++)
        if (!(paths[i] = rg_path(p, i, &depths[i])))
            goto oom;
    /* Distinct paths, sorted; then every region's stats go to its path's row. */
    for (uint32_t i = 0; i < p->nregions; i++) {
        if (rg_table_find(t, paths[i]))
            continue;
        struct rg_row *row = &t->rows[t->n++];
        row->path = strdup(paths[i]);
        if (!row->path)
            goto oom;
        const char *slash = strrchr(row->path, '/');
        row->name = slash ? slash + 1 : row->path;
        row->depth = depths[i];
        row->min_ns = UINT64_MAX;
        qsort(t->rows, t->n, sizeof(*t->rows), rg_row_cmp);
    }
    uint32_t *row_of = calloc(p->nregions, sizeof(*row_of));
    if (!row_of)
        goto oom;
    for (uint32_t i = 0; i < p->nregions; i++) {
        const struct prof_region *rg = &p->regions[i];
        struct rg_row *row = (struct rg_row *)rg_table_find(t, paths[i]);
        row_of[i] = (uint32_t)(row - t->rows);
        row->count += rg->count;
        row->total_ns += rg->total_ns;
        if (rg->min_ns < row->min_ns)
            row->min_ns = rg->min_ns;
        if (rg->max_ns > row->max_ns)
            row->max_ns = rg->max_ns;
        for (unsigned b = 0; b < PROF_REGION_BUCKETS; b++)
            row->hist[b] += rg->hist[b];
    }
    int wall = rg_has_wall(p);
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (!s->region || s->kind == PROF_KIND_ALLOC || (wall && s->kind == FMT_KIND_CPU))
            continue;
        int off = s->kind == FMT_KIND_WALL_OFF;
        /* Inclusive: the sample is in its region and in every enclosing one. */
        unsigned guard = 0;
        for (uint32_t r = s->region; r && guard++ <= p->nregions; r = p->regions[r - 1].parent) {
            struct rg_row *row = &t->rows[row_of[r - 1]];
            if (off)
                row->off_weight += s->weight;
            else
                row->on_weight += s->weight;
        }
    }
    free(row_of);
    for (uint32_t i = 0; i < p->nregions; i++)
        free(paths[i]);
    free(paths);
    free(depths);
    return 0;
oom:
    if (paths)
        for (uint32_t i = 0; i < p->nregions; i++)
            free(paths[i]);
    free(paths);
    free(depths);
    rg_table_free(t);
    return -ENOMEM;
}

void regions_report_text(FILE *out, const struct prof_profile *p, size_t top)
{
    struct rg_table t;
    if (rg_table_build(p, &t) != 0) {
        fprintf(out, "Regions: out of memory\n");
        return;
    }
    if (t.n == 0) {
        fprintf(out, "Regions: none (the program marks none with prof_region_begin/end)\n");
        return;
    }
    uint64_t all = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind != PROF_KIND_ALLOC)
            all += p->samples[i].weight;
    fprintf(out, "Regions: calls and latency (inclusive of nested regions); samples inside them\n");
    fprintf(out, "%10s %10s %10s %10s %10s %10s %10s %9s %7s %7s  %s\n", "count", "total", "mean",
            "p50", "p95", "p99", "max", "samples", "on-CPU", "off-CPU", "region");
    size_t shown = top && top < t.n ? top : t.n;
    for (size_t i = 0; i < shown; i++) {
        const struct rg_row *r = &t.rows[i];
        char b[7][32];
        double mean = r->count ? (double)r->total_ns / (double)r->count : 0;
        uint64_t w = r->on_weight + r->off_weight;
        fprintf(out, "%10" PRIu64 " %10s %10s %10s %10s %10s %10s %9" PRIu64 " %6.1f%% %6.1f%%  %*s%s\n",
                r->count, rg_fmt_ns((double)r->total_ns, b[0], sizeof(b[0])),
                rg_fmt_ns(mean, b[1], sizeof(b[1])),
                rg_fmt_ns(rg_percentile(r->hist, r->count, r->min_ns, r->max_ns, 0.50), b[2], 32),
                rg_fmt_ns(rg_percentile(r->hist, r->count, r->min_ns, r->max_ns, 0.95), b[3], 32),
                rg_fmt_ns(rg_percentile(r->hist, r->count, r->min_ns, r->max_ns, 0.99), b[4], 32),
                rg_fmt_ns((double)r->max_ns, b[5], sizeof(b[5])), w,
                w ? 100.0 * (double)r->on_weight / (double)w : 0.0,
                w ? 100.0 * (double)r->off_weight / (double)w : 0.0, 2 * (int)r->depth, "",
                r->path);
    }
    if (shown < t.n)
        fprintf(out, "  ... %zu more regions (--top 0 shows all)\n", t.n - shown);
    uint64_t in = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind != PROF_KIND_ALLOC && p->samples[i].region)
            in += p->samples[i].weight;
    fprintf(out, "Samples in a region: %" PRIu64 " of %" PRIu64 " (%.1f%%)\n", in, all,
            all ? 100.0 * (double)in / (double)all : 0.0);
    rg_table_free(&t);
}

/* ---- Filters ---- */

static int rg_name_on_path(const struct prof_profile *p, uint32_t r, const char *name)
{
    for (unsigned guard = 0; r && guard++ <= p->nregions; r = p->regions[r - 1].parent)
        if (strcmp(p->regions[r - 1].name, name) == 0)
            return 1;
    return 0;
}

/* The innermost call of a region named `name` enclosing the sample: from the sample's call up
 * the parent_call chain. NULL when the chain is not in the file (a call still open at exit). */
static const struct prof_region_call *rg_enclosing_call(const struct prof_profile *p,
                                                        const struct prof_sample *s,
                                                        const char *name)
{
    const struct prof_region_call *c = prof_profile_find_region_call(p, s->process, s->region_call);
    for (unsigned guard = 0; c && guard++ < 64; ) {
        if (strcmp(p->regions[c->region - 1].name, name) == 0)
            return c;
        c = c->parent_call ? prof_profile_find_region_call(p, s->process, c->parent_call) : NULL;
    }
    return NULL;
}

static int rg_name_exists(const struct prof_profile *p, const char *name)
{
    for (size_t i = 0; i < p->nregions; i++)
        if (strcmp(p->regions[i].name, name) == 0)
            return 1;
    return 0;
}

static int rg_keep(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    const struct region_filter *f = arg;
    if (f->region && !(s->region && rg_name_on_path(p, s->region, f->region)))
        return 0;
    if (f->slow_region) {
        const struct prof_region_call *c =
            s->region && s->region_call ? rg_enclosing_call(p, s, f->slow_region) : NULL;
        return c && (double)c->duration_ns > f->slower_than_ms * 1e6;
    }
    return 1;
}

long regions_filter(struct prof_profile *p, const struct region_filter *f, char *errbuf,
                    size_t errlen)
{
    const char *names[2] = {f->region, f->slow_region};
    for (int k = 0; k < 2; k++) {
        if (names[k] && !rg_name_exists(p, names[k])) {
            snprintf(errbuf, errlen, "no region named '%s' in the profile", names[k]);
            return -1;
        }
    }
    return (long)prof_profile_filter_samples(p, rg_keep, (void *)f);
}
