/*
 * test_cma.c - CMA areas (mm/cma.c) and compaction (mm/compaction.c, v6.6):
 * area placement, movable allocations in CMA pageblocks, cma_alloc()
 * migrating owned pages out of the way and retrying past busy ranges,
 * cma_release(), direct and whole-zone compaction with owner callbacks, and
 * the deferral rules.  buddy_check() runs after every phase.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buddy.h"
#include "engine/cma.h"
#include "engine/compaction.h"
#include "engine/page_alloc.h"
#include "engine/pcp.h"
#include "engine/phys.h"

static phys_t pm;

static void teardown(void)
{
	phys_destroy(&pm);
}

TestSuite(cma, .fini = teardown);

#define assert_consistent(phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(buddy_check(&pm, msg_, sizeof msg_), 0,		\
			     "%s: buddy_check: %s", (phase), msg_);		\
	} while (0)

/* ---------------------------------------------------------------- a page owner */

/*
 * The owner's rmap: where[cookie] is the pfn of its page with that cookie.
 * migrate() checks that the engine names the page the owner knows, logs the
 * move and updates where[], or refuses for refuse_cookie (a pinned page).
 */
#define MAX_COOKIES 4096

struct owner_log {
	pfn_t where[MAX_COOKIES];
	unsigned nr_moves;
	struct { pfn_t old_pfn, new_pfn; uint32_t cookie; } moves[MAX_COOKIES];
	uint32_t refuse_cookie;
	unsigned nr_refused;
};

static struct owner_log owner;

static int owner_migrate(void *ctx, pfn_t old_pfn, pfn_t new_pfn, unsigned order, uint32_t cookie)
{
	struct owner_log *o = ctx;

	cr_assert_eq(order, 0);
	cr_assert(cookie > 0 && cookie < MAX_COOKIES, "cookie %u", cookie);
	cr_assert_eq(o->where[cookie], old_pfn, "cookie %u: asked to move pfn %u, the owner has it at %u",
		     cookie, old_pfn, o->where[cookie]);
	if (cookie == o->refuse_cookie) {
		o->nr_refused++;
		return 1;
	}
	cr_assert_lt(o->nr_moves, MAX_COOKIES);
	o->moves[o->nr_moves].old_pfn = old_pfn;
	o->moves[o->nr_moves].new_pfn = new_pfn;
	o->moves[o->nr_moves++].cookie = cookie;
	o->where[cookie] = new_pfn;
	return 0;
}

static void register_owner(void)
{
	const struct phys_owner_ops ops = { "test-owner", owner_migrate, &owner };

	cr_assert_eq(phys_register_owner(&pm, 1, &ops), 0);
	cr_assert_eq(phys_register_owner(&pm, 0, &ops), -MM_EINVAL);
}

static void own(pfn_t pfn, uint32_t cookie)
{
	phys_set_owner(&pm, pfn, 1, cookie, true);
	owner.where[cookie] = pfn;
}

/* Every page the owner holds is an allocated, movable head carrying its cookie. */
static void check_owned_pages(void)
{
	for (uint32_t c = 1; c < MAX_COOKIES; c++) {
		const struct page *p;

		if (owner.where[c] == PFN_NONE)
			continue;
		p = pfn_to_page(&pm, owner.where[c]);
		cr_assert((p->flags & PG_head) && (p->flags & PG_lru) && page_owner_kind(p) == 1 &&
			  p->private == c && p->order == 0,
			  "cookie %u at pfn %u: flags %#x kind %u private %u", c, owner.where[c], p->flags,
			  page_owner_kind(p), p->private);
	}
}

static void boot(const struct phys_config *cfg)
{
	char err[256] = "";
	int rc = phys_init(&pm, cfg, err, sizeof err);

	cr_assert_eq(rc, 0, "phys_init: %d (%s)", rc, err);
	memset(&owner, 0, sizeof(owner));
	for (unsigned c = 0; c < MAX_COOKIES; c++)
		owner.where[c] = PFN_NONE;
	assert_consistent("boot");
}

