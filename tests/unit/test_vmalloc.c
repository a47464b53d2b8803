/*
 * test_vmalloc.c - vmalloc against the kernel's rules (mm/vmalloc.c, v6.6):
 * lowest-fit placement and the four fit types on constructed layouts, guard
 * pages, page tables, the lazy purge threshold and the purge-and-retry on a
 * full range, vfree() errors, injected out-of-memory at every allocation
 * of a vmalloc() call, /proc/vmallocinfo, and a long random run against a
 * reference interval list that predicts every address.  vmalloc_check() and
 * buddy_check() run after every phase.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/buddy.h"
#include "engine/page_alloc.h"
#include "engine/phys.h"
#include "engine/prng.h"
#include "engine/vmalloc.h"

#define P		PAGE_SIZE
#define S		VMALLOC_START

static phys_t pm;
static vmalloc_t vm;

static void teardown(void)
{
	vmalloc_destroy(&vm);
	phys_destroy(&pm);
}

TestSuite(vmalloc, .fini = teardown);

/* buddy_check() and vmalloc_check() must pass. */
#define assert_consistent(phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(buddy_check(&pm, msg_, sizeof msg_), 0,		\
			     "%s: buddy_check: %s", (phase), msg_);		\
		cr_assert_eq(vmalloc_check(&vm, msg_, sizeof msg_), 0,		\
			     "%s: vmalloc_check: %s", (phase), msg_);		\
	} while (0)

/* mem_mib MiB, `cpus` CPUs, no reserved memory; vmalloc with cfg (NULL: defaults). */
static void boot(unsigned mem_mib, unsigned cpus, const struct vmalloc_config *cfg)
{
	struct phys_config pc;
	struct vmalloc_config def;
	char err[256] = "";
	int rc;

	phys_config_default(&pc);
	pc.mem_bytes = (uint64_t)mem_mib << 20;
	pc.nr_cpus = cpus;
	pc.nr_reserved = 0;
	pc.memmap_reserve = false;
	rc = phys_init(&pm, &pc, err, sizeof err);
	cr_assert_eq(rc, 0, "phys_init: %d (%s)", rc, err);
	if (!cfg) {
		vmalloc_config_default(&def);
		cfg = &def;
	}
	rc = vmalloc_init(&vm, &pm, cfg, err, sizeof err);
	cr_assert_eq(rc, 0, "vmalloc_init: %d (%s)", rc, err);
	assert_consistent("boot");
}

/* Pages free in the page allocator: buddy lists plus per-CPU lists. */
static uint64_t nr_free(void)
{
	uint64_t n = 0;

	for (unsigned z = 0; z < pm.nr_zones; z++) {
		n += pm.zones[z].nr_free_pages;
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			n += (uint64_t)pm.zones[z].pcp[c].count;
	}
	return n;
}

static struct vmalloc_stats stats(void)
{
	struct vmalloc_stats st;

	vmalloc_stats(&vm, &st);
	return st;
}

/* vmalloc of n pages on CPU 0 that must succeed. */
static uint64_t alloc_ok(uint64_t n)
{
	uint64_t a = vmalloc(&vm, n * P, GFP_KERNEL, 0);

	cr_assert_neq(a, 0, "vmalloc(%llu pages) failed", (unsigned long long)n);
	return a;
}

static void vfree_ok(uint64_t addr)
{
	cr_assert_eq(vfree(&vm, addr, 0), 0, "vfree(%#llx)", (unsigned long long)addr);
}

/* /proc/vmallocinfo into a string (caller frees). */
static char *vmallocinfo(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	dump_vmallocinfo(&vm, f);
	fclose(f);
	return buf;
}

/* ---------------------------------------------------------------- placement */

Test(vmalloc, first_areas_and_page_tables)
{
	uint64_t free0, a, b, c;

	boot(256, 2, NULL);
	free0 = nr_free();
	a = alloc_ok(1);
	cr_assert_eq(a, S, "the first area starts the range");
	cr_assert_eq(vmalloc_size(&vm, a), P);
	/* 1 data page + a PMD table (first GiB) + a PTE table (first 2 MiB) */
	cr_assert_eq(stats().pgtable_pages, 2);
	cr_assert_eq(free0 - nr_free(), 3);
	b = alloc_ok(3);
	cr_assert_eq(b, S + 2 * P, "after a's page and its guard page");
	cr_assert_eq(vmalloc_size(&vm, b), 3 * P);
	cr_assert_eq(vmalloc_size(&vm, b + P), 0, "not the start of an area");
	/* 5000 bytes round up to 2 pages */
	c = vmalloc(&vm, 5000, GFP_KERNEL, 1);
	cr_assert_eq(c, S + 6 * P);
	cr_assert_eq(vmalloc_size(&vm, c), 2 * P);
	cr_assert_eq(stats().nr_areas, 3);
	cr_assert_eq(stats().pages, 6);
	cr_assert_eq(stats().pgtable_pages, 2, "all within the first 2 MiB");
	assert_consistent("three areas");

	/*
	 * 600 pages cross into the next 2 MiB: one more PTE table, not a PMD
	 * table.  Their 4800 bytes of page pointers are a nested 2-page vmalloc
	 * right after them, allocated before the 600 pages.
	 */
	a = alloc_ok(600);
	cr_assert_eq(a, S + 9 * P);
	cr_assert_eq(stats().pgtable_pages, 3);
	cr_assert_eq(stats().nr_areas, 5);
	cr_assert_eq(vmalloc_size(&vm, S + 610 * P), 2 * P, "the page array");
	cr_assert_eq(vfree(&vm, S + 610 * P, 0), -MM_EINVAL, "not the caller's to free");
	cr_assert_eq(free0 - nr_free(), 606 + 2 + 3);
	assert_consistent("600 pages");
	vfree_ok(a);
	cr_assert_eq(stats().nr_areas, 3, "the array goes with its area");
	cr_assert_eq(stats().lazy_pages, 601 + 3);
	cr_assert_eq(free0 - nr_free(), 6 + 3);
	assert_consistent("600 pages freed");
}

