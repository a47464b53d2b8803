/*
 * test_buddy.c - the page allocator against the kernel's rules (mm/page_alloc.c,
 * v6.6): machine layout, watermarks and pcp sizes recomputed by hand, a long
 * random run against a bitmap reference, per-CPU lists, migratetype fallback
 * and pageblock stealing, GFP semantics, injected and real out-of-memory, the
 * highatomic reserve and free_pages() errors.  buddy_check() runs after every
 * phase.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buddy.h"
#include "engine/page_alloc.h"
#include "engine/pcp.h"
#include "engine/phys.h"
#include "engine/prng.h"

static phys_t pm;

static void teardown(void)
{
	phys_destroy(&pm);
}

TestSuite(buddy, .fini = teardown);

/* buddy_check() must pass; otherwise print the phase and the first violation. */
#define assert_consistent(phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(buddy_check(&pm, msg_, sizeof msg_), 0,		\
			     "%s: buddy_check: %s", (phase), msg_);		\
	} while (0)

/* mem_mib MiB, no reserved memory: every page is managed. */
static void small_config(struct phys_config *cfg, unsigned mem_mib, unsigned cpus)
{
	phys_config_default(cfg);
	cfg->mem_bytes = (uint64_t)mem_mib << 20;
	cfg->nr_cpus = cpus;
	cfg->nr_reserved = 0;
	cfg->memmap_reserve = false;
}

/* 8 MiB, one DMA32 zone of 4 pageblocks, no pcp; watermarks 32/40/48 pages. */
static void tiny_config(struct phys_config *cfg)
{
	small_config(cfg, 8, 1);
	cfg->zone_dma = false;
	cfg->pcp_enabled = false;
	cfg->min_free_kbytes = 128;
}

static void boot(const struct phys_config *cfg)
{
	char err[256] = "";
	int rc = phys_init(&pm, cfg, err, sizeof err);

	cr_assert_eq(rc, 0, "phys_init: %d (%s)", rc, err);
	assert_consistent("boot");
}

static struct zone *node_zone(unsigned node, unsigned type)
{
	uint8_t id = pm.node[node].zone_id[type];

	cr_assert_neq(id, 0xff, "node %u has no zone %s", node, zone_names[type]);
	return &pm.zones[id];
}

