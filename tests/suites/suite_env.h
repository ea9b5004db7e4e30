/* suite_env.h - how the suites of tests/suites read their knobs. */
#ifndef CT_TESTS_SUITE_ENV_H
#define CT_TESTS_SUITE_ENV_H

#include <stdlib.h> /* getenv, strtol */

/* The number in $name, or `fallback` when unset, empty, negative or not a number. */
static inline long env_long(const char *name, long fallback)
{
    const char *text = getenv(name);
    if (!text || !*text)
        return fallback;
    char *end;
    long v = strtol(text, &end, 10);
    return *end || v < 0 ? fallback : v;
}

#endif
