/* SPDX-License-Identifier: MIT */
/* Test program for fork, exec, vfork and posix_spawn under the profiler. Each process does its own
 * named work, so a profile shows whose samples it holds:
 *   forker fork     parent_work; child: child_work then exec of "forker exec" (exec_work)
 *   forker vfork    vfork + exec of /bin/true, then parent_work
 *   forker spawn    posix_spawn of "forker exec" and of /bin/true, then parent_work
 *   forker exec     exec_work (the image an exec starts)
 * Exit status 0 when every child exited 0. */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static __attribute__((noinline)) double spin(long n)
{
    double x = 0;
    for (long i = 0; i < n; i++)
        x += (double)i * 0.5 / (double)(i + 1);
    return x;
}

__attribute__((noinline)) double parent_work(void) { return spin(120000000) + 1; }
__attribute__((noinline)) double child_work(void) { return spin(80000000) + 1; }
__attribute__((noinline)) double exec_work(void) { return spin(80000000) + 1; }

static int wait_ok(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "fork";
    if (strcmp(mode, "exec") == 0) {
        printf("exec image: %.0f\n", exec_work());
        return 0;
    }
    int ok = 1;
    if (strcmp(mode, "fork") == 0) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            printf("child: %.0f\n", child_work());
            fflush(stdout);
            /* A program that changed its environment passes a heap-allocated `environ` to exec:
             * the profiler must not move it (a setenv of its own would free the array). */
            setenv("FORKER_CHILD", "1", 1);
            char *args[] = {argv[0], "exec", NULL};
            execvp("/proc/self/exe", args);
            _exit(127);
        }
        ok = pid > 0;
        printf("parent: %.0f\n", parent_work());
        ok = ok && wait_ok(pid);
    } else if (strcmp(mode, "vfork") == 0) {
        pid_t pid = vfork();
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        ok = pid > 0 && wait_ok(pid);
        printf("parent: %.0f\n", parent_work());
    } else if (strcmp(mode, "spawn") == 0) {
        pid_t a, b;
        char *args_a[] = {argv[0], "exec", NULL}, *args_b[] = {"true", NULL};
        ok = posix_spawn(&a, "/proc/self/exe", NULL, NULL, args_a, environ) == 0;
        ok = ok && posix_spawn(&b, "/bin/true", NULL, NULL, args_b, environ) == 0;
        printf("parent: %.0f\n", parent_work());
        ok = ok && wait_ok(a) && wait_ok(b);
    } else {
        fprintf(stderr, "usage: forker fork|vfork|spawn|exec\n");
        return 2;
    }
    printf("%s done: %s\n", mode, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
