/* trace_writer.c - records into a zstd-compressed trace file (see trace_writer.h). */
#include "recorder/trace_writer.h"

#include <errno.h>  /* errno, EINTR */
#include <fcntl.h>  /* open */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcpy */
#include <sys/stat.h> /* fstat */
#include <time.h>   /* clock_gettime */
#include <unistd.h> /* write, close */
#include <zstd.h>   /* ZSTD_compressStream2 */

#include <ctrace.h>

#include "common/clock.h" /* ct__mono_ns */
#include "format/schema.h"
#include "format/wire.h"

#define IN_CAP (1u << 20)           /* records gathered before compressing */
#define FRAME_BYTES (8u << 20)      /* uncompressed bytes per zstd frame */
#define COMPRESSION_LEVEL 3
/* A 256 KiB window: readers decompress with it in L2 cache, a third faster
 * than level 3's default 2 MiB, for about 1% more bytes (bench/hotpath). */
#define WINDOW_LOG 18
/* The first frame ends at its first flush past FIRST_FRAME_BYTES, and has
 * small match tables: zstd clears its tables before the first block, and
 * level 3's (768 KiB) cost about 0.2 ms of a run that traces a few tests,
 * most of it faulting their pages in; most runs fit in the first frame.
 * Later frames have level 3's own. Measured on our traces: the first
 * 256 KiB come out 0.1-1.4% larger, the same below 64 KiB. */
#define FIRST_FRAME_BYTES (256u << 10)
#define FIRST_HASH_LOG 14
#define FIRST_CHAIN_LOG 13

#ifndef CT_VERSION
#  define CT_VERSION "0.1.0"
#endif

struct ct_trace_writer {
    int fd;
    int failed;
    ZSTD_CCtx *zc;
    uint8_t *in;
    size_t in_len;
    uint8_t *out;
    size_t out_cap;
    uint64_t frame_in; /* uncompressed bytes in the current frame */
    int first_frame_done; /* later frames: level 3's own tables */
    uint64_t batches, event_bytes;
    uint64_t flush_every_ns, flushed_ns; /* ct_tw_flush_due(): its period, the last flush */
    int guarded; /* ct_tw_guard_fd(): fd is used only while it is still this file */
    dev_t dev;
    ino_t ino;
};

/* The descriptor still holds our file (the program may have closed it and
 * opened another on its number: that one is never written nor closed). */
static int fd_is_ours(const ct_trace_writer *w)
{
    struct stat st;
    return !w->guarded || (fstat(w->fd, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino);
}

int ct_tw_guard_fd(ct_trace_writer *w)
{
    struct stat st;
    if (fstat(w->fd, &st) != 0)
        return CT_EIO;
    w->dev = st.st_dev;
    w->ino = st.st_ino;
    w->guarded = 1;
    return 0;
}

static int close_if_ours(const ct_trace_writer *w)
{
    return fd_is_ours(w) ? close(w->fd) : -1;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Compress what is in `in` with `mode` and write the output. */
static int compress(ct_trace_writer *w, ZSTD_EndDirective mode)
{
    if (w->failed || !fd_is_ours(w)) {
        w->failed = 1;
        return CT_EIO;
    }
    ZSTD_inBuffer in = {w->in, w->in_len, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->out_cap, 0};
        size_t left = ZSTD_compressStream2(w->zc, &out, &in, mode);
        if (ZSTD_isError(left) || write_all(w->fd, w->out, out.pos) != 0) {
            w->failed = 1;
            return CT_EIO;
        }
        if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
            break;
    }
    w->frame_in += w->in_len;
    w->in_len = 0;
    return 0;
}

static int append(ct_trace_writer *w, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (w->in_len == IN_CAP && compress(w, ZSTD_e_continue) != 0)
            return CT_EIO;
        size_t k = IN_CAP - w->in_len < n ? IN_CAP - w->in_len : n;
        memcpy(w->in + w->in_len, p, k);
        w->in_len += k;
        p += k;
        n -= k;
    }
    return 0;
}

