/* SPDX-License-Identifier: MIT */
/* The run over time: per-interval metrics written with each chunk (METRICS), and threshold alerts
 * from PROF_ALERT checked at the same moments (one line on stderr or PROF_ALERT_LOG, and an ALERT
 * record) — the seed's real-time monitor. Flusher context only. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum metric {
    M_CPU,         /* % of one CPU (user + sys) */
    M_RSS,         /* bytes */
    M_HEAP_GROWTH, /* estimated live heap growth, bytes per second */
    M_DROPS,       /* fraction of samples dropped */
    M_THREADS,     /* count */
    M_OFFCPU,      /* fraction of wall samples off CPU */
    M_REGION,      /* a region's latency percentile, ns */
};

struct rule {
    enum metric metric;
    int greater;        /* '>' (else '<') */
    double threshold;   /* in the metric's base unit */
    double percentile;  /* M_REGION: 0.5, 0.95, 0.99... */
    char region[64];
    char text[96];      /* as written */
    int firing;
};

#define MAX_RULES 16
#define HEAP_WINDOW 6 /* heap growth is the slope over up to this many intervals */

static struct {
    struct rule rules[MAX_RULES];
    int nrules;
    int log_fd;
    uint64_t last_ns;
    uint64_t user_ns, sys_ns, samples, dropped, wall_on, wall_off;
    uint64_t heap_t[HEAP_WINDOW], heap_v[HEAP_WINDOW];
    int heap_n;
    int initialized;
} mt = {.log_fd = STDERR_FILENO};

/* ---- PROF_ALERT parsing ---- */

/* "80%" -> 0.8 for fractions, "80" for cpu (percent of one CPU); sizes with K/M/G (powers of
 * 1024) and optional B; durations with ns/us/ms/s; rates with /s or /min. */
static int parse_number(const char *s, enum metric m, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    double scale = 1;
    switch (m) {
    case M_CPU:
        if (*end == '%')
            end++;
        break;
    case M_DROPS:
    case M_OFFCPU:
        if (*end == '%') {
            end++;
            scale = 0.01;
        }
        break;
    case M_RSS:
    case M_HEAP_GROWTH: {
        char u = (char)toupper((unsigned char)*end);
        if (u == 'K')
            scale = 1024.0;
        else if (u == 'M')
            scale = 1024.0 * 1024;
        else if (u == 'G')
            scale = 1024.0 * 1024 * 1024;
        if (scale != 1)
            end++;
        if (toupper((unsigned char)*end) == 'I') /* KiB, MiB */
            end++;
        if (toupper((unsigned char)*end) == 'B')
            end++;
        if (m == M_HEAP_GROWTH) {
            if (strcmp(end, "/min") == 0) {
                scale /= 60.0;
                end += 4;
            } else if (strcmp(end, "/s") == 0) {
                end += 2;
            } else {
                return -1; /* a growth needs its time unit */
            }
        }
        break;
    }
    case M_REGION:
        if (strncmp(end, "ns", 2) == 0) {
            end += 2;
        } else if (strncmp(end, "us", 2) == 0) {
            scale = 1e3;
            end += 2;
        } else if (strncmp(end, "ms", 2) == 0) {
            scale = 1e6;
            end += 2;
        } else if (*end == 's') {
            scale = 1e9;
            end++;
        } else {
            return -1;
        }
        break;
    case M_THREADS:
        break;
    }
    if (*end)
        return -1;
    *out = v * scale;
    return 0;
}

static int parse_rule(const char *text, struct rule *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->text, sizeof(r->text), "%s", text);
    const char *op = strpbrk(text, "<>");
    if (!op)
        return -1;
    r->greater = *op == '>';
    size_t nlen = (size_t)(op - text);
    char name[96];
    if (nlen == 0 || nlen >= sizeof(name))
        return -1;
    memcpy(name, text, nlen);
    name[nlen] = 0;
    static const struct {
        const char *name;
        enum metric m;
    } metrics[] = {{"cpu", M_CPU},         {"rss", M_RSS},         {"heap_growth", M_HEAP_GROWTH},
                   {"drops", M_DROPS},     {"threads", M_THREADS}, {"offcpu", M_OFFCPU}};
    int found = 0;
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        if (strcmp(name, metrics[i].name) == 0) {
            r->metric = metrics[i].m;
            found = 1;
        }
    }
    if (!found && strncmp(name, "region:", 7) == 0) {
        /* region:NAME.pNN */
        const char *dot = strrchr(name + 7, '.');
        if (!dot || dot[1] != 'p' || (size_t)(dot - (name + 7)) >= sizeof(r->region) ||
            dot == name + 7)
            return -1;
        char *end;
        double pct = strtod(dot + 2, &end);
        if (*end || pct <= 0 || pct >= 100)
            return -1;
        memcpy(r->region, name + 7, (size_t)(dot - (name + 7)));
        r->percentile = pct / 100.0;
        r->metric = M_REGION;
        found = 1;
    }
    if (!found)
        return -1;
    return parse_number(op + 1, r->metric, &r->threshold);
}

