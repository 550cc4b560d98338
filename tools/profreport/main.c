/* SPDX-License-Identifier: MIT */
/* profreport: symbolized cumulative, self and hotspot-line tables (or folded stacks) of profiles. */
#include "aggregate.h"
#include "alloc.h"
#include "export.h"
#include "follow.h"
#include "regions.h"
#include "report.h"
#include "timeline.h"
#include "wall.h"

#include <prof/dump.h>
#include <prof/profile.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes: 0 ok, 2 trouble (unusable or damaged input, usage). */
enum { EXIT_OK = 0, EXIT_TROUBLE = 2 };

static void usage(FILE *out)
{
    fprintf(out,
            "usage: profreport [--top N] [--thread TID|NAME] [--format text|collapsed] [--dump]\n"
            "                  [--no-inline] [--leaf-addresses] [--block-ms MS] [--alloc] [--leaks]\n"
            "                  FILE...\n"
            "  --top N            rows per table (default 20, 0 = all)\n"
            "  --thread TID|NAME  only samples of that thread (id or name)\n"
            "  --format FORMAT    text (default): header and tables; collapsed: folded stacks;\n"
            "                     pprof: gzipped profile.proto; svg: flame graph; json: tables\n"
            "  -o FILE            write the output to FILE (pprof and svg; default stdout)\n"
            "  --diff BASE        with --format svg: differential flame graph against BASE\n"
            "  --annotate FUNC    source of FUNC with samples per line (--source-dir DIR remaps)\n"
            "  --dump             print every record of the files (docs/format.md terms)\n"
            "  --no-inline        do not expand inlined calls into frames\n"
            "  --leaf-addresses   debug: per distinct leaf address, 'ADDR MODULE BIAS WEIGHT NAME'\n"
            "  --block-ms MS      wall profiles: blocking episodes are off-CPU runs longer than MS\n"
            "                     (default 100)\n"
            "  --alloc            allocation profiles (PROF_MODE=alloc): only the allocation tables,\n"
            "                     or allocated bytes per stack with --format collapsed\n"
            "  --leaks            live at exit: leak and growth tables, or live bytes per stack\n"
            "                     with --format collapsed\n"
            "  --regions          regions only: calls, total, mean, p50/p95/p99, max, samples on and\n"
            "                     off CPU per region (prof_region_begin/end, PROF_REGION)\n"
            "  --region NAME      every table and export: only samples inside region NAME (at any\n"
            "                     depth of the sample's region path)\n"
            "  --slow-region NAME --slower-than MS\n"
            "                     only samples of the calls of region NAME that lasted more than MS\n"
            "                     milliseconds (the slow tail's profile)\n"
            "  --timeline         the run over time: metrics per interval (CPU, RSS, threads,\n"
            "                     samples, drops, live heap, off-CPU) as a table and charts, alerts\n"
            "  --from S, --to S   every table and export: only samples from S to S seconds after\n"
            "                     the start of the run (allocation tables: allocations made then)\n"
            "  --alerts           alerts (PROF_ALERT) with the top stacks of their interval\n"
            "  --follow           live view of a profile being written: top functions and\n"
            "                     metrics every second until the run ends (one FILE)\n"
            "  A profile with alerts gets an Alerts section at the end of the text report.\n"
            "  A profile with allocation samples gets the allocation tables after the time tables;\n"
            "  its collapsed output is allocated bytes when it holds no timer samples.\n"
            "exit status: 0 ok, 2 missing, foreign, truncated or corrupt file, or usage error\n");
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "profreport: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    return EXIT_TROUBLE;
}

static int run_dump(char **files, int nfiles)
{
    int status = EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        char err[512] = "";
        if (prof_dump(stdout, files[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "profreport: %s\n", err[0] ? err : files[i]);
            status = EXIT_TROUBLE;
        }
    }
    return status;
}

/* A damaged file was loaded up to its damage: name it, with the reader's reason, as an error. The
 * loader's warning for damage ends with this phrase (src/profile.c). */