static int record_head(ct_trace_writer *w, uint8_t kind, size_t len)
{
    uint8_t head[1 + CT_UVARINT_MAX];
    head[0] = kind;
    uint8_t *e = ct_put_uvarint(head + 1, len);
    return append(w, head, (size_t)(e - head));
}

int ct_tw_record(ct_trace_writer *w, uint8_t kind, const uint8_t *payload, size_t len)
{
    if (record_head(w, kind, len) != 0 || append(w, payload, len) != 0)
        return CT_EIO;
    return 0;
}

int ct_tw_process_begin(ct_trace_writer *w, const ct_tw_process *p)
{
    size_t exe_len = p->exe_len < 4096 ? p->exe_len : 4096;
    uint8_t buf[4096 + 11 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, p->proc);
    q = ct_put_uvarint(q, p->pid);
    q = ct_put_uvarint(q, exe_len);
    memcpy(q, p->exe, exe_len);
    q += exe_len;
    uint64_t v[7] = {p->clock, p->hz, p->tsc0, p->ns0, p->parent, p->ptask, p->inherit};
    for (int i = 0; i < (p->has_parent ? 7 : 4); i++)
        q = ct_put_uvarint(q, v[i]);
    return ct_tw_record(w, CT_REC_PROCESS_BEGIN, buf, (size_t)(q - buf));
}

int ct_tw_batch(ct_trace_writer *w, const uint8_t *head, size_t head_len,
                const uint8_t *events, size_t events_len)
{
    if (record_head(w, CT_REC_BATCH, head_len + events_len) != 0 ||
        append(w, head, head_len) != 0 || append(w, events, events_len) != 0)
        return CT_EIO;
    w->batches++;
    w->event_bytes += events_len;
    return 0;
}

int ct_tw_flush(ct_trace_writer *w)
{
    if (w->flush_every_ns)
        w->flushed_ns = ct__mono_ns();
    uint64_t frame_bytes = w->first_frame_done ? FRAME_BYTES : FIRST_FRAME_BYTES;
    ZSTD_EndDirective mode = w->frame_in + w->in_len >= frame_bytes ? ZSTD_e_end : ZSTD_e_flush;
    int rc = compress(w, mode);
    if (rc == 0 && mode == ZSTD_e_end) {
        w->frame_in = 0;
        if (!w->first_frame_done) { /* 0: the level's own (if refused: the small ones stay) */
            ZSTD_CCtx_setParameter(w->zc, ZSTD_c_hashLog, 0);
            ZSTD_CCtx_setParameter(w->zc, ZSTD_c_chainLog, 0);
            w->first_frame_done = 1;
        }
    }
    return rc;
}

int ct_tw_flush_due(ct_trace_writer *w)
{
    if (w->flush_every_ns == 0 || ct__mono_ns() - w->flushed_ns >= w->flush_every_ns)
        return ct_tw_flush(w);
    return w->in_len ? compress(w, ZSTD_e_continue) : 0;
}

int ct_tw_prepare(ct_trace_writer *w)
{
    return compress(w, ZSTD_e_continue);
}

void ct_tw_flush_every(ct_trace_writer *w, uint64_t ns)
{
    w->flush_every_ns = ns;
    w->flushed_ns = ct__mono_ns();
}

static void free_writer(ct_trace_writer *w)
{
    ZSTD_freeCCtx(w->zc);
    free(w->in);
    free(w->out);
    free(w);
}

/* A writer on `fd` (its own from now on: closed on failure too) that has
 * written the file prefix. */
