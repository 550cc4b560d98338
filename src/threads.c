/* SPDX-License-Identifier: MIT */
/* Registry of profiled threads: one slot per thread with its ring, timer and counters. Slots are
 * claimed by their own thread (constructor or pthread_create wrapper) and recycled by the flusher
 * once an exited thread's ring is drained. Not signal-safe; the handler only reads tls_thread. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define THREADS_MAX 8192

static struct thread_state *_Atomic slots[THREADS_MAX];
static _Atomic size_t nslots;
static _Atomic uint64_t registered_total;
static _Atomic uint64_t out_of_slots;
static size_t ring_bytes = 512 * 1024;

void threads_set_ring_bytes(size_t bytes) { ring_bytes = bytes; }

size_t threads_slot_count(void) { return atomic_load_explicit(&nslots, memory_order_acquire); }

struct thread_state *threads_slot(size_t i)
{
    /* acquire: pairs with the release store in claim_slot, so the state's fields are visible. */
    return atomic_load_explicit(&slots[i], memory_order_acquire);
}

uint64_t threads_registered_total(void) { return atomic_load(&registered_total); }

static struct thread_state *claim_slot(void)
{
    size_t n = threads_slot_count();
    for (size_t i = 0; i < n; i++) {
        struct thread_state *ts = threads_slot(i);
        int expected = SLOT_FREE;
        if (ts && atomic_compare_exchange_strong(&ts->state, &expected, SLOT_CLAIMED))
            return ts;
    }
    size_t idx = atomic_fetch_add(&nslots, 1);
    if (idx >= THREADS_MAX) {
        atomic_fetch_sub(&nslots, 1);
        return NULL;
    }
    void *m = mmap(NULL, sizeof(struct thread_state), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL; /* the slot index stays NULL and is skipped by readers */
    struct thread_state *ts = m;
    atomic_init(&ts->state, SLOT_CLAIMED);
    ts->ring = ring_new(ring_bytes);
    if (!ts->ring) {
        munmap(m, sizeof(*ts));
        return NULL;
    }
    atomic_store_explicit(&slots[idx], ts, memory_order_release);
    return ts;
}

static void stack_bounds(struct thread_state *ts)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    ts->stack_lo = ts->stack_hi = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
        ts->stack_lo = (uintptr_t)addr;
        ts->stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
}

struct thread_state *threads_register_self(void)
{
    if (tls_thread)
        return tls_thread;
    struct thread_state *ts = claim_slot();
    if (!ts) {
        atomic_fetch_add(&out_of_slots, 1);
        return NULL;
    }
    ts->tid = (pid_t)syscall(SYS_gettid);
    ts->generation++;
    ts->internal = 0;
    ts->altstack_lo = ts->altstack_hi = 0; /* a new thread has none */
    ts->block_depth = 0;
    atomic_store(&ts->block_seq, 0);
    atomic_store(&ts->stack_reader, 0);
    atomic_store(&ts->runnable_periods, 0);
    atomic_store(&ts->blocked_total_ns, 0);
    atomic_store(&ts->blocked_sampled_ns, 0);
    atomic_store(&ts->block_owner, 0);
    ts->offcpu_rng = 0;
    ts->offcpu_countdown_ns = 0;
    ts->regions.depth = 0;
    ts->regions.next_call = ts->regions.end_call = 0;
    memset(ts->regions.cache, 0, sizeof(ts->regions.cache)); /* stats pages: see flusher.c */
    ts->busy = 0;
    ts->name_known = 0;
    ts->name[0] = 0;
    memset(&ts->ctr, 0, sizeof(ts->ctr));
    stack_bounds(ts);
    unwind_warm_up_thread();
    atomic_store_explicit(&ts->state, SLOT_LIVE, memory_order_release);
    tls_thread = ts;
    atomic_fetch_add(&registered_total, 1);
    if (timer_arm_self(ts) == 0)
        atomic_store(&ts->armed, 1);
    return ts;
}

struct thread_state *threads_register_internal(size_t bytes)
{
    size_t saved = ring_bytes;
    ring_bytes = bytes; /* only used when a new slot has to be created */
    struct thread_state *ts = claim_slot();
    ring_bytes = saved;
    if (!ts)
        return NULL;
    ts->tid = (pid_t)syscall(SYS_gettid);
    ts->internal = 1;
    ts->name_known = 1;
    memset(&ts->ctr, 0, sizeof(ts->ctr));
    atomic_store_explicit(&ts->state, SLOT_LIVE, memory_order_release);
    return ts;
}

static void disarm_once(struct thread_state *ts)
{
    if (atomic_exchange(&ts->armed, 0))
        timer_disarm(ts);
}

void threads_unregister_self(void)
{
    struct thread_state *ts = tls_thread;
    if (!ts)
        return;
    disarm_once(ts);
    /* From here a late signal finds no state and is counted as such, never touches the slot. */
    tls_thread = NULL;
    atomic_signal_fence(memory_order_seq_cst);
    char name[16] = {0};
    if (prctl(PR_GET_NAME, name, 0, 0, 0) == 0) {
        memcpy(ts->name, name, sizeof(ts->name));
        ts->name_known = 1;
    }
    /* release: the flusher (acquire in its scan) sees the final name and counters. */
    atomic_store_explicit(&ts->state, SLOT_EXITED, memory_order_release);
}

void threads_release(struct thread_state *ts)
{
    atomic_store_explicit(&ts->state, SLOT_FREE, memory_order_release);
}

void threads_stop_all(void)
{
    size_t n = threads_slot_count();
    for (size_t i = 0; i < n; i++) {
        struct thread_state *ts = threads_slot(i);
        if (ts)
            disarm_once(ts);
    }
    timer_stop_process();
}

void threads_reset_after_fork(void)
{
    struct thread_state *self = tls_thread;
    size_t n = threads_slot_count();
    for (size_t i = 0; i < n; i++) {
        struct thread_state *ts = threads_slot(i);
        if (!ts)
            continue;
        /* Perf fds are our copies of the parent's events; POSIX timers are not inherited. */
        if (ts->timer_kind == FMT_TIMER_PERF && ts->perf_fd >= 0)
            close(ts->perf_fd);
        ts->perf_fd = -1;
        ts->timer_kind = FMT_TIMER_NONE;
        atomic_store(&ts->armed, 0);
        if (ts != self)
            atomic_store(&ts->state, SLOT_FREE);
    }
    atomic_store(&registered_total, 0);
    if (!self)
        return;
    ring_reset(self->ring);
    memset(&self->ctr, 0, sizeof(self->ctr));
    /* The parent's region counts are the parent's: the child starts from zero. */
    for (size_t page = 0; page < REGION_MAX_PAGES; page++)
        free(atomic_exchange(&self->regions.pages[page], NULL));
    self->tid = (pid_t)syscall(SYS_gettid);
    self->name_known = 0;
    self->generation++;
    self->offcpu_rng = 0; /* reseeded from the new tid: not the parent's sequence */
    /* Forked from a signal handler while the parent's wall thread was reading this thread's
     * stack: nobody reads it here, and block_end must not wait for that reader. */
    atomic_store(&self->stack_reader, 0);
    atomic_store(&registered_total, 1);
    if (timer_arm_self(self) == 0)
        atomic_store(&self->armed, 1);
}

uint64_t threads_out_of_slots(void) { return atomic_load(&out_of_slots); }
