/* SPDX-License-Identifier: MIT */
/* Benchmark program for the cost of the blocking-call wrappers: COUNT calls of poll() with a zero
 * timeout on an empty pipe (a wrapped call that returns at once: all wrapper, no wait), timed with
 * CLOCK_MONOTONIC. Prints "wall_calls: calls=N ns_per_call=X". bench_wall_calls.sh compares runs
 * without the profiler, in cpu mode and in wall mode. Usage: wall_calls [COUNT] */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    long count = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
    int p[2];
    if (count <= 0 || pipe(p) != 0) {
        fprintf(stderr, "usage: wall_calls [COUNT > 0]\n");
        return 2;
    }
    struct pollfd f = {.fd = p[0], .events = POLLIN};
    long ready = 0;
    double t0 = mono_ns();
    for (long i = 0; i < count; i++)
        ready += poll(&f, 1, 0);
    double t1 = mono_ns();
    printf("wall_calls: calls=%ld ns_per_call=%.1f ready=%ld\n", count, (t1 - t0) / (double)count,
           ready);
    return 0;
}
