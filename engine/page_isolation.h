/*
 * page_isolation.h - isolating pageblocks and allocating a given physical
 * range (mm/page_isolation.c and alloc_contig_range() in mm/page_alloc.c,
 * v6.6); what CMA is built on.
 */
#ifndef MMBENCH_PAGE_ISOLATION_H
#define MMBENCH_PAGE_ISOLATION_H

#include "engine/phys.h"

/*
 * start_isolate_page_range(): mark every pageblock overlapping [start, end)
 * MIGRATE_ISOLATE and move its free pages to the ISOLATE lists, so nothing
 * is allocated from it.  Unless migratetype is MIGRATE_CMA, a pageblock
 * holding an unmovable allocated page cannot be isolated: returns
 * -MM_EBUSY and undoes what it did.  Returns 0 on success.
 */
int start_isolate_page_range(phys_t *pm, pfn_t start, pfn_t end, unsigned migratetype);

/* undo_isolate_page_range(): give the pageblocks back to migratetype */
void undo_isolate_page_range(phys_t *pm, pfn_t start, pfn_t end, unsigned migratetype);

/*
 * alloc_contig_range(): allocate exactly [start, end) (pages), migrating
 * movable pages out of the way (their new homes come from
 * alloc_migration_target() on `cpu`).  On success every page of the range
 * is an allocated order-0 page and 0 is returned; -MM_EBUSY if an unmovable
 * page is in the way or a migration failed; -MM_ENOMEM if no target page
 * could be allocated.  The range must lie within one zone.
 */
int alloc_contig_range(phys_t *pm, pfn_t start, pfn_t end, unsigned migratetype, unsigned cpu);

/* free_contig_range(): free nr order-0 pages from pfn (each through cpu's pcp) */
void free_contig_range(phys_t *pm, pfn_t pfn, uint64_t nr, unsigned cpu);

#endif /* MMBENCH_PAGE_ISOLATION_H */
