/* SPDX-License-Identifier: MIT */
/* Offline symbolizer on elfutils libdw with per-module symbol tables and a per-address cache. */
#include "symbolize.h"

#include "dieindex.h"
#include "fdetab.h"
#include "htab.h"
#include "symtab.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* From libstdc++ (extern "C"); we link -lstdc++ rather than write a demangler. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

enum sym_state { SYM_UNOPENED, SYM_OPEN, SYM_RAW };

struct sym_module {
    char *path;
    const char *base; /* interned basename */
    uint8_t *build_id;
    size_t build_id_len;
    int state;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    struct dieindex dies; /* DWARF functions per CU, built on first use */
    struct fdetab fdes;   /* loaded on first need */
    int fdes_loaded;
    struct symtab syms;
    struct htab cache; /* addr + 1 -> index into ctx->results + 1 */
    struct htab funcs; /* DIE key -> func id: names and locations computed once per DIE */
};

struct sym_line_rec {
    const char *label;
    const char *path; /* the source file as the debug info names it, NULL if unknown */
    uint32_t func;
};

struct sym_ctx {
    int flags;
    struct sym_module *mods;
    size_t nmods, capmods;
    struct strtab strs;     /* names, locations */
    struct strtab files;    /* source file paths: small dense ids for the line cache */
    struct htab linecache;  /* (func, file, line) packed -> line id */
    struct strtab funckeys; /* id = func id */
    struct sym_func *funcs;
    size_t capfuncs;
    struct strtab linekeys; /* id = line id */
    struct sym_line_rec *lines;
    size_t caplines;
    struct sym_result **results;
    size_t nresults, capresults;
    struct sym_result *unknown;
    char **warnings;
    size_t nwarnings;
    uint64_t resolved;
};

/* ---------- small helpers ---------- */

static const char *sym_intern(struct sym_ctx *c, const char *s)
{
    long id = strtab_intern(&c->strs, s, strlen(s));
    return id < 0 ? NULL : strtab_get(&c->strs, (size_t)id);
}

static const char *sym_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

__attribute__((format(printf, 2, 3))) static void sym_warn(struct sym_ctx *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **nw = realloc(c->warnings, (c->nwarnings + 1) * sizeof(*nw));
    if (!nw)
        return;
    c->warnings = nw;
    if ((nw[c->nwarnings] = strdup(buf)) != NULL)
        c->nwarnings++;
}

/* Cuts the parameter list (and anything after it, e.g. " const", " [clone .cold]") from a demangled
 * name: the last ')' is matched back to its '('. */
static void sym_strip_params(char *s)
{
    char *close = strrchr(s, ')');
    if (!close)
        return;
    int depth = 0;
    for (char *p = close; p >= s; p--) {
        if (*p == ')')
            depth++;
        else if (*p == '(' && --depth == 0) {
            if (p > s)
                *p = '\0';
            return;
        }
    }
}

char *sym_demangle(const char *name)
{
    if (strncmp(name, "_Z", 2) == 0) {
        int status = 0;
        char *d = __cxa_demangle(name, NULL, NULL, &status);
        if (d && status == 0) {
            sym_strip_params(d);
            return d;
        }
        free(d);
    }
    return strdup(name);
}

/* ---------- interning of functions and lines ---------- */

static long sym_func_id(struct sym_ctx *c, const char *name, const char *location,
                        const char *path, const char *module, int is_inline)
{
    char key[2048];
    int n = snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%d", name, location, module, is_inline);
    if (n < 0 || (size_t)n >= sizeof(key))
        n = (int)sizeof(key) - 1;
    size_t before = c->funckeys.count;
    long id = strtab_intern(&c->funckeys, key, (size_t)n);
    if (id < 0 || c->funckeys.count == before)
        return id;
    if ((size_t)id >= c->capfuncs) {
        size_t ncap = c->capfuncs ? c->capfuncs * 2 : 256;
        struct sym_func *nf = realloc(c->funcs, ncap * sizeof(*nf));
        if (!nf)
            return -1;
        c->funcs = nf;
        c->capfuncs = ncap;
    }
    const char *iname = sym_intern(c, name), *iloc = sym_intern(c, location);
    const char *imod = sym_intern(c, module), *ipath = path ? sym_intern(c, path) : NULL;
    if (!iname || !iloc || !imod || (path && !ipath))
        return -1;
    c->funcs[id] = (struct sym_func){iname, iloc, ipath, imod, is_inline};
    return id;
}

