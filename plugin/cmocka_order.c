/*
 * cmocka_order.c - -list, -failfast and -shuffle for cmocka groups
 * (cmocka_order.h).
 */
#include "plugin/cmocka_order.h"

#include <regex.h>  /* regcomp, regexec */
#include <stdio.h>  /* fprintf */

#include <ctrace_cmocka.h>  /* struct CMUnitTest */
#include <ctrace_collect.h> /* CT_ENV_LIST */

#include "common/shuffle.h"
#include "plugin/api_internal.h" /* CT__STATUS_* */
#include "plugin/cmocka_markers.h"
#include "plugin/session.h" /* ct__run_list, ct__run_failfast, ct__run_shuffle_seed */

int ct__cmocka_is_test(const struct CMUnitTest *t)
{
    return t->name && (t->test_func || t->setup_func || t->teardown_func);
}

int ct__list_group(const char *group_name, const struct CMUnitTest *tests, size_t count)
{
    regex_t re;
    if (regcomp(&re, ct__run_list, REG_EXTENDED | REG_NOSUB) != 0) {
        /* The runner checked it: only a hand-set CTRACE_LIST gets here. */
        fprintf(stderr, "ctrace: %s: not a regular expression: nothing listed\n",
                CT_ENV_LIST);
        return 0;
    }
    ct__markers_group(group_name ? group_name : "group");
    for (size_t i = 0; i < count; i++)
        if (ct__cmocka_is_test(&tests[i]) && regexec(&re, tests[i].name, 0, NULL, 0) == 0)
            ct__marker_list(tests[i].name);
    regfree(&re);
    ct__marker_plan(0, 0);
    ct__markers_group(NULL);
    return 0;
}

static int stopped;

void ct__failfast_note(int status)
{
    if (ct__run_failfast && status != CT__STATUS_PASS && status != CT__STATUS_SKIP)
        stopped = 1;
}

int ct__failfast_stopped(void)
{
    return stopped;
}

void ct__shuffle_order(size_t *v, size_t n)
{
    static ct_shuffle rng; /* one stream for the process: groups draw in turn */
    static int seeded;
    if (!ct__run_shuffled)
        return;
    if (!seeded) {
        ct_shuffle_seed(&rng, ct__run_shuffle_seed);
        seeded = 1;
    }
    ct_shuffle_indices(&rng, v, n);
}
