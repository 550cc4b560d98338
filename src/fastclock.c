/* SPDX-License-Identifier: MIT */
/* Calibration of the TSC-based clock of fastclock.h against CLOCK_MONOTONIC. Ordinary context. */
#include "fastclock.h"

#include "runtime.h"

#include <string.h>

struct fastclock fastclock;
static int usable;

/* Both flags are needed: the rate must not change with frequency scaling (constant_tsc) nor stop
 * in idle states (nonstop_tsc). */
static int tsc_invariant(void)
{
    char buf[16384]; /* the first CPU's block, which holds its flags line, is ~1.5 KiB */
    if (procfs_read("/proc/cpuinfo", buf, sizeof(buf)) < 0)
        return 0;
    char *line = strstr(buf, "\nflags");
    if (!line)
        return 0;
    char *end = strchr(line + 1, '\n');
    if (!end)
        return 0; /* the line was cut off */
    *end = 0;
    return strstr(line, " constant_tsc") != NULL && strstr(line, " nonstop_tsc") != NULL;
}

void fastclock_start(void)
{
    usable = tsc_invariant();
    if (!usable)
        return;
    fastclock.mono0 = fastclock_mono();
    fastclock.tsc0 = __rdtsc();
}

void fastclock_calibrate(void)
{
    if (!usable || atomic_load(&fastclock.scale))
        return;
    uint64_t mono = fastclock_mono(), tsc = __rdtsc();
    /* 200 ms between the points: a 1 us error in either reading is then 5 ppm. */
    if (mono - fastclock.mono0 < 200000000u || tsc <= fastclock.tsc0)
        return;
    uint64_t scale = (uint64_t)(((unsigned __int128)(mono - fastclock.mono0) << 32) /
                                (tsc - fastclock.tsc0));
    atomic_store(&fastclock.scale, scale);
}
