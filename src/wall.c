/* SPDX-License-Identifier: MIT */
/* Wall-clock sampling of the time threads spend off CPU. On-CPU time is sampled by the per-thread
 * CPU timers (sampler.c), exactly in proportion to the CPU each thread uses; this thread of ours
 * ticks every 1/PROF_HZ s of wall time and accounts for the rest, never signalling anyone:
 *  - a thread inside a wrapped blocking call (blocking.c): the tick claims the call, its stack is
 *    unwound here from the registers the wrapper saved, once per blocking episode, and each tick
 *    adds the wall time it spent blocked since the previous tick (bounded by the episode's age)
 *    as an off-CPU sample, the call's last part after it ended;
 *  - a call that began and ended between two ticks was claimed by none: its wrapper samples it
 *    on the way out (wall_sample_unclaimed), so short waits keep their stacks too;
 *  - a thread blocked somewhere we do not wrap (no CPU progress, scheduler state S or D): an
 *    off-CPU sample without frames, shown as such rather than guessed;
 *  - a thread that is runnable but waiting for a CPU: signalled once (it is not blocked, so no
 *    call of its can be interrupted); its handler records the waiting periods where it resumes.
 * Weights are in periods of 1/PROF_HZ s; late ticks (this thread was not scheduled in time) carry
 * the elapsed time instead of bursting, so a busy machine does not bias the split.
 * Ordinary thread context; SIGPROF is blocked here (the wall thread). wall_sample_unclaimed runs
 * on a profiled thread inside a wrapper instead, maybe in a host signal handler: it calls only
 * async-signal-safe code (the unwinder, the ring, clock_gettime, log). */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WALL_RING_BYTES (8u << 20)

_Atomic int wall_active;

/* What the wall thread remembers per slot between ticks. */
struct wall_view {
    pid_t tid;
    uint32_t generation;   /* the thread_state's: a reused slot is a new thread, even on the same tid */
    uint64_t last_ns;      /* monotonic time of this thread's previous tick, 0 = none yet */
    uint64_t last_cpu_ns;
    uint64_t carry_ns;     /* off-CPU time not yet worth a whole period */
    uint64_t blank_carry_ns; /* the same, for off-CPU time without a known stack */
    uint64_t last_total;   /* ts->blocked_total_ns at the previous tick */
    uint64_t last_sampled; /* ts->blocked_sampled_ns at the previous tick */
    uint32_t inprog_seq;   /* blocked call in progress at the previous tick, 0 = none */
    uint64_t inprog_counted; /* its time already accounted for */
    uint64_t run_carry_ns; /* runnable time not yet worth a whole period */
    uint64_t rest_carry_ns; /* time neither on CPU nor in a wrapped call, not yet classified */
    uint64_t last_run_delay; /* schedstat run_delay at the last read, UINT64_MAX = none */
    uint64_t run_delay_read_ns; /* when it was read */
    uint64_t undecided_ns;   /* rest of a runnable thread that run_delay did not cover yet */
    uint64_t undecided_since_ns;
    uint32_t episode_seq;  /* block_seq of the cached stack, 0 = none */
    uint32_t nframes;
    uint32_t flags;
    uint64_t region, region_call; /* the blocked thread's innermost open region then */
    uint64_t *frames;      /* max_depth entries */
};

static struct {
    pthread_t thread;
    int started;
    _Atomic int stop;
    unsigned hz, max_depth;
    pid_t pid;
    struct thread_state *self; /* our ring */
    struct wall_view *views;
    size_t nviews;
    uint64_t *scratch;
} wl;

/* Per-thread CPU clock of another thread of this process (the kernel's encoding of
 * MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)). */
