/* SPDX-License-Identifier: MIT */
/* Example with known ground truth: main -> work_a/work_b/work_c doing 5:3:2 of one shared kernel. */

/*
 * Ground truth (any sampling profiler should see, within sampling noise):
 *   cumulative  work_a 50 %, work_b 30 %, work_c 20 %, kernel_loop ~100 %, main ~100 %
 *   self        kernel_loop ~100 % (the callers only compute loop bounds)
 *   hotspots    the lines marked HOT below (the body of kernel_loop's loop)
 * Usage: work532 [SECONDS]  -- approximate CPU seconds to burn (default 2, fractions allowed).
 * The work is a fixed iteration count, never timed, so the split is exact whatever the machine.
 * Output: "work532: seconds=S unit=U rounds=R result=HEX", exit status 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Kernel iterations per second of CPU, calibrated once by hand on the development machine
 * (2-core AMD EPYC VM, gcc 12 -O2): `time work532 10` took 10.0 s. Other machines will run
 * longer or shorter; only the 5:3:2 ratio is ground truth.
 */
#define ITERS_PER_SECOND 860000000ull

/*
 * The three workers take turns in ROUNDS rounds rather than one after the other: if the machine
 * slows down for a while (another process on the sibling hyperthread, a noisy neighbour VM), the
 * extra CPU time per iteration then falls on all three alike and the CPU-time split stays 5:3:2.
 */
#define ROUNDS 20

/* The shared kernel: a 64-bit LCG whose serial dependency chain the compiler cannot shortcut. */
__attribute__((noinline)) uint64_t kernel_loop(uint64_t n, uint64_t seed)
{
    uint64_t x = seed;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {                        /* HOT */
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* HOT */
        acc += x >> 33;                                         /* HOT */
    }
    return acc;
}

/* Each worker uses the kernel's result after the call, so the call cannot become a tail call
 * (which would drop the worker from the stack). The round number seeds the kernel: calls with
 * equal arguments to these side-effect-free functions could be merged by the compiler. */
__attribute__((noinline)) uint64_t work_a(uint64_t unit, uint64_t round)
{
    uint64_t r = kernel_loop(5 * unit, 0xa + round);
    return r ^ (r >> 7);
}

__attribute__((noinline)) uint64_t work_b(uint64_t unit, uint64_t round)
{
    uint64_t r = kernel_loop(3 * unit, 0xb + round);
    return r ^ (r >> 7);
}

__attribute__((noinline)) uint64_t work_c(uint64_t unit, uint64_t round)
{
    uint64_t r = kernel_loop(2 * unit, 0xc + round);
    return r ^ (r >> 7);
}

int main(int argc, char **argv)
{
    double seconds = 2.0;
    if (argc > 1) {
        char *end;
        seconds = strtod(argv[1], &end);
        if (end == argv[1] || *end != '\0' || !(seconds > 0.0) || seconds > 3600.0) {
            fprintf(stderr, "usage: %s [SECONDS]  (0 < SECONDS <= 3600)\n", argv[0]);
            return 2;
        }
    }
    /* One unit is a tenth of a round: work_a gets 5 units, work_b 3, work_c 2. */
    uint64_t unit = (uint64_t)(seconds * (double)ITERS_PER_SECOND / 10.0 / ROUNDS);
    if (unit == 0)
        unit = 1;

    uint64_t a = 0, b = 0, c = 0;
    for (uint64_t r = 0; r < ROUNDS; r++) {
        a += work_a(unit, r);
        b += work_b(unit, r);
        c += work_c(unit, r);
    }
    printf("work532: seconds=%g unit=%llu rounds=%d result=%016llx\n", seconds,
           (unsigned long long)unit, ROUNDS, (unsigned long long)(a ^ b ^ c));
    return 0;
}
