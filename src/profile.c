/* SPDX-License-Identifier: MIT */
/* Profile loader: reads one or more files with the reader and merges them into struct prof_profile. */
#include "prof/profile.h"

#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One PT_LOAD range of one module, in the per-process address index used by find_module. */
struct profile_seg {
    uint32_t process;
    uint32_t module;
    uint64_t start, end; /* [start, end) */
    uint64_t max_end;    /* largest end among this entry and the ones before it in its process */
};

/* The public struct comes first so a prof_profile pointer is also a profile_impl pointer. */
struct profile_impl {
    struct prof_profile pub;
    size_t cap_processes, cap_modules, cap_stacks, cap_samples, cap_threads, cap_warnings;
    size_t cap_snapshots;
    size_t cap_regions, cap_region_calls;
    size_t cap_intervals, cap_alerts;
    struct profile_seg *segs;
    size_t nsegs;
};

/* Writer-chosen 64-bit id -> index, per file (open addressing; value 0 = empty slot). */
struct profile_map {
    uint64_t *keys;
    uint32_t *vals; /* index + 1 */
    size_t cap, n;
};

/* A FREE read before its allocation (the runtime drains threads' rings in turn, so the order of
 * the two records is not guaranteed): applied when the allocation arrives. */
struct profile_free {
    uint64_t time_ns;
    int used;
};

/* State of the file being loaded. */
struct profile_file {
    const char *path;
    uint32_t process;
    struct profile_map stacks, modules, threads;
    struct profile_map regions; /* region_id -> region index + 1 */
    struct profile_map allocs;  /* alloc_id -> sample index + 1 */
    struct profile_map pending; /* alloc_id -> early_frees index + 1 */
    struct profile_free *early_frees;
    size_t nearly, capearly;
    uint64_t last_ns;
    int have_process;
};

static uint64_t profile_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static uint32_t profile_map_get(const struct profile_map *m, uint64_t key)
{
    if (!m->cap)
        return 0;
    for (size_t i = profile_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i])
            return 0;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

static int profile_map_put(struct profile_map *m, uint64_t key, uint32_t val);

static int profile_map_grow(struct profile_map *m)
{
    struct profile_map bigger = {0};
    bigger.cap = m->cap ? m->cap * 2 : 64;
    bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
    bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
    if (!bigger.keys || !bigger.vals) {
        free(bigger.keys);
        free(bigger.vals);
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->vals[i])
            profile_map_put(&bigger, m->keys[i], m->vals[i]);
    free(m->keys);
    free(m->vals);
    *m = bigger;
    return 0;
}