static long sym_line_id(struct sym_ctx *c, uint32_t func, const char *path, uint32_t line)
{
    char label[1024];
    if (path && line)
        snprintf(label, sizeof(label), "%s:%" PRIu32, sym_basename(path), line);
    else
        snprintf(label, sizeof(label), "%s", c->funcs[func].name);
    char key[1100];
    int n = snprintf(key, sizeof(key), "%s\x1f%" PRIu32, label, func);
    if (n < 0 || (size_t)n >= sizeof(key))
        n = (int)sizeof(key) - 1;
    size_t before = c->linekeys.count;
    long id = strtab_intern(&c->linekeys, key, (size_t)n);
    if (id < 0 || c->linekeys.count == before)
        return id;
    if ((size_t)id >= c->caplines) {
        size_t ncap = c->caplines ? c->caplines * 2 : 256;
        struct sym_line_rec *nl = realloc(c->lines, ncap * sizeof(*nl));
        if (!nl)
            return -1;
        c->lines = nl;
        c->caplines = ncap;
    }
    const char *ilabel = sym_intern(c, label), *ipath = path && line ? sym_intern(c, path) : NULL;
    if (!ilabel || (path && line && !ipath))
        return -1;
    c->lines[id] = (struct sym_line_rec){ilabel, ipath, func};
    return id;
}

/* sym_line_id through an exact packed key: (func, path, line) -> id without formatting. Lines are
 * labelled by the file's basename: two paths with one basename share a line id (the first path
 * seen is the one kept). */
static long sym_line_cached(struct sym_ctx *c, uint32_t func, long fid, const char *path,
                            uint32_t line)
{
    uint64_t f1 = (uint64_t)(fid + 1);
    if (func >= (1u << 23) || f1 >= (1u << 17) || line >= (1u << 24))
        return sym_line_id(c, func, path, line); /* does not fit: slow path */
    uint64_t key = ((uint64_t)func << 41 | f1 << 24 | line) + 1;
    uint64_t *slot = htab_find(&c->linecache, key);
    if (slot)
        return (long)*slot;
    long id = sym_line_id(c, func, path, line);
    if (id >= 0 && !htab_upsert(&c->linecache, key, (uint64_t)id, NULL))
        return -1;
    return id;
}

/* ---------- context ---------- */

struct sym_ctx *sym_new(int flags)
{
    struct sym_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->flags = flags;
    strtab_init(&c->strs);
    strtab_init(&c->files);
    htab_init(&c->linecache);
    strtab_init(&c->funckeys);
    strtab_init(&c->linekeys);
    long f = sym_func_id(c, "[unknown]", "", NULL, "", 0);
    c->unknown = f < 0 ? NULL : malloc(sizeof(*c->unknown) + sizeof(struct sym_frame));
    long l = c->unknown ? sym_line_id(c, (uint32_t)f, NULL, 0) : -1;
    if (l < 0) {
        sym_free(c);
        return NULL;
    }
    c->unknown->nframes = 1;
    c->unknown->frames[0] = (struct sym_frame){(uint32_t)f, (uint32_t)l, NULL, 0};
    return c;
}

void sym_free(struct sym_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nmods; i++) {
        struct sym_module *m = &c->mods[i];
        if (m->dwfl)
            dwfl_end(m->dwfl);
        symtab_free(&m->syms);
        fdetab_free(&m->fdes);
        dieindex_free(&m->dies);
        htab_free(&m->cache);
        htab_free(&m->funcs);
        free(m->path);
        free(m->build_id);
    }
    free(c->mods);
    for (size_t i = 0; i < c->nresults; i++)
        free(c->results[i]);
    free(c->results);
    free(c->unknown);
    for (size_t i = 0; i < c->nwarnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    free(c->funcs);
    free(c->lines);
    strtab_free(&c->strs);
    strtab_free(&c->files);
    htab_free(&c->linecache);
    strtab_free(&c->funckeys);
    strtab_free(&c->linekeys);
    free(c);
}