/* ---------------------------------------------------------------- CMA */

/*
 * 1 GiB, default reservations (first 1 MiB, 4096 memmap pages at the top),
 * one 64 MiB area placed top-down below the memmap: pageblock aligned
 * (258048 - 16384) & ~511 = 241664, in ZONE_DMA32.
 */
#define CMA_BASE	241664u
#define CMA_COUNT	16384u

static void boot_cma(void)
{
	struct phys_config cfg;

	phys_config_default(&cfg);
	cfg.mem_bytes = 1ull << 30;
	cfg.nr_cma = 1;
	cfg.cma[0] = (struct cma_config){ .name = "test", .size = 64ull << 20, .order_per_bit = 0 };
	boot(&cfg);
	register_owner();
}

static bool in_cma(pfn_t pfn)
{
	return pfn >= CMA_BASE && pfn < CMA_BASE + CMA_COUNT;
}

/*
 * Allocate GFP_KERNEL order-9 blocks (never from CMA) until over half of
 * DMA32's free pages are CMA, so that __rmqueue() serves movable requests
 * from CMA first.  Returns the number of blocks in held[].
 */
static unsigned fill_outside_cma(pfn_t *held, unsigned max)
{
	const struct zone *z = page_zone(&pm, CMA_BASE);
	unsigned n = 0;

	drain_all_pages(&pm, NULL);
	while (z->nr_free_cma <= z->nr_free_pages / 2) {
		pfn_t pfn = alloc_pages(&pm, GFP_KERNEL, 9, 0);

		cr_assert_neq(pfn, PFN_NONE, "filler %u", n);
		cr_assert(!in_cma(pfn), "GFP_KERNEL got CMA pfn %u", pfn);
		cr_assert_lt(n, max);
		held[n++] = pfn;
		drain_all_pages(&pm, NULL);
	}
	return n;
}

static void free_fillers(const pfn_t *held, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(free_pages(&pm, held[i], 9, 0), 0);
	drain_all_pages(&pm, NULL);
}

/* nr movable pages from CMA, owned (cookie i + 1) unless i == unowned; expected at CMA_BASE + i. */
static void alloc_in_cma(unsigned nr, unsigned unowned)
{
	for (unsigned i = 0; i < nr; i++) {
		pfn_t pfn = alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 0);

		cr_assert_eq(pfn, CMA_BASE + i, "movable page %u at %u", i, pfn);
		if (i != unowned)
			own(pfn, i + 1);
	}
}

Test(cma, area_layout)
{
	const struct cma *c;
	const struct zone *z;

	boot_cma();
	c = &pm.cma[0];
	z = page_zone(&pm, CMA_BASE);
	cr_assert_eq(pm.nr_cma, 1);
	cr_assert_str_eq(c->name, "test");
	cr_assert(c->base_pfn == CMA_BASE && c->count == CMA_COUNT && c->order_per_bit == 0,
		  "base %u count %llu", c->base_pfn, (unsigned long long)c->count);
	cr_assert_eq(z->type, ZONE_DMA32);
	cr_assert(z->cma_pages == CMA_COUNT && z->nr_free_cma == CMA_COUNT);
	for (pfn_t pfn = CMA_BASE; pfn < CMA_BASE + CMA_COUNT; pfn += 512)
		cr_assert_eq(get_pageblock_migratetype(&pm, pfn), MIGRATE_CMA);
	cr_assert_eq(get_pageblock_migratetype(&pm, CMA_BASE - 1), MIGRATE_MOVABLE);
	cr_assert_eq(z->free_area[10].nr_free_mt[MIGRATE_CMA], CMA_COUNT / 1024);
}

