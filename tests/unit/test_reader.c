/* SPDX-License-Identifier: MIT */
/* Reader tests: round trip of every record type, format growth, and damaged input of every kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "prof/dump.h"
#include "testgen.h"

#include <errno.h>
#include <zlib.h>

#define BIG (UINT64_MAX - 3)

static struct prof_reader *open_buf(const struct fmt_buf *b)
{
    struct prof_reader *r = NULL;
    assert_int_equal(prof_reader_open_mem(b->data, b->len, "mem", &r), 0);
    return r;
}

static void next_ok(struct prof_reader *r, struct prof_record *rec, uint32_t type, uint32_t chunk)
{
    int ret = prof_reader_next(r, rec);
    if (ret != 1)
        fail_msg("expected a record, got %d: %s", ret, prof_reader_error(r));
    assert_int_equal(rec->type, type);
    assert_int_equal(rec->chunk, chunk);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const char *argv[] = {"./prog", "", "ünïcødé ✓", "--x=1"};
    struct prof_rec_header h = {.pid = BIG, .ppid = 0, .exe_path = "/opt/прог/bin/app", .argc = 4,
                                .argv = argv, .start_realtime_ns = UINT64_MAX,
                                .start_monotonic_ns = BIG - 1, .modes = 7, .hz = 997,
                                .timer = FMT_TIMER_CPUTIME, .unwinder = FMT_UNWIND_FP,
                                .max_depth = 1024, .flush_ms = 250, .alloc_rate = 524288,
                                .hostname = "", .timer_requested = FMT_TIMER_ITIMER};
    static const uint8_t bid[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff};
    struct prof_rec_segment segs[2] = {{0x7f0000000000, 0x1000, 0, 5}, {BIG, 3, UINT64_MAX, 6}};
    struct prof_rec_module m = {.module_id = UINT64_MAX, .load_ns = BIG, .path = "/lib/ľib.so",
                                .build_id = bid, .build_id_len = sizeof(bid), .bias = UINT64_MAX,
                                .nsegs = 2, .segs = segs};
    struct prof_rec_module vdso = {.module_id = 2, .path = "[vdso]"};
    uint64_t frames[5] = {UINT64_MAX, 1, BIG, 0x401000, 0};
    uint64_t one[1] = {0x1234};
    struct prof_rec_sample s[3] = {{7, UINT64_MAX, 5, 1, 0, 0, 0},
                                   {BIG, 1, 1000000, UINT64_MAX, 2, BIG, 0},
                                   {8, 1, 999, 3, 1, 4, 0}}; /* time goes backwards: negative delta */
    struct prof_rec_counter k[3] = {{1, 100}, {13, UINT64_MAX}, {99, 5}};

    struct tg g;
    tg_init(&g);
    tg_header(&g, &h);
    tg_module(&g, &m);
    tg_module(&g, &vdso);
    tg_flush(&g);
    tg_thread(&g, 7, "", 0);
    tg_thread(&g, BIG, "ワーカー", UINT64_MAX);
    tg_stack(&g, UINT64_MAX, 3, 5, frames);
    tg_stack(&g, 1, 0, 1, one);
    tg_stack(&g, 9, 2, 0, NULL);
    tg_flush(&g);
    tg_samples(&g, 6, 3, s);
    tg_counters(&g, BIG, 3, k);
    tg_unload(&g, UINT64_MAX, BIG);
    tg_warning(&g, 12, "ring full: ✗ dropped");
    tg_warning(&g, 13, "");
    tg_end(&g, UINT64_MAX, 1);
    tg_flush(&g);
    assert_false(g.file.failed);

    struct prof_reader *r = open_buf(&g.file);
    struct prof_record rec;
    next_ok(r, &rec, FMT_REC_HEADER, 0);
    const struct prof_rec_header *dh = &rec.u.header;
    assert_true(dh->pid == h.pid && dh->ppid == 0 && dh->start_realtime_ns == UINT64_MAX);
    assert_true(dh->start_monotonic_ns == BIG - 1 && dh->modes == 7 && dh->hz == 997);
    assert_true(dh->timer == FMT_TIMER_CPUTIME && dh->unwinder == FMT_UNWIND_FP);
    assert_true(dh->max_depth == 1024 && dh->flush_ms == 250 && dh->alloc_rate == 524288);
    assert_true(dh->timer_requested == FMT_TIMER_ITIMER);
    assert_string_equal(dh->exe_path, h.exe_path);
    assert_string_equal(dh->hostname, "");
    assert_int_equal(dh->argc, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(dh->argv[i], argv[i]);

    next_ok(r, &rec, FMT_REC_MODULE, 0);
    const struct prof_rec_module *dm = &rec.u.module;
    assert_true(dm->module_id == UINT64_MAX && dm->load_ns == BIG && dm->bias == UINT64_MAX);
    assert_string_equal(dm->path, m.path);
    assert_int_equal(dm->build_id_len, sizeof(bid));
    assert_memory_equal(dm->build_id, bid, sizeof(bid));
    assert_int_equal(dm->nsegs, 2);
    assert_memory_equal(dm->segs, segs, sizeof(segs));
    next_ok(r, &rec, FMT_REC_MODULE, 0);
    assert_string_equal(rec.u.module.path, "[vdso]");
    assert_int_equal(rec.u.module.build_id_len, 0);
    assert_int_equal(rec.u.module.nsegs, 0);

    next_ok(r, &rec, FMT_REC_THREAD, 1);
    assert_true(rec.u.thread.tid == 7 && rec.u.thread.time_ns == 0);
    assert_string_equal(rec.u.thread.name, "");
    next_ok(r, &rec, FMT_REC_THREAD, 1);
    assert_true(rec.u.thread.tid == BIG && rec.u.thread.time_ns == UINT64_MAX);
    assert_string_equal(rec.u.thread.name, "ワーカー");
    next_ok(r, &rec, FMT_REC_STACK, 1);
    assert_true(rec.u.stack.stack_id == UINT64_MAX && rec.u.stack.flags == 3);
    assert_int_equal(rec.u.stack.nframes, 5);
    assert_memory_equal(rec.u.stack.frames, frames, sizeof(frames));
    next_ok(r, &rec, FMT_REC_STACK, 1);
    assert_int_equal(rec.u.stack.nframes, 1);
    assert_true(rec.u.stack.frames[0] == 0x1234);
    next_ok(r, &rec, FMT_REC_STACK, 1);
    assert_true(rec.u.stack.stack_id == 9 && rec.u.stack.flags == 2 && rec.u.stack.nframes == 0);

    next_ok(r, &rec, FMT_REC_SAMPLES, 2);
    assert_int_equal(rec.u.samples.count, 3);
    assert_memory_equal(rec.u.samples.samples, s, sizeof(s));
    next_ok(r, &rec, FMT_REC_COUNTERS, 2);
    assert_true(rec.u.counters.time_ns == BIG);
    assert_int_equal(rec.u.counters.n, 3);
    assert_memory_equal(rec.u.counters.pairs, k, sizeof(k));
    next_ok(r, &rec, FMT_REC_MODULE_UNLOAD, 2);
    assert_true(rec.u.unload.module_id == UINT64_MAX && rec.u.unload.unload_ns == BIG);
    next_ok(r, &rec, FMT_REC_WARNING, 2);
    assert_true(rec.u.warning.time_ns == 12);
    assert_string_equal(rec.u.warning.message, "ring full: ✗ dropped");
    next_ok(r, &rec, FMT_REC_WARNING, 2);
    assert_string_equal(rec.u.warning.message, "");
    next_ok(r, &rec, FMT_REC_END, 2);
    assert_true(rec.u.end.end_ns == UINT64_MAX && rec.u.end.reason == 1);
    assert_int_equal(prof_reader_next(r, &rec), 0);
    assert_int_equal(prof_reader_next(r, &rec), 0); /* the end is sticky */
    prof_reader_close(r);

    /* The same bytes through a real file. */
    char *path = tg_write_temp(g.file.data, g.file.len);
    assert_non_null(path);
    assert_int_equal(prof_reader_open(path, &r), 0);
    size_t n = 0;
    int ret;
    while ((ret = prof_reader_next(r, &rec)) > 0)
        n++;
    assert_int_equal(ret, 0);
    assert_int_equal(n, 14);
    prof_reader_close(r);
    unlink(path);
    free(path);
    tg_free(&g);
}

