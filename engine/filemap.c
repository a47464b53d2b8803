/*
 * filemap.c - the page cache of the VM model: one page per (file id, page
 * offset), shared by every mm that maps the file (mm/filemap.c:
 * filemap_get_folio, __filemap_get_folio with FGP_CREAT,
 * filemap_add_folio).  A hash table stands in for each mapping's xarray.
 * Pages are allocated GFP_HIGHUSER_MOVABLE (mapping_gfp_mask's default),
 * owned as OWNER_FILE and movable, and stay cached, held by the cache's
 * reference, until vmsys_destroy(): reclaim, writeback and truncation are
 * not modeled.
 *
 * Warm or cold (vm_config.page_cache_warm).  A cold cache starts empty: the
 * first fault on a file page reads it in (a major fault).  A warm cache
 * stands for files read before the run (a program's binary and libraries
 * normally are): every file page is cached and uptodate, so no fault is
 * major and fault-around finds every page of its window.  The model's
 * entry for such a page is made the first time a fault or fault-around
 * needs it; the page itself is allocated then.
 */
#include <stdlib.h>

#include "engine/page_alloc.h"
#include "engine/pgtable.h"
#include "engine/rmap.h"

static uint32_t cache_hash(const struct page_cache *pc, uint32_t file, uint64_t pgoff)
{
	uint64_t h = (pgoff + ((uint64_t)file << 40)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) & (pc->nr_buckets - 1);
}

int page_cache_init(vmsys_t *vs)
{
	struct page_cache *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return -MM_ENOMEM;
	pc->nr_buckets = 1024;
	pc->buckets = calloc(pc->nr_buckets, sizeof(*pc->buckets));
	if (!pc->buckets) {
		free(pc);
		return -MM_ENOMEM;
	}
	vs->page_cache = pc;
	return 0;
}

void page_cache_destroy(vmsys_t *vs)
{
	struct page_cache *pc = vs->page_cache;

	if (!pc)
		return;
	for (uint32_t i = 0; i < pc->nr_pages; i++)        /* the mms are gone: only the cache holds them */
		free_pages(vs->pm, pc->entries[i].pfn, 0, vs->this_cpu);
	free(pc->entries);
	free(pc->buckets);
	free(pc);
	vs->page_cache = NULL;
}

pfn_t filemap_find(vmsys_t *vs, uint32_t file, uint64_t pgoff)
{
	const struct page_cache *pc = vs->page_cache;

	cost_add(vs->pm, COST_PAGECACHE_OP, 1);
	for (uint32_t i = pc->buckets[cache_hash(pc, file, pgoff)]; i; i = pc->entries[i - 1].hnext) {
		const struct page_cache_entry *e = &pc->entries[i - 1];

		if (e->file == file && e->pgoff == pgoff)
			return e->pfn;
	}
	return PFN_NONE;
}

/* Double the buckets when the table is full on average. */
static int cache_grow(struct page_cache *pc)
{
	uint32_t n = pc->nr_buckets * 2;
	uint32_t *b = calloc(n, sizeof(*b));

	if (!b)
		return -MM_ENOMEM;
	free(pc->buckets);
	pc->buckets = b;
	pc->nr_buckets = n;
	for (uint32_t i = 0; i < pc->nr_pages; i++) {
		uint32_t h = cache_hash(pc, pc->entries[i].file, pc->entries[i].pgoff);

		pc->entries[i].hnext = b[h];
		b[h] = i + 1;
	}
	return 0;
}

pfn_t filemap_get_page(vmsys_t *vs, uint32_t file, uint64_t pgoff, unsigned cpu, bool *major)
{
	struct page_cache *pc = vs->page_cache;
	pfn_t pfn = filemap_find(vs, file, pgoff);
	uint32_t h;

	*major = false;
	if (pfn != PFN_NONE)
		return pfn;
	if (pc->nr_pages == pc->cap) {
		uint32_t cap = pc->cap ? pc->cap * 2 : 1024;
		struct page_cache_entry *p = realloc(pc->entries, (size_t)cap * sizeof(*p));

		if (!p || cap <= pc->cap)
			return PFN_NONE;
		pc->entries = p;
		pc->cap = cap;
	}
	if (pc->nr_pages >= pc->nr_buckets && cache_grow(pc))
		return PFN_NONE;
	pfn = alloc_pages(vs->pm, GFP_HIGHUSER_MOVABLE, 0, cpu);
	if (pfn == PFN_NONE)
		return PFN_NONE;
	phys_set_owner(vs->pm, pfn, OWNER_FILE, pc->nr_pages, /* movable */ true);
	h = cache_hash(pc, file, pgoff);
	pc->entries[pc->nr_pages] = (struct page_cache_entry){
		.pgoff = pgoff, .file = file, .pfn = pfn, .rmap = 0, .hnext = pc->buckets[h],
	};
	pc->buckets[h] = ++pc->nr_pages;
	cost_add(vs->pm, COST_PAGECACHE_OP, 1);
	if (vs->cfg.page_cache_warm)
		return pfn;     /* it was cached before the run: no read */
	vs->ev.pgmajfault++;
	*major = true;
	return pfn;
}

pfn_t filemap_map_find(vmsys_t *vs, uint32_t file, uint64_t pgoff, unsigned cpu)
{
	bool major;

	if (!vs->cfg.page_cache_warm)
		return filemap_find(vs, file, pgoff);
	return filemap_get_page(vs, file, pgoff, cpu, &major);
}
