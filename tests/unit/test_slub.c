/*
 * test_slub.c - SLUB and kmalloc against the kernel's rules (mm/slub.c,
 * mm/slab_common.c, v6.6): size classes, slab geometry of the kmalloc
 * caches on a 4-CPU machine, fast and slow path transitions on constructed
 * sequences, cross-CPU frees, cpu partial draining, min_partial discard,
 * shrink, invalid frees, injected out-of-memory, krealloc and
 * kmalloc_large, a long random run against a reference interval set, and a
 * golden /proc/slabinfo.  slub_check() and buddy_check() run after every
 * phase.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "engine/page_alloc.h"
#include "engine/pcp.h"
#include "engine/phys.h"
#include "engine/prng.h"
#include "engine/slub.h"

static phys_t pm;
static slub_t sl;

static void teardown(void)
{
	slub_destroy(&sl);
	phys_destroy(&pm);
}

TestSuite(slub, .fini = teardown);

#define assert_consistent(phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(slub_check(&sl, msg_, sizeof msg_), 0,		\
			     "%s: slub_check: %s", (phase), msg_);		\
		cr_assert_eq(buddy_check(&pm, msg_, sizeof msg_), 0,		\
			     "%s: buddy_check: %s", (phase), msg_);		\
	} while (0)

static void boot_phys(unsigned mem_mib, unsigned cpus)
{
	struct phys_config cfg;
	char err[256] = "";

	phys_config_default(&cfg);
	cfg.mem_bytes = (uint64_t)mem_mib << 20;
	cfg.nr_cpus = cpus;
	cfg.nr_reserved = 0;
	cfg.memmap_reserve = false;
	cr_assert_eq(phys_init(&pm, &cfg, err, sizeof err), 0, "phys_init: %s", err);
}

static void boot_cfg(unsigned mem_mib, unsigned cpus, const struct slub_config *scfg)
{
	char err[256] = "";

	boot_phys(mem_mib, cpus);
	cr_assert_eq(slub_init(&sl, &pm, scfg, err, sizeof err), 0, "slub_init: %s", err);
	assert_consistent("boot");
}

static void boot(unsigned mem_mib, unsigned cpus)
{
	struct slub_config scfg;

	slub_config_default(&scfg);
	boot_cfg(mem_mib, cpus, &scfg);
}

/* Free pages as the page allocator sees them: buddy lists plus per-CPU lists. */
static uint64_t free_pages_total(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < pm.nr_zones; i++) {
		n += pm.zones[i].nr_free_pages;
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			n += (uint64_t)pm.zones[i].pcp[c].count;
	}
	return n;
}

static struct slub_stats stats_of(const struct kmem_cache *c)
{
	struct slub_stats st;

	slub_stats(&sl, c, &st);
	return st;
}

/* ---------------------------------------------------------------- size classes */

static const unsigned class_sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };

Test(slub, kmalloc_index_and_slab)
{
	boot(64, 4);
	cr_assert_eq(kmalloc_index(0), 0);
	for (size_t size = 1; size <= KMALLOC_MAX_CACHE_SIZE; size++) {
		unsigned want = 0;
		int idx = kmalloc_index(size);
		struct kmem_cache *c = kmalloc_slab(&sl, size, GFP_KERNEL);

		for (unsigned i = 0; i < sizeof(class_sizes) / sizeof(class_sizes[0]); i++)
			if (class_sizes[i] >= size) {
				want = class_sizes[i];
				break;
			}
		cr_assert_not_null(c, "size %zu", size);
		cr_assert_eq(c->object_size, want, "size %zu: cache %s", size, c->name);
		cr_assert_eq(idx == 1 ? 96u : idx == 2 ? 192u : 1u << idx, want, "kmalloc_index(%zu) = %d",
			     size, idx);
		cr_assert(!strncmp(c->name, "kmalloc-", 8) && !strchr(c->name + 8, '-'), "%s", c->name);
	}
	cr_assert_eq(kmalloc_index(8193), 14);
	cr_assert_eq(kmalloc_index(16384), 14);
	cr_assert_eq(kmalloc_index(16385), 15);
	cr_assert_eq(kmalloc_index((size_t)64 << 20), 26);
	cr_assert_eq(kmalloc_index(((size_t)64 << 20) + 1), -1);
	cr_assert_null(kmalloc_slab(&sl, 0, GFP_KERNEL));
	cr_assert_null(kmalloc_slab(&sl, 8193, GFP_KERNEL));
	/* kmalloc_type() */
	cr_assert_str_eq(kmalloc_slab(&sl, 100, GFP_KERNEL | GFP_F_RECLAIMABLE)->name, "kmalloc-rcl-128");
	cr_assert_str_eq(kmalloc_slab(&sl, 100, GFP_KERNEL_ACCOUNT)->name, "kmalloc-cg-128");
	cr_assert_str_eq(kmalloc_slab(&sl, 3000, GFP_KERNEL | GFP_DMA)->name, "dma-kmalloc-4k");
	cr_assert_str_eq(kmalloc_slab(&sl, 100, GFP_KERNEL_ACCOUNT | GFP_F_RECLAIMABLE)->name,
			 "kmalloc-rcl-128");
	cr_assert_str_eq(kmalloc_slab(&sl, 8, GFP_ATOMIC)->name, "kmalloc-8");
}

/*
 * /proc/slabinfo of a 4-CPU 6.x kernel (min_objects 16, slub_max_order 3):
 * objperslab and pagesperslab of kmalloc-8 .. kmalloc-8k.
 */
