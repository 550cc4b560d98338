/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the record reader and the profile loader. Built by CMake with
 * -DPROF_FUZZ=ON and clang (tests/fuzz/CMakeLists.txt); run by scripts/sanitize-and-fuzz.sh:
 *   build-fuzz/tests/fuzz/fuzz_reader -max_len=65536 CORPUS_DIR tests/fuzz/seeds
 * Seeds: any profile written by libprof.so. Inputs starting with 'P' are record payloads instead: they
 * are framed into valid chunks (split at each 0xff 0xfe pair), so the fuzzer gets past the checksums
 * and reaches the record decoders. */
#include "fuzz_common.h"

#include "prof/profile.h"

#include <stdint.h>
#include <stdlib.h>

/* Walk every record; the reader must end with 0 or an error, never loop or crash. */
static void fuzz_records(const uint8_t *data, size_t size)
{
    struct prof_reader *r = NULL;
    struct prof_record rec;
    int ret = prof_reader_open_mem(data, size, "fuzz", &r);
    size_t n = 0;
    while (ret >= 0 && (ret = prof_reader_next(r, &rec)) > 0)
        n += rec.raw_len > 0; /* touch the record */
    (void)n;
    (void)prof_reader_error(r);
    prof_reader_close(r);
}

/* The loader works on paths: the input goes to a private temporary file. Every sample's frames are
 * looked up, as the tools do. */
static void fuzz_loader(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp("reader", data, size);
    if (!path)
        return;
    const char *files[2] = {path, path}; /* loading twice also exercises the merge */
    struct prof_profile *p = NULL;
    char err[256];
    for (size_t nfiles = 1; nfiles <= 2; nfiles++) {
        if (prof_profile_load(files, nfiles, &p, err, sizeof(err)) != 0)
            return;
        for (size_t i = 0; i < p->nsamples; i++) {
            const struct prof_stack *s = &p->stacks[p->samples[i].stack];
            for (uint32_t k = 0; k < s->nframes; k++)
                (void)prof_profile_find_module(p, p->samples[i].process, s->frames[k],
                                               p->samples[i].time_ns);
        }
        (void)prof_profile_counter(p, FMT_CTR_SAMPLES);
        prof_profile_free(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fmt_buf b;
    const uint8_t *file;
    size_t len;
    fmt_buf_init(&b);
    if (fuzz_file_bytes(data, size, &b, &file, &len) == 0) {
        fuzz_records(file, len);
        fuzz_loader(file, len);
    }
    fmt_buf_free(&b);
    return 0;
}
