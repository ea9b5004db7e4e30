/*
 * spill.c - bytes in memory up to a budget, then in an unlinked temporary
 * file (see spill.h).
 */
#include "spill.h"

#include <errno.h>  /* errno, EINTR, EOPNOTSUPP, EISDIR */
#include <fcntl.h>  /* open, O_TMPFILE, fallocate */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc, realloc, free, getenv, mkostemp, strtoull */
#include <string.h> /* memcpy, strerror, strlen, strcmp */
#include <unistd.h> /* write, pread, close, unlink */

#include <ctrace.h> /* CT_ENOMEM, CT_EIO */

#include "format/wire.h" /* ct_get_uvarint */

#define WRITE_BUFFER (256u * 1024u)

/* "16777216", "16MiB", "512KiB", "1GiB" (and without "iB"); 0 if not a size. */
static size_t parse_size(const char *text)
{
    char *end;
    unsigned long long n = strtoull(text, &end, 10);
    if (end == text)
        return 0;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
        end += strlen(end);
    if (*end || n > (SIZE_MAX >> shift))
        return 0;
    return (size_t)n << shift;
}

void ctv_tmp_init(ctv_tmp *t)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir || strlen(dir) >= sizeof t->dir)
        dir = "/tmp";
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    const char *budget = getenv("CTRACE_VIEW_MEMORY");
    t->budget = budget ? parse_size(budget) : 0;
    if (!t->budget)
        t->budget = CTV_SPILL_BUDGET;
    t->error[0] = '\0';
    t->files = 0;
    t->bytes = 0;
}

int ctv_tmp_fail(ctv_tmp *t, const char *doing, const char *what, int errnum)
{
    if (!ctv_tmp_failed(t))
        snprintf(t->error, sizeof t->error, "%s in %s (%s): %s", doing, t->dir, what,
                 errnum ? strerror(errnum) : "unknown error");
    return CT_EIO;
}

/* A new temporary file in t->dir that no name points to. @return its fd, or
 * -1 with t->error set. */
static int make_file(ctv_tmp *t, const char *what)
{
#ifdef O_TMPFILE
    int fd = open(t->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
        t->files++;
        return fd;
    }
    /* A file system (or kernel) without O_TMPFILE: make a file and unlink it. */
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
        ctv_tmp_fail(t, "cannot create a temporary file", what, errno);
        return -1;
    }
#endif
    char path[sizeof t->dir + 32];
    snprintf(path, sizeof path, "%s/ctest-trace.XXXXXX", t->dir);
    int made = mkostemp(path, O_CLOEXEC);
    if (made < 0) {
        ctv_tmp_fail(t, "cannot create a temporary file", what, errno);
        return -1;
    }
    unlink(path);
    t->files++;
    return made;
}

static int write_all(ctv_spill *s, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(s->fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) /* 0: a device that takes nothing is as full as ENOSPC */
            return ctv_tmp_fail(s->tmp, "cannot write a temporary file", s->what,
                                k < 0 ? errno : ENOSPC);
        p += k;
        n -= (size_t)k;
        s->tmp->bytes += (uint64_t)k;
    }
    return 0;
}

void ctv_spill_init(ctv_spill *s, ctv_tmp *tmp, const char *what, size_t mem_limit)
{
    memset(s, 0, sizeof *s);
    s->tmp = tmp;
    s->what = what;
    s->mem_limit = mem_limit;
    s->fd = -1;
}

/* From memory to a file: the bytes so far go first. */
static int go_to_file(ctv_spill *s)
{
    s->wbuf = malloc(WRITE_BUFFER);
    if (!s->wbuf)
        return CT_ENOMEM;
    s->fd = make_file(s->tmp, s->what);
    if (s->fd < 0)
        return CT_EIO;
    int rc = write_all(s, s->mem, s->mem_len);
    free(s->mem);
    s->mem = NULL;
    s->mem_len = s->mem_cap = 0;
    return rc;
}

int ctv_spill_append(ctv_spill *s, const void *bytes, size_t n)
{
    if (ctv_tmp_failed(s->tmp))
        return CT_EIO;
    if (n == 0)
        return 0;
    if (s->fd < 0 && s->mem_len + n <= s->mem_limit) {
        if (s->mem_len + n > s->mem_cap) {
            size_t cap = s->mem_cap ? s->mem_cap : 4096;
            while (cap < s->mem_len + n)
                cap *= 2;
            if (cap > s->mem_limit)
                cap = s->mem_limit;
            unsigned char *grown = realloc(s->mem, cap);
            if (!grown)
                return CT_ENOMEM;
            s->mem = grown;
            s->mem_cap = cap;
        }
        memcpy(s->mem + s->mem_len, bytes, n);
        s->mem_len += n;
        s->size += n;
        return 0;
    }
    if (s->fd < 0) {
        int rc = go_to_file(s);
        if (rc != 0)
            return rc;
    }
    const unsigned char *p = bytes;
    while (n > 0) {
        if (s->wlen == WRITE_BUFFER) {
            int rc = write_all(s, s->wbuf, s->wlen);
            if (rc != 0)
                return rc;
            s->wlen = 0;
        }
        size_t k = WRITE_BUFFER - s->wlen < n ? WRITE_BUFFER - s->wlen : n;
        memcpy(s->wbuf + s->wlen, p, k);
        s->wlen += k;
        s->size += k;
        p += k;
        n -= k;
    }
    return 0;
}

