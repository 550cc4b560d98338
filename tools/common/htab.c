/* SPDX-License-Identifier: MIT */
/* Small hash tables for the tools: u64 -> u64 open addressing, and string interning. */
#include "htab.h"

#include <stdlib.h>
#include <string.h>

void htab_init(struct htab *h)
{
    memset(h, 0, sizeof(*h));
}

void htab_free(struct htab *h)
{
    free(h->keys);
    free(h->vals);
    htab_init(h);
}

/* splitmix64 finalizer: cheap and spreads sequential addresses well. */
static uint64_t htab_scramble(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t htab_mix(uint64_t a, uint64_t b)
{
    uint64_t k = htab_scramble(a * 0x9e3779b97f4a7c15ull + htab_scramble(b));
    return k ? k : 1;
}

uint64_t htab_hash_bytes(const void *p, size_t n)
{
    /* FNV-1a, then scrambled; strings here are short (names, locations). */
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    h = htab_scramble(h);
    return h ? h : 1;
}

static size_t htab_slot(const struct htab *h, uint64_t key)
{
    size_t mask = h->cap - 1;
    size_t i = (size_t)htab_scramble(key) & mask;
    while (h->keys[i] != 0 && h->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

uint64_t *htab_find(const struct htab *h, uint64_t key)
{
    if (h->cap == 0 || key == 0)
        return NULL;
    size_t i = htab_slot(h, key);
    return h->keys[i] == key ? &h->vals[i] : NULL;
}

static int htab_grow(struct htab *h)
{
    size_t ncap = h->cap ? h->cap * 2 : 64;
    struct htab n = {calloc(ncap, sizeof(uint64_t)), calloc(ncap, sizeof(uint64_t)), ncap, 0};
    if (!n.keys || !n.vals) {
        free(n.keys);
        free(n.vals);
        return -1;
    }
    for (size_t i = 0; i < h->cap; i++) {
        if (h->keys[i] == 0)
            continue;
        size_t j = htab_slot(&n, h->keys[i]);
        n.keys[j] = h->keys[i];
        n.vals[j] = h->vals[i];
        n.count++;
    }
    free(h->keys);
    free(h->vals);
    *h = n;
    return 0;
}

uint64_t *htab_upsert(struct htab *h, uint64_t key, uint64_t init, int *inserted)
{
    if (key == 0)
        return NULL;
    /* Keep the load factor under 1/2 so probe chains stay short. */
    if ((h->count + 1) * 2 > h->cap && htab_grow(h) != 0)
        return NULL;
    size_t i = htab_slot(h, key);
    int is_new = h->keys[i] == 0;
    if (is_new) {
        h->keys[i] = key;
        h->vals[i] = init;
        h->count++;
    }
    if (inserted)
        *inserted = is_new;
    return &h->vals[i];
}

void strtab_init(struct strtab *t)
{
    memset(t, 0, sizeof(*t));
    htab_init(&t->index);
}

void strtab_free(struct strtab *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->strs[i]);
    free(t->strs);
    free(t->next);
    htab_free(&t->index);
    strtab_init(t);
}

long strtab_intern(struct strtab *t, const char *s, size_t len)
{
    uint64_t hash = htab_hash_bytes(s, len);
    uint64_t *head = htab_find(&t->index, hash);
    for (uint64_t id1 = head ? *head : 0; id1 != 0; id1 = t->next[id1 - 1]) {
        const char *c = t->strs[id1 - 1];
        if (strncmp(c, s, len) == 0 && c[len] == '\0')
            return (long)(id1 - 1);
    }
    if (t->count == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 64;
        char **ns = realloc(t->strs, ncap * sizeof(*ns));
        if (!ns)
            return -1;
        t->strs = ns;
        uint32_t *nn = realloc(t->next, ncap * sizeof(*nn));
        if (!nn)
            return -1;
        t->next = nn;
        t->cap = ncap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    head = htab_upsert(&t->index, hash, 0, NULL);
    if (!head) {
        free(copy);
        return -1;
    }
    size_t id = t->count++;
    t->strs[id] = copy;
    t->next[id] = (uint32_t)*head; /* push on the chain of this hash */
    *head = id + 1;
    return (long)id;
}
