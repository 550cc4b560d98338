/* SPDX-License-Identifier: MIT */
/* The region API (prof_region_begin/end): per-thread stacks of open regions and per-thread
 * statistics, no locks on the common path (the node table takes a lock only the first time a
 * thread meets a (name, parent) pair). Exported entry points live in the shared library only.
 * Ordinary thread context. */
#define _GNU_SOURCE
#include "regions.h"

#include "fastclock.h"
#include "runtime.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_NODES (REGION_NODES_PER_PAGE * REGION_MAX_PAGES)

/* Node table: id -> (name, parent), append-only; ids are published with release. */
static pthread_mutex_t nodes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char *name;
    uint32_t parent;
} nodes[MAX_NODES + 1];
static _Atomic size_t nnodes;
static _Atomic uint64_t next_call_id = 1;
static _Atomic uint64_t regions_lost; /* begins past the node limit or without memory */

size_t regions_node_count(void) { return atomic_load_explicit(&nnodes, memory_order_acquire); }

void regions_node(uint32_t id, const char **name, uint32_t *parent)
{
    *name = nodes[id].name;
    *parent = nodes[id].parent;
}

uint64_t regions_lost_count(void) { return atomic_load(&regions_lost); }

/* The node for `name` under `parent`, by content: two string literals with the same text are the
 * same region. Creates it the first time. 0 when the table is full. */
static uint32_t intern_node(const char *name, uint32_t parent)
{
    pthread_mutex_lock(&nodes_lock);
    size_t n = atomic_load_explicit(&nnodes, memory_order_relaxed);
    uint32_t id = 0;
    for (size_t i = 1; i <= n; i++) {
        if (nodes[i].parent == parent && strcmp(nodes[i].name, name) == 0) {
            id = (uint32_t)i;
            break;
        }
    }
    if (!id && n < MAX_NODES) {
        char *copy = strdup(name);
        if (copy) {
            id = (uint32_t)(n + 1);
            nodes[id].name = copy;
            nodes[id].parent = parent;
            /* release: pairs with the acquire load in regions_node_count (flusher). */
            atomic_store_explicit(&nnodes, n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&nodes_lock);
    return id;
}


static struct region_stats *stats_for(struct thread_regions *tr, uint32_t node)
{
    uint32_t page = (node - 1) / REGION_NODES_PER_PAGE;
    struct region_stats *p = atomic_load_explicit(&tr->pages[page], memory_order_relaxed);
    if (!p) {
        p = calloc(REGION_NODES_PER_PAGE, sizeof(*p));
        if (!p)
            return NULL;
        for (size_t i = 0; i < REGION_NODES_PER_PAGE; i++)
            atomic_store_explicit(&p[i].min_ns, UINT64_MAX, memory_order_relaxed);
        /* release: pairs with the flusher's acquire load; the page is initialized. */
        atomic_store_explicit(&tr->pages[page], p, memory_order_release);
    }
    return &p[(node - 1) % REGION_NODES_PER_PAGE];
}

EXPORT void prof__region_begin(const char *name)
{
    struct thread_state *ts = tls_thread;
    if (!ts || !name)
        return;
    struct thread_regions *tr = &ts->regions;
    int depth = tr->depth;
    if (depth >= REGION_MAX_DEPTH) {
        tr->depth = depth + 1; /* counted, so that end() stays balanced */
        atomic_fetch_add(&regions_lost, 1);
        return;
    }
    uint32_t parent = depth ? tr->entries[depth - 1].node : 0;
    unsigned slot = (unsigned)(((uintptr_t)name >> 3) ^ parent * 31u) & 63u;
    uint32_t node;
    if (tr->cache[slot].name == name && tr->cache[slot].parent == parent) {
        node = tr->cache[slot].node;
    } else {
        node = intern_node(name, parent);
        tr->cache[slot].name = name;
        tr->cache[slot].parent = parent;
        tr->cache[slot].node = node;
    }
    struct region_entry *e = &tr->entries[depth];
    e->node = node; /* 0: not tracked (table full), still balanced */
    if (node && tr->next_call == tr->end_call) {
        /* Call ids come in blocks per thread: one shared counter bounced between cores. */
        tr->next_call = atomic_fetch_add_explicit(&next_call_id, 1024, memory_order_relaxed);
        tr->end_call = tr->next_call + 1024;
    }
    e->call_id = node ? tr->next_call++ : 0;
    e->sampled = 0;
    e->start_ns = fastclock_ns();
    /* The handler reads entries[0..depth): the entry is complete before depth covers it. */
    atomic_signal_fence(memory_order_release);
    tr->depth = depth + 1;
}

EXPORT void prof__region_end(void)
{
    struct thread_state *ts = tls_thread;
    if (!ts)
        return;
    struct thread_regions *tr = &ts->regions;
    int depth = tr->depth;
    if (depth == 0)
        return; /* unbalanced end: ignored */
    if (depth > REGION_MAX_DEPTH) {
        tr->depth = depth - 1;
        return;
    }
    struct region_entry *e = &tr->entries[depth - 1];
    uint64_t now = fastclock_ns();
    uint64_t d = now > e->start_ns ? now - e->start_ns : 0;
    uint32_t node = e->node;
    int sampled = e->sampled;
    tr->depth = depth - 1;
    atomic_signal_fence(memory_order_release);
    if (!node)
        return;
    struct region_stats *st = stats_for(tr, node);
    if (st) {
        /* Single writer (this thread): plain read-modify-write through relaxed atomics, so the
         * flusher's concurrent reads are well defined. */
        atomic_store_explicit(&st->count, atomic_load_explicit(&st->count, memory_order_relaxed) + 1,
                              memory_order_relaxed);
        atomic_store_explicit(&st->total_ns,
                              atomic_load_explicit(&st->total_ns, memory_order_relaxed) + d,
                              memory_order_relaxed);
        if (d < atomic_load_explicit(&st->min_ns, memory_order_relaxed))
            atomic_store_explicit(&st->min_ns, d, memory_order_relaxed);
        if (d > atomic_load_explicit(&st->max_ns, memory_order_relaxed))
            atomic_store_explicit(&st->max_ns, d, memory_order_relaxed);
        unsigned b = region_bucket(d);
        atomic_store_explicit(&st->hist[b],
                              atomic_load_explicit(&st->hist[b], memory_order_relaxed) + 1,
                              memory_order_relaxed);
    }
    if (sampled) {
        /* A call some sample fell in: its duration lets reports keep only the slow calls'
         * samples (--slow-region). */
        struct ring_sample ev = {.kind = RING_REGION_CALL,
                                 .tid = (uint32_t)ts->tid,
                                 .time_ns = e->start_ns - sampler_start_ns(),
                                 .region = node,
                                 .region_call = e->call_id,
                                 .size = d,
                                 .parent_call = depth >= 2 ? tr->entries[depth - 2].call_id : 0};
        ts->busy = 1;
        atomic_signal_fence(memory_order_seq_cst);
        if (ring_put(ts->ring, &ev, sizeof(ev), NULL, 0) != 0)
            atomic_fetch_add_explicit(&ts->ctr.dropped, 1, memory_order_relaxed);
        atomic_signal_fence(memory_order_seq_cst);
        ts->busy = 0;
    }
}
