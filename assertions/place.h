/*
 * place.h - where in the program a stack points, for assertion messages.
 */
#ifndef CT_ASSERTIONS_PLACE_H
#define CT_ASSERTIONS_PLACE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

/* Name pcs[0..n) (return addresses, innermost first) as "function
 * (file.c:line)", from the innermost frame of the program that has a line
 * (frames in the C library are passed over), else "function (module)", else
 * the address. Into out (cap bytes); "" when n is 0. Outside the tracer:
 * reads ELF files and allocates. */
void ct__place_name(const uint64_t *pcs, unsigned n, char *out, size_t cap);

#endif /* CT_ASSERTIONS_PLACE_H */
