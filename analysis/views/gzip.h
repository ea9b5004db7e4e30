/*
 * gzip.h - write a gzip file (RFC 1952) without zlib.
 *
 * The profile writer needs gzip because pprof reads profile.proto gzipped,
 * and the project links no zlib. The DEFLATE stream (RFC 1951) is one block
 * of LZ77 matches coded with the fixed Huffman codes, or stored blocks when
 * that would not be smaller (random bytes). Fixed codes cost a few percent
 * against zlib's dynamic ones on text like a profile's string table; the
 * point is the long repeats (names, paths), which LZ77 catches either way.
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
