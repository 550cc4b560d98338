/* SPDX-License-Identifier: MIT */
/* profreport --annotate: per-line samples of one function over its source text. */
#include "annotate.h"

#include <stdio.h>

int annotate_run(const struct prof_profile *p, const struct export_options *eo)
{
    (void)p;
    fprintf(stderr, "profreport: --annotate %s: not implemented yet\n", eo->annotate);
    return -1;
}
