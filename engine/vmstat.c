/*
 * vmstat.c - fragmentation indices and the kernel's text dumps of the
 * page allocator's state (mm/vmstat.c, v6.6, MAX_ORDER inclusive).
 *
 * fill_contig_page_info, __fragmentation_index, fragmentation_index and
 * unusable_free_index keep the kernel's integer arithmetic (div_u64,
 * truncating, scaled by 1000).  The dumps reproduce frag_show_print
 * (/proc/buddyinfo), pagetypeinfo_show (/proc/pagetypeinfo),
 * zoneinfo_show_print (/proc/zoneinfo, reduced to the counters the model
 * keeps), extfrag_show_print and unusable_show_print (debugfs extfrag/),
 * visiting zones the way walk_zones_in_node() does: node by node, each
 * node's zones in zone-type order.
 */
#include "engine/vmstat.h"

#include <inttypes.h>

#define PAGEINFO_FREECOUNT_CAP	100000  /* pagetypeinfo_showfree_print() list walk cap */
#define SWAP_CLUSTER_MAX	32      /* include/linux/swap.h */

/* pgdat->node_zones[type] of node nid, or NULL when that zone has no pages. */
static const struct zone *node_zone(const phys_t *pm, unsigned nid, unsigned type)
{
	uint8_t id = pm->node[nid].zone_id[type];

	return id == 0xff ? NULL : &pm->zones[id];
}

typedef void zone_print_fn(const phys_t *pm, unsigned nid, const struct zone *zone, FILE *f);

/* walk_zones_in_node(assert_populated = true): print each populated zone of node nid */
static void walk_zones_in_node(const phys_t *pm, unsigned nid, FILE *f, zone_print_fn *print)
{
	for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
		const struct zone *zone = node_zone(pm, nid, t);

		if (zone)
			print(pm, nid, zone, f);
	}
}

/* ... over every node, as the seq_file's node iterator does */
static void walk_zones(const phys_t *pm, FILE *f, zone_print_fn *print)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++)
		walk_zones_in_node(pm, nid, f, print);
}

/* node_state(nid, N_MEMORY): the node has a populated zone */
static bool node_has_memory(const phys_t *pm, unsigned nid)
{
	for (unsigned t = 0; t < MAX_NR_ZONES; t++)
		if (node_zone(pm, nid, t))
			return true;
	return false;
}

/* ---------------------------------------------------------------- indices */

void fill_contig_page_info(const phys_t *pm, const struct zone *zone, unsigned suitable_order,
			   struct contig_page_info *info)
{
	info->free_pages = 0;
	info->free_blocks_total = 0;
	info->free_blocks_suitable = 0;
	for (unsigned order = 0; order <= pm->max_order; order++) {
		/* nr_free counts every list, MIGRATE_ISOLATE included */
		uint64_t blocks = zone->free_area[order].nr_free;

		info->free_blocks_total += blocks;
		info->free_pages += blocks << order;
		if (order >= suitable_order)
			info->free_blocks_suitable += blocks << (order - suitable_order);
	}
}

/*
 * __fragmentation_index(): 1000 - (1000 + free_pages * 1000 / requested) /
 * free_blocks_total.  The kernel subtracts in unsigned long and truncates
 * to int; done here in signed 64 bits, which gives the same int.  So a zone
 * whose only free block is too small yields a negative index (one order-0
 * block asked for order 1: 1000 - 1500 = -500), not just -1000.
 */
int fragmentation_index_info(unsigned order, const struct contig_page_info *info)
{
	uint64_t requested;

	if (order > MAX_ORDER_LIMIT)    /* WARN_ON_ONCE(order > MAX_ORDER) */
		return 0;
	requested = 1ull << order;
	if (!info->free_blocks_total)
		return 0;
	/* Fragmentation index only makes sense when a request would fail */
	if (info->free_blocks_suitable)
		return -1000;
	/* 0 => allocation would fail due to lack of memory, 1000 => fragmentation */
	return (int)(1000 - (int64_t)((1000 + info->free_pages * 1000 / requested) /
				      info->free_blocks_total));
}

