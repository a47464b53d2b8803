/*
 * slub.c - SLUB caches: object layout and slab order, slab pages from the
 * page allocator, the allocation and free slow paths with their cpu and
 * node partial lists, flushing and shrinking (Linux v6.6 mm/slub.c).
 *
 * The fast paths are static inline in slub.h; cache creation, kmalloc and
 * /proc/slabinfo are in slab_common.c; slub_check() is in slub_check.c.
 *
 * Slab state machine (v6.6, CONFIG_SLUB_CPU_PARTIAL, no debugging):
 *
 *   new slab ----------------------------> cpu slab (frozen, c->slab)
 *   node partial --get_partial_node()----> cpu slab, and up to
 *                                          cpu_partial_slabs / 2 more onto
 *                                          the cpu partial list (frozen)
 *   cpu partial ---___slab_alloc()-------> cpu slab
 *   cpu slab -----deactivate_slab()------> node partial | full (no list) |
 *                                          discarded (empty, and the node
 *                                          already keeps min_partial)
 *   full ---------__slab_free()----------> cpu partial of the freeing CPU
 *                                          (frozen; the list drains through
 *                                          __unfreeze_partials() when it
 *                                          holds cpu_partial_slabs)
 *   node partial --__slab_free() empties-> discarded beyond min_partial
 *
 * Objects of a frozen slab freed by other CPUs go to slab->freelist;
 * the owner takes them with get_freelist() when its c->freelist runs dry.
 */
#include "engine/slub.h"

#include <stdlib.h>
#include <string.h>

#include "engine/page_alloc.h"

/* mm/slub.c */
#define MIN_PARTIAL		5
#define MAX_PARTIAL		10
#define SHRINK_PROMOTE_MAX	32
#define DEACTIVATE_TO_HEAD	0
#define DEACTIVATE_TO_TAIL	1

/* include/linux/gfp.h: what new_slab() passes on to the page allocator */
#define GFP_RECLAIM_MASK	(GFP_F_RECLAIM | GFP_F_IO | GFP_F_FS | GFP_F_NOWARN | \
				 GFP_F_RETRY_MAYFAIL | GFP_F_NOFAIL | GFP_F_NORETRY | \
				 GFP_F_MEMALLOC | GFP_F_NOMEMALLOC)
#define GFP_CONSTRAINT_MASK	(GFP_F_HARDWALL | GFP_F_THISNODE)

void slub_config_default(struct slub_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->min_objects = 0;
	cfg->max_order = PAGE_ALLOC_COSTLY_ORDER;
	cfg->min_order = 0;
	cfg->cpu_partial_enabled = true;
	cfg->kmalloc_dma = true;
	cfg->kmalloc_cgroup = true;
	cfg->cache_line_size = 64;
}

/* ---------------------------------------------------------------- layout and order */

static unsigned fls32(uint32_t x)
{
	return x ? 32 - (unsigned)__builtin_clz(x) : 0;
}

/* get_order(): the order of the smallest block holding size bytes (size >= 1) */
unsigned slub_get_order(uint64_t size)
{
	size = (size - 1) >> PAGE_SHIFT;
	return size ? 64 - (unsigned)__builtin_clzll(size) : 0;
}

static unsigned order_objects(unsigned order, unsigned size)
{
	return (unsigned)(((uint64_t)PAGE_SIZE << order) / size);
}

/* calc_slab_order() (v6.6) */
static unsigned calc_slab_order(const slub_t *s, unsigned size, unsigned min_objects,
				unsigned max_order, unsigned fract_leftover)
{
	unsigned min_order = s->cfg.min_order;
	unsigned order;

	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return slub_get_order((uint64_t)size * MAX_OBJS_PER_PAGE) - 1;
	order = slub_get_order((uint64_t)min_objects * size);
	if (order < min_order)
		order = min_order;
	for (; order <= max_order; order++) {
		uint64_t slab_size = PAGE_SIZE << order;
		uint64_t rem = slab_size % size;

		if (rem <= slab_size / fract_leftover)
			break;
	}
	return order;
}

int calculate_order(const slub_t *s, unsigned size)
{
	unsigned max_order = s->cfg.max_order;
	unsigned min_objects = s->min_objects;
	unsigned max_objects = order_objects(max_order, size);
	unsigned order;

	if (min_objects > max_objects)
		min_objects = max_objects;
	/* first raise the acceptable waste, then lower the objects per slab */
	while (min_objects > 1) {
		for (unsigned fraction = 16; fraction >= 4; fraction /= 2) {
			order = calc_slab_order(s, size, min_objects, max_order, fraction);
			if (order <= max_order)
				return (int)order;
		}
		min_objects--;
	}
	/* one object per slab, within slub_max_order ... */
	order = calc_slab_order(s, size, 1, max_order, 1);
	if (order <= max_order)
		return (int)order;
	/* ... or within MAX_ORDER */
	order = calc_slab_order(s, size, 1, s->pm->max_order, 1);
	if (order <= s->pm->max_order)
		return (int)order;
	return -1;
}

