/* SPDX-License-Identifier: MIT */
/* Reader and loader tests for regions: REGION_DEF, REGION_STATS, REGION_CALLS and SAMPLES field 7. */
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

static void start_file(struct tg *g, uint64_t pid)
{
    tg_init(g);
    tg_simple_header(g, pid);
    uint64_t f1[2] = {0x401000, 0x402000};
    tg_stack(g, 1, 0, 2, f1);
}

static void test_round_trip(void **state)
{
    (void)state;
    struct prof_rec_region_bucket bk[3] = {{0, 1}, {303, 9000}, {BIG, UINT64_MAX}};
    struct prof_rec_region_stats st = {.region_id = 2, .count = 10001, .total_ns = BIG,
                                       .min_ns = 3, .max_ns = UINT64_MAX, .nbuckets = 3,
                                       .buckets = bk};
    struct prof_rec_region_call calls[2] = {
        {.tid = 7, .call_id = 11, .region_id = 1, .start_ns = 100, .duration_ns = 5000,
         .parent_call = 0},
        {.tid = BIG, .call_id = UINT64_MAX, .region_id = 2, .start_ns = UINT64_MAX,
         .duration_ns = BIG, .parent_call = 11},
    };
    struct prof_rec_sample s[2] = {
        {.tid = 7, .stack_id = 1, .time_ns = 10, .weight = 1, .region_id = 2, .region_call = BIG},
        {.tid = 7, .stack_id = 1, .time_ns = 20, .weight = 1, .region_id = 1, .region_call = 11},
    };
    struct tg g;
    start_file(&g, 5);
    tg_region_def(&g, 1, "request", 0);
    tg_region_def(&g, 2, "db \"query\"", 1);
    tg_region_stats(&g, &st);
    tg_region_calls(&g, 6, 2, calls);
    tg_region_calls(&g, 9, 2, calls); /* three extra fields per call, skipped */
    tg_samples(&g, 7, 2, s);
    tg_samples(&g, 6, 2, s); /* the first writers' layout: region_call defaults to 0 */
    tg_samples(&g, 8, 2, s); /* one extra field after region_call, skipped */
    tg_flush(&g);
    assert_false(g.file.failed);

    struct prof_reader *r = NULL;
    struct prof_record rec;
    assert_int_equal(prof_reader_open_mem(g.file.data, g.file.len, "mem", &r), 0);
    next_ok(r, &rec, FMT_REC_HEADER);
    next_ok(r, &rec, FMT_REC_STACK);
    next_ok(r, &rec, FMT_REC_REGION_DEF);
    assert_true(rec.u.region_def.region_id == 1 && rec.u.region_def.parent_id == 0);
    assert_string_equal(rec.u.region_def.name, "request");
    next_ok(r, &rec, FMT_REC_REGION_DEF);
    assert_true(rec.u.region_def.region_id == 2 && rec.u.region_def.parent_id == 1);
    assert_string_equal(rec.u.region_def.name, "db \"query\"");
    next_ok(r, &rec, FMT_REC_REGION_STATS);
    const struct prof_rec_region_stats *rs = &rec.u.region_stats;
    assert_true(rs->region_id == 2 && rs->count == 10001 && rs->total_ns == BIG && rs->min_ns == 3 &&
                rs->max_ns == UINT64_MAX);
    assert_int_equal(rs->nbuckets, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(rs->buckets[i].bucket == bk[i].bucket && rs->buckets[i].count == bk[i].count);
    for (int k = 0; k < 2; k++) {
        next_ok(r, &rec, FMT_REC_REGION_CALLS);
        assert_int_equal(rec.u.region_calls.count, 2);
        assert_memory_equal(rec.u.region_calls.calls, calls, sizeof(calls));
    }
    uint64_t want_call[3][2] = {{BIG, 11}, {0, 0}, {BIG, 11}};
    for (int k = 0; k < 3; k++) {
        next_ok(r, &rec, FMT_REC_SAMPLES);
        assert_int_equal(rec.u.samples.count, 2);
        for (int i = 0; i < 2; i++) {
            assert_true(rec.u.samples.samples[i].region_id == s[i].region_id);
            assert_true(rec.u.samples.samples[i].region_call == want_call[k][i]);
            assert_true(rec.u.samples.samples[i].time_ns == s[i].time_ns);
        }
    }
    assert_int_equal(prof_reader_next(r, &rec), 0);
    prof_reader_close(r);
    tg_free(&g);
}

/* A body cut inside a field or before the elements its count announced is corrupt. */
static void expect_corrupt(void (*build)(struct tg *), const char *what)
{
    struct tg g;
    start_file(&g, 5);
    build(&g);
    tg_flush(&g);
    struct prof_reader *r = NULL;
    struct prof_record rec;
    assert_int_equal(prof_reader_open_mem(g.file.data, g.file.len, "mem", &r), 0);
    next_ok(r, &rec, FMT_REC_HEADER);
    next_ok(r, &rec, FMT_REC_STACK);
    int ret;
    while ((ret = prof_reader_next(r, &rec)) == 1)
        ;
    assert_int_equal(ret, PROF_E_CORRUPT);
    if (!strstr(prof_reader_error(r), what))
        fail_msg("error '%s' does not mention '%s'", prof_reader_error(r), what);
    prof_reader_close(r);
    tg_free(&g);
}

static void bad_stats_count(struct tg *g)
{
    /* Announces 5 buckets, holds 1. */
    static const uint8_t body[] = {1, 1, 10, 10, 10, 5, 3, 1};
    tg_raw_record(g, FMT_REC_REGION_STATS, body, sizeof(body));
}

static void bad_stats_cut(struct tg *g)
{
    static const uint8_t body[] = {1, 1, 10, 10, 0x80}; /* max_ns cut inside its varint */
    tg_raw_record(g, FMT_REC_REGION_STATS, body, sizeof(body));
}

static void bad_calls_fields(struct tg *g)
{
    static const uint8_t body[] = {5, 0};
    tg_raw_record(g, FMT_REC_REGION_CALLS, body, sizeof(body));
}

static void bad_calls_count(struct tg *g)
{
    static const uint8_t body[] = {6, 2, 1, 2, 3, 4, 5, 6}; /* 2 calls announced, 1 present */
    tg_raw_record(g, FMT_REC_REGION_CALLS, body, sizeof(body));
}

static void bad_def_name(struct tg *g)
{
    static const uint8_t body[] = {1, 9, 'a', 'b'}; /* name longer than the body */
    tg_raw_record(g, FMT_REC_REGION_DEF, body, sizeof(body));
}

static void bad_samples_fields(struct tg *g)
{
    static const uint8_t body[] = {5, 0};
    tg_raw_record(g, FMT_REC_SAMPLES, body, sizeof(body));
}

static void test_bounds(void **state)
{
    (void)state;
    expect_corrupt(bad_stats_count, "bad REGION_STATS");
    expect_corrupt(bad_stats_cut, "bad REGION_STATS");
    expect_corrupt(bad_calls_fields, "fewer than 6 fields");
    expect_corrupt(bad_calls_count, "call count larger");
    expect_corrupt(bad_def_name, "bad REGION_DEF");
    expect_corrupt(bad_samples_fields, "fewer than 6 fields");
}

/* Fields missing at the end of a body take their defaults (REGION_DEF with only an id). */
static void test_short_bodies(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g, 5);
    static const uint8_t def[] = {4};
    tg_raw_record(&g, FMT_REC_REGION_DEF, def, sizeof(def));
    static const uint8_t stats[] = {4, 2};
    tg_raw_record(&g, FMT_REC_REGION_STATS, stats, sizeof(stats));
    tg_flush(&g);
    struct prof_reader *r = NULL;
    struct prof_record rec;
    assert_int_equal(prof_reader_open_mem(g.file.data, g.file.len, "mem", &r), 0);
    next_ok(r, &rec, FMT_REC_HEADER);
    next_ok(r, &rec, FMT_REC_STACK);
    next_ok(r, &rec, FMT_REC_REGION_DEF);
    assert_true(rec.u.region_def.region_id == 4 && rec.u.region_def.parent_id == 0);
    assert_string_equal(rec.u.region_def.name, "");
    next_ok(r, &rec, FMT_REC_REGION_STATS);
    assert_true(rec.u.region_stats.count == 2 && rec.u.region_stats.nbuckets == 0 &&
                rec.u.region_stats.max_ns == 0);
    assert_int_equal(prof_reader_next(r, &rec), 0);
    prof_reader_close(r);
    tg_free(&g);
}

