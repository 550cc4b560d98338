/* SPDX-License-Identifier: MIT */
/* profreport --timeline and the Alerts section: METRICS intervals as a table and sparklines,
 * ALERT records with the top stacks of their interval. */
#include "timeline.h"

#include "aggregate.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TIMELINE_BAR 20          /* width of the CPU bar column, for 100 % of one CPU */
#define TIMELINE_STACK_FRAMES 6  /* frames shown per alert stack, leaf first */

int timeline_parse_seconds(const char *s, uint64_t *ns)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= 0) || v > 1e9)
        return -1;
    *ns = (uint64_t)llround(v * 1e9);
    return 0;
}

int timeline_present(const struct prof_profile *p)
{
    return p->nintervals > 0;
}

static int timeline_windowed(const struct timeline_options *o)
{
    return o->to_ns > o->from_ns;
}

/* Whether interval `iv` overlaps the window (all of them without one). */
static int timeline_in_window(const struct prof_interval *iv, const struct timeline_options *o)
{
    if (!timeline_windowed(o))
        return 1;
    uint64_t start = iv->end_ns > iv->interval_ns ? iv->end_ns - iv->interval_ns : 0;
    return start < o->to_ns && iv->end_ns > o->from_ns;
}

/* ---- Metrics of one interval, by index, for the table and the charts ---- */

enum tl_metric { TL_CPU, TL_RSS, TL_HEAP, TL_THREADS, TL_SAMPLES, TL_DROPPED, TL_OFFCPU, TL_N };

static const struct {
    const char *name;
    int level; /* a level (RSS, heap, threads): a chart column shows its maximum; else the mean */
} tl_metrics[TL_N] = {
    [TL_CPU] = {"cpu %", 0},         [TL_RSS] = {"rss MiB", 1},     [TL_HEAP] = {"heap MiB", 1},
    [TL_THREADS] = {"threads", 1},   [TL_SAMPLES] = {"samples", 0}, [TL_DROPPED] = {"dropped", 0},
    [TL_OFFCPU] = {"off-cpu %", 0},
};

/* Value of metric m in iv, or NAN when the interval does not have it. */
static double tl_value(const struct prof_interval *iv, enum tl_metric m)
{
    switch (m) {
    case TL_CPU:
        return iv->interval_ns ? 100.0 * (double)(iv->user_ns + iv->sys_ns) / (double)iv->interval_ns
                               : NAN;
    case TL_RSS: return (double)iv->rss / 1048576.0;
    case TL_HEAP: return iv->has_heap ? (double)iv->live_heap / 1048576.0 : NAN;
    case TL_THREADS: return (double)iv->threads;
    case TL_SAMPLES: return (double)iv->samples;
    case TL_DROPPED: return (double)iv->dropped;
    case TL_OFFCPU:
        return iv->has_wall && iv->wall_on + iv->wall_off
                   ? 100.0 * (double)iv->wall_off / (double)(iv->wall_on + iv->wall_off)
                   : NAN;
    default: return NAN;
    }
}

/* Indexes of the intervals of `process` in the window, in file (= time) order; *n their count. */
static size_t *tl_select(const struct prof_profile *p, uint32_t process,
                         const struct timeline_options *o, size_t *n)
{
    size_t *idx = malloc((p->nintervals ? p->nintervals : 1) * sizeof(*idx));
    *n = 0;
    if (!idx)
        return NULL;
    for (size_t i = 0; i < p->nintervals; i++)
        if (p->intervals[i].process == process && timeline_in_window(&p->intervals[i], o))
            idx[(*n)++] = i;
    return idx;
}

/* ---- Sparklines ---- */

static const char *const tl_blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588"};

/* One chart line: the metric over the selected intervals, squeezed into `width` columns. */
static void tl_sparkline(FILE *out, const struct prof_profile *p, const size_t *idx, size_t n,
                         enum tl_metric m, int width)
{
    size_t cols = n < (size_t)width ? n : (size_t)width;
    double *col = malloc((cols ? cols : 1) * sizeof(*col));
    if (!col)
        return;
    double max = 0;
    int any = 0;
    for (size_t c = 0; c < cols; c++) {
        size_t a = c * n / cols, b = (c + 1) * n / cols;
        double sum = 0, top = NAN;
        size_t k = 0;
        for (size_t i = a; i < b; i++) {
            double v = tl_value(&p->intervals[idx[i]], m);
            if (isnan(v))
                continue;
            sum += v;
            top = isnan(top) || v > top ? v : top;
            k++;
        }
        col[c] = k == 0 ? NAN : tl_metrics[m].level ? top : sum / (double)k;
        if (k) {
            any = 1;
            if (col[c] > max)
                max = col[c];
        }
    }
    if (any) {
        double scale = m == TL_CPU && max < 100 ? 100 : max; /* CPU: 100 % of one CPU at least */
        fprintf(out, "  %-10s ", tl_metrics[m].name);
        for (size_t c = 0; c < cols; c++) {
            if (isnan(col[c])) {
                fputc(' ', out);
                continue;
            }
            int level = scale > 0 ? (int)(col[c] / scale * 7.999) : 0;
            fputs(tl_blocks[level < 0 ? 0 : level > 7 ? 7 : level], out);
        }
        fprintf(out, "  max %.1f\n", max);
    }
    free(col);
}