static uint64_t ref_int_sqrt(uint64_t x)
{
	uint64_t r = (uint64_t)sqrt((double)x);

	while (r * r > x)
		r--;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

/* zone_batchsize(), written again from the kernel source. */
static int ref_batchsize(uint64_t managed)
{
	uint64_t b = managed >> 10, p = 1;

	if (b > 256)
		b = 256;
	b /= 4;
	if (b < 1)
		b = 1;
	while (p * 2 <= b + b / 2)
		p *= 2;
	return p - 1 < 1 ? 1 : (int)p - 1;
}

/*
 * init_per_zone_wmark_min(), __setup_per_zone_wmarks(),
 * setup_per_zone_lowmem_reserve() and zone_highsize() recomputed from the
 * managed page counts, compared with what phys_init() set.
 */
static void check_formulas(void)
{
	uint64_t lowmem = 0, mfk, pages_min;

	for (unsigned i = 0; i < pm.nr_zones; i++)
		if (pm.zones[i].type != ZONE_MOVABLE)
			lowmem += pm.zones[i].managed_pages;
	mfk = ref_int_sqrt(lowmem * 4 * 16);
	mfk = mfk < 128 ? 128 : mfk > 262144 ? 262144 : mfk;
	if (pm.cfg.min_free_kbytes)
		mfk = pm.cfg.min_free_kbytes;
	cr_assert_eq(pm.min_free_kbytes, mfk);
	pages_min = mfk >> 2;
	for (unsigned i = 0; i < pm.nr_zones; i++) {
		const struct zone *z = &pm.zones[i];
		const struct pglist_data *pgdat = &pm.node[z->node];
		uint64_t m = z->managed_pages, tmp = pages_min * m / lowmem, min, delta, above = 0;
		int batch = ref_batchsize(m), high;
		unsigned node_cpus = 0;

		min = tmp;
		if (z->type == ZONE_MOVABLE)
			min = m / 1024 < 32 ? 32 : m / 1024 > 128 ? 128 : m / 1024;
		delta = tmp >> 2 > m * 10 / 10000 ? tmp >> 2 : m * 10 / 10000;
		cr_assert_eq(z->watermark[WMARK_MIN], min, "%s min", z->name);
		cr_assert_eq(z->watermark[WMARK_LOW], min + delta, "%s low", z->name);
		cr_assert_eq(z->watermark[WMARK_HIGH], min + 2 * delta, "%s high", z->name);
		for (unsigned t = z->type + 1; t < MAX_NR_ZONES; t++) {
			unsigned ratio = pm.cfg.lowmem_reserve_ratio[z->type];

			if (pgdat->zone_id[t] != 0xff)
				above += pm.zones[pgdat->zone_id[t]].managed_pages;
			cr_assert_eq(z->lowmem_reserve[t], ratio ? above / ratio : 0,
				     "%s lowmem_reserve[%s]", z->name, zone_names[t]);
		}
		/* CPUs of the zone's node; a node without CPUs splits over all of them */
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			node_cpus += pm.cpu_node[c] == z->node;
		high = (int)(z->watermark[WMARK_LOW] / (node_cpus ? node_cpus : pm.nr_cpus));
		if (high < 4 * batch)
			high = 4 * batch;
		cr_assert_eq(z->pcp_batch, batch, "%s batch", z->name);
		cr_assert_eq(z->pcp_high, high, "%s pcp high", z->name);
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			cr_assert(z->pcp[c].count == 0 && z->pcp[c].high == high && z->pcp[c].batch == batch);
		cr_assert_eq(z->nr_free_pages, m, "%s: a fresh zone is all free", z->name);
	}
}

struct zone_expect {
	unsigned node, type;
	pfn_t start;
	uint64_t spanned, managed;
	uint64_t wmark[NR_WMARK];
	int batch, high;
};

static void check_zones(const struct zone_expect *e, unsigned n)
{
	cr_assert_eq(pm.nr_zones, n);
	for (unsigned i = 0; i < n; i++) {
		const struct zone *z = node_zone(e[i].node, e[i].type);

		cr_assert_str_eq(z->name, zone_names[e[i].type]);
		cr_assert_eq(z->zone_start_pfn, e[i].start, "%s start", z->name);
		cr_assert_eq(z->spanned_pages, e[i].spanned, "%s spanned", z->name);
		cr_assert_eq(z->present_pages, e[i].spanned, "%s present", z->name);
		cr_assert_eq(z->managed_pages, e[i].managed, "%s managed", z->name);
		for (unsigned w = 0; w < NR_WMARK; w++)
			cr_assert_eq(z->watermark[w], e[i].wmark[w], "%s watermark %u: %llu", z->name, w,
				     (unsigned long long)z->watermark[w]);
		cr_assert_eq(z->pcp_batch, e[i].batch, "%s batch", z->name);
		cr_assert_eq(z->pcp_high, e[i].high, "%s high", z->name);
	}
	check_formulas();
}

Test(buddy, layout_default)
{
	struct phys_config cfg;
	static const struct zone_expect zones[] = {
		{ 0, ZONE_DMA, 0, 4096, 4096 - 256, { 3, 6, 9 }, 1, 4 },
		{ 0, ZONE_DMA32, 4096, 1044480, 1044480, { 1027, 2071, 3115 }, 63, 517 },
		{ 0, ZONE_NORMAL, 1048576, 3145728, 3145728 - 65536, { 3031, 6111, 9191 }, 63, 1527 },
	};

	phys_config_default(&cfg);
	boot(&cfg);
	cr_assert_eq(pm.max_pfn, 4194304);
	cr_assert_eq(pm.min_free_kbytes, 16254);
	check_zones(zones, 3);
	/* lowmem_reserve with ratios 256/256/32 */
	cr_assert_eq(node_zone(0, ZONE_DMA)->lowmem_reserve[ZONE_DMA32], 4080);
	cr_assert_eq(node_zone(0, ZONE_DMA)->lowmem_reserve[ZONE_NORMAL], 16112);
	cr_assert_eq(node_zone(0, ZONE_DMA32)->lowmem_reserve[ZONE_NORMAL], 12032);
	cr_assert_eq(node_zone(0, ZONE_NORMAL)->lowmem_reserve[ZONE_MOVABLE], 0);
	/* calculate_totalreserve_pages(): min(managed, max reserve + high) per zone */
	cr_assert_eq(pm.totalreserve_pages, 3840 + 12032 + 3115 + 9191);
	/* memblock_free_all() hands out maximal blocks */
	cr_assert_eq(node_zone(0, ZONE_DMA)->free_area[10].nr_free, 3);
	cr_assert_eq(node_zone(0, ZONE_DMA32)->free_area[10].nr_free, 1020);
	cr_assert_eq(node_zone(0, ZONE_NORMAL)->free_area[10].nr_free, 3008);
	cr_assert(pfn_to_page(&pm, 0)->flags & PG_reserved);
	cr_assert(pfn_to_page(&pm, 4194303)->flags & PG_reserved);
}

Test(buddy, layout_two_nodes)
{
	struct phys_config cfg;
	static const struct zone_expect zones[] = {
		{ 0, ZONE_DMA, 0, 4096, 3840, { 3, 6, 9 }, 1, 4 },
		{ 0, ZONE_DMA32, 4096, 1044480, 1044480, { 1027, 2071, 3115 }, 63, 1035 },
		{ 0, ZONE_NORMAL, 1048576, 1048576, 1048576 - 32768, { 999, 2014, 3029 }, 63, 1007 },
		{ 1, ZONE_NORMAL, 2097152, 2097152, 2097152 - 32768, { 2031, 4095, 6159 }, 63, 2047 },
	};
	pfn_t pfn;

	phys_config_default(&cfg);
	cfg.nr_nodes = 2;
	boot(&cfg);
	check_zones(zones, 4);
	cr_assert_eq(pm.node[1].zone_id[ZONE_DMA32], 0xff);
	cr_assert_eq(node_zone(0, ZONE_DMA)->lowmem_reserve[ZONE_NORMAL], 8048);
	/* zonelists: local zones highest first, then the other node */
	cr_assert_eq(pm.node[0].nr_zonelist, 4);
	cr_assert_eq(pm.node[0].zonelist[0], node_zone(0, ZONE_NORMAL)->id);
	cr_assert_eq(pm.node[0].zonelist[3], node_zone(1, ZONE_NORMAL)->id);
	cr_assert_eq(pm.node[1].zonelist[0], node_zone(1, ZONE_NORMAL)->id);
	cr_assert_eq(pm.node[1].zonelist[1], node_zone(0, ZONE_NORMAL)->id);
	/* CPUs 2 and 3 are on node 1: their allocations are local */
	pfn = alloc_pages(&pm, GFP_KERNEL, 0, 3);
	cr_assert_eq(page_zone(&pm, pfn)->node, 1);
	pfn = alloc_pages(&pm, GFP_KERNEL, 0, 0);
	cr_assert_eq(page_zone(&pm, pfn)->node, 0);
	assert_consistent("two nodes");
}

Test(buddy, layout_movable_zone)
{
	struct phys_config cfg;
	static const struct zone_expect zones[] = {
		{ 0, ZONE_DMA, 0, 4096, 3840, { 4, 7, 10 }, 1, 4 },
		{ 0, ZONE_DMA32, 4096, 1044480, 1044480, { 1177, 2221, 3265 }, 63, 555 },
		{ 0, ZONE_NORMAL, 1048576, 2097152, 2097152, { 2364, 4461, 6558 }, 63, 1115 },
		{ 0, ZONE_MOVABLE, 3145728, 1048576, 1048576 - 65536, { 128, 1111, 2094 }, 63, 277 },
	};
	pfn_t pfn;

	phys_config_default(&cfg);
	cfg.movable_bytes = 4ull << 30;
	boot(&cfg);
	check_zones(zones, 4);
	cr_assert_eq(pm.min_free_kbytes, 14188);
	cr_assert_eq(node_zone(0, ZONE_NORMAL)->lowmem_reserve[ZONE_MOVABLE], 30720);
	cr_assert_eq(node_zone(0, ZONE_DMA32)->lowmem_reserve[ZONE_MOVABLE], 12032);
	pfn = alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 0);
	cr_assert_eq(page_zone(&pm, pfn)->type, ZONE_MOVABLE);
	pfn = alloc_pages(&pm, GFP_KERNEL, 0, 0);
	cr_assert_eq(page_zone(&pm, pfn)->type, ZONE_NORMAL);
	assert_consistent("movable zone");
}

