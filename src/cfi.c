/* SPDX-License-Identifier: MIT */
/* Unwind tables for the signal handler, built outside it. For every loaded ELF object we parse
 * its .eh_frame (found through PT_GNU_EH_FRAME, in memory) once, run each FDE's call-frame program
 * and keep, per address range, the three facts an x86-64 unwind step needs: how to compute the
 * CFA (rsp or rbp plus an offset), where the caller's rbp was saved, and whether the frame is a
 * signal trampoline. The handler (unwind.c) then only does binary searches over an immutable
 * snapshot: no locks, no allocation, no dynamic-loader calls, no reads of module memory.
 * Snapshots are replaced (never changed) after dlopen/dlclose; old ones are freed after a grace
 * period far longer than any handler runs. Ordinary context; callers serialize with cfi_lock. */
#define _GNU_SOURCE
#include "cfi.h"

#include "runtime.h"

#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* x86-64 DWARF register numbers */
enum { DW_RBP = 6, DW_RSP = 7, DW_RA = 16 };

_Atomic(const struct cfi_snapshot *) cfi_current;
_Atomic int cfi_readers;

static pthread_mutex_t cfi_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- reading .eh_frame ---- */

struct reader {
    const uint8_t *p, *end;
    int bad;
};

static uint64_t rd_uleb(struct reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; r->p < r->end && shift < 64; shift += 7) {
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t rd_sleb(struct reader *r)
{
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0x80;
    while (r->p < r->end && (b & 0x80) && shift < 64) {
        b = *r->p++;
        v |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
    }
    if (b & 0x80) {
        r->bad = 1;
        return 0;
    }
    if (shift < 64 && (b & 0x40))
        v |= -((int64_t)1 << shift);
    return v;
}

static uint64_t rd_fixed(struct reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = 1;
        r->p = r->end;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, n); /* little-endian host */
    r->p += n;
    return v;
}

/* DW_EH_PE_* pointer encodings (only the ones compilers emit on x86-64). */
static uint64_t rd_encoded(struct reader *r, uint8_t enc, uint64_t text_base)
{
    (void)text_base;
    if (enc == 0xff) /* omit */
        return 0;
    const uint8_t *at = r->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case 0x00: v = rd_fixed(r, 8); break;               /* absptr */
    case 0x01: v = rd_uleb(r); break;                   /* uleb128 */
    case 0x02: v = rd_fixed(r, 2); break;               /* udata2 */
    case 0x03: v = rd_fixed(r, 4); break;               /* udata4 */
    case 0x04: v = rd_fixed(r, 8); break;               /* udata8 */
    case 0x09: v = (uint64_t)rd_sleb(r); break;         /* sleb128 */
    case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
    case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
    case 0x0c: v = rd_fixed(r, 8); break;
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0x00: break;
    case 0x10: v += (uint64_t)(uintptr_t)at; break;     /* pcrel */
    default: r->bad = 1; return 0;                      /* textrel/datarel/funcrel: not on x86-64 */
    }
    return v;
}

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_enc;
    int has_z;
    int signal_frame;
    const uint8_t *insns, *insns_end;
};

static int parse_cie(const uint8_t *p, const uint8_t *end, struct cie *c)
{
    struct reader r = {p, end, 0};
    memset(c, 0, sizeof(*c));
    uint8_t version = (uint8_t)rd_fixed(&r, 1);
    const char *aug = (const char *)r.p;
    while (r.p < r.end && *r.p)
        r.p++;
    if (r.p >= r.end)
        return -1;
    r.p++;
    if (aug[0] == 'e' && aug[1] == 'h') /* ancient GCC: a pointer follows */
        rd_fixed(&r, 8);
    c->code_align = rd_uleb(&r);
    c->data_align = rd_sleb(&r);
    if (version == 1)
        rd_fixed(&r, 1);
    else
        rd_uleb(&r);
    c->fde_enc = 0; /* absptr */
    const uint8_t *aug_end = NULL;
    for (const char *a = aug; *a; a++) {
        switch (*a) {
        case 'z': {
            uint64_t len = rd_uleb(&r);
            c->has_z = 1;
            if (len > (uint64_t)(r.end - r.p))
                return -1;
            aug_end = r.p + len;
            break;
        }
        case 'R': c->fde_enc = (uint8_t)rd_fixed(&r, 1); break;
        case 'L': rd_fixed(&r, 1); break;
        case 'P': {
            uint8_t enc = (uint8_t)rd_fixed(&r, 1);
            rd_encoded(&r, enc & 0x7f, 0);
            break;
        }
        case 'S': c->signal_frame = 1; break;
        case 'e': case 'h': case 'B': break;
        default:
            /* Unknown augmentation: with 'z' its data can be skipped. */
            if (!aug_end)
                return -1;
            r.p = aug_end;
            a = "";
            a--; /* ends the loop */
            break;
        }
    }
    if (aug_end)
        r.p = aug_end;
    if (r.bad)
        return -1;
    c->insns = r.p;
    c->insns_end = end;
    return 0;
}

