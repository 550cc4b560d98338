/* SPDX-License-Identifier: MIT */
/* Runtime configuration from PROF_* environment variables. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void config_defaults(struct prof_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->out_pattern, sizeof(cfg->out_pattern), "%%e.%%p.prof");
    cfg->hz = 100;
    cfg->modes = FMT_MODE_CPU;
    cfg->timer = FMT_TIMER_NONE;
    cfg->unwinder = FMT_UNWIND_DWARF;
    cfg->max_depth = 256;
    cfg->flush_ms = 1000;
    cfg->ring_kb = 512;
    cfg->alloc_rate = 512 * 1024;
}

/* secure_getenv: a setuid/setgid host ignores our variables (no writing files where it can). */
static const char *env(const char *name)
{
    const char *v = secure_getenv(name);
    return (v && *v) ? v : NULL;
}

static void parse_uint(const char *name, unsigned min, unsigned max, unsigned *val)
{
    const char *v = env(name);
    if (!v)
        return;
    char *end;
    errno = 0;
    unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || v[0] == '-' || x < min || x > max) {
        log_warn("%s='%s' is not valid (%u..%u); using %u", name, v, min, max, *val);
        return;
    }
    *val = (unsigned)x;
}

struct name_value {
    const char *name;
    int value;
};

static void parse_choice(const char *name, const struct name_value *choices, int *val,
                         const char *dflt_name)
{
    const char *v = env(name);
    if (!v)
        return;
    for (const struct name_value *c = choices; c->name; c++) {
        if (strcasecmp(v, c->name) == 0) {
            *val = c->value;
            return;
        }
    }
    log_warn("%s='%s' is not valid; using %s", name, v, dflt_name);
}

static void parse_modes(struct prof_config *cfg)
{
    const char *v = env("PROF_MODE");
    if (!v)
        return;
    unsigned modes = 0;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",+", &save); tok; tok = strtok_r(NULL, ",+", &save)) {
        if (strcasecmp(tok, "cpu") == 0) {
            modes |= FMT_MODE_CPU;
        } else if (strcasecmp(tok, "wall") == 0) {
            modes |= FMT_MODE_WALL;
        } else if (strcasecmp(tok, "alloc") == 0) {
            modes |= FMT_MODE_ALLOC;
        } else {
            log_warn("PROF_MODE='%s' is not valid (modes: cpu, wall, alloc, joined by ','); using cpu", v);
            return;
        }
    }
    cfg->modes = modes ? modes : FMT_MODE_CPU;
}

void config_from_env(struct prof_config *cfg)
{
    config_defaults(cfg);
    const char *out = env("PROF_OUT");
    if (out) {
        if (strlen(out) >= sizeof(cfg->out_pattern))
            log_warn("PROF_OUT is too long; using %s", cfg->out_pattern);
        else
            snprintf(cfg->out_pattern, sizeof(cfg->out_pattern), "%s", out);
    }
    parse_uint("PROF_HZ", 1, 100000, &cfg->hz);
    parse_modes(cfg);
    static const struct name_value timers[] = {
        {"auto", FMT_TIMER_NONE}, {"perf", FMT_TIMER_PERF}, {"cputime", FMT_TIMER_CPUTIME},
        {"itimer", FMT_TIMER_ITIMER}, {NULL, 0}};
    parse_choice("PROF_TIMER", timers, &cfg->timer, "auto");
    static const struct name_value unwinders[] = {
        {"dwarf", FMT_UNWIND_DWARF}, {"fp", FMT_UNWIND_FP}, {"libunwind", FMT_UNWIND_LIBUNWIND},
        {NULL, 0}};
    parse_choice("PROF_UNWIND", unwinders, &cfg->unwinder, "dwarf");
    parse_uint("PROF_MAX_DEPTH", 1, PROF_MAX_DEPTH_LIMIT, &cfg->max_depth);
    parse_uint("PROF_FLUSH_MS", 10, 60000, &cfg->flush_ms);
    parse_uint("PROF_RING_KB", 16, 65536, &cfg->ring_kb);
    unsigned rate = (unsigned)cfg->alloc_rate;
    parse_uint("PROF_ALLOC_RATE", 1, 1u << 30, &rate);
    cfg->alloc_rate = rate;
    unsigned follow = 1;
    parse_uint("PROF_FOLLOW_FORK", 0, 1, &follow);
    cfg->follow_fork = (int)follow;
    unsigned start = 1;
    parse_uint("PROF_START", 0, 1, &start);
    cfg->start_paused = start == 0;
    /* Test seam (docs/DESIGN.md): behave as if perf events were forbidden, to test the fallback. */
    cfg->test_fail_perf = env("PROF_TEST_FAIL_PERF") != NULL;
}

int config_expand_path(const char *pattern, pid_t pid, const char *exe, char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = pattern; *p; p++) {
        char tmp[32];
        const char *piece = tmp;
        size_t plen;
        if (p[0] == '%' && p[1] == 'p') {
            snprintf(tmp, sizeof(tmp), "%d", (int)pid);
            p++;
        } else if (p[0] == '%' && p[1] == 'e') {
            const char *slash = strrchr(exe, '/');
            piece = slash ? slash + 1 : exe;
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            tmp[0] = '%';
            tmp[1] = 0;
            p++;
        } else {
            tmp[0] = *p;
            tmp[1] = 0;
        }
        plen = strlen(piece);
        if (n + plen + 1 > outlen)
            return -ENAMETOOLONG;
        memcpy(out + n, piece, plen);
        n += plen;
    }
    out[n] = 0;
    return 0;
}
