/*
 * test_tlb.c - the TLB model (engine/tlb.h): hits after fills, ASID tags,
 * LRU order in one set, 2 MiB entries, STLB refill of L1, page-walk cache
 * references, flushes below and above tlb_single_page_flush_ceiling,
 * shootdowns per CPU, context switches with and without PCID, bad configs,
 * and a long random run against a reference LRU-list model.  tlb_check()
 * runs after every phase.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "engine/phys.h"
#include "engine/prng.h"
#include "engine/tlb.h"

#define P4K		(1ull << 12)
#define P2M		(1ull << 21)
#define P1G		(1ull << 30)
#define BASE		0x7f0000000000ull       /* 512 GiB aligned, so walk caches start cold */

/* Only cost[], cost_weight[] and cost_cycles of a phys_t are used: no machine needed. */
static phys_t pm;
static tlb_t tlb;

static void teardown(void)
{
	tlb_destroy(&tlb);
	memset(&pm, 0, sizeof(pm));
}

TestSuite(tlb, .fini = teardown);

#define assert_consistent(phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(tlb_check(&tlb, msg_, sizeof msg_), 0,		\
			     "%s: tlb_check: %s", (phase), msg_);		\
	} while (0)

static void boot_cfg(const struct tlb_config *cfg, unsigned nr_cpus)
{
	char err[256] = "";
	int rc;

	memset(&pm, 0, sizeof(pm));
	rc = tlb_init(&tlb, cfg, nr_cpus, &pm, err, sizeof err);
	cr_assert_eq(rc, 0, "tlb_init: %d (%s)", rc, err);
	assert_consistent("init");
}

static void boot(unsigned nr_cpus)
{
	struct tlb_config cfg;

	tlb_config_default(&cfg);
	boot_cfg(&cfg, nr_cpus);
}

static const char *const result_names[] = { "L1_HIT", "STLB_HIT", "MISS" };

#define assert_lookup(cpu, asid, va, exec, want) do {				\
		enum tlb_result r_ = tlb_lookup(&tlb, (cpu), (asid), (va), (exec)); \
		cr_assert_eq(r_, (want), "lookup cpu %u asid %u va %#llx: %s, want %s", \
			     (unsigned)(cpu), (unsigned)(asid), (unsigned long long)(va), \
			     result_names[r_], result_names[want]);		\
	} while (0)

/* Whether cpu still translates va for asid (in L1 or the STLB). */
#define assert_present(cpu, asid, va, want) do {				\
		enum tlb_result r_ = tlb_lookup(&tlb, (cpu), (asid), (va), false); \
		cr_assert_eq(r_ != TLB_MISS, (want), "lookup cpu %u asid %u va %#llx: %s, want %s", \
			     (unsigned)(cpu), (unsigned)(asid), (unsigned long long)(va), \
			     result_names[r_], (want) ? "a hit" : "a miss");	\
	} while (0)

/* ---------------------------------------------------------------- basics */

Test(tlb, defaults)
{
	struct tlb_config cfg;

	tlb_config_default(&cfg);
	cr_assert(cfg.enabled);
	cr_assert_eq(cfg.dtlb_entries, 64);
	cr_assert_eq(cfg.dtlb_ways, 4);
	cr_assert_eq(cfg.dtlb_2m_entries, 32);
	cr_assert_eq(cfg.itlb_entries, 128);
	cr_assert_eq(cfg.stlb_entries, 1536);
	cr_assert_eq(cfg.stlb_ways, 12);
	cr_assert_eq(cfg.pwc_entries[TLB_PWC_PDE], 32);
	cr_assert_eq(cfg.flush_ceiling, 33);
	cr_assert(cfg.pcid);
	boot(4);
	cr_assert_eq(tlb.cpus[3].stlb.set_mask, 127, "1536 / 12 = 128 sets");
}

Test(tlb, hit_after_insert)
{
	struct tlb_stats sum;

	boot(2);
	assert_lookup(0, 1, BASE + 5 * P4K, false, TLB_MISS);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 5 * P4K, 4, 1), 4);
	tlb_insert(&tlb, 0, 1, BASE + 5 * P4K, 12, false);
	assert_lookup(0, 1, BASE + 5 * P4K, false, TLB_L1_HIT);
	assert_lookup(0, 1, BASE + 5 * P4K + 4095, false, TLB_L1_HIT);
	assert_lookup(0, 1, BASE + 6 * P4K, false, TLB_MISS);
	/* the other CPU has its own TLB; the iTLB is not the dTLB, but the STLB is shared by both */
	assert_lookup(1, 1, BASE + 5 * P4K, false, TLB_MISS);
	assert_lookup(0, 1, BASE + 5 * P4K, true, TLB_STLB_HIT);
	assert_lookup(0, 1, BASE + 5 * P4K, true, TLB_L1_HIT);
	tlb_stats_sum(&tlb, &sum);
	cr_assert_eq(sum.l1_hits, 3);
	cr_assert_eq(sum.stlb_hits, 1);
	cr_assert_eq(sum.misses, 3);
	cr_assert_eq(tlb.cpus[1].stats.misses, 1);
	cr_assert_eq(pm.cost[COST_TLB_STLB_HIT], 1);
	assert_consistent("hit_after_insert");
}