int sym_module(struct sym_ctx *c, const char *path, const uint8_t *build_id, size_t build_id_len)
{
    for (size_t i = 0; i < c->nmods; i++) {
        struct sym_module *m = &c->mods[i];
        if (strcmp(m->path, path) == 0 && m->build_id_len == build_id_len &&
            (build_id_len == 0 || memcmp(m->build_id, build_id, build_id_len) == 0))
            return (int)i;
    }
    if (c->nmods == c->capmods) {
        size_t ncap = c->capmods ? c->capmods * 2 : 16;
        struct sym_module *nm = realloc(c->mods, ncap * sizeof(*nm));
        if (!nm)
            return -ENOMEM;
        c->mods = nm;
        c->capmods = ncap;
    }
    struct sym_module *m = &c->mods[c->nmods];
    memset(m, 0, sizeof(*m));
    m->path = strdup(path);
    m->base = sym_intern(c, sym_basename(path));
    m->build_id = build_id_len ? malloc(build_id_len) : NULL;
    if (!m->path || !m->base || (build_id_len && !m->build_id)) {
        free(m->path);
        free(m->build_id);
        return -ENOMEM;
    }
    if (build_id_len)
        memcpy(m->build_id, build_id, build_id_len);
    m->build_id_len = build_id_len;
    symtab_init(&m->syms);
    fdetab_init(&m->fdes);
    dieindex_init(&m->dies);
    htab_init(&m->cache);
    htab_init(&m->funcs);
    return (int)c->nmods++;
}

/* ---------- opening a module ---------- */

static char *sym_debuginfo_path = NULL; /* NULL: libdwfl's default ":.debug:/usr/lib/debug" */

static const Dwfl_Callbacks sym_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &sym_debuginfo_path,
};

static void sym_hex(char *out, size_t outlen, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 <= outlen; i++)
        k += (size_t)snprintf(out + k, outlen - k, "%02x", p[i]);
    if (outlen)
        out[k < outlen ? k : outlen - 1] = '\0';
}

/* Loads the function symbols (.symtab, else .dynsym, as libdwfl finds them, including separate
 * debug files) into the module's sorted table. */
static void sym_load_symbols(struct sym_module *m)
{
    int n = dwfl_module_getsymtab(m->mod);
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        Elf *elf = NULL;
        Dwarf_Addr bias = 0;
        const char *name = dwfl_module_getsym_info(m->mod, i, &sym, &addr, &shndx, &elf, &bias);
        if (!name || !*name)
            continue;
        int type = GELF_ST_TYPE(sym.st_info);
        if (type != STT_FUNC && type != STT_GNU_IFUNC)
            continue;
        if (shndx == SHN_UNDEF || shndx == SHN_ABS)
            continue;
        uint64_t section_end = UINT64_MAX;
        GElf_Shdr shdr;
        Elf_Scn *scn = elf ? elf_getscn(elf, shndx) : NULL;
        if (scn && gelf_getshdr(scn, &shdr))
            section_end = shdr.sh_addr + shdr.sh_size + bias;
        int bind = GELF_ST_BIND(sym.st_info);
        int b = bind == STB_GLOBAL ? SYMTAB_GLOBAL : bind == STB_WEAK ? SYMTAB_WEAK : SYMTAB_LOCAL;
        symtab_add(&m->syms, addr, sym.st_size, section_end, name, b);
    }
    symtab_finish(&m->syms);
}

