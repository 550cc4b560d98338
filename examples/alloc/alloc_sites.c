/* SPDX-License-Identifier: MIT */
/* Ground truth for allocation sites: site_three() allocates three times the bytes of site_one()
 * (same mixed size distribution, interleaved), everything freed. Usage: alloc_sites [MB], MB = the
 * bytes of site_one in MiB (default 32). Prints the exact byte counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Rounds interleave the two sites so they see the same conditions; the pause after each keeps the
 * rate of sampled events modest (a profiler ring that fills would lose some of them). */
#define ROUNDS 128
#define ROUND_PAUSE_MS 15

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Allocates `bytes` in blocks of 16..2063 bytes, each freed right away; returns the bytes asked. */
__attribute__((noinline)) uint64_t site_one(uint64_t *seed, uint64_t bytes)
{
    uint64_t done = 0;
    while (done < bytes) {
        size_t size = 16 + (size_t)(rng(seed) % 2048);
        volatile char *p = malloc(size);
        if (!p)
            abort();
        p[0] = 1;
        free((void *)p);
        done += size;
    }
    return done;
}

__attribute__((noinline)) uint64_t site_three(uint64_t *seed, uint64_t bytes)
{
    uint64_t done = 0;
    while (done < 3 * bytes) {
        size_t size = 16 + (size_t)(rng(seed) % 2048);
        volatile char *p = malloc(size);
        if (!p)
            abort();
        p[0] = 3;
        free((void *)p);
        done += size;
    }
    return done;
}

int main(int argc, char **argv)
{
    uint64_t mb = argc > 1 ? strtoull(argv[1], NULL, 10) : 32;
    uint64_t seed = 0x2545f4914f6cdd1dull, one = 0, three = 0;
    for (int r = 0; r < ROUNDS; r++) {
        one += site_one(&seed, (mb << 20) / ROUNDS);
        three += site_three(&seed, (mb << 20) / ROUNDS);
        struct timespec ts = {0, ROUND_PAUSE_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    printf("alloc_sites: site_one=%llu site_three=%llu\n", (unsigned long long)one,
           (unsigned long long)three);
    return 0;
}
