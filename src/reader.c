/* SPDX-License-Identifier: MIT */
/* Record-level profile reader: validates and inflates chunks one at a time, decodes records. */
#include "prof/profile.h"

#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define READER_MAX_FRAMES 1024
/* SAMPLES: the first writers wrote 6 fields per sample (no region_call), later ones 7. */
#define READER_SAMPLE_MIN_FIELDS 6
/* Deflate cannot expand by more than ~1032:1; a raw_len beyond this bound for its stored_len is a lie,
 * and refusing it keeps the payload allocation proportional to the bytes really present. */
#define READER_MAX_RATIO 1040u
/* Stored bytes are read in steps so a forged stored_len on a short file costs little memory. */
#define READER_READ_STEP (1u << 20)

enum reader_state { READER_CHUNKS, READER_DONE, READER_FAILED };

struct prof_reader {
    char *name;
    FILE *fp;        /* file input, or NULL */
    uint8_t *mem;    /* memory input (owned copy) */
    size_t mem_len;
    uint64_t pos;    /* input bytes consumed so far */
    enum reader_state state;
    int err;
    char msg[256];
    uint32_t nchunks;  /* chunks read so far; the current chunk is nchunks - 1 */
    uint64_t nrecords; /* records returned so far */
    int in_chunk;      /* cur walks a decoded payload */
    struct fmt_cursor cur;
    uint8_t *stored;
    size_t stored_cap;
    uint8_t *payload;
    size_t payload_cap;
    /* Per-record scratch; what prof_reader_next hands out points here. */
    char *str;
    size_t str_cap, str_len;
    const char **argv;
    size_t argv_cap;
    struct prof_rec_segment *segs;
    size_t segs_cap;
    uint64_t frames[READER_MAX_FRAMES];
    struct prof_rec_sample *samples;
    size_t samples_cap;
    struct prof_rec_counter *pairs;
    size_t pairs_cap;
    struct prof_rec_alloc *allocs;
    size_t allocs_cap;
    struct prof_rec_free *frees;
    size_t frees_cap;
    struct prof_rec_heap_entry *heap;
    size_t heap_cap;
    struct prof_rec_region_bucket *rbuckets; /* REGION_STATS buckets */
    size_t rbuckets_cap;
    struct prof_rec_region_call *rcalls;     /* REGION_CALLS */
    size_t rcalls_cap;
    struct prof_rec_counter *metrics; /* METRICS pairs */
    size_t metrics_cap;
};

const char *prof_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case PROF_E_NOT_PROFILE: return "not a libprof profile";
    case PROF_E_VERSION: return "unsupported format version";
    case PROF_E_TRUNCATED: return "truncated file";
    case PROF_E_CORRUPT: return "corrupt file";
    case PROF_E_EMPTY: return "no complete chunk";
    default: break;
    }
    if (err < 0 && err > -4000)
        return strerror(-err);
    return "unknown error";
}

/* Records the first error and makes it sticky; returns `err` for tail calls. */
__attribute__((format(printf, 3, 4))) static int reader_fail(struct prof_reader *r, int err,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
    r->err = err;
    r->state = READER_FAILED;
    r->in_chunk = 0;
    return err;
}

/* Grows *buf to hold at least `need` elements of `size` bytes. */
static int reader_grow(void *buf, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*(void **)buf, n * size);
    if (!p)
        return -1;
    *(void **)buf = p;
    *cap = n;
    return 0;
}

/* Copies up to n input bytes to dst; returns how many there were (fewer only at end of input).
 * Sets *ioerr on a read error. */
static size_t reader_fill(struct prof_reader *r, uint8_t *dst, size_t n, int *ioerr)
{
    size_t got;
    if (r->fp) {
        got = fread(dst, 1, n, r->fp);
        if (got < n && ferror(r->fp))
            *ioerr = errno ? errno : EIO;
    } else {
        size_t left = r->mem_len - (size_t)r->pos;
        got = n < left ? n : left;
        if (got)
            memcpy(dst, r->mem + r->pos, got);
    }
    r->pos += got;
    return got;
}

