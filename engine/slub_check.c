/*
 * slub_check.c - slub_check(): recount every slab, list and counter of the
 * SLUB model and report the first disagreement, as buddy_check() does for
 * the page allocator (the kernel's validate_slab_cache(), on_freelist() and
 * count_partial(), extended to the cpu lists and the memmap).
 */
#include "engine/slub.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) return mm_error(msg, len, -1, __VA_ARGS__)

#define SEEN_WORDS	((MAX_OBJS_PER_PAGE + 64) / 64)

/* Per-cache totals recounted from the slabs. */
struct cache_count {
	uint64_t nr_slabs[MAX_NUMNODES];        /* slabs per node */
	uint64_t nr_objs[MAX_NUMNODES];         /* object slots per node */
	uint64_t live;                          /* live objects */
	uint64_t requested;                     /* their requested bytes */
	uint64_t pages;                         /* pages */
	uint64_t by_list[4];                    /* slabs per enum slab_list */
};

/*
 * Walk a freelist starting at first, marking objects in seen; every object
 * must be inside the slab, free (not live) and on no other list.  Returns
 * the count or -1.
 */
static int walk_freelist(const struct slab *slab, unsigned first, uint64_t *seen,
			 const char *what, char *msg, size_t len)
{
	const char *name = slab->cache->name;
	int n = 0;

	for (unsigned i = first; i != SLAB_FL_NONE; i = slab->fp[i]) {
		if (i >= slab->objects)
			FAIL("%s: slab pfn %u: %s holds index %u of %u objects", name, slab->pfn, what, i,
			     slab->objects);
		if (seen[i >> 6] & (1ull << (i & 63)))
			FAIL("%s: slab pfn %u: object %u twice on the freelists (%s): cycle or shared",
			     name, slab->pfn, i, what);
		if (slab->fp[i] & SLAB_OBJ_LIVE)
			FAIL("%s: slab pfn %u: object %u is live and on the %s", name, slab->pfn, i, what);
		seen[i >> 6] |= 1ull << (i & 63);
		n++;
	}
	return n;
}

