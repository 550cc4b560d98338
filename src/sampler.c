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

PROF_TLS struct thread_state *tls_thread;
char sampler_signal_marker;
_Atomic int sampler_host_itimer;
/* The host's SIGPROF disposition, as it believes it set it (signals.c keeps it current). Written
 * in ordinary context with SIGPROF blocked on that thread; read by the handler. */
static struct sigaction host_action = {.sa_handler = SIG_DFL};
static _Atomic int host_action_seq;
_Atomic int prof_paused;
_Atomic uint64_t sampler_no_thread;

static uint64_t start_mono_ns;
static uint32_t timer_sample_kind = FMT_KIND_CPU;
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

uint64_t sampler_start_ns(void) { return start_mono_ns; }

void sampler_tag_region(struct thread_state *ts, struct ring_sample *s)
{
    struct thread_regions *tr = &ts->regions;
    int depth = tr->depth;
    if (depth > REGION_MAX_DEPTH)
        depth = REGION_MAX_DEPTH;
    if (depth <= 0)
        return;
    atomic_signal_fence(memory_order_acquire); /* partner: the fences in regions.c */
    s->region = tr->entries[depth - 1].node;
    s->region_call = tr->entries[depth - 1].call_id;
    for (int i = 0; i < depth; i++)
        tr->entries[i].sampled = 1;
}

void sampler_set_start(uint64_t mono_ns, unsigned max_depth, uint32_t timer_kind)
{
    start_mono_ns = mono_ns;
    timer_sample_kind = timer_kind;
    depth_limit = max_depth;
}

void sampler_push(struct thread_state *ts, const struct ring_sample *s, const uint64_t *pcs)
{
    if (ring_put(ts->ring, s, sizeof(*s), pcs, (size_t)s->nframes * sizeof(pcs[0])) == 0) {
        count(&ts->ctr.samples, 1);
        count(&ts->ctr.weight, s->weight);
    } else {
        count(&ts->ctr.dropped, 1);
    }
}

static void take_sample(struct thread_state *ts, const siginfo_t *si, void *ucontext)
{
    /* Periods this thread waited for a CPU (wall.c), taken by whichever of our signals comes
     * first: the wall sampler's own signal may have merged with a timer's. */
    uint64_t runnable = atomic_exchange_explicit(&ts->runnable_periods, 0, memory_order_relaxed);
    uint64_t weight = 1;
    if (si && si->si_code == SI_QUEUE) {
        weight = 0; /* the wall sampler's signal: only the runnable periods */
    } else if (si && si->si_code == SI_TIMER && si->si_overrun > 0) {
        /* A CPU timer that expired several times before delivery stands for all its periods. */
        weight += (uint64_t)si->si_overrun;
        count(&ts->ctr.overruns, (uint64_t)si->si_overrun);
    }
    if (weight == 0 && runnable == 0)
        return;
    /* Sized by the configured depth (default 256 = 2 KiB): threads with small stacks exist. On
     * a host's signal stack too small for it, the sample goes without a stack (counted). */
    unsigned depth = unwind_stack_has_room(ts, depth_limit * sizeof(uint64_t)) ? depth_limit : 0;
    uint64_t pcs[depth ? depth : 1];
    struct ring_sample s;
    memset(&s, 0, sizeof(s));
    s.time_ns = sampler_now_ns();
    s.tid = (uint32_t)ts->tid;
    sampler_tag_region(ts, &s);
    int n = 0;
    if (depth)
        n = unwind_from_signal(ucontext, ts, pcs, (int)depth, &s.flags);
    else
        s.flags = FMT_STACK_UNWIND_ERROR;
    s.nframes = (uint32_t)n;
    if (s.flags & FMT_STACK_UNWIND_ERROR)
        count(&ts->ctr.unwind_failed, 1);
    if (s.flags & FMT_STACK_TRUNCATED)
        count(&ts->ctr.truncated, 1);
    if (weight) {
        s.kind = timer_sample_kind;
        s.weight = weight;
        sampler_push(ts, &s, pcs);
    }
    if (runnable) {
        s.kind = FMT_KIND_WALL_RUNNABLE;
        s.weight = runnable;
        sampler_push(ts, &s, pcs);
    }
}

/* Is this SIGPROF one of ours? Timers and the wall sampler mark theirs; a perf event names its
 * fd; ITIMER_PROF's are ours only while we use it and the host does not. */
static int ours(const siginfo_t *si, const struct thread_state *ts)
{
    if (!si)
        return 1;
    switch (si->si_code) {
    case SI_TIMER:
    case SI_QUEUE:
        return si->si_value.sival_ptr == &sampler_signal_marker;
    case SI_KERNEL:
        return !atomic_load_explicit(&sampler_host_itimer, memory_order_relaxed);
    case SI_USER:
    case SI_TKILL:
        return 0; /* kill(), raise(), tgkill(): someone else's */
    default: /* POLL_IN etc. from a perf event's F_SETSIG */
        return ts && si->si_fd == ts->perf_fd && ts->perf_fd >= 0;
    }
}

/* Passes a signal that is not ours to the handler the host installed. The default action of
 * SIGPROF would terminate the process: a stray one is ignored instead, as if the host ignored it. */
static void forward_to_host(int sig, siginfo_t *si, void *ucontext)
{
    struct sigaction act = host_action;
    if (act.sa_flags & SA_SIGINFO) {
        if (act.sa_sigaction)
            act.sa_sigaction(sig, si, ucontext);
    } else if (act.sa_handler != SIG_DFL && act.sa_handler != SIG_IGN && act.sa_handler) {
        act.sa_handler(sig);
    }
}

void sampler_set_host_action(const struct sigaction *act)
{
    host_action = *act;
    atomic_fetch_add(&host_action_seq, 1);
}

void sampler_get_host_action(struct sigaction *act) { *act = host_action; }

static void sampler_handler(int sig, siginfo_t *si, void *ucontext)
{
    int saved_errno = errno;
    struct thread_state *ts = tls_thread;
    if (!ours(si, ts)) {
        errno = saved_errno;
        forward_to_host(sig, si, ucontext);
        return;
    }
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
    if (sigaction(SIGPROF, NULL, &old) == 0)
        sampler_set_host_action(&old); /* installed before us (a constructor): chained */
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = sampler_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* Through the real sigaction: ours (signals.c) would record it as the host's. */
    /* Left installed at exit on purpose: a signal still in flight must find a handler rather
     * than the default action, which terminates the process. Only the timers are stopped. */
    if (signals_real_sigaction(SIGPROF, &sa, NULL) != 0)
        return -errno;
    return 0;
}
