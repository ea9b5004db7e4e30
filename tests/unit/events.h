/* events.h - tests read a whole (small) trace into memory to check it. */
#ifndef CT_TESTS_EVENTS_H
#define CT_TESTS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <ctrace_reader.h>

typedef struct tev {
    ctr_event ev;     /* name/message point at the copies below */
    char *name;       /* NUL-terminated copies (never NULL) */
    char *message;
    uint64_t *stack;  /* a copy of ev.stack (NULL if none), where ev.stack points */
} tev;

typedef struct tevs {
    tev *v;
    size_t n;
    int rc;           /* ctr_next's last return: 0 clean, CT_EDAMAGED... */
    char damage[512];
} tevs;

/* Read every event of `path`. @return ctr_open's code (0 on success). */
int tevs_read(tevs *out, const char *path);
void tevs_free(tevs *t);

/* The i-th event of `kind` named `name` (NULL: any name), or NULL. */
const tev *tevs_find(const tevs *t, ctr_kind kind, const char *name, size_t nth);
size_t tevs_count(const tevs *t, ctr_kind kind, const char *name);

/* The text form of the trace at `path` (ctr_text_dump), malloc'd: the
 * caller frees it. NULL if it cannot be read. */
char *trace_text(const char *path);

/* A fresh path for a trace under $TMPDIR. */
void temp_trace_path(char *buf, size_t cap, const char *tag);

#endif