Test(tlb, asid_isolation)
{
	boot(1);
	tlb_insert(&tlb, 0, 1, BASE, 12, false);
	tlb_insert(&tlb, 0, 2, BASE + P2M, 21, false);
	assert_lookup(0, 1, BASE, false, TLB_L1_HIT);
	assert_lookup(0, 2, BASE, false, TLB_MISS);
	assert_lookup(0, 0, BASE, false, TLB_MISS);
	assert_lookup(0, 2, BASE + P2M + 77 * P4K, false, TLB_L1_HIT);
	assert_lookup(0, 1, BASE + P2M + 77 * P4K, false, TLB_MISS);
	/* flushing one ASID leaves the other's entries */
	tlb_flush_mm(&tlb, NULL, 0, 1);
	assert_lookup(0, 1, BASE, false, TLB_MISS);
	assert_lookup(0, 2, BASE + P2M, false, TLB_L1_HIT);
	assert_consistent("asid_isolation");
}

/* dTLB 64 entries 4-way: 16 sets; vpns 16 apart share a set. */
Test(tlb, lru_eviction_in_one_set)
{
	uint64_t va[5];

	boot(1);
	for (int i = 0; i < 5; i++)
		va[i] = BASE + (uint64_t)i * 16 * P4K;
	for (int i = 0; i < 4; i++)
		tlb_insert(&tlb, 0, 1, va[i], 12, false);
	assert_lookup(0, 1, va[0], false, TLB_L1_HIT);  /* va[0] MRU: va[1] is now the LRU way */
	tlb_insert(&tlb, 0, 1, va[4], 12, false);
	assert_consistent("after the fifth fill");
	for (int i = 0; i < 5; i++)
		if (i != 1)
			assert_lookup(0, 1, va[i], false, TLB_L1_HIT);
	/* recency now (MRU first): 4 3 2 0; refilling va[1] evicts va[0] */
	assert_lookup(0, 1, va[1], false, TLB_STLB_HIT);
	assert_lookup(0, 1, va[1], false, TLB_L1_HIT);
	assert_lookup(0, 1, va[2], false, TLB_L1_HIT);
	assert_lookup(0, 1, va[0], false, TLB_STLB_HIT);
	/* a page of another set was never disturbed */
	tlb_insert(&tlb, 0, 1, BASE + P4K, 12, false);
	assert_lookup(0, 1, BASE + P4K, false, TLB_L1_HIT);
	assert_consistent("lru_eviction");
}

/* STLB 1536 x 12: 128 sets; 13 pages 128 vpns apart overflow one set. */
Test(tlb, stlb_lru_eviction)
{
	boot(1);
	for (int i = 0; i < 13; i++)
		tlb_insert(&tlb, 0, 1, BASE + (uint64_t)i * 128 * P4K, 12, false);
	/* L1 holds the last 4 of this dTLB set (vpns 128 apart map to one dTLB set too) */
	for (int i = 12; i >= 9; i--)
		assert_lookup(0, 1, BASE + (uint64_t)i * 128 * P4K, false, TLB_L1_HIT);
	assert_lookup(0, 1, BASE, false, TLB_MISS);     /* the LRU of 13 left the STLB */
	for (int i = 1; i < 9; i++)
		assert_lookup(0, 1, BASE + (uint64_t)i * 128 * P4K, false, TLB_STLB_HIT);
	assert_consistent("stlb_lru");
}

Test(tlb, huge_entry_covers_512_pages)
{
	uint64_t base = BASE + 3 * P2M;

	boot(1);
	tlb_insert(&tlb, 0, 1, base + 100 * P4K, 21, false);
	for (uint64_t i = 0; i < 512; i++)
		assert_lookup(0, 1, base + i * P4K + (i & 0xfff), false, TLB_L1_HIT);
	assert_lookup(0, 1, base - P4K, false, TLB_MISS);
	assert_lookup(0, 1, base + P2M, false, TLB_MISS);
	/* the 2 MiB entry sits in the STLB too: the iTLB refills from it */
	assert_lookup(0, 1, base + 300 * P4K, true, TLB_STLB_HIT);
	assert_lookup(0, 1, base + 7 * P4K, true, TLB_L1_HIT);
	/* and it does not occupy the 4 KiB dTLB */
	for (int w = 0; w < 64; w++)
		cr_assert_eq(tlb.cpus[0].dtlb.key[w], 0);
	/* invlpg of any page inside drops the whole 2 MiB entry */
	tlb_flush_range(&tlb, NULL, 0, 1, base + 511 * P4K, base + P2M, false);
	assert_lookup(0, 1, base, false, TLB_MISS);
	assert_lookup(0, 1, base, true, TLB_MISS);
	assert_consistent("huge");
}

Test(tlb, stlb_hit_refills_l1)
{
	struct tlb_cpu *c;

	boot(1);
	c = &tlb.cpus[0];
	for (int i = 0; i < 5; i++)     /* five pages of one dTLB set: the first leaves L1 */
		tlb_insert(&tlb, 0, 1, BASE + (uint64_t)i * 16 * P4K, 12, false);
	assert_lookup(0, 1, BASE, false, TLB_STLB_HIT);
	cr_assert_eq(c->dtlb.key[0], tlb_key(BASE >> 12, 1, false), "refilled as the set's MRU way");
	assert_lookup(0, 1, BASE, false, TLB_L1_HIT);
	cr_assert_eq(c->stats.stlb_hits, 1);
	cr_assert_eq(c->stats.l1_hits, 1);
	cr_assert_eq(pm.cost[COST_TLB_STLB_HIT], 1);
	assert_consistent("refill");
}

/* ---------------------------------------------------------------- page walks */