Test(cma, movable_allocations_prefer_cma_when_it_is_most_free_memory)
{
	pfn_t held[512], pfn;
	unsigned n;

	boot_cma();
	pfn = alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 0);
	cr_assert(!in_cma(pfn), "CMA is a sixteenth of free memory: pfn %u", pfn);
	n = fill_outside_cma(held, 512);
	pfn = alloc_pages(&pm, GFP_HIGHUSER_MOVABLE, 0, 1);
	cr_assert(in_cma(pfn), "CMA is most of free memory: pfn %u", pfn);
	cr_assert_eq(get_pageblock_migratetype(&pm, pfn), MIGRATE_CMA);
	pfn = alloc_pages(&pm, GFP_KERNEL, 0, 1);
	cr_assert(pfn != PFN_NONE && !in_cma(pfn), "unmovable pfn %u", pfn);
	assert_consistent("CMA preferred");
	free_fillers(held, n);
	assert_consistent("fillers freed");
}

Test(cma, cma_alloc_migrates_owned_pages)
{
	pfn_t held[512], pfn;
	unsigned n;
	const struct cma *c;

	boot_cma();
	c = &pm.cma[0];
	n = fill_outside_cma(held, 512);
	alloc_in_cma(48, UINT32_MAX);
	free_fillers(held, n);          /* migration targets now come from normal memory */
	assert_consistent("set up");
	pfn = cma_alloc(&pm, 0, 128, 0, 1);
	cr_assert_eq(pfn, CMA_BASE);
	cr_assert_eq(owner.nr_moves, 48, "callbacks: %u", owner.nr_moves);
	for (unsigned i = 0; i < owner.nr_moves; i++) {
		cr_assert(owner.moves[i].old_pfn >= pfn && owner.moves[i].old_pfn < pfn + 128);
		cr_assert(!in_cma(owner.moves[i].new_pfn), "cookie %u moved to %u, inside the area",
			  owner.moves[i].cookie, owner.moves[i].new_pfn);
	}
	check_owned_pages();
	for (pfn_t p = pfn; p < pfn + 128; p++) {
		const struct page *pg = pfn_to_page(&pm, p);

		cr_assert((pg->flags & PG_head) && pg->order == 0 && pg->refcount == 1 && !(pg->flags & PG_lru),
			  "pfn %u of the CMA range: flags %#x order %u", p, pg->flags, pg->order);
	}
	cr_assert(c->nr_allocated == 128 && c->nr_alloc_success == 1);
	cr_assert(pm.ev.cma_alloc_success == 1 && pm.ev.cma_migrated == 48);
	assert_consistent("cma_alloc");
	cr_assert_eq(cma_release(&pm, 0, pfn, 128, 0), 0);
	cr_assert_eq(cma_release(&pm, 0, pfn, 128, 0), -MM_EINVAL);
	cr_assert(c->nr_allocated == 0 && c->nr_release == 1 && pm.ev.cma_released == 128);
	drain_all_pages(&pm, NULL);
	cr_assert_eq(page_zone(&pm, CMA_BASE)->nr_free_cma, CMA_COUNT);
	assert_consistent("cma_release");
}

Test(cma, cma_alloc_skips_an_unmovable_page)
{
	pfn_t held[512], pfn;
	unsigned n;
	const struct cma *c;

	boot_cma();
	c = &pm.cma[0];
	n = fill_outside_cma(held, 512);
	alloc_in_cma(16, 5);            /* CMA_BASE + 5 has no owner: nobody can move it */
	for (unsigned i = 0; i < 16; i++)
		if (i != 5)
			cr_assert_eq(free_pages(&pm, CMA_BASE + i, 0, 0), 0);
	free_fillers(held, n);
	pfn = cma_alloc(&pm, 0, 64, 0, 0);
	cr_assert_eq(pfn, CMA_BASE + 6, "retried past the busy page: %u", pfn);
	cr_assert_eq(c->nr_busy_retry, 6);
	cr_assert_eq(pm.ev.cma_alloc_fail, 0);
	cr_assert(pfn_to_page(&pm, CMA_BASE + 5)->flags & PG_head);
	assert_consistent("busy range skipped");
	/* no room at all: the bitmap has no 16384-page gap */
	cr_assert_eq(cma_alloc(&pm, 0, CMA_COUNT, 0, 0), PFN_NONE);
	cr_assert(c->nr_busy_retry == 6 && pm.ev.cma_alloc_fail == 1);
	cr_assert_eq(cma_release(&pm, 0, pfn, 64, 0), 0);
	/* the whole area: busy once at 0, then no room */
	cr_assert_eq(cma_alloc(&pm, 0, CMA_COUNT, 0, 0), PFN_NONE);
	cr_assert(c->nr_busy_retry == 7 && pm.ev.cma_alloc_fail == 2 && c->nr_alloc_fail == 2);
	assert_consistent("cma_alloc failures");
}

