/* SPDX-License-Identifier: MIT */
/* Example with known ground truth: work in main's own code, then in a dlopen()ed plugin. */

/*
 * Ground truth (CPU time):
 *   main_work    ~0.3 s  (23 % of the run), self time, in this executable
 *   plugin_work  ~1.0 s  (77 % of the run), self time, in libplugin.so, which is loaded with
 *                dlopen() after main_work and unloaded with dlclose() before exit, so a profiler
 *                must note the mapping while it exists and symbolize it after it is gone.
 * Usage: dlopen_main [PLUGIN_PATH]  -- default: libplugin.so in the directory of /proc/self/exe.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Kernel iterations per CPU second, calibrated by hand once (same LCG step as work532.c). */
#define ITERS_PER_SECOND 860000000ull
#define MAIN_SECONDS 0.3
#define PLUGIN_SECONDS 1.0

typedef uint64_t (*plugin_work_fn)(double seconds);

__attribute__((noinline)) uint64_t main_work(double seconds)
{
    uint64_t n = (uint64_t)(seconds * (double)ITERS_PER_SECOND);
    uint64_t x = 0x243f6a8885a308d3ull;
    uint64_t acc = 0;
    for (uint64_t i = 0; i < n; i++) {                        /* HOT */
        x = x * 6364136223846793005ull + 1442695040888963407ull; /* HOT */
        acc += x >> 33;                                         /* HOT */
    }
    return acc;
}

/* Writes "<directory of /proc/self/exe>/libplugin.so" into buf; returns 0 or -1. */
static int default_plugin_path(char *buf, size_t size)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len <= 0)
        return -1;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    int n = snprintf(buf, size, "%s/libplugin.so", exe);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int main(int argc, char **argv)
{
    char path[PATH_MAX];
    if (argc > 1) {
        snprintf(path, sizeof(path), "%s", argv[1]);
    } else if (default_plugin_path(path, sizeof(path)) != 0) {
        fprintf(stderr, "dlopen_main: cannot find the directory of /proc/self/exe\n");
        return 1;
    }

    uint64_t m = main_work(MAIN_SECONDS);

    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        fprintf(stderr, "dlopen_main: dlopen: %s\n", dlerror());
        return 1;
    }
    plugin_work_fn work;
    /* POSIX allows converting dlsym's void * to a function pointer; memcpy keeps -Wpedantic quiet. */
    void *sym = dlsym(handle, "plugin_work");
    if (sym == NULL) {
        fprintf(stderr, "dlopen_main: dlsym: %s\n", dlerror());
        dlclose(handle);
        return 1;
    }
    memcpy(&work, &sym, sizeof(work));
    uint64_t p = work(PLUGIN_SECONDS);
    if (dlclose(handle) != 0) {
        fprintf(stderr, "dlopen_main: dlclose: %s\n", dlerror());
        return 1;
    }
    printf("dlopen_main: plugin=%s main=%016llx plugin=%016llx\n", path, (unsigned long long)m,
           (unsigned long long)p);
    return 0;
}
