/* SPDX-License-Identifier: MIT */
/* Reader and loader tests for the allocation records (ALLOC_SAMPLES, FREES, HEAP_SNAPSHOT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "prof/dump.h"
#include "testgen.h"

#define BIG (UINT64_MAX - 3)

static void next_ok(struct prof_reader *r, struct prof_record *rec, uint32_t type)
{
    int ret = prof_reader_next(r, rec);
    if (ret != 1)
        fail_msg("expected a record, got %d: %s", ret, prof_reader_error(r));
    assert_int_equal(rec->type, type);
}

/* A file: HEADER, STACK 1 and 2, then the caller's records, one chunk. */
static void start_file(struct tg *g)
{
    tg_init(g);
    tg_simple_header(g, 77);
    uint64_t f1[2] = {0x401000, 0x402000}, f2[1] = {0x403000};
    tg_stack(g, 1, 0, 2, f1);
    tg_stack(g, 2, 0, 1, f2);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct prof_rec_alloc a[3] = {
        {.tid = 7, .stack_id = 1, .time_ns = 100, .size = 1000, .weight_bytes = 8700, .alloc_id = 1},
        {.tid = BIG, .stack_id = UINT64_MAX, .time_ns = UINT64_MAX, .size = UINT64_MAX,
         .weight_bytes = BIG, .alloc_id = UINT64_MAX, .region_id = BIG},
        {.tid = 8, .stack_id = 2, .time_ns = 5, .size = 0, .weight_bytes = 0, .alloc_id = 3,
         .region_id = 4}, /* time goes backwards: negative delta */
    };
    struct prof_rec_free f[2] = {{UINT64_MAX, 10}, {1, 3}};
    struct prof_rec_heap_entry h[2] = {{1, 8700, 9}, {UINT64_MAX, BIG, UINT64_MAX}};
    struct tg g;
    start_file(&g);
    tg_allocs(&g, 7, 3, a);
    tg_allocs(&g, 10, 3, a); /* three extra fields per allocation, skipped */
    tg_frees(&g, 2, 2, f);
    tg_frees(&g, 5, 2, f);
    tg_heap(&g, BIG, 2, h);
    tg_heap(&g, 0, 0, NULL);
    tg_allocs(&g, 7, 0, NULL);
    tg_flush(&g);
    assert_false(g.file.failed);

    struct prof_reader *r = NULL;
    struct prof_record rec;
    assert_int_equal(prof_reader_open_mem(g.file.data, g.file.len, "mem", &r), 0);
    next_ok(r, &rec, FMT_REC_HEADER);
    next_ok(r, &rec, FMT_REC_STACK);
    next_ok(r, &rec, FMT_REC_STACK);
    for (int k = 0; k < 2; k++) {
        next_ok(r, &rec, FMT_REC_ALLOC_SAMPLES);
        assert_int_equal(rec.u.allocs.count, 3);
        assert_memory_equal(rec.u.allocs.allocs, a, sizeof(a));
    }
    for (int k = 0; k < 2; k++) {
        next_ok(r, &rec, FMT_REC_FREES);
        assert_int_equal(rec.u.frees.count, 2);
        assert_memory_equal(rec.u.frees.frees, f, sizeof(f));
    }
    next_ok(r, &rec, FMT_REC_HEAP_SNAPSHOT);
    assert_true(rec.u.heap.time_ns == BIG);
    assert_int_equal(rec.u.heap.n, 2);
    assert_memory_equal(rec.u.heap.entries, h, sizeof(h));
    next_ok(r, &rec, FMT_REC_HEAP_SNAPSHOT);
    assert_true(rec.u.heap.time_ns == 0 && rec.u.heap.n == 0);
    next_ok(r, &rec, FMT_REC_ALLOC_SAMPLES);
    assert_int_equal(rec.u.allocs.count, 0);
    assert_int_equal(prof_reader_next(r, &rec), 0);
    prof_reader_close(r);
    tg_free(&g);
}

/* A file whose last record has the given raw body must be corrupt with `why` in the message, after
 * returning the records before it. */
static void expect_corrupt(uint32_t type, const struct fmt_buf *body, const char *why)
{
    struct tg g;
    start_file(&g);
    tg_record(&g, type, body);
    tg_flush(&g);
    size_t nrec = 0;
    char msg[256];
    int ret = tg_read_all(g.file.data, g.file.len, &nrec, NULL, msg, sizeof(msg));
    if (ret != PROF_E_CORRUPT || !strstr(msg, why))
        fail_msg("type %u: got %d '%s', expected corruption '%s'", type, ret, msg, why);
    assert_int_equal(nrec, 3);
    tg_free(&g);
}

