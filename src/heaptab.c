/* SPDX-License-Identifier: MIT */
/* The flusher's view of the sampled heap: live sampled blocks by alloc id, and their estimated
 * bytes and objects summed per stack, for HEAP_SNAPSHOT records. Flusher context only. */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

/* Open addressing with linear probing and backward-shift deletion (no tombstones). */
struct hmap_entry {
    uint64_t key; /* 0 = empty */
    uint64_t a, b;
    double c;
};

struct hmap {
    struct hmap_entry *e;
    size_t cap; /* power of two */
    size_t n;
};

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

static struct hmap_entry *hmap_find(struct hmap *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->e[i].key == key)
            return &m->e[i];
        if (m->e[i].key == 0)
            return NULL;
    }
}

static int hmap_grow(struct hmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct hmap_entry *e = calloc(cap, sizeof(*e));
    if (!e)
        return -1;
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->e[j].key)
            continue;
        size_t i = mix(m->e[j].key) & (cap - 1);
        while (e[i].key)
            i = (i + 1) & (cap - 1);
        e[i] = m->e[j];
    }
    free(m->e);
    m->e = e;
    m->cap = cap;
    return 0;
}

/* Returns the entry for key, inserting a zeroed one if absent; NULL when out of memory. */
static struct hmap_entry *hmap_upsert(struct hmap *m, uint64_t key)
{
    struct hmap_entry *f = hmap_find(m, key);
    if (f)
        return f;
    if ((m->n + 1) * 2 > m->cap && hmap_grow(m) < 0)
        return NULL;
    size_t i = mix(key) & (m->cap - 1);
    while (m->e[i].key)
        i = (i + 1) & (m->cap - 1);
    memset(&m->e[i], 0, sizeof(m->e[i]));
    m->e[i].key = key;
    m->n++;
    return &m->e[i];
}

static void hmap_remove(struct hmap *m, struct hmap_entry *victim)
{
    size_t i = (size_t)(victim - m->e);
    m->e[i].key = 0;
    m->n--;
    /* Backward shift: move later entries of the probe run into the hole when allowed. */
    for (size_t j = (i + 1) & (m->cap - 1); m->e[j].key; j = (j + 1) & (m->cap - 1)) {
        size_t home = mix(m->e[j].key) & (m->cap - 1);
        int movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->e[i] = m->e[j];
            m->e[j].key = 0;
            i = j;
        }
    }
}

struct heaptab {
    struct hmap blocks; /* alloc id -> a = stack id, b = estimated bytes, c = estimated objects */
    struct hmap stacks; /* stack id -> b = live bytes, c = live objects, a = live sampled blocks */
    uint64_t live_bytes;
};

struct heaptab *heaptab_new(void) { return calloc(1, sizeof(struct heaptab)); }

void heaptab_free(struct heaptab *h)
{
    if (!h)
        return;
    free(h->blocks.e);
    free(h->stacks.e);
    free(h);
}

int heaptab_add(struct heaptab *h, uint64_t alloc_id, uint64_t stack_id, uint64_t bytes,
                double objects)
{
    struct hmap_entry *b = hmap_upsert(&h->blocks, alloc_id);
    struct hmap_entry *s = hmap_upsert(&h->stacks, stack_id);
    if (!b || !s)
        return -1;
    b->a = stack_id;
    b->b = bytes;
    b->c = objects;
    s->a++;
    s->b += bytes;
    s->c += objects;
    h->live_bytes += bytes;
    return 0;
}

int heaptab_remove(struct heaptab *h, uint64_t alloc_id)
{
    struct hmap_entry *b = hmap_find(&h->blocks, alloc_id);
    if (!b)
        return -1;
    struct hmap_entry *s = hmap_find(&h->stacks, b->a);
    if (s) {
        s->b -= b->b;
        s->c -= b->c;
        if (--s->a == 0)
            hmap_remove(&h->stacks, s);
    }
    h->live_bytes -= b->b;
    hmap_remove(&h->blocks, b);
    return 0;
}

uint64_t heaptab_live_bytes(const struct heaptab *h) { return h->live_bytes; }

void heaptab_each_stack(const struct heaptab *h,
                        void (*fn)(uint64_t stack_id, uint64_t bytes, double objects, void *arg),
                        void *arg)
{
    for (size_t i = 0; i < h->stacks.cap; i++)
        if (h->stacks.e[i].key)
            fn(h->stacks.e[i].key, h->stacks.e[i].b, h->stacks.e[i].c, arg);
}
