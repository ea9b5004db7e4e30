/*
 * sigaction_spy.c - a library defining sigaction, as a sanitizer's runtime
 * does, which a suite links (sigaction_spy_test.c): it says each call on
 * stderr and makes it through the next definition. Preloaded ahead of it,
 * libctrace's sigaction must hand the program's calls on to it, not to
 * libc (tests/harness/test_cpu_profile.py).
 */
#include <dlfcn.h>  /* dlsym, RTLD_NEXT */
#include <signal.h> /* struct sigaction */
#include <stdio.h>  /* snprintf */
#include <unistd.h> /* write */

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

__attribute__((visibility("default"))) int sigaction(int sig, const struct sigaction *act,
                                                     struct sigaction *old)
{
    if (act) {
        char line[64];
        int n = snprintf(line, sizeof line, "sigaction_spy: signal %d\n", sig);
        if (n > 0)
            (void)!write(2, line, (size_t)n);
    }
    sigaction_fn next = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    return next(sig, act, old);
}
