/* SPDX-License-Identifier: MIT */
/* On-disk profile format: constants, record types and the encoding primitives shared by the
 * runtime (encoder) and the tools (decoder). docs/format.md is the normative description.
 *
 * Thread/signal contract: nothing here may be called from a signal handler (fmt_buf allocates). */
#ifndef PROF_FORMAT_H
#define PROF_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* File header: 8 magic bytes, u32le version, u32le flags (0). */
#define FMT_MAGIC "\x89PROF\r\n\x1a"
#define FMT_MAGIC_LEN 8
#define FMT_FILE_HEADER_LEN 16
#define FMT_VERSION 1

/* Chunk frame: five u32le words, then `stored_len` bytes of zlib stream.
 *   magic, raw_len, stored_len, crc32(stored bytes), crc32(first 16 bytes of this frame) */
#define FMT_CHUNK_MAGIC 0x4b4e4843u /* "CHNK" */
#define FMT_CHUNK_HEADER_LEN 20
/* Upper bounds a reader enforces before allocating (decompression-bomb and garbage-length guard). */
#define FMT_MAX_CHUNK_RAW (64u << 20)
#define FMT_MAX_CHUNK_STORED (64u << 20)

/* Record types. A record is: varint type, varint body_len, body. Readers skip unknown types, and
 * ignore bytes after the last field they know (records may grow at the end). */
enum fmt_record_type {
    FMT_REC_HEADER = 1,        /* run description, first record of the file */
    FMT_REC_MODULE = 2,        /* a loaded ELF object */
    FMT_REC_MODULE_UNLOAD = 3, /* dlclose'd object */
    FMT_REC_THREAD = 4,        /* thread seen or renamed */
    FMT_REC_STACK = 5,         /* deduplicated call stack */
    FMT_REC_SAMPLES = 6,       /* batch of samples */
    FMT_REC_COUNTERS = 7,      /* cumulative counters */
    FMT_REC_END = 8,           /* clean end of the run */
    FMT_REC_WARNING = 9,       /* a warning the runtime emitted */
    /* Reserved for later issues (see docs/format.md): */
    FMT_REC_ALLOC_SAMPLES = 16,
    FMT_REC_FREES = 17,
    FMT_REC_HEAP_SNAPSHOT = 18,
    FMT_REC_METRICS = 19,
    FMT_REC_ALERT = 20,
    FMT_REC_REGION_DEF = 21,
    FMT_REC_REGION_STATS = 22,
    FMT_REC_REGION_CALLS = 23,
};

/* HEADER.modes bits */
enum { FMT_MODE_CPU = 1, FMT_MODE_WALL = 2, FMT_MODE_ALLOC = 4 };
/* HEADER.timer */
enum { FMT_TIMER_NONE = 0, FMT_TIMER_PERF = 1, FMT_TIMER_CPUTIME = 2, FMT_TIMER_ITIMER = 3 };
/* HEADER.unwinder */
enum { FMT_UNWIND_DWARF = 1, FMT_UNWIND_FP = 2, FMT_UNWIND_LIBUNWIND = 3 };
/* STACK.flags */
enum { FMT_STACK_TRUNCATED = 1, FMT_STACK_UNWIND_ERROR = 2 };
/* SAMPLES kind */
enum { FMT_KIND_CPU = 0, FMT_KIND_WALL_ON = 1, FMT_KIND_WALL_OFF = 2, FMT_KIND_WALL_RUNNABLE = 3 };
/* END.reason */
enum { FMT_END_EXIT = 0, FMT_END_API = 1, FMT_END_EXEC = 2 };
/* Fields per sample tuple written by this version (readers accept more and skip the extra). */
#define FMT_SAMPLE_FIELDS 7
#define FMT_ALLOC_FIELDS 7
#define FMT_FREE_FIELDS 2
#define FMT_REGION_CALL_FIELDS 6

/* COUNTERS keys (values are cumulative since start; the last record wins) */
enum fmt_counter {
    FMT_CTR_SAMPLES = 1,        /* signals handled that produced a sample */
    FMT_CTR_DROPPED = 2,        /* samples lost because a ring was full */
    FMT_CTR_UNWIND_FAILED = 3,  /* unwinds that stopped on an error (stack kept, flagged) */
    FMT_CTR_TRUNCATED = 4,      /* stacks cut at the depth limit */
    FMT_CTR_OVERRUNS = 5,       /* timer expirations folded into a sample's weight */
    FMT_CTR_CPU_NS = 6,         /* process CPU time (user+sys) */
    FMT_CTR_THREADS = 7,        /* threads registered */
    FMT_CTR_WRITE_ERRORS = 8,   /* chunks that could not be written */
    FMT_CTR_REENTERED = 9,      /* signals that arrived while the thread was inside the profiler */
    FMT_CTR_USER_NS = 10,       /* process user CPU time */
    FMT_CTR_SYS_NS = 11,        /* process system CPU time */
    FMT_CTR_NO_THREAD = 12,     /* signals on threads without profiler state */
    FMT_CTR_WEIGHT = 13,        /* sum of sample weights (samples + overruns) */
    FMT_CTR_ALLOC_SAMPLES = 14, /* allocations sampled */
    FMT_CTR_ALLOC_LOST = 15,    /* allocation events not recorded (table full, thread without ring) */
    FMT_CTR_FREES_UNMATCHED = 16, /* frees whose allocation record never arrived */
};

/* ---- Growable byte buffer and encoders (runtime flusher and tests) ---- */
struct fmt_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int failed; /* sticky: an allocation failed; the content is unusable */
};

void fmt_buf_init(struct fmt_buf *b);
void fmt_buf_free(struct fmt_buf *b);
void fmt_buf_reset(struct fmt_buf *b);
void fmt_put_bytes(struct fmt_buf *b, const void *p, size_t n);
void fmt_put_u8(struct fmt_buf *b, uint8_t v);
void fmt_put_u32le(struct fmt_buf *b, uint32_t v);
void fmt_put_varint(struct fmt_buf *b, uint64_t v);
void fmt_put_svarint(struct fmt_buf *b, int64_t v); /* zigzag */
void fmt_put_string(struct fmt_buf *b, const char *s); /* varint length + bytes; NULL = "" */
void fmt_put_blob(struct fmt_buf *b, const void *p, size_t n);
/* Append a record (type, body length, body) to `out`. */
void fmt_put_record(struct fmt_buf *out, uint32_t type, const struct fmt_buf *body);

/* Encode the 16-byte file header into `out` (which must hold FMT_FILE_HEADER_LEN bytes). */
void fmt_file_header(uint8_t out[FMT_FILE_HEADER_LEN]);
/* Compress `payload` into a framed chunk appended to `out`. Returns 0 or -ENOMEM / -EINVAL. */
int fmt_make_chunk(struct fmt_buf *out, const uint8_t *payload, size_t len, int level);

/* ---- Bounded decoding cursor (tools and tests) ---- */
struct fmt_cursor {
    const uint8_t *p;
    const uint8_t *end;
    int error; /* sticky: read past the end or malformed varint */
};

void fmt_cursor_init(struct fmt_cursor *c, const void *p, size_t n);
uint64_t fmt_get_varint(struct fmt_cursor *c);
int64_t fmt_get_svarint(struct fmt_cursor *c);
/* Returns a pointer into the buffer and stores the length; NULL with c->error set on overrun. */
const uint8_t *fmt_get_blob(struct fmt_cursor *c, size_t *len);
size_t fmt_cursor_left(const struct fmt_cursor *c);

uint32_t fmt_get_u32le(const uint8_t *p);
uint32_t fmt_crc32(const void *p, size_t n);

#endif
