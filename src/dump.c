/* SPDX-License-Identifier: MIT */
/* profreport --dump: prints each record of a profile in the terms of docs/format.md. */
#include "prof/dump.h"

#include "format.h"
#include "prof/profile.h"

#include <inttypes.h>
#include <string.h>

/* Prints a string on one line: control bytes, quotes and backslashes escaped; quoted when empty or
 * containing spaces so the fields stay splittable. UTF-8 passes through. */
static void dump_str(FILE *out, const char *s)
{
    int quote = *s == '\0' || strpbrk(s, " \t\"") != NULL;
    if (quote)
        fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
    if (quote)
        fputc('"', out);
}

static void dump_hex(FILE *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%02x", p[i]);
}

static const char *dump_name(uint64_t v, const char *const *names, size_t n)
{
    return v < n && names[v] ? names[v] : NULL;
}

/* name=word when the value has a name in the spec, else name=number. */
static void dump_enum(FILE *out, const char *field, uint64_t v, const char *const *names, size_t n)
{
    const char *s = dump_name(v, names, n);
    if (s)
        fprintf(out, " %s=%s", field, s);
    else
        fprintf(out, " %s=%" PRIu64, field, v);
}

#define DUMP_ENUM(out, field, v, names) dump_enum(out, field, v, names, sizeof(names) / sizeof(names[0]))

static const char *const dump_timers[] = {"none", "perf", "cputime", "itimer"};
static const char *const dump_timers_req[] = {"auto", "perf", "cputime", "itimer"};
static const char *const dump_unwinders[] = {NULL, "dwarf", "fp"};
static const char *const dump_kinds[] = {"cpu", "wall-on", "wall-off"};
static const char *const dump_reasons[] = {"exit", "api"};
static const char *const dump_counters[] = {
    NULL,       "samples",  "dropped",   "unwind_failed", "truncated", "overruns", "cpu_ns",
    "threads",  "write_errors", "reentered", "user_ns", "sys_ns", "no_thread", "weight",
    "alloc_samples", "alloc_lost", "frees_unmatched"};
static const char *const dump_metrics[] = {NULL,      "user_ns", "sys_ns",    "rss",     "threads",
                                           "samples", "dropped", "live_heap", "wall_off", "wall_on"};

static void dump_header(FILE *out, const struct prof_rec_header *h)
{
    fprintf(out, " pid=%" PRIu64 " ppid=%" PRIu64 " exe=", h->pid, h->ppid);
    dump_str(out, h->exe_path);
    fprintf(out, " argc=%zu argv=[", h->argc);
    for (size_t i = 0; i < h->argc; i++) {
        if (i)
            fputc(' ', out);
        dump_str(out, h->argv[i]);
    }
    fprintf(out, "] start_realtime_ns=%" PRIu64 " start_monotonic_ns=%" PRIu64 " modes=",
            h->start_realtime_ns, h->start_monotonic_ns);
    if (h->modes == 0)
        fputs("0", out);
    const char *sep = "";
    static const char *const modes[] = {"cpu", "wall", "alloc"};
    for (unsigned b = 0; b < 64; b++) {
        if (!(h->modes >> b & 1))
            continue;
        if (b < 3)
            fprintf(out, "%s%s", sep, modes[b]);
        else
            fprintf(out, "%s0x%" PRIx64, sep, (uint64_t)1 << b);
        sep = ",";
    }
    fprintf(out, " hz=%" PRIu64, h->hz);
    DUMP_ENUM(out, "timer", h->timer, dump_timers);
    DUMP_ENUM(out, "unwinder", h->unwinder, dump_unwinders);
    fprintf(out, " max_depth=%" PRIu64 " flush_ms=%" PRIu64 " alloc_rate=%" PRIu64 " hostname=",
            h->max_depth, h->flush_ms, h->alloc_rate);
    dump_str(out, h->hostname);
    DUMP_ENUM(out, "timer_requested", h->timer_requested, dump_timers_req);
    fputc('\n', out);
}

static void dump_module(FILE *out, const struct prof_rec_module *m)
{
    fprintf(out, " id=%" PRIu64 " load_ns=%" PRIu64 " path=", m->module_id, m->load_ns);
    dump_str(out, m->path);
    fputs(" build_id=", out);
    if (m->build_id_len)
        dump_hex(out, m->build_id, m->build_id_len);
    else
        fputs("none", out);
    fprintf(out, " bias=0x%" PRIx64 " nsegs=%zu\n", m->bias, m->nsegs);
    for (size_t i = 0; i < m->nsegs; i++) {
        const struct prof_rec_segment *s = &m->segs[i];
        fprintf(out, "    seg start=0x%" PRIx64 " size=0x%" PRIx64 " file_offset=0x%" PRIx64
                     " flags=%c%c%c\n",
                s->start, s->size, s->file_offset, s->flags & 4 ? 'r' : '-', s->flags & 2 ? 'w' : '-',
                s->flags & 1 ? 'x' : '-');
    }
}

