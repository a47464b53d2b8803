/*
 * pcp.c - per-CPU page lists, the out-of-line half (mm/page_alloc.c, v6.6):
 * __rmqueue_pcplist's refill (pcp_refill), rmqueue_bulk, the rest of
 * free_unref_page_commit, nr_pcp_free, nr_pcp_high, free_pcppages_bulk,
 * drain_all_pages, and the sizing rules zone_batchsize and zone_highsize.
 * The hot halves, rmqueue_pcplist and free_unref_page, are in pcp.h.
 *
 * Allocation takes the head of a list (cache-hot, LIFO), a refill appends to
 * the tail in physical order, and a drain frees from the tail (coldest
 * first).  The list a page is on is chosen by the requested migratetype;
 * page.mt remembers the type of the buddy list it came from (CMA,
 * HIGHATOMIC) so that a drain puts it back there.
 */
#include "engine/pcp.h"

#include "engine/buddy.h"

int zone_batchsize(const struct zone *zone)
{
	uint64_t b = zone->managed_pages >> 10;
	int batch;

	if (b > (1u << 20) / PAGE_SIZE)
		b = (1u << 20) / PAGE_SIZE;
	batch = (int)b / 4;             /* we effectively *= 4 below */
	if (batch < 1)
		batch = 1;
	/* rounddown_pow_of_two(batch + batch / 2) - 1: clamp to 2^n - 1 */
	batch += batch / 2;
	while (batch & (batch - 1))
		batch &= batch - 1;
	return batch - 1 > 0 ? batch - 1 : 1;
}

int zone_highsize(const struct zone *zone, int batch, unsigned node_cpus, unsigned nr_cpus,
		  unsigned high_fraction)
{
	uint64_t total = high_fraction ? zone->managed_pages / high_fraction
				       : zone->watermark[WMARK_LOW];
	int high = (int)(total / (node_cpus ? node_cpus : nr_cpus));

	return high > batch * 4 ? high : batch * 4;
}

void pcp_init(struct per_cpu_pages *pcp, int high, int batch)
{
	pcp->count = 0;
	pcp->high = high;
	pcp->batch = batch;
	pcp->free_factor = 0;
	for (unsigned i = 0; i < NR_PCP_LISTS; i++)
		pcp->head[i] = pcp->tail[i] = PFN_NONE;
}

/*
 * rmqueue_bulk(): move up to count blocks from the buddy lists to the tail
 * of a pcp list, under one zone lock.  Returns the number of blocks.
 */
static int rmqueue_bulk(phys_t *pm, struct zone *zone, unsigned order, int count,
			struct per_cpu_pages *pcp, unsigned pindex, unsigned mt, unsigned alloc_flags)
{
	int i;

	cost_add(pm, COST_ZONE_LOCK, 1);
	pm->ev.pcp_refill++;
	for (i = 0; i < count; i++) {
		pfn_t pfn = buddy_rmqueue(pm, zone, order, mt, alloc_flags);

		if (pfn == PFN_NONE)
			break;
		pcp_list_add(pm, pcp, pindex, pfn, true);
		pm->mem_map[pfn].order = (uint8_t)order;
	}
	return i;
}

pfn_t pcp_refill(phys_t *pm, struct zone *zone, struct per_cpu_pages *pcp,
		 unsigned order, unsigned mt, unsigned alloc_flags)
{
	unsigned pindex = order_to_pindex(mt, order);
	int batch = pcp->batch;

	/* scale batch relative to order */
	if (batch > 1) {
		batch >>= order;
		if (batch < 2)
			batch = 2;
	}
	pcp->count += rmqueue_bulk(pm, zone, order, batch, pcp, pindex, mt, alloc_flags) << order;
	return pcp->head[pindex];
}

void free_pcppages_bulk(phys_t *pm, struct zone *zone, int count, struct per_cpu_pages *pcp,
			unsigned pindex)
{
	bool isolated = zone->nr_isolate_pageblock != 0;

	if (count > pcp->count)
		count = pcp->count;
	cost_add(pm, COST_ZONE_LOCK, 1);
	pm->ev.pcp_drain++;
	pindex = pindex ? pindex - 1 : NR_PCP_LISTS - 1;   /* drain the requested list first */
	while (count > 0) {
		unsigned order;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
		} while (pcp->head[pindex] == PFN_NONE);
		order = pindex_to_order(pm, pindex);
		do {
			pfn_t pfn = pcp->tail[pindex];
			unsigned mt = pm->mem_map[pfn].mt;

			pcp_list_del(pm, pcp, pindex, pfn);
			count -= 1 << order;
			pcp->count -= 1 << order;
			/* the pageblock could have been isolated meanwhile */
			if (isolated)
				mt = get_pageblock_migratetype(pm, pfn);
			free_one_page(pm, zone, pfn, order, mt, FPI_NONE);
		} while (count > 0 && pcp->head[pindex] != PFN_NONE);
	}
}

/* nr_pcp_free(): how many pages a drain frees; doubles while frees continue */
static int nr_pcp_free(struct per_cpu_pages *pcp, int high, int batch, bool free_high)
{
	int min_nr_free, max_nr_free;

	if (free_high)
		return pcp->count;      /* free everything if batch freeing high-order pages */
	if (high < batch)
		return 1;               /* pcp disabled */
	min_nr_free = batch;            /* leave at least pcp->batch pages on the list */
	max_nr_free = high - batch;
	batch <<= pcp->free_factor;
	if (batch < max_nr_free)
		pcp->free_factor++;
	return batch < min_nr_free ? min_nr_free : batch > max_nr_free ? max_nr_free : batch;
}

void free_unref_page_slow(phys_t *pm, struct zone *zone, struct per_cpu_pages *pcp,
			  pfn_t pfn, unsigned order, unsigned mt, unsigned pindex)
{
	bool free_high;
	int high;

	if (is_migrate_isolate(mt)) {
		cost_add(pm, COST_ZONE_LOCK, 1);
		free_one_page(pm, zone, pfn, order, mt, FPI_NONE);
		return;
	}
	/* the rest of free_unref_page_commit(), after list_add */
	free_high = pcp->free_factor && order && order <= PAGE_ALLOC_COSTLY_ORDER;
	high = free_high ? 0 : pcp->high;       /* nr_pcp_high(), no reclaim modeled */
	if (pcp->count >= high)
		free_pcppages_bulk(pm, zone, nr_pcp_free(pcp, high, pcp->batch, free_high), pcp, pindex);
}

void drain_all_pages(phys_t *pm, struct zone *zone)
{
	for (unsigned i = 0; i < pm->nr_zones; i++) {
		struct zone *z = &pm->zones[i];

		if (zone && zone != z)
			continue;
		for (unsigned c = 0; c < pm->nr_cpus; c++)
			if (z->pcp[c].count)
				free_pcppages_bulk(pm, z, z->pcp[c].count, &z->pcp[c], 0);
	}
}