static void test_bounds(void **state)
{
    (void)state;
    struct fmt_buf b;
    fmt_buf_init(&b);
    /* Empty bodies: nfields defaults to 0, below the minimum. */
    expect_corrupt(FMT_REC_ALLOC_SAMPLES, &b, "fewer than 7 fields");
    expect_corrupt(FMT_REC_FREES, &b, "fewer than 2 fields");
    /* nfields below the minimum even with count 0 */
    fmt_put_varint(&b, 6);
    fmt_put_varint(&b, 0);
    expect_corrupt(FMT_REC_ALLOC_SAMPLES, &b, "bad ALLOC_SAMPLES");
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 0);
    expect_corrupt(FMT_REC_FREES, &b, "bad FREES");
    /* A count the body cannot hold: refused before allocating. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 7);
    fmt_put_varint(&b, UINT64_MAX);
    for (int i = 0; i < 7; i++)
        fmt_put_varint(&b, 1);
    expect_corrupt(FMT_REC_ALLOC_SAMPLES, &b, "count larger than the record");
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 2);
    fmt_put_varint(&b, 2); /* two frees announced, one present */
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    expect_corrupt(FMT_REC_FREES, &b, "count larger than the record");
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 5);
    fmt_put_varint(&b, 2); /* two entries announced, one present */
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    expect_corrupt(FMT_REC_HEAP_SNAPSHOT, &b, "bad HEAP_SNAPSHOT");
    /* The body ends inside a varint of the last element. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 7);
    fmt_put_varint(&b, 1);
    for (int i = 0; i < 6; i++)
        fmt_put_varint(&b, 1);
    fmt_put_u8(&b, 0x80); /* continuation bit, then nothing */
    expect_corrupt(FMT_REC_ALLOC_SAMPLES, &b, "body ends inside a field");
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 2);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    fmt_put_u8(&b, 0xff);
    expect_corrupt(FMT_REC_FREES, &b, "body ends inside a field");
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 5);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    fmt_put_u8(&b, 0x80);
    expect_corrupt(FMT_REC_HEAP_SNAPSHOT, &b, "body ends inside a field");
    fmt_buf_free(&b);

    /* HEAP_SNAPSHOT ending between fields: defaults (time 0, no entries), not corruption. */
    struct tg g;
    start_file(&g);
    tg_raw_record(&g, FMT_REC_HEAP_SNAPSHOT, "", 0);
    tg_flush(&g);
    size_t nrec;
    assert_int_equal(tg_read_all(g.file.data, g.file.len, &nrec, NULL, NULL, 0), 0);
    assert_int_equal(nrec, 4);
    tg_free(&g);
}

/* Every truncation of a file with allocation records reads cleanly up to the damage. */
static void test_truncation(void **state)
{
    (void)state;
    struct prof_rec_alloc a[2] = {{1, 1, 10, 100, 500, 1, 0}, {1, 2, 20, 200, 700, 2, 0}};
    struct prof_rec_free f[1] = {{1, 30}};
    struct prof_rec_heap_entry h[1] = {{2, 700, 4}};
    struct tg g;
    start_file(&g);
    tg_flush(&g);
    tg_allocs(&g, 7, 2, a);
    tg_frees(&g, 2, 1, f);
    tg_heap(&g, 40, 1, h);
    tg_flush(&g);
    tg_check_truncations(&g, 3, 6);
    tg_free(&g);
}

static const struct prof_sample *find_alloc(const struct prof_profile *p, uint64_t id)
{
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].kind == PROF_KIND_ALLOC && p->samples[i].alloc_id == id)
            return &p->samples[i];
    fail_msg("no allocation %llu", (unsigned long long)id);
    return NULL;
}

