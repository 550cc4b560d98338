/* SPDX-License-Identifier: MIT */
/* Reader API for libprof profiles (docs/format.md): record-by-record decoding, and loading one or
 * more files into an in-memory profile that the tools aggregate.
 *
 * Thread contract: a reader or profile object is used by one thread at a time. Nothing here is
 * async-signal-safe; the runtime never calls it. */
#ifndef PROF_PROFILE_H
#define PROF_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------- Record-level reader ---------- */

struct prof_reader;

struct prof_rec_header {
    uint64_t pid, ppid;
    const char *exe_path;
    size_t argc;
    const char **argv;
    uint64_t start_realtime_ns, start_monotonic_ns;
    uint64_t modes, hz, timer, unwinder, max_depth, flush_ms, alloc_rate;
    const char *hostname;
    uint64_t timer_requested;
};

struct prof_rec_segment {
    uint64_t start, size, file_offset, flags;
};

struct prof_rec_module {
    uint64_t module_id, load_ns;
    const char *path;
    const uint8_t *build_id;
    size_t build_id_len;
    uint64_t bias;
    size_t nsegs;
    const struct prof_rec_segment *segs;
};

struct prof_rec_module_unload {
    uint64_t module_id, unload_ns;
};

struct prof_rec_thread {
    uint64_t tid;
    const char *name;
    uint64_t time_ns;
};

struct prof_rec_stack {
    uint64_t stack_id, flags;
    size_t nframes;
    const uint64_t *frames; /* leaf first */
};

struct prof_rec_sample {
    uint64_t tid, stack_id;
    uint64_t time_ns; /* absolute within the run: deltas already summed */
    uint64_t weight, kind, region_id;
    uint64_t region_call; /* field 7; 0 when the record has 6 fields */
};

struct prof_rec_samples {
    size_t count;
    const struct prof_rec_sample *samples;
};

struct prof_rec_counter {
    uint64_t key, value;
};

struct prof_rec_counters {
    uint64_t time_ns;
    size_t n;
    const struct prof_rec_counter *pairs;
};

struct prof_rec_end {
    uint64_t end_ns, reason;
};

/* ALLOC_SAMPLES (type 16): sampled allocations. */
struct prof_rec_alloc {
    uint64_t tid, stack_id;
    uint64_t time_ns;      /* absolute within the run: deltas already summed */
    uint64_t size;         /* bytes requested */
    uint64_t weight_bytes; /* unbiased estimate of the bytes the sample stands for */
    uint64_t alloc_id, region_id;
};

struct prof_rec_allocs {
    size_t count;
    const struct prof_rec_alloc *allocs;
};

/* FREES (type 17): frees of sampled blocks. */
struct prof_rec_free {
    uint64_t alloc_id;
    uint64_t time_ns; /* absolute within the run: deltas already summed */
};

struct prof_rec_frees {
    size_t count;
    const struct prof_rec_free *frees;
};

/* HEAP_SNAPSHOT (type 18): estimated live heap per stack at one flush. */
struct prof_rec_heap_entry {
    uint64_t stack_id, live_bytes, live_objects;
};

struct prof_rec_heap_snapshot {
    uint64_t time_ns;
    size_t n;
    const struct prof_rec_heap_entry *entries;
};

struct prof_rec_warning {
    uint64_t time_ns;
    const char *message;
};

/* REGION_DEF (type 21): a region path node. */
struct prof_rec_region_def {
    uint64_t region_id;
    const char *name;
    uint64_t parent_id; /* 0 = outermost */
};

/* REGION_STATS (type 22): one node's calls in one flush interval. */
struct prof_rec_region_bucket {
    uint64_t bucket, count;
};

struct prof_rec_region_stats {
    uint64_t region_id, count, total_ns, min_ns, max_ns;
    size_t nbuckets;
    const struct prof_rec_region_bucket *buckets;
};

