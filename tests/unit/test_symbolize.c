/* SPDX-License-Identifier: MIT */
/* Unit tests for the symbolizer: extent rules of the symbol table, the address cache, module
 * checks (missing file, build-id mismatch), inline expansion and FDE grouping of a stripped copy,
 * all cross-checked against nm(1) of this very executable. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fdetab.h"
#include "htab.h"
#include "symbolize.h"
#include "symtab.h"

#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------- functions with known names for the real-binary tests ---------- */

static volatile int sink;

__attribute__((noinline)) static int symtest_static_fn(int n)
{
    int acc = 0;
    for (int i = 0; i < n; i++)
        acc += i * sink;
    return acc;
}

static inline __attribute__((always_inline)) int symtest_helper(int a, int b)
{
    int r = 0;
    for (int i = 0; i < a; i++)
        r += (i ^ b) * sink;
    return r;
}

static int symtest_call_line;

__attribute__((noinline)) int symtest_outer(int a, int b)
{
    symtest_call_line = __LINE__ + 1;
    int r = symtest_helper(a, b);
    return r + sink;
}

/* Calls out with values live across the call: callee-saved registers get pushed, so its unwind
 * table has several rows (a row is not the function: see fdetab.h). */
__attribute__((noinline, noclone)) static int symtest_leaf(int x)
{
    return x * sink + 1;
}

static int (*volatile symtest_leafp)(int) = symtest_leaf; /* an unknown callee */

__attribute__((noinline, noclone)) static int symtest_rows(int a, int b, int c)
{
    volatile char scratch[64];
    scratch[a & 63] = (char)b;
    int x = symtest_leafp(a), y = symtest_leafp(b + x), z = symtest_leafp(c + y);
    return x * y + z * a + b * c + symtest_leafp(x + y + z) + scratch[c & 63];
}

/* ---------- helpers ---------- */

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uint64_t *)data = info->dlpi_addr;
    return 1;
}

static uint64_t program_bias(void)
{
    uint64_t bias = 0;
    dl_iterate_phdr(first_object, &bias);
    return bias;
}

static const char *self_path(void)
{
    static char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    assert_true(n > 0);
    path[n] = '\0';
    return path;
}

/* Start and size of a symbol of `file` according to nm -S. Returns 0 if found. */
static int nm_extent(const char *file, const char *name, uint64_t *start, uint64_t *size)
{
    char cmd[4500];
    snprintf(cmd, sizeof(cmd), "nm -S --defined-only '%s'", file);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line[1024];
    int found = -1;
    while (fgets(line, sizeof(line), f)) {
        uint64_t s, z;
        char type, sym[512];
        if (sscanf(line, "%" SCNx64 " %" SCNx64 " %c %511s", &s, &z, &type, sym) == 4 &&
            strcmp(sym, name) == 0) {
            *start = s;
            *size = z;
            found = 0;
        }
    }
    pclose(f);
    return found;
}

/* ---------- symtab: extent logic on synthetic tables ---------- */