/* s->reciprocal_size = reciprocal_value(size): here ceil(2^64 / size), size >= 8 */
static void set_reciprocal(struct kmem_cache *c)
{
	c->reciprocal = UINT64_MAX / c->size + 1;
}

/* slub_set_cpu_partial() and set_cpu_partial() */
static void set_cpu_partial(const slub_t *s, struct kmem_cache *c)
{
	unsigned nr_objects;

	if (!s->cfg.cpu_partial_enabled)
		nr_objects = 0;
	else if (c->size >= PAGE_SIZE)
		nr_objects = 6;
	else if (c->size >= 1024)
		nr_objects = 24;
	else if (c->size >= 256)
		nr_objects = 52;
	else
		nr_objects = 120;
	c->cpu_partial = nr_objects;
	/* slabs are assumed half full */
	c->cpu_partial_slabs = (nr_objects * 2 + c->oo_objects - 1) / c->oo_objects;
}

/* kmem_cache_has_cpu_partial() */
static inline bool has_cpu_partial(const slub_t *s)
{
	return s->cfg.cpu_partial_enabled;
}

/*
 * calculate_sizes(): the free pointer in the middle of the object (or after
 * it for SLAB_TYPESAFE_BY_RCU), the slot size, the slab orders and the page
 * allocator flags of the slabs.
 */
static int calculate_sizes(const slub_t *s, struct kmem_cache *c)
{
	unsigned size = (c->object_size + 7) & ~7u;     /* ALIGN(size, sizeof(void *)) */
	int order;

	c->inuse = size;
	if (c->flags & SLAB_TYPESAFE_BY_RCU) {
		c->offset = size;
		size += 8;
	} else {
		c->offset = (c->object_size / 2) & ~7u;
	}
	size = (size + c->align - 1) & ~(c->align - 1);
	c->size = size;
	set_reciprocal(c);
	order = calculate_order(s, size);
	if (order < 0)
		return -MM_EINVAL;
	c->allocflags = order ? GFP_F_COMP : 0;
	if (c->flags & SLAB_CACHE_DMA)
		c->allocflags |= GFP_DMA;
	if (c->flags & SLAB_CACHE_DMA32)
		c->allocflags |= GFP_DMA32;
	if (c->flags & SLAB_RECLAIM_ACCOUNT)
		c->allocflags |= GFP_F_RECLAIMABLE;
	c->oo_order = (uint8_t)order;
	c->oo_objects = (uint16_t)order_objects((unsigned)order, size);
	c->min_order = (uint8_t)slub_get_order(size);
	c->min_objects = (uint16_t)order_objects(c->min_order, size);
	if (!c->oo_objects || order_objects((unsigned)order, size) > MAX_OBJS_PER_PAGE)
		return -MM_EINVAL;
	return 0;
}

int kmem_cache_open(slub_t *s, struct kmem_cache *c)
{
	int ret = calculate_sizes(s, c);
	unsigned lg;

	if (ret)
		return ret;
	/* set_min_partial(): ilog2(size) / 2, clamped to MIN_PARTIAL..MAX_PARTIAL */
	lg = fls32(c->size) - 1;
	c->min_partial = lg / 2 < MAX_PARTIAL ? lg / 2 : MAX_PARTIAL;
	if (c->min_partial < MIN_PARTIAL)
		c->min_partial = MIN_PARTIAL;
	set_cpu_partial(s, c);
	c->cpu_slab = aligned_alloc(64, s->nr_cpus * sizeof(*c->cpu_slab));
	c->node = calloc(s->nr_nodes, sizeof(*c->node));
	c->node_addr = calloc(s->nr_nodes, sizeof(*c->node_addr));
	if (!c->cpu_slab || !c->node || !c->node_addr) {
		kmem_cache_release(c);
		return -MM_ENOMEM;
	}
	memset(c->cpu_slab, 0, s->nr_cpus * sizeof(*c->cpu_slab));
	for (unsigned cpu = 0; cpu < s->nr_cpus; cpu++) {
		struct kmem_cache_cpu *cc = &c->cpu_slab[cpu];

		cc->freelist = SLAB_FL_NONE;
		cc->tid = cpu;                  /* init_tid() */
		cc->size = c->size;
		cc->reciprocal = c->reciprocal;
		cc->cache = c;
	}
	return 0;
}

