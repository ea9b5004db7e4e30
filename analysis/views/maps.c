/*
 * maps.c - open-addressing hash tables with linear probing, kept at most
 * half full; they only grow, as the views never delete.
 */
#include "maps.h"

#include <stdint.h> /* uintptr_t */
#include <stdlib.h> /* calloc, malloc, realloc, free */
#include <string.h> /* memcpy, memcmp */

#include <ctrace.h> /* CT_ENOMEM, CT_EINVAL */

/* A hash of len bytes, eight at a time (a profile's keys are stacks of
 * 8-byte addresses, hashed once a wait), then mixed: only ever compared and
 * masked, never shown, so its values may change. */
static uint64_t hash_bytes(const char *bytes, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, bytes + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, bytes + i, len - i);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    }
    return ctv_hash_id(h);
}

/* ---- names ---------------------------------------------------------------- */

void ctv_names_init(ctv_names *m)
{
    memset(m, 0, sizeof *m);
}

static int names_grow_slots(ctv_names *m)
{
    size_t slot_count = m->slot_count ? m->slot_count * 2 : 64;
    uint32_t *slots = calloc(slot_count, sizeof *slots);
    if (!slots)
        return CT_ENOMEM;
    for (uint32_t i = 0; i < m->count; i++) {
        size_t s = (size_t)m->hashes[i] & (slot_count - 1);
        while (slots[s])
            s = (s + 1) & (slot_count - 1);
        slots[s] = i + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->slot_count = slot_count;
    return 0;
}

static int names_grow_entries(ctv_names *m)
{
    uint32_t capacity = m->capacity ? m->capacity * 2 : 32;
    if (capacity < m->capacity) /* past 2^31 names */
        return CT_ENOMEM;
    ctv_name *names = realloc(m->names, capacity * sizeof *names);
    if (!names)
        return CT_ENOMEM;
    m->names = names;
    uint64_t *hashes = realloc(m->hashes, capacity * sizeof *hashes);
    if (!hashes)
        return CT_ENOMEM;
    m->hashes = hashes;
    m->capacity = capacity;
    return 0;
}

/* The index of the name with hash h, or -1. */
static int64_t names_lookup(const ctv_names *m, uint64_t h, const char *bytes, size_t len)
{
    if (!m->slot_count)
        return -1;
    for (size_t s = (size_t)h & (m->slot_count - 1); m->slots[s];
         s = (s + 1) & (m->slot_count - 1)) {
        uint32_t i = m->slots[s] - 1;
        if (m->hashes[i] == h && m->names[i].len == len &&
            (len == 0 || memcmp(m->names[i].bytes, bytes, len) == 0))
            return i;
    }
    return -1;
}

int ctv_names_find(const ctv_names *m, const char *bytes, size_t len, uint32_t *index)
{
    int64_t i = names_lookup(m, hash_bytes(bytes, bytes ? len : 0), bytes, bytes ? len : 0);
    if (i < 0)
        return 0;
    *index = (uint32_t)i;
    return 1;
}

int ctv_names_intern(ctv_names *m, const char *bytes, size_t len, uint32_t *index)
{
    if (!bytes)
        len = 0;
    size_t r = ((uintptr_t)bytes >> 4 ^ (uintptr_t)bytes >> 9) & (CTV_NAMES_RECENT - 1);
    if (bytes && m->recent[r].bytes == bytes) {
        uint32_t i = m->recent[r].index;
        if (i < m->count && m->names[i].len == len && memcmp(m->names[i].bytes, bytes, len) == 0) {
            *index = i;
            return 0;
        }
    }
    uint64_t h = hash_bytes(bytes, len);
    int64_t found = names_lookup(m, h, bytes, len);
    if (found >= 0) {
        *index = (uint32_t)found;
        m->recent[r].bytes = bytes;
        m->recent[r].index = *index;
        return 0;
    }

    if ((size_t)(m->count + 1) * 2 > m->slot_count && names_grow_slots(m) != 0)
        return CT_ENOMEM;
    if (m->count == m->capacity && names_grow_entries(m) != 0)
        return CT_ENOMEM;
    char *copy = malloc(len + 1);
    if (!copy)
        return CT_ENOMEM;
    if (len)
        memcpy(copy, bytes, len);
    copy[len] = '\0';

    uint32_t i = m->count++;
    m->names[i].bytes = copy;
    m->names[i].len = len;
    m->hashes[i] = h;
    size_t s = (size_t)h & (m->slot_count - 1);
    while (m->slots[s])
        s = (s + 1) & (m->slot_count - 1);
    m->slots[s] = i + 1;
    *index = i;
    if (bytes) {
        m->recent[r].bytes = bytes;
        m->recent[r].index = i;
    }
    return 0;
}

void ctv_names_free(ctv_names *m)
{
    for (uint32_t i = 0; i < m->count; i++)
        free(m->names[i].bytes);
    free(m->names);
    free(m->hashes);
    free(m->slots);
    ctv_names_init(m);
}

/* ---- ids ------------------------------------------------------------------ */

void ctv_ids_init(ctv_ids *m)
{
    memset(m, 0, sizeof *m);
}

static void ids_insert(uint64_t *keys, uint32_t *values, size_t slot_count,
                       uint64_t id, uint32_t value)
{
    size_t s = (size_t)ctv_hash_id(id) & (slot_count - 1);
    while (keys[s] && keys[s] != id)
        s = (s + 1) & (slot_count - 1);
    keys[s] = id;
    values[s] = value;
}

int ctv_ids_put(ctv_ids *m, uint64_t id, uint32_t value)
{
    if (id == 0)
        return CT_EINVAL;
    uint32_t old;
    if (ctv_ids_find(m, id, &old)) {
        ids_insert(m->keys, m->values, m->slot_count, id, value);
        return 0;
    }
    if ((m->count + 1) * 2 > m->slot_count) {
        size_t slot_count = m->slot_count ? m->slot_count * 2 : 64;
        uint64_t *keys = calloc(slot_count, sizeof *keys);
        uint32_t *values = calloc(slot_count, sizeof *values);
        if (!keys || !values) {
            free(keys);
            free(values);
            return CT_ENOMEM;
        }
        for (size_t s = 0; s < m->slot_count; s++)
            if (m->keys[s])
                ids_insert(keys, values, slot_count, m->keys[s], m->values[s]);
        free(m->keys);
        free(m->values);
        m->keys = keys;
        m->values = values;
        m->slot_count = slot_count;
    }
    ids_insert(m->keys, m->values, m->slot_count, id, value);
    m->count++;
    return 0;
}

void ctv_ids_remove(ctv_ids *m, uint64_t id)
{
    if (id == 0 || m->slot_count == 0)
        return;
    size_t mask = m->slot_count - 1;
    size_t s = (size_t)ctv_hash_id(id) & mask;
    while (m->keys[s] && m->keys[s] != id)
        s = (s + 1) & mask;
    if (m->keys[s] == 0)
        return;
    /* Backward-shift deletion: move later entries of the probe run into
     * the hole when their home slot allows, so no lookup stops early. */
    size_t hole = s;
    for (size_t next = (hole + 1) & mask; m->keys[next]; next = (next + 1) & mask) {
        size_t home = (size_t)ctv_hash_id(m->keys[next]) & mask;
        /* next may move to hole unless home lies cyclically in (hole, next]. */
        int stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
        if (stays)
            continue;
        m->keys[hole] = m->keys[next];
        m->values[hole] = m->values[next];
        hole = next;
    }
    m->keys[hole] = 0;
    m->count--;
}

void ctv_ids_free(ctv_ids *m)
{
    free(m->keys);
    free(m->values);
    ctv_ids_init(m);
}

void *ctv_reserve(void *items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return items;
    size_t new_cap = *cap ? *cap * 2 : 8;
    if (new_cap > SIZE_MAX / size)
        return NULL;
    void *grown = realloc(items, new_cap * size);
    if (grown)
        *cap = new_cap;
    return grown;
}
