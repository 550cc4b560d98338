/* SPDX-License-Identifier: MIT */
/* Unwind tables built from .eh_frame outside the signal handler (cfi.c), searched by the handler
 * (unwind.c). A snapshot is immutable once published; readers load cfi_current with acquire. */
#ifndef PROF_CFI_H
#define PROF_CFI_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* How to find the canonical frame address (the caller's rsp) at a given pc. */
enum {
    CFI_CFA_NONE = 0,    /* no unwind information here (end of a function, gaps) */
    CFI_CFA_SP = 1,      /* CFA = rsp + cfa_off */
    CFI_CFA_FP = 2,      /* CFA = rbp + cfa_off */
    CFI_CFA_EXPR = 3,    /* a DWARF expression (PLT stubs): return address taken at rsp */
    CFI_CFA_SIGNAL = 4,  /* signal trampoline: the interrupted registers are in a ucontext at rsp */
    CFI_CFA_UNKNOWN = 5, /* CFA in another register: cannot unwind further */
    CFI_CFA_END = 6,     /* return address undefined: the outermost frame (_start, thread start) */
};

/* From `pc` up to the next row's pc: the return address is at CFA - 8 (x86-64), and the caller's
 * rbp at CFA + fp_off when fp_off != 0 (else rbp is unchanged). */
struct cfi_row {
    uint64_t pc;
    int32_t cfa_off;
    int32_t fp_off;
    uint8_t cfa_kind;
};

struct cfi_table {
    struct cfi_row *rows; /* sorted by pc */
    size_t nrows;
    uint64_t last_seq;    /* newest snapshot using this table (cfi.c ownership rule) */
};

struct cfi_module {
    uint64_t lo, hi; /* executable address range of the object */
    uint64_t name_hash; /* with lo/hi: an unchanged object keeps its table across snapshots */
    struct cfi_table *table;
};

struct cfi_snapshot {
    struct cfi_module *mods; /* sorted by lo, non-overlapping */
    size_t nmods;
    uint64_t seq;
};

extern _Atomic(const struct cfi_snapshot *) cfi_current;
/* Readers in progress (unwind.c increments before loading cfi_current, decrements when done):
 * a retired snapshot is freed once this was seen at zero after its retirement. */
extern _Atomic int cfi_readers;

/* Rebuilds the snapshot from the loaded objects (tables of unchanged objects are reused).
 * Ordinary context: calls dl_iterate_phdr and malloc. 0 or -1. */
int cfi_refresh(void);
void cfi_reset_after_fork(void);
/* Frees retired snapshots that no reader can hold any more (the flusher calls it). */
void cfi_collect(void);

#endif
