/* SPDX-License-Identifier: MIT */
/* Runtime configuration: PROF_* parsing with defaults and warnings, output path expansion,
 * and stack deduplication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_defaults(void **state)
{
    (void)state;
    unsetenv("PROF_HZ");
    unsetenv("PROF_OUT");
    unsetenv("PROF_MODE");
    struct prof_config c;
    config_from_env(&c);
    assert_int_equal(c.hz, 100);
    assert_int_equal(c.modes, FMT_MODE_CPU);
    assert_int_equal(c.max_depth, 256);
    assert_int_equal(c.flush_ms, 1000);
    assert_string_equal(c.out_pattern, "%e.%p.prof");
}

static void test_valid_and_invalid_values(void **state)
{
    (void)state;
    struct prof_config c;
    setenv("PROF_HZ", "5000", 1);
    setenv("PROF_TIMER", "cputime", 1);
    setenv("PROF_UNWIND", "fp", 1);
    config_from_env(&c);
    assert_int_equal(c.hz, 5000);
    assert_int_equal(c.timer, FMT_TIMER_CPUTIME);
    assert_int_equal(c.unwinder, FMT_UNWIND_FP);

    setenv("PROF_HZ", "fast", 1); /* invalid: the default is kept */
    setenv("PROF_TIMER", "sundial", 1);
    setenv("PROF_MODE", "everything", 1);
    setenv("PROF_FLUSH_MS", "-5", 1);
    config_from_env(&c);
    assert_int_equal(c.hz, 100);
    assert_int_equal(c.timer, FMT_TIMER_NONE);
    assert_int_equal(c.modes, FMT_MODE_CPU);
    assert_int_equal(c.flush_ms, 1000);
    setenv("PROF_HZ", "100001", 1);
    config_from_env(&c);
    assert_int_equal(c.hz, 100);
    unsetenv("PROF_HZ");
    unsetenv("PROF_TIMER");
    unsetenv("PROF_UNWIND");
    unsetenv("PROF_MODE");
    unsetenv("PROF_FLUSH_MS");
}

static void test_expand_path(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(config_expand_path("%e.%p.prof", 42, "/usr/bin/xz", out, sizeof(out)), 0);
    assert_string_equal(out, "xz.42.prof");
    assert_int_equal(config_expand_path("/tmp/a%%b-%p", 7, "x", out, sizeof(out)), 0);
    assert_string_equal(out, "/tmp/a%b-7");
    assert_int_equal(config_expand_path("%e%e%e%e%e%e%e%e%e%e", 1, "abcdefghij", out, sizeof(out)),
                     -ENAMETOOLONG);
}

static void test_stack_dedup(void **state)
{
    (void)state;
    struct stacktab *t = stacktab_new();
    uint64_t a[3] = {1, 2, 3}, b[3] = {1, 2, 4};
    int is_new;
    uint64_t ida = stacktab_intern(t, a, 3, 0, &is_new);
    assert_true(is_new);
    assert_int_equal(stacktab_intern(t, a, 3, 0, &is_new), ida);
    assert_false(is_new);
    assert_int_not_equal(stacktab_intern(t, b, 3, 0, &is_new), ida);
    assert_true(is_new);
    /* Same frames but truncated: a different stack. */
    assert_int_not_equal(stacktab_intern(t, a, 3, FMT_STACK_TRUNCATED, &is_new), ida);
    /* Growth keeps ids stable. */
    for (uint64_t i = 0; i < 10000; i++) {
        uint64_t f[2] = {i, i + 1};
        stacktab_intern(t, f, 2, 0, &is_new);
    }
    assert_int_equal(stacktab_intern(t, a, 3, 0, &is_new), ida);
    assert_false(is_new);
    stacktab_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_valid_and_invalid_values),
        cmocka_unit_test(test_expand_path),
        cmocka_unit_test(test_stack_dedup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