/* Records grow at the end: extra bytes are ignored, extra sample fields skipped, and missing
 * trailing fields default. */
static void test_growth(void **state)
{
    (void)state;
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    /* THREAD with two extra trailing fields. */
    struct fmt_buf b;
    fmt_buf_init(&b);
    fmt_put_varint(&b, 55);
    fmt_put_string(&b, "grown");
    fmt_put_varint(&b, 77);
    fmt_put_varint(&b, 123456789);
    fmt_put_string(&b, "future field");
    tg_record(&g, FMT_REC_THREAD, &b);
    /* END with only its first field. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 42);
    tg_record(&g, FMT_REC_END, &b);
    /* WARNING with no fields at all. */
    fmt_buf_reset(&b);
    tg_record(&g, FMT_REC_WARNING, &b);
    fmt_buf_free(&b);
    struct prof_rec_sample s[2] = {{1, 2, 30, 4, 1, 6, 0}, {11, 12, 60, 14, 2, 16, 0}};
    tg_samples(&g, 8, 2, s);
    tg_flush(&g);

    struct prof_reader *r = open_buf(&g.file);
    struct prof_record rec;
    next_ok(r, &rec, FMT_REC_HEADER, 0);
    next_ok(r, &rec, FMT_REC_THREAD, 0);
    assert_int_equal(rec.u.thread.tid, 55);
    assert_string_equal(rec.u.thread.name, "grown");
    assert_int_equal(rec.u.thread.time_ns, 77);
    next_ok(r, &rec, FMT_REC_END, 0);
    assert_int_equal(rec.u.end.end_ns, 42);
    assert_int_equal(rec.u.end.reason, 0);
    next_ok(r, &rec, FMT_REC_WARNING, 0);
    assert_int_equal(rec.u.warning.time_ns, 0);
    assert_string_equal(rec.u.warning.message, "");
    next_ok(r, &rec, FMT_REC_SAMPLES, 0);
    assert_int_equal(rec.u.samples.count, 2);
    assert_memory_equal(rec.u.samples.samples, s, sizeof(s));
    assert_int_equal(prof_reader_next(r, &rec), 0);
    prof_reader_close(r);
    tg_free(&g);
}

