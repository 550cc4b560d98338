/* SPDX-License-Identifier: MIT */
/* Symbolized aggregation of samples: once per distinct stack, then tables and folded stacks. */
#include "aggregate.h"

#include "htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Field widths of the exact key (stack, process, module epoch) packed into 64 bits. */
#define AGG_STACK_BITS 32
#define AGG_PROC_BITS 12
#define AGG_EPOCH_BITS 20

struct agg_key {
    uint32_t stack, process;
    uint64_t time_ns; /* a sample time of this key: picks the module set */
    uint64_t weight;
};

/* Per process: the sorted times at which the set of loaded modules changed. Only needed when some
 * module was unloaded; otherwise module lookup does not depend on time (epoch 0). */
struct agg_epochs {
    uint64_t *times;
    size_t n;
};

static int agg_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int agg_build_epochs(const struct prof_profile *p, struct agg_epochs *ep)
{
    for (size_t i = 0; i < p->nmodules; i++) {
        const struct prof_module *m = &p->modules[i];
        if (m->unload_ns == UINT64_MAX)
            continue;
        struct agg_epochs *e = &ep[m->process];
        if (e->times)
            continue;
        /* This process unloads modules: every load and unload time is a boundary. */
        size_t cnt = 0;
        for (size_t j = 0; j < p->nmodules; j++)
            if (p->modules[j].process == m->process)
                cnt += 2;
        e->times = malloc(cnt * sizeof(uint64_t));
        if (!e->times)
            return -ENOMEM;
        for (size_t j = 0; j < p->nmodules; j++) {
            const struct prof_module *o = &p->modules[j];
            if (o->process != m->process)
                continue;
            e->times[e->n++] = o->load_ns;
            if (o->unload_ns != UINT64_MAX)
                e->times[e->n++] = o->unload_ns;
        }
        qsort(e->times, e->n, sizeof(uint64_t), agg_u64_cmp);
    }
    return 0;
}

static uint64_t agg_epoch(const struct agg_epochs *e, uint64_t t)
{
    size_t lo = 0, hi = e->n; /* number of boundaries <= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->times[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Thread filter: returns a table of selected (process, tid) keys, or -ESRCH if none matches. */
static int agg_thread_filter(const struct prof_profile *p, const char *sel, struct htab *ok)
{
    char *end = NULL;
    errno = 0;
    unsigned long tid = strtoul(sel, &end, 10);
    int numeric = *sel && *end == '\0' && errno == 0;
    for (size_t i = 0; i < p->nthreads; i++) {
        const struct prof_thread *t = &p->threads[i];
        if ((numeric && t->tid == tid) || (t->name && strcmp(t->name, sel) == 0)) {
            uint64_t key = ((uint64_t)t->process << 32 | t->tid) + 1;
            if (!htab_upsert(ok, key, 1, NULL))
                return -ENOMEM;
        }
    }
    /* Samples may name a thread that has no THREAD record: match its tid too. */
    if (numeric) {
        for (size_t i = 0; i < p->nsamples; i++) {
            const struct prof_sample *s = &p->samples[i];
            if (s->tid == tid && !htab_upsert(ok, ((uint64_t)s->process << 32 | s->tid) + 1, 1, NULL))
                return -ENOMEM;
        }
    }
    return ok->count ? 0 : -ESRCH;
}

static int agg_grow(uint64_t **v, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need)
        ncap *= 2;
    uint64_t *nv = realloc(*v, ncap * sizeof(uint64_t));
    if (!nv)
        return -ENOMEM;
    memset(nv + *cap, 0, (ncap - *cap) * sizeof(uint64_t));
    *v = nv;
    *cap = ncap;
    return 0;
}

void agg_folded_name(const struct sym_func *f, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s", f->name, f->is_inline ? "_[i]" : "");
    for (char *c = out; *c; c++)
        if (*c == ';' || *c == ' ' || *c == '\t' || *c == '\n')
            *c = '_';
}

/* Working state of one agg_build call. */
struct agg_work {
    const struct prof_profile *p;
    struct agg *a;
    int folded;         /* build folded stacks */
    int *symmod;        /* prof module index -> symbolizer handle, -1 = not registered */
    struct sym_frame *frames; /* expanded frames of the current stack, innermost first */
    size_t nframes, capframes;
    uint64_t *cum, *self, *hot, *stamp;
    size_t capcum, capself, caphot, capstamp;
    struct strtab folded_keys;
    uint64_t *folded_w;
    size_t capfolded;
    char *buf;          /* folded string being built */
    size_t buflen, bufcap;
};

