/* SPDX-License-Identifier: MIT */
/* Function bounds from .eh_frame / .debug_frame FDEs (see fdetab.h). */
#include "fdetab.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void fdetab_init(struct fdetab *t)
{
    memset(t, 0, sizeof(*t));
}

void fdetab_free(struct fdetab *t)
{
    free(t->v);
    fdetab_init(t);
}

int fdetab_add(struct fdetab *t, uint64_t start, uint64_t end)
{
    if (end <= start)
        return 0; /* empty FDEs cover nothing */
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        struct fdetab_range *nv = realloc(t->v, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        t->v = nv;
        t->cap = ncap;
    }
    t->v[t->n++] = (struct fdetab_range){start, end};
    return 0;
}

static int fdetab_cmp(const void *pa, const void *pb)
{
    const struct fdetab_range *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->end < b->end ? -1 : a->end > b->end;
}

void fdetab_sort(struct fdetab *t)
{
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), fdetab_cmp);
}

int fdetab_find(const struct fdetab *t, uint64_t addr, uint64_t *start, uint64_t *end)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->v[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= t->v[lo - 1].end)
        return -1;
    *start = t->v[lo - 1].start;
    *end = t->v[lo - 1].end;
    return 0;
}

/* Size in bytes of a pointer with DW_EH_PE encoding `enc` (low nibble), 0 if unsupported. */
static size_t fdetab_ptr_size(uint8_t enc, size_t addr_size)
{
    switch (enc & 0x0f) {
    case DW_EH_PE_absptr: return addr_size;
    case DW_EH_PE_udata2: case DW_EH_PE_sdata2: return 2;
    case DW_EH_PE_udata4: case DW_EH_PE_sdata4: return 4;
    case DW_EH_PE_udata8: case DW_EH_PE_sdata8: return 8;
    default: return 0; /* uleb128/sleb128 never encode FDE locations in practice */
    }
}

static uint64_t fdetab_read(const uint8_t *p, uint8_t enc, size_t size, int big_endian)
{
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++)
        v |= (uint64_t)p[big_endian ? size - 1 - i : i] << (8 * i);
    int is_signed = (enc & 0x08) != 0;
    if (is_signed && size < 8 && (v >> (8 * size - 1)) & 1)
        v |= ~0ull << (8 * size); /* sign-extend */
    return v;
}

/* FDE pointer encoding of a CIE: the 'R' entry of its "z..." augmentation. */
static uint8_t fdetab_cie_encoding(const Dwarf_CIE *cie, size_t addr_size)
{
    const char *aug = cie->augmentation;
    const uint8_t *d = cie->augmentation_data, *dend = d + cie->augmentation_data_size;
    if (!aug || aug[0] != 'z' || !d)
        return DW_EH_PE_absptr;
    for (const char *a = aug + 1; *a && d < dend; a++) {
        switch (*a) {
        case 'R': return *d;
        case 'L': d++; break;
        case 'P': {
            uint8_t penc = *d++;
            d += fdetab_ptr_size(penc, addr_size);
            break;
        }
        default: break; /* 'S', 'B', 'G': no data */
        }
    }
    return DW_EH_PE_absptr;
}

/* CIE offset -> encoding, in a small sorted-by-insertion array (a file has a handful of CIEs). */
struct fdetab_cie {
    Dwarf_Off off;
    uint8_t enc;
};

static long fdetab_load_section(struct fdetab *t, Elf *elf, Elf_Scn *scn, int is_eh,
                                uint64_t bias)
{
    GElf_Shdr shdr;
    Elf_Data *data = gelf_getshdr(scn, &shdr) ? elf_rawdata(scn, NULL) : NULL;
    if (!data || shdr.sh_type == SHT_NOBITS || !data->d_buf)
        return 0;
    const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
    if (!ident)
        return 0;
    size_t addr_size = ident[EI_CLASS] == ELFCLASS32 ? 4 : 8;
    int big_endian = ident[EI_DATA] == ELFDATA2MSB;
    struct fdetab_cie cies[64];
    size_t ncies = 0;
    long count = 0;
    Dwarf_Off off = 0, next = 0;
    for (; off < data->d_size; off = next) {
        Dwarf_CFI_Entry e;
        int r = dwarf_next_cfi(ident, data, is_eh, off, &next, &e);
        if (r > 0)
            break; /* end of the section */
        if (r < 0) {
            if (next <= off)
                break;
            continue; /* unusable entry, but the next one is known */
        }
        if (dwarf_cfi_cie_p(&e)) {
            if (ncies < sizeof(cies) / sizeof(cies[0]))
                cies[ncies++] = (struct fdetab_cie){off, is_eh ? fdetab_cie_encoding(&e.cie, addr_size)
                                                               : DW_EH_PE_absptr};
            continue;
        }
        uint8_t enc = is_eh ? 0xff : DW_EH_PE_absptr;
        for (size_t i = 0; i < ncies; i++)
            if (cies[i].off == e.fde.CIE_pointer)
                enc = cies[i].enc;
        if (enc == 0xff) /* CIE not seen (after the FDE, or too many): assume GCC's default */
            enc = DW_EH_PE_pcrel | DW_EH_PE_sdata4;
        size_t sz = fdetab_ptr_size(enc, addr_size);
        if (sz == 0 || e.fde.start + 2 * sz > e.fde.end)
            continue;
        uint64_t loc = fdetab_read(e.fde.start, enc, sz, big_endian);
        uint64_t range = fdetab_read(e.fde.start + sz, enc & 0x0f, sz, big_endian);
        switch (enc & 0x70) {
        case DW_EH_PE_absptr: break;
        case DW_EH_PE_pcrel: /* relative to the field's own address */
            loc += shdr.sh_addr + (uint64_t)(e.fde.start - (const uint8_t *)data->d_buf);
            break;
        default: continue; /* textrel/datarel/funcrel: not used for FDEs on our targets */
        }
        if (fdetab_add(t, loc + bias, loc + bias + range) != 0)
            return -ENOMEM;
        count++;
    }
    return count;
}

long fdetab_load(struct fdetab *t, Elf *elf, uint64_t bias)
{
    size_t shstrndx;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return 0;
    Elf_Scn *eh = NULL, *dbg = NULL;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr))
            continue;
        const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (name && strcmp(name, ".eh_frame") == 0)
            eh = scn;
        else if (name && strcmp(name, ".debug_frame") == 0)
            dbg = scn;
    }
    long n = eh ? fdetab_load_section(t, elf, eh, 1, bias) : 0;
    if (n == 0 && dbg)
        n = fdetab_load_section(t, elf, dbg, 0, bias);
    fdetab_sort(t);
    return n;
}
