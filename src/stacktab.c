/* SPDX-License-Identifier: MIT */
/* Stack deduplication for the flusher: each distinct (frames, flags) gets one id for the file. */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

struct stack_entry {
    uint64_t hash;
    uint64_t id;      /* 0 = empty bucket */
    size_t offset;    /* into frames[] */
    uint32_t nframes;
    uint32_t flags;
};

struct stacktab {
    struct stack_entry *buckets;
    size_t nbuckets; /* power of two */
    size_t count;
    uint64_t *frames;
    size_t nframes, cap_frames;
};

struct stacktab *stacktab_new(void)
{
    struct stacktab *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->nbuckets = 1024;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    return t;
}

void stacktab_free(struct stacktab *t)
{
    if (!t)
        return;
    free(t->buckets);
    free(t->frames);
    free(t);
}

static uint64_t hash_stack(const uint64_t *pcs, uint32_t n, uint32_t flags)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n << 32 | flags);
    for (uint32_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
    }
    return h | 1; /* never 0, so a zero hash can mean nothing */
}

static int grow(struct stacktab *t)
{
    size_t nb = t->nbuckets * 2;
    struct stack_entry *b = calloc(nb, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct stack_entry *e = &t->buckets[i];
        if (!e->id)
            continue;
        size_t j = e->hash & (nb - 1);
        while (b[j].id)
            j = (j + 1) & (nb - 1);
        b[j] = *e;
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = nb;
    return 0;
}

uint64_t stacktab_intern(struct stacktab *t, const uint64_t *pcs, uint32_t n, uint32_t flags,
                         int *is_new)
{
    *is_new = 0;
    if (t->count * 2 >= t->nbuckets && grow(t) < 0)
        return 0;
    uint64_t h = hash_stack(pcs, n, flags);
    size_t j = h & (t->nbuckets - 1);
    for (;; j = (j + 1) & (t->nbuckets - 1)) {
        struct stack_entry *e = &t->buckets[j];
        if (!e->id)
            break;
        if (e->hash == h && e->nframes == n && e->flags == flags &&
            memcmp(t->frames + e->offset, pcs, n * sizeof(*pcs)) == 0)
            return e->id;
    }
    if (t->nframes + n > t->cap_frames) {
        size_t cap = t->cap_frames ? t->cap_frames : 4096;
        while (cap < t->nframes + n)
            cap *= 2;
        uint64_t *f = realloc(t->frames, cap * sizeof(*f));
        if (!f)
            return 0;
        t->frames = f;
        t->cap_frames = cap;
    }
    memcpy(t->frames + t->nframes, pcs, n * sizeof(*pcs));
    struct stack_entry *e = &t->buckets[j];
    e->hash = h;
    e->offset = t->nframes;
    e->nframes = n;
    e->flags = flags;
    e->id = ++t->count;
    t->nframes += n;
    *is_new = 1;
    return e->id;
}
