/* SPDX-License-Identifier: MIT */
/* Benchmark workload: N threads, each descending a recursive chain of D noinline frames to a burst of
 * arithmetic, for a fixed total number of iterations (never timed: CPU time is what is measured). */

/*
 * Usage: workload [-t THREADS] [-d DEPTH] [-s CPU_SECONDS]
 *   THREADS      worker threads (1..64, default 1); the main thread only waits
 *   DEPTH        frames of `descend` between the thread's start routine and the arithmetic (1..1000,
 *                default 10); every sample taken in the arithmetic has at least DEPTH + 2 frames
 *   CPU_SECONDS  total work, split evenly between the threads, in approximate CPU seconds of this
 *                machine (default 1; the iteration count is fixed from it, not a deadline)
 *
 * The arithmetic is done in bursts of BURST iterations (about a millisecond); each burst is reached
 * through a fresh descent, so the stack shape is steady: nearly every sample sees the full chain.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LCG iterations per CPU second, measured by hand on the development machine (2-core VM, gcc 12
 * -O2, the same loop as examples/work532.c). Only the product matters, not its accuracy. */
#define ITERS_PER_SECOND 860000000ull
#define BURST (1u << 20)

struct worker {
    pthread_t thread;
    unsigned depth;
    uint64_t bursts;
    uint64_t result;
};

/* The arithmetic at the bottom: a serial LCG chain the compiler cannot shorten or vectorize. */
__attribute__((noinline)) static uint64_t burst(uint64_t seed)
{
    uint64_t x = seed, acc = 0;
    for (unsigned i = 0; i < BURST; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc += x >> 33;
    }
    return acc;
}

/* One frame of the chain. The result is used after the call, so the recursion is not a tail call
 * and every level keeps its frame; the volatile read stops the compiler from unrolling it. */
__attribute__((noinline)) static uint64_t descend(unsigned level, uint64_t seed)
{
    static volatile unsigned one = 1;
    uint64_t r = level <= 1 ? burst(seed) : descend(level - one, seed + level);
    return r ^ (r >> 11) ^ level;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < w->bursts; i++)
        acc += descend(w->depth, acc + i);
    w->result = acc;
    return NULL;
}

static unsigned long parse_num(const char *s, unsigned long lo, unsigned long hi, const char *what)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "workload: %s must be %lu..%lu, got '%s'\n", what, lo, hi, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    unsigned threads = 1, depth = 10;
    double seconds = 1.0;
    int opt;
    while ((opt = getopt(argc, argv, "t:d:s:")) != -1) {
        switch (opt) {
        case 't': threads = (unsigned)parse_num(optarg, 1, 64, "THREADS"); break;
        case 'd': depth = (unsigned)parse_num(optarg, 1, 1000, "DEPTH"); break;
        case 's': {
            char *end;
            seconds = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(seconds > 0.0) || seconds > 3600.0) {
                fprintf(stderr, "workload: CPU_SECONDS must be in (0, 3600], got '%s'\n", optarg);
                return 2;
            }
            break;
        }
        default:
            fprintf(stderr, "usage: %s [-t THREADS] [-d DEPTH] [-s CPU_SECONDS]\n", argv[0]);
            return 2;
        }
    }

    uint64_t total_bursts = (uint64_t)(seconds * (double)ITERS_PER_SECOND / BURST);
    if (total_bursts < threads)
        total_bursts = threads;
    struct worker *w = calloc(threads, sizeof(*w));
    if (!w) {
        perror("workload: calloc");
        return 1;
    }
    for (unsigned i = 0; i < threads; i++) {
        w[i].depth = depth;
        w[i].bursts = total_bursts / threads;
        int e = pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
        if (e != 0) {
            fprintf(stderr, "workload: pthread_create: %s\n", strerror(e));
            return 1;
        }
    }
    uint64_t acc = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        acc ^= w[i].result;
    }
    printf("workload: threads=%u depth=%u bursts=%llu result=%016llx\n", threads, depth,
           (unsigned long long)(total_bursts / threads * threads), (unsigned long long)acc);
    free(w);
    return 0;
}