Test(vmalloc, page_tables_per_gib)
{
	struct vmalloc_config cfg;
	uint64_t a;

	vmalloc_config_default(&cfg);
	boot(256, 1, &cfg);
	/* an area that starts 2 pages below a GiB boundary: two PMD tables, two PTE tables */
	a = vmalloc_node_range(&vm, 4 * P, 1, S + (1ull << 30) - 2 * P, vm.vmalloc_end,
			       GFP_KERNEL, 0, 0);
	cr_assert_eq(a, S + (1ull << 30) - 2 * P);
	cr_assert_eq(stats().pgtable_pages, 4);
	vfree_ok(a);
	vm_unmap_aliases(&vm);
	cr_assert_eq(stats().pgtable_pages, 4, "kernel page tables are never freed");
	assert_consistent("gib");
}

Test(vmalloc, guard_pages)
{
	uint64_t a, b, c, d;

	boot(256, 1, NULL);
	a = alloc_ok(4);
	b = alloc_ok(1);
	cr_assert_eq(b - a, 5 * P, "4 pages + 1 guard page");
	c = vmalloc_node_range(&vm, 2 * P, 1, S, vm.vmalloc_end, GFP_KERNEL, VM_NO_GUARD, 0);
	d = alloc_ok(1);
	cr_assert_eq(c, b + 2 * P);
	cr_assert_eq(d, c + 2 * P, "VM_NO_GUARD: the next area follows at once");
	cr_assert_eq(vmalloc_size(&vm, c), 2 * P);
	/* a freed guard-less area hands back exactly its pages */
	vfree_ok(c);
	cr_assert_eq(stats().lazy_pages, 2);
	vfree_ok(a);
	cr_assert_eq(stats().lazy_pages, 2 + 5);
	assert_consistent("guards");
}

/*
 * Holes made with lazy_purge off (every vfree goes straight back to the free
 * tree): H1 = 2 pages at S+2p, H2 = 5 pages at S+6p, then the rest of the
 * range from S+12p.
 */
static void make_holes(void)
{
	struct vmalloc_config cfg;
	uint64_t a[6];

	vmalloc_config_default(&cfg);
	cfg.lazy_purge = false;
	boot(256, 1, &cfg);
	a[0] = alloc_ok(1);       /* S      .. S+2p  */
	a[1] = alloc_ok(1);       /* S+2p   .. S+4p  (H1) */
	a[2] = alloc_ok(1);       /* S+4p   .. S+6p  */
	a[3] = alloc_ok(4);       /* S+6p   .. S+11p (H2) */
	a[4] = alloc_ok(0 + 1);   /* S+11p  .. S+13p */
	cr_assert_eq(a[4], S + 11 * P);
	vfree_ok(a[1]);
	vfree_ok(a[3]);
	cr_assert_eq(stats().nr_purges, 2, "lazy_purge off: each vfree purges");
	cr_assert_eq(stats().lazy_pages, 0);
	cr_assert_eq(vm.free_root.nr, 3, "H1, H2 and the rest");
	(void)a[5];
	assert_consistent("holes");
}

Test(vmalloc, fit_full_and_lowest)
{
	uint64_t split0, a;

	make_holes();
	split0 = pm.cost[COST_VMAP_SPLIT];
	/* 2 pages with guard: H1 is too small, H2 is the lowest fit; left edge */
	a = alloc_ok(2);
	cr_assert_eq(a, S + 6 * P);
	cr_assert_eq(vm.free_root.nr, 3, "LE fit keeps the free area");
	/* 1 page + guard fills H1 exactly: full fit removes the free area */
	a = alloc_ok(1);
	cr_assert_eq(a, S + 2 * P);
	cr_assert_eq(vm.free_root.nr, 2, "FL fit removes the free area");
	/* H2 has 2 pages left: another full fit */
	a = alloc_ok(1);
	cr_assert_eq(a, S + 9 * P);
	cr_assert_eq(vm.free_root.nr, 1);
	/* then the big area's left edge */
	a = alloc_ok(1);
	cr_assert_eq(a, S + 13 * P);
	cr_assert_eq(pm.cost[COST_VMAP_SPLIT] - split0, 4);
	assert_consistent("full and lowest");
}

