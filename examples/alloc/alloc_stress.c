/* SPDX-License-Identifier: MIT */
/* Interposer correctness: THREADS threads allocate, reallocate and free with every function of the
 * malloc family (malloc, calloc, realloc, reallocarray, free, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc), alignments 8..8192, realloc(p, 0), and hand blocks to the next
 * thread to free (frees recorded on another thread's ring). Every block is checked: alignment,
 * usable size >= requested, zeroed by calloc, contents kept by realloc, errno kept by free.
 * Before the threads start, keep_after_failed_grow() allocates KEPT_BLOCKS blocks of KEPT_SIZE
 * bytes, asks realloc to grow each to an impossible size (it must fail with ENOMEM and leave the
 * block as it was) and keeps them to exit: the one leak, KEPT_BLOCKS x KEPT_SIZE bytes.
 * Prints "alloc_stress: ok" and exits 0, or names the first failure and exits 1.
 * Usage: alloc_stress [ITERATIONS]. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define SLOTS 256
#define KEPT_BLOCKS 512
#define KEPT_SIZE 65536 /* large blocks: most are sampled even at a sparse PROF_ALLOC_RATE */

static _Atomic int failed;
static size_t iterations = 200000;
static size_t page;

/* Hand-off queues: thread i puts blocks in box[(i + 1) % THREADS], which that thread frees. */
static struct box {
    pthread_mutex_t lock;
    void *items[1024];
    size_t n;
} boxes[THREADS];

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            if (atomic_fetch_add(&failed, 1) == 0) {                                               \
                fprintf(stderr, "alloc_stress: FAILED: " __VA_ARGS__);                             \
                fputc('\n', stderr);                                                               \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
    } while (0)

struct block {
    unsigned char *p;
    size_t size;
    unsigned char tag;
};

static uint64_t rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void fill(struct block *b)
{
    memset(b->p, b->tag, b->size);
}

static int intact(const struct block *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != b->tag)
            return 0;
    return 1;
}

static void give(int to, void *p)
{
    struct box *x = &boxes[to];
    pthread_mutex_lock(&x->lock);
    if (x->n < sizeof(x->items) / sizeof(x->items[0])) {
        x->items[x->n++] = p;
        p = NULL;
    }
    pthread_mutex_unlock(&x->lock);
    free(p); /* box full: free it here */
}

static void drain(int me)
{
    struct box *x = &boxes[me];
    pthread_mutex_lock(&x->lock);
    for (size_t i = 0; i < x->n; i++)
        free(x->items[i]);
    x->n = 0;
    pthread_mutex_unlock(&x->lock);
}

