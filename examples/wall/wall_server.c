/* SPDX-License-Identifier: MIT */
/* Example with known ground truth for wall mode: worker threads serve requests of ~3 ms of
 * computation followed by ~7 ms blocked waiting for a (simulated) backend reply. */

/*
 * Ground truth (per worker thread, by design): compute_request ~30 % of wall time (on CPU),
 * wait_backend ~70 % (off CPU, blocked in poll() on a pipe nobody writes to, with a 7 ms timeout).
 * A busy machine stretches the compute phases (the thread waits for a CPU), so the program also
 * measures its own phases with CLOCK_MONOTONIC around each one and prints the measured split:
 *   wall_server: threads=N requests=R compute_ms=C wait_ms=W compute_pct=P wait_pct=Q
 * The computation is a fixed iteration count calibrated at start to ~3 ms of thread CPU time (not
 * a wall-time deadline), so preemption lengthens it in wall time exactly as in a real server.
 * Workers are named "wsrv-worker"; main only creates and joins them.
 * In cpu mode, the workers' samples are ~100 % compute_request (waiting uses no CPU).
 * Usage: wall_server [THREADS [SECONDS]]  (defaults 4 and 2)
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COMPUTE_NS 3000000ull
#define WAIT_MS 7

static uint64_t iters_per_request; /* calibrated: ~COMPUTE_NS of CPU */
static uint64_t run_ns;
static int backend_fd = -1;        /* read end of a pipe that never gets data */

struct worker {
    pthread_t thread;
    uint64_t requests, compute_ns, wait_ns, sink;
};

static uint64_t clock_ns(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

__attribute__((noinline)) uint64_t compute_kernel(uint64_t n, uint64_t seed)
{
    uint64_t x = seed;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

__attribute__((noinline)) uint64_t compute_request(uint64_t seed)
{
    uint64_t r = compute_kernel(iters_per_request, seed);
    __asm__ volatile("" : "+r"(r)); /* not a tail call: this function stays in the stack */
    return r;
}

__attribute__((noinline)) int wait_backend(void)
{
    struct pollfd pfd = {.fd = backend_fd, .events = POLLIN};
    int r = poll(&pfd, 1, WAIT_MS); /* times out: the backend "answers" after 7 ms */
    if (r < 0) /* not a tail call: this function stays in the stack */
        perror("wall_server: poll");
    return r;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    pthread_setname_np(pthread_self(), "wsrv-worker");
    uint64_t end = clock_ns(CLOCK_MONOTONIC) + run_ns;
    for (;;) {
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        if (t0 >= end)
            break;
        w->sink += compute_request(t0 | 1);
        uint64_t t1 = clock_ns(CLOCK_MONOTONIC);
        wait_backend();
        uint64_t t2 = clock_ns(CLOCK_MONOTONIC);
        w->compute_ns += t1 - t0;
        w->wait_ns += t2 - t1;
        w->requests++;
    }
    return NULL;
}

/* Iterations per ~3 ms of CPU: the fastest of a few trials in thread CPU time, so preemption
 * during calibration does not matter. */
static void calibrate(void)
{
    const uint64_t trial = 2000000;
    uint64_t best = UINT64_MAX, sink = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        sink += compute_kernel(trial, (uint64_t)i + 1);
        uint64_t t = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
        if (t && t < best)
            best = t;
    }
    iters_per_request = trial * COMPUTE_NS / best;
    if (sink == 42)
        puts("");
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 4;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    if (nthreads < 1 || nthreads > 256 || !(seconds > 0)) {
        fprintf(stderr, "usage: wall_server [THREADS [SECONDS]]\n");
        return 2;
    }
    run_ns = (uint64_t)(seconds * 1e9);
    int fds[2];
    if (pipe(fds) != 0) {
        perror("wall_server: pipe");
        return 1;
    }
    backend_fd = fds[0];
    calibrate();
    struct worker *w = calloc((size_t)nthreads, sizeof(*w));
    if (!w)
        return 1;
    for (int i = 0; i < nthreads; i++) {
        int rc = pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
        if (rc != 0) {
            fprintf(stderr, "wall_server: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    uint64_t requests = 0, compute = 0, wait = 0, sink = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(w[i].thread, NULL);
        requests += w[i].requests;
        compute += w[i].compute_ns;
        wait += w[i].wait_ns;
        sink += w[i].sink;
    }
    double total = (double)(compute + wait);
    printf("wall_server: threads=%d requests=%llu compute_ms=%.1f wait_ms=%.1f compute_pct=%.2f "
           "wait_pct=%.2f iters=%llu sink=%llu\n",
           nthreads, (unsigned long long)requests, (double)compute / 1e6, (double)wait / 1e6,
           total > 0 ? 100.0 * (double)compute / total : 0.0,
           total > 0 ? 100.0 * (double)wait / total : 0.0, (unsigned long long)iters_per_request,
           (unsigned long long)(sink & 0xff));
    free(w);
    return 0;
}
