/*
 * serve.h - live capture (serve.c): what the library's constructor calls.
 * ct_serve() itself is public (ctrace.h).
 */
#ifndef CT_PLUGIN_SERVE_H
#define CT_PLUGIN_SERVE_H

/* CTRACE_HTTP=ADDR: serve on ADDR, as ct_serve(ADDR) would; a bad value or
 * an address that cannot be bound is said on stderr in one line, and the
 * program runs on without serving. Removed from the environment. */
void ct__serve_from_env(void);

/* Defined by a program that links libctrace but is not the one to serve
 * (the ctest-trace command): CTRACE_HTTP is then left alone, for the
 * programs it starts. */
extern const char ct__serve_not_here __attribute__((weak, visibility("hidden")));

#endif /* CT_PLUGIN_SERVE_H */