static void dump_record(FILE *out, const struct prof_record *rec)
{
    fprintf(out, "chunk %" PRIu32 " ", rec->chunk);
    switch (rec->type) {
    case FMT_REC_HEADER:
        fputs("HEADER", out);
        dump_header(out, &rec->u.header);
        break;
    case FMT_REC_MODULE:
        fputs("MODULE", out);
        dump_module(out, &rec->u.module);
        break;
    case FMT_REC_MODULE_UNLOAD:
        fprintf(out, "MODULE_UNLOAD id=%" PRIu64 " unload_ns=%" PRIu64 "\n", rec->u.unload.module_id,
                rec->u.unload.unload_ns);
        break;
    case FMT_REC_THREAD:
        fprintf(out, "THREAD tid=%" PRIu64 " name=", rec->u.thread.tid);
        dump_str(out, rec->u.thread.name);
        fprintf(out, " time_ns=%" PRIu64 "\n", rec->u.thread.time_ns);
        break;
    case FMT_REC_STACK:
        fprintf(out, "STACK id=%" PRIu64 " flags=%" PRIu64 " nframes=%zu frames=", rec->u.stack.stack_id,
                rec->u.stack.flags, rec->u.stack.nframes);
        for (size_t i = 0; i < rec->u.stack.nframes; i++)
            fprintf(out, "%s0x%" PRIx64, i ? " " : "", rec->u.stack.frames[i]);
        fputc('\n', out);
        break;
    case FMT_REC_SAMPLES:
        fprintf(out, "SAMPLES count=%zu\n", rec->u.samples.count);
        for (size_t i = 0; i < rec->u.samples.count; i++) {
            const struct prof_rec_sample *s = &rec->u.samples.samples[i];
            fprintf(out, "    tid=%" PRIu64 " stack=%" PRIu64 " time_ns=%" PRIu64 " weight=%" PRIu64,
                    s->tid, s->stack_id, s->time_ns, s->weight);
            DUMP_ENUM(out, "kind", s->kind, dump_kinds);
            fprintf(out, " region=%" PRIu64, s->region_id);
            if (s->region_call) /* field 7, shown only when set: 6-field dumps stay as they were */
                fprintf(out, " call=%" PRIu64, s->region_call);
            fputc('\n', out);
        }
        break;
    case FMT_REC_COUNTERS:
        fprintf(out, "COUNTERS time_ns=%" PRIu64 " n=%zu\n", rec->u.counters.time_ns, rec->u.counters.n);
        for (size_t i = 0; i < rec->u.counters.n; i++) {
            const struct prof_rec_counter *c = &rec->u.counters.pairs[i];
            const char *name = dump_name(c->key, dump_counters,
                                         sizeof(dump_counters) / sizeof(dump_counters[0]));
            fprintf(out, "    key=%" PRIu64 " (%s) value=%" PRIu64 "\n", c->key, name ? name : "unknown",
                    c->value);
        }
        break;
    case FMT_REC_END:
        fprintf(out, "END end_ns=%" PRIu64, rec->u.end.end_ns);
        DUMP_ENUM(out, "reason", rec->u.end.reason, dump_reasons);
        fputc('\n', out);
        break;
    case FMT_REC_WARNING:
        fprintf(out, "WARNING time_ns=%" PRIu64 " message=", rec->u.warning.time_ns);
        dump_str(out, rec->u.warning.message);
        fputc('\n', out);
        break;
    case FMT_REC_ALLOC_SAMPLES:
        fprintf(out, "ALLOC_SAMPLES count=%zu\n", rec->u.allocs.count);
        for (size_t i = 0; i < rec->u.allocs.count; i++) {
            const struct prof_rec_alloc *s = &rec->u.allocs.allocs[i];
            fprintf(out,
                    "    tid=%" PRIu64 " stack=%" PRIu64 " time_ns=%" PRIu64 " size=%" PRIu64
                    " weight_bytes=%" PRIu64 " alloc_id=%" PRIu64 " region=%" PRIu64 "\n",
                    s->tid, s->stack_id, s->time_ns, s->size, s->weight_bytes, s->alloc_id,
                    s->region_id);
        }
        break;
    case FMT_REC_FREES:
        fprintf(out, "FREES count=%zu\n", rec->u.frees.count);
        for (size_t i = 0; i < rec->u.frees.count; i++)
            fprintf(out, "    alloc_id=%" PRIu64 " time_ns=%" PRIu64 "\n",
                    rec->u.frees.frees[i].alloc_id, rec->u.frees.frees[i].time_ns);
        break;
    case FMT_REC_HEAP_SNAPSHOT:
        fprintf(out, "HEAP_SNAPSHOT time_ns=%" PRIu64 " n=%zu\n", rec->u.heap.time_ns, rec->u.heap.n);
        for (size_t i = 0; i < rec->u.heap.n; i++) {
            const struct prof_rec_heap_entry *e = &rec->u.heap.entries[i];
            fprintf(out, "    stack=%" PRIu64 " live_bytes=%" PRIu64 " live_objects=%" PRIu64 "\n",
                    e->stack_id, e->live_bytes, e->live_objects);
        }
        break;
    case FMT_REC_METRICS:
        fprintf(out, "METRICS time_ns=%" PRIu64 " interval_ns=%" PRIu64 " n=%zu\n",
                rec->u.metrics.time_ns, rec->u.metrics.interval_ns, rec->u.metrics.n);
        for (size_t i = 0; i < rec->u.metrics.n; i++) {
            const struct prof_rec_counter *c = &rec->u.metrics.pairs[i];
            const char *name = dump_name(c->key, dump_metrics,
                                         sizeof(dump_metrics) / sizeof(dump_metrics[0]));
            fprintf(out, "    key=%" PRIu64 " (%s) value=%" PRIu64 "\n", c->key,
                    name ? name : "unknown", c->value);
        }
        break;
    case FMT_REC_ALERT:
        fprintf(out, "ALERT time_ns=%" PRIu64 " rule=", rec->u.alert.time_ns);
        dump_str(out, rec->u.alert.rule);
        fputs(" value=", out);
        dump_str(out, rec->u.alert.value);
        fputs(" message=", out);
        dump_str(out, rec->u.alert.message);
        fputc('\n', out);
        break;
    case FMT_REC_REGION_DEF:
        fprintf(out, "REGION_DEF id=%" PRIu64 " name=", rec->u.region_def.region_id);
        dump_str(out, rec->u.region_def.name);
        fprintf(out, " parent=%" PRIu64 "\n", rec->u.region_def.parent_id);
        break;
    case FMT_REC_REGION_STATS: {
        const struct prof_rec_region_stats *st = &rec->u.region_stats;
        fprintf(out,
                "REGION_STATS id=%" PRIu64 " count=%" PRIu64 " total_ns=%" PRIu64 " min_ns=%" PRIu64
                " max_ns=%" PRIu64 " nbuckets=%zu\n",
                st->region_id, st->count, st->total_ns, st->min_ns, st->max_ns, st->nbuckets);
        for (size_t i = 0; i < st->nbuckets; i++)
            fprintf(out, "    bucket=%" PRIu64 " count=%" PRIu64 "\n", st->buckets[i].bucket,
                    st->buckets[i].count);
        break;
    }
    case FMT_REC_REGION_CALLS:
        fprintf(out, "REGION_CALLS count=%zu\n", rec->u.region_calls.count);
        for (size_t i = 0; i < rec->u.region_calls.count; i++) {
            const struct prof_rec_region_call *x = &rec->u.region_calls.calls[i];
            fprintf(out,
                    "    tid=%" PRIu64 " call=%" PRIu64 " region=%" PRIu64 " start_ns=%" PRIu64
                    " duration_ns=%" PRIu64 " parent_call=%" PRIu64 "\n",
                    x->tid, x->call_id, x->region_id, x->start_ns, x->duration_ns, x->parent_call);
        }
        break;
    default: {
        size_t n = rec->raw_len < 32 ? rec->raw_len : 32;
        fprintf(out, "type %" PRIu32 " (unknown) len=%zu data=", rec->type, rec->raw_len);
        dump_hex(out, rec->raw, n);
        fputs(rec->raw_len > n ? "...\n" : "\n", out);
        break;
    }
    }
}

int prof_dump(FILE *out, const char *path, char *errbuf, size_t errlen)
{
    struct prof_reader *r = NULL;
    struct prof_record rec;
    uint64_t nrec = 0;
    uint32_t nchunks = 0;
    int ret = prof_reader_open(path, &r);
    if (ret == 0)
        fprintf(out, "file %s version=%d flags=0\n", path, FMT_VERSION);
    while (ret >= 0 && (ret = prof_reader_next(r, &rec)) > 0) {
        dump_record(out, &rec);
        nrec++;
        nchunks = rec.chunk + 1;
    }
    if (ret == 0) {
        fprintf(out, "end: %" PRIu64 " records in %" PRIu32 " chunks\n", nrec, nchunks);
    } else {
        const char *msg = r ? prof_reader_error(r) : prof_strerror(ret);
        fprintf(out, "damage: %s\n", msg);
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: %s", path, msg);
    }
    prof_reader_close(r);
    return ret;
}
