/* SPDX-License-Identifier: MIT */
/* libFuzzer target for profdiff's input path: two fuzzed profiles are loaded, aggregated
 * (symbolized), compared and printed as text and JSON, exactly as profdiff's main does. Built by
 * CMake with -DPROF_FUZZ=ON and clang; run by scripts/sanitize-and-fuzz.sh.
 *
 * Input: byte 0 = flags (bit 0 --by line, bit 1 --no-inline), bytes 1-2 = little-endian length of
 * the BASE profile (taken modulo what is left), then BASE, then NEW. Each profile follows
 * fuzz_reader's convention: a leading 'P' means "record payloads, framed into valid chunks". */
#include "fuzz_common.h"

#include "diffdata.h"
#include "output.h"
#include "symbolize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *fuzz_null(void)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    return devnull;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    int by_line = data[0] & 1;
    int sym_flags = (data[0] & 2) ? SYM_NO_INLINE : 0;
    size_t rest = size - 3;
    size_t alen = ((size_t)data[1] | (size_t)data[2] << 8) % (rest + 1);
    const uint8_t *a = data + 3, *b = a + alen;
    size_t blen = rest - alen;

    struct fmt_buf ta, tb;
    const uint8_t *fa, *fb;
    size_t la, lb;
    fmt_buf_init(&ta);
    fmt_buf_init(&tb);
    const char *files[2] = {NULL, NULL};
    if (fuzz_file_bytes(a, alen, &ta, &fa, &la) == 0 && fuzz_file_bytes(b, blen, &tb, &fb, &lb) == 0) {
        files[0] = fuzz_write_temp("diff_base", fa, la);
        files[1] = fuzz_write_temp("diff_new", fb, lb);
    }
    if (files[0] && files[1]) {
        struct dd_set set;
        char err[1024];
        struct dd_params pp = {.threshold = 0.10, .confidence = 0.99, .min_samples = 1,
                               .run_noise = 0.08};
        if (dd_load(&set, files, 1, 2, by_line, sym_flags, err, sizeof(err)) == 0) {
            dd_compare(&set, &pp);
            size_t nreg = 0;
            for (size_t k = 0; k < set.nmeasures; k++)
                nreg += dd_regressions(&set, k);
            struct out_options oo = {.params = &pp, .top = 0, .exit_status = nreg ? 1 : 0};
            FILE *out = fuzz_null();
            if (out) {
                out_text(out, &set, &oo);
                out_json(out, &set, &oo);
            }
        }
        dd_free(&set);
    }
    fmt_buf_free(&ta);
    fmt_buf_free(&tb);
    return 0;
}
