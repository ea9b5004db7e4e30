/*
 * serve_addr.h - where a live-capture server listens (ct_serve, CTRACE_HTTP):
 * parsing the address the user gave, and naming the one bound.
 *
 * Accepted: "127.0.0.1:PORT" (any 127.0.0.0/8), "[::1]:PORT",
 * "localhost:PORT" (127.0.0.1, no name lookup), "unix:/path" (a Unix
 * socket), and "public:HOST:PORT" with any IP address as HOST, for a user
 * who means a server other machines can reach. PORT 0: the kernel picks.
 */
#ifndef CT_PLUGIN_SERVE_ADDR_H
#define CT_PLUGIN_SERVE_ADDR_H

#include <sys/socket.h> /* sockaddr_storage, socklen_t */

#define CT_SERVE_PUBLIC_PREFIX "public:"
#define CT_SERVE_UNIX_PREFIX "unix:"

typedef struct ct_serve_addr {
    struct sockaddr_storage sa; /* AF_INET, AF_INET6 or AF_UNIX */
    socklen_t len;
} ct_serve_addr;

/* Parse `text`. @return 0, or CT_EINVAL with *why saying what is wrong (a
 * static string). */
int ct__serve_addr_parse(const char *text, ct_serve_addr *out, const char **why);

/* `sa` (a bound address) as ct__serve_addr_parse accepts it, without the
 * public: prefix, in buf. @return buf. */
char *ct__serve_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size);

#endif /* CT_PLUGIN_SERVE_ADDR_H */
