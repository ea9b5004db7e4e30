/*
 * intern.c - per-thread string tables.
 *
 * Strings are interned per thread, and defined by a STRING event in that
 * thread's own stream before their first use: no lock, and a reader always
 * sees a definition before its uses whatever order threads are drained in.
 * The hot path (thread.h) hits a pointer cache; this is the miss path.
 */
#include <stdlib.h> /* malloc, calloc, free */
#include <string.h> /* memcpy, memcmp */

#include "plugin/stack.h"
#include "plugin/thread.h"

#define MAX_STRINGS_PER_THREAD 65536u /* past this, start over: names should be few */

uint32_t ct__names_epoch = 1; /* atomic; see thread.h */

uint64_t ct__hash_bytes(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

static size_t bounded_len(const char *s)
{
    size_t n = 0;
    while (n < CT_MAX_NAME_BYTES && s[n])
        n++;
    return n;
}

void ct__intern_free(ct__thread *t)
{
    for (uint32_t i = 0; i < t->strings_cap; i++)
        free(t->strings[i].bytes);
    free(t->strings);
    t->strings = NULL;
    t->strings_cap = t->strings_used = 0;
}

void ct__intern_reset(ct__thread *t)
{
    ct__intern_free(t);
    ct__stacks_reset(t); /* stacks are defined in the stream like strings */
    ct__live_thread_forget_names(&t->live); /* its shards are found by string id */
    memset(t->cache, 0, sizeof t->cache);
    /* Ids keep growing, so a reader never confuses an old id with a new one. */
}

void ct__intern_after_drop(ct__thread *t)
{
    memset(t->cache, 0, sizeof t->cache); /* so that a name lost comes back here */
    ct__stacks_reset(t); /* stacks are defined in the stream like strings */
}

static ct__string *find_slot(ct__string *table, uint32_t cap, uint64_t hash, const char *s,
                             size_t len)
{
    uint32_t i = (uint32_t)hash & (cap - 1);
    for (;;) {
        ct__string *e = &table[i];
        if (!e->bytes || (e->hash == hash && e->len == len && memcmp(e->bytes, s, len) == 0))
            return e;
        i = (i + 1) & (cap - 1);
    }
}

static int grow(ct__thread *t)
{
    uint32_t cap = t->strings_cap ? t->strings_cap * 2 : 64;
    ct__string *table = calloc(cap, sizeof *table);
    if (!table)
        return -1;
    for (uint32_t i = 0; i < t->strings_cap; i++) {
        ct__string *e = &t->strings[i];
        if (e->bytes)
            *find_slot(table, cap, e->hash, e->bytes, e->len) = *e;
    }
    free(t->strings);
    t->strings = table;
    t->strings_cap = cap;
    return 0;
}

/* Write the STRING event defining `id` as bytes[0..len); the caller
 * reserved its room. */
static void put_string(ct__thread *t, uint32_t id, const char *bytes, size_t len)
{
    uint8_t *p = t->pos;
    *p++ = CT_EV_STRING; /* untimed: no tick delta */
    p = ct_put_uvarint(p, id);
    p = ct_put_uvarint(p, len);
    memcpy(p, bytes, len);
    ct__commit(t, p + len);
}

/* Define e; ct__intern_slow() reserved its room. In drop mode it goes to
 * scratch, lost: e is then defined again at its first use after the drop. */
static void define(ct__thread *t, ct__string *e)
{
    e->unsaid = t->dropping;
    put_string(t, e->id, e->bytes, e->len);
}

uint32_t ct__intern_once(ct__thread *t, const char *name)
{
    size_t len = bounded_len(name);
    ct__reserve(t, CT_SMALL_EVENT + len);
    uint32_t id = ++t->next_string_id;
    put_string(t, id, name, len);
    return id;
}

uint32_t ct__intern_slow(ct__thread *t, const char *name, ct__name_slot *slot)
{
    size_t len = bounded_len(name);
    uint64_t h = ct__hash_bytes(name, len);
    /* Room for the definition first, before the table is looked at: the
     * refill may poll scheduler waits, which intern nothing today but could. */
    ct__reserve(t, CT_SMALL_EVENT + len);
    if (t->strings_used >= MAX_STRINGS_PER_THREAD)
        ct__intern_reset(t);
    if ((t->strings_used + 1) * 2 > t->strings_cap && grow(t) != 0)
        return 0; /* id 0: the reader shows an unknown name, nothing breaks */
    ct__string *e = find_slot(t->strings, t->strings_cap, h, name, len);
    if (!e->bytes) {
        char *copy = malloc(len + 1);
        if (!copy)
            return 0;
        memcpy(copy, name, len);
        copy[len] = '\0';
        e->bytes = copy;
        e->len = (uint32_t)len;
        e->hash = h;
        e->id = ++t->next_string_id;
        t->strings_used++;
        define(t, e);
    } else if (e->unsaid && !t->dropping) {
        define(t, e); /* its definition went with a drop */
    }
    /* Cache only names that fit whole: a cut copy would never verify. */
    if (name[len] == '\0') {
        slot->ptr = name;
        slot->copy = e->bytes;
        slot->id = e->id;
        slot->literal_epoch = 0; /* ct__intern_literal() sets it */
        slot->live_shard = NULL;
    }
    return e->id;
}