Test(vmalloc, fit_right_edge)
{
	uint64_t a;

	make_holes();
	/* vstart in H2 so that the area ends where H2 ends: right edge */
	a = vmalloc_node_range(&vm, 2 * P, 1, S + 8 * P, vm.vmalloc_end, GFP_KERNEL, 0, 0);
	cr_assert_eq(a, S + 8 * P);
	cr_assert_eq(vm.free_root.nr, 3, "RE fit keeps the free area");
	/* what is left of H2 is [S+6p, S+8p): exactly one 1-page area */
	a = vmalloc_node_range(&vm, P, 1, S + 4 * P, vm.vmalloc_end, GFP_KERNEL, 0, 0);
	cr_assert_eq(a, S + 6 * P);
	cr_assert_eq(vm.free_root.nr, 2);
	assert_consistent("right edge");
}

Test(vmalloc, fit_no_edge_and_align)
{
	uint64_t a;

	make_holes();
	/* vstart inside H2 with room on both sides: no edge, the free area splits */
	a = vmalloc_node_range(&vm, P, 1, S + 7 * P, vm.vmalloc_end, GFP_KERNEL, 0, 0);
	cr_assert_eq(a, S + 7 * P);
	cr_assert_eq(vm.free_root.nr, 4, "NE fit splits the free area in two");
	/* [S+6p, S+7p) is too small for 1 page + guard; [S+9p, S+11p) fits exactly */
	a = alloc_ok(1);
	cr_assert_eq(a, S + 2 * P, "H1 first");
	a = alloc_ok(1);
	cr_assert_eq(a, S + 9 * P);
	cr_assert_eq(vm.free_root.nr, 2);
	/* alignment: 64 KiB-aligned area past the holes */
	a = vmalloc_node_range(&vm, P, 64 << 10, S, vm.vmalloc_end, GFP_KERNEL, 0, 0);
	cr_assert_eq(a, S + (64 << 10));
	cr_assert_eq(vm.free_root.nr, 3, "aligned placement splits the big area");
	cr_assert_eq(vmalloc_node_range(&vm, P, 3000, S, vm.vmalloc_end, GFP_KERNEL, 0, 0), 0,
		     "alignment not a power of two");
	cr_assert_eq(vmalloc_node_range(&vm, P, 1, S - P, vm.vmalloc_end, GFP_KERNEL, 0, 0), 0,
		     "start below the range");
	assert_consistent("no edge");
}

/* ---------------------------------------------------------------- lazy purge */

Test(vmalloc, lazy_max_pages_formula)
{
	static const unsigned cpus[] = { 1, 2, 3, 4, 8 };
	static const uint64_t fls[] = { 1, 2, 2, 3, 4 };

	for (unsigned i = 0; i < 5; i++) {
		boot(64, cpus[i], NULL);
		cr_assert_eq(vm.lazy_max, fls[i] * 8192, "%u CPUs", cpus[i]);
		teardown();
	}
}

Test(vmalloc, lazy_purge_threshold)
{
	struct vmalloc_config cfg;
	uint64_t a[40], free0, flush0, b;
	char *info;

	vmalloc_config_default(&cfg);
	cfg.lazy_max_pages = 64;
	boot(256, 2, &cfg);
	for (unsigned i = 0; i < 40; i++)
		a[i] = alloc_ok(1);       /* 2 pages each with the guard */
	free0 = nr_free();
	/* 32 frees make 64 lazy pages: not above the maximum */
	for (unsigned i = 0; i < 32; i++) {
		vfree_ok(a[i]);
		cr_assert_eq(nr_free(), free0 + i + 1, "pages go back at once");
	}
	cr_assert_eq(stats().lazy_pages, 64);
	cr_assert_eq(stats().nr_purges, 0);
	cr_assert_eq(vm.purge_root.nr, 1, "adjacent lazy areas merge on the purge tree");
	/* lazily freed space is not reused before a purge */
	b = alloc_ok(1);
	cr_assert_eq(b, a[39] + 2 * P);
	info = vmallocinfo();
	cr_assert(strstr(info, "0xffffc90000000000-0xffffc90000040000  262144 unpurged vm_area\n"),
		  "%s", info);
	free(info);
	assert_consistent("below the maximum");

	flush0 = pm.cost[COST_TLB_FLUSH_ALL];
	vfree_ok(a[32]);        /* 66 > 64: purge */
	cr_assert_eq(stats().nr_purges, 1);
	cr_assert_eq(stats().lazy_pages, 0);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_ALL] - flush0, 1, "one flush for 66 pages");
	cr_assert_eq(vm.purge_root.nr, 0);
	b = alloc_ok(1);
	cr_assert_eq(b, S, "purged space is reused, lowest first");
	assert_consistent("purged");

	/* vm_unmap_aliases() purges at once; a short range flushes page by page */
	flush0 = pm.cost[COST_TLB_FLUSH_KPAGE];
	vfree_ok(b);
	vm_unmap_aliases(&vm);
	cr_assert_eq(stats().nr_purges, 2);
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_KPAGE] - flush0, 2);
	vm_unmap_aliases(&vm);
	cr_assert_eq(stats().nr_purges, 2, "nothing to purge");
	assert_consistent("unmap aliases");
}