Test(slub, kmalloc_geometry_4cpu)
{
	static const struct { const char *name; unsigned size, objs, pages, min_partial, cpu_partial; } want[] = {
		{ "kmalloc-8", 8, 512, 1, 5, 120 },     { "kmalloc-16", 16, 256, 1, 5, 120 },
		{ "kmalloc-32", 32, 128, 1, 5, 120 },   { "kmalloc-64", 64, 64, 1, 5, 120 },
		{ "kmalloc-96", 96, 42, 1, 5, 120 },    { "kmalloc-128", 128, 32, 1, 5, 120 },
		{ "kmalloc-192", 192, 21, 1, 5, 120 },  { "kmalloc-256", 256, 16, 1, 5, 52 },
		{ "kmalloc-512", 512, 16, 2, 5, 52 },   { "kmalloc-1k", 1024, 16, 4, 5, 24 },
		{ "kmalloc-2k", 2048, 16, 8, 5, 24 },   { "kmalloc-4k", 4096, 8, 8, 6, 6 },
		{ "kmalloc-8k", 8192, 4, 8, 6, 6 },     { "kmem_cache_node", 64, 64, 1, 5, 120 },
		{ "kmem_cache", 256, 16, 1, 5, 52 },
	};

	boot(64, 4);
	cr_assert_eq(sl.min_objects, 16);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct kmem_cache *c = slub_find_cache(&sl, want[i].name);

		cr_assert_not_null(c, "%s", want[i].name);
		cr_assert_eq(c->size, want[i].size, "%s size", want[i].name);
		cr_assert_eq(c->oo_objects, want[i].objs, "%s objperslab %u", want[i].name, c->oo_objects);
		cr_assert_eq(1u << c->oo_order, want[i].pages, "%s pagesperslab", want[i].name);
		cr_assert_eq(c->min_partial, want[i].min_partial, "%s min_partial %u", want[i].name,
			     c->min_partial);
		cr_assert_eq(c->cpu_partial, want[i].cpu_partial, "%s cpu_partial", want[i].name);
		cr_assert_eq(c->cpu_partial_slabs, (2 * want[i].cpu_partial + want[i].objs - 1) / want[i].objs,
			     "%s cpu_partial_slabs %u", want[i].name, c->cpu_partial_slabs);
		cr_assert_eq(c->min_order, slub_get_order(c->size));
	}
	/* 13 classes x 4 types + 2 boot caches */
	cr_assert_eq(sl.nr_caches, 13 * 4 + 2);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-rcl-1k")->allocflags, GFP_F_COMP | GFP_F_RECLAIMABLE);
	cr_assert_eq(slub_find_cache(&sl, "dma-kmalloc-8")->allocflags, GFP_DMA);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-8k")->align, 8192);
}

Test(slub, geometry_follows_config)
{
	struct slub_config cfg;

	/* 8 CPUs: min_objects 4 * (fls(8) + 1) = 20 */
	boot(64, 8);
	cr_assert_eq(sl.min_objects, 20);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-256")->oo_objects, 32);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-256")->oo_order, 1);
	teardown();
	/* slub_max_order=0: one 8 KiB object on an order-1 slab (the MAX_ORDER fallback) */
	slub_config_default(&cfg);
	cfg.max_order = 0;
	boot_cfg(64, 4, &cfg);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-8k")->oo_order, 1);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-8k")->oo_objects, 1);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-2k")->oo_objects, 2);
	teardown();
	/* slub_min_order=2, slub_min_objects=4 */
	slub_config_default(&cfg);
	cfg.min_order = 2;
	cfg.min_objects = 4;
	boot_cfg(64, 4, &cfg);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-64")->oo_order, 2);
	cr_assert_eq(slub_find_cache(&sl, "kmalloc-64")->oo_objects, 256);
	cr_assert_eq(calculate_order(&sl, 4096), 2);
	teardown();
	slub_config_default(&cfg);
	cfg.max_order = 11;
	boot_phys(64, 4);
	{
		char err[128] = "";

		cr_assert_eq(slub_init(&sl, &pm, &cfg, err, sizeof err), -MM_EINVAL);
		cr_assert(strstr(err, "slub_max_order"), "%s", err);
	}
}

Test(slub, custom_cache_layout)
{
	struct kmem_cache *c;

	boot(64, 4);
	c = kmem_cache_create(&sl, "hw100", 100, 0, SLAB_HWCACHE_ALIGN);
	cr_assert_not_null(c);
	cr_assert_eq(c->align, 64);
	cr_assert_eq(c->size, 128);
	cr_assert_eq(c->offset, 48);            /* ALIGN_DOWN(100 / 2, 8) */
	c = kmem_cache_create(&sl, "hw20", 20, 0, SLAB_HWCACHE_ALIGN);
	cr_assert_eq(c->align, 32);             /* the cache line halved while size <= half */
	cr_assert_eq(c->size, 32);
	c = kmem_cache_create(&sl, "rcu", 24, 0, SLAB_TYPESAFE_BY_RCU);
	cr_assert_eq(c->offset, 24);
	cr_assert_eq(c->size, 32);
	cr_assert_eq(c->inuse, 24);
	c = kmem_cache_create(&sl, "al512", 40, 512, 0);
	cr_assert_eq(c->size, 512);
	cr_assert_null(kmem_cache_create(&sl, "zero", 0, 0, 0));
	cr_assert_null(kmem_cache_create(&sl, "badalign", 64, 48, 0));
	cr_assert_null(kmem_cache_create(&sl, "badflag", 64, 0, 0x80000000u));
	cr_assert_null(kmem_cache_create(&sl, NULL, 64, 0, 0));
	cr_assert_null(kmem_cache_create(&sl, "huge", (4u << 20) + 1, 0, 0));
	assert_consistent("created");
}

/* ---------------------------------------------------------------- path transitions */

