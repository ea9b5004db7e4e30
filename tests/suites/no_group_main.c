/*
 * no_group_main.c - a program that is no cmocka suite: it prints a line and
 * exits with the status its first argument says (0 by default; 77 is how a
 * test binary skips itself under automake and meson).
 * For tests/harness/test_honest_runs.py.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    printf("not a cmocka suite\n");
    return argc > 1 ? atoi(argv[1]) : 0;
}
