/* SPDX-License-Identifier: MIT */
/* Wrappers around the calls a thread blocks in (sleeps, poll/select/epoll, reads, accepts, locks,
 * condition waits, joins, semaphores, waits for children). In wall mode each one marks the thread
 * as blocked and saves its registers so the wall sampler (wall.c) can record where it waits
 * without signalling it. In every mode, a call that fails with EINTR while our SIGPROF handler ran
 * on the thread (a CPU timer expiring just as the thread entered the call) is resumed with the
 * time that was left: the host never sees an EINTR caused by us. Threads we do not profile get a
 * plain call to the real function.
 * Ordinary thread context (these run in host threads, never in a signal handler). */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* Real functions, looked up once (blocking_resolve from the constructor, or lazily if a wrapper
 * runs before it, e.g. from another library's constructor). */
#define REAL(name) real_##name
#define DECLARE_REAL(ret, name, ...)                                                               \
    static ret (*real_##name)(__VA_ARGS__);                                                        \
    static ret (*get_##name(void))(__VA_ARGS__)                                                    \
    {                                                                                              \
        if (!real_##name)                                                                          \
            real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);                            \
        return real_##name;                                                                        \
    }

DECLARE_REAL(int, nanosleep, const struct timespec *, struct timespec *)
DECLARE_REAL(int, clock_nanosleep, clockid_t, int, const struct timespec *, struct timespec *)
DECLARE_REAL(int, poll, struct pollfd *, nfds_t, int)
DECLARE_REAL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)
DECLARE_REAL(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *)
DECLARE_REAL(int, epoll_wait, int, struct epoll_event *, int, int)
DECLARE_REAL(int, epoll_pwait, int, struct epoll_event *, int, int, const sigset_t *)
DECLARE_REAL(ssize_t, read, int, void *, size_t)
DECLARE_REAL(ssize_t, readv, int, const struct iovec *, int)
DECLARE_REAL(ssize_t, recv, int, void *, size_t, int)
DECLARE_REAL(ssize_t, recvfrom, int, void *, size_t, int, struct sockaddr *, socklen_t *)
DECLARE_REAL(ssize_t, recvmsg, int, struct msghdr *, int)
DECLARE_REAL(int, accept, int, struct sockaddr *, socklen_t *)
DECLARE_REAL(int, accept4, int, struct sockaddr *, socklen_t *, int)
DECLARE_REAL(int, connect, int, const struct sockaddr *, socklen_t)
DECLARE_REAL(int, pthread_mutex_lock, pthread_mutex_t *)
DECLARE_REAL(int, pthread_cond_wait, pthread_cond_t *, pthread_mutex_t *)
DECLARE_REAL(int, pthread_cond_timedwait, pthread_cond_t *, pthread_mutex_t *,
             const struct timespec *)
DECLARE_REAL(int, pthread_join, pthread_t, void **)
DECLARE_REAL(int, sem_wait, sem_t *)
DECLARE_REAL(int, sem_timedwait, sem_t *, const struct timespec *)
DECLARE_REAL(pid_t, waitpid, pid_t, int *, int)
DECLARE_REAL(pid_t, wait, int *)

void blocking_resolve(void)
{
    get_nanosleep(), get_clock_nanosleep(), get_poll(), get_ppoll(), get_select();
    get_epoll_wait(), get_epoll_pwait(), get_read(), get_readv(), get_recv(), get_recvfrom();
    get_recvmsg(), get_accept(), get_accept4(), get_connect(), get_pthread_mutex_lock();
    get_pthread_cond_wait(), get_pthread_cond_timedwait(), get_pthread_join(), get_sem_wait();
    get_sem_timedwait(), get_waitpid(), get_wait();
}

/* ---- the blocked-state protocol (partner: wall.c unwind_blocked) ---- */

static int64_t mono_ns(void);

struct block_state {
    struct thread_state *ts; /* NULL: thread not profiled */
    uint64_t signals;        /* ts->signals_seen when the call began */
    int marked;              /* this call marked the thread blocked (wall mode, outermost call) */
};

/* A macro, not a function: the registers must be those of the wrapper's own frame, which stays
 * alive while the thread is blocked. */
#define BLOCK_BEGIN(b)                                                                             \
    struct block_state b = {tls_thread, 0, 0};                                                     \
    if (b.ts) {                                                                                    \
        b.signals = atomic_load_explicit(&b.ts->signals_seen, memory_order_relaxed);               \
        if (atomic_load_explicit(&wall_active, memory_order_acquire) && b.ts->block_depth++ == 0) { \
            b.marked = 1;                                                                          \
            unw_getcontext((unw_context_t *)&b.ts->block_ctx);                                     \
            atomic_store_explicit(&b.ts->block_start_ns, mono_ns(), memory_order_relaxed);         \
            block_mark(b.ts);                                                                      \
        }                                                                                          \
    }

/* The thread is now blocked: block_seq turns odd, and the call is offered to the ticks (owner
 * word first, so a tick that sees the odd sequence can claim it). Only this thread writes seq. */
static void block_mark(struct thread_state *ts)
{
    uint32_t seq = atomic_load_explicit(&ts->block_seq, memory_order_relaxed) + 1;
    atomic_store(&ts->block_owner, (uint64_t)seq << 1);
    atomic_store(&ts->block_seq, seq); /* odd: blocked (seq_cst) */
}

static void block_end(struct block_state *b)
{
    if (!b->ts)
        return;
    if (!b->marked) {
        if (b->ts->block_depth > 0)
            b->ts->block_depth--;
        return;
    }
    int saved = errno;
    uint64_t start = atomic_load_explicit(&b->ts->block_start_ns, memory_order_relaxed);
    int64_t now = mono_ns();
    uint64_t took = (uint64_t)now > start ? (uint64_t)now - start : 0;
    /* From here no tick can claim the call. Claimed: the ticks account for it (with the stack
     * they took); not: no tick saw it, and it is sampled below. The time is added before
     * block_seq turns even, so a tick that sees the call finished also sees its time. */
    int claimed = atomic_exchange(&b->ts->block_owner, 0) & 1;
    atomic_fetch_add(claimed ? &b->ts->blocked_total_ns : &b->ts->blocked_sampled_ns, took);
    /* seq_cst store, then load of stack_reader: mirrors wall.c (store reader, load seq). If the
     * sampler is walking our callers' frames, wait: they must not change under it. */
    atomic_fetch_add(&b->ts->block_seq, 1);
    while (atomic_load(&b->ts->stack_reader))
        __builtin_ia32_pause();
    if (!claimed)
        wall_sample_unclaimed(b->ts, start, (uint64_t)now);
    /* Last: until here a host signal handler's wrapped call is nested (not marked), so it
     * leaves block_ctx alone while the sampling above unwinds from it. */
    b->ts->block_depth--;
    errno = saved;
}

/* True when the call failed with EINTR and our SIGPROF handler ran meanwhile: a CPU timer can
 * expire just as a thread enters a sleep. The host's own signals still interrupt as usual. */
static int interrupted_by_us(const struct block_state *b, int err)
{
    return b->ts && err == EINTR && atomic_load(&b->ts->signals_seen) != b->signals;
}

static void rearm(struct block_state *b)
{
    if (b->ts)
        b->signals = atomic_load(&b->ts->signals_seen);
}

/* ---- time helpers for resuming timed calls ---- */

static int64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - mono_ns();
    return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* ---- sleeps ---- */

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    BLOCK_BEGIN(b);
    struct timespec left;
    int r = get_nanosleep()(req, &left);
    while (r != 0 && interrupted_by_us(&b, errno)) {
        rearm(&b);
        struct timespec again = left;
        r = get_nanosleep()(&again, &left);
    }
    if (r != 0 && rem)
        *rem = left;
    block_end(&b);
    return r;
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                           struct timespec *rem)
{
    BLOCK_BEGIN(b);
    struct timespec left;
    int r = get_clock_nanosleep()(clk, flags, req, &left);
    while (r == EINTR && interrupted_by_us(&b, r)) {
        rearm(&b);
        struct timespec again = (flags & TIMER_ABSTIME) ? *req : left;
        r = get_clock_nanosleep()(clk, flags, &again, &left);
    }
    if (r == EINTR && rem && !(flags & TIMER_ABSTIME))
        *rem = left;
    block_end(&b);
    return r;
}

EXPORT int usleep(useconds_t usec)
{
    struct timespec req = {.tv_sec = usec / 1000000, .tv_nsec = (long)(usec % 1000000) * 1000};
    return nanosleep(&req, NULL);
}

EXPORT unsigned int sleep(unsigned int seconds)
{
    struct timespec req = {.tv_sec = seconds, .tv_nsec = 0}, rem = {0, 0};
    if (nanosleep(&req, &rem) != 0)
        return (unsigned)rem.tv_sec + (rem.tv_nsec > 0);
    return 0;
}

/* ---- waiting for file descriptors ---- */

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    BLOCK_BEGIN(b);
    int64_t deadline = timeout > 0 ? mono_ns() + (int64_t)timeout * 1000000 : 0;
    int r = get_poll()(fds, n, timeout);
    while (r < 0 && interrupted_by_us(&b, errno)) {
        rearm(&b);
        r = get_poll()(fds, n, timeout > 0 ? remaining_ms(deadline) : timeout);
    }
    block_end(&b);
    return r;
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const sigset_t *mask)
{
    BLOCK_BEGIN(b);
    int64_t deadline = tmo ? mono_ns() + tmo->tv_sec * 1000000000 + tmo->tv_nsec : 0;
    int r = get_ppoll()(fds, n, tmo, mask);
    while (r < 0 && interrupted_by_us(&b, errno)) {
        rearm(&b);
        struct timespec left = {0, 0};
        if (tmo) {
            int64_t ns = deadline - mono_ns();
            if (ns > 0)
                left = (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
        }
        r = get_ppoll()(fds, n, tmo ? &left : NULL, mask);
    }
    block_end(&b);
    return r;
}

EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
    BLOCK_BEGIN(b);
    /* The fd sets are undefined after an error, so a resumed call needs the originals. */
    fd_set r0, w0, e0;
    if (rd)
        r0 = *rd;
    if (wr)
        w0 = *wr;
    if (ex)
        e0 = *ex;
    int64_t deadline = tv ? mono_ns() + tv->tv_sec * 1000000000 + tv->tv_usec * 1000 : 0;
    int r = get_select()(nfds, rd, wr, ex, tv);
    while (r < 0 && interrupted_by_us(&b, errno)) {
        rearm(&b);
        if (rd)
            *rd = r0;
        if (wr)
            *wr = w0;
        if (ex)
            *ex = e0;
        if (tv) {
            int64_t ns = deadline - mono_ns();
            if (ns < 0)
                ns = 0;
            tv->tv_sec = ns / 1000000000;
            tv->tv_usec = (ns % 1000000000) / 1000;
        }
        r = get_select()(nfds, rd, wr, ex, tv);
    }
    block_end(&b);
    return r;
}

EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
    BLOCK_BEGIN(b);
    int64_t deadline = timeout > 0 ? mono_ns() + (int64_t)timeout * 1000000 : 0;
    int r = get_epoll_wait()(epfd, ev, max, timeout);
    while (r < 0 && interrupted_by_us(&b, errno)) {
        rearm(&b);
        r = get_epoll_wait()(epfd, ev, max, timeout > 0 ? remaining_ms(deadline) : timeout);
    }
    block_end(&b);
    return r;
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                       const sigset_t *mask)
{
    BLOCK_BEGIN(b);
    int64_t deadline = timeout > 0 ? mono_ns() + (int64_t)timeout * 1000000 : 0;
    int r = get_epoll_pwait()(epfd, ev, max, timeout, mask);
    while (r < 0 && interrupted_by_us(&b, errno)) {
        rearm(&b);
        r = get_epoll_pwait()(epfd, ev, max, timeout > 0 ? remaining_ms(deadline) : timeout, mask);
    }
    block_end(&b);
    return r;
}

/* ---- reads, accepts, connects: SA_RESTART restarts them; an EINTR of ours is retried too
 * (nothing was transferred when they fail with EINTR). ---- */

#define RETRYING_WRAPPER(ret, name, params, args)                                                  \
    EXPORT ret name params                                                                         \
    {                                                                                              \
        BLOCK_BEGIN(b);                                                                            \
        ret r = get_##name() args;                                                                 \
        while (r < 0 && interrupted_by_us(&b, errno)) {                                            \
            rearm(&b);                                                                             \
            r = get_##name() args;                                                                 \
        }                                                                                          \
        block_end(&b);                                                                             \
        return r;                                                                                  \
    }