Test(slub, fast_slow_transitions_and_cross_cpu_free)
{
	struct kmem_cache *c;
	uint64_t a[32], b, r, x;
	uint64_t fast0;

	boot(64, 4);
	c = kmem_cache_create(&sl, "t256", 256, 0, 0);
	cr_assert_eq(c->oo_objects, 16);
	cr_assert_eq(c->cpu_partial_slabs, 7);
	a[0] = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	cr_assert_eq(c->ev.alloc_slowpath, 1);
	cr_assert_eq(c->ev.alloc_slab, 1);
	fast0 = pm.cost[COST_SLAB_ALLOC_FAST];
	for (int i = 1; i < 16; i++) {
		a[i] = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
		cr_assert_eq(a[i], a[i - 1] + 256, "objects in address order");
	}
	cr_assert_eq(c->ev.alloc_fastpath, 15);
	cr_assert_eq(pm.cost[COST_SLAB_ALLOC_FAST] - fast0, 15);
	a[16] = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);       /* slab A full: slab B */
	cr_assert_eq(c->ev.alloc_slowpath, 2);
	cr_assert_eq(c->ev.alloc_slab, 2);
	cr_assert_eq(stats_of(c).nr_slabs, 2);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 0);
	assert_consistent("two slabs");

	cr_assert_eq(kmem_cache_free(&sl, c, a[16], 0), 0);     /* own cpu slab: fast */
	cr_assert_eq(c->ev.free_fastpath, 1);
	cr_assert_eq(kmem_cache_free(&sl, c, a[0], 0), 0);      /* full slab A: frozen to cpu partial */
	cr_assert_eq(c->ev.free_slowpath, 1);
	cr_assert_eq(c->ev.cpu_partial_free, 1);
	cr_assert_eq(stats_of(c).nr_cpu_partial_slabs, 1);
	cr_assert_eq(kmem_cache_free(&sl, c, a[1], 1), 0);      /* frozen slab from cpu 1 */
	cr_assert_eq(c->ev.free_slowpath, 2);
	cr_assert_eq(c->ev.cpu_partial_free, 1);
	assert_consistent("frees");

	b = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);            /* LIFO cpu freelist */
	cr_assert_eq(b, a[16]);
	for (int i = 17; i < 32; i++)
		a[i] = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	cr_assert_eq(c->ev.alloc_slab, 2, "slab B holds 16");
	x = a[20];
	cr_assert_eq(kmem_cache_free(&sl, c, x, 2), 0);         /* remote free into cpu 0's slab */
	r = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);            /* get_freelist() takes it */
	cr_assert_eq(r, x);
	cr_assert_eq(c->ev.alloc_slab, 2);
	r = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);            /* B full: cpu partial slab A */
	cr_assert_eq(c->ev.cpu_partial_alloc, 1);
	cr_assert_eq(r, a[1], "the last object freed into A comes first");
	cr_assert_eq(stats_of(c).nr_cpu_partial_slabs, 0);
	assert_consistent("refills");

	/* shrink: A (one free) to the node list; cpu 3 then takes it from there */
	cr_assert_eq(kmem_cache_shrink(&sl, c, 0), 1);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 1);
	cr_assert_eq(stats_of(c).nr_cpu_slabs, 0);
	r = kmem_cache_alloc(&sl, c, GFP_KERNEL, 3);
	cr_assert_eq(r, a[0]);
	cr_assert_eq(c->ev.alloc_from_partial, 1);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 0);
	cr_assert_eq(stats_of(c).active_objs, 32);
	assert_consistent("node partial");
}

Test(slub, cpu_partial_drain_and_get_partial_node)
{
	struct kmem_cache *c;
	uint64_t a[320], r;

	boot(64, 4);
	c = kmem_cache_create(&sl, "t256", 256, 0, 0);
	for (int i = 0; i < 320; i++)
		cr_assert_neq(a[i] = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0), 0);
	cr_assert_eq(c->ev.alloc_slab, 20);
	/* one object of each full slab from cpu 1: 19 freezes, drained at 7 */
	for (int k = 0; k < 19; k++)
		cr_assert_eq(kmem_cache_free(&sl, c, a[16 * k], 1), 0);
	cr_assert_eq(c->ev.cpu_partial_free, 19);
	cr_assert_eq(c->ev.cpu_partial_drain, 2);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 14);
	cr_assert_eq(stats_of(c).partial_free_objs, 14);
	cr_assert_eq(stats_of(c).nr_cpu_partial_slabs, 5);
	assert_consistent("drained");
	/* cpu 2: the node list head becomes its slab, 4 more (> 7 / 2) its partials */
	r = kmem_cache_alloc(&sl, c, GFP_KERNEL, 2);
	cr_assert_eq(r, a[16 * 6], "unfrozen newest first onto the tail");
	cr_assert_eq(c->ev.alloc_from_partial, 1);
	cr_assert_eq(c->ev.cpu_partial_node, 4);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 9);
	cr_assert_eq(stats_of(c).nr_cpu_partial_slabs, 9);
	assert_consistent("get_partial_node");
	slub_shrink_all(&sl);
	cr_assert_eq(stats_of(c).nr_cpu_partial_slabs, 0);
	cr_assert_eq(stats_of(c).nr_cpu_slabs, 0);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 18);      /* 9 + cpu 1's 5 + cpu 2's 4 */
	assert_consistent("shrunk");
}

Test(slub, min_partial_discard_and_shrink)
{
	struct slub_config cfg;
	struct kmem_cache *c;
	uint64_t a[160];
	uint64_t before;

	slub_config_default(&cfg);
	cfg.cpu_partial_enabled = false;
	boot_cfg(64, 4, &cfg);
	c = kmem_cache_create(&sl, "t256", 256, 0, 0);
	cr_assert_eq(c->cpu_partial_slabs, 0);
	cr_assert_eq(c->min_partial, 5);
	before = free_pages_total();
	for (int i = 0; i < 160; i++)
		a[i] = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	cr_assert_eq(stats_of(c).nr_slabs, 10);
	/* empty the 9 full slabs from cpu 1: the first 4 stay, then each is discarded */
	for (int i = 0; i < 144; i++)
		cr_assert_eq(kmem_cache_free(&sl, c, a[i], 1), 0);
	cr_assert_eq(c->ev.free_slab, 5);
	cr_assert_eq(stats_of(c).nr_partial_slabs, 4);
	cr_assert_eq(stats_of(c).nr_slabs, 5);
	cr_assert_eq(stats_of(c).partial_free_objs, 64);
	assert_consistent("discarded");
	for (int i = 144; i < 160; i++)                         /* into cpu 0's frozen slab */
		cr_assert_eq(kmem_cache_free(&sl, c, a[i], 1), 0);
	cr_assert_eq(stats_of(c).nr_slabs, 5);
	cr_assert_eq(kmem_cache_shrink(&sl, c, 0), 0);
	cr_assert_eq(stats_of(c).nr_slabs, 0);
	cr_assert_eq(c->ev.free_slab, 10);
	cr_assert_eq(c->nr_pages, 0);
	drain_all_pages(&pm, NULL);
	cr_assert_geq(free_pages_total(), before, "every slab page returned");
	assert_consistent("shrunk");
}