/* REGION_CALLS (type 23): region calls that had a sample inside them. */
struct prof_rec_region_call {
    uint64_t tid, call_id, region_id, start_ns, duration_ns, parent_call;
};

struct prof_rec_region_calls {
    size_t count;
    const struct prof_rec_region_call *calls;
};

/* METRICS (type 19): one interval of the run's timeline (keys: docs/format.md, PROF_MET_*). */
struct prof_rec_metrics {
    uint64_t time_ns;     /* end of the interval */
    uint64_t interval_ns; /* its length */
    size_t n;
    const struct prof_rec_counter *pairs; /* (key, value); unknown keys kept */
};

/* ALERT (type 20): a threshold rule fired. */
struct prof_rec_alert {
    uint64_t time_ns;
    const char *rule, *value, *message;
};

struct prof_record {
    uint32_t type;      /* FMT_REC_* value (format.h); unknown types are returned as-is */
    uint32_t chunk;     /* index of the chunk holding the record, from 0 */
    const uint8_t *raw; /* the record body, for unknown types and --dump */
    size_t raw_len;
    union {
        struct prof_rec_header header;
        struct prof_rec_module module;
        struct prof_rec_module_unload unload;
        struct prof_rec_thread thread;
        struct prof_rec_stack stack;
        struct prof_rec_samples samples;
        struct prof_rec_counters counters;
        struct prof_rec_end end;
        struct prof_rec_warning warning;
        struct prof_rec_allocs allocs;         /* FMT_REC_ALLOC_SAMPLES */
        struct prof_rec_frees frees;           /* FMT_REC_FREES */
        struct prof_rec_heap_snapshot heap;    /* FMT_REC_HEAP_SNAPSHOT */
        struct prof_rec_region_def region_def;     /* FMT_REC_REGION_DEF */
        struct prof_rec_region_stats region_stats; /* FMT_REC_REGION_STATS */
        struct prof_rec_region_calls region_calls; /* FMT_REC_REGION_CALLS */
        struct prof_rec_metrics metrics;       /* FMT_REC_METRICS */
        struct prof_rec_alert alert;           /* FMT_REC_ALERT */
    } u;
};

/* Opens `path`. Returns 0, or a negative errno (-ENOENT ...) or PROF_E_* with a message available
 * from prof_reader_error() — the reader object is returned even on failure so the message can be
 * read; close it in all cases. */
int prof_reader_open(const char *path, struct prof_reader **out);
/* Same, from a memory buffer (copied). `name` is used in messages. */
int prof_reader_open_mem(const void *data, size_t len, const char *name, struct prof_reader **out);
/* Decodes the next record into *rec; pointers in it stay valid until the next call.
 * Returns 1 for a record, 0 at the clean end of the file, or a negative PROF_E_* code when the rest
 * of the file is damaged (every record before the damage has been returned). */
int prof_reader_next(struct prof_reader *r, struct prof_record *rec);
/* One-line description of the last error ("corrupt chunk 3: data checksum mismatch"). */
const char *prof_reader_error(const struct prof_reader *r);
void prof_reader_close(struct prof_reader *r);

/* Error codes, in a range that does not collide with negative errno values. */
enum {
    PROF_E_NOT_PROFILE = -4001, /* bad magic: not a libprof profile */
    PROF_E_VERSION = -4002,     /* unsupported format version or flags */
    PROF_E_TRUNCATED = -4003,   /* file ends inside a chunk */
    PROF_E_CORRUPT = -4004,     /* checksum, length, zlib or record-level damage */
    PROF_E_EMPTY = -4005,       /* valid file header but no complete chunk */
};
const char *prof_strerror(int err);

/* ---------- Loaded profile: one or more files merged ---------- */

struct prof_segment {
    uint64_t start, size, file_offset, flags;
};