Test(cma, refusing_owner_makes_the_range_busy)
{
	pfn_t held[512], pfn;
	unsigned n;

	boot_cma();
	n = fill_outside_cma(held, 512);
	alloc_in_cma(8, UINT32_MAX);
	owner.refuse_cookie = 4;        /* CMA_BASE + 3 is pinned */
	free_fillers(held, n);
	pfn = cma_alloc(&pm, 0, 32, 0, 0);
	cr_assert_eq(pfn, CMA_BASE + 4, "pfn %u", pfn);
	cr_assert_eq(pm.cma[0].nr_busy_retry, 4);
	cr_assert_geq(owner.nr_refused, 4);
	cr_assert_eq(owner.nr_moves, 7);
	cr_assert_eq(owner.where[4], CMA_BASE + 3);
	for (uint32_t c = 1; c <= 8; c++)
		cr_assert_eq(in_cma(owner.where[c]), c == 4, "cookie %u at %u", c, owner.where[c]);
	check_owned_pages();
	assert_consistent("refused");
}

Test(cma, cma_alloc_alignment_and_release_errors)
{
	pfn_t a, b, c;

	boot_cma();
	a = cma_alloc(&pm, 0, 1, 0, 0);
	b = cma_alloc(&pm, 0, 16, 4, 0);
	c = cma_alloc(&pm, 0, 512, 9, 0);
	cr_assert(a == CMA_BASE && b == CMA_BASE + 16 && c == CMA_BASE + 512, "%u %u %u", a, b, c);
	cr_assert_eq(cma_alloc(&pm, 0, CMA_COUNT + 1, 0, 0), PFN_NONE);
	cr_assert_eq(cma_alloc(&pm, 1, 1, 0, 0), PFN_NONE);
	cr_assert_eq(cma_release(&pm, 0, CMA_BASE - 1, 1, 0), -MM_EINVAL);
	cr_assert_eq(cma_release(&pm, 0, CMA_BASE + 1, 1, 0), -MM_EINVAL);
	cr_assert_eq(cma_release(&pm, 0, a, 0, 0), -MM_EINVAL);
	cr_assert_eq(cma_release(&pm, 1, a, 1, 0), -MM_EINVAL);
	assert_consistent("errors");
	cr_assert_eq(cma_release(&pm, 0, b, 16, 0), 0);
	cr_assert_eq(cma_release(&pm, 0, a, 1, 0), 0);
	cr_assert_eq(cma_release(&pm, 0, c, 512, 0), 0);
	drain_all_pages(&pm, NULL);
	cr_assert_eq(page_zone(&pm, CMA_BASE)->nr_free_cma, CMA_COUNT);
	assert_consistent("released");
}

/* ---------------------------------------------------------------- compaction */

/*
 * 8 MiB: one DMA32 zone of four pageblocks (watermarks 32/40/48), filled to
 * the last page with movable pages (__GFP_MEMALLOC ignores watermarks), owned
 * (cookie pfn + 1) when `owned`; then every odd pfn is freed: 1024 free
 * order-0 holes and no free block above order 0.
 */
