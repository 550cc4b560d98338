/* SPDX-License-Identifier: MIT */
/* pprof export: a loaded profile as a gzipped profile.proto (github.com/google/pprof), encoded by
 * hand (varints and length-delimited fields of the small subset pprof reads).
 *
 * Sample types per view (docs/json.md has the table too):
 *   cpu    samples/count, cpu/nanoseconds                       period cpu/nanoseconds
 *   wall   samples/count, wall/nanoseconds, label state=on-cpu|off-cpu|runnable
 *   alloc  alloc_objects/count, alloc_space/bytes, inuse_objects/count, inuse_space/bytes
 *          (inuse = live at exit)                               period space/bytes
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROF_PPROF_H
#define PROF_PPROF_H

#include <prof/profile.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum pprof_view { PPROF_CPU, PPROF_WALL, PPROF_ALLOC };

struct pprof_options {
    enum pprof_view view;
    const char *thread; /* "TID" or a thread name (agg_options.thread); NULL = all */
    int sym_flags;      /* SYM_* flags */
    uint64_t from_ns, to_ns; /* time window as in agg_options (to_ns > from_ns), else all */
};

/* Writes the profile to `out` as gzip(profile.proto). Returns 0, or a negative errno with a
 * message in errbuf. */
int pprof_write(FILE *out, const struct prof_profile *p, const struct pprof_options *o,
                char *errbuf, size_t errlen);

#endif