/* ---------------------------------------------------------------- errors */

/* A fingerprint of the allocator state that an invalid free must not change. */
static char *state_dump(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct slub_stats st;

	dump_slabinfo(&sl, f);
	slub_stats(&sl, NULL, &st);
	fwrite(&st, sizeof(st), 1, f);
	fwrite(pm.cost, sizeof(pm.cost), 1, f);
	fclose(f);
	return buf;
}

Test(slub, invalid_frees_change_nothing)
{
	struct kmem_cache *c, *d;
	uint64_t x, y, big, other;
	pfn_t pfn;
	char *s0, *s1;

	boot(64, 4);
	c = kmem_cache_create(&sl, "c64", 64, 0, 0);
	d = kmem_cache_create(&sl, "d64", 64, 0, 0);
	x = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	y = kmalloc(&sl, 100, GFP_KERNEL, 1);
	big = kmalloc(&sl, 20000, GFP_KERNEL, 2);
	cr_assert(x && y && big);
	cr_assert_eq(kmem_cache_free(&sl, c, x, 0), 0);
	pfn = alloc_pages(&pm, GFP_KERNEL, 0, 0);
	other = PAGE_OFFSET + ((uint64_t)pfn << PAGE_SHIFT);
	s0 = state_dump();
	cr_assert_eq(kmem_cache_free(&sl, c, x, 0), -MM_EINVAL, "double free");
	cr_assert_eq(kfree(&sl, x, 3), -MM_EINVAL, "double kfree");
	cr_assert_eq(kfree(&sl, y + 8, 1), -MM_EINVAL, "inside an object");
	cr_assert_eq(kfree(&sl, 0x12345678, 1), -MM_EINVAL, "below the direct map");
	cr_assert_eq(kfree(&sl, PAGE_OFFSET + (64ull << 20), 1), -MM_EINVAL, "beyond memory");
	cr_assert_eq(kfree(&sl, other, 1), -MM_EINVAL, "a page that is not a slab");
	cr_assert_eq(kfree(&sl, big + PAGE_SIZE, 1), -MM_EINVAL, "a large kmalloc's tail");
	cr_assert_eq(kfree(&sl, big + 64, 1), -MM_EINVAL, "inside a large kmalloc");
	cr_assert_eq(kmem_cache_free(&sl, d, y, 1), -MM_EINVAL, "another cache's object");
	cr_assert_eq(kmem_cache_free(&sl, NULL, y, 1), -MM_EINVAL);
	cr_assert_eq(ksize(&sl, x), 0);
	cr_assert_eq(krealloc(&sl, x, 10, GFP_KERNEL, 0), 0);
	c->ev.invalid_free = d->ev.invalid_free = 0;
	sl.ev.invalid_free = 0;
	s1 = state_dump();
	cr_assert(!strcmp(s0, s1) && !memcmp(s0, s1, strlen(s0)), "state changed by invalid frees");
	free(s0);
	free(s1);
	cr_assert_eq(kfree(&sl, 0, 0), 0);
	cr_assert_eq(kfree(&sl, ZERO_SIZE_PTR, 0), 0);
	cr_assert_eq(kfree(&sl, big, 2), 0);
	cr_assert_eq(kfree(&sl, big, 2), -MM_EINVAL, "large double free");
	cr_assert_eq(kfree(&sl, y, 1), 0);
	free_pages(&pm, pfn, 0, 0);
	assert_consistent("invalid frees");
}

Test(slub, destroy_busy_cache)
{
	struct kmem_cache *c;
	uint64_t x;
	uint64_t kc_active;

	boot(64, 4);
	kc_active = sl.kmem_cache->nr_active;
	c = kmem_cache_create(&sl, "busy", 512, 0, SLAB_RECLAIM_ACCOUNT);
	cr_assert_eq(sl.kmem_cache->nr_active, kc_active + 1);
	x = kmem_cache_alloc(&sl, c, GFP_KERNEL, 1);
	cr_assert_eq(get_pageblock_migratetype(&pm, (pfn_t)((x - PAGE_OFFSET) >> PAGE_SHIFT)),
		     MIGRATE_RECLAIMABLE);
	cr_assert_eq(kmem_cache_destroy(&sl, c, 0), -MM_EBUSY);
	cr_assert_eq(slub_find_cache(&sl, "busy"), c);
	assert_consistent("busy");
	cr_assert_neq(kmem_cache_alloc(&sl, c, GFP_KERNEL, 2), 0, "still usable");
	cr_assert_eq(kmem_cache_destroy(&sl, slub_find_cache(&sl, "kmalloc-64"), 0), -MM_EINVAL);
	cr_assert_eq(kmem_cache_destroy(&sl, sl.kmem_cache, 0), -MM_EINVAL);
	kmem_cache_shrink(&sl, c, 0);
	cr_assert_eq(kmem_cache_free(&sl, c, x, 3), 0);
	cr_assert_eq(kmem_cache_destroy(&sl, c, 0), -MM_EBUSY);
	cr_assert_eq(kfree(&sl, x + c->size, 0), 0);
	cr_assert_eq(kmem_cache_destroy(&sl, c, 0), 0);
	cr_assert_null(slub_find_cache(&sl, "busy"));
	cr_assert_eq(sl.kmem_cache->nr_active, kc_active);
	assert_consistent("destroyed");
}

