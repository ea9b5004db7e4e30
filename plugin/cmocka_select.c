/*
 * cmocka_select.c - which of a group's tests run (cmocka_select.h).
 */
#include "plugin/cmocka_select.h"

#include <dlfcn.h> /* dlsym, RTLD_NEXT */

#include "plugin/session.h" /* ct__run_filter, ct__run_shard, ct__run_resume */

#define CT_EXPORT __attribute__((visibility("default")))

int ct__selection_init(ct__selection *s)
{
    const char *run = ct__run_filter, *skip = ct__skip_filter;
    s->has_run = run && *run && regcomp(&s->run, run, REG_EXTENDED | REG_NOSUB) == 0;
    s->has_skip = skip && *skip && regcomp(&s->skip, skip, REG_EXTENDED | REG_NOSUB) == 0;
    return s->has_run || s->has_skip || ct__run_shard.n != 0;
}

void ct__selection_free(ct__selection *s)
{
    if (s->has_run)
        regfree(&s->run);
    if (s->has_skip)
        regfree(&s->skip);
}

int ct__selection_selects(const ct__selection *s, const char *name)
{
    if (s->has_run && regexec(&s->run, name, 0, NULL, 0) != 0)
        return 0;
    if (s->has_skip && regexec(&s->skip, name, 0, NULL, 0) == 0)
        return 0;
    return ct_shard_selects(&ct__run_shard, name);
}

/* Selected runs so far in this process, over every group. */
static unsigned long runs_selected;

int ct__selection_take(unsigned long *ordinal)
{
    *ordinal = runs_selected++;
    return *ordinal >= ct__run_resume;
}

unsigned long ct__selection_next_ordinal(void)
{
    return runs_selected;
}

/* ---- cmocka's own filters -------------------------------------------------- */

static const char *cmocka_test_filter, *cmocka_skip_filter;

/* Hand a filter on to cmocka's own setter. */
static void pass_on(const char *setter, const char *pattern)
{
    void (*real)(const char *) = (void (*)(const char *))dlsym(RTLD_NEXT, setter);
    if (real)
        real(pattern);
}

CT_EXPORT void cmocka_set_test_filter(const char *pattern)
{
    cmocka_test_filter = pattern;
    pass_on("cmocka_set_test_filter", pattern);
}

CT_EXPORT void cmocka_set_skip_filter(const char *pattern)
{
    cmocka_skip_filter = pattern;
    pass_on("cmocka_set_skip_filter", pattern);
}

/* cmocka's pattern language: '*' any run of characters, '?' any one. */
static int glob_match(const char *s, const char *p)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '?' || *p == *s) {
            s++, p++;
        } else if (*p == '*') {
            star = p++;
            resume = s;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int ct__cmocka_filters_select(const char *name)
{
    if (cmocka_test_filter && !glob_match(name, cmocka_test_filter))
        return 0;
    return !(cmocka_skip_filter && glob_match(name, cmocka_skip_filter));
}
