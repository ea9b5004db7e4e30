/*
 * fd_kind.h - what a wait on a file descriptor counts as: net on a socket,
 * syscall on anything else (a regular file, a pipe or FIFO, a terminal, a
 * device, an eventfd).
 */
#ifndef CT_PLUGIN_FD_KIND_H
#define CT_PLUGIN_FD_KIND_H

/* CT_BLOCK_NET if `fd` is a socket, else CT_BLOCK_SYSCALL (also when `fd`
 * is not open: a wait on it is the kernel's, whatever it was). May change
 * errno. Async-signal-safe. */
unsigned ct__fd_block_kind(int fd);

#endif /* CT_PLUGIN_FD_KIND_H */