static uint64_t thread_cpu_ns(pid_t tid)
{
    clockid_t id = (clockid_t)((~(unsigned)tid) << 3) | 6;
    struct timespec t;
    if (clock_gettime(id, &t) != 0)
        return UINT64_MAX; /* thread gone */
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Scheduler state letter of a thread ('R' runnable or running, 'S' sleeping, 'D' disk wait...),
 * or 0 if unknown. Only read for threads that are neither in a wrapper nor seen consuming CPU. */
static char thread_state_letter(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
    if (procfs_read(path, buf, sizeof(buf)) <= 0)
        return 0;
    const char *paren = strrchr(buf, ')'); /* the name may contain spaces and parentheses */
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* The time a thread has spent waiting on a run queue (ns, from /proc/.../schedstat: "on-CPU
 * run_delay slices"), or UINT64_MAX when the kernel does not keep it. */
static uint64_t thread_run_delay_ns(pid_t tid)
{
    char path[64], buf[128];
    snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
    if (procfs_read(path, buf, sizeof(buf)) <= 0)
        return UINT64_MAX;
    unsigned long long on_cpu, delay;
    if (sscanf(buf, "%llu %llu", &on_cpu, &delay) != 2 || on_cpu == 0)
        return UINT64_MAX; /* absent, or "0 0 0": a kernel that does not keep sched_info */
    return (uint64_t)delay;
}

static struct wall_view *view_for(size_t slot)
{
    if (slot >= wl.nviews) {
        size_t n = wl.nviews ? wl.nviews : 64;
        while (n <= slot)
            n *= 2;
        struct wall_view *v = realloc(wl.views, n * sizeof(*v));
        if (!v)
            return NULL;
        memset(v + wl.nviews, 0, (n - wl.nviews) * sizeof(*v));
        wl.views = v;
        wl.nviews = n;
    }
    struct wall_view *v = &wl.views[slot];
    if (!v->frames) {
        v->frames = malloc(wl.max_depth * sizeof(uint64_t));
        if (!v->frames)
            return NULL;
    }
    return v;
}

/* Unwinds a thread that is blocked inside a wrapper. The wrapper cannot return while
 * stack_reader is set, so its callers' frames stay as they are during the walk. */
static int unwind_blocked(struct thread_state *ts, uint32_t seq, struct wall_view *v)
{
    /* seq_cst store then load, mirrored in the wrapper's exit path (blocking.c): either we see
     * the wrapper has left (block_seq changed) or it sees us and waits. */
    atomic_store(&ts->stack_reader, 1);
    int ok = atomic_load(&ts->block_seq) == seq;
    if (ok) {
        ucontext_t ctx = ts->block_ctx;
        unsigned flags = 0;
        int n = unwind_from_context(&ctx, ts, v->frames, (int)wl.max_depth, &flags);
        /* Frame 0 is where unw_getcontext returns to in the wrapper; one byte back is inside
         * the call, an exact address as the format wants for frame 0. */
        if (n > 0)
            v->frames[0] -= 1;
        v->nframes = (uint32_t)n;
        v->flags = flags;
        v->episode_seq = seq;
        /* Its open regions cannot change while it is blocked (and cannot leave the wrapper while
         * stack_reader is set): tag the blocked time and mark the calls as sampled. */
        struct ring_sample tag = {0};
        sampler_tag_region(ts, &tag);
        v->region = tag.region;
        v->region_call = tag.region_call;
    }
    atomic_store(&ts->stack_reader, 0);
    return ok ? 0 : -1;
}

static void push_sample(struct thread_state *ts, uint32_t kind, const struct wall_view *v,
                        const uint64_t *frames, uint32_t nframes, uint32_t flags, uint64_t weight,
                        uint64_t now)
{
    struct ring_sample s;
    memset(&s, 0, sizeof(s));
    if (frames && v) {
        s.region = v->region;
        s.region_call = v->region_call;
    }
    s.kind = kind;
    s.tid = (uint32_t)ts->tid;
    s.nframes = nframes;
    s.flags = flags;
    s.weight = weight;
    s.time_ns = now;
    sampler_push(wl.self, &s, frames);
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Adds `ns` to a carry and returns the whole periods in it. */
static uint64_t take_periods(uint64_t *carry, uint64_t ns, uint64_t period)
{
    *carry += ns;
    uint64_t whole = *carry / period;
    *carry %= period;
    return whole;
}

/* A consistent view of a thread's blocked-call state: the sequence number is read before and after
 * the other fields, and the read repeated if a call began or ended meanwhile. */
static int read_block_state(struct thread_state *ts, uint32_t *seq, uint64_t *start, uint64_t *total,
                            uint64_t *sampled)
{
    for (int tries = 0; tries < 4; tries++) {
        uint32_t s1 = atomic_load(&ts->block_seq);
        *start = atomic_load(&ts->block_start_ns);
        *total = atomic_load(&ts->blocked_total_ns);
        *sampled = atomic_load(&ts->blocked_sampled_ns);
        if (atomic_load(&ts->block_seq) == s1) {
            *seq = s1;
            return 0;
        }
    }
    return -1;
}

/* Claims the call in progress (odd seq) for the ticks. Fails when its wrapper has already taken
 * the owner word on its way out: the wrapper then samples the call itself. */
static int claim_call(struct thread_state *ts, uint32_t seq)
{
    uint64_t offered = (uint64_t)seq << 1, cur = offered;
    return atomic_compare_exchange_strong(&ts->block_owner, &cur, offered | 1) || cur == (offered | 1);
}

static void sample_thread(size_t slot, struct thread_state *ts, uint64_t now, uint64_t rel_now)
{
    struct wall_view *v = view_for(slot);
    if (!v)
        return;
    uint32_t seq;
    uint64_t start, total, sampled;
    if (read_block_state(ts, &seq, &start, &total, &sampled) != 0)
        return; /* extremely busy with short calls; the next tick accounts for it */
    /* A call in progress that began before this tick's time is claimed: from now on the ticks
     * account for all of it. One that began after `now` (read before the loop over threads) is
     * left alone: this tick has none of its time to count. */
    int in_call = (seq & 1) && start < now;
    if (in_call && !claim_call(ts, seq))
        return; /* the call is ending unclaimed: its wrapper samples it; the next tick does the rest */
    /* A resume since the previous tick (prof_stop then prof_start in between) starts afresh:
     * the interval holds paused time. */
    int same_thread = v->tid == ts->tid && v->generation == ts->generation && v->last_ns &&
                      atomic_load_explicit(&wall_resumed_ns, memory_order_relaxed) < v->last_ns;
    /* Blocked in the same call since the previous tick: it cannot have used CPU, so save the
     * clock read (a system call) for the many idle threads of big programs. */
    int same_call = in_call && seq == v->inprog_seq && same_thread;
    uint64_t cpu = same_call ? v->last_cpu_ns : thread_cpu_ns(ts->tid);
    if (!same_thread) { /* first tick of this thread (or slot reused, or after a pause) */
        uint64_t *frames = v->frames;
        *v = (struct wall_view){.tid = ts->tid, .generation = ts->generation, .last_ns = now,
                                .frames = frames, .last_cpu_ns = cpu == UINT64_MAX ? 0 : cpu,
                                .last_total = total, .last_sampled = sampled,
                                .last_run_delay = thread_run_delay_ns(ts->tid),
                                .run_delay_read_ns = now};
        if (in_call) {
            v->inprog_seq = seq;
            v->inprog_counted = now > start ? now - start : 0;
        }
        return;
    }
    uint64_t period = 1000000000ull / wl.hz;
    uint64_t dt = now - v->last_ns;
    uint64_t cpu_d = (cpu != UINT64_MAX && cpu > v->last_cpu_ns) ? cpu - v->last_cpu_ns : 0;
    if (cpu != UINT64_MAX)
        v->last_cpu_ns = cpu;

    /* Blocked time in this interval: calls that finished since the previous tick (minus the part
     * of one of them already counted then), plus the part of the call in progress. */
    uint64_t finished = total - v->last_total;
    uint32_t ended_seq = 0;
    if (v->inprog_seq && v->inprog_seq != seq) {
        finished = finished > v->inprog_counted ? finished - v->inprog_counted : 0;
        ended_seq = v->inprog_seq;
    }
    uint64_t current = 0;
    if (in_call) {
        uint64_t from = start > v->last_ns ? start : v->last_ns;
        current = now > from ? now - from : 0;
        v->inprog_counted = (seq == v->inprog_seq ? v->inprog_counted : 0) + current;
        v->inprog_seq = seq;
    } else {
        v->inprog_seq = 0;
        v->inprog_counted = 0;
    }
    v->last_total = total;
    uint64_t by_wrappers = sampled - v->last_sampled; /* unclaimed calls: their wrappers sampled them */
    v->last_sampled = sampled;
    v->last_ns = now;

    /* The finished calls' time goes to the stack of the one we had unwound, if it is among them
     * (what is left has no stack: a claimed call the unwind missed). */
    if (finished) {
        if (ended_seq && v->episode_seq == ended_seq) {
            uint64_t w = take_periods(&v->carry_ns, finished, period);
            if (w)
                push_sample(ts, FMT_KIND_WALL_OFF, v, v->frames, v->nframes, v->flags, w, rel_now);
        } else {
            uint64_t w = take_periods(&v->blank_carry_ns, finished, period);
            if (w)
                push_sample(ts, FMT_KIND_WALL_OFF, v, NULL, 0, 0, w, rel_now);
        }
    }
    if (current) {
        if (v->episode_seq == seq || unwind_blocked(ts, seq, v) == 0) {
            uint64_t w = take_periods(&v->carry_ns, current, period);
            if (w)
                push_sample(ts, FMT_KIND_WALL_OFF, v, v->frames, v->nframes, v->flags, w, rel_now);
        } else {
            /* It ended before we could unwind it: its wrapper added all its time to the total,
             * so this part comes back at the next tick with the finished calls (stackless). It
             * stays in this tick's accounted time, or it would be counted twice. */
            v->inprog_counted -= current;
        }
    }

    /* The rest of the interval, neither running nor in a wrapped call, was spent waiting for a
     * CPU (runnable) or blocked in a call we do not wrap. Rests are carried until they add up to
     * half a period, not dropped (a thread preempted 3 ms of every 10 ms tick would lose all that
     * time at 100 Hz), and split then, so that /proc is read only for threads that had such time
     * (a read per thread and tick would cost programs with many threads). */
    uint64_t accounted = cpu_d + finished + current + by_wrappers;
    v->rest_carry_ns += dt > accounted ? dt - accounted : 0;
    int aged = v->undecided_ns && now - v->undecided_since_ns > 4 * period;
    if (v->rest_carry_ns < period / 2 && !aged) {
        /* Nothing to split: now and then, move the run_delay baseline up, so that a later split
         * does not take the wake-up latencies of many wrapped calls for a runnable rest. */
        if (v->rest_carry_ns < period / 16 && v->undecided_ns == 0 && !same_call &&
            now - v->run_delay_read_ns > 16 * period) {
            v->last_run_delay = thread_run_delay_ns(ts->tid);
            v->run_delay_read_ns = now;
        }
        return;
    }
    uint64_t rest = v->rest_carry_ns + v->undecided_ns;
    int had_undecided = v->undecided_ns != 0;
    v->rest_carry_ns = 0;
    v->undecided_ns = 0;
    /* Which part was runnable: the kernel counts the time each thread waited on a run queue
     * (schedstat's run_delay), but only when the wait ends. Since the previous read, at most
     * that much of the rest was runnable (what run_delay adds beyond it is the wake-up latency at
     * the end of wrapped calls, which their durations already count). The remainder was blocked
     * in an unwrapped call if the thread is blocked now (in a wrapped call, or state S/D: no
     * wait pending); a runnable thread (R) may be waiting right now, uncounted yet, so its
     * remainder stays undecided until run_delay covers it or the thread is seen blocked (or 4
     * periods have passed: a wait would have ended by then, so it was blocked time). Without
     * schedstat: runnable if R or in a wrapped call, blocked if S or D. */
    uint64_t delay = thread_run_delay_ns(ts->tid), d = UINT64_MAX;
    if (delay != UINT64_MAX && v->last_run_delay != UINT64_MAX)
        d = delay > v->last_run_delay ? delay - v->last_run_delay : 0;
    v->last_run_delay = delay;
    v->run_delay_read_ns = now;
    char state = seq & 1 ? 'S' : thread_state_letter(ts->tid);
    uint64_t runnable = 0;
    if (d == UINT64_MAX) {
        runnable = state == 'R' || (seq & 1) ? rest : 0;
    } else {
        runnable = d < rest ? d : rest;
        if (state == 'R' && !aged && rest > runnable) {
            if (!had_undecided)
                v->undecided_since_ns = now;
            v->undecided_ns = rest - runnable;
            rest = runnable;
        }
    }
    uint64_t w = take_periods(&v->blank_carry_ns, rest - runnable, period);
    if (w)
        push_sample(ts, FMT_KIND_WALL_OFF, v, NULL, 0, 0, w, rel_now);
    uint64_t periods = take_periods(&v->run_carry_ns, runnable, period);
    if (!periods)
        return;
    if (state != 'R') {
        /* Blocked now (in a wrapped call or not): no stack we could take without a signal, which
         * a blocked thread must not get. */
        push_sample(ts, FMT_KIND_WALL_RUNNABLE, v, NULL, 0, 0, periods, rel_now);
        return;
    }
    /* One signal for any number of periods: the handler takes them all. The thread is runnable,
     * so the signal is handled as soon as it runs, before it can block again. */
    atomic_fetch_add(&ts->runnable_periods, periods);
    /* Queued with our marker (SI_QUEUE), so the handler can tell it from a host's. It may merge
     * with a pending timer signal: any of our signals takes the periods. */
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGPROF;
    si.si_code = SI_QUEUE;
    si.si_pid = wl.pid;
    si.si_uid = getuid();
    si.si_value.sival_ptr = &sampler_signal_marker;
    syscall(SYS_rt_tgsigqueueinfo, wl.pid, ts->tid, SIGPROF, &si);
}

static void *wall_main(void *arg)
{
    (void)arg;
    wl.self = threads_register_internal(WALL_RING_BYTES);
    if (!wl.self)
        return NULL;
    uint64_t period = 1000000000ull / wl.hz;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&wl.stop)) {
        next.tv_nsec += (long)(period % 1000000000u);
        next.tv_sec += (time_t)(period / 1000000000u) + next.tv_nsec / 1000000000L;
        next.tv_nsec %= 1000000000L;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        struct timespec now_ts;
        clock_gettime(CLOCK_MONOTONIC, &now_ts);
        /* Woken late: skip the missed ticks instead of bursting; the next tick's weights carry the
         * elapsed time. */
        int64_t behind = (int64_t)(now_ts.tv_sec - next.tv_sec) * 1000000000 +
                         (now_ts.tv_nsec - next.tv_nsec);
        if (behind > (int64_t)period)
            next = now_ts;
        if (atomic_load(&prof_paused)) {
            /* Forget the last ticks: the pause is neither on nor off CPU time. */
            for (size_t i = 0; i < wl.nviews; i++)
                wl.views[i].last_ns = 0;
            continue;
        }
        uint64_t now = mono_ns(), rel_now = sampler_now_ns();
        size_t n = threads_slot_count();
        for (size_t i = 0; i < n; i++) {
            struct thread_state *ts = threads_slot(i);
            if (!ts || ts->internal ||
                atomic_load_explicit(&ts->state, memory_order_acquire) != SLOT_LIVE)
                continue;
            sample_thread(i, ts, now, rel_now);
        }
    }
    return NULL;
}

/* Exponential distance (mean: one period) to the next sample of unclaimed blocked time. */
static int64_t offcpu_distance(struct thread_state *ts)
{
    uint64_t x = ts->offcpu_rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ts->offcpu_rng = x;
    double u = ((double)(x >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
    double d = -log(u) * (1e9 / (double)wl.hz);
    return d < 1.0 ? 1 : (int64_t)d;
}

_Atomic uint64_t wall_resumed_ns;

/* One sample of an unclaimed call: `periods` of weight on the stack the wrapper saved. Out of
 * line and sized by the configured depth, so that the common exit (no sample due) costs no stack:
 * wrappers may run on a host's small signal stack. ts->busy covers the unwind too (our SIGPROF
 * handler drops rather than unwind inside it). */
static __attribute__((noinline)) void push_unclaimed(struct thread_state *ts, uint64_t periods)
{
    unsigned depth = wl.max_depth;
    if (!unwind_stack_has_room(ts, depth * sizeof(uint64_t)))
        depth = 0; /* a host's small signal stack: the sample goes without a stack */
    uint64_t frames[depth ? depth : 1];
    unsigned flags = 0;
    struct ring_sample s;
    memset(&s, 0, sizeof(s));
    ts->busy = 1;
    atomic_signal_fence(memory_order_seq_cst);
    /* block_ctx is the wrapper's, and stays so: until block_end returns, a host handler's
     * wrapped call is nested and does not save its own. */
    int n = 0;
    if (depth)
        n = unwind_from_context(&ts->block_ctx, ts, frames, (int)depth, &flags);
    else
        flags = FMT_STACK_UNWIND_ERROR;
    if (n < 0)
        n = 0;
    if (flags & FMT_STACK_UNWIND_ERROR)
        atomic_fetch_add_explicit(&ts->ctr.unwind_failed, 1, memory_order_relaxed);
    if (flags & FMT_STACK_TRUNCATED)
        atomic_fetch_add_explicit(&ts->ctr.truncated, 1, memory_order_relaxed);
    if (n > 0)
        frames[0] -= 1; /* inside the wrapper's call, as the wall thread stores it */
    sampler_tag_region(ts, &s);
    s.kind = FMT_KIND_WALL_OFF;
    s.tid = (uint32_t)ts->tid;
    s.nframes = (uint32_t)n;
    s.flags = flags;
    s.weight = periods;
    s.time_ns = sampler_now_ns();
    sampler_push(ts, &s, frames);
    atomic_signal_fence(memory_order_seq_cst);
    ts->busy = 0;
}

/* Blocked calls shorter than the gap between two ticks are sampled by time on the blocked thread
 * itself, like bytes in allocation mode: a countdown through exponential distances of mean one
 * period, each distance crossed one period of weight. A fixed countdown would alias with a
 * program's rhythm (waits of two kinds alternating); exponential distances keep the estimate
 * unbiased whatever the calls' lengths and spacing. Called by the wrapper on its way out
 * (ordinary context, or a host signal handler's). Time before the last resume (prof_start after
 * prof_stop) is not the profile's. */
void wall_sample_unclaimed(struct thread_state *ts, uint64_t start_ns, uint64_t end_ns)
{
    if (atomic_load(&prof_paused) || wl.hz == 0)
        return;
    uint64_t resumed = atomic_load(&wall_resumed_ns);
    uint64_t from = start_ns > resumed ? start_ns : resumed;
    if (end_ns <= from)
        return;
    uint64_t ns = end_ns - from;
    if (ts->offcpu_rng == 0) {
        ts->offcpu_rng = ((uint64_t)ts->tid * 0x9e3779b97f4a7c15ull) ^ mono_ns() ^ 1;
        ts->offcpu_countdown_ns = offcpu_distance(ts);
    }
    int64_t left = ts->offcpu_countdown_ns - (int64_t)(ns > INT64_MAX / 2 ? INT64_MAX / 2 : ns);
    uint64_t periods = 0;
    for (; left <= 0; periods++)
        left += offcpu_distance(ts);
    ts->offcpu_countdown_ns = left;
    if (periods == 0)
        return;
    if (ts->busy) {
        /* A host signal handler's call, and the handler interrupted our own ring write: the
         * ring has one producer. */
        atomic_fetch_add_explicit(&ts->ctr.dropped, 1, memory_order_relaxed);
        return;
    }
    push_unclaimed(ts, periods);
}

int wall_start(const struct prof_config *cfg)
{
    wl.hz = cfg->hz;
    wl.max_depth = cfg->max_depth;
    wl.pid = getpid();
    atomic_store(&wall_active, 1);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int r = preload_real_pthread_create()(&wl.thread, NULL, wall_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        atomic_store(&wall_active, 0);
        return -r;
    }
    wl.started = 1;
    return 0;
}

void wall_stop(void)
{
    if (!wl.started)
        return;
    wl.started = 0;
    atomic_store(&wl.stop, 1);
    pthread_join(wl.thread, NULL);
    atomic_store(&wall_active, 0);
}