/*
 * Regression (engine/pcp.c, zone_highsize, fixed): for a node without CPUs v6.6 splits
 * the low watermark over num_online_cpus() (nr_split_cpus == 0 case); the
 * engine divides by 1, so such a zone's pcp->high is nr_cpus times too big.
 */
Test(buddy, layout_cpuless_node_pcp_high)
{
	struct phys_config cfg;
	const struct zone *z;

	phys_config_default(&cfg);
	cfg.nr_nodes = 4;
	cfg.nr_cpus = 2;        /* CPU 0 on node 0, CPU 1 on node 2 */
	boot(&cfg);
	cr_assert(pm.cpu_node[0] == 0 && pm.cpu_node[1] == 2);
	z = node_zone(1, ZONE_NORMAL);
	cr_expect_eq(z->pcp_high, (int)(z->watermark[WMARK_LOW] / 2),
		     "CPU-less node 1: pcp high %d, kernel: low %llu / 2 CPUs", z->pcp_high,
		     (unsigned long long)z->watermark[WMARK_LOW]);
	check_formulas();
}

static void expect_bad_config(const struct phys_config *cfg, const char *needle)
{
	char err[256] = "";

	cr_assert_eq(phys_init(&pm, cfg, err, sizeof err), -MM_EINVAL, "expected -MM_EINVAL for %s", needle);
	cr_assert(strstr(err, needle), "message \"%s\" does not mention \"%s\"", err, needle);
	cr_assert_null(pm.mem_map);
	cr_assert_null(pm.zones);
}

Test(buddy, bad_configs)
{
	struct phys_config cfg;

	phys_config_default(&cfg);
	cfg.max_order = 0;
	expect_bad_config(&cfg, "max_order");
	phys_config_default(&cfg);
	cfg.nr_cpus = 0;
	expect_bad_config(&cfg, "cpus");
	phys_config_default(&cfg);
	cfg.mem_bytes = 2ull << 20;     /* 512 pages < one order-10 block */
	expect_bad_config(&cfg, "less than one order-10 block");
	phys_config_default(&cfg);
	cfg.nr_cma = 1;
	cfg.cma[0] = (struct cma_config){ .name = "cross", .base = (4096ull - 32) << 20, .size = 64ull << 20 };
	expect_bad_config(&cfg, "crosses a zone boundary");
}

/* ---------------------------------------------------------------- differential run */

struct live_block {
	pfn_t pfn;
	unsigned order;
};

static const gfp_t diff_gfps[] = {
	GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | GFP_F_RECLAIMABLE, GFP_ATOMIC,
	GFP_DMA32 | GFP_KERNEL, GFP_KERNEL | GFP_F_DMA,
};

/* Free pages + pcp pages + allocated pages == managed pages, over all zones. */
static void assert_conservation(uint64_t allocated, uint64_t op)
{
	uint64_t total = 0, managed = 0;

	for (unsigned i = 0; i < pm.nr_zones; i++) {
		total += pm.zones[i].nr_free_pages;
		managed += pm.zones[i].managed_pages;
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			total += (uint64_t)pm.zones[i].pcp[c].count;
	}
	cr_assert_eq(total + allocated, managed, "op %llu: free+pcp %llu + allocated %llu != managed %llu",
		     (unsigned long long)op, (unsigned long long)total, (unsigned long long)allocated,
		     (unsigned long long)managed);
}

/*
 * A failed allocation is spurious if some allowed zone is above the min
 * watermark (less the highatomic reserve) for the order and has a free block
 * of that order on an unmovable/movable/reclaimable list: the slow path's
 * first try at ALLOC_WMARK_MIN takes it.
 */
static void assert_failure_justified(gfp_t gfp, unsigned order, uint64_t op)
{
	unsigned highest = gfp_zone(&pm, gfp);

	for (unsigned i = 0; i < pm.nr_zones; i++) {
		const struct zone *z = &pm.zones[i];
		int64_t usable = (int64_t)z->nr_free_pages - ((1 << order) - 1) -
				 (int64_t)z->nr_reserved_highatomic;
		bool has_block = false;

		if (z->type > highest)
			continue;
		for (unsigned o = order; o <= pm.max_order && o <= MAX_ORDER_LIMIT; o++)
			for (unsigned mt = 0; mt < MIGRATE_PCPTYPES; mt++)
				has_block |= z->free_area[o].head[mt] != PFN_NONE;
		cr_assert(!(has_block && usable > (int64_t)(z->watermark[WMARK_MIN] + z->lowmem_reserve[highest])),
			  "op %llu: gfp %#x order %u failed, but zone %s has %llu free (min %llu, reserve %llu)",
			  (unsigned long long)op, gfp, order, z->name, (unsigned long long)z->nr_free_pages,
			  (unsigned long long)z->watermark[WMARK_MIN],
			  (unsigned long long)z->lowmem_reserve[highest]);
	}
}

static void check_new_block(const uint8_t *used, pfn_t pfn, unsigned order, gfp_t gfp, uint64_t op)
{
	const struct zone *z = page_zone(&pm, pfn);
	unsigned highest = gfp_zone(&pm, gfp);

	cr_assert_eq(pfn & ((1u << order) - 1), 0, "op %llu: pfn %u not aligned to order %u",
		     (unsigned long long)op, pfn, order);
	cr_assert(pfn + (1ull << order) <= pm.max_pfn);
	cr_assert_eq(page_zone(&pm, pfn + (1u << order) - 1), z, "op %llu: block at %u crosses zones",
		     (unsigned long long)op, pfn);
	cr_assert_leq(z->type, highest, "op %llu: gfp %#x got zone %s", (unsigned long long)op, gfp, z->name);
	if (gfp & GFP_F_DMA)
		cr_assert_eq(z->type, ZONE_DMA);
	cr_assert((pfn_to_page(&pm, pfn)->flags & PG_head) && pfn_to_page(&pm, pfn)->order == order);
	for (uint64_t p = pfn; p < pfn + (1ull << order); p++)
		cr_assert(!used[p], "op %llu: pfn %llu of the new order-%u block at %u is already allocated",
			  (unsigned long long)op, (unsigned long long)p, order, pfn);
}

