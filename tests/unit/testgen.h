/* SPDX-License-Identifier: MIT */
/* Test helpers: build profile files in memory with the format.h encoder (static: one copy per test).
 * Include after <cmocka.h>: the checking helpers at the end assert with it. */
#ifndef PROF_TESTGEN_H
#define PROF_TESTGEN_H

#include "format.h"
#include "prof/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A profile under construction: the file bytes so far and the payload of the open chunk. */
struct tg {
    struct fmt_buf file;
    struct fmt_buf payload;
    size_t chunk_end[64]; /* file offset after each finished chunk */
    size_t nchunks;
};

static inline void tg_init(struct tg *g)
{
    uint8_t h[FMT_FILE_HEADER_LEN];
    memset(g, 0, sizeof(*g));
    fmt_buf_init(&g->file);
    fmt_buf_init(&g->payload);
    fmt_file_header(h);
    fmt_put_bytes(&g->file, h, sizeof(h));
}

static inline void tg_free(struct tg *g)
{
    fmt_buf_free(&g->file);
    fmt_buf_free(&g->payload);
}

static inline void tg_record(struct tg *g, uint32_t type, const struct fmt_buf *body)
{
    fmt_put_record(&g->payload, type, body);
}

/* Frames the open payload as a chunk (level 6) and starts a new one. Returns the zlib result. */
static inline int tg_flush(struct tg *g)
{
    int ret = fmt_make_chunk(&g->file, g->payload.data, g->payload.len, 6);
    if (g->nchunks < sizeof(g->chunk_end) / sizeof(g->chunk_end[0]))
        g->chunk_end[g->nchunks++] = g->file.len;
    fmt_buf_reset(&g->payload);
    return ret;
}

/* Appends a hand-made frame: lets tests forge lengths and checksums. */
static inline void tg_raw_chunk(struct fmt_buf *out, uint32_t magic, uint32_t raw_len,
                                uint32_t stored_len, const void *stored, size_t n, int good_data_crc,
                                int good_header_crc)
{
    uint8_t h[16];
    struct fmt_buf tmp;
    fmt_buf_init(&tmp);
    fmt_put_u32le(&tmp, magic);
    fmt_put_u32le(&tmp, raw_len);
    fmt_put_u32le(&tmp, stored_len);
    fmt_put_u32le(&tmp, good_data_crc ? fmt_crc32(stored, n) : fmt_crc32(stored, n) ^ 1u);
    memcpy(h, tmp.data, 16);
    fmt_put_u32le(&tmp, good_header_crc ? fmt_crc32(h, 16) : fmt_crc32(h, 16) ^ 1u);
    fmt_put_bytes(&tmp, stored, n);
    fmt_put_bytes(out, tmp.data, tmp.len);
    fmt_buf_free(&tmp);
}

/* ---- Record bodies from the reader's own structs, so a decode can be compared field by field. */

static inline void tg_header(struct tg *g, const struct prof_rec_header *h)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, h->pid);
    fmt_put_varint(&b, h->ppid);
    fmt_put_string(&b, h->exe_path);
    fmt_put_varint(&b, h->argc);
    for (size_t i = 0; i < h->argc; i++)
        fmt_put_string(&b, h->argv[i]);
    fmt_put_varint(&b, h->start_realtime_ns);
    fmt_put_varint(&b, h->start_monotonic_ns);
    fmt_put_varint(&b, h->modes);
    fmt_put_varint(&b, h->hz);
    fmt_put_varint(&b, h->timer);
    fmt_put_varint(&b, h->unwinder);
    fmt_put_varint(&b, h->max_depth);
    fmt_put_varint(&b, h->flush_ms);
    fmt_put_varint(&b, h->alloc_rate);
    fmt_put_string(&b, h->hostname);
    fmt_put_varint(&b, h->timer_requested);
    tg_record(g, FMT_REC_HEADER, &b);
    fmt_buf_free(&b);
}

/* A plain header for tests that do not look at it. */
static inline void tg_simple_header(struct tg *g, uint64_t pid)
{
    static const char *argv[] = {"./app", "--fast"};
    struct prof_rec_header h = {.pid = pid, .ppid = 1, .exe_path = "/usr/bin/app", .argc = 2,
                                .argv = argv, .start_realtime_ns = 1700000000000000000ull,
                                .start_monotonic_ns = 5000000000ull, .modes = FMT_MODE_CPU,
                                .hz = 100, .timer = FMT_TIMER_PERF, .unwinder = FMT_UNWIND_DWARF,
                                .max_depth = 128, .flush_ms = 1000, .hostname = "host"};
    tg_header(g, &h);
}

