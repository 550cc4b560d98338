/* SPDX-License-Identifier: MIT */
/* libprof.so entry points: the constructor that starts profiling from PROF_* variables, the
 * destructor that writes the last chunk, the pthread_create wrapper that profiles new threads,
 * and the fork handler. */
#define _GNU_SOURCE
#include "format.h"
#include "cfi.h"
#include "fastclock.h"
#include "runtime.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct prof_config config;
static void exec_adjust_path(char *path, size_t len);
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

static char out_path[4096]; /* this process's profile */

static void atfork_prepare(void)
{
    if (atomic_load(&profiling_on))
        flusher_atfork_prepare();
}

static void atfork_parent(void)
{
    if (atomic_load(&profiling_on))
        flusher_atfork_parent();
}

/* The child of fork() has only the calling thread; the flusher and wall threads are gone. With
 * PROF_FOLLOW_FORK=1 (default) it is profiled afresh into its own file (%p expands to the child's
 * pid; a pattern without %p gets ".PID" appended so the parent's file is never touched); the
 * parent's buffered samples stay the parent's. With 0 it stops profiling. */
static void atfork_child(void)
{
    if (!atomic_load(&profiling_on))
        return;
    flusher_atfork_child();
    log_reset_after_fork();
    cfi_reset_after_fork();
    atomic_store(&profiling_on, 0);
    if (!config.follow_fork) {
        tls_thread = NULL;
        threads_reset_after_fork();
        return;
    }
    struct run_info run = {.start_realtime_ns = clock_ns(CLOCK_REALTIME),
                           .start_monotonic_ns = clock_ns(CLOCK_MONOTONIC),
                           .timer = timer_source()};
    sampler_set_start(run.start_monotonic_ns, config.max_depth,
                      (config.modes & FMT_MODE_CPU) ? FMT_KIND_CPU : FMT_KIND_WALL_ON);
    char exe[4096], path[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    if (config_expand_path(config.out_pattern, getpid(), exe, path, sizeof(path)) != 0)
        goto unprofiled;
    if (strcmp(path, out_path) == 0 &&
        snprintf(path, sizeof(path), "%s.%d", out_path, (int)getpid()) >= (int)sizeof(path))
        goto unprofiled;
    memcpy(out_path, path, sizeof(out_path));
    modules_reset();
    alloc_reset_after_fork();
    threads_reset_after_fork();
    timer_after_fork();
    if (flusher_start(&config, &run, NULL, out_path) != 0)
        goto unprofiled;
    atomic_store(&profiling_on, 1);
    if ((config.modes & FMT_MODE_WALL) && wall_start(&config) != 0)
        log_warn("cannot start the wall-clock sampler thread; wall samples are off");
    return;
unprofiled:
    /* No flusher will drain this thread's ring: stop producing into it, or every free of a
     * sampled block would wait a second for room that never comes. */
    alloc_stop();
    tls_thread = NULL;
    threads_reset_after_fork();
}

__attribute__((constructor)) static void prof_init(void)
{
    config_from_env(&config);
    fastclock_start();
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
    exec_adjust_path(path, sizeof(path));
    memcpy(out_path, path, sizeof(out_path));
    unwind_init(config.unwinder);
    threads_set_ring_bytes((size_t)config.ring_kb * 1024);
    int r = sampler_install();
    if (r < 0) {
        log_warn("cannot install the SIGPROF handler (%s); profiling off", strerror(-r));
        return;
    }
    if (!preload_real_pthread_create()) {
        log_warn("cannot find pthread_create; profiling off");
        return;
    }
    blocking_resolve();
    metrics_init();
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
    if (flusher_start(&config, &run, w, NULL) != 0) {
        log_warn("cannot start the flusher thread; profiling off");
        timer_stop_process();
        writer_close(w);
        return;
    }
    if (config.start_paused)
        atomic_store(&prof_paused, 1);
    atomic_store(&profiling_on, 1);
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
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

/* ---- exec ----
 * exec replaces the image without running destructors: before it, the profile is flushed and
 * ended, and the interval timer (which survives exec, and whose SIGPROF would kill the new image
 * before its handler exists) is stopped. The new image, profiled again through LD_PRELOAD, has
 * the same pid: PROF_EXEC_OF tells it which file its predecessor wrote, so it writes another. */
#define EXEC_ENV "PROF_EXEC_OF"

static void exec_adjust_path(char *path, size_t len)
{
    const char *prev = getenv(EXEC_ENV);
    char mine[64];
    snprintf(mine, sizeof(mine), "%d:", (int)getpid());
    if (prev && strncmp(prev, mine, strlen(mine)) == 0) {
        const char *prev_path = prev + strlen(mine);
        size_t plen = strlen(path);
        /* path.exec1, .exec2, ...: the first name no earlier image of this pid used. */
        if (strncmp(prev_path, path, plen) == 0) {
            const char *tail = prev_path + plen;
            int gen = strncmp(tail, ".exec", 5) == 0 ? atoi(tail + 5) + 1 : 1;
            snprintf(path + plen, len - plen, ".exec%d", gen);
        }
    }
    unsetenv(EXEC_ENV); /* not for our children */
}

static void before_exec(void)
{
    if (!atomic_load(&profiling_on))
        return;
    timer_stop_process();
    flusher_flush_now(1);
}

static void after_failed_exec(void)
{
    if (!atomic_load(&profiling_on))
        return;
    timer_after_fork(); /* restarts the interval timer if that is our source */
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);

/* A copy of envp with PROF_EXEC_OF=pid:path added. Neither the caller's envp nor our own
 * environment is changed: the caller often passes `environ` itself, which setenv could move. */
static char **env_with_marker(char *const envp[], char **own)
{
    char val[4200];
    snprintf(val, sizeof(val), "%d:%s", (int)getpid(), out_path);
    size_t n = 0;
    while (envp && envp[n])
        n++;
    char **e = malloc((n + 2) * sizeof(char *));
    size_t len = strlen(EXEC_ENV) + 1 + strlen(val) + 1;
    *own = malloc(len);
    if (!e || !*own) {
        free(e);
        free(*own);
        return NULL;
    }
    snprintf(*own, len, "%s=%s", EXEC_ENV, val);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(envp[i], EXEC_ENV "=", sizeof(EXEC_ENV)) != 0)
            e[k++] = envp[i];
    e[k++] = *own;
    e[k] = NULL;
    return e;
}

__attribute__((visibility("default"))) int execve(const char *path, char *const argv[],
                                                  char *const envp[])
{
    static execve_fn real;
    if (!real)
        real = (execve_fn)dlsym(RTLD_NEXT, "execve");
    before_exec();
    char *own = NULL;
    char **env = atomic_load(&profiling_on) ? env_with_marker(envp, &own) : NULL;
    int r = real(path, argv, env ? env : envp);
    int saved = errno;
    free(env);
    free(own);
    after_failed_exec();
    errno = saved;
    return r;
}

/* The other exec functions call execve inside libc without going through our symbol: route them
 * through execve (execvp's PATH search is redone with execvpe semantics below). */
extern char **environ;

__attribute__((visibility("default"))) int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

__attribute__((visibility("default"))) int execvpe(const char *file, char *const argv[],
                                                   char *const envp[])
{
    static int (*real)(const char *, char *const[], char *const[]);
    if (!real)
        real = (int (*)(const char *, char *const[], char *const[]))dlsym(RTLD_NEXT, "execvpe");
    before_exec();
    char *own = NULL;
    char **env = atomic_load(&profiling_on) ? env_with_marker(envp, &own) : NULL;
    int r = real(file, argv, env ? env : envp);
    int saved = errno;
    free(env);
    free(own);
    after_failed_exec();
    errno = saved;
    return r;
}

__attribute__((visibility("default"))) int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/* execl, execlp, execle: the variadic arguments are collected into an argv array and passed to
 * the v-form, which carries PROF_* into the new image. The array is on the stack unless there are
 * hundreds of arguments: execle is async-signal-safe, so it may be called where malloc may not. */
enum exec_form { EXEC_L, EXEC_LP, EXEC_LE };
#define EXEC_STACK_ARGS 256

static int exec_variadic(enum exec_form form, const char *target, const char *arg0, va_list ap)
{
    va_list count;
    va_copy(count, ap);
    size_t n = 1; /* arguments before the terminating NULL, arg0 included */
    while (va_arg(count, char *))
        n++;
    va_end(count);
    char *on_stack[EXEC_STACK_ARGS];
    char **argv = n < EXEC_STACK_ARGS ? on_stack : malloc((n + 1) * sizeof(char *));
    if (!argv) {
        errno = ENOMEM;
        return -1;
    }
    argv[0] = (char *)arg0;
    for (size_t i = 1; i <= n; i++)
        argv[i] = va_arg(ap, char *); /* the last one read is the terminating NULL */
    char **envp = form == EXEC_LE ? va_arg(ap, char **) : environ;
    int r = form == EXEC_LP ? execvpe(target, argv, envp) : execve(target, argv, envp);
    if (argv != on_stack) {
        int saved_errno = errno;
        free(argv);
        errno = saved_errno;
    }
    return r;
}

__attribute__((visibility("default"))) int execl(const char *path, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    int r = exec_variadic(EXEC_L, path, arg0, ap);
    va_end(ap);
    return r;
}

__attribute__((visibility("default"))) int execlp(const char *file, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    int r = exec_variadic(EXEC_LP, file, arg0, ap);
    va_end(ap);
    return r;
}

__attribute__((visibility("default"))) int execle(const char *path, const char *arg0, ...)
{
    va_list ap;
    va_start(ap, arg0);
    int r = exec_variadic(EXEC_LE, path, arg0, ap);
    va_end(ap);
    return r;
}

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
