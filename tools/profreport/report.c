/* SPDX-License-Identifier: MIT */
/* profreport output formats: text tables, collapsed stacks, leaf addresses. */
#include "report.h"

#include "format.h"

#include <inttypes.h>
#include <string.h>

static const char *report_timer_name(uint64_t t)
{
    switch (t) {
    case FMT_TIMER_NONE: return "none";
    case FMT_TIMER_PERF: return "perf (perf_event cpu-clock)";
    case FMT_TIMER_CPUTIME: return "cputime (POSIX per-thread CPU timers)";
    case FMT_TIMER_ITIMER: return "itimer (process-wide ITIMER_PROF)";
    default: return "unknown";
    }
}

static double report_pct(uint64_t w, uint64_t total)
{
    return total ? 100.0 * (double)w / (double)total : 0.0;
}

void report_header(FILE *out, const struct prof_profile *p, const struct agg *a,
                   const struct report_options *o)
{
    uint64_t cpu_ns = prof_profile_counter(p, FMT_CTR_CPU_NS);
    for (size_t i = 0; i < p->nprocesses; i++) {
        const struct prof_process *pr = &p->processes[i];
        fprintf(out, "Program: %s (pid %" PRIu64 ", file %s)\n", pr->exe_path ? pr->exe_path : "?",
                pr->pid, pr->file ? pr->file : "?");
        fprintf(out, "Command:");
        for (size_t k = 0; k < pr->argc; k++)
            fprintf(out, " %s", pr->argv[k]);
        fprintf(out, "\n");
        fprintf(out, "Duration: %.3f s%s\n", (double)pr->duration_ns / 1e9,
                pr->ended_cleanly ? "" : " (run did not end cleanly)");
        fprintf(out, "Timer: %s, requested %" PRIu64 " Hz\n", report_timer_name(pr->timer), pr->hz);
    }
    size_t nthreads = p->nthreads;
    fprintf(out, "Threads: %zu\n", nthreads);
    if (o->thread)
        fprintf(out, "Thread filter: %s\n", o->thread);
    if (o->to_ns > o->from_ns) {
        if (o->to_ns == UINT64_MAX)
            fprintf(out, "Time window: from %.3f s to the end of the run\n", (double)o->from_ns / 1e9);
        else
            fprintf(out, "Time window: %.3f s to %.3f s\n", (double)o->from_ns / 1e9,
                    (double)o->to_ns / 1e9);
    }
    uint64_t taken = prof_profile_counter(p, FMT_CTR_SAMPLES);
    uint64_t all_weight = 0;
    size_t ntimer = 0; /* allocation samples are counted in the allocation header */
    for (size_t i = 0; i < p->nsamples; i++) {
        if (p->samples[i].kind != PROF_KIND_ALLOC) {
            all_weight += p->samples[i].weight;
            ntimer++;
        }
    }
    fprintf(out,
            "Samples: %zu in file (weight %" PRIu64 "), %" PRIu64 " selected (weight %" PRIu64
            "); dropped %" PRIu64 ", unwind failed %" PRIu64 ", truncated %" PRIu64 "\n",
            ntimer, all_weight, a->nsamples, a->total, prof_profile_counter(p, FMT_CTR_DROPPED),
            prof_profile_counter(p, FMT_CTR_UNWIND_FAILED), prof_profile_counter(p, FMT_CTR_TRUNCATED));
    /* Effective rate: timer samples actually taken per CPU-second (not their weight: a tick-bound
     * timer asked for 1000 Hz takes ~250 samples weighing 4 each), against the request. */
    uint64_t timer_samples = 0, hz = p->nprocesses ? p->processes[0].hz : 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind == FMT_KIND_CPU || p->samples[i].kind == FMT_KIND_WALL_ON)
            timer_samples++;
    int rate_warning = 0;
    if (cpu_ns && timer_samples) {
        double eff = (double)timer_samples / ((double)cpu_ns / 1e9);
        fprintf(out, "Rate: requested %" PRIu64 " Hz, effective %.1f Hz (%" PRIu64
                " timer samples in %.3f CPU-s)\n", hz, eff, timer_samples, (double)cpu_ns / 1e9);
        rate_warning = hz && eff < 0.9 * (double)hz;
        if (rate_warning)
            fprintf(out, "  warning: effective rate is %.0f%% of the requested rate (the timer "
                    "source cannot deliver it, or CPU time was spent in the kernel, which perf "
                    "timers do not sample)\n", 100.0 * eff / (double)hz);
    } else {
        fprintf(out, "Rate: requested %" PRIu64 " Hz, effective unknown (%s)\n", hz,
                cpu_ns ? "no timer samples" : "no CPU time recorded");
    }
    (void)taken;
    size_t nw = p->nwarnings + sym_nwarnings(a->sym);
    if (nw == 0) {
        fprintf(out, "Warnings: none\n");
    } else {
        fprintf(out, "Warnings: %zu\n", nw);
        for (size_t i = 0; i < p->nwarnings; i++)
            fprintf(out, "  warning: %s\n", p->warnings[i]);
        for (size_t i = 0; i < sym_nwarnings(a->sym); i++)
            fprintf(out, "  warning: %s\n", sym_warning(a->sym, i));
    }
}