static int check_slab(const slub_t *s, const struct slab *slab, struct cache_count *cnt,
		      char *msg, size_t len)
{
	const phys_t *pm = s->pm;
	const struct kmem_cache *c = slab->cache;
	const struct page *head;
	uint64_t seen[SEEN_WORDS] = { 0 };
	unsigned live = 0;
	int nfree, ncpu = 0;

	if ((uint64_t)slab->pfn + (1u << slab->order) > pm->max_pfn)
		FAIL("%s: slab pfn %u order %u past the end of memory", c->name, slab->pfn, slab->order);
	if (!((slab->order == c->oo_order && slab->objects == c->oo_objects) ||
	      (slab->order == c->min_order && slab->objects == c->min_objects)))
		FAIL("%s: slab pfn %u: order %u with %u objects is neither oo (%u, %u) nor min (%u, %u)",
		     c->name, slab->pfn, slab->order, slab->objects, c->oo_order, c->oo_objects,
		     c->min_order, c->min_objects);
	head = &pm->mem_map[slab->pfn];
	if ((head->flags & (PG_head | PG_slab)) != (PG_head | PG_slab) || head->order != slab->order ||
	    head->private != slab->id || head->refcount <= 0)
		FAIL("%s: slab pfn %u: head page flags %#x order %u private %u (want PG_head|PG_slab, order %u, id %u)",
		     c->name, slab->pfn, head->flags, head->order, head->private, slab->order, slab->id);
	for (unsigned i = 1; i < 1u << slab->order; i++) {
		const struct page *p = &pm->mem_map[slab->pfn + i];

		if (p->flags != PG_slab || p->private != slab->id)
			FAIL("%s: slab pfn %u: tail pfn %u flags %#x private %u", c->name, slab->pfn,
			     slab->pfn + i, p->flags, p->private);
	}
	if (slab->node != page_zone(pm, slab->pfn)->node || slab->node >= s->nr_nodes)
		FAIL("%s: slab pfn %u: node %u, its pages are on node %u", c->name, slab->pfn, slab->node,
		     page_zone(pm, slab->pfn)->node);
	for (unsigned i = 0; i < slab->objects; i++)
		live += !!(slab->fp[i] & SLAB_OBJ_LIVE);
	nfree = walk_freelist(slab, slab->freelist, seen, "slab freelist", msg, len);
	if (nfree < 0)
		return -1;
	if (slab->inuse != slab->objects - (unsigned)nfree)
		FAIL("%s: slab pfn %u: inuse %u, but %d of %u objects are on its freelist", c->name,
		     slab->pfn, slab->inuse, nfree, slab->objects);
	switch (slab->list) {
	case SLAB_LIST_CPU_SLAB: {
		const struct kmem_cache_cpu *cc;

		if (slab->cpu >= s->nr_cpus || (cc = &c->cpu_slab[slab->cpu])->slab != slab)
			FAIL("%s: slab pfn %u: marked cpu slab of cpu %u, which does not hold it", c->name,
			     slab->pfn, slab->cpu);
		if (!slab->frozen)
			FAIL("%s: slab pfn %u: cpu slab not frozen", c->name, slab->pfn);
		ncpu = walk_freelist(slab, cc->freelist, seen, "cpu freelist", msg, len);
		if (ncpu < 0)
			return -1;
		if (live + (unsigned)ncpu != slab->inuse)
			FAIL("%s: slab pfn %u (cpu %u slab): %u live + %d on the cpu freelist != inuse %u",
			     c->name, slab->pfn, slab->cpu, live, ncpu, slab->inuse);
		break;
	}
	case SLAB_LIST_CPU_PARTIAL:
		if (!slab->frozen || !nfree || slab->cpu >= s->nr_cpus)
			FAIL("%s: slab pfn %u: cpu partial slab frozen %u, %d free, cpu %u", c->name,
			     slab->pfn, slab->frozen, nfree, slab->cpu);
		break;
	case SLAB_LIST_NODE:
		if (slab->frozen || !nfree)
			FAIL("%s: slab pfn %u: node partial slab frozen %u with %d free objects", c->name,
			     slab->pfn, slab->frozen, nfree);
		break;
	case SLAB_LIST_NONE:
		if (slab->frozen || nfree)
			FAIL("%s: slab pfn %u: on no list but frozen %u with %d free objects", c->name,
			     slab->pfn, slab->frozen, nfree);
		break;
	default:
		FAIL("%s: slab pfn %u: bad list state %u", c->name, slab->pfn, slab->list);
	}
	if (slab->list != SLAB_LIST_CPU_SLAB && live != slab->inuse)
		FAIL("%s: slab pfn %u: %u live objects, inuse %u", c->name, slab->pfn, live, slab->inuse);
	if (live + (unsigned)nfree + (unsigned)ncpu != slab->objects)
		FAIL("%s: slab pfn %u: %u live + %d free + %d cpu-free != %u objects", c->name, slab->pfn,
		     live, nfree, ncpu, slab->objects);
	cnt->nr_slabs[slab->node]++;
	cnt->nr_objs[slab->node] += slab->objects;
	cnt->live += live;
	cnt->pages += 1u << slab->order;
	cnt->by_list[slab->list]++;
	for (unsigned i = 0; i < slab->objects; i++) {
		unsigned req = slab_req(slab)[i] & SLAB_OBJ_REQ;

		if (!(slab->fp[i] & SLAB_OBJ_LIVE))
			continue;
		if (c->kmalloc && (!req || req > c->size))
			FAIL("%s: slab pfn %u: live object %u asked for %u bytes of a %u-byte slot", c->name,
			     slab->pfn, i, req, c->size);
		cnt->requested += c->kmalloc ? req : c->object_size;
	}
	return 0;
}

