/* SPDX-License-Identifier: MIT */
/* Host-behaviour check for wall mode: blocking calls must behave exactly as without a profiler. */

/*
 * Ground truth: each check below holds for an unprofiled program. Two checker threads run the
 * whole list at the same time while a third thread spins (so CPU timers fire and threads compete
 * for CPUs); each checker also computes a little before every call, so a profiler's signals can
 * arrive just as it enters the call. Checks:
 *   usleep(200000) five times takes >= 1.0 s and returns 0 each time
 *   poll() on an idle pipe with a 500 ms timeout returns 0 after >= 500 ms
 *   nanosleep() never fails (no EINTR): 30 x 10 ms, then one 300 ms with a remainder argument
 *   clock_nanosleep(), select() and epoll_wait() with 300 ms timeouts: full time, no EINTR
 *   pthread_cond_timedwait() with a 300 ms deadline returns ETIMEDOUT after >= 300 ms
 *   a blocking read() of a pipe written 200 ms later returns that data
 *   (main thread only) a SIGUSR1 handler running on a small sigaltstack (8 KiB, the historic
 *   SIGSTKSZ, or room for two of this machine's signal frames and 2 KiB if that is more) sleeps
 *   300 us, 200 times: the wrapped nanosleep, and a profiler's signal arriving meanwhile, must
 *   fit in what is left of that stack
 * Prints "wall_host: FAIL ..." for each violation and "wall_host: ok CHECKS checks" at the end;
 * exit status 0 only if every check held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static atomic_int failures, checks;
static atomic_int stop_spinning;

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void check(int ok, const char *who, const char *what, double ms, long result, int err)
{
    atomic_fetch_add(&checks, 1);
    if (!ok) {
        atomic_fetch_add(&failures, 1);
        printf("wall_host: FAIL %s: %s (%.1f ms, result %ld, errno %s)\n", who, what, ms, result,
               err ? strerror(err) : "0");
    }
}

/* A little CPU before each call, so CPU-timer signals can land near the call's entry. */
static void busy(void)
{
    volatile uint64_t x = 1;
    for (int i = 0; i < 200000; i++)
        x = x * 6364136223846793005ull + 1;
}

static double ms_since(uint64_t t0)
{
    return (double)(now_ns() - t0) / 1e6;
}

struct delayed_write {
    int fd;
    unsigned delay_ms;
};

static void *write_later(void *arg)
{
    struct delayed_write *d = arg;
    struct timespec t = {0, (long)d->delay_ms * 1000000L};
    nanosleep(&t, NULL);
    if (write(d->fd, "hello", 5) != 5)
        perror("wall_host: write");
    return NULL;
}

static void run_checks(const char *who)
{
    uint64_t t0;
    int r, err;

    t0 = now_ns();
    int bad = 0;
    for (int i = 0; i < 5; i++) {
        busy();
        uint64_t s = now_ns();
        if (usleep(200000) != 0)
            bad = errno;
        if (now_ns() - s < 200000000u)
            bad = bad ? bad : -1;
    }
    check(bad == 0 && ms_since(t0) >= 1000.0, who, "usleep(200000) x5 >= 1.0 s, each >= 200 ms",
          ms_since(t0), bad, bad > 0 ? bad : 0);

    int fds[2];
    if (pipe(fds) != 0) {
        check(0, who, "pipe", 0, -1, errno);
        return;
    }
    struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
    busy();
    t0 = now_ns();
    r = poll(&pfd, 1, 500);
    err = errno;
    check(r == 0 && ms_since(t0) >= 500.0, who, "poll(idle pipe, 500 ms) returns 0 after >= 500 ms",
          ms_since(t0), r, r < 0 ? err : 0);

    bad = 0;
    t0 = now_ns();
    for (int i = 0; i < 30; i++) {
        busy();
        struct timespec d = {0, 10000000L};
        if (nanosleep(&d, NULL) != 0)
            bad = errno;
    }
    check(bad == 0 && ms_since(t0) >= 300.0, who, "nanosleep(10 ms) x30 never fails",
          ms_since(t0), bad ? -1 : 0, bad);
    busy();
    struct timespec d = {0, 300000000L}, rem = {0, 0};
    t0 = now_ns();
    r = nanosleep(&d, &rem);
    err = errno;
    check(r == 0 && ms_since(t0) >= 300.0, who, "nanosleep(300 ms, &rem) returns 0 after >= 300 ms",
          ms_since(t0), r, r ? err : 0);

    busy();
    t0 = now_ns();
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    check(r == 0 && ms_since(t0) >= 300.0, who, "clock_nanosleep(300 ms) returns 0 after >= 300 ms",
          ms_since(t0), r, r);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    struct timeval tv = {0, 300000};
    busy();
    t0 = now_ns();
    r = select(fds[0] + 1, &rd, NULL, NULL, &tv);
    err = errno;
    check(r == 0 && ms_since(t0) >= 300.0, who, "select(idle pipe, 300 ms) returns 0 after >= 300 ms",
          ms_since(t0), r, r < 0 ? err : 0);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev) != 0) {
        check(0, who, "epoll setup", 0, -1, errno);
    } else {
        busy();
        t0 = now_ns();
        r = epoll_wait(ep, &out, 1, 300);
        err = errno;
        check(r == 0 && ms_since(t0) >= 300.0, who,
              "epoll_wait(idle pipe, 300 ms) returns 0 after >= 300 ms", ms_since(t0), r,
              r < 0 ? err : 0);
        close(ep);
    }

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c, &ca);
    struct timespec deadline;
    busy();
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    t0 = now_ns();
    deadline.tv_nsec += 300000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m);
    r = pthread_cond_timedwait(&c, &m, &deadline);
    pthread_mutex_unlock(&m);
    check(r == ETIMEDOUT && ms_since(t0) >= 300.0, who,
          "pthread_cond_timedwait(300 ms) returns ETIMEDOUT after >= 300 ms", ms_since(t0), r, 0);
    pthread_cond_destroy(&c);

    struct delayed_write dw = {fds[1], 200};
    pthread_t wt;
    if (pthread_create(&wt, NULL, write_later, &dw) != 0) {
        check(0, who, "pthread_create", 0, -1, 0);
    } else {
        char buf[16] = "";
        busy();
        t0 = now_ns();
        ssize_t n = read(fds[0], buf, sizeof(buf));
        err = errno;
        check(n == 5 && memcmp(buf, "hello", 5) == 0 && ms_since(t0) >= 150.0, who,
              "blocking read() returns the 5 bytes written 200 ms later", ms_since(t0), (long)n,
              n < 0 ? err : 0);
        pthread_join(wt, NULL);
    }
    close(fds[0]);
    close(fds[1]);
}

