/*
 * buddy.c - zone free lists: split, merge, migratetype fallback, pageblock
 * stealing, the HIGHATOMIC reserve and the watermark test.
 *
 * Follows mm/page_alloc.c of Linux v6.6 (MAX_ORDER inclusive, the v6.3
 * reserve rework): expand, __free_one_page, buddy_merge_likely,
 * __rmqueue_smallest, __rmqueue, __rmqueue_fallback, find_suitable_fallback,
 * can_steal_fallback, steal_suitable_fallback, move_freepages_block,
 * reserve_highatomic_pageblock, unreserve_highatomic_pageblock and
 * __zone_watermark_ok.  Watermark boosting is not modeled (there is no
 * kswapd to undo it), so watermark_boost is always 0.
 *
 * Free lists are doubly linked through struct page.lru_next/lru_prev by pfn.
 * A free block's head carries PG_buddy, its order and the migratetype of the
 * list it is on (page.mt); the other pages of the block are all zero.
 */
#include "engine/buddy.h"

#include <assert.h>

/* fallbacks[] in mm/page_alloc.c: the other types to steal from, in order */
static const uint8_t fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE   },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE,   MIGRATE_MOVABLE   },
};

/*
 * __mod_zone_freepage_state(): NR_FREE_PAGES counts the free lists except
 * MIGRATE_ISOLATE ones (pages being isolated are not available).
 */
static inline void account_freepages(struct zone *zone, unsigned order, unsigned mt, int sign)
{
	int64_t nr = sign * ((int64_t)1 << order);

	if (is_migrate_isolate(mt))
		return;
	zone->nr_free_pages += (uint64_t)nr;
	if (is_migrate_cma(mt))
		zone->nr_free_cma += (uint64_t)nr;
}

/*
 * The list primitives take the memmap as a local so that the compiler need
 * not reload it after every store through a struct page; their work is
 * counted by the callers, in bulk.
 */
static inline void free_list_add(struct page *mem_map, struct zone *zone, pfn_t pfn,
				 unsigned order, unsigned mt, bool to_tail)
{
	struct free_area *area = &zone->free_area[order];
	struct page *page = &mem_map[pfn];

	page->flags = PG_buddy;
	page->order = (uint8_t)order;
	page->mt = (uint8_t)mt;
	if (pfn_list_add(mem_map, &area->head[mt], &area->tail[mt], pfn, to_tail))
		zone->free_mask[mt] |= (uint16_t)(1u << order);
	area->nr_free++;
	area->nr_free_mt[mt]++;
}

static inline void free_list_del(struct page *mem_map, struct zone *zone, pfn_t pfn, unsigned order)
{
	struct page *page = &mem_map[pfn];
	struct free_area *area = &zone->free_area[order];
	unsigned mt = page->mt;

	assert(page->flags & PG_buddy);
	if (pfn_list_del(mem_map, &area->head[mt], &area->tail[mt], pfn))
		zone->free_mask[mt] &= (uint16_t)~(1u << order);
	page->flags = 0;
	area->nr_free--;
	area->nr_free_mt[mt]--;
}

void add_to_free_list(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order,
		      unsigned mt, bool to_tail)
{
	free_list_add(pm->mem_map, zone, pfn, order, mt, to_tail);
	cost_add(pm, COST_FREELIST_OP, 1);
	cost_add(pm, COST_PAGE_TOUCH, 1);
}

void del_page_from_free_list(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order)
{
	free_list_del(pm->mem_map, zone, pfn, order);
	cost_add(pm, COST_FREELIST_OP, 1);
}

void take_free_block(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order)
{
	account_freepages(zone, order, pm->mem_map[pfn].mt, -1);
	del_page_from_free_list(pm, zone, pfn, order);
}

/* move_to_free_list(): onto the tail of another type's list, same order */
static void move_to_free_list(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order, unsigned mt)
{
	take_free_block(pm, zone, pfn, order);
	add_to_free_list(pm, zone, pfn, order, mt, true);
	account_freepages(zone, order, mt, 1);
}

