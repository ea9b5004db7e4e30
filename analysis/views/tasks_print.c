/*
 * tasks_print.c - the `tasks` view written out: JSON (DESIGN.md §4), and
 * one task of the tree for people (tasks_tree.c orders them), from the rows
 * and items the join made (tasks_model.h).
 */
#include <errno.h>    /* EIO */
#include <inttypes.h> /* PRIu64, PRId32 */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memchr, memcpy, memset */

#include "common/human.h"
#include "json.h"
#include "tasks_model.h"

#define MAX_INDENT_LEVELS 32 /* deeper tasks are printed at this depth */
#define ITEMS_BUFFER (64u * 1024u)

/* ---- reading items ------------------------------------------------------------- */

int task_items_open(task_items *it, ctv_spill *items)
{
    memset(it, 0, sizeof *it);
    return ctv_spill_cursor_init(&it->c, items, 0, items->size, ITEMS_BUFFER);
}

void task_items_seek(task_items *it, uint64_t offset)
{
    ctv_spill_cursor_seek(&it->c, offset);
}

void task_items_close(task_items *it)
{
    ctv_spill_cursor_free(&it->c);
    free(it->scratch);
    it->scratch = NULL;
}

static int bad_items(task_items *it)
{
    if (!ctv_tmp_failed(it->c.s->tmp))
        ctv_tmp_fail(it->c.s->tmp, "cannot read back a temporary file", it->c.s->what, EIO);
    return CT_EIO;
}

/* `len` bytes of a message: in the cursor's buffer, or copied when longer. */
static int get_bytes(task_items *it, task_item *item, uint64_t len)
{
    const unsigned char *bytes;
    item->len = (size_t)len;
    int rc = ctv_spill_cursor_bytes(&it->c, item->len, &bytes, &it->scratch, &it->scratch_cap);
    item->bytes = (const char *)bytes;
    return rc;
}

int task_items_next(task_items *it, task_item *item)
{
    const unsigned char *tag = ctv_spill_cursor_get(&it->c, 1);
    if (!tag)
        return bad_items(it);
    uint64_t v[6] = {0};
    static const unsigned char fields[] = {
        [ITEM_MESSAGE] = 1, [ITEM_THREAD] = 1, [ITEM_REGION] = 5, [ITEM_LOG] = 5,
        [ITEM_PROCESS] = 6,
    };
    item->tag = *tag;
    if (item->tag == ITEM_END)
        return 0;
    if (item->tag > ITEM_PROCESS)
        return bad_items(it);
    for (unsigned i = 0; i < fields[item->tag]; i++)
        if (ctv_spill_cursor_varint(&it->c, &v[i]) != 0)
            return CT_EIO;
    int rc;
    switch (item->tag) {
    case ITEM_MESSAGE:
        rc = get_bytes(it, item, v[0]);
        return rc ? rc : 1;
    case ITEM_THREAD:
        item->tid = (int32_t)(uint32_t)v[0];
        return 1;
    case ITEM_REGION:
        item->ts_ns = v[0];
        item->name = (uint32_t)v[1];
        item->tid = (int32_t)(uint32_t)v[2];
        item->duration_ns = v[3];
        item->flags = (uint32_t)v[4];
        return 1;
    case ITEM_PROCESS:
        item->ts_ns = v[0];
        item->tid = (int32_t)(uint32_t)v[1]; /* its pid */
        item->name = (uint32_t)v[2];
        item->duration_ns = v[3];
        item->flags = (uint32_t)v[4];
        item->code = (int64_t)(v[5] >> 1) ^ -(int64_t)(v[5] & 1);
        return 1;
    default: /* ITEM_LOG */
        item->ts_ns = v[0];
        item->name = (uint32_t)v[1];
        item->tid = (int32_t)(uint32_t)v[2];
        item->flags = (uint32_t)v[3];
        rc = get_bytes(it, item, v[4]);
        return rc ? rc : 1;
    }
}

