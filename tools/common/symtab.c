/* SPDX-License-Identifier: MIT */
/* Sorted function-symbol table with strict extents (see symtab.h). */
#include "symtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void symtab_init(struct symtab *t)
{
    memset(t, 0, sizeof(*t));
}

void symtab_free(struct symtab *t)
{
    free(t->v);
    free(t->maxend);
    symtab_init(t);
}

int symtab_add(struct symtab *t, uint64_t start, uint64_t size, uint64_t section_end,
               const char *name, int binding)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        struct symtab_entry *nv = realloc(t->v, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        t->v = nv;
        t->cap = ncap;
    }
    /* A size that runs past the section end is bogus; trust the section. */
    if (size && section_end > start && size > section_end - start)
        size = section_end - start;
    t->v[t->n++] = (struct symtab_entry){start, size, section_end, name, binding};
    t->finished = 0;
    return 0;
}

static size_t symtab_underscores(const char *s)
{
    size_t k = 0;
    while (s[k] == '_')
        k++;
    return k;
}

/* Which of two aliases at one address names the function: sized, then global over weak over
 * local, then the fewest leading underscores (malloc over __libc_malloc), then the shortest. */
static int symtab_better(const struct symtab_entry *a, const struct symtab_entry *b)
{
    if ((a->size != 0) != (b->size != 0))
        return a->size != 0;
    if (a->binding != b->binding)
        return a->binding > b->binding;
    size_t ua = symtab_underscores(a->name), ub = symtab_underscores(b->name);
    if (ua != ub)
        return ua < ub;
    size_t la = strlen(a->name), lb = strlen(b->name);
    if (la != lb)
        return la < lb;
    return strcmp(a->name, b->name) < 0;
}

static int symtab_cmp(const void *pa, const void *pb)
{
    const struct symtab_entry *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    /* Best alias first, so the merge below keeps it. */
    if (symtab_better(a, b))
        return -1;
    return symtab_better(b, a) ? 1 : 0;
}

int symtab_finish(struct symtab *t)
{
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), symtab_cmp);
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (w > 0 && t->v[w - 1].start == t->v[i].start) {
            /* Alias: keep the best name, but the largest known size. */
            if (t->v[i].size > t->v[w - 1].size)
                t->v[w - 1].size = t->v[i].size;
            continue;
        }
        t->v[w++] = t->v[i];
    }
    t->n = w;
    free(t->maxend);
    t->maxend = malloc((t->n ? t->n : 1) * sizeof(*t->maxend));
    if (!t->maxend)
        return -ENOMEM;
    uint64_t running = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct symtab_entry *e = &t->v[i];
        if (e->size == 0) {
            /* Never beyond the next symbol or the section end. */
            uint64_t lim = e->limit;
            if (i + 1 < t->n && t->v[i + 1].start < lim)
                lim = t->v[i + 1].start;
            e->limit = lim;
        } else {
            e->limit = e->start + e->size;
            if (e->limit > running)
                running = e->limit;
        }
        t->maxend[i] = running;
    }
    t->finished = 1;
    return 0;
}

/* Index of the last entry with start <= addr, or -1. */
static long symtab_floor(const struct symtab *t, uint64_t addr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

const struct symtab_entry *symtab_find(const struct symtab *t, uint64_t addr)
{
    if (!t->finished)
        return NULL;
    /* Walk back from the floor: the first sized entry that contains addr is the innermost one
     * (latest start). maxend lets us stop as soon as nothing earlier can reach addr. */
    for (long i = symtab_floor(t, addr); i >= 0 && t->maxend[i] > addr; i--) {
        const struct symtab_entry *e = &t->v[i];
        if (e->size != 0 && addr - e->start < e->size)
            return e;
    }
    return NULL;
}

const struct symtab_entry *symtab_at(const struct symtab *t, uint64_t addr)
{
    if (!t->finished)
        return NULL;
    long i = symtab_floor(t, addr);
    return i >= 0 && t->v[i].start == addr ? &t->v[i] : NULL;
}

const struct symtab_entry *symtab_find_unsized(const struct symtab *t, uint64_t addr)
{
    if (!t->finished)
        return NULL;
    long i = symtab_floor(t, addr);
    if (i < 0)
        return NULL;
    const struct symtab_entry *e = &t->v[i];
    return e->size == 0 && addr < e->limit ? e : NULL;
}
