/* SPDX-License-Identifier: MIT */
/* Function bounds from the unwind tables of an ELF file: every FDE of .eh_frame (else
 * .debug_frame) as a sorted [start, end) range. Used to group addresses that no symbol covers
 * (stripped code) by the function they are in, one row per real function.
 *
 * Why not dwarf_cfi_addrframe + dwarf_frame_info: in elfutils 0.188 that range is the CFI *row*
 * (constant unwind state), a piece of the function, not the FDE. */
#ifndef PROF_FDETAB_H
#define PROF_FDETAB_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

struct fdetab_range {
    uint64_t start, end;
};

struct fdetab {
    struct fdetab_range *v; /* sorted by start after fdetab_sort */
    size_t n, cap;
};

void fdetab_init(struct fdetab *t);
void fdetab_free(struct fdetab *t);
/* Reads the FDEs of `elf`, adding `bias` to their addresses. Returns the number of FDEs (0 if the
 * file has no unwind tables) or -ENOMEM. */
long fdetab_load(struct fdetab *t, Elf *elf, uint64_t bias);
/* Adds one range (tests and loaders). Call fdetab_sort after the last one. */
int fdetab_add(struct fdetab *t, uint64_t start, uint64_t end);
void fdetab_sort(struct fdetab *t);
/* Bounds of the FDE containing addr. Returns 0 if found, -1 otherwise. */
int fdetab_find(const struct fdetab *t, uint64_t addr, uint64_t *start, uint64_t *end);

#endif