static void sym_open(struct sym_ctx *c, struct sym_module *m)
{
    m->state = SYM_RAW;
    if (m->path[0] == '[' || m->path[0] == '\0')
        return; /* [vdso] and friends: no file to read */
    if (access(m->path, R_OK) != 0) {
        sym_warn(c, "%s: %s; its frames are shown as %s+0xOFFSET", m->path, strerror(errno),
                 m->base);
        return;
    }
    /* A path in a profile is data: a FIFO or device there must not make us block or read forever. */
    struct stat st;
    if (stat(m->path, &st) != 0 || !S_ISREG(st.st_mode)) {
        sym_warn(c, "%s: not a regular file; its frames are shown as %s+0xOFFSET", m->path,
                 m->base);
        return;
    }
    m->dwfl = dwfl_begin(&sym_callbacks);
    if (!m->dwfl)
        goto fail;
    dwfl_report_begin(m->dwfl);
    /* Bias 0: the module's addresses are its ELF virtual addresses, so one Dwfl serves every
     * process that mapped the file, whatever its load address. */
    m->mod = dwfl_report_elf(m->dwfl, m->base, m->path, -1, 0, false);
    dwfl_report_end(m->dwfl, NULL, NULL);
    if (!m->mod)
        goto fail;
    if (m->build_id_len) {
        const unsigned char *bits = NULL;
        GElf_Addr vaddr;
        int len = dwfl_module_build_id(m->mod, &bits, &vaddr);
        if (len <= 0 || (size_t)len != m->build_id_len || memcmp(bits, m->build_id, (size_t)len)) {
            char want[130], have[130];
            sym_hex(want, sizeof(want), m->build_id, m->build_id_len);
            sym_hex(have, sizeof(have), bits, len > 0 ? (size_t)len : 0);
            sym_warn(c, "%s: build-id %s differs from the profiled %s (file changed?); its frames "
                     "are shown as %s+0xOFFSET", m->path, len > 0 ? have : "(none)", want, m->base);
            dwfl_end(m->dwfl);
            m->dwfl = NULL;
            m->mod = NULL;
            return;
        }
    }
    sym_load_symbols(m);
    m->state = SYM_OPEN;
    return;
fail:
    sym_warn(c, "%s: cannot read ELF (%s); its frames are shown as %s+0xOFFSET", m->path,
             dwfl_errmsg(-1), m->base);
    if (m->dwfl)
        dwfl_end(m->dwfl);
    m->dwfl = NULL;
    m->mod = NULL;
}

/* Bounds [start, end) of the function containing addr according to the unwind tables (FDEs of
 * .eh_frame, else .debug_frame). Returns 0 if found. */
static int sym_fde_bounds(struct sym_module *m, uint64_t addr, uint64_t *start, uint64_t *end)
{
    if (!m->fdes_loaded) {
        m->fdes_loaded = 1;
        GElf_Addr bias = 0;
        Elf *elf = dwfl_module_getelf(m->mod, &bias);
        if (elf)
            fdetab_load(&m->fdes, elf, bias);
    }
    return fdetab_find(&m->fdes, addr, start, end);
}

/* ---------- resolving one address ---------- */

struct sym_pending { /* a frame before interning */
    char *name;      /* malloc'd display name (NULL when func is already known) */
    long func;       /* func id from the module's DIE cache, or -1 */
    uint64_t diekey; /* key of the DIE this frame came from in that cache, 0 if none */
    char location[512];
    const char *defpath; /* source file of the function's definition (libdw's string), or NULL */
    const char *path;    /* source file of the frame's line (libdw's string), or NULL */
    uint32_t line;
    int is_inline;
};

static const char *sym_die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *s = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
        dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        s = dwarf_formstring(&attr);
    if (!s && dwarf_attr_integrate(die, DW_AT_name, &attr))
        s = dwarf_formstring(&attr);
    return s;
}

/* Where a function is: for a function body, the line of its first instruction (the declaration's
 * place may be a header, e.g. a libc prototype the definition shadows); otherwise, as for inlined
 * code, the declaration. "file.c:LINE" goes to out, the file's whole path to *path. */
static void sym_die_location(Dwarf_Die *die, Dwarf_Die *cu, char *out, size_t outlen,
                             const char **path, const char *fallback)
{
    Dwarf_Addr low;
    if (dwarf_tag(die) == DW_TAG_subprogram && dwarf_lowpc(die, &low) == 0) {
        Dwarf_Line *l = dwarf_getsrc_die(cu, low);
        int line = 0;
        const char *src = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
        if (src && dwarf_lineno(l, &line) == 0 && line > 0) {
            snprintf(out, outlen, "%s:%d", sym_basename(src), line);
            *path = src;
            return;
        }
    }
    const char *file = dwarf_decl_file(die);
    int line = 0;
    if (file && dwarf_decl_line(die, &line) == 0 && line > 0) {
        snprintf(out, outlen, "%s:%d", sym_basename(file), line);
        *path = file;
    } else
        snprintf(out, outlen, "%s", fallback);
}