int fragmentation_index(const phys_t *pm, const struct zone *zone, unsigned order)
{
	struct contig_page_info info;

	if (order > pm->max_order)
		return 0;
	fill_contig_page_info(pm, zone, order, &info);
	return fragmentation_index_info(order, &info);
}

int unusable_free_index(unsigned order, const struct contig_page_info *info)
{
	/* No free memory is interpreted as all free memory is unusable */
	if (info->free_pages == 0)
		return 1000;
	/* 0 => no fragmentation, 1000 => high fragmentation */
	return (int)((info->free_pages - (info->free_blocks_suitable << order)) * 1000 /
		     info->free_pages);
}

/* ---------------------------------------------------------------- /proc/buddyinfo */

/* frag_show_print() */
static void frag_show_print(const phys_t *pm, unsigned nid, const struct zone *zone, FILE *f)
{
	fprintf(f, "Node %d, zone %8s ", (int)nid, zone->name);
	for (unsigned order = 0; order <= pm->max_order; order++)
		fprintf(f, "%6" PRIu64 " ", zone->free_area[order].nr_free);
	fputc('\n', f);
}

/* frag_show() */
void dump_buddyinfo(const phys_t *pm, FILE *f)
{
	walk_zones(pm, f, frag_show_print);
}

/* ---------------------------------------------------------------- /proc/pagetypeinfo */

/* pagetypeinfo_showfree_print(): free blocks per list, the list walk capped */
static void pagetypeinfo_showfree_print(const phys_t *pm, unsigned nid, const struct zone *zone,
					FILE *f)
{
	for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++) {
		fprintf(f, "Node %4d, zone %8s, type %12s ", (int)nid, zone->name,
			migratetype_names[mt]);
		for (unsigned order = 0; order <= pm->max_order; order++) {
			uint64_t freecount = zone->free_area[order].nr_free_mt[mt];
			bool overflow = freecount >= PAGEINFO_FREECOUNT_CAP;

			if (overflow)
				freecount = PAGEINFO_FREECOUNT_CAP;
			fprintf(f, "%s%6" PRIu64 " ", overflow ? ">" : "", freecount);
		}
		fputc('\n', f);
	}
}

/* pagetypeinfo_showblockcount_print(): pageblocks of the zone per migratetype */
static void pagetypeinfo_showblockcount_print(const phys_t *pm, unsigned nid,
					      const struct zone *zone, FILE *f)
{
	uint64_t count[MIGRATE_TYPES] = { 0 };

	for (uint64_t pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);
	     pfn += pm->pageblock_nr_pages) {
		unsigned mt = get_pageblock_migratetype(pm, (pfn_t)pfn);

		if (mt < MIGRATE_TYPES)
			count[mt]++;
	}
	fprintf(f, "Node %d, zone %8s ", (int)nid, zone->name);
	for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(f, "%12" PRIu64 " ", count[mt]);
	fputc('\n', f);
}

/*
 * pagetypeinfo_show(), once per node with memory.  The "Number of mixed
 * blocks" table (pagetypeinfo_showmixedcount) needs CONFIG_PAGE_OWNER and
 * page_owner=on; it is left out, as a kernel without them leaves it out.
 */
void dump_pagetypeinfo(const phys_t *pm, FILE *f)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		if (!node_has_memory(pm, nid))
			continue;
		fprintf(f, "Page block order: %d\n", (int)pm->pageblock_order);
		fprintf(f, "Pages per block:  %" PRIu64 "\n", pm->pageblock_nr_pages);
		fputc('\n', f);

		/* pagetypeinfo_showfree() */
		fprintf(f, "%-43s ", "Free pages count per migrate type at order");
		for (unsigned order = 0; order <= pm->max_order; order++)
			fprintf(f, "%6d ", (int)order);
		fputc('\n', f);
		walk_zones_in_node(pm, nid, f, pagetypeinfo_showfree_print);

		/* pagetypeinfo_showblockcount() */
		fprintf(f, "\n%-23s", "Number of blocks type ");
		for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++)
			fprintf(f, "%12s ", migratetype_names[mt]);
		fputc('\n', f);
		walk_zones_in_node(pm, nid, f, pagetypeinfo_showblockcount_print);
	}
}

