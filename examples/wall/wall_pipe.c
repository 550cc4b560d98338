/* SPDX-License-Identifier: MIT */
/* Example with known ground truth for wall mode: a thread blocks ~300 ms in read() on a pipe, three
 * times, with some computation in between. */

/*
 * Ground truth: thread "pipe-reader" blocks three times in wait_for_message -> read(), each time
 * ~300 ms (a "pipe-writer" thread sleeps 300 ms, then writes one message). Between the reads the
 * reader computes ~50 ms of CPU (spin_cpu), so the three waits are separate episodes; the writer
 * starts each 300 ms only when the reader says it is ready (an ack pipe). The writer's three
 * 300 ms sleeps (writer_main -> nanosleep) are blocking episodes too; its waits for the ack
 * (~50 ms) are shorter than the default --block-ms.
 * The program measures each read with CLOCK_MONOTONIC and prints
 *   wall_pipe: read 1 ms=301.2 ... and a final line "wall_pipe: reads=3 ..."
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3
#define BLOCK_MS 300
#define SPIN_MS 50

static int fds[2]; /* messages: writer -> reader */
static int ack[2]; /* "ready for the next one": reader -> writer */

static uint64_t clock_ns(clockid_t clk)
{
    struct timespec t;
    clock_gettime(clk, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

__attribute__((noinline)) uint64_t spin_cpu(uint64_t cpu_ms)
{
    uint64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + cpu_ms * 1000000u, x = 1;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
        for (int i = 0; i < 10000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            __asm__ volatile("" : "+r"(x));
        }
    return x;
}

__attribute__((noinline)) ssize_t wait_for_message(char *buf, size_t n)
{
    ssize_t r = read(fds[0], buf, n);
    if (r < 0) /* not a tail call: this function stays in the stack */
        perror("wall_pipe: read");
    return r;
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "pipe-writer");
    for (int i = 0; i < ROUNDS; i++) {
        char c;
        if (i > 0 && read(ack[0], &c, 1) != 1) /* the reader is ready: start its 300 ms */
            perror("wall_pipe: read ack");
        struct timespec d = {0, BLOCK_MS * 1000000L};
        nanosleep(&d, NULL);
        if (write(fds[1], "m", 1) != 1)
            perror("wall_pipe: write");
    }
    return NULL;
}

static void *reader_main(void *arg)
{
    int *ok = arg;
    pthread_setname_np(pthread_self(), "pipe-reader");
    pthread_t writer;
    if (pthread_create(&writer, NULL, writer_main, NULL) != 0)
        return NULL;
    uint64_t sink = 0;
    for (int i = 0; i < ROUNDS; i++) {
        char c;
        uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
        ssize_t r = wait_for_message(&c, 1);
        uint64_t t1 = clock_ns(CLOCK_MONOTONIC);
        printf("wall_pipe: read %d ms=%.1f result=%zd\n", i + 1, (double)(t1 - t0) / 1e6, r);
        *ok += r == 1 && c == 'm';
        /* Work between the reads, then tell the writer to start the next 300 ms. */
        sink += spin_cpu(SPIN_MS);
        if (i + 1 < ROUNDS && write(ack[1], "a", 1) != 1)
            perror("wall_pipe: write ack");
    }
    pthread_join(writer, NULL);
    return (void *)(uintptr_t)(sink & 1);
}

int main(void)
{
    if (pipe(fds) != 0 || pipe(ack) != 0) {
        perror("wall_pipe: pipe");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int ok = 0;
    pthread_t reader;
    if (pthread_create(&reader, NULL, reader_main, &ok) != 0)
        return 1;
    pthread_join(reader, NULL);
    printf("wall_pipe: reads=%d\n", ok);
    return ok == ROUNDS ? 0 : 1;
}
