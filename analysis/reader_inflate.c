/*
 * reader_inflate.c - a trace's zstd frames to the bytes of its records.
 *
 * zstd takes about 40% of a view's time. For a large trace a thread of its
 * own decompresses ahead into a ring of blocks while the reading thread
 * decodes events; a small one (or a machine with one CPU) is decompressed
 * in the reading thread, straight into the reader's buffer. Either way the
 * reader sees the same bytes, then the same end: clean, or damage with the
 * compressed offset where it was found and every byte decompressed before it.
 */
#include "analysis/reader_internal.h"

#include <errno.h>   /* errno */
#include <pthread.h> /* pthread_create */
#include <signal.h>  /* pthread_sigmask */
#include <stdlib.h>  /* malloc, free, getenv */
#include <string.h>  /* memcpy, memmove, strcmp */
#include <unistd.h>  /* sysconf */

#define IN_CAP (128u << 10)
#define BLOCK_BYTES (256u << 10)  /* a little under L2, as the reader's buffer */
#define BLOCKS 4                  /* how far the thread runs ahead */
#define THREAD_MIN_BYTES (8u << 20) /* smaller traces: no thread worth starting */
#define HEADROOM (64u << 10)      /* before a block's bytes: room for the record the
                                     reader has begun (a chunk), moved there */
#define WINDOW_LOG_MAX 24         /* refuse frames that need more than 16 MiB */
#define WHY_MAX 200

typedef struct block {
    uint8_t *buf;    /* HEADROOM bytes, then the block's len */
    size_t cap, len; /* cap: of buf (a buffer of the reader's, once swapped) */
    uint64_t offset; /* compressed bytes read when it was made */
    int end;         /* 0 data; 1 the clean end; -1 damage (why) */
    char why[WHY_MAX];
} block;

struct ctr_inflater {
    /* The compressed side: the reading thread's, or the inflating thread's
     * once it runs. */
    FILE *f;
    ZSTD_DCtx *dctx;
    uint8_t *in;
    size_t in_len, in_pos;
    uint64_t in_file_offset; /* file offset of in[0] */
    int in_eof;
    size_t frame_hint;       /* last ZSTD_decompressStream result: 0 = frame done */

    /* The thread and its ring of blocks. */
    int threaded;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t made, taken;
    block ring[BLOCKS];
    unsigned head, count; /* the oldest block made, and how many wait */
    int stop;
};

static uint64_t offset_now(const ctr_inflater *z)
{
    return z->in_file_offset + z->in_pos;
}

/* Decompress into out[*len, cap): stop at progress when `eager`, else when
 * out is full. @return 1 progress or full, 0 clean end, -1 damage (why). */
static int inflate_some(ctr_inflater *z, uint8_t *out, size_t cap, size_t *len, int eager,
                        char *why)
{
    for (;;) {
        if (z->in_pos == z->in_len && !z->in_eof) {
            z->in_file_offset += z->in_len;
            z->in_len = fread(z->in, 1, IN_CAP, z->f);
            z->in_pos = 0;
            if (z->in_len == 0) {
                z->in_eof = 1;
                if (ferror(z->f)) {
                    snprintf(why, WHY_MAX, "read error: %s", strerror(errno));
                    return -1;
                }
            }
        }
        if (z->in_pos == z->in_len) {
            if (z->frame_hint != 0) {
                snprintf(why, WHY_MAX, "truncated: the file ends inside a compressed frame");
                return -1;
            }
            return *len > 0 && !eager ? 1 : 0;
        }
        ZSTD_inBuffer in = {z->in, z->in_len, z->in_pos};
        ZSTD_outBuffer o = {out, cap, *len};
        size_t ret = ZSTD_decompressStream(z->dctx, &o, &in);
        z->in_pos = in.pos;
        if (ZSTD_isError(ret)) {
            snprintf(why, WHY_MAX, "zstd: %s", ZSTD_getErrorName(ret));
            return -1;
        }
        z->frame_hint = ret;
        int progress = o.pos > *len;
        *len = o.pos;
        if ((progress && eager) || o.pos == o.size)
            return 1;
    }
}

/* ---- the thread -------------------------------------------------------------- */

static void *inflate_ahead(void *arg)
{
    ctr_inflater *z = arg;
    for (;;) {
        pthread_mutex_lock(&z->lock);
        while (z->count == BLOCKS && !z->stop)
            pthread_cond_wait(&z->taken, &z->lock);
        int stop = z->stop;
        block *b = &z->ring[(z->head + z->count) % BLOCKS];
        pthread_mutex_unlock(&z->lock);
        if (stop)
            return NULL;
        /* The block is this thread's until counted: the reader takes only those. */
        b->len = 0;
        int rc = inflate_some(z, b->buf + HEADROOM, b->cap - HEADROOM, &b->len, 0, b->why);
        b->offset = offset_now(z);
        b->end = rc == 1 ? 0 : rc == 0 ? 1 : -1;
        pthread_mutex_lock(&z->lock);
        z->count++;
        pthread_cond_signal(&z->made);
        pthread_mutex_unlock(&z->lock);
        if (b->end)
            return NULL;
    }
}

/* Start the thread, with every signal blocked (it runs no code of the
 * program's). @return 0, or -1: decompress in the reading thread. */