RETRYING_WRAPPER(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
RETRYING_WRAPPER(ssize_t, readv, (int fd, const struct iovec *iov, int n), (fd, iov, n))
RETRYING_WRAPPER(ssize_t, recv, (int fd, void *buf, size_t n, int fl), (fd, buf, n, fl))
RETRYING_WRAPPER(ssize_t, recvfrom,
                 (int fd, void *buf, size_t n, int fl, struct sockaddr *a, socklen_t *al),
                 (fd, buf, n, fl, a, al))
RETRYING_WRAPPER(ssize_t, recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl))
RETRYING_WRAPPER(int, accept, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al))
RETRYING_WRAPPER(int, accept4, (int fd, struct sockaddr *a, socklen_t *al, int fl),
                 (fd, a, al, fl))
RETRYING_WRAPPER(pid_t, waitpid, (pid_t pid, int *st, int opt), (pid, st, opt))
RETRYING_WRAPPER(pid_t, wait, (int *st), (st))
RETRYING_WRAPPER(int, sem_wait, (sem_t * s), (s))
RETRYING_WRAPPER(int, sem_timedwait, (sem_t * s, const struct timespec *t), (s, t))

/* connect is not retried: after EINTR the connection continues asynchronously (connect(2)). */
EXPORT int connect(int fd, const struct sockaddr *a, socklen_t al)
{
    BLOCK_BEGIN(b);
    int r = get_connect()(fd, a, al);
    block_end(&b);
    return r;
}

/* ---- locks, condition variables, joins (futex based: no EINTR) ---- */

EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    /* Uncontended locks are the common case and do not block: keep them cheap. */
    if (!atomic_load_explicit(&wall_active, memory_order_relaxed) || pthread_mutex_trylock(m) != 0) {
        BLOCK_BEGIN(b);
        int r = get_pthread_mutex_lock()(m);
        block_end(&b);
        return r;
    }
    return 0;
}

EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    BLOCK_BEGIN(b);
    int r = get_pthread_cond_wait()(c, m);
    block_end(&b);
    return r;
}

EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    BLOCK_BEGIN(b);
    int r = get_pthread_cond_timedwait()(c, m, t);
    block_end(&b);
    return r;
}

EXPORT int pthread_join(pthread_t t, void **ret)
{
    BLOCK_BEGIN(b);
    int r = get_pthread_join()(t, ret);
    block_end(&b);
    return r;
}