static const ctv_name *name_of(const task_store *st, uint32_t index)
{
    static const ctv_name none = {"", 0};
    return index < st->names.count ? &st->names.names[index] : &none;
}

/* ---- JSON ----------------------------------------------------------------------- */

static void json_name(ctv_json *j, const task_store *st, const char *key, uint32_t index)
{
    const ctv_name *n = name_of(st, index);
    ctv_json_kv_str(j, key, n->bytes, n->len);
}

/* How a process the task started ended: "exit", "signal", "unknown", or
 * "running" (it ran on after the trace ended). */
static const char *process_end_name(uint32_t flags)
{
    return flags & CTR_F_RUNNING        ? "running"
           : flags & CTR_F_UNKNOWN_EXIT ? "unknown"
           : flags & CTR_F_SIGNALED     ? "signal"
                                        : "exit";
}

/* How long a process ran on after the task that started it ended. */
static uint64_t outlived_ns(const task_item *item, uint64_t task_end_ns)
{
    uint64_t end = item->ts_ns + item->duration_ns;
    return end > task_end_ns ? end - task_end_ns : 0;
}

/* The items from `item` on, the task's threads, regions, logs and the
 * processes it started (its end at end_ns). */
static int json_items(ctv_json *j, const task_store *st, task_items *it, task_item *item,
                      int rc, uint64_t end_ns)
{
    ctv_json_key(j, "threads");
    ctv_json_array_begin(j);
    for (; rc == 1 && item->tag == ITEM_THREAD; rc = task_items_next(it, item))
        ctv_json_i64(j, item->tid);
    ctv_json_array_end(j);

    ctv_json_key(j, "regions");
    ctv_json_array_begin(j);
    for (; rc == 1 && item->tag == ITEM_REGION; rc = task_items_next(it, item)) {
        ctv_json_object_begin(j);
        json_name(j, st, "name", item->name);
        ctv_json_kv_i64(j, "tid", item->tid);
        ctv_json_kv_u64(j, "start_ns", item->ts_ns);
        if (item->flags & CTR_F_LOST) /* its end may be among lost events: no duration */
            ctv_json_kv_null(j, "duration_ns");
        else
            ctv_json_kv_u64(j, "duration_ns", item->duration_ns);
        ctv_json_kv_bool(j, "unended", (item->flags & CTR_F_UNENDED) != 0);
        if (item->flags & CTR_F_LOST)
            ctv_json_kv_bool(j, "events_lost", 1);
        if (item->flags & CTR_F_OUT_OF_ORDER)
            ctv_json_kv_bool(j, "out_of_order", 1);
        if (item->flags & CTR_F_OTHER_THREAD)
            ctv_json_kv_bool(j, "other_thread", 1);
        ctv_json_object_end(j);
    }
    ctv_json_array_end(j);

    ctv_json_key(j, "logs");
    ctv_json_array_begin(j);
    for (; rc == 1 && item->tag == ITEM_LOG; rc = task_items_next(it, item)) {
        ctv_json_object_begin(j);
        json_name(j, st, "category", item->name);
        ctv_json_kv_str(j, "message", item->bytes, item->len);
        ctv_json_kv_i64(j, "tid", item->tid);
        ctv_json_kv_u64(j, "ts_ns", item->ts_ns);
        if (item->flags & CTR_F_TRUNCATED)
            ctv_json_kv_bool(j, "truncated", 1);
        ctv_json_object_end(j);
    }
    ctv_json_array_end(j);

    ctv_json_key(j, "processes");
    ctv_json_array_begin(j);
    for (; rc == 1 && item->tag == ITEM_PROCESS; rc = task_items_next(it, item)) {
        ctv_json_object_begin(j);
        ctv_json_kv_i64(j, "pid", item->tid);
        json_name(j, st, "exe", item->name);
        ctv_json_kv_u64(j, "start_ns", item->ts_ns);
        ctv_json_kv_u64(j, "duration_ns", item->duration_ns);
        ctv_json_kv_cstr(j, "end", process_end_name(item->flags));
        if (item->flags & (CTR_F_UNKNOWN_EXIT | CTR_F_RUNNING))
            ctv_json_kv_null(j, "exit_code");
        else
            ctv_json_kv_i64(j, "exit_code", item->code);
        ctv_json_kv_u64(j, "outlived_ns", outlived_ns(item, end_ns));
        ctv_json_object_end(j);
    }
    ctv_json_array_end(j);
    return rc == 1 ? bad_items(it) : rc; /* an item out of its place */
}