/*
 * kfree() first tries the cpu slab of the cache its CPU last allocated from
 * (free_hint) by address range, then looks the page up in the memmap: both
 * find the same objects, count the same, and refuse the same addresses.
 */
Test(slub, free_hint_and_lookup_agree)
{
	struct kmem_cache *c, *k192;
	uint64_t a, b, tail, fast0, w;
	char *s0, *s1;

	boot(64, 4);
	c = kmem_cache_create(&sl, "hint64", 64, 0, 0);
	k192 = kmalloc_slab(&sl, 150, GFP_KERNEL);
	a = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	b = kmalloc(&sl, 150, GFP_KERNEL, 0);
	cr_assert_eq(sl.free_hint[0], &k192->cpu_slab[0], "cpu 0 last allocated from kmalloc-192");
	fast0 = pm.cost[COST_SLAB_FREE_FAST];
	cr_assert_eq(kfree(&sl, a, 0), 0);              /* the hint misses, the memmap finds it */
	cr_assert_eq(c->ev.free_fastpath, 1, "c's cpu slab: the fast path all the same");
	cr_assert_eq(pm.cost[COST_SLAB_FREE_FAST] - fast0, 1);
	cr_assert_eq(c->nr_active, 0);
	cr_assert_eq(kfree(&sl, b, 0), 0);              /* the hint hits */
	cr_assert_eq(k192->ev.free_fastpath, 1);
	cr_assert_eq(pm.cost[COST_SLAB_FREE_FAST] - fast0, 2);
	cr_assert_eq(k192->nr_active, 0);
	cr_assert_eq(k192->bytes_requested, 0);
	assert_consistent("hinted frees");

	/* addresses in the hinted cpu slab that are no live object: nothing changes */
	b = kmalloc(&sl, 150, GFP_KERNEL, 0);
	tail = k192->cpu_slab[0].base + (uint64_t)k192->oo_objects * k192->size;
	cr_assert_lt(tail, k192->cpu_slab[0].base + (PAGE_SIZE << k192->oo_order), "a leftover tail");
	s0 = state_dump();
	cr_assert_eq(kfree(&sl, b + 8, 0), -MM_EINVAL, "inside an object");
	cr_assert_eq(kfree(&sl, b + k192->size, 0), -MM_EINVAL, "a free object");
	cr_assert_eq(kfree(&sl, tail, 0), -MM_EINVAL, "past the last object");
	cr_assert_eq(kmem_cache_free(&sl, c, b, 0), -MM_EINVAL, "another cache's cpu slab");
	cr_assert_eq(kmem_cache_free(&sl, k192, b + 8, 0), -MM_EINVAL, "inside an object");
	s1 = state_dump();
	cr_assert(!strcmp(s0, s1) && !memcmp(s0, s1, strlen(s0)), "state changed by invalid frees");
	free(s0);
	free(s1);
	cr_assert_eq(kfree(&sl, b, 0), 0);
	cr_assert_eq(kfree(&sl, b, 0), -MM_EINVAL, "double free into the cpu slab");
	assert_consistent("refused");

	/* the hint of a destroyed cache moves to one that lives */
	w = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	cr_assert_eq(sl.free_hint[0], &c->cpu_slab[0]);
	cr_assert_eq(kmem_cache_free(&sl, c, w, 0), 0);
	cr_assert_eq(kmem_cache_destroy(&sl, c, 0), 0);
	cr_assert_eq(sl.free_hint[0], &sl.kmem_cache_node->cpu_slab[0]);
	assert_consistent("hinted cache destroyed");
	b = kmalloc(&sl, 150, GFP_KERNEL, 1);
	cr_assert_eq(kfree(&sl, b, 0), 0, "a remote free after the hint moved");
	cr_assert_eq(k192->ev.free_slowpath, 1);
	assert_consistent("after destroy");
}

/* obj_offset_to_index(): a / size and a % size == 0, exactly, from the reciprocal */
Test(slub, obj_offset_to_index_exact)
{
	static const unsigned sizes[] = { 8, 24, 96, 192, 200, 1000, 3000, 4096, 8192 };
	prng_t rng;

	/* every slot size up to 8 KiB (multiples of 8), every offset of a 32 KiB slab */
	for (uint32_t size = 8; size <= KMALLOC_MAX_CACHE_SIZE; size += 8) {
		uint64_t reciprocal = UINT64_MAX / size + 1;    /* set_reciprocal() */

		for (uint32_t a = 0; a < 32768; a++) {
			uint32_t idx;
			bool start = obj_offset_to_index(reciprocal, a, &idx);

			if (idx != a / size || start != (a % size == 0))
				cr_assert_fail("size %u offset %u: index %u, object start %d", size, a, idx,
					       start);
		}
	}
	/* caches' own reciprocals, offsets up to a MAX_ORDER slab */
	boot(64, 4);
	prng_seed(&rng, 7);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kmem_cache *c = kmem_cache_create(&sl, "recip", sizes[i], 0, 0);

		cr_assert_not_null(c);
		for (unsigned k = 0; k < 200000; k++) {
			uint32_t a = (uint32_t)prng_below(&rng, PAGE_SIZE << pm.max_order), idx;
			bool start;

			if (k & 1)
				a -= a % c->size;
			start = obj_offset_to_index(c->reciprocal, a, &idx);
			if (idx != a / c->size || start != (a % c->size == 0))
				cr_assert_fail("size %u offset %u: index %u, object start %d", c->size, a, idx,
					       start);
		}
		cr_assert_eq(kmem_cache_destroy(&sl, c, 0), 0);
	}
}

/* ---------------------------------------------------------------- out of memory */

