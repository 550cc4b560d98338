/* SPDX-License-Identifier: MIT */
/* Malloc-heavy benchmark workload: COUNT million small malloc/free pairs (16..271 bytes, a window of
 * 256 live blocks, so most frees are of recent blocks, as in real churn) through a few call paths,
 * plus a LEAK_MB cache kept until exit. Usage: alloc_churn [COUNT_MILLIONS [LEAK_MB [IDLE_THREAD]]]
 * (40, 200, 0). IDLE_THREAD=1 first starts a thread that only sleeps: glibc's malloc takes its
 * multi-threaded paths (atomics, arena locks) once a process has two threads, which a profiler's
 * own thread otherwise brings about (+1.6 % of this workload's instructions on its own); with it,
 * the baseline already pays that, as any threaded program does.
 * Prints a checksum so the work cannot be optimized away. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WINDOW 256

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

__attribute__((noinline)) static char *make_node(uint64_t *seed)
{
    size_t size = 16 + (size_t)(rng(seed) & 255);
    char *p = malloc(size);
    if (!p)
        abort();
    p[0] = (char)size;
    return p;
}

__attribute__((noinline)) static char *make_string(uint64_t *seed)
{
    size_t size = 16 + (size_t)(rng(seed) & 63);
    char *p = malloc(size);
    if (!p)
        abort();
    memset(p, 'x', size - 1);
    p[size - 1] = '\0';
    return p;
}

__attribute__((noinline)) static uint64_t churn(uint64_t n, uint64_t *seed)
{
    char *live[WINDOW] = {0};
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t slot = (size_t)(rng(seed) % WINDOW);
        free(live[slot]);
        live[slot] = (i & 3) ? make_node(seed) : make_string(seed);
        sum += (unsigned char)live[slot][0];
    }
    for (size_t i = 0; i < WINDOW; i++)
        free(live[i]);
    return sum;
}

__attribute__((noinline)) static void **leak_cache(size_t mb)
{
    size_t n = (mb << 20) / 4096;
    void **cache = malloc((n + 1) * sizeof(*cache));
    if (!cache)
        abort();
    for (size_t i = 0; i < n; i++) {
        cache[i] = malloc(4096);
        if (!cache[i])
            abort();
        memset(cache[i], (int)i, 64);
    }
    return cache;
}

static void *idle_thread(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t millions = argc > 1 ? strtoull(argv[1], NULL, 10) : 40;
    size_t leak_mb = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
    pthread_t idle;
    if (argc > 3 && atoi(argv[3]) && pthread_create(&idle, NULL, idle_thread, NULL) != 0)
        abort();
    uint64_t seed = 0x853c49e6748fea9bull;
    void **cache = leak_cache(leak_mb);
    uint64_t sum = churn(millions * 1000000, &seed);
    printf("alloc_churn: %llu M malloc/free, %zu MB kept, checksum %llu (%p)\n",
           (unsigned long long)millions, leak_mb, (unsigned long long)sum, (void *)cache);
    return 0;
}
