/* SPDX-License-Identifier: MIT */
/* Small hash tables for the tools: u64 key -> u64 value, and interned strings.
 *
 * Thread contract: one thread per table. Not for the runtime (allocates freely). */
#ifndef PROF_HTAB_H
#define PROF_HTAB_H

#include <stddef.h>
#include <stdint.h>

/* Open-addressing map from a non-zero u64 key to a u64 value (key 0 is reserved for "empty"). */
struct htab {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap;   /* power of two, 0 when empty */
    size_t count;
};

void htab_init(struct htab *h);
void htab_free(struct htab *h);
/* Returns a pointer to the value slot of `key`, or NULL if absent. */
uint64_t *htab_find(const struct htab *h, uint64_t key);
/* Returns the value slot of `key`, inserting it with value `init` if absent; NULL on ENOMEM.
 * *inserted (if not NULL) tells whether the key was new. Slots move when the table grows. */
uint64_t *htab_upsert(struct htab *h, uint64_t key, uint64_t init, int *inserted);

/* 64-bit mixing of several values into a non-zero key. */
uint64_t htab_mix(uint64_t a, uint64_t b);
uint64_t htab_hash_bytes(const void *p, size_t n);

/* String interning: equal strings get the same pointer and a dense id from 0. */
struct strtab {
    struct htab index; /* hash -> first id with that hash + 1 (chained through `next`) */
    char **strs;
    uint32_t *next;    /* next id with the same hash, + 1; 0 ends the chain */
    size_t count, cap;
};

void strtab_init(struct strtab *t);
void strtab_free(struct strtab *t);
/* Interns `len` bytes of `s` (need not be NUL-terminated). Returns the id, or -1 on ENOMEM. */
long strtab_intern(struct strtab *t, const char *s, size_t len);
static inline const char *strtab_get(const struct strtab *t, size_t id) { return t->strs[id]; }

#endif