static void test_unknown_types(void **state)
{
    (void)state;
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    static const uint8_t body[40] = {1, 2, 3, 0xff};
    tg_raw_record(&g, 64, body, sizeof(body));
    tg_raw_record(&g, FMT_REC_REGION_STATS, body, 0);
    tg_raw_record(&g, 1000000, body, 3);
    tg_end(&g, 9, 0);
    tg_flush(&g);

    struct prof_reader *r = open_buf(&g.file);
    struct prof_record rec;
    next_ok(r, &rec, FMT_REC_HEADER, 0);
    next_ok(r, &rec, 64, 0);
    assert_int_equal(rec.raw_len, sizeof(body));
    assert_memory_equal(rec.raw, body, sizeof(body));
    next_ok(r, &rec, FMT_REC_REGION_STATS, 0);
    assert_int_equal(rec.raw_len, 0);
    next_ok(r, &rec, 1000000, 0);
    assert_int_equal(rec.raw_len, 3);
    next_ok(r, &rec, FMT_REC_END, 0);
    assert_int_equal(rec.u.end.end_ns, 9);
    assert_int_equal(prof_reader_next(r, &rec), 0);
    prof_reader_close(r);

    /* --dump shows unknown records as type, length and at most 32 bytes of hex. */
    char *path = tg_write_temp(g.file.data, g.file.len);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(prof_dump(out, path, NULL, 0), 0);
    fclose(out);
    assert_non_null(strstr(text, "chunk 0 type 64 (unknown) len=40 data=010203ff"
                                 "00000000000000000000000000000000000000000000000000000000...\n"));
    assert_non_null(strstr(text, "chunk 0 type 1000000 (unknown) len=3 data=010203\n"));
    assert_non_null(strstr(text, "chunk 0 END end_ns=9 reason=exit\n"));
    assert_non_null(strstr(text, "end: 5 records in 1 chunks\n"));
    free(text);
    unlink(path);
    free(path);
    tg_free(&g);
}

