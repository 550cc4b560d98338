/* SPDX-License-Identifier: MIT */
/* libprof.so entry points: the constructor that starts profiling from PROF_* variables, the
 * destructor that writes the last chunk, the pthread_create wrapper that profiles new threads,
 * and the fork handler. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct prof_config config;
static _Atomic int profiling_on;
static pthread_create_fn real_pthread_create;

pthread_create_fn preload_real_pthread_create(void)
{
    if (!real_pthread_create)
        real_pthread_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
    return real_pthread_create;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* In the child of fork() only the calling thread survives and the flusher thread is gone: the
 * child stops profiling rather than write into the parent's file (docs/DESIGN.md). */
static void atfork_child(void)
{
    if (!atomic_load(&profiling_on))
        return;
    atomic_store(&profiling_on, 0);
    threads_reset_after_fork();
}

__attribute__((constructor)) static void prof_init(void)
{
    config_from_env(&config);
    struct run_info run = {.start_realtime_ns = clock_ns(CLOCK_REALTIME),
                           .start_monotonic_ns = clock_ns(CLOCK_MONOTONIC)};
    /* Timer samples are on-CPU wall samples when wall is the only mode. */
    sampler_set_start(run.start_monotonic_ns, config.max_depth,
                      (config.modes & FMT_MODE_CPU) ? FMT_KIND_CPU : FMT_KIND_WALL_ON);

    char exe[4096], path[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    if (config_expand_path(config.out_pattern, getpid(), exe, path, sizeof(path)) != 0) {
        log_warn("PROF_OUT expands to a path that is too long; profiling off");
        return;
    }
    unwind_init(config.unwinder);
    threads_set_ring_bytes((size_t)config.ring_kb * 1024);
    int r = sampler_install();
    if (r == -EBUSY) {
        log_warn("the program installed its own SIGPROF handler; libprof steps aside");
        return;
    }
    if (r < 0) {
        log_warn("cannot install the SIGPROF handler (%s); profiling off", strerror(-r));
        return;
    }
    if (!preload_real_pthread_create()) {
        log_warn("cannot find pthread_create; profiling off");
        return;
    }
    blocking_resolve();
    struct writer *w = writer_open(path);
    if (!w)
        return;
    /* cpu and wall modes sample running threads with CPU timers; wall mode adds its own thread
     * for the time spent blocked, and can still do that part without a timer. */
    run.timer = FMT_TIMER_NONE;
    if (config.modes & (FMT_MODE_CPU | FMT_MODE_WALL)) {
        run.timer = timer_init(&config);
        if (run.timer == FMT_TIMER_NONE && config.modes == FMT_MODE_CPU) {
            writer_close(w);
            return;
        }
    }
    if (flusher_start(&config, &run, w) != 0) {
        log_warn("cannot start the flusher thread; profiling off");
        timer_stop_process();
        writer_close(w);
        return;
    }
    if (config.start_paused)
        atomic_store(&prof_paused, 1);
    atomic_store(&profiling_on, 1);
    pthread_atfork(NULL, NULL, atfork_child);
    threads_register_self();
    if (config.modes & FMT_MODE_ALLOC)
        alloc_start(&config);
    if ((config.modes & FMT_MODE_WALL) && wall_start(&config) != 0)
        log_warn("cannot start the wall-clock sampler thread; wall samples are off");
}

__attribute__((destructor)) static void prof_fini(void)
{
    if (!atomic_exchange(&profiling_on, 0))
        return;
    wall_stop();
    alloc_stop();
    threads_stop_all();
    flusher_stop();
}

int preload_profiling_on(void) { return atomic_load(&profiling_on); }

struct trampoline_arg {
    void *(*start)(void *);
    void *arg;
};

static void unregister_on_exit(void *unused)
{
    (void)unused;
    threads_unregister_self();
}

static void *thread_trampoline(void *p)
{
    struct trampoline_arg ta = *(struct trampoline_arg *)p;
    free(p);
    if (atomic_load(&profiling_on))
        threads_register_self();
    void *ret;
    /* Runs on return and on pthread_exit/cancellation alike. */
    pthread_cleanup_push(unregister_on_exit, NULL);
    ret = ta.start(ta.arg);
    pthread_cleanup_pop(1);
    return ret;
}

/* Interposed: every thread the program creates is registered (ring, timer) before it runs. */
__attribute__((visibility("default"))) int pthread_create(pthread_t *thread,
                                                          const pthread_attr_t *attr,
                                                          void *(*start)(void *), void *arg)
{
    pthread_create_fn real = preload_real_pthread_create();
    if (!real)
        return EAGAIN;
    if (!atomic_load(&profiling_on))
        return real(thread, attr, start, arg);
    struct trampoline_arg *ta = malloc(sizeof(*ta));
    if (!ta)
        return real(thread, attr, start, arg);
    ta->start = start;
    ta->arg = arg;
    int r = real(thread, attr, thread_trampoline, ta);
    if (r != 0)
        free(ta);
    return r;
}
