/*
 * serve_addr.c - a live-capture server's address (serve_addr.h). Loopback
 * or a Unix socket unless the user spells out public: - a trace shows what
 * the program does, its names and its log messages.
 */
#include "plugin/serve_addr.h"

#include <arpa/inet.h>  /* inet_pton, inet_ntop */
#include <netinet/in.h> /* sockaddr_in, sockaddr_in6, IN6_IS_ADDR_LOOPBACK */
#include <stddef.h>     /* offsetof */
#include <stdint.h>     /* uint16_t */
#include <stdio.h>      /* snprintf */
#include <string.h>     /* strncmp, strrchr, memcpy */
#include <sys/un.h>     /* sockaddr_un */

#include <ctrace.h> /* CT_EINVAL */

/* "PORT": 0 to 65535 in decimal, nothing else. */
static int parse_port(const char *text, unsigned *port)
{
    unsigned v = 0;
    size_t n = 0;
    for (; text[n] >= '0' && text[n] <= '9'; n++) {
        v = v * 10 + (unsigned)(text[n] - '0');
        if (n >= 5 || v > 65535)
            return -1;
    }
    if (n == 0 || text[n] != '\0')
        return -1;
    *port = v;
    return 0;
}

static int parse_unix(const char *path, ct_serve_addr *out, const char **why)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&out->sa;
    size_t n = strlen(path);
    if (n == 0) {
        *why = "unix: needs a path (unix:/path/to/socket)";
        return CT_EINVAL;
    }
    if (n >= sizeof un->sun_path) {
        *why = "the Unix socket's path is longer than 107 bytes";
        return CT_EINVAL;
    }
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n + 1);
    out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

/* HOST:PORT with HOST an IPv4 address, [IPv6] or localhost. */
static int parse_inet(const char *text, int public_, ct_serve_addr *out, const char **why)
{
    char host[64];
    const char *colon;
    if (text[0] == '[') {
        const char *end = strchr(text, ']');
        if (!end || end[1] != ':') {
            *why = "an IPv6 address is written [ADDR]:PORT";
            return CT_EINVAL;
        }
        text++;
        colon = end + 1;
        if ((size_t)(end - text) >= sizeof host)
            goto bad_host;
        memcpy(host, text, (size_t)(end - text));
        host[end - text] = '\0';
    } else {
        colon = strrchr(text, ':');
        if (!colon) {
            *why = "no port: write HOST:PORT (127.0.0.1:6060; port 0: any free port)";
            return CT_EINVAL;
        }
        if ((size_t)(colon - text) >= sizeof host)
            goto bad_host;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        if (strchr(host, ':')) {
            *why = "an IPv6 address is written [ADDR]:PORT";
            return CT_EINVAL;
        }
    }
    unsigned port;
    if (parse_port(colon + 1, &port) != 0) {
        *why = "the port is not a number from 0 to 65535";
        return CT_EINVAL;
    }
    if (host[0] == '\0') {
        *why = "no host: write 127.0.0.1:PORT (public:0.0.0.0:PORT listens on every "
               "interface)";
        return CT_EINVAL;
    }
    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->sa;
    int loopback;
    if (strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        if (host[0] == 'l')
            inet_pton(AF_INET, "127.0.0.1", &in4->sin_addr);
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        out->len = sizeof *in4;
        loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *in6;
        loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    } else {
        goto bad_host;
    }
    if (!loopback && !public_) {
        *why = "not a loopback address: a trace shows the program's names and logs to "
               "whoever fetches it; write public:HOST:PORT if that is meant";
        return CT_EINVAL;
    }
    return 0;
bad_host:
    *why = "the host is not an IP address or localhost (no name lookup)";
    return CT_EINVAL;
}

int ct__serve_addr_parse(const char *text, ct_serve_addr *out, const char **why)
{
    memset(out, 0, sizeof *out);
    *why = "no address";
    if (!text)
        return CT_EINVAL;
    size_t unix_n = strlen(CT_SERVE_UNIX_PREFIX), public_n = strlen(CT_SERVE_PUBLIC_PREFIX);
    if (strncmp(text, CT_SERVE_UNIX_PREFIX, unix_n) == 0)
        return parse_unix(text + unix_n, out, why);
    if (strncmp(text, CT_SERVE_PUBLIC_PREFIX, public_n) == 0)
        return parse_inet(text + public_n, 1, out, why);
    return parse_inet(text, 0, out, why);
}

char *ct__serve_addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        size_t n = len > offsetof(struct sockaddr_un, sun_path)
                       ? strnlen(un->sun_path, len - offsetof(struct sockaddr_un, sun_path))
                       : 0;
        snprintf(buf, size, "%s%.*s", CT_SERVE_UNIX_PREFIX, (int)n, un->sun_path);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(buf, size, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
        snprintf(buf, size, "%s:%u", host, ntohs(in4->sin_port));
    }
    return buf;
}
