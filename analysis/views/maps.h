/*
 * maps.h - the two lookups the views need, both open-addressing hash tables:
 *   ctv_names: untrusted byte strings (region names...) -> a dense index
 *   ctv_ids:   task ids (uint64_t, never 0) -> a dense index
 * Dense indexes let a view keep its per-name or per-task data in plain
 * arrays. Memory grows with distinct keys only.
 */
#ifndef CTV_MAPS_H
#define CTV_MAPS_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint32_t, uint64_t */

/* splitmix64's finaliser: spreads ids (task ids, thread keys) over a table. */
static inline uint64_t ctv_hash_id(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

typedef struct ctv_name {
    char *bytes; /* a copy, NUL-terminated for convenience; may contain NULs */
    size_t len;
} ctv_name;

#define CTV_NAMES_RECENT 64 /* a power of two */

typedef struct ctv_names {
    ctv_name *names;   /* by index, in the order they were first seen */
    uint32_t count;
    uint32_t *slots;   /* index + 1, 0 = empty */
    uint64_t *hashes;  /* by index, to rehash without rereading bytes */
    size_t slot_count; /* a power of two */
    uint32_t capacity; /* of names and hashes */
    /* The index last found for a caller's pointer: views intern the same
     * name, at the same address in the reader's string table, millions of
     * times. A hit is checked against the bytes, so it is never wrong. */
    struct { const char *bytes; uint32_t index; } recent[CTV_NAMES_RECENT];
} ctv_names;

void ctv_names_init(ctv_names *m);
/*! ctv_names_intern() : the index of `bytes`, adding a copy when new.
 *  @return 0 with *index, or CT_ENOMEM. */
int ctv_names_intern(ctv_names *m, const char *bytes, size_t len, uint32_t *index);
/*! ctv_names_find() : 1 with *index when `bytes` is interned, else 0. */
int ctv_names_find(const ctv_names *m, const char *bytes, size_t len, uint32_t *index);
void ctv_names_free(ctv_names *m);

typedef struct ctv_ids {
    uint64_t *keys;    /* 0 = empty slot */
    uint32_t *values;
    size_t slot_count; /* a power of two */
    size_t count;
} ctv_ids;

void ctv_ids_init(ctv_ids *m);
/*! ctv_ids_find() : 1 with *value when `id` is present, else 0. Inline: the
 *  views look ids (and names by address) up once an event. */
static inline int ctv_ids_find(const ctv_ids *m, uint64_t id, uint32_t *value)
{
    if (id == 0 || m->slot_count == 0)
        return 0;
    for (size_t s = (size_t)ctv_hash_id(id) & (m->slot_count - 1); m->keys[s];
         s = (s + 1) & (m->slot_count - 1)) {
        if (m->keys[s] == id) {
            *value = m->values[s];
            return 1;
        }
    }
    return 0;
}
/*! ctv_ids_put() : map `id` (not 0) to `value`, replacing any old value.
 *  @return 0, CT_EINVAL for id 0, or CT_ENOMEM. */
int ctv_ids_put(ctv_ids *m, uint64_t id, uint32_t value);
/*! ctv_ids_remove() : forget `id` (nothing when absent). */
void ctv_ids_remove(ctv_ids *m, uint64_t id);
void ctv_ids_free(ctv_ids *m);

/*! ctv_reserve() : room for one more item in an array of `count` items of
 *  `size` bytes and capacity *cap: the array, maybe moved (*cap grown), or
 *  NULL when out of memory (the old array is then untouched). */
void *ctv_reserve(void *items, size_t *cap, size_t count, size_t size);

#endif /* CTV_MAPS_H */
