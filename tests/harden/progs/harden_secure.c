/* SPDX-License-Identifier: MIT */
/* Linked against libprof.so: a little CPU work, one line of output, exit 0. Run setgid by
 * tests/harden/test_setgid.sh to show that libprof ignores PROF_* there. */
#include <stdio.h>
#include <time.h>

int main(void)
{
    volatile unsigned long x = 1;
    struct timespec ts;
    do {
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005ul + 1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    } while (ts.tv_sec == 0 && ts.tv_nsec < 300000000);
    printf("harden_secure: done\n");
    return 0;
}