Test(vmalloc, purge_on_failure_then_fail)
{
	struct vmalloc_config cfg;
	uint64_t a[511], c;

	vmalloc_config_default(&cfg);
	cfg.lazy_max_pages = 1000000;
	cfg.vmalloc_bytes = 1ull << 30;
	boot(2048, 2, &cfg);
	/* 1 GiB range: 262143 usable pages (VMALLOC_END is inclusive) = 511 x (512 + guard) */
	for (unsigned i = 0; i < 511; i++) {
		a[i] = alloc_ok(512);
		cr_assert_eq(a[i], S + i * 513 * P);
	}
	cr_assert_eq(vmalloc(&vm, P, GFP_KERNEL, 0), 0, "full");
	cr_assert_eq(stats().nr_purges, 0, "nothing to purge");
	cr_assert_eq(stats().alloc_fail, 1);
	vfree_ok(a[5]);
	cr_assert_eq(stats().lazy_pages, 513);
	cr_assert_eq(stats().nr_purges, 0);
	/* no free space: purge, then retry */
	c = alloc_ok(100);
	cr_assert_eq(c, a[5]);
	cr_assert_eq(stats().nr_purges, 1);
	cr_assert_eq(stats().lazy_pages, 0);
	assert_consistent("purge and retry");
	/* 412 pages left there, and nothing lazy: a 500-page area fails without a purge */
	cr_assert_eq(vmalloc(&vm, 500 * P, GFP_KERNEL, 0), 0);
	cr_assert_eq(stats().nr_purges, 1);
	cr_assert_eq(stats().alloc_fail, 2);
	/* two neighbours freed merge into 1026 pages: 1000 pages + guard, then its page array */
	vfree_ok(a[7]);
	vfree_ok(a[8]);
	c = alloc_ok(1000);
	cr_assert_eq(c, a[7]);
	cr_assert_eq(stats().nr_purges, 2);
	cr_assert_eq(stats().nr_areas, 511 - 3 + 1 + 1 + 1, "the 100, the 1000 and its array");
	cr_assert_eq(stats().pages, 508 * 512 + 100 + 1000 + 2);
	assert_consistent("failed");
}

/* ---------------------------------------------------------------- errors */

Test(vmalloc, vfree_errors)
{
	uint64_t a, b, free0;
	struct vmalloc_stats st;

	boot(256, 2, NULL);
	a = alloc_ok(3);
	b = alloc_ok(1);
	free0 = nr_free();
	st = stats();
	cr_assert_eq(vfree(&vm, 0, 0), -MM_EINVAL);
	cr_assert_eq(vfree(&vm, a + P, 0), -MM_EINVAL, "inside an area");
	cr_assert_eq(vfree(&vm, a + 3 * P, 0), -MM_EINVAL, "the guard page");
	cr_assert_eq(vfree(&vm, b + 16 * P, 0), -MM_EINVAL, "free space");
	cr_assert_eq(vfree(&vm, a, 2), -MM_EINVAL, "no such CPU");
	cr_assert_eq(nr_free(), free0);
	cr_assert_eq(memcmp(&st, &(struct vmalloc_stats){ 0 }, sizeof(st)) != 0, 1);
	cr_assert_eq(stats().nr_areas, st.nr_areas);
	cr_assert_eq(stats().lazy_pages, 0);
	vfree_ok(a);
	cr_assert_eq(vfree(&vm, a, 0), -MM_EINVAL, "double vfree (area lazy)");
	vm_unmap_aliases(&vm);
	cr_assert_eq(vfree(&vm, a, 1), -MM_EINVAL, "double vfree (area purged)");
	cr_assert_eq(vmalloc_size(&vm, a), 0);
	cr_assert_eq(stats().nr_areas, 1);
	cr_assert_eq(nr_free(), free0 + 3);

	cr_assert_eq(vmalloc(&vm, 0, GFP_KERNEL, 0), 0, "size 0");
	cr_assert_eq(vmalloc(&vm, (vm.totalram_pages + 1) * P, GFP_KERNEL, 0), 0,
		     "more than totalram_pages");
	cr_assert_eq(vmalloc(&vm, P, GFP_KERNEL, 7), 0, "no such CPU");
	cr_assert_eq(stats().alloc_fail, 3);
	assert_consistent("errors");
}

Test(vmalloc, bad_config)
{
	struct phys_config pc;
	struct vmalloc_config cfg;
	char err[256] = "";

	phys_config_default(&pc);
	pc.mem_bytes = 64 << 20;
	cr_assert_eq(phys_init(&pm, &pc, err, sizeof err), 0, "%s", err);
	vmalloc_config_default(&cfg);
	cfg.vmalloc_bytes = 3 << 20;
	cr_assert_eq(vmalloc_init(&vm, &pm, &cfg, err, sizeof err), -MM_EINVAL);
	cr_assert(strstr(err, "vmalloc_bytes"), "%s", err);
	cfg.vmalloc_bytes = 64ull << 40;
	cr_assert_eq(vmalloc_init(&vm, &pm, &cfg, err, sizeof err), -MM_EINVAL);
	cr_assert_eq(vmalloc_init(&vm, NULL, &cfg, err, sizeof err), -MM_EINVAL);
}

