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
 * really happened even on a loaded machine; and, for the requests over 1.5 ms, "measured
 * over_1500us requests=K cpu_ns=.. slow_part_cpu_ns=.. fast_part_cpu_ns=.." (their CPU time, in all
 * and in each part: what their CPU samples should show). Without libprof.so the region calls cost a test of one
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

static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The CPU time of one request, in all and in its slow_part or fast_part: CPU samples fall in
 * proportion to it, whatever preemption does to the request's wall duration. */
struct request_cpu {
    uint64_t total, slow_part, fast_part;
};

/* One request; returns its parse time through *parse_ns and its CPU time through *cpu. */
static void handle_request(unsigned i, uint64_t *parse_ns, struct request_cpu *cpu)
{
    PROF_REGION("request"); /* closed when the function returns */
    uint64_t c0 = thread_cpu_ns();
    uint64_t t0 = now_ns();
    prof_region_begin("parse");
    parse_part(PARSE_US * 1000u);
    prof_region_end();
    *parse_ns = now_ns() - t0;
    uint64_t c1 = thread_cpu_ns();
    *cpu = (struct request_cpu){0};
    if (i % 10 == 9)
        slow_part(2000000u + (uint64_t)(i / 10 % 100) * 40000u);
    else
        fast_part(FAST_US * 1000u);
    uint64_t c2 = thread_cpu_ns();
    if (i % 10 == 9)
        cpu->slow_part = c2 - c1;
    else
        cpu->fast_part = c2 - c1;
    cpu->total = c2 - c0;
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
    /* Requests over SLOW_NS: the slow ones, and on a loaded machine also fast ones that were
     * preempted. What their CPU time holds is what a slow-request filter must find. */
    enum { SLOW_NS = 1500000 };
    size_t over = 0;
    struct request_cpu over_cpu = {0};
    for (size_t i = 0; i < n; i++) {
        struct request_cpu cpu;
        uint64_t t0 = now_ns();
        handle_request((unsigned)i, &parse[i], &cpu);
        req[i] = now_ns() - t0;
        if (req[i] > SLOW_NS) {
            over++;
            over_cpu.total += cpu.total;
            over_cpu.slow_part += cpu.slow_part;
            over_cpu.fast_part += cpu.fast_part;
        }
    }
    printf("measured over_1500us requests=%zu cpu_ns=%llu slow_part_cpu_ns=%llu fast_part_cpu_ns=%llu\n",
           over, (unsigned long long)over_cpu.total, (unsigned long long)over_cpu.slow_part,
           (unsigned long long)over_cpu.fast_part);
    print_measured("request", req, n);
    print_measured("parse", parse, n);
    free(req);
    free(parse);
    return 0;
}
