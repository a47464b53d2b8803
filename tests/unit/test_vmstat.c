/*
 * test_vmstat.c - engine/vmstat.c: the fragmentation formulas on hand-built
 * contig_page_info values, and every dump, byte for byte, on a small machine.
 *
 * The machine: 64 MiB (16384 pages), 2 CPUs, one node, no reserved memory,
 * max_order 10, pageblock_order 9.  It boots as 16 free order-10 blocks, all
 * MIGRATE_MOVABLE: ZONE_DMA is pfn 0..4095 (4 blocks, 8 pageblocks),
 * ZONE_DMA32 pfn 4096..16383 (12 blocks, 24 pageblocks); Normal and Movable
 * are empty.  Boot-time numbers (engine/phys.c, engine/pcp.c):
 *   min_free_kbytes = int_sqrt(16384 * 4 kB * 16) = 1024 -> pages_min 256
 *   DMA:   min 256*4096/16384 = 64,  low 64+max(16,4) = 80,   high 96
 *   DMA32: min 256*12288/16384 = 192, low 192+max(48,12) = 240, high 288
 *   lowmem_reserve: DMA[j > DMA] = 12288/256 = 48, DMA32 all 0
 *   pcp batch: DMA 1, DMA32 rounddown_pow2(3 + 1) - 1 = 3
 *   pcp high:  low / 2 CPUs: DMA 40, DMA32 120
 *   stat threshold: 2 * fls(2 CPUs) * (1 + fls(managed >> 15 = 0)) = 4
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/page_alloc.h"
#include "engine/vmstat.h"

TestSuite(vmstat);

static phys_t pm;

static void boot(unsigned nr_nodes)
{
	struct phys_config cfg;
	char err[256] = "";

	phys_config_default(&cfg);
	cfg.mem_bytes = 64ull << 20;
	cfg.nr_nodes = nr_nodes;
	cfg.nr_cpus = 2;
	cfg.memmap_reserve = false;
	cfg.nr_reserved = 0;
	cr_assert_eq(phys_init(&pm, &cfg, err, sizeof(err)), 0, "phys_init: %s", err);
}

/* Run a dump into a malloc'd string (caller frees). */
static char *dump(void (*fn)(const phys_t *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	fn(&pm, f);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

static void expect_dump(void (*fn)(const phys_t *, FILE *), const char *want, const char *what)
{
	char *got = dump(fn);

	cr_assert_str_eq(got, want, "%s differs.\n--- got:\n%s--- want:\n%s", what, got, want);
	free(got);
}

static void expect_contains(void (*fn)(const phys_t *, FILE *), const char *want, const char *what)
{
	char *got = dump(fn);

	cr_assert_not_null(strstr(got, want), "%s lacks:\n%s--- got:\n%s", what, want, got);
	free(got);
}

/* ---------------------------------------------------------------- formulas */

Test(vmstat, fragmentation_index_formula)
{
	/* no free blocks at all: 0 (fails for lack of memory) */
	cr_assert_eq(fragmentation_index_info(3, &(struct contig_page_info){ 0, 0, 0 }), 0);
	/* a suitable block exists: -1000 */
	cr_assert_eq(fragmentation_index_info(3, &(struct contig_page_info){ 100, 5, 1 }), -1000);
	/* 10 order-0 pages, order 2: 1000 - (1000 + 10000/4) / 10 = 1000 - 350 = 650 */
	cr_assert_eq(fragmentation_index_info(2, &(struct contig_page_info){ 10, 10, 0 }), 650);
	/* 4+2+1 pages in 3 blocks, order 3: 7000/8 = 875; 1875/3 = 625 -> 375 */
	cr_assert_eq(fragmentation_index_info(3, &(struct contig_page_info){ 7, 3, 0 }), 375);
	/* one block each of order 0..9, order 10: 1023000/1024 = 999; 1999/10 = 199 -> 801 */
	cr_assert_eq(fragmentation_index_info(10, &(struct contig_page_info){ 1023, 10, 0 }), 801);
	/* 1000 order-0 pages, order 9: 1000000/512 = 1953; 2953/1000 = 2 -> 998 */
	cr_assert_eq(fragmentation_index_info(9, &(struct contig_page_info){ 1000, 1000, 0 }), 998);
	/* one order-0 page, order 1: 1000/2 = 500; 1500/1 -> 1000 - 1500 = -500 */
	cr_assert_eq(fragmentation_index_info(1, &(struct contig_page_info){ 1, 1, 0 }), -500);
	/* one order-0 page, order 10: 1000/1024 = 0; 1000/1 -> 0 */
	cr_assert_eq(fragmentation_index_info(10, &(struct contig_page_info){ 1, 1, 0 }), 0);
	/* order beyond MAX_ORDER: WARN_ON_ONCE, 0 */
	cr_assert_eq(fragmentation_index_info(MAX_ORDER_LIMIT + 1, &(struct contig_page_info){ 1, 1, 0 }), 0);
}

Test(vmstat, unusable_free_index_formula)
{
	/* no free memory counts as all unusable: 1000 */
	cr_assert_eq(unusable_free_index(0, &(struct contig_page_info){ 0, 0, 0 }), 1000);
	/* everything usable: (10 - 10) * 1000 / 10 = 0 */
	cr_assert_eq(unusable_free_index(0, &(struct contig_page_info){ 10, 10, 10 }), 0);
	/* order 2, 10 pages, one order-2 unit suitable: (10 - 4) * 1000 / 10 = 600 */
	cr_assert_eq(unusable_free_index(2, &(struct contig_page_info){ 10, 7, 1 }), 600);
	/* order 1, 3 pages, one order-1 unit: (3 - 2) * 1000 / 3 = 333 (truncated) */
	cr_assert_eq(unusable_free_index(1, &(struct contig_page_info){ 3, 2, 1 }), 333);
	/* nothing suitable: (7 - 0) * 1000 / 7 = 1000 */
	cr_assert_eq(unusable_free_index(3, &(struct contig_page_info){ 7, 3, 0 }), 1000);
}

Test(vmstat, fill_contig_page_info_on_zones)
{
	struct contig_page_info info;

	boot(1);
	/* DMA32: 12 order-10 blocks */
	fill_contig_page_info(&pm, &pm.zones[1], 0, &info);
	cr_assert_eq(info.free_pages, 12288);
	cr_assert_eq(info.free_blocks_total, 12);
	cr_assert_eq(info.free_blocks_suitable, 12288);         /* 12 << 10 */
	fill_contig_page_info(&pm, &pm.zones[1], 4, &info);
	cr_assert_eq(info.free_blocks_suitable, 768);           /* 12 << 6 */
	fill_contig_page_info(&pm, &pm.zones[1], 10, &info);
	cr_assert_eq(info.free_blocks_suitable, 12);
	/* nr_free counts MIGRATE_ISOLATE lists too: add one isolated order-3 block */
	pm.zones[1].free_area[3].nr_free++;
	fill_contig_page_info(&pm, &pm.zones[1], 3, &info);
	cr_assert_eq(info.free_pages, 12288 + 8);
	cr_assert_eq(info.free_blocks_total, 13);
	cr_assert_eq(info.free_blocks_suitable, 12 * 128 + 1);
	pm.zones[1].free_area[3].nr_free--;
	cr_assert_eq(fragmentation_index(&pm, &pm.zones[1], 10), -1000);
	cr_assert_eq(fragmentation_index(&pm, &pm.zones[1], 11), 0);    /* > max_order */
	phys_destroy(&pm);
}

/* ---------------------------------------------------------------- dumps at boot */

#define PAGETYPEINFO_HEAD \
	"Page block order: 9\n" \
	"Pages per block:  512\n" \
	"\n" \
	"Free pages count per migrate type at order       0      1      2      3      4      5      6      7      8      9     10 \n"
#define BLOCKCOUNT_HEAD \
	"\n" \
	"Number of blocks type     Unmovable      Movable  Reclaimable   HighAtomic          CMA      Isolate \n"
#define ZERO_ROW "     0      0      0      0      0      0      0      0      0      0      0 \n"
#define PT_ZERO_ROWS(zone) \
	"Node    0, zone " zone ", type  Reclaimable " ZERO_ROW \
	"Node    0, zone " zone ", type   HighAtomic " ZERO_ROW \
	"Node    0, zone " zone ", type          CMA " ZERO_ROW \
	"Node    0, zone " zone ", type      Isolate " ZERO_ROW

static const char boot_buddyinfo[] =
	"Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 \n"
	"Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      0     12 \n";

static const char boot_pagetypeinfo[] =
	PAGETYPEINFO_HEAD
	"Node    0, zone      DMA, type    Unmovable " ZERO_ROW
	"Node    0, zone      DMA, type      Movable      0      0      0      0      0      0      0      0      0      0      4 \n"
	PT_ZERO_ROWS("     DMA")
	"Node    0, zone    DMA32, type    Unmovable " ZERO_ROW
	"Node    0, zone    DMA32, type      Movable      0      0      0      0      0      0      0      0      0      0     12 \n"
	PT_ZERO_ROWS("   DMA32")
	BLOCKCOUNT_HEAD
	"Node 0, zone      DMA            0            8            0            0            0            0 \n"
	"Node 0, zone    DMA32            0           24            0            0            0            0 \n";

#define PAGESET(cpu, count, high, batch) \
	"\n    cpu: " #cpu \
	"\n              count: " #count \
	"\n              high:  " #high \
	"\n              batch: " #batch \
	"\n  vm stats threshold: 4"

static const char boot_zoneinfo[] =
	"Node 0, zone      DMA"
	"\n  pages free     4096"
	"\n        boost    0"
	"\n        min      64"
	"\n        low      80"
	"\n        high     96"
	"\n        spanned  4096"
	"\n        present  4096"
	"\n        managed  4096"
	"\n        cma      0"
	"\n        protection: (0, 48, 48, 48)"
	"\n      nr_free_pages 4096"
	"\n      nr_free_cma  0"
	"\n  pagesets"
	PAGESET(0, 0, 40, 1)
	PAGESET(1, 0, 40, 1)
	"\n  node_unreclaimable:  0"
	"\n  start_pfn:           0\n"
	"Node 0, zone    DMA32"
	"\n  pages free     12288"
	"\n        boost    0"
	"\n        min      192"
	"\n        low      240"
	"\n        high     288"
	"\n        spanned  12288"
	"\n        present  12288"
	"\n        managed  12288"
	"\n        cma      0"
	"\n        protection: (0, 0, 0, 0)"
	"\n      nr_free_pages 12288"
	"\n      nr_free_cma  0"
	"\n  pagesets"
	PAGESET(0, 0, 120, 3)
	PAGESET(1, 0, 120, 3)
	"\n  node_unreclaimable:  0"
	"\n  start_pfn:           4096\n"
	/* empty zones: header, watermarks (Movable's min is SWAP_CLUSTER_MAX), protection */
	"Node 0, zone   Normal"
	"\n  pages free     0\n        boost    0\n        min      0\n        low      0"
	"\n        high     0\n        spanned  0\n        present  0\n        managed  0"
	"\n        cma      0\n        protection: (0, 0, 0, 0)\n"
	"Node 0, zone  Movable"
	"\n  pages free     0\n        boost    0\n        min      32\n        low      32"
	"\n        high     32\n        spanned  0\n        present  0\n        managed  0"
	"\n        cma      0\n        protection: (0, 0, 0, 0)\n";

/* "%2d.%03d " of -1000: "-1" fills the width, so one space between columns */
#define ALL_SUITABLE " -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 \n"
#define ALL_USABLE "0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 0.000 \n"

Test(vmstat, dumps_at_boot)
{
	boot(1);
	expect_dump(dump_buddyinfo, boot_buddyinfo, "buddyinfo");
	expect_dump(dump_pagetypeinfo, boot_pagetypeinfo, "pagetypeinfo");
	expect_dump(dump_zoneinfo, boot_zoneinfo, "zoneinfo");
	/* only order-10 blocks: every order has a suitable block, nothing is unusable */
	expect_dump(dump_extfrag_index,
		    "Node 0, zone      DMA" ALL_SUITABLE
		    "Node 0, zone    DMA32" ALL_SUITABLE, "extfrag_index");
	expect_dump(dump_unusable_index,
		    "Node 0, zone      DMA " ALL_USABLE
		    "Node 0, zone    DMA32 " ALL_USABLE, "unusable_index");
	phys_destroy(&pm);
}

/* ---------------------------------------------------------------- dumps after allocations */

/*
 * Movable allocations land in DMA32 (the highest populated zone) from the
 * Movable lists, with no fallback.  Order 4 (not a pcp order) splits one
 * order-10 block: free 9, 8, 7, 6, 5, 4.  Order 0 on CPU 1 refills that
 * CPU's pcp list with batch = 3 pages: the first splits the order-4 block
 * (free 3, 2, 1, 0), the second takes the order-0 block, the third splits
 * the order-1 block (free 0).  One page is handed out, 2 stay on the pcp.
 * Free: order 0:1, 2:1, 3:1, 5..9:1, 10:11 = 12288 - 16 - 3 = 12269 pages.
 */
Test(vmstat, dumps_after_movable_allocations)
{
	boot(1);
	cr_assert_neq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 4, 0), PFN_NONE);
	cr_assert_neq(alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 1), PFN_NONE);

	expect_dump(dump_buddyinfo,
		"Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 \n"
		"Node 0, zone    DMA32      1      0      1      1      0      1      1      1      1      1     11 \n",
		"buddyinfo");
	expect_dump(dump_pagetypeinfo,
		PAGETYPEINFO_HEAD
		"Node    0, zone      DMA, type    Unmovable " ZERO_ROW
		"Node    0, zone      DMA, type      Movable      0      0      0      0      0      0      0      0      0      0      4 \n"
		PT_ZERO_ROWS("     DMA")
		"Node    0, zone    DMA32, type    Unmovable " ZERO_ROW
		"Node    0, zone    DMA32, type      Movable      1      0      1      1      0      1      1      1      1      1     11 \n"
		PT_ZERO_ROWS("   DMA32")
		BLOCKCOUNT_HEAD
		"Node 0, zone      DMA            0            8            0            0            0            0 \n"
		"Node 0, zone    DMA32            0           24            0            0            0            0 \n",
		"pagetypeinfo");
	/*
	 * DMA32 unusable at order o = pages in blocks below o, * 1000 / 12269:
	 * o<=3: 0,1,1,5 -> 0; o=4,5: 13 -> 1; o=6: 45 -> 3; o=7: 109 -> 8;
	 * o=8: 237 -> 19; o=9: 493 -> 40; o=10: 1005 -> 81.
	 */
	expect_dump(dump_unusable_index,
		"Node 0, zone      DMA " ALL_USABLE
		"Node 0, zone    DMA32 0.000 0.000 0.000 0.000 0.001 0.001 0.003 0.008 0.019 0.040 0.081 \n",
		"unusable_index");
	expect_contains(dump_zoneinfo,
		"Node 0, zone    DMA32\n  pages free     12269\n", "zoneinfo");
	expect_contains(dump_zoneinfo,
		"\n      nr_free_pages 12269\n      nr_free_cma  0\n  pagesets"
		PAGESET(0, 0, 120, 3) PAGESET(1, 2, 120, 3), "zoneinfo");
	phys_destroy(&pm);
}

