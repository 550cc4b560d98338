/* SPDX-License-Identifier: MIT */
/* Profile loader tests: merging files, stack remapping, damage warnings, module lookup in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testgen.h"

#include <errno.h>

static char *write_tg(struct tg *g)
{
    char *path = tg_write_temp(g->file.data, g->file.len);
    assert_non_null(path);
    tg_free(g);
    return path;
}

static void drop(char *path)
{
    unlink(path);
    free(path);
}

static int has_warning(const struct prof_profile *p, const char *text)
{
    for (size_t i = 0; i < p->nwarnings; i++)
        if (strcmp(p->warnings[i], text) == 0)
            return 1;
    return 0;
}

static struct prof_profile *load1(const char *path)
{
    struct prof_profile *p = NULL;
    char err[256] = "";
    int ret = prof_profile_load(&path, 1, &p, err, sizeof(err));
    if (ret != 0)
        fail_msg("load failed: %d %s", ret, err);
    return p;
}

static void test_single_file(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    char *path = write_tg(&g);
    struct prof_profile *p = load1(path);
    assert_int_equal(p->nprocesses, 1);
    const struct prof_process *pr = &p->processes[0];
    assert_string_equal(pr->file, path);
    assert_int_equal(pr->pid, 4242);
    assert_int_equal(pr->ppid, 1);
    assert_string_equal(pr->exe_path, "/usr/bin/app");
    assert_int_equal(pr->argc, 2);
    assert_string_equal(pr->argv[1], "--fast");
    assert_string_equal(pr->hostname, "host");
    assert_int_equal(pr->hz, 100);
    assert_int_equal(pr->timer, FMT_TIMER_PERF);
    assert_true(pr->ended_cleanly);
    assert_int_equal(pr->duration_ns, 5000);
    assert_int_equal(p->nstacks, 5);
    assert_int_equal(p->nsamples, 15);
    assert_int_equal(p->nthreads, 5);
    assert_int_equal(p->nmodules, 1);
    assert_int_equal(p->modules[0].unload_ns, UINT64_MAX);
    assert_int_equal(p->nwarnings, 0);
    assert_false(p->damaged);
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        size_t c = i / 3;
        assert_int_equal(s->tid, 100 + c);
        assert_int_equal(s->time_ns, c * 1000 + (i % 3) * 10);
        const struct prof_stack *st = &p->stacks[s->stack];
        assert_int_equal(st->nframes, 3);
        assert_int_equal(st->frames[0], 0x401000 + c * 16);
    }
    for (size_t i = 0; i < p->nthreads; i++) {
        assert_string_equal(p->threads[i].name, "worker");
        assert_int_equal(p->threads[i].weight, 3);
    }
    assert_int_equal(prof_profile_counter(p, FMT_CTR_SAMPLES), 15);
    assert_int_equal(prof_profile_counter(p, FMT_CTR_DROPPED), 0);
    prof_profile_free(p);
    drop(path);
}

/* Two files = two processes; both use stack id 1 for different stacks. */
static void test_merge(void **state)
{
    (void)state;
    char *paths[2];
    for (int f = 0; f < 2; f++) {
        struct tg g;
        tg_init(&g);
        tg_simple_header(&g, 100 + (uint64_t)f);
        tg_simple_module(&g, 1, f ? "/child" : "/parent", 0x400000, 0x1000, 0);
        tg_thread(&g, 7, f ? "child" : "parent", 0);
        uint64_t frames[2] = {0x400100 + (uint64_t)f, 0x400200};
        tg_stack(&g, 1, 0, 2, frames);
        uint64_t other[1] = {0x400300};
        tg_stack(&g, 2 + (uint64_t)f * 1000, 0, 1, other);
        tg_sample1(&g, 7, 1, 10, 2 + (uint64_t)f);
        tg_sample1(&g, 7, 2 + (uint64_t)f * 1000, 20, 1);
        struct prof_rec_counter k = {FMT_CTR_SAMPLES, 10 + (uint64_t)f};
        tg_counters(&g, 30, 1, &k);
        tg_end(&g, 40 + (uint64_t)f, 0);
        tg_flush(&g);
        paths[f] = write_tg(&g);
    }
    struct prof_profile *p = NULL;
    char err[256];
    const char *files[2] = {paths[0], paths[1]};
    assert_int_equal(prof_profile_load(files, 2, &p, err, sizeof(err)), 0);
    assert_int_equal(p->nprocesses, 2);
    assert_int_equal(p->processes[0].pid, 100);
    assert_int_equal(p->processes[1].pid, 101);
    assert_int_equal(p->processes[1].duration_ns, 41);
    assert_int_equal(p->nstacks, 4);
    assert_int_equal(p->nsamples, 4);
    assert_int_equal(p->nthreads, 2);
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        assert_int_equal(s->process, i / 2);
        const struct prof_stack *st = &p->stacks[s->stack];
        if (i % 2 == 0)
            assert_int_equal(st->frames[0], 0x400100 + s->process);
        else
            assert_int_equal(st->frames[0], 0x400300);
    }
    assert_int_not_equal(p->samples[0].stack, p->samples[2].stack);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(p->threads[i].process, i);
        assert_int_equal(p->threads[i].tid, 7);
        assert_string_equal(p->threads[i].name, i ? "child" : "parent");
        assert_int_equal(p->threads[i].weight, 3 + i);
    }
    assert_int_equal(prof_profile_counter(p, FMT_CTR_SAMPLES), 21);
    /* Modules stay per process. */
    assert_string_equal(prof_profile_find_module(p, 0, 0x400100, 10)->path, "/parent");
    assert_string_equal(prof_profile_find_module(p, 1, 0x400100, 10)->path, "/child");
    assert_null(prof_profile_find_module(p, 2, 0x400100, 10));
    prof_profile_free(p);
    drop(paths[0]);
    drop(paths[1]);
}