static int json_task(ctv_json *j, const task_store *st, const task_row *t, task_items *it)
{
    task_items_seek(it, t->items);
    task_item item;
    int rc = task_items_next(it, &item);
    if (rc < 0)
        return rc;

    ctv_json_object_begin(j);
    ctv_json_kv_u64(j, "id", t->id);
    json_name(j, st, "name", t->name);
    ctv_json_kv_cstr(j, "kind", ctr_task_kind_name((ctr_task_kind)t->kind));
    if (t->parent)
        ctv_json_kv_u64(j, "parent", t->parent);
    else
        ctv_json_kv_null(j, "parent");
    int has_status = (t->flags & ROW_HAS_STATUS) != 0;
    ctv_json_kv_cstr(j, "status", has_status ? ctr_status_name((ctr_status)t->status) : NULL);
    if (has_status && rc == 1 && item.tag == ITEM_MESSAGE) {
        ctv_json_kv_str(j, "message", item.bytes, item.len);
        rc = task_items_next(it, &item);
    } else if (has_status) {
        ctv_json_kv_str(j, "message", "", 0);
    } else {
        ctv_json_kv_null(j, "message");
    }
    ctv_json_kv_u64(j, "start_ns", t->start_ns);
    ctv_json_kv_u64(j, "end_ns", t->end_ns);
    if (t->flags & ROW_LOST) /* its end may be among lost events: no duration */
        ctv_json_kv_null(j, "duration_ns");
    else
        ctv_json_kv_u64(j, "duration_ns", t->end_ns - t->start_ns);
    ctv_json_kv_bool(j, "unended", (t->flags & ROW_UNENDED) != 0);
    if (t->flags & ROW_LOST)
        ctv_json_kv_bool(j, "events_lost", 1);
    if (t->flags & ROW_CUT) /* begun before a flight recorder's window */
        ctv_json_kv_bool(j, "cut", 1);
    if (!(t->flags & ROW_BEGUN)) /* known only from later events: kind and parent unknown */
        ctv_json_kv_bool(j, "begin_missing", 1);
    if (t->flags & ROW_END_MISSING) /* the trace stopped before the task's end */
        ctv_json_kv_bool(j, "end_missing", 1);
    if (t->pid)
        ctv_json_kv_i64(j, "pid", t->pid);
    else
        ctv_json_kv_null(j, "pid");
    rc = json_items(j, st, it, &item, rc, t->end_ns);
    ctv_json_object_end(j);
    return rc;
}

static int row_of(const ctv_sort_rec *rec, task_row *row)
{
    if (rec->len != sizeof *row)
        return CT_EIO;
    memcpy(row, rec->payload, sizeof *row);
    return 0;
}

int task_write_json(task_store *st, FILE *out)
{
    task_items it;
    int rc = task_items_open(&it, &st->items);
    ctv_json j;
    ctv_json_init(&j, out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "tasks");
    ctv_json_array_lines_begin(&j);
    ctv_sort_rec rec;
    while (rc == 0 && (rc = ctv_sort_next(&st->order, &rec)) == 1) {
        task_row row;
        rc = row_of(&rec, &row);
        if (rc == 0)
            rc = json_task(&j, st, &row, &it);
    }
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    fputc('\n', out);
    task_items_close(&it);
    return rc;
}

