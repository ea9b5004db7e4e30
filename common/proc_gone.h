/*
 * proc_gone.h - a process's state from /proc/PID/stat, and whether a
 * process (not our child: no wait) has ended.
 */
#ifndef CT_COMMON_PROC_GONE_H
#define CT_COMMON_PROC_GONE_H

/* What /proc/PID/stat says after the name in parentheses (which may hold
 * anything): its state letter, parent and flags (PF_*). */
typedef struct ct_proc_stat {
    char state;
    int ppid;
    unsigned flags;
} ct_proc_stat;

/* Read process `pid`'s. open, read and close only: async-signal-safe; errno
 * is kept. @return 0, or -1 (no such process, or unreadable). */
int ct_proc_stat_read(int pid, ct_proc_stat *out);

/* Whether process `pid` is gone: dead, or a zombie nobody reaped yet. kill
 * and the above only: async-signal-safe; errno is kept. In a traced
 * process, call it untraced (plugin/thread.h: its open and read are
 * interposed). */
int ct_proc_gone(int pid);

#endif /* CT_COMMON_PROC_GONE_H */