/* ---- running call-frame programs ---- */

struct cfa_state {
    uint8_t ra_undefined; /* DW_CFA_undefined on the return address: outermost frame */
    uint8_t cfa_kind; /* CFI_CFA_* */
    int32_t cfa_off;
    int32_t fp_off;   /* rbp saved at CFA + fp_off; 0 = not saved in this frame */
};

struct row_buf {
    struct cfi_row *rows;
    size_t n, cap;
    int failed;
};

static void push_row(struct row_buf *b, uint64_t pc, const struct cfa_state *s)
{
    if (b->n && b->rows[b->n - 1].pc == pc) { /* a later instruction at the same pc wins */
        b->rows[b->n - 1].cfa_kind = s->ra_undefined ? CFI_CFA_END : s->cfa_kind;
        b->rows[b->n - 1].cfa_off = s->cfa_off;
        b->rows[b->n - 1].fp_off = s->fp_off;
        return;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        struct cfi_row *r = realloc(b->rows, cap * sizeof(*r));
        if (!r) {
            b->failed = 1;
            return;
        }
        b->rows = r;
        b->cap = cap;
    }
    b->rows[b->n++] = (struct cfi_row){pc, s->cfa_off, s->fp_off,
                                       s->ra_undefined ? CFI_CFA_END : s->cfa_kind};
}

#define STATE_STACK 16

