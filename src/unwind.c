/* SPDX-License-Identifier: MIT */
/* Stack unwinding back ends, behind one function: the CFI-table walker (default, "dwarf"), a
 * bounds-checked frame-pointer walk ("fp"), and libunwind ("libunwind", kept for comparison).
 *
 * [AS-SAFE] unwind_from_signal and unwind_from_context run inside the SIGPROF handler (and in
 * malloc wrappers and the wall thread): no allocation, no locks, bounded loops, and every stack
 * read is checked against the thread's stack bounds so a corrupt frame ends the walk instead of
 * faulting. The CFI walker only reads our own immutable tables (cfi.c) and the stack. libunwind
 * is the exception: on a cache miss it calls dl_iterate_phdr and takes its own locks, so it can
 * deadlock a host (docs/DESIGN.md); it is never the default. */
#define _GNU_SOURCE /* REG_RIP and friends */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "cfi.h"
#include "format.h"
#include "runtime.h"

#include <ucontext.h>

static int unwind_mode = FMT_UNWIND_DWARF;

void unwind_init(int unwinder)
{
    unwind_mode = unwinder;
    if (unwinder == FMT_UNWIND_LIBUNWIND)
        /* Asks for the per-thread cache (Debian's libunwind 1.6 is built without __thread and
         * keeps the global one, with a lock and two sigprocmask calls per step: docs/DESIGN.md). */
        unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    else if (unwinder == FMT_UNWIND_DWARF)
        cfi_refresh(); /* the tables cost start-up time: built only for the walker that uses them */
}

/* Outside the handler: libunwind allocates its per-thread cache on first use; do it now. */
void unwind_warm_up_thread(void)
{
    if (unwind_mode != FMT_UNWIND_LIBUNWIND)
        return;
    unw_context_t ctx;
    unw_cursor_t cur;
    if (unw_getcontext(&ctx) != 0 || unw_init_local(&cur, &ctx) != 0)
        return;
    for (int i = 0; i < 64 && unw_step(&cur) > 0; i++)
        ;
}

void unwind_modules_changed(void)
{
    if (unwind_mode == FMT_UNWIND_LIBUNWIND)
        unw_flush_cache(unw_local_addr_space, 0, 0);
    else if (unwind_mode == FMT_UNWIND_DWARF)
        cfi_refresh();
}

/* ---- libunwind ---- */

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

static int unwind_libunwind(ucontext_t *uc, int signal_frame, uint64_t *pcs, int max,
                            unsigned *flags)
{
    unw_cursor_t cur;
    /* SIGNAL_FRAME: the first ip is exact, not a return address (no ip-1 lookup). */
    int r = signal_frame ? unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME)
                         : unw_init_local(&cur, (unw_context_t *)uc);
    if (r != 0) {
        *flags |= FMT_STACK_UNWIND_ERROR;
        pcs[0] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
        return 1;
    }
    return walk_cursor(&cur, pcs, max, flags);
}

/* ---- CFI tables ---- */

struct regs {
    uint64_t pc, sp, fp;
};

/* A stack read, allowed only inside [lo, hi - 8]. */
static inline int load(uint64_t addr, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (addr < lo || addr > hi - 8 || (addr & 7))
        return 0;
    *out = *(const uint64_t *)(uintptr_t)addr;
    return 1;
}

static const struct cfi_row *find_row(const struct cfi_snapshot *s, uint64_t pc)
{
    size_t lo = 0, hi = s->nmods;
    while (lo < hi) { /* the module whose range contains pc */
        size_t mid = (lo + hi) / 2;
        if (pc < s->mods[mid].lo)
            hi = mid;
        else if (pc >= s->mods[mid].hi)
            lo = mid + 1;
        else {
            const struct cfi_table *t = s->mods[mid].table;
            size_t a = 0, b = t->nrows;
            while (a < b) { /* the last row at or before pc */
                size_t m = (a + b) / 2;
                if (t->rows[m].pc <= pc)
                    a = m + 1;
                else
                    b = m;
            }
            return a ? &t->rows[a - 1] : NULL;
        }
    }
    return NULL;
}

/* One step of the walk: from the frame of r (r->pc exact when `exact`, else a return address)
 * to its caller. Returns 1, or 0 when the walk ends (outermost frame or no way on). */
static int cfi_step(const struct cfi_snapshot *s, struct regs *r, int exact, uint64_t lo,
                    uint64_t hi, unsigned *flags)
{
    const struct cfi_row *row = s ? find_row(s, exact ? r->pc : r->pc - 1) : NULL;
    uint64_t cfa, ra, fp = r->fp;
    int kind = row ? row->cfa_kind : CFI_CFA_NONE;
    switch (kind) {
    case CFI_CFA_SP:
    case CFI_CFA_FP:
        cfa = (kind == CFI_CFA_SP ? r->sp : r->fp) + (uint64_t)(int64_t)row->cfa_off;
        if (!load(cfa - 8, lo, hi, &ra))
            goto broken;
        if (row->fp_off && !load(cfa + (uint64_t)(int64_t)row->fp_off, lo, hi, &fp))
            goto broken;
        break;
    case CFI_CFA_EXPR: /* PLT stub: nothing pushed but the return address */
        cfa = r->sp + 8;
        if (!load(r->sp, lo, hi, &ra))
            goto broken;
        break;
    case CFI_CFA_SIGNAL: {
        /* Inside __restore_rt: rsp points at the ucontext of the interrupted code. */
        uint64_t uc = r->sp, rip, rsp, rbp;
        const ucontext_t *u = (const ucontext_t *)(uintptr_t)uc;
        uint64_t base = (uint64_t)(uintptr_t)&u->uc_mcontext.gregs[0];
        if (!load(base + REG_RIP * 8, lo, hi, &rip) || !load(base + REG_RSP * 8, lo, hi, &rsp) ||
            !load(base + REG_RBP * 8, lo, hi, &rbp))
            goto broken;
        /* The interrupted code may run on another stack (sigaltstack): stop if it is outside. */
        if (rsp < lo || rsp >= hi)
            return 0;
        r->pc = rip;
        r->sp = rsp;
        r->fp = rbp;
        return 1;
    }
    case CFI_CFA_END:
        return 0;
    case CFI_CFA_NONE:
        /* No CFI (generated code, hand-written asm): try the frame pointer. */
        if (r->fp < r->sp || !load(r->fp + 8, lo, hi, &ra) || !load(r->fp, lo, hi, &fp))
            goto broken;
        cfa = r->fp + 16;
        break;
    default:
        goto broken;
    }
    if (ra == 0)
        return 0; /* outermost frame (_start, clone) */
    if (cfa <= r->sp) /* the stack must grow toward the caller: no loops */
        goto broken;
    r->pc = ra;
    r->sp = cfa;
    r->fp = fp;
    return 1;
broken:
    *flags |= FMT_STACK_UNWIND_ERROR;
    return 0;
}

