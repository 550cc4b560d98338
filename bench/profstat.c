/* SPDX-License-Identifier: MIT */
/* profstat: the numbers the benchmark needs from one profile file (libprof's, or gperftools'
 * legacy CPU profile): samples, weight, CPU seconds, effective rate, losses, bytes per sample, and
 * optionally the inclusive share of named functions of the main executable. */

/*
 * Usage: profstat [--gperftools] [--exe PATH --share F1,F2,...] FILE
 *
 * Prints one "key value" line per measure (stable names, for scripts):
 *   samples, weight, cpu_s, effective_hz, weight_hz, dropped, file_bytes, bytes_per_sample,
 *   timer, timer_requested, hz, unwinder, warnings (libprof; the warnings themselves go to stderr);
 *   samples, weight, records, period_us, hz, file_bytes, bytes_per_sample (gperftools; its file
 *   holds no CPU time). With --share: "share F PERCENT" per function: the percentage of
 *   the total weight whose stack contains F (inclusive).
 *
 * --share works without debug information: it reads the symbol table of PATH with `nm -S` and maps
 * each frame to it (frame 0 as is, return addresses minus one). For libprof files the module and
 * its load bias come from the profile; for gperftools files from the /proc/self/maps text at its end
 * (valid for executables whose PT_LOAD virtual addresses equal their file offsets, as GNU ld lays out
 * PIE executables). --exe defaults to the profiled executable recorded in a libprof file.
 * Exit status: 0, 2 on a bad command line or unreadable file.
 */
#define _GNU_SOURCE
#include "format.h"
#include "prof/profile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SHARES 16

/* ---------- symbols of the main executable (from nm) ---------- */

struct sym {
    uint64_t start, size;
    char name[128];
};

struct symtab {
    struct sym *v;
    size_t n, cap;
};

/* Loads defined text symbols with sizes: "VALUE SIZE TYPE NAME" lines of `nm -S --defined-only`. */
static int symtab_load(struct symtab *t, const char *exe)
{
    char cmd[4200];
    /* The path is quoted for the shell; a path containing a quote is refused rather than escaped. */
    if (strchr(exe, '\'')) {
        fprintf(stderr, "profstat: %s: path contains a quote\n", exe);
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "nm -S --defined-only '%s' 2>/dev/null", exe);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[512];
    while (fgets(line, sizeof(line), p)) {
        uint64_t start, size;
        char type, name[128];
        if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %127s", &start, &size, &type, name) != 4)
            continue; /* symbols without a size */
        if (type != 't' && type != 'T')
            continue;
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 256;
            struct sym *v = realloc(t->v, cap * sizeof(*v));
            if (!v)
                break;
            t->v = v;
            t->cap = cap;
        }
        struct sym *s = &t->v[t->n++];
        s->start = start;
        s->size = size;
        snprintf(s->name, sizeof(s->name), "%s", name);
    }
    pclose(p);
    if (t->n == 0) {
        fprintf(stderr, "profstat: %s: no sized text symbols (nm missing, or stripped?)\n", exe);
        return -1;
    }
    return 0;
}

static const char *symtab_lookup(const struct symtab *t, uint64_t vaddr)
{
    for (size_t i = 0; i < t->n; i++)
        if (vaddr >= t->v[i].start && vaddr < t->v[i].start + t->v[i].size)
            return t->v[i].name;
    return NULL;
}

/* Inclusive share accumulator: for each sample, which of the wanted functions its stack contains. */
struct shares {
    size_t n;
    const char *names[MAX_SHARES];
    uint64_t hit[MAX_SHARES];
    uint64_t total;
    int seen[MAX_SHARES]; /* per-sample scratch */
};

static int shares_parse(struct shares *s, char *list)
{
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (s->n == MAX_SHARES) {
            fprintf(stderr, "profstat: at most %d functions in --share\n", MAX_SHARES);
            return -1;
        }
        s->names[s->n++] = tok;
    }
    return s->n ? 0 : -1;
}

static void shares_begin(struct shares *s) { memset(s->seen, 0, sizeof(s->seen)); }

static void shares_frame(struct shares *s, const char *name)
{
    if (!name)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(name, s->names[i]) == 0)
            s->seen[i] = 1;
}

static void shares_end(struct shares *s, uint64_t weight)
{
    s->total += weight;
    for (size_t i = 0; i < s->n; i++)
        if (s->seen[i])
            s->hit[i] += weight;
}

