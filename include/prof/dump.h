/* SPDX-License-Identifier: MIT */
/* Record-by-record text dump of a profile file, in the terms of docs/format.md (profreport --dump).
 *
 * Thread contract: plain library code, not async-signal-safe; the runtime never calls it. */
#ifndef PROF_DUMP_H
#define PROF_DUMP_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prints every record of the profile at `path` to `out`, one line per record (SAMPLES, MODULE and
 * COUNTERS add one indented line per element), then a final line: "end: N records in M chunks" or
 * "damage: <reader message>". Returns 0 for an intact file, else the reader's negative error
 * (-errno or PROF_E_*) with "PATH: reason" in errbuf (which may be NULL). Records before the damage
 * are printed in any case. */
int prof_dump(FILE *out, const char *path, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
