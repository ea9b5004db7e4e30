/*
 * live_arena.c - bump allocation from mmap'd slabs (see live_arena.h).
 */
#include "assertions/live_arena.h"

#include <stdint.h>   /* uintptr_t */
#include <sys/mman.h> /* mmap */

#define SLAB_BYTES (256u * 1024u)

static int lock;
static char *slab_pos, *slab_end;

void *ct__arena_alloc(size_t size)
{
    size = (size + 15u) & ~(size_t)15u;
    ct__spin_lock(&lock);
    if ((size_t)(slab_end - slab_pos) < size) {
        size_t bytes = size > SLAB_BYTES ? size : SLAB_BYTES;
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            ct__spin_unlock(&lock);
            return NULL;
        }
        /* The rest of the old slab is left: cuts are small next to a slab. */
        slab_pos = p;
        slab_end = slab_pos + bytes;
    }
    void *out = slab_pos;
    slab_pos += size;
    ct__spin_unlock(&lock);
    return out;
}