void kmem_cache_release(struct kmem_cache *c)
{
	free(c->cpu_slab);
	free(c->node);
	free(c->node_addr);
	c->cpu_slab = NULL;
	c->node = NULL;
	c->node_addr = NULL;
}

/* ---------------------------------------------------------------- the slab table */

static struct slab *slab_struct_alloc(slub_t *s)
{
	struct slab *slab = s->free_slabs;

	if (slab) {
		s->free_slabs = slab->next;
		return slab;
	}
	if (s->nr_slab_ids == (uint64_t)s->nr_slab_chunks << SLAB_CHUNK_SHIFT) {
		struct slab *chunk;

		if (s->nr_slab_ids >= UINT32_MAX - (1u << SLAB_CHUNK_SHIFT))
			return NULL;
		if (s->nr_slab_chunks == s->slab_chunk_cap) {
			unsigned cap = s->slab_chunk_cap ? 2 * s->slab_chunk_cap : 16;
			struct slab **v = realloc(s->slab_chunk, cap * sizeof(*v));

			if (!v)
				return NULL;
			s->slab_chunk = v;
			s->slab_chunk_cap = cap;
		}
		chunk = calloc(1u << SLAB_CHUNK_SHIFT, sizeof(*chunk));
		if (!chunk)
			return NULL;
		for (unsigned i = 0; i < 1u << SLAB_CHUNK_SHIFT; i++) {
			chunk[i].id = (s->nr_slab_chunks << SLAB_CHUNK_SHIFT) + i;
			chunk[i].pfn = PFN_NONE;
		}
		s->slab_chunk[s->nr_slab_chunks++] = chunk;
	}
	return slab_from_id(s, s->nr_slab_ids++);
}

/* Park slab on the free list; its fp[] stays for the next slab in the struct. */
static void slab_struct_free(slub_t *s, struct slab *slab)
{
	uint32_t id = slab->id;
	uint16_t *fp = slab->fp, fp_cap = slab->fp_cap;

	memset(slab, 0, sizeof(*slab));
	slab->id = id;
	slab->fp = fp;
	slab->fp_cap = fp_cap;
	slab->pfn = PFN_NONE;
	slab->next = s->free_slabs;
	s->free_slabs = slab;
}

/*
 * allocate_slab(): pages of order oo without reclaim first, then of order
 * min with the caller's flags; PG_slab and the slab id on every page; the
 * freelist through every object in address order (no randomization).
 */
static struct slab *allocate_slab(slub_t *s, struct kmem_cache *c, gfp_t flags, unsigned cpu)
{
	phys_t *pm = s->pm;
	unsigned order = c->oo_order, objects = c->oo_objects;
	gfp_t alloc_gfp;
	struct slab *slab;
	pfn_t pfn;

	flags = (flags & (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK)) | c->allocflags; /* new_slab() */
	alloc_gfp = (flags | GFP_F_NOWARN | GFP_F_NORETRY) & ~GFP_F_NOFAIL;
	if ((alloc_gfp & GFP_F_DIRECT_RECLAIM) && order > c->min_order)
		alloc_gfp = (alloc_gfp | GFP_F_NOMEMALLOC) & ~GFP_F_RECLAIM;
	pfn = alloc_pages(pm, alloc_gfp, order, cpu);
	if (pfn == PFN_NONE) {
		order = c->min_order;
		objects = c->min_objects;
		pfn = alloc_pages(pm, flags, order, cpu);
		if (pfn == PFN_NONE)
			return NULL;
		c->ev.order_fallback++;
	}
	slab = slab_struct_alloc(s);
	if (slab && slab->fp_cap < objects) {
		uint16_t *fp = realloc(slab->fp, objects * sizeof(*fp));

		if (fp) {
			slab->fp = fp;
			slab->fp_cap = (uint16_t)objects;
		} else {
			slab_struct_free(s, slab);
			slab = NULL;
		}
	}
	if (!slab) {
		free_pages(pm, pfn, order, cpu);
		return NULL;
	}
	slab->cache = c;
	slab->pfn = pfn;
	slab->objects = (uint16_t)objects;
	slab->inuse = 0;
	slab->order = (uint8_t)order;
	slab->frozen = 0;
	slab->list = SLAB_LIST_NONE;
	slab->node = page_zone(pm, pfn)->node;
	slab->freelist = 0;
	for (unsigned i = 0; i + 1 < objects; i++)
		slab->fp[i] = (uint16_t)(i + 1);
	slab->fp[objects - 1] = SLAB_FL_NONE;
	/* __folio_set_slab() and slab->slab_cache; tails point at the slab too */
	pm->mem_map[pfn].flags |= PG_slab;
	pm->mem_map[pfn].private = slab->id;
	for (unsigned i = 1; i < 1u << order; i++) {
		pm->mem_map[pfn + i].flags = PG_slab;
		pm->mem_map[pfn + i].private = slab->id;
	}
	c->nr_pages += 1u << order;
	s->nr_slab_pages += 1u << order;
	c->ev.alloc_slab++;
	cost_add(pm, COST_SLAB_NEW, 1);
	cost_add(pm, COST_SLAB_OBJ_TOUCH, objects);
	return slab;
}