Test(tlb, walk_references_and_walk_caches)
{
	boot(2);
	pm.cost_weight[COST_TLB_WALK] = 20;
	pm.cost_weight[COST_PWALK_REF] = 100;
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE, 4, 1), 4, "cold: every level");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 9 * P4K, 4, 1), 1, "same 2 MiB: PDE cache hit");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 5 * P2M, 4, 1), 2, "same 1 GiB: PDPTE cache hit");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 3 * P1G, 4, 1), 3, "same 512 GiB: PML4E cache hit");
	cr_assert_eq(tlb_walk(&tlb, 0, 2, BASE + 9 * P4K, 4, 1), 4, "walk caches are tagged by ASID");
	cr_assert_eq(tlb_walk(&tlb, 1, 1, BASE + 9 * P4K, 4, 1), 4, "and per CPU");
	/* huge PMD leaf: the PDE is the leaf, the PDPTE cache serves it */
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 7 * P2M, 4, 2), 1);
	cr_assert_eq(tlb_walk(&tlb, 0, 3, BASE + 7 * P2M, 4, 2), 3, "cold huge walk: levels - 1");
	cr_assert_eq(tlb_walk(&tlb, 0, 4, BASE, 5, 1), 5, "5-level cold walk");
	cr_assert_eq(tlb_walk(&tlb, 0, 4, BASE + 2 * P1G, 5, 1), 3, "5-level PML4E hit");
	cr_assert_eq(tlb.cpus[0].stats.walks, 9);
	cr_assert_eq(tlb.cpus[0].stats.walk_refs, 4 + 1 + 2 + 3 + 4 + 1 + 3 + 5 + 3);
	cr_assert_eq(pm.cost[COST_TLB_WALK], 10);
	cr_assert_eq(pm.cost[COST_PWALK_REF], 26 + 4);
	cr_assert_eq(pm.cost_cycles, 10 * 20 + 30 * 100);
	assert_consistent("walks");

	/* a flush that frees no tables keeps the walk caches */
	tlb_flush_range(&tlb, NULL, 0, 1, BASE, BASE + 4 * P4K, false);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 2 * P4K, 4, 1), 1);
	/* freed_tables drops the entries over the range: the walk costs all levels again */
	tlb_flush_range(&tlb, NULL, 0, 1, BASE, BASE + 4 * P4K, true);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 2 * P4K, 4, 1), 4);
	/* ... but not another ASID's */
	cr_assert_eq(tlb_walk(&tlb, 0, 2, BASE + 3 * P4K, 4, 1), 1);
	assert_consistent("walks after flush");
}

/* PDE cache of 32 entries, fully associative, LRU: the 33rd 2 MiB region evicts the first. */
Test(tlb, walk_cache_lru)
{
	boot(1);
	for (uint64_t i = 0; i < 33; i++)
		tlb_walk(&tlb, 0, 1, BASE + i * P2M, 4, 1);
	/* each of the 32 cached regions hits, whichever way holds it */
	for (uint64_t i = 1; i < 33; i++)
		cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + i * P2M, 4, 1), 1, "region %llu", (unsigned long long)i);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 32 * P2M, 4, 1), 1);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 1 * P2M, 4, 1), 1);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE, 4, 1), 2, "evicted from the PDE cache, PDPTE hit");
	assert_consistent("walk_cache_lru");
}

/* ---------------------------------------------------------------- flushes */

static void fill_pages(unsigned cpu, uint16_t asid, uint64_t base, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		tlb_insert(&tlb, cpu, asid, base + i * P4K, 12, false);
}

Test(tlb, flush_range_below_ceiling)
{
	boot(1);
	fill_pages(0, 1, BASE, 48);
	fill_pages(0, 2, BASE, 48);
	/* exactly the ceiling (33 pages) still goes page by page */
	tlb_flush_range(&tlb, NULL, 0, 1, BASE + 5 * P4K, BASE + 38 * P4K, false);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_pages, 33);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_full, 0);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_PAGE], 33);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_MM], 0);
	for (unsigned i = 0; i < 48; i++) {
		bool gone = i >= 5 && i < 38;

		assert_present(0, 1, BASE + i * P4K, !gone);
		assert_present(0, 2, BASE + i * P4K, true);
	}
	/* an unaligned range covers every page it touches */
	tlb_flush_range(&tlb, NULL, 0, 1, BASE + 40 * P4K + 100, BASE + 41 * P4K + 1, false);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_pages, 35);
	assert_lookup(0, 1, BASE + 40 * P4K, false, TLB_MISS);
	assert_lookup(0, 1, BASE + 41 * P4K, false, TLB_MISS);
	assert_present(0, 1, BASE + 42 * P4K, true);
	/* an empty range does nothing */
	tlb_flush_range(&tlb, NULL, 0, 1, BASE, BASE, false);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_pages, 35);
	assert_consistent("below ceiling");
}

Test(tlb, flush_range_above_ceiling)
{
	boot(1);
	fill_pages(0, 1, BASE, 40);
	fill_pages(0, 1, BASE + P1G, 4);
	fill_pages(0, 2, BASE, 40);
	tlb_walk(&tlb, 0, 1, BASE + P1G, 4, 1);
	tlb_flush_range(&tlb, NULL, 0, 1, BASE, BASE + 34 * P4K, false);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_pages, 0);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_full, 1);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_MM], 1);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_PAGE], 0);
	/* the whole ASID went, even pages outside the range, and its walk caches */
	for (unsigned i = 0; i < 40; i++)
		assert_lookup(0, 1, BASE + i * P4K, false, TLB_MISS);
	assert_lookup(0, 1, BASE + P1G, false, TLB_MISS);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + P1G, 4, 1), 4);
	for (unsigned i = 0; i < 40; i++)
		assert_present(0, 2, BASE + i * P4K, true);
	assert_consistent("above ceiling");
}

