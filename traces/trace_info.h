/*
 * trace_info.h - what is in a trace: counts, processes, sizes (`mmbench info`).
 *
 * trace_info_collect() reads a whole trace once and summarizes it; it checks
 * nothing beyond what the reader checks, but counts the anomalies replay will
 * meet (frees of ids that are not live, ids allocated twice) so users see
 * them before replaying.
 */
#ifndef MMBENCH_TRACE_INFO_H
#define MMBENCH_TRACE_INFO_H

#include <stdint.h>

#include "traces/trace.h"

/* Allocation size classes: class k holds sizes in (2^(k+2), 2^(k+3)], class 0 is <= 8 bytes. */
#define INFO_NR_SIZE_CLASSES 22         /* ... up to > 4 MiB in the last */

typedef struct info_size_class {
	uint64_t nr;            /* allocations (ALLOC and REALLOC) in the class */
	uint64_t bytes;         /* their requested bytes */
} info_size_class_t;

typedef struct trace_info {
	trace_summary_t summary;        /* the trailer's totals */
	uint64_t first_ts, last_ts;     /* ns */
	uint32_t nr_processes;          /* distinct pids */
	uint32_t nr_threads;            /* distinct tids */
	uint32_t nr_cpus_seen;          /* distinct cpus */

	uint64_t alloc_bytes;           /* bytes requested by ALLOC and REALLOC */
	uint64_t live_bytes;            /* bytes still allocated at the end */
	uint64_t peak_live_bytes;       /* largest live byte count */
	uint64_t peak_live_objects;     /* largest live object count */
	uint64_t nr_unknown_frees;      /* FREE / REALLOC of an id that is not live */
	uint64_t nr_double_allocs;      /* ALLOC of an id that is already live */
	info_size_class_t size_class[INFO_NR_SIZE_CLASSES];

	uint64_t page_alloc_pages;      /* pages (4 KiB units) requested by PAGE_ALLOC */
	uint64_t peak_live_pages;       /* largest number of pages held */
	uint64_t mmap_bytes;            /* bytes mapped by successful MMAP */
} trace_info_t;

/* Upper bound of size class k in bytes (UINT64_MAX for the last class). */
uint64_t info_size_class_max(unsigned k);

/*
 * Read r from its current position to the end and fill *info.  Memory used is
 * proportional to the trace's id spaces and its distinct pids/tids.  Returns
 * 0, or -1 with *err set (the reader's error for malformed data, or out of
 * memory).
 */
int trace_info_collect(trace_reader_t *r, trace_info_t *info, trace_error_t *err);

#endif /* MMBENCH_TRACE_INFO_H */
