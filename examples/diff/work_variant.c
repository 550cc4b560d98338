/* SPDX-License-Identifier: MIT */
/* Example for profdiff: work532's three workers, with one of them doing twice its work on request. */

/*
 * Ground truth:
 *   work_variant base [SECONDS]    work_a : work_b : work_c = 5 : 3 : 2 units of one kernel
 *   work_variant slow_a [SECONDS]  work_a does 10 units instead of 5 (+100 % for work_a)
 *   work_variant slow_b [SECONDS]  work_b does 6 units instead of 3 (+100 % for work_b)
 *   work_variant slow_c [SECONDS]  work_c does 4 units instead of 2 (+100 % for work_c)
 * The other workers do exactly the same work in every variant, so their CPU time is unchanged (up
 * to machine noise); kernel_loop and main grow by the doubled worker's share. SECONDS (default 1)
 * is the approximate CPU time of the base variant. Work is a fixed iteration count, never timed.
 * Output: "work_variant: variant=V seconds=S unit=U rounds=R result=HEX", exit status 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kernel iterations per CPU-second, as in examples/work532.c (only the ratios are ground truth). */
#define ITERS_PER_SECOND 860000000ull

/* Interleaved rounds: a slowdown of the machine for a while falls on all workers alike. */
#define ROUNDS 20

/* The shared kernel: a 64-bit LCG whose serial dependency chain the compiler cannot shortcut. */
__attribute__((noinline)) uint64_t kernel_loop(uint64_t n, uint64_t seed)
{
    uint64_t x = seed;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        acc += x >> 33;
    }
    return acc;
}

/* Each worker uses the kernel's result after the call (no tail call drops it from the stack);
 * the round seeds the kernel so that calls cannot be merged. `units` is its share of a round. */
__attribute__((noinline)) uint64_t work_a(uint64_t unit, uint64_t units, uint64_t round)
{
    uint64_t r = kernel_loop(units * unit, 0xa + round);
    return r ^ (r >> 7);
}

__attribute__((noinline)) uint64_t work_b(uint64_t unit, uint64_t units, uint64_t round)
{
    uint64_t r = kernel_loop(units * unit, 0xb + round);
    return r ^ (r >> 7);
}

__attribute__((noinline)) uint64_t work_c(uint64_t unit, uint64_t units, uint64_t round)
{
    uint64_t r = kernel_loop(units * unit, 0xc + round);
    return r ^ (r >> 7);
}

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s base|slow_a|slow_b|slow_c [SECONDS]  (0 < SECONDS <= 3600)\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        return usage(argv[0]);
    uint64_t ua = 5, ub = 3, uc = 2;
    if (strcmp(argv[1], "slow_a") == 0)
        ua *= 2;
    else if (strcmp(argv[1], "slow_b") == 0)
        ub *= 2;
    else if (strcmp(argv[1], "slow_c") == 0)
        uc *= 2;
    else if (strcmp(argv[1], "base") != 0)
        return usage(argv[0]);
    double seconds = 1.0;
    if (argc > 2) {
        char *end;
        seconds = strtod(argv[2], &end);
        if (end == argv[2] || *end != '\0' || !(seconds > 0.0) || seconds > 3600.0)
            return usage(argv[0]);
    }
    /* One unit is a tenth of a base round. */
    uint64_t unit = (uint64_t)(seconds * (double)ITERS_PER_SECOND / 10.0 / ROUNDS);
    if (unit == 0)
        unit = 1;
    uint64_t a = 0, b = 0, c = 0;
    for (uint64_t r = 0; r < ROUNDS; r++) {
        a += work_a(unit, ua, r);
        b += work_b(unit, ub, r);
        c += work_c(unit, uc, r);
    }
    printf("work_variant: variant=%s seconds=%g unit=%llu rounds=%d result=%016llx\n", argv[1],
           seconds, (unsigned long long)unit, ROUNDS, (unsigned long long)(a ^ b ^ c));
    return 0;
}