int ctv_spill_seal(ctv_spill *s)
{
    if (ctv_tmp_failed(s->tmp))
        return CT_EIO;
    if (s->fd < 0 || s->wlen == 0)
        return 0;
    int rc = write_all(s, s->wbuf, s->wlen);
    s->wlen = 0;
    return rc;
}

int ctv_spill_read(ctv_spill *s, uint64_t offset, void *buf, size_t n)
{
    if (offset > s->size || n > s->size - offset)
        return ctv_tmp_fail(s->tmp, "cannot read a temporary file", s->what, EIO);
    if (s->fd < 0) {
        memcpy(buf, s->mem + offset, n);
        return 0;
    }
    if (offset + n > s->size - s->wlen && ctv_spill_seal(s) != 0) /* not written out yet */
        return CT_EIO;
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = pread(s->fd, p, n, (off_t)offset);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return ctv_tmp_fail(s->tmp, "cannot read a temporary file", s->what,
                                k < 0 ? errno : EIO);
        p += k;
        n -= (size_t)k;
        offset += (uint64_t)k;
    }
    return 0;
}

void ctv_spill_discard(ctv_spill *s, uint64_t offset, uint64_t n)
{
    const uint64_t block = 4096;
    uint64_t from = (offset + block - 1) / block * block, to = (offset + n) / block * block;
    if (s->fd >= 0 && to > from) /* failing (no hole punching) costs only disk space */
        (void)fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from,
                        (off_t)(to - from));
}

void ctv_spill_free(ctv_spill *s)
{
    free(s->mem);
    free(s->wbuf);
    if (s->fd >= 0)
        close(s->fd);
    s->mem = s->wbuf = NULL;
    s->fd = -1;
    s->mem_len = s->mem_cap = s->wlen = 0;
    s->size = 0;
}

/* ---- cursors -------------------------------------------------------------------- */

int ctv_spill_cursor_init(ctv_spill_cursor *c, ctv_spill *s, uint64_t offset, uint64_t end,
                          size_t buf_cap)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->pos = offset;
    c->end = end < s->size ? end : s->size;
    if (s->fd < 0)
        return 0;
    c->buf_cap = buf_cap ? buf_cap : 4096;
    c->buf = malloc(c->buf_cap);
    return c->buf ? 0 : CT_ENOMEM;
}

void ctv_spill_cursor_seek(ctv_spill_cursor *c, uint64_t offset)
{
    c->pos = offset;
}

const unsigned char *ctv_spill_cursor_get(ctv_spill_cursor *c, size_t n)
{
    if (c->pos > c->end || n > c->end - c->pos)
        return NULL;
    if (c->s->fd < 0) {
        const unsigned char *p = c->s->mem + c->pos;
        c->pos += n;
        return p;
    }
    if (n > c->buf_cap)
        return NULL;
    if (c->pos < c->buf_offset || c->pos + n > c->buf_offset + c->buf_len) {
        uint64_t left = c->end - c->pos;
        size_t want = left < c->buf_cap ? (size_t)left : c->buf_cap;
        if (ctv_spill_read(c->s, c->pos, c->buf, want) != 0)
            return NULL;
        c->buf_offset = c->pos;
        c->buf_len = want;
    }
    const unsigned char *p = c->buf + (c->pos - c->buf_offset);
    c->pos += n;
    return p;
}

int ctv_spill_cursor_bytes(ctv_spill_cursor *c, size_t n, const unsigned char **out,
                           unsigned char **scratch, size_t *scratch_cap)
{
    if (n <= c->buf_cap || !c->buf) {
        *out = ctv_spill_cursor_get(c, n);
        if (*out)
            return 0;
        if (!ctv_tmp_failed(c->s->tmp))
            ctv_tmp_fail(c->s->tmp, "cannot read back a temporary file", c->s->what, EIO);
        return CT_EIO;
    }
    if (n > *scratch_cap) {
        unsigned char *grown = realloc(*scratch, n);
        if (!grown)
            return CT_ENOMEM;
        *scratch = grown;
        *scratch_cap = n;
    }
    if (c->pos > c->end || n > c->end - c->pos || ctv_spill_read(c->s, c->pos, *scratch, n) != 0)
        return ctv_tmp_fail(c->s->tmp, "cannot read back a temporary file", c->s->what, EIO);
    c->pos += n;
    *out = *scratch;
    return 0;
}

int ctv_spill_cursor_varint(ctv_spill_cursor *c, uint64_t *v)
{
    uint64_t left = c->end > c->pos ? c->end - c->pos : 0;
    size_t n = left < CT_UVARINT_MAX ? (size_t)left : CT_UVARINT_MAX;
    uint64_t start = c->pos;
    const unsigned char *p = ctv_spill_cursor_get(c, n);
    unsigned used = p ? ct_get_uvarint(p, p + n, v) : 0;
    if (!used) {
        if (!ctv_tmp_failed(c->s->tmp))
            ctv_tmp_fail(c->s->tmp, "cannot read back a temporary file", c->s->what, EIO);
        return CT_EIO;
    }
    c->pos = start + used;
    return 0;
}

void ctv_spill_cursor_free(ctv_spill_cursor *c)
{
    free(c->buf);
    c->buf = NULL;
}