/* __free_slab(): pages back to the page allocator from `cpu` */
static void free_slab(slub_t *s, struct kmem_cache *c, struct slab *slab, unsigned cpu)
{
	phys_t *pm = s->pm;
	pfn_t pfn = slab->pfn;
	unsigned order = slab->order;

	pm->mem_map[pfn].flags &= (uint16_t)~PG_slab;
	pm->mem_map[pfn].private = 0;
	for (unsigned i = 1; i < 1u << order; i++) {
		pm->mem_map[pfn + i].flags = 0;
		pm->mem_map[pfn + i].private = 0;
	}
	c->nr_pages -= 1u << order;
	s->nr_slab_pages -= 1u << order;
	c->ev.free_slab++;
	cost_add(pm, COST_SLAB_DISCARD, 1);
	slab_struct_free(s, slab);
	free_pages(pm, pfn, order, cpu);
}

static inline void inc_slabs_node(struct kmem_cache *c, const struct slab *slab)
{
	c->node[slab->node].nr_slabs++;
	c->node[slab->node].total_objects += slab->objects;
}

/* discard_slab(): dec_slabs_node() and free_slab() */
static void discard_slab(slub_t *s, struct kmem_cache *c, struct slab *slab, unsigned cpu)
{
	c->node[slab->node].nr_slabs--;
	c->node[slab->node].total_objects -= slab->objects;
	free_slab(s, c, slab, cpu);
}

/*
 * Make slab (or nothing, for NULL) cc's cpu slab, with the copies of its
 * free pointer array and address range the fast paths use.
 */
static void cpu_slab_set(struct kmem_cache_cpu *cc, struct slab *slab)
{
	cc->slab = slab;
	cc->fp = slab ? slab->fp : NULL;
	cc->base = slab ? slab_base(slab) : 0;
	cc->span = slab ? (uint32_t)slab->objects * cc->size : 0;
}

/* ---------------------------------------------------------------- partial lists */

static void add_partial(slub_t *s, struct kmem_cache_node *n, struct slab *slab, int tail)
{
	if (tail == DEACTIVATE_TO_TAIL) {
		slab->next = NULL;
		slab->prev = n->partial_tail;
		if (n->partial_tail)
			n->partial_tail->next = slab;
		else
			n->partial = slab;
		n->partial_tail = slab;
	} else {
		slab->prev = NULL;
		slab->next = n->partial;
		if (n->partial)
			n->partial->prev = slab;
		else
			n->partial_tail = slab;
		n->partial = slab;
	}
	n->nr_partial++;
	slab->list = SLAB_LIST_NODE;
	cost_add(s->pm, COST_SLAB_PARTIAL_OP, 1);
}

static void remove_partial(slub_t *s, struct kmem_cache_node *n, struct slab *slab)
{
	if (slab->prev)
		slab->prev->next = slab->next;
	else
		n->partial = slab->next;
	if (slab->next)
		slab->next->prev = slab->prev;
	else
		n->partial_tail = slab->prev;
	slab->next = slab->prev = NULL;
	n->nr_partial--;
	slab->list = SLAB_LIST_NONE;
	cost_add(s->pm, COST_SLAB_PARTIAL_OP, 1);
}

/*
 * __unfreeze_partials(): unfreeze a detached cpu partial list; each slab
 * goes to the tail of its node's partial list, or is discarded when empty
 * and the node already keeps min_partial slabs.
 */
static void unfreeze_partials_list(slub_t *s, struct kmem_cache *c, struct slab *partial,
				   unsigned cpu)
{
	struct kmem_cache_node *n = NULL;
	struct slab *discard = NULL;

	while (partial) {
		struct slab *slab = partial;
		struct kmem_cache_node *n2 = &c->node[slab->node];

		partial = slab->next;
		if (n != n2) {
			n = n2;
			cost_add(s->pm, COST_SLAB_LIST_LOCK, 1);
		}
		slab->frozen = 0;
		slab->list = SLAB_LIST_NONE;
		if (!slab->inuse && n->nr_partial >= c->min_partial) {
			slab->next = discard;
			discard = slab;
		} else {
			add_partial(s, n, slab, DEACTIVATE_TO_TAIL);
		}
	}
	while (discard) {
		struct slab *slab = discard;

		discard = slab->next;
		discard_slab(s, c, slab, cpu);
	}
}

