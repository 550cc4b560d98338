/* SPDX-License-Identifier: MIT */
/* Calibration of the TSC-based clock of fastclock.h against CLOCK_MONOTONIC. Ordinary context. */
#include "fastclock.h"

#include "runtime.h"

#include <stdio.h>
#include <string.h>

struct fastclock fastclock;
static int usable;

/* Both flags are needed: the rate must not change with frequency scaling (constant_tsc) nor stop
 * in idle states (nonstop_tsc). */
static int tsc_invariant(void)
{
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return 0;
    char line[4096];
    int constant = 0, nonstop = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        constant = strstr(line, " constant_tsc") != NULL;
        nonstop = strstr(line, " nonstop_tsc") != NULL;
        break;
    }
    fclose(f);
    return constant && nonstop;
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