/* Width of the name column: the longest name shown, within reason. */
static int report_width(const struct agg *a, const struct agg_row *rows, size_t n, int lines)
{
    size_t w = 20;
    for (size_t i = 0; i < n; i++) {
        const char *s;
        size_t extra = 0;
        if (lines) {
            s = sym_line_label(a->sym, rows[i].id);
        } else {
            const struct sym_func *f = sym_func_get(a->sym, rows[i].id);
            s = f->name;
            extra = f->is_inline ? strlen(" [inline]") : 0;
        }
        if (strlen(s) + extra > w)
            w = strlen(s) + extra;
    }
    return w > 80 ? 80 : (int)w;
}

static void report_func_table(FILE *out, const char *title, const struct agg *a,
                              const struct agg_row *rows, size_t n, size_t top)
{
    if (top && n > top)
        n = top;
    int w = report_width(a, rows, n, 0);
    fprintf(out, "\n%s\n", title);
    fprintf(out, "%7s  %7s  %-*s  %s\n", "count", "percent", w, "function", "location");
    for (size_t i = 0; i < n; i++) {
        const struct sym_func *f = sym_func_get(a->sym, rows[i].id);
        char name[1024];
        snprintf(name, sizeof(name), "%s%s", f->name, f->is_inline ? " [inline]" : "");
        fprintf(out, "%7" PRIu64 "  %6.2f%%  %-*s  %s\n", rows[i].weight,
                report_pct(rows[i].weight, a->total), w, name, f->location);
    }
}

static void report_line_table(FILE *out, const struct agg *a, size_t top)
{
    size_t n = a->nhot;
    if (top && n > top)
        n = top;
    int w = report_width(a, a->hot, n, 1);
    fprintf(out, "\nHotspots (source lines by self time)\n");
    fprintf(out, "%7s  %7s  %-*s  %s\n", "count", "percent", w, "line", "function");
    for (size_t i = 0; i < n; i++) {
        const struct sym_func *f = sym_func_get(a->sym, sym_line_func(a->sym, a->hot[i].id));
        fprintf(out, "%7" PRIu64 "  %6.2f%%  %-*s  %s%s\n", a->hot[i].weight,
                report_pct(a->hot[i].weight, a->total), w, sym_line_label(a->sym, a->hot[i].id),
                f->name, f->is_inline ? " [inline]" : "");
    }
}

void report_text(FILE *out, const struct prof_profile *p, const struct agg *a,
                 const struct report_options *o)
{
    report_header(out, p, a, o);
    report_func_table(out, "Cumulative (inclusive)", a, a->cum, a->ncum, o->top);
    report_func_table(out, "Self (exclusive)", a, a->self, a->nself, o->top);
    report_line_table(out, a, o->top);
}

void report_collapsed(FILE *out, const struct agg *a)
{
    for (size_t i = 0; i < a->nfolded; i++)
        fprintf(out, "%s %" PRIu64 "\n", a->folded[i].stack, a->folded[i].weight);
}

void report_leaves(FILE *out, const struct agg *a)
{
    for (size_t i = 0; i < a->nleaves; i++) {
        const struct agg_leaf *l = &a->leaves[i];
        fprintf(out, "0x%" PRIx64 " %s 0x%" PRIx64 " %" PRIu64 " %s\n", l->address,
                l->module ? l->module->path : "-", l->module ? l->module->bias : 0, l->weight,
                sym_func_get(a->sym, l->func)->name);
    }
}