/* Inserts or replaces; `val` must be non-zero. */
static int profile_map_put(struct profile_map *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap && profile_map_grow(m) < 0)
        return -ENOMEM;
    size_t i = profile_hash(key) & (m->cap - 1);
    while (m->vals[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->vals[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

static void profile_map_free(struct profile_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* Makes room for one more element in a growable array. */
static int profile_reserve(void *arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*(void **)arr, c * size);
    if (!p)
        return -ENOMEM;
    *(void **)arr = p;
    *cap = c;
    return 0;
}

static char *profile_strdup(const char *s) { return strdup(s ? s : ""); }

__attribute__((format(printf, 3, 4))) static int profile_warn(struct profile_impl *pi,
                                                              const char *file, const char *fmt, ...)
{
    struct prof_profile *p = &pi->pub;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (profile_reserve(&p->warnings, &pi->cap_warnings, p->nwarnings, sizeof(*p->warnings)) < 0)
        return -ENOMEM;
    size_t len = strlen(file) + strlen(msg) + 3;
    char *w = malloc(len);
    if (!w)
        return -ENOMEM;
    snprintf(w, len, "%s: %s", file, msg);
    p->warnings[p->nwarnings++] = w;
    return 0;
}

static void profile_seen(struct profile_file *f, uint64_t t)
{
    if (t > f->last_ns)
        f->last_ns = t;
}

static int profile_add_process(struct profile_impl *pi, struct profile_file *f,
                               const struct prof_rec_header *h)
{
    struct prof_profile *p = &pi->pub;
    if (profile_reserve(&p->processes, &pi->cap_processes, p->nprocesses, sizeof(*p->processes)) < 0)
        return -ENOMEM;
    struct prof_process *pr = &p->processes[p->nprocesses];
    memset(pr, 0, sizeof(*pr));
    p->nprocesses++; /* counted now so prof_profile_free releases a half-built entry */
    pr->file = profile_strdup(f->path);
    pr->exe_path = profile_strdup(h->exe_path);
    pr->hostname = profile_strdup(h->hostname);
    pr->argv = calloc(h->argc + 1, sizeof(*pr->argv));
    if (!pr->file || !pr->exe_path || !pr->hostname || !pr->argv)
        return -ENOMEM;
    for (size_t i = 0; i < h->argc; i++) {
        pr->argv[i] = profile_strdup(h->argv[i]);
        if (!pr->argv[i])
            return -ENOMEM;
        pr->argc = i + 1;
    }
    pr->pid = h->pid;
    pr->ppid = h->ppid;
    pr->start_realtime_ns = h->start_realtime_ns;
    pr->start_monotonic_ns = h->start_monotonic_ns;
    pr->modes = h->modes;
    pr->hz = h->hz;
    pr->timer = h->timer;
    pr->timer_requested = h->timer_requested;
    pr->unwinder = h->unwinder;
    pr->max_depth = h->max_depth;
    pr->flush_ms = h->flush_ms;
    pr->alloc_rate = h->alloc_rate;
    f->process = (uint32_t)(p->nprocesses - 1);
    f->have_process = 1;
    return 0;
}

static int profile_add_module(struct profile_impl *pi, struct profile_file *f,
                              const struct prof_rec_module *m)
{
    struct prof_profile *p = &pi->pub;
    if (profile_reserve(&p->modules, &pi->cap_modules, p->nmodules, sizeof(*p->modules)) < 0)
        return -ENOMEM;
    struct prof_module *mod = &p->modules[p->nmodules];
    memset(mod, 0, sizeof(*mod));
    p->nmodules++;
    mod->process = f->process;
    mod->path = profile_strdup(m->path);
    mod->bias = m->bias;
    mod->load_ns = m->load_ns;
    mod->unload_ns = UINT64_MAX;
    mod->build_id = malloc(m->build_id_len ? m->build_id_len : 1);
    mod->segs = calloc(m->nsegs ? m->nsegs : 1, sizeof(*mod->segs));
    if (!mod->path || !mod->build_id || !mod->segs)
        return -ENOMEM;
    if (m->build_id_len)
        memcpy(mod->build_id, m->build_id, m->build_id_len);
    mod->build_id_len = m->build_id_len;
    for (size_t i = 0; i < m->nsegs; i++) {
        mod->segs[i].start = m->segs[i].start;
        mod->segs[i].size = m->segs[i].size;
        mod->segs[i].file_offset = m->segs[i].file_offset;
        mod->segs[i].flags = m->segs[i].flags;
    }
    mod->nsegs = m->nsegs;
    profile_seen(f, m->load_ns);
    return profile_map_put(&f->modules, m->module_id, (uint32_t)p->nmodules);
}

static int profile_add_stack(struct profile_impl *pi, struct profile_file *f,
                             const struct prof_rec_stack *s)
{
    struct prof_profile *p = &pi->pub;
    if (profile_reserve(&p->stacks, &pi->cap_stacks, p->nstacks, sizeof(*p->stacks)) < 0)
        return -ENOMEM;
    struct prof_stack *st = &p->stacks[p->nstacks];
    memset(st, 0, sizeof(*st));
    p->nstacks++;
    st->frames = malloc((s->nframes ? s->nframes : 1) * sizeof(*st->frames));
    if (!st->frames)
        return -ENOMEM;
    if (s->nframes)
        memcpy(st->frames, s->frames, s->nframes * sizeof(*st->frames));
    st->nframes = (uint32_t)s->nframes; /* the reader enforces <= 1024 */
    st->flags = s->flags > UINT32_MAX ? UINT32_MAX : (uint32_t)s->flags;
    /* A redefinition of an id (never written by libprof) takes effect from here on. */
    return profile_map_put(&f->stacks, s->stack_id, (uint32_t)p->nstacks);
}

/* Thread index for (current process, tid), created on first use. */
static int profile_thread(struct profile_impl *pi, struct profile_file *f, uint32_t tid,
                          uint32_t *idx)
{
    struct prof_profile *p = &pi->pub;
    uint32_t v = profile_map_get(&f->threads, tid);
    if (v) {
        *idx = v - 1;
        return 0;
    }
    if (profile_reserve(&p->threads, &pi->cap_threads, p->nthreads, sizeof(*p->threads)) < 0)
        return -ENOMEM;
    struct prof_thread *t = &p->threads[p->nthreads];
    memset(t, 0, sizeof(*t));
    t->process = f->process;
    t->tid = tid;
    t->name = profile_strdup("");
    if (!t->name)
        return -ENOMEM;
    p->nthreads++;
    *idx = (uint32_t)(p->nthreads - 1);
    return profile_map_put(&f->threads, tid, (uint32_t)p->nthreads);
}

static int profile_rename_thread(struct profile_impl *pi, struct profile_file *f,
                                 const struct prof_rec_thread *t)
{
    uint32_t idx;
    if (t->tid > UINT32_MAX)
        return 1;
    int err = profile_thread(pi, f, (uint32_t)t->tid, &idx);
    if (err)
        return err;
    char *name = profile_strdup(t->name);
    if (!name)
        return -ENOMEM;
    free(pi->pub.threads[idx].name);
    pi->pub.threads[idx].name = name; /* records come in time order: the last one is the latest */
    profile_seen(f, t->time_ns);
    return 0;
}

/* Appends a zeroed sample of file f with the fields every kind shares (process, thread, stack,
 * time, region), after checking its references. `what` names it in messages ("sample",
 * "allocation"). Returns 0, -ENOMEM, or 1 with *why describing a bad reference. */
static int profile_new_sample(struct profile_impl *pi, struct profile_file *f, const char *what,
                              uint64_t stack_id, uint64_t tid, uint64_t time_ns,
                              uint64_t region_id, struct prof_sample **out, uint32_t *thread,
                              char *why, size_t whylen)
{
    struct prof_profile *p = &pi->pub;
    uint32_t stack = profile_map_get(&f->stacks, stack_id);
    if (!stack) {
        snprintf(why, whylen, "%s references undefined stack id %" PRIu64, what, stack_id);
        return 1;
    }
    if (tid > UINT32_MAX) {
        snprintf(why, whylen, "%s with thread id %" PRIu64 " out of range", what, tid);
        return 1;
    }
    int err = profile_thread(pi, f, (uint32_t)tid, thread);
    if (err)
        return err;
    if (profile_reserve(&p->samples, &pi->cap_samples, p->nsamples, sizeof(*p->samples)) < 0)
        return -ENOMEM;
    struct prof_sample *s = &p->samples[p->nsamples++];
    memset(s, 0, sizeof(*s));
    s->process = f->process;
    s->tid = (uint32_t)tid;
    s->stack = stack - 1;
    s->time_ns = time_ns;
    s->region_id = region_id;
    s->region = profile_map_get(&f->regions, region_id); /* 0: none, or undefined */
    profile_seen(f, time_ns);
    *out = s;
    return 0;
}

/* Adds a SAMPLES record. Returns 0, -ENOMEM, or 1 with *why describing a bad reference (the
 * samples before it are kept). */
static int profile_add_samples(struct profile_impl *pi, struct profile_file *f,
                               const struct prof_rec_samples *s, char *why, size_t whylen)
{
    struct prof_profile *p = &pi->pub;
    for (size_t i = 0; i < s->count; i++) {
        const struct prof_rec_sample *x = &s->samples[i];
        struct prof_sample *out;
        uint32_t thread;
        int err = profile_new_sample(pi, f, "sample", x->stack_id, x->tid, x->time_ns,
                                     x->region_id, &out, &thread, why, whylen);
        if (err)
            return err;
        /* PROF_KIND_ALLOC is the model's own: a file's SAMPLES cannot claim it. */
        out->kind = x->kind > UINT32_MAX || x->kind == PROF_KIND_ALLOC ? UINT32_MAX
                                                                       : (uint32_t)x->kind;
        out->weight = x->weight;
        out->region_call = x->region_call;
        p->threads[thread].weight += x->weight;
    }
    return 0;
}

/* Adds an ALLOC_SAMPLES record as PROF_KIND_ALLOC samples (weight = estimated bytes). Returns 0,
 * -ENOMEM, or 1 with *why describing a bad reference (the allocations before it are kept). */
static int profile_add_allocs(struct profile_impl *pi, struct profile_file *f,
                              const struct prof_rec_allocs *a, char *why, size_t whylen)
{
    struct prof_profile *p = &pi->pub;
    for (size_t i = 0; i < a->count; i++) {
        const struct prof_rec_alloc *x = &a->allocs[i];
        struct prof_sample *out;
        uint32_t thread; /* created for its name; its weight stays timer periods only */
        int err = profile_new_sample(pi, f, "allocation", x->stack_id, x->tid, x->time_ns,
                                     x->region_id, &out, &thread, why, whylen);
        if (err)
            return err;
        out->kind = PROF_KIND_ALLOC;
        out->weight = x->weight_bytes;
        out->size = x->size;
        out->alloc_id = x->alloc_id;
        out->free_ns = UINT64_MAX;
        uint32_t early = profile_map_get(&f->pending, x->alloc_id);
        if (early && !f->early_frees[early - 1].used) {
            f->early_frees[early - 1].used = 1;
            out->free_ns = f->early_frees[early - 1].time_ns;
        } else if (profile_map_put(&f->allocs, x->alloc_id, (uint32_t)p->nsamples) < 0) {
            return -ENOMEM;
        }
    }
    return 0;
}

/* Applies a FREES record: marks the allocations freed, or keeps the free until its allocation is
 * read. A free whose allocation never comes is dropped (the runtime counts those, key 16). */
static int profile_add_frees(struct profile_impl *pi, struct profile_file *f,
                             const struct prof_rec_frees *fr)
{
    struct prof_profile *p = &pi->pub;
    for (size_t i = 0; i < fr->count; i++) {
        const struct prof_rec_free *x = &fr->frees[i];
        profile_seen(f, x->time_ns);
        uint32_t v = profile_map_get(&f->allocs, x->alloc_id);
        if (v && p->samples[v - 1].free_ns == UINT64_MAX) {
            p->samples[v - 1].free_ns = x->time_ns;
            continue;
        }
        if (profile_reserve(&f->early_frees, &f->capearly, f->nearly, sizeof(*f->early_frees)) < 0)
            return -ENOMEM;
        f->early_frees[f->nearly++] = (struct profile_free){x->time_ns, 0};
        if (profile_map_put(&f->pending, x->alloc_id, (uint32_t)f->nearly) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Adds a HEAP_SNAPSHOT. A snapshot naming an undefined stack is corrupt as a whole (1 + why). */
static int profile_add_snapshot(struct profile_impl *pi, struct profile_file *f,
                                const struct prof_rec_heap_snapshot *h, char *why, size_t whylen)
{
    struct prof_profile *p = &pi->pub;
    for (size_t i = 0; i < h->n; i++) {
        if (!profile_map_get(&f->stacks, h->entries[i].stack_id)) {
            snprintf(why, whylen, "heap snapshot references undefined stack id %" PRIu64,
                     h->entries[i].stack_id);
            return 1;
        }
    }
    if (profile_reserve(&p->snapshots, &pi->cap_snapshots, p->nsnapshots, sizeof(*p->snapshots)) < 0)
        return -ENOMEM;
    struct prof_heap_snapshot *snap = &p->snapshots[p->nsnapshots];
    snap->entries = malloc((h->n ? h->n : 1) * sizeof(*snap->entries));
    if (!snap->entries)
        return -ENOMEM;
    p->nsnapshots++;
    snap->process = f->process;
    snap->time_ns = h->time_ns;
    snap->n = h->n;
    for (size_t i = 0; i < h->n; i++) {
        snap->entries[i].stack = profile_map_get(&f->stacks, h->entries[i].stack_id) - 1;
        snap->entries[i].bytes = h->entries[i].live_bytes;
        snap->entries[i].objects = h->entries[i].live_objects;
    }
    profile_seen(f, h->time_ns);
    return 0;
}

static int profile_add_interval(struct profile_impl *pi, struct profile_file *f,
                                const struct prof_rec_metrics *m)
{
    struct prof_profile *p = &pi->pub;
    if (profile_reserve(&p->intervals, &pi->cap_intervals, p->nintervals, sizeof(*p->intervals)) < 0)
        return -ENOMEM;
    struct prof_interval *iv = &p->intervals[p->nintervals++];
    memset(iv, 0, sizeof(*iv));
    iv->process = f->process;
    iv->end_ns = m->time_ns;
    iv->interval_ns = m->interval_ns;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t v = m->pairs[i].value;
        switch (m->pairs[i].key) {
        case PROF_MET_USER_NS: iv->user_ns = v; break;
        case PROF_MET_SYS_NS: iv->sys_ns = v; break;
        case PROF_MET_RSS: iv->rss = v; break;
        case PROF_MET_THREADS: iv->threads = v; break;
        case PROF_MET_SAMPLES: iv->samples = v; break;
        case PROF_MET_DROPPED: iv->dropped = v; break;
        case PROF_MET_LIVE_HEAP: iv->live_heap = v; iv->has_heap = 1; break;
        case PROF_MET_WALL_OFF: iv->wall_off = v; iv->has_wall = 1; break;
        case PROF_MET_WALL_ON: iv->wall_on = v; iv->has_wall = 1; break;
        default: break; /* unknown keys: shown by --dump only */
        }
    }
    profile_seen(f, m->time_ns);
    return 0;
}

static int profile_add_alert(struct profile_impl *pi, struct profile_file *f,
                             const struct prof_rec_alert *a)
{
    struct prof_profile *p = &pi->pub;
    if (profile_reserve(&p->alerts, &pi->cap_alerts, p->nalerts, sizeof(*p->alerts)) < 0)
        return -ENOMEM;
    struct prof_alert *al = &p->alerts[p->nalerts];
    memset(al, 0, sizeof(*al));
    p->nalerts++; /* counted now so prof_profile_free releases a half-built entry */
    al->process = f->process;
    al->time_ns = a->time_ns;
    al->rule = profile_strdup(a->rule);
    al->value = profile_strdup(a->value);
    al->message = profile_strdup(a->message);
    if (!al->rule || !al->value || !al->message)
        return -ENOMEM;
    profile_seen(f, a->time_ns);
    return 0;
}

/* REGION_DEF: a new node (a redefined id takes effect from here on, like stacks). A parent that
 * is not defined yet is corruption (the writer defines parents first). */
static int profile_add_region_def(struct profile_impl *pi, struct profile_file *f,
                                  const struct prof_rec_region_def *d, char *why, size_t whylen)
{
    struct prof_profile *p = &pi->pub;
    uint32_t parent = 0;
    if (d->parent_id && !(parent = profile_map_get(&f->regions, d->parent_id))) {
        snprintf(why, whylen, "region %" PRIu64 " has undefined parent %" PRIu64, d->region_id,
                 d->parent_id);
        return 1;
    }
    if (d->region_id == 0) {
        snprintf(why, whylen, "region id 0");
        return 1;
    }
    if (profile_reserve(&p->regions, &pi->cap_regions, p->nregions, sizeof(*p->regions)) < 0)
        return -ENOMEM;
    struct prof_region *rg = &p->regions[p->nregions];
    memset(rg, 0, sizeof(*rg));
    rg->name = profile_strdup(d->name);
    if (!rg->name)
        return -ENOMEM;
    p->nregions++;
    rg->process = f->process;
    rg->id = d->region_id;
    rg->parent = parent;
    rg->min_ns = UINT64_MAX;
    return profile_map_put(&f->regions, d->region_id, (uint32_t)p->nregions);
}

/* REGION_STATS: summed into the node; min and max are over the run so far in every record. */
static int profile_add_region_stats(struct profile_impl *pi, struct profile_file *f,
                                    const struct prof_rec_region_stats *st, char *why,
                                    size_t whylen)
{
    uint32_t v = profile_map_get(&f->regions, st->region_id);
    if (!v) {
        snprintf(why, whylen, "REGION_STATS of undefined region id %" PRIu64, st->region_id);
        return 1;
    }
    struct prof_region *rg = &pi->pub.regions[v - 1];
    rg->count += st->count;
    rg->total_ns += st->total_ns;
    if (st->count && st->min_ns < rg->min_ns)
        rg->min_ns = st->min_ns;
    if (st->max_ns > rg->max_ns)
        rg->max_ns = st->max_ns;
    for (size_t i = 0; i < st->nbuckets; i++) {
        uint64_t b = st->buckets[i].bucket;
        /* The last bucket holds everything longer: a larger number cannot mean anything else. */
        rg->hist[b < PROF_REGION_BUCKETS ? b : PROF_REGION_BUCKETS - 1] += st->buckets[i].count;
    }
    return 0;
}

/* REGION_CALLS: an undefined region id or a tid over 32 bits is corruption from that call on. */
static int profile_add_region_calls(struct profile_impl *pi, struct profile_file *f,
                                    const struct prof_rec_region_calls *rc, char *why,
                                    size_t whylen)
{
    struct prof_profile *p = &pi->pub;
    for (size_t i = 0; i < rc->count; i++) {
        const struct prof_rec_region_call *x = &rc->calls[i];
        uint32_t v = profile_map_get(&f->regions, x->region_id);
        if (!v) {
            snprintf(why, whylen, "region call of undefined region id %" PRIu64, x->region_id);
            return 1;
        }
        if (x->tid > UINT32_MAX) {
            snprintf(why, whylen, "region call with thread id %" PRIu64 " out of range", x->tid);
            return 1;
        }
        if (profile_reserve(&p->region_calls, &pi->cap_region_calls, p->nregion_calls,
                            sizeof(*p->region_calls)) < 0)
            return -ENOMEM;
        struct prof_region_call *out = &p->region_calls[p->nregion_calls++];
        out->process = f->process;
        out->tid = (uint32_t)x->tid;
        out->call_id = x->call_id;
        out->region = v;
        out->start_ns = x->start_ns;
        out->duration_ns = x->duration_ns;
        out->parent_call = x->parent_call;
        profile_seen(f, x->start_ns);
    }
    return 0;
}

static int profile_call_cmp(const void *a, const void *b)
{
    const struct prof_region_call *x = a, *y = b;
    if (x->process != y->process)
        return x->process < y->process ? -1 : 1;
    return x->call_id < y->call_id ? -1 : x->call_id > y->call_id;
}

const struct prof_region_call *prof_profile_find_region_call(const struct prof_profile *p,
                                                             uint32_t process, uint64_t call_id)
{
    if (!p->nregion_calls)
        return NULL;
    struct prof_region_call key = {.process = process, .call_id = call_id};
    return bsearch(&key, p->region_calls, p->nregion_calls, sizeof(key), profile_call_cmp);
}

static int profile_set_counters(struct prof_process *pr, const struct prof_rec_counters *c)
{
    struct prof_counter *pairs = malloc((c->n ? c->n : 1) * sizeof(*pairs));
    if (!pairs)
        return -ENOMEM;
    for (size_t i = 0; i < c->n; i++) {
        pairs[i].key = c->pairs[i].key;
        pairs[i].value = c->pairs[i].value;
    }
    free(pr->counters);
    pr->counters = pairs; /* the last COUNTERS record wins */
    pr->ncounters = c->n;
    return 0;
}

/* Applies one record. Returns 0, -ENOMEM, or 1 when the record is corrupt in context (why says how). */
static int profile_apply(struct profile_impl *pi, struct profile_file *f, const struct prof_record *rec,
                         char *why, size_t whylen)
{
    struct prof_process *pr = f->have_process ? &pi->pub.processes[f->process] : NULL;
    if (!pr && rec->type != FMT_REC_HEADER) {
        snprintf(why, whylen, "record before HEADER");
        return 1;
    }
    switch (rec->type) {
    case FMT_REC_HEADER:
        if (pr) {
            snprintf(why, whylen, "second HEADER record");
            return 1;
        }
        return profile_add_process(pi, f, &rec->u.header);
    case FMT_REC_MODULE: return profile_add_module(pi, f, &rec->u.module);
    case FMT_REC_MODULE_UNLOAD: {
        uint32_t m = profile_map_get(&f->modules, rec->u.unload.module_id);
        if (!m) {
            snprintf(why, whylen, "MODULE_UNLOAD of undefined module id %" PRIu64,
                     rec->u.unload.module_id);
            return 1;
        }
        pi->pub.modules[m - 1].unload_ns = rec->u.unload.unload_ns;
        profile_seen(f, rec->u.unload.unload_ns);
        return 0;
    }
    case FMT_REC_THREAD:
        if (profile_rename_thread(pi, f, &rec->u.thread) == 1) {
            snprintf(why, whylen, "THREAD with thread id %" PRIu64 " out of range",
                     rec->u.thread.tid);
            return 1;
        }
        return 0;
    case FMT_REC_STACK: return profile_add_stack(pi, f, &rec->u.stack);
    case FMT_REC_SAMPLES: return profile_add_samples(pi, f, &rec->u.samples, why, whylen);
    case FMT_REC_COUNTERS:
        profile_seen(f, rec->u.counters.time_ns);
        return profile_set_counters(pr, &rec->u.counters);
    case FMT_REC_END:
        pr->ended_cleanly = 1;
        pr->duration_ns = rec->u.end.end_ns;
        return 0;
    case FMT_REC_WARNING:
        profile_seen(f, rec->u.warning.time_ns);
        return profile_warn(pi, f->path, "%s", rec->u.warning.message);
    case FMT_REC_ALLOC_SAMPLES: return profile_add_allocs(pi, f, &rec->u.allocs, why, whylen);
    case FMT_REC_FREES: return profile_add_frees(pi, f, &rec->u.frees);
    case FMT_REC_HEAP_SNAPSHOT: return profile_add_snapshot(pi, f, &rec->u.heap, why, whylen);
    case FMT_REC_REGION_DEF: return profile_add_region_def(pi, f, &rec->u.region_def, why, whylen);
    case FMT_REC_REGION_STATS:
        return profile_add_region_stats(pi, f, &rec->u.region_stats, why, whylen);
    case FMT_REC_REGION_CALLS:
        return profile_add_region_calls(pi, f, &rec->u.region_calls, why, whylen);
    case FMT_REC_METRICS: return profile_add_interval(pi, f, &rec->u.metrics);
    case FMT_REC_ALERT: return profile_add_alert(pi, f, &rec->u.alert);
    default: return 0; /* unknown record types are skipped */
    }
}

/* Loads one file into the profile. Returns 0 (possibly with damage warnings) or a fatal error with
 * "FILE: reason" in errbuf. */
static int profile_load_file(struct profile_impl *pi, const char *path, char *errbuf, size_t errlen)
{
    struct profile_file f = {.path = path};
    struct prof_reader *r = NULL;
    struct prof_record rec;
    char why[256];
    int ret = prof_reader_open(path, &r);
    while (ret >= 0 && (ret = prof_reader_next(r, &rec)) > 0) {
        int err = profile_apply(pi, &f, &rec, why, sizeof(why));
        if (err < 0) {
            ret = err;
            snprintf(errbuf, errlen, "%s: %s", path, strerror(-err));
            goto out;
        }
        if (err > 0) {
            pi->pub.damaged = 1;
            ret = profile_warn(pi, path, "corrupt chunk %" PRIu32 ": %s, data after it ignored",
                               rec.chunk, why);
            break;
        }
    }
    if (ret < 0 && ret != -ENOMEM && f.have_process) {
        /* Damage after some good records: keep them and say what was lost. */
        pi->pub.damaged = 1;
        ret = profile_warn(pi, path, "%s, data after it ignored", prof_reader_error(r));
    } else if (ret < 0) {
        snprintf(errbuf, errlen, "%s: %s", path, r ? prof_reader_error(r) : strerror(-ret));
        goto out;
    }
    if (!f.have_process) { /* a HEADER that itself was unusable */
        snprintf(errbuf, errlen, "%s: %s", path, "no usable record");
        ret = PROF_E_CORRUPT;
        goto out;
    }
    struct prof_process *pr = &pi->pub.processes[f.process];
    if (!pr->ended_cleanly) {
        pr->duration_ns = f.last_ns;
        ret = profile_warn(pi, path, "run did not end cleanly (no END record; killed?)");
    }
out:
    if (ret == -ENOMEM)
        snprintf(errbuf, errlen, "%s: %s", path, strerror(ENOMEM));
    prof_reader_close(r);
    profile_map_free(&f.stacks);
    profile_map_free(&f.modules);
    profile_map_free(&f.threads);
    profile_map_free(&f.allocs);
    profile_map_free(&f.regions);
    profile_map_free(&f.pending);
    free(f.early_frees);
    return ret < 0 ? ret : 0;
}

static int profile_seg_cmp(const void *a, const void *b)
{
    const struct profile_seg *x = a, *y = b;
    if (x->process != y->process)
        return x->process < y->process ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return 0;
}

/* Builds the sorted per-process segment index with running maximum ends, so a lookup can stop
 * scanning backwards as soon as no earlier segment can reach the address. */
static int profile_build_index(struct profile_impl *pi)
{
    const struct prof_profile *p = &pi->pub;
    size_t n = 0;
    for (size_t i = 0; i < p->nmodules; i++)
        n += p->modules[i].nsegs;
    pi->segs = malloc((n ? n : 1) * sizeof(*pi->segs));
    if (!pi->segs)
        return -ENOMEM;
    n = 0;
    for (size_t i = 0; i < p->nmodules; i++) {
        const struct prof_module *m = &p->modules[i];
        for (size_t s = 0; s < m->nsegs; s++) {
            struct profile_seg *e = &pi->segs[n];
            e->process = m->process;
            e->module = (uint32_t)i;
            e->start = m->segs[s].start;
            e->end = m->segs[s].size > UINT64_MAX - e->start ? UINT64_MAX
                                                              : e->start + m->segs[s].size;
            if (e->end > e->start)
                n++;
        }
    }
    pi->nsegs = n;
    qsort(pi->segs, n, sizeof(*pi->segs), profile_seg_cmp);
    for (size_t i = 0; i < n; i++) {
        struct profile_seg *e = &pi->segs[i];
        e->max_end = e->end;
        if (i > 0 && pi->segs[i - 1].process == e->process && pi->segs[i - 1].max_end > e->max_end)
            e->max_end = pi->segs[i - 1].max_end;
    }
    return 0;
}

int prof_profile_load(const char *const *files, size_t nfiles, struct prof_profile **out,
                      char *errbuf, size_t errlen)
{
    char dummy[1];
    if (!errbuf || !errlen) {
        errbuf = dummy;
        errlen = sizeof(dummy);
    }
    errbuf[0] = '\0';
    *out = NULL;
    if (nfiles == 0) {
        snprintf(errbuf, errlen, "no profile files given");
        return -EINVAL;
    }
    struct profile_impl *pi = calloc(1, sizeof(*pi));
    if (!pi) {
        snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
        return -ENOMEM;
    }
    int ret = 0;
    for (size_t i = 0; i < nfiles && ret == 0; i++)
        ret = profile_load_file(pi, files[i], errbuf, errlen);
    if (ret == 0 && pi->pub.nregion_calls) /* by (process, call_id), for find_region_call */
        qsort(pi->pub.region_calls, pi->pub.nregion_calls, sizeof(*pi->pub.region_calls),
              profile_call_cmp);
    if (ret == 0 && profile_build_index(pi) < 0) {
        snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
        ret = -ENOMEM;
    }
    if (ret < 0) {
        prof_profile_free(&pi->pub);
        return ret;
    }
    *out = &pi->pub;
    return 0;
}

void prof_profile_free(struct prof_profile *p)
{
    if (!p)
        return;
    struct profile_impl *pi = (struct profile_impl *)p;
    for (size_t i = 0; i < p->nprocesses; i++) {
        struct prof_process *pr = &p->processes[i];
        free(pr->file);
        free(pr->exe_path);
        free(pr->hostname);
        for (size_t a = 0; a < pr->argc; a++)
            free(pr->argv[a]);
        free(pr->argv);
        free(pr->counters);
    }
    free(p->processes);
    for (size_t i = 0; i < p->nmodules; i++) {
        free(p->modules[i].path);
        free(p->modules[i].build_id);
        free(p->modules[i].segs);
    }
    free(p->modules);
    for (size_t i = 0; i < p->nstacks; i++)
        free(p->stacks[i].frames);
    free(p->stacks);
    free(p->samples);
    for (size_t i = 0; i < p->nthreads; i++)
        free(p->threads[i].name);
    free(p->threads);
    for (size_t i = 0; i < p->nsnapshots; i++)
        free(p->snapshots[i].entries);
    free(p->snapshots);
    for (size_t i = 0; i < p->nregions; i++)
        free(p->regions[i].name);
    free(p->regions);
    free(p->region_calls);
    free(p->intervals);
    for (size_t i = 0; i < p->nalerts; i++) {
        free(p->alerts[i].rule);
        free(p->alerts[i].value);
        free(p->alerts[i].message);
    }
    free(p->alerts);
    for (size_t i = 0; i < p->nwarnings; i++)
        free(p->warnings[i]);
    free(p->warnings);
    free(pi->segs);
    free(pi);
}

static int thread_key_cmp(const void *a, const void *b)
{
    const struct prof_thread *x = *(const struct prof_thread *const *)a;
    const struct prof_thread *y = *(const struct prof_thread *const *)b;
    if (x->process != y->process)
        return x->process < y->process ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

size_t prof_profile_filter_samples(struct prof_profile *p,
                                   int (*keep)(const struct prof_profile *p,
                                               const struct prof_sample *s, void *arg),
                                   void *arg)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (keep(p, &p->samples[i], arg))
            p->samples[kept++] = p->samples[i];
    p->nsamples = kept;
    /* Thread weights are the timer periods of the samples left: recount them, finding each
     * sample's thread by binary search over (process, tid). */
    struct prof_thread **by_key = malloc((p->nthreads ? p->nthreads : 1) * sizeof(*by_key));
    for (size_t t = 0; t < p->nthreads; t++) {
        p->threads[t].weight = 0;
        if (by_key)
            by_key[t] = &p->threads[t];
    }
    if (!by_key)
        return kept;
    qsort(by_key, p->nthreads, sizeof(*by_key), thread_key_cmp);
    for (size_t i = 0; i < kept; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (s->kind == PROF_KIND_ALLOC)
            continue;
        struct prof_thread probe = {.process = s->process, .tid = s->tid}, *pp = &probe;
        struct prof_thread **hit =
            bsearch(&pp, by_key, p->nthreads, sizeof(*by_key), thread_key_cmp);
        if (hit)
            (*hit)->weight += s->weight;
    }
    free(by_key);
    return kept;
}

uint64_t prof_profile_counter(const struct prof_profile *p, uint64_t key)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < p->nprocesses; i++)
        for (size_t k = 0; k < p->processes[i].ncounters; k++)
            if (p->processes[i].counters[k].key == key)
                sum += p->processes[i].counters[k].value;
    return sum;
}

const struct prof_module *prof_profile_find_module(const struct prof_profile *p, uint32_t process,
                                                   uint64_t addr, uint64_t time_ns)
{
    const struct profile_impl *pi = (const struct profile_impl *)p;
    /* Last entry with (process, start) <= (process, addr). */
    size_t lo = 0, hi = pi->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct profile_seg *e = &pi->segs[mid];
        if (e->process < process || (e->process == process && e->start <= addr))
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct prof_module *live = NULL, *later = NULL;
    for (size_t i = lo; i-- > 0;) {
        const struct profile_seg *e = &pi->segs[i];
        if (e->process != process || e->max_end <= addr)
            break;
        if (addr >= e->end)
            continue;
        const struct prof_module *m = &p->modules[e->module];
        if (m->load_ns <= time_ns && time_ns < m->unload_ns) {
            if (!live || m->load_ns > live->load_ns)
                live = m;
        } else if (m->load_ns > time_ns && (!later || m->load_ns < later->load_ns)) {
            later = m;
        }
    }
    /* load_ns is when the writer first *noticed* the object, so a sample in a freshly loaded object
     * can predate it: without a live match, the next object loaded at that address is the owner. */
    return live ? live : later;
}
