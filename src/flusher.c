/* SPDX-License-Identifier: MIT */
/* The flusher thread: drains every thread's ring, deduplicates stacks, notes modules and thread
 * names, and appends one chunk per flush interval (and a last one, with END, at exit). */
#define _GNU_SOURCE
#include "format.h"
#include "cfi.h"
#include "fastclock.h"
#include "runtime.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define NAME_TABLE_SIZE 4096 /* tids remembered with their last written name (open addressing) */
#define MAX_PAYLOAD_BEFORE_CHUNK (4u << 20)

struct tid_name {
    uint32_t tid; /* 0 = empty */
    char name[16];
};

static struct {
    struct prof_config cfg;
    struct run_info run;
    struct writer *w;
    char lazy_path[4096]; /* fork child: the file is created at its first chunk, so a child that
                           * execs or exits at once leaves no empty file behind */
    pthread_t thread;
    int started;
    int stopping; /* under lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t flushed;          /* broadcast after a requested chunk is written */
    uint64_t flush_requests, flushes_done; /* under lock */
    int end_requested;               /* under lock: the requested chunk ends the file (exec) */

    struct stacktab *stacks;
    struct fmt_buf defs;    /* MODULE, THREAD, STACK, WARNING records of the pending chunk */
    struct fmt_buf tuples;  /* sample tuples of the pending SAMPLES record */
    uint64_t ntuples;
    uint64_t prev_time_ns;  /* for the pending record's time deltas */
    struct fmt_buf payload; /* assembled chunk payload */
    /* Allocation mode */
    struct fmt_buf alloc_tuples, free_tuples;
    struct fmt_buf call_tuples; /* REGION_CALLS of the pending chunk */
    uint64_t ncalls;
    uint64_t nalloc, nfree;
    uint64_t prev_alloc_ns, prev_free_ns;
    struct heaptab *heap;
    uint64_t *early_frees;  /* frees drained before their allocation (another thread's ring) */
    size_t nearly, capearly;
    uint64_t alloc_samples, frees_unmatched;
    uint64_t wall_on, wall_off; /* cumulative weights, for the timeline's off-CPU share */
    uint8_t *entry;         /* one ring entry */
    size_t entry_cap;
    int header_written;
    uint64_t last_chunk_ns;

    struct tid_name names[NAME_TABLE_SIZE];
    struct thread_counters exited; /* counters of threads whose slots were recycled */
} fl = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
        .flushed = PTHREAD_COND_INITIALIZER};

/* ---- records ---- */

static void put_cmdline(struct fmt_buf *body)
{
    char buf[8192];
    ssize_t n = procfs_read("/proc/self/cmdline", buf, sizeof(buf));
    if (n < 0)
        n = 0;
    uint64_t argc = 0;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
        argc++;
    fmt_put_varint(body, argc);
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
        fmt_put_string(body, buf + i);
}

static void emit_header(struct fmt_buf *out)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    struct utsname un;
    if (uname(&un) != 0)
        un.nodename[0] = 0;
    fmt_put_varint(&b, (uint64_t)getpid());
    fmt_put_varint(&b, (uint64_t)getppid());
    fmt_put_string(&b, exe);
    put_cmdline(&b);
    fmt_put_varint(&b, fl.run.start_realtime_ns);
    fmt_put_varint(&b, fl.run.start_monotonic_ns);
    fmt_put_varint(&b, fl.cfg.modes);
    fmt_put_varint(&b, fl.cfg.hz);
    fmt_put_varint(&b, (uint64_t)fl.run.timer);
    fmt_put_varint(&b, (uint64_t)fl.cfg.unwinder);
    fmt_put_varint(&b, fl.cfg.max_depth);
    fmt_put_varint(&b, fl.cfg.flush_ms);
    fmt_put_varint(&b, (fl.cfg.modes & FMT_MODE_ALLOC) ? fl.cfg.alloc_rate : 0);
    fmt_put_string(&b, un.nodename);
    fmt_put_varint(&b, (uint64_t)fl.cfg.timer);
    fmt_put_record(out, FMT_REC_HEADER, &b);
    fmt_buf_free(&b);
}

