/* SPDX-License-Identifier: MIT */
/* Three phases in a row, for the timeline: CPU (spin in cpu_phase), idle (sleep), leaking
 * (leak_phase allocates 64 KiB blocks, touches and keeps them). Prints each phase's span.
 *
 * Ground truth: usage `timeline_phases [SECONDS_PER_PHASE] [LEAK_KIB_PER_S]` (defaults 2 and
 * 4096). On stdout, one line per phase as it ends: "phase NAME START_NS END_NS", CLOCK_MONOTONIC
 * absolute ns (subtract the profile's HEADER start_monotonic_ns for profile time). During the CPU
 * phase nearly all CPU time is in cpu_phase; the idle phase uses no CPU; the leaking phase grows
 * the heap by LEAK_KIB_PER_S and never frees it. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void report(const char *name, uint64_t start, uint64_t end)
{
    printf("phase %s %llu %llu\n", name, (unsigned long long)start, (unsigned long long)end);
    fflush(stdout);
}

static volatile uint64_t sink;

/* Pure computation; the clock is read only every few million iterations. */
__attribute__((noinline)) static void cpu_phase(uint64_t until)
{
    uint64_t x = 88172645463325252ull;
    do {
        for (int i = 0; i < 4000000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        sink = x;
    } while (now_ns() < until);
}

struct block {
    struct block *next;
};

/* Leaks `kib_per_s` KiB per second in 64 KiB blocks, each filled so its pages are resident. */
__attribute__((noinline)) static struct block *leak_phase(uint64_t until, uint64_t kib_per_s)
{
    const size_t size = 64 * 1024;
    uint64_t step = kib_per_s ? 1000000000ull * 64 / kib_per_s : 1000000000ull;
    struct block *list = NULL;
    for (uint64_t t = now_ns(); t < until; t = now_ns()) {
        struct block *b = malloc(size);
        if (!b)
            break;
        memset(b, (int)(t & 0xff), size);
        b->next = list;
        list = b;
        sleep_ns(step);
    }
    return list;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    uint64_t kib = argc > 2 ? strtoull(argv[2], NULL, 10) : 4096;
    if (secs <= 0)
        secs = 2.0;
    uint64_t span = (uint64_t)(secs * 1e9);

    uint64_t t0 = now_ns();
    cpu_phase(t0 + span);
    uint64_t t1 = now_ns();
    report("cpu", t0, t1);

    sleep_ns(span);
    uint64_t t2 = now_ns();
    report("idle", t1, t2);

    struct block *leaked = leak_phase(t2 + span, kib);
    uint64_t t3 = now_ns();
    report("leak", t2, t3);
    sink = (uintptr_t)leaked; /* still reachable: a leak by growth, not a lost pointer */
    return 0;
}
