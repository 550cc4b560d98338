/* SPDX-License-Identifier: MIT */
/* Loaded ELF objects, found with dl_iterate_phdr from the flusher and written as MODULE records so
 * an offline tool can symbolize by path and build-id. Flusher context only. */
#define _GNU_SOURCE
#include "format.h"
#include "runtime.h"

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct known_module {
    uint64_t id;
    uint64_t bias;
    char *name;
    int seen;
};

static struct known_module *known;
static size_t nknown, capknown;
static uint64_t next_id = 1;
static uint64_t last_scan_ns;
static unsigned long long last_adds, last_subs;
static int scanned_once;

struct scan_ctx {
    struct fmt_buf *out;
    uint64_t load_ns;
};

static void read_build_id(const struct dl_phdr_info *info, struct fmt_buf *body)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
            const uint8_t *name = p + sizeof(*nh), *desc = name + namesz;
            if (desc + descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                fmt_put_blob(body, desc, nh->n_descsz);
                return;
            }
            p = desc + descsz;
        }
    }
    fmt_put_blob(body, NULL, 0);
}

static const char *module_path(const char *dlpi_name, char *buf, size_t len)
{
    if (dlpi_name[0] == 0) {
        /* The main executable is reported with an empty name. */
        ssize_t n = readlink("/proc/self/exe", buf, len - 1);
        if (n < 0)
            return "[exe]";
        buf[n] = 0;
        return buf;
    }
    if (strncmp(dlpi_name, "linux-vdso", 10) == 0 || strncmp(dlpi_name, "linux-gate", 10) == 0)
        return "[vdso]";
    return dlpi_name;
}

static void emit_module(struct scan_ctx *ctx, uint64_t id, const char *path,
                        const struct dl_phdr_info *info)
{
    struct fmt_buf body;
    fmt_buf_init(&body);
    fmt_put_varint(&body, id);
    fmt_put_varint(&body, ctx->load_ns);
    fmt_put_string(&body, path);
    read_build_id(info, &body);
    fmt_put_varint(&body, info->dlpi_addr);
    int nload = 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        nload += info->dlpi_phdr[i].p_type == PT_LOAD;
    fmt_put_varint(&body, (uint64_t)nload);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        fmt_put_varint(&body, info->dlpi_addr + ph->p_vaddr);
        fmt_put_varint(&body, ph->p_memsz);
        fmt_put_varint(&body, ph->p_offset);
        fmt_put_varint(&body, ph->p_flags);
    }
    fmt_put_record(ctx->out, FMT_REC_MODULE, &body);
    fmt_buf_free(&body);
}

static int scan_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct scan_ctx *ctx = arg;
    char buf[4096];
    const char *path = module_path(info->dlpi_name, buf, sizeof(buf));
    for (size_t i = 0; i < nknown; i++) {
        if (known[i].bias == info->dlpi_addr && strcmp(known[i].name, path) == 0) {
            known[i].seen = 1;
            return 0;
        }
    }
    if (nknown == capknown) {
        size_t cap = capknown ? capknown * 2 : 64;
        struct known_module *k = realloc(known, cap * sizeof(*k));
        if (!k)
            return 0;
        known = k;
        capknown = cap;
    }
    char *name = strdup(path);
    if (!name)
        return 0;
    known[nknown] = (struct known_module){.id = next_id++, .bias = info->dlpi_addr, .name = name,
                                          .seen = 1};
    emit_module(ctx, known[nknown].id, path, info);
    nknown++;
    return 0;
}

static int read_counts(struct dl_phdr_info *info, size_t size, void *arg)
{
    unsigned long long *c = arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
        c[0] = info->dlpi_adds;
        c[1] = info->dlpi_subs;
    }
    return 1; /* the counters are the same in every entry: stop after the first */
}

void modules_scan(struct fmt_buf *out, uint64_t now_ns)
{
    /* dlpi_adds/subs change on every dlopen/dlclose: skip the walk when nothing changed. */
    unsigned long long c[2] = {0, 0};
    dl_iterate_phdr(read_counts, c);
    if (scanned_once && c[0] == last_adds && c[1] == last_subs && c[0] != 0) {
        last_scan_ns = now_ns;
        return;
    }
    /* A module first seen now was loaded after the previous scan: date it to that scan, so that
     * samples taken between the two scans still resolve against it. */
    struct scan_ctx ctx = {.out = out, .load_ns = scanned_once ? last_scan_ns : 0};
    for (size_t i = 0; i < nknown; i++)
        known[i].seen = 0;
    dl_iterate_phdr(scan_one, &ctx);
    size_t kept = 0;
    for (size_t i = 0; i < nknown; i++) {
        if (known[i].seen) {
            known[kept++] = known[i];
            continue;
        }
        struct fmt_buf body;
        fmt_buf_init(&body);
        fmt_put_varint(&body, known[i].id);
        fmt_put_varint(&body, now_ns);
        fmt_put_record(out, FMT_REC_MODULE_UNLOAD, &body);
        fmt_buf_free(&body);
        free(known[i].name);
    }
    nknown = kept;
    last_adds = c[0];
    last_subs = c[1];
    last_scan_ns = now_ns;
    scanned_once = 1;
}

void modules_reset(void)
{
    for (size_t i = 0; i < nknown; i++)
        free(known[i].name);
    free(known);
    known = NULL;
    nknown = capknown = 0;
    next_id = 1;
    scanned_once = 0;
    last_scan_ns = 0;
    last_adds = last_subs = 0;
}
