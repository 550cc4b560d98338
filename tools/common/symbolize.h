/* SPDX-License-Identifier: MIT */
/* Offline symbolizer (elfutils libdw): module file + ELF address -> frames (innermost first, inline
 * calls expanded), each naming a function with a strict extent and a source line. Every distinct
 * (module, address) is resolved once and cached.
 *
 * Modules are opened lazily by their recorded path and checked against their recorded build-id; a
 * missing or different file gives one warning and `module+0xOFFSET` frames, never another binary's
 * symbols. Addresses are ELF virtual addresses (runtime address - load bias); callers look up
 * `return address - 1` for frames other than the leaf.
 *
 * Thread contract: one thread per sym_ctx. Returned pointers stay valid until sym_free(). */
#ifndef PROF_SYMBOLIZE_H
#define PROF_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

enum { SYM_NO_INLINE = 1 /* do not expand inline calls: one frame per address */ };

/* A function as shown in one row of a table: functions with the same name, location and inline
 * flag are the same row. */
struct sym_func {
    const char *name;     /* demangled without parameters, "libx.so+0x1f00" or "[unknown]" */
    const char *location; /* "file.c:LINE" of the definition, else the module's basename, or "" */
    const char *path;     /* the definition's source file as the debug info names it, or NULL */
    const char *module;   /* module basename, "" if none */
    int is_inline;        /* this frame is an inlined call */
};

struct sym_frame {
    uint32_t func;    /* id: sym_func_get() */
    uint32_t line_id; /* id of (source line, function): sym_line_label() */
    const char *file; /* source file basename, NULL if unknown */
    uint32_t line;    /* 0 if unknown */
};

struct sym_result {
    uint32_t nframes; /* >= 1 */
    struct sym_frame frames[]; /* innermost first */
};

struct sym_ctx;

struct sym_ctx *sym_new(int flags);
void sym_free(struct sym_ctx *c);

/* Registers a module (not opened yet). Equal path + build-id give the same handle. Returns a
 * handle >= 0, or -ENOMEM. */
int sym_module(struct sym_ctx *c, const char *path, const uint8_t *build_id, size_t build_id_len);
/* Frames for `addr` (ELF virtual address) in module `mod`. NULL only on ENOMEM. */
const struct sym_result *sym_lookup(struct sym_ctx *c, int mod, uint64_t addr);
/* The single `[unknown]` frame, for addresses in no module. */
const struct sym_result *sym_unknown(struct sym_ctx *c);

size_t sym_nfuncs(const struct sym_ctx *c);
const struct sym_func *sym_func_get(const struct sym_ctx *c, uint32_t id);
size_t sym_nlines(const struct sym_ctx *c);
/* "file.c:LINE", or the function's name when the line is unknown. */
const char *sym_line_label(const struct sym_ctx *c, uint32_t line_id);
uint32_t sym_line_func(const struct sym_ctx *c, uint32_t line_id);
/* The line's source file as the debug info names it (absolute when the compiler recorded its
 * directory), NULL when the line is unknown. */
const char *sym_line_path(const struct sym_ctx *c, uint32_t line_id);

/* Warnings about modules (missing file, build-id mismatch), one line each, no prefix. */
size_t sym_nwarnings(const struct sym_ctx *c);
const char *sym_warning(const struct sym_ctx *c, size_t i);

/* Number of addresses actually resolved (cache misses): for tests and benchmarks. */
uint64_t sym_resolved(const struct sym_ctx *c);

/* Demangles a C++ name and drops its parameter list ("geo::dot(a const&)" -> "geo::dot").
 * Other names are copied. Returns a malloc'd string or NULL on ENOMEM. */
char *sym_demangle(const char *name);

#endif