static void emit_thread(uint32_t tid, const char *name, uint64_t now_ns)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, tid);
    fmt_put_string(&b, name);
    fmt_put_varint(&b, now_ns);
    fmt_put_record(&fl.defs, FMT_REC_THREAD, &b);
    fmt_buf_free(&b);
}

static void emit_warning(const char *msg, uint64_t time_ns, void *arg)
{
    (void)arg;
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, time_ns);
    fmt_put_string(&b, msg);
    fmt_put_record(&fl.defs, FMT_REC_WARNING, &b);
    fmt_buf_free(&b);
}

/* ---- thread names ---- */

static struct tid_name *name_slot(uint32_t tid)
{
    size_t i = (tid * 2654435761u) & (NAME_TABLE_SIZE - 1);
    for (size_t probes = 0; probes < NAME_TABLE_SIZE; probes++, i = (i + 1) & (NAME_TABLE_SIZE - 1))
        if (fl.names[i].tid == tid || fl.names[i].tid == 0)
            return &fl.names[i];
    /* Table full (thousands of distinct tids): reuse a bucket; a name may be written twice. */
    return &fl.names[(tid * 2654435761u) & (NAME_TABLE_SIZE - 1)];
}

static int read_comm(uint32_t tid, char name[16])
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%u/comm", tid);
    ssize_t n = procfs_read(path, name, 16);
    if (n <= 0)
        return -1;
    if (name[n - 1] == '\n')
        name[n - 1] = 0;
    return 0;
}

/* Emits a THREAD record when the tid is new or its name changed. */
static void note_thread_name(uint32_t tid, const char *name, uint64_t now_ns)
{
    struct tid_name *e = name_slot(tid);
    if (e->tid == tid && strcmp(e->name, name) == 0)
        return;
    e->tid = tid;
    snprintf(e->name, sizeof(e->name), "%s", name);
    emit_thread(tid, name, now_ns);
}

/* First sight of a tid in a sample: name it from /proc, or from the slot if it already exited.
 * Samples of one ring can belong to other threads (the wall sampler writes for everyone). */
static void first_sight(uint32_t tid, struct thread_state *owner, uint64_t now_ns)
{
    char name[16];
    if (read_comm(tid, name) == 0)
        note_thread_name(tid, name, now_ns);
    else if ((uint32_t)owner->tid == tid && owner->name_known)
        note_thread_name(tid, owner->name, now_ns);
    else
        note_thread_name(tid, "", now_ns);
}

static void refresh_thread_name(struct thread_state *ts, uint64_t now_ns)
{
    char name[16];
    if (read_comm((uint32_t)ts->tid, name) == 0) {
        memcpy(ts->name, name, sizeof(name));
        ts->name_known = 1;
    }
    if (ts->name_known)
        note_thread_name((uint32_t)ts->tid, ts->name, now_ns);
}

/* ---- draining ---- */

/* The file-wide id of a stack, writing its STACK record the first time. 0 when out of memory. */
static uint64_t intern_stack(const struct ring_sample *s, const uint64_t *pcs)
{
    int is_new;
    uint64_t id = stacktab_intern(fl.stacks, pcs, s->nframes, s->flags, &is_new);
    if (id != 0 && is_new) {
        struct fmt_buf b;
        fmt_buf_init(&b);
        fmt_put_varint(&b, id);
        fmt_put_varint(&b, s->flags);
        fmt_put_varint(&b, s->nframes);
        for (uint32_t i = 0; i < s->nframes; i++) {
            if (i == 0)
                fmt_put_varint(&b, pcs[0]);
            else
                fmt_put_svarint(&b, (int64_t)(pcs[i] - pcs[i - 1]));
        }
        fmt_put_record(&fl.defs, FMT_REC_STACK, &b);
        fmt_buf_free(&b);
    }
    return id;
}

static void add_sample(const struct ring_sample *s, const uint64_t *pcs)
{
    uint64_t id = intern_stack(s, pcs);
    if (id == 0)
        return;
    if (s->kind == FMT_KIND_WALL_OFF)
        fl.wall_off += s->weight;
    else
        fl.wall_on += s->weight;
    fmt_put_varint(&fl.tuples, s->tid);
    fmt_put_varint(&fl.tuples, id);
    fmt_put_svarint(&fl.tuples, (int64_t)(s->time_ns - fl.prev_time_ns));
    fmt_put_varint(&fl.tuples, s->weight);
    fmt_put_varint(&fl.tuples, s->kind);
    fmt_put_varint(&fl.tuples, s->region);
    fmt_put_varint(&fl.tuples, s->region_call);
    fl.prev_time_ns = s->time_ns;
    fl.ntuples++;
}