/* ---- tree ----------------------------------------------------------------------- */

static void indent(FILE *out, uint64_t depth, unsigned extra)
{
    unsigned spaces = 2 * (unsigned)(depth < MAX_INDENT_LEVELS ? depth : MAX_INDENT_LEVELS) + extra;
    fprintf(out, "%*s", (int)spaces, "");
}

/* "+1.2 ms" or "-850 ns": when, from the start of the task. */
static void print_offset(FILE *out, uint64_t ts, uint64_t start)
{
    char buf[CTV_HUMAN_BUF];
    if (ts >= start)
        fprintf(out, "+%s", ctv_format_duration(buf, ts - start));
    else
        fprintf(out, "-%s", ctv_format_duration(buf, start - ts));
}

/* cmocka's messages come a line each: keep them so. */
static void print_message(FILE *out, uint64_t depth, const char *s, size_t len)
{
    const char *end = s + len;
    for (int first = 1; s < end; first = 0) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *stop = nl ? nl : end;
        indent(out, depth, 4);
        fputs(first ? "message: " : "         ", out);
        ctv_print_text(out, s, (size_t)(stop - s));
        fputc('\n', out);
        s = nl ? nl + 1 : end;
    }
}

static void print_header(FILE *out, const task_store *st, const task_row *t, uint64_t depth)
{
    char buf[CTV_HUMAN_BUF];
    const ctv_name *name = name_of(st, t->name);
    const char *kind = ctr_task_kind_name((ctr_task_kind)t->kind);
    indent(out, depth, 0);
    fprintf(out, "[%s] ", (t->flags & ROW_BEGUN) && kind ? kind : "unknown");
    if (name->len)
        ctv_print_text(out, name->bytes, name->len);
    else
        fputs("(no name)", out);
    fputc(':', out);
    if (t->flags & ROW_HAS_STATUS) {
        const char *status = ctr_status_name((ctr_status)t->status);
        fprintf(out, " %s,", status ? status : "unknown");
    }
    fprintf(out, " %s", t->flags & ROW_LOST ? "duration unknown"
                                            : ctv_format_duration(buf, t->end_ns - t->start_ns));
    if (!(t->flags & ROW_BEGUN))
        fputs(" (begin not in the trace)", out);
    if (t->flags & ROW_END_MISSING)
        fputs(" (end not in the trace)", out);
    else if (t->flags & ROW_LOST)
        fputs(" (unended, events lost)", out);
    else if (t->flags & ROW_UNENDED)
        fputs(" (unended)", out);
    if (t->flags & ROW_CUT)
        fputs(" (cut: begun before the flight recorder's window, only its later events "
              "are here)", out);
    /* The id as the process numbered it: with the pid beside it, it is
     * unique; the trace-wide id (process << 40 | id) is in --json. */
    fprintf(out, " [task %" PRIu64, t->id & (((uint64_t)1 << 40) - 1));
    if (t->pid)
        fprintf(out, ", pid %" PRId32, t->pid);
    if (t->nthreads)
        fputs(t->nthreads == 1 ? ", thread" : ", threads", out);
}

/* "process PID NAME: exit 0, 50.7 ms at +666 us", and when it ran on
 * after its task ended, how long: a test that leaves a process behind. */
