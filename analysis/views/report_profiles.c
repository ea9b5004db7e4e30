/*
 * report_profiles.c - the report's profiles: where threads waited on locks,
 * in system calls, on sockets and for a CPU, as flame graphs (icicles:
 * callers above their callees), like `go tool trace`'s four profiles; and
 * where they spent their CPU time (the CPU samples).
 *
 * The profiles are `ctest-trace profile`'s (profile_build.h: the same
 * aggregation, symbolizer and folding), the four of waits in one pass, the
 * CPU profile in another; their folded
 * stacks are merged into a tree (flame_tree.h) and written as nested lists,
 * each frame's width in % of its parent's, so the page draws them without
 * scripts; report/flame.js zooms into a frame and searches. Frames
 * narrower than MIN_SHARE of their profile are summed into one "(smaller
 * frames)" per parent: the page stays small whatever the number of stacks;
 * frames deeper than CTV_FLAME_MAX_DEPTH into one "(deeper frames)", so
 * the nesting stays within what a browser builds.
 */
#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* free */

#include "common/human.h" /* ctv_format_duration */

#include "flame_tree.h"
#include "html.h"
#include "profile_build.h"
#include "report_pages.h"
#include "view_io.h"

#define MIN_SHARE_PER_MILLE 1 /* frames under 0.1 % of their profile are summed */
#define COLOURS 8             /* frame colours, by name: profiles-c0.. (report/pages.css) */

typedef struct flame_out {
    FILE *out;
    const ctv_flame *f;
    uint64_t root_total, min_value;
    uint64_t small_total; /* what the summed frames held, in all */
    size_t small_frames;
} flame_out;

static int add_stack(void *arg, const char *stack, size_t len, uint64_t value)
{
    return ctv_flame_add(arg, stack, len, value) == 0 ? 0 : -1;
}

/* The same name the same colour, in every profile. */
static unsigned colour_of(const ctv_name *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < name->len; i++)
        h = (h ^ (unsigned char)name->bytes[i]) * 16777619u;
    return h % COLOURS;
}

/* <li> of a frame: width in % of its parent's, its value, a tooltip with
 * its time and share of the profile; the element is left open. */
static void open_frame(flame_out *o, const char *cls, const char *name, size_t len,
                       uint64_t value, uint64_t parent)
{
    char text[CTV_HUMAN_BUF];
    fprintf(o->out, "<li class=\"%s\" style=\"width:%.4f%%\" data-ns=\"%" PRIu64 "\" title=\"",
            cls, ctv_report_percent(value, parent), value);
    ctv_html_text(o->out, name, len);
    fprintf(o->out, ": %s, %.2f %%\"><span>", ctv_format_duration(text, value),
            ctv_report_percent(value, o->root_total));
    ctv_html_text(o->out, name, len);
    fputs("</span>", o->out);
}

/* The frames under `node`, recursively (depth is bounded by
 * CTV_FLAME_MAX_DEPTH + 1). @return 0 or CT_ENOMEM. */
static int write_children(flame_out *o, uint32_t node)
{
    ctv_flame_kids kids;
    if (ctv_flame_children(o->f, node, o->min_value, &kids) != 0)
        return CT_ENOMEM;
    int rc = 0;
    uint64_t parent = o->f->nodes[node].total;
    if (kids.count || kids.small_count)
        fputs("<ul>", o->out);
    for (size_t i = 0; i < kids.count && rc == 0; i++) {
        const ctv_flame_node *k = &o->f->nodes[kids.nodes[i]];
        const ctv_name *name = &o->f->labels.names[k->label];
        char cls[24];
        snprintf(cls, sizeof cls, k->deeper ? "profiles-small" : "profiles-c%u",
                 colour_of(name));
        open_frame(o, cls, name->bytes, name->len, k->total, parent);
        rc = write_children(o, kids.nodes[i]);
        fputs("</li>", o->out);
    }
    if (kids.small_count) {
        char label[64];
        int n = snprintf(label, sizeof label, "(%zu smaller frame%s)", kids.small_count,
                         kids.small_count == 1 ? "" : "s");
        open_frame(o, "profiles-small", label, (size_t)n, kids.small_total, parent);
        fputs("</li>", o->out);
        o->small_total += kids.small_total;
        o->small_frames += kids.small_count;
    }
    if (kids.count || kids.small_count)
        fputs("</ul>", o->out);
    free(kids.nodes);
    return rc;
}

/* What a profile is called: its kind's name, its heading, what it sums
 * (its root frame is "all NAME WHAT"), and what the page says when it is
 * empty. */
typedef struct profile_words {
    const char *name, *title, *what, *none;
} profile_words;