/* Cut the standard file at every length: never a crash; every complete chunk's records come back;
 * a cut inside a chunk is TRUNCATED, a cut at a chunk boundary is a clean (shorter) file. */
static void test_truncate_everywhere(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    assert_int_equal(g.nchunks, 5);
    for (size_t cut = 0; cut <= g.file.len; cut++) {
        unsigned per[64] = {0};
        size_t n;
        char msg[256];
        int ret = tg_read_all(g.file.data, cut, &n, per, msg, sizeof(msg));
        size_t complete = 0;
        int boundary = cut == FMT_FILE_HEADER_LEN;
        for (size_t c = 0; c < g.nchunks; c++) {
            if (g.chunk_end[c] <= cut)
                complete = c + 1;
            if (g.chunk_end[c] == cut)
                boundary = 1;
        }
        size_t want = 0;
        for (size_t c = 0; c < complete; c++) {
            assert_int_equal(per[c], TG_STD_RECORDS[c]);
            want += TG_STD_RECORDS[c];
        }
        assert_int_equal(n, want);
        if (cut == 0) {
            assert_int_equal(ret, PROF_E_EMPTY);
        } else if (cut == FMT_FILE_HEADER_LEN) {
            assert_int_equal(ret, PROF_E_EMPTY);
        } else if (boundary) {
            assert_int_equal(ret, 0);
        } else {
            assert_int_equal(ret, PROF_E_TRUNCATED);
            char expect[128];
            if (cut < FMT_FILE_HEADER_LEN)
                snprintf(expect, sizeof(expect), "truncated in file header (file ends after %zu bytes)", cut);
            else
                snprintf(expect, sizeof(expect), "truncated in chunk %zu (file ends after %zu bytes)",
                         complete, cut);
            assert_string_equal(msg, expect);
        }
    }
    tg_free(&g);
}

/* Flip each bit of chunk 2: the damage is reported in chunk 2 and chunks 0-1 are intact. */
static void test_bitflip_chunk2(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    size_t from = g.chunk_end[1], to = g.chunk_end[2];
    uint8_t *copy = malloc(g.file.len);
    for (size_t byte = from; byte < to; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, g.file.data, g.file.len);
            copy[byte] ^= (uint8_t)(1u << bit);
            unsigned per[64] = {0};
            size_t n;
            char msg[256];
            int ret = tg_read_all(copy, g.file.len, &n, per, msg, sizeof(msg));
            assert_int_equal(ret, PROF_E_CORRUPT);
            assert_int_equal(strncmp(msg, "corrupt chunk 2: ", 17), 0);
            assert_int_equal(per[0], TG_STD_RECORDS[0]);
            assert_int_equal(per[1], TG_STD_RECORDS[1]);
            assert_int_equal(n, TG_STD_RECORDS[0] + TG_STD_RECORDS[1]);
        }
    }
    free(copy);
    tg_free(&g);
}

/* A file whose first chunk is the standard chunk 0, followed by `extra` bytes. */
static void std_prefix(struct fmt_buf *out)
{
    struct tg g;
    tg_standard(&g);
    fmt_buf_init(out);
    fmt_put_bytes(out, g.file.data, g.chunk_end[0]);
    tg_free(&g);
}

