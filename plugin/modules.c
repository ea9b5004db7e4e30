/*
 * modules.c - snapshots of the loaded modules and their MODULE events (see
 * modules.h).
 *
 * dlopen is not interposed: glibc finds a library by the RUNPATH of the
 * object that called dlopen, and a wrapper would make that object us.
 * Instead a stack address outside every known module makes the next capture
 * scan again. dl_iterate_phdr takes the loader's list lock, which dlopen
 * holds only while it edits the list (not while constructors run), so a scan
 * inside a lock wrapper cannot wait on the program.
 */
#include "plugin/modules.h"
#include "plugin/maps.h"

#include <elf.h>    /* NT_GNU_BUILD_ID */
#include <link.h>   /* dl_iterate_phdr */
#include <stdlib.h> /* malloc, qsort */
#include <string.h> /* strlen, memcpy */
#include <unistd.h> /* readlink */

#define MAX_PATH_BYTES 3072u    /* longer paths are cut: still within one event */
#define MAX_BUILD_ID 40u        /* sha1 is 20 bytes; room for longer ids */
#define RESCAN_EVERY_MS 10u     /* a pc in no module (JIT code) rescans at most this often */

typedef struct module {
    uint64_t bias, lo, hi; /* load bias; [lo, hi) spans its PT_LOAD segments */
    char *path;
    uint32_t path_len;
    uint8_t build_id[MAX_BUILD_ID];
    uint8_t build_id_len;
} module;

typedef struct snapshot {
    struct snapshot *older; /* the one it replaced: kept, and reachable (not a leak) */
    uint32_t serial; /* from 1, one per scan */
    uint32_t n;
    module m[]; /* sorted by lo */
} snapshot;

/* The latest snapshot. Older ones are never freed: a thread may still be
 * reading one, and scans happen once per dlopen at most. */
static snapshot *current;      /* atomic */
static int scanning;           /* atomic try-lock */
static uint64_t last_scan;     /* atomic: ticks of the last scan */
static uint64_t emitted;       /* atomic: session << 32 | serial of what was written */
static uint32_t next_serial;
static int rescan_wanted;      /* atomic: a stack held an address in no known module */

static void build_id_of(const struct dl_phdr_info *info, module *m)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name = (nh->n_namesz + 3u) & ~3u, desc = (nh->n_descsz + 3u) & ~3u;
            const uint8_t *d = p + sizeof *nh + name;
            if (name > (size_t)(end - p) || desc > (size_t)(end - d))
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(p + sizeof *nh, "GNU", 4) == 0 && nh->n_descsz <= MAX_BUILD_ID) {
                memcpy(m->build_id, d, nh->n_descsz);
                m->build_id_len = (uint8_t)nh->n_descsz;
                return;
            }
            p = d + desc;
        }
    }
}

struct scan {
    module *m;
    uint32_t n, cap;
    uint32_t unnamed; /* modules loaded by a relative path: no path yet */
};

/* A mapping with a file: the unnamed modules whose lowest address it holds
 * are named after its file. */
static int name_from_mapping(void *arg, uint64_t lo, uint64_t hi, const char *path)
{
    struct scan *s = arg;
    for (uint32_t i = 0; i < s->n && s->unnamed; i++) {
        module *m = &s->m[i];
        if (m->path || m->lo < lo || m->lo >= hi)
            continue;
        size_t len = strnlen(path, MAX_PATH_BYTES);
        if ((m->path = strndup(path, len)) != NULL) {
            m->path_len = (uint32_t)len;
            s->unnamed--;
        }
    }
    return s->unnamed == 0;
}

/* Name the modules loaded by a relative path after the files mapped at
 * their lowest address; leave out those it cannot name. */
static void name_relative(struct scan *s)
{
    ct__maps_each(name_from_mapping, s);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->m[i].path)
            s->m[kept++] = s->m[i];
    s->n = kept;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct scan *s = arg;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr;
        lo = a < lo ? a : lo;
        hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
    }
    if (lo >= hi)
        return 0;
    char file[MAX_PATH_BYTES];
    const char *path = info->dlpi_name;
    if (!path || !path[0]) { /* the executable */
        ssize_t k = readlink("/proc/self/exe", file, sizeof file - 1);
        if (k <= 0)
            return 0;
        file[k] = '\0';
        path = file;
    } else if (path[0] != '/') {
        /* No slash: the vDSO (no file to read symbols from). A relative
         * path ("./plugin.so", as dlopen was given it): named after the
         * walk, by the file mapped there (maps.c). */
        if (!strchr(path, '/'))
            return 0;
        path = NULL;
    }
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 32;
        module *m = realloc(s->m, cap * sizeof *m);
        if (!m)
            return 1;
        s->m = m;
        s->cap = cap;
    }
    module *m = &s->m[s->n];
    memset(m, 0, sizeof *m);
    size_t len = path ? strnlen(path, MAX_PATH_BYTES) : 0;
    if (path && !(m->path = strndup(path, len)))
        return 1;
    m->path_len = (uint32_t)len;
    s->unnamed += !path;
    m->bias = info->dlpi_addr;
    m->lo = lo;
    m->hi = hi;
    build_id_of(info, m);
    s->n++;
    return 0;
}

