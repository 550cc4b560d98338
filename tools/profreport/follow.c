/* SPDX-License-Identifier: MIT */
/* profreport --follow: re-reads a growing profile and redraws a summary until the run ends. */
#define _GNU_SOURCE
#include "follow.h"

#include "aggregate.h"
#include "timeline.h"

#include <prof/profile.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define FOLLOW_CHART_INTERVALS 60 /* the charts show the last minute or so */

static uint64_t follow_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void follow_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Whether the process that writes the profile still runs: only knowable on the same host. */
static int follow_writer_alive(const struct prof_process *pr)
{
    struct utsname u;
    if (uname(&u) == 0 && pr->hostname && strcmp(pr->hostname, u.nodename) != 0)
        return 0;
    if (pr->pid == 0 || pr->pid > INT32_MAX)
        return 0;
    return kill((pid_t)pr->pid, 0) == 0 || errno == EPERM;
}

/* Damage the live view expects: the chunk being written is incomplete, and there is no END yet. */
static int follow_expected_warning(const char *w)
{
    return strstr(w, "truncated in chunk") || strstr(w, "did not end cleanly");
}

/* The latest interval of process 0, or NULL. */
static const struct prof_interval *follow_last_interval(const struct prof_profile *p)
{
    const struct prof_interval *last = NULL;
    for (size_t i = 0; i < p->nintervals; i++)
        if (p->intervals[i].process == 0)
            last = &p->intervals[i];
    return last;
}

static void follow_top(FILE *out, const struct prof_profile *p, const struct follow_options *o)
{
    int timer = 0;
    for (size_t i = 0; i < p->nsamples && !timer; i++)
        timer = p->samples[i].kind != PROF_KIND_ALLOC;
    struct agg_options ao = {.thread = o->thread, .sym_flags = o->sym_flags};
    struct agg *a = NULL;
    char err[512];
    if (agg_build(p, &ao, &a, err, sizeof(err)) != 0) {
        fprintf(out, "  (no table: %s)\n", err);
        return;
    }
    size_t top = o->top ? o->top : 15;
    fprintf(out, "\nTop functions by self %s (%" PRIu64 " samples, weight %" PRIu64 ")\n",
            timer ? "time" : "samples", a->nsamples, a->total);
    fprintf(out, "%7s  %7s  %7s  %s\n", "self", "self%", "total%", "function");
    for (size_t i = 0; i < a->nself && i < top; i++) {
        const struct sym_func *f = sym_func_get(a->sym, a->self[i].id);
        uint64_t cum = 0;
        for (size_t k = 0; k < a->ncum; k++)
            if (a->cum[k].id == a->self[i].id)
                cum = a->cum[k].weight;
        fprintf(out, "%7" PRIu64 "  %6.2f%%  %6.2f%%  %s%s\n", a->self[i].weight,
                a->total ? 100.0 * (double)a->self[i].weight / (double)a->total : 0.0,
                a->total ? 100.0 * (double)cum / (double)a->total : 0.0, f->name,
                f->is_inline ? " [inline]" : "");
    }
    if (a->nself == 0)
        fprintf(out, "  (no samples yet)\n");
    agg_free(a);
}

/* One refresh into `out`. */
static void follow_frame(FILE *out, const char *path, const struct prof_profile *p, int state,
                         const struct follow_options *o)
{
    static const char *const states[] = {"running", "ended", "ended (no END record: killed?)"};
    const struct prof_process *pr = &p->processes[0];
    fprintf(out, "profreport --follow %s  pid %" PRIu64 "  %s  %.1f s\n", path, pr->pid,
            states[state], (double)pr->duration_ns / 1e9);
    const struct prof_interval *iv = follow_last_interval(p);
    if (iv) {
        double len = iv->interval_ns ? (double)iv->interval_ns : 1;
        fprintf(out, "Last interval (%.3f s): cpu %.1f%%  rss %.1f MiB  threads %" PRIu64
                     "  samples %" PRIu64 "  dropped %" PRIu64,
                (double)iv->end_ns / 1e9, 100.0 * (double)(iv->user_ns + iv->sys_ns) / len,
                (double)iv->rss / 1048576.0, iv->threads, iv->samples, iv->dropped);
        if (iv->has_heap)
            fprintf(out, "  heap %.2f MiB", (double)iv->live_heap / 1048576.0);
        if (iv->has_wall && iv->wall_on + iv->wall_off)
            fprintf(out, "  off-cpu %.1f%%",
                    100.0 * (double)iv->wall_off / (double)(iv->wall_on + iv->wall_off));
        fputc('\n', out);
        timeline_sparklines(out, p, 0, FOLLOW_CHART_INTERVALS, FOLLOW_CHART_INTERVALS);
    } else {
        fprintf(out, "No metrics yet\n");
    }
    if (p->nalerts) {
        fprintf(out, "Alerts: %zu\n", p->nalerts);
        size_t first = p->nalerts > 3 ? p->nalerts - 3 : 0;
        for (size_t i = first; i < p->nalerts; i++)
            fprintf(out, "  at %.3f s  %s  %s\n", (double)p->alerts[i].time_ns / 1e9,
                    p->alerts[i].rule, p->alerts[i].value);
    }
    for (size_t i = 0; i < p->nwarnings; i++)
        if (!follow_expected_warning(p->warnings[i]))
            fprintf(out, "warning: %s\n", p->warnings[i]);
    follow_top(out, p, o);
}