Test(buddy, differential_random_run, .timeout = 300)
{
	struct phys_config cfg;
	uint64_t fresh_max[8], allocated = 0, nr_ops = 200000, nr_fail = 0;
	size_t nr_live = 0;
	struct live_block *live;
	uint8_t *used;
	prng_t rng;

	small_config(&cfg, 256, 2);
	boot(&cfg);
	cr_assert_eq(pm.nr_zones, 2);
	for (unsigned i = 0; i < pm.nr_zones; i++)
		fresh_max[i] = pm.zones[i].free_area[pm.max_order].nr_free;
	used = calloc(pm.max_pfn, 1);
	live = calloc(pm.max_pfn, sizeof(*live));
	cr_assert(used && live);
	prng_seed(&rng, 20231030);
	for (uint64_t op = 0; op < nr_ops; op++) {
		/* alternate filling (70% allocs) and draining (35%) phases of 25k ops */
		uint32_t alloc_chance = (op / 25000) % 2 ? 350000 : 700000;
		unsigned cpu = (unsigned)prng_below(&rng, pm.nr_cpus);

		if (nr_live == 0 || prng_chance(&rng, alloc_chance)) {
			gfp_t gfp = diff_gfps[prng_below(&rng, sizeof(diff_gfps) / sizeof(diff_gfps[0]))];
			unsigned order = prng_chance(&rng, 30000) ? (unsigned)prng_range(&rng, 4, 10)
								   : (unsigned)prng_below(&rng, 4);
			pfn_t pfn = alloc_pages(&pm, gfp, order, cpu);

			if (pfn == PFN_NONE) {
				nr_fail++;
				assert_failure_justified(gfp, order, op);
			} else {
				check_new_block(used, pfn, order, gfp, op);
				memset(used + pfn, 1, 1u << order);
				live[nr_live++] = (struct live_block){ pfn, order };
				allocated += 1ull << order;
			}
		} else {
			size_t i = (size_t)prng_below(&rng, nr_live);
			struct live_block b = live[i];

			cr_assert_eq(free_pages(&pm, b.pfn, b.order, cpu), 0, "op %llu: free %u order %u",
				     (unsigned long long)op, b.pfn, b.order);
			memset(used + b.pfn, 0, 1u << b.order);
			live[i] = live[--nr_live];
			allocated -= 1ull << b.order;
		}
		assert_conservation(allocated, op);
		if (op % 10000 == 9999)
			assert_consistent("differential run");
	}
	cr_log_info("differential: %llu failures, %llu extfrag, %llu highatomic reserves, "
		    "%llu compaction stalls", (unsigned long long)nr_fail, (unsigned long long)pm.ev.extfrag,
		    (unsigned long long)pm.ev.highatomic_reserve, (unsigned long long)pm.ev.compact_stall);
	cr_assert_gt(nr_fail, 0, "the run never ran out of memory: tune the phases");
	while (nr_live) {
		struct live_block b = live[--nr_live];

		cr_assert_eq(free_pages(&pm, b.pfn, b.order, 0), 0);
	}
	drain_all_pages(&pm, NULL);
	assert_consistent("after freeing everything");
	for (unsigned i = 0; i < pm.nr_zones; i++) {
		const struct zone *z = &pm.zones[i];
		uint64_t expect = 0;

		/* maximal blocks merge unless a HIGHATOMIC pageblock keeps them apart */
		for (uint64_t b = z->zone_start_pfn; b < zone_end_pfn(z); b += 1ull << pm.max_order) {
			unsigned t0 = get_pageblock_migratetype(&pm, (pfn_t)b);
			unsigned t1 = get_pageblock_migratetype(&pm, (pfn_t)(b + pm.pageblock_nr_pages));

			expect += t0 == t1 || (t0 < MIGRATE_PCPTYPES && t1 < MIGRATE_PCPTYPES);
		}
		if (!z->nr_reserved_highatomic)
			cr_assert_eq(expect, fresh_max[i], "zone %s", z->name);
		cr_assert_eq(z->free_area[pm.max_order].nr_free, expect,
			     "zone %s: %llu maximal blocks, %llu expected (fresh %llu, %llu highatomic pages)",
			     z->name, (unsigned long long)z->free_area[pm.max_order].nr_free,
			     (unsigned long long)expect, (unsigned long long)fresh_max[i],
			     (unsigned long long)z->nr_reserved_highatomic);
		cr_assert_eq(z->nr_free_pages, z->managed_pages, "zone %s", z->name);
	}
	free(used);
	free(live);
}

/* ---------------------------------------------------------------- per-CPU lists */

/* A pcp as nr_pcp_free() sees it (v6.6: batch doubles per drain without allocation). */
struct pcp_model {
	int count, free_factor;
};

static int model_nr_pcp_free(struct pcp_model *m, int high, int batch)
{
	int min_nr = batch, max_nr = high - batch, n = batch << m->free_factor;

	if (n < max_nr)
		m->free_factor++;
	return n < min_nr ? min_nr : n > max_nr ? max_nr : n;
}

Test(buddy, pcp_refill_and_drain)
{
	struct phys_config cfg;
	struct per_cpu_pages *pcp;
	struct pcp_model m;
	struct zone *z;
	pfn_t pfns[400], pfn;
	uint64_t drains;

	small_config(&cfg, 256, 2);
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	pcp = &z->pcp[0];
	cr_assert(pcp->batch == 15 && pcp->high == 300, "batch %d high %d", pcp->batch, pcp->high);
	pfns[0] = alloc_pages(&pm, GFP_KERNEL, 0, 0);
	cr_assert_eq(page_zone(&pm, pfns[0]), z);
	cr_assert_eq(pm.ev.pcp_refill, 1);
	cr_assert_eq(pcp->count, pcp->batch - 1, "count %d after the first refill", pcp->count);
	cr_assert_eq(z->pcp[1].count, 0);
	assert_consistent("first refill");
	for (int i = 1; i < 400; i++)
		cr_assert_neq(pfns[i] = alloc_pages(&pm, GFP_KERNEL, 0, 0), PFN_NONE);
	cr_assert_eq(pm.ev.pcp_refill, 27);     /* ceil(400 / 15) */
	cr_assert_eq(pcp->count, 27 * 15 - 400);
	cr_assert_eq(pcp->free_factor, 0);

	m = (struct pcp_model){ pcp->count, 0 };
	drains = pm.ev.pcp_drain;
	for (int i = 0; i < 400; i++) {
		cr_assert_eq(free_pages(&pm, pfns[i], 0, 0), 0);
		if (++m.count >= pcp->high) {
			int n = model_nr_pcp_free(&m, pcp->high, pcp->batch);

			m.count -= n < m.count ? n : m.count;
			drains++;
		}
		cr_assert_eq(pcp->count, m.count, "free %d: count %d, expected %d", i, pcp->count, m.count);
		cr_assert_lt(pcp->count, pcp->high);
		cr_assert_eq(pm.ev.pcp_drain, drains);
		cr_assert_eq(pcp->free_factor, m.free_factor);
	}
	cr_assert_eq(m.count, 180);     /* drains of 15, 30, 60 and 120 */
	assert_consistent("frees past high");

	/* free_high: freeing order 1..3 while free_factor is up drains the whole pcp */
	pfn = alloc_pages(&pm, GFP_KERNEL, 1, 0);
	m.free_factor >>= 1;
	cr_assert_eq(pcp->free_factor, m.free_factor);
	cr_assert_gt(m.free_factor, 0);
	cr_assert_eq(free_pages(&pm, pfn, 1, 0), 0);
	cr_assert_eq(pcp->count, 0);
	assert_consistent("free_high");
}

