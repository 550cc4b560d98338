/* SPDX-License-Identifier: MIT */
/* The runtime API of include/prof/prof.h: start/stop/flush and thread names. Regions live in
 * regions.c. Exported from libprof.so only; ordinary thread context. */
#define _GNU_SOURCE
#include <prof/prof.h>

#include "runtime.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int prof__start(void)
{
    if (!preload_profiling_on())
        return -ESRCH;
    if (atomic_load(&prof_paused)) {
        /* Before sampling resumes: a wrapper that sees it resumed also sees from when. */
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        atomic_store(&wall_resumed_ns, (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec);
    }
    atomic_store(&prof_paused, 0);
    return 0;
}

EXPORT int prof__stop(void)
{
    if (!preload_profiling_on())
        return -ESRCH;
    atomic_store(&prof_paused, 1);
    return 0;
}

EXPORT int prof__flush(void)
{
    if (!preload_profiling_on())
        return -ESRCH;
    return flusher_flush_now(0);
}

EXPORT int prof__set_thread_name(const char *name)
{
    if (!name)
        return -EINVAL;
    char buf[16];
    strncpy(buf, name, sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = 0;
    /* The kernel's name is what the flusher reads (/proc/self/task/TID/comm) at the next chunk. */
    int r = pthread_setname_np(pthread_self(), buf);
    return r ? -r : 0;
}
