/* SPDX-License-Identifier: MIT */
/* Per-module index of DWARF functions: for each compile unit, the sorted pc ranges of its
 * subprograms, built on first use; then the inline chain at a pc is found by descending only into
 * that subprogram's scopes. dwarf_getscopes walks the whole CU for every address, which is far too
 * slow for 50,000 addresses in a large library.
 *
 * Thread contract: one thread per index; the Dwarf data must outlive it. */
#ifndef PROF_DIEINDEX_H
#define PROF_DIEINDEX_H

#include "htab.h"

#include <elfutils/libdw.h>
#include <stddef.h>

struct dieindex_cu;

struct dieindex {
    struct htab bycu; /* CU DIE offset + 1 -> index into cus */
    struct dieindex_cu *cus;
    size_t ncus, capcus;
};

void dieindex_init(struct dieindex *x);
void dieindex_free(struct dieindex *x);
/* Writes the scopes of `pc` (CU-relative address, as for dwarf_getscopes) that are functions:
 * inlined instances innermost first, then the containing DW_TAG_subprogram last. Returns their
 * number (0: no subprogram of this CU covers pc; truncated to max, keeping the innermost). */
int dieindex_chain(struct dieindex *x, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *chain, int max);

#endif
