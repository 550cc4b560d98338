/* SPDX-License-Identifier: MIT */
/* Sharing SIGPROF with the host. libprof keeps its handler installed; when the program installs
 * its own SIGPROF handler (sigaction or signal), we record it as the program's and our handler
 * passes it every SIGPROF that is not ours (sampler.c tells them apart: our timers and the wall
 * sampler mark theirs, perf events name their fd). The program sees the disposition it set.
 * ITIMER_PROF: if the program arms it, its SIGPROFs (SI_KERNEL) are the program's; if we were
 * using ITIMER_PROF ourselves (the last-resort timer source), we stop recording them and warn.
 * Exported from libprof.so only; ordinary context. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* The program's alternate signal stack, recorded per thread so that our handlers can tell, with
 * plain reads, how much of it is left (unwind_stack_has_room): a handler of the host's on a small
 * sigaltstack may be interrupted by ours, or call a wrapped blocking call. glibc's sigaltstack is
 * the bare system call; so is this. */
EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
    long r = syscall(SYS_sigaltstack, ss, old);
    struct thread_state *ts = tls_thread;
    if (r == 0 && ss && ts) {
        int off = ss->ss_flags & SS_DISABLE;
        ts->altstack_lo = off ? 0 : (uintptr_t)ss->ss_sp;
        ts->altstack_hi = off ? 0 : (uintptr_t)ss->ss_sp + ss->ss_size;
    }
    return (int)r;
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig != SIGPROF || !preload_profiling_on())
        return signals_real_sigaction(sig, act, old);
    /* SIGPROF is blocked while the record changes, so our handler on this thread never sees a
     * half-written one. */
    sigset_t block, mask;
    sigemptyset(&block);
    sigaddset(&block, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &block, &mask);
    if (old)
        sampler_get_host_action(old);
    if (act)
        sampler_set_host_action(act);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    return 0;
}

EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
    if (sig != SIGPROF || !preload_profiling_on()) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = handler;
        sa.sa_flags = SA_RESTART; /* BSD semantics, as glibc's signal() */
        sigemptyset(&sa.sa_mask);
        if (signals_real_sigaction(sig, &sa, &old) != 0)
            return SIG_ERR;
        return old.sa_handler;
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPROF, &sa, &old);
    return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction : old.sa_handler;
}

EXPORT int setitimer(__itimer_which_t which, const struct itimerval *val, struct itimerval *old)
{
    /* glibc's setitimer is a plain syscall wrapper: no lookup needed, and none can recurse. */
    if (which == ITIMER_PROF && val && preload_profiling_on()) {
        int arming = val->it_value.tv_sec || val->it_value.tv_usec;
        if (arming && timer_source() == FMT_TIMER_ITIMER && !atomic_load(&sampler_host_itimer))
            log_warn("the program arms ITIMER_PROF, which libprof was using; CPU sampling stops "
                     "(use PROF_TIMER=perf or cputime to profile this program)");
        atomic_store(&sampler_host_itimer, arming);
    }
    return (int)syscall(SYS_setitimer, which, val, old);
}
