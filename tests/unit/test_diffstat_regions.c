/* SPDX-License-Identifier: MIT */
/* Unit tests for profdiff's region p95 test (tools/profdiff/regions.c): histogram tail counts,
 * the two-proportion z and the test's verdicts against values computed by hand from the formulas
 * in docs/profdiff.md ("Regions"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

/* The region code is part of the profdiff executable, not of a library: build it in, with what it
 * uses (statistics, status names, JSON helpers, profreport's region table). */
#include "../../tools/profdiff/diffstat.c"
#include "../../tools/profdiff/diffdata.c"
#include "../../tools/profdiff/output.c"
#include "../../tools/profdiff/regions.c"
#include "../../tools/profreport/regions.c"

#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

/* Buckets used below (docs/format.md: b >= 16 covers [2^e + m 2^(e-4), + 2^(e-4)), e = b/16 + 3):
 * 5 = the value 5; 111 = [992, 1024) (e 9, m 15, width 32); 128 = [2048, 2176) (e 11, width 128);
 * 144 = [4096, 4352) (e 12, width 256); 671 = the last, open-ended. */
enum { B5 = 5, B992 = 111, B2048 = 128, B4096 = 144, BLAST = PROF_REGION_BUCKETS - 1 };

#define MARGIN_8PCT 1.3010819884951677

static uint64_t hist_a[PROF_REGION_BUCKETS], hist_b[PROF_REGION_BUCKETS];

static void test_hist_above(void **state)
{
    (void)state;
    memset(hist_a, 0, sizeof(hist_a));
    hist_a[B5] = 10;
    assert_close(rd_hist_above(hist_a, 4.0), 10, 0);
    assert_close(rd_hist_above(hist_a, 5.0), 0, 0); /* one-value bucket: not above itself */
    memset(hist_a, 0, sizeof(hist_a));
    hist_a[B992] = 100;
    assert_close(rd_hist_above(hist_a, 991.0), 100, 0);
    assert_close(rd_hist_above(hist_a, 992.0), 100, 1e-12);
    assert_close(rd_hist_above(hist_a, 1000.0), 75, 1e-12); /* 24 of 32 ns of the bucket above */
    assert_close(rd_hist_above(hist_a, 1024.0), 0, 0);
    hist_a[BLAST] = 7; /* open-ended: above anything below its lower edge, never split */
    assert_close(rd_hist_above(hist_a, 1024.0), 7, 0);
    assert_close(rd_hist_above(hist_a, 1e30), 0, 0);
}

static void test_share_z(void **state)
{
    (void)state;
    /* 5 % vs 10 % of 2000: (0.1 - 0.05) / sqrt(pb (1 - pb) / 2000 + pn (1 - pn) / 2000) with
     * pb = 100.5 / 2001, pn = 200.5 / 2001. */
    assert_close(rd_share_z(100, 2000, 200, 2000), 6.022299573125473, 1e-12);
    assert_close(rd_share_z(100, 2000, 0, 2000) < 0, 1, 0);
    /* Both shares 0: no difference, and no division by zero. */
    assert_close(rd_share_z(0, 1000, 0, 1000), 0, 0);
}

/* Base: 950 fast calls (bucket 5) and 50 in [2048, 2176); new: 900 fast and 100 in
 * [4096, 4352). With q = 2048: 50 of 1000 base calls above q; 100 new calls above 1.1 q and above
 * 0.9 q. z = 4.252833802919111 (by hand as above, pb = 50.5 / 1001, pn = 100.5 / 1001). */
static void fill_slower(void)
{
    memset(hist_a, 0, sizeof(hist_a));
    memset(hist_b, 0, sizeof(hist_b));
    hist_a[B5] = 950;
    hist_a[B2048] = 50;
    hist_b[B5] = 900;
    hist_b[B4096] = 100;
}

static void test_p95_regression(void **state)
{
    (void)state;
    struct rd_test t;
    fill_slower();
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_b, 1000, 2048.0, 0.10, 0.99, 0, &t), 0);
    assert_close(t.q_ns, 2048, 0);
    assert_close(t.share_base, 0.05, 1e-15);
    assert_close(t.share_up, 0.10, 1e-15);
    assert_close(t.share_down, 0.10, 1e-15);
    assert_close(t.p_up, 1.0554111786964526e-05, 1e-12);
    assert_close(t.p_down, 0.999989445888213, 1e-12);
    assert_int_equal(t.verdict, DS_REGRESSION);
    assert_close(t.confidence, 1.0 - 1.0554111786964526e-05, 1e-12);
    /* The same data at 99.999 % confidence: p 1.06e-5 is not below 1e-5. */
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_b, 1000, 2048.0, 0.10, 0.99999, 0, &t), 0);
    assert_int_equal(t.verdict, DS_UNCHANGED);
    /* A threshold of 150 %: the 100 new tail calls all lie below 2.5 q = 5120 (their bucket ends
     * at 4352), so the rise is not beyond the threshold. */
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_b, 1000, 2048.0, 1.5, 0.99, 0, &t), 0);
    assert_close(t.share_up, 0, 0);
    assert_close(t.p_down, 1.0, 0); /* no fall of 100 % or more */
    assert_int_equal(t.verdict, DS_UNCHANGED);
}

