/* SPDX-License-Identifier: MIT */
/* Terminal progress line for long tool work (stderr, tty only). */
#include "progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static uint64_t progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void progress_begin(struct progress *pg, const char *what, uint64_t total)
{
    pg->what = what;
    pg->total = total;
    pg->shown = 0;
    pg->enabled = isatty(STDERR_FILENO);
    pg->start_ns = pg->last_ns = pg->enabled ? progress_now() : 0;
}

void progress_update(struct progress *pg, uint64_t done)
{
    /* Checking the clock every call would cost more than small work units: every 256th. */
    if (!pg->enabled || (done & 255) != 0)
        return;
    uint64_t now = progress_now();
    /* Quiet for the first half second (quick runs print nothing), then ~5 redraws a second. */
    if (now - pg->start_ns < 500000000u || now - pg->last_ns < 200000000u)
        return;
    pg->last_ns = now;
    if (pg->total)
        fprintf(stderr, "\r%s: %llu/%llu (%.0f%%)\033[K", pg->what, (unsigned long long)done,
                (unsigned long long)pg->total, 100.0 * (double)done / (double)pg->total);
    else
        fprintf(stderr, "\r%s: %llu\033[K", pg->what, (unsigned long long)done);
    fflush(stderr);
    pg->shown = 1;
}

void progress_end(struct progress *pg)
{
    if (pg->shown) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    pg->shown = 0;
}