/* A region call that samples fell in: kept so reports can select the slow calls' samples. */
static void add_region_call(const struct ring_sample *s)
{
    fmt_put_varint(&fl.call_tuples, s->tid);
    fmt_put_varint(&fl.call_tuples, s->region_call);
    fmt_put_varint(&fl.call_tuples, s->region);
    fmt_put_varint(&fl.call_tuples, s->time_ns);
    fmt_put_varint(&fl.call_tuples, s->size);
    fmt_put_varint(&fl.call_tuples, s->parent_call);
    fl.ncalls++;
}

static void put_free_tuple(uint64_t alloc_id, uint64_t time_ns)
{
    fmt_put_varint(&fl.free_tuples, alloc_id);
    fmt_put_svarint(&fl.free_tuples, (int64_t)(time_ns - fl.prev_free_ns));
    fl.prev_free_ns = time_ns;
    fl.nfree++;
}

static void add_alloc(const struct ring_sample *s, const uint64_t *pcs)
{
    uint64_t id = intern_stack(s, pcs);
    if (id == 0)
        return;
    fl.alloc_samples++;
    fmt_put_varint(&fl.alloc_tuples, s->tid);
    fmt_put_varint(&fl.alloc_tuples, id);
    fmt_put_svarint(&fl.alloc_tuples, (int64_t)(s->time_ns - fl.prev_alloc_ns));
    fmt_put_varint(&fl.alloc_tuples, s->size);
    fmt_put_varint(&fl.alloc_tuples, s->weight);
    fmt_put_varint(&fl.alloc_tuples, s->alloc_id);
    fmt_put_varint(&fl.alloc_tuples, s->region);
    fl.prev_alloc_ns = s->time_ns;
    fl.nalloc++;
    /* Freed before we saw it allocated (the free came through an earlier-drained ring)? */
    for (size_t i = 0; i < fl.nearly; i++) {
        if (fl.early_frees[2 * i] == s->alloc_id) {
            put_free_tuple(s->alloc_id, fl.early_frees[2 * i + 1]);
            fl.early_frees[2 * i] = fl.early_frees[2 * (fl.nearly - 1)];
            fl.early_frees[2 * i + 1] = fl.early_frees[2 * (fl.nearly - 1) + 1];
            fl.nearly--;
            return;
        }
    }
    double objects = s->size ? (double)s->weight / (double)s->size : 0;
    heaptab_add(fl.heap, s->alloc_id, id, s->weight, objects);
}

static void add_free(uint64_t alloc_id, uint64_t time_ns)
{
    if (heaptab_remove(fl.heap, alloc_id) == 0) {
        put_free_tuple(alloc_id, time_ns);
        return;
    }
    if (fl.nearly == fl.capearly) {
        size_t cap = fl.capearly ? fl.capearly * 2 : 64;
        uint64_t *e = realloc(fl.early_frees, cap * 2 * sizeof(uint64_t));
        if (!e) {
            fl.frees_unmatched++;
            return;
        }
        fl.early_frees = e;
        fl.capearly = cap;
    }
    fl.early_frees[2 * fl.nearly] = alloc_id;
    fl.early_frees[2 * fl.nearly + 1] = time_ns;
    fl.nearly++;
}

static void drain_ring(struct thread_state *ts, uint64_t now_ns)
{
    for (;;) {
        size_t len = ring_get(ts->ring, fl.entry, fl.entry_cap);
        if (len == 0)
            return;
        if (len > fl.entry_cap || len < sizeof(struct ring_sample))
            continue; /* cannot happen with our producers; never trust it blindly */
        struct ring_sample s;
        memcpy(&s, fl.entry, sizeof(s));
        if (sizeof(s) + (size_t)s.nframes * 8 != len)
            continue;
        if (s.kind < RING_ALLOC && name_slot(s.tid)->tid != s.tid)
            first_sight(s.tid, ts, now_ns);
        const uint64_t *pcs = (const uint64_t *)(fl.entry + sizeof(s));
        if (s.kind == RING_ALLOC)
            add_alloc(&s, pcs);
        else if (s.kind == RING_REGION_CALL)
            add_region_call(&s);
        else if (s.kind == RING_FREE)
            add_free(s.alloc_id, s.time_ns);
        else
            add_sample(&s, pcs);
    }
}

