/*
 * phys_check.c - buddy_check(): the whole-allocator consistency checker,
 * after Lua's lua_checkmemory and jemalloc's *_consistent(): recount every
 * cached total from scratch and report the first object that disagrees.
 */
#include "engine/phys.h"

#include <stdarg.h>
#include <stdio.h>

#include "engine/pcp.h"

#define FAIL(...) return mm_error(msg, msglen, -1, __VA_ARGS__)

/* Walk one buddy free list; returns blocks or -1. */
static int64_t check_free_list(const phys_t *pm, const struct zone *z, unsigned order, unsigned mt,
			       uint64_t *pages, char *msg, size_t msglen)
{
	const struct free_area *area = &z->free_area[order];
	pfn_t prev = PFN_NONE;
	int64_t n = 0;

	for (pfn_t pfn = area->head[mt]; pfn != PFN_NONE; pfn = pm->mem_map[pfn].lru_next) {
		const struct page *p;
		unsigned pbmt;

		if (pfn >= pm->max_pfn || pfn < z->zone_start_pfn || pfn + (1ull << order) > zone_end_pfn(z))
			return mm_error(msg, msglen, -1, "zone %s: free list order %u %s: pfn %u outside the zone",
				    z->name, order, migratetype_names[mt], pfn);
		p = &pm->mem_map[pfn];
		if (!(p->flags & PG_buddy) || p->order != order || p->mt != mt)
			return mm_error(msg, msglen, -1, "pfn %u on free list order %u %s: flags %#x order %u mt %u",
				    pfn, order, migratetype_names[mt], p->flags, p->order, p->mt);
		if (pfn & ((1u << order) - 1))
			return mm_error(msg, msglen, -1, "pfn %u on free list order %u: not aligned", pfn, order);
		if (p->lru_prev != prev)
			return mm_error(msg, msglen, -1, "pfn %u on free list order %u %s: lru_prev %u, expected %u",
				    pfn, order, migratetype_names[mt], p->lru_prev, prev);
		pbmt = get_pageblock_migratetype(pm, pfn);
		if ((mt == MIGRATE_CMA || pbmt == MIGRATE_CMA || mt == MIGRATE_ISOLATE ||
		     pbmt == MIGRATE_ISOLATE) && mt != pbmt)
			return mm_error(msg, msglen, -1, "pfn %u on the %s list of order %u is in a %s pageblock",
				    pfn, migratetype_names[mt], order, migratetype_names[pbmt]);
		if ((uint64_t)++n > pm->max_pfn)
			return mm_error(msg, msglen, -1, "free list order %u %s of zone %s loops",
				    order, migratetype_names[mt], z->name);
		*pages += 1ull << order;
		prev = pfn;
	}
	if (!!(z->free_mask[mt] & (1u << order)) != (n > 0))
		return mm_error(msg, msglen, -1, "zone %s free_mask[%s] bit %u is %d, list holds %lld blocks",
			    z->name, migratetype_names[mt], order, !!(z->free_mask[mt] & (1u << order)),
			    (long long)n);
	if (area->tail[mt] != prev)
		return mm_error(msg, msglen, -1, "zone %s free list order %u %s: tail %u, last block %u",
			    z->name, order, migratetype_names[mt], area->tail[mt], prev);
	return n;
}

static int check_pcp(const phys_t *pm, const struct zone *z, unsigned cpu, uint64_t *pcp_pages,
		     char *msg, size_t msglen)
{
	const struct per_cpu_pages *pcp = &z->pcp[cpu];
	int64_t count = 0;

	for (unsigned i = 0; i < NR_PCP_LISTS; i++) {
		unsigned order = pindex_to_order(pm, i);
		pfn_t prev = PFN_NONE;
		uint64_t n = 0;

		for (pfn_t pfn = pcp->head[i]; pfn != PFN_NONE; pfn = pm->mem_map[pfn].lru_next) {
			const struct page *p;

			if (pfn < z->zone_start_pfn || pfn >= zone_end_pfn(z))
				FAIL("zone %s cpu %u pcp list %u: pfn %u outside the zone", z->name, cpu, i, pfn);
			p = &pm->mem_map[pfn];
			if (!(p->flags & PG_pcp) || p->order != order || p->lru_prev != prev)
				FAIL("pfn %u on pcp list %u of cpu %u: flags %#x order %u (want %u)",
				     pfn, i, cpu, p->flags, p->order, order);
			if (++n > pm->max_pfn)
				FAIL("pcp list %u of cpu %u loops", i, cpu);
			count += 1 << order;
			prev = pfn;
		}
		if (pcp->tail[i] != prev)
			FAIL("zone %s cpu %u pcp list %u: tail %u, last block %u", z->name, cpu, i, pcp->tail[i], prev);
	}
	if (count != pcp->count)
		FAIL("zone %s cpu %u: pcp count %d, lists hold %lld pages", z->name, cpu, pcp->count,
		     (long long)count);
	*pcp_pages += (uint64_t)count;
	return 0;
}