/* A sample naming an undefined stack: the file is corrupt from there, the data before it stays. */
static void test_undefined_stack(void **state)
{
    (void)state;
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    uint64_t frames[1] = {0x1000};
    tg_stack(&g, 1, 0, 1, frames);
    tg_sample1(&g, 5, 1, 100, 1);
    tg_flush(&g);
    struct prof_rec_sample s[3] = {{5, 1, 200, 1, 0, 0, 0}, {5, 99, 300, 1, 0, 0, 0}, {5, 1, 400, 1, 0, 0, 0}};
    tg_samples(&g, 6, 3, s);
    tg_end(&g, 1000, 0);
    tg_flush(&g);
    char *path = write_tg(&g);
    struct prof_profile *p = load1(path);
    assert_true(p->damaged);
    assert_int_equal(p->nsamples, 2);
    assert_false(p->processes[0].ended_cleanly);
    assert_int_equal(p->processes[0].duration_ns, 200);
    char expect[512];
    snprintf(expect, sizeof(expect),
             "%s: corrupt chunk 1: sample references undefined stack id 99, data after it ignored",
             path);
    assert_true(has_warning(p, expect));
    snprintf(expect, sizeof(expect), "%s: run did not end cleanly (no END record; killed?)", path);
    assert_true(has_warning(p, expect));
    prof_profile_free(p);
    drop(path);
}

/* Truncated and killed runs: warnings name the file; duration falls back to the last timestamp. */
static void test_damage_warnings(void **state)
{
    (void)state;
    struct tg g;
    tg_standard(&g);
    tg_warning(&g, 4000, "ring full, 3 samples dropped");
    tg_flush(&g);
    size_t cut_boundary = g.chunk_end[3];
    size_t cut_inside = g.chunk_end[2] + 30;
    size_t total = g.file.len;
    char *whole = tg_write_temp(g.file.data, total);
    char *at_boundary = tg_write_temp(g.file.data, cut_boundary);
    char *inside = tg_write_temp(g.file.data, cut_inside);
    tg_free(&g);

    struct prof_profile *p = load1(whole);
    char expect[512];
    snprintf(expect, sizeof(expect), "%s: ring full, 3 samples dropped", whole);
    assert_true(has_warning(p, expect));
    assert_int_equal(p->nwarnings, 1);
    prof_profile_free(p);

    p = load1(at_boundary); /* a clean cut between chunks: only the missing END is reported */
    assert_false(p->damaged);
    assert_int_equal(p->nsamples, 12);
    assert_int_equal(p->nwarnings, 1);
    snprintf(expect, sizeof(expect), "%s: run did not end cleanly (no END record; killed?)",
             at_boundary);
    assert_true(has_warning(p, expect));
    assert_int_equal(p->processes[0].duration_ns, 3020);
    prof_profile_free(p);

    p = load1(inside);
    assert_true(p->damaged);
    assert_int_equal(p->nsamples, 9);
    snprintf(expect, sizeof(expect),
             "%s: truncated in chunk 3 (file ends after %zu bytes), data after it ignored", inside,
             cut_inside);
    assert_true(has_warning(p, expect));
    assert_int_equal(p->nwarnings, 2);
    prof_profile_free(p);
    drop(whole);
    drop(at_boundary);
    drop(inside);
}

