/* SPDX-License-Identifier: MIT */
/* Plugin for dlopen_main: built as libplugin.so next to the binary and loaded only at run time. */

/*
 * Ground truth: plugin_work burns ~1 s of CPU per unit (all of it self time in plugin_work), and
 * is reached from dlopen_main's main through a function pointer from dlsym().
 */
#include <stdint.h>

/* Kernel iterations per CPU second, calibrated by hand once (same LCG step as work532.c). */
#define ITERS_PER_SECOND 860000000ull

/* Exported with default visibility: dlopen_main looks it up by name. */
__attribute__((noinline, visibility("default"))) uint64_t plugin_work(double seconds)
{
    uint64_t n = (uint64_t)(seconds * (double)ITERS_PER_SECOND);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {                        /* HOT */
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* HOT */
        acc += x >> 33;                                         /* HOT */
    }
    return acc;
}
