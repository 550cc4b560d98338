/* SPDX-License-Identifier: MIT */
/* Wall-mode ground truth for how off-CPU time is classified, in two runs:
 *
 *   wall_kinds unwrapped [SECONDS]  (default 3)
 *     The main thread alternates a 4 ms wait in a raw futex system call (which libprof does not
 *     wrap: it sees a thread blocked somewhere unknown) with a 6 ms poll() (wrapped: known
 *     stack). It measures its own raw-wait time and prints
 *       wall_kinds: unwrapped_ms=U total_ms=T unwrapped_pct=P
 *     A wall profile must show P % (+- noise) as [off-CPU, unknown], the rest in poll under
 *     wait_wrapped, and no time waiting for a CPU on an idle machine.
 *
 *   wall_kinds paused
 *     A thread named "sleeper" sleeps 600 ms in nanosleep(), three times, each time while the
 *     main thread has paused the profiler (prof_stop) for 597 ms of it; main then resumes
 *     (prof_start) and sleeps 50 ms itself. Time while paused is not the profile's: the
 *     sleeper's nanosleep may show ~3 ms per round, not 600. Prints "wall_kinds: paused ok".
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <poll.h>
#include <prof/prof.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* 4 ms in the kernel, through syscall(): no libc wrapper that a profiler could interpose. */
__attribute__((noinline)) static void wait_unwrapped(void)
{
    static int word;
    struct timespec t = {0, 4000000};
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &t, NULL, 0);
}

/* Uses poll's result after the call, so the call is not a tail call: this frame stays. */
__attribute__((noinline)) static int wait_wrapped(void)
{
    return poll(NULL, 0, 6) + 1;
}

static int run_unwrapped(double seconds)
{
    double t0 = now_ms(), unwrapped = 0;
    int polls = 0;
    while (now_ms() - t0 < seconds * 1e3) {
        double a = now_ms();
        wait_unwrapped();
        unwrapped += now_ms() - a;
        polls += wait_wrapped();
    }
    double total = now_ms() - t0;
    printf("wall_kinds: unwrapped_ms=%.1f total_ms=%.1f unwrapped_pct=%.2f polls=%d\n", unwrapped,
           total, 100.0 * unwrapped / total, polls);
    return 0;
}

static pthread_barrier_t round_start;

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "sleeper");
    for (int i = 0; i < 3; i++) {
        pthread_barrier_wait(&round_start);
        struct timespec t = {0, 600000000};
        nanosleep(&t, NULL);
    }
    return NULL;
}

static int run_paused(void)
{
    pthread_t t;
    pthread_barrier_init(&round_start, NULL, 2);
    if (pthread_create(&t, NULL, sleeper, NULL) != 0)
        return 1;
    for (int i = 0; i < 3; i++) {
        prof_stop();
        pthread_barrier_wait(&round_start);
        struct timespec paused = {0, 597000000}, resumed = {0, 50000000};
        nanosleep(&paused, NULL);
        prof_start();
        nanosleep(&resumed, NULL);
    }
    pthread_join(t, NULL);
    printf("wall_kinds: paused ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "unwrapped") == 0)
        return run_unwrapped(argc > 2 ? strtod(argv[2], NULL) : 3.0);
    if (argc > 1 && strcmp(argv[1], "paused") == 0)
        return run_paused();
    fprintf(stderr, "usage: wall_kinds unwrapped [SECONDS] | wall_kinds paused\n");
    return 2;
}