static void test_symtab_extents(void **state)
{
    (void)state;
    struct symtab t;
    symtab_init(&t);
    /* Like liblzma: a tiny exported function followed by big static ones nobody names. */
    assert_int_equal(symtab_add(&t, 0x1000, 0x1a, 0x9000, "tiny", SYMTAB_GLOBAL), 0);
    assert_int_equal(symtab_add(&t, 0x2000, 0x100, 0x9000, "big", SYMTAB_GLOBAL), 0);
    assert_int_equal(symtab_add(&t, 0x2040, 0x10, 0x9000, "nested", SYMTAB_LOCAL), 0);
    assert_int_equal(symtab_add(&t, 0x3000, 0, 0x3800, "nosize", SYMTAB_LOCAL), 0);
    assert_int_equal(symtab_add(&t, 0x3400, 0x20, 0x3800, "after_nosize", SYMTAB_LOCAL), 0);
    assert_int_equal(symtab_add(&t, 0x5000, 0, 0x5100, "last_nosize", SYMTAB_LOCAL), 0);
    assert_int_equal(symtab_finish(&t), 0);

    assert_string_equal(symtab_find(&t, 0x1000)->name, "tiny");
    assert_string_equal(symtab_find(&t, 0x1019)->name, "tiny");
    assert_null(symtab_find(&t, 0x101a)); /* one past the end: not tiny's */
    assert_null(symtab_find(&t, 0x1900));
    assert_null(symtab_find(&t, 0xfff));
    assert_string_equal(symtab_find(&t, 0x2000)->name, "big");
    assert_string_equal(symtab_find(&t, 0x2045)->name, "nested");
    assert_string_equal(symtab_find(&t, 0x2050)->name, "big"); /* past nested, still in big */
    assert_string_equal(symtab_find(&t, 0x20ff)->name, "big");
    assert_null(symtab_find(&t, 0x2100));

    /* Size-0: never through a sized lookup; bounded by the next symbol and the section end. */
    assert_null(symtab_find(&t, 0x3010));
    assert_string_equal(symtab_find_unsized(&t, 0x3010)->name, "nosize");
    assert_string_equal(symtab_find_unsized(&t, 0x33ff)->name, "nosize");
    assert_null(symtab_find_unsized(&t, 0x3420)); /* after after_nosize: nobody's */
    assert_string_equal(symtab_find_unsized(&t, 0x50ff)->name, "last_nosize");
    assert_null(symtab_find_unsized(&t, 0x5100)); /* section end */
    assert_null(symtab_find_unsized(&t, 0x1900));  /* below a sized symbol */

    assert_string_equal(symtab_at(&t, 0x3000)->name, "nosize");
    assert_null(symtab_at(&t, 0x3001));
    symtab_free(&t);
}

static void test_symtab_aliases(void **state)
{
    (void)state;
    struct symtab t;
    symtab_init(&t);
    symtab_add(&t, 0x100, 0x40, UINT64_MAX, "__libc_malloc", SYMTAB_GLOBAL);
    symtab_add(&t, 0x100, 0x40, UINT64_MAX, "malloc", SYMTAB_GLOBAL);
    symtab_add(&t, 0x100, 0, UINT64_MAX, "a_label", SYMTAB_GLOBAL);
    symtab_add(&t, 0x200, 0x10, UINT64_MAX, "local_one", SYMTAB_LOCAL);
    symtab_add(&t, 0x200, 0x10, UINT64_MAX, "weak_one", SYMTAB_WEAK);
    /* A size running past its section is cut at the section end. */
    symtab_add(&t, 0x300, 0x1000, 0x320, "overlong", SYMTAB_GLOBAL);
    assert_int_equal(symtab_finish(&t), 0);
    assert_int_equal(t.n, 3);
    assert_string_equal(symtab_find(&t, 0x13f)->name, "malloc");
    assert_string_equal(symtab_find(&t, 0x205)->name, "weak_one");
    assert_string_equal(symtab_find(&t, 0x31f)->name, "overlong");
    assert_null(symtab_find(&t, 0x320));
    symtab_free(&t);

    /* Empty table */
    symtab_init(&t);
    assert_int_equal(symtab_finish(&t), 0);
    assert_null(symtab_find(&t, 0));
    assert_null(symtab_find_unsized(&t, 5));
    symtab_free(&t);
}

/* ---------- htab / strtab ---------- */

static void test_htab_and_strtab(void **state)
{
    (void)state;
    struct htab h;
    htab_init(&h);
    for (uint64_t k = 1; k <= 100000; k++) {
        int ins = 0;
        uint64_t *v = htab_upsert(&h, k * 16, k, &ins);
        assert_non_null(v);
        assert_true(ins);
    }
    assert_int_equal(h.count, 100000);
    for (uint64_t k = 1; k <= 100000; k++)
        assert_int_equal(*htab_find(&h, k * 16), k);
    assert_null(htab_find(&h, 8));
    int ins = 1;
    assert_int_equal(*htab_upsert(&h, 32, 99, &ins), 2);
    assert_false(ins);
    htab_free(&h);

    struct strtab t;
    strtab_init(&t);
    long a = strtab_intern(&t, "alpha", 5), b = strtab_intern(&t, "alphabet", 8);
    assert_true(a >= 0 && b >= 0 && a != b);
    assert_int_equal(strtab_intern(&t, "alphaXX", 5), a); /* length-bounded */
    assert_string_equal(strtab_get(&t, (size_t)b), "alphabet");
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(strtab_intern(&t, name, strlen(name)), i + 2);
    }
    assert_int_equal(strtab_intern(&t, "n4321", 5), 4323);
    strtab_free(&t);
}