static int check_cache_lists(const slub_t *s, const struct kmem_cache *c,
			     const struct cache_count *cnt, char *msg, size_t len)
{
	uint64_t cpu_slabs = 0, cpu_partials = 0;

	for (unsigned node = 0; node < s->nr_nodes; node++) {
		const struct kmem_cache_node *n = &c->node[node];
		const struct slab *prev = NULL;
		uint64_t nr = 0;

		for (const struct slab *slab = n->partial; slab; slab = slab->next) {
			if (slab->cache != c || slab->list != SLAB_LIST_NODE || slab->node != node ||
			    slab->prev != prev)
				FAIL("%s: node %u partial list: slab pfn %u cache %s list %u node %u, bad prev link",
				     c->name, node, slab->pfn, slab->cache ? slab->cache->name : "?",
				     slab->list, slab->node);
			if (++nr > cnt->nr_slabs[node])
				FAIL("%s: node %u partial list loops or holds foreign slabs", c->name, node);
			prev = slab;
		}
		if (n->partial_tail != prev)
			FAIL("%s: node %u partial list tail is not its last slab", c->name, node);
		if (nr != n->nr_partial)
			FAIL("%s: node %u nr_partial %llu, list holds %llu", c->name, node,
			     (unsigned long long)n->nr_partial, (unsigned long long)nr);
		if (n->nr_slabs != cnt->nr_slabs[node] || n->total_objects != cnt->nr_objs[node])
			FAIL("%s: node %u counts %llu slabs %llu objects, the slabs are %llu and %llu",
			     c->name, node, (unsigned long long)n->nr_slabs,
			     (unsigned long long)n->total_objects, (unsigned long long)cnt->nr_slabs[node],
			     (unsigned long long)cnt->nr_objs[node]);
	}
	for (unsigned cpu = 0; cpu < s->nr_cpus; cpu++) {
		const struct kmem_cache_cpu *cc = &c->cpu_slab[cpu];
		const struct slab *cs = cc->slab;
		uint64_t nr = 0;

		if (cc->cache != c || cc->size != c->size || cc->reciprocal != c->reciprocal)
			FAIL("%s: cpu %u: kmem_cache_cpu copies cache %s, size %u, reciprocal %#llx",
			     c->name, cpu, cc->cache ? cc->cache->name : "?", cc->size,
			     (unsigned long long)cc->reciprocal);
		if (cs ? cc->fp != cs->fp || cc->base != slab_base(cs) ||
			 cc->span != (uint32_t)cs->objects * c->size
		       : cc->fp || cc->base || cc->span)
			FAIL("%s: cpu %u: cpu slab copies fp %p base %#llx span %u, its slab is at pfn %u",
			     c->name, cpu, (void *)cc->fp, (unsigned long long)cc->base, cc->span,
			     cs ? cs->pfn : PFN_NONE);
		if (cc->slab) {
			if (cc->slab->cache != c || cc->slab->list != SLAB_LIST_CPU_SLAB || cc->slab->cpu != cpu)
				FAIL("%s: cpu %u slab pfn %u is marked list %u cpu %u", c->name, cpu,
				     cc->slab->pfn, cc->slab->list, cc->slab->cpu);
			cpu_slabs++;
		} else if (cc->freelist != SLAB_FL_NONE) {
			FAIL("%s: cpu %u has a freelist (%u) but no slab", c->name, cpu, cc->freelist);
		}
		for (const struct slab *slab = cc->partial; slab; slab = slab->next) {
			if (slab->cache != c || slab->list != SLAB_LIST_CPU_PARTIAL || slab->cpu != cpu)
				FAIL("%s: cpu %u partial list: slab pfn %u is marked list %u cpu %u", c->name,
				     cpu, slab->pfn, slab->list, slab->cpu);
			if (++nr > cnt->by_list[SLAB_LIST_CPU_PARTIAL])
				FAIL("%s: cpu %u partial list loops", c->name, cpu);
		}
		for (const struct slab *slab = cc->partial; slab; slab = slab->next, nr--)
			if (slab->slabs != nr)
				FAIL("%s: cpu %u partial slab pfn %u: slabs %u, %llu from here to the end",
				     c->name, cpu, slab->pfn, slab->slabs, (unsigned long long)nr);
		for (const struct slab *slab = cc->partial; slab; slab = slab->next)
			cpu_partials++;
	}
	if (cpu_slabs != cnt->by_list[SLAB_LIST_CPU_SLAB] ||
	    cpu_partials != cnt->by_list[SLAB_LIST_CPU_PARTIAL])
		FAIL("%s: %llu cpu slabs and %llu cpu partial slabs on the cpus, %llu and %llu marked",
		     c->name, (unsigned long long)cpu_slabs, (unsigned long long)cpu_partials,
		     (unsigned long long)cnt->by_list[SLAB_LIST_CPU_SLAB],
		     (unsigned long long)cnt->by_list[SLAB_LIST_CPU_PARTIAL]);
	if (c->nr_active != cnt->live || c->bytes_requested != cnt->requested || c->nr_pages != cnt->pages)
		FAIL("%s: counts %llu live, %llu bytes requested, %llu pages; the slabs hold %llu, %llu, %llu",
		     c->name, (unsigned long long)c->nr_active, (unsigned long long)c->bytes_requested,
		     (unsigned long long)c->nr_pages, (unsigned long long)cnt->live,
		     (unsigned long long)cnt->requested, (unsigned long long)cnt->pages);
	return 0;
}

/* Every CPU's free_hint names that CPU's kmem_cache_cpu of a live cache. */
static int check_free_hints(const slub_t *s, char *msg, size_t len)
{
	for (unsigned cpu = 0; cpu < s->nr_cpus; cpu++) {
		const struct kmem_cache *c;

		for (c = s->slab_caches; c; c = c->list_next)
			if (s->free_hint[cpu] == &c->cpu_slab[cpu])
				break;
		if (!c && !(s->kmem_cache_node && s->free_hint[cpu] == &s->kmem_cache_node->cpu_slab[cpu]))
			FAIL("cpu %u: free_hint %p is no kmem_cache_cpu of this cpu", cpu,
			     (void *)s->free_hint[cpu]);
	}
	return 0;
}

