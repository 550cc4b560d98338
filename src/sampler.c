/* SPDX-License-Identifier: MIT */
/* The SIGPROF handler: one sample = the interrupted thread's stack, pushed into its own ring.
 *
 * [AS-SAFE] Everything in this file runs inside the signal handler (except sampler_install and
 * sampler_set_start). Rules: save/restore errno; no malloc, stdio, locks, getenv or dlsym; only
 * memory allocated before; bounded loops; a full ring drops the sample and counts it. */
#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

PROF_TLS struct thread_state *tls_thread;
_Atomic int prof_paused;
_Atomic uint64_t sampler_no_thread;

static uint64_t start_mono_ns;
static uint32_t timer_sample_kind = FMT_KIND_CPU;
static pid_t own_pid;
static unsigned depth_limit = 256;

static inline void count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

uint64_t sampler_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t); /* async-signal-safe (POSIX) */
    uint64_t now = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
    return now > start_mono_ns ? now - start_mono_ns : 0;
}

void sampler_set_start(uint64_t mono_ns, unsigned max_depth, uint32_t timer_kind)
{
    start_mono_ns = mono_ns;
    timer_sample_kind = timer_kind;
    own_pid = getpid();
    depth_limit = max_depth;
}

static void take_sample(struct thread_state *ts, const siginfo_t *si, void *ucontext)
{
    uint64_t weight = 1;
    uint32_t kind = timer_sample_kind;
    if (si && si->si_code == SI_TKILL && si->si_pid == own_pid) {
        /* From our wall sampler (wall.c): the periods this thread waited for a CPU. */
        weight = atomic_exchange_explicit(&ts->runnable_periods, 0, memory_order_relaxed);
        if (weight == 0)
            return;
        kind = FMT_KIND_WALL_RUNNABLE;
    } else if (si && si->si_code == SI_TIMER && si->si_overrun > 0) {
        /* A CPU timer that expired several times before delivery stands for all its periods. */
        weight += (uint64_t)si->si_overrun;
        count(&ts->ctr.overruns, (uint64_t)si->si_overrun);
    }
    /* Sized by the configured depth (default 256 = 2 KiB): threads with small stacks exist. */
    uint64_t pcs[depth_limit];
    struct ring_sample s;
    memset(&s, 0, sizeof(s));
    s.time_ns = sampler_now_ns();
    s.kind = kind;
    s.tid = (uint32_t)ts->tid;
    s.weight = weight;
    int n = unwind_from_signal(ucontext, ts, pcs, (int)depth_limit, &s.flags);
    s.nframes = (uint32_t)n;
    if (s.flags & FMT_STACK_UNWIND_ERROR)
        count(&ts->ctr.unwind_failed, 1);
    if (s.flags & FMT_STACK_TRUNCATED)
        count(&ts->ctr.truncated, 1);
    if (ring_put(ts->ring, &s, sizeof(s), pcs, (size_t)n * sizeof(pcs[0])) == 0) {
        count(&ts->ctr.samples, 1);
        count(&ts->ctr.weight, weight);
    } else {
        count(&ts->ctr.dropped, 1);
    }
}

static void sampler_handler(int sig, siginfo_t *si, void *ucontext)
{
    (void)sig;
    int saved_errno = errno;
    struct thread_state *ts = tls_thread;
    if (atomic_load_explicit(&prof_paused, memory_order_relaxed)) {
        /* prof_stop(): nothing to record */
    } else if (!ts) {
        count(&sampler_no_thread, 1);
    } else if ((count(&ts->signals_seen, 1), ts->busy)) {
        /* A sample interrupted our own producer code on this thread: the ring is single-producer. */
        count(&ts->ctr.reentered, 1);
    } else {
        ts->busy = 1;
        atomic_signal_fence(memory_order_seq_cst);
        take_sample(ts, si, ucontext);
        atomic_signal_fence(memory_order_seq_cst);
        ts->busy = 0;
    }
    errno = saved_errno;
}

int sampler_install(void)
{
    struct sigaction sa, old;
    if (sigaction(SIGPROF, NULL, &old) == 0 && (old.sa_flags & SA_SIGINFO ? old.sa_sigaction != NULL
                                                    : (old.sa_handler != SIG_DFL &&
                                                       old.sa_handler != SIG_IGN)))
        return -EBUSY; /* the host has its own SIGPROF handler: step aside */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sampler_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* Left installed at exit on purpose: a signal still in flight must find a handler rather
     * than the default action, which terminates the process. Only the timers are stopped. */
    if (sigaction(SIGPROF, &sa, NULL) != 0)
        return -errno;
    return 0;
}