static void shares_print(const struct shares *s)
{
    for (size_t i = 0; i < s->n; i++)
        printf("share %s %.2f\n", s->names[i],
               s->total ? 100.0 * (double)s->hit[i] / (double)s->total : 0.0);
}

/* ---------- libprof profiles ---------- */

static const char *timer_label(uint64_t t)
{
    switch (t) {
    case FMT_TIMER_PERF: return "perf";
    case FMT_TIMER_CPUTIME: return "cputime";
    case FMT_TIMER_ITIMER: return "itimer";
    default: return "none";
    }
}

static const char *unwinder_label(uint64_t u)
{
    switch (u) {
    case FMT_UNWIND_DWARF: return "dwarf";
    case FMT_UNWIND_FP: return "fp";
    case FMT_UNWIND_LIBUNWIND: return "libunwind";
    default: return "unknown";
    }
}

static int stat_libprof(const char *file, off_t bytes, const char *exe, struct shares *sh)
{
    struct prof_profile *p;
    char err[512];
    const char *files[1] = {file};
    if (prof_profile_load(files, 1, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "profstat: %s\n", err);
        return 2;
    }
    for (size_t i = 0; i < p->nwarnings; i++)
        fprintf(stderr, "profstat: warning: %s\n", p->warnings[i]);

    uint64_t weight = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        weight += p->samples[i].weight;
    double cpu_s = (double)prof_profile_counter(p, FMT_CTR_CPU_NS) / 1e9;
    const struct prof_process *proc = &p->processes[0];
    printf("samples %zu\n", p->nsamples);
    printf("weight %" PRIu64 "\n", weight);
    printf("cpu_s %.6f\n", cpu_s);
    printf("effective_hz %.1f\n", cpu_s > 0 ? (double)p->nsamples / cpu_s : 0.0);
    printf("weight_hz %.1f\n", cpu_s > 0 ? (double)weight / cpu_s : 0.0);
    printf("dropped %" PRIu64 "\n", prof_profile_counter(p, FMT_CTR_DROPPED));
    printf("file_bytes %lld\n", (long long)bytes);
    printf("bytes_per_sample %.2f\n", p->nsamples ? (double)bytes / (double)p->nsamples : 0.0);
    printf("timer %s\n", timer_label(proc->timer));
    printf("timer_requested %s\n", proc->timer_requested ? timer_label(proc->timer_requested)
                                                           : "auto");
    printf("hz %" PRIu64 "\n", proc->hz);
    printf("unwinder %s\n", unwinder_label(proc->unwinder));
    printf("warnings %zu\n", p->nwarnings);

    int rc = 0;
    if (sh->n) {
        struct symtab t = {0};
        if (!exe)
            exe = proc->exe_path;
        if (symtab_load(&t, exe) != 0) {
            rc = 2;
        } else {
            for (size_t i = 0; i < p->nsamples; i++) {
                const struct prof_sample *s = &p->samples[i];
                const struct prof_stack *st = &p->stacks[s->stack];
                shares_begin(sh);
                for (uint32_t f = 0; f < st->nframes; f++) {
                    uint64_t a = st->frames[f] - (f > 0);
                    const struct prof_module *m = prof_profile_find_module(p, s->process, a,
                                                                           s->time_ns);
                    if (m && strcmp(m->path, exe) == 0)
                        shares_frame(sh, symtab_lookup(&t, a - m->bias));
                }
                shares_end(sh, s->weight);
            }
            shares_print(sh);
        }
        free(t.v);
    }
    prof_profile_free(p);
    return rc;
}

/* ---------- gperftools legacy CPU profiles ---------- */

/* Mappings of `exe` found in the /proc/self/maps text that ends a gperftools profile. */
struct mapping {
    uint64_t start, end, offset;
};

static size_t parse_maps(const char *text, size_t len, const char *exe, struct mapping *out,
                         size_t max)
{
    size_t n = 0;
    const char *p = text, *end = text + len;
    while (p < end && n < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char line[4352];
        if (ll < sizeof(line)) {
            memcpy(line, p, ll);
            line[ll] = 0;
            uint64_t s, e, off;
            char perms[8];
            int pos = 0;
            if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n", &s, &e, perms,
                       &off, &pos) == 4 &&
                pos > 0 && strcmp(line + pos, exe) == 0)
                out[n++] = (struct mapping){s, e, off};
        }
        p += ll + 1;
    }
    return n;
}