void timeline_sparklines(FILE *out, const struct prof_profile *p, uint32_t process, size_t last,
                         int width)
{
    struct timeline_options all = {0};
    size_t n;
    size_t *idx = tl_select(p, process, &all, &n);
    if (!idx)
        return;
    size_t skip = last && n > last ? n - last : 0;
    for (int m = 0; m < TL_N; m++)
        if (m != TL_SAMPLES)
            tl_sparkline(out, p, idx + skip, n - skip, (enum tl_metric)m, width ? width : 100);
    free(idx);
}

/* ---- The table ---- */

static void tl_table(FILE *out, const struct prof_profile *p, const size_t *idx, size_t n)
{
    int heap = 0, wall = 0;
    for (size_t i = 0; i < n; i++) {
        heap |= p->intervals[idx[i]].has_heap;
        wall |= p->intervals[idx[i]].has_wall;
    }
    fprintf(out, "%9s %9s %9s %7s %7s %9s %7s %7s %7s", "start_s", "end_s", "cpu%", "user%",
            "sys%", "rss_MiB", "threads", "samples", "dropped");
    if (heap)
        fprintf(out, " %9s", "heap_MiB");
    if (wall)
        fprintf(out, " %8s", "offcpu%");
    fprintf(out, "  cpu (%d chars = 1 CPU)\n", TIMELINE_BAR);
    for (size_t i = 0; i < n; i++) {
        const struct prof_interval *iv = &p->intervals[idx[i]];
        uint64_t start = iv->end_ns > iv->interval_ns ? iv->end_ns - iv->interval_ns : 0;
        double len = iv->interval_ns ? (double)iv->interval_ns : 1;
        double cpu = tl_value(iv, TL_CPU);
        fprintf(out,
                "%9.3f %9.3f %9.1f %7.1f %7.1f %9.1f %7" PRIu64 " %7" PRIu64 " %7" PRIu64,
                (double)start / 1e9, (double)iv->end_ns / 1e9, isnan(cpu) ? 0.0 : cpu,
                100.0 * (double)iv->user_ns / len, 100.0 * (double)iv->sys_ns / len,
                (double)iv->rss / 1048576.0, iv->threads, iv->samples, iv->dropped);
        if (heap) {
            if (iv->has_heap)
                fprintf(out, " %9.2f", (double)iv->live_heap / 1048576.0);
            else
                fprintf(out, " %9s", "-");
        }
        if (wall) {
            double off = tl_value(iv, TL_OFFCPU);
            if (isnan(off))
                fprintf(out, " %8s", "-");
            else
                fprintf(out, " %8.1f", off);
        }
        int bar = isnan(cpu) ? 0 : (int)lround(cpu / 100.0 * TIMELINE_BAR);
        fputs("  ", out);
        for (int k = 0; k < bar && k < 4 * TIMELINE_BAR; k++)
            fputc(k < TIMELINE_BAR ? '#' : '+', out); /* '+': beyond one CPU */
        fputc('\n', out);
    }
}

void timeline_report(FILE *out, const struct prof_profile *p, const struct timeline_options *o)
{
    for (size_t pr = 0; pr < p->nprocesses; pr++) {
        size_t n;
        size_t *idx = tl_select(p, (uint32_t)pr, o, &n);
        if (!idx)
            return;
        fprintf(out, "\nTimeline (pid %" PRIu64 ", %zu intervals", p->processes[pr].pid, n);
        if (timeline_windowed(o))
            fprintf(out, " overlapping %.3f-%.3f s", (double)o->from_ns / 1e9,
                    (double)o->to_ns / 1e9);
        fprintf(out, ")\n");
        if (n == 0) {
            fprintf(out, "  no METRICS records%s\n",
                    timeline_windowed(o) ? " in the window" : " (a runtime before the timeline?)");
        } else {
            tl_table(out, p, idx, n);
            fprintf(out, "\nCharts (%zu intervals, left to right)\n", n);
            for (int m = 0; m < TL_N; m++)
                tl_sparkline(out, p, idx, n, (enum tl_metric)m, o->chart_width ? o->chart_width : 100);
        }
        free(idx);
    }
}

/* ---- Alerts ---- */

struct tl_sel {
    uint32_t process;
    int bytes; /* allocated bytes, else timer samples */
};