Test(tlb, shootdowns_per_cpu)
{
	uint64_t mask[MAX_NR_CPUS / 64] = { 0 };

	boot(4);
	pm.cost_weight[COST_TLB_SHOOTDOWN] = 3000;
	pm.cost_weight[COST_TLB_FLUSH_PAGE] = 200;
	for (unsigned cpu = 0; cpu < 4; cpu++)
		fill_pages(cpu, 1, BASE, 8);
	mask[0] = 1u << 0 | 1u << 1 | 1u << 3;
	mask[1] = 1;                    /* CPU 64 does not exist: ignored */
	tlb_flush_range(&tlb, mask, 0, 1, BASE, BASE + 2 * P4K, false);
	cr_assert_eq(tlb.cpus[0].stats.shootdowns_sent, 2);
	cr_assert_eq(tlb.cpus[0].stats.shootdowns_received, 0);
	cr_assert_eq(tlb.cpus[1].stats.shootdowns_received, 1);
	cr_assert_eq(tlb.cpus[2].stats.shootdowns_received, 0);
	cr_assert_eq(tlb.cpus[3].stats.shootdowns_received, 1);
	cr_assert_eq(tlb.cpus[1].stats.flushes_local_pages, 2);
	cr_assert_eq(tlb.cpus[2].stats.flushes_local_pages, 0);
	cr_assert_eq(pm.cost[COST_TLB_SHOOTDOWN], 2);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_PAGE], 2, "remote invalidations are inside the shootdown");
	cr_assert_eq(pm.cost_cycles, 2 * 3000 + 2 * 200);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		assert_lookup(cpu, 1, BASE, false, cpu == 2 ? TLB_L1_HIT : TLB_MISS);
		assert_lookup(cpu, 1, BASE + 2 * P4K, false, TLB_L1_HIT);
	}
	/* a flush from CPU 2 with the same mask: three remote CPUs, itself flushed locally */
	tlb_flush_mm(&tlb, mask, 2, 1);
	cr_assert_eq(tlb.cpus[2].stats.shootdowns_sent, 3);
	cr_assert_eq(tlb.cpus[2].stats.flushes_local_full, 1);
	cr_assert_eq(tlb.cpus[0].stats.shootdowns_received, 1);
	cr_assert_eq(pm.cost[COST_TLB_SHOOTDOWN], 5);
	for (unsigned cpu = 0; cpu < 4; cpu++)
		assert_lookup(cpu, 1, BASE + 2 * P4K, false, TLB_MISS);
	assert_consistent("shootdowns");
}

/* ---------------------------------------------------------------- context switches */

Test(tlb, switch_without_pcid_flushes)
{
	struct tlb_config cfg;

	tlb_config_default(&cfg);
	cfg.pcid = false;
	boot_cfg(&cfg, 1);
	tlb_switch_mm(&tlb, 0, 1);
	tlb_insert(&tlb, 0, 1, BASE, 12, false);
	tlb_walk(&tlb, 0, 1, BASE, 4, 1);
	tlb_switch_mm(&tlb, 0, 1);      /* same mm: nothing */
	assert_lookup(0, 1, BASE, false, TLB_L1_HIT);
	tlb_switch_mm(&tlb, 0, 2);
	tlb_switch_mm(&tlb, 0, 1);
	assert_lookup(0, 1, BASE, false, TLB_MISS);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE, 4, 1), 4, "walk caches flushed too");
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_full, 3);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_MM], 3);
	assert_consistent("no pcid");
}

Test(tlb, switch_with_pcid_keeps_entries)
{
	boot(1);
	tlb_switch_mm(&tlb, 0, 1);
	tlb_insert(&tlb, 0, 1, BASE, 12, false);
	tlb_switch_mm(&tlb, 0, 2);
	tlb_insert(&tlb, 0, 2, BASE, 12, false);
	tlb_switch_mm(&tlb, 0, 1);
	assert_lookup(0, 1, BASE, false, TLB_L1_HIT);
	assert_lookup(0, 2, BASE, false, TLB_L1_HIT);
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_full, 2, "two new ASIDs, one flush each");
	/* six slots: ASIDs 3..6 fill them, ASID 7 takes ASID 1's slot back */
	for (uint16_t a = 3; a <= 7; a++)
		tlb_switch_mm(&tlb, 0, a);
	assert_lookup(0, 1, BASE, false, TLB_MISS);
	assert_lookup(0, 2, BASE, false, TLB_L1_HIT);
	tlb_switch_mm(&tlb, 0, 2);      /* still tagged: no flush */
	cr_assert_eq(tlb.cpus[0].stats.flushes_local_full, 7);
	assert_consistent("pcid");
}

/* ---------------------------------------------------------------- bad configs */