/* The loaded model: allocation samples, frees matched by id in any order, snapshots. */
static void test_model(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g);
    tg_thread(&g, 9, "worker", 0);
    struct prof_rec_sample cpu[2] = {{.tid = 9, .stack_id = 1, .time_ns = 5, .weight = 2},
                                     {.tid = 9, .stack_id = 2, .time_ns = 6, .weight = 1,
                                      .kind = PROF_KIND_ALLOC}}; /* a file cannot claim kind 16 */
    tg_samples(&g, 6, 2, cpu);
    /* Free of id 3 arrives a chunk before its allocation (another thread's ring drained first). */
    struct prof_rec_free early[1] = {{3, 900}};
    tg_frees(&g, 2, 1, early);
    struct prof_rec_alloc a[2] = {{9, 1, 100, 1000, 8700, 1, 0}, {9, 2, 200, 64, 524288, 2, 5}};
    tg_allocs(&g, 7, 2, a);
    struct prof_rec_heap_entry h1[2] = {{1, 8700, 9}, {2, 524288, 8192}};
    tg_heap(&g, 250, 2, h1);
    tg_flush(&g);
    struct prof_rec_free late[2] = {{1, 500}, {42, 600}}; /* 42: never allocated */
    tg_frees(&g, 2, 2, late);
    struct prof_rec_alloc a3[1] = {{10, 2, 800, 100, 5000, 3, 0}};
    tg_allocs(&g, 7, 1, a3);
    struct prof_rec_heap_entry h2[1] = {{2, 524288, 8192}};
    tg_heap(&g, 1000, 1, h2);
    tg_end(&g, 1100, 0);
    tg_flush(&g);

    char *path;
    struct prof_profile *p = tg_load(&g, &path);
    assert_false(p->damaged);
    assert_int_equal(p->nsamples, 5);
    size_t nalloc = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (s->kind != PROF_KIND_ALLOC) {
            assert_true(s->size == 0 && s->alloc_id == 0 && s->free_ns == 0);
            continue;
        }
        nalloc++;
    }
    assert_int_equal(nalloc, 3);
    const struct prof_sample *s1 = find_alloc(p, 1), *s2 = find_alloc(p, 2), *s3 = find_alloc(p, 3);
    assert_true(s1->weight == 8700 && s1->size == 1000 && s1->time_ns == 100 && s1->tid == 9);
    assert_true(s1->free_ns == 500);
    assert_true(s2->weight == 524288 && s2->size == 64 && s2->region_id == 5);
    assert_true(s2->free_ns == UINT64_MAX); /* live at the end */
    assert_true(s3->free_ns == 900 && s3->tid == 10);
    assert_int_equal(p->stacks[s1->stack].frames[0], 0x401000);
    assert_int_equal(p->stacks[s2->stack].frames[0], 0x403000);
    /* thread weight counts timer periods only */
    for (size_t i = 0; i < p->nthreads; i++)
        if (p->threads[i].tid == 9)
            assert_int_equal(p->threads[i].weight, 3);
    assert_int_equal(p->nsnapshots, 2);
    assert_true(p->snapshots[0].time_ns == 250 && p->snapshots[0].n == 2);
    assert_true(p->snapshots[0].entries[0].stack == s1->stack);
    assert_true(p->snapshots[0].entries[0].bytes == 8700 && p->snapshots[0].entries[0].objects == 9);
    assert_true(p->snapshots[1].time_ns == 1000 && p->snapshots[1].entries[0].stack == s2->stack);
    prof_profile_free(p);
    unlink(path);
    free(path);
    tg_free(&g);
}

/* Undefined stacks: allocations before the bad one are kept; a bad snapshot is dropped whole. */
static void test_model_damage(void **state)
{
    (void)state;
    for (int which = 0; which < 2; which++) {
        struct tg g;
        start_file(&g);
        struct prof_rec_alloc a[2] = {{1, 1, 10, 100, 500, 1, 0}, {1, 99, 20, 100, 500, 2, 0}};
        struct prof_rec_heap_entry h[2] = {{1, 500, 5}, {99, 1, 1}};
        if (which == 0) {
            tg_allocs(&g, 7, 2, a);
        } else {
            tg_allocs(&g, 7, 1, a);
            tg_heap(&g, 30, 2, h);
        }
        tg_flush(&g);
        char *path;
        struct prof_profile *p = tg_load(&g, &path);
        assert_true(p->damaged);
        assert_int_equal(p->nsamples, 1);
        assert_int_equal(p->nsnapshots, 0);
        int found = 0;
        for (size_t i = 0; i < p->nwarnings; i++)
            found |= strstr(p->warnings[i], "undefined stack id 99") != NULL;
        assert_true(found);
        prof_profile_free(p);
        unlink(path);
        free(path);
        tg_free(&g);
    }
}

static void test_dump(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g);
    struct prof_rec_alloc a[1] = {{5, 1, 10, 100, 500, 7, 0}};
    struct prof_rec_free f[1] = {{7, 30}};
    struct prof_rec_heap_entry h[1] = {{1, 500, 5}};
    tg_allocs(&g, 7, 1, a);
    tg_frees(&g, 2, 1, f);
    tg_heap(&g, 40, 1, h);
    struct prof_rec_counter k[3] = {{14, 1}, {15, 2}, {16, 3}};
    tg_counters(&g, 50, 3, k);
    tg_flush(&g);
    char *path = tg_write_temp(g.file.data, g.file.len);
    assert_non_null(path);
    char buf[8192] = "";
    FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(out);
    assert_int_equal(prof_dump(out, path, NULL, 0), 0);
    fclose(out);
    static const char *const want[] = {
        "ALLOC_SAMPLES count=1\n    tid=5 stack=1 time_ns=10 size=100 weight_bytes=500 alloc_id=7 region=0\n",
        "FREES count=1\n    alloc_id=7 time_ns=30\n",
        "HEAP_SNAPSHOT time_ns=40 n=1\n    stack=1 live_bytes=500 live_objects=5\n",
        "key=14 (alloc_samples) value=1", "key=15 (alloc_lost) value=2",
        "key=16 (frees_unmatched) value=3"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(buf, want[i]))
            fail_msg("dump lacks '%s':\n%s", want[i], buf);
    unlink(path);
    free(path);
    tg_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_truncation), cmocka_unit_test(test_model),
        cmocka_unit_test(test_model_damage), cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