static int start_thread(ctr_inflater *z)
{
    for (int i = 0; i < BLOCKS; i++) {
        z->ring[i].cap = HEADROOM + BLOCK_BYTES;
        z->ring[i].buf = malloc(z->ring[i].cap);
        if (!z->ring[i].buf)
            return -1;
    }
    if (pthread_mutex_init(&z->lock, NULL) != 0)
        return -1;
    pthread_cond_init(&z->made, NULL);
    pthread_cond_init(&z->taken, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&z->thread, NULL, inflate_ahead, z);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&z->made);
        pthread_cond_destroy(&z->taken);
        pthread_mutex_destroy(&z->lock);
        return -1;
    }
    z->threaded = 1;
    return 0;
}

/* ---- the reader's side --------------------------------------------------------- */

/* Whether a thread decompresses ahead: CTRACE_READ_AHEAD=on always, off
 * never; by default for a large trace on a machine of several CPUs. */
static int read_ahead(uint64_t file_bytes)
{
    const char *want = getenv("CTRACE_READ_AHEAD");
    if (want && strcmp(want, "on") == 0)
        return 1;
    if (want && strcmp(want, "off") == 0)
        return 0;
    return file_bytes >= THREAD_MIN_BYTES && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

int ctr__inflate_open(ctr_reader *r, FILE *f, uint64_t offset, uint64_t file_bytes)
{
    ctr_inflater *z = calloc(1, sizeof *z);
    if (!z)
        return CT_ENOMEM;
    r->inflate = z;
    z->f = f;
    z->in_file_offset = offset;
    z->in = malloc(IN_CAP);
    z->dctx = ZSTD_createDCtx();
    if (!z->in || !z->dctx)
        return CT_ENOMEM;
    ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX);
    r->in_offset = offset;
    if (read_ahead(file_bytes))
        start_thread(z); /* if it cannot start: in this thread */
    return 0;
}

/* Room in r->dec for `n` more bytes after what is not parsed yet. */
static int make_room(ctr_reader *r, size_t n)
{
    if (r->dec_start > 0) {
        memmove(r->dec, r->dec + r->dec_start, r->dec_end - r->dec_start);
        r->dec_end -= r->dec_start;
        r->dec_start = 0;
    }
    if (r->dec_cap - r->dec_end >= n)
        return 0;
    uint8_t *dec = realloc(r->dec, r->dec_end + n);
    if (!dec) {
        r->final_rc = CT_ENOMEM;
        return -1;
    }
    r->dec = dec;
    r->dec_cap = r->dec_end + n;
    return 0;
}

/* The oldest block is taken: room for the thread to make another. */
static void pop(ctr_inflater *z)
{
    pthread_mutex_lock(&z->lock);
    z->head = (z->head + 1) % BLOCKS;
    z->count--;
    pthread_cond_signal(&z->taken);
    pthread_mutex_unlock(&z->lock);
}

/* The next block the thread made: its bytes appended to r->dec. Most
 * often the block's buffer becomes r->dec, with what was left of r->dec
 * (a record begun) moved into its headroom, and r->dec's buffer goes to
 * the ring: the block is not copied. The bytes of the last block come
 * first, its end (clean or damage) at the next call, and every call after:
 * the last block stays. */
static int take_block(ctr_reader *r, ctr_inflater *z)
{
    pthread_mutex_lock(&z->lock);
    while (z->count == 0)
        pthread_cond_wait(&z->made, &z->lock);
    block *b = &z->ring[z->head];
    pthread_mutex_unlock(&z->lock);
    r->in_offset = b->offset;
    if (b->len > 0) {
        size_t tail = r->dec_end - r->dec_start;
        if (tail <= HEADROOM && r->dec_cap > HEADROOM) {
            uint8_t *buf = b->buf;
            size_t cap = b->cap;
            memcpy(buf + HEADROOM - tail, r->dec + r->dec_start, tail);
            b->buf = r->dec; /* the thread's only once popped */
            b->cap = r->dec_cap;
            r->dec = buf;
            r->dec_cap = cap;
            r->dec_start = HEADROOM - tail;
            r->dec_end = HEADROOM + b->len;
        } else {
            if (make_room(r, b->len) != 0)
                return -1;
            memcpy(r->dec + r->dec_end, b->buf + HEADROOM, b->len);
            r->dec_end += b->len;
        }
        if (b->end)
            b->len = 0;
        else
            pop(z);
        return 1;
    }
    if (b->end < 0) {
        r->record_file_offset = b->offset;
        ctr__set_damage(r, "%s", b->why);
        return -1;
    }
    return 0; /* the clean end (a block of data is never empty) */
}

int ctr__inflate_fill(ctr_reader *r)
{
    ctr_inflater *z = r->inflate;
    if (z->threaded)
        return take_block(r, z);
    if (make_room(r, 1) != 0)
        return -1;
    char why[WHY_MAX];
    size_t len = r->dec_end;
    int rc = inflate_some(z, r->dec, r->dec_cap, &len, 1, why);
    r->dec_end = len;
    r->in_offset = offset_now(z);
    if (rc < 0) {
        r->record_file_offset = r->in_offset;
        ctr__set_damage(r, "%s", why);
    }
    return rc;
}

void ctr__inflate_close(ctr_reader *r)
{
    ctr_inflater *z = r->inflate;
    if (!z)
        return;
    if (z->threaded) {
        pthread_mutex_lock(&z->lock);
        z->stop = 1;
        pthread_cond_signal(&z->taken);
        pthread_mutex_unlock(&z->lock);
        pthread_join(z->thread, NULL);
        pthread_cond_destroy(&z->made);
        pthread_cond_destroy(&z->taken);
        pthread_mutex_destroy(&z->lock);
    }
    for (int i = 0; i < BLOCKS; i++)
        free(z->ring[i].buf);
    ZSTD_freeDCtx(z->dctx);
    free(z->in);
    free(z);
    r->inflate = NULL;
}