Test(slub, oom_alloc_returns_zero)
{
	struct kmem_cache *c;
	uint64_t x;

	boot(64, 4);
	c = kmem_cache_create(&sl, "k1024", 1024, 0, 0);
	cr_assert_eq(c->oo_order, 2);
	cr_assert_eq(c->min_order, 0);
	phys_fail_nth(&pm, 1, 1);               /* every alloc_pages() fails */
	cr_assert_eq(kmem_cache_alloc(&sl, c, GFP_KERNEL, 0), 0);
	cr_assert_eq(c->ev.alloc_fail, 1);
	cr_assert_eq(kmalloc(&sl, 50000, GFP_KERNEL, 0), 0);
	cr_assert_eq(sl.ev.large_fail, 1);
	cr_assert_eq(stats_of(NULL).alloc_fail, 2);
	assert_consistent("failed");
	phys_fail_nth(&pm, 1, 0);               /* only the oo attempt fails */
	x = kmem_cache_alloc(&sl, c, GFP_KERNEL, 0);
	cr_assert_neq(x, 0);
	cr_assert_eq(c->ev.order_fallback, 1);
	cr_assert_eq(stats_of(c).total_objs, 4, "an order-0 slab of 4");
	assert_consistent("fallback");
	phys_fail_nth(&pm, 0, 0);
	cr_assert_eq(kfree(&sl, x, 0), 0);
}

Test(slub, oom_during_init, .timeout = 120)
{
	struct slub_config cfg;
	uint64_t calls, before;
	char err[128];

	slub_config_default(&cfg);
	boot_phys(32, 2);
	calls = pm.ev.alloc_calls;
	cr_assert_eq(slub_init(&sl, &pm, &cfg, err, sizeof err), 0);
	calls = pm.ev.alloc_calls - calls;
	cr_assert_gt(calls, 3);
	teardown();
	for (uint64_t n = 1; n <= calls; n++) {
		int rc;

		boot_phys(32, 2);
		drain_all_pages(&pm, NULL);
		before = free_pages_total();
		phys_fail_nth(&pm, n, 0);
		rc = slub_init(&sl, &pm, &cfg, err, sizeof err);
		cr_assert(rc == 0 || rc == -MM_ENOMEM, "n %llu: %d", (unsigned long long)n, rc);
		if (rc == 0)
			assert_consistent("init after a failure");
		slub_destroy(&sl);
		drain_all_pages(&pm, NULL);
		cr_assert_eq(free_pages_total(), before, "n %llu: pages lost", (unsigned long long)n);
		phys_fail_nth(&pm, 0, 0);
		{
			char msg[256] = "";

			cr_assert_eq(buddy_check(&pm, msg, sizeof msg), 0, "%s", msg);
		}
		phys_destroy(&pm);
	}
}

/* ---------------------------------------------------------------- kmalloc */

Test(slub, kmalloc_alignment_large_and_krealloc)
{
	uint64_t x, y, z, big, copy0, zero0;

	boot(64, 4);
	for (unsigned k = 3; k <= 13; k++) {
		x = kmalloc(&sl, 1u << k, GFP_KERNEL, k & 3);
		cr_assert_eq(x & ((1ull << k) - 1), 0, "kmalloc(%u) naturally aligned", 1u << k);
		cr_assert_eq(ksize(&sl, x), 1u << k);
		cr_assert_eq(kfree(&sl, x, 0), 0);
	}
	cr_assert_eq(kmalloc(&sl, 0, GFP_KERNEL, 0), ZERO_SIZE_PTR);
	zero0 = pm.cost[COST_SLAB_ZERO_LINE];
	x = kmalloc(&sl, 100, GFP_KERNEL | GFP_F_ZERO, 0);
	cr_assert_eq(pm.cost[COST_SLAB_ZERO_LINE] - zero0, 2, "128 bytes cleared");
	cr_assert_eq(ksize(&sl, x), 128);
	cr_assert_eq(stats_of(slub_find_cache(&sl, "kmalloc-128")).bytes_requested, 100);
	y = krealloc(&sl, x, 120, GFP_KERNEL, 0);
	cr_assert_eq(y, x, "fits: in place");
	cr_assert_eq(stats_of(slub_find_cache(&sl, "kmalloc-128")).bytes_requested, 120);
	copy0 = pm.cost[COST_SLAB_COPY_LINE];
	z = krealloc(&sl, y, 129, GFP_KERNEL, 1);
	cr_assert_neq(z, y);
	cr_assert_eq(pm.cost[COST_SLAB_COPY_LINE] - copy0, 2);
	cr_assert_eq(ksize(&sl, y), 0, "old object freed");
	cr_assert_eq(ksize(&sl, z), 192);
	cr_assert_eq(krealloc(&sl, z, 0, GFP_KERNEL, 1), ZERO_SIZE_PTR);
	cr_assert_eq(ksize(&sl, z), 0);
	x = krealloc(&sl, 0, 30, GFP_KERNEL, 2);
	cr_assert_eq(ksize(&sl, x), 32);

	big = kmalloc(&sl, 8193, GFP_KERNEL, 0);               /* order 2 */
	cr_assert_neq(big, 0);
	cr_assert_eq(ksize(&sl, big), 16384);
	{
		const struct page *p = &pm.mem_map[(big - PAGE_OFFSET) >> PAGE_SHIFT];

		cr_assert_eq(p->flags & (PG_head | PG_compound | PG_slab | PG_lru), PG_head | PG_compound);
		cr_assert_eq(p->order, 2);
	}
	cr_assert_eq(stats_of(NULL).nr_large, 1);
	cr_assert_eq(stats_of(NULL).large_pages, 4);
	cr_assert_eq(krealloc(&sl, big, 10000, GFP_KERNEL, 0), big, "large in place");
	cr_assert_eq(sl.large_bytes_requested, 10000);
	cr_assert_eq(kmalloc(&sl, (4u << 20) + 1, GFP_KERNEL, 0), 0, "above KMALLOC_MAX_SIZE");
	y = kmalloc(&sl, 4u << 20, GFP_KERNEL, 0);
	cr_assert_neq(y, 0, "KMALLOC_MAX_SIZE itself");
	assert_consistent("kmalloc");
	cr_assert_eq(kfree(&sl, y, 0), 0);
	cr_assert_eq(kfree(&sl, big, 0), 0);
	cr_assert_eq(kfree(&sl, x, 0), 0);
	cr_assert_eq(stats_of(NULL).nr_large, 0);
	assert_consistent("kfree");
}

