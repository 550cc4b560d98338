/* SPDX-License-Identifier: MIT */
/* profdiff's region example: a request loop whose slow tail takes a duration given on the command line.
 *
 * Usage: region_variant [SLOW_US [N]]. Ground truth: N requests (default 2000), each a region
 * "request" holding a nested region "parse" (PARSE_US of spinning); then every 10th request is
 * slow: it spins SLOW_US (default 2000) times 1.00, 1.05, ... 1.45 (ten steps, by i / 10 % 10);
 * the others spin FAST_US. So 10 % of the requests are slow and the request p95 lies in the slow
 * tail, near 1.2 * SLOW_US (+ PARSE_US): running with a larger SLOW_US moves p95 and p99 by
 * that factor, leaves p50 and "parse" alone and keeps the call counts. The program prints
 * "region_variant: slow_us=S requests=N p50_ns=.. p95_ns=.. p99_ns=.." (its own measurement of
 * the requests, p = the ceil(q * N)-th smallest duration), then "planned_p50_ns=.. planned_p95_ns=..
 * planned_p99_ns=.." (the same for the planned durations). Spinning on CLOCK_MONOTONIC, not
 * sleeping, keeps the durations fixed except for what the machine adds (preemption). */
#include <prof/prof.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PARSE_US 300 /* long enough that a sampling interrupt (~50 us here) does not decide its p95 */
#define FAST_US 100

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static volatile uint64_t sink;

__attribute__((noinline)) static void spin_for(uint64_t ns)
{
    uint64_t deadline = now_ns() + ns;
    while (now_ns() < deadline)
        sink++;
}

/* The time request i is meant to spin after its parse. */
static uint64_t planned_work_ns(unsigned i, uint64_t slow_ns)
{
    return i % 10 == 9 ? slow_ns + slow_ns * (i / 10 % 10) / 20 : FAST_US * 1000u;
}

static void handle_request(unsigned i, uint64_t slow_ns)
{
    PROF_REGION("request"); /* closed when the function returns */
    prof_region_begin("parse");
    spin_for(PARSE_US * 1000u);
    prof_region_end();
    spin_for(planned_work_ns(i, slow_ns));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static unsigned long long quantile(const uint64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)(q * (double)n + 0.999999); /* ceil(q n), 1-based */
    return sorted[(rank < 1 ? 1 : rank) - 1];
}

int main(int argc, char **argv)
{
    unsigned long slow_us = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000;
    if (n == 0)
        n = 1;
    uint64_t *d = malloc(n * sizeof(*d));
    if (!d)
        return 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        handle_request((unsigned)i, (uint64_t)slow_us * 1000u);
        d[i] = now_ns() - t0;
    }
    qsort(d, n, sizeof(*d), cmp_u64);
    printf("region_variant: slow_us=%lu requests=%zu p50_ns=%llu p95_ns=%llu p99_ns=%llu", slow_us,
           n, quantile(d, n, 0.50), quantile(d, n, 0.95), quantile(d, n, 0.99));
    /* What an undisturbed machine would give: tests use it to tell a run that preemption
     * reshaped (its ground truth changed) from one the profiler measured wrongly. */
    for (size_t i = 0; i < n; i++)
        d[i] = PARSE_US * 1000u + planned_work_ns((unsigned)i, (uint64_t)slow_us * 1000u);
    qsort(d, n, sizeof(*d), cmp_u64);
    printf(" planned_p50_ns=%llu planned_p95_ns=%llu planned_p99_ns=%llu\n", quantile(d, n, 0.50),
           quantile(d, n, 0.95), quantile(d, n, 0.99));
    free(d);
    return 0;
}