static int check_zone(const phys_t *pm, const struct zone *z, char *msg, size_t msglen)
{
	uint64_t free_pages = 0, free_cma = 0, listed_pages = 0, pcp_pages = 0;
	uint64_t blocks[MAX_ORDER_LIMIT + 1] = { 0 };
	uint64_t seen_pcp = 0, seen_isolated = 0, allocated = 0, reserved = 0;
	uint64_t nr_pb[MIGRATE_TYPES] = { 0 };

	for (unsigned o = 0; o <= pm->max_order; o++) {
		uint64_t total = 0;

		for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++) {
			uint64_t pages = 0;
			int64_t n = check_free_list(pm, z, o, mt, &pages, msg, msglen);

			if (n < 0)
				return -1;
			if ((uint64_t)n != z->free_area[o].nr_free_mt[mt])
				FAIL("zone %s order %u %s: nr_free_mt %llu, list holds %lld", z->name, o,
				     migratetype_names[mt], (unsigned long long)z->free_area[o].nr_free_mt[mt],
				     (long long)n);
			total += (uint64_t)n;
			listed_pages += pages;
			if (mt != MIGRATE_ISOLATE)
				free_pages += pages;
			if (mt == MIGRATE_CMA)
				free_cma += pages;
		}
		if (total != z->free_area[o].nr_free)
			FAIL("zone %s order %u: nr_free %llu, lists hold %llu", z->name, o,
			     (unsigned long long)z->free_area[o].nr_free, (unsigned long long)total);
	}
	if (free_pages != z->nr_free_pages)
		FAIL("zone %s: NR_FREE_PAGES %llu, lists hold %llu", z->name,
		     (unsigned long long)z->nr_free_pages, (unsigned long long)free_pages);
	if (free_cma != z->nr_free_cma)
		FAIL("zone %s: NR_FREE_CMA_PAGES %llu, lists hold %llu", z->name,
		     (unsigned long long)z->nr_free_cma, (unsigned long long)free_cma);
	for (unsigned c = 0; c < pm->nr_cpus; c++)
		if (check_pcp(pm, z, c, &pcp_pages, msg, msglen))
			return -1;

	/* every page of the zone, block by block */
	for (uint64_t pfn = z->zone_start_pfn; pfn < zone_end_pfn(z);) {
		const struct page *p = &pm->mem_map[pfn];
		uint64_t n = 1ull << p->order;

		if (p->flags & PG_reserved) {
			reserved++;
			pfn++;
			continue;
		}
		if (pfn & (n - 1) || pfn + n > zone_end_pfn(z))
			FAIL("pfn %u: block of order %u misaligned or past the zone end (flags %#x)",
			     (pfn_t)pfn, p->order, p->flags);
		switch (p->flags & (PG_buddy | PG_pcp | PG_head | PG_isolated)) {
		case PG_buddy:
			blocks[p->order]++;
			break;
		case PG_pcp:
			seen_pcp += n;
			break;
		case PG_isolated:
			seen_isolated += n;
			break;
		case PG_head:
			if (p->refcount <= 0)
				FAIL("pfn %u: allocated block with refcount %d", (pfn_t)pfn, p->refcount);
			allocated += n;
			break;
		default:
			FAIL("pfn %u: not in any block (flags %#x order %u): lost page", (pfn_t)pfn, p->flags, p->order);
		}
		pfn += n;
	}
	/* every pageblock, also those inside a block larger than a pageblock */
	for (uint64_t pb = z->zone_start_pfn; pb < zone_end_pfn(z); pb += pm->pageblock_nr_pages)
		nr_pb[get_pageblock_migratetype(pm, (pfn_t)pb)]++;
	for (unsigned o = 0; o <= pm->max_order; o++)
		if (blocks[o] != z->free_area[o].nr_free)
			FAIL("zone %s order %u: %llu PG_buddy blocks in the memmap, %llu on lists", z->name, o,
			     (unsigned long long)blocks[o], (unsigned long long)z->free_area[o].nr_free);
	if (seen_pcp != pcp_pages)
		FAIL("zone %s: %llu PG_pcp pages in the memmap, %llu on pcp lists", z->name,
		     (unsigned long long)seen_pcp, (unsigned long long)pcp_pages);
	if (seen_isolated != z->nr_isolated_free)
		FAIL("zone %s: %llu PG_isolated pages, %llu counted", z->name,
		     (unsigned long long)seen_isolated, (unsigned long long)z->nr_isolated_free);
	if (listed_pages + pcp_pages + seen_isolated + allocated != z->managed_pages)
		FAIL("zone %s: managed %llu != free %llu + pcp %llu + isolated %llu + allocated %llu",
		     z->name, (unsigned long long)z->managed_pages, (unsigned long long)listed_pages,
		     (unsigned long long)pcp_pages, (unsigned long long)seen_isolated,
		     (unsigned long long)allocated);
	if (reserved + z->managed_pages != z->present_pages)
		FAIL("zone %s: present %llu != managed %llu + reserved %llu", z->name,
		     (unsigned long long)z->present_pages, (unsigned long long)z->managed_pages,
		     (unsigned long long)reserved);
	if (nr_pb[MIGRATE_HIGHATOMIC] * pm->pageblock_nr_pages != z->nr_reserved_highatomic)
		FAIL("zone %s: nr_reserved_highatomic %llu, %llu HIGHATOMIC pageblocks", z->name,
		     (unsigned long long)z->nr_reserved_highatomic, (unsigned long long)nr_pb[MIGRATE_HIGHATOMIC]);
	if (nr_pb[MIGRATE_ISOLATE] != z->nr_isolate_pageblock)
		FAIL("zone %s: nr_isolate_pageblock %llu, %llu ISOLATE pageblocks", z->name,
		     (unsigned long long)z->nr_isolate_pageblock, (unsigned long long)nr_pb[MIGRATE_ISOLATE]);
	return 0;
}

int buddy_check(const phys_t *pm, char *msg, size_t msglen)
{
	for (unsigned i = 0; i < pm->nr_zones; i++)
		if (check_zone(pm, &pm->zones[i], msg, msglen))
			return -1;
	return 0;
}
