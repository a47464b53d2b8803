/*
 * phys.c - building a simulated machine's physical memory: memblock ranges,
 * nodes and zones, the memmap, handing free memory to the buddy allocator,
 * watermarks, lowmem_reserve and per-CPU list sizes.
 *
 * Follows the boot path of mm/mm_init.c (free_area_init, memmap_init_range,
 * zone_sizes_init on x86-64), mm/memblock.c (memblock_free_all) and
 * mm/page_alloc.c (init_per_zone_wmark_min, __setup_per_zone_wmarks,
 * setup_per_zone_lowmem_reserve, zone_batchsize, zone_highsize).
 */
#include "engine/phys.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buddy.h"
#include "engine/cma.h"
#include "engine/page_alloc.h"
#include "engine/pcp.h"

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "CMA", "Isolate",
};

const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };

const char *const cost_item_names[NR_COST_ITEMS] = {
	[COST_FREELIST_OP] = "freelist_op",
	[COST_PCP_LIST_OP] = "pcp_list_op",
	[COST_PAGE_TOUCH] = "page_touch",
	[COST_ZONE_LOCK] = "zone_lock",
	[COST_PCP_LOCK] = "pcp_lock",
	[COST_PAGE_ZERO] = "page_zero",
	[COST_PAGE_COPY] = "page_copy",
	[COST_PAGEBLOCK_OP] = "pageblock_op",
	[COST_COMPACT_SCAN] = "compact_scan",
	[COST_MIGRATE] = "migrate",
	[COST_WMARK_CHECK] = "wmark_check",
	[COST_VMAP_NODE] = "vmap_node",
	[COST_VMAP_SPLIT] = "vmap_split",
	[COST_VMAP_MERGE] = "vmap_merge",
	[COST_VMAP_PTE] = "vmap_pte",
	[COST_TLB_FLUSH_ALL] = "tlb_flush_all",
	[COST_TLB_FLUSH_KPAGE] = "tlb_flush_kpage",
	[COST_SLAB_ALLOC_FAST] = "slab_alloc_fast",
	[COST_SLAB_FREE_FAST] = "slab_free_fast",
	[COST_SLAB_ALLOC_SLOW] = "slab_alloc_slow",
	[COST_SLAB_FREE_SLOW] = "slab_free_slow",
	[COST_SLAB_LIST_LOCK] = "slab_list_lock",
	[COST_SLAB_PARTIAL_OP] = "slab_partial_op",
	[COST_SLAB_NEW] = "slab_new",
	[COST_SLAB_DISCARD] = "slab_discard",
	[COST_SLAB_OBJ_TOUCH] = "slab_obj_touch",
	[COST_SLAB_ZERO_LINE] = "slab_zero_line",
	[COST_SLAB_COPY_LINE] = "slab_copy_line",
	[COST_SYSCALL] = "syscall",
	[COST_FAULT_ENTRY] = "fault_entry",
	[COST_VMA_NODE] = "vma_node",
	[COST_VMA_SPLIT] = "vma_split",
	[COST_VMA_MERGE] = "vma_merge",
	[COST_PTE_WRITE] = "pte_write",
	[COST_PGTABLE_ALLOC] = "pgtable_alloc",
	[COST_PGTABLE_FREE] = "pgtable_free",
	[COST_RMAP_OP] = "rmap_op",
	[COST_PAGECACHE_OP] = "pagecache_op",
	[COST_TLB_STLB_HIT] = "tlb_stlb_hit",
	[COST_TLB_WALK] = "tlb_walk",
	[COST_PWALK_REF] = "pwalk_ref",
	[COST_TLB_FLUSH_PAGE] = "tlb_flush_page",
	[COST_TLB_FLUSH_MM] = "tlb_flush_mm",
	[COST_TLB_SHOOTDOWN] = "tlb_shootdown",
};

#define SZ_1M		(1ull << 20)
#define MAX_DMA_PFN	((16 * SZ_1M) >> PAGE_SHIFT)            /* arch/x86/include/asm/dma.h */
#define MAX_DMA32_PFN	((4096 * SZ_1M) >> PAGE_SHIFT)
#define KERNEL_STRUCT_PAGE 64           /* sizeof(struct page) in the kernel, bytes */

