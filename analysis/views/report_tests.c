/*
 * report_tests.c - the report's tests section: every test and fixture with
 * its status (as text and colour), duration, process and failure messages
 * in full, as they began; counts by status, which double as filters, and a
 * search box (report/tests.js).
 *
 * Memory: a test is held from its begin to its end (open tests only, with
 * its messages); at its end its row is written as HTML into an external
 * sort (sort.h) keyed by its begin, which holds what fits in memory and
 * spills the rest. Rows are sorted here rather than in the browser so the
 * page reads in order without scripts, and the counts come before the
 * table. A test's status is the last the trace gives before its end, as
 * the tasks view has it; a status of no open test (after its test's end,
 * or of a test whose begin is not in the trace) is counted, not shown.
 */
#include <inttypes.h> /* PRIu64, PRId32 */
#include <stdlib.h>   /* malloc, realloc, free */
#include <string.h>   /* memcpy, strrchr */

#include "common/human.h" /* ctv_format_duration */

#include "html.h"
#include "maps.h"
#include "report.h"
#include "sort.h"
#include "view_io.h"

#define MESSAGES_MAX (256u << 10) /* bytes of status messages kept per test */
#define STATUSES (CTR_STATUS_TIMEOUT + 1)
#define UNENDED_STATUS STATUSES    /* no status, closed by the trace */
#define COUNTED (STATUSES + 1)

typedef struct open_test {
    uint64_t id, begin_ns;
    char *name;           /* a copy */
    size_t name_len;
    uint32_t process;
    int32_t pid;
    uint8_t kind, status; /* status: 0 none yet */
    char *messages;       /* status messages, one after the other */
    size_t messages_len, messages_dropped;
} open_test;

typedef struct tests {
    ctv_tmp tmp;
    ctv_sort rows;        /* HTML rows keyed (begin_ns) */
    ctv_ids open;         /* task id -> index in test[] */
    open_test *test;
    size_t count, cap;
    uint32_t *free_slots; /* indexes in test[] to reuse */
    size_t nfree, free_cap;
    ctv_names binaries;   /* process paths */
    uint32_t *process_binary; /* by process index */
    size_t nprocess, process_cap;
    uint64_t counts[COUNTED], unplaced_statuses; /* of no open test */
} tests;

static const char *status_word(unsigned status)
{
    static const char *const words[COUNTED] = {"none", "pass", "fail", "skip", "error",
                                               "crash", "timeout", "unended"};
    return status < COUNTED ? words[status] : "none";
}

static int note_process(tests *t, const ctr_event *ev)
{
    while (t->nprocess <= ev->process) {
        uint32_t *grown = ctv_reserve(t->process_binary, &t->process_cap, t->nprocess,
                                      sizeof *grown);
        if (!grown)
            return CT_ENOMEM;
        t->process_binary = grown;
        t->process_binary[t->nprocess++] = UINT32_MAX;
    }
    const char *path = ev->name;
    size_t len = ev->name_len;
    const char *slash = len ? memrchr(path, '/', len) : NULL;
    if (slash) {
        len -= (size_t)(slash + 1 - path);
        path = slash + 1;
    }
    return ctv_names_intern(&t->binaries, path, len, &t->process_binary[ev->process]);
}

static char *copy_bytes(const char *bytes, size_t len)
{
    char *c = malloc(len ? len : 1);
    if (c && len)
        memcpy(c, bytes, len);
    return c;
}

static int begin_test(tests *t, const ctr_event *ev)
{
    uint32_t slot;
    if (ctv_ids_find(&t->open, ev->task, &slot))
        return 0; /* begun twice: the first begin stands */
    if (t->nfree) {
        slot = t->free_slots[--t->nfree];
    } else {
        open_test *grown = ctv_reserve(t->test, &t->cap, t->count, sizeof *grown);
        if (!grown)
            return CT_ENOMEM;
        t->test = grown;
        slot = (uint32_t)t->count++;
    }
    open_test *o = &t->test[slot];
    *o = (open_test){.id = ev->task, .begin_ns = ev->ts_ns, .process = ev->process,
                     .pid = ev->pid, .kind = (uint8_t)ev->task_kind};
    o->name = copy_bytes(ev->name, ev->name_len);
    o->name_len = ev->name_len;
    if (!o->name || ctv_ids_put(&t->open, ev->task, slot) != 0) {
        free(o->name);
        o->name = NULL;
        return CT_ENOMEM;
    }
    return 0;
}