static void fold_counters(struct thread_counters *sum, const struct thread_counters *c)
{
    atomic_fetch_add(&sum->samples, atomic_load(&c->samples));
    atomic_fetch_add(&sum->dropped, atomic_load(&c->dropped));
    atomic_fetch_add(&sum->unwind_failed, atomic_load(&c->unwind_failed));
    atomic_fetch_add(&sum->truncated, atomic_load(&c->truncated));
    atomic_fetch_add(&sum->overruns, atomic_load(&c->overruns));
    atomic_fetch_add(&sum->reentered, atomic_load(&c->reentered));
    atomic_fetch_add(&sum->weight, atomic_load(&c->weight));
}

static void drain_all(uint64_t now_ns, int refresh_names)
{
    modules_scan(&fl.defs, now_ns);
    cfi_collect();
    fastclock_calibrate();
    size_t n = threads_slot_count();
    for (size_t i = 0; i < n; i++) {
        struct thread_state *ts = threads_slot(i);
        if (!ts)
            continue;
        /* acquire: pairs with the release stores of state in threads.c. */
        int state = atomic_load_explicit(&ts->state, memory_order_acquire);
        if (state == SLOT_LIVE) {
            drain_ring(ts, now_ns);
            if (refresh_names && !ts->internal)
                refresh_thread_name(ts, now_ns);
        } else if (state == SLOT_EXITED) {
            drain_ring(ts, now_ns);
            if (ts->name_known)
                note_thread_name((uint32_t)ts->tid, ts->name, now_ns);
            fold_counters(&fl.exited, &ts->ctr);
            regionagg_fold_thread(ts);
            threads_release(ts);
        }
    }
}

static void put_counter(struct fmt_buf *b, uint64_t key, uint64_t value, uint64_t *n)
{
    fmt_put_varint(b, key);
    fmt_put_varint(b, value);
    (*n)++;
}

static uint64_t ts_ns(struct timeval tv) { return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u; }

static void emit_counters(struct fmt_buf *out, uint64_t now_ns, struct metrics_input *mi)
{
    struct thread_counters sum;
    memset(&sum, 0, sizeof(sum));
    fold_counters(&sum, &fl.exited);
    size_t n = threads_slot_count();
    for (size_t i = 0; i < n; i++) {
        struct thread_state *ts = threads_slot(i);
        if (ts && atomic_load_explicit(&ts->state, memory_order_acquire) == SLOT_LIVE)
            fold_counters(&sum, &ts->ctr);
    }
    struct rusage ru;
    uint64_t user = 0, sys = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        user = ts_ns(ru.ru_utime);
        sys = ts_ns(ru.ru_stime);
    }
    struct timespec cpu;
    uint64_t cpu_ns = user + sys;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
        cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;

    struct fmt_buf pairs, b;
    fmt_buf_init(&pairs);
    fmt_buf_init(&b);
    uint64_t np = 0;
    *mi = (struct metrics_input){.user_ns = user, .sys_ns = sys,
                                 .samples = atomic_load(&sum.samples),
                                 .dropped = atomic_load(&sum.dropped),
                                 .wall_on = fl.wall_on, .wall_off = fl.wall_off,
                                 .live_heap = heaptab_live_bytes(fl.heap),
                                 .alloc_mode = (fl.cfg.modes & FMT_MODE_ALLOC) != 0,
                                 .wall_mode = (fl.cfg.modes & FMT_MODE_WALL) != 0};
    put_counter(&pairs, FMT_CTR_SAMPLES, atomic_load(&sum.samples), &np);
    put_counter(&pairs, FMT_CTR_DROPPED, atomic_load(&sum.dropped), &np);
    put_counter(&pairs, FMT_CTR_UNWIND_FAILED, atomic_load(&sum.unwind_failed), &np);
    put_counter(&pairs, FMT_CTR_TRUNCATED, atomic_load(&sum.truncated), &np);
    put_counter(&pairs, FMT_CTR_OVERRUNS, atomic_load(&sum.overruns), &np);
    put_counter(&pairs, FMT_CTR_CPU_NS, cpu_ns, &np);
    put_counter(&pairs, FMT_CTR_THREADS, threads_registered_total(), &np);
    put_counter(&pairs, FMT_CTR_WRITE_ERRORS, writer_errors(fl.w), &np);
    put_counter(&pairs, FMT_CTR_REENTERED, atomic_load(&sum.reentered), &np);
    put_counter(&pairs, FMT_CTR_USER_NS, user, &np);
    put_counter(&pairs, FMT_CTR_SYS_NS, sys, &np);
    put_counter(&pairs, FMT_CTR_NO_THREAD, atomic_load(&sampler_no_thread) + threads_out_of_slots(),
                &np);
    put_counter(&pairs, FMT_CTR_WEIGHT, atomic_load(&sum.weight), &np);
    if (fl.cfg.modes & FMT_MODE_ALLOC) {
        put_counter(&pairs, FMT_CTR_ALLOC_SAMPLES, fl.alloc_samples, &np);
        put_counter(&pairs, FMT_CTR_ALLOC_LOST, alloc_events_lost(), &np);
        put_counter(&pairs, FMT_CTR_FREES_UNMATCHED, fl.frees_unmatched + fl.nearly, &np);
    }
    fmt_put_varint(&b, now_ns);
    fmt_put_varint(&b, np);
    fmt_put_bytes(&b, pairs.data, pairs.len);
    fmt_put_record(out, FMT_REC_COUNTERS, &b);
    fmt_buf_free(&pairs);
    fmt_buf_free(&b);
}