void phys_config_default(struct phys_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_bytes = 16ull << 30;
	cfg->nr_nodes = 1;
	cfg->nr_cpus = 4;
	cfg->max_order = 10;
	cfg->pageblock_order = 9;
	cfg->zone_dma = true;
	cfg->zone_dma32 = true;
	/* x86: the first 1 MiB is always reserved (arch/x86/kernel/setup.c) */
	cfg->nr_reserved = 1;
	cfg->reserved[0].base = 0;
	cfg->reserved[0].size = SZ_1M;
	cfg->memmap_reserve = true;
	cfg->min_free_kbytes = 0;
	cfg->watermark_scale_factor = 10;
	/* sysctl_lowmem_reserve_ratio[] in mm/page_alloc.c */
	cfg->lowmem_reserve_ratio[ZONE_DMA] = 256;
	cfg->lowmem_reserve_ratio[ZONE_DMA32] = 256;
	cfg->lowmem_reserve_ratio[ZONE_NORMAL] = 32;
	cfg->lowmem_reserve_ratio[ZONE_MOVABLE] = 0;
	cfg->pcp_enabled = true;
	cfg->pcp_high = -1;
	cfg->pcp_batch = -1;
	cfg->thp_pcp = true;
	cfg->mobility_grouping = true;
	cfg->compaction = true;
	cfg->extfrag_threshold = 500;
}

