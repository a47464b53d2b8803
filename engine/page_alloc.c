/*
 * page_alloc.c - alloc_pages() and free_pages(): GFP decoding, zonelist
 * walk, watermarks, the slow path with direct compaction and the
 * highatomic reserve, out-of-memory accounting (mm/page_alloc.c, v6.6:
 * __alloc_pages, prepare_alloc_pages, alloc_flags_nofragment,
 * get_page_from_freelist, rmqueue, rmqueue_buddy, __alloc_pages_slowpath,
 * gfp_to_alloc_flags, __alloc_pages_direct_compact, __free_pages).
 */
#include "engine/page_alloc.h"

#include "engine/buddy.h"
#include "engine/compaction.h"
#include "engine/pcp.h"

/* The five gfp bits gfp_zone() and gfp_migratetype() read, as a table index */
#define GFP_TABLE_MASK	(GFP_ZONEMASK | GFP_F_RECLAIMABLE)
_Static_assert(GFP_TABLE_MASK == 0x1f, "gfp table index");

unsigned gfp_zone(const phys_t *pm, gfp_t gfp)
{
	/* GFP_ZONE_TABLE on x86-64 (no HIGHMEM: OPT_ZONE_HIGHMEM is ZONE_NORMAL) */
	if ((gfp & GFP_F_DMA) && pm->cfg.zone_dma)
		return ZONE_DMA;
	if ((gfp & GFP_F_DMA32) && pm->cfg.zone_dma32)
		return ZONE_DMA32;
	if ((gfp & (GFP_F_MOVABLE | GFP_F_HIGHMEM)) == (GFP_F_MOVABLE | GFP_F_HIGHMEM))
		return ZONE_MOVABLE;
	return ZONE_NORMAL;
}