/*
 * put_cpu_partial(): push a frozen slab on cpu's partial list; with drain,
 * a list already holding cpu_partial_slabs is unfrozen first.
 */
static void put_cpu_partial(slub_t *s, struct kmem_cache *c, struct slab *slab, bool drain,
			    unsigned cpu)
{
	struct kmem_cache_cpu *cc = &c->cpu_slab[cpu];
	struct slab *oldslab = cc->partial, *to_unfreeze = NULL;
	unsigned slabs = 0;

	if (oldslab) {
		if (drain && oldslab->slabs >= c->cpu_partial_slabs) {
			to_unfreeze = oldslab;
			oldslab = NULL;
		} else {
			slabs = oldslab->slabs;
		}
	}
	slab->slabs = (uint16_t)(slabs + 1);
	slab->next = oldslab;
	slab->prev = NULL;
	slab->list = SLAB_LIST_CPU_PARTIAL;
	slab->cpu = (uint16_t)cpu;
	cc->partial = slab;
	cost_add(s->pm, COST_SLAB_PARTIAL_OP, 1);
	if (to_unfreeze) {
		unfreeze_partials_list(s, c, to_unfreeze, cpu);
		c->ev.cpu_partial_drain++;
	}
}

/*
 * get_partial_node() with acquire_slab(): the first slab of the node list
 * becomes the cpu slab with its whole freelist (returned in *freelist);
 * with cpu partials, more follow onto the cpu partial list until more than
 * cpu_partial_slabs / 2 have.  Returns that first slab or NULL.
 */
static struct slab *get_partial_node(slub_t *s, struct kmem_cache *c, struct kmem_cache_node *n,
				     unsigned cpu, unsigned *freelist)
{
	struct slab *slab, *next, *first = NULL;
	unsigned partial_slabs = 0;

	if (!n->nr_partial)
		return NULL;
	cost_add(s->pm, COST_SLAB_LIST_LOCK, 1);
	for (slab = n->partial; slab; slab = next) {
		next = slab->next;
		remove_partial(s, n, slab);
		slab->frozen = 1;
		if (!first) {
			/* acquire_slab(mode = 1): take the freelist, count all in use */
			*freelist = slab->freelist;
			slab->freelist = SLAB_FL_NONE;
			slab->inuse = slab->objects;
			first = slab;
			c->ev.alloc_from_partial++;
		} else {
			put_cpu_partial(s, c, slab, false, cpu);
			c->ev.cpu_partial_node++;
			partial_slabs++;
		}
		if (!has_cpu_partial(s) || partial_slabs > c->cpu_partial_slabs / 2)
			break;
	}
	return first;
}

/*
 * get_partial(): the local node's list, then (get_any_partial) the other
 * nodes in zonelist order whose lists hold more than min_partial slabs.
 */
static struct slab *get_partial(slub_t *s, struct kmem_cache *c, unsigned cpu, unsigned *freelist)
{
	phys_t *pm = s->pm;
	unsigned local = pm->cpu_node[cpu];
	struct slab *slab = get_partial_node(s, c, &c->node[local], cpu, freelist);

	if (slab || s->nr_nodes == 1)
		return slab;
	for (unsigned k = 1; k < s->nr_nodes; k++) {
		struct kmem_cache_node *n = &c->node[(local + k) % s->nr_nodes];

		if (n->nr_partial > c->min_partial) {
			slab = get_partial_node(s, c, n, cpu, freelist);
			if (slab)
				return slab;
		}
	}
	return NULL;
}

/*
 * deactivate_slab(): give a cpu slab back: its cpu freelist joins
 * slab->freelist, and it goes to the node partial list (tail when others
 * had freed into it), is discarded when empty beyond min_partial, or stays
 * on no list when full.
 */
