/*
 * text.h - pieces of the text form of traces (text.c) that other writers of
 * it use: runner/slice.c writes a test's events in it.
 */
#ifndef CT_ANALYSIS_TEXT_H
#define CT_ANALYSIS_TEXT_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

/* `n` bytes as the text form quotes a string: "..." with \" \\ \n \t and
 * \xHH for other bytes outside printable ASCII. */
void ctr__text_quote(FILE *out, const void *bytes, size_t n);

#endif /* CT_ANALYSIS_TEXT_H */
