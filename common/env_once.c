/* env_once.c - the tracer's settings, read once (see env_once.h). */
#include "common/env_once.h"

#include <stdlib.h> /* getenv */
#include <string.h> /* strcmp, strdup */

static const char *const names[] = {"CTRACE_CLOCK", "CTRACE_STACKS", "CTRACE_SCHED",
                                    "CTRACE_OVERFLOW"};
#define N_NAMES (sizeof names / sizeof names[0])
static const char *values[N_NAMES]; /* kept for the process's life */
static int frozen;                  /* atomic */

void ct_env_freeze(void)
{
    if (__atomic_load_n(&frozen, __ATOMIC_ACQUIRE))
        return;
    for (size_t i = 0; i < N_NAMES; i++) {
        const char *v = getenv(names[i]);
        values[i] = v ? strdup(v) : NULL; /* out of memory: as if unset */
    }
    __atomic_store_n(&frozen, 1, __ATOMIC_RELEASE);
}

const char *ct_env(const char *name)
{
    if (!__atomic_load_n(&frozen, __ATOMIC_ACQUIRE))
        return getenv(name);
    for (size_t i = 0; i < N_NAMES; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    return getenv(name);
}
