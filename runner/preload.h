/*
 * preload.h - the libctrace.so the runner preloads into test binaries, so
 * that one that does not link it still gets a task per test.
 */
#ifndef RN_PRELOAD_H
#define RN_PRELOAD_H

/*! rn_preload_path() : the library to preload: $CTRACE_PRELOAD if set (an
 *  empty value: preload nothing), else the one installed with this runner
 *  (BINDIR/../LIBDIR, then LIBDIR as configured), else the one of the build
 *  tree this runner was built in.
 *  @return a malloc'd path, or NULL (nothing to preload; *why says why when
 *  it is a problem, else NULL). */
char *rn_preload_path(const char **why);

#endif /* RN_PRELOAD_H */