struct prof_module {
    uint32_t process;   /* index into prof_profile.processes */
    char *path;
    uint8_t *build_id;
    size_t build_id_len;
    uint64_t bias;
    uint64_t load_ns, unload_ns; /* unload_ns = UINT64_MAX if never unloaded */
    size_t nsegs;
    struct prof_segment *segs;
};

struct prof_stack {
    uint32_t flags;   /* FMT_STACK_* */
    uint32_t nframes;
    uint64_t *frames; /* leaf first */
};

/* Kind of an allocation sample in the loaded model (never written to files: ALLOC_SAMPLES records
 * become samples of this kind). Its weight is bytes, not sampling periods. */
#define PROF_KIND_ALLOC 16

struct prof_sample {
    uint32_t process; /* index into prof_profile.processes */
    uint32_t tid;
    uint32_t stack;   /* index into prof_profile.stacks */
    uint32_t kind;    /* FMT_KIND_*, or PROF_KIND_ALLOC */
    uint64_t time_ns; /* relative to the start of its process's run */
    uint64_t weight;  /* periods; PROF_KIND_ALLOC: estimated bytes */
    uint64_t region_id;   /* the file's region id, as written (0 = none) */
    uint32_t region;      /* innermost region: index + 1 into prof_profile.regions, 0 = none or
                           * an id without REGION_DEF */
    uint64_t region_call; /* the file's call id of that region call (REGION_CALLS), 0 = none */
    /* PROF_KIND_ALLOC only (0 otherwise): */
    uint64_t size;     /* bytes requested */
    uint64_t alloc_id; /* writer's id, unique per process */
    uint64_t free_ns;  /* when the block was freed; UINT64_MAX = still live at the end of the run */
};

/* Estimated live heap of one process at one flush (HEAP_SNAPSHOT), stacks with nothing live left out. */
struct prof_heap_entry {
    uint32_t stack; /* index into prof_profile.stacks */
    uint64_t bytes, objects;
};

struct prof_heap_snapshot {
    uint32_t process;
    uint64_t time_ns;
    size_t n;
    struct prof_heap_entry *entries;
};

/* METRICS keys (docs/format.md). */
enum {
    PROF_MET_USER_NS = 1,   /* user CPU ns in the interval */
    PROF_MET_SYS_NS = 2,    /* system CPU ns in the interval */
    PROF_MET_RSS = 3,       /* resident set size, bytes */
    PROF_MET_THREADS = 4,   /* thread count */
    PROF_MET_SAMPLES = 5,   /* samples taken in the interval */
    PROF_MET_DROPPED = 6,   /* samples dropped in the interval */
    PROF_MET_LIVE_HEAP = 7, /* estimated live heap bytes (alloc mode) */
    PROF_MET_WALL_OFF = 8,  /* off-CPU wall samples in the interval (wall mode) */
    PROF_MET_WALL_ON = 9,   /* on-CPU wall samples in the interval (wall mode) */
};

/* One METRICS record: the interval (end_ns - interval_ns, end_ns] of one process's run. */
struct prof_interval {
    uint32_t process;
    uint64_t end_ns, interval_ns;
    uint64_t user_ns, sys_ns, rss, threads, samples, dropped;
    uint64_t live_heap;       /* valid when has_heap */
    uint64_t wall_on, wall_off; /* valid when has_wall */
    int has_heap, has_wall;
};

/* One ALERT record: a PROF_ALERT rule fired at time_ns. */
struct prof_alert {
    uint32_t process;
    uint64_t time_ns;
    char *rule, *value, *message;
};

/* Latency histogram of a region: docs/format.md REGION_STATS bucket numbering (16 per power of
 * two; the last bucket also holds everything longer). */
#define PROF_REGION_BUCKETS 672

/* A region path node of one process, its REGION_STATS summed. */
struct prof_region {
    uint32_t process;
    uint64_t id;      /* the file's region_id */
    char *name;
    uint32_t parent;  /* index + 1 into prof_profile.regions, 0 = outermost */
    uint64_t count, total_ns, min_ns, max_ns; /* min_ns = UINT64_MAX without calls */
    uint64_t hist[PROF_REGION_BUCKETS];
};

