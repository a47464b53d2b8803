/*
 * page_alloc.h - the page allocator's entry points: alloc_pages() and
 * free_pages(), with the kernel's GFP semantics, zonelist fallback,
 * watermarks, per-CPU lists, direct compaction and the highatomic reserve
 * (mm/page_alloc.c, v6.6: __alloc_pages, get_page_from_freelist,
 * __alloc_pages_slowpath, __free_pages).
 *
 * Reclaim is not modeled: where the kernel would reclaim, the model does
 * what the kernel does after reclaim made no progress (give back highatomic
 * reserves, drain the per-CPU lists, retry), then fails the allocation.  A
 * failure is counted by order, zone and gfp and returns PFN_NONE; callers go
 * on.
 */
#ifndef MMBENCH_PAGE_ALLOC_H
#define MMBENCH_PAGE_ALLOC_H

#include "engine/phys.h"

/*
 * Allocate 2^order contiguous pages for an allocation made on `cpu`
 * (< nr_cpus: chooses the per-CPU list and the local node).  Returns the
 * head pfn, or PFN_NONE when no zone the gfp allows can satisfy it (or
 * phys_fail_nth() fired).  The block's head gets PG_head and refcount 1;
 * __GFP_ZERO adds 2^order to COST_PAGE_ZERO.
 */
pfn_t alloc_pages(phys_t *pm, gfp_t gfp, unsigned order, unsigned cpu);

/*
 * Free the block of 2^order pages at pfn, allocated by alloc_pages() with
 * that order, from `cpu`.  Returns 0, or -MM_EINVAL (nothing changed) when
 * pfn is not the head of an allocated block of that order.
 */
int free_pages(phys_t *pm, pfn_t pfn, unsigned order, unsigned cpu);

/* Fill pm->gfp_table from gfp_zone() and gfp_migratetype(); phys_init() calls it. */
void gfp_table_init(phys_t *pm);

/* gfp_zone(): the highest zone type the gfp may allocate from */
unsigned gfp_zone(const phys_t *pm, gfp_t gfp);

/* gfp_migratetype(): MIGRATE_MOVABLE / RECLAIMABLE / UNMOVABLE */
unsigned gfp_migratetype(const phys_t *pm, gfp_t gfp);

/*
 * alloc_migration_target(): a movable block of 2^order pages to migrate a
 * page into, for alloc_contig_range().  Isolated pageblocks are never
 * handed out, so the target lies outside the range being cleared.
 * Returns PFN_NONE if none.
 */
pfn_t alloc_migration_target(phys_t *pm, unsigned order, unsigned cpu);

#endif /* MMBENCH_PAGE_ALLOC_H */
