/* SPDX-License-Identifier: MIT */
/* Sorted function-symbol table of one module with strict extents: an address belongs to a symbol
 * only if it lies inside [start, start + size); size-0 symbols are a last resort, bounded by the
 * next symbol and by the end of their section.
 *
 * Thread contract: one thread per table. Names are borrowed, never copied or freed. */
#ifndef PROF_SYMTAB_H
#define PROF_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

enum symtab_binding { SYMTAB_LOCAL = 0, SYMTAB_WEAK = 1, SYMTAB_GLOBAL = 2 };

struct symtab_entry {
    uint64_t start;
    uint64_t size;  /* 0 = unknown size */
    uint64_t limit; /* size-0 symbols: end of the range they may claim (next symbol / section end) */
    const char *name;
    int binding;
};

struct symtab {
    struct symtab_entry *v;
    uint64_t *maxend; /* maxend[i] = max(start + size) over v[0..i]: bounds the backward scan */
    size_t n, cap;
    int finished;
};

void symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);
/* Adds a function symbol. `section_end` is the end address of its section (UINT64_MAX if
 * unknown). Returns 0 or -ENOMEM. */
int symtab_add(struct symtab *t, uint64_t start, uint64_t size, uint64_t section_end,
               const char *name, int binding);
/* Sorts, merges aliases (one name per start address) and computes size-0 limits. Call once after
 * the last symtab_add and before any lookup. Returns 0 or -ENOMEM. */
int symtab_finish(struct symtab *t);
/* The sized symbol whose extent contains addr (the innermost if several nest), or NULL. */
const struct symtab_entry *symtab_find(const struct symtab *t, uint64_t addr);
/* The symbol (any size) that starts exactly at addr, or NULL. */
const struct symtab_entry *symtab_at(const struct symtab *t, uint64_t addr);
/* Last resort: the size-0 symbol at or below addr whose limit is above addr, provided no other
 * symbol starts in between; NULL otherwise. */
const struct symtab_entry *symtab_find_unsized(const struct symtab *t, uint64_t addr);

#endif
