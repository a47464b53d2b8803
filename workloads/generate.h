/*
 * generate.h - deterministic synthetic trace generators (`mmbench generate`).
 *
 * Each generator writes a trace of a well-known kernel or allocator stress
 * pattern (will-it-scale page_fault1, brk1, mmap1, malloc1, malloc2; fork with
 * copy-on-write; buddy fragmentation; CMA churn).  The output depends only on
 * (name, seed, scale): the same inputs give a byte-identical file on any
 * machine; nothing reads the clock, the host or rand().
 */
#ifndef MMBENCH_GENERATE_H
#define MMBENCH_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace.h"

typedef struct generator {
	const char *name;               /* e.g. "page_fault1" */
	const char *summary;            /* one line for `mmbench generate --list` */
} generator_t;

/* The generators, in a fixed order; *nr receives their count. */
const generator_t *generators(size_t *nr);

/*
 * Write the trace of generator name to out_path.  seed selects the
 * pseudo-random stream (any value), scale multiplies the amount of work
 * (>= 1; scale 1 is a quick run of roughly 10^5..10^6 events).  Returns 0; -1
 * with *err set when writing fails; -2 when name is not a generator.
 */
int generate_trace(const char *name, uint64_t seed, uint32_t scale,
		   const char *out_path, trace_error_t *err);

#endif /* MMBENCH_GENERATE_H */
