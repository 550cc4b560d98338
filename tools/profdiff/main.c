/* SPDX-License-Identifier: MIT */
/* profdiff: per-function (or per-line) comparison of two sets of profiles, flagging significant
 * regressions and improvements (statistics in docs/profdiff.md). */
#include "diffdata.h"
#include "output.h"
#include "regions.h"
#include "symbolize.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes (diff(1)'s convention): 0 no significant regression, 1 at least one, 2 trouble. */
enum { EXIT_OK = 0, EXIT_REGRESSION = 1, EXIT_TROUBLE = 2 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: profdiff [OPTIONS] BASE NEW\n"
            "       profdiff [OPTIONS] BASE... -- NEW...\n"
            "       profdiff [OPTIONS] --base FILE [--base FILE]... --new FILE [--new FILE]...\n"
            "Compares profiles per function: each side may be several runs (one profile file each)\n"
            "of the same program; more runs reduce the noise.\n"
            "  --threshold PCT     smallest change that counts (default 10)\n"
            "  --confidence C      required confidence that the change is beyond PCT (default 0.99)\n"
            "  --min-samples N     rows with fewer samples per run on both sides are not judged\n"
            "                      (default 20)\n"
            "  --run-noise PCT     run-to-run noise assumed at least (default 8)\n"
            "  --by function|line  compare functions (default) or source lines (self only)\n"
            "  --format text|json  output format (default text; JSON schema in docs/profdiff.md)\n"
            "  --top N             rows per text table (default 20, 0 = all)\n"
            "  --no-inline         do not expand inlined calls into frames\n"
            "exit status: 0 no significant regression, 1 at least one regression, 2 trouble (bad\n"
            "input, incompatible profiles, usage error)\n");
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "profdiff: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    return EXIT_TROUBLE;
}

/* Parses a finite number in [lo, hi] (exclusive bounds when lo_open / hi_open). */
static int parse_num(const char *s, double lo, double hi, int lo_open, int hi_open, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || v != v || v < lo || v > hi || (lo_open && v == lo) ||
        (hi_open && v == hi))
        return -1;
    *out = v;
    return 0;
}

struct filelist {
    const char **v;
    size_t n;
};