/* ---------------------------------------------------------------- out of memory */

/*
 * A vmalloc() of `pages` pages over `tables` missing page-table pages makes
 * pages + tables alloc_pages() calls (the pages first, then the tables as the
 * mapping walk reaches them); make each one fail in turn.  Everything is
 * undone but the area (lazy, as the kernel's vfree() leaves it) and the page
 * tables allocated before the failure (the kernel keeps them, so the next
 * attempt needs fewer: each table is failed once as the first missing one
 * and once as the second).
 */
static void oom_fail_call(unsigned n, unsigned pages, uint64_t base, uint64_t areas0,
			  uint64_t pages0)
{
	uint64_t free0 = nr_free(), pt0 = stats().pgtable_pages, fail0 = pm.ev.alloc_injected_fail;
	uint64_t a;

	phys_fail_nth(&pm, n, 0);
	a = vmalloc_node_range(&vm, pages * P, 1, base, vm.vmalloc_end, GFP_KERNEL, 0, 1);
	phys_fail_nth(&pm, 0, 0);
	cr_assert_eq(a, 0, "call %u fails", n);
	cr_assert_eq(pm.ev.alloc_injected_fail, fail0 + 1, "call %u", n);
	cr_assert_eq(stats().nr_areas, areas0);
	cr_assert_eq(stats().pages, pages0);
	/* only the page tables allocated before call n stay */
	cr_assert_eq(stats().pgtable_pages - pt0, n <= pages ? 0 : n - pages - 1, "call %u", n);
	cr_assert_eq(free0 - nr_free(), stats().pgtable_pages - pt0, "call %u", n);
	cr_assert_eq(stats().lazy_pages, pages + 1, "the area waits for a purge");
	assert_consistent("injected failure");
	vm_unmap_aliases(&vm);
	cr_assert_eq(vm.free_root.nr, 1, "the free space is whole again");
	cr_assert_eq(nr_free() + stats().pgtable_pages, free0 + pt0);
}

static void oom_each_call(unsigned pages, uint64_t base, unsigned tables)
{
	uint64_t pt_start = stats().pgtable_pages, areas0 = stats().nr_areas, pages0 = stats().pages;
	uint64_t a;

	for (unsigned n = 1; n <= pages; n++)
		oom_fail_call(n, pages, base, areas0, pages0);
	for (unsigned missing = tables; missing > 0; missing--) {
		oom_fail_call(pages + 1, pages, base, areas0, pages0);
		if (missing >= 2)
			oom_fail_call(pages + 2, pages, base, areas0, pages0);
		cr_assert_eq(stats().pgtable_pages - pt_start, tables - missing + (missing >= 2));
	}
	a = vmalloc_node_range(&vm, pages * P, 1, base, vm.vmalloc_end, GFP_KERNEL, 0, 1);
	cr_assert_eq(a, base);
	vfree_ok(a);
	vm_unmap_aliases(&vm);
	cr_assert_eq(stats().pgtable_pages, pt_start + tables);
	assert_consistent("after the injected failures");
}

Test(vmalloc, oom_every_call_small)
{
	boot(256, 2, NULL);
	oom_each_call(2, S, 2);                 /* pfns inline; PMD and PTE table new */
}

Test(vmalloc, oom_every_call_large)
{
	boot(256, 2, NULL);
	(void)alloc_ok(1);                        /* the first GiB has its PMD table now */
	oom_each_call(40, S + (2ull << 20), 1); /* a new 2 MiB: only a PTE table */
	oom_each_call(512, S + (1ull << 30), 2); /* a new GiB, the largest kmalloc'ed array */
}

/*
 * 600 pages need a vmalloc'ed page array (2 pages), allocated before the
 * area's own pages.  Page tables exist already, so the calls are: the
 * array's 2 pages, then the 600 pages.  Whichever fails, both areas end up
 * lazy and every page comes back.
 */