Test(tlb, bad_configs_rejected)
{
	static const struct {
		const char *field;
		unsigned value;
		const char *needle;
	} cases[] = {
		{ "dtlb_entries", 63, "dtlb_entries 63 is not a multiple of dtlb_ways 4" },
		{ "dtlb_entries", 48, "dtlb has 12 sets" },
		{ "dtlb_ways", 0, "dtlb_ways 0" },
		{ "dtlb_2m_entries", 0, "dtlb_2m_entries 0" },
		{ "itlb_ways", 5, "itlb_entries 128 is not a multiple of itlb_ways 5" },
		{ "stlb_entries", 1548, "stlb has 129 sets" },
		{ "stlb_ways", 8192, "stlb_ways 8192" },
		{ "pwc_pde", 5000, "pwc_pde_entries 5000" },
		{ "nr_asids", 0, "nr_asids 0" },
		{ "nr_asids", 65, "nr_asids 65" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tlb_config cfg;
		char err[256] = "";
		int rc;

		tlb_config_default(&cfg);
		if (!strcmp(cases[i].field, "dtlb_entries"))
			cfg.dtlb_entries = cases[i].value;
		else if (!strcmp(cases[i].field, "dtlb_ways"))
			cfg.dtlb_ways = cases[i].value;
		else if (!strcmp(cases[i].field, "dtlb_2m_entries"))
			cfg.dtlb_2m_entries = cases[i].value;
		else if (!strcmp(cases[i].field, "itlb_ways"))
			cfg.itlb_ways = cases[i].value;
		else if (!strcmp(cases[i].field, "stlb_entries"))
			cfg.stlb_entries = cases[i].value;
		else if (!strcmp(cases[i].field, "stlb_ways"))
			cfg.stlb_ways = cases[i].value;
		else if (!strcmp(cases[i].field, "pwc_pde"))
			cfg.pwc_entries[TLB_PWC_PDE] = cases[i].value;
		else
			cfg.nr_asids = cases[i].value;
		rc = tlb_init(&tlb, &cfg, 2, &pm, err, sizeof err);
		cr_assert_eq(rc, -MM_EINVAL, "%s = %u: rc %d", cases[i].field, cases[i].value, rc);
		cr_assert(strstr(err, cases[i].needle), "message \"%s\" does not mention \"%s\"", err,
			  cases[i].needle);
		cr_assert_null(tlb.cpus, "nothing allocated on error");
	}
	{
		struct tlb_config cfg;
		char err[256] = "";

		tlb_config_default(&cfg);
		cr_assert_eq(tlb_init(&tlb, &cfg, 0, &pm, err, sizeof err), -MM_EINVAL);
		cr_assert(strstr(err, "nr_cpus 0"), "%s", err);
		cr_assert_eq(tlb_init(&tlb, &cfg, MAX_NR_CPUS + 1, &pm, err, sizeof err), -MM_EINVAL);
		cr_assert(strstr(err, "nr_cpus 1025"), "%s", err);
		cfg.pwc_entries[TLB_PWC_PML4E] = 0;     /* no such cache is fine */
		cr_assert_eq(tlb_init(&tlb, &cfg, MAX_NR_CPUS, &pm, err, sizeof err), 0, "%s", err);
		cr_assert_eq(tlb_walk(&tlb, MAX_NR_CPUS - 1, 1, BASE, 4, 1), 4);
		cr_assert_eq(tlb_walk(&tlb, MAX_NR_CPUS - 1, 1, BASE + P1G, 4, 1), 4, "no PML4E cache");
	}
}

/* tlb_check finds a broken set. */
Test(tlb, check_detects_corruption)
{
	char msg[256] = "";
	uint64_t *set;

	boot(1);
	tlb_insert(&tlb, 0, 1, BASE, 12, false);
	set = tlb.cpus[0].dtlb.key;
	set[2] = set[0];                /* a valid way after an invalid one */
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "LRU order"), "%s", msg);
	set[1] = set[0];                /* a duplicate */
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "same entry"), "%s", msg);
	set[1] = set[2] = 0;
	set[0] = tlb_key((BASE >> 12) + 1, 1, false);   /* in the wrong set */
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "belongs to set"), "%s", msg);
	set[0] = tlb_key(BASE >> 21, 1, true);          /* 2 MiB entry in the 4 KiB array */
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "2 MiB entry"), "%s", msg);
	set[0] = 0;
	tlb.cpus[0].stats.shootdowns_sent = 1;
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "shootdowns"), "%s", msg);
}

/* tlb_check finds counts that disagree with the arrays: nr_huge, walk-cache stamps, the last miss. */
Test(tlb, check_detects_bad_counts)
{
	char msg[256] = "";
	struct tlb_cpu *c;
	uint32_t saved;

	boot(1);
	c = &tlb.cpus[0];
	tlb_insert(&tlb, 0, 1, BASE, 21, false);
	cr_assert_eq(c->stlb.nr_huge, 1);
	cr_assert_eq(c->dtlb_2m.nr_huge, 1);
	c->stlb.nr_huge = 0;
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "nr_huge"), "%s", msg);
	c->stlb.nr_huge = 1;
	assert_consistent("nr_huge restored");

	/* two walks fill the PDE cache with two prefixes, stamped in order */
	tlb_walk(&tlb, 0, 1, BASE, 4, 1);
	tlb_walk(&tlb, 0, 1, BASE + P2M, 4, 1);
	cr_assert_eq(c->pwc[TLB_PWC_PDE].nr_valid, 2);
	assert_consistent("walks");
	c->pwc[TLB_PWC_PDE].stamp[1] = c->pwc[TLB_PWC_PDE].stamp[0];
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "share stamp"), "%s", msg);
	c->pwc[TLB_PWC_PDE].stamp[1] = c->pwc[TLB_PWC_PDE].clock + 1;
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "past the clock"), "%s", msg);
	c->pwc[TLB_PWC_PDE].stamp[1] = c->pwc[TLB_PWC_PDE].clock;
	saved = c->pwc[TLB_PWC_PDE].nr_valid--;
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "nr_valid"), "%s", msg);
	c->pwc[TLB_PWC_PDE].nr_valid = saved;
	assert_consistent("pwc restored");

	/* a miss remembered for the fill, then its key cached behind tlb_insert's back */
	assert_lookup(0, 1, BASE + P1G + 5 * P4K, false, TLB_MISS);
	cr_assert_eq(c->miss_key, tlb_key(((BASE + P1G) >> 12) + 5, 1, false));
	c->dtlb.key[5 * c->dtlb.ways] = c->miss_key;   /* dTLB set 5 is empty */
	cr_assert_eq(tlb_check(&tlb, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "never filled"), "%s", msg);
	c->dtlb.key[5 * c->dtlb.ways] = 0;
	tlb_insert(&tlb, 0, 1, BASE + P1G + 5 * P4K, 12, false);
	cr_assert_eq(c->miss_key, 0, "a fill forgets the miss");
	assert_lookup(0, 1, BASE + P1G + 5 * P4K, false, TLB_L1_HIT);
	assert_consistent("filled");
}

