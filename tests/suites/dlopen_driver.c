/*
 * dlopen_driver.c - a test driver that links neither cmocka nor libctrace
 * and runs the suite of a module it loads: dlopen_driver MODULE FUNCTION.
 * The tracer takes the runner's pool as the module's first group begins
 * (tests/harness/test_wrappers.py).
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: dlopen_driver MODULE FUNCTION\n");
        return 2;
    }
    void *module = dlopen(argv[1], RTLD_NOW);
    int (*run)(void) = module ? (int (*)(void))dlsym(module, argv[2]) : NULL;
    if (!run) {
        fprintf(stderr, "dlopen_driver: %s\n", dlerror());
        return 2;
    }
    return run();
}
