/* SPDX-License-Identifier: MIT */
/* Single-producer single-consumer byte ring between a thread's signal handler and the flusher.
 *
 * [AS-SAFE] ring_put runs inside the SIGPROF handler: no allocation, no locks, bounded work.
 * Entries are an 8-byte prefix (u32 length, u32 zero) then the bytes, padded to 8; positions grow
 * without wrapping (u64) and are reduced modulo the power-of-two size when used. */
#include "runtime.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

struct ring {
    _Atomic uint64_t head; /* next byte the producer writes */
    char pad1[56];         /* keep producer and consumer indexes on separate cache lines */
    _Atomic uint64_t tail; /* next byte the consumer reads */
    char pad2[56];
    size_t size; /* power of two */
    size_t map_len;
    uint8_t *data;
};

#define RING_PREFIX 8
#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct ring *ring_new(size_t bytes)
{
    size_t size = 4096;
    while (size < bytes)
        size <<= 1;
    size_t map_len = size + 4096; /* header page + data */
    /* mmap, not malloc: rings are created from pthread_create wrappers and must not depend on the
     * host's allocator state; untouched pages cost nothing. */
    void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    struct ring *r = m;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->size = size;
    r->map_len = map_len;
    r->data = (uint8_t *)m + 4096;
    return r;
}

void ring_free(struct ring *r)
{
    if (r)
        munmap(r, r->map_len);
}

size_t ring_capacity(const struct ring *r) { return r->size; }

void ring_reset(struct ring *r)
{
    atomic_store(&r->head, 0);
    atomic_store(&r->tail, 0);
}

static void copy_in(struct ring *r, uint64_t pos, const void *src, size_t n)
{
    if (n == 0) /* an empty part may come with a NULL pointer, which memcpy must not see */
        return;
    size_t off = (size_t)(pos & (r->size - 1));
    size_t first = r->size - off < n ? r->size - off : n;
    memcpy(r->data + off, src, first);
    memcpy(r->data, (const uint8_t *)src + first, n - first);
}

static void copy_out(const struct ring *r, uint64_t pos, void *dst, size_t n)
{
    size_t off = (size_t)(pos & (r->size - 1));
    size_t first = r->size - off < n ? r->size - off : n;
    memcpy(dst, r->data + off, first);
    memcpy((uint8_t *)dst + first, r->data, n - first);
}

int ring_put(struct ring *r, const void *a, size_t alen, const void *b, size_t blen)
{
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed); /* only we write it */
    /* acquire: pairs with the release store of tail in ring_get, so the consumer has finished
     * reading the bytes we are about to overwrite. */
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t need = ALIGN8(RING_PREFIX + alen + blen);
    if (need > r->size - (size_t)(head - tail))
        return -1;
    uint32_t prefix[2] = {(uint32_t)(alen + blen), 0};
    copy_in(r, head, prefix, RING_PREFIX);
    copy_in(r, head + RING_PREFIX, a, alen);
    copy_in(r, head + RING_PREFIX + alen, b, blen);
    /* release: pairs with the acquire load of head in ring_get; publishes the entry's bytes. */
    atomic_store_explicit(&r->head, head + need, memory_order_release);
    return 0;
}

size_t ring_get(struct ring *r, void *dst, size_t cap)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed); /* only we write it */
    /* acquire: pairs with the release store of head in ring_put. */
    uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail == head)
        return 0;
    uint32_t prefix[2];
    copy_out(r, tail, prefix, RING_PREFIX);
    size_t len = prefix[0];
    if (len <= cap)
        copy_out(r, tail + RING_PREFIX, dst, len);
    /* release: pairs with the acquire load of tail in ring_put; the space may now be reused. */
    atomic_store_explicit(&r->tail, tail + ALIGN8(RING_PREFIX + len), memory_order_release);
    return len;
}