/* Runs CIE initial instructions then the FDE's, emitting a row at each location change. */
static void run_program(const struct cie *c, const uint8_t *insns, const uint8_t *end,
                        uint64_t pc, uint64_t pc_end, struct row_buf *out)
{
    struct cfa_state st = {0, CFI_CFA_SP, 8, 0}, initial = st;
    struct cfa_state saved[STATE_STACK];
    int nsaved = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct reader r = pass == 0 ? (struct reader){c->insns, c->insns_end, 0}
                                    : (struct reader){insns, end, 0};
        if (pass == 1)
            initial = st;
        while (r.p < r.end && !r.bad) {
            uint8_t op = *r.p++;
            uint8_t hi = op & 0xc0, lo = op & 0x3f;
            uint64_t reg = 0, delta = 0;
            int64_t off = 0;
            if (hi == 0x40) { /* advance_loc */
                delta = lo * c->code_align;
                goto advance;
            } else if (hi == 0x80) { /* offset */
                reg = lo;
                off = (int64_t)rd_uleb(&r) * c->data_align;
                if (reg == DW_RBP)
                    st.fp_off = (int32_t)off;
                continue;
            } else if (hi == 0xc0) { /* restore */
                if (lo == DW_RBP)
                    st.fp_off = initial.fp_off;
                continue;
            }
            switch (op) {
            case 0x00: break; /* nop */
            case 0x01: /* set_loc */
                pc = rd_encoded(&r, c->fde_enc, 0);
                push_row(out, pc, &st);
                break;
            case 0x02: delta = rd_fixed(&r, 1) * c->code_align; goto advance;
            case 0x03: delta = rd_fixed(&r, 2) * c->code_align; goto advance;
            case 0x04: delta = rd_fixed(&r, 4) * c->code_align; goto advance;
            case 0x05: /* offset_extended */
                reg = rd_uleb(&r);
                off = (int64_t)rd_uleb(&r) * c->data_align;
                if (reg == DW_RBP)
                    st.fp_off = (int32_t)off;
                break;
            case 0x06: /* restore_extended */
                if (rd_uleb(&r) == DW_RBP)
                    st.fp_off = initial.fp_off;
                break;
            case 0x07: /* undefined */
                reg = rd_uleb(&r);
                if (reg == DW_RBP)
                    st.fp_off = 0;
                if (reg == DW_RA)
                    st.ra_undefined = 1;
                break;
            case 0x08: /* same_value */
                if (rd_uleb(&r) == DW_RBP)
                    st.fp_off = 0;
                break;
            case 0x09: /* register: rbp held in another register; we cannot follow that */
                if (rd_uleb(&r) == DW_RBP)
                    st.fp_off = 0;
                rd_uleb(&r);
                break;
            case 0x0a: /* remember_state */
                if (nsaved < STATE_STACK)
                    saved[nsaved++] = st;
                break;
            case 0x0b: /* restore_state */
                if (nsaved > 0)
                    st = saved[--nsaved];
                break;
            case 0x0c: /* def_cfa */
                reg = rd_uleb(&r);
                st.cfa_kind = reg == DW_RSP ? CFI_CFA_SP : reg == DW_RBP ? CFI_CFA_FP : CFI_CFA_UNKNOWN;
                st.cfa_off = (int32_t)rd_uleb(&r);
                break;
            case 0x0d: /* def_cfa_register */
                reg = rd_uleb(&r);
                st.cfa_kind = reg == DW_RSP ? CFI_CFA_SP : reg == DW_RBP ? CFI_CFA_FP : CFI_CFA_UNKNOWN;
                break;
            case 0x0e: /* def_cfa_offset */
                st.cfa_off = (int32_t)rd_uleb(&r);
                break;
            case 0x0f: { /* def_cfa_expression: PLT stubs; treated as "return address at rsp" */
                uint64_t len = rd_uleb(&r);
                r.p = len <= (uint64_t)(r.end - r.p) ? r.p + len : r.end;
                st.cfa_kind = CFI_CFA_EXPR;
                break;
            }
            case 0x10: /* expression */
            case 0x16: { /* val_expression */
                reg = rd_uleb(&r);
                uint64_t len = rd_uleb(&r);
                r.p = len <= (uint64_t)(r.end - r.p) ? r.p + len : r.end;
                if (reg == DW_RBP)
                    st.fp_off = 0;
                break;
            }
            case 0x11: /* offset_extended_sf */
                reg = rd_uleb(&r);
                off = rd_sleb(&r) * c->data_align;
                if (reg == DW_RBP)
                    st.fp_off = (int32_t)off;
                break;
            case 0x12: /* def_cfa_sf */
                reg = rd_uleb(&r);
                st.cfa_kind = reg == DW_RSP ? CFI_CFA_SP : reg == DW_RBP ? CFI_CFA_FP : CFI_CFA_UNKNOWN;
                st.cfa_off = (int32_t)(rd_sleb(&r) * c->data_align);
                break;
            case 0x13: /* def_cfa_offset_sf */
                st.cfa_off = (int32_t)(rd_sleb(&r) * c->data_align);
                break;
            case 0x14: /* val_offset */
            case 0x15: /* val_offset_sf */
                reg = rd_uleb(&r);
                if (op == 0x14)
                    rd_uleb(&r);
                else
                    rd_sleb(&r);
                if (reg == DW_RBP)
                    st.fp_off = 0;
                break;
            case 0x2e: /* GNU_args_size */
                rd_uleb(&r);
                break;
            case 0x2f: /* GNU_negative_offset_extended */
                reg = rd_uleb(&r);
                off = -(int64_t)rd_uleb(&r) * c->data_align;
                if (reg == DW_RBP)
                    st.fp_off = (int32_t)off;
                break;
            default: /* unknown opcode: the rest of this program cannot be trusted */
                r.bad = 1;
                break;
            }
            continue;
        advance:
            if (pass == 1) {
                push_row(out, pc, &st);
                pc += delta;
            }
        }
        if (pass == 0)
            continue;
        push_row(out, pc, &st);
    }
    /* End of the function: no information past it (a gap must not inherit this FDE's rule). */
    struct cfa_state none = {0, CFI_CFA_NONE, 0, 0};
    push_row(out, pc_end, &none);
}

