/*
 * thread_dump.h - every thread writes its stack when the runner asks
 * (before it kills the process for time): THREAD_STACK events.
 */
#ifndef CT_PLUGIN_THREAD_DUMP_H
#define CT_PLUGIN_THREAD_DUMP_H

#include "format/pool.h"

/* Take the runner's request signal (one of the highest real-time signals
 * the program leaves at their default) and name it in pool->stack_signal;
 * none free: it stays 0 and the runner kills without asking. Before main,
 * once the session began. */
void ct__thread_dump_install(ct_pool_header *pool);

#endif /* CT_PLUGIN_THREAD_DUMP_H */
