/* SPDX-License-Identifier: MIT */
/* Example that burns CPU in spin_forever_loop until it is killed (for the SIGKILL test). */

/*
 * Ground truth: after start-up, ~100 % of CPU samples have spin_forever_loop as the leaf frame,
 * called from main. The process never exits by itself, so a profile of it is finished only by
 * the chunks the profiler flushed before the kill.
 * It prints one line ("spin_forever: spinning") on start, flushed at once, so a test can tell
 * that the program is running.
 */
#include <stdint.h>
#include <stdio.h>

/* Written every round so the loop has an observable effect and is not optimized away. */
static volatile uint64_t sink;

__attribute__((noinline)) void spin_forever_loop(uint64_t seed)
{
    uint64_t x = seed;
    for (;;) {
        for (int i = 0; i < 1000000; i++)                            /* HOT */
            x = x * 6364136223846793005ull + 1442695040888963407ull; /* HOT */
        sink = x;
    }
}

int main(void)
{
    printf("spin_forever: spinning\n");
    fflush(stdout);
    spin_forever_loop(42);
    return 0; /* not reached */
}