/* Each row already carries the CFI at its pc; mark the signal frames (libc's __restore_rt). */
static void mark_signal_rows(struct row_buf *b, size_t from)
{
    for (size_t i = from; i < b->n; i++)
        if (b->rows[i].cfa_kind != CFI_CFA_NONE && b->rows[i].cfa_kind != CFI_CFA_END)
            b->rows[i].cfa_kind = CFI_CFA_SIGNAL;
}

static int row_cmp(const void *a, const void *b)
{
    const struct cfi_row *x = a, *y = b;
    if (x->pc != y->pc)
        return x->pc < y->pc ? -1 : 1;
    /* An end-of-function marker sorts before a function starting at the same address. */
    return (x->cfa_kind != CFI_CFA_NONE) - (y->cfa_kind != CFI_CFA_NONE);
}

/* Sorting the rows. Each FDE's rows come out of the parser in pc order, ending with a
 * no-information row at its end address (unless the next FDE starts there and took that row over).
 * So the rows split into pieces that each cover one contiguous address range: a piece ends after
 * a no-information row or where the pc goes down. Ranges of distinct FDEs do not overlap, so
 * sorting the pieces by their first row and copying them out in that order sorts the rows: a few
 * thousand pieces instead of a qsort of ~100,000 rows, which was 70 % of a profiled /bin/true's
 * start-up instructions. Should FDEs overlap all the same, the result is checked and, if not
 * sorted, qsort does it. */
struct row_run {
    size_t start, n;
};

static int rows_sorted(const struct cfi_row *rows, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (row_cmp(&rows[i - 1], &rows[i]) > 0)
            return 0;
    return 1;
}

/* Does a new piece start at row i? */
static inline int piece_ends_before(const struct cfi_row *rows, size_t i)
{
    return rows[i - 1].cfa_kind == CFI_CFA_NONE || row_cmp(&rows[i - 1], &rows[i]) > 0;
}

static int run_cmp(const void *a, const void *b, void *rows)
{
    const struct row_run *x = a, *y = b;
    const struct cfi_row *r = rows;
    return row_cmp(&r[x->start], &r[y->start]);
}

/* Returns the rows sorted, in an array of exactly b->n rows (b->rows is freed or reused), or NULL
 * when out of memory (b->rows is then still b's). */
static struct cfi_row *sort_rows(struct row_buf *b)
{
    size_t nruns = 1;
    for (size_t i = 1; i < b->n; i++)
        nruns += piece_ends_before(b->rows, i);
    struct cfi_row *out = malloc(b->n * sizeof(*out));
    struct row_run *runs = malloc(nruns * sizeof(*runs));
    if (!out || !runs) {
        free(out);
        free(runs);
        return NULL;
    }
    size_t r = 0;
    runs[0].start = 0;
    for (size_t i = 1; i < b->n; i++)
        if (piece_ends_before(b->rows, i)) {
            runs[r].n = i - runs[r].start;
            runs[++r].start = i;
        }
    runs[r].n = b->n - runs[r].start;
    qsort_r(runs, nruns, sizeof(*runs), run_cmp, b->rows);
    size_t at = 0;
    for (size_t i = 0; i < nruns; i++) {
        memcpy(out + at, b->rows + runs[i].start, runs[i].n * sizeof(*out));
        at += runs[i].n;
    }
    free(runs);
    free(b->rows);
    b->rows = NULL;
    if (!rows_sorted(out, at))
        qsort(out, at, sizeof(*out), row_cmp);
    return out;
}

