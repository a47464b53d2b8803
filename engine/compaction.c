/*
 * compaction.c - memory compaction and page migration (mm/compaction.c and
 * mm/migrate.c, v6.6): compact_zone, compact_finished, isolate_migratepages,
 * isolate_freepages, compaction_alloc, release_freepages,
 * compaction_suitable, the deferral rules, and migrate_pages reduced to
 * what the model needs (copy, owner callback, free the old page).
 *
 * Model limits, as the kernel's own direct compaction: only order-0 movable
 * pages are migrated (compound pages are skipped unless the caller is
 * alloc_contig_range, see page_isolation.c); the free scanner takes free
 * blocks below pageblock order from MOVABLE and CMA pageblocks.  Without a
 * kswapd, the pageblock skip hints are cleared whenever the scanners meet
 * (kswapd's reset_isolation_suitable when compact_blockskip_flush is set).
 */
#include "engine/compaction.h"

#include <stdlib.h>

#include "engine/buddy.h"
#include "engine/page_alloc.h"
#include "engine/pcp.h"
#include "engine/vmstat.h"

/* struct compact_control */
struct compact_control {
	phys_t *pm;
	struct zone *zone;
	int order;                      /* -1: compact the whole zone */
	unsigned migratetype;           /* of the allocation being served */
	unsigned alloc_flags;
	unsigned highest_zoneidx;
	unsigned cpu;
	bool sync;                      /* sync-light: also scan non-movable pageblocks */
	bool whole_zone;
	uint64_t migrate_pfn;           /* migrate scanner position */
	uint64_t free_pfn;              /* free scanner position (a pageblock start) */
	pfn_t migratepages[COMPACT_CLUSTER_MAX];
	unsigned nr_migratepages;
	pfn_t *freepages;               /* isolated order-0 free pages */
	unsigned nr_freepages;
	unsigned cap_freepages;
	uint64_t nr_migrated;
};

static inline uint64_t pageblock_start(const phys_t *pm, uint64_t pfn)
{
	return pfn & ~(pm->pageblock_nr_pages - 1);
}

static inline bool pageblock_skip(const phys_t *pm, uint64_t pfn)
{
	return pm->pageblock_flags[pfn >> pm->pageblock_order] & PB_SKIP;
}

static inline void set_pageblock_skip(phys_t *pm, uint64_t pfn)
{
	pm->pageblock_flags[pfn >> pm->pageblock_order] |= PB_SKIP;
}

/* __reset_isolation_suitable() */
static void reset_isolation_suitable(phys_t *pm, struct zone *zone)
{
	for (uint64_t pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone); pfn += pm->pageblock_nr_pages)
		pm->pageblock_flags[pfn >> pm->pageblock_order] &= (uint8_t)~PB_SKIP;
}

void defer_compaction(struct zone *zone, unsigned order)
{
	zone->compact_considered = 0;
	zone->compact_defer_shift++;
	if ((int)order < zone->compact_order_failed)
		zone->compact_order_failed = (int)order;
	if (zone->compact_defer_shift > COMPACT_MAX_DEFER_SHIFT)
		zone->compact_defer_shift = COMPACT_MAX_DEFER_SHIFT;
}

bool compaction_deferred(struct zone *zone, unsigned order)
{
	unsigned defer_limit = 1u << zone->compact_defer_shift;

	if ((int)order < zone->compact_order_failed)
		return false;
	if (++zone->compact_considered >= defer_limit) {
		zone->compact_considered = defer_limit;
		return false;
	}
	return true;
}

void compaction_defer_reset(struct zone *zone, unsigned order, bool alloc_success)
{
	if (alloc_success) {
		zone->compact_considered = 0;
		zone->compact_defer_shift = 0;
	}
	if ((int)order >= zone->compact_order_failed)
		zone->compact_order_failed = (int)order + 1;
}

static bool compaction_restarting(const struct zone *zone, unsigned order)
{
	if ((int)order < zone->compact_order_failed)
		return false;
	return zone->compact_defer_shift == COMPACT_MAX_DEFER_SHIFT &&
	       zone->compact_considered >= 1u << zone->compact_defer_shift;
}

/*
 * compaction_suitable(): order-0 watermark plus compact_gap (2 << order) on
 * the free pages, so that there are targets to migrate into; for costly
 * orders, a fragmentation index at or below extfrag_threshold means the
 * failure is low memory, not fragmentation.
 */
