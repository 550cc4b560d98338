/* SPDX-License-Identifier: MIT */
/* profreport --format json: the header and every table of the text report as one JSON document
 * (schema: docs/json.md).
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_JSONREPORT_H
#define PROFREPORT_JSONREPORT_H

#include "export.h"

#include <prof/profile.h>
#include <stdio.h>

/* Writes the document. Returns 0, or -1 with a message on stderr. */
int json_report(FILE *out, const struct prof_profile *p, const struct export_options *eo);

#endif