/* What the merge loop reads of phys_t, copied to a local once per call */
struct buddy_geom {
	struct page *mem_map;
	const uint8_t *pageblock_zone;
	pfn_t max_pfn;
	unsigned pageblock_order;
	unsigned max_order;
};

static inline struct buddy_geom buddy_geom(const phys_t *pm)
{
	return (struct buddy_geom){ pm->mem_map, pm->pageblock_zone, pm->max_pfn,
				    pm->pageblock_order, pm->max_order };
}

/*
 * page_is_buddy(): the block at buddy_pfn is free at exactly `order` and in
 * the same zone.  Blocks below pageblock order never cross a zone boundary
 * (zones are pageblock aligned), so only larger ones compare zones.
 */
static inline bool page_is_buddy(const struct buddy_geom *g, pfn_t pfn, pfn_t buddy_pfn,
				 unsigned order)
{
	const struct page *buddy;

	if (buddy_pfn >= g->max_pfn)
		return false;
	buddy = &g->mem_map[buddy_pfn];
	if (!(buddy->flags & PG_buddy) || buddy->order != order)
		return false;
	return order < g->pageblock_order ||
	       g->pageblock_zone[pfn >> g->pageblock_order] ==
	       g->pageblock_zone[buddy_pfn >> g->pageblock_order];
}

