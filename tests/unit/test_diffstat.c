/* SPDX-License-Identifier: MIT */
/* Unit tests for profdiff's statistics (tools/profdiff/diffstat.c) against textbook values and
 * values computed by hand from the formulas in docs/profdiff.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

/* The statistics module is part of the profdiff executable, not of a library: build it in. */
#include "../../tools/profdiff/diffstat.c"

#define assert_close(a, b, tol)                                                                    \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

static void test_norm_cdf(void **state)
{
    (void)state;
    assert_close(ds_norm_cdf(0.0), 0.5, 1e-15);
    assert_close(ds_norm_cdf(1.959963984540054), 0.975, 1e-12);
    assert_close(ds_norm_cdf(-2.3263478740408408), 0.01, 1e-12);
    /* Deep tail: 1 - Phi(6) = 9.8658765e-10 (tables). */
    assert_close(ds_norm_cdf(-6.0), 9.865876450376946e-10, 1e-20);
}

static void test_norm_quantile(void **state)
{
    (void)state;
    assert_close(ds_norm_quantile(0.5), 0.0, 1e-12);
    assert_close(ds_norm_quantile(0.975), 1.959963984540054, 1e-9);
    assert_close(ds_norm_quantile(0.99), 2.3263478740408408, 1e-9);
    assert_close(ds_norm_quantile(0.001), -3.090232306167813, 1e-9);
    assert_close(ds_norm_quantile(1e-10), -6.361340902404056, 1e-8);
    for (double p = 0.001; p < 1.0; p += 0.0737)
        assert_close(ds_norm_cdf(ds_norm_quantile(p)), p, 1e-12);
    assert_true(isnan(ds_norm_quantile(1.5)));
    assert_true(isinf(ds_norm_quantile(0.0)) && ds_norm_quantile(0.0) < 0);
}

static void test_var(void **state)
{
    (void)state;
    struct ds_var v = {0};
    assert_close(ds_var_value(&v), 0.0, 0);
    const double one[] = {5.0};
    ds_var_add(&v, one, 1, 0.5); /* one run: no degree of freedom */
    assert_int_equal(v.df, 0);
    /* logs 1 and 3: mean 2, squared deviations 1 + 1, df 1. */
    const double a[] = {exp(1.0), exp(3.0)};
    ds_var_add(&v, a, 2, 0.5);
    assert_int_equal(v.df, 1);
    assert_close(ds_var_value(&v), 2.0, 1e-12);
    /* A second side of three equal runs adds df 2 and no deviation: pooled 2 / 3. */
    const double b[] = {4.0, 4.0, 4.0};
    ds_var_add(&v, b, 3, 0.5);
    assert_int_equal(v.df, 3);
    assert_close(ds_var_value(&v), 2.0 / 3.0, 1e-12);
    /* A run without samples counts as the floor value: logs of {e, 0 -> e^-1}: var 2. */
    struct ds_var w = {0};
    const double c[] = {exp(1.0), 0.0};
    ds_var_add(&w, c, 2, exp(-1.0));
    assert_close(ds_var_value(&w), 2.0, 1e-12);
}

static void test_doubling_is_regression(void **state)
{
    (void)state;
    /* 100 samples each, 1 s -> 2 s, no run noise: sd = sqrt(1/100 + 1/100) = 0.1414213562373095,
     * z = (ln 2 - ln 1.1) / sd = 4.227345972785264, p = 1 - Phi(z) = 1.182319684835028e-05. */
    struct ds_side b = {1.0, 100, 1}, n = {2.0, 100, 1};
    struct ds_result r;
    assert_int_equal(ds_test(&b, &n, 0.0, 0.10, 0.99, &r), 0);
    assert_close(r.ratio, 2.0, 1e-15);
    assert_close(r.change_pct, 100.0, 1e-12);
    assert_close(r.sd_log, 0.1414213562373095, 1e-15);
    assert_close(r.p_up, 1.182319684835028e-05, 1e-15);
    assert_close(r.confidence, 1.0 - 1.182319684835028e-05, 1e-15);
    assert_int_equal(r.verdict, DS_REGRESSION);
    /* Run noise 8 % per run: sd = sqrt(0.02 + 2 * 0.0064) = 0.18110770276274835,
     * p = 0.0004816999199751736: still a regression. */
    assert_int_equal(ds_test(&b, &n, 0.0064, 0.10, 0.99, &r), 0);
    assert_close(r.sd_log, 0.18110770276274835, 1e-15);
    assert_close(r.p_up, 0.0004816999199751736, 1e-13);
    assert_int_equal(r.verdict, DS_REGRESSION);
    /* Demanding 99.99 % confidence makes it not significant. */
    assert_int_equal(ds_test(&b, &n, 0.0064, 0.10, 0.9999, &r), 0);
    assert_int_equal(r.verdict, DS_UNCHANGED);
    /* A threshold of 150 % is not exceeded by a doubling. */
    assert_int_equal(ds_test(&b, &n, 0.0, 1.5, 0.99, &r), 0);
    assert_int_equal(r.verdict, DS_UNCHANGED);
    assert_true(r.p_up > 0.5);
    assert_close(r.p_down, 1.0, 0); /* a fall of 150 % cannot happen */
}