static void deactivate_slab(slub_t *s, struct kmem_cache *c, struct slab *slab, unsigned freelist,
			    unsigned cpu)
{
	struct kmem_cache_node *n = &c->node[slab->node];
	int tail = slab->freelist != SLAB_FL_NONE ? DEACTIVATE_TO_TAIL : DEACTIVATE_TO_HEAD;
	unsigned free_delta = 0, last = SLAB_FL_NONE;

	for (unsigned i = freelist; i != SLAB_FL_NONE; i = slab->fp[i]) {
		last = i;
		free_delta++;
	}
	cost_add(s->pm, COST_SLAB_OBJ_TOUCH, free_delta);
	if (last != SLAB_FL_NONE) {
		slab->fp[last] = slab->freelist;
		slab->freelist = (uint16_t)freelist;
		slab->inuse = (uint16_t)(slab->inuse - free_delta);
	}
	slab->frozen = 0;
	slab->list = SLAB_LIST_NONE;
	if (!slab->inuse && n->nr_partial >= c->min_partial) {
		discard_slab(s, c, slab, cpu);
	} else if (slab->freelist != SLAB_FL_NONE) {
		cost_add(s->pm, COST_SLAB_LIST_LOCK, 1);
		add_partial(s, n, slab, tail);
	}
}

/* __flush_cpu_slab(): deactivate cpu's slab and unfreeze its partial list */
static void flush_cpu_slab(slub_t *s, struct kmem_cache *c, unsigned cpu)
{
	struct kmem_cache_cpu *cc = &c->cpu_slab[cpu];
	struct slab *slab = cc->slab, *partial = cc->partial;
	unsigned freelist = cc->freelist;

	cpu_slab_set(cc, NULL);
	cc->freelist = SLAB_FL_NONE;
	cc->tid++;
	if (slab)
		deactivate_slab(s, c, slab, freelist, cpu);
	cc->partial = NULL;
	if (partial)
		unfreeze_partials_list(s, c, partial, cpu);
}

/* flush_all(): every CPU that has a cpu slab or cpu partial slabs */
void slub_flush_all(slub_t *s, struct kmem_cache *c)
{
	for (unsigned cpu = 0; cpu < s->nr_cpus; cpu++)
		if (c->cpu_slab[cpu].slab || c->cpu_slab[cpu].partial)
			flush_cpu_slab(s, c, cpu);
}

/* ---------------------------------------------------------------- slow paths */

uint64_t slab_alloc_slow(slub_t *s, struct kmem_cache *c, gfp_t gfp, unsigned cpu,
			 unsigned orig_size)
{
	struct kmem_cache_cpu *cc = &c->cpu_slab[cpu];
	struct slab *slab;
	unsigned freelist;

	c->ev.alloc_slowpath++;
	cost_add(s->pm, COST_SLAB_ALLOC_SLOW, 1);
	slab = cc->slab;
	if (!slab)
		goto new_slab;
redo:
	freelist = cc->freelist;
	if (freelist != SLAB_FL_NONE)
		goto load_freelist;
	/* get_freelist(): what other CPUs freed into the frozen slab */
	freelist = slab->freelist;
	slab->freelist = SLAB_FL_NONE;
	slab->inuse = slab->objects;
	slab->frozen = freelist != SLAB_FL_NONE;
	if (freelist == SLAB_FL_NONE) {
		cpu_slab_set(cc, NULL); /* full: it stays on no list (DEACTIVATE_BYPASS) */
		cc->tid++;
		slab->list = SLAB_LIST_NONE;
		goto new_slab;
	}
load_freelist:
	cc->freelist = slab->fp[freelist];
	cc->tid++;
	slab->fp[freelist] = (uint16_t)(orig_size | SLAB_OBJ_LIVE);
	s->free_hint[cpu] = cc;
	c->nr_active++;
	c->bytes_requested += orig_size;
	slab_count_zero(s, c, gfp);
	return slab_obj_addr(c, slab, freelist);

new_slab:
	if (cc->partial) {
		slab = cc->partial;
		cpu_slab_set(cc, slab);
		cc->partial = slab->next;
		slab->next = NULL;
		slab->list = SLAB_LIST_CPU_SLAB;
		c->ev.cpu_partial_alloc++;
		cost_add(s->pm, COST_SLAB_PARTIAL_OP, 1);
		goto redo;
	}
	slab = get_partial(s, c, cpu, &freelist);
	if (!slab) {
		slab = allocate_slab(s, c, gfp, cpu);
		if (!slab) {
			c->ev.alloc_fail++;     /* slab_out_of_memory() */
			return 0;
		}
		freelist = slab->freelist;
		slab->freelist = SLAB_FL_NONE;
		slab->inuse = slab->objects;
		slab->frozen = 1;
		inc_slabs_node(c, slab);
	}
	/* retry_load_slab: c->slab is NULL here, nothing runs in between */
	cpu_slab_set(cc, slab);
	slab->list = SLAB_LIST_CPU_SLAB;
	slab->cpu = (uint16_t)cpu;
	goto load_freelist;
}

