/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the record reader and the profile loader (not built by CMake). Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isrc tests/fuzz/fuzz_reader.c \
 *         src/reader.c src/profile.c src/format.c -lz -o fuzz_reader
 *   ./fuzz_reader -max_len=65536 tests/fuzz/corpus
 * Seeds: any profile written by libprof.so. Inputs starting with 'P' are record payloads instead: they
 * are framed into valid chunks (split at each 0xff 0xfe pair), so the fuzzer gets past the checksums
 * and reaches the record decoders. */
#include "format.h"
#include "prof/profile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
    prof_reader_close(r);
}

/* The loader works on paths: write the input to a private temporary file. */
static void fuzz_loader(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/fuzz_reader.%d", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    fwrite(data, 1, size, f);
    fclose(f);
    const char *files[1] = {path};
    struct prof_profile *p = NULL;
    char err[256];
    if (prof_profile_load(files, 1, &p, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < p->nsamples; i++) {
            const struct prof_stack *s = &p->stacks[p->samples[i].stack];
            for (uint32_t k = 0; k < s->nframes; k++)
                (void)prof_profile_find_module(p, p->samples[i].process, s->frames[k],
                                               p->samples[i].time_ns);
        }
        prof_profile_free(p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Wraps payload bytes into a valid file: header + one chunk per 0xff 0xfe separated piece. */
static int fuzz_frame(const uint8_t *data, size_t size, struct fmt_buf *out)
{
    uint8_t h[FMT_FILE_HEADER_LEN];
    fmt_file_header(h);
    fmt_put_bytes(out, h, sizeof(h));
    size_t from = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || (i + 1 < size && data[i] == 0xff && data[i + 1] == 0xfe)) {
            if (fmt_make_chunk(out, data + from, i - from, 1) < 0)
                return -1;
            from = i + 2;
            i++;
        }
    }
    return out->failed ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'P') {
        struct fmt_buf b;
        fmt_buf_init(&b);
        if (fuzz_frame(data + 1, size - 1, &b) == 0) {
            fuzz_records(b.data, b.len);
            fuzz_loader(b.data, b.len);
        }
        fmt_buf_free(&b);
        return 0;
    }
    fuzz_records(data, size);
    fuzz_loader(data, size);
    return 0;
}