/* A region call that had samples inside it (REGION_CALLS). */
struct prof_region_call {
    uint32_t process, tid;
    uint64_t call_id;     /* the samples' region_call */
    uint32_t region;      /* index + 1 into prof_profile.regions */
    uint64_t start_ns, duration_ns;
    uint64_t parent_call; /* enclosing call's call_id in the same process, 0 = outermost */
};

struct prof_thread {
    uint32_t process;
    uint32_t tid;
    char *name;       /* latest name seen */
    uint64_t weight;  /* total sample weight of this thread (timer samples; not allocation bytes) */
};

struct prof_counter {
    uint64_t key, value;
};

struct prof_process {
    char *file;       /* file it was read from */
    uint64_t pid, ppid;
    char *exe_path;
    size_t argc;
    char **argv;
    char *hostname;
    uint64_t start_realtime_ns, start_monotonic_ns;
    uint64_t modes, hz, timer, timer_requested, unwinder, max_depth, flush_ms, alloc_rate;
    uint64_t duration_ns; /* END.end_ns, else the last timestamp seen */
    int ended_cleanly;
    size_t ncounters;
    struct prof_counter *counters; /* last COUNTERS record */
};

struct prof_profile {
    size_t nprocesses;
    struct prof_process *processes;
    size_t nmodules;
    struct prof_module *modules;
    size_t nstacks;
    struct prof_stack *stacks;
    size_t nsamples;
    struct prof_sample *samples;
    size_t nthreads;
    struct prof_thread *threads;
    size_t nsnapshots;
    struct prof_heap_snapshot *snapshots; /* file order: per process, in time order */
    size_t nregions;
    struct prof_region *regions;            /* per process, in REGION_DEF order */
    size_t nregion_calls;
    struct prof_region_call *region_calls;  /* sorted by (process, call_id) */
    size_t nintervals;
    struct prof_interval *intervals; /* file order: per process, in time order */
    size_t nalerts;
    struct prof_alert *alerts;       /* file order: per process, in time order */
    size_t nwarnings;
    char **warnings; /* runtime WARNINGs and reader damage messages, "FILE: message" */
    int damaged;     /* at least one file was truncated or corrupt (data before it was kept) */
};

/* Loads and merges `nfiles` profiles. Returns 0 and a profile (possibly damaged, see ->damaged and
 * ->warnings), or a negative error with a one-line "FILE: reason" message in errbuf when a file
 * cannot be used at all (missing, foreign, no complete chunk). */
int prof_profile_load(const char *const *files, size_t nfiles, struct prof_profile **out,
                      char *errbuf, size_t errlen);
void prof_profile_free(struct prof_profile *p);

/* The region call `call_id` of `process`, or NULL (calls without samples are not recorded). */
const struct prof_region_call *prof_profile_find_region_call(const struct prof_profile *p,
                                                             uint32_t process, uint64_t call_id);

/* Value of a counter summed over processes (0 if absent). */
uint64_t prof_profile_counter(const struct prof_profile *p, uint64_t key);
/* Keeps only the samples for which keep() returns non-zero (p->samples compacted in order, thread
 * weights recounted), so that every later view sees that subset. Returns the number kept. */
size_t prof_profile_filter_samples(struct prof_profile *p,
                                   int (*keep)(const struct prof_profile *p,
                                               const struct prof_sample *s, void *arg),
                                   void *arg);
/* Module containing `addr` for a sample of `process` taken at `time_ns`, or NULL. */
const struct prof_module *prof_profile_find_module(const struct prof_profile *p, uint32_t process,
                                                   uint64_t addr, uint64_t time_ns);

#ifdef __cplusplus
}
#endif
#endif