static enum compact_result compaction_suitable(phys_t *pm, struct zone *zone, unsigned order,
					       unsigned highest_zoneidx)
{
	uint64_t watermark = order > PAGE_ALLOC_COSTLY_ORDER ? zone->watermark[WMARK_LOW]
							     : zone->watermark[WMARK_MIN];

	watermark += 2ull << order;
	if (!zone_watermark_ok(pm, zone, 0, watermark, highest_zoneidx, ALLOC_CMA,
			       (int64_t)zone->nr_free_pages))
		return COMPACT_SKIPPED;
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		int fragindex = fragmentation_index(pm, zone, order);

		if (fragindex >= 0 && fragindex <= (int)pm->cfg.extfrag_threshold)
			return COMPACT_NOT_SUITABLE_ZONE;
	}
	return COMPACT_CONTINUE;
}

int migrate_block(phys_t *pm, pfn_t old_pfn, pfn_t new_pfn, unsigned order)
{
	struct page *old = &pm->mem_map[old_pfn], *new = &pm->mem_map[new_pfn];
	unsigned kind = page_owner_kind(old);
	const struct phys_owner_ops *ops = &pm->owner[kind];

	if (!kind || !ops->migrate || !(old->flags & PG_lru))
		return -MM_EBUSY;
	cost_add(pm, COST_MIGRATE, 1);
	if (ops->migrate(ops->ctx, old_pfn, new_pfn, order, old->private))
		return -MM_EBUSY;
	cost_add(pm, COST_PAGE_COPY, 1ull << order);
	cost_add(pm, COST_PAGE_TOUCH, 2);
	new->flags = old->flags;
	new->order = (uint8_t)order;
	new->mt = 0;
	new->refcount = old->refcount;
	new->mapcount = old->mapcount;
	new->private = old->private;
	new->lru_next = new->lru_prev = 0;
	/* the old block is now a plain allocated block its caller frees */
	old->flags = PG_head | (old->flags & PG_compound);
	old->refcount = 1;
	old->mapcount = 0;
	old->private = 0;
	return 0;
}

/*
 * Take a free buddy block for the free scanner (__isolate_free_page):
 * order-0 watermark plus the block must hold, then the block comes off the
 * lists and is split into order-0 pages (split_map_pages).  Large blocks
 * turn their pageblocks MOVABLE.  Returns pages isolated.
 */
static unsigned isolate_free_block(struct compact_control *cc, pfn_t pfn, unsigned order)
{
	phys_t *pm = cc->pm;
	struct zone *zone = cc->zone;
	unsigned mt = pm->mem_map[pfn].mt;
	unsigned n = 1u << order;

	if (!is_migrate_isolate(mt) &&
	    !zone_watermark_ok(pm, zone, 0, zone->watermark[WMARK_MIN] + n, 0, ALLOC_CMA,
			       (int64_t)zone->nr_free_pages))
		return 0;
	if (cc->nr_freepages + n > cc->cap_freepages) {
		unsigned cap = cc->cap_freepages ? cc->cap_freepages : 64;
		pfn_t *p;

		while (cap < cc->nr_freepages + n)
			cap *= 2;
		p = realloc(cc->freepages, cap * sizeof(*p));
		if (!p)
			return 0;
		cc->freepages = p;
		cc->cap_freepages = cap;
	}
	take_free_block(pm, zone, pfn, order);
	if (order + 1 >= pm->pageblock_order)
		for (uint64_t p = pfn; p < (uint64_t)pfn + n; p += pm->pageblock_nr_pages)
			if (get_pageblock_migratetype(pm, (pfn_t)p) < MIGRATE_PCPTYPES)
				set_pageblock_migratetype(pm, (pfn_t)p, MIGRATE_MOVABLE);
	for (unsigned i = 0; i < n; i++) {
		struct page *page = &pm->mem_map[pfn + i];

		page->flags = PG_isolated;
		page->order = 0;
		cc->freepages[cc->nr_freepages++] = pfn + i;
	}
	zone->nr_isolated_free += n;
	cost_add(pm, COST_PAGE_TOUCH, n);
	return n;
}

/*
 * suitable_migration_target(): MOVABLE/CMA pageblocks that do not start with
 * a free block already as large as the request (a pageblock for
 * compact_memory), which migrating into would only break up.
 */
static bool suitable_migration_target(const struct compact_control *cc, uint64_t block)
{
	const phys_t *pm = cc->pm;
	const struct page *page = &pm->mem_map[block];
	unsigned mt = get_pageblock_migratetype(pm, (pfn_t)block);
	unsigned order = cc->order > 0 ? (unsigned)cc->order : pm->pageblock_order;

	if ((page->flags & PG_buddy) && page->order >= order)
		return false;
	return mt == MIGRATE_MOVABLE || mt == MIGRATE_CMA;
}