/* The walk caches evict their least recently used entry, as an LRU list would. */
Test(tlb, walk_cache_stamps_lru)
{
	struct tlb_config cfg;
	struct tlb_cpu *c;

	tlb_config_default(&cfg);
	cfg.pwc_entries[TLB_PWC_PDE] = 3;
	boot_cfg(&cfg, 1);
	c = &tlb.cpus[0];
	for (int i = 0; i < 3; i++)             /* PDE cache: regions 0, 1, 2 */
		tlb_walk(&tlb, 0, 1, BASE + (uint64_t)i * P2M, 4, 1);
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE, 4, 1), 1, "region 0 cached, now the most recent");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 3 * P2M, 4, 1), 2, "region 3: PDPTE hit, evicts region 1");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 2 * P2M, 4, 1), 1, "region 2 kept");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE, 4, 1), 1, "region 0 kept");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + P2M, 4, 1), 2, "region 1 was the LRU");
	cr_assert_eq(c->pwc[TLB_PWC_PDE].nr_valid, 3);
	/*
	 * A flush that frees tables drops region 0's entry (the last valid
	 * way fills the hole) and the PDPTE and PML4E entries over it.
	 */
	tlb_flush_range(&tlb, NULL, 0, 1, BASE, BASE + P4K, /* freed_tables */ true);
	cr_assert_eq(c->pwc[TLB_PWC_PDE].nr_valid, 2);
	assert_consistent("pwc hole filled");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE, 4, 1), 4, "region 0 and the levels above: dropped");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + 2 * P2M, 4, 1), 1, "region 2 kept");
	cr_assert_eq(tlb_walk(&tlb, 0, 1, BASE + P2M, 4, 1), 1, "region 1 kept: no eviction after the hole");
	assert_consistent("pwc lru");
}

/* ---------------------------------------------------------------- random run against a reference */

/*
 * The reference: each array is `sets` lists of `ways` entries (vpn in its
 * size's units, asid, huge) with a last-use stamp; the set is vpn % sets,
 * the victim the invalid or smallest-stamp entry.
 */
#define REF_MAX		64
#define REF_CPUS	2

struct ref_entry {
	uint64_t vpn;
	uint16_t asid;
	bool huge;
	bool valid;
	uint64_t stamp;
};

struct ref_array {
	unsigned sets, ways;
	struct ref_entry e[REF_MAX];    /* [sets][ways] */
};

struct ref_cpu {
	struct ref_array dtlb, dtlb_2m, itlb, stlb;
	struct ref_array pwc[TLB_NR_PWC];       /* one set each, vpn = va >> ref_pwc_shift[k] */
};

static const unsigned ref_pwc_shift[TLB_NR_PWC] = { 21, 30, 39 };

static struct ref_cpu ref[REF_CPUS];
static uint64_t ref_clock;

static struct ref_entry *ref_set(struct ref_array *a, uint64_t vpn)
{
	return &a->e[(vpn % a->sets) * a->ways];
}

static bool ref_touch(struct ref_array *a, uint64_t vpn, uint16_t asid, bool huge)
{
	struct ref_entry *set = ref_set(a, vpn);

	for (unsigned i = 0; i < a->ways; i++)
		if (set[i].valid && set[i].vpn == vpn && set[i].asid == asid && set[i].huge == huge) {
			set[i].stamp = ++ref_clock;
			return true;
		}
	return false;
}

static void ref_fill(struct ref_array *a, uint64_t vpn, uint16_t asid, bool huge)
{
	struct ref_entry *set = ref_set(a, vpn), *victim = NULL;

	if (!a->ways || ref_touch(a, vpn, asid, huge))
		return;
	for (unsigned i = 0; i < a->ways; i++) {
		if (!set[i].valid) {
			victim = &set[i];
			break;
		}
		if (!victim || set[i].stamp < victim->stamp)
			victim = &set[i];
	}
	*victim = (struct ref_entry){ vpn, asid, huge, true, ++ref_clock };
}

static enum tlb_result ref_lookup(unsigned cpu, uint16_t asid, uint64_t va, bool exec)
{
	struct ref_cpu *c = &ref[cpu];
	uint64_t vpn = va >> 12, hvpn = va >> 21;

