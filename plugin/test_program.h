/*
 * test_program.h - tell a test binary from a program that only leads to one.
 */
#ifndef CT_PLUGIN_TEST_PROGRAM_H
#define CT_PLUGIN_TEST_PROGRAM_H

/* Whether this process may run cmocka groups: a module of it other than
 * the preloaded libctrace links libcmocka or libctrace, or libctrace is
 * linked into the program itself. A process that does not (env, a shell,
 * timeout, valgrind's launcher) leaves the runner's pool to the program it
 * runs. Before main: takes the loader's list lock. */
int ct__program_runs_tests(void);

/* Whether this process may call the trace assertions: a module of it other
 * than libctrace imports ct__check (ctrace_cmocka.h's assertions all call
 * it), libctrace is linked into the program itself, or a module's symbols
 * cannot be read. Takes the loader's list lock. */
int ct__program_calls_checks(void);

#endif /* CT_PLUGIN_TEST_PROGRAM_H */