void metrics_init(void)
{
    const char *spec = secure_getenv("PROF_ALERT");
    if (spec && *spec) {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s", spec);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            if (mt.nrules == MAX_RULES) {
                log_warn("PROF_ALERT: more than %d rules; '%s' and after are ignored", MAX_RULES,
                         tok);
                break;
            }
            if (parse_rule(tok, &mt.rules[mt.nrules]) == 0)
                mt.nrules++;
            else
                log_warn("PROF_ALERT: rule '%s' is not valid (e.g. cpu>80%%, rss>1G, "
                         "heap_growth>10MB/min, drops>1%%, threads>100, offcpu>50%%, "
                         "region:NAME.p95>50ms); ignored",
                         tok);
        }
    }
    const char *log = secure_getenv("PROF_ALERT_LOG");
    if (log && *log && mt.nrules) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
            mt.log_fd = fd;
        else
            log_warn("PROF_ALERT_LOG=%s: %s; alerts go to stderr", log, strerror(errno));
    }
}

/* ---- reading the process ---- */

static uint64_t read_rss(void)
{
    char buf[128];
    if (procfs_read("/proc/self/statm", buf, sizeof(buf)) <= 0)
        return 0;
    unsigned long long size, resident;
    if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
        return 0;
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t read_threads(void)
{
    char buf[1024];
    if (procfs_read("/proc/self/stat", buf, sizeof(buf)) <= 0)
        return 0;
    const char *p = strrchr(buf, ')'); /* fields after the command name; num_threads is 20th */
    for (int field = 2; p && field < 20; field++)
        p = strchr(p + 1, ' ');
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* ---- the interval ---- */

static void put_pair(struct fmt_buf *b, uint64_t key, uint64_t value, uint64_t *n)
{
    fmt_put_varint(b, key);
    fmt_put_varint(b, value);
    (*n)++;
}

static void fire(struct fmt_buf *out, struct rule *r, uint64_t now_ns, const char *value)
{
    char line[400];
    int n = snprintf(line, sizeof(line), "libprof: alert: %s at %.1f s: %s\n", r->text,
                     (double)now_ns / 1e9, value);
    if (n > 0) {
        ssize_t unused = write(mt.log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        (void)unused;
    }
    line[n > 0 && (size_t)n < sizeof(line) ? n - 1 : 0] = 0; /* the record keeps it without \n */
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, now_ns);
    fmt_put_string(&b, r->text);
    fmt_put_string(&b, value);
    fmt_put_string(&b, line);
    fmt_put_record(out, FMT_REC_ALERT, &b);
    fmt_buf_free(&b);
}

static void check_rules(struct fmt_buf *out, uint64_t now_ns, const double *vals, const int *have)
{
    for (int i = 0; i < mt.nrules; i++) {
        struct rule *r = &mt.rules[i];
        double v;
        char text[96];
        if (r->metric == M_REGION) {
            int64_t ns = regionagg_interval_percentile(r->region, r->percentile);
            if (ns < 0)
                continue;
            v = (double)ns;
            snprintf(text, sizeof(text), "%s p%g = %.2f ms", r->region, r->percentile * 100,
                     v / 1e6);
        } else {
            if (!have[r->metric])
                continue;
            v = vals[r->metric];
            switch (r->metric) {
            case M_CPU: snprintf(text, sizeof(text), "cpu %.1f%%", v); break;
            case M_RSS: snprintf(text, sizeof(text), "rss %.1f MiB", v / 1048576.0); break;
            case M_HEAP_GROWTH:
                snprintf(text, sizeof(text), "heap growing %.2f MiB/min", v * 60 / 1048576.0);
                break;
            case M_DROPS: snprintf(text, sizeof(text), "%.2f%% of samples dropped", v * 100); break;
            case M_THREADS: snprintf(text, sizeof(text), "%.0f threads", v); break;
            case M_OFFCPU: snprintf(text, sizeof(text), "%.1f%% off CPU", v * 100); break;
            default: text[0] = 0; break;
            }
        }
        int now_firing = r->greater ? v > r->threshold : v < r->threshold;
        if (now_firing && !r->firing) /* edge-triggered: once per excursion */
            fire(out, r, now_ns, text);
        r->firing = now_firing;
    }
}

void metrics_emit(struct fmt_buf *out, uint64_t now_ns, const struct metrics_input *in)
{
    if (!mt.initialized) { /* the first interval starts at the start of the run */
        mt.initialized = 1;
        mt.last_ns = 0;
    }
    uint64_t interval = now_ns > mt.last_ns ? now_ns - mt.last_ns : 0;
    uint64_t d_user = in->user_ns - mt.user_ns, d_sys = in->sys_ns - mt.sys_ns;
    uint64_t d_samples = in->samples - mt.samples, d_dropped = in->dropped - mt.dropped;
    uint64_t d_on = in->wall_on - mt.wall_on, d_off = in->wall_off - mt.wall_off;
    uint64_t rss = read_rss(), threads = read_threads();

    struct fmt_buf pairs, b;
    fmt_buf_init(&pairs);
    fmt_buf_init(&b);
    uint64_t np = 0;
    put_pair(&pairs, 1, d_user, &np);
    put_pair(&pairs, 2, d_sys, &np);
    put_pair(&pairs, 3, rss, &np);
    put_pair(&pairs, 4, threads, &np);
    put_pair(&pairs, 5, d_samples, &np);
    put_pair(&pairs, 6, d_dropped, &np);
    if (in->alloc_mode)
        put_pair(&pairs, 7, in->live_heap, &np);
    if (in->wall_mode) {
        put_pair(&pairs, 8, d_off, &np);
        put_pair(&pairs, 9, d_on, &np);
    }
    fmt_put_varint(&b, now_ns);
    fmt_put_varint(&b, interval);
    fmt_put_varint(&b, np);
    fmt_put_bytes(&b, pairs.data, pairs.len);
    fmt_put_record(out, FMT_REC_METRICS, &b);
    fmt_buf_free(&pairs);
    fmt_buf_free(&b);

    if (mt.nrules && interval > 0) {
        double vals[M_REGION + 1] = {0};
        int have[M_REGION + 1] = {0};
        vals[M_CPU] = 100.0 * (double)(d_user + d_sys) / (double)interval;
        have[M_CPU] = 1;
        vals[M_RSS] = (double)rss;
        have[M_RSS] = rss > 0;
        vals[M_THREADS] = (double)threads;
        have[M_THREADS] = threads > 0;
        if (d_samples + d_dropped > 0) {
            vals[M_DROPS] = (double)d_dropped / (double)(d_samples + d_dropped);
            have[M_DROPS] = 1;
        }
        if (d_on + d_off > 0) {
            vals[M_OFFCPU] = (double)d_off / (double)(d_on + d_off);
            have[M_OFFCPU] = 1;
        }
        if (in->alloc_mode) {
            /* Slope over the last intervals: one interval's estimate is too noisy. */
            if (mt.heap_n == HEAP_WINDOW) {
                memmove(mt.heap_t, mt.heap_t + 1, (HEAP_WINDOW - 1) * sizeof(mt.heap_t[0]));
                memmove(mt.heap_v, mt.heap_v + 1, (HEAP_WINDOW - 1) * sizeof(mt.heap_v[0]));
                mt.heap_n--;
            }
            mt.heap_t[mt.heap_n] = now_ns;
            mt.heap_v[mt.heap_n] = in->live_heap;
            mt.heap_n++;
            if (mt.heap_n >= 3) {
                double dt = (double)(mt.heap_t[mt.heap_n - 1] - mt.heap_t[0]) / 1e9;
                double dv = (double)mt.heap_v[mt.heap_n - 1] - (double)mt.heap_v[0];
                if (dt > 0) {
                    vals[M_HEAP_GROWTH] = dv / dt;
                    have[M_HEAP_GROWTH] = 1;
                }
            }
        }
        check_rules(out, now_ns, vals, have);
    }
    mt.last_ns = now_ns;
    mt.user_ns = in->user_ns;
    mt.sys_ns = in->sys_ns;
    mt.samples = in->samples;
    mt.dropped = in->dropped;
    mt.wall_on = in->wall_on;
    mt.wall_off = in->wall_off;
}

void metrics_reset_after_fork(void)
{
    struct rule rules[MAX_RULES];
    int n = mt.nrules, fd = mt.log_fd;
    memcpy(rules, mt.rules, sizeof(rules));
    memset(&mt, 0, sizeof(mt));
    memcpy(mt.rules, rules, sizeof(rules));
    for (int i = 0; i < n; i++)
        mt.rules[i].firing = 0;
    mt.nrules = n;
    mt.log_fd = fd;
}
