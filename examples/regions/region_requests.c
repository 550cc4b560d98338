/* SPDX-License-Identifier: MIT */
/* Regions example: a request loop with a slow tail, marked with the region API.
 *
 * Ground truth: N requests (argv[1], default 10000), each a region "request" holding a nested
 * region "parse" (PARSE_US of spinning in parse_part), then the work: every 10th request is slow
 * (slow_part spins 2 ms + (i / 10 % 100) * 40 us: 2.00 .. 5.96 ms), the others fast (fast_part
 * spins FAST_US). Spinning on CLOCK_MONOTONIC to a deadline, not sleeping, keeps the threads on
 * CPU, so CPU samples fall where the time goes. The program measures each request itself and
 * prints "measured request count=N p50_ns=.. p95_ns=.. p99_ns=.. total_ns=.." and the same for
 * "parse" (p = the ceil(q * N)-th smallest duration), so tests compare the profile with what
 * really happened even on a loaded machine. Without libprof.so the region calls cost a test of one
 * address each and do nothing. */
#include <prof/prof.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PARSE_US 50
#define FAST_US 200

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static volatile uint64_t sink;

__attribute__((noinline)) static void spin_until(uint64_t deadline)
{
    while (now_ns() < deadline)
        sink++;
}

/* The volatile store after the call keeps each part on the stack (no tail call to spin_until), and
 * its different constant keeps the compiler from folding the three identical bodies into one. */
__attribute__((noinline)) static void parse_part(uint64_t ns)
{
    spin_until(now_ns() + ns);
    sink++;
}

__attribute__((noinline)) static void fast_part(uint64_t ns)
{
    spin_until(now_ns() + ns);
    sink += 2;
}

__attribute__((noinline)) static void slow_part(uint64_t ns)
{
    spin_until(now_ns() + ns);
    sink += 3;
}

/* One request; returns its parse time through *parse_ns. */
static void handle_request(unsigned i, uint64_t *parse_ns)
{
    PROF_REGION("request"); /* closed when the function returns */
    uint64_t t0 = now_ns();
    prof_region_begin("parse");
    parse_part(PARSE_US * 1000u);
    prof_region_end();
    *parse_ns = now_ns() - t0;
    if (i % 10 == 9)
        slow_part(2000000u + (uint64_t)(i / 10 % 100) * 40000u);
    else
        fast_part(FAST_US * 1000u);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t quantile(const uint64_t *sorted, size_t n, double q)
{
    size_t rank = (size_t)(q * (double)n + 0.999999); /* ceil(q n), 1-based */
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static void print_measured(const char *name, uint64_t *d, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += d[i];
    qsort(d, n, sizeof(*d), cmp_u64);
    printf("measured %s count=%zu p50_ns=%llu p95_ns=%llu p99_ns=%llu total_ns=%llu\n", name, n,
           (unsigned long long)quantile(d, n, 0.50), (unsigned long long)quantile(d, n, 0.95),
           (unsigned long long)quantile(d, n, 0.99), (unsigned long long)total);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
    if (n == 0)
        n = 1;
    uint64_t *req = malloc(n * sizeof(*req)), *parse = malloc(n * sizeof(*parse));
    if (!req || !parse)
        return 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = now_ns();
        handle_request((unsigned)i, &parse[i]);
        req[i] = now_ns() - t0;
    }
    print_measured("request", req, n);
    print_measured("parse", parse, n);
    free(req);
    free(parse);
    return 0;
}