static inline void tg_module(struct tg *g, const struct prof_rec_module *m)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, m->module_id);
    fmt_put_varint(&b, m->load_ns);
    fmt_put_string(&b, m->path);
    fmt_put_blob(&b, m->build_id, m->build_id_len);
    fmt_put_varint(&b, m->bias);
    fmt_put_varint(&b, m->nsegs);
    for (size_t i = 0; i < m->nsegs; i++) {
        fmt_put_varint(&b, m->segs[i].start);
        fmt_put_varint(&b, m->segs[i].size);
        fmt_put_varint(&b, m->segs[i].file_offset);
        fmt_put_varint(&b, m->segs[i].flags);
    }
    tg_record(g, FMT_REC_MODULE, &b);
    fmt_buf_free(&b);
}

/* One-segment module [start, start + size), executable. */
static inline void tg_simple_module(struct tg *g, uint64_t id, const char *path, uint64_t start,
                                    uint64_t size, uint64_t load_ns)
{
    struct prof_rec_segment seg = {start, size, 0, 5};
    struct prof_rec_module m = {.module_id = id, .load_ns = load_ns, .path = path, .bias = start,
                                .nsegs = 1, .segs = &seg};
    tg_module(g, &m);
}

static inline void tg_unload(struct tg *g, uint64_t id, uint64_t unload_ns)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, id);
    fmt_put_varint(&b, unload_ns);
    tg_record(g, FMT_REC_MODULE_UNLOAD, &b);
    fmt_buf_free(&b);
}

static inline void tg_thread(struct tg *g, uint64_t tid, const char *name, uint64_t time_ns)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, tid);
    fmt_put_string(&b, name);
    fmt_put_varint(&b, time_ns);
    tg_record(g, FMT_REC_THREAD, &b);
    fmt_buf_free(&b);
}

static inline void tg_stack(struct tg *g, uint64_t id, uint64_t flags, size_t n, const uint64_t *frames)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, id);
    fmt_put_varint(&b, flags);
    fmt_put_varint(&b, n);
    for (size_t i = 0; i < n; i++) {
        if (i == 0)
            fmt_put_varint(&b, frames[0]);
        else
            fmt_put_svarint(&b, (int64_t)(frames[i] - frames[i - 1]));
    }
    tg_record(g, FMT_REC_STACK, &b);
    fmt_buf_free(&b);
}

/* SAMPLES with `nfields` per sample (>= 6: extras are written as 7, 8, ...); times are absolute and
 * turned into deltas here. */
static inline void tg_samples(struct tg *g, uint64_t nfields, size_t count,
                              const struct prof_rec_sample *s)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, nfields);
    fmt_put_varint(&b, count);
    uint64_t prev = 0;
    for (size_t i = 0; i < count; i++) {
        fmt_put_varint(&b, s[i].tid);
        fmt_put_varint(&b, s[i].stack_id);
        fmt_put_svarint(&b, (int64_t)(s[i].time_ns - prev));
        prev = s[i].time_ns;
        fmt_put_varint(&b, s[i].weight);
        fmt_put_varint(&b, s[i].kind);
        fmt_put_varint(&b, s[i].region_id);
        for (uint64_t f = 6; f < nfields; f++) /* field 7 is region_call; extras 8, 9, ... */
            fmt_put_varint(&b, f == 6 ? s[i].region_call : f + 1);
    }
    tg_record(g, FMT_REC_SAMPLES, &b);
    fmt_buf_free(&b);
}

static inline void tg_sample1(struct tg *g, uint64_t tid, uint64_t stack_id, uint64_t time_ns,
                              uint64_t weight)
{
    struct prof_rec_sample s = {.tid = tid, .stack_id = stack_id, .time_ns = time_ns, .weight = weight};
    tg_samples(g, 6, 1, &s);
}

/* ALLOC_SAMPLES with `nfields` per allocation (>= 7: extras written as 8, 9, ...); absolute times. */
static inline void tg_allocs(struct tg *g, uint64_t nfields, size_t count,
                             const struct prof_rec_alloc *a)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, nfields);
    fmt_put_varint(&b, count);
    uint64_t prev = 0;
    for (size_t i = 0; i < count; i++) {
        fmt_put_varint(&b, a[i].tid);
        fmt_put_varint(&b, a[i].stack_id);
        fmt_put_svarint(&b, (int64_t)(a[i].time_ns - prev));
        prev = a[i].time_ns;
        fmt_put_varint(&b, a[i].size);
        fmt_put_varint(&b, a[i].weight_bytes);
        fmt_put_varint(&b, a[i].alloc_id);
        fmt_put_varint(&b, a[i].region_id);
        for (uint64_t f = 7; f < nfields; f++)
            fmt_put_varint(&b, f + 1);
    }
    tg_record(g, FMT_REC_ALLOC_SAMPLES, &b);
    fmt_buf_free(&b);
}

