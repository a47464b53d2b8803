/*
 * trace_merge.h - merge traces into one, in time order (for example the
 * user-level and the kernel-level recording of one run).
 */
#ifndef MMBENCH_TRACE_MERGE_H
#define MMBENCH_TRACE_MERGE_H

#include <stddef.h>

#include "traces/trace.h"

#define TRACE_MERGE_MAX_INPUTS 64

/*
 * Merge nr_inputs traces (1..TRACE_MERGE_MAX_INPUTS) into out by timestamp;
 * on equal timestamps the earlier input goes first.
 *
 * Time: inputs whose metadata has clock_monotonic_origin_ns are aligned on
 * it (each one's ts is shifted by its origin minus the smallest such origin,
 * which becomes the output's clock_monotonic_origin_ns); inputs without it
 * keep their ts.
 *
 * Ids: input i's object, page, cache, file and CMA ids are shifted by the sum
 * of the bounds (trace_bounds_t) of inputs 0..i-1, so ids never collide; pids,
 * tids, cpus and CMA area numbers are kept as they are.
 *
 * Metadata: the output's clock_monotonic_origin_ns (when any input has one),
 * merge.inputs, then every pair of every input in order; a key already used
 * by an earlier input (or by the merge itself) is written as "inputN.KEY",
 * N the 0-based input index (cut to 64 bytes).
 *
 * Returns 0, or -1 with *err set: a reader error names the input file, event
 * and byte offset; a writer error names out; no output is left on error.
 */
int trace_merge(const char *out, const char *const *inputs, size_t nr_inputs,
		trace_error_t *err);

/* TRACE_TYPE_BIT(TRACE_MMAP) | ...: a set of event types for trace_merge_drop(). */
#define TRACE_TYPE_BIT(type) (1ull << (type))

/*
 * trace_merge(), except that input i's events whose type is in drop[i] (a set
 * of TRACE_TYPE_BIT()s; drop may be NULL) are left out, and counted in the
 * output's trailer metadata as "merge.dropped.inputN" when any were.  Used
 * where two inputs saw the same calls: `mmbench record --kernel` keeps the
 * kernel's mm syscalls and drops the user level's copies of them.
 */
int trace_merge_drop(const char *out, const char *const *inputs, const uint64_t *drop,
		     size_t nr_inputs, trace_error_t *err);

#endif /* MMBENCH_TRACE_MERGE_H */
