/*
 * gzip.h - write a gzip file (RFC 1952) with zlib.
 *
 * The profile writer needs gzip because pprof reads profile.proto gzipped.
 */
#ifndef CTV_GZIP_H
#define CTV_GZIP_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

/*! ctv_gzip_write() : write `data` (len bytes) to f as one gzip member
 *  (no name, mtime 0) with its CRC-32 and length.
 *  @return 0, or -1 with errno (ENOMEM, or what writing to f set; EIO when
 *  stdio left errno unset). */
int ctv_gzip_write(FILE *f, const void *data, size_t len);

#endif /* CTV_GZIP_H */
