/*
 * profile_build.h - the waits of a trace summed by stack and symbolised, as
 * profiles (profile_out.h): what `ctest-trace profile` writes and what the
 * report draws as flame graphs.
 *
 * Waits are summed by process and stack in one pass (two with a filter:
 * profile_scope.h), then symbolised with the modules each process recorded;
 * equal stacks merge. Memory grows with distinct stacks and threads (and
 * tasks, about 40 bytes each, with --test or --task), never with events.
 */
#ifndef CTV_PROFILE_BUILD_H
#define CTV_PROFILE_BUILD_H

#include <stdio.h> /* FILE */

#include "format/wire.h" /* CT_MAX_STACK_DEPTH */
#include "maps.h"
#include "profile_out.h"
#include "spill.h"
#include "symbols.h"
#include "views.h"

#define CTV_PROFILE_KINDS 5 /* profiles[] is indexed by ctr_block_kind, 1..4 */
#define CTV_PROFILE_KIND_BIT(kind) (1u << (kind))

/*! ctv_profile_build() : a profile for each kind of wait in `kinds` (a mask
 *  of CTV_PROFILE_KIND_BIT(ctr_block_kind)), of the waits opts' filters keep
 *  (opts->kind, folded and out_path are not looked at), into profiles[kind];
 *  the others are NULL. Free each with ct_prof_free(), whatever the result.
 *  @return the view's exit status (view_io.h); err says what went wrong, or
 *  was lost, and warns of modules that could not be read. On 2 the
 *  profiles may be missing. */
int ctv_profile_build(const char *trace_path, const ctv_profile_opts *opts, unsigned kinds,
                      ct_prof *profiles[CTV_PROFILE_KINDS], FILE *err);

/* ---- shared by the profiles of waits (profile.c) and of CPU time
 * (profile_cpu.c) ---------------------------------------------------------------------- */

/*! ctv_profile_cpu_build() : the trace's CPU samples that opts' filters keep,
 *  summed by stack and labels (test, task, region), into *out (free it with
 *  ct_prof_free(), whatever the result). @return the view's exit status. */
int ctv_profile_cpu_build(const char *trace_path, const ctv_profile_opts *opts, ct_prof **out,
                          FILE *err);

/*! ctv_profile_cpu() : `profile --type=cpu`: that profile, written as opts asks. */
int ctv_profile_cpu(const char *trace_path, const ctv_profile_opts *opts, FILE *err);

/*! ctv_profile_pass() : one pass over the trace, calling fn on each event of
 *  the `kinds` (CTR_KIND_BIT()s: the reader makes no others).
 *  @return the view's exit status. A first of two passes leaves damage to
 *  the second to report (`info` NULL for it), so it is said once. A
 *  temporary file's failure is told from tmp. */
int ctv_profile_pass(const char *path, FILE *err, uint64_t kinds,
                     int (*fn)(void *, const ctr_event *), void *arg, ctr_info *info,
                     const ctv_tmp *tmp);

struct profile_scope;
/*! ctv_profile_scope_begin() : profile_scope_init() and, when the filters
 *  need it, the first pass over the trace (profile_scope.h). @return the
 *  view's exit status so far; s is to be freed whatever it is. */
int ctv_profile_scope_begin(struct profile_scope *s, const ctv_profile_opts *opts,
                            const char *trace_path, FILE *err);

/* Room for a stack's frames, inlined ones included, and its build-ids. */
typedef struct ctv_stack_buf {
    ct_prof_frame frames[CT_MAX_STACK_DEPTH * CT_SYMBOL_MAX_FRAMES];
    char ids[CT_MAX_STACK_DEPTH][2 * 64 + 1]; /* by pc; read by ct_prof_add */
} ctv_stack_buf;

/* A name made for the profile ("libfoo.so+0x1234"), kept in `kept` until
 * the profile is written. NULL when out of memory. */
const char *ctv_profile_keep(ctv_names *kept, const char *text);

/* The frames of `pc`, one per function inlined there and the function it
 * is in (f[0..CT_SYMBOL_MAX_FRAMES)); `id_hex` holds its module's build-id.
 * @return how many. */
size_t ctv_profile_frames(ctv_symbols *syms, ctv_names *kept, uint32_t process, uint64_t pc,
                          int is_return, ct_prof_frame *f, ct_symbol *sym,
                          char id_hex[2 * 64 + 1]);

/*! ctv_profile_write() : write `prof` to opts->out_path (pprof or folded),
 *  replacing it only when complete. @return 0 or CTV_EXIT_FAILED (said). */
int ctv_profile_write(const ct_prof *prof, const ctv_profile_opts *opts, const char *trace_path,
                      FILE *err);

#endif /* CTV_PROFILE_BUILD_H */
