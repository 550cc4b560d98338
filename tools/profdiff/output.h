/* SPDX-License-Identifier: MIT */
/* profdiff output: text tables and the JSON document (schema in docs/profdiff.md). */
#ifndef PROF_DIFF_OUTPUT_H
#define PROF_DIFF_OUTPUT_H

#include "diffdata.h"

#include <stdio.h>

struct out_options {
    const struct dd_params *params;
    size_t top;       /* rows per table in text (0 = all) */
    int exit_status;  /* what profdiff will exit with (0 or 1), reported in JSON */
};

void out_text(FILE *out, const struct dd_set *s, const struct out_options *o);
void out_json(FILE *out, const struct dd_set *s, const struct out_options *o);

/* JSON string (escaped, quoted) and number (null when not finite), for the regions' object. */
void out_json_str(FILE *out, const char *s);
void out_json_num(FILE *out, double v);

#endif
