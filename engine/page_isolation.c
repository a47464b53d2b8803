/*
 * page_isolation.c - pageblock isolation and alloc_contig_range()
 * (mm/page_isolation.c: set_migratetype_isolate, unset_migratetype_isolate,
 * has_unmovable_pages, test_pages_isolated; mm/page_alloc.c:
 * alloc_contig_range, __alloc_contig_migrate_range, isolate_freepages_range,
 * free_contig_range; v6.6).
 */
#include "engine/page_isolation.h"

#include "engine/buddy.h"
#include "engine/compaction.h"
#include "engine/page_alloc.h"
#include "engine/pcp.h"

#define CONTIG_MIGRATE_TRIES	5       /* __alloc_contig_migrate_range() gives up after 5 */

/*
 * has_unmovable_pages(): an allocated block without PG_lru in the pageblock.
 * CMA pageblocks count as movable for a CMA request.
 */
static bool has_unmovable_pages(phys_t *pm, uint64_t start, uint64_t end, unsigned migratetype)
{
	if (is_migrate_cma(get_pageblock_migratetype(pm, (pfn_t)start)))
		return !is_migrate_cma(migratetype);
	for (uint64_t pfn = start; pfn < end;) {
		const struct page *page = &pm->mem_map[pfn];

		cost_add(pm, COST_COMPACT_SCAN, 1);
		if (page->flags & PG_reserved)
			return true;
		if ((page->flags & PG_head) && !(page->flags & PG_lru))
			return true;
		pfn += page_block_pages(page);
	}
	return false;
}

/* set_migratetype_isolate() */
static int set_migratetype_isolate(phys_t *pm, uint64_t block, unsigned migratetype)
{
	struct zone *zone = page_zone(pm, (pfn_t)block);

	if (is_migrate_isolate(get_pageblock_migratetype(pm, (pfn_t)block)))
		return -MM_EBUSY;
	if (has_unmovable_pages(pm, block, block + pm->pageblock_nr_pages, migratetype))
		return -MM_EBUSY;
	cost_add(pm, COST_ZONE_LOCK, 1);
	set_pageblock_migratetype(pm, (pfn_t)block, MIGRATE_ISOLATE);
	zone->nr_isolate_pageblock++;
	move_freepages_block(pm, zone, (pfn_t)block, MIGRATE_ISOLATE, NULL);
	return 0;
}

/*
 * unset_migratetype_isolate(): free pages go back to the lists of
 * migratetype; a free block of pageblock order or more is freed again so it
 * can merge with its buddy now that the pageblock is no longer isolated.
 */
static void unset_migratetype_isolate(phys_t *pm, uint64_t block, unsigned migratetype)
{
	struct zone *zone = page_zone(pm, (pfn_t)block);
	struct page *page = &pm->mem_map[block];

	if (!is_migrate_isolate(get_pageblock_migratetype(pm, (pfn_t)block)))
		return;
	cost_add(pm, COST_ZONE_LOCK, 1);
	move_freepages_block(pm, zone, (pfn_t)block, migratetype, NULL);
	set_pageblock_migratetype(pm, (pfn_t)block, migratetype);
	zone->nr_isolate_pageblock--;
	if ((page->flags & PG_buddy) && page->order >= pm->pageblock_order && page->order < pm->max_order) {
		unsigned order = page->order;

		take_free_block(pm, zone, (pfn_t)block, order);
		free_one_page(pm, zone, (pfn_t)block, order, migratetype, FPI_NONE);
	}
}

int start_isolate_page_range(phys_t *pm, pfn_t start, pfn_t end, unsigned migratetype)
{
	uint64_t first = start & ~(pm->pageblock_nr_pages - 1);
	uint64_t last = ((uint64_t)end + pm->pageblock_nr_pages - 1) & ~(pm->pageblock_nr_pages - 1);

	for (uint64_t block = first; block < last; block += pm->pageblock_nr_pages) {
		if (set_migratetype_isolate(pm, block, migratetype)) {
			undo_isolate_page_range(pm, (pfn_t)first, (pfn_t)block, migratetype);
			return -MM_EBUSY;
		}
	}
	return 0;
}

void undo_isolate_page_range(phys_t *pm, pfn_t start, pfn_t end, unsigned migratetype)
{
	uint64_t first = start & ~(pm->pageblock_nr_pages - 1);
	uint64_t last = ((uint64_t)end + pm->pageblock_nr_pages - 1) & ~(pm->pageblock_nr_pages - 1);

	for (uint64_t block = first; block < last; block += pm->pageblock_nr_pages)
		unset_migratetype_isolate(pm, block, migratetype);
}