static int by_lo(const void *a, const void *b)
{
    const module *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The scan found what `snap` holds (sorted alike): nothing was loaded or
 * unloaded since. */
static int same_modules(const snapshot *snap, const struct scan *s)
{
    if (!snap || snap->n != s->n)
        return 0;
    for (uint32_t i = 0; i < s->n; i++) {
        const module *a = &snap->m[i], *b = &s->m[i];
        if (a->lo != b->lo || a->hi != b->hi || a->bias != b->bias ||
            a->path_len != b->path_len || memcmp(a->path, b->path, a->path_len) != 0)
            return 0;
    }
    return 1;
}

void ct__modules_scan(void)
{
    if (__atomic_exchange_n(&scanning, 1, __ATOMIC_ACQUIRE))
        return; /* another thread is scanning */
    __atomic_store_n(&last_scan, ct__ticks(), __ATOMIC_RELAXED);
    struct scan s = {0};
    dl_iterate_phdr(add_module, &s);
    if (s.unnamed) /* after the walk: it holds the loader's list lock */
        name_relative(&s);
    if (s.n)
        qsort(s.m, s.n, sizeof *s.m, by_lo);
    /* Unchanged (a live server's next capture): keep the snapshot, which is
     * never freed, rather than add one per session. */
    snapshot *snap = same_modules(__atomic_load_n(&current, __ATOMIC_RELAXED), &s)
                         ? NULL
                         : malloc(sizeof *snap + s.n * sizeof *s.m);
    if (snap) {
        snap->older = __atomic_load_n(&current, __ATOMIC_RELAXED); /* scans are serialised */
        snap->serial = ++next_serial;
        snap->n = s.n;
        if (s.n)
            memcpy(snap->m, s.m, s.n * sizeof *s.m);
        __atomic_store_n(&current, snap, __ATOMIC_RELEASE);
    } else {
        for (uint32_t i = 0; i < s.n; i++)
            free(s.m[i].path);
    }
    free(s.m);
    __atomic_store_n(&scanning, 0, __ATOMIC_RELEASE);
}

/* The module holding pc, or NULL. */
static const module *module_of(const snapshot *snap, uint64_t pc)
{
    uint32_t lo = 0, hi = snap->n;
    while (lo < hi) { /* the last module starting at or below pc */
        uint32_t mid = (lo + hi) / 2;
        if (snap->m[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && pc < snap->m[lo - 1].hi ? &snap->m[lo - 1] : NULL;
}

unsigned ct__modules_known(const uint64_t *pcs, unsigned n)
{
    const snapshot *snap = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    unsigned i = 0;
    while (snap && i < n && module_of(snap, pcs[i]))
        i++;
    return i;
}

static void emit(ct__thread *t, const snapshot *snap)
{
    for (uint32_t i = 0; i < snap->n; i++) {
        const module *m = &snap->m[i];
        /* Lost with a drop, modules are written again: not counted lost. */
        uint8_t *p = ct__meta_begin(t, CT_EV_MODULE, CT_SMALL_EVENT + m->path_len + MAX_BUILD_ID);
        p = ct_put_uvarint(p, m->bias);
        p = ct_put_uvarint(p, m->lo);
        p = ct_put_uvarint(p, m->hi);
        p = ct_put_uvarint(p, m->path_len);
        memcpy(p, m->path, m->path_len);
        p += m->path_len;
        p = ct_put_uvarint(p, m->build_id_len);
        memcpy(p, m->build_id, m->build_id_len);
        ct__commit(t, p + m->build_id_len);
    }
}

void ct__modules_note(ct__thread *t, const uint64_t *pcs, unsigned n)
{
    snapshot *snap = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    const module *last = NULL; /* a stack's pcs come in runs from one module */
    for (unsigned i = 0; i < n; i++) {
        if (last && pcs[i] >= last->lo && pcs[i] < last->hi)
            continue;
        if (snap && (last = module_of(snap, pcs[i])) != NULL)
            continue;
        /* Not here: a wait may be recorded in a signal handler, and a scan
         * allocates and takes the loader's lock. At the next safe point. */
        __atomic_store_n(&rescan_wanted, 1, __ATOMIC_RELAXED);
        break;
    }
    if (!snap)
        return;
    uint64_t want = (uint64_t)t->session << 32 | snap->serial;
    uint64_t seen = __atomic_load_n(&emitted, __ATOMIC_RELAXED);
    if (seen == want || !__atomic_compare_exchange_n(&emitted, &seen, want, 0, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED))
        return;
    emit(t, snap);
    if (t->dropping) /* lost with the scratch buffer: let the next capture write them */
        __atomic_store_n(&emitted, 0, __ATOMIC_RELAXED);
}

void ct__modules_settle(ct__thread *t)
{
    if (!__atomic_load_n(&rescan_wanted, __ATOMIC_RELAXED))
        return;
    uint64_t every = t->pool->tsc_hz / 1000 * RESCAN_EVERY_MS;
    if (ct__ticks() - __atomic_load_n(&last_scan, __ATOMIC_RELAXED) < every)
        return; /* code in no module (JIT) asks again and again: at most this often */
    __atomic_store_n(&rescan_wanted, 0, __ATOMIC_RELAXED);
    ct__modules_scan();
    ct__modules_note(t, NULL, 0); /* write the new snapshot now */
}

void ct__modules_each(void (*fn)(void *arg, const char *path, const uint8_t *build_id,
                                 size_t build_id_len, uint64_t bias, uint64_t lo, uint64_t hi),
                      void *arg)
{
    const snapshot *snap = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; snap && i < snap->n; i++) {
        const module *m = &snap->m[i];
        fn(arg, m->path, m->build_id, m->build_id_len, m->bias, m->lo, m->hi);
    }
}