/* REGION_DEF. */
static inline void tg_region_def(struct tg *g, uint64_t id, const char *name, uint64_t parent)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, id);
    fmt_put_string(&b, name);
    fmt_put_varint(&b, parent);
    tg_record(g, FMT_REC_REGION_DEF, &b);
    fmt_buf_free(&b);
}

/* REGION_STATS with st->nbuckets (bucket, count) pairs. */
static inline void tg_region_stats(struct tg *g, const struct prof_rec_region_stats *st)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, st->region_id);
    fmt_put_varint(&b, st->count);
    fmt_put_varint(&b, st->total_ns);
    fmt_put_varint(&b, st->min_ns);
    fmt_put_varint(&b, st->max_ns);
    fmt_put_varint(&b, st->nbuckets);
    for (size_t i = 0; i < st->nbuckets; i++) {
        fmt_put_varint(&b, st->buckets[i].bucket);
        fmt_put_varint(&b, st->buckets[i].count);
    }
    tg_record(g, FMT_REC_REGION_STATS, &b);
    fmt_buf_free(&b);
}

/* REGION_CALLS with `nfields` per call (>= 6: extras written as 7, 8, ...). */
static inline void tg_region_calls(struct tg *g, uint64_t nfields, size_t count,
                                   const struct prof_rec_region_call *c)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, nfields);
    fmt_put_varint(&b, count);
    for (size_t i = 0; i < count; i++) {
        fmt_put_varint(&b, c[i].tid);
        fmt_put_varint(&b, c[i].call_id);
        fmt_put_varint(&b, c[i].region_id);
        fmt_put_varint(&b, c[i].start_ns);
        fmt_put_varint(&b, c[i].duration_ns);
        fmt_put_varint(&b, c[i].parent_call);
        for (uint64_t f = 6; f < nfields; f++)
            fmt_put_varint(&b, f + 1);
    }
    tg_record(g, FMT_REC_REGION_CALLS, &b);
    fmt_buf_free(&b);
}

/* FREES with `nfields` per free (>= 2); absolute times. */
static inline void tg_frees(struct tg *g, uint64_t nfields, size_t count, const struct prof_rec_free *f)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, nfields);
    fmt_put_varint(&b, count);
    uint64_t prev = 0;
    for (size_t i = 0; i < count; i++) {
        fmt_put_varint(&b, f[i].alloc_id);
        fmt_put_svarint(&b, (int64_t)(f[i].time_ns - prev));
        prev = f[i].time_ns;
        for (uint64_t k = 2; k < nfields; k++)
            fmt_put_varint(&b, k + 1);
    }
    tg_record(g, FMT_REC_FREES, &b);
    fmt_buf_free(&b);
}

static inline void tg_heap(struct tg *g, uint64_t time_ns, size_t n,
                           const struct prof_rec_heap_entry *e)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, time_ns);
    fmt_put_varint(&b, n);
    for (size_t i = 0; i < n; i++) {
        fmt_put_varint(&b, e[i].stack_id);
        fmt_put_varint(&b, e[i].live_bytes);
        fmt_put_varint(&b, e[i].live_objects);
    }
    tg_record(g, FMT_REC_HEAP_SNAPSHOT, &b);
    fmt_buf_free(&b);
}

static inline void tg_counters(struct tg *g, uint64_t time_ns, size_t n,
                               const struct prof_rec_counter *pairs)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, time_ns);
    fmt_put_varint(&b, n);
    for (size_t i = 0; i < n; i++) {
        fmt_put_varint(&b, pairs[i].key);
        fmt_put_varint(&b, pairs[i].value);
    }
    tg_record(g, FMT_REC_COUNTERS, &b);
    fmt_buf_free(&b);
}

static inline void tg_end(struct tg *g, uint64_t end_ns, uint64_t reason)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, end_ns);
    fmt_put_varint(&b, reason);
    tg_record(g, FMT_REC_END, &b);
    fmt_buf_free(&b);
}

static inline void tg_warning(struct tg *g, uint64_t time_ns, const char *msg)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, time_ns);
    fmt_put_string(&b, msg);
    tg_record(g, FMT_REC_WARNING, &b);
    fmt_buf_free(&b);
}

/* METRICS: interval ending at time_ns, n (key, value) pairs. */
static inline void tg_metrics(struct tg *g, uint64_t time_ns, uint64_t interval_ns, size_t n,
                              const struct prof_rec_counter *pairs)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, time_ns);
    fmt_put_varint(&b, interval_ns);
    fmt_put_varint(&b, n);
    for (size_t i = 0; i < n; i++) {
        fmt_put_varint(&b, pairs[i].key);
        fmt_put_varint(&b, pairs[i].value);
    }
    tg_record(g, FMT_REC_METRICS, &b);
    fmt_buf_free(&b);
}

