/* SPDX-License-Identifier: MIT */
/* Floor of a sample's cost: a fixed amount of arithmetic while a timer source of libprof's kinds
 * interrupts this thread with an empty SIGPROF handler (or, for perf-nosig, with no signal at all). */

/*
 * Usage: sigcost [-s CPU_SECONDS] [-r HZ] MODE
 *   MODE  none        no timer (the baseline)
 *         perf        perf-event cpu-clock, user time only, SIGPROF through F_SETSIG/F_SETOWN_EX
 *         perf-nosig  the same event and period, sampling but never signalling: the event's cost
 *         cputime     POSIX timer on CLOCK_THREAD_CPUTIME_ID, SIGEV_THREAD_ID
 *         itimer      setitimer(ITIMER_PROF)
 *   Prints "mode=M hz=H signals=N periods=P". Run it under bench/benchrun: the difference of CPU
 *   time with the `none` run, divided by the signals (or, for perf-nosig, the periods the event
 *   counted), is what each sample costs before libprof's handler does anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define ITERS_PER_SECOND 860000000ull /* as bench/workload.c */

static volatile sig_atomic_t signals;

static void on_sigprof(int sig)
{
    (void)sig;
    signals++;
}

__attribute__((noinline)) static uint64_t spin(uint64_t n, uint64_t seed)
{
    uint64_t x = seed, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc += x >> 33;
    }
    return acc;
}

static int perf_start(long hz, int with_signal)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = (uint64_t)(1000000000 / hz);
    attr.wakeup_events = 1;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "sigcost: perf_event_open: %s\n", strerror(errno));
        return -1;
    }
    if (with_signal) {
        struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = tid};
        if (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, SIGPROF) != 0 ||
            fcntl(fd, F_SETOWN_EX, &owner) != 0) {
            fprintf(stderr, "sigcost: fcntl: %s\n", strerror(errno));
            return -1;
        }
    }
    if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
        fprintf(stderr, "sigcost: enable: %s\n", strerror(errno));
        return -1;
    }
    return fd;
}

static int cputime_start(long hz)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGPROF;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t t;
    struct itimerspec its = {{0, 1000000000 / hz}, {0, 1000000000 / hz}};
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) != 0 || timer_settime(t, 0, &its, NULL) != 0) {
        fprintf(stderr, "sigcost: timer: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

static int itimer_start(long hz)
{
    struct itimerval it = {{0, 1000000 / hz}, {0, 1000000 / hz}};
    if (setitimer(ITIMER_PROF, &it, NULL) != 0) {
        fprintf(stderr, "sigcost: setitimer: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = 1.0;
    long hz = 5000;
    int opt;
    while ((opt = getopt(argc, argv, "s:r:")) != -1) {
        switch (opt) {
        case 's': seconds = strtod(optarg, NULL); break;
        case 'r': hz = strtol(optarg, NULL, 10); break;
        default: goto usage;
        }
    }
    if (optind != argc - 1 || !(seconds > 0 && seconds <= 3600) || hz < 1 || hz > 100000)
        goto usage;
    const char *mode = argv[optind];

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigprof;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, NULL);

    int fd = -1, r = 0;
    if (strcmp(mode, "perf") == 0)
        r = fd = perf_start(hz, 1);
    else if (strcmp(mode, "perf-nosig") == 0)
        r = fd = perf_start(hz, 0);
    else if (strcmp(mode, "cputime") == 0)
        r = cputime_start(hz);
    else if (strcmp(mode, "itimer") == 0)
        r = itimer_start(hz);
    else if (strcmp(mode, "none") != 0)
        goto usage;
    if (r < 0)
        return 1;

    uint64_t acc = spin((uint64_t)(seconds * (double)ITERS_PER_SECOND), 7);

    /* Periods the perf event went through: its count is CPU-clock nanoseconds. */
    uint64_t periods = 0, ns = 0;
    if (fd >= 0 && read(fd, &ns, sizeof(ns)) == (ssize_t)sizeof(ns))
        periods = ns / (uint64_t)(1000000000 / hz);
    printf("mode=%s hz=%ld signals=%ld periods=%llu check=%llu\n", mode, hz, (long)signals,
           (unsigned long long)periods, (unsigned long long)(acc & 0xff));
    return 0;

usage:
    fprintf(stderr, "usage: sigcost [-s CPU_SECONDS] [-r HZ] none|perf|perf-nosig|cputime|itimer\n");
    return 2;
}