Test(buddy, pcp_drain_all_pages)
{
	struct phys_config cfg;
	pfn_t pfns[200];
	unsigned on_pcp = 0;

	small_config(&cfg, 256, 2);
	boot(&cfg);
	for (unsigned i = 0; i < 200; i++)
		pfns[i] = alloc_pages(&pm, i % 3 ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL, i % 4, i % 2);
	for (unsigned i = 0; i < 200; i++)
		cr_assert_eq(free_pages(&pm, pfns[i], i % 4, (i + 1) % 2), 0);
	for (unsigned i = 0; i < pm.nr_zones; i++)
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			on_pcp += pm.zones[i].pcp[c].count;
	cr_assert_gt(on_pcp, 0);
	drain_all_pages(&pm, NULL);
	for (unsigned i = 0; i < pm.nr_zones; i++) {
		const struct zone *z = &pm.zones[i];

		for (unsigned c = 0; c < pm.nr_cpus; c++) {
			cr_assert_eq(z->pcp[c].count, 0);
			for (unsigned l = 0; l < NR_PCP_LISTS; l++)
				cr_assert_eq(z->pcp[c].head[l], PFN_NONE);
		}
		cr_assert_eq(z->nr_free_pages, z->managed_pages, "zone %s", z->name);
	}
	cr_assert_eq(node_zone(0, ZONE_DMA32)->free_area[10].nr_free, 60);
	assert_consistent("drain_all_pages");
}

Test(buddy, pcp_disabled)
{
	struct phys_config cfg;
	pfn_t pfns[100];

	small_config(&cfg, 256, 2);
	cfg.pcp_enabled = false;
	boot(&cfg);
	for (unsigned i = 0; i < 100; i++) {
		pfns[i] = alloc_pages(&pm, i % 2 ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL, i % 4, i % 2);
		cr_assert_neq(pfns[i], PFN_NONE);
	}
	for (unsigned i = 0; i < 100; i++) {
		cr_assert_eq(free_pages(&pm, pfns[i], i % 4, 0), 0);
		for (unsigned z = 0; z < pm.nr_zones; z++)
			for (unsigned c = 0; c < pm.nr_cpus; c++)
				cr_assert_eq(pm.zones[z].pcp[c].count, 0);
	}
	cr_assert(pm.ev.pcp_refill == 0 && pm.ev.pcp_drain == 0);
	for (unsigned z = 0; z < pm.nr_zones; z++)
		cr_assert_eq(pm.zones[z].nr_free_pages, pm.zones[z].managed_pages);
	assert_consistent("pcp disabled");
}

/* ---------------------------------------------------------------- fallback and stealing */

static int accept_migrate(void *ctx, pfn_t old_pfn, pfn_t new_pfn, unsigned order, uint32_t cookie)
{
	(void)ctx, (void)old_pfn, (void)new_pfn, (void)order, (void)cookie;
	return 0;
}

static const struct phys_owner_ops accepting_owner = { "test", accept_migrate, NULL };

Test(buddy, fallback_steals_whole_max_block)
{
	struct phys_config cfg;
	const struct zone *z;

	tiny_config(&cfg);
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	cr_assert(z->watermark[WMARK_MIN] == 32 && z->watermark[WMARK_LOW] == 40 &&
		  z->watermark[WMARK_HIGH] == 48);
	/* no UNMOVABLE free pages: the largest MOVABLE block is taken whole */
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL, 0, 0), 0);
	cr_assert(pm.ev.extfrag == 1 && pm.ev.extfrag_steal == 1);
	cr_assert_eq(get_pageblock_migratetype(&pm, 0), MIGRATE_UNMOVABLE);
	cr_assert_eq(get_pageblock_migratetype(&pm, 512), MIGRATE_UNMOVABLE);
	cr_assert_eq(get_pageblock_migratetype(&pm, 1024), MIGRATE_MOVABLE);
	cr_assert_eq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 0), 1024);
	cr_assert_eq(pm.ev.extfrag, 1);
	/* RECLAIMABLE falls back to UNMOVABLE first: the free order-9 block at 512 */
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL | GFP_F_RECLAIMABLE, 0, 0), 512);
	cr_assert_eq(pm.ev.extfrag, 2);
	cr_assert_eq(get_pageblock_migratetype(&pm, 512), MIGRATE_RECLAIMABLE);
	assert_consistent("fallback");
}

/*
 * Pageblocks 0-2 hold order-9 movable blocks, pageblock 3 holds k movable
 * order-0 pages (with an owner when movable_owner: PG_lru).  An unmovable
 * page then falls back into pageblock 3; steal_suitable_fallback() claims it
 * when free + compatible pages >= half a pageblock, and moves its free
 * pages to the UNMOVABLE lists either way.
 */
static void run_half_rule(unsigned k, bool movable_owner, bool expect_claim, pfn_t expect_pfn)
{
	struct phys_config cfg;
	const struct zone *z;
	uint64_t unmovable_free = 0;

	tiny_config(&cfg);
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	cr_assert_eq(phys_register_owner(&pm, 1, &accepting_owner), 0);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_eq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 9, 0), i * 512);
	for (unsigned i = 0; i < k; i++) {
		cr_assert_eq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 0), 1536 + i);
		if (movable_owner)
			phys_set_owner(&pm, 1536 + i, 1, i + 1, true);
	}
	cr_assert_eq(pm.ev.extfrag, 0);
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL, 0, 0), expect_pfn);
	cr_assert_eq(pm.ev.extfrag, 1);
	cr_assert_eq(pm.ev.extfrag_steal, expect_claim ? 1 : 0);
	cr_assert_eq(get_pageblock_migratetype(&pm, 1536), expect_claim ? MIGRATE_UNMOVABLE : MIGRATE_MOVABLE);
	for (unsigned o = 0; o <= pm.max_order && o <= MAX_ORDER_LIMIT; o++) {
		cr_assert_eq(z->free_area[o].nr_free_mt[MIGRATE_MOVABLE], 0);
		unmovable_free += z->free_area[o].nr_free_mt[MIGRATE_UNMOVABLE] << o;
	}
	cr_assert_eq(unmovable_free, 512 - k - 1);
	assert_consistent("half rule");
}

