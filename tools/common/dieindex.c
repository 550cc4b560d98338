/* SPDX-License-Identifier: MIT */
/* DWARF subprogram range index per compile unit, and inline chains within one subprogram. */
#include "dieindex.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

struct dieindex_range {
    Dwarf_Addr lo, hi; /* [lo, hi) */
    Dwarf_Die die;
};

struct dieindex_cu {
    struct dieindex_range *v;
    size_t n, cap;
};

void dieindex_init(struct dieindex *x)
{
    memset(x, 0, sizeof(*x));
    htab_init(&x->bycu);
}

void dieindex_free(struct dieindex *x)
{
    for (size_t i = 0; i < x->ncus; i++)
        free(x->cus[i].v);
    free(x->cus);
    htab_free(&x->bycu);
    dieindex_init(x);
}

static int dieindex_add(struct dieindex_cu *cu, Dwarf_Addr lo, Dwarf_Addr hi, Dwarf_Die *die)
{
    if (hi <= lo)
        return 0;
    if (cu->n == cu->cap) {
        size_t ncap = cu->cap ? cu->cap * 2 : 64;
        struct dieindex_range *nv = realloc(cu->v, ncap * sizeof(*nv));
        if (!nv)
            return -1;
        cu->v = nv;
        cu->cap = ncap;
    }
    cu->v[cu->n++] = (struct dieindex_range){lo, hi, *die};
    return 0;
}

/* Collects subprograms with code among the children of `parent`, looking inside namespaces and
 * types (C++ member functions) but not inside functions: nested scopes come from the chain walk. */
static void dieindex_scan(struct dieindex_cu *cu, Dwarf_Die *parent, int depth)
{
    Dwarf_Die child;
    if (depth > 16 || dwarf_child(parent, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram) {
            Dwarf_Addr base, lo, hi;
            ptrdiff_t off = 0;
            while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0)
                dieindex_add(cu, lo, hi, &child);
        } else if (tag == DW_TAG_namespace || tag == DW_TAG_structure_type ||
                   tag == DW_TAG_class_type || tag == DW_TAG_union_type ||
                   tag == DW_TAG_module) {
            dieindex_scan(cu, &child, depth + 1);
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

static int dieindex_cmp(const void *pa, const void *pb)
{
    const struct dieindex_range *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    /* Larger first at one start, so the lookup below sees the innermost last. */
    return a->hi > b->hi ? -1 : a->hi < b->hi;
}

static struct dieindex_cu *dieindex_cu_get(struct dieindex *x, Dwarf_Die *cudie)
{
    uint64_t key = dwarf_dieoffset(cudie) + 1;
    int inserted = 0;
    uint64_t *slot = htab_upsert(&x->bycu, key, x->ncus, &inserted);
    if (!slot)
        return NULL;
    if (!inserted)
        return &x->cus[*slot];
    if (x->ncus == x->capcus) {
        size_t ncap = x->capcus ? x->capcus * 2 : 64;
        struct dieindex_cu *nc = realloc(x->cus, ncap * sizeof(*nc));
        if (!nc)
            return NULL;
        x->cus = nc;
        x->capcus = ncap;
    }
    struct dieindex_cu *cu = &x->cus[x->ncus++];
    memset(cu, 0, sizeof(*cu));
    dieindex_scan(cu, cudie, 0);
    if (cu->n)
        qsort(cu->v, cu->n, sizeof(*cu->v), dieindex_cmp);
    return cu;
}

/* Innermost subprogram range containing pc: among ranges starting at or below pc, scan back. */
static Dwarf_Die *dieindex_subprogram(struct dieindex_cu *cu, Dwarf_Addr pc)
{
    size_t lo = 0, hi = cu->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cu->v[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* Function ranges in one CU do not overlap in practice; a short scan covers odd cases. */
    for (size_t i = lo, k = 0; i-- > 0 && k < 8; k++)
        if (pc < cu->v[i].hi)
            return &cu->v[i].die;
    return NULL;
}

/* Does `die` have any pc attribute (else its children may still have code)? */
static int dieindex_has_pc_attrs(Dwarf_Die *die)
{
    return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

/* Descends from `scope` into the child scope containing pc, appending inlined instances (outermost
 * first) to out. Returns the new count. */
static int dieindex_descend(Dwarf_Die *scope, Dwarf_Addr pc, Dwarf_Die *out, int n, int max,
                            int depth)
{
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(scope, &child) != 0)
        return n;
    do {
        int tag = dwarf_tag(&child);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_lexical_block &&
            tag != DW_TAG_try_block && tag != DW_TAG_catch_block)
            continue;
        if (dwarf_haspc(&child, pc) > 0) {
            if (tag == DW_TAG_inlined_subroutine && n < max)
                out[n++] = child;
            return dieindex_descend(&child, pc, out, n, max, depth + 1);
        }
        if (tag == DW_TAG_lexical_block && !dieindex_has_pc_attrs(&child)) {
            int m = dieindex_descend(&child, pc, out, n, max, depth + 1);
            if (m != n)
                return m;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return n;
}

int dieindex_chain(struct dieindex *x, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *chain, int max)
{
    if (max < 2)
        return 0;
    struct dieindex_cu *cu = dieindex_cu_get(x, cudie);
    Dwarf_Die *sub = cu ? dieindex_subprogram(cu, pc) : NULL;
    if (!sub)
        return 0;
    Dwarf_Die subdie = *sub;
    /* Collected outermost first below the subprogram; reversed into innermost first. */
    int n = dieindex_descend(&subdie, pc, chain, 0, max - 1, 0);
    for (int i = 0; i < n / 2; i++) {
        Dwarf_Die t = chain[i];
        chain[i] = chain[n - 1 - i];
        chain[n - 1 - i] = t;
    }
    chain[n++] = subdie;
    return n;
}