/* A host's signal handler on a small alternate stack that makes a wrapped blocking call. */
static atomic_int altstack_sleeps;

static void on_usr1(int sig)
{
    (void)sig;
    struct timespec t = {0, 300000};
    int saved = errno;
    if (nanosleep(&t, NULL) == 0)
        atomic_fetch_add(&altstack_sleeps, 1);
    errno = saved;
}

static void check_altstack(void)
{
    size_t size = 8192;
#ifdef _SC_MINSIGSTKSZ
    long frame = sysconf(_SC_MINSIGSTKSZ); /* the kernel's signal frame here (AVX-512: ~3.4 KiB) */
    if (frame > 0 && 2 * (size_t)frame + 2048 > size)
        size = 2 * (size_t)frame + 2048;
#endif
    static char altstack[65536] __attribute__((aligned(16)));
    if (size > sizeof(altstack))
        size = sizeof(altstack);
    /* The top part of the buffer, so that running past the bottom of the stack lands in the rest
     * of it rather than in other data: a crash would then be an unnoticed overwrite; instead the
     * guard below must still hold its pattern afterwards. */
    memset(altstack, 0x5a, sizeof(altstack) - size);
    stack_t ss = {.ss_sp = altstack + sizeof(altstack) - size, .ss_size = size, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0) {
        check(0, "main", "sigaltstack/sigaction setup", 0, -1, errno);
        return;
    }
    uint64_t t0 = now_ns();
    for (int i = 0; i < 200; i++)
        raise(SIGUSR1);
    size_t below = sizeof(altstack) - size, intact = 0;
    while (intact < below && altstack[below - 1 - intact] == 0x5a)
        intact++;
    check(atomic_load(&altstack_sleeps) == 200 && intact == below, "main",
          "a SIGUSR1 handler on a small sigaltstack sleeps 300 us, 200 times, within the stack",
          ms_since(t0), atomic_load(&altstack_sleeps), 0);
    if (intact != below)
        printf("wall_host: the handler ran %zu bytes past the bottom of its %zu-byte stack\n",
               below - intact, size);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

static void *checker(void *arg)
{
    run_checks(arg);
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    volatile uint64_t x = 1;
    while (!atomic_load(&stop_spinning))
        x = x * 6364136223846793005ull + 1;
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t spin, other;
    if (pthread_create(&spin, NULL, spinner, NULL) != 0 ||
        pthread_create(&other, NULL, checker, "thread 2") != 0) {
        fprintf(stderr, "wall_host: pthread_create failed\n");
        return 2;
    }
    run_checks("main");
    check_altstack();
    pthread_join(other, NULL);
    atomic_store(&stop_spinning, 1);
    pthread_join(spin, NULL);
    int f = atomic_load(&failures);
    printf("wall_host: %s %d checks, %d failed\n", f ? "FAIL" : "ok", atomic_load(&checks), f);
    return f ? 1 : 0;
}
