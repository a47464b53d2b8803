/*
 * cma.h - the Contiguous Memory Allocator (mm/cma.c, v6.6).
 *
 * A CMA area is a physical range set aside at boot whose pageblocks are
 * MIGRATE_CMA: while free they serve movable allocations, and cma_alloc()
 * gets a contiguous piece back by migrating those allocations out
 * (alloc_contig_range).  A bitmap with one bit per 2^order_per_bit pages
 * records what cma_alloc() handed out.
 */
#ifndef MMBENCH_CMA_H
#define MMBENCH_CMA_H

#include "engine/phys.h"

struct cma {
	char name[24];
	pfn_t base_pfn;
	uint64_t count;                 /* pages */
	unsigned order_per_bit;         /* pages per bit = 1 << order_per_bit */
	uint64_t *bitmap;               /* count >> order_per_bit bits */
	uint64_t nr_allocated;          /* pages handed out now */
	uint64_t nr_alloc_success;      /* cma_alloc() calls that succeeded */
	uint64_t nr_alloc_fail;         /* ... that failed */
	uint64_t nr_busy_retry;         /* ranges found busy and retried (cma_alloc_busy_retry) */
	uint64_t nr_release;            /* cma_release() calls */
};

/*
 * cma_init_area(): set up area idx of pm->cma over [base_pfn, base_pfn +
 * count): bitmap, MIGRATE_CMA pageblocks, zone cma_pages.  Called by
 * phys_init() before memory is freed to the buddy allocator
 * (cma_activate_area + init_cma_reserved_pageblock).  Returns 0 or
 * -MM_ENOMEM.
 */
int cma_init_area(phys_t *pm, unsigned idx, pfn_t base_pfn, uint64_t count,
		  unsigned order_per_bit, const char *name);

/* Free the area's bitmap (phys_destroy()); safe on an area never set up. */
void cma_destroy_area(struct cma *cma);

/*
 * cma_alloc(): allocate `count` contiguous pages from area idx, aligned to
 * 2^align_order pages, migrating movable pages out of the way; on a busy
 * range, retry further on as the kernel does.  Returns the first pfn or
 * PFN_NONE (counted).  cpu is where the migration targets are allocated.
 */
pfn_t cma_alloc(phys_t *pm, unsigned idx, uint64_t count, unsigned align_order, unsigned cpu);

/*
 * cma_release(): give back `count` pages at pfn from area idx.  Returns 0,
 * or -MM_EINVAL if the range is not inside the area or not allocated.
 */
int cma_release(phys_t *pm, unsigned idx, pfn_t pfn, uint64_t count, unsigned cpu);

#endif /* MMBENCH_CMA_H */
