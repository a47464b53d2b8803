/*
 * slab_common.c - cache creation and destruction, boot (kmem_cache_init and
 * create_kmalloc_caches), kmalloc size classes, kmalloc / kfree / ksize /
 * krealloc, kmalloc_large, and /proc/slabinfo (Linux v6.6
 * mm/slab_common.c, include/linux/slab.h, mm/slub.c kmem_cache_init).
 */
#include "engine/slub.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/page_alloc.h"

#define ARCH_KMALLOC_MINALIGN	8       /* __alignof__(unsigned long long) on x86-64 */
#define ARCH_SLAB_MINALIGN	8
#define KMEM_CACHE_NODE_SIZE	64      /* sizeof(struct kmem_cache_node), v6.6 with SLUB_DEBUG */
/*
 * offsetof(struct kmem_cache, node) in a v6.6 x86-64 distribution config,
 * approximately: the boot cache kmem_cache holds that plus a pointer per
 * node (kmem_cache_init), 256-byte slots on one node.
 */
#define KMEM_CACHE_BASE_SIZE	232
#define SLAB_FLAGS_PERMITTED	(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
				 SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | \
				 SLAB_STORE_USER | SLAB_RECLAIM_ACCOUNT | SLAB_PANIC | \
				 SLAB_TYPESAFE_BY_RCU | SLAB_TRACE | SLAB_NOLEAKTRACE | \
				 SLAB_NO_MERGE | SLAB_ACCOUNT)

/* kmalloc_info[]: object size per index (1 = 96, 2 = 192, else 2^index) */
static const unsigned kmalloc_info_size[KMALLOC_SHIFT_HIGH + 1] = {
	0, 96, 192, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192,
};

/* INIT_KMALLOC_INFO() name prefixes, by enum kmalloc_cache_type */
static const char *const kmalloc_prefix[NR_KMALLOC_TYPES] = {
	"kmalloc-", "kmalloc-rcl-", "dma-kmalloc-", "kmalloc-cg-",
};

/*
 * size_index[]: kmalloc index of sizes 1..192 in steps of 8, for the
 * caches that are not powers of two (96 and 192).
 */
const uint8_t kmalloc_size_index[24] = {
	3, 4, 5, 5, 6, 6, 6, 6,         /* 8 16 24 32 40 48 56 64 */
	1, 1, 1, 1, 7, 7, 7, 7,         /* 72 .. 96 -> 96, 104 .. 128 -> 128 */
	2, 2, 2, 2, 2, 2, 2, 2,         /* 136 .. 192 -> 192 */
};

int kmalloc_index(size_t size)
{
	if (!size)
		return 0;
	if (size <= KMALLOC_MIN_SIZE)
		return KMALLOC_SHIFT_LOW;
	if (size > 64 && size <= 96)
		return 1;
	if (size > 128 && size <= 192)
		return 2;
	for (int i = 3; i <= 26; i++)
		if (size <= (size_t)1 << i)
			return i;
	return -1;                      /* the kernel BUG()s */
}

/* calculate_alignment() */
static unsigned calculate_alignment(const slub_t *s, unsigned flags, unsigned align, unsigned size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned ralign = s->cfg.cache_line_size;

		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > align)
			align = ralign;
	}
	if (align < ARCH_SLAB_MINALIGN)
		align = ARCH_SLAB_MINALIGN;
	return (align + 7) & ~7u;
}