Test(buddy, steal_claims_pageblock_at_least_half_free)
{
	run_half_rule(200, true, true, 1736);
}

Test(buddy, steal_leaves_pageblock_mostly_movable)
{
	run_half_rule(300, true, false, 1836);
}

Test(buddy, steal_counts_non_lru_pages_as_alike)
{
	run_half_rule(300, false, true, 1836);
}

Test(buddy, mobility_grouping_off)
{
	struct phys_config cfg;

	tiny_config(&cfg);
	cfg.mobility_grouping = false;
	boot(&cfg);
	for (unsigned i = 0; i < sizeof(diff_gfps) / sizeof(diff_gfps[0]); i++)
		cr_assert_eq(gfp_migratetype(&pm, diff_gfps[i]), MIGRATE_UNMOVABLE, "gfp %#x", diff_gfps[i]);
	for (pfn_t pfn = 0; pfn < pm.max_pfn; pfn += 512)
		cr_assert_eq(get_pageblock_migratetype(&pm, pfn), MIGRATE_UNMOVABLE);
	cr_assert_neq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 0), PFN_NONE);
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL, 3, 0), PFN_NONE);
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL | GFP_F_RECLAIMABLE, 0, 0), PFN_NONE);
	cr_assert_eq(pm.ev.extfrag, 0);
	assert_consistent("grouping off");
}

/* ---------------------------------------------------------------- GFP semantics */

Test(buddy, gfp_zone_and_migratetype)
{
	struct phys_config cfg;

	small_config(&cfg, 256, 2);     /* below 4 GiB: DMA and DMA32 only */
	boot(&cfg);
	cr_assert_eq(gfp_zone(&pm, GFP_KERNEL | GFP_F_DMA), ZONE_DMA);
	cr_assert_eq(gfp_zone(&pm, GFP_KERNEL | GFP_DMA32), ZONE_DMA32);
	cr_assert_eq(gfp_zone(&pm, GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
	cr_assert_eq(gfp_zone(&pm, GFP_KERNEL | GFP_F_MOVABLE), ZONE_NORMAL);
	cr_assert_eq(gfp_zone(&pm, GFP_HIGHUSER), ZONE_NORMAL);
	cr_assert_eq(gfp_zone(&pm, GFP_KERNEL), ZONE_NORMAL);
	cr_assert_eq(gfp_migratetype(&pm, GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
	cr_assert_eq(gfp_migratetype(&pm, GFP_KERNEL | GFP_F_RECLAIMABLE), MIGRATE_RECLAIMABLE);
	cr_assert_eq(gfp_migratetype(&pm, GFP_ATOMIC), MIGRATE_UNMOVABLE);
	cr_assert_eq(page_zone(&pm, alloc_pages(&pm, GFP_KERNEL, 0, 0))->type, ZONE_DMA32);
	cr_assert_eq(page_zone(&pm, alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 2, 1))->type, ZONE_DMA32);
	cr_assert_eq(page_zone(&pm, alloc_pages(&pm, GFP_KERNEL | GFP_F_DMA, 1, 0))->type, ZONE_DMA);
	assert_consistent("gfp zones");
}

/*
 * Regression (engine/page_alloc.c, alloc_pages / get_page_from_freelist, fixed):
 * __GFP_THISNODE is ignored.  v6.6 prepare_alloc_pages() takes
 * node_zonelist(nid, gfp), which for __GFP_THISNODE is ZONELIST_NOFALLBACK
 * (the local node's zones only), so such a request fails rather than spill
 * to another node; the engine walks the full fallback zonelist.
 */
Test(buddy, gfp_thisnode_stays_on_its_node)
{
	struct phys_config cfg;
	unsigned local = 0, remote = 0;
	pfn_t pfn;

	small_config(&cfg, 512, 2);
	cfg.nr_nodes = 2;               /* CPU 1 on node 1 */
	boot(&cfg);
	cr_assert_eq(pm.cpu_node[1], 1);
	while ((pfn = alloc_pages(&pm, GFP_KERNEL | GFP_F_THISNODE, 0, 1)) != PFN_NONE) {
		if (page_zone(&pm, pfn)->node == 1)
			local++;
		else
			remote++;
	}
	cr_assert_gt(local, 60000);
	cr_expect_eq(remote, 0, "%u __GFP_THISNODE pages from node 1's CPU came from node 0", remote);
	assert_consistent("thisnode");
}

static unsigned alloc_until_failure(gfp_t gfp)
{
	unsigned n = 0;

	while (alloc_pages(&pm, gfp, 0, 0) != PFN_NONE)
		n++;
	return n;
}

/* __zone_watermark_ok(): __GFP_HIGH may use half of min, GFP_ATOMIC 62.5% */
Test(buddy, gfp_reserves_below_min)
{
	struct phys_config cfg;
	const struct zone *z;

	tiny_config(&cfg);
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	cr_assert_eq(alloc_until_failure(GFP_KERNEL), 2048 - 32);
	cr_assert_eq(z->nr_free_pages, 32);
	cr_assert_eq(alloc_pages(&pm, GFP_NOWAIT, 0, 0), PFN_NONE, "GFP_NOWAIT has no access to min");
	cr_assert_eq(alloc_until_failure(GFP_KERNEL | GFP_F_HIGH), 16);
	cr_assert_eq(z->nr_free_pages, 16);
	cr_assert_eq(alloc_until_failure(GFP_ATOMIC), 4);
	cr_assert_eq(z->nr_free_pages, 12);
	assert_consistent("reserves");
}

Test(buddy, gfp_zero_and_order_limits)
{
	struct phys_config cfg;
	uint64_t zeroed;

	small_config(&cfg, 256, 2);
	boot(&cfg);
	zeroed = pm.cost[COST_PAGE_ZERO];
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL, 3, 0), PFN_NONE);
	cr_assert_eq(pm.cost[COST_PAGE_ZERO], zeroed);
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL | GFP_F_ZERO, 3, 0), PFN_NONE);
	cr_assert_eq(pm.cost[COST_PAGE_ZERO], zeroed + 8);
	cr_assert_neq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE | GFP_F_ZERO, 0, 1), PFN_NONE);
	cr_assert_eq(pm.cost[COST_PAGE_ZERO], zeroed + 9);
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL, 11, 0), PFN_NONE);
	cr_assert(pm.ev.alloc_fail == 1 && pm.ev.alloc_fail_order[11] == 1);
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL, 10, 0), PFN_NONE);
	assert_consistent("order limits");
}