int mm_error(char *msg, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (msg && len) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int check_config(const struct phys_config *c, char *err, size_t errlen)
{
	uint64_t pages = c->mem_bytes >> PAGE_SHIFT;

	if (c->max_order < 1 || c->max_order > MAX_ORDER_LIMIT)
		return mm_error(err, errlen, -MM_EINVAL, "max_order %u out of range 1..%d",
				    c->max_order, MAX_ORDER_LIMIT);
	if (c->pageblock_order < 1 || c->pageblock_order > c->max_order)
		return mm_error(err, errlen, -MM_EINVAL, "pageblock_order %u out of range 1..max_order (%u)",
				    c->pageblock_order, c->max_order);
	if (c->nr_nodes < 1 || c->nr_nodes > MAX_NUMNODES)
		return mm_error(err, errlen, -MM_EINVAL, "nodes %u out of range 1..%d",
				    c->nr_nodes, MAX_NUMNODES);
	if (c->nr_cpus < 1 || c->nr_cpus > MAX_NR_CPUS)
		return mm_error(err, errlen, -MM_EINVAL, "cpus %u out of range 1..%d",
				    c->nr_cpus, MAX_NR_CPUS);
	if (pages < (uint64_t)c->nr_nodes << c->max_order)
		return mm_error(err, errlen, -MM_EINVAL, "memory %llu bytes is less than one order-%u block per node",
				    (unsigned long long)c->mem_bytes, c->max_order);
	if (pages >= PFN_NONE)
		return mm_error(err, errlen, -MM_EINVAL, "memory %llu bytes exceeds the 16 TiB a 32-bit pfn can address",
				    (unsigned long long)c->mem_bytes);
	if (c->nr_reserved > PHYS_MAX_RESERVED)
		return mm_error(err, errlen, -MM_EINVAL, "more than %d reserved ranges", PHYS_MAX_RESERVED);
	if (c->nr_cma > PHYS_MAX_CMA)
		return mm_error(err, errlen, -MM_EINVAL, "more than %d CMA areas", PHYS_MAX_CMA);
	if (c->watermark_scale_factor < 1 || c->watermark_scale_factor > 3000)
		return mm_error(err, errlen, -MM_EINVAL, "watermark_scale_factor %u out of range 1..3000",
				    c->watermark_scale_factor);
	if (c->extfrag_threshold > 1000)
		return mm_error(err, errlen, -MM_EINVAL, "extfrag_threshold %u out of range 0..1000",
				    c->extfrag_threshold);
	if (c->pcp_high > (1 << 24) || c->pcp_batch > (1 << 20) || c->pcp_batch == 0)
		return mm_error(err, errlen, -MM_EINVAL, "pcp_high/pcp_batch out of range");
	for (unsigned i = 0; i < c->nr_reserved; i++)
		if (c->reserved[i].base + c->reserved[i].size < c->reserved[i].base)
			return mm_error(err, errlen, -MM_EINVAL, "reserved range %u wraps around", i);
	return 0;
}

/*
 * Lay out nodes and zones (zone_sizes_init on x86-64: ZONE_DMA below
 * MAX_DMA_PFN, ZONE_DMA32 below MAX_DMA32_PFN, ZONE_NORMAL above, and
 * ZONE_MOVABLE from movablecore= at the top of each node's ZONE_NORMAL as
 * find_zone_movable_pfns_for_nodes() places it).
 */
static int layout_zones(phys_t *pm)
{
	const struct phys_config *c = &pm->cfg;
	uint64_t block = 1ull << c->max_order;
	uint64_t per_node = ((uint64_t)pm->max_pfn / c->nr_nodes) & ~(block - 1);
	uint64_t movable = (c->movable_bytes >> PAGE_SHIFT) & ~(block - 1);

	pm->zones = calloc((size_t)c->nr_nodes * MAX_NR_ZONES, sizeof(*pm->zones));
	if (!pm->zones)
		return -MM_ENOMEM;
	pm->max_pfn = (pfn_t)(per_node * c->nr_nodes);
	for (unsigned n = 0; n < c->nr_nodes; n++) {
		struct pglist_data *pgdat = &pm->node[n];
		uint64_t ns = n * per_node, ne = ns + per_node;
		uint64_t lo[MAX_NR_ZONES], hi[MAX_NR_ZONES];

		pgdat->node_start_pfn = (pfn_t)ns;
		pgdat->node_spanned_pages = per_node;
		lo[ZONE_DMA] = ns;
		hi[ZONE_DMA] = c->zone_dma ? (ne < MAX_DMA_PFN ? ne : MAX_DMA_PFN) : ns;
		if (hi[ZONE_DMA] < lo[ZONE_DMA])
			hi[ZONE_DMA] = lo[ZONE_DMA];
		lo[ZONE_DMA32] = hi[ZONE_DMA];
		hi[ZONE_DMA32] = c->zone_dma32 ? (ne < MAX_DMA32_PFN ? ne : MAX_DMA32_PFN) : lo[ZONE_DMA32];
		if (hi[ZONE_DMA32] < lo[ZONE_DMA32])
			hi[ZONE_DMA32] = lo[ZONE_DMA32];
		lo[ZONE_NORMAL] = hi[ZONE_DMA32];
		hi[ZONE_NORMAL] = ne;
		lo[ZONE_MOVABLE] = hi[ZONE_MOVABLE] = ne;
		if (movable) {
			uint64_t normal = hi[ZONE_NORMAL] - lo[ZONE_NORMAL];
			uint64_t take = movable < normal ? movable : normal;

			lo[ZONE_MOVABLE] = ne - take;
			hi[ZONE_NORMAL] = lo[ZONE_MOVABLE];
		}
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			pgdat->zone_id[t] = 0xff;
			if (hi[t] <= lo[t])
				continue;
			struct zone *z = &pm->zones[pm->nr_zones];

			z->id = (uint8_t)pm->nr_zones++;
			z->node = (uint8_t)n;
			z->type = (uint8_t)t;
			z->name = zone_names[t];
			z->zone_start_pfn = (pfn_t)lo[t];
			z->spanned_pages = hi[t] - lo[t];
			z->present_pages = z->spanned_pages;
			pgdat->zone_id[t] = z->id;
			for (uint64_t pb = lo[t] >> pm->pageblock_order;
			     pb < hi[t] >> pm->pageblock_order; pb++)
				pm->pageblock_zone[pb] = z->id;
		}
	}
	/*
	 * Zonelists (build_zonelists, ZONELIST_FALLBACK): the local node's zones
	 * from the highest type down, then each other node in turn.
	 */
	for (unsigned n = 0; n < c->nr_nodes; n++) {
		struct pglist_data *pgdat = &pm->node[n];

		for (unsigned k = 0; k < c->nr_nodes; k++) {
			struct pglist_data *other = &pm->node[(n + k) % c->nr_nodes];

			for (int t = MAX_NR_ZONES - 1; t >= 0; t--)
				if (other->zone_id[t] != 0xff)
					pgdat->zonelist[pgdat->nr_zonelist++] = other->zone_id[t];
		}
		for (unsigned t = 0; t < MAX_NR_ZONES; t++) {
			pgdat->preferred_zone[t] = 0xff;
			for (unsigned i = 0; i < pgdat->nr_zonelist; i++)
				if (pm->zones[pgdat->zonelist[i]].type <= t) {
					pgdat->preferred_zone[t] = pgdat->zonelist[i];
					break;
				}
		}
	}
	return 0;
}