/* One operation on slot b: allocate a fresh block with a random function, or reallocate it. */
__attribute__((noinline)) static void stress_op(struct block *b, uint64_t *seed, int me)
{
    size_t size = (size_t)(rng(seed) % 5000);
    size_t align = (size_t)8 << (rng(seed) % 11); /* 8 .. 8192 */
    unsigned op = (unsigned)(rng(seed) % 12);
    if (b->p && op >= 9) {
        /* realloc family: old contents must survive up to the smaller size */
        size_t keep = b->size < size ? b->size : size;
        void *q;
        if (op == 9) {
            q = realloc(b->p, size);
        } else if (op == 10) {
            q = reallocarray(b->p, size ? 1 : 0, size);
        } else {
            q = realloc(b->p, 0); /* frees (glibc returns NULL); anything else must be freeable */
            free(q);
            b->p = NULL;
            return;
        }
        if (size == 0) {
            free(q);
            b->p = NULL;
            return;
        }
        CHECK(q != NULL, "realloc to %zu failed", size);
        b->p = q;
        CHECK(intact(b, keep), "realloc lost the contents (%zu bytes kept of %zu)", keep, size);
        CHECK(((uintptr_t)q & 15) == 0, "realloc: %p not 16-byte aligned", q);
        CHECK(malloc_usable_size(q) >= size, "realloc: usable %zu < %zu", malloc_usable_size(q), size);
        b->size = size;
        fill(b);
        return;
    }
    if (b->p) {
        if (rng(seed) % 4 == 0) {
            give((me + 1) % THREADS, b->p); /* freed by another thread */
        } else {
            errno = EILSEQ; /* free() leaves errno alone (POSIX 2024, glibc >= 2.33) */
            free(b->p);
            CHECK(errno == EILSEQ, "free changed errno to %d", errno);
        }
        b->p = NULL;
    }
    void *p = NULL;
    size_t want_align = 16;
    switch (op % 9) {
    case 0: p = malloc(size); break;
    case 1: {
        size_t n = 1 + size / 8;
        p = calloc(n, 8);
        size = n * 8;
        CHECK(p != NULL, "calloc(%zu, 8)", n);
        for (size_t i = 0; i < size; i++)
            CHECK(((unsigned char *)p)[i] == 0, "calloc: byte %zu of %zu not zero", i, size);
        break;
    }
    case 2: {
        int r = posix_memalign(&p, align, size);
        CHECK(r == 0, "posix_memalign(%zu, %zu) = %d", align, size, r);
        want_align = align;
        break;
    }
    case 3:
        size = (size + align - 1) / align * align; /* C11: a multiple of the alignment */
        p = aligned_alloc(align, size);
        want_align = align;
        break;
    case 4: p = memalign(align, size); want_align = align; break;
    case 5: p = valloc(size); want_align = page; break;
    case 6:
        p = pvalloc(size);
        want_align = page;
        size = (size + page - 1) / page * page; /* pvalloc rounds up to whole pages */
        break;
    case 7: p = reallocarray(NULL, 1 + size / 16, 16); size = (1 + size / 16) * 16; break;
    default: p = realloc(NULL, size); break;
    }
    CHECK(p != NULL, "allocation op %u of %zu bytes (align %zu) failed", op % 9, size, align);
    CHECK(((uintptr_t)p & (want_align - 1)) == 0, "op %u: %p not aligned to %zu", op % 9, p,
          want_align);
    CHECK(malloc_usable_size(p) >= size, "op %u: usable %zu < %zu", op % 9, malloc_usable_size(p),
          size);
    b->p = p;
    b->size = size;
    b->tag = (unsigned char)(rng(seed) | 1);
    fill(b);
}

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(me + 1);
    struct block *slots = calloc(SLOTS, sizeof(*slots));
    if (!slots) {
        atomic_fetch_add(&failed, 1);
        return NULL;
    }
    for (size_t i = 0; i < iterations && !atomic_load(&failed); i++) {
        stress_op(&slots[rng(&seed) % SLOTS], &seed, me);
        if (i % 512 == 0)
            drain(me);
    }
    for (size_t i = 0; i < SLOTS; i++)
        free(slots[i].p);
    free(slots);
    return NULL;
}

/* The leak: blocks whose growth realloc refused, still allocated, kept to the end. */
static void *kept[KEPT_BLOCKS];

__attribute__((noinline)) static int keep_after_failed_grow(size_t i)
{
    unsigned char *b = malloc(KEPT_SIZE);
    if (!b)
        return -1;
    memset(b, (int)(i & 0xff), KEPT_SIZE);
    volatile size_t impossible = (size_t)PTRDIFF_MAX + 1; /* volatile: no compile-time warning */
    errno = 0;
    if (realloc(b, impossible) != NULL || errno != ENOMEM)
        return -1;
    for (size_t k = 0; k < KEPT_SIZE; k += 4093)
        if (b[k] != (unsigned char)(i & 0xff))
            return -1;
    kept[i] = b;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        iterations = strtoul(argv[1], NULL, 10);
    page = (size_t)sysconf(_SC_PAGESIZE);
    /* Contract checks that need no thread: overflow and bad alignment are refused. */
    volatile size_t huge = SIZE_MAX / 2; /* volatile: the compiler would warn about the overflow */
    errno = 0;
    if (reallocarray(NULL, huge, 4) != NULL || errno != ENOMEM) {
        fprintf(stderr, "alloc_stress: FAILED: reallocarray overflow not refused\n");
        return 1;
    }
    void *bad = NULL;
    if (posix_memalign(&bad, 24, 100) != EINVAL) {
        fprintf(stderr, "alloc_stress: FAILED: posix_memalign(24) not EINVAL\n");
        return 1;
    }
    if (calloc(huge, 4) != NULL) {
        fprintf(stderr, "alloc_stress: FAILED: calloc overflow not refused\n");
        return 1;
    }
    for (size_t i = 0; i < KEPT_BLOCKS; i++) {
        if (keep_after_failed_grow(i) != 0) {
            fprintf(stderr, "alloc_stress: FAILED: realloc to an impossible size did not fail with "
                            "ENOMEM and leave the block intact\n");
            return 1;
        }
    }
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_mutex_init(&boxes[i].lock, NULL);
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0)
            return 1;
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        drain(i);
    if (atomic_load(&failed))
        return 1;
    printf("alloc_stress: ok (%d threads x %zu operations); kept=%zu bytes\n", THREADS, iterations,
           (size_t)KEPT_BLOCKS * KEPT_SIZE);
    return 0;
}