	if (ref_touch(exec ? &c->itlb : &c->dtlb, vpn, asid, false) ||
	    ref_touch(exec ? &c->itlb : &c->dtlb_2m, hvpn, asid, true))
		return TLB_L1_HIT;
	if (ref_touch(&c->stlb, vpn, asid, false)) {
		ref_fill(exec ? &c->itlb : &c->dtlb, vpn, asid, false);
		return TLB_STLB_HIT;
	}
	if (ref_touch(&c->stlb, hvpn, asid, true)) {
		ref_fill(exec ? &c->itlb : &c->dtlb_2m, hvpn, asid, true);
		return TLB_STLB_HIT;
	}
	return TLB_MISS;
}

static void ref_insert(unsigned cpu, uint16_t asid, uint64_t va, bool huge, bool exec)
{
	struct ref_cpu *c = &ref[cpu];
	uint64_t vpn = va >> (huge ? 21 : 12);

	ref_fill(&c->stlb, vpn, asid, huge);
	ref_fill(exec ? &c->itlb : huge ? &c->dtlb_2m : &c->dtlb, vpn, asid, huge);
}

/*
 * The walk after a miss on a 4-level table (tlb_walk): the deepest walk
 * cache holding va's prefix decides the references; the caches below it
 * are filled.
 */
static unsigned ref_walk(unsigned cpu, uint16_t asid, uint64_t va, unsigned leaf_level)
{
	struct ref_cpu *c = &ref[cpu];
	unsigned refs = 4 - leaf_level + 1;
	int hit = TLB_NR_PWC;

	for (int k = 0; k < TLB_NR_PWC; k++) {
		if ((unsigned)k + 2 <= leaf_level)
			continue;
		if (ref_touch(&c->pwc[k], va >> ref_pwc_shift[k], asid, false)) {
			hit = k;
			refs = (unsigned)k + 2 - leaf_level;
			break;
		}
	}
	for (int k = 0; k < hit; k++)
		if ((unsigned)k + 2 > leaf_level)
			ref_fill(&c->pwc[k], va >> ref_pwc_shift[k], asid, false);
	return refs;
}

/* Drop asid's walk-cache entries overlapping [start, end) (every one when all). */
static void ref_drop_pwc(unsigned cpu, uint16_t asid, uint64_t start, uint64_t end, bool all)
{
	for (int k = 0; k < TLB_NR_PWC; k++) {
		struct ref_array *a = &ref[cpu].pwc[k];

		for (unsigned i = 0; i < a->ways; i++) {
			struct ref_entry *e = &a->e[i];
			uint64_t lo = e->vpn << ref_pwc_shift[k], hi = (e->vpn + 1) << ref_pwc_shift[k];

			if (e->valid && e->asid == asid && (all || (lo < end && start < hi)))
				e->valid = false;
		}
	}
}

/* Drop asid's entries that contain a page of [start, end) (every one when all). */
static void ref_drop(struct ref_array *a, uint16_t asid, uint64_t start, uint64_t end, bool all)
{
	for (unsigned i = 0; i < a->sets * a->ways; i++) {
		struct ref_entry *e = &a->e[i];
		uint64_t lo = e->vpn << (e->huge ? 21 : 12), hi = lo + (e->huge ? P2M : P4K);

		if (e->valid && e->asid == asid && (all || (lo < end && start < hi)))
			e->valid = false;
	}
}

static void ref_flush(unsigned cpu, uint16_t asid, uint64_t start, uint64_t end, bool all)
{
	struct ref_cpu *c = &ref[cpu];

	ref_drop(&c->dtlb, asid, start, end, all);
	ref_drop(&c->dtlb_2m, asid, start, end, all);
	ref_drop(&c->itlb, asid, start, end, all);
	ref_drop(&c->stlb, asid, start, end, all);
	if (all)
		ref_drop_pwc(cpu, asid, 0, 0, true);       /* flush_asid: the walk caches too */
}

static void ref_array_init(struct ref_array *a, unsigned entries, unsigned ways)
{
	cr_assert_leq(entries, REF_MAX);
	a->sets = entries / ways;
	a->ways = ways;
}

/*
 * 200,000 random lookups, fills and flushes on 2 CPUs, 3 ASIDs, 4 KiB and
 * 2 MiB entries over nr_regions 2 MiB regions in each of 3 GiB, of which
 * the first 12 pages are used (so 4 KiB and 2 MiB entries overlap); half
 * the misses walk and fill as mm_access() does (the fill-after-miss path).
 * Every lookup and every walk's references must be the reference's.
 */