/* ---------------------------------------------------------------- out of memory */

Test(buddy, oom_fail_nth)
{
	struct phys_config cfg;
	pfn_t r[6];

	small_config(&cfg, 256, 2);
	boot(&cfg);
	phys_fail_nth(&pm, 3, 0);
	for (unsigned i = 0; i < 5; i++)
		r[i] = alloc_pages(&pm, GFP_KERNEL, 2, 0);
	for (unsigned i = 0; i < 5; i++)
		cr_assert_eq(r[i] == PFN_NONE, i == 2, "call %u", i + 1);
	cr_assert(pm.ev.alloc_injected_fail == 1 && pm.ev.alloc_fail == 1 && pm.ev.alloc_fail_order[2] == 1);
	cr_assert(pm.ev.nr_fail_gfp == 1 && pm.ev.fail_gfp[0].gfp == GFP_KERNEL && pm.ev.fail_gfp[0].n == 1);

	phys_fail_nth(&pm, 1, 2);       /* the next call and every other one after it */
	for (unsigned i = 0; i < 6; i++)
		r[i] = alloc_pages(&pm, GFP_ATOMIC, 0, 1);
	for (unsigned i = 0; i < 6; i++)
		cr_assert_eq(r[i] == PFN_NONE, i % 2 == 0, "call %u", i + 1);
	cr_assert(pm.ev.alloc_injected_fail == 4 && pm.ev.alloc_fail_order[0] == 3);
	cr_assert(pm.ev.nr_fail_gfp == 2 && pm.ev.fail_gfp[1].gfp == GFP_ATOMIC && pm.ev.fail_gfp[1].n == 3);

	phys_fail_nth(&pm, 0, 0);
	for (unsigned i = 0; i < 10; i++)
		cr_assert_neq(alloc_pages(&pm, GFP_KERNEL, 0, 0), PFN_NONE);
	cr_assert_eq(pm.ev.alloc_fail, 4);
	assert_consistent("fail_nth");
}

Test(buddy, oom_real_exhaustion)
{
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_ATOMIC, GFP_KERNEL | GFP_F_DMA };
	struct phys_config cfg;
	pfn_t *held, pfn;
	size_t n = 0;

	small_config(&cfg, 256, 2);
	boot(&cfg);
	held = malloc(pm.max_pfn * sizeof(*held));
	cr_assert_not_null(held);
	/* a failing GFP_KERNEL drains the other CPU's pcp for the next round */
	for (size_t before = SIZE_MAX; before != n;) {
		before = n;
		for (unsigned g = 0; g < 4; g++)
			while ((pfn = alloc_pages(&pm, gfps[g], 0, (unsigned)n % 2)) != PFN_NONE)
				held[n++] = pfn;
	}
	cr_assert_gt(n, 60000);
	for (unsigned g = 0; g < 4; g++)
		for (unsigned o = 0; o <= pm.max_order; o++)
			cr_assert_eq(alloc_pages(&pm, gfps[g], o, 0), PFN_NONE, "gfp %#x order %u", gfps[g], o);
	cr_assert_geq(pm.ev.alloc_fail, 4 + 4 * 11);
	assert_consistent("exhausted");
	while (n)
		cr_assert_eq(free_pages(&pm, held[--n], 0, 0), 0);
	drain_all_pages(&pm, NULL);
	for (unsigned i = 0; i < pm.nr_zones; i++)
		cr_assert_eq(pm.zones[i].nr_free_pages, pm.zones[i].managed_pages);
	assert_consistent("refilled");
	free(held);
}

/* ---------------------------------------------------------------- highatomic reserve */

Test(buddy, highatomic_reserved_by_atomic_slow_path)
{
	struct phys_config cfg;
	const struct zone *z;
	pfn_t a, b;

	small_config(&cfg, 256, 1);
	cfg.zone_dma = false;
	cfg.pcp_enabled = false;
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	cr_assert(z->watermark[WMARK_MIN] == 512 && z->watermark[WMARK_LOW] == 640);
	while (z->nr_free_pages > z->watermark[WMARK_LOW])
		cr_assert_neq(alloc_pages(&pm, GFP_KERNEL, 0, 0), PFN_NONE);
	cr_assert_eq(pm.ev.highatomic_reserve, 0);
	/* below low: an order-1 GFP_ATOMIC request takes the slow path */
	a = alloc_pages(&pm, GFP_ATOMIC, 1, 0);
	cr_assert_neq(a, PFN_NONE);
	cr_assert_eq(pm.ev.highatomic_reserve, 1);
	cr_assert_eq(z->nr_reserved_highatomic, 512);
	cr_assert_eq(get_pageblock_migratetype(&pm, a), MIGRATE_HIGHATOMIC);
	b = alloc_pages(&pm, GFP_ATOMIC, 1, 0);
	cr_assert_eq(b >> 9, a >> 9, "the second atomic block comes from the reserve");
	cr_assert_eq(pm.ev.highatomic_reserve, 1);
	assert_consistent("reserved");
	/* the reserve hides 512 pages from GFP_KERNEL until the forced unreserve */
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL, 0, 0), PFN_NONE);
	cr_assert_eq(pm.ev.highatomic_unreserve, 1);
	cr_assert_eq(z->nr_reserved_highatomic, 0);
	cr_assert_eq(get_pageblock_migratetype(&pm, a), MIGRATE_UNMOVABLE);
	assert_consistent("unreserved");
}

