/*
 * fuzz_rules.c - any bytes taken as an --assert rule (assertions/rules.h),
 * as the tracer takes each line of CTRACE_ASSERT: the parser never crashes
 * or leaks; a refusal points inside the rule (or just past it) with a
 * message and leaves the rule empty; an accepted rule's text reads back as
 * the same rule.
 *
 * corpus_rules/ holds one rule a file, right and wrong. glibc's regcomp
 * takes memory that grows exponentially with stacked repetitions
 * ("a++++++...:sync.max<1ms"), as it does for -run: fuzz with -fork=1
 * -ignore_ooms=1 to go on past those.
 */
#include "fuzz_common.h"

#include <stdlib.h> /* abort, malloc, free */
#include <string.h> /* memcpy, strcmp, strlen */

#include "assertions/rules.h"

static int same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* a NUL inside ends the rule, as in a C string */
    ct_rule rule;
    ct_rule_error err;
    if (ct_rule_parse(text, &rule, &err) != 0) {
        if (err.column < 1 || err.column > strlen(text) + 1 || err.message[0] == '\0' ||
            rule.text != NULL || rule.name != NULL || rule.test_regex != NULL)
            abort();
    } else {
        ct_rule again;
        if (rule.text == NULL || ct_rule_parse(rule.text, &again, &err) != 0 ||
            again.metric != rule.metric || again.op != rule.op || again.value != rule.value ||
            !same_string(again.name, rule.name) || !same_string(again.test_regex, rule.test_regex) ||
            strcmp(again.text, rule.text) != 0)
            abort();
        ct_rule_free(&again);
        ct_rule_free(&rule);
    }
    free(text);
    return 0;
}
