/* SPDX-License-Identifier: MIT */
/* The C library's sigaction, looked up past our own interposer (signals.c). Ordinary context. */
#define _GNU_SOURCE
#include "runtime.h"

#include <dlfcn.h>
#include <errno.h>

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

int signals_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static sigaction_fn real;
    if (!real)
        real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real(sig, act, old);
}
