/* SPDX-License-Identifier: MIT */
/* A host that uses SIGPROF itself: its own handler, its own ITIMER_PROF at 100 Hz, and a worker
 * thread that blocks SIGPROF. Prints how many SIGPROFs its handler got, and whether the
 * disposition it reads back is the one it set. Exit status 0 when all is as it expects. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t host_hits;
volatile double sink; /* keeps the work from being optimised away */

static void host_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code == SI_KERNEL) /* from its own ITIMER_PROF */
        host_hits++;
}

static __attribute__((noinline)) double host_work(double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    double x = 0;
    do {
        for (int i = 0; i < 5000000; i++) /* few clock reads: they are syscalls */
            x += (double)i * 0.5;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) * 1e-9 < seconds);
    sink = x;
    return x;
}

static void *blocked_worker(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    host_work(0.3);
    return NULL;
}

int main(void)
{
    struct sigaction sa, back;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = host_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPROF, &sa, NULL) != 0 || sigaction(SIGPROF, NULL, &back) != 0) {
        perror("sigaction");
        return 1;
    }
    int same = (back.sa_flags & SA_SIGINFO) && back.sa_sigaction == host_handler;
    struct itimerval it = {{0, 10000}, {0, 10000}};
    if (setitimer(ITIMER_PROF, &it, NULL) != 0) {
        perror("setitimer");
        return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, blocked_worker, NULL);
    host_work(1.0);
    pthread_join(t, NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, NULL);
    printf("host handler calls: %d\nhandler read back: %s\n", (int)host_hits, same ? "same" : "DIFFERENT");
    return same ? 0 : 1;
}