static void expect_load_error(const char *path, int code, const char *reason)
{
    struct prof_profile *p = (struct prof_profile *)1;
    char err[512], expect[512];
    assert_int_equal(prof_profile_load(&path, 1, &p, err, sizeof(err)), code);
    assert_null(p);
    snprintf(expect, sizeof(expect), "%s: %s", path, reason);
    assert_string_equal(err, expect);
}

static void test_unusable_files(void **state)
{
    (void)state;
    expect_load_error("/nonexistent/a.prof", -ENOENT, strerror(ENOENT));
    char *p1 = tg_write_temp("GIF89a not a profile", 20);
    expect_load_error(p1, PROF_E_NOT_PROFILE, "not a libprof profile (bad magic)");
    struct tg g;
    tg_standard(&g);
    char *p2 = tg_write_temp(g.file.data, FMT_FILE_HEADER_LEN);
    expect_load_error(p2, PROF_E_EMPTY, "no complete chunk (file has only the file header)");
    char *p3 = tg_write_temp(g.file.data, g.chunk_end[0] - 1);
    char reason[128];
    snprintf(reason, sizeof(reason), "truncated in chunk 0 (file ends after %zu bytes)",
             g.chunk_end[0] - 1);
    expect_load_error(p3, PROF_E_TRUNCATED, reason);
    char *p4 = tg_write_temp("", 0);
    expect_load_error(p4, PROF_E_EMPTY, "empty file");
    /* One bad file among good ones fails the whole load and names it. */
    char *good = tg_write_temp(g.file.data, g.file.len);
    const char *files[2] = {good, p1};
    struct prof_profile *p = NULL;
    char err[512], expect[512];
    assert_int_equal(prof_profile_load(files, 2, &p, err, sizeof(err)), PROF_E_NOT_PROFILE);
    snprintf(expect, sizeof(expect), "%s: not a libprof profile (bad magic)", p1);
    assert_string_equal(err, expect);
    tg_free(&g);
    drop(p1);
    drop(p2);
    drop(p3);
    drop(p4);
    drop(good);
}

/* Address reuse after dlclose: two objects at overlapping ranges at different times. */
static void test_find_module_in_time(void **state)
{
    (void)state;
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    tg_simple_module(&g, 1, "/exe", 0x400000, 0x2000, 0);
    tg_simple_module(&g, 2, "/liba.so", 0x7000000, 0x10000, 100);
    tg_simple_module(&g, 3, "/big.so", 0x1000000, 0x8000000, 0); /* a huge early range */
    tg_unload(&g, 2, 500);
    tg_unload(&g, 3, 50);
    tg_simple_module(&g, 4, "/libb.so", 0x7008000, 0x4000, 600);
    /* Two segments of one module with a hole between them. */
    struct prof_rec_segment segs[2] = {{0x9000000, 0x1000, 0, 5}, {0x9003000, 0x1000, 0x3000, 6}};
    struct prof_rec_module m = {.module_id = 5, .path = "/two.so", .bias = 0x9000000, .nsegs = 2,
                                .segs = segs};
    tg_module(&g, &m);
    tg_end(&g, 1000, 0);
    tg_flush(&g);
    char *path = write_tg(&g);
    struct prof_profile *p = load1(path);
    assert_int_equal(p->nmodules, 5);
    const struct prof_module *mod;
#define FIND(addr, t) prof_profile_find_module(p, 0, addr, t)
    assert_string_equal(FIND(0x400000, 0)->path, "/exe");
    assert_string_equal(FIND(0x401fff, 999)->path, "/exe");
    assert_null(FIND(0x402000, 0));
    assert_null(FIND(0x3fffff, 0));
    assert_string_equal(FIND(0x7009000, 10)->path, "/big.so");   /* before liba was loaded */
    assert_string_equal(FIND(0x7009000, 200)->path, "/liba.so"); /* big.so is gone by then */
    assert_string_equal(FIND(0x7009000, 700)->path, "/libb.so");
    assert_string_equal(FIND(0x7000000, 499)->path, "/liba.so");
    assert_null(FIND(0x7000000, 700));  /* liba unloaded, libb does not cover 0x7000000 */
    assert_null(FIND(0x5000000, 60));   /* big.so unloaded at 50 */
    /* Between liba's unload and libb's load_ns: the sample predates the writer noticing libb. */
    mod = FIND(0x7009000, 550);
    assert_non_null(mod);
    assert_string_equal(mod->path, "/libb.so");
    assert_int_equal(mod->load_ns, 600);
    assert_int_equal(mod->unload_ns, UINT64_MAX);
    assert_string_equal(FIND(0x9000fff, 0)->path, "/two.so");
    assert_null(FIND(0x9001000, 0));
    assert_string_equal(FIND(0x9003800, 0)->path, "/two.so");
    assert_null(FIND(UINT64_MAX, 0));
    assert_null(prof_profile_find_module(p, 1, 0x400000, 0));
#undef FIND
    prof_profile_free(p);
    drop(path);
}

