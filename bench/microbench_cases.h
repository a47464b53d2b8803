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

/* A latency histogram (bench/hist.h, 3 figures to 1 hour) and values to record. */
typedef struct mb_hist mb_hist_t;

/*
 * nr_values pseudo-random values (seed 1) spanning 10 ns .. 10 ms, uniform
 * in log2, and an empty histogram.  Returns NULL after printing to stderr.
 */
mb_hist_t *mb_hist_make(uint64_t nr_values);
void mb_hist_free(mb_hist_t *m);

/* hist_record() every value once, in order; returns the histogram's count. */
uint64_t mb_hist_record(mb_hist_t *m);

/* A machine with vmalloc (engine/vmalloc.h) on top of its page allocator. */
typedef struct mb_vmalloc mb_vmalloc_t;

/*
 * Build a machine of mem_mib MiB (Linux defaults, 4 CPUs) and its vmalloc
 * range (default config: lazy purge at lazy_max_pages()).  Returns NULL
 * after printing the error to stderr.
 */
mb_vmalloc_t *mb_vmalloc_make(uint64_t mem_mib);
void mb_vmalloc_free(mb_vmalloc_t *m);

/*
 * n times: vmalloc(pages * 4 KiB, GFP_KERNEL) on CPU 0, then vfree() it
 * (purges included when the lazy total passes the maximum).  Returns the
 * number of failed vmalloc calls (0 expected).
 */
uint64_t mb_vmalloc_vfree_pairs(mb_vmalloc_t *m, uint64_t pages, uint64_t n);

/* A machine with SLUB and kmalloc (engine/slub.h) on its page allocator. */
typedef struct mb_slub mb_slub_t;

/*
 * Build a machine of mem_mib MiB (Linux defaults, 4 CPUs) with the default
 * slub config and a cache "bench256" of 256-byte objects.  Returns NULL
 * after printing the error to stderr.
 */
mb_slub_t *mb_slub_make(uint64_t mem_mib);
void mb_slub_free(mb_slub_t *m);

/*
 * n times: kmalloc(size, GFP_KERNEL) on CPU 0, then kfree() it (the fast
 * paths once the cpu slab is set up).  Returns the failures (0 expected).
 */
uint64_t mb_kmalloc_kfree_pairs(mb_slub_t *m, size_t size, uint64_t n);

/*
 * nr kmalloc(size, GFP_KERNEL)s on CPU 0, all live at once, then nr kfree()s
 * of them on CPU 0, oldest first: new slabs, full slabs frozen onto the cpu
 * partial list and drained, discards.  Returns the failures (0 expected).
 */
uint64_t mb_kmalloc_kfree_bulk(mb_slub_t *m, size_t size, unsigned nr);

/*
 * nr kmem_cache_alloc()s from bench256 on CPU 0, then nr frees of them on
 * CPU 0, oldest first: new slabs, full slabs frozen onto the cpu partial
 * list, drains, discards.  Returns the failures (0 expected).
 */
uint64_t mb_kmem_cache_burst(mb_slub_t *m, unsigned nr);

#ifdef __cplusplus
}
#endif

#endif /* MMBENCH_MICROBENCH_CASES_H */