static void put_batch(struct fmt_buf *out, uint32_t type, uint64_t nfields, uint64_t count,
                      struct fmt_buf *tuples)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, nfields);
    fmt_put_varint(&b, count);
    fmt_put_bytes(&b, tuples->data, tuples->len);
    fmt_put_record(out, type, &b);
    fmt_buf_free(&b);
}

struct snapshot_ctx {
    struct fmt_buf *pairs;
    uint64_t n;
};

static void put_live_stack(uint64_t stack_id, uint64_t bytes, double objects, void *arg)
{
    struct snapshot_ctx *c = arg;
    fmt_put_varint(c->pairs, stack_id);
    fmt_put_varint(c->pairs, bytes);
    fmt_put_varint(c->pairs, (uint64_t)(objects + 0.5));
    c->n++;
}

/* ALLOC_SAMPLES, FREES and the heap snapshot of this flush. */
static void emit_alloc_records(struct fmt_buf *out, uint64_t now_ns)
{
    if (fl.nalloc)
        put_batch(out, FMT_REC_ALLOC_SAMPLES, FMT_ALLOC_FIELDS, fl.nalloc, &fl.alloc_tuples);
    if (fl.nfree)
        put_batch(out, FMT_REC_FREES, FMT_FREE_FIELDS, fl.nfree, &fl.free_tuples);
    struct fmt_buf pairs, b;
    fmt_buf_init(&pairs);
    fmt_buf_init(&b);
    struct snapshot_ctx c = {.pairs = &pairs};
    heaptab_each_stack(fl.heap, put_live_stack, &c);
    fmt_put_varint(&b, now_ns);
    fmt_put_varint(&b, c.n);
    fmt_put_bytes(&b, pairs.data, pairs.len);
    fmt_put_record(out, FMT_REC_HEAP_SNAPSHOT, &b);
    fmt_buf_free(&pairs);
    fmt_buf_free(&b);
    fmt_buf_reset(&fl.alloc_tuples);
    fmt_buf_reset(&fl.free_tuples);
    fl.nalloc = fl.nfree = 0;
    fl.prev_alloc_ns = fl.prev_free_ns = 0;
}

