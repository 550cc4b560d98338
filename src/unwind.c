/* SPDX-License-Identifier: MIT */
/* Stack unwinding back ends: libunwind (DWARF CFI) and a bounds-checked frame-pointer walk.
 *
 * [AS-SAFE] unwind_from_signal runs inside the SIGPROF handler: no allocation, no locks of our
 * own, bounded loops. libunwind is used with its per-thread cache, warmed up outside the handler;
 * on a cache miss it still calls dl_iterate_phdr (see docs/DESIGN.md, "Known limits"). */
#define _GNU_SOURCE /* REG_RIP and friends */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "format.h"
#include "runtime.h"

#include <ucontext.h>

static int unwind_mode = FMT_UNWIND_DWARF;

void unwind_init(int unwinder)
{
    unwind_mode = unwinder;
    /* The global cache takes a lock and calls sigprocmask on every step; per-thread does not. */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

/* Outside the handler: makes libunwind allocate its per-thread cache and look up the objects on
 * this thread's stack now, so that the handler's first unwinds are cache hits. */
void unwind_warm_up_thread(void)
{
    unw_context_t ctx;
    unw_cursor_t cur;
    if (unw_getcontext(&ctx) != 0 || unw_init_local(&cur, &ctx) != 0)
        return;
    for (int i = 0; i < 64 && unw_step(&cur) > 0; i++)
        ;
}

void unwind_flush_caches(void) { unw_flush_cache(unw_local_addr_space, 0, 0); }

/* Steps a cursor to the outermost frame or the depth limit, flagging a cut or an error. */
static int walk_cursor(unw_cursor_t *cur, uint64_t *pcs, int max, unsigned *flags)
{
    int n = 0;
    for (;;) {
        unw_word_t ip = 0;
        if (unw_get_reg(cur, UNW_REG_IP, &ip) != 0 || ip == 0)
            break;
        if (n == max) {
            *flags |= FMT_STACK_TRUNCATED;
            break;
        }
        pcs[n++] = ip;
        int r = unw_step(cur);
        if (r == 0)
            break;
        if (r < 0) {
            *flags |= FMT_STACK_UNWIND_ERROR;
            break;
        }
    }
    return n;
}

static int unwind_dwarf(void *ucontext, uint64_t *pcs, int max, unsigned *flags)
{
    unw_cursor_t cur;
    /* x86_64: unw_context_t is a ucontext_t. SIGNAL_FRAME: the first ip is exact, not a return
     * address, so libunwind must not look it up at ip-1. */
    if (unw_init_local2(&cur, (unw_context_t *)ucontext, UNW_INIT_SIGNAL_FRAME) != 0) {
        *flags |= FMT_STACK_UNWIND_ERROR;
        const ucontext_t *uc = ucontext;
        pcs[0] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
        return 1;
    }
    return walk_cursor(&cur, pcs, max, flags);
}

int unwind_from_context(ucontext_t *ctx, uint64_t *pcs, int max, unsigned *flags)
{
    unw_cursor_t cur;
    *flags = 0;
    /* Not a signal frame: the saved ip is inside the wrapper, a normal call site. */
    if (unw_init_local(&cur, (unw_context_t *)ctx) != 0) {
        *flags |= FMT_STACK_UNWIND_ERROR;
        return 0;
    }
    return walk_cursor(&cur, pcs, max, flags);
}

/* Walks saved rbp links. Each frame must lie inside the thread's stack, above the previous one and
 * aligned, so a bad link ends the walk instead of faulting. */
static int unwind_fp(void *ucontext, const struct thread_state *ts, uint64_t *pcs, int max,
                     unsigned *flags)
{
    const ucontext_t *uc = ucontext;
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    uintptr_t lo = ts->stack_lo ? ts->stack_lo : sp, hi = ts->stack_hi;
    int n = 0;
    pcs[n++] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    if (lo > sp)
        lo = sp;
    while (n < max) {
        if (fp < lo || fp < sp || (fp & 7) || hi == 0 || fp + 16 > hi)
            return n;
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t next = frame[0], ret = frame[1];
        if (ret == 0)
            return n;
        pcs[n++] = ret;
        if (next <= fp)
            return n;
        fp = next;
    }
    *flags |= FMT_STACK_TRUNCATED;
    return n;
}

int unwind_from_signal(void *ucontext, const struct thread_state *ts, uint64_t *pcs, int max,
                       unsigned *flags)
{
    *flags = 0;
    if (unwind_mode == FMT_UNWIND_FP)
        return unwind_fp(ucontext, ts, pcs, max, flags);
    return unwind_dwarf(ucontext, pcs, max, flags);
}