static void test_demangle(void **state)
{
    (void)state;
    char *s = sym_demangle("_ZN3geo3dotERKNS_3VecES2_");
    assert_string_equal(s, "geo::dot");
    free(s);
    s = sym_demangle("_ZNK3geo6Matrix8multiplyERKS0_");
    assert_string_equal(s, "geo::Matrix::multiply");
    free(s);
    s = sym_demangle("_Z4workv.cold");
    assert_string_equal(s, "work");
    free(s);
    s = sym_demangle("work_a");
    assert_string_equal(s, "work_a");
    free(s);
    s = sym_demangle("_Znot_valid_mangling");
    assert_string_equal(s, "_Znot_valid_mangling");
    free(s);
}

/* ---------- real binary: this test executable ---------- */

static void test_static_function_and_cache(void **state)
{
    (void)state;
    const char *exe = self_path();
    uint64_t start, size;
    assert_int_equal(nm_extent(exe, "symtest_static_fn", &start, &size), 0);
    /* The runtime address we would have sampled, mapped back through the load bias. */
    uint64_t runtime = (uint64_t)(uintptr_t)&symtest_static_fn;
    assert_int_equal(runtime - program_bias(), start);

    struct sym_ctx *c = sym_new(0);
    assert_non_null(c);
    int m = sym_module(c, exe, NULL, 0);
    assert_true(m >= 0);
    assert_int_equal(sym_module(c, exe, NULL, 0), m);
    for (uint64_t off = 0; off < size; off++) {
        const struct sym_result *r = sym_lookup(c, m, start + off);
        assert_non_null(r);
        const struct sym_func *f = sym_func_get(c, r->frames[r->nframes - 1].func);
        assert_string_equal(f->name, "symtest_static_fn");
        assert_non_null(strstr(f->location, "test_symbolize.c:"));
    }
    uint64_t resolved = sym_resolved(c);
    assert_int_equal(resolved, size);
    const struct sym_result *r1 = sym_lookup(c, m, start + 1);
    const struct sym_result *r2 = sym_lookup(c, m, start + 1);
    assert_ptr_equal(r1, r2);
    assert_int_equal(sym_resolved(c), resolved); /* served from the cache */
    assert_int_equal(sym_nwarnings(c), 0);
    /* The leaf has a source line of this file. */
    assert_non_null(r1->frames[0].file);
    assert_string_equal(r1->frames[0].file, "test_symbolize.c");
    assert_true(r1->frames[0].line > 0);
    sym_free(c);
}

static void test_inline_frames(void **state)
{
    (void)state;
    const char *exe = self_path();
    uint64_t start, size;
    assert_int_equal(nm_extent(exe, "symtest_outer", &start, &size), 0);
    struct sym_ctx *c = sym_new(0);
    int m = sym_module(c, exe, NULL, 0);
    int inlined = 0;
    for (uint64_t off = 0; off < size; off++) {
        const struct sym_result *r = sym_lookup(c, m, start + off);
        const struct sym_func *outer = sym_func_get(c, r->frames[r->nframes - 1].func);
        assert_string_equal(outer->name, "symtest_outer");
        assert_false(outer->is_inline);
        if (r->nframes == 2) {
            const struct sym_func *in = sym_func_get(c, r->frames[0].func);
            assert_string_equal(in->name, "symtest_helper");
            assert_true(in->is_inline);
            /* The outer frame sits on the call site. */
            assert_int_equal(r->frames[1].line, symtest_call_line);
            assert_string_equal(r->frames[1].file, "test_symbolize.c");
            inlined++;
        }
    }
    assert_true(inlined > 0);
    sym_free(c);

    /* --no-inline: one frame per address, the caller at the call site. */
    c = sym_new(SYM_NO_INLINE);
    m = sym_module(c, exe, NULL, 0);
    for (uint64_t off = 0; off < size; off++) {
        const struct sym_result *r = sym_lookup(c, m, start + off);
        assert_int_equal(r->nframes, 1);
        assert_string_equal(sym_func_get(c, r->frames[0].func)->name, "symtest_outer");
    }
    sym_free(c);
}

