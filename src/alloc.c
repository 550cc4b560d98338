/* SPDX-License-Identifier: MIT */
/* Allocation sampling: the malloc family is interposed; every thread counts down the bytes it
 * allocates and, every PROF_ALLOC_RATE bytes on average (exponentially distributed distances, as
 * tcmalloc and jemalloc do), records the allocating stack, the size and an unbiased weight. Frees
 * of sampled blocks are matched through a lock-free address table. The real allocator is whatever
 * comes next in the search order (glibc's, or a jemalloc/tcmalloc the program links).
 * Ordinary thread context, but the interposed functions can run anywhere malloc can: before our
 * constructor, inside dlsym, in fork children. Nothing here may call malloc itself except through
 * the real functions, and our own work is guarded against re-entry per thread. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "format.h"
#include "runtime.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <math.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- the real allocator ---- */

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef void *(*memalign_fn)(size_t, size_t);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);

static void *malloc_unresolved(size_t size);
static void *calloc_unresolved(size_t n, size_t size);
static void *realloc_unresolved(void *old, size_t size);
static void free_unresolved(void *p);

/* The hot four start out pointing at functions that resolve the table and retry, so that their
 * fast paths call through without a NULL test; the rare ones are NULL until resolved. Stores and
 * loads are relaxed atomics: a thread sees either the trampoline or the real function. */
static struct {
    malloc_fn malloc;
    calloc_fn calloc;
    realloc_fn realloc;
    free_fn free;
    memalign_fn memalign;
    memalign_fn aligned_alloc;
    posix_memalign_fn posix_memalign;
    malloc_fn valloc;
    malloc_fn pvalloc;
} real = {.malloc = malloc_unresolved, .calloc = calloc_unresolved,
          .realloc = realloc_unresolved, .free = free_unresolved};
static _Atomic int real_resolved;

#define REAL(name) __atomic_load_n(&real.name, __ATOMIC_RELAXED)

/* Set while this thread resolves the real functions: dlsym itself allocates (calloc for its error
 * state), and those requests are served from a static arena. Per thread, so that another thread
 * starting at the same moment resolves for itself instead of taking arena memory. */
static PROF_TLS int resolving;

/* The arena. Its blocks are never freed to the real allocator: their filter slots (below) are
 * pinned, so free() always looks at them closely. */
static _Alignas(64) uint8_t bootstrap_arena[64 * 1024];
static _Atomic size_t bootstrap_used;

static void filter_pin_range(uintptr_t lo, uintptr_t hi);

static void *bootstrap_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    uintptr_t base = (uintptr_t)bootstrap_arena;
    size_t old = atomic_load(&bootstrap_used), start;
    do {
        /* Align the address, not the offset: the arena itself is only 64-byte aligned. */
        start = (size_t)(((base + old + align - 1) & ~(uintptr_t)(align - 1)) - base);
        if (start > sizeof(bootstrap_arena) || size > sizeof(bootstrap_arena) - start)
            return NULL;
    } while (!atomic_compare_exchange_weak(&bootstrap_used, &old, start + size));
    uint8_t *p = bootstrap_arena + start;
    filter_pin_range((uintptr_t)p, (uintptr_t)p + (size ? size : 1));
    return p;
}

static inline int from_bootstrap(const void *p)
{
    return (uintptr_t)p - (uintptr_t)bootstrap_arena < sizeof(bootstrap_arena);
}

