/* SPDX-License-Identifier: MIT */
/* Benchmark program for wall mode's cost: N threads idle (blocked) for S seconds; prints the
 * process CPU time used, which bench_wall_idle.sh compares with and without the profiler. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How the threads idle: "cond" = one long pthread_cond_timedwait (a wrapped call), "sleep" =
 * nanosleep 250 ms in a loop (wrapped), "raw" = the same through syscall(), which the profiler
 * does not wrap (it sees a thread blocked somewhere unknown). */
static const char *how = "cond";
static double seconds = 5.0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    double end = mono() + seconds;
    if (strcmp(how, "cond") == 0) {
        struct timespec d;
        clock_gettime(CLOCK_REALTIME, &d);
        d.tv_sec += (time_t)seconds;
        pthread_mutex_lock(&mu);
        while (mono() < end && pthread_cond_timedwait(&cv, &mu, &d) == 0)
            ;
        pthread_mutex_unlock(&mu);
    } else {
        while (mono() < end) {
            struct timespec d = {0, 250000000L};
            if (strcmp(how, "sleep") == 0)
                nanosleep(&d, NULL);
            else
                syscall(SYS_nanosleep, &d, NULL); /* not wrapped: the profiler sees it blocked */
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 64;
    seconds = argc > 2 ? atof(argv[2]) : 5.0;
    how = argc > 3 ? argv[3] : "cond";
    if (n < 1 || n > 4096 || !(seconds > 0)) {
        fprintf(stderr, "usage: wall_idle [THREADS [SECONDS [cond|sleep|raw]]]\n");
        return 2;
    }
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    if (!t)
        return 1;
    double t0 = mono();
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], NULL, idle_thread, NULL) != 0)
            return 1;
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    printf("wall_idle: threads=%d how=%s wall_s=%.3f cpu_s=%.4f\n", n, how, mono() - t0,
           (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9);
    free(t);
    return 0;
}