static inline bool migratetype_is_mergeable(unsigned mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/*
 * buddy_merge_likely(): if the block just freed could merge with a free
 * block one order up once its own buddy is freed, put it at the tail so it
 * is less likely to be allocated before that happens.
 */
static inline bool buddy_merge_likely(const struct buddy_geom *g, pfn_t pfn, pfn_t buddy_pfn,
				      unsigned order)
{
	pfn_t higher;

	if (order >= g->max_order - 1)
		return false;
	higher = buddy_pfn & pfn;
	return page_is_buddy(g, higher, higher ^ (1u << (order + 1)), order + 1);
}

/*
 * __free_one_page(): the buddy system's free.  While the buddy of the block
 * (pfn ^ (1 << order)) is free at the same order, take it off its list and
 * continue with the combined block (pfn & buddy_pfn) one order up.  Blocks
 * of pageblock order and above do not merge with a buddy of another type
 * when either type cannot be merged (ISOLATE, CMA, HIGHATOMIC).
 */
void free_one_page(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order,
		   unsigned mt, unsigned fpi)
{
	const struct buddy_geom g = buddy_geom(pm);
	unsigned merged = 0;
	pfn_t buddy_pfn = pfn;
	bool to_tail;

	account_freepages(zone, order, mt, 1);  /* merging does not change the count */
	while (order < g.max_order) {
		buddy_pfn = pfn ^ (1u << order);
		if (!page_is_buddy(&g, pfn, buddy_pfn, order))
			break;
		if (order >= g.pageblock_order) {
			unsigned buddy_mt = get_pageblock_migratetype(pm, buddy_pfn);

			if (mt != buddy_mt &&
			    (!migratetype_is_mergeable(mt) || !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		free_list_del(g.mem_map, zone, buddy_pfn, order);
		merged++;
		pfn &= buddy_pfn;
		order++;
	}
	if (fpi & FPI_TO_TAIL)
		to_tail = true;
	else
		to_tail = buddy_merge_likely(&g, pfn, buddy_pfn, order);
	free_list_add(g.mem_map, zone, pfn, order, mt, to_tail);
	/* the block and each buddy looked at; one list_del per merge, one list_add */
	cost_add(pm, COST_PAGE_TOUCH, 2 + merged);
	cost_add(pm, COST_FREELIST_OP, 1 + merged);
}

/*
 * expand(): having taken a block of order `high` for a request of order
 * `low`, give the upper halves back to the free lists of mt, one per order.
 */
static inline void expand(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned low,
			  unsigned high, unsigned mt)
{
	struct page *mem_map = pm->mem_map;

	cost_add(pm, COST_FREELIST_OP, high - low);
	cost_add(pm, COST_PAGE_TOUCH, high - low);
	while (high > low) {
		high--;
		free_list_add(mem_map, zone, pfn + (1u << high), high, mt, false);
	}
}

pfn_t rmqueue_smallest(phys_t *pm, struct zone *zone, unsigned order, unsigned mt)
{
	/* the smallest non-empty list at or above order, from the mask */
	unsigned mask = (unsigned)zone->free_mask[mt] >> order;

	if (mask) {
		unsigned cur = order + (unsigned)__builtin_ctz(mask);
		pfn_t pfn = zone->free_area[cur].head[mt];

		free_list_del(pm->mem_map, zone, pfn, cur);
		cost_add(pm, COST_FREELIST_OP, 1);
		expand(pm, zone, pfn, order, cur, mt);
		account_freepages(zone, order, mt, -1);
		pm->mem_map[pfn].mt = (uint8_t)mt;      /* set_pcppage_migratetype() */
		return pfn;
	}
	return PFN_NONE;
}

/* can_steal_fallback() */
static bool can_steal_fallback(const phys_t *pm, unsigned order, unsigned start_mt)
{
	if (order >= pm->pageblock_order)
		return true;
	return order >= pm->pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE || !pm->group_by_mobility;
}

int find_suitable_fallback(const phys_t *pm, const struct free_area *area, unsigned order,
			   unsigned mt, bool only_stealable, bool *can_steal)
{
	if (area->nr_free == 0)
		return -1;
	*can_steal = false;
	for (unsigned i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		unsigned fallback_mt = fallbacks[mt][i];

		if (area->head[fallback_mt] == PFN_NONE)
			continue;
		if (can_steal_fallback(pm, order, mt))
			*can_steal = true;
		if (!only_stealable || *can_steal)
			return (int)fallback_mt;
	}
	return -1;
}

void set_pageblock_migratetype(phys_t *pm, pfn_t pfn, unsigned mt)
{
	uint8_t *f = &pm->pageblock_flags[pfn >> pm->pageblock_order];

	if (!pm->group_by_mobility && mt < MIGRATE_PCPTYPES)
		mt = MIGRATE_UNMOVABLE;
	*f = (uint8_t)((*f & ~PB_MIGRATETYPE_MASK) | mt);
	cost_add(pm, COST_PAGEBLOCK_OP, 1);
}

/*
 * move_freepages(): move the free buddy blocks in [start, end] to the lists
 * of mt; count PG_lru (movable) pages among the allocated ones.
 */
static uint64_t move_freepages(phys_t *pm, struct zone *zone, pfn_t start, pfn_t end,
			       unsigned mt, uint64_t *nr_movable)
{
	uint64_t moved = 0;

	for (uint64_t pfn = start; pfn <= end;) {
		struct page *page = &pm->mem_map[pfn];

		cost_add(pm, COST_PAGE_TOUCH, 1);
		if (!(page->flags & PG_buddy)) {
			if (nr_movable && (page->flags & PG_lru))
				*nr_movable += 1ull << page->order;
			pfn += page_block_pages(page);
			continue;
		}
		unsigned order = page->order;

		move_to_free_list(pm, zone, (pfn_t)pfn, order, mt);
		pfn += 1ull << order;
		moved += 1ull << order;
	}
	return moved;
}

uint64_t move_freepages_block(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned mt,
			      uint64_t *nr_movable)
{
	uint64_t start = pfn & ~(pm->pageblock_nr_pages - 1);
	uint64_t end = start + pm->pageblock_nr_pages - 1;

	if (nr_movable)
		*nr_movable = 0;
	/* Do not cross zone boundaries */
	if (start < zone->zone_start_pfn)
		start = pfn;
	if (end >= zone_end_pfn(zone))
		return 0;
	return move_freepages(pm, zone, (pfn_t)start, (pfn_t)end, mt, nr_movable);
}

/*
 * steal_suitable_fallback(): a fallback took a block of type
 * get_pageblock_migratetype(pfn).  Blocks of pageblock order or larger
 * change their pageblocks' type outright; smaller ones move the pageblock's
 * free pages over and claim the pageblock when at least half of it is free
 * or compatible with start_type.
 */
static void steal_suitable_fallback(phys_t *pm, struct zone *zone, pfn_t pfn,
				    unsigned start_type, bool whole_block)
{
	unsigned current_order = pm->mem_map[pfn].order;
	unsigned old_block_type = get_pageblock_migratetype(pm, pfn);
	uint64_t free_pages, movable_pages, alike_pages;

	if (is_migrate_highatomic(old_block_type))
		goto single_page;
	if (current_order >= pm->pageblock_order) {
		/* change_pageblock_range() */
		for (uint64_t n = 0; n < 1ull << (current_order - pm->pageblock_order); n++)
			set_pageblock_migratetype(pm, (pfn_t)(pfn + (n << pm->pageblock_order)), start_type);
		pm->ev.extfrag_steal++;
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	free_pages = move_freepages_block(pm, zone, pfn, start_type, &movable_pages);
	if (!free_pages)
		goto single_page;
	if (start_type == MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (old_block_type == MIGRATE_MOVABLE)
		alike_pages = pm->pageblock_nr_pages - (free_pages + movable_pages);
	else
		alike_pages = 0;
	if (free_pages + alike_pages >= (pm->pageblock_nr_pages >> 1) || !pm->group_by_mobility) {
		set_pageblock_migratetype(pm, pfn, start_type);
		pm->ev.extfrag_steal++;
	}
	return;
single_page:
	move_to_free_list(pm, zone, pfn, current_order, start_type);
}

/*
 * __rmqueue_fallback(): take the largest free block of a fallback type (the
 * smallest when a movable request cannot steal the whole pageblock), steal
 * it onto start_type's lists and report success; the caller retries
 * __rmqueue_smallest().  With ALLOC_NOFRAGMENT, blocks smaller than a
 * pageblock are not stolen.  Each success is one mm_page_alloc_extfrag.
 */
static bool rmqueue_fallback(phys_t *pm, struct zone *zone, unsigned order,
			     unsigned start_mt, unsigned alloc_flags)
{
	const struct free_area *area = NULL;
	int cur, min_order = (int)order, fallback_mt = -1;
	bool can_steal = false;

	if (order < pm->pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = (int)pm->pageblock_order;
	for (cur = (int)pm->max_order; cur >= min_order; cur--) {
		area = &zone->free_area[cur];
		fallback_mt = find_suitable_fallback(pm, area, (unsigned)cur, start_mt, false, &can_steal);
		if (fallback_mt == -1)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE && cur > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return false;
find_smallest:
	for (cur = (int)order; cur <= (int)pm->max_order; cur++) {
		area = &zone->free_area[cur];
		fallback_mt = find_suitable_fallback(pm, area, (unsigned)cur, start_mt, false, &can_steal);
		if (fallback_mt != -1)
			break;
	}
	assert(cur <= (int)pm->max_order);
do_steal:
	steal_suitable_fallback(pm, zone, area->head[fallback_mt], start_mt, can_steal);
	pm->ev.extfrag++;
	return true;
}

pfn_t buddy_rmqueue(phys_t *pm, struct zone *zone, unsigned order, unsigned mt,
		    unsigned alloc_flags)
{
	pfn_t pfn;

	/*
	 * Balance movable allocations between regular and CMA areas by
	 * allocating from CMA when over half of the zone's free memory is in
	 * the CMA area.
	 */
	if ((alloc_flags & ALLOC_CMA) && zone->nr_free_cma > zone->nr_free_pages / 2) {
		pfn = rmqueue_smallest(pm, zone, order, MIGRATE_CMA);
		if (pfn != PFN_NONE)
			return pfn;
	}
	for (;;) {
		pfn = rmqueue_smallest(pm, zone, order, mt);
		if (pfn != PFN_NONE)
			return pfn;
		if (alloc_flags & ALLOC_CMA) {
			pfn = rmqueue_smallest(pm, zone, order, MIGRATE_CMA);
			if (pfn != PFN_NONE)
				return pfn;
		}
		if (!rmqueue_fallback(pm, zone, order, mt, alloc_flags))
			return PFN_NONE;
	}
}

bool zone_watermark_ok(phys_t *pm, const struct zone *z, unsigned order,
		       uint64_t mark, unsigned highest_zoneidx,
		       unsigned alloc_flags, int64_t free_pages)
{
	int64_t min = (int64_t)mark;

	cost_add(pm, COST_WMARK_CHECK, 1);
	free_pages -= zone_watermark_unusable_free(z, order, alloc_flags);
	if (alloc_flags & ALLOC_RESERVES) {
		/* __GFP_HIGH allows access to 50% of the min reserve as well as OOM */
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			/* non-blocking __GFP_HIGH (GFP_ATOMIC) goes deeper still */
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + (int64_t)z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	/*
	 * For a high-order request, check at least one suitable block is free:
	 * the kernel's loop over orders and types, as one test of the
	 * non-empty-list masks.
	 */
	unsigned mask = (unsigned)z->free_mask[MIGRATE_UNMOVABLE] | z->free_mask[MIGRATE_MOVABLE] |
			z->free_mask[MIGRATE_RECLAIMABLE];

	if (alloc_flags & ALLOC_CMA)
		mask |= z->free_mask[MIGRATE_CMA];
	if (alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM))
		mask |= z->free_mask[MIGRATE_HIGHATOMIC];
	return (mask >> order) != 0;
}

/*
 * reserve_highatomic_pageblock(): after a high-order atomic allocation,
 * reserve its pageblock for future ones: at most ~1% of the zone, and none
 * when 1% is less than a pageblock.
 */
void reserve_highatomic_pageblock(phys_t *pm, pfn_t pfn, struct zone *zone)
{
	uint64_t max_managed;
	unsigned mt;

	if (zone->managed_pages / 100 < pm->pageblock_nr_pages)
		return;
	max_managed = (zone->managed_pages / 100 + pm->pageblock_nr_pages - 1) &
		      ~(pm->pageblock_nr_pages - 1);
	if (zone->nr_reserved_highatomic >= max_managed)
		return;
	cost_add(pm, COST_ZONE_LOCK, 1);
	mt = get_pageblock_migratetype(pm, pfn);
	if (migratetype_is_mergeable(mt)) {
		zone->nr_reserved_highatomic += pm->pageblock_nr_pages;
		set_pageblock_migratetype(pm, pfn, MIGRATE_HIGHATOMIC);
		move_freepages_block(pm, zone, pfn, MIGRATE_HIGHATOMIC, NULL);
		pm->ev.highatomic_reserve++;
	}
}

/*
 * unreserve_highatomic_pageblock(): under memory pressure, give one
 * HIGHATOMIC pageblock of zone back to type mt; keeps the last one unless
 * force.  Returns true if a pageblock with free pages was converted.
 */
bool unreserve_highatomic_pageblock(phys_t *pm, struct zone *zone, unsigned mt, bool force)
{
	if (!force && zone->nr_reserved_highatomic <= pm->pageblock_nr_pages)
		return false;
	cost_add(pm, COST_ZONE_LOCK, 1);
	for (unsigned order = 0; order <= pm->max_order; order++) {
		pfn_t pfn = zone->free_area[order].head[MIGRATE_HIGHATOMIC];

		if (pfn == PFN_NONE)
			continue;
		if (is_migrate_highatomic(get_pageblock_migratetype(pm, pfn))) {
			uint64_t dec = zone->nr_reserved_highatomic < pm->pageblock_nr_pages ?
				       zone->nr_reserved_highatomic : pm->pageblock_nr_pages;

			zone->nr_reserved_highatomic -= dec;
		}
		set_pageblock_migratetype(pm, pfn, mt);
		if (move_freepages_block(pm, zone, pfn, mt, NULL)) {
			pm->ev.highatomic_unreserve++;
			return true;
		}
	}
	return false;
}

pfn_t find_free_block_head(const phys_t *pm, pfn_t pfn)
{
	for (unsigned order = 0; order <= pm->max_order; order++) {
		pfn_t head = pfn & ~((1u << order) - 1);
		const struct page *p = &pm->mem_map[head];

		if ((p->flags & PG_buddy) && p->order >= order && head + (1ull << p->order) > pfn)
			return head;
	}
	return PFN_NONE;
}