/* The kernel's int_sqrt(): floor(sqrt(x)). */
static uint64_t int_sqrt(uint64_t x)
{
	uint64_t r = 0, bit = 1ull << 62;

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/*
 * calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), clamped to
 * 128..262144 kB, where lowmem is nr_free_buffer_pages(): managed pages of
 * the zones GFP_USER may use (all but ZONE_MOVABLE), less their high
 * watermarks (zero at boot).
 */
static void calculate_min_free_kbytes(phys_t *pm)
{
	uint64_t lowmem_kbytes = 0, v;

	if (pm->cfg.min_free_kbytes) {
		pm->min_free_kbytes = pm->cfg.min_free_kbytes;
		return;
	}
	for (unsigned i = 0; i < pm->nr_zones; i++)
		if (pm->zones[i].type != ZONE_MOVABLE)
			lowmem_kbytes += pm->zones[i].managed_pages * (PAGE_SIZE >> 10);
	v = int_sqrt(lowmem_kbytes * 16);
	pm->min_free_kbytes = v < 128 ? 128 : v > 262144 ? 262144 : v;
}

/* __setup_per_zone_wmarks() */
static void setup_per_zone_wmarks(phys_t *pm)
{
	uint64_t pages_min = pm->min_free_kbytes >> (PAGE_SHIFT - 10);
	uint64_t lowmem_pages = 0;

	for (unsigned i = 0; i < pm->nr_zones; i++)
		if (pm->zones[i].type != ZONE_MOVABLE)
			lowmem_pages += pm->zones[i].managed_pages;
	for (unsigned i = 0; i < pm->nr_zones; i++) {
		struct zone *z = &pm->zones[i];
		uint64_t tmp = lowmem_pages ? pages_min * z->managed_pages / lowmem_pages : 0;
		uint64_t scaled = z->managed_pages * pm->cfg.watermark_scale_factor / 10000;

		if (z->type == ZONE_MOVABLE) {
			/* like highmem: a small min, SWAP_CLUSTER_MAX..128 pages */
			uint64_t min_pages = z->managed_pages / 1024;

			z->watermark[WMARK_MIN] = min_pages < 32 ? 32 : min_pages > 128 ? 128 : min_pages;
		} else {
			z->watermark[WMARK_MIN] = tmp;
		}
		tmp = (tmp >> 2) > scaled ? tmp >> 2 : scaled;
		z->watermark[WMARK_LOW] = z->watermark[WMARK_MIN] + tmp;
		z->watermark[WMARK_HIGH] = z->watermark[WMARK_LOW] + tmp;
	}
}

/* setup_per_zone_lowmem_reserve() and calculate_totalreserve_pages() */
static void setup_per_zone_lowmem_reserve(phys_t *pm)
{
	for (unsigned n = 0; n < pm->nr_nodes; n++) {
		const struct pglist_data *pgdat = &pm->node[n];

		for (unsigned i = 0; i < MAX_NR_ZONES - 1; i++) {
			if (pgdat->zone_id[i] == 0xff)
				continue;
			struct zone *z = &pm->zones[pgdat->zone_id[i]];
			unsigned ratio = pm->cfg.lowmem_reserve_ratio[i];
			bool clear = !ratio || !z->managed_pages;
			uint64_t managed = 0;

			for (unsigned j = i + 1; j < MAX_NR_ZONES; j++) {
				if (pgdat->zone_id[j] != 0xff)
					managed += pm->zones[pgdat->zone_id[j]].managed_pages;
				z->lowmem_reserve[j] = clear ? 0 : managed / ratio;
			}
		}
	}
	pm->totalreserve_pages = 0;
	for (unsigned i = 0; i < pm->nr_zones; i++) {
		struct zone *z = &pm->zones[i];
		uint64_t max = 0;

		for (unsigned j = z->type; j < MAX_NR_ZONES; j++)
			if (z->lowmem_reserve[j] > max)
				max = z->lowmem_reserve[j];
		max += z->watermark[WMARK_HIGH];
		if (max > z->managed_pages)
			max = z->managed_pages;
		pm->totalreserve_pages += max;
	}
}

/*
 * memblock_free_all() -> __free_pages_memory(): free [start, end) in the
 * largest naturally aligned blocks, each through __free_pages_core().
 */
static void free_pages_memory(phys_t *pm, uint64_t start, uint64_t end)
{
	while (start < end) {
		unsigned order = start ? (unsigned)__builtin_ctzll(start) : pm->max_order;

		if (order > pm->max_order)
			order = pm->max_order;
		while (start + (1ull << order) > end)
			order--;
		struct zone *z = page_zone(pm, (pfn_t)start);

		z->managed_pages += 1ull << order;
		free_one_page(pm, z, (pfn_t)start, order,
			      get_pageblock_migratetype(pm, (pfn_t)start), FPI_TO_TAIL);
		start += 1ull << order;
	}
}

/* A memblock region in pfns, [start, end). */
struct pfn_range {
	uint64_t start, end;
};

static int cmp_range(const void *a, const void *b)
{
	const struct pfn_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * memblock.reserved: the config's ranges (rounded out to whole pages), and
 * with memmap_reserve the kernel's own memmap, which sparse_init() allocates
 * from the top of each node (64 bytes of struct page per page).  Sorted and
 * merged; returns the count.
 */
static unsigned collect_reserved(const phys_t *pm, struct pfn_range *r)
{
	unsigned nr = 0, out = 0;

	for (unsigned i = 0; i < pm->cfg.nr_reserved; i++) {
		uint64_t s = pm->cfg.reserved[i].base >> PAGE_SHIFT;
		uint64_t e = (pm->cfg.reserved[i].base + pm->cfg.reserved[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT;

		if (e > pm->max_pfn)
			e = pm->max_pfn;
		if (s < e)
			r[nr++] = (struct pfn_range){ s, e };
	}
	if (pm->cfg.memmap_reserve) {
		for (unsigned n = 0; n < pm->nr_nodes; n++) {
			uint64_t pages = pm->node[n].node_spanned_pages;
			uint64_t need = (pages * KERNEL_STRUCT_PAGE + PAGE_SIZE - 1) >> PAGE_SHIFT;
			uint64_t end = pm->node[n].node_start_pfn + pages;

			r[nr++] = (struct pfn_range){ end - need, end };
		}
	}
	qsort(r, nr, sizeof(*r), cmp_range);
	for (unsigned i = 0; i < nr; i++) {
		if (out && r[i].start <= r[out - 1].end) {
			if (r[i].end > r[out - 1].end)
				r[out - 1].end = r[i].end;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

static bool overlaps_reserved(const struct pfn_range *r, unsigned nr, uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < nr; i++)
		if (r[i].start < e && s < r[i].end)
			return true;
	return false;
}

/*
 * Place and declare the CMA areas (cma_declare_contiguous_nid): a fixed base
 * as given; base 0 bottom-up from 4 GiB when memory reaches 4 GiB + size,
 * else top-down below the last node's reservations.  Each area must be
 * pageblock aligned, inside one zone and clear of reserved memory.
 */
static int place_cma(phys_t *pm, const struct pfn_range *res, unsigned nres,
		     char *err, size_t errlen)
{
	uint64_t pb = pm->pageblock_nr_pages;
	uint64_t top = pm->max_pfn;

	for (unsigned i = 0; i < nres; i++)
		if (res[i].end >= top && res[i].start < top)
			top = res[i].start;
	for (unsigned i = 0; i < pm->cfg.nr_cma; i++) {
		const struct cma_config *cc = &pm->cfg.cma[i];
		uint64_t count = cc->size >> PAGE_SHIFT, base;

		if (!count || count % pb || (cc->size & (PAGE_SIZE - 1)))
			return mm_error(err, errlen, -MM_EINVAL, "cma %s: size %llu is not a positive multiple of the pageblock (%llu bytes)",
					    cc->name, (unsigned long long)cc->size,
					    (unsigned long long)(pb << PAGE_SHIFT));
		if (cc->order_per_bit > pm->max_order)
			return mm_error(err, errlen, -MM_EINVAL, "cma %s: order_per_bit %u above max_order",
					    cc->name, cc->order_per_bit);
		if (cc->base) {
			base = cc->base >> PAGE_SHIFT;
			if ((cc->base & (PAGE_SIZE - 1)) || base % pb)
				return mm_error(err, errlen, -MM_EINVAL, "cma %s: base %#llx is not pageblock aligned",
						    cc->name, (unsigned long long)cc->base);
		} else if (((uint64_t)pm->max_pfn << PAGE_SHIFT) >= (4096 * SZ_1M) + cc->size &&
			   !overlaps_reserved(res, nres, MAX_DMA32_PFN, MAX_DMA32_PFN + count)) {
			base = MAX_DMA32_PFN;
		} else {
			if (top < count)
				return mm_error(err, errlen, -MM_EINVAL, "cma %s: no room for %llu bytes",
						    cc->name, (unsigned long long)cc->size);
			base = (top - count) & ~(pb - 1);
			top = base;
		}
		if (base + count > pm->max_pfn || base + count < base)
			return mm_error(err, errlen, -MM_EINVAL, "cma %s: range beyond the end of memory", cc->name);
		if (overlaps_reserved(res, nres, base, base + count))
			return mm_error(err, errlen, -MM_EINVAL, "cma %s: range overlaps reserved memory", cc->name);
		if (page_zone(pm, (pfn_t)base) != page_zone(pm, (pfn_t)(base + count - 1)))
			return mm_error(err, errlen, -MM_EINVAL, "cma %s: range crosses a zone boundary", cc->name);
		for (unsigned j = 0; j < i; j++)
			if (base < pm->cma[j].base_pfn + pm->cma[j].count && pm->cma[j].base_pfn < base + count)
				return mm_error(err, errlen, -MM_EINVAL, "cma %s: overlaps cma %s", cc->name, pm->cfg.cma[j].name);
		if (cma_init_area(pm, i, (pfn_t)base, count, cc->order_per_bit, cc->name))
			return -MM_ENOMEM;
	}
	return 0;
}

/* Per-CPU list sizes for every zone (zone_pcp_init + zone_set_pageset_high_and_batch). */
static int setup_zone_pagesets(phys_t *pm)
{
	for (unsigned i = 0; i < pm->nr_zones; i++) {
		struct zone *z = &pm->zones[i];
		unsigned node_cpus = 0;

		for (unsigned c = 0; c < pm->nr_cpus; c++)
			node_cpus += pm->cpu_node[c] == z->node;
		z->pcp_batch = pm->cfg.pcp_batch > 0 ? pm->cfg.pcp_batch : zone_batchsize(z);
		z->pcp_high = pm->cfg.pcp_high >= 0 ? pm->cfg.pcp_high
			: zone_highsize(z, z->pcp_batch, node_cpus, pm->nr_cpus,
					pm->cfg.percpu_pagelist_high_fraction);
		z->pcp = calloc(pm->nr_cpus, sizeof(*z->pcp));
		if (!z->pcp)
			return -MM_ENOMEM;
		for (unsigned c = 0; c < pm->nr_cpus; c++)
			pcp_init(&z->pcp[c], z->pcp_high, z->pcp_batch);
	}
	return 0;
}

int phys_init(phys_t *pm, const struct phys_config *cfg, char *err, size_t errlen)
{
	struct pfn_range res[PHYS_MAX_RESERVED + MAX_NUMNODES];
	unsigned nres;
	uint64_t nr_pb;
	int ret;

	memset(pm, 0, sizeof(*pm));
	ret = check_config(cfg, err, errlen);
	if (ret)
		return ret;
	pm->cfg = *cfg;
	pm->max_order = cfg->max_order;
	pm->pageblock_order = cfg->pageblock_order;
	pm->pageblock_nr_pages = 1ull << cfg->pageblock_order;
	pm->group_by_mobility = cfg->mobility_grouping;
	pm->nr_nodes = cfg->nr_nodes;
	pm->nr_cpus = cfg->nr_cpus;
	pm->max_pfn = (pfn_t)(cfg->mem_bytes >> PAGE_SHIFT);
	gfp_table_init(pm);

	nr_pb = ((uint64_t)pm->max_pfn >> pm->pageblock_order) + 1;
	pm->pageblock_flags = malloc(nr_pb);
	pm->pageblock_zone = calloc(nr_pb, 1);
	pm->cpu_node = malloc(pm->nr_cpus);
	if (!pm->pageblock_flags || !pm->pageblock_zone || !pm->cpu_node)
		goto nomem;
	/* memmap_init_range(): every pageblock starts out MIGRATE_MOVABLE */
	memset(pm->pageblock_flags, pm->group_by_mobility ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE, nr_pb);
	for (unsigned c = 0; c < pm->nr_cpus; c++)
		pm->cpu_node[c] = (uint8_t)((uint64_t)c * pm->nr_nodes / pm->nr_cpus);
	ret = layout_zones(pm);
	if (ret)
		goto fail;
	/* calloc: large sizes come back as lazily zeroed pages from mmap */
	pm->mem_map = calloc(pm->max_pfn, sizeof(struct page));
	if (!pm->mem_map)
		goto nomem;

	nres = collect_reserved(pm, res);
	for (unsigned i = 0; i < nres; i++)
		for (uint64_t pfn = res[i].start; pfn < res[i].end; pfn++)
			pm->mem_map[pfn].flags = PG_reserved;
	if (cfg->nr_cma) {
		pm->cma = calloc(cfg->nr_cma, sizeof(*pm->cma));
		if (!pm->cma)
			goto nomem;
		ret = place_cma(pm, res, nres, err, errlen);
		if (ret)
			goto fail;
	}

	for (unsigned i = 0; i < pm->nr_zones; i++)
		for (unsigned o = 0; o <= MAX_ORDER_LIMIT; o++)
			for (unsigned t = 0; t < MIGRATE_TYPES; t++)
				pm->zones[i].free_area[o].head[t] = pm->zones[i].free_area[o].tail[t] = PFN_NONE;
	/* memblock_free_all(): the gaps between reservations, zone by zone */
	for (unsigned i = 0; i < pm->nr_zones; i++) {
		const struct zone *z = &pm->zones[i];
		uint64_t s = z->zone_start_pfn, e = zone_end_pfn(z);

		for (unsigned r = 0; r < nres && s < e; r++) {
			if (res[r].end <= s || res[r].start >= e)
				continue;
			if (res[r].start > s)
				free_pages_memory(pm, s, res[r].start);
			s = res[r].end;
		}
		if (s < e)
			free_pages_memory(pm, s, e);
	}
	for (unsigned i = 0; i < pm->nr_zones; i++)
		pm->zones[i].present_pages = pm->zones[i].spanned_pages;

	calculate_min_free_kbytes(pm);
	setup_per_zone_wmarks(pm);
	setup_per_zone_lowmem_reserve(pm);
	ret = setup_zone_pagesets(pm);
	if (ret)
		goto fail;
	return 0;
nomem:
	ret = -MM_ENOMEM;
	mm_error(err, errlen, -MM_EINVAL, "out of host memory for %llu simulated bytes",
		     (unsigned long long)cfg->mem_bytes);
fail:
	phys_destroy(pm);
	return ret;
}

void phys_destroy(phys_t *pm)
{
	if (pm->zones)
		for (unsigned i = 0; i < pm->nr_zones; i++)
			free(pm->zones[i].pcp);
	if (pm->cma)
		for (unsigned i = 0; i < pm->nr_cma; i++)
			cma_destroy_area(&pm->cma[i]);
	free(pm->cma);
	free(pm->zones);
	free(pm->mem_map);
	free(pm->pageblock_flags);
	free(pm->pageblock_zone);
	free(pm->cpu_node);
	memset(pm, 0, sizeof(*pm));
}

double phys_metadata_bytes_per_page(const phys_t *pm)
{
	double bytes = (double)pm->max_pfn * sizeof(struct page)
		+ 2.0 * (double)((pm->max_pfn >> pm->pageblock_order) + 1);

	return pm->max_pfn ? bytes / pm->max_pfn : 0;
}

void phys_fail_nth(phys_t *pm, uint64_t n, uint64_t every)
{
	pm->fail_nth = n ? pm->ev.alloc_calls + n : 0;
	pm->fail_every = every;
}

int phys_register_owner(phys_t *pm, unsigned kind, const struct phys_owner_ops *ops)
{
	if (kind == 0 || kind >= PHYS_MAX_OWNERS || !ops || !ops->migrate)
		return -MM_EINVAL;
	pm->owner[kind] = *ops;
	return 0;
}

void phys_set_owner(phys_t *pm, pfn_t pfn, unsigned kind, uint32_t cookie, bool movable)
{
	struct page *p = pfn_to_page(pm, pfn);

	p->flags = (uint16_t)((p->flags & ~(PG_OWNER_MASK | PG_lru)) |
			      ((kind << PG_OWNER_SHIFT) & PG_OWNER_MASK) |
			      (movable && kind ? PG_lru : 0));
	p->private = cookie;
}
