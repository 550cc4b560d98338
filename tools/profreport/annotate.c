/* SPDX-License-Identifier: MIT */
/* profreport --annotate: per-line self samples of one function over its source text. */
#include "annotate.h"

#include "format.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ANN_SEARCH_DEPTH 4 /* directory levels searched below each root for the source file */
#define ANN_CONTEXT 3      /* source lines shown around the function's sampled lines */

static uint64_t ann_value_wall_all(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    (void)p;
    (void)a;
    return s->kind <= FMT_KIND_WALL_RUNNABLE && s->kind != FMT_KIND_WALL_OFF ? s->weight : 0;
}

static uint64_t ann_value_bytes(const struct prof_profile *p, const struct prof_sample *s, void *a)
{
    (void)p;
    (void)a;
    return s->kind == PROF_KIND_ALLOC ? s->weight : 0;
}

static int ann_regular(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The recorded path moved under `dir`: tries dir + each tail of it, longest first
 * (/build/proj/src/a.c -> dir/build/proj/src/a.c, dir/proj/src/a.c, dir/src/a.c), so a tree
 * copied elsewhere is matched on as many directories as it kept. The bare name is left to the
 * search by name. */
static int ann_find_remapped(const char *dir, const char *recorded, char *out, size_t len)
{
    if (!recorded)
        return -1;
    for (const char *tail = recorded; tail && strchr(tail, '/'); tail = strchr(tail + 1, '/')) {
        while (*tail == '/')
            tail++;
        if (!strchr(tail, '/'))
            break;
        if (snprintf(out, len, "%s/%s", dir, tail) < (int)len && ann_regular(out))
            return 0;
    }
    return -1;
}

/* Depth-limited search for a file named `base` under `dir`. */
static int ann_find(const char *dir, const char *base, int depth, char *out, size_t len)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof(path), "%s/%s", dir, base) < (int)sizeof(path) &&
        stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        snprintf(out, len, "%s", path);
        return 0;
    }
    if (depth == 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = -1;
    while (rc != 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .., hidden directories (.git) */
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
            continue;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rc = ann_find(path, base, depth - 1, out, len);
    }
    closedir(d);
    return rc;
}

struct ann_line {
    uint32_t line;
    uint64_t weight;
};

static int ann_line_cmp(const void *pa, const void *pb)
{
    const struct ann_line *a = pa, *b = pb;
    return a->line < b->line ? -1 : a->line > b->line;
}

