/* SPDX-License-Identifier: MIT */
/* Example whose stdout, stderr and exit status must be the same with and without the profiler. */

/*
 * Ground truth:
 *   stdout: "exit_status: line N" for N = 1..5 (through stdio), one line written with write(2),
 *           the result of ~0.5 s of CPU work, and, when stdin is not a terminal, the byte count
 *           and FNV-1a checksum of all of stdin (an empty stdin gives "stdin: 0 bytes ...")
 *   stderr: "exit_status: warning N" for N = 1..3, interleaved with the stdout lines
 *   exit status: 3
 * Nothing printed depends on time, pid or environment, so two runs are byte-identical.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Kernel iterations per CPU second, calibrated by hand once (same LCG step as work532.c). */
#define ITERS_PER_SECOND 860000000ull

__attribute__((noinline)) uint64_t exit_status_work(uint64_t n)
{
    uint64_t x = 7;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {                        /* HOT */
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* HOT */
        acc += x >> 33;                                         /* HOT */
    }
    return acc;
}

/* FNV-1a over stdin; returns 0 and fills *bytes / *hash, or -1 on a read error. */
static int checksum_stdin(uint64_t *bytes, uint64_t *hash)
{
    unsigned char buf[65536];
    uint64_t h = 0xcbf29ce484222325ull;
    uint64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        for (size_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 0x100000001b3ull;
        total += n;
    }
    if (ferror(stdin))
        return -1;
    *bytes = total;
    *hash = h;
    return 0;
}

int main(void)
{
    for (int i = 1; i <= 5; i++) {
        printf("exit_status: line %d\n", i);
        if (i <= 3)
            fprintf(stderr, "exit_status: warning %d\n", i);
    }
    /* Bypasses stdio: must reach the same file, after the buffered lines (flushed first). */
    fflush(stdout);
    static const char raw[] = "exit_status: raw write(2) line\n";
    if (write(STDOUT_FILENO, raw, strlen(raw)) < 0)
        perror("exit_status: write");

    uint64_t r = exit_status_work(ITERS_PER_SECOND / 2);
    printf("exit_status: work result=%016llx\n", (unsigned long long)r);

    if (!isatty(STDIN_FILENO)) {
        uint64_t bytes = 0, hash = 0;
        if (checksum_stdin(&bytes, &hash) != 0) {
            fprintf(stderr, "exit_status: error reading stdin\n");
        } else {
            printf("exit_status: stdin: %llu bytes fnv1a=%016llx\n", (unsigned long long)bytes,
                   (unsigned long long)hash);
        }
    }
    fprintf(stderr, "exit_status: exiting with status 3\n");
    return 3;
}
