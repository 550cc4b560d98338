/* SPDX-License-Identifier: MIT */
/* Aggregation of a loaded profile into symbolized tables: cumulative (inclusive) and self
 * (exclusive) weight per function, self weight per source line, and folded stacks. Each distinct
 * (stack, module set) is symbolized once and its frames counted once with the summed weight.
 *
 * Thread contract: one thread per agg. Shared by profreport and profdiff. */
#ifndef PROF_AGGREGATE_H
#define PROF_AGGREGATE_H

#include "symbolize.h"

#include <prof/profile.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct agg_options {
    const char *thread; /* "TID" or a thread name; NULL = all threads */
    int sym_flags;      /* SYM_* flags for the symbolizer */
    int keep_leaves;    /* collect per leaf address weights (agg.leaves) */
    int folded;         /* build folded stacks (agg.folded); costs a string per distinct stack */
    /* What a sample counts for: NULL = every timer sample (all kinds but PROF_KIND_ALLOC, whose
     * weight is bytes) with its weight. Otherwise called for each
     * sample that passed the thread filter; 0 leaves the sample out. This is how views select
     * (by kind, time window, region, live-at-exit...) and measure (periods, bytes, objects). */
    uint64_t (*value)(const struct prof_profile *p, const struct prof_sample *s, void *arg);
    void *value_arg;
    /* Time window (--from/--to): when to_ns > from_ns, only samples with from_ns <= time_ns <
     * to_ns (ns since the start of their process's run) reach `value`, so every view built on
     * this aggregate (CPU, wall, allocations made in the window) is restricted alike. */
    uint64_t from_ns, to_ns;
};

struct agg_row {
    uint32_t id;     /* func id (cum, self) or line id (hot): see sym_func_get / sym_line_label */
    uint64_t weight;
};

struct agg_folded {
    const char *stack; /* "root;...;leaf", frame names, inline frames suffixed "_[i]" */
    uint64_t weight;
};

struct agg_leaf {
    const struct prof_module *module; /* NULL: in no module */
    uint64_t address;                 /* runtime address of frame 0 */
    uint64_t weight;
    uint32_t func;                    /* outermost (non-inline) function at that address */
};

struct agg {
    struct sym_ctx *sym;
    uint64_t total;    /* summed weight of the selected samples */
    uint64_t nsamples; /* number of selected samples */
    size_t nstacks;    /* distinct (stack, module set) pairs symbolized */
    struct agg_row *cum, *self, *hot; /* sorted by weight, heaviest first */
    size_t ncum, nself, nhot;
    struct agg_folded *folded;        /* sorted by stack string (opts.folded only) */
    size_t nfolded;
    struct agg_leaf *leaves;          /* sorted by weight, heaviest first (keep_leaves only) */
    size_t nleaves;
};

/* Builds the tables. Returns 0, or -ENOMEM, or -ESRCH when opts->thread matches no thread (with a
 * message in errbuf). */
int agg_build(const struct prof_profile *p, const struct agg_options *opts, struct agg **out,
              char *errbuf, size_t errlen);
void agg_free(struct agg *a);

/* Frame name as shown in collapsed stacks: ';' and ' ' would break the format, so they become
 * '_'; inline frames get "_[i]". Writes at most outlen bytes (NUL-terminated). */
void agg_folded_name(const struct sym_func *f, char *out, size_t outlen);

#endif