static void print_process(FILE *out, const task_store *st, const task_row *t, uint64_t depth,
                          const task_item *item)
{
    char buf[CTV_HUMAN_BUF];
    const ctv_name *exe = name_of(st, item->name);
    const char *slash = exe->len ? memrchr(exe->bytes, '/', exe->len) : NULL;
    size_t skip = slash ? (size_t)(slash + 1 - exe->bytes) : 0;
    indent(out, depth, 4);
    fprintf(out, "process %" PRId32 " ", item->tid);
    ctv_print_text(out, exe->bytes + skip, exe->len - skip);
    if (item->flags & CTR_F_RUNNING)
        fputs(": still running when the trace ended", out);
    else if (item->flags & CTR_F_UNKNOWN_EXIT)
        fputs(": ended, how unknown", out);
    else if (item->flags & CTR_F_SIGNALED)
        fprintf(out, ": killed by signal %" PRId64, -item->code);
    else
        fprintf(out, ": exit %" PRId64, item->code);
    fprintf(out, ", %s at ", ctv_format_duration(buf, item->duration_ns));
    print_offset(out, item->ts_ns, t->start_ns);
    uint64_t outlived = outlived_ns(item, t->end_ns);
    if (outlived && t->kind != CTR_TASK_USER)
        fprintf(out, ", outlived its %s by %s", t->kind == CTR_TASK_TEST ? "test" : "fixture",
                ctv_format_duration(buf, outlived));
    else if (outlived)
        fprintf(out, ", outlived its task by %s", ctv_format_duration(buf, outlived));
    fputc('\n', out);
}

int task_print_tree_row(const task_store *st, const task_row *t, uint64_t depth,
                        task_items *it, FILE *out)
{
    task_items_seek(it, t->items);
    task_item item;
    int rc = task_items_next(it, &item);
    char *message = NULL; /* printed after the header, which comes after it */
    size_t message_len = 0;
    if (rc == 1 && item.tag == ITEM_MESSAGE) {
        message_len = item.len;
        message = malloc(message_len ? message_len : 1);
        if (!message)
            return CT_ENOMEM;
        memcpy(message, item.bytes, message_len);
        rc = task_items_next(it, &item);
    }
    print_header(out, st, t, depth);
    for (; rc == 1 && item.tag == ITEM_THREAD; rc = task_items_next(it, &item))
        fprintf(out, " %" PRId32, item.tid);
    fputs("]\n", out);
    if ((t->flags & ROW_HAS_STATUS) && message_len)
        print_message(out, depth, message, message_len);
    free(message);

    char buf[CTV_HUMAN_BUF];
    for (; rc == 1 && item.tag == ITEM_REGION; rc = task_items_next(it, &item)) {
        const ctv_name *rn = name_of(st, item.name);
        indent(out, depth, 4);
        fputs("region ", out);
        ctv_print_text(out, rn->bytes, rn->len);
        /* An end among lost events: when it ended is not known. */
        fprintf(out, ": %s at ", item.flags & CTR_F_LOST ? "duration unknown"
                                                         : ctv_format_duration(buf, item.duration_ns));
        print_offset(out, item.ts_ns, t->start_ns);
        fprintf(out, ", tid %" PRId32 "%s%s%s\n", item.tid,
                item.flags & CTR_F_LOST       ? ", unended, events lost"
                : item.flags & CTR_F_UNENDED ? ", unended"
                                             : "",
                item.flags & CTR_F_OUT_OF_ORDER ? ", ended out of order" : "",
                item.flags & CTR_F_OTHER_THREAD ? ", ended on another thread" : "");
    }
    for (; rc == 1 && item.tag == ITEM_LOG; rc = task_items_next(it, &item)) {
        const ctv_name *cat = name_of(st, item.name);
        indent(out, depth, 4);
        fputs("log ", out);
        print_offset(out, item.ts_ns, t->start_ns);
        fprintf(out, " tid %" PRId32 " [", item.tid);
        ctv_print_text(out, cat->bytes, cat->len);
        fputs("] ", out);
        ctv_print_text(out, item.bytes, item.len);
        fputs(item.flags & CTR_F_TRUNCATED ? " (truncated)\n" : "\n", out);
    }
    for (; rc == 1 && item.tag == ITEM_PROCESS; rc = task_items_next(it, &item))
        print_process(out, st, t, depth, &item);
    return rc == 1 ? bad_items(it) : rc;
}