/*
 * isolate_freepages(): from the free scanner's pageblock downward, isolate
 * free pages until there is one for every page waiting to migrate, or the
 * scanner reaches the migrate scanner's pageblock.
 */
static void isolate_freepages(struct compact_control *cc)
{
	phys_t *pm = cc->pm;
	uint64_t block = cc->free_pfn;
	uint64_t low = pageblock_start(pm, cc->migrate_pfn) + pm->pageblock_nr_pages;

	for (; block >= low && cc->nr_freepages < cc->nr_migratepages; block -= pm->pageblock_nr_pages) {
		uint64_t end = block + pm->pageblock_nr_pages, start = block;
		unsigned isolated = 0;

		if (start < cc->zone->zone_start_pfn)
			start = cc->zone->zone_start_pfn;
		if (end > zone_end_pfn(cc->zone))
			end = zone_end_pfn(cc->zone);
		if (!suitable_migration_target(cc, start) || pageblock_skip(pm, start)) {
			if (block < pm->pageblock_nr_pages)
				break;
			continue;
		}
		for (uint64_t pfn = start; pfn < end && cc->nr_freepages < cc->nr_migratepages;) {
			const struct page *page = &pm->mem_map[pfn];

			cost_add(pm, COST_COMPACT_SCAN, 1);
			pm->ev.compact_free_scanned++;
			if (page->flags & PG_buddy) {
				unsigned order = page->order;

				isolated += isolate_free_block(cc, (pfn_t)pfn, order);
				pfn += 1ull << order;
			} else {
				pfn += page_block_pages(page);
			}
		}
		pm->ev.compact_isolated += isolated;
		if (!isolated)
			set_pageblock_skip(pm, start);
		cc->free_pfn = block;
		if (block < pm->pageblock_nr_pages)
			break;
	}
	if (cc->nr_freepages < cc->nr_migratepages)
		cc->free_pfn = low > pm->pageblock_nr_pages ? low - pm->pageblock_nr_pages : 0;
}

/*
 * isolate_migratepages(): from the migrate scanner, find the next
 * pageblock worth scanning (async: MOVABLE/CMA only, not skipped) and take
 * up to COMPACT_CLUSTER_MAX order-0 movable pages from it; one pageblock
 * per call.
 */
static void isolate_migratepages(struct compact_control *cc)
{
	phys_t *pm = cc->pm;

	while (cc->migrate_pfn < cc->free_pfn && !cc->nr_migratepages) {
		uint64_t start = cc->migrate_pfn;
		uint64_t end = pageblock_start(pm, start) + pm->pageblock_nr_pages;
		unsigned mt = get_pageblock_migratetype(pm, (pfn_t)start);
		uint64_t pfn = start;

		if (end > cc->free_pfn)
			end = cc->free_pfn;
		if (pageblock_skip(pm, start) ||
		    (!cc->sync && cc->order >= 0 &&
		     !(cc->migratetype == MIGRATE_MOVABLE ? (mt == MIGRATE_MOVABLE || mt == MIGRATE_CMA)
							  : mt == cc->migratetype))) {
			cc->migrate_pfn = end;
			continue;
		}
		while (pfn < end && cc->nr_migratepages < COMPACT_CLUSTER_MAX) {
			struct page *page = &pm->mem_map[pfn];

			cost_add(pm, COST_COMPACT_SCAN, 1);
			pm->ev.compact_migrate_scanned++;
			if (page->flags & (PG_buddy | PG_pcp | PG_isolated)) {
				pfn += 1ull << page->order;
				continue;
			}
			if ((page->flags & PG_head) && page->order == 0 && (page->flags & PG_lru)) {
				page->flags &= (uint16_t)~PG_lru;    /* isolate_lru_page() */
				cc->migratepages[cc->nr_migratepages++] = (pfn_t)pfn;
				pfn++;
				continue;
			}
			pfn += page_block_pages(page);
		}
		pm->ev.compact_isolated += cc->nr_migratepages;
		if (!cc->nr_migratepages && pfn >= end)
			set_pageblock_skip(pm, start);
		cc->migrate_pfn = pfn;
		/*
		 * One scanned pageblock per call: either something was isolated
		 * and migrates now, or compact_finished() decides whether to go on.
		 */
		break;
	}
}