/* ALERT. */
static inline void tg_alert(struct tg *g, uint64_t time_ns, const char *rule, const char *value,
                            const char *message)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, time_ns);
    fmt_put_string(&b, rule);
    fmt_put_string(&b, value);
    fmt_put_string(&b, message);
    tg_record(g, FMT_REC_ALERT, &b);
    fmt_buf_free(&b);
}

/* A record with a raw body (unknown types, hand-made damage). */
static inline void tg_raw_record(struct tg *g, uint32_t type, const void *body, size_t n)
{
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_bytes(&b, body, n);
    tg_record(g, type, &b);
    fmt_buf_free(&b);
}

/* The standard damage-test file: 5 chunks, TG_STD_RECORDS[i] records in chunk i, ends with END.
 * Chunk i holds a THREAD, STACK i+1 and a SAMPLES of 3 samples using it (chunk 0 also the HEADER
 * and a MODULE; chunk 4 also COUNTERS and END). */
static const unsigned TG_STD_RECORDS[5] = {5, 3, 3, 3, 5};

static inline void tg_standard(struct tg *g)
{
    tg_init(g);
    for (uint64_t c = 0; c < 5; c++) {
        if (c == 0) {
            tg_simple_header(g, 4242);
            tg_simple_module(g, 1, "/usr/bin/app", 0x400000, 0x10000, 0);
        }
        tg_thread(g, 100 + c, "worker", c * 1000);
        uint64_t frames[3] = {0x401000 + c * 16, 0x402000, 0x403000};
        tg_stack(g, c + 1, 0, 3, frames);
        struct prof_rec_sample s[3];
        for (int i = 0; i < 3; i++)
            s[i] = (struct prof_rec_sample){.tid = 100 + c, .stack_id = c + 1,
                                            .time_ns = c * 1000 + (uint64_t)i * 10, .weight = 1};
        tg_samples(g, 6, 3, s);
        if (c == 4) {
            struct prof_rec_counter k = {FMT_CTR_SAMPLES, 15};
            tg_counters(g, 4500, 1, &k);
            tg_end(g, 5000, 0);
        }
        tg_flush(g);
    }
}

/* Writes bytes to a fresh temporary file; returns its malloc'd path (caller unlinks and frees). */
static inline char *tg_write_temp(const void *data, size_t n)
{
    char tmpl[] = "/tmp/libprof-test-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) {
            close(fd);
            unlink(tmpl);
            return NULL;
        }
        p += w;
        n -= (size_t)w;
    }
    close(fd);
    return strdup(tmpl);
}

/* Reads every record of an in-memory file; returns the final reader result (0 or PROF_E_*) and
 * counts the records in *nrec (per chunk in per_chunk[] when non-NULL, up to 64 chunks). Copies
 * the error message into msg when non-NULL. */
static inline int tg_read_all(const void *data, size_t n, size_t *nrec, unsigned *per_chunk,
                              char *msg, size_t msglen)
{
    struct prof_reader *r = NULL;
    struct prof_record rec;
    *nrec = 0;
    int ret = prof_reader_open_mem(data, n, "test", &r);
    while (ret >= 0 && (ret = prof_reader_next(r, &rec)) > 0) {
        (*nrec)++;
        if (per_chunk && rec.chunk < 64)
            per_chunk[rec.chunk]++;
    }
    if (msg)
        snprintf(msg, msglen, "%s", prof_reader_error(r));
    prof_reader_close(r);
    return ret;
}

/* Cuts the file at every byte after its first chunk: each cut must read as truncated with the
 * first chunk's `first` records (what a live reader sees while a chunk is being written), and the
 * whole file must read cleanly with all `total`. */
static inline void tg_check_truncations(const struct tg *g, size_t first, size_t total)
{
    for (size_t cut = g->chunk_end[0] + 1; cut < g->file.len; cut++) {
        size_t nrec = 0;
        char msg[256];
        assert_int_equal(tg_read_all(g->file.data, cut, &nrec, NULL, msg, sizeof(msg)),
                         PROF_E_TRUNCATED);
        assert_int_equal(nrec, first);
    }
    size_t nrec = 0;
    assert_int_equal(tg_read_all(g->file.data, g->file.len, &nrec, NULL, NULL, 0), 0);
    assert_int_equal(nrec, total);
}

/* Loads the file as a profile through a temporary file, whose path goes to *path (the caller
 * unlinks and frees it); fails the test if it does not load. */
static inline struct prof_profile *tg_load(const struct tg *g, char **path)
{
    *path = tg_write_temp(g->file.data, g->file.len);
    assert_non_null(*path);
    struct prof_profile *p = NULL;
    char err[256];
    const char *files[1] = {*path};
    if (prof_profile_load(files, 1, &p, err, sizeof(err)) != 0)
        fail_msg("load: %s", err);
    return p;
}

#endif
