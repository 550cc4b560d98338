/* SPDX-License-Identifier: MIT */
/* profreport exports: --format pprof|svg|json and --annotate, each building the aggregations it
 * needs from the loaded profile (the text report's are not reused).
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_EXPORT_H
#define PROFREPORT_EXPORT_H

#include "aggregate.h"
#include "report.h"
#include "wall.h"

#include <prof/profile.h>

enum export_format { EXPORT_NONE, EXPORT_PPROF, EXPORT_SVG, EXPORT_JSON };

struct export_options {
    enum export_format format; /* EXPORT_NONE with annotate set: --annotate alone */
    const char *output;        /* -o FILE, NULL = stdout */
    const char *diff_base;     /* --diff BASE (svg) */
    const char *annotate;      /* --annotate FUNCTION */
    const char *source_dir;    /* --source-dir DIR */
    int alloc_view;            /* the allocation view is the one shown (see main.c) */
    int leaks;                 /* --leaks: live at exit */
    struct agg_options ao;     /* thread filter, symbolizer flags */
    struct report_options ro;
    struct wall_options wo;
};

/* "pprof" -> EXPORT_PPROF ...; EXPORT_NONE for anything else. */
enum export_format export_format(const char *name);

/* Runs the export; messages go to stderr as "profreport: ...". Returns 0 or -1. */
int export_run(const struct prof_profile *p, const struct export_options *eo);

#endif
