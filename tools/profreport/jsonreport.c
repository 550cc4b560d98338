/* SPDX-License-Identifier: MIT */
/* profreport --format json: header and tables as JSON. */
#include "jsonreport.h"

int json_report(FILE *out, const struct prof_profile *p, const struct export_options *eo)
{
    (void)out;
    (void)p;
    (void)eo;
    fprintf(stderr, "profreport: json: not implemented yet\n");
    return -1;
}