static int reader_io_error(struct prof_reader *r, int e)
{
    return reader_fail(r, -e, "read error after %" PRIu64 " bytes: %s", r->pos, strerror(e));
}

static int reader_start(struct prof_reader *r)
{
    uint8_t h[FMT_FILE_HEADER_LEN];
    int ioerr = 0;
    size_t got = reader_fill(r, h, sizeof(h), &ioerr);
    if (ioerr)
        return reader_io_error(r, ioerr);
    if (got == 0)
        return reader_fail(r, PROF_E_EMPTY, "empty file");
    size_t cmp = got < FMT_MAGIC_LEN ? got : FMT_MAGIC_LEN;
    if (memcmp(h, FMT_MAGIC, cmp) != 0)
        return reader_fail(r, PROF_E_NOT_PROFILE, "not a libprof profile (bad magic)");
    if (got < sizeof(h))
        return reader_fail(r, PROF_E_TRUNCATED, "truncated in file header (file ends after %zu bytes)",
                           got);
    uint32_t version = fmt_get_u32le(h + FMT_MAGIC_LEN);
    uint32_t flags = fmt_get_u32le(h + FMT_MAGIC_LEN + 4);
    if (version != FMT_VERSION)
        return reader_fail(r, PROF_E_VERSION, "unsupported version %" PRIu32 " (this reader reads %d)",
                           version, FMT_VERSION);
    if (flags != 0)
        return reader_fail(r, PROF_E_VERSION, "unsupported flags 0x%" PRIx32, flags);
    r->state = READER_CHUNKS;
    return 0;
}

static struct prof_reader *reader_new(const char *name)
{
    struct prof_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->name = strdup(name ? name : "");
    if (!r->name) {
        free(r);
        return NULL;
    }
    return r;
}

int prof_reader_open(const char *path, struct prof_reader **out)
{
    *out = NULL;
    struct prof_reader *r = reader_new(path);
    if (!r)
        return -ENOMEM;
    *out = r;
    r->fp = fopen(path, "rbe");
    if (!r->fp)
        return reader_fail(r, -errno, "%s", strerror(errno));
    return reader_start(r);
}

int prof_reader_open_mem(const void *data, size_t len, const char *name, struct prof_reader **out)
{
    *out = NULL;
    struct prof_reader *r = reader_new(name);
    if (!r)
        return -ENOMEM;
    *out = r;
    r->mem = malloc(len ? len : 1);
    if (!r->mem)
        return reader_fail(r, -ENOMEM, "out of memory");
    if (len)
        memcpy(r->mem, data, len);
    r->mem_len = len;
    return reader_start(r);
}

const char *prof_reader_error(const struct prof_reader *r)
{
    if (!r)
        return "out of memory";
    return r->state == READER_FAILED ? r->msg : "";
}

void prof_reader_close(struct prof_reader *r)
{
    if (!r)
        return;
    if (r->fp)
        fclose(r->fp);
    free(r->mem);
    free(r->name);
    free(r->stored);
    free(r->payload);
    free(r->str);
    free(r->argv);
    free(r->segs);
    free(r->samples);
    free(r->pairs);
    free(r->allocs);
    free(r->frees);
    free(r->heap);
    free(r->rbuckets);
    free(r->rcalls);
    free(r->metrics);
    free(r);
}