/* The upper bound of the stack sp is on, for the walks' reads. On the program's alternate signal
 * stack it is that stack's top, so a walk never reads between it and the thread's stack (unmapped
 * gaps, other data) and ends at the signal frame, whose interrupted code is elsewhere. */
static uint64_t stack_top(const struct thread_state *ts, uint64_t sp)
{
    if (!ts)
        return 0;
    if (sp >= ts->altstack_lo && sp < ts->altstack_hi)
        return ts->altstack_hi;
    return ts->stack_hi;
}

static int unwind_cfi(const ucontext_t *uc, const struct thread_state *ts, int signal_frame,
                      uint64_t *pcs, int max, unsigned *flags)
{
    /* Increment, then load (both seq_cst): a refresher that stored a new snapshot and then sees
     * cfi_readers == 0 knows we hold the new one, not one it retired (cfi.c collect_retired). */
    atomic_fetch_add(&cfi_readers, 1);
    const struct cfi_snapshot *s = atomic_load(&cfi_current);
    struct regs r = {(uint64_t)uc->uc_mcontext.gregs[REG_RIP],
                     (uint64_t)uc->uc_mcontext.gregs[REG_RSP],
                     (uint64_t)uc->uc_mcontext.gregs[REG_RBP]};
    uint64_t lo = r.sp, hi = stack_top(ts, r.sp);
    int n = 0;
    pcs[n++] = r.pc;
    if (hi <= lo) { /* stack bounds unknown, or on another stack: only the leaf is safe */
        *flags |= FMT_STACK_UNWIND_ERROR;
    } else {
        int exact = signal_frame;
        while (cfi_step(s, &r, exact, lo, hi, flags)) {
            if (n == max) {
                *flags |= FMT_STACK_TRUNCATED;
                break;
            }
            pcs[n++] = r.pc;
            exact = 0;
        }
    }
    atomic_fetch_sub(&cfi_readers, 1); /* release: our reads of the snapshot are done */
    return n;
}

/* ---- frame pointers ---- */

/* Walks saved rbp links. Each frame must lie inside the thread's stack, above the previous one and
 * aligned, so a bad link ends the walk instead of faulting. */
static int unwind_fp(const ucontext_t *uc, const struct thread_state *ts, uint64_t *pcs, int max,
                     unsigned *flags)
{
    uint64_t fp = (uint64_t)uc->uc_mcontext.gregs[REG_RBP];
    uint64_t sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
    uint64_t hi = stack_top(ts, sp);
    int n = 0;
    pcs[n++] = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    while (n < max) {
        uint64_t next, ret;
        if (fp < sp || !load(fp + 8, sp, hi, &ret) || !load(fp, sp, hi, &next) || ret == 0)
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
    switch (unwind_mode) {
    case FMT_UNWIND_FP: return unwind_fp(ucontext, ts, pcs, max, flags);
    case FMT_UNWIND_LIBUNWIND: return unwind_libunwind(ucontext, 1, pcs, max, flags);
    default: return unwind_cfi(ucontext, ts, 1, pcs, max, flags);
    }
}

/* unwind_cfi's frame is ~2 KiB and what it calls is small; the rest is margin, for a nested
 * signal's kernel frame above all. */
#define UNWIND_STACK_NEED 6144

int unwind_stack_has_room(const struct thread_state *ts, size_t pcs_bytes)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0), need = pcs_bytes + UNWIND_STACK_NEED;
    /* The alternate stack first: a program may place it inside its thread's stack (a local
     * array), and inside a handler with SS_AUTODISARM the kernel no longer reports it. */
    if (sp >= ts->altstack_lo && sp < ts->altstack_hi)
        return sp - ts->altstack_lo >= need;
    if (sp >= ts->stack_lo && sp < ts->stack_hi)
        return sp - ts->stack_lo >= need;
    return 1; /* a stack we know nothing of (a coroutine's, usually large): trusted */
}

int unwind_from_context(ucontext_t *ctx, const struct thread_state *ts, uint64_t *pcs, int max,
                        unsigned *flags)
{
    *flags = 0;
    switch (unwind_mode) {
    case FMT_UNWIND_FP: return unwind_fp(ctx, ts, pcs, max, flags);
    case FMT_UNWIND_LIBUNWIND: return unwind_libunwind(ctx, 0, pcs, max, flags);
    default: return unwind_cfi(ctx, ts, 0, pcs, max, flags);
    }
}