static struct prof_profile *load(struct tg *const *gs, size_t n, char ***paths_out)
{
    char **paths = calloc(n, sizeof(*paths));
    for (size_t i = 0; i < n; i++) {
        paths[i] = tg_write_temp(gs[i]->file.data, gs[i]->file.len);
        assert_non_null(paths[i]);
    }
    struct prof_profile *p = NULL;
    char err[256];
    int ret = prof_profile_load((const char *const *)paths, n, &p, err, sizeof(err));
    if (ret != 0)
        fail_msg("load failed: %s", err);
    *paths_out = paths;
    return p;
}

static void unload(struct prof_profile *p, char **paths, size_t n)
{
    prof_profile_free(p);
    for (size_t i = 0; i < n; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    free(paths);
}

/* One process's regions: ids 1 (outer) and 2 (inner) in two chunks, stats summed, min/max over
 * the records, samples resolved to the model's regions, calls found by id. */
static void build_process(struct tg *g, uint64_t pid, uint64_t first_id)
{
    start_file(g, pid);
    tg_region_def(g, first_id, "outer", 0);
    tg_region_def(g, first_id + 1, "inner", first_id);
    struct prof_rec_region_bucket b1[2] = {{200, 3}, {300, 1}};
    struct prof_rec_region_stats s1 = {first_id + 1, 4, 4000, 50, 900, 2, b1};
    tg_region_stats(g, &s1);
    struct prof_rec_region_call c[2] = {{.tid = 9, .call_id = 40, .region_id = first_id + 1,
                                         .start_ns = 5, .duration_ns = 900, .parent_call = 30},
                                        {.tid = 9, .call_id = 30, .region_id = first_id,
                                         .start_ns = 1, .duration_ns = 2000, .parent_call = 0}};
    tg_region_calls(g, 6, 2, c);
    tg_flush(g);
    struct prof_rec_region_bucket b2[1] = {{200, 2}};
    struct prof_rec_region_stats s2 = {first_id + 1, 2, 1000, 40, 950, 1, b2};
    tg_region_stats(g, &s2);
    struct prof_rec_sample sm[3] = {
        {.tid = 9, .stack_id = 1, .time_ns = 6, .weight = 1, .region_id = first_id + 1,
         .region_call = 40},
        {.tid = 9, .stack_id = 1, .time_ns = 7, .weight = 1, .region_id = 0},
        {.tid = 9, .stack_id = 1, .time_ns = 8, .weight = 1, .region_id = 99}, /* undefined */
    };
    tg_samples(g, 7, 3, sm);
    tg_end(g, 100, 0);
    tg_flush(g);
}

static void test_model(void **state)
{
    (void)state;
    struct tg a, b;
    build_process(&a, 1, 1);
    build_process(&b, 2, 7); /* the same regions under other ids in the second file */
    struct tg *gs[2] = {&a, &b};
    char **paths;
    struct prof_profile *p = load(gs, 2, &paths);
    assert_false(p->damaged);
    assert_int_equal(p->nregions, 4);
    for (uint32_t proc = 0; proc < 2; proc++) {
        const struct prof_region *outer = &p->regions[2 * proc], *inner = &p->regions[2 * proc + 1];
        assert_int_equal(outer->process, proc);
        assert_string_equal(outer->name, "outer");
        assert_int_equal(outer->parent, 0);
        assert_int_equal(outer->count, 0);
        assert_true(outer->min_ns == UINT64_MAX);
        assert_string_equal(inner->name, "inner");
        assert_int_equal(inner->parent, 2 * proc + 1);
        assert_int_equal(inner->id, proc ? 8 : 2);
        assert_true(inner->count == 6 && inner->total_ns == 5000 && inner->min_ns == 40 &&
                    inner->max_ns == 950);
        assert_true(inner->hist[200] == 5 && inner->hist[300] == 1);
    }
    assert_int_equal(p->nregion_calls, 4);
    size_t nsamp = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (s->time_ns == 6) {
            assert_int_equal(s->region, 2 * s->process + 2);
            assert_true(s->region_call == 40);
            const struct prof_region_call *c = prof_profile_find_region_call(p, s->process, 40);
            assert_non_null(c);
            assert_true(c->duration_ns == 900 && c->parent_call == 30 && c->tid == 9);
            assert_int_equal(c->region, s->region);
            const struct prof_region_call *outer = prof_profile_find_region_call(p, s->process, 30);
            assert_non_null(outer);
            assert_true(outer->duration_ns == 2000 && outer->region == 2 * s->process + 1);
            nsamp++;
        } else {
            assert_int_equal(s->region, 0); /* none, or an id without REGION_DEF */
            assert_true(s->region_call == 0);
        }
    }
    assert_int_equal(nsamp, 2);
    assert_null(prof_profile_find_region_call(p, 0, 41));
    assert_null(prof_profile_find_region_call(p, 2, 40));
    unload(p, paths, 2);
    tg_free(&a);
    tg_free(&b);
}