static void test_halving_is_improvement(void **state)
{
    (void)state;
    /* 2 s -> 1 s: p_down = Phi((ln 0.5 - ln 0.9) / 0.1414...) = 1.6173612678935173e-05. */
    struct ds_side b = {2.0, 100, 1}, n = {1.0, 100, 1};
    struct ds_result r;
    assert_int_equal(ds_test(&b, &n, 0.0, 0.10, 0.99, &r), 0);
    assert_close(r.change_pct, -50.0, 1e-12);
    assert_close(r.p_down, 1.6173612678935173e-05, 1e-15);
    assert_true(r.p_up > 0.999);
    assert_int_equal(r.verdict, DS_IMPROVEMENT);
    assert_close(r.confidence, 1.0 - 1.6173612678935173e-05, 1e-15);
}

static void test_at_threshold_is_not_flagged(void **state)
{
    (void)state;
    /* A change of exactly the threshold: z = 0, p = 0.5, however many samples. */
    struct ds_side b = {1.0, 1e9, 1}, n = {1.1, 1e9, 1};
    struct ds_result r;
    assert_int_equal(ds_test(&b, &n, 0.0, 0.10, 0.99, &r), 0);
    assert_close(r.p_up, 0.5, 1e-9);
    assert_int_equal(r.verdict, DS_UNCHANGED);
}

static void test_several_runs(void **state)
{
    (void)state;
    /* 3 base runs (300 samples), 2 new runs (200), run variance 0.01, +30 %:
     * sd = sqrt(1/300 + 1/200 + 0.01 * (1/3 + 1/2)) = 0.12909944487358055,
     * p = 1 - Phi((ln 1.3 - ln 1.1) / sd) = 0.09783350906870719: not significant. */
    struct ds_side b = {1.0, 300, 3}, n = {1.3, 200, 2};
    struct ds_result r;
    assert_int_equal(ds_test(&b, &n, 0.01, 0.10, 0.99, &r), 0);
    assert_close(r.sd_log, 0.12909944487358055, 1e-15);
    assert_close(r.p_up, 0.09783350906870719, 1e-13);
    assert_int_equal(r.verdict, DS_UNCHANGED);
    /* At 90 % confidence it is. */
    assert_int_equal(ds_test(&b, &n, 0.01, 0.10, 0.90, &r), 0);
    assert_int_equal(r.verdict, DS_REGRESSION);
}

static void test_invalid(void **state)
{
    (void)state;
    struct ds_side ok = {1.0, 10, 1}, zero = {0.0, 10, 1}, noruns = {1.0, 10, 0};
    struct ds_result r = {.ratio = 42};
    assert_int_equal(ds_test(&zero, &ok, 0, 0.1, 0.99, &r), -1);
    assert_int_equal(ds_test(&ok, &noruns, 0, 0.1, 0.99, &r), -1);
    assert_int_equal(ds_test(&ok, &ok, -1, 0.1, 0.99, &r), -1);
    assert_int_equal(ds_test(&ok, &ok, 0, 0.0, 0.99, &r), -1);
    assert_int_equal(ds_test(&ok, &ok, 0, 0.1, 1.0, &r), -1);
    assert_close(r.ratio, 42, 0); /* untouched */
}

static void test_presence(void **state)
{
    (void)state;
    assert_close(ds_presence_confidence(5, 1, 1), 0.9932620530009145, 1e-15);
    /* Seen 5 times in 1 run, absent from 2 runs: expected 10 there. */
    assert_close(ds_presence_confidence(5, 1, 2), 0.9999546000702375, 1e-15);
    assert_close(ds_presence_confidence(0, 1, 1), 0.0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_norm_cdf),
        cmocka_unit_test(test_norm_quantile),
        cmocka_unit_test(test_var),
        cmocka_unit_test(test_doubling_is_regression),
        cmocka_unit_test(test_halving_is_improvement),
        cmocka_unit_test(test_at_threshold_is_not_flagged),
        cmocka_unit_test(test_several_runs),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_presence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
