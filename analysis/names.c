/* names.c - the words the JSON views use for reader enums. */
#include <ctrace_reader.h>

const char *ctr_status_name(ctr_status status)
{
    switch (status) {
    case CTR_STATUS_PASS: return "pass";
    case CTR_STATUS_FAIL: return "fail";
    case CTR_STATUS_SKIP: return "skip";
    case CTR_STATUS_ERROR: return "error";
    case CTR_STATUS_CRASH: return "crash";
    case CTR_STATUS_TIMEOUT: return "timeout";
    case CTR_STATUS_NONE: break;
    }
    return "none";
}

const char *ctr_task_kind_name(ctr_task_kind kind)
{
    switch (kind) {
    case CTR_TASK_TEST: return "test";
    case CTR_TASK_FIXTURE: return "fixture";
    case CTR_TASK_USER: break;
    }
    return "user";
}

const char *ctr_kind_name(ctr_kind kind)
{
    switch (kind) {
    case CTR_PROCESS_BEGIN: return "process_begin";
    case CTR_PROCESS_END: return "process_end";
    case CTR_THREAD_BEGIN: return "thread_begin";
    case CTR_THREAD_NAME: return "thread_name";
    case CTR_THREAD_END: return "thread_end";
    case CTR_TASK_BEGIN: return "task_begin";
    case CTR_TASK_END: return "task_end";
    case CTR_TASK_STATUS: return "task_status";
    case CTR_REGION: return "region";
    case CTR_LOG: return "log";
    case CTR_LOST: return "lost";
    case CTR_WARNING: return "warning";
    case CTR_BLOCK: return "block";
    case CTR_MODULE: return "module";
    case CTR_SCHED_SOURCE: return "sched_source";
    case CTR_SCHED_LOST: return "sched_lost";
    case CTR_WINDOW_LOST: return "window_lost";
    case CTR_CUT: return "cut";
    case CTR_THREAD_STACK: return "thread_stack";
    case CTR_CPU_SAMPLE: return "cpu_sample";
    case CTR_CPU_SOURCE: return "cpu_source";
    }
    return "unknown";
}

const char *ctr_block_kind_name(ctr_block_kind kind)
{
    switch (kind) {
    case CTR_BLOCK_SYNC: return "sync";
    case CTR_BLOCK_SYSCALL: return "syscall";
    case CTR_BLOCK_NET: return "net";
    case CTR_BLOCK_SCHED: return "sched";
    }
    return NULL;
}

const char *ctr_sched_source_name(ctr_sched_source source)
{
    switch (source) {
    case CTR_SCHED_NONE: return "none";
    case CTR_SCHED_PERF: return "perf";
    case CTR_SCHED_SCHEDSTAT: return "schedstat";
    case CTR_SCHED_DEFERRED: return "deferred";
    }
    return NULL;
}

const char *ctr_cpu_source_name(ctr_cpu_source source)
{
    switch (source) {
    case CTR_CPU_OFF: return "off";
    case CTR_CPU_ON: return "on";
    case CTR_CPU_TAKEN: return "taken";
    case CTR_CPU_FAILED: return "failed";
    }
    return NULL;
}