/*
 * __alloc_contig_migrate_range(): migrate every movable block in
 * [start, end) to a target outside it.  The head of a block that starts
 * before `start` is found by walking down from its aligned candidates.
 */
static int alloc_contig_migrate_range(phys_t *pm, uint64_t start, uint64_t end, unsigned cpu)
{
	int ret = 0;

	for (unsigned tries = 0; tries < CONTIG_MIGRATE_TRIES; tries++) {
		bool busy = false;

		ret = 0;
		for (uint64_t pfn = start; pfn < end;) {
			struct page *page = &pm->mem_map[pfn];
			unsigned order;
			pfn_t target;

			cost_add(pm, COST_COMPACT_SCAN, 1);
			if (page->flags & (PG_buddy | PG_pcp | PG_isolated)) {
				pfn += 1ull << page->order;
				continue;
			}
			if (!(page->flags & PG_head)) {
				pfn++;
				continue;
			}
			order = page->order;
			if (!(page->flags & PG_lru)) {
				busy = true;    /* unmovable: migration cannot help */
				pfn += 1ull << order;
				continue;
			}
			target = alloc_migration_target(pm, order, cpu);
			if (target == PFN_NONE)
				return -MM_ENOMEM;
			if (migrate_block(pm, (pfn_t)pfn, target, order)) {
				free_pages(pm, target, order, cpu);
				busy = true;
			} else {
				pm->ev.cma_migrated += 1ull << order;
				free_pages(pm, (pfn_t)pfn, order, cpu);
			}
			pfn += 1ull << order;
		}
		/* freed pages sit on pcp lists; flush them to the ISOLATE lists */
		drain_all_pages(pm, page_zone(pm, (pfn_t)start));
		if (!busy)
			return 0;
		ret = -MM_EBUSY;
	}
	return ret;
}

/* The head of the free buddy block containing pfn, or pfn itself */
static uint64_t outer_block_start(const phys_t *pm, uint64_t pfn)
{
	pfn_t head = find_free_block_head(pm, (pfn_t)pfn);

	return head == PFN_NONE ? pfn : head;
}

/*
 * test_pages_isolated() + isolate_freepages_range(): every page in
 * [start, end) must be in a free block on an ISOLATE list; take those
 * blocks off and return how far the last one reached (0 if a page was not
 * free).
 */
static uint64_t take_isolated_range(phys_t *pm, struct zone *zone, uint64_t start, uint64_t end)
{
	uint64_t pfn;

	for (pfn = start; pfn < end;) {
		const struct page *page = &pm->mem_map[pfn];

		if (!(page->flags & PG_buddy) || !is_migrate_isolate(page->mt))
			return 0;
		pfn += 1ull << page->order;
	}
	for (pfn = start; pfn < end;) {
		unsigned order = pm->mem_map[pfn].order;

		take_free_block(pm, zone, (pfn_t)pfn, order);
		for (uint64_t i = 0; i < 1ull << order; i++) {
			struct page *p = &pm->mem_map[pfn + i];

			p->flags = PG_head;     /* split_map_pages(): order-0 pages, refcount 1 */
			p->order = 0;
			p->refcount = 1;
		}
		cost_add(pm, COST_PAGE_TOUCH, 1ull << order);
		pfn += 1ull << order;
	}
	return pfn;
}

int alloc_contig_range(phys_t *pm, pfn_t start, pfn_t end, unsigned migratetype, unsigned cpu)
{
	struct zone *zone = page_zone(pm, start);
	uint64_t outer_start, outer_end;
	int ret;

	ret = start_isolate_page_range(pm, start, end, migratetype);
	if (ret)
		return ret;
	drain_all_pages(pm, zone);
	ret = alloc_contig_migrate_range(pm, start, end, cpu);
	if (ret)
		goto done;
	outer_start = outer_block_start(pm, start);
	outer_end = take_isolated_range(pm, zone, outer_start, end);
	if (!outer_end) {
		ret = -MM_EBUSY;
		goto done;
	}
	/* free the parts of the outer blocks outside the range */
	if (start != outer_start)
		free_contig_range(pm, (pfn_t)outer_start, start - outer_start, cpu);
	if (end != outer_end)
		free_contig_range(pm, end, outer_end - end, cpu);
	drain_all_pages(pm, zone);
done:
	undo_isolate_page_range(pm, start, end, migratetype);
	return ret;
}

void free_contig_range(phys_t *pm, pfn_t pfn, uint64_t nr, unsigned cpu)
{
	for (uint64_t i = 0; i < nr; i++)
		free_pages(pm, (pfn_t)(pfn + i), 0, cpu);
}