static int add_status(tests *t, const ctr_event *ev)
{
    uint32_t slot;
    if (!ctv_ids_find(&t->open, ev->task, &slot)) {
        /* The reader calls a task it has no begin of a user task: statuses
         * come from tests and fixtures only, so this is one too. */
        t->unplaced_statuses++;
        return 0;
    }
    open_test *o = &t->test[slot];
    /* The last status stands, as in `ctest-trace tasks` (and the runner's
     * summary): a crash after a pass is a crash, a pass after a fail a pass. */
    if ((unsigned)ev->status < STATUSES)
        o->status = (uint8_t)ev->status;
    size_t len = ev->message_len;
    if (!len)
        return 0;
    size_t room = MESSAGES_MAX - o->messages_len;
    size_t kept = len + 1 < room ? len : (room > 1 ? room - 1 : 0);
    o->messages_dropped += len - kept;
    if (!kept)
        return 0;
    char *grown = realloc(o->messages, o->messages_len + kept + 1);
    if (!grown)
        return CT_ENOMEM;
    o->messages = grown;
    if (o->messages_len)
        o->messages[o->messages_len++] = '\n';
    memcpy(o->messages + o->messages_len, ev->message, kept);
    o->messages_len += kept;
    return 0;
}

static void write_row(tests *t, const open_test *o, const ctr_event *end, FILE *row)
{
    unsigned status = o->status;
    if (status == CTR_STATUS_NONE && (!end || (end->flags & CTR_F_UNENDED)))
        status = UNENDED_STATUS;
    t->counts[status]++;
    const char *word = status_word(status);
    fprintf(row, "<tr class=\"st-%s\" data-status=\"%s\"><td class=\"tname\">", word, word);
    ctv_html_text(row, o->name, o->name_len);
    fprintf(row, "</td><td>%s</td><td><span class=\"badge st-%s\">%s</span></td>",
            ctr_task_kind_name((ctr_task_kind)o->kind), word, word);
    char dur[CTV_HUMAN_BUF];
    if (end) {
        uint64_t ns = end->ts_ns > o->begin_ns ? end->ts_ns - o->begin_ns : 0;
        fprintf(row, "<td class=\"num\" data-ns=\"%" PRIu64 "\">%s", ns,
                ctv_format_duration(dur, ns));
        if (end->flags & CTR_F_UNENDED)
            fputs(end->flags & CTR_F_LOST ? " (unended; end lost?)" : " (unended)", row);
        if (end->flags & CTR_F_CUT)
            fputs(" (in part: cut)", row);
        fputs("</td>", row);
    } else {
        fputs("<td class=\"num\">no end in the trace</td>", row);
    }
    fputs("<td>", row);
    uint32_t bin = o->process < t->nprocess ? t->process_binary[o->process] : UINT32_MAX;
    if (bin != UINT32_MAX)
        ctv_html_text(row, t->binaries.names[bin].bytes, t->binaries.names[bin].len);
    fprintf(row, " <span class=\"pid\">pid %" PRId32 "</span></td><td>", o->pid);
    if (o->messages_len) {
        fputs("<pre class=\"msg\">", row);
        ctv_html_text(row, o->messages, o->messages_len);
        if (o->messages_dropped)
            fprintf(row, "\n(%zu bytes more not shown)", o->messages_dropped);
        fputs("</pre>", row);
    }
    fputs("</td></tr>\n", row);
}