static int agg_push_frames(struct agg_work *w, const struct sym_result *r)
{
    if (w->nframes + r->nframes > w->capframes) {
        size_t ncap = w->capframes ? w->capframes * 2 : 256;
        while (ncap < w->nframes + r->nframes)
            ncap *= 2;
        struct sym_frame *nf = realloc(w->frames, ncap * sizeof(*nf));
        if (!nf)
            return -ENOMEM;
        w->frames = nf;
        w->capframes = ncap;
    }
    memcpy(w->frames + w->nframes, r->frames, r->nframes * sizeof(*r->frames));
    w->nframes += r->nframes;
    return 0;
}

/* Symbolizes frame i of a stack; return addresses (i > 0) are looked up at address - 1. */
static const struct sym_result *agg_symbolize(struct agg_work *w, uint32_t process,
                                              uint64_t time_ns, uint64_t addr, int is_return,
                                              const struct prof_module **modp)
{
    uint64_t look = is_return && addr ? addr - 1 : addr;
    const struct prof_module *pm = prof_profile_find_module(w->p, process, look, time_ns);
    *modp = pm;
    if (!pm)
        return sym_unknown(w->a->sym);
    size_t mi = (size_t)(pm - w->p->modules);
    if (w->symmod[mi] < 0) {
        int h = sym_module(w->a->sym, pm->path, pm->build_id, pm->build_id_len);
        if (h < 0)
            return NULL;
        w->symmod[mi] = h;
    }
    return sym_lookup(w->a->sym, w->symmod[mi], look - pm->bias);
}

static int agg_buf_append(struct agg_work *w, const char *s)
{
    size_t n = strlen(s);
    if (w->buflen + n + 1 > w->bufcap) {
        size_t ncap = w->bufcap ? w->bufcap * 2 : 4096;
        while (ncap < w->buflen + n + 1)
            ncap *= 2;
        char *nb = realloc(w->buf, ncap);
        if (!nb)
            return -ENOMEM;
        w->buf = nb;
        w->bufcap = ncap;
    }
    memcpy(w->buf + w->buflen, s, n + 1);
    w->buflen += n;
    return 0;
}

static int agg_leaf_cmp(const void *pa, const void *pb)
{
    const struct agg_leaf *a = pa, *b = pb;
    if (a->module != b->module)
        return a->module < b->module ? -1 : 1;
    return a->address < b->address ? -1 : a->address > b->address;
}

static int agg_leaf_weight_cmp(const void *pa, const void *pb)
{
    const struct agg_leaf *a = pa, *b = pb;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return agg_leaf_cmp(pa, pb);
}

/* One distinct (stack, module set) with its summed weight: symbolize and count. */
static int agg_account(struct agg_work *w, const struct agg_key *k, size_t serial)
{
    struct agg *a = w->a;
    const struct prof_stack *st = &w->p->stacks[k->stack];
    w->nframes = 0;
    for (uint32_t i = 0; i < st->nframes; i++) {
        const struct prof_module *pm = NULL;
        const struct sym_result *r = agg_symbolize(w, k->process, k->time_ns, st->frames[i],
                                                    i > 0, &pm);
        if (!r || agg_push_frames(w, r) != 0)
            return -ENOMEM;
        if (i == 0 && a->leaves)
            a->leaves[a->nleaves++] = (struct agg_leaf){pm, st->frames[0], k->weight,
                                                        r->frames[r->nframes - 1].func};
    }
    if (w->nframes == 0 && agg_push_frames(w, sym_unknown(a->sym)) != 0)
        return -ENOMEM; /* an empty stack still counts, as [unknown] */

    size_t nf = sym_nfuncs(a->sym), nl = sym_nlines(a->sym);
    if (agg_grow(&w->cum, &w->capcum, nf) || agg_grow(&w->self, &w->capself, nf) ||
        agg_grow(&w->stamp, &w->capstamp, nf) || agg_grow(&w->hot, &w->caphot, nl))
        return -ENOMEM;
    w->self[w->frames[0].func] += k->weight;
    w->hot[w->frames[0].line_id] += k->weight;
    w->buflen = 0;
    if (w->buf)
        w->buf[0] = '\0';
    for (size_t i = 0; i < w->nframes; i++) {
        uint32_t f = w->frames[i].func;
        /* Recursion: a function counts once per stack. */
        if (w->stamp[f] != serial + 1) {
            w->stamp[f] = serial + 1;
            w->cum[f] += k->weight;
        }
    }
    if (!w->folded)
        return 0;
    char name[1024];
    for (size_t i = w->nframes; i-- > 0;) {
        agg_folded_name(sym_func_get(a->sym, w->frames[i].func), name, sizeof(name));
        if ((i + 1 < w->nframes && agg_buf_append(w, ";")) || agg_buf_append(w, name))
            return -ENOMEM;
    }
    size_t before = w->folded_keys.count;
    long id = strtab_intern(&w->folded_keys, w->buf, w->buflen);
    if (id < 0)
        return -ENOMEM;
    if (w->folded_keys.count != before && agg_grow(&w->folded_w, &w->capfolded, (size_t)id + 1))
        return -ENOMEM;
    w->folded_w[id] += k->weight;
    return 0;
}

