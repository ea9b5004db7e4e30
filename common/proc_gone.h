/*
 * proc_gone.h - whether a process (not our child: no wait) has ended.
 */
#ifndef CT_COMMON_PROC_GONE_H
#define CT_COMMON_PROC_GONE_H

/* Whether process `pid` is gone: dead, or a zombie nobody reaped yet
 * (/proc/PID/stat's state after the name in parentheses). kill, open, read
 * and close only: async-signal-safe; errno is kept. In a traced process,
 * call it untraced (plugin/thread.h: its open and read are interposed). */
int ct_proc_gone(int pid);

#endif /* CT_COMMON_PROC_GONE_H */
