/* SPDX-License-Identifier: MIT */
/* Cost of an empty prof_region_begin/prof_region_end pair: N pairs (argv[1], default 20 million)
 * timed with CLOCK_MONOTONIC, the best of R rounds (argv[2], default 5), minus an empty loop of
 * the same length. Prints "loaded=0|1 ns_per_pair=X". With libprof.so preloaded the pair goes
 * through the runtime (per-thread stack, node cache, clock reads, statistics); without it each
 * call is the weak-symbol test of include/prof/prof.h. */
#include <prof/prof.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

__attribute__((noinline)) static void pairs(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        prof_region_begin("bench");
        prof_region_end();
    }
}

__attribute__((noinline)) static void empty(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        __asm__ volatile("" ::: "memory"); /* the loop is kept, as with the calls */
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000000ul;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    double best = 1e30, best_empty = 1e30;
    for (int r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        pairs(n);
        uint64_t t1 = now_ns();
        empty(n);
        uint64_t t2 = now_ns();
        double a = (double)(t1 - t0) / (double)n, b = (double)(t2 - t1) / (double)n;
        if (a < best)
            best = a;
        if (b < best_empty)
            best_empty = b;
    }
    printf("loaded=%d ns_per_pair=%.2f (loop %.2f ns subtracted)\n", prof__region_begin ? 1 : 0,
           best - best_empty, best_empty);
    return 0;
}
