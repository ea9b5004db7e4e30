/*
 * sched_perf.c - scheduler waits from perf context-switch records (see
 * sched.h).
 *
 * Each thread opens one software event on itself (pid = its tid, cpu = -1)
 * with context_switch = 1: the kernel writes a SWITCH record into the
 * thread's ring when the thread leaves its CPU (misc OUT, plus OUT_PREEMPT
 * if it was still runnable) and when it runs again. A preempted switch-out
 * and the next switch-in bound a wait for a CPU; a switch-out without
 * PREEMPT is a block or a sleep, which the interposers cover. Records are
 * stamped in CLOCK_MONOTONIC (use_clockid), so late records keep their times.
 *
 * Stacks, with CTRACE_STACKS=fp: a PERF_COUNT_SW_CONTEXT_SWITCHES event
 * sampled at every switch (sample_period 1) with PERF_SAMPLE_CALLCHAIN and
 * exclude_callchain_kernel has the kernel walk the user stack by frame
 * pointers at the switch-out; its sample comes just before the SWITCH
 * record, in the same ring. The sample is taken in the scheduler (kernel
 * registers), so exclude_kernel would drop every one: it needs the right to
 * sample the kernel (root, CAP_PERFMON, perf_event_paranoid <= 1). Not by
 * default: measured here (bench/sched), a perf event on a thread costs each
 * of its context switches about 2.3 us more, and the sample as much again,
 * for one address (the first; the rest need frame pointers). By default, and
 * without that right, a dummy event with exclude_kernel (allowed at the
 * default paranoid 2) gives the switches alone, and waits have no stack.
 *
 * The fd is closed as soon as the ring is mapped: the mapping holds the
 * event, so the program cannot close it under us (closefrom) and a traced
 * thread holds no fd. The ring is writable, so the kernel never overwrites
 * what we have not read: when it is full it drops records and says how many
 * in a LOST record (counted, and reported as SCHED_LOST).
 */
#include <errno.h>       /* errno */
#include <linux/perf_event.h>
#include <string.h>      /* memcpy, memset */
#include <sys/mman.h>    /* mmap, munmap */
#include <sys/syscall.h> /* SYS_perf_event_open */
#include <sys/utsname.h> /* uname */
#include <time.h>        /* CLOCK_MONOTONIC */
#include <unistd.h>      /* syscall, close, sysconf */

#include "plugin/sched_source.h"

/* Ring data pages (a power of two). A preemption is an OUT and an IN record
 * of 24 bytes; with stacks, a sample of about 170 more. A thread spinning in
 * an oversubscribed test on a loaded 2-core VM was preempted up to 700 times
 * a second: 32 KiB holds about 680 preemptions without a poll point, 64 KiB
 * about 300 with stacks. A full ring is reported (SCHED_LOST). */
#define DATA_PAGES 8u
#define DATA_PAGES_STACKS 16u
#define MAX_RECORD 1024u /* larger records are none we asked for: skipped */

int ct__sched_perf_supported(void)
{
    struct utsname u;
    unsigned major = 0, minor = 0;
    if (uname(&u) != 0)
        return 0;
    const char *p = u.release;
    while (*p >= '0' && *p <= '9')
        major = major * 10 + (unsigned)(*p++ - '0');
    if (*p++ != '.')
        return 0;
    while (*p >= '0' && *p <= '9')
        minor = minor * 10 + (unsigned)(*p++ - '0');
    /* PERF_RECORD_MISC_SWITCH_OUT_PREEMPT came in 4.17: before it a
     * preemption looks like a block, and every wait would be missed. */
    return major > 4 || (major == 4 && minor >= 17);
}

static int perf_event_open(struct perf_event_attr *attr, int32_t tid)
{
#ifdef SYS_perf_event_open
    return (int)syscall(SYS_perf_event_open, attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
#else
    (void)attr;
    (void)tid;
    errno = ENOSYS;
    return -1;
#endif
}

int ct__sched_perf_open(ct__sched *s, int32_t tid, int stacks)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = stacks ? PERF_COUNT_SW_CONTEXT_SWITCHES : PERF_COUNT_SW_DUMMY;
    a.sample_period = stacks ? 1 : 0;
    a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | (stacks ? PERF_SAMPLE_CALLCHAIN : 0);
    a.sample_max_stack = CT_SCHED_STACK_DEPTH;
    a.context_switch = 1;
    a.sample_id_all = 1; /* SWITCH and LOST records carry tid and time */
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    a.exclude_kernel = !stacks;
    a.exclude_hv = 1;
    a.exclude_callchain_kernel = 1;
    int fd = perf_event_open(&a, tid);
    if (fd < 0)
        return -errno;
    long page = sysconf(_SC_PAGESIZE);
    size_t bytes = (size_t)page * (1 + (stacks ? DATA_PAGES_STACKS : DATA_PAGES));
    void *ring = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); /* the mapping keeps the event */
    if (ring == MAP_FAILED)
        return -EAGAIN;
    struct perf_event_mmap_page *h = ring;
    s->ring = ring;
    s->ring_bytes = bytes;
    /* data_offset and data_size are filled since Linux 4.1. */
    s->data_offset = h->data_offset ? h->data_offset : (uint64_t)page;
    s->data_size = h->data_size ? h->data_size : bytes - (size_t)page;
    s->perf_tail = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
    s->perf_head = (const uint64_t *)&h->data_head;
    s->stacks = (uint8_t)stacks;
    s->out_ns = 0;
    s->npcs = 0;
    s->lost = 0;
    return 0;
}

