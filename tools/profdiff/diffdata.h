/* SPDX-License-Identifier: MIT */
/* profdiff data: each run (file) loaded and aggregated on its own, per measured quantity, into
 * per-run values of every function (or source line), then compared side against side.
 *
 * Thread contract: one thread per dd_set. */
#ifndef PROF_DIFFDATA_H
#define PROF_DIFFDATA_H

#include "diffstat.h"

#include <stddef.h>
#include <stdint.h>

/* A measured quantity: which samples count (a sample kind of one mode) and in which unit. The
 * value comes from the aggregate's `value` hook (dd_measure_value); see diffdata.c for the list. */
struct dd_measure {
    const char *name;   /* "cpu", "wall-on", "wall-off", "alloc": JSON key and text title */
    const char *title;  /* "CPU time" ... */
    const char *unit;   /* "s" or "B" */
    uint64_t mode;      /* FMT_MODE_* bit under which the profile holds these samples */
    uint64_t kinds;     /* bit (1 << kind) per sample kind counted */
    int periods;        /* weight is sampling periods: value = weight / hz seconds */
};

enum dd_metric { DD_SELF = 0, DD_CUM = 1 };

enum dd_status {
    DD_UNCHANGED = 0, /* judged: within the threshold or not significant */
    DD_REGRESSION,
    DD_IMPROVEMENT,
    DD_NEW,           /* no sample in any base run */
    DD_VANISHED,      /* no sample in any new run */
    DD_TOO_FEW,       /* fewer than --min-samples per run on both sides */
    DD_ABSENT,        /* no sample at all (e.g. self of a function that only calls) */
};

/* One metric of one row, compared. */
struct dd_cmp {
    double before, after;             /* mean per-run value, in the measure's unit */
    double share_before, share_after; /* of the side's total, percent */
    double count_before, count_after; /* samples summed over the side's runs */
    double run_var;                   /* between-run variance of log value used in the test */
    struct ds_result r;               /* valid for UNCHANGED, REGRESSION, IMPROVEMENT */
    double confidence;                /* r.confidence, or the presence confidence (NEW, VANISHED) */
    enum dd_status status;
};

struct dd_entry {
    char *name;     /* function name, or "file.c:LINE" with --by line */
    char *location; /* function: "file.c:LINE" of its definition; line: its function's name */
    char *module;
    int is_inline;
    double *val[2]; /* [metric][run]: value of each run, in the measure's unit */
    double *cnt[2]; /* [metric][run]: samples of each run */
    struct dd_cmp cmp[2];
};

struct dd_data {
    const struct dd_measure *m;
    double *total_val, *total_cnt; /* per run */
    struct dd_cmp total;
    double total_run_var;          /* estimated between-run variance of the totals (0: one run) */
    size_t total_df;
    size_t n, cap;
    struct dd_entry *e;
    void *keys;                    /* key -> entry index (struct strtab) */
};

struct dd_run {
    char *file;
    char *exe;
    uint64_t modes, hz;
    double duration_s;
};

struct rd_set; /* regions.h */

struct dd_set {
    size_t nruns, nbase; /* runs [0, nbase) are the base side, the rest the new side */
    struct dd_run *runs;
    size_t nmeasures;
    struct dd_data *data;
    int by_line;
    struct rd_set *regions; /* region paths of both sides (regions.h) */
};

struct dd_params {
    double threshold;   /* fraction */
    double confidence;
    double min_samples; /* per run */
    double run_noise;   /* assumed between-run standard deviation of log values, the floor */
};

/* Loads files[0..nbase) as the base side and files[nbase..nfiles) as the new side, one run per
 * file, and aggregates every measure of their common mode. Returns 0, or -1 with
 * "FILE: reason" (or a plain reason) in err. sym_flags: SYM_* for the symbolizer. */
int dd_load(struct dd_set *s, const char *const *files, size_t nbase, size_t nfiles, int by_line,
            int sym_flags, char *err, size_t errlen);
/* Compares every entry and metric (and the totals), and the regions, under params. */
void dd_compare(struct dd_set *s, const struct dd_params *params);
void dd_free(struct dd_set *s);

const char *dd_status_name(enum dd_status st);
/* A row's status over its metrics: regression if any metric regressed, else improvement if any
 * improved, else new / vanished / unchanged / too few as its cumulative (lines: self) metric. */
enum dd_status dd_row_status(const struct dd_set *s, const struct dd_entry *e);
/* Rows of measure k flagged as regressions. */
size_t dd_regressions(const struct dd_set *s, size_t k);

#endif