static int check_memmap(const slub_t *s, char *msg, size_t len)
{
	const phys_t *pm = s->pm;
	uint64_t slab_pages = 0, large_pages = 0, large_bytes = 0, nr_large = 0;

	for (pfn_t pfn = 0; pfn < pm->max_pfn; pfn++) {
		const struct page *p = &pm->mem_map[pfn];
		const struct slab *slab;

		if (!(p->flags & PG_slab))
			continue;
		if (p->private >= s->nr_slab_ids)
			FAIL("pfn %u: PG_slab with slab id %u of %u", pfn, p->private, s->nr_slab_ids);
		slab = slab_from_id(s, p->private);
		if (slab->pfn == PFN_NONE || pfn < slab->pfn || pfn >= slab->pfn + (1u << slab->order))
			FAIL("pfn %u: PG_slab page of slab id %u, which is at pfn %u order %u", pfn,
			     p->private, slab->pfn, slab->order);
		slab_pages++;
	}
	if (slab_pages != s->nr_slab_pages)
		FAIL("%llu PG_slab pages in the memmap, slabs hold %llu", (unsigned long long)slab_pages,
		     (unsigned long long)s->nr_slab_pages);
	for (uint32_t e = 0; e < s->nr_large_ids; e++) {
		const struct large_kmalloc *l = &s->large[e];
		const struct page *p;

		if (l->pfn == PFN_NONE)
			continue;
		p = &pm->mem_map[l->pfn];
		if ((p->flags & (PG_head | PG_slab)) != PG_head || p->order != l->order || p->private != e)
			FAIL("large kmalloc %u at pfn %u: flags %#x order %u private %u (want order %u)", e,
			     l->pfn, p->flags, p->order, p->private, l->order);
		if (slub_get_order(l->size) > l->order)
			FAIL("large kmalloc at pfn %u: order %u for %llu bytes", l->pfn, l->order,
			     (unsigned long long)l->size);
		nr_large++;
		large_pages += 1ull << l->order;
		large_bytes += l->size;
	}
	if (nr_large != s->nr_large || large_pages != s->large_pages ||
	    large_bytes != s->large_bytes_requested)
		FAIL("large kmalloc counts %llu / %llu pages / %llu bytes, table holds %llu / %llu / %llu",
		     (unsigned long long)s->nr_large, (unsigned long long)s->large_pages,
		     (unsigned long long)s->large_bytes_requested, (unsigned long long)nr_large,
		     (unsigned long long)large_pages, (unsigned long long)large_bytes);
	return 0;
}

int slub_check(const slub_t *s, char *msg, size_t len)
{
	struct cache_count *cnt;
	uint64_t nr_caches = 0;
	int ret = 0;

	cnt = calloc(s->nr_cache_ids ? s->nr_cache_ids : 1, sizeof(*cnt));
	if (!cnt)
		return mm_error(msg, len, -1, "out of host memory");
	for (uint32_t id = 0; id < s->nr_slab_ids && !ret; id++) {
		const struct slab *slab = slab_from_id(s, id);

		if (slab->id != id)
			ret = mm_error(msg, len, -1, "slab table entry %u holds id %u", id, slab->id);
		else if (slab->pfn != PFN_NONE && (!slab->cache || slab->cache->id >= s->nr_cache_ids ||
						     s->caches[slab->cache->id] != slab->cache))
			ret = mm_error(msg, len, -1, "slab %u pfn %u: its cache is not a live cache", id, slab->pfn);
		else if (slab->pfn != PFN_NONE)
			ret = check_slab(s, slab, &cnt[slab->cache->id], msg, len);
	}
	for (const struct kmem_cache *c = s->slab_caches; c && !ret; c = c->list_next) {
		if (c->id >= s->nr_cache_ids || s->caches[c->id] != c)
			ret = mm_error(msg, len, -1, "%s: on the cache list but not in the table", c->name);
		else
			ret = check_cache_lists(s, c, &cnt[c->id], msg, len);
		nr_caches++;
	}
	if (!ret && nr_caches != s->nr_caches)
		ret = mm_error(msg, len, -1, "%llu caches on the list, nr_caches %u", (unsigned long long)nr_caches,
			   s->nr_caches);
	if (!ret)
		ret = check_free_hints(s, msg, len);
	if (!ret)
		ret = check_memmap(s, msg, len);
	free(cnt);
	return ret;
}