/* Expands the DWARF scopes at addr into frames, innermost first. Returns the number of frames
 * (0 when DWARF does not cover addr). */
static size_t sym_dwarf_frames(struct sym_module *m, uint64_t addr, struct sym_pending *out,
                               size_t max)
{
    Dwarf_Addr dbias = 0;
    Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &dbias);
    if (!cu)
        return 0;
    Dwarf_Die cudie = *cu;
    Dwarf_Die scopes[64];
    int nscopes = dieindex_chain(&m->dies, &cudie, addr - dbias, scopes, 64);
    if (nscopes <= 0)
        return 0;
    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0)
        files = NULL;

    /* The innermost frame's line comes from the line table; each inlined call site gives the
     * line of the frame around it. */
    const char *file = NULL;
    int line = 0;
    Dwfl_Line *dl = dwfl_module_getsrc(m->mod, addr);
    if (dl)
        file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
    size_t n = 0;
    int found_subprogram = 0;
    for (int i = 0; i < nscopes && n < max; i++) {
        Dwarf_Die *s = &scopes[i];
        int tag = dwarf_tag(s);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
            continue;
        struct sym_pending *p = &out[n];
        p->diekey = ((uint64_t)dwarf_dieoffset(s) << 1 | (tag == DW_TAG_inlined_subroutine)) + 1;
        uint64_t *known = htab_find(&m->funcs, p->diekey);
        if (known) {
            p->func = (long)*known;
        } else {
            const char *name = sym_die_name(s);
            p->name = sym_demangle(name ? name : "??");
            sym_die_location(s, &cudie, p->location, sizeof(p->location), &p->defpath,
                             m->base);
        }
        p->path = file;
        p->line = line > 0 ? (uint32_t)line : 0;
        p->is_inline = tag == DW_TAG_inlined_subroutine;
        n++;
        if (tag == DW_TAG_subprogram) {
            found_subprogram = 1;
            break;
        }
        Dwarf_Attribute attr;
        Dwarf_Word cf = 0, cl = 0;
        file = NULL;
        line = 0;
        if (dwarf_attr(s, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &cf) == 0 && files)
            file = dwarf_filesrc(files, cf, NULL, NULL);
        if (dwarf_attr(s, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &cl) == 0)
            line = (int)cl;
    }
    if (!found_subprogram) { /* inconsistent DWARF: fall back on the symbol tables */
        for (size_t i = 0; i < n; i++)
            free(out[i].name);
        memset(out, 0, n * sizeof(*out));
        for (size_t i = 0; i < n; i++)
            out[i].func = -1;
        return 0;
    }
    return n;
}

/* One frame from the symbol table and unwind tables only (no DWARF for this address). */
static void sym_elf_frame(struct sym_module *m, uint64_t addr, struct sym_pending *p)
{
    char buf[64];
    const struct symtab_entry *e = symtab_find(&m->syms, addr);
    uint64_t start, end;
    if (!e && sym_fde_bounds(m, addr, &start, &end) == 0) {
        /* No symbol covers addr: group by the FDE's function. A symbol that starts exactly there
         * (size unknown) names it; otherwise the module offset of the function start does. */
        e = symtab_at(&m->syms, start);
        if (!e) {
            snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, m->base, start);
            p->name = strdup(buf);
        }
    } else if (!e) {
        e = symtab_find_unsized(&m->syms, addr);
        if (!e) {
            snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, m->base, addr);
            p->name = strdup(buf);
        }
    }
    if (e)
        p->name = sym_demangle(e->name);
    snprintf(p->location, sizeof(p->location), "%s", m->base);
}

