/* SPDX-License-Identifier: MIT */
/* Ring buffer: order, wrap-around, full-ring drops, and a concurrent producer/consumer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runtime.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

static void test_put_get_in_order(void **state)
{
    (void)state;
    struct ring *r = ring_new(4096);
    assert_non_null(r);
    for (uint32_t i = 0; i < 10; i++) {
        uint32_t v = i * 7;
        assert_int_equal(ring_put(r, &i, sizeof(i), &v, sizeof(v)), 0);
    }
    for (uint32_t i = 0; i < 10; i++) {
        uint32_t buf[2];
        assert_int_equal(ring_get(r, buf, sizeof(buf)), 8);
        assert_int_equal(buf[0], i);
        assert_int_equal(buf[1], i * 7);
    }
    uint32_t buf[2];
    assert_int_equal(ring_get(r, buf, sizeof(buf)), 0);
    ring_free(r);
}

static void test_full_ring_refuses_and_recovers(void **state)
{
    (void)state;
    struct ring *r = ring_new(4096);
    uint8_t entry[100];
    memset(entry, 0xab, sizeof(entry));
    int stored = 0;
    while (ring_put(r, entry, sizeof(entry), NULL, 0) == 0)
        stored++;
    /* 100 bytes + 8 prefix, padded to 112: 4096 / 112 = 36 entries fit. */
    assert_int_equal(stored, 4096 / 112);
    uint8_t out[128];
    assert_int_equal(ring_get(r, out, sizeof(out)), 100);
    assert_int_equal(ring_put(r, entry, sizeof(entry), NULL, 0), 0);
    assert_int_equal(ring_put(r, entry, sizeof(entry), NULL, 0), -1);
    ring_free(r);
}

/* Entries of varying size cross the end of the buffer many times and come out intact. */
static void test_wraparound_keeps_bytes(void **state)
{
    (void)state;
    struct ring *r = ring_new(4096);
    uint8_t in[700], out[700];
    for (int round = 0; round < 2000; round++) {
        size_t len = 1 + (size_t)(round * 37) % sizeof(in);
        for (size_t i = 0; i < len; i++)
            in[i] = (uint8_t)(round + i);
        size_t split = len / 3;
        assert_int_equal(ring_put(r, in, split, in + split, len - split), 0);
        assert_int_equal(ring_get(r, out, sizeof(out)), len);
        assert_memory_equal(in, out, len);
    }
    ring_free(r);
}

static void test_oversized_entry_is_reported_not_copied(void **state)
{
    (void)state;
    struct ring *r = ring_new(4096);
    uint8_t in[300] = {1}, out[100];
    assert_int_equal(ring_put(r, in, sizeof(in), NULL, 0), 0);
    assert_int_equal(ring_get(r, out, sizeof(out)), 300); /* > cap: caller knows it was dropped */
    assert_int_equal(ring_get(r, out, sizeof(out)), 0);
    ring_free(r);
}

/* One producer, one consumer, a small ring: every entry is either received in order or counted
 * as dropped, never corrupted, duplicated or lost without a count. */
#define CONCURRENT_N 2000000
struct concurrent {
    struct ring *r;
    _Atomic int done;
    uint64_t dropped;
};

static void *producer(void *p)
{
    struct concurrent *c = p;
    for (uint64_t i = 0; i < CONCURRENT_N; i++) {
        uint64_t payload[3] = {i, ~i, i * 3};
        size_t n = 1 + i % 3;
        if (ring_put(c->r, &n, sizeof(n), payload, n * sizeof(uint64_t)) != 0)
            c->dropped++;
    }
    atomic_store(&c->done, 1);
    return NULL;
}

static void test_concurrent_producer_consumer(void **state)
{
    (void)state;
    struct concurrent c = {.r = ring_new(8192)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, &c), 0);
    uint64_t received = 0, last = 0;
    int first = 1;
    for (;;) {
        uint64_t buf[4];
        /* done is read before the ring: once the producer has finished, an empty ring is final
         * (its last release of head happened before it set done). */
        int done = atomic_load(&c.done);
        size_t len = ring_get(c.r, buf, sizeof(buf));
        if (len == 0) {
            if (done)
                break;
            continue;
        }
        size_t n = (size_t)buf[0];
        assert_true(n >= 1 && n <= 3);
        assert_int_equal(len, sizeof(uint64_t) * (1 + n));
        uint64_t i = buf[1];
        assert_int_equal(n, 1 + i % 3);
        if (n > 1)
            assert_true(buf[2] == ~i);
        if (n > 2)
            assert_true(buf[3] == i * 3);
        assert_true(first || i > last);
        first = 0;
        last = i;
        received++;
    }
    pthread_join(t, NULL);
    assert_int_equal(received + c.dropped, CONCURRENT_N);
    assert_true(received > 0);
    ring_free(c.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_in_order),
        cmocka_unit_test(test_full_ring_refuses_and_recovers),
        cmocka_unit_test(test_wraparound_keeps_bytes),
        cmocka_unit_test(test_oversized_entry_is_reported_not_copied),
        cmocka_unit_test(test_concurrent_producer_consumer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
