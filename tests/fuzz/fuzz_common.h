/* SPDX-License-Identifier: MIT */
/* Helpers shared by the libFuzzer targets: framing raw record payloads into valid chunks (so the
 * fuzzer gets past the checksums), and writing an input to a private temporary file (the loader
 * and profdiff work on paths). Single-threaded, like libFuzzer's default. */
#ifndef PROF_FUZZ_COMMON_H
#define PROF_FUZZ_COMMON_H

#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

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

/* The bytes a fuzz input stands for: inputs starting with 'P' are record payloads, framed into a
 * valid file in *tmp (the caller frees it); anything else is a file as is. Returns 0 or -1. */
static int fuzz_file_bytes(const uint8_t *data, size_t size, struct fmt_buf *tmp,
                           const uint8_t **out, size_t *outlen)
{
    if (size > 0 && data[0] == 'P') {
        if (fuzz_frame(data + 1, size - 1, tmp) != 0)
            return -1;
        *out = tmp->data;
        *outlen = tmp->len;
        return 0;
    }
    *out = data;
    *outlen = size;
    return 0;
}

/* Writes bytes to /tmp/fuzz_<tag>.<pid> (reused across inputs) and returns that path, or NULL. */
static const char *fuzz_write_temp(const char *tag, const uint8_t *data, size_t size)
{
    static char paths[4][64];
    static int used;
    char *path = paths[used++ & 3];
    snprintf(path, sizeof(paths[0]), "/tmp/fuzz_%s.%d", tag, (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    if (size && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return NULL;
    }
    return fclose(f) == 0 ? path : NULL;
}

#endif