static void expect_damage(const struct fmt_buf *b, int code, const char *msg_prefix, size_t records)
{
    size_t n;
    char msg[256];
    int ret = tg_read_all(b->data, b->len, &n, NULL, msg, sizeof(msg));
    assert_int_equal(ret, code);
    if (strncmp(msg, msg_prefix, strlen(msg_prefix)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", msg, msg_prefix);
    assert_int_equal(n, records);
}

static void test_huge_lengths(void **state)
{
    (void)state;
    static const uint8_t junk[64] = {0x78, 0x9c};
    struct fmt_buf b;
    /* 4 GB lengths with a valid header checksum: the limit check refuses them. */
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, UINT32_MAX, UINT32_MAX, junk, sizeof(junk), 1, 1);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: length over the limit", 5);
    fmt_buf_free(&b);
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, 100, UINT32_MAX, junk, sizeof(junk), 1, 1);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: length over the limit", 5);
    fmt_buf_free(&b);
    /* ... and with a bad header checksum, the lengths are never trusted. */
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, UINT32_MAX, UINT32_MAX, junk, sizeof(junk), 1, 0);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: header checksum mismatch", 5);
    fmt_buf_free(&b);
    /* Within the limit, but the file is much shorter than stored_len. */
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, 1000, FMT_MAX_CHUNK_STORED, junk, sizeof(junk), 1, 1);
    expect_damage(&b, PROF_E_TRUNCATED, "truncated in chunk 1", 5);
    fmt_buf_free(&b);
    /* raw_len that no deflate stream of stored_len bytes can produce. */
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, FMT_MAX_CHUNK_RAW, sizeof(junk), junk, sizeof(junk), 1, 1);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: impossible lengths", 5);
    fmt_buf_free(&b);
    /* Wrong magic, data checksum mismatch. */
    std_prefix(&b);
    tg_raw_chunk(&b, 0x12345678, 10, sizeof(junk), junk, sizeof(junk), 1, 1);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: bad chunk magic", 5);
    fmt_buf_free(&b);
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, 10, sizeof(junk), junk, sizeof(junk), 0, 1);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: data checksum mismatch", 5);
    fmt_buf_free(&b);
    /* Valid checksums over bytes that are not a zlib stream. */
    std_prefix(&b);
    tg_raw_chunk(&b, FMT_CHUNK_MAGIC, 10, sizeof(junk), junk, sizeof(junk), 1, 1);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: zlib stream", 5);
    fmt_buf_free(&b);
}

/* Compress `n` bytes of `payload` and frame the stream with a raw_len of our choosing. */
static void chunk_with_raw_len(struct fmt_buf *out, const uint8_t *payload, size_t n, uint32_t raw_len,
                               const uint8_t *trailer, size_t ntrailer)
{
    uLongf cap = compressBound((uLong)n) + ntrailer;
    uint8_t *z = malloc(cap);
    assert_int_equal(compress2(z, &cap, payload, (uLong)n, 9), Z_OK);
    if (ntrailer)
        memcpy(z + cap, trailer, ntrailer);
    tg_raw_chunk(out, FMT_CHUNK_MAGIC, raw_len, (uint32_t)(cap + ntrailer), z, cap + ntrailer, 1, 1);
    free(z);
}

static void test_zlib_bomb(void **state)
{
    (void)state;
    size_t big = 10u << 20;
    uint8_t *zeros = calloc(1, big);
    struct fmt_buf b;
    /* raw_len says 100, the stream inflates to 10 MB: refused after 101 bytes of output. */
    std_prefix(&b);
    chunk_with_raw_len(&b, zeros, big, 100, NULL, 0);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: zlib stream inflates to more than raw_len", 5);
    fmt_buf_free(&b);
    /* The other direction: fewer bytes than raw_len. */
    std_prefix(&b);
    chunk_with_raw_len(&b, zeros, 100, 101, NULL, 0);
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: zlib stream inflates to fewer", 5);
    fmt_buf_free(&b);
    /* Exactly raw_len, then garbage inside stored_len. */
    static const uint8_t tail[3] = {1, 2, 3};
    std_prefix(&b);
    chunk_with_raw_len(&b, zeros, 100, 100, tail, sizeof(tail));
    expect_damage(&b, PROF_E_CORRUPT, "corrupt chunk 1: bytes after the end of the zlib stream", 5);
    fmt_buf_free(&b);
    free(zeros);
}