static void random_run(const struct tlb_config *cfg, unsigned nr_regions, uint64_t seed)
{
	prng_t rng;
	uint64_t counts[3] = { 0 }, walks_cached = 0, walks_full = 0;

	boot_cfg(cfg, REF_CPUS);
	memset(ref, 0, sizeof(ref));
	ref_clock = 0;
	for (unsigned cpu = 0; cpu < REF_CPUS; cpu++) {
		ref_array_init(&ref[cpu].dtlb, cfg->dtlb_entries, cfg->dtlb_ways);
		ref_array_init(&ref[cpu].dtlb_2m, cfg->dtlb_2m_entries, cfg->dtlb_2m_ways);
		ref_array_init(&ref[cpu].itlb, cfg->itlb_entries, cfg->itlb_ways);
		ref_array_init(&ref[cpu].stlb, cfg->stlb_entries, cfg->stlb_ways);
		for (int k = 0; k < TLB_NR_PWC; k++) {
			cr_assert_leq(cfg->pwc_entries[k], REF_MAX);
			ref[cpu].pwc[k].sets = 1;
			ref[cpu].pwc[k].ways = cfg->pwc_entries[k];
		}
	}
	prng_seed(&rng, seed);
	for (int step = 0; step < 200000; step++) {
		uint64_t r = prng_next(&rng);
		unsigned cpu = r & 1;
		uint16_t asid = (uint16_t)((r >> 1) % 3);
		bool exec = (r >> 3 & 7) == 0;
		uint64_t va = BASE + ((r >> 40) % 3) * P1G + ((r >> 6) % nr_regions) * P2M +
			      ((r >> 14) % 12) * P4K;
		unsigned op = (unsigned)((r >> 20) % 100);

		if (op < 60) {
			enum tlb_result want = ref_lookup(cpu, asid, va, exec);
			enum tlb_result got = tlb_lookup(&tlb, cpu, asid, va, exec);

			cr_assert_eq(got, want, "step %d: lookup cpu %u asid %u va %#llx exec %d: %s, want %s",
				     step, cpu, asid, (unsigned long long)va, exec, result_names[got],
				     result_names[want]);
			counts[got]++;
			if (got == TLB_MISS && (r >> 44 & 1)) {
				unsigned leaf = (r >> 45 & 3) == 0 ? 2 : 1;
				unsigned want_refs = ref_walk(cpu, asid, va, leaf);
				unsigned refs = tlb_walk(&tlb, cpu, asid, va, 4, leaf);

				cr_assert_eq(refs, want_refs, "step %d: walk cpu %u asid %u va %#llx leaf %u: %u refs, want %u",
					     step, cpu, asid, (unsigned long long)va, leaf, refs, want_refs);
				walks_cached += refs < 4 - leaf + 1;
				walks_full += refs == 4 - leaf + 1;
				ref_insert(cpu, asid, va, leaf == 2, exec);
				tlb_insert(&tlb, cpu, asid, va, leaf == 2 ? 21 : 12, exec);
			}
		} else if (op < 90) {
			bool huge = (r >> 28 & 3) == 0;

			ref_insert(cpu, asid, va, huge, exec);
			tlb_insert(&tlb, cpu, asid, va, huge ? 21 : 12, exec);
		} else if (op < 98) {
			uint64_t mask[MAX_NR_CPUS / 64] = { (r >> 30) & 3 };
			uint64_t len = ((r >> 32) % 7) * P4K;    /* 0..6 pages: both sides of a ceiling of 4 */
			bool all = (len >> 12) > cfg->flush_ceiling;
			bool freed_tables = r >> 36 & 1;

			tlb_flush_range(&tlb, mask, cpu, asid, va, va + len, freed_tables);
			if (len) {
				for (unsigned c = 0; c < REF_CPUS; c++) {
					if (c != cpu && !(mask[0] >> c & 1))
						continue;
					ref_flush(c, asid, va, va + len, all);
					if (!all && freed_tables)
						ref_drop_pwc(c, asid, va, va + len, false);
				}
			}
		} else {
			tlb_flush_mm(&tlb, NULL, cpu, asid);
			ref_flush(cpu, asid, 0, 0, true);
		}
		if (step % 1000 == 0)
			assert_consistent("random");
	}
	assert_consistent("random end");
	/* the run exercised all three outcomes */
	cr_assert_gt(counts[TLB_L1_HIT], 1000);
	cr_assert_gt(counts[TLB_STLB_HIT], 1000);
	cr_assert_gt(counts[TLB_MISS], 1000);
	cr_assert_gt(walks_cached, 1000, "walks served by a walk cache: %llu", (unsigned long long)walks_cached);
	cr_assert_gt(walks_full, 1000, "walks from the top: %llu", (unsigned long long)walks_full);
}

/* Fully associative arrays: LRU order only. */
Test(tlb, random_against_reference_fully_associative)
{
	struct tlb_config cfg;

	tlb_config_default(&cfg);
	cfg.dtlb_entries = cfg.dtlb_ways = 4;
	cfg.dtlb_2m_entries = cfg.dtlb_2m_ways = 2;
	cfg.itlb_entries = cfg.itlb_ways = 4;
	cfg.stlb_entries = cfg.stlb_ways = 8;
	cfg.pwc_entries[TLB_PWC_PDE] = 2;
	cfg.pwc_entries[TLB_PWC_PDPTE] = 2;
	cfg.pwc_entries[TLB_PWC_PML4E] = 1;
	cfg.flush_ceiling = 4;
	random_run(&cfg, 2, 42);
}

/* Small set-associative arrays: set indexing of both page sizes as well. */
Test(tlb, random_against_reference_set_associative)
{
	struct tlb_config cfg;

	tlb_config_default(&cfg);
	cfg.dtlb_entries = 8;
	cfg.dtlb_ways = 2;
	cfg.dtlb_2m_entries = 4;
	cfg.dtlb_2m_ways = 2;
	cfg.itlb_entries = 8;
	cfg.itlb_ways = 4;
	cfg.stlb_entries = 32;
	cfg.stlb_ways = 4;
	cfg.pwc_entries[TLB_PWC_PDE] = 4;
	cfg.pwc_entries[TLB_PWC_PDPTE] = 1;
	cfg.pwc_entries[TLB_PWC_PML4E] = 0;     /* no such cache */
	cfg.flush_ceiling = 4;
	random_run(&cfg, 5, 7);
}