void slab_free_slow(slub_t *s, struct kmem_cache *c, struct slab *slab, unsigned idx,
		    unsigned cpu)
{
	unsigned prior = slab->freelist;
	bool was_frozen = slab->frozen;
	struct kmem_cache_node *n;

	c->ev.free_slowpath++;
	cost_add(s->pm, COST_SLAB_FREE_SLOW, 1);
	slab->fp[idx] = (uint16_t)prior;
	slab->freelist = (uint16_t)idx;
	slab->inuse--;
	if (was_frozen)
		return;                 /* FREE_FROZEN: the owning CPU deals with it */
	if (slab->inuse && prior != SLAB_FL_NONE)
		return;                 /* still partial, on its node list */
	if (has_cpu_partial(s) && prior == SLAB_FL_NONE) {
		/* was full: freeze it onto this CPU's partial list */
		slab->frozen = 1;
		put_cpu_partial(s, c, slab, true, cpu);
		c->ev.cpu_partial_free++;
		return;
	}
	n = &c->node[slab->node];
	cost_add(s->pm, COST_SLAB_LIST_LOCK, 1);
	if (!slab->inuse && n->nr_partial >= c->min_partial) {
		/* slab_empty */
		if (prior != SLAB_FL_NONE)
			remove_partial(s, n, slab);
		discard_slab(s, c, slab, cpu);
		return;
	}
	if (!has_cpu_partial(s) && prior == SLAB_FL_NONE)
		add_partial(s, n, slab, DEACTIVATE_TO_TAIL);
}

int kfree_slow(slub_t *s, uint64_t addr, unsigned cpu)
{
	struct slab *slab;
	unsigned idx;
	int rc = slab_find_object(s, NULL, addr, &slab, &idx);

	if (__builtin_expect(rc == 0, 1)) {
		slab_free(s, slab, idx, cpu);
		return 0;
	}
	if (addr <= ZERO_SIZE_PTR)      /* ZERO_OR_NULL_PTR() */
		return 0;
	if (rc < 0) {
		s->ev.invalid_free++;
		return -MM_EINVAL;
	}
	return kfree_large(s, addr, cpu);
}

int kmem_cache_free_slow(slub_t *s, struct kmem_cache *c, uint64_t addr, unsigned cpu)
{
	struct slab *slab;
	unsigned idx;

	if (!c)
		return -MM_EINVAL;
	if (slab_find_object(s, c, addr, &slab, &idx)) {
		c->ev.invalid_free++;
		return -MM_EINVAL;
	}
	slab_free(s, slab, idx, cpu);
	return 0;
}

/* ---------------------------------------------------------------- shrink, shutdown */

/*
 * __kmem_cache_do_shrink(): discard the empty slabs of every node list and
 * sort the rest: slabs with 1..SHRINK_PROMOTE_MAX free objects first,
 * fewest free first (each group in reverse list order, as list_move()
 * builds it), then the others in list order.  Returns 1 if slabs remain.
 */
static int kmem_cache_do_shrink(slub_t *s, struct kmem_cache *c, unsigned cpu)
{
	int ret = 0;

	for (unsigned node = 0; node < s->nr_nodes; node++) {
		struct kmem_cache_node *n = &c->node[node];
		struct slab *promote[SHRINK_PROMOTE_MAX] = { NULL };
		struct slab *rest = NULL, *rest_tail = NULL, *discard = NULL, *slab, *next;

		cost_add(s->pm, COST_SLAB_LIST_LOCK, 1);
		for (slab = n->partial; slab; slab = next) {
			unsigned free = slab->objects - slab->inuse;

			next = slab->next;
			cost_add(s->pm, COST_SLAB_PARTIAL_OP, 1);
			if (free == slab->objects) {
				slab->next = discard;
				discard = slab;
				n->nr_partial--;
			} else if (free <= SHRINK_PROMOTE_MAX) {
				slab->next = promote[free - 1];
				promote[free - 1] = slab;
			} else {
				slab->next = NULL;
				if (rest_tail)
					rest_tail->next = slab;
				else
					rest = slab;
				rest_tail = slab;
			}
		}
		/* relink: promote[0], ..., promote[31], rest */
		n->partial = n->partial_tail = NULL;
		for (int i = 0; i <= SHRINK_PROMOTE_MAX; i++) {
			for (slab = i < SHRINK_PROMOTE_MAX ? promote[i] : rest; slab; slab = next) {
				next = slab->next;
				slab->next = NULL;
				slab->prev = n->partial_tail;
				if (n->partial_tail)
					n->partial_tail->next = slab;
				else
					n->partial = slab;
				n->partial_tail = slab;
			}
		}
		while (discard) {
			slab = discard;
			discard = slab->next;
			slab->list = SLAB_LIST_NONE;
			discard_slab(s, c, slab, cpu);
		}
		if (n->nr_slabs)
			ret = 1;
	}
	return ret;
}

