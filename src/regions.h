/* SPDX-License-Identifier: MIT */
/* Regions: named, nestable spans per thread (include/prof/prof.h). Each distinct path of names is a
 * node with a small id. Per thread: the stack of open regions (read by the SIGPROF handler to tag
 * samples) and per-node call statistics (written only by the thread, read by the flusher).
 *
 * Signal contract: the handler only reads thread_regions.depth/entries and sets `sampled` flags;
 * everything else runs in ordinary context. */
#ifndef PROF_REGIONS_H
#define PROF_REGIONS_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define REGION_MAX_DEPTH 32
#define REGION_NODES_PER_PAGE 64
#define REGION_MAX_PAGES 64 /* 4096 nodes */

/* Log-linear latency histogram: 16 sub-buckets per power of two (relative width <= 1/16), values
 * in ns from 0 up to 2^44 (~4.9 hours). Bucket of v: v < 16 -> v; else 16*(e-3) + the 4 bits after
 * the leading one, e = floor(log2 v). docs/format.md REGION_STATS uses the same numbering. */
#define REGION_HIST_BUCKETS (16 * 42)

struct region_stats {
    _Atomic uint64_t count, total_ns, min_ns, max_ns;
    _Atomic uint32_t hist[REGION_HIST_BUCKETS];
};

struct region_entry {
    uint32_t node;
    uint64_t call_id;
    uint64_t start_ns;
    volatile sig_atomic_t sampled; /* set by the handler: a sample fell inside this call */
};

struct thread_regions {
    volatile sig_atomic_t depth;   /* entries in use; > REGION_MAX_DEPTH: deeper calls not kept */
    struct region_entry entries[REGION_MAX_DEPTH];
    struct region_stats *_Atomic pages[REGION_MAX_PAGES]; /* stats per node, allocated on use */
    uint64_t next_call, end_call; /* this thread's current block of call ids */
    /* Cache of (name pointer, parent node) -> node, so that a begin rarely takes the node lock. */
    struct {
        const char *name;
        uint32_t parent, node;
    } cache[64];
};

static inline unsigned region_bucket(uint64_t v)
{
    if (v < 16)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned b = 16u * (e - 3u) + (unsigned)((v >> (e - 4u)) & 15u);
    return b < REGION_HIST_BUCKETS ? b : REGION_HIST_BUCKETS - 1;
}

/* Lower bound of bucket b (the inverse of region_bucket). */
static inline uint64_t region_bucket_low(unsigned b)
{
    if (b < 16)
        return b;
    unsigned e = b / 16u + 3u, m = b % 16u;
    return (1ull << e) | ((uint64_t)m << (e - 4u));
}

/* Names of nodes, for REGION_DEF records: node ids are 1..n; returns the count and fills *name and
 * *parent for node `id` (flusher). */
size_t regions_node_count(void);
void regions_node(uint32_t id, const char **name, uint32_t *parent);

#endif