static void boot_fragmented(bool pcp, bool owned)
{
	struct phys_config cfg;
	const struct zone *z;
	unsigned n = 0;
	pfn_t pfn;

	phys_config_default(&cfg);
	cfg.mem_bytes = 8ull << 20;
	cfg.nr_cpus = 1;
	cfg.nr_reserved = 0;
	cfg.memmap_reserve = false;
	cfg.zone_dma = false;
	cfg.pcp_enabled = pcp;
	cfg.min_free_kbytes = 128;
	boot(&cfg);
	register_owner();
	while ((pfn = alloc_pages(&pm, GFP_HIGHUSER_MOVABLE | GFP_F_MEMALLOC, 0, 0)) != PFN_NONE) {
		if (owned)
			own(pfn, pfn + 1);
		n++;
	}
	cr_assert_eq(n, 2048);
	for (pfn = 1; pfn < 2048; pfn += 2) {
		cr_assert_eq(free_pages(&pm, pfn, 0, 0), 0);
		owner.where[pfn + 1] = PFN_NONE;
	}
	drain_all_pages(&pm, NULL);
	z = &pm.zones[0];
	cr_assert(z->free_area[0].nr_free == 1024 && z->nr_free_pages == 1024);
	assert_consistent("fragmented");
}

/*
 * Direct compaction for an order-4 unmovable request: the async pass skips
 * MOVABLE pageblocks, the sync-light pass migrates pageblock 0 into the
 * holes at the top of the zone and stops there, since the freed order-9
 * block can be stolen (__compact_finished after a whole pageblock).
 *
 * Regression (engine/compaction.c, isolate_migratepages, fixed): v6.6 isolate_migratepages()
 * runs isolate_migratepages_block() on one pageblock and then returns to
 * compact_zone() -> compact_finished() even when it isolated nothing.  The
 * engine's loop goes on into the next pageblock when the scan of the
 * remainder [511, 512) of pageblock 0 finds nothing, so it migrates all of
 * pageblock 1 too (512 pages instead of 256) before it checks for success.
 */
Test(cma, direct_compaction_makes_an_order4_block)
{
	unsigned outside = 0;
	pfn_t pfn;

	boot_fragmented(false, true);
	pfn = alloc_pages(&pm, GFP_KERNEL, 4, 0);
	cr_assert_neq(pfn, PFN_NONE);
	cr_assert_eq(pfn & 15, 0);
	cr_assert_eq(pm.ev.compact_success, 1);
	cr_assert_eq(pm.ev.compact_migrated, owner.nr_moves);
	cr_assert_gt(owner.nr_moves, 0);
	check_owned_pages();
	assert_consistent("direct compaction");
	cr_expect_eq(pm.ev.compact_migrated, 256, "migrated %llu pages, the kernel stops after pageblock 0",
		     (unsigned long long)pm.ev.compact_migrated);
	for (unsigned i = 0; i < owner.nr_moves; i++)
		outside += owner.moves[i].old_pfn >= 512 || owner.moves[i].new_pfn < 1536;
	cr_expect_eq(outside, 0, "%u moves not from pageblock 0 into pageblock 3", outside);
}

Test(cma, compact_memory_whole_zone)
{
	uint64_t moved;

	boot_fragmented(true, true);
	moved = compact_memory(&pm, 0);
	cr_assert_eq(moved, owner.nr_moves);
	cr_assert_eq(moved, pm.ev.compact_migrated);
	cr_assert_eq(moved, 512, "moved %llu", (unsigned long long)moved);
	/* pageblocks 0 and 1 emptied into the holes of 2 and 3 */
	cr_assert_eq(pm.zones[0].free_area[10].nr_free, 1);
	cr_assert(pfn_to_page(&pm, 0)->flags & PG_buddy);
	check_owned_pages();
	assert_consistent("compact_memory");
}

Test(cma, failed_sync_compaction_defers_the_zone)
{
	struct zone *z;

	boot_fragmented(false, false);  /* no owner: nothing can move */
	z = &pm.zones[0];
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL, 4, 0), PFN_NONE);
	cr_assert_eq(pm.ev.compact_migrated, 0);
	cr_assert_eq(z->compact_defer_shift, 1, "shift %u", z->compact_defer_shift);
	cr_assert_eq(pm.ev.compact_deferred, 0);
	/* next: async deferred (1 < 2), sync runs (2 >= 2) and defers again */
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL, 4, 0), PFN_NONE);
	cr_assert_eq(pm.ev.compact_deferred, 1);
	cr_assert_eq(z->compact_defer_shift, 2);
	assert_consistent("deferred");
}

