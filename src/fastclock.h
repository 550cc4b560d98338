/* SPDX-License-Identifier: MIT */
/* A cheap monotonic clock for region timing: the invariant TSC scaled to CLOCK_MONOTONIC
 * nanoseconds once calibrated (the flusher calibrates it after the run's first ~200 ms), and
 * clock_gettime until then or where the TSC is not invariant. On a VM's kvm-clock, clock_gettime
 * costs ~35 ns; rdtsc a few. [AS-SAFE] fastclock_ns (reads only). */
#ifndef PROF_FASTCLOCK_H
#define PROF_FASTCLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

struct fastclock {
    uint64_t tsc0, mono0;     /* a TSC reading and CLOCK_MONOTONIC at the same moment */
    _Atomic uint64_t scale;   /* ns per tick, 32.32 fixed point; 0 = not calibrated */
};
extern struct fastclock fastclock;

static inline uint64_t fastclock_mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* CLOCK_MONOTONIC nanoseconds (absolute). */
static inline uint64_t fastclock_ns(void)
{
    uint64_t scale = atomic_load_explicit(&fastclock.scale, memory_order_relaxed);
    if (!scale)
        return fastclock_mono();
    uint64_t ticks = __rdtsc() - fastclock.tsc0;
    return fastclock.mono0 + (uint64_t)(((unsigned __int128)ticks * scale) >> 32);
}

/* At start: takes the first reference point, if the TSC is invariant (/proc/cpuinfo). */
void fastclock_start(void);
/* Later (flusher): once far enough from the first point, computes the scale. */
void fastclock_calibrate(void);

#endif
