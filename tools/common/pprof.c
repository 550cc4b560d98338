/* SPDX-License-Identifier: MIT */
/* pprof export: symbolized samples -> profile.proto, hand-encoded, gzip-compressed. */
#include "pprof.h"

#include "format.h"
#include "htab.h"
#include "progress.h"
#include "symbolize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---------- protobuf encoding: the subset profile.proto needs ----------
 * Every field is a varint (wire type 0) or length-delimited (wire type 2); repeated numbers are
 * packed. A nested message is encoded into its own buffer, then appended with its length. */

enum { PB_VARINT = 0, PB_LEN = 2 };

struct pb {
    uint8_t *d;
    size_t n, cap;
    int oom; /* an allocation failed: the buffer is useless, checked once at the end */
};

static void pb_reserve(struct pb *b, size_t more)
{
    if (b->oom || b->n + more <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap * 2 : 256;
    while (ncap < b->n + more)
        ncap *= 2;
    uint8_t *nd = realloc(b->d, ncap);
    if (!nd) {
        b->oom = 1;
        return;
    }
    b->d = nd;
    b->cap = ncap;
}

static void pb_varint(struct pb *b, uint64_t v)
{
    pb_reserve(b, 10);
    if (b->oom)
        return;
    while (v >= 0x80) {
        b->d[b->n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->d[b->n++] = (uint8_t)v;
}

static void pb_key(struct pb *b, unsigned field, unsigned wire)
{
    pb_varint(b, (uint64_t)field << 3 | wire);
}

/* A scalar field; proto3 leaves zero values out. */
static void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
    if (v == 0)
        return;
    pb_key(b, field, PB_VARINT);
    pb_varint(b, v);
}

static void pb_bytes(struct pb *b, unsigned field, const void *data, size_t len)
{
    pb_key(b, field, PB_LEN);
    pb_varint(b, len);
    pb_reserve(b, len);
    if (b->oom)
        return;
    memcpy(b->d + b->n, data, len);
    b->n += len;
}

/* Appends `sub` as field `field` and empties it for reuse. */
static void pb_msg(struct pb *b, unsigned field, struct pb *sub)
{
    if (sub->oom)
        b->oom = 1;
    pb_bytes(b, field, sub->d, sub->n);
    sub->n = 0;
}

static void pb_packed(struct pb *b, unsigned field, const uint64_t *v, size_t n, struct pb *tmp)
{
    if (n == 0)
        return;
    tmp->n = 0;
    for (size_t i = 0; i < n; i++)
        pb_varint(tmp, v[i]);
    pb_msg(b, field, tmp);
}

/* profile.proto field numbers. */
enum {
    P_SAMPLE_TYPE = 1, P_SAMPLE = 2, P_MAPPING = 3, P_LOCATION = 4, P_FUNCTION = 5,
    P_STRING_TABLE = 6, P_TIME_NANOS = 9, P_DURATION_NANOS = 10, P_PERIOD_TYPE = 11, P_PERIOD = 12,
    P_COMMENT = 13, P_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VT_TYPE = 1, VT_UNIT = 2 };
enum { S_LOCATION_ID = 1, S_VALUE = 2, S_LABEL = 3 };
enum { L_KEY = 1, L_STR = 2 };
enum {
    M_ID = 1, M_START = 2, M_LIMIT = 3, M_OFFSET = 4, M_FILENAME = 5, M_BUILD_ID = 6,
    M_HAS_FUNCTIONS = 7, M_HAS_FILENAMES = 8, M_HAS_LINE_NUMBERS = 9, M_HAS_INLINE_FRAMES = 10,
};
enum { LOC_ID = 1, LOC_MAPPING_ID = 2, LOC_ADDRESS = 3, LOC_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { F_ID = 1, F_NAME = 2, F_SYSTEM_NAME = 3, F_FILENAME = 4, F_START_LINE = 5 };

/* ---------- the model being built ---------- */

#define PP_MAX_VALUES 4
/* Wall samples are split by thread state, a label (pprof aggregates across labels). */
enum { PP_CLASS_ON, PP_CLASS_OFF, PP_CLASS_RUNNABLE };
static const char *const pp_class_names[] = {"on-cpu", "off-cpu", "runnable"};

struct pp_location {
    uint32_t module;  /* prof module index + 1, 0 = none */
    uint64_t address; /* runtime address looked up (a return address - 1 for callers) */
    const struct sym_result *r; /* NULL: the synthetic "[off-CPU, unknown]" frame */
};

struct pp_sample {
    uint32_t class;
    uint32_t region; /* innermost region, index + 1 into prof_profile.regions; 0 = none */
    size_t first_loc, nlocs; /* range in pp.locids */
    uint64_t values[PP_MAX_VALUES];
};

struct pp {
    const struct prof_profile *p;
    const struct pprof_options *o;
    struct sym_ctx *sym;
    int *symmod;        /* prof module index -> symbolizer handle, -1 = not registered */
    uint8_t *mod_used;  /* prof module index -> has a location */
    struct htab thread_ok;
    struct htab loc_index, sample_index;
    struct pp_location *locs;
    size_t nlocs, caplocs;
    uint64_t *locids;   /* sample location ids, leaf first, concatenated */
    size_t nlocids, caplocids;
    struct pp_sample *samples;
    size_t nsamples, capsamples;
    uint64_t off_unknown_loc; /* location id of "[off-CPU, unknown]", 0 until needed */
    struct strtab strs;
};

static int pp_grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *nv = realloc(*v, ncap * size);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    *cap = ncap;
    return 0;
}

static uint64_t pp_str(struct pp *x, const char *s)
{
    long id = strtab_intern(&x->strs, s, strlen(s));
    return id < 0 ? 0 : (uint64_t)id; /* ENOMEM surfaces through strs at the end */
}

/* Same selection as agg_options.thread: a numeric tid or a thread name. */
static int pp_thread_filter(struct pp *x, const char *sel)
{
    const struct prof_profile *p = x->p;
    char *end = NULL;
    errno = 0;
    unsigned long tid = strtoul(sel, &end, 10);
    int numeric = *sel && *end == '\0' && errno == 0;
    for (size_t i = 0; i < p->nthreads; i++) {
        const struct prof_thread *t = &p->threads[i];
        if ((numeric && t->tid == tid) || (t->name && strcmp(t->name, sel) == 0))
            if (!htab_upsert(&x->thread_ok, ((uint64_t)t->process << 32 | t->tid) + 1, 1, NULL))
                return -ENOMEM;
    }
    for (size_t i = 0; numeric && i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (s->tid == tid &&
            !htab_upsert(&x->thread_ok, ((uint64_t)s->process << 32 | s->tid) + 1, 1, NULL))
            return -ENOMEM;
    }
    return x->thread_ok.count ? 0 : -ESRCH;
}

static uint64_t pp_period_ns(const struct prof_profile *p, uint32_t process)
{
    uint64_t hz = p->processes[process].hz;
    return hz ? 1000000000u / hz : 10000000u;
}

/* Estimated objects of an allocation sample, as profreport's allocation tables count them. */
static uint64_t pp_alloc_objects(const struct prof_sample *s)
{
    if (!s->size || !s->weight)
        return 0;
    uint64_t n = (s->weight + s->size / 2) / s->size;
    return n ? n : 1;
}

/* Values of one sample in the view, and its class; 0 = the sample is not part of the view. */
static int pp_values(const struct pp *x, const struct prof_sample *s, uint64_t *v, uint32_t *cls)
{
    *cls = PP_CLASS_ON;
    switch (x->o->view) {
    case PPROF_CPU:
        if (s->kind == PROF_KIND_ALLOC || !s->weight)
            return 0;
        v[0] = s->weight;
        v[1] = s->weight * pp_period_ns(x->p, s->process);
        return 1;
    case PPROF_WALL:
        if (s->kind > FMT_KIND_WALL_RUNNABLE || !s->weight)
            return 0;
        *cls = s->kind == FMT_KIND_WALL_OFF        ? PP_CLASS_OFF
               : s->kind == FMT_KIND_WALL_RUNNABLE ? PP_CLASS_RUNNABLE
                                                   : PP_CLASS_ON;
        v[0] = s->weight;
        v[1] = s->weight * pp_period_ns(x->p, s->process);
        return 1;
    case PPROF_ALLOC: {
        if (s->kind != PROF_KIND_ALLOC || !s->weight)
            return 0;
        int live = s->free_ns == UINT64_MAX;
        v[0] = pp_alloc_objects(s);
        v[1] = s->weight;
        v[2] = live ? v[0] : 0;
        v[3] = live ? v[1] : 0;
        return 1;
    }
    }
    return 0;
}

static uint64_t pp_add_location(struct pp *x, uint32_t module, uint64_t address,
                                const struct sym_result *r)
{
    if (pp_grow((void **)&x->locs, &x->caplocs, x->nlocs + 1, sizeof(*x->locs)))
        return 0;
    x->locs[x->nlocs++] = (struct pp_location){module, address, r};
    return x->nlocs; /* ids are 1-based */
}

/* Location id of frame `i` of a stack, symbolized once per (module, address). 0 on ENOMEM. */
static uint64_t pp_location(struct pp *x, uint32_t process, uint64_t time_ns, uint64_t addr,
                            int is_return)
{
    uint64_t look = is_return && addr ? addr - 1 : addr;
    const struct prof_module *pm = prof_profile_find_module(x->p, process, look, time_ns);
    uint32_t module = pm ? (uint32_t)(pm - x->p->modules) + 1 : 0;
    /* Exact key: user-space addresses fit in 47 bits, the module index above them. */
    uint64_t key = (((uint64_t)module << 47) | (look & ((UINT64_C(1) << 47) - 1))) + 1;
    int inserted = 0;
    uint64_t *slot = htab_upsert(&x->loc_index, key, 0, &inserted);
    if (!slot)
        return 0;
    if (!inserted)
        return *slot;
    const struct sym_result *r;
    if (!pm) {
        r = sym_unknown(x->sym);
    } else {
        if (x->symmod[module - 1] < 0) {
            int h = sym_module(x->sym, pm->path, pm->build_id, pm->build_id_len);
            if (h < 0)
                return 0;
            x->symmod[module - 1] = h;
        }
        r = sym_lookup(x->sym, x->symmod[module - 1], look - pm->bias);
        x->mod_used[module - 1] = 1;
    }
    if (!r)
        return 0;
    uint64_t id = pp_add_location(x, module, look, r);
    /* The slot may have moved if the table grew meanwhile: look it up again. */
    uint64_t *again = htab_find(&x->loc_index, key);
    if (again)
        *again = id;
    return id;
}

static int pp_push_locid(struct pp *x, uint64_t id)
{
    if (!id || pp_grow((void **)&x->locids, &x->caplocids, x->nlocids + 1, sizeof(*x->locids)))
        return -ENOMEM;
    x->locids[x->nlocids++] = id;
    return 0;
}

/* "outer/inner" for region index + 1 `r` (depth bounded, so a corrupt parent loop ends). */
static void pp_region_path(const struct prof_profile *p, uint32_t r, char *out, size_t len)
{
    const char *names[32];
    int n = 0;
    while (r && r <= p->nregions && n < 32) {
        names[n++] = p->regions[r - 1].name;
        r = p->regions[r - 1].parent;
    }
    size_t used = 0;
    out[0] = 0;
    while (n-- > 0 && used < len) {
        int w = snprintf(out + used, len - used, "%s%s", used ? "/" : "", names[n] ? names[n] : "?");
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* One profile sample: add its values to the pprof sample of its (process, stack, class). */
static int pp_account(struct pp *x, const struct prof_sample *s)
{
    uint64_t v[PP_MAX_VALUES] = {0};
    uint32_t cls;
    if (!pp_values(x, s, v, &cls))
        return 0;
    if (x->o->to_ns > x->o->from_ns && (s->time_ns < x->o->from_ns || s->time_ns >= x->o->to_ns))
        return 0;
    if (x->o->thread && !htab_find(&x->thread_ok, ((uint64_t)s->process << 32 | s->tid) + 1))
        return 0;
    /* Exact key: stack (32 bits), process (12 bits), class (2 bits), region (17 bits). */
    if (s->process >= (1u << 12) || s->region >= (1u << 17))
        return -E2BIG;
    uint64_t key = ((uint64_t)s->stack | (uint64_t)s->process << 32 | (uint64_t)cls << 44 |
                    (uint64_t)s->region << 46) + 1;
    int inserted = 0;
    uint64_t *slot = htab_upsert(&x->sample_index, key, x->nsamples, &inserted);
    if (!slot)
        return -ENOMEM;
    size_t idx = (size_t)*slot;
    if (inserted) {
        if (pp_grow((void **)&x->samples, &x->capsamples, x->nsamples + 1, sizeof(*x->samples)))
            return -ENOMEM;
        struct pp_sample *ps = &x->samples[x->nsamples++];
        memset(ps, 0, sizeof(*ps));
        ps->class = cls;
        ps->region = s->region;
        ps->first_loc = x->nlocids;
        const struct prof_stack *st = &x->p->stacks[s->stack];
        if (st->nframes == 0) {
            uint64_t id;
            if (cls == PP_CLASS_OFF) {
                if (!x->off_unknown_loc)
                    x->off_unknown_loc = pp_add_location(x, 0, 0, NULL);
                id = x->off_unknown_loc;
            } else {
                id = pp_location(x, s->process, s->time_ns, 0, 0);
            }
            if (pp_push_locid(x, id))
                return -ENOMEM;
        }
        for (uint32_t i = 0; i < st->nframes; i++)
            if (pp_push_locid(x, pp_location(x, s->process, s->time_ns, st->frames[i],
                                             i > 0)))
                return -ENOMEM;
        ps->nlocs = x->nlocids - ps->first_loc;
    }
    for (int i = 0; i < PP_MAX_VALUES; i++)
        x->samples[idx].values[i] += v[i];
    return 0;
}

/* ---------- encoding ---------- */

static void pp_value_type(struct pp *x, struct pb *b, unsigned field, const char *type,
                          const char *unit, struct pb *tmp)
{
    tmp->n = 0;
    pb_uint(tmp, VT_TYPE, pp_str(x, type));
    pb_uint(tmp, VT_UNIT, pp_str(x, unit));
    pb_msg(b, field, tmp);
}

/* "file.c:123" -> ("file.c", 123); anything else -> ("", 0). */
static uint64_t pp_split_location(const char *loc, char *file, size_t len)
{
    const char *colon = strrchr(loc, ':');
    file[0] = '\0';
    if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return 0;
    size_t n = (size_t)(colon - loc);
    snprintf(file, len, "%.*s", (int)n, loc);
    return strtoull(colon + 1, NULL, 10);
}

static void pp_encode(struct pp *x, struct pb *out)
{
    const struct prof_profile *p = x->p;
    struct pb m = {0}, sub = {0}, tmp = {0};
    int alloc = x->o->view == PPROF_ALLOC;
    int wall = x->o->view == PPROF_WALL;

    if (alloc) {
        pp_value_type(x, out, P_SAMPLE_TYPE, "alloc_objects", "count", &m);
        pp_value_type(x, out, P_SAMPLE_TYPE, "alloc_space", "bytes", &m);
        pp_value_type(x, out, P_SAMPLE_TYPE, "inuse_objects", "count", &m);
        pp_value_type(x, out, P_SAMPLE_TYPE, "inuse_space", "bytes", &m);
    } else {
        pp_value_type(x, out, P_SAMPLE_TYPE, "samples", "count", &m);
        pp_value_type(x, out, P_SAMPLE_TYPE, wall ? "wall" : "cpu", "nanoseconds", &m);
    }
    size_t nvalues = alloc ? 4 : 2;

    for (size_t i = 0; i < x->nsamples; i++) {
        const struct pp_sample *s = &x->samples[i];
        pb_packed(&m, S_LOCATION_ID, x->locids + s->first_loc, s->nlocs, &tmp);
        pb_packed(&m, S_VALUE, s->values, nvalues, &tmp);
        if (wall) {
            sub.n = 0;
            pb_uint(&sub, L_KEY, pp_str(x, "state"));
            pb_uint(&sub, L_STR, pp_str(x, pp_class_names[s->class]));
            pb_msg(&m, S_LABEL, &sub);
        }
        if (s->region) {
            /* pprof label "region": the path of region names, outermost first ("a/b/c"). */
            char path[512];
            pp_region_path(p, s->region, path, sizeof(path));
            sub.n = 0;
            pb_uint(&sub, L_KEY, pp_str(x, "region"));
            pb_uint(&sub, L_STR, pp_str(x, path));
            pb_msg(&m, S_LABEL, &sub);
        }
        pb_msg(out, P_SAMPLE, &m);
    }

    int inline_frames = !(x->o->sym_flags & SYM_NO_INLINE);
    for (size_t i = 0; i < p->nmodules; i++) {
        if (!x->mod_used[i])
            continue;
        const struct prof_module *pm = &p->modules[i];
        uint64_t lo = UINT64_MAX, hi = 0, off = 0;
        for (size_t k = 0; k < pm->nsegs; k++) {
            if (pm->segs[k].start < lo) {
                lo = pm->segs[k].start;
                off = pm->segs[k].file_offset;
            }
            if (pm->segs[k].start + pm->segs[k].size > hi)
                hi = pm->segs[k].start + pm->segs[k].size;
        }
        if (lo == UINT64_MAX)
            lo = hi = 0;
        char hex[2 * 64 + 1] = "";
        for (size_t k = 0; k < pm->build_id_len && k < 64; k++)
            snprintf(hex + 2 * k, 3, "%02x", pm->build_id[k]);
        pb_uint(&m, M_ID, i + 1);
        pb_uint(&m, M_START, lo);
        pb_uint(&m, M_LIMIT, hi);
        pb_uint(&m, M_OFFSET, off);
        pb_uint(&m, M_FILENAME, pp_str(x, pm->path ? pm->path : ""));
        pb_uint(&m, M_BUILD_ID, pp_str(x, hex));
        pb_uint(&m, M_HAS_FUNCTIONS, 1);
        pb_uint(&m, M_HAS_FILENAMES, 1);
        pb_uint(&m, M_HAS_LINE_NUMBERS, 1);
        pb_uint(&m, M_HAS_INLINE_FRAMES, (uint64_t)inline_frames);
        pb_msg(out, P_MAPPING, &m);
    }

    /* Functions: the symbolizer's ids + 1; the synthetic off-CPU frame after them. */
    size_t nfuncs = sym_nfuncs(x->sym);
    uint64_t off_unknown_func = nfuncs + 1;
    uint8_t *func_used = calloc(nfuncs + 1, 1);
    if (!func_used) {
        out->oom = 1;
        return;
    }
    for (size_t i = 0; i < x->nlocs; i++) {
        const struct pp_location *l = &x->locs[i];
        pb_uint(&m, LOC_ID, i + 1);
        pb_uint(&m, LOC_MAPPING_ID, l->module);
        pb_uint(&m, LOC_ADDRESS, l->address);
        if (!l->r) {
            pb_uint(&sub, LINE_FUNCTION_ID, off_unknown_func);
            pb_msg(&m, LOC_LINE, &sub);
        }
        for (uint32_t k = 0; l->r && k < l->r->nframes; k++) { /* innermost first */
            const struct sym_frame *f = &l->r->frames[k];
            func_used[f->func] = 1;
            pb_uint(&sub, LINE_FUNCTION_ID, (uint64_t)f->func + 1);
            pb_uint(&sub, LINE_LINE, f->line);
            pb_msg(&m, LOC_LINE, &sub);
        }
        pb_msg(out, P_LOCATION, &m);
    }
    for (size_t i = 0; i < nfuncs; i++) {
        if (!func_used[i])
            continue;
        const struct sym_func *f = sym_func_get(x->sym, (uint32_t)i);
        char file[1024];
        uint64_t line = pp_split_location(f->location, file, sizeof(file));
        uint64_t name = pp_str(x, f->name);
        pb_uint(&m, F_ID, i + 1);
        pb_uint(&m, F_NAME, name);
        pb_uint(&m, F_SYSTEM_NAME, name);
        /* The whole path when the debug info gives one: `pprof -list` finds the source by it
         * (or by its tail under -source_path, with -trim_path). */
        pb_uint(&m, F_FILENAME, pp_str(x, line && f->path ? f->path : file));
        pb_uint(&m, F_START_LINE, line);
        pb_msg(out, P_FUNCTION, &m);
    }
    free(func_used);
    if (x->off_unknown_loc) {
        uint64_t name = pp_str(x, "[off-CPU, unknown]");
        pb_uint(&m, F_ID, off_unknown_func);
        pb_uint(&m, F_NAME, name);
        pb_uint(&m, F_SYSTEM_NAME, name);
        pb_msg(out, P_FUNCTION, &m);
    }

    uint64_t duration = 0;
    for (size_t i = 0; i < p->nprocesses; i++)
        if (p->processes[i].duration_ns > duration)
            duration = p->processes[i].duration_ns;
    pb_uint(out, P_TIME_NANOS, p->nprocesses ? p->processes[0].start_realtime_ns : 0);
    pb_uint(out, P_DURATION_NANOS, duration);
    if (alloc) {
        pp_value_type(x, out, P_PERIOD_TYPE, "space", "bytes", &m);
        pb_uint(out, P_PERIOD, p->nprocesses ? p->processes[0].alloc_rate : 0);
        pb_uint(out, P_DEFAULT_SAMPLE_TYPE, pp_str(x, "alloc_space"));
    } else {
        pp_value_type(x, out, P_PERIOD_TYPE, wall ? "wall" : "cpu", "nanoseconds", &m);
        pb_uint(out, P_PERIOD, p->nprocesses ? pp_period_ns(p, 0) : 0);
        pb_uint(out, P_DEFAULT_SAMPLE_TYPE, pp_str(x, wall ? "wall" : "cpu"));
    }
    for (size_t i = 0; i < p->nprocesses; i++) {
        char c[512];
        snprintf(c, sizeof(c), "libprof: %s (pid %llu, %s)",
                 p->processes[i].exe_path ? p->processes[i].exe_path : "?",
                 (unsigned long long)p->processes[i].pid,
                 p->processes[i].file ? p->processes[i].file : "?");
        pb_uint(out, P_COMMENT, pp_str(x, c));
    }
    /* The string table last: every string above is interned by now. Entry 0 is "". */
    for (size_t i = 0; i < x->strs.count; i++) {
        const char *s = strtab_get(&x->strs, i);
        pb_bytes(out, P_STRING_TABLE, s, strlen(s));
    }
    if (m.oom || sub.oom || tmp.oom)
        out->oom = 1;
    free(m.d);
    free(sub.d);
    free(tmp.d);
}

/* gzip (RFC 1952) of `len` bytes to `out`. */
static int pp_gzip(FILE *out, const uint8_t *data, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    uint8_t buf[65536];
    z.next_in = (Bytef *)data;
    int rc = 0, zr;
    do {
        size_t step = len > (1u << 30) ? (1u << 30) : len;
        z.avail_in = (uInt)step;
        len -= step;
        int flush = len ? Z_NO_FLUSH : Z_FINISH;
        do {
            z.next_out = buf;
            z.avail_out = sizeof(buf);
            zr = deflate(&z, flush);
            size_t have = sizeof(buf) - z.avail_out;
            if (have && fwrite(buf, 1, have, out) != have)
                rc = -EIO;
        } while (z.avail_out == 0 && rc == 0);
    } while (len && rc == 0);
    if (rc == 0 && zr != Z_STREAM_END)
        rc = -EIO;
    deflateEnd(&z);
    return rc;
}

int pprof_write(FILE *out, const struct prof_profile *p, const struct pprof_options *o,
                char *errbuf, size_t errlen)
{
    struct pp x = {.p = p, .o = o};
    struct pb enc = {0};
    struct progress pg;
    int rc = -ENOMEM;
    htab_init(&x.thread_ok);
    htab_init(&x.loc_index);
    htab_init(&x.sample_index);
    strtab_init(&x.strs);
    x.sym = sym_new(o->sym_flags);
    x.symmod = malloc((p->nmodules ? p->nmodules : 1) * sizeof(int));
    x.mod_used = calloc(p->nmodules ? p->nmodules : 1, 1);
    if (!x.sym || !x.symmod || !x.mod_used || strtab_intern(&x.strs, "", 0) != 0)
        goto out;
    for (size_t i = 0; i < p->nmodules; i++)
        x.symmod[i] = -1;
    if (o->thread && (rc = pp_thread_filter(&x, o->thread)) != 0) {
        if (rc == -ESRCH)
            snprintf(errbuf, errlen, "--thread %s: no such thread in the profile", o->thread);
        goto out;
    }
    rc = -ENOMEM;
    progress_begin(&pg, "pprof: symbolizing samples", p->nsamples);
    for (size_t i = 0; i < p->nsamples; i++) {
        if ((rc = pp_account(&x, &p->samples[i])) != 0) {
            progress_end(&pg);
            if (rc == -E2BIG)
                snprintf(errbuf, errlen, "too many processes to export");
            goto out;
        }
        progress_update(&pg, i + 1);
    }
    progress_end(&pg);
    for (size_t i = 0; i < sym_nwarnings(x.sym); i++)
        fprintf(stderr, "profreport: warning: %s\n", sym_warning(x.sym, i));
    pp_encode(&x, &enc);
    if (enc.oom)
        goto out;
    rc = pp_gzip(out, enc.d, enc.n);
    if (rc == -EIO)
        snprintf(errbuf, errlen, "error writing the pprof output");
out:
    if (rc == -ENOMEM)
        snprintf(errbuf, errlen, "out of memory");
    free(enc.d);
    free(x.locs);
    free(x.locids);
    free(x.samples);
    free(x.symmod);
    free(x.mod_used);
    htab_free(&x.thread_ok);
    htab_free(&x.loc_index);
    htab_free(&x.sample_index);
    strtab_free(&x.strs);
    sym_free(x.sym);
    return rc;
}