/* Many modules: lookups agree with a linear scan (exercises the sorted index and max_end stop). */
static void test_find_module_many(void **state)
{
    (void)state;
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    uint64_t x = 12345;
    enum { N = 300 };
    for (uint64_t i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t start = (x >> 20) % 0x100000;
        uint64_t size = 1 + (x >> 45) % (i % 10 == 0 ? 0x20000 : 0x800);
        tg_simple_module(&g, i + 1, "/m", start, size, (x >> 8) % 100);
        if (i % 3 == 0)
            tg_unload(&g, i + 1, 100 + (x >> 30) % 100);
    }
    tg_end(&g, 1000, 0);
    tg_flush(&g);
    char *path = write_tg(&g);
    struct prof_profile *p = load1(path);
    for (int q = 0; q < 3000; q++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t addr = (x >> 16) % 0x120000, t = (x >> 40) % 250;
        const struct prof_module *want = NULL, *later = NULL;
        for (size_t i = 0; i < p->nmodules; i++) {
            const struct prof_module *m = &p->modules[i];
            if (addr < m->segs[0].start || addr - m->segs[0].start >= m->segs[0].size)
                continue;
            if (m->load_ns <= t && t < m->unload_ns) {
                if (!want || m->load_ns > want->load_ns)
                    want = m;
            } else if (m->load_ns > t && (!later || m->load_ns < later->load_ns)) {
                later = m;
            }
        }
        const struct prof_module *got = prof_profile_find_module(p, 0, addr, t);
        const struct prof_module *expect = want ? want : later;
        if (got != expect && !(got && expect && got->load_ns == expect->load_ns))
            fail_msg("addr 0x%llx t %llu: got %p want %p", (unsigned long long)addr,
                     (unsigned long long)t, (const void *)got, (const void *)expect);
    }
    prof_profile_free(p);
    drop(path);
}

/* THREAD renames: the last name wins; samples of a thread never named still count. */
static void test_threads(void **state)
{
    (void)state;
    struct tg g;
    tg_init(&g);
    tg_simple_header(&g, 1);
    uint64_t frames[1] = {0x1000};
    tg_stack(&g, 1, 0, 1, frames);
    tg_thread(&g, 10, "main", 0);
    tg_sample1(&g, 10, 1, 5, 2);
    tg_flush(&g);
    tg_thread(&g, 10, "renamed", 7);
    tg_sample1(&g, 10, 1, 8, 3);
    tg_sample1(&g, 11, 1, 9, 4);
    tg_end(&g, 10, 0);
    tg_flush(&g);
    char *path = write_tg(&g);
    struct prof_profile *p = load1(path);
    assert_int_equal(p->nthreads, 2);
    assert_string_equal(p->threads[0].name, "renamed");
    assert_int_equal(p->threads[0].weight, 5);
    assert_string_equal(p->threads[1].name, "");
    assert_int_equal(p->threads[1].tid, 11);
    assert_int_equal(p->threads[1].weight, 4);
    prof_profile_free(p);
    drop(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_file),     cmocka_unit_test(test_merge),
        cmocka_unit_test(test_undefined_stack), cmocka_unit_test(test_damage_warnings),
        cmocka_unit_test(test_unusable_files),  cmocka_unit_test(test_find_module_in_time),
        cmocka_unit_test(test_find_module_many), cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