/* migrate_pages() with compaction_alloc()/compaction_free() */
static void migrate_isolated(struct compact_control *cc)
{
	phys_t *pm = cc->pm;

	for (unsigned i = 0; i < cc->nr_migratepages; i++) {
		pfn_t old = cc->migratepages[i], new;

		if (!cc->nr_freepages) {
			isolate_freepages(cc);
			if (!cc->nr_freepages) {
				pm->mem_map[old].flags |= PG_lru;       /* putback_movable_pages() */
				continue;
			}
		}
		new = cc->freepages[--cc->nr_freepages];
		cc->zone->nr_isolated_free--;
		pm->mem_map[new].flags = 0;
		pm->mem_map[old].flags |= PG_lru;
		if (migrate_block(pm, old, new, 0)) {
			pm->ev.compact_migrate_fail++;
			pm->mem_map[new].flags = PG_isolated;   /* compaction_free() */
			cc->freepages[cc->nr_freepages++] = new;
			cc->zone->nr_isolated_free++;
			continue;
		}
		pm->ev.compact_migrated++;
		cc->nr_migrated++;
		free_pages(pm, old, 0, cc->cpu);
	}
	cc->nr_migratepages = 0;
}

/* release_freepages(): unused targets go back; returns the highest pfn */
static uint64_t release_freepages(struct compact_control *cc)
{
	uint64_t high = 0;

	for (unsigned i = 0; i < cc->nr_freepages; i++) {
		pfn_t pfn = cc->freepages[i];

		cc->pm->mem_map[pfn].flags = PG_head;
		cc->pm->mem_map[pfn].order = 0;
		cc->zone->nr_isolated_free--;
		free_pages(cc->pm, pfn, 0, cc->cpu);
		if (pfn > high)
			high = pfn;
	}
	cc->nr_freepages = 0;
	return high;
}

/* __compact_finished() */
static enum compact_result compact_finished(struct compact_control *cc)
{
	phys_t *pm = cc->pm;
	struct zone *zone = cc->zone;

	if (cc->free_pfn <= cc->migrate_pfn || pageblock_start(pm, cc->free_pfn) <=
	    pageblock_start(pm, cc->migrate_pfn)) {
		/* scanners met: let the next compaction start anew */
		zone->compact_cached_migrate_pfn = zone->zone_start_pfn;
		zone->compact_cached_free_pfn = (pfn_t)pageblock_start(pm, zone_end_pfn(zone) - 1);
		reset_isolation_suitable(pm, zone);
		return cc->whole_zone ? COMPACT_COMPLETE : COMPACT_PARTIAL_SKIPPED;
	}
	if (cc->order < 0)
		return COMPACT_CONTINUE;
	/* always finish scanning a pageblock */
	if (cc->migrate_pfn & (pm->pageblock_nr_pages - 1))
		return COMPACT_CONTINUE;
	for (unsigned order = (unsigned)cc->order; order <= pm->max_order; order++) {
		const struct free_area *area = &zone->free_area[order];
		bool can_steal;

		if (area->head[cc->migratetype] != PFN_NONE)
			return COMPACT_SUCCESS;
		if (cc->migratetype == MIGRATE_MOVABLE && area->head[MIGRATE_CMA] != PFN_NONE)
			return COMPACT_SUCCESS;
		/* job done if the allocation would steal free pages of another type */
		if (cc->migratetype < MIGRATE_PCPTYPES &&
		    find_suitable_fallback(pm, area, order, cc->migratetype, true, &can_steal) != -1)
			return COMPACT_SUCCESS;
	}
	return COMPACT_CONTINUE;
}

/* compact_zone() */
static enum compact_result compact_zone(struct compact_control *cc)
{
	phys_t *pm = cc->pm;
	struct zone *zone = cc->zone;
	uint64_t start = zone->zone_start_pfn, end = zone_end_pfn(zone);
	uint64_t last_migrated_block = UINT64_MAX;
	enum compact_result ret;