/*
 * Unmovable allocations confined to DMA: three order-10 blocks, each stolen
 * from the Movable lists (__rmqueue_fallback takes whole order-10 blocks and
 * change_pageblock_range() makes both pageblocks Unmovable), then one
 * order-0 page (pcp batch 1) that steals and splits the last block: DMA is
 * left with one Unmovable block of each order 0..9 (1023 pages), and all
 * 8 DMA pageblocks are Unmovable.
 */
Test(vmstat, dumps_after_dma_exhausted)
{
	boot(1);
	for (int i = 0; i < 3; i++)
		cr_assert_neq(alloc_pages(&pm, GFP_KERNEL | GFP_F_DMA, 10, 0), PFN_NONE);
	cr_assert_neq(alloc_pages(&pm, GFP_KERNEL | GFP_F_DMA, 0, 0), PFN_NONE);
	cr_assert_eq(pm.zones[0].nr_free_pages, 1023);

	expect_dump(dump_buddyinfo,
		"Node 0, zone      DMA      1      1      1      1      1      1      1      1      1      1      0 \n"
		"Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      0     12 \n",
		"buddyinfo");
	expect_dump(dump_pagetypeinfo,
		PAGETYPEINFO_HEAD
		"Node    0, zone      DMA, type    Unmovable      1      1      1      1      1      1      1      1      1      1      0 \n"
		"Node    0, zone      DMA, type      Movable " ZERO_ROW
		PT_ZERO_ROWS("     DMA")
		"Node    0, zone    DMA32, type    Unmovable " ZERO_ROW
		"Node    0, zone    DMA32, type      Movable      0      0      0      0      0      0      0      0      0      0     12 \n"
		PT_ZERO_ROWS("   DMA32")
		BLOCKCOUNT_HEAD
		"Node 0, zone      DMA            8            0            0            0            0            0 \n"
		"Node 0, zone    DMA32            0           24            0            0            0            0 \n",
		"pagetypeinfo");
	/* DMA order 10: 1023000/1024 = 999; (1000 + 999) / 10 = 199 -> 801 */
	expect_dump(dump_extfrag_index,
		"Node 0, zone      DMA -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000 -1.000  0.801 \n"
		"Node 0, zone    DMA32" ALL_SUITABLE, "extfrag_index");
	/*
	 * DMA unusable at order o = (2^o - 1) * 1000 / 1023: 0, 0 (1), 2 (3),
	 * 6 (7), 14 (15), 30 (31), 61 (63), 124 (127), 249 (255), 499 (511),
	 * 1000 (1023).
	 */
	expect_dump(dump_unusable_index,
		"Node 0, zone      DMA 0.000 0.000 0.002 0.006 0.014 0.030 0.061 0.124 0.249 0.499 1.000 \n"
		"Node 0, zone    DMA32 " ALL_USABLE, "unusable_index");
	cr_assert_eq(fragmentation_index(&pm, &pm.zones[0], 10), 801);
	cr_assert_eq(fragmentation_index(&pm, &pm.zones[0], 9), -1000);
	expect_contains(dump_zoneinfo, "Node 0, zone      DMA\n  pages free     1023\n", "zoneinfo");
	phys_destroy(&pm);
}