Test(slub, reclaimable_slabs_in_reclaimable_pageblocks)
{
	boot(64, 4);
	for (int i = 0; i < 200; i++) {
		uint64_t r = kmalloc(&sl, 700, GFP_KERNEL | GFP_F_RECLAIMABLE, i & 3);
		uint64_t u = kmalloc(&sl, 700, GFP_KERNEL, i & 3);
		pfn_t rp = (pfn_t)((r - PAGE_OFFSET) >> PAGE_SHIFT), up = (pfn_t)((u - PAGE_OFFSET) >> PAGE_SHIFT);

		cr_assert_eq(get_pageblock_migratetype(&pm, rp), MIGRATE_RECLAIMABLE);
		cr_assert_eq(get_pageblock_migratetype(&pm, up), MIGRATE_UNMOVABLE);
		cr_assert_eq(pm.mem_map[rp].flags & PG_lru, 0);
	}
	assert_consistent("rcl");
}

/* ---------------------------------------------------------------- differential */

struct ref_obj {
	uint64_t addr;          /* kernel address */
	uint32_t req;           /* bytes requested */
	uint8_t kind;           /* 0 kmalloc, 1 kmalloc rcl, 2 cache A, 3 cache B */
	uint8_t large;          /* kmalloc_large() pages (kept by an in-place krealloc) */
	struct kmem_cache *cache; /* the slab cache it must be in (kept by an in-place krealloc) */
};

