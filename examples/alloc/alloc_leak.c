/* SPDX-License-Identifier: MIT */
/* Ground truth for leak detection: cache_add() keeps N blocks of 1000 bytes until exit (the leak,
 * spread evenly over ROUNDS rounds so the live heap grows steadily), while churn() allocates and
 * frees many short-lived blocks of mixed sizes (never live at exit). Usage: alloc_leak [N]. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 40
#define ROUND_MS 30            /* pause per round: the run spans ~1.2 s of heap snapshots */
#define CHURN_PER_ROUND 25000 /* short-lived blocks per round (small bursts: rings never fill) */
#define CHURN_LIVE 64          /* at most this many churn blocks live at once */

static char **cache;
static size_t cache_len;

/* The leak: a cache that only grows. */
__attribute__((noinline)) void cache_add(size_t i)
{
    char *b = malloc(1000);
    if (!b)
        abort();
    memset(b, (int)(i & 0xff), 1000);
    cache[cache_len++] = b;
}

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Heavy churn: blocks of 16..1039 bytes, each freed soon after. Returns a checksum. */
__attribute__((noinline)) uint64_t churn(uint64_t *seed, size_t n)
{
    char *live[CHURN_LIVE] = {0};
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        size_t slot = i % CHURN_LIVE, size = 16 + (size_t)(rng(seed) % 1024);
        free(live[slot]);
        live[slot] = malloc(size);
        if (!live[slot])
            abort();
        live[slot][0] = (char)i;
        sum += (unsigned char)live[slot][0];
    }
    for (size_t i = 0; i < CHURN_LIVE; i++)
        free(live[i]);
    return sum;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 40000;
    cache = malloc(n * sizeof(*cache) + 1);
    if (!cache)
        return 1;
    uint64_t seed = 88172645463325252ull, sum = 0;
    for (size_t r = 0; r < ROUNDS; r++) {
        for (size_t i = r * n / ROUNDS; i < (r + 1) * n / ROUNDS; i++)
            cache_add(i);
        sum += churn(&seed, CHURN_PER_ROUND);
        struct timespec ts = {0, ROUND_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    printf("alloc_leak: leaked=%zu bytes in %zu blocks checksum=%llu\n", cache_len * 1000, cache_len,
           (unsigned long long)sum);
    return 0; /* the cache (and its index) stay allocated: the leak */
}
