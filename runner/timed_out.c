/*
 * timed_out.c - what the runner says of a process killed for time
 * (timed_out.h).
 */
#include "timed_out.h"

#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* free */
#include <unistd.h> /* close */

#include "format/duration.h" /* ct_format_go_duration */

#include "flight.h"
#include "stacks_text.h"

void rn_timed_out_tell(rn_out *o, ct_collector *c, const rn_child_result *res,
                       uint64_t run_timeout_ns)
{
    char why[160], limit[48], window[64];
    if (res->run_timed_out) {
        ct_format_go_duration(limit, sizeof limit, run_timeout_ns);
        snprintf(why, sizeof why, "test timed out: the run took longer than "
                 "--timeout-total=%s: killed", limit);
    }
    int fd = -1; /* a flight recorder's: the process's last window */
    const char *trace = ct_collector_path(c);
    if (trace == NULL)
        trace = rn_flight_window_path(c, res->pid, window, sizeof window, &fd);
    rn_stacks_asked asked = {res->stacks_asked, res->stacks_answered, res->stack_signal};
    size_t len = 0;
    char *stacks = rn_stacks_text(trace, res->tests_pid, &asked, &len);
    if (fd >= 0)
        close(fd);
    rn_out_timed_out(o, res->run_timed_out ? why : NULL, stacks, len);
    free(stacks);
}
