/*
 * test_symbolize_offline.c - an offline symbolizer (ct_symbolizer_offline(),
 * the test process's) asks no debuginfod server for a module without DWARF,
 * where libdw's standard search would: DEBUGINFOD_URLS points at a socket of
 * this test, which counts who connects. A test of its own: libdw reads the
 * variable when it is loaded, so it is set before anything is symbolized.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>  /* htonl */
#include <dlfcn.h>      /* dladdr, dlopen */
#include <errno.h>
#include <link.h>       /* dl_iterate_phdr */
#include <netinet/in.h> /* sockaddr_in */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/symbolize.h"

static int listener = -1;
static int connected; /* connections the server took, atomically */
static int counted;   /* of them, those connections() told */

/* The fake server: takes each connection and closes it at once, so that the
 * client gives up at once. */
static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0 && errno != EINTR)
            return NULL; /* shut down */
        if (fd >= 0) {
            __atomic_add_fetch(&connected, 1, __ATOMIC_RELEASE);
            close(fd);
        }
    }
}

/* Connections made to the fake server since the last call. */
static int connections(void)
{
    int now = __atomic_load_n(&connected, __ATOMIC_ACQUIRE), n = now - counted;
    counted = now;
    return n;
}

typedef struct module {
    const char *path;
    uint64_t bias, lo, hi;
} module;

static int find_range(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    module *m = arg;
    if ((uint64_t)info->dlpi_addr != m->bias)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t lo = m->bias + ph->p_vaddr, hi = lo + ph->p_memsz;
        m->lo = m->lo && m->lo < lo ? m->lo : lo;
        m->hi = m->hi > hi ? m->hi : hi;
    }
    return 1;
}

/* cmocka's library: Debian ships it without DWARF. */
static module cmocka_module(void)
{
    Dl_info info;
    assert_true(dladdr((void *)_assert_true, &info) != 0);
    module m = {info.dli_fname, (uint64_t)(uintptr_t)info.dli_fbase, 0, 0};
    dl_iterate_phdr(find_range, &m);
    assert_true(m.lo < m.hi);
    return m;
}

/* Name an address in cmocka's library; `offline` or not. */
static void name_in_cmocka(int offline)
{
    module m = cmocka_module();
    ct_symbolizer *s = ct_symbolizer_new();
    assert_non_null(s);
    if (offline)
        ct_symbolizer_offline(s);
    assert_int_equal(ctr__sym_set_debug_root(s, "/nonexistent-debug-root"), 0);
    assert_int_equal(ct_symbolizer_add_module(s, m.path, NULL, 0, m.bias, m.lo, m.hi), 0);
    ct_symbol sym;
    ct_symbolizer_lookup(s, (uint64_t)(uintptr_t)_assert_true + 4, 0, &sym);
    assert_non_null(sym.module); /* its module is known, whatever names it has */
    while (ct_symbolizer_next_warning(s))
        ;
    ct_symbolizer_free(s);
}

static void test_offline_asks_no_server(void **state)
{
    (void)state;
    name_in_cmocka(1);
    assert_int_equal(connections(), 0);
}

/* The control: without the call, libdw asks (where libdebuginfod is there
 * to ask with). */
static void test_the_standard_search_asks(void **state)
{
    (void)state;
    void *client = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (client == NULL)
        skip(); /* libdw cannot ask anyone: nothing to show */
    dlclose(client);
    name_in_cmocka(0);
    assert_true(connections() > 0);
}

int main(void)
{
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 64) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
        perror("test_symbolize_offline: listening socket");
        return 1;
    }
    char url[64], cache[] = "/tmp/ctrace-debuginfod-XXXXXX";
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    if (mkdtemp(cache) == NULL) {
        perror("test_symbolize_offline: mkdtemp");
        return 1;
    }
    setenv("DEBUGINFOD_URLS", url, 1);
    setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
    setenv("DEBUGINFOD_TIMEOUT", "5", 1); /* the server hangs up at once anyway */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_asks_no_server),
        cmocka_unit_test(test_the_standard_search_asks),
    };
    pthread_t server;
    if (pthread_create(&server, NULL, serve, NULL) != 0) {
        fprintf(stderr, "test_symbolize_offline: no server thread\n");
        return 1;
    }
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    shutdown(listener, SHUT_RDWR); /* accept() fails: the server ends */
    pthread_join(server, NULL);
    close(listener);
    char rm[96];
    snprintf(rm, sizeof rm, "rm -rf '%s'", cache);
    if (system(rm) != 0)
        fprintf(stderr, "test_symbolize_offline: could not remove %s\n", cache);
    return failed;
}
