/* SPDX-License-Identifier: MIT */
/* Reader and loader tests for the timeline records (METRICS, ALERT): round trip, bounds,
 * truncation, the loaded model and --dump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "prof/dump.h"
#include "testgen.h"

static void next_ok(struct prof_reader *r, struct prof_record *rec, uint32_t type)
{
    int ret = prof_reader_next(r, rec);
    if (ret != 1)
        fail_msg("expected a record, got %d: %s", ret, prof_reader_error(r));
    assert_int_equal(rec->type, type);
}

static void start_file(struct tg *g)
{
    tg_init(g);
    tg_simple_header(g, 77);
}

static const struct prof_rec_counter METRICS_ALL[9] = {
    {1, 200000000}, {2, 10000000}, {3, 5u << 20}, {4, 3}, {5, 40},
    {6, 1},         {7, 123456},   {8, 7},        {9, 11}};

static void test_round_trip(void **state)
{
    (void)state;
    struct prof_rec_counter odd[3] = {{99, UINT64_MAX}, {3, 0}, {UINT64_MAX, 5}};
    struct tg g;
    start_file(&g);
    tg_metrics(&g, 250000000, 250000000, 9, METRICS_ALL);
    tg_metrics(&g, UINT64_MAX, UINT64_MAX, 3, odd); /* unknown keys are kept */
    tg_metrics(&g, 0, 0, 0, NULL);
    tg_alert(&g, 1500000000, "heap_growth>1MB/min", "heap growing 3.00 MiB/min",
             "libprof: alert: heap_growth>1MB/min at 1.5 s: heap growing 3.00 MiB/min");
    tg_alert(&g, 0, "", "", ""); /* empty strings */
    tg_flush(&g);
    assert_false(g.file.failed);

    struct prof_reader *r = NULL;
    struct prof_record rec;
    assert_int_equal(prof_reader_open_mem(g.file.data, g.file.len, "mem", &r), 0);
    next_ok(r, &rec, FMT_REC_HEADER);
    next_ok(r, &rec, FMT_REC_METRICS);
    assert_int_equal(rec.u.metrics.time_ns, 250000000);
    assert_int_equal(rec.u.metrics.interval_ns, 250000000);
    assert_int_equal(rec.u.metrics.n, 9);
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(rec.u.metrics.pairs[i].key, METRICS_ALL[i].key);
        assert_int_equal(rec.u.metrics.pairs[i].value, METRICS_ALL[i].value);
    }
    next_ok(r, &rec, FMT_REC_METRICS);
    assert_true(rec.u.metrics.time_ns == UINT64_MAX && rec.u.metrics.interval_ns == UINT64_MAX);
    assert_int_equal(rec.u.metrics.n, 3);
    assert_true(rec.u.metrics.pairs[0].key == 99 && rec.u.metrics.pairs[0].value == UINT64_MAX);
    assert_true(rec.u.metrics.pairs[2].key == UINT64_MAX && rec.u.metrics.pairs[2].value == 5);
    next_ok(r, &rec, FMT_REC_METRICS);
    assert_int_equal(rec.u.metrics.n, 0);
    next_ok(r, &rec, FMT_REC_ALERT);
    assert_int_equal(rec.u.alert.time_ns, 1500000000);
    assert_string_equal(rec.u.alert.rule, "heap_growth>1MB/min");
    assert_string_equal(rec.u.alert.value, "heap growing 3.00 MiB/min");
    assert_string_equal(rec.u.alert.message,
                        "libprof: alert: heap_growth>1MB/min at 1.5 s: heap growing 3.00 MiB/min");
    next_ok(r, &rec, FMT_REC_ALERT);
    assert_string_equal(rec.u.alert.rule, "");
    assert_string_equal(rec.u.alert.message, "");
    assert_int_equal(prof_reader_next(r, &rec), 0);
    prof_reader_close(r);
    tg_free(&g);
}

/* The record with this raw body must read as corrupt with `why`, after the HEADER; or, with
 * why = NULL, read cleanly. */
static void expect_body(uint32_t type, const struct fmt_buf *body, const char *why)
{
    struct tg g;
    start_file(&g);
    tg_record(&g, type, body);
    tg_flush(&g);
    size_t nrec = 0;
    char msg[256] = "";
    int ret = tg_read_all(g.file.data, g.file.len, &nrec, NULL, msg, sizeof(msg));
    if (why && (ret != PROF_E_CORRUPT || !strstr(msg, why)))
        fail_msg("type %u: got %d '%s', expected corruption '%s'", type, ret, msg, why);
    if (!why && ret != 0)
        fail_msg("type %u: got %d '%s', expected a clean read", type, ret, msg);
    assert_int_equal(nrec, why ? 1 : 2);
    tg_free(&g);
}