int annotate_run(const struct prof_profile *p, const struct export_options *eo)
{
    struct agg_options ao = eo->ao;
    struct agg *a = NULL;
    char err[1024] = "";
    int rc = -1;
    struct ann_line *lines = NULL;
    FILE *src = NULL, *out = stdout;
    ao.folded = 0;
    ao.keep_leaves = 0;
    if (eo->alloc_view)
        ao.value = ann_value_bytes;
    else if (wall_profile(p))
        ao.value = ann_value_wall_all; /* on-CPU lines: off-CPU samples sit in blocking calls */
    if (agg_build(p, &ao, &a, err, sizeof(err))) {
        fprintf(stderr, "profreport: %s\n", err);
        return -1;
    }
    /* The function's lines: self samples of each source line attributed to it. */
    const char *file = NULL, *recorded = NULL; /* basename; the path the debug info gives */
    size_t n = 0;
    uint64_t fn_total = 0, cum = 0;
    int known = 0;
    lines = calloc(a->nhot ? a->nhot : 1, sizeof(*lines));
    if (!lines)
        goto out;
    for (size_t i = 0; i < a->ncum; i++)
        if (strcmp(sym_func_get(a->sym, a->cum[i].id)->name, eo->annotate) == 0) {
            known = 1;
            cum += a->cum[i].weight;
        }
    for (size_t i = 0; i < a->nhot; i++) {
        uint32_t f = sym_line_func(a->sym, a->hot[i].id);
        if (strcmp(sym_func_get(a->sym, f)->name, eo->annotate) != 0)
            continue;
        const char *label = sym_line_label(a->sym, a->hot[i].id); /* "file.c:LINE" */
        const char *colon = strrchr(label, ':');
        if (!colon)
            continue;
        if (!file) {
            file = strndup(label, (size_t)(colon - label));
            recorded = sym_line_path(a->sym, a->hot[i].id);
        }
        if (!file)
            goto out;
        if (strncmp(label, file, strlen(file)) != 0 || label[strlen(file)] != ':')
            continue; /* an inlined callee's lines from another file: not this listing */
        lines[n++] = (struct ann_line){(uint32_t)strtoul(colon + 1, NULL, 10), a->hot[i].weight};
        fn_total += a->hot[i].weight;
    }
    if (!known) {
        fprintf(stderr, "profreport: --annotate %s: no such function in the profile's samples\n",
                eo->annotate);
        goto out;
    }
    if (!file) {
        fprintf(stderr,
                "profreport: --annotate %s: no line information (no debug info, or no self samples "
                "in it: %" PRIu64 " samples below it)\n",
                eo->annotate, cum);
        goto out;
    }
    qsort(lines, n, sizeof(*lines), ann_line_cmp);
    /* Find the source: --source-dir first, then the path the debug info recorded, then a
     * search by name around the executable and here (never wider: a same-named file elsewhere
     * would be the wrong source). */
    char path[PATH_MAX] = "", exedir[PATH_MAX] = "";
    const struct prof_process *pr = p->nprocesses ? &p->processes[0] : NULL;
    if (pr && pr->exe_path) {
        snprintf(exedir, sizeof(exedir), "%s", pr->exe_path);
        char *s = strrchr(exedir, '/');
        if (s)
            *s = '\0';
    }
    int found = eo->source_dir && ann_find_remapped(eo->source_dir, recorded, path, sizeof(path)) == 0;
    /* Only an absolute one: a relative path (a build with -fdebug-prefix-map=$PWD=.) would be
     * looked up here, in whatever directory profreport runs in. */
    if (!found && recorded && recorded[0] == '/' && ann_regular(recorded)) {
        snprintf(path, sizeof(path), "%s", recorded);
        found = 1;
    }
    const char *roots[] = {eo->source_dir, exedir[0] ? exedir : NULL, "."};
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]) && !found; i++)
        if (roots[i] && ann_find(roots[i], file, ANN_SEARCH_DEPTH, path, sizeof(path)) == 0)
            found = 1;
    if (eo->output && !(out = fopen(eo->output, "w"))) {
        fprintf(stderr, "profreport: %s: %s\n", eo->output, strerror(errno));
        out = stdout;
        goto out;
    }
    fprintf(out, "Function: %s (%s)\n", eo->annotate, file);
    fprintf(out, "Samples: %" PRIu64 " self in its lines, %" PRIu64 " cumulative, of %" PRIu64
                 " (%.2f%% self)\n",
            fn_total, cum, a->total, a->total ? 100.0 * (double)fn_total / (double)a->total : 0.0);
    if (!found || !(src = fopen(path, "r"))) {
        fprintf(stderr,
                "profreport: --annotate %s: source file %s not found (looked in %s%s the "
                "executable's directory and the current one); use --source-dir DIR\n",
                eo->annotate, file, eo->source_dir ? eo->source_dir : "",
                eo->source_dir ? "," : "");
        /* Still useful: the per-line numbers without text. */
        for (size_t i = 0; i < n; i++)
            fprintf(out, "%7" PRIu64 "  %6.2f%%  %5" PRIu32 "\n", lines[i].weight,
                    a->total ? 100.0 * (double)lines[i].weight / (double)a->total : 0.0,
                    lines[i].line);
        goto out;
    }
    struct stat st_src, st_exe;
    if (pr && pr->exe_path && stat(path, &st_src) == 0 && stat(pr->exe_path, &st_exe) == 0 &&
        st_src.st_mtime > st_exe.st_mtime)
        fprintf(stderr, "profreport: warning: %s is newer than %s: edited since the build, its line "
                        "numbers may not match the profile's\n", path, pr->exe_path);
    fprintf(out, "Source: %s\n\n%7s  %7s  %5s  %s\n", path, "count", "percent", "line", "source");
    uint32_t first = n ? lines[0].line : 1, last = n ? lines[n - 1].line : 0;
    uint32_t from = first > ANN_CONTEXT ? first - ANN_CONTEXT : 1, to = last + ANN_CONTEXT;
    char text[4096];
    size_t k = 0;
    for (uint32_t ln = 1; fgets(text, sizeof(text), src); ln++) {
        size_t tl = strlen(text);
        int whole = tl && text[tl - 1] == '\n';
        if (whole)
            text[--tl] = '\0';
        for (int ch = 0; !whole && ch != '\n' && ch != EOF;) /* overlong line: skip its rest */
            ch = getc(src);
        if (ln < from || ln > to)
            continue;
        uint64_t w = 0;
        while (k < n && lines[k].line < ln)
            k++;
        if (k < n && lines[k].line == ln)
            w = lines[k].weight;
        if (w)
            fprintf(out, "%7" PRIu64 "  %6.2f%%  %5" PRIu32 "  %s\n", w,
                    a->total ? 100.0 * (double)w / (double)a->total : 0.0, ln, text);
        else
            fprintf(out, "%7s  %7s  %5" PRIu32 "  %s\n", "", "", ln, text);
    }
    rc = 0;
out:
    if (src)
        fclose(src);
    if (out != stdout && fclose(out) != 0)
        rc = -1;
    free((char *)file);
    free(lines);
    agg_free(a);
    return rc;
}