static const struct sym_ctx *agg_sort_sym; /* qsort has no context argument */

static int agg_row_cmp_func(const void *pa, const void *pb)
{
    const struct agg_row *a = pa, *b = pb;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return strcmp(sym_func_get(agg_sort_sym, a->id)->name, sym_func_get(agg_sort_sym, b->id)->name);
}

static int agg_row_cmp_line(const void *pa, const void *pb)
{
    const struct agg_row *a = pa, *b = pb;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return strcmp(sym_line_label(agg_sort_sym, a->id), sym_line_label(agg_sort_sym, b->id));
}

static int agg_folded_cmp(const void *pa, const void *pb)
{
    return strcmp(((const struct agg_folded *)pa)->stack, ((const struct agg_folded *)pb)->stack);
}

static int agg_rows(const uint64_t *w, size_t n, struct agg_row **out, size_t *nout,
                    int (*cmp)(const void *, const void *))
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += w[i] != 0;
    *out = malloc((k ? k : 1) * sizeof(**out));
    if (!*out)
        return -ENOMEM;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i])
            (*out)[k++] = (struct agg_row){(uint32_t)i, w[i]};
    *nout = k;
    qsort(*out, k, sizeof(**out), cmp);
    return 0;
}

static int agg_finish(struct agg_work *w)
{
    struct agg *a = w->a;
    size_t nf = sym_nfuncs(a->sym), nl = sym_nlines(a->sym);
    if (agg_grow(&w->cum, &w->capcum, nf) || agg_grow(&w->self, &w->capself, nf) ||
        agg_grow(&w->hot, &w->caphot, nl))
        return -ENOMEM;
    agg_sort_sym = a->sym;
    if (agg_rows(w->cum, nf, &a->cum, &a->ncum, agg_row_cmp_func) ||
        agg_rows(w->self, nf, &a->self, &a->nself, agg_row_cmp_func) ||
        agg_rows(w->hot, nl, &a->hot, &a->nhot, agg_row_cmp_line))
        return -ENOMEM;
    size_t n = w->folded_keys.count;
    a->folded = malloc((n ? n : 1) * sizeof(*a->folded));
    if (!a->folded)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        /* Move the strings out of the table: the agg owns them from here. */
        a->folded[i] = (struct agg_folded){w->folded_keys.strs[i], w->folded_w[i]};
        w->folded_keys.strs[i] = NULL;
    }
    a->nfolded = n;
    qsort(a->folded, n, sizeof(*a->folded), agg_folded_cmp);
    if (a->leaves && a->nleaves) {
        /* Merge equal (module, address) leaves, then heaviest first. */
        qsort(a->leaves, a->nleaves, sizeof(*a->leaves), agg_leaf_cmp);
        size_t k = 0;
        for (size_t i = 0; i < a->nleaves; i++) {
            if (k && a->leaves[k - 1].module == a->leaves[i].module &&
                a->leaves[k - 1].address == a->leaves[i].address)
                a->leaves[k - 1].weight += a->leaves[i].weight;
            else
                a->leaves[k++] = a->leaves[i];
        }
        a->nleaves = k;
        qsort(a->leaves, k, sizeof(*a->leaves), agg_leaf_weight_cmp);
    }
    return 0;
}

static void agg_work_free(struct agg_work *w)
{
    free(w->symmod);
    free(w->frames);
    free(w->cum);
    free(w->self);
    free(w->hot);
    free(w->stamp);
    strtab_free(&w->folded_keys); /* strings moved out are NULL; free(NULL) is fine */
    free(w->folded_w);
    free(w->buf);
}

