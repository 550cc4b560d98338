/* SPDX-License-Identifier: MIT */
/* Minimal JSON output helpers: escaped strings and numbers for hand-written documents.
 *
 * Thread contract: plain single-threaded tool code. */
#ifndef PROF_JSON_OUT_H
#define PROF_JSON_OUT_H

#include <stdio.h>

/* Writes `s` as a JSON string literal (quotes included; control characters, '"' and '\\'
 * escaped; bytes >= 0x80 passed through as UTF-8). NULL is written as null. */
void json_str(FILE *out, const char *s);
/* Writes a finite double with enough digits, or null for NaN/infinity. */
void json_num(FILE *out, double v);

#endif