static void test_missing_and_foreign_module(void **state)
{
    (void)state;
    struct sym_ctx *c = sym_new(0);
    int m = sym_module(c, "/nonexistent/dir/libgone.so.1", NULL, 0);
    const struct sym_result *r = sym_lookup(c, m, 0x16900);
    assert_int_equal(r->nframes, 1);
    assert_string_equal(sym_func_get(c, r->frames[0].func)->name, "libgone.so.1+0x16900");
    assert_int_equal(sym_nwarnings(c), 1);
    assert_non_null(strstr(sym_warning(c, 0), "/nonexistent/dir/libgone.so.1"));
    sym_lookup(c, m, 0x16901);
    assert_int_equal(sym_nwarnings(c), 1); /* once per module */

    /* Our own executable, but recorded with another build-id: never use its symbols. */
    const char *exe = self_path();
    uint64_t start, size;
    assert_int_equal(nm_extent(exe, "symtest_static_fn", &start, &size), 0);
    const uint8_t fake[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
    int m2 = sym_module(c, exe, fake, sizeof(fake));
    assert_true(m2 != m);
    r = sym_lookup(c, m2, start);
    char want[128];
    snprintf(want, sizeof(want), "%s+0x%" PRIx64, strrchr(exe, '/') + 1, start);
    assert_string_equal(sym_func_get(c, r->frames[0].func)->name, want);
    assert_int_equal(sym_nwarnings(c), 2);
    assert_non_null(strstr(sym_warning(c, 1), "build-id"));

    /* [vdso] has no file: offsets, no warning. Unknown module handle: [unknown]. */
    int v = sym_module(c, "[vdso]", NULL, 0);
    r = sym_lookup(c, v, 0x9a0);
    assert_string_equal(sym_func_get(c, r->frames[0].func)->name, "[vdso]+0x9a0");
    assert_int_equal(sym_nwarnings(c), 2);
    assert_string_equal(sym_func_get(c, sym_lookup(c, 99, 1)->frames[0].func)->name, "[unknown]");
    assert_string_equal(sym_func_get(c, sym_unknown(c)->frames[0].func)->name, "[unknown]");
    sym_free(c);
}

/* A stripped copy: no symbol covers a static function, so every address in it must become the
 * same `name+0xSTART` row from the FDE bounds, START being the function's real start. */
static void test_stripped_copy_groups_by_fde(void **state)
{
    (void)state;
    const char *exe = self_path();
    uint64_t start, size;
    assert_int_equal(nm_extent(exe, "symtest_static_fn", &start, &size), 0);
    char copy[] = "/tmp/symtest_stripped_XXXXXX";
    int fd = mkstemp(copy);
    assert_true(fd >= 0);
    close(fd);
    char cmd[8300];
    snprintf(cmd, sizeof(cmd), "objcopy --strip-all '%s' '%s'", exe, copy);
    assert_int_equal(system(cmd), 0);

    struct sym_ctx *c = sym_new(0);
    int m = sym_module(c, copy, NULL, 0);
    char want[128];
    snprintf(want, sizeof(want), "%s+0x%" PRIx64, strrchr(copy, '/') + 1, start);
    uint32_t func = UINT32_MAX;
    for (uint64_t off = 0; off < size; off++) {
        const struct sym_result *r = sym_lookup(c, m, start + off);
        assert_int_equal(r->nframes, 1);
        assert_string_equal(sym_func_get(c, r->frames[0].func)->name, want);
        if (func == UINT32_MAX)
            func = r->frames[0].func;
        assert_int_equal(r->frames[0].func, func); /* one row */
    }
    /* A function whose unwind table has several rows is still one row here. */
    assert_int_equal(nm_extent(exe, "symtest_rows", &start, &size), 0);
    snprintf(want, sizeof(want), "%s+0x%" PRIx64, strrchr(copy, '/') + 1, start);
    for (uint64_t off = 0; off < size; off++) {
        const struct sym_result *r = sym_lookup(c, m, start + off);
        assert_string_equal(sym_func_get(c, r->frames[0].func)->name, want);
    }
    /* Exported (.dynsym) names are still used, but only inside their extents. */
    assert_int_equal(nm_extent(exe, "symtest_outer", &start, &size), 0);
    const struct sym_result *r = sym_lookup(c, m, start + size / 2);
    const char *name = sym_func_get(c, r->frames[0].func)->name;
    assert_true(strcmp(name, "symtest_outer") == 0 || strstr(name, "+0x") != NULL);
    assert_int_equal(sym_nwarnings(c), 0);
    sym_free(c);
    unlink(copy);
}

/* Every FDE that readelf lists is in the table with the same bounds, and nothing else. */
static void test_fdetab_matches_readelf(void **state)
{
    (void)state;
    const char *exe = self_path();
    int fd = open(exe, O_RDONLY);
    assert_true(fd >= 0);
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    assert_non_null(elf);
    struct fdetab t;
    fdetab_init(&t);
    long n = fdetab_load(&t, elf, 0);
    assert_true(n > 10);

    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "readelf --debug-dump=frames '%s'", exe);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line[512];
    long seen = 0;
    while (fgets(line, sizeof(line), f)) {
        const char *pc = strstr(line, " FDE ");
        pc = pc ? strstr(pc, "pc=") : NULL;
        uint64_t s0, e0, s1, e1;
        if (!pc || sscanf(pc, "pc=%" SCNx64 "..%" SCNx64, &s0, &e0) != 2 || e0 == s0)
            continue;
        assert_int_equal(fdetab_find(&t, s0, &s1, &e1), 0);
        assert_int_equal(s1, s0);
        assert_int_equal(e1, e0);
        assert_int_equal(fdetab_find(&t, e0 - 1, &s1, &e1), 0);
        assert_int_equal(s1, s0);
        seen++;
    }
    pclose(f);
    assert_int_equal(seen, (long)t.n);
    uint64_t s1, e1;
    assert_int_equal(fdetab_find(&t, 0, &s1, &e1), -1);
    fdetab_free(&t);
    elf_end(elf);
    close(fd);

    /* Synthetic: gaps and ends are exclusive. */
    fdetab_init(&t);
    fdetab_add(&t, 0x200, 0x280);
    fdetab_add(&t, 0x100, 0x180);
    fdetab_add(&t, 0x300, 0x300); /* empty: ignored */
    fdetab_sort(&t);
    assert_int_equal(t.n, 2);
    assert_int_equal(fdetab_find(&t, 0x17f, &s1, &e1), 0);
    assert_int_equal(s1, 0x100);
    assert_int_equal(fdetab_find(&t, 0x180, &s1, &e1), -1);
    assert_int_equal(fdetab_find(&t, 0x250, &s1, &e1), 0);
    assert_int_equal(s1, 0x200);
    assert_int_equal(fdetab_find(&t, 0x300, &s1, &e1), -1);
    fdetab_free(&t);
}

int main(void)
{
    symtest_static_fn(3);
    symtest_outer(3, 4);
    symtest_rows(1, 2, 3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_symtab_extents),
        cmocka_unit_test(test_symtab_aliases),
        cmocka_unit_test(test_htab_and_strtab),
        cmocka_unit_test(test_demangle),
        cmocka_unit_test(test_static_function_and_cache),
        cmocka_unit_test(test_inline_frames),
        cmocka_unit_test(test_missing_and_foreign_module),
        cmocka_unit_test(test_stripped_copy_groups_by_fde),
        cmocka_unit_test(test_fdetab_matches_readelf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