/* References to undefined regions in REGION_STATS / REGION_CALLS / REGION_DEF parents are
 * corruption of the chunk: what came before is kept. */
static void test_undefined_refs(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        struct tg g;
        start_file(&g, 3);
        tg_region_def(&g, 1, "ok", 0);
        tg_flush(&g);
        if (k == 0) {
            struct prof_rec_region_stats st = {.region_id = 5, .count = 1};
            tg_region_stats(&g, &st);
        } else if (k == 1) {
            struct prof_rec_region_call c = {.tid = 1, .call_id = 2, .region_id = 5};
            tg_region_calls(&g, 6, 1, &c);
        } else {
            tg_region_def(&g, 2, "orphan", 5);
        }
        tg_flush(&g);
        struct tg *gs[1] = {&g};
        char **paths;
        struct prof_profile *p = load(gs, 1, &paths);
        assert_true(p->damaged);
        assert_int_equal(p->nregions, 1);
        assert_int_equal(p->nregion_calls, 0);
        int found = 0;
        for (size_t i = 0; i < p->nwarnings; i++)
            found |= strstr(p->warnings[i], "undefined") != NULL;
        assert_true(found);
        unload(p, paths, 1);
        tg_free(&g);
    }
}

static void test_dump(void **state)
{
    (void)state;
    struct tg g;
    start_file(&g, 5);
    tg_region_def(&g, 1, "req", 0);
    struct prof_rec_region_bucket bk[1] = {{303, 2}};
    struct prof_rec_region_stats st = {1, 2, 3000, 1000, 2000, 1, bk};
    tg_region_stats(&g, &st);
    struct prof_rec_region_call c = {.tid = 4, .call_id = 8, .region_id = 1, .start_ns = 10,
                                     .duration_ns = 2000, .parent_call = 0};
    tg_region_calls(&g, 6, 1, &c);
    struct prof_rec_sample s = {.tid = 4, .stack_id = 1, .time_ns = 11, .weight = 1,
                                .region_id = 1, .region_call = 8};
    tg_samples(&g, 7, 1, &s);
    tg_flush(&g);
    char *path = tg_write_temp(g.file.data, g.file.len);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    char err[256];
    assert_int_equal(prof_dump(f, path, err, sizeof(err)), 0);
    fclose(f);
    assert_non_null(strstr(out, "REGION_DEF id=1 name=req parent=0\n"));
    assert_non_null(strstr(out, "REGION_STATS id=1 count=2 total_ns=3000 min_ns=1000 max_ns=2000 "
                                "nbuckets=1\n    bucket=303 count=2\n"));
    assert_non_null(strstr(out, "REGION_CALLS count=1\n    tid=4 call=8 region=1 start_ns=10 "
                                "duration_ns=2000 parent_call=0\n"));
    assert_non_null(strstr(out, "kind=cpu region=1 call=8\n"));
    free(out);
    unlink(path);
    free(path);
    tg_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_short_bodies), cmocka_unit_test(test_model),
        cmocka_unit_test(test_undefined_refs), cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
