/* child.h - a test re-executes itself as a child traced by a collector
 * (ctrace_collect.h), as the runner runs a test binary. */
#ifndef CT_TESTS_CHILD_H
#define CT_TESTS_CHILD_H

#include <stddef.h> /* size_t */

typedef struct traced_child {
    size_t pool_bytes;  /* the child's pool (0: the default) */
    int overflow;       /* CT_OVERFLOW_* */
    int drain_at_once;  /* drain again without sleeping while threads wait for room */
    int sleep_ms;       /* between drains */
    const char *env;    /* an assignment for the child's environment, or NULL */
} traced_child;

/* Run `exe` "--child" `mode` under a collector writing `trace`, draining as
 * `how` says, until it exits. @return its wait status. */
int traced_child_run(const char *exe, const char *mode, const char *trace, traced_child how);

#endif