static void test_bounds(void **state)
{
    (void)state;
    struct fmt_buf b;
    fmt_buf_init(&b);
    /* Empty bodies: every field takes its default. */
    expect_body(FMT_REC_METRICS, &b, NULL);
    expect_body(FMT_REC_ALERT, &b, NULL);
    /* A body that ends between fields: the rest default. */
    fmt_put_varint(&b, 5);
    expect_body(FMT_REC_METRICS, &b, NULL);
    expect_body(FMT_REC_ALERT, &b, NULL);
    /* More pairs announced than the body holds: refused before allocating. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1000000);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 2);
    expect_body(FMT_REC_METRICS, &b, "metric count larger than the record");
    /* A count that fits the size check but a pair cut in half. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 1);
    fmt_put_varint(&b, 2);
    fmt_put_varint(&b, 300); /* 2 bytes each: the count check passes, the last value is missing */
    fmt_put_varint(&b, 300);
    fmt_put_varint(&b, 1);
    expect_body(FMT_REC_METRICS, &b, "bad METRICS");
    /* A varint cut at the end of the body. */
    fmt_buf_reset(&b);
    uint8_t cut[1] = {0x80};
    fmt_put_bytes(&b, cut, 1);
    expect_body(FMT_REC_METRICS, &b, "body ends inside a field");
    /* A string longer than the rest of the body. */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 10);
    fmt_put_varint(&b, 50);
    fmt_put_bytes(&b, "rule", 4);
    expect_body(FMT_REC_ALERT, &b, "bad ALERT");
    /* Extra bytes after the known fields are ignored (records grow at the end). */
    fmt_buf_reset(&b);
    fmt_put_varint(&b, 10);
    fmt_put_string(&b, "cpu>80%");
    fmt_put_string(&b, "cpu 99%");
    fmt_put_string(&b, "msg");
    fmt_put_varint(&b, 12345);
    expect_body(FMT_REC_ALERT, &b, NULL);
    fmt_buf_free(&b);
}

/* Every truncation inside the chunk holding METRICS and ALERT reads the first chunk, then
 * reports truncation — the state a live reader (--follow) sees while a chunk is being written. */
static void test_truncation(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g);
    tg_metrics(&g, 100, 100, 9, METRICS_ALL);
    tg_flush(&g);
    tg_metrics(&g, 200, 100, 9, METRICS_ALL);
    tg_alert(&g, 200, "cpu>50%", "cpu 80.0%", "libprof: alert: cpu>50% at 0.0 s: cpu 80.0%");
    tg_flush(&g);
    tg_check_truncations(&g, 2, 4);
    tg_free(&g);
}

/* The loaded model: intervals with their keys, optional heap and wall keys, alerts. */
static void test_model(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g);
    tg_metrics(&g, 250000000, 250000000, 9, METRICS_ALL);
    struct prof_rec_counter cpu_only[6] = {{1, 5}, {2, 6}, {3, 7}, {4, 8}, {5, 9}, {6, 10}};
    tg_flush(&g);
    tg_metrics(&g, 500000000, 250000000, 6, cpu_only);
    tg_alert(&g, 500000000, "rss>1K", "rss 0.0 MiB", "m");
    tg_end(&g, 600000000, 0);
    tg_flush(&g);
    char *path;
    struct prof_profile *p = tg_load(&g, &path);
    assert_false(p->damaged);
    assert_int_equal(p->nintervals, 2);
    const struct prof_interval *a = &p->intervals[0], *b = &p->intervals[1];
    assert_int_equal(a->process, 0);
    assert_int_equal(a->end_ns, 250000000);
    assert_int_equal(a->interval_ns, 250000000);
    assert_int_equal(a->user_ns, 200000000);
    assert_int_equal(a->sys_ns, 10000000);
    assert_int_equal(a->rss, 5u << 20);
    assert_int_equal(a->threads, 3);
    assert_int_equal(a->samples, 40);
    assert_int_equal(a->dropped, 1);
    assert_true(a->has_heap && a->live_heap == 123456);
    assert_true(a->has_wall && a->wall_off == 7 && a->wall_on == 11);
    assert_int_equal(b->end_ns, 500000000);
    assert_true(b->user_ns == 5 && b->sys_ns == 6 && b->rss == 7 && b->threads == 8);
    assert_true(b->samples == 9 && b->dropped == 10);
    assert_false(b->has_heap);
    assert_false(b->has_wall);
    assert_int_equal(p->nalerts, 1);
    assert_int_equal(p->alerts[0].time_ns, 500000000);
    assert_string_equal(p->alerts[0].rule, "rss>1K");
    assert_string_equal(p->alerts[0].value, "rss 0.0 MiB");
    assert_string_equal(p->alerts[0].message, "m");
    prof_profile_free(p);
    unlink(path);
    free(path);

    /* A file cut inside its second chunk: the first chunk's interval is kept, the file damaged. */
    char *cut_path = tg_write_temp(g.file.data, g.chunk_end[0] + 5);
    assert_non_null(cut_path);
    const char *files[1] = {cut_path};
    char err[256];
    assert_int_equal(prof_profile_load(files, 1, &p, err, sizeof(err)), 0);
    assert_true(p->damaged);
    assert_int_equal(p->nintervals, 1);
    assert_int_equal(p->nalerts, 0);
    prof_profile_free(p);
    unlink(cut_path);
    free(cut_path);
    tg_free(&g);
}

static void test_dump(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g);
    tg_metrics(&g, 250, 250, 9, METRICS_ALL);
    struct prof_rec_counter unknown[1] = {{42, 1}};
    tg_metrics(&g, 500, 250, 1, unknown);
    tg_alert(&g, 300, "drops>1%", "2.00% of samples dropped", "libprof: alert: \"x\"");
    tg_flush(&g);
    char *path = tg_write_temp(g.file.data, g.file.len);
    assert_non_null(path);
    char buf[8192] = "";
    FILE *out = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(out);
    assert_int_equal(prof_dump(out, path, NULL, 0), 0);
    fclose(out);
    static const char *const want[] = {
        "METRICS time_ns=250 interval_ns=250 n=9\n    key=1 (user_ns) value=200000000\n",
        "key=3 (rss) value=5242880", "key=7 (live_heap) value=123456",
        "key=8 (wall_off) value=7", "key=9 (wall_on) value=11",
        "METRICS time_ns=500 interval_ns=250 n=1\n    key=42 (unknown) value=1\n",
        "ALERT time_ns=300 rule=drops>1% value=\"2.00% of samples dropped\" "
        "message=\"libprof: alert: \\\"x\\\"\"\n"};
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
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
