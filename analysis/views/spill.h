/*
 * spill.h - bytes a view cannot keep in memory: held in memory up to a
 * budget, then in a temporary file, so a view's memory stays bounded however
 * large the trace.
 *
 * Temporary files go in $TMPDIR (default /tmp) and are unlinked from the
 * start (O_TMPFILE, else unlinked right after they are made): nothing is left
 * behind, even by a crash. A failure (a full disk, no such directory) never
 * cuts the output silently: the first one is kept in the ctv_tmp the spills
 * share, as a message naming the directory, what was being spilled and why
 * ("cannot write a temporary file in /tmp (tasks: regions and logs): No
 * space left on device"), and every later call fails too.
 *
 * A ctv_spill is append-only; it is read back at any offset, after
 * ctv_spill_seal(). sort.h builds an external merge sort on it.
 */
#ifndef CTV_SPILL_H
#define CTV_SPILL_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#define CTV_SPILL_DIR_MAX 1024
#define CTV_SPILL_ERROR_MAX (CTV_SPILL_DIR_MAX + 512)

#define CTV_SPILL_BUDGET (16u << 20) /* default of CTRACE_VIEW_MEMORY */

/* What the spills of one view share: where files go, how much memory a sort
 * may hold before it spills, and the first failure. */
typedef struct ctv_tmp {
    char dir[CTV_SPILL_DIR_MAX];
    size_t budget; /* CTRACE_VIEW_MEMORY (bytes, or with KiB/MiB/GiB), else
                      CTV_SPILL_BUDGET: a view's largest sort buffer */
    char error[CTV_SPILL_ERROR_MAX]; /* "" while nothing failed */
    uint64_t files;                  /* temporary files made */
    uint64_t bytes;                  /* bytes written to them */
} ctv_tmp;

/*! ctv_tmp_init() : take the directory from $TMPDIR (default /tmp) and the
 *  budget from $CTRACE_VIEW_MEMORY. */
void ctv_tmp_init(ctv_tmp *t);

/*! ctv_tmp_failed() : whether a spill of `t` failed; t->error says how. */
static inline int ctv_tmp_failed(const ctv_tmp *t)
{
    return t->error[0] != '\0';
}

/*! ctv_tmp_fail() : record a failure (the first one is kept), as
 *  "DOING (WHAT): strerror(errnum)". @return CT_EIO. */
int ctv_tmp_fail(ctv_tmp *t, const char *doing, const char *what, int errnum);

typedef struct ctv_spill {
    ctv_tmp *tmp;
    const char *what;      /* names the spill in messages */
    unsigned char *mem;    /* the bytes, while they fit in mem_limit */
    size_t mem_len, mem_cap, mem_limit;
    int fd;                /* -1 while in memory */
    unsigned char *wbuf;   /* appends not written to fd yet */
    size_t wlen;
    uint64_t size;         /* bytes appended */
} ctv_spill;

/*! ctv_spill_init() : an empty spill kept in memory up to `mem_limit` bytes
 *  (0: straight to a file). `what` names it in messages. */
void ctv_spill_init(ctv_spill *s, ctv_tmp *tmp, const char *what, size_t mem_limit);

/*! ctv_spill_append() : add n bytes at the end.
 *  @return 0, CT_ENOMEM, or CT_EIO (tmp->error says what failed). */
int ctv_spill_append(ctv_spill *s, const void *bytes, size_t n);

/*! ctv_spill_seal() : write out what is buffered so the bytes can be read.
 *  More may be appended later (seal again before reading them).
 *  @return 0 or CT_EIO. */
int ctv_spill_seal(ctv_spill *s);

/*! ctv_spill_read() : n bytes at `offset` (sealed bytes only) into buf.
 *  @return 0, or CT_EIO (reading failed, or the range is past the end). */
int ctv_spill_read(ctv_spill *s, uint64_t offset, void *buf, size_t n);

/*! ctv_spill_discard() : bytes [offset, offset + n) will not be read again:
 *  their disk space goes back (on file systems that punch holes; whole
 *  blocks only). Reading them afterwards gives zeros. */
void ctv_spill_discard(ctv_spill *s, uint64_t offset, uint64_t n);

/*! ctv_spill_memory() : the bytes, when they are all in memory; else NULL. */
static inline const unsigned char *ctv_spill_memory(const ctv_spill *s)
{
    return s->fd < 0 ? s->mem : NULL;
}

/*! ctv_spill_free() : free the memory and close the file (which goes away). */
void ctv_spill_free(ctv_spill *s);

/* A reader of a spill from an offset on, through a buffer: sequential reads
 * cost a copy, a jump out of the buffer one pread. */
typedef struct ctv_spill_cursor {
    ctv_spill *s;
    uint64_t pos;         /* offset of the next byte */
    uint64_t end;         /* the cursor reads nothing at or past it */
    unsigned char *buf;   /* NULL when the spill is in memory */
    size_t buf_cap, buf_len;
    uint64_t buf_offset;  /* offset of buf[0] */
} ctv_spill_cursor;

/*! ctv_spill_cursor_init() : a cursor over [offset, end) of sealed bytes,
 *  with a buffer of buf_cap bytes. @return 0 or CT_ENOMEM. */
int ctv_spill_cursor_init(ctv_spill_cursor *c, ctv_spill *s, uint64_t offset, uint64_t end,
                          size_t buf_cap);

/*! ctv_spill_cursor_seek() : read from `offset` on (the buffer is kept when
 *  it holds that offset). */
void ctv_spill_cursor_seek(ctv_spill_cursor *c, uint64_t offset);

/*! ctv_spill_cursor_get() : a pointer to the next n bytes (n <= buf_cap),
 *  valid until the next call on the cursor, and moves past them.
 *  @return NULL when they are not all there (tmp->error set if reading
 *  failed). */
const unsigned char *ctv_spill_cursor_get(ctv_spill_cursor *c, size_t n);

/*! ctv_spill_cursor_bytes() : the next n bytes, however many: in the
 *  cursor's buffer, or copied into *scratch (grown as needed, *scratch_cap
 *  its size; the caller frees it) when they do not fit it. *out is valid
 *  until the next call on the cursor. @return 0, CT_ENOMEM, or CT_EIO. */
int ctv_spill_cursor_bytes(ctv_spill_cursor *c, size_t n, const unsigned char **out,
                           unsigned char **scratch, size_t *scratch_cap);

/*! ctv_spill_cursor_varint() : the next unsigned LEB128 varint.
 *  @return 0, or CT_EIO when the bytes end or are malformed. */
int ctv_spill_cursor_varint(ctv_spill_cursor *c, uint64_t *v);

void ctv_spill_cursor_free(ctv_spill_cursor *c);

#endif /* CTV_SPILL_H */