static int create_on(ct_trace_writer **out, int fd, unsigned major, unsigned minor)
{
    *out = NULL;
    ct_trace_writer *w = calloc(1, sizeof *w);
    if (!w) {
        close(fd);
        return CT_ENOMEM;
    }
    w->fd = fd;
    w->out_cap = ZSTD_CStreamOutSize();
    w->in = malloc(IN_CAP);
    w->out = malloc(w->out_cap);
    w->zc = ZSTD_createCCtx();
    if (!w->in || !w->out || !w->zc) {
        ct_tw_abandon(w);
        return CT_ENOMEM;
    }
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, COMPRESSION_LEVEL);
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_windowLog, WINDOW_LOG);
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_hashLog, FIRST_HASH_LOG);
    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_chainLog, FIRST_CHAIN_LOG);
    uint8_t prefix[CT_FILE_HEADER_LEN] = {0};
    memcpy(prefix, CT_FILE_MAGIC, CT_FILE_MAGIC_LEN);
    prefix[8] = (uint8_t)major; /* u16 little endian major, minor; u32 flags */
    prefix[9] = (uint8_t)(major >> 8);
    prefix[10] = (uint8_t)minor;
    prefix[11] = (uint8_t)(minor >> 8);
    if (write_all(w->fd, prefix, sizeof prefix) != 0) {
        ct_tw_abandon(w);
        return CT_EIO;
    }
    *out = w;
    return 0;
}

int ct_tw_create(ct_trace_writer **out, const char *path, unsigned major, unsigned minor)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return CT_EIO;
    return create_on(out, fd, major, minor);
}

int ct_tw_create_fd(ct_trace_writer **out, int fd, unsigned major, unsigned minor)
{
    return create_on(out, fd, major, minor);
}

int ct_tw_open_fd(ct_trace_writer **out, int fd, uint64_t start_mono_ns)
{
    ct_trace_writer *w;
    int rc = create_on(out, fd, CT_FORMAT_MAJOR, CT_FORMAT_MINOR);
    if (rc != 0)
        return rc;
    w = *out;
    *out = NULL;
    uint8_t buf[512], *p = buf;
    static const char writer[] = "ctest-trace " CT_VERSION;
    p = ct_put_uvarint(p, CT_FORMAT_MAJOR);
    p = ct_put_uvarint(p, CT_FORMAT_MINOR);
    p = ct_put_uvarint(p, sizeof writer - 1);
    memcpy(p, writer, sizeof writer - 1);
    p += sizeof writer - 1;
    p = ct_put_uvarint(p, start_mono_ns);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    p = ct_put_uvarint(p, (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec);
    ct_tw_record(w, CT_REC_TRACE_BEGIN, buf, (size_t)(p - buf));

    uint8_t schema[2048];
    size_t n = ct_schema_encode(schema, sizeof schema);
    ct_tw_record(w, CT_REC_SCHEMA, schema, n);
    *out = w; /* compressed with the first flush: zstd's set-up waits for it */
    return 0;
}

int ct_tw_open(ct_trace_writer **out, const char *path, uint64_t start_mono_ns)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return CT_EIO;
    int rc = ct_tw_open_fd(out, fd, start_mono_ns);
    if (rc == 0 && ct_tw_flush(*out) != 0) {
        ct_tw_abandon(*out);
        *out = NULL;
        return CT_EIO;
    }
    return rc;
}

int ct_tw_close(ct_trace_writer *w)
{
    if (!w)
        return 0;
    uint8_t buf[2 * CT_UVARINT_MAX], *p = buf;
    p = ct_put_uvarint(p, w->batches);
    p = ct_put_uvarint(p, w->event_bytes);
    int rc = ct_tw_record(w, CT_REC_TRACE_END, buf, (size_t)(p - buf));
    if (rc == 0)
        rc = compress(w, ZSTD_e_end);
    if (close_if_ours(w) != 0 && rc == 0)
        rc = CT_EIO;
    free_writer(w);
    return rc;
}

int ct_tw_finish_raw(ct_trace_writer *w)
{
    int rc = compress(w, ZSTD_e_end);
    if (close_if_ours(w) != 0 && rc == 0)
        rc = CT_EIO;
    free_writer(w);
    return rc;
}

void ct_tw_abandon(ct_trace_writer *w)
{
    if (!w)
        return;
    int e = errno; /* what made the caller give up */
    close_if_ours(w);
    free_writer(w);
    errno = e;
}
