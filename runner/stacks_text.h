/*
 * stacks_text.h - the stacks the threads of a process killed for time wrote
 * (THREAD_STACK events), as text for people: what the runner shows under
 * the test that timed out, as go test shows every goroutine.
 */
#ifndef RN_STACKS_TEXT_H
#define RN_STACKS_TEXT_H

#include <stddef.h> /* size_t */

/* What the runner knows of the request (child.h's rn_child_result). */
typedef struct rn_stacks_asked {
    unsigned asked;    /* threads sent the request; 0: none could be */
    unsigned answered; /* of those, how many answered before the kill */
    int signal;        /* the signal asked with */
} rn_stacks_asked;

/*! rn_stacks_text() : the stacks in the trace at `path` of the last
 *  process there with `pid`, one block a thread, the main thread first:
 *
 *      goroutine-like: "thread 4242 \"worker\" [futex] in TestDeadlock:"
 *      then a line a frame, innermost first: "    function (file:line)"
 *
 *  frames symbolized with the process's modules, libctrace's own left
 *  out; names and paths escaped. Then a line for threads that did not
 *  answer (`asked`). Each line ends in '\n'.
 *  @return malloc'd text, or NULL (no trace to read, or out of memory);
 *  *len its length. */
char *rn_stacks_text(const char *path, int pid, const rn_stacks_asked *asked, size_t *len);

#endif /* RN_STACKS_TEXT_H */