Test(buddy, highatomic_reserve_limit)
{
	struct phys_config cfg;
	struct zone *dma, *dma32;

	small_config(&cfg, 256, 1);
	boot(&cfg);
	dma = node_zone(0, ZONE_DMA);
	dma32 = node_zone(0, ZONE_DMA32);
	/* about 1% of the zone: ALIGN(61440 / 100, 512) = 1024 pages */
	for (pfn_t pfn = 8192; pfn < 8192 + 3 * 1024; pfn += 1024)
		reserve_highatomic_pageblock(&pm, pfn, dma32);
	cr_assert(pm.ev.highatomic_reserve == 2 && dma32->nr_reserved_highatomic == 1024);
	cr_assert_eq(get_pageblock_migratetype(&pm, 8192 + 2048), MIGRATE_MOVABLE);
	reserve_highatomic_pageblock(&pm, 0, dma);      /* 1% of DMA is under a pageblock */
	cr_assert_eq(dma->nr_reserved_highatomic, 0);
	assert_consistent("reserve limit");
	cr_assert(unreserve_highatomic_pageblock(&pm, dma32, MIGRATE_MOVABLE, false));
	cr_assert_eq(dma32->nr_reserved_highatomic, 512);
	cr_assert(!unreserve_highatomic_pageblock(&pm, dma32, MIGRATE_MOVABLE, false), "keeps the last one");
	cr_assert(unreserve_highatomic_pageblock(&pm, dma32, MIGRATE_MOVABLE, true));
	cr_assert_eq(dma32->nr_reserved_highatomic, 0);
	assert_consistent("unreserve");
}

/*
 * Regression (engine/phys_check.c, check_zone, fixed): pageblock migratetypes are counted
 * only where a block starts, so a block larger than a pageblock hides the
 * types of its later pageblocks.  Two buddy HIGHATOMIC pageblocks merge into
 * one order-10 free block (same type: __free_one_page merges them) and
 * buddy_check() reports "nr_reserved_highatomic 1024, 1 HIGHATOMIC
 * pageblocks" for a consistent state.  The ISOLATE count has the same
 * blind spot.
 */
Test(buddy, check_sees_both_pageblocks_of_a_merged_highatomic_block)
{
	struct phys_config cfg;
	struct zone *z;
	char msg[512] = "";
	pfn_t a, b;

	small_config(&cfg, 256, 1);
	cfg.zone_dma = false;
	cfg.pcp_enabled = false;
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	a = alloc_pages(&pm, GFP_KERNEL, 9, 0);
	b = alloc_pages(&pm, GFP_KERNEL, 9, 0);
	cr_assert_eq(a ^ b, 512, "order-9 blocks %u and %u are not buddies", a, b);
	reserve_highatomic_pageblock(&pm, a, z);
	reserve_highatomic_pageblock(&pm, b, z);
	cr_assert_eq(z->nr_reserved_highatomic, 1024);
	assert_consistent("two reserved pageblocks");
	cr_assert_eq(free_pages(&pm, a, 9, 0), 0);
	cr_assert_eq(free_pages(&pm, b, 9, 0), 0);
	cr_assert_eq(z->free_area[10].nr_free_mt[MIGRATE_HIGHATOMIC], 1, "the two pageblocks merged");
	cr_assert_eq(get_pageblock_migratetype(&pm, b), MIGRATE_HIGHATOMIC);
	cr_expect_eq(buddy_check(&pm, msg, sizeof msg), 0, "buddy_check: %s", msg);
}

/* ---------------------------------------------------------------- free_pages() errors */

struct snapshot {
	struct page *mem_map;
	struct zone *zones;
	struct per_cpu_pages *pcp;
	struct phys_events ev;
};

static void take_snapshot(struct snapshot *s)
{
	s->mem_map = malloc(pm.max_pfn * sizeof(struct page));
	s->zones = malloc(pm.nr_zones * sizeof(struct zone));
	s->pcp = malloc(pm.nr_zones * pm.nr_cpus * sizeof(struct per_cpu_pages));
	cr_assert(s->mem_map && s->zones && s->pcp);
	memcpy(s->mem_map, pm.mem_map, pm.max_pfn * sizeof(struct page));
	memcpy(s->zones, pm.zones, pm.nr_zones * sizeof(struct zone));
	for (unsigned i = 0; i < pm.nr_zones; i++)
		memcpy(s->pcp + i * pm.nr_cpus, pm.zones[i].pcp, pm.nr_cpus * sizeof(struct per_cpu_pages));
	s->ev = pm.ev;
}

static void expect_free_rejected(const struct snapshot *s, pfn_t pfn, unsigned order)
{
	cr_assert_eq(free_pages(&pm, pfn, order, 0), -MM_EINVAL, "free_pages(%u, %u)", pfn, order);
	cr_assert_eq(memcmp(s->mem_map, pm.mem_map, pm.max_pfn * sizeof(struct page)), 0, "memmap changed");
	cr_assert_eq(memcmp(s->zones, pm.zones, pm.nr_zones * sizeof(struct zone)), 0, "a zone changed");
	for (unsigned i = 0; i < pm.nr_zones; i++)
		cr_assert_eq(memcmp(s->pcp + i * pm.nr_cpus, pm.zones[i].pcp,
				    pm.nr_cpus * sizeof(struct per_cpu_pages)), 0, "a pcp changed");
	cr_assert_eq(memcmp(&s->ev, &pm.ev, sizeof(pm.ev)), 0, "events changed");
	assert_consistent("rejected free");
}

Test(buddy, free_pages_rejects_bad_blocks)
{
	struct phys_config cfg;
	struct snapshot s;
	const struct zone *z;
	pfn_t b;

	small_config(&cfg, 256, 2);
	cfg.nr_reserved = 1;
	cfg.reserved[0].base = 0;
	cfg.reserved[0].size = 1 << 20;
	boot(&cfg);
	z = node_zone(0, ZONE_DMA32);
	b = alloc_pages(&pm, GFP_KERNEL, 2, 0);
	cr_assert_neq(b, PFN_NONE);
	take_snapshot(&s);
	expect_free_rejected(&s, b + 1, 0);                            /* a tail page */
	expect_free_rejected(&s, b + 2, 1);
	expect_free_rejected(&s, b, 1);                                /* wrong order */
	expect_free_rejected(&s, b, 3);
	expect_free_rejected(&s, b, 11);
	expect_free_rejected(&s, z->free_area[10].head[MIGRATE_MOVABLE], 10);   /* a free block */
	expect_free_rejected(&s, z->pcp[0].head[order_to_pindex(MIGRATE_UNMOVABLE, 2)], 2); /* on a pcp */
	expect_free_rejected(&s, 0, 0);                                /* reserved */
	expect_free_rejected(&s, pm.max_pfn, 0);
	cr_assert_eq(free_pages(&pm, b, 2, 0), 0);
	free(s.mem_map), free(s.zones), free(s.pcp);
	take_snapshot(&s);
	expect_free_rejected(&s, b, 2);                                /* double free */
	free(s.mem_map), free(s.zones), free(s.pcp);
}
