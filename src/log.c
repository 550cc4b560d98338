/* SPDX-License-Identifier: MIT */
/* Warnings: one line on stderr each, kept for the profile's WARNING records. Not signal-safe. */
#include "runtime.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MAX_PENDING 64

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *pending[LOG_MAX_PENDING];
static uint64_t pending_time[LOG_MAX_PENDING];
static size_t npending;

void log_warn(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    /* write(2), not stdio: the host may be using stderr's FILE in another thread. */
    char line[600];
    int n = snprintf(line, sizeof(line), "libprof: warning: %s\n", msg);
    if (n > 0) {
        ssize_t unused = write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        (void)unused;
    }

    pthread_mutex_lock(&log_lock);
    if (npending < LOG_MAX_PENDING) {
        pending[npending] = strdup(msg);
        pending_time[npending] = sampler_now_ns();
        if (pending[npending])
            npending++;
    }
    pthread_mutex_unlock(&log_lock);
}

/* fork child: the lock may have been held by another thread of the parent; pending messages
 * belong to the parent's profile. */
void log_reset_after_fork(void)
{
    pthread_mutex_init(&log_lock, NULL);
    npending = 0;
}

void log_drain(void (*fn)(const char *msg, uint64_t time_ns, void *arg), void *arg)
{
    char *msgs[LOG_MAX_PENDING];
    uint64_t times[LOG_MAX_PENDING];
    pthread_mutex_lock(&log_lock);
    size_t n = npending;
    memcpy(msgs, pending, n * sizeof(msgs[0]));
    memcpy(times, pending_time, n * sizeof(times[0]));
    npending = 0;
    pthread_mutex_unlock(&log_lock);
    for (size_t i = 0; i < n; i++) {
        fn(msgs[i], times[i], arg);
        free(msgs[i]);
    }
}