struct kmem_cache *slub_find_cache(const slub_t *s, const char *name)
{
	for (struct kmem_cache *c = s->slab_caches; c; c = c->list_next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* ---------------------------------------------------------------- creating caches */

/* A zeroed struct kmem_cache with a free id, or NULL. */
static struct kmem_cache *cache_struct_alloc(slub_t *s)
{
	struct kmem_cache *c;
	unsigned id;

	for (id = 0; id < s->nr_cache_ids; id++)
		if (!s->caches[id])
			break;
	if (id == s->nr_cache_ids) {
		if (id > UINT16_MAX)
			return NULL;
		if (id == s->caches_cap) {
			unsigned cap = s->caches_cap ? 2 * s->caches_cap : 64;
			struct kmem_cache **v = realloc(s->caches, cap * sizeof(*v));

			if (!v)
				return NULL;
			s->caches = v;
			s->caches_cap = cap;
		}
		s->nr_cache_ids++;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = (uint16_t)id;
	s->caches[id] = c;
	return c;
}

/* Point every CPU's free_hint at its kmem_cache_cpu of c (the first cache). */
static void free_hint_set(slub_t *s, struct kmem_cache *c)
{
	for (unsigned cpu = 0; cpu < s->nr_cpus; cpu++)
		s->free_hint[cpu] = &c->cpu_slab[cpu];
}

/*
 * Before c is freed: the free_hints naming it move to the boot cache
 * kmem_cache_node, which lives as long as s (slub_destroy() drops them all).
 */
static void free_hint_forget(slub_t *s, struct kmem_cache *c)
{
	struct kmem_cache *kn = s->kmem_cache_node;

	for (unsigned cpu = 0; c->cpu_slab && s->free_hint && cpu < s->nr_cpus; cpu++)
		if (s->free_hint[cpu] == &c->cpu_slab[cpu])
			s->free_hint[cpu] = kn && kn != c ? &kn->cpu_slab[cpu] : NULL;
}

static void cache_struct_free(slub_t *s, struct kmem_cache *c)
{
	free_hint_forget(s, c);
	s->caches[c->id] = NULL;
	kmem_cache_release(c);
	free(c);
}

/* list_add(&s->list, &slab_caches) */
static void cache_list_add(slub_t *s, struct kmem_cache *c)
{
	c->list_prev = NULL;
	c->list_next = s->slab_caches;
	if (s->slab_caches)
		s->slab_caches->list_prev = c;
	s->slab_caches = c;
	s->nr_caches++;
}

static void cache_list_del(slub_t *s, struct kmem_cache *c)
{
	if (c->list_prev)
		c->list_prev->list_next = c->list_next;
	else
		s->slab_caches = c->list_next;
	if (c->list_next)
		c->list_next->list_prev = c->list_prev;
	s->nr_caches--;
}

/* The first CPU of node, where kmem_cache_alloc_node(..., node) is modeled to run. */
static unsigned node_cpu(const slub_t *s, unsigned node)
{
	for (unsigned cpu = 0; cpu < s->nr_cpus; cpu++)
		if (s->pm->cpu_node[cpu] == node)
			return cpu;
	return 0;
}

/* Free the kmem_cache and kmem_cache_node objects a cache holds. */
static void cache_free_objects(slub_t *s, struct kmem_cache *c, unsigned cpu)
{
	for (unsigned node = 0; c->node_addr && node < s->nr_nodes; node++)
		if (c->node_addr[node]) {
			kmem_cache_free(s, s->kmem_cache_node, c->node_addr[node], cpu);
			c->node_addr[node] = 0;
		}
	if (c->self_addr) {
		kmem_cache_free(s, s->kmem_cache, c->self_addr, cpu);
		c->self_addr = 0;
	}
}

/*
 * create_cache() / create_kmalloc_cache(): the struct kmem_cache object
 * (kmem_cache_zalloc(kmem_cache, gfp)), kmem_cache_open(), the
 * kmem_cache_node objects (init_kmem_cache_nodes), then list_add.
 */
static struct kmem_cache *create_cache(slub_t *s, const char *name, unsigned size, unsigned align,
				       unsigned flags, gfp_t gfp)
{
	struct kmem_cache *c = cache_struct_alloc(s);

	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->object_size = size;
	c->align = align;
	c->flags = flags;
	c->kmalloc = flags & SLAB_KMALLOC;
	if (kmem_cache_open(s, c))
		goto fail;
	c->self_addr = kmem_cache_alloc(s, s->kmem_cache, gfp | GFP_F_ZERO, 0);
	if (!c->self_addr)
		goto fail;
	for (unsigned node = 0; node < s->nr_nodes; node++) {
		c->node_addr[node] = kmem_cache_alloc(s, s->kmem_cache_node, GFP_KERNEL,
						      node_cpu(s, node));
		if (!c->node_addr[node])
			goto fail;
	}
	cache_list_add(s, c);
	return c;
fail:
	if (c->node_addr)
		cache_free_objects(s, c, 0);
	cache_struct_free(s, c);
	return NULL;
}

struct kmem_cache *kmem_cache_create(slub_t *s, const char *name, unsigned size, unsigned align,
				     unsigned flags)
{
	if (!name || !*name || strlen(name) >= SLAB_NAME_MAX || !size ||
	    size > kmalloc_max_size(s) || (align & (align - 1)) || align > PAGE_SIZE ||
	    (flags & ~SLAB_FLAGS_PERMITTED))
		return NULL;
	/* kmem_cache_create_usercopy(): SLAB_KMALLOC is not the caller's */
	return create_cache(s, name, size, calculate_alignment(s, flags, align, size), flags,
			    GFP_KERNEL);
}

int kmem_cache_destroy(slub_t *s, struct kmem_cache *c, unsigned cpu)
{
	if (!c || c == s->kmem_cache || c == s->kmem_cache_node || (c->flags & SLAB_KMALLOC))
		return -MM_EINVAL;
	cpu = slub_cpu(s, cpu);
	if (kmem_cache_shutdown(s, c, cpu))
		return -MM_EBUSY;       /* "Slab cache still has objects": it stays */
	cache_list_del(s, c);
	cache_free_objects(s, c, cpu);
	cache_struct_free(s, c);
	return 0;
}

/* create_boot_cache(): an open cache outside the list, holding no objects yet */
static struct kmem_cache *create_boot_cache(slub_t *s, const char *name, unsigned size,
					    unsigned flags)
{
	struct kmem_cache *c = cache_struct_alloc(s);
	unsigned align = ARCH_KMALLOC_MINALIGN;

	if (!c)
		return NULL;
	/* power-of-two kmalloc sizes are naturally aligned */
	if (!(size & (size - 1)) && size > align)
		align = size;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->object_size = size;
	c->align = calculate_alignment(s, flags, align, size);
	c->flags = flags;
	c->kmalloc = flags & SLAB_KMALLOC;
	if (kmem_cache_open(s, c)) {
		cache_struct_free(s, c);
		return NULL;
	}
	return c;
}

/* new_kmalloc_cache() (v6.6), the create_kmalloc_cache() part with objects */
static int new_kmalloc_cache(slub_t *s, unsigned idx, enum kmalloc_cache_type type)
{
	unsigned flags = SLAB_KMALLOC, size = kmalloc_info_size[idx];
	struct kmem_cache *c;
	char name[SLAB_NAME_MAX];
	bool ok;

	if (type == KMALLOC_RECLAIM)
		flags |= SLAB_RECLAIM_ACCOUNT;
	else if (type == KMALLOC_CGROUP)
		flags |= SLAB_ACCOUNT;
	else if (type == KMALLOC_DMA)
		flags |= SLAB_CACHE_DMA;
	if (type == KMALLOC_NORMAL && s->cfg.kmalloc_cgroup)
		flags |= SLAB_NO_MERGE;
	if (size >= 1024)
		snprintf(name, sizeof(name), "%s%uk", kmalloc_prefix[type], size / 1024);
	else
		snprintf(name, sizeof(name), "%s%u", kmalloc_prefix[type], size);
	c = create_boot_cache(s, name, size, flags);
	if (!c)
		return -MM_ENOMEM;
	ok = (c->self_addr = kmem_cache_alloc(s, s->kmem_cache, GFP_NOWAIT | GFP_F_ZERO, 0)) != 0;
	for (unsigned node = 0; ok && node < s->nr_nodes; node++)
		ok = (c->node_addr[node] = kmem_cache_alloc(s, s->kmem_cache_node, GFP_KERNEL,
							    node_cpu(s, node))) != 0;
	s->kmalloc_caches[type][idx] = c;
	cache_list_add(s, c);           /* on the list even when short of objects: destroy frees it */
	return ok ? 0 : -MM_ENOMEM;
}

/* kmem_cache_init(): the two boot caches and bootstrap() */
static int kmem_cache_init(slub_t *s)
{
	struct kmem_cache *kc, *kn;
	bool ok = true;

	kn = s->kmem_cache_node = create_boot_cache(s, "kmem_cache_node", KMEM_CACHE_NODE_SIZE,
						     SLAB_HWCACHE_ALIGN);
	if (!kn)
		return -MM_ENOMEM;
	free_hint_set(s, kn);
	kc = s->kmem_cache = create_boot_cache(s, "kmem_cache",
					       KMEM_CACHE_BASE_SIZE + 8 * s->nr_nodes,
					       SLAB_HWCACHE_ALIGN);
	if (!kc)
		return -MM_ENOMEM;
	/* per-node structures of both, then bootstrap() of kmem_cache and kmem_cache_node */
	for (unsigned node = 0; node < s->nr_nodes; node++)
		ok &= (kn->node_addr[node] = kmem_cache_alloc(s, kn, GFP_NOWAIT, node_cpu(s, node))) != 0;
	for (unsigned node = 0; node < s->nr_nodes; node++)
		ok &= (kc->node_addr[node] = kmem_cache_alloc(s, kn, GFP_NOWAIT, node_cpu(s, node))) != 0;
	ok &= (kc->self_addr = kmem_cache_alloc(s, kc, GFP_NOWAIT | GFP_F_ZERO, 0)) != 0;
	ok &= (kn->self_addr = kmem_cache_alloc(s, kc, GFP_NOWAIT | GFP_F_ZERO, 0)) != 0;
	cache_list_add(s, kc);
	cache_list_add(s, kn);
	return ok ? 0 : -MM_ENOMEM;
}

/* create_kmalloc_caches(): 96 right after 64, 192 right after 128, per type */
static int create_kmalloc_caches(slub_t *s)
{
	for (unsigned type = KMALLOC_NORMAL; type < NR_KMALLOC_TYPES; type++) {
		if (type == KMALLOC_DMA && (!s->cfg.kmalloc_dma ||
					    s->pm->node[0].zone_id[ZONE_DMA] == 0xff))
			continue;
		if (type == KMALLOC_CGROUP && !s->cfg.kmalloc_cgroup)
			continue;
		for (unsigned i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++) {
			if (new_kmalloc_cache(s, i, type))
				return -MM_ENOMEM;
			if (i == 6 && new_kmalloc_cache(s, 1, type))
				return -MM_ENOMEM;
			if (i == 7 && new_kmalloc_cache(s, 2, type))
				return -MM_ENOMEM;
		}
	}
	return 0;
}

int slub_init(slub_t *s, phys_t *pm, const struct slub_config *cfg, char *err, size_t errlen)
{
	unsigned line = cfg->cache_line_size;
	int ret;

	memset(s, 0, sizeof(*s));
	if (cfg->max_order > pm->max_order)
		return mm_error(err, errlen, -MM_EINVAL, "slub_max_order %u above the page allocator's max_order %u",
				 cfg->max_order, pm->max_order);
	if (cfg->min_order > pm->max_order)
		return mm_error(err, errlen, -MM_EINVAL, "slub_min_order %u above the page allocator's max_order %u",
				 cfg->min_order, pm->max_order);
	if (line < 8 || line > 4096 || (line & (line - 1)))
		return mm_error(err, errlen, -MM_EINVAL, "cache_line_size %u is not a power of two in 8..4096", line);
	if (cfg->min_objects > MAX_OBJS_PER_PAGE)
		return mm_error(err, errlen, -MM_EINVAL, "slub_min_objects %u above %d", cfg->min_objects,
				 MAX_OBJS_PER_PAGE);
	s->pm = pm;
	s->mem_map = pm->mem_map;
	s->max_pfn = pm->max_pfn;
	s->cfg = *cfg;
	s->nr_cpus = pm->nr_cpus;
	s->nr_nodes = pm->nr_nodes;
	s->large_free = UINT32_MAX;
	s->free_hint = calloc(s->nr_cpus, sizeof(*s->free_hint));
	if (!s->free_hint) {
		memset(s, 0, sizeof(*s));
		mm_error(err, errlen, -MM_EINVAL, "out of host memory");
		return -MM_ENOMEM;
	}
	/* calculate_order(): 4 * (fls(num_present_cpus()) + 1) */
	s->min_objects = cfg->min_objects ? cfg->min_objects
			 : 4 * ((32 - (unsigned)__builtin_clz(s->nr_cpus)) + 1);
	ret = kmem_cache_init(s);
	if (!ret)
		ret = create_kmalloc_caches(s);
	s->kmalloc_not_normal = GFP_F_RECLAIMABLE | (s->kmalloc_caches[KMALLOC_DMA][3] ? GFP_F_DMA : 0) |
				(s->kmalloc_caches[KMALLOC_CGROUP][3] ? GFP_F_ACCOUNT : 0);
	if (ret) {
		slub_destroy(s);
		mm_error(err, errlen, -MM_EINVAL, "out of memory creating the boot and kmalloc caches");
		return -MM_ENOMEM;
	}
	return 0;
}

void slub_destroy(slub_t *s)
{
	if (!s->pm)
		return;
	slub_free_all_slabs(s);
	for (uint32_t e = 0; e < s->nr_large_ids; e++)
		if (s->large[e].pfn != PFN_NONE)
			free_pages(s->pm, s->large[e].pfn, s->large[e].order, 0);
	free(s->large);
	free(s->free_hint);
	s->free_hint = NULL;            /* nothing to keep pointing at live caches */
	for (unsigned id = 0; id < s->nr_cache_ids; id++)
		if (s->caches[id])
			cache_struct_free(s, s->caches[id]);
	free(s->caches);
	memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------- kmalloc */

static uint32_t large_entry_alloc(slub_t *s)
{
	uint32_t e = s->large_free;

	if (e != UINT32_MAX) {
		s->large_free = s->large[e].next_free;
		return e;
	}
	if (s->nr_large_ids == s->large_cap) {
		uint32_t cap = s->large_cap ? 2 * s->large_cap : 64;
		struct large_kmalloc *v;

		if (cap <= s->large_cap)
			return UINT32_MAX;
		v = realloc(s->large, cap * sizeof(*v));
		if (!v)
			return UINT32_MAX;
		s->large = v;
		s->large_cap = cap;
	}
	return s->nr_large_ids++;
}

static void large_entry_free(slub_t *s, uint32_t e)
{
	s->large[e].pfn = PFN_NONE;
	s->large[e].next_free = s->large_free;
	s->large_free = e;
}

/* __kmalloc_large_node(): 2^get_order(size) pages with __GFP_COMP */
uint64_t kmalloc_large(slub_t *s, size_t size, gfp_t gfp, unsigned cpu)
{
	unsigned order = slub_get_order(size);
	uint32_t e;
	pfn_t pfn;

	if (size > kmalloc_max_size(s)) {
		s->ev.large_fail++;
		return 0;
	}
	e = large_entry_alloc(s);
	if (e == UINT32_MAX) {
		s->ev.large_fail++;
		return 0;
	}
	gfp &= ~(GFP_F_DMA32 | GFP_F_HIGHMEM);         /* kmalloc_fix_flags(): GFP_SLAB_BUG_MASK */
	pfn = alloc_pages(s->pm, gfp | GFP_F_COMP, order, slub_cpu(s, cpu));
	if (pfn == PFN_NONE) {
		large_entry_free(s, e);
		s->ev.large_fail++;
		return 0;
	}
	s->large[e] = (struct large_kmalloc){ .pfn = pfn, .next_free = UINT32_MAX, .size = size,
					      .order = (uint8_t)order };
	s->pm->mem_map[pfn].private = e;
	s->nr_large++;
	s->large_pages += 1ull << order;
	s->large_bytes_requested += size;
	s->ev.large_alloc++;
	return PAGE_OFFSET + ((uint64_t)pfn << PAGE_SHIFT);
}

/* The kmalloc_large() entry whose pages start at addr, or UINT32_MAX. */
static uint32_t large_find(const slub_t *s, uint64_t addr)
{
	uint64_t off = addr - PAGE_OFFSET, pfn = off >> PAGE_SHIFT;
	const struct page *page;

	if ((off & (PAGE_SIZE - 1)) || pfn >= s->pm->max_pfn)
		return UINT32_MAX;
	page = &s->pm->mem_map[pfn];
	if ((page->flags & (PG_head | PG_slab)) != PG_head || page->private >= s->nr_large_ids ||
	    s->large[page->private].pfn != pfn)
		return UINT32_MAX;
	return page->private;
}

int kfree_large(slub_t *s, uint64_t addr, unsigned cpu)
{
	uint32_t e = large_find(s, addr);

	if (e == UINT32_MAX) {
		s->ev.invalid_free++;
		return -MM_EINVAL;
	}
	/* free_large_kmalloc() */
	s->nr_large--;
	s->large_pages -= 1ull << s->large[e].order;
	s->large_bytes_requested -= s->large[e].size;
	s->ev.large_free++;
	free_pages(s->pm, s->large[e].pfn, s->large[e].order, cpu);
	large_entry_free(s, e);
	return 0;
}

size_t ksize(const slub_t *s, uint64_t addr)
{
	struct slab *slab;
	unsigned idx;
	uint32_t e;
	int rc;

	if (addr <= ZERO_SIZE_PTR)
		return 0;
	rc = slab_find_object(s, NULL, addr, &slab, &idx);
	if (rc == 0)    /* slab_ksize() */
		return slab->cache->flags & SLAB_TYPESAFE_BY_RCU ? slab->cache->inuse : slab->cache->size;
	e = rc > 0 ? large_find(s, addr) : UINT32_MAX;
	return e == UINT32_MAX ? 0 : (size_t)(PAGE_SIZE << s->large[e].order);
}

uint64_t krealloc(slub_t *s, uint64_t addr, size_t new_size, gfp_t gfp, unsigned cpu)
{
	size_t ks = 0;
	uint64_t ret;

	if (!new_size)
		return kfree(s, addr, cpu) ? 0 : ZERO_SIZE_PTR;
	if (addr > ZERO_SIZE_PTR) {
		ks = ksize(s, addr);
		if (!ks)
			return 0;       /* not a live object */
	}
	if (ks >= new_size) {
		struct slab *slab;
		unsigned idx;

		/* in place: the request is now new_size (kasan_krealloc) */
		if (!slab_find_object(s, NULL, addr, &slab, &idx)) {
			if (slab->cache->kmalloc) {
				uint16_t *req = &slab_req(slab)[idx];

				slab->cache->bytes_requested += new_size - (*req & SLAB_OBJ_REQ);
				*req = (uint16_t)(new_size | SLAB_OBJ_LIVE);
			}
		} else {
			uint32_t e = large_find(s, addr);

			s->large_bytes_requested += new_size - s->large[e].size;
			s->large[e].size = new_size;
		}
		s->ev.krealloc_inplace++;
		return addr;
	}
	ret = kmalloc(s, new_size, gfp, cpu);
	if (!ret)
		return 0;
	if (ks) {
		cost_add(s->pm, COST_SLAB_COPY_LINE, (ks + 63) / 64);
		kfree(s, addr, cpu);
	}
	s->ev.krealloc_move++;
	return ret;
}

/* ---------------------------------------------------------------- /proc/slabinfo */

void dump_slabinfo(const slub_t *s, FILE *f)
{
	/* print_slabinfo_header() */
	fputs("slabinfo - version: 2.1\n", f);
	fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>", f);
	fputs(" : tunables <limit> <batchcount> <sharedfactor>", f);
	fputs(" : slabdata <active_slabs> <num_slabs> <sharedavail>", f);
	fputc('\n', f);
	for (const struct kmem_cache *c = s->slab_caches; c; c = c->list_next) {
		unsigned long nr_slabs = 0, nr_objs = 0, nr_free = 0;

		/* get_slabinfo(): free objects are counted on the node partial lists only */
		for (unsigned node = 0; node < s->nr_nodes; node++) {
			const struct kmem_cache_node *n = &c->node[node];

			nr_slabs += n->nr_slabs;
			nr_objs += n->total_objects;
			for (const struct slab *slab = n->partial; slab; slab = slab->next)
				nr_free += (unsigned long)(slab->objects - slab->inuse);
		}
		/* cache_show() */
		fprintf(f, "%-17s %6lu %6lu %6u %4u %4d", c->name, nr_objs - nr_free, nr_objs,
			c->size, (unsigned)c->oo_objects, 1 << c->oo_order);
		fprintf(f, " : tunables %4u %4u %4u", 0u, 0u, 0u);
		fprintf(f, " : slabdata %6lu %6lu %6lu", nr_slabs, nr_slabs, 0ul);
		fputc('\n', f);
	}
}