/* Assembles HEADER (first time), definitions, SAMPLES, COUNTERS [, END] and writes one chunk. */
/* final: 0 = more chunks follow; otherwise the END record's reason + 1. */
static void write_chunk(uint64_t now_ns, int final)
{
    /* A fork child creates its file only once it has something to say: a child that execs or
     * exits at once leaves no empty file (definitions gathered so far wait for the first chunk). */
    if (!fl.w && fl.lazy_path[0] && fl.ntuples == 0 && fl.nalloc == 0 && fl.nfree == 0 &&
        fl.ncalls == 0)
        return;
    log_drain(emit_warning, NULL);
    struct fmt_buf *p = &fl.payload;
    fmt_buf_reset(p);
    if (!fl.header_written) {
        emit_header(p);
        fl.header_written = 1;
    }
    regionagg_emit_defs(&fl.defs);
    fmt_put_bytes(p, fl.defs.data, fl.defs.len);
    if (fl.ntuples > 0)
        put_batch(p, FMT_REC_SAMPLES, FMT_SAMPLE_FIELDS, fl.ntuples, &fl.tuples);
    if (fl.ncalls)
        put_batch(p, FMT_REC_REGION_CALLS, FMT_REGION_CALL_FIELDS, fl.ncalls, &fl.call_tuples);
    if (fl.cfg.modes & FMT_MODE_ALLOC)
        emit_alloc_records(p, now_ns);
    struct metrics_input mi;
    emit_counters(p, now_ns, &mi);
    metrics_emit(p, now_ns, &mi); /* before the region stats: alerts read this interval's */
    regionagg_emit_stats(p);
    if (final) {
        struct fmt_buf b;
        fmt_buf_init(&b);
        fmt_put_varint(&b, now_ns);
        fmt_put_varint(&b, (uint64_t)(final - 1));
        fmt_put_record(p, FMT_REC_END, &b);
        fmt_buf_free(&b);
    }
    if (!fl.w && fl.lazy_path[0]) {
        fl.w = writer_open(fl.lazy_path);
        fl.lazy_path[0] = 0;
    }
    if (!p->failed && fl.w)
        writer_chunk(fl.w, p->data, p->len);
    fmt_buf_reset(&fl.defs);
    fmt_buf_reset(&fl.tuples);
    fmt_buf_reset(&fl.call_tuples);
    fl.ntuples = 0;
    fl.ncalls = 0;
    fl.prev_time_ns = 0;
    fl.last_chunk_ns = now_ns;
}

static void *flusher_main(void *arg)
{
    (void)arg;
    uint64_t drain_ns = (uint64_t)(fl.cfg.flush_ms < 100 ? fl.cfg.flush_ms : 100) * 1000000u;
    uint64_t flush_ns = (uint64_t)fl.cfg.flush_ms * 1000000u;
    pthread_mutex_lock(&fl.lock);
    while (!fl.stopping) {
        /* Wake for the next drain, or exactly when the next chunk is due if that is sooner, so
         * intervals keep their length. */
        uint64_t now_rel = sampler_now_ns(), wait_ns = drain_ns;
        uint64_t due = fl.last_chunk_ns + flush_ns;
        if (due > now_rel && due - now_rel < wait_ns)
            wait_ns = due - now_rel;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(wait_ns / 1000000000u);
        until.tv_nsec += (long)(wait_ns % 1000000000u);
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&fl.wake, &fl.lock, &until);
        if (fl.stopping)
            break;
        uint64_t requested = fl.flush_requests;
        int end = fl.end_requested;
        fl.end_requested = 0;
        pthread_mutex_unlock(&fl.lock);
        uint64_t now = sampler_now_ns();
        int chunk_due = now - fl.last_chunk_ns >= (uint64_t)fl.cfg.flush_ms * 1000000u ||
                        requested != fl.flushes_done;
        drain_all(now, chunk_due);
        if (chunk_due || fl.defs.len + fl.tuples.len + fl.alloc_tuples.len > MAX_PAYLOAD_BEFORE_CHUNK)
            write_chunk(now, end ? FMT_END_EXEC + 1 : 0);
        pthread_mutex_lock(&fl.lock);
        if (requested != fl.flushes_done) {
            fl.flushes_done = requested;
            pthread_cond_broadcast(&fl.flushed);
        }
    }
    /* Whoever waits for a flush is released by the final chunk below. */
    fl.flushes_done = fl.flush_requests;
    pthread_cond_broadcast(&fl.flushed);
    pthread_mutex_unlock(&fl.lock);
    uint64_t now = sampler_now_ns();
    drain_all(now, 1);
    write_chunk(now, FMT_END_EXIT + 1);
    return NULL;
}

