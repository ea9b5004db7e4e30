/*
 * gzip.c - one gzip member through zlib's deflate (see gzip.h).
 */
#include "gzip.h"

#include <errno.h>  /* errno, ENOMEM, EIO */
#include <limits.h> /* UINT_MAX */
#include <zlib.h>   /* deflateInit2, deflate, deflateEnd */

#define GZIP_WINDOW (15 + 16) /* 32 KiB window, gzip header and trailer */
#define CHUNK 65536

int ctv_gzip_write(FILE *f, const void *data, size_t len)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        errno = ENOMEM;
        return -1;
    }
    unsigned char out[CHUNK];
    const unsigned char *in = data;
    size_t left = len;
    int rc = Z_OK;
    errno = 0;
    while (rc == Z_OK) {
        if (z.avail_in == 0 && left > 0) { /* avail_in is an unsigned int */
            z.avail_in = left > UINT_MAX ? UINT_MAX : (unsigned)left;
            z.next_in = (unsigned char *)in;
            in += z.avail_in;
            left -= z.avail_in;
        }
        z.next_out = out;
        z.avail_out = sizeof out;
        rc = deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_BUF_ERROR) /* no progress possible yet: not an error */
            rc = Z_OK;
        size_t n = sizeof out - z.avail_out;
        if (n && fwrite(out, 1, n, f) != n) {
            deflateEnd(&z);
            if (errno == 0)
                errno = EIO;
            return -1;
        }
    }
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        errno = rc == Z_MEM_ERROR ? ENOMEM : EIO;
        return -1;
    }
    return 0;
}
