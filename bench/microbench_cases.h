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

/* The TLB model (engine/tlb.h) of a 4-CPU machine, Skylake-like defaults. */
typedef struct mb_tlb mb_tlb_t;

/* Build it; returns NULL after printing the error to stderr. */
mb_tlb_t *mb_tlb_make(void);
void mb_tlb_free(mb_tlb_t *m);

/*
 * n tlb_lookup()s on CPU 0 cycling over nr_pages distinct 4 KiB pages in a
 * fixed pseudo-random order (seed 1); every miss walks (tlb_walk, 4 levels)
 * and fills (tlb_insert), as the fault path does.  With 48 pages every
 * lookup hits L1, with 512 the STLB, with 8192 nothing.
 * Returns the lookups whose result was `want` (an enum tlb_result; n when
 * the working set behaves as intended).
 */
uint64_t mb_tlb_lookups(mb_tlb_t *m, unsigned nr_pages, int want, uint64_t n);

/* One address space (engine/mm.h) on a 256 MiB machine, for the VMA benchmarks. */
typedef struct mb_vm mb_vm_t;

/*
 * Build it with nr_vmas one-page anonymous VMAs that cannot merge (one-page
 * holes between them).  Returns NULL after printing the error to stderr.
 */
mb_vm_t *mb_vm_make(unsigned nr_vmas);
void mb_vm_free(mb_vm_t *m);

/*
 * n find_vma()s at addresses inside the VMAs, in a fixed pseudo-random
 * order (seed 1).  Returns the lookups that found the expected VMA (n).
 */
uint64_t mb_find_vma(mb_vm_t *m, uint64_t n);

/*
 * n times: mmap(pages * 4 KiB) anonymous read-write, placed top-down by the
 * model, then munmap() of it.  Returns the failed calls (0 expected).
 */
uint64_t mb_mmap_munmap_pairs(mb_vm_t *m, uint64_t pages, uint64_t n);

/*
 * One address space on a 256 MiB machine (THP off) for the fault
 * benchmarks, with the TLB modeled or not; 64 pages of it mapped and
 * written.  Returns NULL after printing the error to stderr.
 */
typedef struct mb_fault mb_fault_t;
mb_fault_t *mb_fault_make(int with_tlb);
void mb_fault_free(mb_fault_t *m);

/*
 * n times: mmap(pages * 4 KiB) anonymous read-write, a write fault on every
 * page (do_anonymous_page: page, PTE, rmap), munmap (zap, free_pgtables).
 * Returns the failures (0 expected).
 */
uint64_t mb_fault_munmap_cycles(mb_fault_t *m, uint64_t pages, uint64_t n);

/*
 * n mm_access()es with FAULT_FLAG_* flags to the 64 mapped pages, in
 * order.  Returns those satisfied without a fault (n expected).
 */
uint64_t mb_access_hits(mb_fault_t *m, unsigned flags, uint64_t n);

/*
 * mmap(pages * 4 KiB) anonymous read-write and leave it unfaulted; returns
 * its address, or 0 on failure.  mb_anon_fault_region() then writes every
 * page once through mm_access() (TLB lookup, miss, walk, do_anonymous_page,
 * TLB fill; a PTE table per 512 pages); returns the accesses that did not
 * fault as FAULT_ANON (0 expected).  mb_anon_unmap() munmaps it (0 or -1).
 */
uint64_t mb_anon_map(mb_fault_t *m, uint64_t pages);
uint64_t mb_anon_fault_region(mb_fault_t *m, uint64_t addr, uint64_t pages);
int mb_anon_unmap(mb_fault_t *m, uint64_t addr, uint64_t pages);

/*
 * A process with `pages` anonymous pages written (THP off, no TLB model) on
 * a machine big enough for them twice over, for the fork benchmark.
 * Returns NULL after printing the error to stderr.
 */
typedef struct mb_fork mb_fork_t;
mb_fork_t *mb_fork_make(uint64_t pages);
void mb_fork_free(mb_fork_t *m);

/*
 * mm_fork() of the process (dup_mmap, copy_page_range: wrprotect, refs,
 * rmap); the child is kept for mb_fork_reset().  Returns the PTEs the
 * child maps (= pages), or 0 on failure.
 */
uint64_t mb_fork_once(mb_fork_t *m);

/*
 * Tear the child down (exit_mmap) and make the parent's PTEs writable
 * again (mprotect read-only, then read-write: exclusive pages regain
 * PTE_RW), so the next fork wrprotects as a first fork does.  Returns 0,
 * or -1 when there was no child or mprotect failed.
 */
int mb_fork_reset(mb_fork_t *m);

/*
 * pgtable_check() of the machine (with a child, if one is live: refcounts
 * and mapcounts 2); returns 0, or -1 after printing the violation.
 */
int mb_fork_check(mb_fork_t *m);

#ifdef __cplusplus
}
#endif

#endif /* MMBENCH_MICROBENCH_CASES_H */