int agg_build(const struct prof_profile *p, const struct agg_options *opts, struct agg **out,
              char *errbuf, size_t errlen)
{
    int rc = -ENOMEM;
    struct agg *a = calloc(1, sizeof(*a));
    struct agg_epochs *ep = calloc(p->nprocesses ? p->nprocesses : 1, sizeof(*ep));
    struct agg_work w = {.p = p, .a = a, .folded = opts->folded};
    struct htab threads, keys;
    htab_init(&threads);
    htab_init(&keys);
    strtab_init(&w.folded_keys);
    struct agg_key *uniq = NULL;
    size_t nuniq = 0;
    *out = NULL;
    if (!a || !ep || !(a->sym = sym_new(opts->sym_flags)))
        goto fail;
    if (opts->thread) {
        rc = agg_thread_filter(p, opts->thread, &threads);
        if (rc == -ESRCH)
            snprintf(errbuf, errlen, "--thread %s: no such thread in the profile", opts->thread);
        if (rc)
            goto fail;
    }
    rc = -ENOMEM;
    if (agg_build_epochs(p, ep))
        goto fail;

    /* Pass 1: sum weights per distinct (stack, process, module epoch). */
    uniq = malloc(64 * sizeof(*uniq));
    size_t capuniq = 64;
    if (!uniq)
        goto fail;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (opts->thread && !htab_find(&threads, ((uint64_t)s->process << 32 | s->tid) + 1))
            continue;
        if (opts->to_ns > opts->from_ns && (s->time_ns < opts->from_ns || s->time_ns >= opts->to_ns))
            continue;
        /* Default: timer samples only; an allocation sample's weight is bytes, not periods. */
        uint64_t value = opts->value ? opts->value(p, s, opts->value_arg)
                         : s->kind == PROF_KIND_ALLOC ? 0
                                                      : s->weight;
        if (value == 0)
            continue;
        uint64_t epoch = ep[s->process].n ? agg_epoch(&ep[s->process], s->time_ns) : 0;
        if (s->process >= (1u << AGG_PROC_BITS) || epoch >= (1u << AGG_EPOCH_BITS)) {
            snprintf(errbuf, errlen, "too many processes or module changes to aggregate");
            rc = -E2BIG;
            goto fail;
        }
        uint64_t key = ((uint64_t)s->stack | (uint64_t)s->process << AGG_STACK_BITS |
                        epoch << (AGG_STACK_BITS + AGG_PROC_BITS)) + 1;
        int inserted = 0;
        uint64_t *slot = htab_upsert(&keys, key, nuniq, &inserted);
        if (!slot)
            goto fail;
        if (inserted) {
            if (nuniq == capuniq) {
                struct agg_key *nu = realloc(uniq, capuniq * 2 * sizeof(*nu));
                if (!nu)
                    goto fail;
                uniq = nu;
                capuniq *= 2;
            }
            uniq[nuniq++] = (struct agg_key){s->stack, s->process, s->time_ns, 0};
        }
        uniq[*slot].weight += value;
        a->total += value;
        a->nsamples++;
    }

    /* Pass 2: symbolize and count each distinct stack once. */
    w.symmod = malloc((p->nmodules ? p->nmodules : 1) * sizeof(int));
    if (!w.symmod)
        goto fail;
    for (size_t i = 0; i < p->nmodules; i++)
        w.symmod[i] = -1;
    if (opts->keep_leaves && !(a->leaves = malloc((nuniq ? nuniq : 1) * sizeof(*a->leaves))))
        goto fail;
    for (size_t i = 0; i < nuniq; i++)
        if (agg_account(&w, &uniq[i], i) != 0)
            goto fail;
    a->nstacks = nuniq;
    if (agg_finish(&w) != 0)
        goto fail;
    rc = 0;
    *out = a;
    a = NULL;
fail:
    if (rc == -ENOMEM)
        snprintf(errbuf, errlen, "out of memory");
    agg_work_free(&w);
    free(uniq);
    htab_free(&keys);
    htab_free(&threads);
    if (ep)
        for (size_t i = 0; i < p->nprocesses; i++)
            free(ep[i].times);
    free(ep);
    agg_free(a);
    return rc;
}

void agg_free(struct agg *a)
{
    if (!a)
        return;
    sym_free(a->sym);
    free(a->cum);
    free(a->self);
    free(a->hot);
    for (size_t i = 0; i < a->nfolded; i++)
        free((char *)a->folded[i].stack);
    free(a->folded);
    free(a->leaves);
    free(a);
}
