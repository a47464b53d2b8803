/*
 * pcp.h - per-CPU page lists (struct per_cpu_pages): a small LIFO cache of
 * free pages per CPU and zone in front of the buddy free lists, refilled and
 * drained in batches under the zone lock (mm/page_alloc.c, v6.6).
 *
 * Lists per pcp: one per (order 0..PAGE_ALLOC_COSTLY_ORDER, pcp migratetype)
 * and one for pageblock-order (THP) blocks, as order_to_pindex() numbers
 * them.  Pages on a pcp list count as allocated in NR_FREE_PAGES, as in the
 * kernel.
 */
#ifndef MMBENCH_PCP_H
#define MMBENCH_PCP_H

#include "engine/phys.h"

/* pcp_allowed_order(): orders that may sit on a per-CPU list */
static inline bool pcp_allowed_order(const phys_t *pm, unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER ||
	       (pm->cfg.thp_pcp && order == pm->pageblock_order);
}

/* order_to_pindex() / pindex_to_order() */
static inline unsigned order_to_pindex(unsigned mt, unsigned order)
{
	return order > PAGE_ALLOC_COSTLY_ORDER ? NR_LOWORDER_PCP_LISTS
					       : MIGRATE_PCPTYPES * order + mt;
}

static inline unsigned pindex_to_order(const phys_t *pm, unsigned pindex)
{
	return pindex == NR_LOWORDER_PCP_LISTS ? pm->pageblock_order : pindex / MIGRATE_PCPTYPES;
}

/* zone_batchsize(): pages moved per refill/drain, 2^n - 1, at most 63 */
int zone_batchsize(const struct zone *zone);

/*
 * zone_highsize(): the pcp high mark in pages: the zone's low watermark
 * (or managed / high_fraction when the sysctl is set) split over the node's
 * CPUs (all online CPUs for a node without any), at least 4 * batch.
 */
int zone_highsize(const struct zone *zone, int batch, unsigned node_cpus, unsigned nr_cpus,
		  unsigned high_fraction);

/* An empty per-CPU list set with the given high and batch, in pages. */
void pcp_init(struct per_cpu_pages *pcp, int high, int batch);

static inline void pcp_list_add(phys_t *pm, struct per_cpu_pages *pcp, unsigned pindex,
				pfn_t pfn, bool to_tail)
{
	struct page *mem_map = pm->mem_map;

	mem_map[pfn].flags = PG_pcp;
	pfn_list_add(mem_map, &pcp->head[pindex], &pcp->tail[pindex], pfn, to_tail);
	cost_add(pm, COST_PCP_LIST_OP, 1);
}

static inline void pcp_list_del(phys_t *pm, struct per_cpu_pages *pcp, unsigned pindex, pfn_t pfn)
{
	struct page *mem_map = pm->mem_map;

	pfn_list_del(mem_map, &pcp->head[pindex], &pcp->tail[pindex], pfn);
	mem_map[pfn].flags = 0;
	cost_add(pm, COST_PCP_LIST_OP, 1);
}

/*
 * The refill of rmqueue_pcplist() (__rmqueue_pcplist): rmqueue_bulk() a
 * batch, scaled down by order, onto the empty list.  Returns the list's
 * first block, or PFN_NONE if the zone had none.
 */
pfn_t pcp_refill(phys_t *pm, struct zone *zone, struct per_cpu_pages *pcp,
		 unsigned order, unsigned mt, unsigned alloc_flags);

/*
 * rmqueue_pcplist(): take a block of 2^order pages of migratetype mt from
 * cpu's list for zone, refilling the list with rmqueue_bulk() when empty.
 * Returns the head pfn or PFN_NONE.
 */
static inline pfn_t rmqueue_pcplist(phys_t *pm, struct zone *zone, unsigned order, unsigned mt,
				    unsigned alloc_flags, unsigned cpu)
{
	struct per_cpu_pages *pcp = &zone->pcp[cpu];
	unsigned pindex = order_to_pindex(mt, order);
	pfn_t pfn = pcp->head[pindex];

	cost_add(pm, COST_PCP_LOCK, 1);
	/* on allocation, reduce the number of pages that are batch freed */
	pcp->free_factor >>= 1;
	if (pfn == PFN_NONE) {
		pfn = pcp_refill(pm, zone, pcp, order, mt, alloc_flags);
		if (pfn == PFN_NONE)
			return PFN_NONE;
	}
	pcp_list_del(pm, pcp, pindex, pfn);
	pcp->count -= 1 << order;
	return pfn;
}

/* The rest of free_unref_page(): isolated pageblocks, and draining past high. */
void free_unref_page_slow(phys_t *pm, struct zone *zone, struct per_cpu_pages *pcp,
			  pfn_t pfn, unsigned order, unsigned mt, unsigned pindex);

/*
 * free_unref_page(): free a block (pcp_allowed_order) onto cpu's list, or to
 * the buddy lists if its pageblock is isolated; drains a batch when the list
 * passes pcp->high (free_unref_page_commit).  HIGHATOMIC and CMA blocks sit
 * on the movable list and keep their type in page.mt for the drain.
 */
static inline void free_unref_page(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order,
				   unsigned cpu)
{
	struct per_cpu_pages *pcp = &zone->pcp[cpu];
	unsigned mt = get_pageblock_migratetype(pm, pfn);     /* free_unref_page_prepare() */
	unsigned pindex;

	if (is_migrate_isolate(mt)) {
		free_unref_page_slow(pm, zone, pcp, pfn, order, mt, 0);
		return;
	}
	pindex = order_to_pindex(mt >= MIGRATE_PCPTYPES ? MIGRATE_MOVABLE : mt, order);
	cost_add(pm, COST_PCP_LOCK, 1);
	pcp_list_add(pm, pcp, pindex, pfn, false);
	pm->mem_map[pfn].order = (uint8_t)order;
	pm->mem_map[pfn].mt = (uint8_t)mt;
	pcp->count += 1 << order;
	if (pcp->count >= pcp->high || (pcp->free_factor && order && order <= PAGE_ALLOC_COSTLY_ORDER))
		free_unref_page_slow(pm, zone, pcp, pfn, order, mt, pindex);
}

/* free_pcppages_bulk(): return `count` pages from pcp to the buddy lists,
 * round-robin over the lists starting at pindex, coldest first. */
void free_pcppages_bulk(phys_t *pm, struct zone *zone, int count, struct per_cpu_pages *pcp,
			unsigned pindex);

/* drain_all_pages(): empty every CPU's lists of zone (all zones if NULL). */
void drain_all_pages(phys_t *pm, struct zone *zone);

#endif /* MMBENCH_PCP_H */