/* Parses one object's .eh_frame into rows. */
static void parse_eh_frame(const uint8_t *start, const uint8_t *limit, struct row_buf *out)
{
    const uint8_t *p = start;
    while (p + 4 <= limit) {
        uint64_t len = 0;
        memcpy(&len, p, 4);
        const uint8_t *body = p + 4;
        if (len == 0) /* terminator */
            break;
        if (len == 0xffffffffu) {
            if (p + 12 > limit)
                break;
            memcpy(&len, p + 4, 8);
            body = p + 12;
        }
        if (len > (uint64_t)(limit - body))
            break;
        const uint8_t *next = body + len;
        uint32_t id;
        memcpy(&id, body, 4);
        if (id != 0) { /* an FDE: id is the distance back to its CIE */
            const uint8_t *cie_at = body - id;
            struct cie c;
            uint64_t cie_len = 0;
            if (cie_at >= start && cie_at + 8 <= limit) {
                memcpy(&cie_len, cie_at, 4);
                if (cie_len != 0xffffffffu && cie_len <= (uint64_t)(limit - cie_at - 4) &&
                    parse_cie(cie_at + 8, cie_at + 4 + cie_len, &c) == 0) {
                    struct reader r = {body + 4, next, 0};
                    uint64_t pc = rd_encoded(&r, c.fde_enc, 0);
                    uint64_t range = rd_encoded(&r, c.fde_enc & 0x0f, 0);
                    if (c.has_z) {
                        uint64_t alen = rd_uleb(&r);
                        r.p = alen <= (uint64_t)(r.end - r.p) ? r.p + alen : r.end;
                    }
                    if (!r.bad && pc && range) {
                        size_t first = out->n;
                        run_program(&c, r.p, next, pc, pc + range, out);
                        if (c.signal_frame)
                            mark_signal_rows(out, first);
                    }
                }
            }
        }
        p = next;
    }
}

/* ---- per-object tables and snapshots ----
 * A table belongs to the snapshots that list it; it is freed with the last of them: tables carry
 * the sequence number of the newest snapshot that uses them, and snapshots are freed oldest
 * first, so freeing snapshot k frees exactly the tables whose newest user is k. */

static uint64_t snapshot_seq;

struct build_ctx {
    struct cfi_module *mods;
    size_t n, cap;
    const struct cfi_snapshot *prev;
    uint64_t seq;
};

static struct cfi_table *find_prev(const struct cfi_snapshot *prev, uint64_t lo, uint64_t hi,
                                   uint64_t name_hash)
{
    for (size_t i = 0; prev && i < prev->nmods; i++)
        if (prev->mods[i].lo == lo && prev->mods[i].hi == hi &&
            prev->mods[i].name_hash == name_hash)
            return prev->mods[i].table;
    return NULL;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; s && *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int add_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct build_ctx *ctx = arg;
    const ElfW(Phdr) *eh = NULL;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_GNU_EH_FRAME)
            eh = ph;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            uint64_t s = info->dlpi_addr + ph->p_vaddr;
            if (s < lo)
                lo = s;
            if (s + ph->p_memsz > hi)
                hi = s + ph->p_memsz;
        }
    }
    if (!eh || lo >= hi)
        return 0;
    if (ctx->n == ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap * 2 : 32;
        struct cfi_module *m = realloc(ctx->mods, cap * sizeof(*m));
        if (!m)
            return 1;
        ctx->mods = m;
        ctx->cap = cap;
    }
    uint64_t name_hash = hash_name(info->dlpi_name);
    struct cfi_table *t = find_prev(ctx->prev, lo, hi, name_hash);
    if (!t) {
        /* .eh_frame_hdr: version, eh_frame_ptr_enc, fde_count_enc, table_enc, eh_frame_ptr. */
        const uint8_t *hdr = (const uint8_t *)(info->dlpi_addr + eh->p_vaddr);
        if (hdr[0] != 1)
            return 0;
        struct reader r = {hdr + 4, hdr + eh->p_memsz, 0};
        const uint8_t *eh_frame = (const uint8_t *)(uintptr_t)rd_encoded(&r, hdr[1], 0);
        if (r.bad || !eh_frame)
            return 0;
        /* .eh_frame's size is not recorded: bound the walk by the end of its segment. */
        const uint8_t *limit = NULL;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            const uint8_t *seg = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
            if (ph->p_type == PT_LOAD && eh_frame >= seg && eh_frame < seg + ph->p_filesz)
                limit = seg + ph->p_filesz;
        }
        if (!limit)
            return 0;
        struct row_buf rows = {0};
        parse_eh_frame(eh_frame, limit, &rows);
        t = calloc(1, sizeof(*t));
        if (rows.failed || rows.n == 0 || !t) {
            free(rows.rows);
            free(t);
            return 0;
        }
        struct cfi_row *sorted = sort_rows(&rows);
        if (!sorted) {
            free(rows.rows);
            free(t);
            return 0;
        }
        t->rows = sorted;
        t->nrows = rows.n;
    }
    t->last_seq = ctx->seq;
    ctx->mods[ctx->n++] = (struct cfi_module){lo, hi, name_hash, t};
    return 0;
}