static int report_damage(const struct prof_profile *p)
{
    int found = 0;
    for (size_t i = 0; i < p->nwarnings; i++) {
        if (strstr(p->warnings[i], "data after it ignored")) {
            fprintf(stderr, "profreport: %s\n", p->warnings[i]);
            found = 1;
        }
    }
    if (!found)
        fprintf(stderr, "profreport: %s: damaged profile\n",
                p->nprocesses ? p->processes[0].file : "?");
    return EXIT_TROUBLE;
}

static int in_window(const struct prof_profile *p, const struct prof_sample *s, void *arg)
{
    (void)p;
    const struct timeline_options *w = arg;
    return s->time_ns >= w->from_ns && s->time_ns < w->to_ns;
}

int main(int argc, char **argv)
{
    enum { OPT_NO_INLINE = 256, OPT_LEAVES, OPT_BLOCK_MS, OPT_ALLOC, OPT_LEAKS, OPT_DIFF,
           OPT_ANNOTATE, OPT_SOURCE_DIR, OPT_REGIONS, OPT_REGION, OPT_SLOW_REGION, OPT_SLOWER,
           OPT_TIMELINE, OPT_FROM, OPT_TO, OPT_ALERTS, OPT_FOLLOW };
    static const struct option longopts[] = {
        {"top", required_argument, NULL, 'n'},
        {"thread", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"dump", no_argument, NULL, 'd'},
        {"no-inline", no_argument, NULL, OPT_NO_INLINE},
        {"leaf-addresses", no_argument, NULL, OPT_LEAVES},
        {"block-ms", required_argument, NULL, OPT_BLOCK_MS},
        {"alloc", no_argument, NULL, OPT_ALLOC},
        {"leaks", no_argument, NULL, OPT_LEAKS},
        {"output", required_argument, NULL, 'o'},
        {"diff", required_argument, NULL, OPT_DIFF},
        {"annotate", required_argument, NULL, OPT_ANNOTATE},
        {"source-dir", required_argument, NULL, OPT_SOURCE_DIR},
        {"regions", no_argument, NULL, OPT_REGIONS},
        {"region", required_argument, NULL, OPT_REGION},
        {"slow-region", required_argument, NULL, OPT_SLOW_REGION},
        {"slower-than", required_argument, NULL, OPT_SLOWER},
        {"timeline", no_argument, NULL, OPT_TIMELINE},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"alerts", no_argument, NULL, OPT_ALERTS},
        {"follow", no_argument, NULL, OPT_FOLLOW},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct report_options ro = {.top = 20};
    struct agg_options ao = {0};
    struct wall_options wo = {.block_ms = 100};
    struct export_options eo = {.format = EXPORT_NONE};
    struct region_filter rf = {.slower_than_ms = -1};
    int regions_only = 0;
    struct timeline_options tlo = {0};
    int timeline_only = 0, alerts_only = 0, follow = 0, have_from = 0, have_to = 0;
    int collapsed = 0, dump = 0, leaves = 0, alloc_only = 0, leaks = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            char *end = NULL;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (!*optarg || *end || errno || v < 0)
                return usage_error("--top needs a number >= 0", optarg);
            ro.top = (size_t)v;
            break;
        }
        case 't':
            if (!*optarg)
                return usage_error("--thread needs a thread id or name", NULL);
            ro.thread = ao.thread = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                collapsed = 0;
            else if (strcmp(optarg, "collapsed") == 0)
                collapsed = 1;
            else if ((eo.format = export_format(optarg)) == EXPORT_NONE)
                return usage_error("unknown format (text, collapsed, pprof, svg, json)", optarg);
            break;
        case 'd': dump = 1; break;
        case 'o': eo.output = optarg; break;
        case OPT_DIFF: eo.diff_base = optarg; break;
        case OPT_ANNOTATE: eo.annotate = optarg; break;
        case OPT_SOURCE_DIR: eo.source_dir = optarg; break;
        case OPT_NO_INLINE: ao.sym_flags |= SYM_NO_INLINE; break;
        case OPT_LEAVES: leaves = 1; break;
        case OPT_ALLOC: alloc_only = 1; break;
        case OPT_LEAKS: leaks = 1; break;
        case OPT_BLOCK_MS: {
            char *end = NULL;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (!*optarg || *end || errno || v < 0)
                return usage_error("--block-ms needs a number of milliseconds >= 0", optarg);
            wo.block_ms = (uint64_t)v;
            break;
        }
        case OPT_REGIONS: regions_only = 1; break;
        case OPT_REGION: rf.region = optarg; break;
        case OPT_SLOW_REGION: rf.slow_region = optarg; break;
        case OPT_SLOWER: {
            char *end = NULL;
            errno = 0;
            double v = strtod(optarg, &end);
            if (!*optarg || *end || errno || !(v >= 0))
                return usage_error("--slower-than needs a number of milliseconds >= 0", optarg);
            rf.slower_than_ms = v;
            break;
        }
        case OPT_TIMELINE: timeline_only = 1; break;
        case OPT_ALERTS: alerts_only = 1; break;
        case OPT_FOLLOW: follow = 1; break;
        case OPT_FROM:
        case OPT_TO:
            if (timeline_parse_seconds(optarg, c == OPT_FROM ? &tlo.from_ns : &tlo.to_ns) < 0)
                return usage_error(c == OPT_FROM ? "--from needs seconds >= 0"
                                                 : "--to needs seconds >= 0",
                                   optarg);
            *(c == OPT_FROM ? &have_from : &have_to) = 1;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default:
            return usage_error("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("no profile given", NULL);
    if ((rf.slow_region != NULL) != (rf.slower_than_ms >= 0))
        return usage_error("--slow-region and --slower-than go together", NULL);
    char **files = argv + optind;
    int nfiles = argc - optind;
    if (dump)
        return run_dump(files, nfiles);
    /* --from/--to: a window [from, to) of each run; a missing end is the run's start or end. */
    if ((have_from || have_to) && !have_to)
        tlo.to_ns = UINT64_MAX;
    if ((have_from || have_to) && tlo.to_ns <= tlo.from_ns)
        return usage_error("--to must be later than --from", NULL);
    tlo.top = ro.top < 5 ? ro.top : 5;
    tlo.thread = ao.thread;
    tlo.sym_flags = ao.sym_flags;
    ao.from_ns = ro.from_ns = tlo.from_ns;
    ao.to_ns = ro.to_ns = tlo.to_ns;
    if (follow) {
        if (nfiles != 1)
            return usage_error("--follow takes one file", NULL);
        struct follow_options fo = {.top = ro.top < 15 ? ro.top : 15, .thread = ao.thread,
                                    .sym_flags = ao.sym_flags};
        return follow_run(stdout, files[0], &fo) == 0 ? EXIT_OK : EXIT_TROUBLE;
    }

    struct prof_profile *p = NULL;
    char err[1024] = "";
    if (prof_profile_load((const char *const *)files, (size_t)nfiles, &p, err, sizeof(err)) != 0) {
        fprintf(stderr, "profreport: %s\n", err[0] ? err : files[0]);
        return EXIT_TROUBLE;
    }
    for (size_t i = 0; i < p->nwarnings; i++)
        fprintf(stderr, "profreport: warning: %s\n", p->warnings[i]);
    if ((rf.region || rf.slow_region) && regions_filter(p, &rf, err, sizeof(err)) < 0) {
        fprintf(stderr, "profreport: %s: %s\n", files[0], err);
        prof_profile_free(p);
        return EXIT_TROUBLE;
    }
    /* --from/--to: every view and export sees only the window's samples (the timeline's
     * intervals and the alerts are filtered by their own times). */
    if (have_from || have_to)
        prof_profile_filter_samples(p, in_window, &tlo);
    if (regions_only) {
        regions_report_text(stdout, p, ro.top);
        int st = fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_TROUBLE;
        if (p->damaged)
            st = report_damage(p);
        prof_profile_free(p);
        return st;
    }
    if (timeline_only || alerts_only) {
        if (timeline_only)
            timeline_report(stdout, p, &tlo);
        else if (p->nalerts == 0)
            printf("No alerts (rules are set with PROF_ALERT when recording)\n");
        int st = timeline_alerts(stdout, p, &tlo, err, sizeof(err)) == 0 ? EXIT_OK : EXIT_TROUBLE;
        if (st != EXIT_OK)
            fprintf(stderr, "profreport: %s\n", err);
        if (fflush(stdout) != 0 || ferror(stdout))
            st = EXIT_TROUBLE;
        if (p->damaged)
            st = report_damage(p);
        prof_profile_free(p);
        return st;
    }
    /* Allocation views (alloc.h): asked for, or the only data the profile holds. */
    int has_alloc = alloc_present(p);
    if ((alloc_only || leaks) && !has_alloc) {
        fprintf(stderr, "profreport: %s: no allocation samples (record with PROF_MODE=alloc)\n",
                files[0]);
        prof_profile_free(p);
        return EXIT_TROUBLE;
    }
    int alloc_view = !leaves && (alloc_only || leaks || (has_alloc && !alloc_has_timer_samples(p)));
    struct alloc_options alo = {.top = ro.top, .thread = ao.thread, .sym_flags = ao.sym_flags,
                                .leaks_only = leaks, .from_ns = tlo.from_ns, .to_ns = tlo.to_ns};
    if (eo.format != EXPORT_NONE || eo.annotate) {
        /* pprof, svg, json and --annotate (export.h) build their own aggregations. */
        eo.alloc_view = alloc_view;
        eo.leaks = leaks;
        eo.ao = ao;
        eo.ro = ro;
        eo.wo = wo;
        int status = export_run(p, &eo) == 0 ? EXIT_OK : EXIT_TROUBLE;
        if (p->damaged)
            status = report_damage(p);
        prof_profile_free(p);
        return status;
    }
    ao.keep_leaves = leaves;
    ao.folded = collapsed;
    struct agg *a = NULL;
    int rc = agg_build(p, &ao, &a, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "profreport: %s\n", err);
        prof_profile_free(p);
        return EXIT_TROUBLE;
    }
    for (size_t i = 0; i < sym_nwarnings(a->sym); i++)
        fprintf(stderr, "profreport: warning: %s\n", sym_warning(a->sym, i));
    if (leaves)
        report_leaves(stdout, a);
    else if (alloc_view && collapsed)
        rc = alloc_report_collapsed(stdout, p, &alo, leaks, err, sizeof(err));
    else if (alloc_view)
        report_header(stdout, p, a, &ro);
    else if (collapsed)
        report_collapsed(stdout, a);
    else if (wall_profile(p))
        rc = wall_report_text(stdout, p, a, &ao, &ro, &wo, err, sizeof(err));
    else
        report_text(stdout, p, a, &ro);
    if (rc == 0 && p->nregions && !leaves && !collapsed && !alloc_view) {
        fputc('\n', stdout);
        regions_report_text(stdout, p, ro.top);
    }
    if (rc == 0 && has_alloc && !leaves && !collapsed)
        rc = alloc_report_text(stdout, p, &alo, err, sizeof(err));
    if (rc == 0 && p->nalerts && !leaves && !collapsed)
        rc = timeline_alerts(stdout, p, &tlo, err, sizeof(err));
    int status = EXIT_OK;
    if (rc != 0) {
        fprintf(stderr, "profreport: %s\n", err);
        status = EXIT_TROUBLE;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "profreport: error writing output: %s\n", strerror(errno));
        status = EXIT_TROUBLE;
    }
    if (p->damaged)
        status = report_damage(p);
    agg_free(a);
    prof_profile_free(p);
    return status;
}