Test(vmalloc, oom_page_array)
{
	static const unsigned fail_at[] = { 1, 2, 3, 300, 602 };
	uint64_t a, free0;
	char *info;

	boot(256, 2, NULL);
	vfree_ok(alloc_ok(700));        /* page tables for the first 4 MiB */
	vm_unmap_aliases(&vm);
	free0 = nr_free();
	for (unsigned k = 0; k < 5; k++) {
		phys_fail_nth(&pm, fail_at[k], 0);
		a = vmalloc(&vm, 600 * P, GFP_KERNEL, 0);
		phys_fail_nth(&pm, 0, 0);
		cr_assert_eq(a, 0, "call %u fails", fail_at[k]);
		cr_assert_eq(stats().nr_areas, 0, "call %u", fail_at[k]);
		cr_assert_eq(stats().pages, 0);
		cr_assert_eq(stats().lazy_pages, 601 + 3, "the area and its array, call %u", fail_at[k]);
		cr_assert_eq(nr_free(), free0, "call %u", fail_at[k]);
		assert_consistent("page array failure");
		vm_unmap_aliases(&vm);
	}
	phys_fail_nth(&pm, 603, 0);
	a = vmalloc(&vm, 600 * P, GFP_KERNEL, 0);
	phys_fail_nth(&pm, 0, 0);
	cr_assert_eq(a, S);
	cr_assert_eq(free0 - nr_free(), 602, "no table needed");
	info = vmallocinfo();
	cr_assert_str_eq(info,
		"0xffffc90000000000-0xffffc90000259000 2461696 pages=600 vmalloc vpages N0=600\n"
		"0xffffc90000259000-0xffffc9000025c000   12288 pages=2 vmalloc N0=2\n");
	free(info);
	assert_consistent("page array");
}

/* Out of memory for real: the machine runs dry in the middle of an area. */
Test(vmalloc, oom_exhaustion)
{
	uint64_t free0, a, n = 0;

	boot(64, 1, NULL);
	free0 = nr_free();
	a = vmalloc(&vm, (free0 + 16) * P, GFP_KERNEL, 0);
	cr_assert_eq(a, 0);
	cr_assert_eq(stats().pages, 0);
	cr_assert_eq(nr_free(), free0, "every page given back (no table was reached)");
	assert_consistent("exhausted");
	/* fill with 64-page areas until it fails, then free them all */
	uint64_t *held = malloc(free0 / 64 * sizeof(*held));
	cr_assert_not_null(held);
	while ((a = vmalloc(&vm, 64 * P, GFP_KERNEL, 0)) != 0)
		held[n++] = a;
	cr_assert_gt(n, free0 / 64 / 2);
	assert_consistent("full");
	for (uint64_t i = 0; i < n; i++)
		vfree_ok(held[i]);
	free(held);
	vm_unmap_aliases(&vm);
	cr_assert_eq(nr_free() + stats().pgtable_pages, free0);
	cr_assert_eq(vm.free_root.nr, 1);
	assert_consistent("emptied");
}

/* ---------------------------------------------------------------- /proc/vmallocinfo */

Test(vmalloc, vmallocinfo_format)
{
	uint64_t a, b;
	char *info;

	boot(256, 2, NULL);
	a = alloc_ok(1);
	b = alloc_ok(3);
	(void)vmalloc_node_range(&vm, 2 * P, 1, S, vm.vmalloc_end, GFP_KERNEL, VM_NO_GUARD, 0);
	info = vmallocinfo();
	cr_assert_str_eq(info,
		"0xffffc90000000000-0xffffc90000002000    8192 pages=1 vmalloc N0=1\n"
		"0xffffc90000002000-0xffffc90000006000   16384 pages=3 vmalloc N0=3\n"
		"0xffffc90000006000-0xffffc90000008000    8192 pages=2 vmalloc N0=2\n");
	free(info);
	vfree_ok(b);
	info = vmallocinfo();
	cr_assert_str_eq(info,
		"0xffffc90000000000-0xffffc90000002000    8192 pages=1 vmalloc N0=1\n"
		"0xffffc90000006000-0xffffc90000008000    8192 pages=2 vmalloc N0=2\n"
		"0xffffc90000002000-0xffffc90000006000   16384 unpurged vm_area\n");
	free(info);
	(void)a;
}

Test(vmalloc, vmallocinfo_numa)
{
	struct phys_config pc;
	struct vmalloc_config cfg;
	char err[256] = "", *info;
	uint64_t a[2];

	phys_config_default(&pc);
	pc.mem_bytes = 512ull << 20;
	pc.nr_nodes = 2;
	pc.nr_cpus = 2;
	pc.nr_reserved = 0;
	pc.memmap_reserve = false;
	cr_assert_eq(phys_init(&pm, &pc, err, sizeof err), 0, "%s", err);
	vmalloc_config_default(&cfg);
	cr_assert_eq(vmalloc_init(&vm, &pm, &cfg, err, sizeof err), 0, "%s", err);
	a[0] = vmalloc(&vm, 2 * P, GFP_KERNEL, 0);
	a[1] = vmalloc(&vm, 3 * P, GFP_KERNEL, pm.nr_cpus - 1);
	cr_assert(a[0] && a[1]);
	info = vmallocinfo();
	/* pages come from the allocating CPU's node */
	cr_assert(strstr(info, "pages=2 vmalloc N0=2\n"), "%s", info);
	cr_assert(strstr(info, "pages=3 vmalloc N1=3\n"), "%s", info);
	free(info);
	assert_consistent("numa");
}

/* ---------------------------------------------------------------- costs */

