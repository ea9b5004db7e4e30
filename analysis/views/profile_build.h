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

#include "profile_out.h"
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

#endif /* CTV_PROFILE_BUILD_H */