static int mod_cmp(const void *a, const void *b)
{
    const struct cfi_module *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Retired snapshots, freed once no reader can still be using them: when the reader count was
 * seen at zero after they were retired (a reader that starts later loads the new snapshot), or,
 * if readers never pause, after a grace period far longer than any unwind takes. */
struct retired_snap {
    const struct cfi_snapshot *snap;
    uint64_t at_ns;
};
static struct retired_snap *retired;
static size_t nretired, capretired;
/* Only a fallback for programs whose unwinds never pause: a reader descheduled in the middle of a
 * walk on a loaded machine must not find its snapshot freed, so the wait is generous. */
#define GRACE_NS 60000000000ull

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void free_snapshot(const struct cfi_snapshot *s)
{
    for (size_t i = 0; i < s->nmods; i++) {
        struct cfi_table *t = s->mods[i].table;
        if (t->last_seq == s->seq) {
            free(t->rows);
            free(t);
        }
    }
    free(s->mods);
    free((void *)s);
}

/* Frees the retired snapshots no reader can hold, oldest first (the table ownership rule needs
 * that order). */
static void collect_retired(void)
{
    /* seq_cst: the swap of cfi_current happened before this load; pairs with unwind.c. */
    int quiet = atomic_load(&cfi_readers) == 0;
    uint64_t now = mono_ns();
    size_t i = 0;
    while (i < nretired && (quiet || now - retired[i].at_ns > GRACE_NS))
        free_snapshot(retired[i++].snap);
    memmove(retired, retired + i, (nretired - i) * sizeof(retired[0]));
    nretired -= i;
}

void cfi_collect(void)
{
    pthread_mutex_lock(&cfi_lock);
    collect_retired();
    pthread_mutex_unlock(&cfi_lock);
}

int cfi_refresh(void)
{
    pthread_mutex_lock(&cfi_lock);
    const struct cfi_snapshot *prev = atomic_load(&cfi_current);
    struct build_ctx ctx = {.prev = prev, .seq = ++snapshot_seq};
    dl_iterate_phdr(add_object, &ctx);
    qsort(ctx.mods, ctx.n, sizeof(*ctx.mods), mod_cmp);
    struct cfi_snapshot *s = calloc(1, sizeof(*s));
    if (!s) {
        /* Tables new in this build are lost, but still referenced by no one: free them. */
        for (size_t i = 0; i < ctx.n; i++)
            if (!find_prev(prev, ctx.mods[i].lo, ctx.mods[i].hi, ctx.mods[i].name_hash)) {
                free(ctx.mods[i].table->rows);
                free(ctx.mods[i].table);
            } else {
                ctx.mods[i].table->last_seq = prev->seq;
            }
        free(ctx.mods);
        pthread_mutex_unlock(&cfi_lock);
        return -1;
    }
    s->mods = ctx.mods;
    s->nmods = ctx.n;
    s->seq = ctx.seq;
    /* seq_cst, not just release: the load of cfi_readers in collect_retired below must not be
     * ordered before this store (a store-load pair; partner: the increment and load in unwind.c).
     * With a release store, a walker could still load the old snapshot after we saw no walker,
     * and we would free it under it. The store also publishes the complete tables. */
    atomic_store(&cfi_current, s);
    if (prev) {
        if (nretired == capretired) {
            size_t cap = capretired ? capretired * 2 : 16;
            struct retired_snap *r = realloc(retired, cap * sizeof(*r));
            if (r) {
                retired = r;
                capretired = cap;
            }
        }
        if (nretired < capretired) /* else (no memory) the old snapshot is leaked, never freed early */
            retired[nretired++] = (struct retired_snap){prev, mono_ns()};
    }
    collect_retired();
    pthread_mutex_unlock(&cfi_lock);
    return 0;
}

/* fork child: the lock may have been held by a thread that does not exist in the child. */
void cfi_reset_after_fork(void)
{
    pthread_mutex_init(&cfi_lock, NULL);
    atomic_store(&cfi_readers, 0); /* readers of other threads do not exist in the child */
}