unsigned gfp_migratetype(const phys_t *pm, gfp_t gfp)
{
	if (!pm->group_by_mobility)
		return MIGRATE_UNMOVABLE;
	if (gfp & GFP_F_MOVABLE)        /* both bits set is a caller bug; movable wins */
		return MIGRATE_MOVABLE;
	if (gfp & GFP_F_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

void gfp_table_init(phys_t *pm)
{
	for (gfp_t g = 0; g <= GFP_TABLE_MASK; g++)
		pm->gfp_table[g] = (uint8_t)(gfp_zone(pm, g) << 4 | gfp_migratetype(pm, g));
}

/* The request, as struct alloc_context carries it */
struct alloc_context {
	const struct pglist_data *pgdat;        /* the allocating CPU's node */
	unsigned highest_zoneidx;
	unsigned migratetype;
	unsigned cpu;
	struct zone *preferred;                 /* first usable zone in the zonelist */
};

/* first_zones_zonelist(): precomputed per node by phys_init() */
static inline struct zone *first_zone(phys_t *pm, const struct alloc_context *ac)
{
	uint8_t id = ac->pgdat->preferred_zone[ac->highest_zoneidx];

	return id == 0xff ? NULL : &pm->zones[id];
}

/* gfp_to_alloc_flags_cma() */
static unsigned alloc_flags_cma(const struct alloc_context *ac, unsigned alloc_flags)
{
	return ac->migratetype == MIGRATE_MOVABLE ? alloc_flags | ALLOC_CMA : alloc_flags;
}

/*
 * alloc_flags_nofragment(): avoid fragmenting pageblocks when the preferred
 * zone is ZONE_NORMAL and a populated ZONE_DMA32 sits below it on the node.
 */
static inline unsigned alloc_flags_nofragment(const phys_t *pm, const struct zone *zone, gfp_t gfp)
{
	unsigned alloc_flags = gfp & GFP_F_KSWAPD_RECLAIM;     /* == ALLOC_KSWAPD */

	if (zone->type != ZONE_NORMAL || pm->node[zone->node].zone_id[ZONE_DMA32] == 0xff)
		return alloc_flags;
	return alloc_flags | ALLOC_NOFRAGMENT;
}

/* gfp_to_alloc_flags(): the slow path's flags, at the min watermark */
static unsigned gfp_to_alloc_flags(const struct alloc_context *ac, gfp_t gfp, unsigned order)
{
	unsigned alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	alloc_flags |= gfp & (GFP_F_HIGH | GFP_F_KSWAPD_RECLAIM);   /* MIN_RESERVE, KSWAPD */
	if (!(gfp & GFP_F_DIRECT_RECLAIM)) {
		if (!(gfp & GFP_F_NOMEMALLOC)) {
			alloc_flags |= ALLOC_NON_BLOCK;
			if (order > 0)
				alloc_flags |= ALLOC_HIGHATOMIC;
		}
		if (alloc_flags & ALLOC_MIN_RESERVE)
			alloc_flags &= ~ALLOC_CPUSET;
	}
	return alloc_flags_cma(ac, alloc_flags);
}

/* prep_new_page(): the block becomes an allocated, referenced head */
static inline void prep_new_page(phys_t *pm, struct zone *zone, pfn_t pfn, unsigned order, gfp_t gfp)
{
	pm->mem_map[pfn] = (struct page){
		.flags = (uint16_t)(PG_head | ((gfp & GFP_F_COMP) && order ? PG_compound : 0)),
		.order = (uint8_t)order,
		.refcount = 1,
	};
	cost_add(pm, COST_PAGE_TOUCH, 1);
	if (gfp & GFP_F_ZERO)
		cost_add(pm, COST_PAGE_ZERO, 1ull << order);
	if ((gfp & GFP_F_COMP) && order)
		cost_add(pm, COST_PAGE_TOUCH, (1ull << order) - 1);   /* prep_compound_page() */
	pm->ev.pgalloc[zone->type] += 1ull << order;
}

/* rmqueue_buddy(): from the zone's free lists, under the zone lock */
static pfn_t rmqueue_buddy(phys_t *pm, struct zone *zone, unsigned order, unsigned alloc_flags,
			   const struct alloc_context *ac)
{
	pfn_t pfn = PFN_NONE;

	cost_add(pm, COST_ZONE_LOCK, 1);
	if (alloc_flags & ALLOC_HIGHATOMIC)
		pfn = rmqueue_smallest(pm, zone, order, MIGRATE_HIGHATOMIC);
	if (pfn == PFN_NONE) {
		pfn = buddy_rmqueue(pm, zone, order, ac->migratetype, alloc_flags);
		/* OOM may dip into HIGHATOMIC rather than fail */
		if (pfn == PFN_NONE && (alloc_flags & ALLOC_OOM))
			pfn = rmqueue_smallest(pm, zone, order, MIGRATE_HIGHATOMIC);
	}
	return pfn;
}

/* rmqueue(): the per-CPU list for the orders it holds, else the buddy lists */
static inline pfn_t rmqueue(phys_t *pm, struct zone *zone, unsigned order, unsigned alloc_flags,
				   const struct alloc_context *ac)
{
	if (pm->cfg.pcp_enabled && pcp_allowed_order(pm, order)) {
		pfn_t pfn = rmqueue_pcplist(pm, zone, order, ac->migratetype, alloc_flags, ac->cpu);

		if (pfn != PFN_NONE)
			return pfn;
	}
	return rmqueue_buddy(pm, zone, order, alloc_flags, ac);
}

/*
 * zone_watermark_fast(): for order 0, free pages above mark plus
 * lowmem_reserve after taking out what this request may not use
 * (__zone_watermark_unusable_free) is enough; otherwise the full
 * __zone_watermark_ok().
 */
static inline bool zone_watermark_fast(phys_t *pm, const struct zone *z, unsigned order,
				       uint64_t mark, unsigned highest_zoneidx, unsigned alloc_flags)
{
	if (!order) {
		int64_t fast_free = (int64_t)z->nr_free_pages - zone_watermark_unusable_free(z, 0, alloc_flags);

		if (fast_free > (int64_t)(mark + z->lowmem_reserve[highest_zoneidx])) {
			cost_add(pm, COST_WMARK_CHECK, 1);
			return true;
		}
	}
	return zone_watermark_ok(pm, z, order, mark, highest_zoneidx, alloc_flags,
				 (int64_t)z->nr_free_pages);
}

/*
 * get_page_from_freelist(): walk the zonelist from the preferred zone, take
 * the first zone that passes its watermark and has the pages.  With
 * ALLOC_NOFRAGMENT, a remote node or a full pass without success retries
 * without it.
 */
static pfn_t get_page_from_freelist(phys_t *pm, gfp_t gfp, unsigned order, unsigned alloc_flags,
			     const struct alloc_context *ac)
{
	const struct pglist_data *pgdat = ac->pgdat;
	bool no_fallback;

retry:
	no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for (unsigned i = 0; i < pgdat->nr_zonelist; i++) {
		struct zone *zone = &pm->zones[pgdat->zonelist[i]];
		pfn_t pfn;

		if (zone->type > ac->highest_zoneidx)
			continue;
		/* __GFP_THISNODE: ZONELIST_NOFALLBACK, the local node only */
		if ((gfp & GFP_F_THISNODE) && zone->node != ac->preferred->node)
			continue;
		if (no_fallback && pm->nr_nodes > 1 && zone->node != ac->preferred->node) {
			/* locality is more important than fragmentation avoidance */
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(pm, zone, order, zone->watermark[alloc_flags & ALLOC_WMARK_MASK],
					 ac->highest_zoneidx, alloc_flags))
			continue;       /* node_reclaim is off by default */
		pfn = rmqueue(pm, zone, order, alloc_flags, ac);
		if (pfn != PFN_NONE) {
			prep_new_page(pm, zone, pfn, order, gfp);
			if (alloc_flags & ALLOC_HIGHATOMIC)
				reserve_highatomic_pageblock(pm, pfn, zone);
			return pfn;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return PFN_NONE;
}

/*
 * __alloc_pages_direct_compact(): compact the zonelist's zones for this
 * order, then try the free lists again.  Returns the block or PFN_NONE and
 * the compaction result in *result.
 */
static pfn_t direct_compact(phys_t *pm, gfp_t gfp, unsigned order, unsigned alloc_flags,
			    const struct alloc_context *ac, enum compact_priority prio,
			    enum compact_result *result)
{
	pfn_t pfn;

	*result = COMPACT_SKIPPED;
	if (!order || !pm->cfg.compaction)
		return PFN_NONE;
	*result = try_to_compact_pages(pm, gfp, order, ac->migratetype, alloc_flags,
				       ac->highest_zoneidx, (unsigned)(ac->pgdat - pm->node),
				       ac->cpu, prio);
	if (*result == COMPACT_SKIPPED)
		return PFN_NONE;
	pm->ev.compact_stall++;
	pfn = get_page_from_freelist(pm, gfp, order, alloc_flags, ac);
	if (pfn != PFN_NONE) {
		compaction_defer_reset(page_zone(pm, pfn), order, true);
		pm->ev.compact_success++;
		return pfn;
	}
	pm->ev.compact_fail++;
	return PFN_NONE;
}

/*
 * What the kernel does after reclaim when reclaim is not modeled: release a
 * highatomic reserve (all but the last unless force) and drain the per-CPU
 * lists (__alloc_pages_direct_reclaim, should_reclaim_retry).
 */
static void release_reserves(phys_t *pm, const struct alloc_context *ac, bool force)
{
	for (unsigned i = 0; i < ac->pgdat->nr_zonelist; i++) {
		struct zone *zone = &pm->zones[ac->pgdat->zonelist[i]];

		if (zone->type <= ac->highest_zoneidx &&
		    unreserve_highatomic_pageblock(pm, zone, ac->migratetype, force))
			break;
	}
	drain_all_pages(pm, NULL);
}

/* __alloc_pages_slowpath(), without reclaim or the OOM killer */
static pfn_t alloc_pages_slowpath(phys_t *pm, gfp_t gfp, unsigned order,
				  const struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & GFP_F_DIRECT_RECLAIM;
	bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned alloc_flags = gfp_to_alloc_flags(ac, gfp, order);
	enum compact_result compact_result;
	pfn_t pfn;

	pfn = get_page_from_freelist(pm, gfp, order, alloc_flags, ac);
	if (pfn != PFN_NONE)
		return pfn;
	/*
	 * Costly and non-movable high-order requests try direct compaction
	 * first: there are likely enough base pages.
	 */
	if (can_direct_reclaim && (costly_order || (order > 0 && ac->migratetype != MIGRATE_MOVABLE)) &&
	    !(gfp & GFP_F_MEMALLOC)) {
		pfn = direct_compact(pm, gfp, order, alloc_flags, ac, COMPACT_PRIO_ASYNC, &compact_result);
		if (pfn != PFN_NONE)
			return pfn;
		if (costly_order && (gfp & GFP_F_NORETRY) &&
		    (compact_result == COMPACT_SKIPPED || compact_result == COMPACT_DEFERRED))
			return PFN_NONE;
	}
	/* __gfp_pfmemalloc_flags(): __GFP_MEMALLOC ignores watermarks */
	if ((gfp & GFP_F_MEMALLOC) && !(gfp & GFP_F_NOMEMALLOC))
		alloc_flags = alloc_flags_cma(ac, ALLOC_NO_WATERMARKS) | (alloc_flags & ALLOC_KSWAPD);
	pfn = get_page_from_freelist(pm, gfp, order, alloc_flags, ac);
	if (pfn != PFN_NONE || !can_direct_reclaim)
		return pfn;
	/* direct reclaim, modeled as its no-progress tail */
	release_reserves(pm, ac, false);
	pfn = get_page_from_freelist(pm, gfp, order, alloc_flags, ac);
	if (pfn != PFN_NONE)
		return pfn;
	pfn = direct_compact(pm, gfp, order, alloc_flags, ac, COMPACT_PRIO_SYNC_LIGHT, &compact_result);
	if (pfn != PFN_NONE)
		return pfn;
	if ((gfp & GFP_F_NORETRY) || (costly_order && !(gfp & GFP_F_RETRY_MAYFAIL)))
		return PFN_NONE;
	/* should_reclaim_retry() after MAX_RECLAIM_RETRIES: the last reserve goes */
	release_reserves(pm, ac, true);
	return get_page_from_freelist(pm, gfp, order, alloc_flags, ac);
}

static void count_failure(phys_t *pm, gfp_t gfp, unsigned order, unsigned highest_zoneidx)
{
	struct phys_events *ev = &pm->ev;
	unsigned i;

	ev->alloc_fail++;
	ev->alloc_fail_order[order <= MAX_ORDER_LIMIT ? order : MAX_ORDER_LIMIT]++;
	ev->alloc_fail_zone[highest_zoneidx]++;
	for (i = 0; i < ev->nr_fail_gfp; i++)
		if (ev->fail_gfp[i].gfp == gfp)
			break;
	if (i == ev->nr_fail_gfp) {
		if (i == sizeof(ev->fail_gfp) / sizeof(ev->fail_gfp[0])) {
			ev->fail_gfp_other++;
			return;
		}
		ev->fail_gfp[i].gfp = gfp;
		ev->nr_fail_gfp++;
	}
	ev->fail_gfp[i].n++;
}

pfn_t alloc_pages(phys_t *pm, gfp_t gfp, unsigned order, unsigned cpu)
{
	struct alloc_context ac;
	unsigned alloc_flags;
	pfn_t pfn;

	pm->ev.alloc_calls++;
	ac.cpu = cpu < pm->nr_cpus ? cpu : cpu % pm->nr_cpus;  /* traces may name more CPUs */
	ac.pgdat = &pm->node[pm->cpu_node[ac.cpu]];
	ac.highest_zoneidx = pm->gfp_table[gfp & GFP_TABLE_MASK] >> 4;
	ac.migratetype = pm->gfp_table[gfp & GFP_TABLE_MASK] & 0xf;
	ac.preferred = first_zone(pm, &ac);
	if (order > pm->max_order || !ac.preferred)
		goto fail;
	if (pm->fail_nth && pm->ev.alloc_calls >= pm->fail_nth) {
		if (pm->ev.alloc_calls == pm->fail_nth ||
		    (pm->fail_every && (pm->ev.alloc_calls - pm->fail_nth) % pm->fail_every == 0)) {
			pm->ev.alloc_injected_fail++;
			goto fail;
		}
	}
	/*
	 * The fast path, at the low watermark.  Its first step, the preferred
	 * zone (its per-CPU list, then its free lists), is spelled out here:
	 * the common case.
	 */
	alloc_flags = alloc_flags_cma(&ac, ALLOC_WMARK_LOW) |
		      alloc_flags_nofragment(pm, ac.preferred, gfp);
	if (zone_watermark_fast(pm, ac.preferred, order, ac.preferred->watermark[WMARK_LOW],
				ac.highest_zoneidx, alloc_flags)) {
		pfn = rmqueue(pm, ac.preferred, order, alloc_flags, &ac);
		if (pfn != PFN_NONE) {
			prep_new_page(pm, ac.preferred, pfn, order, gfp);
			return pfn;
		}
	}
	pfn = get_page_from_freelist(pm, gfp, order, alloc_flags, &ac);
	if (pfn == PFN_NONE)
		pfn = alloc_pages_slowpath(pm, gfp, order, &ac);
	if (pfn != PFN_NONE)
		return pfn;
fail:
	count_failure(pm, gfp, order, ac.highest_zoneidx);
	return PFN_NONE;
}

int free_pages(phys_t *pm, pfn_t pfn, unsigned order, unsigned cpu)
{
	struct page *page;
	struct zone *zone;

	if (pfn >= pm->max_pfn || order > pm->max_order)
		return -MM_EINVAL;
	page = &pm->mem_map[pfn];
	if (!(page->flags & PG_head) || page->order != order)
		return -MM_EINVAL;
	zone = page_zone(pm, pfn);
	page->flags = 0;
	page->refcount = 0;
	page->mapcount = 0;
	page->private = 0;
	cost_add(pm, COST_PAGE_TOUCH, 1);
	pm->ev.pgfree += 1ull << order;
	if (cpu >= pm->nr_cpus)
		cpu %= pm->nr_cpus;
	/* free_the_page() */
	if (pm->cfg.pcp_enabled && pcp_allowed_order(pm, order)) {
		free_unref_page(pm, zone, pfn, order, cpu);
	} else {
		cost_add(pm, COST_ZONE_LOCK, 1);
		free_one_page(pm, zone, pfn, order, get_pageblock_migratetype(pm, pfn), FPI_NONE);
	}
	return 0;
}

pfn_t alloc_migration_target(phys_t *pm, unsigned order, unsigned cpu)
{
	return alloc_pages(pm, GFP_HIGHUSER_MOVABLE | GFP_F_RETRY_MAYFAIL |
			   (order ? GFP_F_COMP : 0), order, cpu);
}