static int stat_gperftools(const char *file, const char *exe, struct shares *sh)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "profstat: %s: %s\n", file, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size < 5 * 8) {
        fprintf(stderr, "profstat: %s: too short for a gperftools profile\n", file);
        fclose(f);
        return 2;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len);
    if (!buf || fread(buf, 1, len, f) != len) {
        fprintf(stderr, "profstat: %s: read failed\n", file);
        fclose(f);
        free(buf);
        return 2;
    }
    fclose(f);
    /* 64-bit words: header {0, 3, 0, period_us, 0}, records {count, depth, pc × depth}, trailer
     * {0, 1, 0}, then the text of /proc/self/maps. */
    const uint64_t *w = (const uint64_t *)buf;
    size_t nw = len / 8;
    if (w[0] != 0 || w[1] != 3 || w[2] != 0) {
        fprintf(stderr, "profstat: %s: not a gperftools CPU profile\n", file);
        free(buf);
        return 2;
    }
    uint64_t period_us = w[3];
    size_t i = 5, records_start = 5;
    uint64_t samples = 0, records = 0;
    int ended = 0;
    /* First pass: totals, and where the maps text starts. */
    while (i + 2 <= nw) {
        uint64_t count = w[i], depth = w[i + 1];
        if (count == 0 && depth == 1 && i + 2 < nw && w[i + 2] == 0) {
            ended = 1;
            i += 3;
            break;
        }
        if (depth > nw - i - 2)
            break;
        samples += count;
        records++;
        i += 2 + depth;
    }
    if (!ended)
        fprintf(stderr, "profstat: warning: %s: no end-of-samples marker\n", file);
    printf("samples %" PRIu64 "\n", samples);
    printf("weight %" PRIu64 "\n", samples);
    printf("records %" PRIu64 "\n", records);
    printf("period_us %" PRIu64 "\n", period_us);
    printf("hz %.1f\n", period_us ? 1e6 / (double)period_us : 0.0);
    printf("file_bytes %zu\n", len);
    printf("bytes_per_sample %.2f\n", samples ? (double)len / (double)samples : 0.0);

    int rc = 0;
    if (sh->n) {
        struct mapping maps[64];
        size_t nmaps = 0;
        struct symtab t = {0};
        if (!exe) {
            fprintf(stderr, "profstat: --share on a gperftools profile needs --exe\n");
            rc = 2;
        } else if (ended) {
            nmaps = parse_maps((const char *)(buf + i * 8), len - i * 8, exe, maps, 64);
        }
        if (rc == 0 && nmaps == 0) {
            fprintf(stderr, "profstat: %s: no mapping of %s in the profile\n", file,
                    exe ? exe : "?");
            rc = 2;
        }
        if (rc == 0 && symtab_load(&t, exe) != 0)
            rc = 2;
        for (size_t k = records_start; rc == 0 && k + 2 <= nw;) {
            uint64_t count = w[k], depth = w[k + 1];
            if ((count == 0 && depth == 1) || depth > nw - k - 2)
                break;
            shares_begin(sh);
            for (uint64_t d = 0; d < depth; d++) {
                uint64_t a = w[k + 2 + d] - (d > 0);
                for (size_t m = 0; m < nmaps; m++)
                    if (a >= maps[m].start && a < maps[m].end)
                        shares_frame(sh, symtab_lookup(&t, a - maps[m].start + maps[m].offset));
            }
            shares_end(sh, count);
            k += 2 + depth;
        }
        if (rc == 0)
            shares_print(sh);
        free(t.v);
    }
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    int gperf = 0;
    const char *exe = NULL, *file = NULL;
    struct shares sh;
    memset(&sh, 0, sizeof(sh));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--gperftools") == 0) {
            gperf = 1;
        } else if (strcmp(argv[i], "--exe") == 0 && i + 1 < argc) {
            exe = argv[++i];
        } else if (strcmp(argv[i], "--share") == 0 && i + 1 < argc) {
            if (shares_parse(&sh, argv[++i]) != 0)
                goto usage;
        } else if (argv[i][0] == '-' || file) {
            goto usage;
        } else {
            file = argv[i];
        }
    }
    if (!file)
        goto usage;
    if (gperf)
        return stat_gperftools(file, exe, &sh);
    struct stat st;
    if (stat(file, &st) != 0) {
        fprintf(stderr, "profstat: %s: %s\n", file, strerror(errno));
        return 2;
    }
    return stat_libprof(file, st.st_size, exe, &sh);

usage:
    fprintf(stderr, "usage: profstat [--gperftools] [--exe PATH --share F1,F2,...] FILE\n");
    return 2;
}