/* Run-to-run noise: with run_sd = 0.08 sqrt 2 (8 % per run, one run a side) the test points move
 * out by exp(2.3263478740408408 * 0.08 * sqrt 2) = 1.30108: a tail 25 % slower ([2560, 2688),
 * bucket 132) is a regression without the allowance, not with it (1.1 * 1.3011 * 2048 = 2931). */
static void test_p95_run_noise(void **state)
{
    (void)state;
    struct rd_test t;
    fill_slower();
    hist_b[B4096] = 0;
    hist_b[B2048 + 4] = 100;
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_b, 1000, 2048.0, 0.10, 0.99, 0, &t), 0);
    assert_close(t.margin, 1.0, 0);
    assert_close(t.p_up, 1.0554111786964526e-05, 1e-12);
    assert_int_equal(t.verdict, DS_REGRESSION);
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_b, 1000, 2048.0, 0.10, 0.99, 0.08 * sqrt(2.0),
                                 &t), 0);
    assert_close(t.margin, MARGIN_8PCT, 1e-9);
    assert_close(t.share_up, 0, 0);
    assert_int_equal(t.verdict, DS_UNCHANGED);
}

static void test_p95_improvement(void **state)
{
    (void)state;
    struct rd_test t;
    fill_slower();
    /* Reverse: base is the slower side, q = 4096: 100 base calls above q, no new call above
     * 0.9 q = 3686.4. z = (0 - 0.1) / sqrt(pb (1 - pb) / 1000 + pn (1 - pn) / 1000),
     * pb = 100.5 / 1001, pn = 0.5 / 1001: -10.493302387872188, p = Phi(z) = 4.636e-26. */
    assert_int_equal(rd_test_p95(hist_b, 1000, hist_a, 1000, 4096.0, 0.10, 0.99, 0, &t), 0);
    assert_close(t.share_base, 0.10, 1e-15);
    assert_close(t.share_down, 0, 0);
    assert_close(t.p_down, 4.636477123104865e-26, 1e-30);
    assert_int_equal(t.verdict, DS_IMPROVEMENT);
    assert_close(t.confidence, 1.0, 1e-15);
}

static void test_p95_unchanged(void **state)
{
    (void)state;
    struct rd_test t;
    fill_slower();
    /* Identical sides, q in the middle of the tail's bucket: 25 base calls above q (half the
     * bucket), none above 1.1 q = 2323.2, all 50 above 0.9 q: neither test rejects. */
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_a, 1000, 2112.0, 0.10, 0.99, 0, &t), 0);
    assert_close(t.share_base, 0.025, 1e-15);
    assert_close(t.share_up, 0, 0);
    assert_close(t.share_down, 0.05, 1e-15);
    assert_true(t.p_up > 0.5 && t.p_down > 0.5);
    assert_int_equal(t.verdict, DS_UNCHANGED);
    /* A rise within the threshold: tail calls 5 % longer (q 2000 -> the same bucket, split). With
     * threshold 5 %: q_up = 2100, 50 * (2176 - 2100) / 128 = 29.6875 new calls above it. */
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_a, 1000, 2000.0, 0.05, 0.99, 0, &t), 0);
    assert_close(t.share_base, 0.05, 1e-15);
    assert_close(t.share_up, 0.0296875, 1e-15);
    assert_int_equal(t.verdict, DS_UNCHANGED);
    /* Invalid arguments. */
    assert_int_equal(rd_test_p95(hist_a, 0, hist_a, 1000, 2000.0, 0.05, 0.99, 0, &t), -1);
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_a, 1000, 2000.0, 0, 0.99, 0, &t), -1);
    assert_int_equal(rd_test_p95(hist_a, 1000, hist_a, 1000, 2000.0, 0.1, 1.0, 0, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_above),
        cmocka_unit_test(test_share_z),
        cmocka_unit_test(test_p95_regression),
        cmocka_unit_test(test_p95_run_noise),
        cmocka_unit_test(test_p95_improvement),
        cmocka_unit_test(test_p95_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
