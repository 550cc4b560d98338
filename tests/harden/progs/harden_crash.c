/* SPDX-License-Identifier: MIT */
/* Burns CPU for the given seconds of its own CPU time, reports how long it ran, then dies of SIGSEGV
 * (or, with "spin", keeps burning until killed). Used by tests/harden/test_crash_data.sh. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Kept out of line so that samples land in a named function. */
__attribute__((noinline)) static unsigned long crash_work(unsigned long x, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        x = x * 6364136223846793005ul + 1442695040888963407ul;
    return x;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    int spin = argc > 2 && strcmp(argv[2], "spin") == 0;
    double wall0 = now(CLOCK_MONOTONIC);
    volatile unsigned long sink = 1;
    printf("harden_crash: working\n");
    fflush(stdout);
    while (spin || now(CLOCK_PROCESS_CPUTIME_ID) < seconds)
        sink = crash_work(sink, 1000000);
    /* What the test compares the profile with: CPU seconds and wall seconds since main. */
    printf("harden_crash: cpu %.3f wall %.3f\n", now(CLOCK_PROCESS_CPUTIME_ID),
           now(CLOCK_MONOTONIC) - wall0);
    fflush(stdout);
    volatile int *null = NULL;
    *null = (int)sink; /* SIGSEGV */
    return 0;
}