/* Writes a frame: on a terminal, over the previous one; otherwise appended after a separator. */
static void follow_show(FILE *out, const char *frame, size_t len, int tty, unsigned *nframes)
{
    if (tty)
        fputs("\033[H\033[2J", out); /* cursor home, clear screen */
    else if (*nframes)
        fputs("----------------------------------------------------------------------\n", out);
    fwrite(frame, 1, len, out);
    fflush(out);
    (*nframes)++;
}

int follow_run(FILE *out, const char *path, const struct follow_options *o)
{
    int period = o->period_ms > 0 ? o->period_ms : 1000;
    uint64_t quiet = o->quiet_ms > 0 ? (uint64_t)o->quiet_ms : 3000;
    uint64_t wait = o->wait_ms > 0 ? (uint64_t)o->wait_ms : 30000;
    int tty = isatty(fileno(out));
    uint64_t start = follow_now_ms(), last_growth = start;
    off_t last_size = -1;
    unsigned nframes = 0;
    char err[1024] = "";
    for (;;) {
        struct stat st;
        uint64_t now = follow_now_ms();
        if (stat(path, &st) != 0) {
            if (now - start > wait) {
                fprintf(stderr, "profreport: %s: %s (waited %.0f s)\n", path, strerror(errno),
                        (double)wait / 1e3);
                return 2;
            }
            follow_sleep_ms(period);
            continue;
        }
        if (st.st_size == last_size) {
            /* Nothing new. The run is over once the file has been quiet for a while and its
             * writer is gone (a killed program never writes END). */
            if (now - last_growth >= quiet && nframes) {
                struct prof_profile *p = NULL;
                const char *files[1] = {path};
                if (prof_profile_load(files, 1, &p, err, sizeof(err)) == 0 &&
                    !follow_writer_alive(&p->processes[0])) {
                    char *frame = NULL;
                    size_t len = 0;
                    FILE *mf = open_memstream(&frame, &len);
                    if (mf) {
                        follow_frame(mf, path, p, p->processes[0].ended_cleanly ? 1 : 2, o);
                        fclose(mf);
                        follow_show(out, frame, len, tty, &nframes);
                        free(frame);
                    }
                    prof_profile_free(p);
                    return 0;
                }
                prof_profile_free(p);
                last_growth = now; /* still running (or unreadable): look again later */
            }
            follow_sleep_ms(period);
            continue;
        }
        last_size = st.st_size;
        last_growth = now;
        struct prof_profile *p = NULL;
        const char *files[1] = {path};
        if (prof_profile_load(files, 1, &p, err, sizeof(err)) != 0) {
            /* Not a profile yet (empty, or its first chunk still being written). */
            if (now - start > wait) {
                fprintf(stderr, "profreport: %s\n", err);
                return 2;
            }
            last_size = -1; /* read again even if the size stays */
            follow_sleep_ms(period);
            continue;
        }
        int ended = p->processes[0].ended_cleanly;
        char *frame = NULL;
        size_t len = 0;
        FILE *mf = open_memstream(&frame, &len);
        if (!mf) {
            prof_profile_free(p);
            fprintf(stderr, "profreport: %s\n", strerror(errno));
            return 2;
        }
        follow_frame(mf, path, p, ended ? 1 : 0, o);
        fclose(mf);
        follow_show(out, frame, len, tty, &nframes);
        free(frame);
        prof_profile_free(p);
        if (ended)
            return 0;
        follow_sleep_ms(period);
    }
}