/* One profile: its heading, a line of totals, its tree. @return 0 or CT_ENOMEM. */
static int write_profile(FILE *out, const profile_words *w, const ct_prof *prof)
{
    const char *name = w->name;
    ctv_flame f;
    int rc = ctv_flame_init(&f);
    if (rc == 0 && ct_prof_each_folded(prof, add_stack, &f) != 0)
        rc = CT_ENOMEM;
    uint64_t total = rc == 0 ? f.nodes[CTV_FLAME_ROOT].total : 0;
    fprintf(out, "<div class=\"profiles-one\" id=\"profiles-%s\" data-kind=\"%s\" "
                 "data-total-ns=\"%" PRIu64 "\">\n<h3>%s</h3>\n",
            name, name, total, w->title);
    if (rc == 0 && total == 0) {
        fprintf(out, "<p class=\"note\">%s</p>\n", w->none);
    } else if (rc == 0) {
        /* The tree goes to memory first: the totals line says what it merged. */
        char *tree = NULL;
        size_t tree_len = 0;
        FILE *mem = open_memstream(&tree, &tree_len);
        flame_out o = {mem, &f, total, total / 1000 * MIN_SHARE_PER_MILLE, 0, 0};
        if (!mem)
            rc = CT_ENOMEM;
        if (rc == 0) {
            char label[64];
            int n = snprintf(label, sizeof label, "all %s %s", name, w->what);
            fputs("<ul class=\"profiles-fg\">", mem);
            open_frame(&o, "profiles-root", label, (size_t)n, total, total);
            rc = write_children(&o, CTV_FLAME_ROOT);
            fputs("</li></ul>\n", mem);
            rc = fclose(mem) == 0 ? rc : CT_ENOMEM;
        }
        if (rc == 0) {
            char text[CTV_HUMAN_BUF];
            fprintf(out, "<p class=\"note\">%s in all", ctv_format_duration(text, total));
            if (o.small_frames)
                fprintf(out, "; %zu frame%s narrower than 0.1 %% summed into \"smaller "
                             "frames\" (%s)",
                        o.small_frames, o.small_frames == 1 ? "" : "s",
                        ctv_format_duration(text, o.small_total));
            if (f.deeper_stacks)
                fprintf(out, "; %" PRIu64 " stack%s deeper than %u frames, %s, with "
                             "what is below the %uth summed into \"(deeper frames)\"",
                        f.deeper_stacks, f.deeper_stacks == 1 ? "" : "s",
                        CTV_FLAME_MAX_DEPTH, ctv_format_duration(text, f.deeper_total),
                        CTV_FLAME_MAX_DEPTH);
            fputs(".</p>\n", out);
            fwrite(tree, 1, tree_len, out);
        }
        free(tree);
    }
    fputs("</div>\n", out);
    ctv_flame_free(&f);
    return rc;
}

int ctv_report_profiles(const char *trace_path, FILE *out, FILE *err)
{
    static const char *const titles[CTV_PROFILE_KINDS] = {
        NULL, "Sync blocking", "Syscall blocking", "Net blocking", "Scheduler wait"};
    ct_prof *profiles[CTV_PROFILE_KINDS], *cpu = NULL;
    ctv_profile_opts all = {0}; /* no filter */
    unsigned kinds = CTV_PROFILE_KIND_BIT(CTR_BLOCK_SYNC) |
                     CTV_PROFILE_KIND_BIT(CTR_BLOCK_SYSCALL) |
                     CTV_PROFILE_KIND_BIT(CTR_BLOCK_NET) | CTV_PROFILE_KIND_BIT(CTR_BLOCK_SCHED);
    int status = ctv_profile_build(trace_path, &all, kinds, profiles, err);
    if (status != CTV_EXIT_FAILED) {
        int second = ctv_profile_cpu_build(trace_path, &all, &cpu, err);
        status = second > status ? second : status;
    }
    if (status != CTV_EXIT_FAILED) {
        fputs("<section id=\"profiles\"><h2>Profiles</h2>\n"
              "<p class=\"note\">Where threads waited, by kind, and where they spent their "
              "CPU time (its samples), summed by stack: each frame is as wide as the time under "
              "it, callers above their callees (the profiles of <code>ctest-trace profile "
              "--type=KIND</code>). A wait without a stack is shown in its thread's start "
              "routine. Click a frame to zoom into it, its parent to zoom out.</p>\n"
              "<p><label>Search functions <input type=\"search\" id=\"profiles-search\" "
              "autocomplete=\"off\"></label> <span id=\"profiles-matched\" "
              "aria-live=\"polite\"></span></p>\n",
              out);
        for (int k = 1; k < CTV_PROFILE_KINDS && status != CTV_EXIT_FAILED; k++) {
            profile_words w = {ctr_block_kind_name((ctr_block_kind)k), titles[k],
                               "waits", "No waits of this kind."};
            if (write_profile(out, &w, profiles[k]) != 0)
                status = ctv_fail(trace_path, CT_ENOMEM, err);
        }
        profile_words w = {"cpu", "CPU time", "samples",
                           "No CPU samples (--cpu-hz=0, or no thread ran long enough to be "
                           "sampled)."};
        if (status != CTV_EXIT_FAILED && write_profile(out, &w, cpu) != 0)
            status = ctv_fail(trace_path, CT_ENOMEM, err);
        fputs("</section>\n", out);
    }
    for (int k = 0; k < CTV_PROFILE_KINDS; k++)
        ct_prof_free(profiles[k]);
    ct_prof_free(cpu);
    return status;
}