/* ---------------------------------------------------------------- /proc/zoneinfo */

/* fls(): the 1-based index of the highest set bit, 0 for 0 */
static int fls_u64(uint64_t x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

/*
 * calculate_normal_threshold(), which refresh_zone_stat_thresholds() gives
 * every CPU of a populated zone: 2 * fls(online CPUs) * (1 + fls(managed
 * in 128 MiB units)), at most 125.  kswapd's temporary pressure threshold
 * is not modeled (there is no kswapd).
 */
static int calculate_normal_threshold(const phys_t *pm, const struct zone *zone)
{
	int mem = (int)(zone->managed_pages >> (27 - PAGE_SHIFT));
	int threshold = 2 * fls_u64(pm->nr_cpus) * (1 + fls_u64((uint64_t)mem));

	return threshold < 125 ? threshold : 125;
}

/*
 * zoneinfo_show_print() for a zone without pages.  The kernel prints every
 * zone of the node (zoneinfo_show: "All zones are printed regardless of
 * whether they are populated"), and __setup_per_zone_wmarks() gives an
 * empty ZONE_MOVABLE (capped like highmem) a min of SWAP_CLUSTER_MAX and
 * low = high = min; all other numbers are 0, lowmem_reserve included.
 */
static void zoneinfo_show_empty(unsigned nid, unsigned type, FILE *f)
{
	unsigned wmark = type == ZONE_MOVABLE ? SWAP_CLUSTER_MAX : 0;

	fprintf(f, "Node %d, zone %8s", (int)nid, zone_names[type]);
	fprintf(f, "\n  pages free     0"
		   "\n        boost    0"
		   "\n        min      %u"
		   "\n        low      %u"
		   "\n        high     %u"
		   "\n        spanned  0"
		   "\n        present  0"
		   "\n        managed  0"
		   "\n        cma      0", wmark, wmark, wmark);
	fprintf(f, "\n        protection: (0");
	for (unsigned i = 1; i < MAX_NR_ZONES; i++)
		fprintf(f, ", 0");
	fprintf(f, ")\n");
}

/*
 * zoneinfo_show_print() for a populated zone.  Left out because the model
 * keeps no such counters:
 *   - the "  per-node stats" block under a node's first populated zone
 *     (node_stat_item: nr_inactive_anon ... nr_page_table_pages, ...);
 *   - zone_stat_item lines other than nr_free_pages and nr_free_cma
 *     (nr_zone_inactive_anon, nr_zone_active_anon, nr_zone_inactive_file,
 *     nr_zone_active_file, nr_zone_unevictable, nr_zone_write_pending,
 *     nr_mlock, nr_bounce, nr_zspages);
 *   - the CONFIG_NUMA event lines (numa_hit, numa_miss, numa_foreign,
 *     numa_interleave, numa_local, numa_other).
 * boost is always 0 (watermark boosting is not modeled), and so is
 * node_unreclaimable (no kswapd, so no kswapd_failures).  "vm stats
 * threshold" is what calculate_normal_threshold() gives the zone.
 */
static void zoneinfo_show_print(const phys_t *pm, unsigned nid, const struct zone *zone, FILE *f)
{
	int threshold = calculate_normal_threshold(pm, zone);

	fprintf(f, "Node %d, zone %8s", (int)nid, zone->name);
	fprintf(f, "\n  pages free     %" PRIu64
		   "\n        boost    %d"
		   "\n        min      %" PRIu64
		   "\n        low      %" PRIu64
		   "\n        high     %" PRIu64
		   "\n        spanned  %" PRIu64
		   "\n        present  %" PRIu64
		   "\n        managed  %" PRIu64
		   "\n        cma      %" PRIu64,
		zone->nr_free_pages, 0,
		zone->watermark[WMARK_MIN], zone->watermark[WMARK_LOW],
		zone->watermark[WMARK_HIGH], zone->spanned_pages,
		zone->present_pages, zone->managed_pages, zone->cma_pages);
	fprintf(f, "\n        protection: (%" PRId64, (int64_t)zone->lowmem_reserve[0]);
	for (unsigned i = 1; i < MAX_NR_ZONES; i++)
		fprintf(f, ", %" PRId64, (int64_t)zone->lowmem_reserve[i]);
	fputc(')', f);

	fprintf(f, "\n      %-12s %" PRIu64, "nr_free_pages", zone->nr_free_pages);
	fprintf(f, "\n      %-12s %" PRIu64, "nr_free_cma", zone->nr_free_cma);

	fprintf(f, "\n  pagesets");
	for (unsigned cpu = 0; cpu < pm->nr_cpus; cpu++) {
		const struct per_cpu_pages *pcp = &zone->pcp[cpu];

		fprintf(f, "\n    cpu: %i"
			   "\n              count: %i"
			   "\n              high:  %i"
			   "\n              batch: %i",
			(int)cpu, pcp->count, pcp->high, pcp->batch);
		fprintf(f, "\n  vm stats threshold: %d", threshold);
	}
	fprintf(f, "\n  node_unreclaimable:  %u"
		   "\n  start_pfn:           %" PRIu64,
		0u, (uint64_t)zone->zone_start_pfn);
	fputc('\n', f);
}

/* zoneinfo_show(): walk_zones_in_node(assert_populated = false) */
void dump_zoneinfo(const phys_t *pm, FILE *f)
{
	for (unsigned nid = 0; nid < pm->nr_nodes; nid++) {
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			const struct zone *zone = node_zone(pm, nid, t);

			if (zone)
				zoneinfo_show_print(pm, nid, zone, f);
			else
				zoneinfo_show_empty(nid, t, f);
		}
	}
}