/* Inflates exactly raw_len bytes of r->stored into r->payload; 0 or a reason for the error. */
static const char *reader_inflate(struct prof_reader *r, uint32_t stored_len, uint32_t raw_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK)
        return "zlib initialisation failed";
    zs.next_in = r->stored;
    zs.avail_in = stored_len;
    zs.next_out = r->payload;
    zs.avail_out = raw_len;
    const char *why = NULL;
    int ret = inflate(&zs, Z_FINISH);
    if (ret != Z_STREAM_END && zs.avail_out == 0 && ret != Z_DATA_ERROR && ret != Z_MEM_ERROR &&
        ret != Z_NEED_DICT) {
        /* raw_len bytes are out; the stream must end now, without one byte more. */
        uint8_t extra;
        zs.next_out = &extra;
        zs.avail_out = 1;
        ret = inflate(&zs, Z_FINISH);
        if (zs.avail_out == 0)
            why = "zlib stream inflates to more than raw_len bytes";
    }
    if (!why && ret != Z_STREAM_END)
        why = ret == Z_BUF_ERROR ? "zlib stream ends early" : "zlib stream is damaged";
    if (!why && zs.total_out != raw_len)
        why = "zlib stream inflates to fewer than raw_len bytes";
    if (!why && zs.avail_in != 0)
        why = "bytes after the end of the zlib stream";
    inflateEnd(&zs);
    return why;
}

/* Reads, checks and inflates the next chunk. Returns 1 with the cursor set, 0 at the clean end of the
 * file, or an error. */
static int reader_next_chunk(struct prof_reader *r)
{
    uint8_t h[FMT_CHUNK_HEADER_LEN];
    uint32_t idx = r->nchunks;
    int ioerr = 0;
    size_t got = reader_fill(r, h, sizeof(h), &ioerr);
    if (ioerr)
        return reader_io_error(r, ioerr);
    if (got == 0) {
        if (idx == 0)
            return reader_fail(r, PROF_E_EMPTY, "no complete chunk (file has only the file header)");
        r->state = READER_DONE;
        return 0;
    }
    if (got < sizeof(h))
        return reader_fail(r, PROF_E_TRUNCATED,
                           "truncated in chunk %" PRIu32 " (file ends after %" PRIu64 " bytes)", idx,
                           r->pos);
    uint32_t magic = fmt_get_u32le(h), raw_len = fmt_get_u32le(h + 4);
    uint32_t stored_len = fmt_get_u32le(h + 8), data_crc = fmt_get_u32le(h + 12);
    if (magic != FMT_CHUNK_MAGIC)
        return reader_fail(r, PROF_E_CORRUPT, "corrupt chunk %" PRIu32 ": bad chunk magic 0x%08" PRIx32,
                           idx, magic);
    if (fmt_get_u32le(h + 16) != fmt_crc32(h, 16))
        return reader_fail(r, PROF_E_CORRUPT, "corrupt chunk %" PRIu32 ": header checksum mismatch",
                           idx);
    if (raw_len > FMT_MAX_CHUNK_RAW || stored_len > FMT_MAX_CHUNK_STORED)
        return reader_fail(r, PROF_E_CORRUPT,
                           "corrupt chunk %" PRIu32 ": length over the limit (raw %" PRIu32
                           ", stored %" PRIu32 ", limit %u)",
                           idx, raw_len, stored_len, FMT_MAX_CHUNK_RAW);
    if (stored_len == 0 || (uint64_t)raw_len > (uint64_t)stored_len * READER_MAX_RATIO)
        return reader_fail(r, PROF_E_CORRUPT,
                           "corrupt chunk %" PRIu32 ": impossible lengths (raw %" PRIu32
                           " from stored %" PRIu32 ")",
                           idx, raw_len, stored_len);
    /* Read the stored bytes in growing steps: memory follows the bytes actually present. */
    size_t have = 0;
    while (have < stored_len) {
        size_t step = stored_len - have;
        size_t lim = have > READER_READ_STEP ? have : READER_READ_STEP;
        if (step > lim)
            step = lim;
        if (reader_grow(&r->stored, &r->stored_cap, have + step, 1) < 0)
            return reader_fail(r, -ENOMEM, "out of memory in chunk %" PRIu32, idx);
        size_t n = reader_fill(r, r->stored + have, step, &ioerr);
        if (ioerr)
            return reader_io_error(r, ioerr);
        have += n;
        if (n < step)
            return reader_fail(r, PROF_E_TRUNCATED,
                               "truncated in chunk %" PRIu32 " (file ends after %" PRIu64 " bytes)",
                               idx, r->pos);
    }
    if (fmt_crc32(r->stored, stored_len) != data_crc)
        return reader_fail(r, PROF_E_CORRUPT, "corrupt chunk %" PRIu32 ": data checksum mismatch",
                           idx);
    if (reader_grow(&r->payload, &r->payload_cap, raw_len ? raw_len : 1, 1) < 0)
        return reader_fail(r, -ENOMEM, "out of memory in chunk %" PRIu32, idx);
    const char *why = reader_inflate(r, stored_len, raw_len);
    if (why)
        return reader_fail(r, PROF_E_CORRUPT, "corrupt chunk %" PRIu32 ": %s", idx, why);
    r->nchunks++;
    fmt_cursor_init(&r->cur, r->payload, raw_len);
    r->in_chunk = 1;
    return 1;
}