static int filelist_add(struct filelist *l, const char *f)
{
    const char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    nv[l->n++] = f;
    l->v = nv;
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_BASE = 256, OPT_NEW, OPT_THRESHOLD, OPT_CONFIDENCE, OPT_MIN, OPT_NOISE, OPT_BY,
           OPT_FORMAT, OPT_TOP, OPT_NO_INLINE };
    static const struct option longopts[] = {
        {"base", required_argument, NULL, OPT_BASE},
        {"new", required_argument, NULL, OPT_NEW},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"confidence", required_argument, NULL, OPT_CONFIDENCE},
        {"min-samples", required_argument, NULL, OPT_MIN},
        {"run-noise", required_argument, NULL, OPT_NOISE},
        {"by", required_argument, NULL, OPT_BY},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"top", required_argument, NULL, OPT_TOP},
        {"no-inline", no_argument, NULL, OPT_NO_INLINE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct dd_params pp = {.threshold = 0.10, .confidence = 0.99, .min_samples = 20,
                           .run_noise = 0.08};
    struct out_options oo = {.params = &pp, .top = 20};
    /* Static: the usage-error exits leave them allocated, still reachable (not leaked) at exit. */
    static struct filelist opt_base, opt_new, files;
    int json = 0, by_line = 0, sym_flags = 0, c, status = EXIT_TROUBLE;
    double v;

    /* "--" splits BASE... from NEW...: options are parsed only before it. */
    int split = argc;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--") == 0) {
            split = i;
            break;
        }
    opterr = 0;
    while ((c = getopt_long(split, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BASE:
        case OPT_NEW:
            if (filelist_add(c == OPT_BASE ? &opt_base : &opt_new, optarg) != 0)
                goto oom;
            break;
        case OPT_THRESHOLD:
            if (parse_num(optarg, 0, 1e6, 1, 0, &v) != 0)
                return usage_error("--threshold needs a percentage > 0", optarg);
            pp.threshold = v / 100.0;
            break;
        case OPT_CONFIDENCE:
            if (parse_num(optarg, 0, 1, 1, 1, &v) != 0)
                return usage_error("--confidence needs a number between 0 and 1 (e.g. 0.99)", optarg);
            pp.confidence = v;
            break;
        case OPT_MIN:
            if (parse_num(optarg, 0, 1e15, 0, 0, &v) != 0)
                return usage_error("--min-samples needs a number >= 0", optarg);
            pp.min_samples = v;
            break;
        case OPT_NOISE:
            if (parse_num(optarg, 0, 1e4, 0, 0, &v) != 0)
                return usage_error("--run-noise needs a percentage >= 0", optarg);
            pp.run_noise = v / 100.0;
            break;
        case OPT_BY:
            if (strcmp(optarg, "function") == 0)
                by_line = 0;
            else if (strcmp(optarg, "line") == 0)
                by_line = 1;
            else
                return usage_error("unknown --by (function, line)", optarg);
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                json = 0;
            else if (strcmp(optarg, "json") == 0)
                json = 1;
            else
                return usage_error("unknown format (text, json)", optarg);
            break;
        case OPT_TOP:
            if (parse_num(optarg, 0, 1e9, 0, 0, &v) != 0 || v != (double)(size_t)v)
                return usage_error("--top needs a whole number >= 0", optarg);
            oo.top = (size_t)v;
            break;
        case OPT_NO_INLINE: sym_flags |= SYM_NO_INLINE; break;
        case 'h': usage(stdout); return EXIT_OK;
        default:
            return usage_error("unknown or incomplete option", argv[optind - 1]);
        }
    }

    /* The two sides: BASE... -- NEW..., or --base/--new, or exactly BASE NEW. */
    size_t nbase;
    int npos = split - optind;
    if (split < argc) {
        if (opt_base.n || opt_new.n)
            return usage_error("use either --base/--new or BASE... -- NEW..., not both", NULL);
        if (npos < 1 || split + 1 >= argc)
            return usage_error("'--' needs base profiles before it and new profiles after it", NULL);
        for (int i = optind; i < split; i++)
            if (filelist_add(&files, argv[i]) != 0)
                goto oom;
        nbase = files.n;
        for (int i = split + 1; i < argc; i++)
            if (filelist_add(&files, argv[i]) != 0)
                goto oom;
    } else if (opt_base.n || opt_new.n) {
        if (!opt_base.n || !opt_new.n)
            return usage_error("--base and --new are both needed", NULL);
        if (npos)
            return usage_error("profile given outside --base/--new", argv[optind]);
        for (size_t i = 0; i < opt_base.n; i++)
            if (filelist_add(&files, opt_base.v[i]) != 0)
                goto oom;
        nbase = files.n;
        for (size_t i = 0; i < opt_new.n; i++)
            if (filelist_add(&files, opt_new.v[i]) != 0)
                goto oom;
    } else {
        if (npos != 2)
            return usage_error(npos < 2 ? "need a base and a new profile"
                                        : "several profiles per side need '--' between the sides",
                               NULL);
        if (filelist_add(&files, argv[optind]) != 0 || filelist_add(&files, argv[optind + 1]) != 0)
            goto oom;
        nbase = 1;
    }

    struct dd_set set;
    char err[1024] = "";
    if (dd_load(&set, files.v, nbase, files.n, by_line, sym_flags, err, sizeof(err)) != 0) {
        fprintf(stderr, "profdiff: %s\n", err);
        dd_free(&set);
        goto out;
    }
    dd_compare(&set, &pp);
    size_t nreg = 0;
    for (size_t k = 0; k < set.nmeasures; k++)
        nreg += dd_regressions(&set, k);
    nreg += rd_regressions(set.regions); /* a region whose p95 rose */
    oo.exit_status = nreg ? EXIT_REGRESSION : EXIT_OK;
    if (json)
        out_json(stdout, &set, &oo);
    else
        out_text(stdout, &set, &oo);
    status = oo.exit_status;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "profdiff: error writing output: %s\n", strerror(errno));
        status = EXIT_TROUBLE;
    }
    dd_free(&set);
    goto out;
oom:
    fprintf(stderr, "profdiff: out of memory\n");
out:
    free(opt_base.v);
    free(opt_new.v);
    free(files.v);
    return status;
}
