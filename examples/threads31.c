/* SPDX-License-Identifier: MIT */
/* Example with known ground truth: threads "heavy" and "light" run one kernel concurrently, 3:1. */

/*
 * Ground truth:
 *   per-thread CPU (and so cpu-mode sample weight): heavy 75 %, light 25 % of the two threads
 *   heavy runs ~1.5 s of CPU, light ~0.5 s at the default scale, in ROUNDS rounds that start
 *   together (a barrier): in each round light does 1 unit and waits, heavy does 3 units. So both
 *   threads work through the same stretch of wall time, and a slowdown of the machine for a while
 *   falls on both alike instead of on whichever thread happened to run then; waiting at the
 *   barrier sleeps, using no CPU.
 *   main only creates and joins them: ~0 % of the samples
 *   Each thread also prints the CPU time the kernel charged it (cpu_s=): on a loaded or
 *   virtualised host that can drift from the plan, and it is what a CPU profile must match.
 * Usage: threads31 [SCALE]  -- multiplies the work (default 1).
 * Each thread names itself first, before it does any work, so a profiler that reads the name
 * when the thread starts or at any later time sees the final name.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Kernel iterations per CPU second, calibrated by hand once (same kernel as work532.c). */
#define ITERS_PER_SECOND 860000000ull

#define ROUNDS 30

static pthread_barrier_t round_start;

struct job {
    const char *name;   /* thread name, at most 15 bytes */
    uint64_t iters;     /* fixed amount of work per round */
    uint64_t result;    /* printed by main so the work cannot be optimized away */
    double cpu_s;       /* the thread's own CPU time, as the kernel accounted it */
    int rc;             /* pthread_setname_np result */
};

__attribute__((noinline)) uint64_t kernel_loop(uint64_t n, uint64_t seed)
{
    uint64_t x = seed;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {                        /* HOT */
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* HOT */
        acc += x >> 33;                                         /* HOT */
    }
    return acc;
}

static void *thread_main(void *arg)
{
    struct job *job = arg;
    job->rc = pthread_setname_np(pthread_self(), job->name);
    uint64_t acc = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_barrier_wait(&round_start);
        uint64_t r = kernel_loop(job->iters, (uint64_t)(uintptr_t)job + (uint64_t)round);
        acc ^= r ^ (r >> 11);
    }
    job->result = acc;
    /* The planned 3:1 holds in iterations; in CPU time it holds only as far as the machine let
     * both threads run at one speed (a busy or virtualised host can stall one of them for a
     * while, and the stall counts as its CPU time). The measured time is what samples follow. */
    struct timespec cpu;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
    job->cpu_s = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
    return NULL;
}

int main(int argc, char **argv)
{
    double scale = 1.0;
    if (argc > 1) {
        char *end;
        scale = strtod(argv[1], &end);
        if (end == argv[1] || *end != '\0' || !(scale > 0.0) || scale > 1000.0) {
            fprintf(stderr, "usage: %s [SCALE]  (0 < SCALE <= 1000)\n", argv[0]);
            return 2;
        }
    }
    /* light: 0.5 s of CPU per unit of scale; heavy: exactly three times the iterations. */
    uint64_t light_iters = (uint64_t)(scale * 0.5 * (double)ITERS_PER_SECOND / ROUNDS);
    if (light_iters == 0)
        light_iters = 1;
    int err = pthread_barrier_init(&round_start, NULL, 2);
    if (err != 0) {
        fprintf(stderr, "threads31: pthread_barrier_init: %s\n", strerror(err));
        return 1;
    }
    struct job jobs[2] = {
        { .name = "heavy", .iters = 3 * light_iters },
        { .name = "light", .iters = light_iters },
    };
    pthread_t tids[2];
    for (int i = 0; i < 2; i++) {
        err = pthread_create(&tids[i], NULL, thread_main, &jobs[i]);
        if (err != 0) {
            fprintf(stderr, "threads31: pthread_create: %s\n", strerror(err));
            return 1;
        }
    }
    for (int i = 0; i < 2; i++)
        pthread_join(tids[i], NULL);
    pthread_barrier_destroy(&round_start);
    for (int i = 0; i < 2; i++) {
        if (jobs[i].rc != 0)
            fprintf(stderr, "threads31: pthread_setname_np(%s): %s\n", jobs[i].name,
                    strerror(jobs[i].rc));
        printf("threads31: %s iters=%llu rounds=%d cpu_s=%.4f result=%016llx\n", jobs[i].name,
               (unsigned long long)jobs[i].iters, ROUNDS, jobs[i].cpu_s,
               (unsigned long long)jobs[i].result);
    }
    return 0;
}