Test(vmalloc, cost_items)
{
	uint64_t c0[NR_COST_ITEMS], a;

	boot(256, 1, NULL);
	memcpy(c0, pm.cost, sizeof(c0));
	a = alloc_ok(5);
	cr_assert_eq(pm.cost[COST_VMAP_PTE] - c0[COST_VMAP_PTE], 5, "5 PTEs written");
	cr_assert_eq(pm.cost[COST_VMAP_SPLIT] - c0[COST_VMAP_SPLIT], 1);
	cr_assert_gt(pm.cost[COST_VMAP_NODE], c0[COST_VMAP_NODE]);
	cr_assert_eq(pm.cost[COST_PAGE_ZERO] - c0[COST_PAGE_ZERO], 2, "the two zeroed table pages");
	vfree_ok(a);
	cr_assert_eq(pm.cost[COST_VMAP_PTE] - c0[COST_VMAP_PTE], 10, "and 5 cleared");
	vm_unmap_aliases(&vm);
	cr_assert_eq(pm.cost[COST_VMAP_MERGE] - c0[COST_VMAP_MERGE], 1, "merged with the free rest");
	cr_assert_eq(pm.cost[COST_TLB_FLUSH_KPAGE] - c0[COST_TLB_FLUSH_KPAGE], 6);
}

/* ---------------------------------------------------------------- differential */

/*
 * The reference: live and lazily freed areas as a sorted interval list over
 * the same range, lowest fit over its gaps, the same purge rules, page
 * arrays over a page as nested areas, and the 2 MiB pieces ever mapped.
 * Every address and every counter of vmalloc must be the one it predicts.
 */
struct ref_area {
	uint64_t start, end;            /* bytes, guard included */
	uint64_t pages;                 /* pages mapped */
	uint64_t array;                 /* address of its page-array area, 0 if none */
	bool lazy;                      /* vfree()d, waiting for a purge */
};

struct ref {
	struct ref_area *a;             /* sorted by start */
	size_t n, cap;                  /* areas, room */
	uint64_t lazy_pages, lazy_max;  /* pages */
	uint64_t vend;                  /* VMALLOC_END of the range */
	uint64_t nr_purges, nr_live, nr_pages, nr_touched; /* expected counters */
	uint8_t touched[64];            /* 2 MiB pieces of the 1 GiB range ever mapped */
};

static void ref_purge(struct ref *r)
{
	size_t j = 0;

	if (!r->lazy_pages)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (!r->a[i].lazy)
			r->a[j++] = r->a[i];
	r->n = j;
	r->lazy_pages = 0;
	r->nr_purges++;
}

static size_t ref_find(const struct ref *r, uint64_t start)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->a[i].start == start)
			return i;
	cr_assert_fail("reference has no area at %#llx", (unsigned long long)start);
	return 0;
}

/* Lowest start in [lo, hi) with size free bytes, or 0. */
static uint64_t ref_fit(const struct ref *r, uint64_t size, uint64_t lo, uint64_t hi)
{
	uint64_t at = lo;

	for (size_t i = 0; i < r->n && r->a[i].start < hi; i++) {
		if (r->a[i].end <= at)
			continue;
		if (r->a[i].start >= at && r->a[i].start - at >= size)
			return at;
		at = r->a[i].end;
	}
	return at < hi && hi - at >= size ? at : 0;
}

/* alloc_vmap_area's rule: fit, else purge (if anything is lazy) and fit again. */
static uint64_t ref_alloc_area(struct ref *r, uint64_t size, uint64_t lo, uint64_t hi)
{
	uint64_t at = ref_fit(r, size, lo, hi);
	size_t i = 0;

	if (!at && r->lazy_pages) {
		ref_purge(r);
		at = ref_fit(r, size, lo, hi);
	}
	if (!at)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->a = realloc(r->a, r->cap * sizeof(*r->a));
		cr_assert_not_null(r->a);
	}
	while (i < r->n && r->a[i].start < at)
		i++;
	memmove(&r->a[i + 1], &r->a[i], (r->n - i) * sizeof(*r->a));
	r->a[i] = (struct ref_area){ .start = at, .end = at + size };
	r->n++;
	return at;
}

/* free_vmap_area_noflush() and the drain: lazy, purge over the maximum. */
static void ref_lazy(struct ref *r, uint64_t start)
{
	struct ref_area *a = &r->a[ref_find(r, start)];

	a->lazy = true;
	r->lazy_pages += (a->end - a->start) >> PAGE_SHIFT;
	if (r->lazy_pages > r->lazy_max)
		ref_purge(r);
}

static uint64_t ref_vmalloc(struct ref *r, uint64_t pages, uint64_t lo, uint64_t hi)
{
	uint64_t at = ref_alloc_area(r, (pages + 1) * P, lo, hi), array = 0;

	if (!at)
		return 0;
	if (pages * 8 > P) {
		array = ref_vmalloc(r, (pages * 8 + P - 1) / P, S, r->vend);
		if (!array) {
			ref_lazy(r, at);
			return 0;
		}
	}
	r->a[ref_find(r, at)].pages = pages;
	r->a[ref_find(r, at)].array = array;
	r->nr_live++;
	r->nr_pages += pages;
	for (uint64_t x = (at - S) >> 21; x <= (at + pages * P - 1 - S) >> 21; x++)
		if (!(r->touched[x / 8] & (1u << (x % 8)))) {
			r->touched[x / 8] |= (uint8_t)(1u << (x % 8));
			r->nr_touched++;
		}
	return at;
}