/* A one-chunk file: HEADER, then one raw record of `type` with the given body. */
static void bad_record(uint32_t type, const struct fmt_buf *body, const char *msg_prefix)
{
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    tg_thread(&g, 1, "ok", 0);
    tg_record(&g, type, body);
    tg_end(&g, 1, 0);
    tg_flush(&g);
    expect_damage(&g.file, PROF_E_CORRUPT, msg_prefix, 2);
    tg_free(&g);
}

static void test_bad_records(void **state)
{
    (void)state;
    struct fmt_buf b;
    fmt_buf_init(&b);
    /* STACK with nframes = 1 << 30 (and the bytes for a few). */
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 0);
    fmt_put_varint(&b, 1u << 30);
    for (int i = 0; i < 16; i++)
        fmt_put_varint(&b, 0x401000);
    bad_record(FMT_REC_STACK, &b, "corrupt chunk 0: bad STACK at offset");
    /* 1025 frames, all present: still over the limit. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 0);
    fmt_put_varint(&b, 1025);
    for (int i = 0; i < 1025; i++)
        fmt_put_varint(&b, 1);
    bad_record(FMT_REC_STACK, &b, "corrupt chunk 0: bad STACK");
    /* Frames announced but missing. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 0);
    fmt_put_varint(&b, 10);
    fmt_put_varint(&b, 0x401000);
    bad_record(FMT_REC_STACK, &b, "corrupt chunk 0: bad STACK");
    /* SAMPLES count of 2^60. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 6);
    fmt_put_varint(&b, 1ull << 60);
    for (int i = 0; i < 12; i++)
        fmt_put_varint(&b, 1);
    bad_record(FMT_REC_SAMPLES, &b, "corrupt chunk 0: bad SAMPLES at offset");
    /* nfields < 6. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 5);
    fmt_put_varint(&b, 1);
    for (int i = 0; i < 5; i++)
        fmt_put_varint(&b, 1);
    bad_record(FMT_REC_SAMPLES, &b, "corrupt chunk 0: bad SAMPLES");
    /* A huge nfields with a count: does not fit. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, UINT64_MAX);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    bad_record(FMT_REC_SAMPLES, &b, "corrupt chunk 0: bad SAMPLES");
    /* A string longer than its record. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1000);
    fmt_put_bytes(&b, "abc", 3);
    bad_record(FMT_REC_THREAD, &b, "corrupt chunk 0: bad THREAD");
    /* A varint cut by the end of the body. */
    fmt_buf_reset(&b);
    fmt_put_u8(&b, 0x80);
    bad_record(FMT_REC_END, &b, "corrupt chunk 0: bad END");
    /* MODULE with 2^62 segments; COUNTERS with 2^62 pairs; HEADER argc 2^40. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 0);
    fmt_put_string(&b, "x");
    fmt_put_blob(&b, NULL, 0);
    fmt_put_varint(&b, 0);
    fmt_put_varint(&b, 1ull << 62);
    fmt_put_varint(&b, 1);
    bad_record(FMT_REC_MODULE, &b, "corrupt chunk 0: bad MODULE");
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1ull << 62);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    bad_record(FMT_REC_COUNTERS, &b, "corrupt chunk 0: bad COUNTERS");
    fmt_buf_free(&b);

    /* A record whose body length overruns the chunk. */
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    fmt_put_varint(&g.payload, FMT_REC_THREAD);
    fmt_put_varint(&g.payload, 1000);
    fmt_put_varint(&g.payload, 1);
    tg_flush(&g);
    expect_damage(&g.file, PROF_E_CORRUPT, "corrupt chunk 0: record at offset", 1);
    tg_free(&g);
    /* A first record that is not HEADER. */
    tg_init(&g);
    tg_thread(&g, 1, "x", 0);
    tg_flush(&g);
    expect_damage(&g.file, PROF_E_CORRUPT, "corrupt chunk 0: first record is type 4, not HEADER", 0);
    tg_free(&g);
}

