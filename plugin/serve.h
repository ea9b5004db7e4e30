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

#endif /* CT_PLUGIN_SERVE_H */