/* ---------------------------------------------------------------- edge formats */

/*
 * Counters set by hand (the dumps only read them): the pagetypeinfo cap,
 * and the negative indices of a zone whose only free block is one page.
 * Order o >= 1 gives 1000 - (1000 + 1000/2^o) = -(1000 >> o), which
 * "%2d.%03d" prints as " 0.-500", " 0.-62", " 0.-07", ...
 */
Test(vmstat, edge_formats)
{
	struct zone *dma, *dma32;

	boot(1);
	dma = &pm.zones[0];
	dma32 = &pm.zones[1];
	dma32->free_area[0].nr_free_mt[MIGRATE_UNMOVABLE] = 99999;
	dma32->free_area[0].nr_free_mt[MIGRATE_MOVABLE] = 100000;
	dma32->free_area[1].nr_free_mt[MIGRATE_MOVABLE] = 250000;
	expect_contains(dump_pagetypeinfo,
		"Node    0, zone    DMA32, type    Unmovable  99999      0      0      0      0      0      0      0      0      0      0 \n"
		"Node    0, zone    DMA32, type      Movable >100000 >100000      0      0      0      0      0      0      0      0     12 \n",
		"pagetypeinfo");

	dma->free_area[10].nr_free = 0;
	dma->free_area[0].nr_free = 1;
	expect_contains(dump_extfrag_index,
		"Node 0, zone      DMA -1.000  0.-500  0.-250  0.-125  0.-62  0.-31  0.-15  0.-07  0.-03  0.-01  0.000 \n",
		"extfrag_index");
	expect_contains(dump_unusable_index,
		"Node 0, zone      DMA 0.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 \n",
		"unusable_index");
	dma->free_area[0].nr_free = 0;
	/* no free block at all: extfrag 0, unusable 1000 */
	expect_contains(dump_extfrag_index,
		"Node 0, zone      DMA  0.000  0.000  0.000  0.000  0.000  0.000  0.000  0.000  0.000  0.000  0.000 \n",
		"extfrag_index");
	expect_contains(dump_unusable_index,
		"Node 0, zone      DMA 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000 \n",
		"unusable_index");
	phys_destroy(&pm);
}

