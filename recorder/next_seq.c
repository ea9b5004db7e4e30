/* next_seq.c - the chunk each thread sends next (see next_seq.h). */
#include "recorder/next_seq.h"

#include <string.h>   /* memset */
#include <sys/mman.h> /* mmap */

#define FIRST_CAP 1024u

static ct_next_seq_slot *map_slots(size_t cap)
{
    void *p = mmap(NULL, cap * sizeof(ct_next_seq_slot), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p; /* zeroed: every slot empty */
}

int ct_next_seq_init(ct_next_seq *s)
{
    memset(s, 0, sizeof *s);
    s->slots = map_slots(FIRST_CAP);
    if (!s->slots)
        return -1;
    s->cap = FIRST_CAP;
    return 0;
}

void ct_next_seq_free(ct_next_seq *s)
{
    if (s->slots)
        munmap(s->slots, s->cap * sizeof *s->slots);
    memset(s, 0, sizeof *s);
}

static ct_next_seq_slot *find(ct_next_seq_slot *slots, size_t cap, uint32_t thread)
{
    size_t i = (size_t)(thread * 0x9E3779B1u) & (cap - 1);
    while (slots[i].thread && slots[i].thread != thread)
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(ct_next_seq *s)
{
    size_t cap = s->cap * 2;
    ct_next_seq_slot *slots = map_slots(cap);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].thread)
            *find(slots, cap, s->slots[i].thread) = s->slots[i];
    munmap(s->slots, s->cap * sizeof *s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

ct_next_seq_slot *ct_next_seq_of(ct_next_seq *s, uint32_t thread)
{
    ct_next_seq_slot *slot = find(s->slots, s->cap, thread);
    if (slot->thread)
        return slot;
    if ((s->used + 1) * 2 > s->cap) {
        if (grow(s) != 0)
            return NULL;
        slot = find(s->slots, s->cap, thread);
    }
    slot->thread = thread;
    slot->next = 0;
    s->used++;
    return slot;
}