static struct sym_result *sym_resolve(struct sym_ctx *c, struct sym_module *m, uint64_t addr)
{
    enum { MAXF = 64 };
    struct sym_pending pend[MAXF];
    size_t n = 0;
    memset(pend, 0, sizeof(pend));
    for (size_t i = 0; i < MAXF; i++)
        pend[i].func = -1;
    if (m->state == SYM_OPEN)
        n = sym_dwarf_frames(m, addr, pend, MAXF);
    if (n == 0) {
        n = 1;
        if (m->state == SYM_OPEN) {
            sym_elf_frame(m, addr, &pend[0]);
        } else {
            char buf[64];
            snprintf(buf, sizeof(buf), "%s+0x%" PRIx64, m->base, addr);
            pend[0].name = strdup(buf);
            snprintf(pend[0].location, sizeof(pend[0].location), "%s", m->base);
        }
    }
    size_t first = 0;
    if (c->flags & SYM_NO_INLINE) {
        /* Keep the real function only, at the line of the (outermost) call site. */
        for (size_t i = 0; i + 1 < n; i++)
            free(pend[i].name);
        first = n - 1;
    }
    struct sym_result *r = malloc(sizeof(*r) + (n - first) * sizeof(struct sym_frame));
    int failed = r == NULL;
    for (size_t i = first; i < n; i++) {
        struct sym_pending *p = &pend[i];
        if (!failed) {
            long f = p->func;
            if (f < 0 && p->name) {
                f = sym_func_id(c, p->name, p->location, p->defpath, m->base, p->is_inline);
                if (f >= 0 && p->diekey && !htab_upsert(&m->funcs, p->diekey, (uint64_t)f, NULL))
                    f = -1;
            }
            long fid = p->path ? strtab_intern(&c->files, p->path, strlen(p->path)) : -1;
            const char *path = fid >= 0 ? strtab_get(&c->files, (size_t)fid) : NULL;
            long l = f >= 0 ? sym_line_cached(c, (uint32_t)f, fid, path, p->line) : -1;
            if (f < 0 || l < 0)
                failed = 1;
            else
                r->frames[i - first] = (struct sym_frame){(uint32_t)f, (uint32_t)l,
                                                          path ? sym_basename(path) : NULL, p->line};
        }
        free(p->name);
    }
    if (failed) {
        free(r);
        return NULL;
    }
    r->nframes = (uint32_t)(n - first);
    return r;
}

const struct sym_result *sym_lookup(struct sym_ctx *c, int mod, uint64_t addr)
{
    if (mod < 0 || (size_t)mod >= c->nmods)
        return c->unknown;
    struct sym_module *m = &c->mods[mod];
    if (m->state == SYM_UNOPENED)
        sym_open(c, m);
    uint64_t key = addr + 1; /* 0 is the empty key; addr = ~0 is never code */
    uint64_t *slot = htab_find(&m->cache, key);
    if (slot)
        return c->results[*slot];
    struct sym_result *r = sym_resolve(c, m, addr);
    if (!r)
        return NULL;
    if (c->nresults == c->capresults) {
        size_t ncap = c->capresults ? c->capresults * 2 : 1024;
        struct sym_result **nr = realloc(c->results, ncap * sizeof(*nr));
        if (!nr) {
            free(r);
            return NULL;
        }
        c->results = nr;
        c->capresults = ncap;
    }
    slot = htab_upsert(&m->cache, key, c->nresults, NULL);
    if (!slot) {
        free(r);
        return NULL;
    }
    c->results[c->nresults++] = r;
    c->resolved++;
    return r;
}

const struct sym_result *sym_unknown(struct sym_ctx *c)
{
    return c->unknown;
}

size_t sym_nfuncs(const struct sym_ctx *c)
{
    return c->funckeys.count;
}

const struct sym_func *sym_func_get(const struct sym_ctx *c, uint32_t id)
{
    return &c->funcs[id];
}

size_t sym_nlines(const struct sym_ctx *c)
{
    return c->linekeys.count;
}

const char *sym_line_label(const struct sym_ctx *c, uint32_t line_id)
{
    return c->lines[line_id].label;
}

const char *sym_line_path(const struct sym_ctx *c, uint32_t line_id)
{
    return c->lines[line_id].path;
}

uint32_t sym_line_func(const struct sym_ctx *c, uint32_t line_id)
{
    return c->lines[line_id].func;
}

size_t sym_nwarnings(const struct sym_ctx *c)
{
    return c->nwarnings;
}

const char *sym_warning(const struct sym_ctx *c, size_t i)
{
    return c->warnings[i];
}

uint64_t sym_resolved(const struct sym_ctx *c)
{
    return c->resolved;
}
