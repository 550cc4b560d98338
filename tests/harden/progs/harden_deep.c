/* SPDX-License-Identifier: MIT */
/* Spins for the given seconds of CPU time at the bottom of a 200-frame recursion, so every sample
 * is a deep (large) stack: with a tiny ring and a high rate the ring overflows. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile unsigned long deep_sink;

/* noinline + work after the call: a real frame per level (no tail call). */
__attribute__((noinline)) static unsigned long deep_descend(int depth, double seconds)
{
    if (depth == 0) {
        unsigned long x = 1;
        while (cpu_now() < seconds)
            for (int i = 0; i < 100000; i++)
                x = x * 6364136223846793005ul + 1;
        return x;
    }
    unsigned long r = deep_descend(depth - 1, seconds);
    deep_sink += (unsigned long)depth;
    return r + (unsigned long)depth;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.5;
    unsigned long r = deep_descend(200, seconds);
    printf("harden_deep: done %lu\n", r & 1);
    return 0;
}