/* ---------------------------------------------------------------- debugfs extfrag/ */

/*
 * extfrag_show_print() ("%2d.%03d ") and unusable_show_print() ("%d.%03d "):
 * index / 1000 and index % 1000 truncate toward zero, so -1000 prints as
 * "-1.000" and -500 as " 0.-500", as the kernel prints them.
 */
static void index_show_print(const phys_t *pm, unsigned nid, const struct zone *zone, FILE *f,
			     bool extfrag)
{
	fprintf(f, "Node %d, zone %8s ", (int)nid, zone->name);
	for (unsigned order = 0; order <= pm->max_order; order++) {
		struct contig_page_info info;
		int index;

		fill_contig_page_info(pm, zone, order, &info);
		index = extfrag ? fragmentation_index_info(order, &info)
				: unusable_free_index(order, &info);
		fprintf(f, extfrag ? "%2d.%03d " : "%d.%03d ", index / 1000, index % 1000);
	}
	fputc('\n', f);
}

static void extfrag_show_print(const phys_t *pm, unsigned nid, const struct zone *zone, FILE *f)
{
	index_show_print(pm, nid, zone, f, /* extfrag */ true);
}

static void unusable_show_print(const phys_t *pm, unsigned nid, const struct zone *zone, FILE *f)
{
	index_show_print(pm, nid, zone, f, /* extfrag */ false);
}

void dump_extfrag_index(const phys_t *pm, FILE *f)
{
	walk_zones(pm, f, extfrag_show_print);
}

void dump_unusable_index(const phys_t *pm, FILE *f)
{
	walk_zones(pm, f, unusable_show_print);
}