Test(cma, compaction_deferral_rules)
{
	struct zone *z;

	boot_fragmented(false, false);
	z = &pm.zones[0];
	cr_assert(!compaction_deferred(z, 4));
	for (unsigned shift = 1; shift <= COMPACT_MAX_DEFER_SHIFT + 1; shift++) {
		unsigned expect = shift > COMPACT_MAX_DEFER_SHIFT ? COMPACT_MAX_DEFER_SHIFT : shift;

		defer_compaction(z, 4);
		cr_assert_eq(z->compact_defer_shift, expect);
		for (unsigned i = 0; i < (1u << expect) - 1; i++)
			cr_assert(compaction_deferred(z, 4), "shift %u: call %u not deferred", expect, i);
		cr_assert(!compaction_deferred(z, 4), "shift %u: call %u deferred", expect, 1u << expect);
		cr_assert(!compaction_deferred(z, 4));
	}
	/* orders below compact_order_failed are never deferred */
	compaction_defer_reset(z, 4, false);
	cr_assert_eq(z->compact_order_failed, 5);
	defer_compaction(z, 5);
	cr_assert(!compaction_deferred(z, 4));
	cr_assert(compaction_deferred(z, 5));
	defer_compaction(z, 2);
	cr_assert_eq(z->compact_order_failed, 2);
	cr_assert(compaction_deferred(z, 3));
	compaction_defer_reset(z, 3, true);
	cr_assert(z->compact_defer_shift == 0 && z->compact_considered == 0 && z->compact_order_failed == 4);
	cr_assert(!compaction_deferred(z, 5));
}

/*
 * Regression (engine/compaction.c, try_to_compact_pages, fixed): v6.6 returns
 * COMPACT_SKIPPED without compacting when the gfp lacks __GFP_IO ("GFP_NOIO
 * is really tricky context because the migration might require IO"); the
 * engine is not given the gfp and compacts anyway.
 */
Test(cma, no_direct_compaction_for_gfp_noio)
{
	pfn_t pfn;

	boot_fragmented(false, true);
	pfn = alloc_pages(&pm, GFP_KERNEL & ~(GFP_F_IO | GFP_F_FS), 4, 0);
	cr_expect_eq(owner.nr_moves, 0, "GFP_NOIO allocation migrated %u pages", owner.nr_moves);
	cr_expect_eq(pm.ev.compact_stall, 0, "compact_stall %llu", (unsigned long long)pm.ev.compact_stall);
	cr_expect_eq(pfn, PFN_NONE, "GFP_NOIO order-4 allocation succeeded through compaction");
	assert_consistent("noio");
}

/*
 * Regression (engine/page_alloc.c, direct_compact, fixed): v6.6
 * __alloc_pages_direct_compact() returns early only for COMPACT_SKIPPED; a
 * COMPACT_DEFERRED result still counts COMPACTSTALL, retries the free lists
 * and counts COMPACTFAIL.  The engine also returns early on
 * COMPACT_DEFERRED, so deferred attempts vanish from compact_stall/fail.
 */
Test(cma, deferred_direct_compaction_counts_stall_and_fail)
{
	struct zone *z;

	boot_fragmented(false, true);
	z = &pm.zones[0];
	for (unsigned i = 0; i < COMPACT_MAX_DEFER_SHIFT; i++)
		defer_compaction(z, 4);
	cr_assert_eq(alloc_pages(&pm, GFP_KERNEL, 4, 0), PFN_NONE);
	cr_assert_eq(pm.ev.compact_deferred, 2, "async and sync attempts both deferred");
	cr_assert_eq(owner.nr_moves, 0);
	cr_expect_eq(pm.ev.compact_stall, 2, "compact_stall %llu", (unsigned long long)pm.ev.compact_stall);
	cr_expect_eq(pm.ev.compact_fail, 2, "compact_fail %llu", (unsigned long long)pm.ev.compact_fail);
	assert_consistent("deferred stall");
}