int kmem_cache_shrink(slub_t *s, struct kmem_cache *c, unsigned cpu)
{
	if (!c)
		return -MM_EINVAL;
	cpu = slub_cpu(s, cpu);
	slub_flush_all(s, c);
	return kmem_cache_do_shrink(s, c, cpu);
}

void slub_shrink_all(slub_t *s)
{
	for (struct kmem_cache *c = s->slab_caches; c; c = c->list_next)
		kmem_cache_shrink(s, c, 0);
}

/*
 * __kmem_cache_shutdown(): flush all CPUs, discard the empty partial slabs
 * (free_partial); returns 1 if the cache still holds slabs.
 */
int kmem_cache_shutdown(slub_t *s, struct kmem_cache *c, unsigned cpu)
{
	slub_flush_all(s, c);
	for (unsigned node = 0; node < s->nr_nodes; node++) {
		struct kmem_cache_node *n = &c->node[node];
		struct slab *slab, *next;

		cost_add(s->pm, COST_SLAB_LIST_LOCK, 1);
		for (slab = n->partial; slab; slab = next) {
			next = slab->next;
			if (!slab->inuse) {
				remove_partial(s, n, slab);
				discard_slab(s, c, slab, cpu);
			}
		}
	}
	for (unsigned node = 0; node < s->nr_nodes; node++)
		if (c->node[node].nr_partial || c->node[node].nr_slabs)
			return 1;
	return 0;
}

/* Give every slab of every cache back to the page allocator (slub_destroy). */
void slub_free_all_slabs(slub_t *s)
{
	for (uint32_t id = 0; id < s->nr_slab_ids; id++) {
		struct slab *slab = slab_from_id(s, id);

		if (slab->pfn != PFN_NONE)
			free_slab(s, slab->cache, slab, 0);
	}
	for (unsigned i = 0; i < s->nr_slab_chunks; i++) {
		for (unsigned k = 0; k < 1u << SLAB_CHUNK_SHIFT; k++)
			free(s->slab_chunk[i][k].fp);
		free(s->slab_chunk[i]);
	}
	free(s->slab_chunk);
	s->slab_chunk = NULL;
	s->nr_slab_chunks = s->slab_chunk_cap = 0;
	s->nr_slab_ids = 0;
	s->free_slabs = NULL;
}

/* ---------------------------------------------------------------- statistics */

static void cache_stats(const struct kmem_cache *c, unsigned nr_cpus, unsigned nr_nodes,
			struct slub_stats *st)
{
	st->nr_caches++;
	st->active_objs += c->nr_active;
	st->bytes_requested += c->bytes_requested;
	st->bytes_allocated += c->nr_active * c->size;
	st->slab_pages += c->nr_pages;
	for (unsigned node = 0; node < nr_nodes; node++) {
		const struct kmem_cache_node *n = &c->node[node];

		st->nr_slabs += n->nr_slabs;
		st->total_objs += n->total_objects;
		st->nr_partial_slabs += n->nr_partial;
		for (const struct slab *slab = n->partial; slab; slab = slab->next)
			st->partial_free_objs += (uint64_t)(slab->objects - slab->inuse);
	}
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		st->nr_cpu_slabs += c->cpu_slab[cpu].slab != NULL;
		if (c->cpu_slab[cpu].partial)
			st->nr_cpu_partial_slabs += c->cpu_slab[cpu].partial->slabs;
	}
	st->alloc_fail += c->ev.alloc_fail;
	st->alloc_fastpath += c->ev.alloc_fastpath;
	st->alloc_slowpath += c->ev.alloc_slowpath;
	st->free_fastpath += c->ev.free_fastpath;
	st->free_slowpath += c->ev.free_slowpath;
	st->slabs_allocated += c->ev.alloc_slab;
	st->slabs_freed += c->ev.free_slab;
}

void slub_stats(const slub_t *s, const struct kmem_cache *c, struct slub_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (c) {
		cache_stats(c, s->nr_cpus, s->nr_nodes, st);
		return;
	}
	for (c = s->slab_caches; c; c = c->list_next)
		cache_stats(c, s->nr_cpus, s->nr_nodes, st);
	st->active_objs += s->nr_large;
	st->bytes_requested += s->large_bytes_requested;
	st->bytes_allocated += s->large_pages << PAGE_SHIFT;
	st->slab_pages += s->large_pages;
	st->alloc_fail += s->ev.large_fail;
	st->nr_large = s->nr_large;
	st->large_pages = s->large_pages;
}