static int cmp_addr(const void *a, const void *b)
{
	const struct ref_obj *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct kmem_cache *cache_a, *cache_b;

/* The object at r must be live in the slab cache its kind names, inside the slab. */
static void check_placement(const struct ref_obj *r)
{
	size_t ks = ksize(&sl, r->addr);
	struct kmem_cache *want = NULL;
	struct slab *slab;
	unsigned idx;

	cr_assert_geq(ks, r->req, "ksize %zu < requested %u", ks, r->req);
	want = r->cache;
	if (!want) {
		cr_assert_geq(ks, PAGE_SIZE << slub_get_order(r->req));
		cr_assert_gt(ks, KMALLOC_MAX_CACHE_SIZE);
		return;
	}
	{
		int rc = slab_find_object(&sl, want, r->addr, &slab, &idx);
		const struct page *pg = &pm.mem_map[(r->addr - PAGE_OFFSET) >> PAGE_SHIFT];

		cr_assert_eq(rc, 0, "%#llx (%u bytes, kind %u, large %u) not live in %s: rc %d, page flags %#x private %u, ksize %zu",
			     (unsigned long long)r->addr, r->req, r->kind, r->large, want->name, rc, pg->flags,
			     pg->private, ks);
	}
	cr_assert_leq(r->addr + ks, PAGE_OFFSET + (((uint64_t)slab->pfn + (1u << slab->order)) << PAGE_SHIFT));
}

Test(slub, differential_random_run, .timeout = 600)
{
	enum { NR_OPS = 120000, MAX_LIVE = 6000 };
	struct ref_obj *live = calloc(MAX_LIVE, sizeof(*live));
	unsigned nr_live = 0;
	uint64_t before, req_sum = 0;
	prng_t rng;

	boot_phys(128, 4);
	drain_all_pages(&pm, NULL);
	before = free_pages_total();
	{
		struct slub_config cfg;
		char err[128];

		slub_config_default(&cfg);
		cr_assert_eq(slub_init(&sl, &pm, &cfg, err, sizeof err), 0);
	}
	cache_a = kmem_cache_create(&sl, "obj_a", 100, 0, SLAB_HWCACHE_ALIGN);
	cache_b = kmem_cache_create(&sl, "obj_b", 3000, 0, SLAB_RECLAIM_ACCOUNT);
	cr_assert(cache_a && cache_b);
	prng_seed(&rng, 42);
	for (unsigned op = 0; op < NR_OPS; op++) {
		unsigned cpu = (unsigned)prng_below(&rng, 4);
		uint64_t dice = prng_below(&rng, 100);

		if (nr_live < MAX_LIVE && (dice < 52 || !nr_live)) {
			struct ref_obj r = { 0 };
			uint64_t kind = prng_below(&rng, 10);

			if (kind < 5) {
				r.kind = 0;
				r.req = prng_chance(&rng, 20000) ? (uint32_t)prng_range(&rng, 8193, 70000)
				      : (uint32_t)prng_range(&rng, 1, prng_chance(&rng, 500000) ? 256 : 8192);
				r.addr = kmalloc(&sl, r.req, GFP_KERNEL, cpu);
				r.large = r.req > KMALLOC_MAX_CACHE_SIZE;
			} else if (kind < 6) {
				r.kind = 1;
				r.req = (uint32_t)prng_range(&rng, 1, 2048);
				r.addr = kmalloc(&sl, r.req, GFP_KERNEL | GFP_F_RECLAIMABLE, cpu);
			} else if (kind < 9) {
				r.kind = 2;
				r.req = 100;
				r.addr = kmem_cache_alloc(&sl, cache_a, GFP_KERNEL, cpu);
			} else {
				r.kind = 3;
				r.req = 3000;
				r.addr = kmem_cache_alloc(&sl, cache_b, GFP_KERNEL, cpu);
			}
			cr_assert_neq(r.addr, 0, "op %u: allocation failed", op);
			r.cache = r.kind == 2 ? cache_a : r.kind == 3 ? cache_b : r.large ? NULL
				: kmalloc_slab(&sl, r.req, r.kind ? GFP_F_RECLAIMABLE : GFP_KERNEL);
			check_placement(&r);
			live[nr_live++] = r;
			req_sum += r.req;
		} else if (dice < 97) {
			unsigned i = (unsigned)prng_below(&rng, nr_live);
			struct ref_obj r = live[i];
			int rc = r.kind == 2 ? kmem_cache_free(&sl, cache_a, r.addr, cpu)
			       : r.kind == 3 ? kmem_cache_free(&sl, cache_b, r.addr, cpu)
			       : kfree(&sl, r.addr, cpu);

			cr_assert_eq(rc, 0, "op %u: free of a live object: %d", op, rc);
			live[i] = live[--nr_live];
			req_sum -= r.req;
			if (prng_chance(&rng, 50000))
				cr_assert_eq(kfree(&sl, r.addr, cpu), -MM_EINVAL, "op %u: double free", op);
		} else if (dice < 99) {
			unsigned i = (unsigned)prng_below(&rng, nr_live);

			if (live[i].kind == 0) {
				uint32_t n = (uint32_t)prng_range(&rng, 1, 4096);
				uint64_t a = krealloc(&sl, live[i].addr, n, GFP_KERNEL, cpu);

				cr_assert_neq(a, 0);
				if (a != live[i].addr) {
					live[i].large = 0;
					live[i].cache = kmalloc_slab(&sl, n, GFP_KERNEL);
				}
				req_sum += n;
				req_sum -= live[i].req;
				live[i].addr = a;
				live[i].req = n;
				check_placement(&live[i]);
			}
		} else {
			kmem_cache_shrink(&sl, prng_chance(&rng, 500000) ? cache_a : cache_b, cpu);
		}
		if (op % 4000 == 3999 || op == NR_OPS - 1) {
			struct slub_stats st;

			qsort(live, nr_live, sizeof(*live), cmp_addr);
			for (unsigned i = 0; i + 1 < nr_live; i++)
				cr_assert_leq(live[i].addr + ksize(&sl, live[i].addr), live[i + 1].addr,
					      "op %u: objects overlap", op);
			for (unsigned i = 0; i < nr_live; i++)
				check_placement(&live[i]);
			slub_stats(&sl, NULL, &st);
			cr_assert_eq(st.active_objs - sl.kmem_cache->nr_active - sl.kmem_cache_node->nr_active,
				     nr_live, "op %u", op);
			cr_assert_eq(st.bytes_requested - sl.kmem_cache->bytes_requested -
				     sl.kmem_cache_node->bytes_requested, req_sum);
			assert_consistent("random run");
		}
	}
	{
		struct slub_stats st = stats_of(NULL);

		/* the run went through every path */
		cr_assert_gt(st.slabs_allocated, 100);
		cr_assert_gt(st.slabs_freed, 10);
		cr_assert_gt(st.alloc_fastpath, st.alloc_slowpath);
		cr_assert_gt(st.free_slowpath, 1000);
		cr_assert_gt(st.free_fastpath, 1000);
		cr_assert_gt(sl.ev.large_alloc, 10);
		cr_assert_gt(sl.ev.krealloc_inplace + sl.ev.krealloc_move, 100);
	}
	while (nr_live) {
		struct ref_obj r = live[--nr_live];

		cr_assert_eq(kfree(&sl, r.addr, (unsigned)prng_below(&rng, 4)), 0);
	}
	cr_assert_eq(kmem_cache_destroy(&sl, cache_a, 1), 0);
	cr_assert_eq(kmem_cache_destroy(&sl, cache_b, 2), 0);
	slub_shrink_all(&sl);
	for (struct kmem_cache *c = sl.slab_caches; c; c = c->list_next)
		if (c != sl.kmem_cache && c != sl.kmem_cache_node)
			cr_assert_eq(c->nr_pages, 0, "%s still holds pages", c->name);
	cr_assert_eq(sl.nr_slab_pages, sl.kmem_cache->nr_pages + sl.kmem_cache_node->nr_pages);
	assert_consistent("all freed");
	slub_destroy(&sl);
	drain_all_pages(&pm, NULL);
	cr_assert_eq(free_pages_total(), before, "every page back with the buddy allocator");
	free(live);
}

/* ---------------------------------------------------------------- golden slabinfo */

Test(slub, golden_slabinfo)
{
	const char *path = "tests/data/slabinfo.golden";
	struct kmem_cache *a, *b;
	uint64_t objs[512];
	unsigned n = 0;
	char *buf = NULL, *want;
	size_t len = 0;
	long wlen;
	FILE *f;

	boot(64, 4);
	a = kmem_cache_create(&sl, "golden_obj", 200, 0, SLAB_HWCACHE_ALIGN);
	b = kmem_cache_create(&sl, "golden_rcl", 1000, 0, SLAB_RECLAIM_ACCOUNT);
	for (unsigned i = 0; i < 100; i++)
		objs[n++] = kmem_cache_alloc(&sl, a, GFP_KERNEL, i & 3);
	for (unsigned i = 0; i < 30; i++)
		objs[n++] = kmem_cache_alloc(&sl, b, GFP_KERNEL, i & 1);
	for (unsigned size = 1; size <= 2000; size += 7)
		objs[n++] = kmalloc(&sl, size, size & 1 ? GFP_KERNEL : GFP_KERNEL_ACCOUNT, size & 3);
	for (unsigned i = 0; i < n; i += 3)
		cr_assert_eq(kfree(&sl, objs[i], (i / 3) & 3), 0);
	assert_consistent("golden sequence");
	f = open_memstream(&buf, &len);
	dump_slabinfo(&sl, f);
	fclose(f);
	if (getenv("MMBENCH_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		cr_assert_not_null(f);
		fwrite(buf, 1, len, f);
		fclose(f);
	}
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s missing (MMBENCH_UPDATE_GOLDEN=1 writes it)", path);
	fseek(f, 0, SEEK_END);
	wlen = ftell(f);
	rewind(f);
	want = malloc((size_t)wlen + 1);
	cr_assert_eq(fread(want, 1, (size_t)wlen, f), (size_t)wlen);
	want[wlen] = 0;
	fclose(f);
	cr_assert_eq((size_t)wlen, len, "slabinfo length %zu, golden %ld", len, wlen);
	cr_assert(!memcmp(buf, want, len), "slabinfo differs from %s:\n%s", path, buf);
	free(want);
	free(buf);
}