static void test_file_header(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    uint8_t *copy = malloc(g.file.len);
    struct { size_t at; uint8_t val; int code; const char *msg; } cases[] = {
        {0, 0x88, PROF_E_NOT_PROFILE, "not a libprof profile (bad magic)"},
        {3, 'X', PROF_E_NOT_PROFILE, "not a libprof profile (bad magic)"},
        {8, 2, PROF_E_VERSION, "unsupported version 2 (this reader reads 1)"},
        {11, 1, PROF_E_VERSION, "unsupported version 16777217 (this reader reads 1)"},
        {12, 4, PROF_E_VERSION, "unsupported flags 0x4"},
        {15, 0x80, PROF_E_VERSION, "unsupported flags 0x80000000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(copy, g.file.data, g.file.len);
        copy[cases[i].at] = cases[i].val;
        struct prof_reader *r = NULL;
        assert_int_equal(prof_reader_open_mem(copy, g.file.len, "x", &r), cases[i].code);
        assert_string_equal(prof_reader_error(r), cases[i].msg);
        struct prof_record rec;
        assert_int_equal(prof_reader_next(r, &rec), cases[i].code); /* sticky */
        prof_reader_close(r);
    }
    free(copy);

    struct prof_reader *r = NULL;
    struct prof_record rec;
    assert_int_equal(prof_reader_open_mem("", 0, "x", &r), PROF_E_EMPTY);
    assert_string_equal(prof_reader_error(r), "empty file");
    prof_reader_close(r);
    assert_int_equal(prof_reader_open_mem("hello world, not a profile", 26, "x", &r),
                     PROF_E_NOT_PROFILE);
    prof_reader_close(r);
    /* Only the file header. */
    assert_int_equal(prof_reader_open_mem(g.file.data, FMT_FILE_HEADER_LEN, "x", &r), 0);
    assert_int_equal(prof_reader_next(r, &rec), PROF_E_EMPTY);
    assert_string_equal(prof_reader_error(r), "no complete chunk (file has only the file header)");
    prof_reader_close(r);
    /* Missing file: negative errno with its text. */
    assert_int_equal(prof_reader_open("/nonexistent/profile.prof", &r), -ENOENT);
    assert_string_equal(prof_reader_error(r), strerror(ENOENT));
    prof_reader_close(r);
    assert_string_equal(prof_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(prof_strerror(PROF_E_NOT_PROFILE), "not a libprof profile");
    /* A directory is not readable as a profile. */
    assert_true(prof_reader_open("/tmp", &r) < 0);
    prof_reader_close(r);
    tg_free(&g);
}

/* Deterministic pseudo-random damage anywhere in the file: only termination and sanity checked. */
static void test_random_damage(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    uint8_t *copy = malloc(g.file.len);
    uint64_t x = 88172645463325252ull;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(copy, g.file.data, g.file.len);
        for (int k = 0; k < 1 + iter % 4; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            copy[x % g.file.len] = (uint8_t)(x >> 32);
        }
        size_t n;
        int ret = tg_read_all(copy, g.file.len, &n, NULL, NULL, 0);
        assert_true(ret <= 0);
        assert_true(n <= 19);
    }
    free(copy);
    tg_free(&g);
}

static void test_dump(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    char *path = tg_write_temp(g.file.data, g.chunk_end[2] + 7); /* cut inside chunk 3 */
    char *text = NULL;
    size_t len = 0;
    char err[256];
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(prof_dump(out, path, err, sizeof(err)), PROF_E_TRUNCATED);
    fclose(out);
    char expect[512];
    snprintf(expect, sizeof(expect), "%s: truncated in chunk 3 (file ends after %zu bytes)", path,
             g.chunk_end[2] + 7);
    assert_string_equal(err, expect);
    assert_non_null(strstr(text, "chunk 0 HEADER pid=4242 ppid=1 exe=/usr/bin/app argc=2 "
                                 "argv=[./app --fast] start_realtime_ns=1700000000000000000 "
                                 "start_monotonic_ns=5000000000 modes=cpu hz=100 timer=perf "
                                 "unwinder=dwarf max_depth=128 flush_ms=1000 alloc_rate=0 "
                                 "hostname=host timer_requested=auto\n"));
    assert_non_null(strstr(text, "chunk 0 MODULE id=1 load_ns=0 path=/usr/bin/app build_id=none "
                                 "bias=0x400000 nsegs=1\n    seg start=0x400000 size=0x10000 "
                                 "file_offset=0x0 flags=r-x\n"));
    assert_non_null(strstr(text, "chunk 2 STACK id=3 flags=0 nframes=3 frames=0x401020 0x402000 0x403000\n"));
    assert_non_null(strstr(text, "chunk 1 SAMPLES count=3\n"
                                 "    tid=101 stack=2 time_ns=1000 weight=1 kind=cpu region=0\n"
                                 "    tid=101 stack=2 time_ns=1010 weight=1 kind=cpu region=0\n"));
    assert_non_null(strstr(text, "chunk 1 THREAD tid=101 name=worker time_ns=1000\n"));
    assert_null(strstr(text, "\nchunk 3 "));
    snprintf(expect, sizeof(expect), "damage: truncated in chunk 3 (file ends after %zu bytes)\n",
             g.chunk_end[2] + 7);
    assert_non_null(strstr(text, expect));
    free(text);
    unlink(path);
    free(path);

    /* Whole file: COUNTERS and END, and a clean end line. */
    path = tg_write_temp(g.file.data, g.file.len);
    out = open_memstream(&text, &len);
    assert_int_equal(prof_dump(out, path, err, sizeof(err)), 0);
    fclose(out);
    assert_non_null(strstr(text, "chunk 4 COUNTERS time_ns=4500 n=1\n    key=1 (samples) value=15\n"));
    assert_non_null(strstr(text, "chunk 4 END end_ns=5000 reason=exit\n"));
    assert_non_null(strstr(text, "end: 19 records in 5 chunks\n"));
    free(text);
    unlink(path);
    free(path);

    /* A missing file. */
    out = open_memstream(&text, &len);
    assert_int_equal(prof_dump(out, "/nonexistent/x.prof", err, sizeof(err)), -ENOENT);
    fclose(out);
    snprintf(expect, sizeof(expect), "/nonexistent/x.prof: %s", strerror(ENOENT));
    assert_string_equal(err, expect);
    free(text);
    tg_free(&g);
}

/* tests/data/golden-v1.prof was encoded by tests/data/make_golden.py straight from docs/format.md,
 * independently of format.c; its dump must match golden-v1.dump line for line. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_golden(void **state)
{
    (void)state;
    char dir[512], prof[600], dumpf[600];
    snprintf(dir, sizeof(dir), "%s", __FILE__);
    char *slash = strrchr(dir, '/');
    assert_non_null(slash);
    *slash = '\0';
    snprintf(prof, sizeof(prof), "%s/../data/golden-v1.prof", dir);
    snprintf(dumpf, sizeof(dumpf), "%s/../data/golden-v1.dump", dir);
    char *want_tmpl = read_text(dumpf);
    char *at = strstr(want_tmpl, "{path}");
    assert_non_null(at);
    char *want = NULL;
    size_t wlen = 0;
    FILE *w = open_memstream(&want, &wlen);
    fprintf(w, "%.*s%s%s", (int)(at - want_tmpl), want_tmpl, prof, at + 6);
    fclose(w);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(prof_dump(out, prof, NULL, 0), 0);
    fclose(out);
    assert_string_equal(text, want);
    free(text);
    free(want);
    free(want_tmpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_growth),
        cmocka_unit_test(test_unknown_types),  cmocka_unit_test(test_truncate_everywhere),
        cmocka_unit_test(test_bitflip_chunk2), cmocka_unit_test(test_huge_lengths),
        cmocka_unit_test(test_zlib_bomb),      cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_file_header),    cmocka_unit_test(test_random_damage),
        cmocka_unit_test(test_dump),           cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