/* ---- Record bodies. Each decoder returns NULL or the reason the body is corrupt. Fields are read
 * while bytes remain, so a body that ends between fields leaves later fields at their defaults; a
 * body that ends inside a field, or inside elements its own count announced, is corrupt. ---- */

static uint64_t dec_opt(struct fmt_cursor *c)
{
    return fmt_cursor_left(c) ? fmt_get_varint(c) : 0;
}

/* A string copied NUL-terminated into the per-record arena (sized in advance, so no realloc). */
static const char *dec_str(struct prof_reader *r, struct fmt_cursor *c)
{
    size_t n;
    const uint8_t *p = fmt_get_blob(c, &n);
    if (!p)
        return "";
    char *s = r->str + r->str_len;
    memcpy(s, p, n);
    s[n] = '\0';
    r->str_len += n + 1;
    return s;
}

static const char *dec_opt_str(struct prof_reader *r, struct fmt_cursor *c)
{
    return fmt_cursor_left(c) ? dec_str(r, c) : "";
}

static const char *dec_header(struct prof_reader *r, struct fmt_cursor *c, struct prof_rec_header *h)
{
    h->pid = dec_opt(c);
    h->ppid = dec_opt(c);
    h->exe_path = dec_opt_str(r, c);
    uint64_t argc = dec_opt(c);
    if (argc > fmt_cursor_left(c)) /* each argument takes at least its length byte */
        return "argc larger than the record";
    if (reader_grow(&r->argv, &r->argv_cap, (size_t)argc + 1, sizeof(*r->argv)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < argc; i++)
        r->argv[i] = dec_str(r, c);
    r->argv[argc] = NULL;
    h->argc = (size_t)argc;
    h->argv = r->argv;
    h->start_realtime_ns = dec_opt(c);
    h->start_monotonic_ns = dec_opt(c);
    h->modes = dec_opt(c);
    h->hz = dec_opt(c);
    h->timer = dec_opt(c);
    h->unwinder = dec_opt(c);
    h->max_depth = dec_opt(c);
    h->flush_ms = dec_opt(c);
    h->alloc_rate = dec_opt(c);
    h->hostname = dec_opt_str(r, c);
    h->timer_requested = dec_opt(c);
    return NULL;
}

static const char *dec_module(struct prof_reader *r, struct fmt_cursor *c, struct prof_rec_module *m)
{
    m->module_id = dec_opt(c);
    m->load_ns = dec_opt(c);
    m->path = dec_opt_str(r, c);
    m->build_id = NULL;
    m->build_id_len = 0;
    if (fmt_cursor_left(c))
        m->build_id = fmt_get_blob(c, &m->build_id_len);
    m->bias = dec_opt(c);
    uint64_t nsegs = dec_opt(c);
    if (nsegs > fmt_cursor_left(c) / 4)
        return "segment count larger than the record";
    if (reader_grow(&r->segs, &r->segs_cap, (size_t)nsegs, sizeof(*r->segs)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < nsegs; i++) {
        r->segs[i].start = fmt_get_varint(c);
        r->segs[i].size = fmt_get_varint(c);
        r->segs[i].file_offset = fmt_get_varint(c);
        r->segs[i].flags = fmt_get_varint(c);
    }
    m->nsegs = (size_t)nsegs;
    m->segs = r->segs;
    return NULL;
}

static const char *dec_stack(struct prof_reader *r, struct fmt_cursor *c, struct prof_rec_stack *s)
{
    s->stack_id = dec_opt(c);
    s->flags = dec_opt(c);
    uint64_t n = dec_opt(c);
    if (n > READER_MAX_FRAMES)
        return "STACK has more than 1024 frames";
    if (n > fmt_cursor_left(c))
        return "frame count larger than the record";
    uint64_t addr = 0;
    for (uint64_t i = 0; i < n; i++) {
        /* Unsigned wrap-around is the defined inverse of the writer's subtraction. */
        addr = i == 0 ? fmt_get_varint(c) : addr + (uint64_t)fmt_get_svarint(c);
        r->frames[i] = addr;
    }
    s->nframes = (size_t)n;
    s->frames = r->frames;
    return NULL;
}

static const char *dec_samples(struct prof_reader *r, struct fmt_cursor *c,
                               struct prof_rec_samples *s)
{
    uint64_t nfields = dec_opt(c);
    if (nfields < READER_SAMPLE_MIN_FIELDS)
        return "SAMPLES with fewer than 6 fields per sample";
    uint64_t count = dec_opt(c);
    /* Every field takes at least one byte: check before allocating. */
    if (count > fmt_cursor_left(c) / nfields)
        return "sample count larger than the record";
    if (reader_grow(&r->samples, &r->samples_cap, (size_t)count, sizeof(*r->samples)) < 0)
        return "out of memory";
    uint64_t t = 0;
    for (uint64_t i = 0; i < count; i++) {
        struct prof_rec_sample *x = &r->samples[i];
        x->tid = fmt_get_varint(c);
        x->stack_id = fmt_get_varint(c);
        t += (uint64_t)fmt_get_svarint(c);
        x->time_ns = t;
        x->weight = fmt_get_varint(c);
        x->kind = fmt_get_varint(c);
        x->region_id = fmt_get_varint(c);
        x->region_call = nfields >= 7 ? fmt_get_varint(c) : 0;
        for (uint64_t f = 7; f < nfields; f++)
            (void)fmt_get_varint(c);
    }
    s->count = (size_t)count;
    s->samples = r->samples;
    return NULL;
}

static const char *dec_counters(struct prof_reader *r, struct fmt_cursor *c,
                                struct prof_rec_counters *k)
{
    k->time_ns = dec_opt(c);
    uint64_t n = dec_opt(c);
    if (n > fmt_cursor_left(c) / 2)
        return "counter count larger than the record";
    if (reader_grow(&r->pairs, &r->pairs_cap, (size_t)n, sizeof(*r->pairs)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < n; i++) {
        r->pairs[i].key = fmt_get_varint(c);
        r->pairs[i].value = fmt_get_varint(c);
    }
    k->n = (size_t)n;
    k->pairs = r->pairs;
    return NULL;
}

/* ALLOC_SAMPLES: like SAMPLES, nfields (>= 7) varints per allocation, extra fields skipped. */
static const char *dec_allocs(struct prof_reader *r, struct fmt_cursor *c, struct prof_rec_allocs *a)
{
    uint64_t nfields = dec_opt(c);
    if (nfields < FMT_ALLOC_FIELDS)
        return "ALLOC_SAMPLES with fewer than 7 fields per sample";
    uint64_t count = dec_opt(c);
    if (count > fmt_cursor_left(c) / nfields)
        return "sample count larger than the record";
    if (reader_grow(&r->allocs, &r->allocs_cap, (size_t)count, sizeof(*r->allocs)) < 0)
        return "out of memory";
    uint64_t t = 0;
    for (uint64_t i = 0; i < count; i++) {
        struct prof_rec_alloc *x = &r->allocs[i];
        x->tid = fmt_get_varint(c);
        x->stack_id = fmt_get_varint(c);
        t += (uint64_t)fmt_get_svarint(c);
        x->time_ns = t;
        x->size = fmt_get_varint(c);
        x->weight_bytes = fmt_get_varint(c);
        x->alloc_id = fmt_get_varint(c);
        x->region_id = fmt_get_varint(c);
        for (uint64_t f = FMT_ALLOC_FIELDS; f < nfields; f++)
            (void)fmt_get_varint(c);
    }
    a->count = (size_t)count;
    a->allocs = r->allocs;
    return NULL;
}

/* FREES: nfields (>= 2) varints per free: alloc_id, time delta. */
static const char *dec_frees(struct prof_reader *r, struct fmt_cursor *c, struct prof_rec_frees *f)
{
    uint64_t nfields = dec_opt(c);
    if (nfields < FMT_FREE_FIELDS)
        return "FREES with fewer than 2 fields per free";
    uint64_t count = dec_opt(c);
    if (count > fmt_cursor_left(c) / nfields)
        return "free count larger than the record";
    if (reader_grow(&r->frees, &r->frees_cap, (size_t)count, sizeof(*r->frees)) < 0)
        return "out of memory";
    uint64_t t = 0;
    for (uint64_t i = 0; i < count; i++) {
        r->frees[i].alloc_id = fmt_get_varint(c);
        t += (uint64_t)fmt_get_svarint(c);
        r->frees[i].time_ns = t;
        for (uint64_t k = FMT_FREE_FIELDS; k < nfields; k++)
            (void)fmt_get_varint(c);
    }
    f->count = (size_t)count;
    f->frees = r->frees;
    return NULL;
}

static const char *dec_heap(struct prof_reader *r, struct fmt_cursor *c,
                            struct prof_rec_heap_snapshot *h)
{
    h->time_ns = dec_opt(c);
    uint64_t n = dec_opt(c);
    if (n > fmt_cursor_left(c) / 3)
        return "entry count larger than the record";
    if (reader_grow(&r->heap, &r->heap_cap, (size_t)n, sizeof(*r->heap)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < n; i++) {
        r->heap[i].stack_id = fmt_get_varint(c);
        r->heap[i].live_bytes = fmt_get_varint(c);
        r->heap[i].live_objects = fmt_get_varint(c);
    }
    h->n = (size_t)n;
    h->entries = r->heap;
    return NULL;
}

/* METRICS: time_ns, interval_ns, n, then n (key, value) pairs. */
static const char *dec_metrics(struct prof_reader *r, struct fmt_cursor *c,
                               struct prof_rec_metrics *m)
{
    m->time_ns = dec_opt(c);
    m->interval_ns = dec_opt(c);
    uint64_t n = dec_opt(c);
    if (n > fmt_cursor_left(c) / 2)
        return "metric count larger than the record";
    if (reader_grow(&r->metrics, &r->metrics_cap, (size_t)n, sizeof(*r->metrics)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < n; i++) {
        r->metrics[i].key = fmt_get_varint(c);
        r->metrics[i].value = fmt_get_varint(c);
    }
    m->n = (size_t)n;
    m->pairs = r->metrics;
    return NULL;
}

/* REGION_STATS: fixed fields, then nbuckets (bucket, count) pairs. */
static const char *dec_region_stats(struct prof_reader *r, struct fmt_cursor *c,
                                    struct prof_rec_region_stats *st)
{
    st->region_id = dec_opt(c);
    st->count = dec_opt(c);
    st->total_ns = dec_opt(c);
    st->min_ns = dec_opt(c);
    st->max_ns = dec_opt(c);
    uint64_t n = dec_opt(c);
    if (n > fmt_cursor_left(c) / 2)
        return "bucket count larger than the record";
    if (reader_grow(&r->rbuckets, &r->rbuckets_cap, (size_t)n, sizeof(*r->rbuckets)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < n; i++) {
        r->rbuckets[i].bucket = fmt_get_varint(c);
        r->rbuckets[i].count = fmt_get_varint(c);
    }
    st->nbuckets = (size_t)n;
    st->buckets = r->rbuckets;
    return NULL;
}

/* REGION_CALLS: like SAMPLES, nfields (>= 6) varints per call, extra fields skipped. */
static const char *dec_region_calls(struct prof_reader *r, struct fmt_cursor *c,
                                    struct prof_rec_region_calls *rc)
{
    uint64_t nfields = dec_opt(c);
    if (nfields < FMT_REGION_CALL_FIELDS)
        return "REGION_CALLS with fewer than 6 fields per call";
    uint64_t count = dec_opt(c);
    if (count > fmt_cursor_left(c) / nfields)
        return "call count larger than the record";
    if (reader_grow(&r->rcalls, &r->rcalls_cap, (size_t)count, sizeof(*r->rcalls)) < 0)
        return "out of memory";
    for (uint64_t i = 0; i < count; i++) {
        struct prof_rec_region_call *x = &r->rcalls[i];
        x->tid = fmt_get_varint(c);
        x->call_id = fmt_get_varint(c);
        x->region_id = fmt_get_varint(c);
        x->start_ns = fmt_get_varint(c);
        x->duration_ns = fmt_get_varint(c);
        x->parent_call = fmt_get_varint(c);
        for (uint64_t f = FMT_REGION_CALL_FIELDS; f < nfields; f++)
            (void)fmt_get_varint(c);
    }
    rc->count = (size_t)count;
    rc->calls = r->rcalls;
    return NULL;
}

static const char *reader_type_name(uint32_t type)
{
    switch (type) {
    case FMT_REC_ALLOC_SAMPLES: return "ALLOC_SAMPLES";
    case FMT_REC_FREES: return "FREES";
    case FMT_REC_HEAP_SNAPSHOT: return "HEAP_SNAPSHOT";
    case FMT_REC_REGION_DEF: return "REGION_DEF";
    case FMT_REC_REGION_STATS: return "REGION_STATS";
    case FMT_REC_REGION_CALLS: return "REGION_CALLS";
    case FMT_REC_METRICS: return "METRICS";
    case FMT_REC_ALERT: return "ALERT";
    default: break;
    }
    static const char *const names[] = {NULL,     "HEADER",   "MODULE", "MODULE_UNLOAD", "THREAD",
                                        "STACK",  "SAMPLES",  "COUNTERS", "END",         "WARNING"};
    return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "record";
}

static const char *reader_decode(struct prof_reader *r, uint32_t type, struct prof_record *rec)
{
    struct fmt_cursor c;
    fmt_cursor_init(&c, rec->raw, rec->raw_len);
    /* Strings: at most raw_len bytes of text plus one NUL per length byte. */
    r->str_len = 0;
    if (reader_grow(&r->str, &r->str_cap, 2 * rec->raw_len + 2, 1) < 0)
        return "out of memory";
    const char *why = NULL;
    switch (type) {
    case FMT_REC_HEADER: why = dec_header(r, &c, &rec->u.header); break;
    case FMT_REC_MODULE: why = dec_module(r, &c, &rec->u.module); break;
    case FMT_REC_MODULE_UNLOAD:
        rec->u.unload.module_id = dec_opt(&c);
        rec->u.unload.unload_ns = dec_opt(&c);
        break;
    case FMT_REC_THREAD:
        rec->u.thread.tid = dec_opt(&c);
        rec->u.thread.name = dec_opt_str(r, &c);
        rec->u.thread.time_ns = dec_opt(&c);
        break;
    case FMT_REC_STACK: why = dec_stack(r, &c, &rec->u.stack); break;
    case FMT_REC_SAMPLES: why = dec_samples(r, &c, &rec->u.samples); break;
    case FMT_REC_COUNTERS: why = dec_counters(r, &c, &rec->u.counters); break;
    case FMT_REC_END:
        rec->u.end.end_ns = dec_opt(&c);
        rec->u.end.reason = dec_opt(&c);
        break;
    case FMT_REC_WARNING:
        rec->u.warning.time_ns = dec_opt(&c);
        rec->u.warning.message = dec_opt_str(r, &c);
        break;
    case FMT_REC_ALLOC_SAMPLES: why = dec_allocs(r, &c, &rec->u.allocs); break;
    case FMT_REC_FREES: why = dec_frees(r, &c, &rec->u.frees); break;
    case FMT_REC_HEAP_SNAPSHOT: why = dec_heap(r, &c, &rec->u.heap); break;
    case FMT_REC_REGION_DEF:
        rec->u.region_def.region_id = dec_opt(&c);
        rec->u.region_def.name = dec_opt_str(r, &c);
        rec->u.region_def.parent_id = dec_opt(&c);
        break;
    case FMT_REC_REGION_STATS: why = dec_region_stats(r, &c, &rec->u.region_stats); break;
    case FMT_REC_REGION_CALLS: why = dec_region_calls(r, &c, &rec->u.region_calls); break;
    case FMT_REC_METRICS: why = dec_metrics(r, &c, &rec->u.metrics); break;
    case FMT_REC_ALERT:
        rec->u.alert.time_ns = dec_opt(&c);
        rec->u.alert.rule = dec_opt_str(r, &c);
        rec->u.alert.value = dec_opt_str(r, &c);
        rec->u.alert.message = dec_opt_str(r, &c);
        break;
    default: return NULL; /* unknown: the caller gets type + raw body */
    }
    if (!why && c.error)
        why = "body ends inside a field";
    return why;
}

int prof_reader_next(struct prof_reader *r, struct prof_record *rec)
{
    if (r->state == READER_FAILED)
        return r->err;
    if (r->state == READER_DONE)
        return 0;
    while (!r->in_chunk || fmt_cursor_left(&r->cur) == 0) {
        int ret = reader_next_chunk(r);
        if (ret <= 0)
            return ret;
    }
    uint32_t idx = r->nchunks - 1;
    size_t offset = (size_t)(r->cur.p - r->payload);
    memset(rec, 0, sizeof(*rec));
    uint64_t type = fmt_get_varint(&r->cur);
    size_t body_len;
    const uint8_t *body = fmt_get_blob(&r->cur, &body_len);
    if (!body)
        return reader_fail(r, PROF_E_CORRUPT,
                           "corrupt chunk %" PRIu32 ": record at offset %zu overruns the chunk", idx,
                           offset);
    if (type > UINT32_MAX)
        return reader_fail(r, PROF_E_CORRUPT,
                           "corrupt chunk %" PRIu32 ": record type %" PRIu64 " at offset %zu", idx,
                           type, offset);
    if (r->nrecords == 0 && type != FMT_REC_HEADER)
        return reader_fail(r, PROF_E_CORRUPT,
                           "corrupt chunk %" PRIu32 ": first record is type %" PRIu64 ", not HEADER",
                           idx, type);
    rec->type = (uint32_t)type;
    rec->chunk = idx;
    rec->raw = body;
    rec->raw_len = body_len;
    const char *why = reader_decode(r, rec->type, rec);
    if (why)
        return reader_fail(r, PROF_E_CORRUPT, "corrupt chunk %" PRIu32 ": bad %s at offset %zu: %s",
                           idx, reader_type_name(rec->type), offset, why);
    r->nrecords++;
    return 1;
}
