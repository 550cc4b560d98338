/* SPDX-License-Identifier: MIT */
/* The flusher's side of regions: node definitions, and per-interval call statistics merged from
 * every thread's own counters (each thread writes only its own; we only read, and fold a thread's
 * counters into a retired sum when its slot is recycled). Flusher context only. */
#include "format.h"
#include "regions.h"
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NODES (REGION_NODES_PER_PAGE * REGION_MAX_PAGES)

struct node_sum {
    uint64_t count, total_ns, min_ns, max_ns;
    uint64_t hist[REGION_HIST_BUCKETS];
};

static struct {
    size_t defined;                    /* nodes written as REGION_DEF so far */
    struct node_sum *retired[MAX_NODES + 1]; /* counters of threads gone */
    struct node_sum *written[MAX_NODES + 1]; /* totals as of the last REGION_STATS */
    struct node_sum scratch;
} ra;

static struct node_sum *sum_for(struct node_sum **table, uint32_t node)
{
    if (!table[node]) {
        table[node] = calloc(1, sizeof(struct node_sum));
        if (table[node])
            table[node]->min_ns = UINT64_MAX;
    }
    return table[node];
}

static void add_stats(struct node_sum *sum, const struct region_stats *st)
{
    sum->count += atomic_load_explicit(&st->count, memory_order_relaxed);
    sum->total_ns += atomic_load_explicit(&st->total_ns, memory_order_relaxed);
    uint64_t mn = atomic_load_explicit(&st->min_ns, memory_order_relaxed);
    uint64_t mx = atomic_load_explicit(&st->max_ns, memory_order_relaxed);
    if (mn < sum->min_ns)
        sum->min_ns = mn;
    if (mx > sum->max_ns)
        sum->max_ns = mx;
    for (unsigned b = 0; b < REGION_HIST_BUCKETS; b++)
        sum->hist[b] += atomic_load_explicit(&st->hist[b], memory_order_relaxed);
}

static const struct region_stats *thread_stats(const struct thread_state *ts, uint32_t node)
{
    uint32_t page = (node - 1) / REGION_NODES_PER_PAGE;
    /* acquire: pairs with the release store of the page in regions.c. */
    struct region_stats *p = atomic_load_explicit(&ts->regions.pages[page], memory_order_acquire);
    return p ? &p[(node - 1) % REGION_NODES_PER_PAGE] : NULL;
}

void regionagg_fold_thread(struct thread_state *ts)
{
    size_t n = regions_node_count();
    for (uint32_t node = 1; node <= n; node++) {
        const struct region_stats *st = thread_stats(ts, node);
        if (st && atomic_load_explicit(&st->count, memory_order_relaxed)) {
            struct node_sum *sum = sum_for(ra.retired, node);
            if (sum)
                add_stats(sum, st);
        }
    }
    /* The slot's next thread starts with fresh counters. */
    for (size_t page = 0; page < REGION_MAX_PAGES; page++) {
        struct region_stats *p = atomic_exchange(&ts->regions.pages[page], NULL);
        free(p);
    }
}

/* Totals of one node now: retired threads plus every slot still holding counters. */
static void current_total(uint32_t node, struct node_sum *out)
{
    memset(out, 0, sizeof(*out));
    out->min_ns = UINT64_MAX;
    if (ra.retired[node]) {
        const struct node_sum *r = ra.retired[node];
        out->count = r->count;
        out->total_ns = r->total_ns;
        out->min_ns = r->min_ns;
        out->max_ns = r->max_ns;
        memcpy(out->hist, r->hist, sizeof(out->hist));
    }
    size_t nslots = threads_slot_count();
    for (size_t i = 0; i < nslots; i++) {
        struct thread_state *ts = threads_slot(i);
        if (!ts)
            continue;
        int state = atomic_load_explicit(&ts->state, memory_order_acquire);
        if (state != SLOT_LIVE && state != SLOT_EXITED)
            continue;
        const struct region_stats *st = thread_stats(ts, node);
        if (st)
            add_stats(out, st);
    }
}

void regionagg_emit_defs(struct fmt_buf *defs)
{
    size_t n = regions_node_count();
    for (uint32_t id = (uint32_t)ra.defined + 1; id <= n; id++) {
        const char *name;
        uint32_t parent;
        regions_node(id, &name, &parent);
        struct fmt_buf b;
        fmt_buf_init(&b);
        fmt_put_varint(&b, id);
        fmt_put_string(&b, name);
        fmt_put_varint(&b, parent);
        fmt_put_record(defs, FMT_REC_REGION_DEF, &b);
        fmt_buf_free(&b);
    }
    ra.defined = n;
}

/* One REGION_STATS per node that had calls since the last one: deltas of count, total and the
 * histogram; min and max since the start of the run. */
void regionagg_emit_stats(struct fmt_buf *out)
{
    size_t n = ra.defined;
    for (uint32_t node = 1; node <= n; node++) {
        struct node_sum *now = &ra.scratch;
        current_total(node, now);
        struct node_sum *was = sum_for(ra.written, node);
        if (!was || now->count <= was->count)
            continue;
        struct fmt_buf b, buckets;
        fmt_buf_init(&b);
        fmt_buf_init(&buckets);
        uint64_t nb = 0;
        for (unsigned k = 0; k < REGION_HIST_BUCKETS; k++) {
            if (now->hist[k] > was->hist[k]) {
                fmt_put_varint(&buckets, k);
                fmt_put_varint(&buckets, now->hist[k] - was->hist[k]);
                nb++;
            }
        }
        fmt_put_varint(&b, node);
        fmt_put_varint(&b, now->count - was->count);
        fmt_put_varint(&b, now->total_ns - was->total_ns);
        fmt_put_varint(&b, now->min_ns);
        fmt_put_varint(&b, now->max_ns);
        fmt_put_varint(&b, nb);
        fmt_put_bytes(&b, buckets.data, buckets.len);
        fmt_put_record(out, FMT_REC_REGION_STATS, &b);
        fmt_buf_free(&b);
        fmt_buf_free(&buckets);
        *was = *now;
    }
}

/* The p-th percentile (0..1) of a node's latency in the interval since the last REGION_STATS
 * (for alerts), from histogram deltas; the bucket's lower bound. -1 without calls. */
int64_t regionagg_interval_percentile(const char *name, double p)
{
    static struct node_sum delta;
    memset(&delta, 0, sizeof(delta));
    size_t n = ra.defined;
    for (uint32_t node = 1; node <= n; node++) {
        const char *nm;
        uint32_t parent;
        regions_node(node, &nm, &parent);
        if (strcmp(nm, name) != 0)
            continue;
        current_total(node, &ra.scratch);
        const struct node_sum *was = ra.written[node];
        for (unsigned k = 0; k < REGION_HIST_BUCKETS; k++)
            delta.hist[k] += ra.scratch.hist[k] - (was ? was->hist[k] : 0);
        delta.count += ra.scratch.count - (was ? was->count : 0);
    }
    if (delta.count == 0)
        return -1;
    uint64_t rank = (uint64_t)(p * (double)delta.count), seen = 0;
    for (unsigned k = 0; k < REGION_HIST_BUCKETS; k++) {
        seen += delta.hist[k];
        if (seen > rank) /* the bucket's middle, as the reports show it */
            return (int64_t)((region_bucket_low(k) + region_bucket_low(k + 1)) / 2);
    }
    return (int64_t)region_bucket_low(REGION_HIST_BUCKETS - 1);
}

void regionagg_reset_after_fork(void) { memset(&ra, 0, sizeof(ra)); }