int flusher_start(const struct prof_config *cfg, const struct run_info *run, struct writer *w,
                  const char *lazy_path)
{
    fl.cfg = *cfg;
    fl.run = *run;
    fl.w = w;
    snprintf(fl.lazy_path, sizeof(fl.lazy_path), "%s", lazy_path ? lazy_path : "");
    fl.stacks = stacktab_new();
    fl.entry_cap = sizeof(struct ring_sample) + PROF_MAX_DEPTH_LIMIT * sizeof(uint64_t);
    fl.entry = malloc(fl.entry_cap);
    if (!fl.stacks || !fl.entry)
        return -ENOMEM;
    fmt_buf_init(&fl.defs);
    fmt_buf_init(&fl.tuples);
    fmt_buf_init(&fl.payload);
    fmt_buf_init(&fl.alloc_tuples);
    fmt_buf_init(&fl.free_tuples);
    fmt_buf_init(&fl.call_tuples);
    fl.heap = heaptab_new();
    if (!fl.heap)
        return -ENOMEM;

    /* Our own thread: created with the real pthread_create (not profiled), and with SIGPROF blocked
     * so a process-wide timer never picks it. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int r = preload_real_pthread_create()(&fl.thread, NULL, flusher_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0)
        return -r;
    fl.started = 1;
    return 0;
}

void flusher_wake(void)
{
    pthread_mutex_lock(&fl.lock);
    pthread_cond_signal(&fl.wake);
    pthread_mutex_unlock(&fl.lock);
}

int flusher_flush_now(int end_for_exec)
{
    if (!fl.started)
        return -ESRCH;
    pthread_mutex_lock(&fl.lock);
    uint64_t mine = ++fl.flush_requests;
    fl.end_requested = end_for_exec;
    pthread_cond_signal(&fl.wake);
    while (fl.flushes_done < mine && !fl.stopping)
        pthread_cond_wait(&fl.flushed, &fl.lock);
    pthread_mutex_unlock(&fl.lock);
    return writer_errors(fl.w) ? -EIO : 0;
}

/* fork(): the child must not inherit a lock the flusher held, nor half-updated tables. */
void flusher_atfork_prepare(void) { pthread_mutex_lock(&fl.lock); }
void flusher_atfork_parent(void) { pthread_mutex_unlock(&fl.lock); }

/* In the child the flusher thread does not exist. Its state is abandoned (not freed: the parent's
 * thread may have been in the middle of using it) and the child starts afresh with
 * flusher_start(). The output file of the parent is closed in the child, never written. */
void flusher_atfork_child(void)
{
    pthread_mutex_unlock(&fl.lock);
    pthread_cond_init(&fl.wake, NULL);
    pthread_cond_init(&fl.flushed, NULL);
    if (fl.w)
        writer_abandon(fl.w);
    fl.w = NULL;
    fl.started = 0;
    fl.stopping = 0;
    fl.flush_requests = fl.flushes_done = 0;
    fl.header_written = 0;
    fl.last_chunk_ns = 0;
    fmt_buf_init(&fl.defs);
    fmt_buf_init(&fl.tuples);
    fmt_buf_init(&fl.payload);
    fmt_buf_init(&fl.alloc_tuples);
    fmt_buf_init(&fl.free_tuples);
    fmt_buf_init(&fl.call_tuples);
    fl.ntuples = fl.nalloc = fl.nfree = fl.ncalls = 0;
    fl.wall_on = fl.wall_off = 0;
    regionagg_reset_after_fork();
    metrics_reset_after_fork();
    fl.prev_time_ns = fl.prev_alloc_ns = fl.prev_free_ns = 0;
    fl.early_frees = NULL;
    fl.nearly = fl.capearly = 0;
    fl.alloc_samples = fl.frees_unmatched = 0;
    memset(fl.names, 0, sizeof(fl.names));
    memset(&fl.exited, 0, sizeof(fl.exited));
}

void flusher_stop(void)
{
    if (!fl.started)
        return;
    fl.started = 0;
    pthread_mutex_lock(&fl.lock);
    fl.stopping = 1;
    pthread_cond_signal(&fl.wake);
    pthread_mutex_unlock(&fl.lock);
    pthread_join(fl.thread, NULL);
    writer_close(fl.w);
    fl.w = NULL;
}
