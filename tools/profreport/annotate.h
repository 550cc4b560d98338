/* SPDX-License-Identifier: MIT */
/* profreport --annotate FUNCTION: the function's source, each line with its samples and share,
 * read from the source files named in DWARF (--source-dir remaps them).
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROFREPORT_ANNOTATE_H
#define PROFREPORT_ANNOTATE_H

#include "export.h"

#include <prof/profile.h>

/* Prints the annotated source on stdout (or -o FILE). Returns 0, or -1 with a message on stderr
 * (no such function, no line information, source file not found). */
int annotate_run(const struct prof_profile *p, const struct export_options *eo);

#endif
