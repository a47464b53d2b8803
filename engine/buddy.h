/*
 * buddy.h - the buddy allocator's free lists: split, merge, migratetype
 * fallback and pageblock stealing, watermarks (mm/page_alloc.c).
 *
 * These are the zone-level operations under the kernel's zone->lock.  The
 * entry points users call (alloc_pages, free_pages) are in page_alloc.h;
 * pcp.c, compaction.c and cma.c use the functions here.  All counts are in
 * pages unless named nr_blocks; every list operation adds to the phys_t's
 * work counters.
 */
#ifndef MMBENCH_BUDDY_H
#define MMBENCH_BUDDY_H

#include "engine/phys.h"

/* alloc_flags (mm/internal.h) */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04    /* don't check watermarks at all */
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10    /* caller cannot block: ALLOC_MIN_RESERVE deeper, HIGHATOMIC ok */
#define ALLOC_MIN_RESERVE	0x20    /* __GFP_HIGH: may dip into half of min */
#define ALLOC_CPUSET		0x40
#define ALLOC_CMA		0x80    /* may allocate from MIGRATE_CMA pageblocks */
#define ALLOC_NOFRAGMENT	0x100   /* avoid mixing pageblock types */
#define ALLOC_HIGHATOMIC	0x200   /* allows access to MIGRATE_HIGHATOMIC */
#define ALLOC_KSWAPD		0x800
#define ALLOC_RESERVES		(ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

/* fpi_t flags for freeing (mm/page_alloc.c) */
#define FPI_NONE		0x0
#define FPI_TO_TAIL		0x2     /* free to the tail: it will not be reused soon */

/*
 * Link/unlink a free block of 2^order pages at pfn on zone's free list of mt
 * (the block's head keeps its list's type in page.mt).  These keep
 * free_area counts but not NR_FREE_PAGES, which callers adjust once per
 * allocation or free, as the kernel does (__mod_zone_freepage_state), so
 * that splitting and merging cost no accounting.
 */
void add_to_free_list(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order,
		      unsigned mt, bool to_tail);
void del_page_from_free_list(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order);

/* Take a free block off its list for good, NR_FREE_PAGES adjusted. */
void take_free_block(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order);

/*
 * __free_one_page(): return a block to the free lists of migratetype mt,
 * merging with its buddy while the buddy is free at the same order; fpi is
 * FPI_*.  The block must not be on any list.
 */
void free_one_page(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order,
		   unsigned mt, unsigned fpi);

/*
 * __rmqueue(): take a block of 2^order pages of migratetype mt from zone,
 * falling back to other types (and stealing pageblocks) as the kernel does;
 * honours ALLOC_CMA and ALLOC_NOFRAGMENT in alloc_flags.  Returns the head
 * pfn, or PFN_NONE.  Does not check watermarks.
 */
pfn_t buddy_rmqueue(phys_t *pm, struct zone *zone, unsigned order, unsigned mt,
		    unsigned alloc_flags);

/* __rmqueue_smallest(): exact-type search from order upward, then expand(). */
pfn_t rmqueue_smallest(phys_t *pm, struct zone *zone, unsigned order, unsigned mt);

/*
 * __zone_watermark_unusable_free(): free pages a request may not count, in
 * pages: all but one page of its own block, the highatomic reserve unless it
 * may use reserves, the free CMA pages unless it may use CMA.
 */
static inline int64_t zone_watermark_unusable_free(const struct zone *z, unsigned order,
						   unsigned alloc_flags)
{
	int64_t unusable = (1ll << order) - 1;

	if (!(alloc_flags & ALLOC_RESERVES))
		unusable += (int64_t)z->nr_reserved_highatomic;
	if (!(alloc_flags & ALLOC_CMA))
		unusable += (int64_t)z->nr_free_cma;
	return unusable;
}

/*
 * __zone_watermark_ok(): true if zone can give 2^order pages and keep `mark`
 * pages free above lowmem_reserve[highest_zoneidx], given alloc_flags.
 * free_pages is the zone's free page count to test with.
 */
bool zone_watermark_ok(phys_t *pm, const struct zone *zone, unsigned order,
		       uint64_t mark, unsigned highest_zoneidx,
		       unsigned alloc_flags, int64_t free_pages);

/*
 * find_suitable_fallback(): the first type in fallbacks[mt] with a free
 * block on area (of this order); *can_steal says whether the whole
 * pageblock may be taken.  With only_stealable, only such a type counts.
 * Returns the type or -1.
 */
int find_suitable_fallback(const phys_t *pm, const struct free_area *area, unsigned order,
			   unsigned mt, bool only_stealable, bool *can_steal);

/* set_pageblock_migratetype() */
void set_pageblock_migratetype(phys_t *pm, pfn_t pfn, unsigned mt);

/*
 * move_freepages_block(): move every free buddy block of the pageblock
 * holding pfn onto the lists of mt.  Returns the number of pages moved, and
 * stores the pageblock's movable (PG_lru) page count in *nr_movable if
 * nr_movable is not NULL.
 */
uint64_t move_freepages_block(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned mt,
			      uint64_t *nr_movable);

/* reserve_highatomic_pageblock() / unreserve_highatomic_pageblock() */
void reserve_highatomic_pageblock(phys_t *pm, pfn_t pfn, struct zone *zone);
bool unreserve_highatomic_pageblock(phys_t *pm, struct zone *zone, unsigned mt, bool force);

/* The head pfn of the free block on a buddy list that contains pfn, or
 * PFN_NONE if pfn is not inside one. */
pfn_t find_free_block_head(const phys_t *pm, pfn_t pfn);

#endif /* MMBENCH_BUDDY_H */
