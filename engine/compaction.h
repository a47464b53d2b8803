/*
 * compaction.h - memory compaction (mm/compaction.c, v6.6) and page
 * migration (mm/migrate.c).
 *
 * A migrate scanner walks a zone upward from its start isolating movable
 * pages; a free scanner walks downward from its end isolating free pages;
 * each movable page is copied into a free one and its owner updates its
 * references (phys_owner_ops.migrate, the rmap walk), so free space gathers
 * at the bottom of the zone in large blocks.  Direct compaction runs when a
 * high-order allocation fails; compact_memory() runs it on demand, as
 * writing /proc/sys/vm/compact_memory does.
 */
#ifndef MMBENCH_COMPACTION_H
#define MMBENCH_COMPACTION_H

#include "engine/phys.h"

/* include/linux/compaction.h, in order of increasing progress */
enum compact_result {
	COMPACT_NOT_SUITABLE_ZONE,      /* fragmentation index says: not fragmentation */
	COMPACT_SKIPPED,                /* too few free pages to compact with */
	COMPACT_DEFERRED,               /* skipped after recent failures */
	COMPACT_NO_SUITABLE_PAGE,
	COMPACT_CONTINUE,
	COMPACT_COMPLETE,               /* scanned the whole zone, no page */
	COMPACT_PARTIAL_SKIPPED,        /* scanners met, part of the zone skipped */
	COMPACT_CONTENDED,
	COMPACT_SUCCESS,                /* a suitable block is free */
};

enum compact_priority {
	COMPACT_PRIO_SYNC_FULL,
	COMPACT_PRIO_SYNC_LIGHT,        /* DEF_COMPACT_PRIORITY */
	COMPACT_PRIO_ASYNC,             /* INIT_COMPACT_PRIORITY */
};

#define COMPACT_MAX_DEFER_SHIFT	6
#define COMPACT_CLUSTER_MAX	32      /* pages isolated per migration batch (SWAP_CLUSTER_MAX) */

/*
 * try_to_compact_pages(): compact the zones of node's zonelist up to
 * highest_zoneidx for a block of 2^order pages of migratetype, skipping deferred zones;
 * stops at the first zone where a suitable block became free.  Migration
 * targets freed on the way go through cpu's per-CPU lists.  Returns the
 * best result over the zones.  Requests without __GFP_IO are not allowed
 * to compact (COMPACT_SKIPPED); with __GFP_THISNODE only the node's own
 * zones are compacted.
 */
enum compact_result try_to_compact_pages(phys_t *pm, gfp_t gfp, unsigned order,
					 unsigned migratetype, unsigned alloc_flags,
					 unsigned highest_zoneidx, unsigned node, unsigned cpu,
					 enum compact_priority prio);

/* compaction_defer_reset(): an allocation of this order succeeded after compaction */
void compaction_defer_reset(struct zone *zone, unsigned order, bool alloc_success);

/* compaction_deferred() / defer_compaction() */
bool compaction_deferred(struct zone *zone, unsigned order);
void defer_compaction(struct zone *zone, unsigned order);

/*
 * compact_memory(): compact every zone fully (order -1: run until the
 * scanners meet), as /proc/sys/vm/compact_memory.  Returns pages migrated.
 */
uint64_t compact_memory(phys_t *pm, unsigned cpu);

/*
 * migrate_block(): move the allocated block at old_pfn (2^order pages) into
 * the block at new_pfn, which the caller took off the free lists: copy the
 * pages, let the owner update its references, and carry the page state over.
 * Returns 0, or -MM_EBUSY when the block has no owner that can migrate it or
 * the owner refused; then nothing changed.  The caller frees old_pfn.
 */
int migrate_block(phys_t *pm, pfn_t old_pfn, pfn_t new_pfn, unsigned order);

#endif /* MMBENCH_COMPACTION_H */
