/*
 * profile_out.h - stacks with a count and a time, written as a pprof
 * profile (profile.proto, gzipped) or as folded stacks for flame graphs.
 *
 * `ctest-trace profile` adds one sample per stack it saw blocking; samples
 * with the same frames are merged. Strings, functions, locations and
 * mappings are shared between samples, so a profile grows with what is
 * distinct. Names and paths come from traced binaries and may be any bytes:
 * the pprof output carries them as valid UTF-8 (invalid bytes become U+FFFD,
 * as protobuf requires of `string` fields), and the folded output also
 * replaces what would split a line or a frame.
 */
#ifndef CTV_PROFILE_OUT_H
#define CTV_PROFILE_OUT_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t, int64_t */
#include <stdio.h>  /* FILE */

typedef struct ct_prof ct_prof;

typedef struct ct_prof_frame {          /* one frame, innermost first in a stack */
    uint64_t address;                   /* absolute pc (0 for a synthetic frame) */
    const char *function;               /* may be NULL: then the frame is named by its address "0x..." */
    const char *file;                   /* may be NULL */
    unsigned line;                      /* 0 if unknown */
    const char *module;                 /* mapping file path, may be NULL */
    uint64_t module_lo, module_hi, module_offset; /* the module's absolute range and file offset (0s if unknown) */
    const char *build_id;               /* hex string or NULL */
    int inlined;                        /* inlined into the next frame: both are one
                                           location (the next one's address and module),
                                           this one's Line first */
} ct_prof_frame;

/*! ct_prof_new() : an empty profile whose samples hold two values, a count
 *  and a time, e.g. {"contentions","count"} and {"delay","nanoseconds"} like
 *  Go's block profile. The period type is the second pair, with period 1.
 *  The strings are copied. @return the profile, or NULL (ENOMEM). */
ct_prof *ct_prof_new(const char *count_type, const char *count_unit,
                     const char *value_type, const char *value_unit);

/*! ct_prof_add() : add `count` and `value` to the sample of this stack (n
 *  frames, innermost first; n may be 0), creating it when new. Sums saturate
 *  at INT64_MAX, as pprof values are signed. Frames marked `inlined` and the
 *  frame after them make one location with a Line each, innermost first
 *  (profile.proto: the last Line is the caller the others were inlined
 *  into). A frame without a function (NULL or "") has no Line, and a
 *  location without any is a bare address, which pprof may symbolize from
 *  the module itself. A frame without a module (NULL or "", and no range)
 *  has no mapping. Locations are the same when address, functions, files,
 *  lines and module are; a module is its range and path (the first frame's
 *  offset and build id are kept). @return 0, or -1 with errno ENOMEM (the profile is
 *  unchanged but may hold unused strings or locations). */
int ct_prof_add(ct_prof *p, const ct_prof_frame *frames, size_t n,
                uint64_t count, uint64_t value);

/* A string label of a sample (pprof -tags): key and value, copied. */
typedef struct ct_prof_label {
    const char *key, *value;
} ct_prof_label;

/*! ct_prof_add_labeled() : ct_prof_add() of a sample that carries
 *  `nlabels` labels, in that order: samples merge only when their frames and
 *  labels are the same. Folded stacks leave labels out. */
int ct_prof_add_labeled(ct_prof *p, const ct_prof_frame *frames, size_t n,
                        const ct_prof_label *labels, size_t nlabels, uint64_t count,
                        uint64_t value);

/* When the profile starts (Unix nanoseconds) and how long it covers. */
void ct_prof_set_time(ct_prof *p, int64_t time_nanos, int64_t duration_nanos);

/* The period of its value type (pprof -period...): 1 unless set; a CPU
 * profile's sampling period in ns. */
void ct_prof_set_period(ct_prof *p, int64_t period);

/*! ct_prof_add_comment() : one more comment line (pprof -comments).
 *  Dropped when out of memory: comments are decoration. */
void ct_prof_add_comment(ct_prof *p, const char *comment);

/*! ct_prof_write_pprof() : write the profile as gzipped profile.proto.
 *  A profile without samples is still a valid profile. The first mapping
 *  written is the first executable seen (not a .so, not "[...]"): pprof
 *  takes the first mapping for the profiled binary.
 *  @return 0, or -1 with errno (ENOMEM, or what writing to f set). */
int ct_prof_write_pprof(const ct_prof *p, FILE *f);

/*! ct_prof_write_folded() : one line "root;...;leaf VALUE\n" per distinct
 *  stack of frame labels, VALUE being the summed nanoseconds (flamegraph.pl,
 *  speedscope, inferno). A label is the function name (each function
 *  inlined at an address is a frame of its own, as in pprof), or "0x..."
 *  (the address) without one; ';', control bytes and invalid UTF-8 in it are
 *  replaced ('_' and U+FFFD) so that no label can split a frame or a line.
 *  Frames only differing by address or line share a label and so a line; a
 *  sample without frames is "[unknown]".
 *  @return 0, or -1 with errno (ENOMEM, or what writing to f set). */
int ct_prof_write_folded(const ct_prof *p, FILE *f);

/*! ct_prof_each_folded() : the folded stacks of ct_prof_write_folded(),
 *  each as `stack` ("root;...;leaf", len bytes, no NUL, valid UTF-8: labels
 *  hold no ';') and its summed nanoseconds, handed to fn in the order first
 *  seen. Stops at fn's first non-zero return and returns it.
 *  @return 0, fn's value, or -1 with errno ENOMEM. */
int ct_prof_each_folded(const ct_prof *p,
                        int (*fn)(void *arg, const char *stack, size_t len, uint64_t value),
                        void *arg);

void ct_prof_free(ct_prof *p);

#endif /* CTV_PROFILE_OUT_H */