	if (cc->order >= 0) {
		unsigned wmark = cc->alloc_flags & ALLOC_WMARK_MASK;

		if (zone_watermark_ok(pm, zone, (unsigned)cc->order, zone->watermark[wmark],
				      cc->highest_zoneidx, cc->alloc_flags, (int64_t)zone->nr_free_pages))
			return COMPACT_SUCCESS;
		ret = compaction_suitable(pm, zone, (unsigned)cc->order, cc->highest_zoneidx);
		if (ret != COMPACT_CONTINUE)
			return ret;
		if (compaction_restarting(zone, (unsigned)cc->order))
			reset_isolation_suitable(pm, zone);
	}
	if (cc->order < 0) {
		cc->whole_zone = true;
		cc->migrate_pfn = start;
		cc->free_pfn = pageblock_start(pm, end - 1);
	} else {
		cc->migrate_pfn = zone->compact_cached_migrate_pfn;
		cc->free_pfn = zone->compact_cached_free_pfn;
		if (cc->free_pfn < start || cc->free_pfn >= end)
			cc->free_pfn = zone->compact_cached_free_pfn = (pfn_t)pageblock_start(pm, end - 1);
		if (cc->migrate_pfn < start || cc->migrate_pfn >= end)
			cc->migrate_pfn = zone->compact_cached_migrate_pfn = (pfn_t)start;
		cc->whole_zone = cc->migrate_pfn == start;
	}
	cost_add(pm, COST_ZONE_LOCK, 1);
	while ((ret = compact_finished(cc)) == COMPACT_CONTINUE) {
		isolate_migratepages(cc);
		if (cc->nr_migratepages) {
			last_migrated_block = pageblock_start(pm, cc->migratepages[0]);
			migrate_isolated(cc);
		}
		/*
		 * Once the migrate scanner left the block it migrated from, flush
		 * the freed pages from the per-CPU list so they can merge.
		 */
		if (last_migrated_block != UINT64_MAX &&
		    pageblock_start(pm, cc->migrate_pfn) > last_migrated_block) {
			drain_all_pages(pm, zone);
			last_migrated_block = UINT64_MAX;
		}
		if (cc->order >= 0)
			zone->compact_cached_migrate_pfn = (pfn_t)cc->migrate_pfn;
	}
	if (cc->nr_freepages) {
		uint64_t free_pfn = pageblock_start(pm, release_freepages(cc));

		if (free_pfn > zone->compact_cached_free_pfn)
			zone->compact_cached_free_pfn = (pfn_t)free_pfn;
	}
	drain_all_pages(pm, zone);
	return ret;
}

enum compact_result try_to_compact_pages(phys_t *pm, gfp_t gfp, unsigned order,
					 unsigned migratetype, unsigned alloc_flags,
					 unsigned highest_zoneidx, unsigned node, unsigned cpu,
					 enum compact_priority prio)
{
	const struct pglist_data *pgdat = &pm->node[node];
	enum compact_result rc = COMPACT_SKIPPED;
	struct compact_control cc = { .pm = pm, .order = (int)order, .cpu = cpu,
				      .migratetype = migratetype, .alloc_flags = alloc_flags,
				      .highest_zoneidx = highest_zoneidx,
				      .sync = prio != COMPACT_PRIO_ASYNC };

	/* compaction may have to do I/O to migrate pages: !__GFP_IO may not */
	if (!(gfp & GFP_F_IO))
		return COMPACT_SKIPPED;
	for (unsigned i = 0; i < pgdat->nr_zonelist; i++) {
		struct zone *zone = &pm->zones[pgdat->zonelist[i]];
		enum compact_result status;

		if (zone->type > highest_zoneidx || ((gfp & GFP_F_THISNODE) && zone->node != node))
			continue;
		if (compaction_deferred(zone, order)) {
			pm->ev.compact_deferred++;
			if (rc < COMPACT_DEFERRED)
				rc = COMPACT_DEFERRED;
			continue;
		}
		cc.zone = zone;
		cc.nr_freepages = cc.nr_migratepages = 0;
		status = compact_zone(&cc);
		if (status > rc)
			rc = status;
		if (status == COMPACT_SUCCESS) {
			compaction_defer_reset(zone, order, false);
			break;
		}
		if (prio != COMPACT_PRIO_ASYNC && (status == COMPACT_COMPLETE || status == COMPACT_PARTIAL_SKIPPED))
			defer_compaction(zone, order);
	}
	free(cc.freepages);
	return rc;
}

uint64_t compact_memory(phys_t *pm, unsigned cpu)
{
	struct compact_control cc = { .pm = pm, .order = -1, .cpu = cpu, .sync = true,
				      .migratetype = MIGRATE_MOVABLE };

	for (unsigned i = 0; i < pm->nr_zones; i++) {
		cc.zone = &pm->zones[i];
		cc.nr_freepages = cc.nr_migratepages = 0;
		compact_zone(&cc);
	}
	free(cc.freepages);
	return cc.nr_migrated;
}
