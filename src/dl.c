/* SPDX-License-Identifier: MIT */
/* dlopen/dlclose: the unwind tables the signal handler reads must know a library before its
 * code runs, and should forget one that is gone. Rebuilt right here, in the caller's ordinary
 * context, after the loader is done (tables of other objects are reused). Exported from
 * libprof.so only. */
#define _GNU_SOURCE
#include "runtime.h"

#include <dlfcn.h>
#include <errno.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void *dlopen(const char *file, int mode)
{
    static void *(*real)(const char *, int);
    if (!real)
        real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
    void *h = real(file, mode);
    if (h && preload_profiling_on()) {
        int saved = errno;
        unwind_modules_changed();
        errno = saved;
    }
    return h;
}

EXPORT int dlclose(void *handle)
{
    static int (*real)(void *);
    if (!real)
        real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
    int r = real(handle);
    if (preload_profiling_on()) {
        int saved = errno;
        unwind_modules_changed();
        errno = saved;
    }
    return r;
}