static uint64_t tl_value_hook(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    const struct tl_sel *sel = arg;
    if (s->process != sel->process)
        return 0;
    if (sel->bytes)
        return s->kind == PROF_KIND_ALLOC ? s->weight : 0;
    return s->kind == PROF_KIND_ALLOC ? 0 : s->weight;
}

static int tl_folded_cmp(const void *a, const void *b)
{
    const struct agg_folded *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight > y->weight ? -1 : 1;
    return strcmp(x->stack, y->stack);
}

/* "leaf < caller < ..." from a folded "root;...;leaf", at most TIMELINE_STACK_FRAMES frames. */
static void tl_print_stack(FILE *out, const char *folded)
{
    const char *end = folded + strlen(folded);
    int shown = 0;
    while (end > folded && shown < TIMELINE_STACK_FRAMES) {
        const char *start = end;
        while (start > folded && start[-1] != ';')
            start--;
        fprintf(out, "%s%.*s", shown ? " < " : "", (int)(end - start), start);
        shown++;
        end = start > folded ? start - 1 : folded;
    }
    if (end > folded)
        fputs(" < ...", out);
    fputc('\n', out);
}

static int tl_has_alloc(const struct prof_profile *p, uint32_t process)
{
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].process == process && p->samples[i].kind == PROF_KIND_ALLOC)
            return 1;
    return 0;
}

/* The interval an alert fired in: the one ending at its time (the runtime checks the rules when it
 * writes METRICS), else the first ending after it; NULL when there is none. */
static const struct prof_interval *tl_alert_interval(const struct prof_profile *p,
                                                     const struct prof_alert *al)
{
    const struct prof_interval *best = NULL;
    for (size_t i = 0; i < p->nintervals; i++) {
        const struct prof_interval *iv = &p->intervals[i];
        if (iv->process != al->process || iv->end_ns < al->time_ns)
            continue;
        if (!best || iv->end_ns < best->end_ns)
            best = iv;
    }
    return best;
}

static int tl_alert_stacks(FILE *out, const struct prof_profile *p, const struct prof_alert *al,
                           const struct timeline_options *o, char *errbuf, size_t errlen)
{
    const struct prof_interval *iv = tl_alert_interval(p, al);
    uint64_t flush = p->processes[al->process].flush_ms * 1000000u;
    uint64_t end = iv ? iv->end_ns : al->time_ns;
    uint64_t len = iv ? iv->interval_ns : flush;
    uint64_t start = end > len ? end - len : 0;
    int bytes = (strncmp(al->rule, "heap", 4) == 0 || strncmp(al->rule, "rss", 3) == 0) &&
                tl_has_alloc(p, al->process);
    struct tl_sel sel = {al->process, bytes};
    struct agg_options ao = {.thread = o->thread, .sym_flags = o->sym_flags, .folded = 1,
                             .value = tl_value_hook, .value_arg = &sel,
                             .from_ns = start, .to_ns = end + 1};
    struct agg *a = NULL;
    int rc = agg_build(p, &ao, &a, errbuf, errlen);
    if (rc)
        return rc;
    fprintf(out, "    interval %.3f-%.3f s, top stacks by %s:\n", (double)start / 1e9,
            (double)end / 1e9, bytes ? "allocated bytes" : "samples");
    if (a->total == 0) {
        fprintf(out, "      (none in this interval)\n");
    } else {
        qsort(a->folded, a->nfolded, sizeof(*a->folded), tl_folded_cmp);
        size_t top = o->top ? o->top : 5;
        for (size_t i = 0; i < a->nfolded && i < top; i++) {
            fprintf(out, "    %6.2f%%  ", 100.0 * (double)a->folded[i].weight / (double)a->total);
            tl_print_stack(out, a->folded[i].stack);
        }
    }
    agg_free(a);
    return 0;
}

int timeline_alerts(FILE *out, const struct prof_profile *p, const struct timeline_options *o,
                    char *errbuf, size_t errlen)
{
    size_t shown = 0;
    for (size_t i = 0; i < p->nalerts; i++) {
        const struct prof_alert *al = &p->alerts[i];
        if (timeline_windowed(o) && (al->time_ns < o->from_ns || al->time_ns >= o->to_ns))
            continue;
        if (shown++ == 0)
            fprintf(out, "\nAlerts\n");
        fprintf(out, "  at %.3f s  %s  %s", (double)al->time_ns / 1e9, al->rule, al->value);
        if (p->nprocesses > 1)
            fprintf(out, "  (pid %" PRIu64 ")", p->processes[al->process].pid);
        fputc('\n', out);
        int rc = tl_alert_stacks(out, p, al, o, errbuf, errlen);
        if (rc)
            return rc;
    }
    return 0;
}