static void ref_vfree(struct ref *r, uint64_t start)
{
	struct ref_area a = r->a[ref_find(r, start)];

	r->nr_live--;
	r->nr_pages -= a.pages;
	ref_lazy(r, start);
	if (a.array)
		ref_vfree(r, a.array);
}

static void ref_compare(const struct ref *r, unsigned step)
{
	struct vmalloc_stats st = stats();

	cr_assert_eq(st.nr_areas, r->nr_live, "step %u: nr_areas", step);
	cr_assert_eq(st.pages, r->nr_pages, "step %u: pages", step);
	cr_assert_eq(st.lazy_pages, r->lazy_pages, "step %u: lazy_pages", step);
	cr_assert_eq(st.nr_purges, r->nr_purges, "step %u: nr_purges", step);
	/* one PMD table + the PTE tables of every 2 MiB ever mapped */
	cr_assert_eq(st.pgtable_pages, 1 + r->nr_touched, "step %u: pgtable_pages", step);
}

Test(vmalloc, differential_random)
{
	const uint64_t lo = S, hi = S + (64ull << 20);  /* the callers' window */
	struct vmalloc_config cfg;
	struct ref r = { .lazy_max = 700 };
	uint64_t free0, *live = NULL, nr_live = 0, fails = 0, allocs = 0, arrays = 0;
	prng_t rng;

	vmalloc_config_default(&cfg);
	cfg.lazy_max_pages = 700;
	cfg.vmalloc_bytes = 1ull << 30;
	boot(512, 4, &cfg);
	r.vend = vm.vmalloc_end;
	free0 = nr_free();
	live = malloc(30000 * sizeof(*live));
	cr_assert_not_null(live);
	prng_seed(&rng, 20240606);

	for (unsigned step = 0; step < 30000; step++) {
		if (nr_live == 0 || prng_below(&rng, 100) < 51) {
			uint64_t pages = prng_chance(&rng, 80000) ? prng_range(&rng, 200, 3000)
								  : prng_range(&rng, 1, 40);
			uint64_t want = ref_vmalloc(&r, pages, lo, hi);
			uint64_t a = vmalloc_node_range(&vm, pages * P, 1, lo, hi, GFP_KERNEL, 0,
							(unsigned)prng_below(&rng, 4));

			cr_assert_eq(a, want, "step %u: %llu pages at %#llx, reference %#llx", step,
				     (unsigned long long)pages, (unsigned long long)a,
				     (unsigned long long)want);
			if (!a) {
				fails++;
			} else {
				allocs++;
				arrays += pages > 512;
				cr_assert_eq(vmalloc_size(&vm, a), pages * P);
				live[nr_live++] = a;
			}
		} else {
			uint64_t k = prng_below(&rng, nr_live), a = live[k];

			live[k] = live[--nr_live];
			vfree_ok(a);
			ref_vfree(&r, a);
		}
		if (prng_chance(&rng, 2000)) {
			vm_unmap_aliases(&vm);
			ref_purge(&r);
		}
		ref_compare(&r, step);
		if (step % 1000 == 0)
			assert_consistent("random run");
	}
	cr_log_info("%llu allocs, %llu with page arrays, %llu fails, %llu purges",
		    (unsigned long long)allocs, (unsigned long long)arrays,
		    (unsigned long long)fails, (unsigned long long)r.nr_purges);
	cr_assert_gt(allocs, 10000);
	cr_assert_gt(arrays, 100, "areas with a vmalloc'ed page array");
	cr_assert_gt(fails, 10, "the window ran full now and then");
	cr_assert_gt(r.nr_purges, 50);
	assert_consistent("end of the random run");

	for (uint64_t i = 0; i < nr_live; i++)
		vfree_ok(live[i]);
	vm_unmap_aliases(&vm);
	cr_assert_eq(stats().nr_areas, 0);
	cr_assert_eq(stats().pages, 0);
	cr_assert_eq(stats().lazy_pages, 0);
	cr_assert_eq(vm.free_root.nr, 1, "the whole range is one free area again");
	cr_assert_eq(vm.busy_root.nr + vm.purge_root.nr, 0);
	cr_assert_eq(nr_free() + stats().pgtable_pages, free0, "all pages back but the tables");
	assert_consistent("all freed");
	free(live);
	free(r.a);
}

Test(vmalloc, destroy_gives_everything_back)
{
	uint64_t free0;

	boot(256, 2, NULL);
	free0 = nr_free();
	for (unsigned i = 0; i < 50; i++)
		(void)alloc_ok(1 + i * 7);
	vfree_ok(S);
	cr_assert_lt(nr_free(), free0);
	vmalloc_destroy(&vm);
	cr_assert_eq(nr_free(), free0);
	cr_assert_eq(vm.pm, NULL);
	{
		char msg[256];

		cr_assert_eq(buddy_check(&pm, msg, sizeof msg), 0, "%s", msg);
	}
}