void ct__sched_perf_close(ct__sched *s)
{
    if (s->ring)
        munmap(s->ring, s->ring_bytes);
    s->ring = NULL;
    s->perf_head = NULL;
}

/* The user stack of a callchain sample, innermost first: the context
 * markers (PERF_CONTEXT_USER) left out. */
static unsigned user_stack(const uint64_t *ips, uint64_t nr, uint64_t *pcs)
{
    unsigned n = 0;
    for (uint64_t i = 0; i < nr && n < CT_SCHED_STACK_DEPTH; i++) {
        if (ips[i] >= (uint64_t)PERF_CONTEXT_MAX)
            continue;
        pcs[n++] = ips[i];
    }
    return n;
}

/* What the records we asked for hold after their header (sample_type TID |
 * TIME, sample_id_all): pid, tid, time; a sample then its callchain. */
struct ids {
    uint32_t pid, tid;
    uint64_t time;
};

static void on_record(ct__thread *t, const struct perf_event_header *hdr, const uint8_t *body,
                      size_t len)
{
    ct__sched *s = &t->sched;
    struct ids id;
    switch (hdr->type) {
    case PERF_RECORD_SAMPLE: { /* a switch-out is next: its stack */
        uint64_t nr;
        if (len < sizeof id + sizeof nr)
            return;
        memcpy(&nr, body + sizeof id, sizeof nr);
        if (nr > (len - sizeof id - sizeof nr) / sizeof(uint64_t))
            return;
        uint64_t ips[CT_SCHED_STACK_DEPTH + 8];
        if (nr > sizeof ips / sizeof ips[0])
            nr = sizeof ips / sizeof ips[0];
        memcpy(ips, body + sizeof id + sizeof nr, nr * sizeof ips[0]);
        s->npcs = user_stack(ips, nr, s->pcs);
        return;
    }
    case PERF_RECORD_SWITCH:
        if (len < sizeof id)
            return;
        memcpy(&id, body, sizeof id);
        if (hdr->misc & PERF_RECORD_MISC_SWITCH_OUT) {
            /* Preempted: waiting for a CPU from now. Blocked: not our wait. */
            s->out_ns = hdr->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT ? id.time : 0;
            if (!s->out_ns)
                s->npcs = 0;
        } else {
            if (s->out_ns && id.time > s->out_ns)
                ct__sched_record(t, id.time, id.time - s->out_ns, s->pcs, s->npcs);
            s->out_ns = 0;
            s->npcs = 0;
        }
        return;
    case PERF_RECORD_LOST: {
        uint64_t lost[2]; /* id, count */
        if (len < sizeof lost)
            return;
        memcpy(lost, body, sizeof lost);
        s->lost += lost[1];
        s->out_ns = 0; /* the switch-in may be among them: no pairing across */
        s->npcs = 0;
        return;
    }
    default: /* throttling and the like: nothing to pair */
        return;
    }
}

void ct__sched_perf_read(ct__thread *t)
{
    ct__sched *s = &t->sched;
    struct perf_event_mmap_page *h = s->ring;
    const uint8_t *data = (const uint8_t *)s->ring + s->data_offset;
    uint64_t size = s->data_size, tail = s->perf_tail;
    uint64_t head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
    /* Found (nearly) full, the ring has likely refused records. The kernel
     * says how many only at the thread's next switch after this read, which
     * a thread about to exit never makes: say so now. */
    if (head - tail + 2 * sizeof(struct perf_event_header) + 64 > size)
        s->ring_full = 1;
    if (head - tail > size) { /* cannot happen with a writable ring: start over */
        tail = head;
        s->out_ns = 0;
    }
    uint8_t copy[MAX_RECORD];
    while (tail != head) {
        struct perf_event_header hdr;
        uint64_t off = tail & (size - 1);
        /* Records are 8-byte aligned: a header never straddles the end. */
        memcpy(&hdr, data + off, sizeof hdr);
        if (hdr.size < sizeof hdr || hdr.size > head - tail) {
            tail = head; /* not a record: drop the rest rather than misread it */
            s->out_ns = 0;
            break;
        }
        size_t len = hdr.size - sizeof hdr;
        if (len <= sizeof copy) {
            uint64_t from = (off + sizeof hdr) & (size - 1);
            size_t first = len < size - from ? len : (size_t)(size - from);
            memcpy(copy, data + from, first); /* the record may wrap around */
            memcpy(copy + first, data, len - first);
            on_record(t, &hdr, copy, len);
        }
        tail += hdr.size;
    }
    s->perf_tail = tail;
    /* What is read may be written again. */
    __atomic_store_n(&h->data_tail, tail, __ATOMIC_RELEASE);
}
