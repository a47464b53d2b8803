/*
 * microbench_cases.h - the C side of the microbenchmarks.  bench/microbench.cc
 * (Google Benchmark, C++) times these functions; the work itself is C so it
 * measures exactly what mmbench runs.
 */
#ifndef MMBENCH_MICROBENCH_CASES_H
#define MMBENCH_MICROBENCH_CASES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A trace held in memory, made once by a generator. */
typedef struct mb_trace {
	uint8_t *buf;           /* the trace file's bytes */
	size_t len;             /* bytes */
	uint64_t nr_events;
} mb_trace_t;

/*
 * Generate trace `generator` (seed 1, the given scale) into memory.  Returns
 * 0, or -1 after printing the error to stderr.
 */
int mb_trace_make(mb_trace_t *t, const char *generator, uint32_t scale);
void mb_trace_free(mb_trace_t *t);

/*
 * Decode every event of t (trace_next_batch, 256 at a time, as replay
 * reads).  Returns the number of events decoded, or
 * UINT64_MAX on a decode error (printed to stderr).
 */
uint64_t mb_trace_decode(const mb_trace_t *t);

/* A simulated machine for the page-allocator benchmarks. */
typedef struct mb_phys mb_phys_t;

/*
 * Build a machine of mem_mib MiB (Linux defaults, 4 CPUs) with or without
 * per-CPU lists.  Returns NULL after printing the error to stderr.
 */
mb_phys_t *mb_phys_make(uint64_t mem_mib, int pcp_enabled);
void mb_phys_free(mb_phys_t *m);

/*
 * n times: alloc_pages(GFP_KERNEL, order) on CPU 0, then free it.  Returns
 * the number of failed allocations (0 expected).
 */
uint64_t mb_alloc_free_pairs(mb_phys_t *m, unsigned order, uint64_t n);

/*
 * Initialise and tear down a machine of mem_mib MiB; returns host bytes of
 * metadata per simulated page, or -1 on error.
 */
double mb_mem_init(uint64_t mem_mib);

#ifdef __cplusplus
}
#endif

#endif /* MMBENCH_MICROBENCH_CASES_H */