/* The test's row into the sort; its slot is freed. */
static int end_test(tests *t, uint32_t slot, const ctr_event *end)
{
    open_test *o = &t->test[slot];
    char *html = NULL;
    size_t len = 0;
    FILE *row = open_memstream(&html, &len);
    int rc = CT_ENOMEM;
    if (row) {
        write_row(t, o, end, row);
        rc = fclose(row) == 0 ? ctv_sort_add(&t->rows, o->begin_ns, 0, 0, html, len)
                              : CT_ENOMEM;
    }
    free(html);
    ctv_ids_remove(&t->open, o->id);
    free(o->name);
    free(o->messages);
    *o = (open_test){.name = NULL};
    uint32_t *grown = ctv_reserve(t->free_slots, &t->free_cap, t->nfree, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    t->free_slots = grown;
    t->free_slots[t->nfree++] = slot;
    return rc;
}

static int gather(tests *t, ctr_reader *r, int *next_rc)
{
    ctr_event ev;
    int rc = 0;
    uint32_t slot;
    while (rc == 0 && (*next_rc = ctr_next(r, &ev)) == 1) {
        switch (ev.kind) {
        case CTR_PROCESS_BEGIN:
            rc = note_process(t, &ev);
            break;
        case CTR_TASK_BEGIN:
            if (ev.task && ev.task_kind != CTR_TASK_USER)
                rc = begin_test(t, &ev);
            break;
        case CTR_TASK_STATUS:
            rc = add_status(t, &ev);
            break;
        case CTR_TASK_END:
            if (ctv_ids_find(&t->open, ev.task, &slot))
                rc = end_test(t, slot, &ev);
            break;
        default:
            break;
        }
    }
    /* Tests the trace has no end of (it stops early): shown all the same. */
    for (size_t i = 0; rc == 0 && i < t->count; i++)
        if (t->test[i].name)
            rc = end_test(t, (uint32_t)i, NULL);
    return rc;
}

static void write_counts(const tests *t, FILE *out)
{
    uint64_t all = 0;
    for (unsigned s = 0; s < COUNTED; s++)
        all += t->counts[s];
    fprintf(out, "<div class=\"tests-filters\" role=\"group\" aria-label=\"show tests by "
                 "status\"><span class=\"tests-total\">%" PRIu64 " tests and fixtures:</span>",
            all);
    for (unsigned s = 0; s < COUNTED; s++) {
        if (!t->counts[s])
            continue;
        const char *word = status_word(s);
        fprintf(out, "<label class=\"badge st-%s\"><input type=\"checkbox\" checked "
                     "data-status=\"%s\"> %s <b>%" PRIu64 "</b></label>",
                word, word, word, t->counts[s]);
    }
    fputs("<input type=\"search\" id=\"tests-search\" placeholder=\"search names and "
          "messages\" aria-label=\"search tests\"><span id=\"tests-shown\"></span></div>\n",
          out);
    if (t->unplaced_statuses)
        fprintf(out, "<p class=\"note\" id=\"tests-unplaced\">%" PRIu64 " status%s of no "
                     "test open at that point of the trace (after its test's end, or of a test "
                     "whose begin is not in the trace) %s not shown here: <code>ctest-trace "
                     "tasks</code> lists them.</p>\n",
                t->unplaced_statuses, t->unplaced_statuses == 1 ? "" : "es",
                t->unplaced_statuses == 1 ? "is" : "are");
}

static int write_rows(tests *t, FILE *out)
{
    fputs("<div class=\"tests-scroll\"><table id=\"tests-table\" class=\"tests\"><thead><tr><th scope=\"col\">Name</th>"
          "<th scope=\"col\">Kind</th><th scope=\"col\">Status</th><th scope=\"col\">"
          "Duration</th><th scope=\"col\">Process</th><th scope=\"col\">Messages</th>"
          "</tr></thead>\n<tbody>\n", out);
    ctv_sort_rec rec;
    int rc;
    while ((rc = ctv_sort_next(&t->rows, &rec)) == 1)
        fwrite(rec.payload, 1, rec.len, out);
    fputs("</tbody></table></div>\n", out);
    return rc;
}

static void tests_free(tests *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->test[i].name);
        free(t->test[i].messages);
    }
    free(t->test);
    free(t->free_slots);
    free(t->process_binary);
    ctv_ids_free(&t->open);
    ctv_names_free(&t->binaries);
    ctv_sort_free(&t->rows);
}

int ctv_report_tests(const char *trace_path, FILE *out, FILE *err)
{
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;
    tests t = {.count = 0};
    ctv_tmp_init(&t.tmp);
    ctv_sort_init(&t.rows, &t.tmp, "report: tests", t.tmp.budget);
    ctv_ids_init(&t.open);
    ctv_names_init(&t.binaries);

    int next_rc = 0;
    int rc = gather(&t, r, &next_rc);
    if (rc == 0)
        rc = ctv_sort_finish(&t.rows);
    int status = CTV_EXIT_FAILED;
    if (rc == 0) {
        status = ctv_end_status(r, next_rc, trace_path, err);
        fputs("<section id=\"tests\"><h2>Tests</h2>\n", out);
        write_counts(&t, out);
        rc = write_rows(&t, out);
        fputs("</section>\n", out);
    }
    if (rc != 0)
        status = ctv_tmp_failed(&t.tmp) ? ctv_fail_spill(trace_path, "report", &t.tmp, err)
                                        : ctv_fail(trace_path, rc, err);
    tests_free(&t);
    ctr_close(r);
    return status;
}