/*
 * Two nodes of 8192 pages: node 0 has DMA (4 blocks) and DMA32 (4 blocks),
 * node 1 only DMA32 (8 blocks, pfn 8192..16383 is below 4 GiB).  Each node
 * is its own record: pagetypeinfo repeats its header, zoneinfo prints
 * node 1's empty DMA zone.
 */
Test(vmstat, two_nodes)
{
	char *got, *first;

	boot(2);
	expect_dump(dump_buddyinfo,
		"Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      0      4 \n"
		"Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      0      4 \n"
		"Node 1, zone    DMA32      0      0      0      0      0      0      0      0      0      0      8 \n",
		"buddyinfo");
	got = dump(dump_pagetypeinfo);
	cr_assert_not_null(strstr(got, "\n"
		"Node 1, zone    DMA32            0           16            0            0            0            0 \n"));
	first = strstr(got, PAGETYPEINFO_HEAD);
	cr_assert(first == got, "node 0's record opens the dump");
	cr_assert_not_null(strstr(first + 1, "\n" PAGETYPEINFO_HEAD), "node 1 repeats the header");
	free(got);
	expect_contains(dump_zoneinfo,
		"\n  start_pfn:           4096\n"
		"Node 0, zone   Normal\n", "zoneinfo");
	expect_contains(dump_zoneinfo,
		"        protection: (0, 0, 0, 0)\n"
		"Node 1, zone      DMA\n  pages free     0\n", "zoneinfo");
	expect_contains(dump_zoneinfo,
		"Node 1, zone    DMA32\n  pages free     8192\n", "zoneinfo");
	phys_destroy(&pm);
}