/* Idempotent, and safe to run in two threads at once (they store the same values). */
static void resolve_real(void)
{
    if (atomic_load(&real_resolved))
        return;
    resolving = 1;
    malloc_fn m = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    calloc_fn c = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    realloc_fn r = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    free_fn f = (free_fn)dlsym(RTLD_NEXT, "free");
    memalign_fn ma = (memalign_fn)dlsym(RTLD_NEXT, "memalign");
    memalign_fn aa = (memalign_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    posix_memalign_fn pm = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    malloc_fn va = (malloc_fn)dlsym(RTLD_NEXT, "valloc");
    malloc_fn pv = (malloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    resolving = 0;
    if (!m || !c || !r || !f) {
        /* No allocator after us (a static binary cannot be preloaded, so this is a broken
         * environment): keep the trampolines, which fail each request with ENOMEM. */
        return;
    }
    __atomic_store_n(&real.malloc, m, __ATOMIC_RELAXED);
    __atomic_store_n(&real.calloc, c, __ATOMIC_RELAXED);
    __atomic_store_n(&real.realloc, r, __ATOMIC_RELAXED);
    __atomic_store_n(&real.memalign, ma, __ATOMIC_RELAXED);
    __atomic_store_n(&real.aligned_alloc, aa, __ATOMIC_RELAXED);
    __atomic_store_n(&real.posix_memalign, pm, __ATOMIC_RELAXED);
    __atomic_store_n(&real.valloc, va, __ATOMIC_RELAXED);
    __atomic_store_n(&real.pvalloc, pv, __ATOMIC_RELAXED);
    __atomic_store_n(&real.free, f, __ATOMIC_RELAXED);
    atomic_store(&real_resolved, 1);
}

/* ---- sampling state ---- */

static _Atomic int sampling_on;
static uint64_t mean_bytes = 512 * 1024;
static unsigned max_depth = 256;
static _Atomic uint64_t next_alloc_id = 1;

struct alloc_tls {
    int64_t countdown;    /* bytes left before the next sample; <= 0 means sample */
    uint64_t rng;         /* xorshift state, 0 = not seeded */
    int busy;             /* inside our own sampling code: never sample recursively */
};
static PROF_TLS struct alloc_tls tls_alloc;

static uint64_t rng_next(struct alloc_tls *t)
{
    if (t->rng == 0)
        t->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)t ^ (uint64_t)sampler_now_ns();
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return t->rng;
}

/* Exponentially distributed distance with mean `mean_bytes`: sampling is then a Poisson process
 * over allocated bytes, whatever the sizes. */
static int64_t next_distance(struct alloc_tls *t)
{
    double u = ((double)(rng_next(t) >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
    double d = -log(u) * (double)mean_bytes;
    return d < 1.0 ? 1 : (int64_t)d;
}

/* ---- sampled-address table: open addressing, lock-free ----
 * A sampled block is inserted after the real allocation returns and removed BEFORE the real free,
 * so its address cannot be handed out again while still in the table. */
/* Sized from the rate: room for the sampled blocks of a 32 GiB live heap (64 Ki slots, 1 MiB, at
 * the default rate), between 64 Ki and 4 Mi slots; a block that finds no slot is counted lost.
 * Its pages are touched as entries land in them, and a first touch costs a page fault (6-12 us on
 * the VMs measured here): a table larger than needed costs a short run milliseconds. */
#define ADDR_SLOTS_MIN (1u << 16)
#define ADDR_SLOTS_MAX (1u << 22)
static uint32_t addr_slots = ADDR_SLOTS_MIN; /* a power of two */
#define ADDR_TOMB ((uintptr_t)1)
struct addr_slot {
    _Atomic uintptr_t addr; /* 0 empty, 1 tombstone */
    uint64_t alloc_id;
};
static struct addr_slot *addr_table;
/* The free() filter: per slot, the count of sampled blocks whose address maps there; a free()
 * whose slot is 0 goes straight to the real allocator. A count that reaches FILTER_PINNED stays
 * there for good (it cannot wrap to 0 under a still-tracked block); the bootstrap arena's slots
 * are pinned from the start, so arena blocks take the slow path too.
 * Size: every live sampled block sets one slot, so the share of frees that take the slow path for
 * nothing is about (live sampled blocks) / FILTER_SLOTS; each such free costs a cache miss in the
 * address table. With 16 Ki slots, the 400 sampled blocks of bench/alloc's 200 MB cache sent 2.4 %
 * of all frees there (1.75 % of the run's time); 128 Ki slots cut it eightfold. What a free()
 * touches of the filter is set by the heap's spread (one byte per 16 heap bytes), not by its
 * size; untouched parts stay unmapped zero pages. */
#define FILTER_SLOTS (1u << 17)
#define FILTER_GRANULE_SHIFT 4 /* 16 bytes of address per slot: malloc's alignment */
#define FILTER_PINNED 255
static _Atomic uint8_t addr_filter[FILTER_SLOTS];
static _Atomic uint64_t events_lost; /* table full, or a free on a thread without a ring */

/* The filter slot of an address: its own bits, not a hash, so that the frees of neighbouring
 * blocks (the heap reuses a small working set) touch the same few cache lines of the filter. */
static inline uint32_t filter_slot(uintptr_t p)
{
    return (uint32_t)(p >> FILTER_GRANULE_SHIFT) & (FILTER_SLOTS - 1);
}

static void filter_add(uintptr_t p, int delta)
{
    _Atomic uint8_t *slot = &addr_filter[filter_slot(p)];
    uint8_t cur = atomic_load_explicit(slot, memory_order_relaxed);
    while (cur != FILTER_PINNED &&
           !atomic_compare_exchange_weak(slot, &cur, (uint8_t)(cur + delta)))
        ;
}

static void filter_pin_range(uintptr_t lo, uintptr_t hi)
{
    const uintptr_t granule = (uintptr_t)1 << FILTER_GRANULE_SHIFT;
    for (uintptr_t a = lo & ~(granule - 1); a < hi; a += granule)
        atomic_store(&addr_filter[filter_slot(a)], FILTER_PINNED);
}

static inline uint32_t addr_hash(uintptr_t p)
{
    uint64_t h = (uint64_t)p * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

static int table_insert(uintptr_t p, uint64_t id)
{
    uint32_t h = addr_hash(p);
    for (uint32_t i = 0; i < 64; i++) {
        struct addr_slot *s = &addr_table[(h + i) & (addr_slots - 1)];
        uintptr_t cur = atomic_load_explicit(&s->addr, memory_order_relaxed);
        if ((cur == 0 || cur == ADDR_TOMB) &&
            atomic_compare_exchange_strong(&s->addr, &cur, ADDR_TOMB + 1)) {
            /* Reserved (value 2 is never a real heap address): fill, then publish. */
            s->alloc_id = id;
            atomic_store_explicit(&s->addr, p, memory_order_release);
            filter_add(p, 1);
            return 0;
        }
    }
    atomic_fetch_add(&events_lost, 1);
    return -1;
}

/* Returns the alloc id of a sampled block and removes it, or 0. Callers have already seen its
 * filter slot set (maybe_sampled). */
static uint64_t table_remove(uintptr_t p)
{
    uint32_t h = addr_hash(p);
    for (uint32_t i = 0; i < 64; i++) {
        struct addr_slot *s = &addr_table[(h + i) & (addr_slots - 1)];
        uintptr_t cur = atomic_load_explicit(&s->addr, memory_order_acquire);
        if (cur == 0)
            return 0;
        if (cur == p) {
            uint64_t id = s->alloc_id;
            if (atomic_compare_exchange_strong(&s->addr, &cur, ADDR_TOMB)) {
                filter_add(p, -1);
                return id;
            }
            return 0;
        }
    }
    return 0;
}

/* ---- recording ---- */

/* Pushes an event into the calling thread's ring. The busy flag keeps our SIGPROF handler from
 * producing into the same single-producer ring meanwhile (it counts a drop instead). */
static int push_event(struct thread_state *ts, struct ring_sample *ev, const uint64_t *frames)
{
    /* A lost allocation record only loses a sample; a lost free would leave a block "live"
     * forever and report a leak that is not there. So a free wakes the flusher and waits for it
     * to make room (up to a second): this is free(), not a signal handler, and the flusher needs
     * nothing this thread holds. */
    int tries = ev->kind == RING_FREE ? 1000 : 1;
    for (;;) {
        ts->busy = 1;
        atomic_signal_fence(memory_order_seq_cst);
        int r = ring_put(ts->ring, ev, sizeof(*ev), frames, ev->nframes * sizeof(uint64_t));
        atomic_signal_fence(memory_order_seq_cst);
        ts->busy = 0;
        if (r == 0)
            return 0;
        if (--tries == 0)
            break;
        flusher_wake();
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    atomic_fetch_add_explicit(&ts->ctr.dropped, 1, memory_order_relaxed);
    if (ev->kind == RING_FREE)
        atomic_fetch_add(&events_lost, 1);
    return -1;
}

/* Our own code's address range: frames in it (this file's functions, the interposed function,
 * reallocarray calling realloc...) are dropped from allocation stacks. */
static uint64_t self_lo, self_hi;

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    uint64_t me = (uint64_t)(uintptr_t)&find_self;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uint64_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && me >= lo && me < lo + ph->p_memsz) {
            self_lo = lo;
            self_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* The slow path of a sampled allocation, out of line so the fast path stays small. The stack is
 * unwound from here; our own frames are skipped, so the leaf is the function that called
 * malloc. */
static __attribute__((noinline)) void record_alloc(void *p, size_t size)
{
    struct thread_state *ts = tls_thread;
    if (!ts || !p)
        return;
    unw_context_t ctx;
    unw_getcontext(&ctx);
    enum { OWN_FRAMES_MAX = 8 };
    uint64_t frames[PROF_MAX_DEPTH_LIMIT + OWN_FRAMES_MAX];
    unsigned flags = 0;
    int n = unwind_from_context((ucontext_t *)&ctx, ts, frames, (int)max_depth + OWN_FRAMES_MAX,
                                &flags);
    int skip = 0;
    while (skip < n && skip < OWN_FRAMES_MAX && frames[skip] >= self_lo && frames[skip] < self_hi)
        skip++;
    /* The first kept frame is a return address into malloc's caller; one byte back is inside
     * the call, an exact address as the format wants for frame 0. */
    if (n > skip)
        frames[skip] -= 1;
    if (n - skip > (int)max_depth) {
        n = skip + (int)max_depth;
        flags |= FMT_STACK_TRUNCATED;
    }
    uint64_t id = atomic_fetch_add(&next_alloc_id, 1);
    /* Unbiased estimate of the bytes this sample stands for: a block of s bytes is sampled with
     * probability 1 - exp(-s / R). */
    double prob = 1.0 - exp(-(double)size / (double)mean_bytes);
    struct ring_sample ev = {
        .kind = RING_ALLOC,
        .nframes = (uint32_t)(n - skip),
        .tid = (uint32_t)ts->tid,
        .flags = flags,
        .weight = prob > 0 ? (uint64_t)((double)size / prob + 0.5) : size,
        .time_ns = sampler_now_ns(),
        .size = size,
        .alloc_id = id,
    };
    sampler_tag_region(ts, &ev);
    /* The block is tracked only once its record is in the ring, so a free can never refer to a
     * record that was dropped. No other thread can free it meanwhile: malloc has not returned. */
    if (push_event(ts, &ev, frames + skip) == 0 && table_insert((uintptr_t)p, id) != 0) {
        /* Untrackable (table full here): close the record at once rather than report a block
         * that is never freed. Its bytes still count as allocated. */
        struct ring_sample fr = {.kind = RING_FREE, .tid = ev.tid, .time_ns = ev.time_ns,
                                 .alloc_id = id};
        push_event(ts, &fr, NULL);
    }
}

static void record_free(uint64_t id)
{
    struct thread_state *ts = tls_thread;
    if (!ts) {
        atomic_fetch_add(&events_lost, 1); /* a thread we do not profile: no ring to write to */
        return;
    }
    struct ring_sample ev = {.kind = RING_FREE, .tid = (uint32_t)ts->tid,
                             .time_ns = sampler_now_ns(), .alloc_id = id};
    push_event(ts, &ev, NULL);
}

/* The fast paths below only count bytes down; everything else is decided here, when the count
 * runs out: whether sampling is on, paused, or this thread is inside our own code. A sample point
 * that falls where we may not sample is skipped and the next distance drawn from there; distances
 * are memoryless, so the program's own bytes still see the same Poisson process.
 * A thread's first allocation draws its first distance instead of being sampled (a count starting
 * at 0 would sample every thread's first block). */
static __attribute__((noinline)) void alloc_slow_path(struct alloc_tls *t, void *p, size_t size)
{
    if (!atomic_load_explicit(&sampling_on, memory_order_acquire)) {
        /* Not started (or stopped): look again after a mean distance's worth of bytes. */
        t->countdown = (int64_t)mean_bytes;
        return;
    }
    int skip = t->busy || !p || atomic_load_explicit(&prof_paused, memory_order_relaxed);
    int was_busy = t->busy;
    t->busy = 1;
    int fresh = t->rng == 0;
    int64_t d = next_distance(t);
    if (fresh) {
        t->countdown += d;
        if (t->countdown > 0) {
            t->busy = was_busy;
            return;
        }
        d = next_distance(t);
    }
    t->countdown = d;
    if (!skip)
        record_alloc(p, size);
    t->busy = was_busy;
}

/* Counts `size` bytes down; true when the count ran out and the caller must take the slow path.
 * Done before the real call, so that the common case can tail-call the real function. The count
 * is never negative here (the slow path always leaves it positive; a new thread's is 0), so the
 * test is the borrow of an unsigned subtraction (a branch on carry, no separate compare); the
 * wrapped result, read as signed, is the overshoot the slow path expects. */
static inline int countdown_expired(struct alloc_tls *t, size_t size)
{
    uint64_t left;
    int expired = __builtin_sub_overflow((uint64_t)t->countdown, (uint64_t)size, &left);
    t->countdown = (int64_t)left;
    return __builtin_expect(expired, 0);
}

/* The filter says whether a block may be in the sampled-address table; almost every free() ends
 * at this one byte load. */
static inline int maybe_sampled(const void *p)
{
    return __builtin_expect(atomic_load_explicit(&addr_filter[filter_slot((uintptr_t)p)],
                                                 memory_order_relaxed) != 0, 0);
}

/* A block that may be sampled is about to be handed back: drop it from the table before the
 * address can be handed out again, and return its id (0: not sampled, or not recording). */
static uint64_t untrack(void *p)
{
    /* Acquire: pairs with alloc_start's store, so the table it mapped is seen too. */
    if (!p || !atomic_load_explicit(&sampling_on, memory_order_acquire))
        return 0;
    return table_remove((uintptr_t)p);
}

/* Records the free of an untracked block. Keeps errno: free() must leave it alone, and a failed
 * realloc's ENOMEM must reach its caller; the ring wait may sleep. */
static void note_free(uint64_t id)
{
    struct thread_state *ts = tls_thread;
    if (ts && ts->busy) {
        /* free() from a signal handler that interrupted our own ring write: the ring has one
         * producer, so this free is counted lost rather than written into the middle of it. */
        atomic_fetch_add(&events_lost, 1);
        return;
    }
    int saved_errno = errno;
    struct alloc_tls *t = &tls_alloc;
    int was = t->busy;
    t->busy = 1;
    record_free(id);
    t->busy = was;
    errno = saved_errno;
}

static __attribute__((noinline)) void note_free_slow(void *p)
{
    uint64_t id = untrack(p);
    if (id)
        note_free(id);
}

/* ---- the interposed functions ----
 * The hot ones count the bytes down and, in the common case, tail-call the real function: 6
 * instructions on top of the allocator's own for malloc, 8 for free (x86-64, gcc -O2). */

EXPORT void *malloc(size_t size)
{
    struct alloc_tls *t = &tls_alloc;
    if (!countdown_expired(t, size))
        return REAL(malloc)(size); /* a jump through memory: the pointer is loaded only here */
    void *p = REAL(malloc)(size);
    alloc_slow_path(t, p, size);
    return p;
}

/* Everything free() may not hand straight to the real allocator: NULL under a pinned slot, arena
 * blocks, blocks that may be sampled. */
static __attribute__((noinline)) void free_slow(void *p)
{
    if (!p || from_bootstrap(p))
        return;
    note_free_slow(p); /* before the real free: the address must leave our table first */
    REAL(free)(p);
}

EXPORT void free(void *p)
{
    if (maybe_sampled(p)) {
        free_slow(p);
        return;
    }
    REAL(free)(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    calloc_fn fn = REAL(calloc);
    struct alloc_tls *t = &tls_alloc;
    if (!countdown_expired(t, total))
        return fn(n, size);
    void *p = fn(n, size);
    alloc_slow_path(t, p, total);
    return p;
}

/* realloc of a sampled block. Out of its table slot before the real call (which may free the
 * address, for another thread to get); the free is recorded only once the call has succeeded: a
 * failed realloc (NULL, size > 0) leaves the old block allocated, so it goes back in the table. */
static __attribute__((noinline)) void *realloc_sampled(void *old, size_t size, uint64_t id)
{
    void *p = REAL(realloc)(old, size);
    if (!p && size != 0) {
        if (table_insert((uintptr_t)old, id) != 0)
            note_free(id); /* table full: close the record rather than keep a phantom */
        return NULL;
    }
    note_free(id);
    struct alloc_tls *t = &tls_alloc;
    if (size != 0 && countdown_expired(t, size))
        alloc_slow_path(t, p, size);
    return p;
}

EXPORT void *realloc(void *old, size_t size)
{
    if (__builtin_expect(maybe_sampled(old), 0)) {
        if (old && from_bootstrap(old)) {
            /* Its size is unknown; the arena ends at a known place, so copy what can be there. */
            void *p = malloc(size);
            if (p) {
                size_t avail = (size_t)(bootstrap_arena + sizeof(bootstrap_arena) - (uint8_t *)old);
                memcpy(p, old, size < avail ? size : avail);
            }
            return p;
        }
        uint64_t id = untrack(old);
        if (id)
            return realloc_sampled(old, size, id);
    }
    realloc_fn fn = REAL(realloc);
    struct alloc_tls *t = &tls_alloc;
    if (size == 0 || !countdown_expired(t, size))
        return fn(old, size); /* realloc(p, 0) frees p: nothing to sample */
    void *p = fn(old, size);
    alloc_slow_path(t, p, size);
    return p;
}

/* Until the table is resolved: this thread's requests made while it resolves (from inside
 * dlsym) come from the arena; any other request resolves, then goes through again. */

static void *malloc_unresolved(size_t size)
{
    if (resolving)
        return bootstrap_alloc(size, 16);
    resolve_real();
    if (!atomic_load(&real_resolved)) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(size);
}

static void *calloc_unresolved(size_t n, size_t size)
{
    if (resolving)
        return bootstrap_alloc(n * size, 16); /* calloc checked the product; the arena is zero */
    resolve_real();
    if (!atomic_load(&real_resolved)) {
        errno = ENOMEM;
        return NULL;
    }
    return calloc(n, size);
}

static void *realloc_unresolved(void *old, size_t size)
{
    if (resolving)
        return old ? NULL : bootstrap_alloc(size, 16); /* dlsym never grows a block */
    resolve_real();
    if (!atomic_load(&real_resolved)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, size);
}

static void free_unresolved(void *p)
{
    /* A block that is not the arena's was allocated by a thread that had resolved the table; the
     * store of real.free is about to be seen. */
    if (!p || from_bootstrap(p))
        return;
    resolve_real();
    if (atomic_load(&real_resolved))
        REAL(free)(p);
}

EXPORT void *reallocarray(void *old, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, total);
}

/* ---- the rare allocators: resolve, call, then count ---- */

/* 1 when this thread is inside dlsym, whose requests the arena serves; otherwise the table is
 * resolved (if it was not yet) and 0 returned: the rare entry is then the real function, or NULL
 * when resolving failed or the allocator after us lacks that function. */
static int rare_from_arena(void)
{
    if (atomic_load_explicit(&real_resolved, memory_order_acquire))
        return 0;
    if (resolving)
        return 1;
    resolve_real();
    return 0;
}

/* Counts a block a rare allocator returned (NULL counts nothing), and returns it. */
static void *count_rare(void *p, size_t size)
{
    struct alloc_tls *t = &tls_alloc;
    if (p && countdown_expired(t, size))
        alloc_slow_path(t, p, size);
    return p;
}

static void *refuse(void)
{
    errno = ENOMEM;
    return NULL;
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (rare_from_arena()) {
        *out = bootstrap_alloc(size, align);
        return *out ? 0 : ENOMEM;
    }
    posix_memalign_fn fn = REAL(posix_memalign);
    if (!fn)
        return ENOMEM;
    int r = fn(out, align, size);
    if (r == 0)
        count_rare(*out, size);
    return r;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (rare_from_arena())
        return bootstrap_alloc(size, align);
    memalign_fn fn = REAL(aligned_alloc);
    return fn ? count_rare(fn(align, size), size) : refuse();
}

EXPORT void *memalign(size_t align, size_t size)
{
    if (rare_from_arena())
        return bootstrap_alloc(size, align);
    memalign_fn fn = REAL(memalign);
    return fn ? count_rare(fn(align, size), size) : refuse();
}

EXPORT void *valloc(size_t size)
{
    if (rare_from_arena())
        return bootstrap_alloc(size, 4096);
    malloc_fn fn = REAL(valloc);
    return fn ? count_rare(fn(size), size) : refuse();
}

EXPORT void *pvalloc(size_t size)
{
    if (rare_from_arena())
        return bootstrap_alloc((size + 4095) & ~(size_t)4095, 4096);
    malloc_fn fn = REAL(pvalloc);
    return fn ? count_rare(fn(size), size) : refuse();
}

/* ---- control ---- */

void alloc_start(const struct prof_config *cfg)
{
    resolve_real();
    dl_iterate_phdr(find_self, NULL);
    mean_bytes = cfg->alloc_rate ? cfg->alloc_rate : 512 * 1024;
    max_depth = cfg->max_depth;
    uint64_t want = (32ull << 30) / mean_bytes;
    while (addr_slots < ADDR_SLOTS_MAX && addr_slots < want)
        addr_slots <<= 1;
    addr_table = mmap(NULL, addr_slots * sizeof(struct addr_slot), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr_table == MAP_FAILED) {
        log_warn("cannot map the allocation table; allocation sampling is off");
        return;
    }
    atomic_store(&sampling_on, 1);
}

void alloc_stop(void) { atomic_store(&sampling_on, 0); }

/* fork child: blocks sampled by the parent belong to the parent's profile; forget them so the
 * child's frees of them are not reported as frees of unknown blocks. */
void alloc_reset_after_fork(void)
{
    if (!atomic_load(&sampling_on))
        return;
    memset(addr_table, 0, addr_slots * sizeof(struct addr_slot));
    for (uint32_t i = 0; i < FILTER_SLOTS; i++) /* the arena's pinned slots stay pinned */
        if (atomic_load_explicit(&addr_filter[i], memory_order_relaxed) % FILTER_PINNED != 0)
            atomic_store_explicit(&addr_filter[i], 0, memory_order_relaxed); /* untouched pages stay so */
}

uint64_t alloc_events_lost(void) { return atomic_load(&events_lost); }
