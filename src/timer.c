/* SPDX-License-Identifier: MIT */
/* Timer sources that deliver SIGPROF to profiled threads: perf-event cpu-clock (exact rates),
 * per-thread POSIX CPU timers (scheduler-tick resolution), process-wide ITIMER_PROF (last resort). */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef F_SETOWN_EX
#define F_SETOWN_EX 15
#endif

static int source = FMT_TIMER_NONE;
static unsigned timer_hz = 100;
static int fail_perf_for_tests;

const char *timer_name(int kind)
{
    switch (kind) {
    case FMT_TIMER_PERF: return "perf";
    case FMT_TIMER_CPUTIME: return "cputime";
    case FMT_TIMER_ITIMER: return "itimer";
    default: return "none";
    }
}

int timer_source(void) { return source; }

static uint64_t period_ns(void) { return 1000000000ull / timer_hz; }

/* A perf cpu-clock event counting this thread's user-space CPU time, signalling it every period. */
static int perf_open_self(pid_t tid)
{
    if (fail_perf_for_tests)
        return -EACCES;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = period_ns();
    attr.wakeup_events = 1;
    attr.disabled = 1;
    attr.exclude_kernel = 1; /* allowed at perf_event_paranoid <= 2 */
    attr.exclude_hv = 1;
    int fd = (int)syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = tid};
    if (fcntl(fd, F_SETFL, O_ASYNC) != 0 || fcntl(fd, F_SETSIG, SIGPROF) != 0 ||
        fcntl(fd, F_SETOWN_EX, &owner) != 0 || ioctl(fd, PERF_EVENT_IOC_RESET, 0) != 0 ||
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

static int cputime_arm_self(pid_t tid, timer_t *out)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGPROF;
    sev.sigev_value.sival_ptr = &sampler_signal_marker; /* tells our SIGPROFs from the host's */
    sev._sigev_un._tid = tid;
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, out) != 0)
        return -errno;
    struct itimerspec its;
    uint64_t p = period_ns();
    its.it_interval.tv_sec = (time_t)(p / 1000000000u);
    its.it_interval.tv_nsec = (long)(p % 1000000000u);
    its.it_value = its.it_interval;
    if (timer_settime(*out, 0, &its, NULL) != 0) {
        int e = errno;
        timer_delete(*out);
        return -e;
    }
    return 0;
}

static int itimer_start(void)
{
    struct itimerval it;
    uint64_t us = period_ns() / 1000;
    if (us == 0)
        us = 1;
    it.it_interval.tv_sec = (time_t)(us / 1000000);
    it.it_interval.tv_usec = (suseconds_t)(us % 1000000);
    it.it_value = it.it_interval;
    /* The raw syscall: our setitimer interposer treats a libc call as the program's. */
    return syscall(SYS_setitimer, ITIMER_PROF, &it, NULL) == 0 ? 0 : -errno;
}

/* fork child: an interval timer is not inherited; start the child's own. */
void timer_after_fork(void)
{
    if (source == FMT_TIMER_ITIMER)
        itimer_start();
}

void timer_stop_process(void)
{
    if (source == FMT_TIMER_ITIMER) {
        struct itimerval off;
        memset(&off, 0, sizeof(off));
        syscall(SYS_setitimer, ITIMER_PROF, &off, NULL);
    }
}

/* Probes each source in order of quality on the calling thread, keeping the first that works. */
int timer_init(const struct prof_config *cfg)
{
    timer_hz = cfg->hz;
    fail_perf_for_tests = cfg->test_fail_perf;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int want = cfg->timer;

    if (want == FMT_TIMER_NONE || want == FMT_TIMER_PERF) {
        int fd = perf_open_self(tid);
        if (fd >= 0) {
            close(fd);
            source = FMT_TIMER_PERF;
            return source;
        }
        log_warn("perf_event_open(cpu-clock) failed (%s); falling back to POSIX CPU timers, "
                 "whose resolution is the scheduler tick",
                 strerror(-fd));
    }
    if (want != FMT_TIMER_ITIMER) {
        timer_t t;
        if (cputime_arm_self(tid, &t) == 0) {
            timer_delete(t);
            source = FMT_TIMER_CPUTIME;
            return source;
        }
        log_warn("per-thread CPU timers are unavailable (%s); falling back to ITIMER_PROF "
                 "(process-wide, biased with many threads)",
                 strerror(errno));
    }
    if (itimer_start() == 0) {
        source = FMT_TIMER_ITIMER;
        return source;
    }
    log_warn("no timer source works here (%s); profiling is off", strerror(errno));
    source = FMT_TIMER_NONE;
    return source;
}

int timer_arm_self(struct thread_state *ts)
{
    ts->timer_kind = source;
    ts->perf_fd = -1;
    switch (source) {
    case FMT_TIMER_PERF: {
        int fd = perf_open_self(ts->tid);
        if (fd < 0)
            return fd;
        ts->perf_fd = fd;
        return 0;
    }
    case FMT_TIMER_CPUTIME:
        return cputime_arm_self(ts->tid, &ts->posix_timer);
    case FMT_TIMER_ITIMER:
        return 0; /* process-wide, started once by timer_init */
    default:
        return -ENOSYS;
    }
}

void timer_disarm(struct thread_state *ts)
{
    switch (ts->timer_kind) {
    case FMT_TIMER_PERF:
        if (ts->perf_fd >= 0) {
            ioctl(ts->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
            close(ts->perf_fd);
            ts->perf_fd = -1;
        }
        break;
    case FMT_TIMER_CPUTIME:
        timer_delete(ts->posix_timer);
        break;
    default:
        break;
    }
    ts->timer_kind = FMT_TIMER_NONE;
}
