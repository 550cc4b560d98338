/* SPDX-License-Identifier: MIT */
/* Benchmark runner: runs a command and reports the CPU time (user, system) and wall time it and its
 * waited-for descendants used, from wait4's rusage. */

/*
 * Usage: benchrun [-o FILE] [-q] COMMAND [ARG...]
 *   -o FILE  append the result line to FILE instead of printing it on stderr
 *   -q       send the command's stdout to /dev/null
 * Result line: "user_s=U sys_s=S cpu_s=U+S wall_s=W status=X" (X = exit status, or 128 + signal).
 * Exit status: the command's (so a failing run is noticed), 127 if it could not be started.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *out_path = NULL;
    int quiet = 0, opt;
    while ((opt = getopt(argc, argv, "+o:q")) != -1) {
        switch (opt) {
        case 'o': out_path = optarg; break;
        case 'q': quiet = 1; break;
        default: goto usage;
        }
    }
    if (optind >= argc)
        goto usage;

    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) {
        perror("benchrun: fork");
        return 127;
    }
    if (pid == 0) {
        if (quiet) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                close(fd);
            }
        }
        execvp(argv[optind], &argv[optind]);
        fprintf(stderr, "benchrun: %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("benchrun: wait4");
            return 127;
        }
    }
    double wall = now_s() - t0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double user = tv_s(ru.ru_utime), sys = tv_s(ru.ru_stime);

    FILE *f = stderr;
    if (out_path && !(f = fopen(out_path, "a"))) {
        fprintf(stderr, "benchrun: %s: %s\n", out_path, strerror(errno));
        return 127;
    }
    fprintf(f, "user_s=%.6f sys_s=%.6f cpu_s=%.6f wall_s=%.6f status=%d\n", user, sys, user + sys,
            wall, code);
    if (f != stderr)
        fclose(f);
    return code;

usage:
    fprintf(stderr, "usage: benchrun [-o FILE] [-q] COMMAND [ARG...]\n");
    return 2;
}
