/*
 * rmap.h - the reverse map and the page cache of the VM model, internal to
 * the engine's VM files (mm/rmap.c, mm/filemap.c).
 *
 * Reverse map: Linux 2.5's pte_chain design rather than today's anon_vma
 * (not modeled): every mapped user page has a chain of (mm id, address)
 * items, one per mapping.  An anonymous page's chain hangs off
 * struct page.private; a page-cache page's chain off its cache entry
 * (page.private is then the entry's index).  A compound (THP) page has one
 * item per mm range that maps it: mapped by a huge PMD (count 0) or, after
 * split_huge_pmd, by `count` PTEs of its 512 subpages; the count is kept in
 * the low 12 bits of the item's address.  page.mapcount is the chain's
 * length, page.refcount the mappings plus the page cache's own reference.
 *
 * Page cache: one page per (file id, page offset), shared by every mm,
 * allocated GFP_HIGHUSER_MOVABLE on the first fault (a major fault; reading
 * the file is not modeled), kept until vmsys_destroy(): no reclaim and no
 * truncation are modeled.
 */
#ifndef MMBENCH_RMAP_H
#define MMBENCH_RMAP_H

#include <stdint.h>

#include "engine/mm.h"

struct rmap_item {
	uint64_t addr;          /* user address of the mapping; compound: | PTE-mapped subpages */
	uint32_t mm_id;         /* mm->id of the mapper */
	uint32_t next;          /* next item of the chain, 0 at the end */
};
#define RMAP_COUNT_MASK		0xfffull

struct rmap_pool {
	struct rmap_item *items;        /* [cap]; item 0 is never used */
	uint32_t cap;
	uint32_t free_head;             /* free items chained through next */
	uint32_t nr_used;               /* items in chains */
};

struct page_cache_entry {
	uint64_t pgoff;         /* page offset in the file, pages */
	uint32_t file;          /* file id */
	pfn_t pfn;              /* the page */
	uint32_t rmap;          /* first rmap item, 0 = unmapped */
	uint32_t hnext;         /* next entry of the hash bucket + 1, 0 = end */
};

struct page_cache {
	struct page_cache_entry *entries;       /* [nr_pages], never removed */
	uint32_t nr_pages, cap;
	uint32_t *buckets;                      /* [nr_buckets]: first entry + 1 */
	uint32_t nr_buckets;                    /* power of two */
};

/* rmap.c */
int rmap_pool_init(vmsys_t *vs);                /* 0 or -MM_ENOMEM */
void rmap_pool_destroy(vmsys_t *vs);

/* Register OWNER_ANON, OWNER_FILE and OWNER_PGTABLE with the page allocator. */
int rmap_register_owners(vmsys_t *vs);

static inline struct rmap_item *rmap_item(const vmsys_t *vs, uint32_t idx)
{
	return &vs->rmap->items[idx];
}

/* The chain head of the mapped user page at pfn (anon: page.private, file: its cache entry). */
uint32_t *page_rmap_head(const vmsys_t *vs, pfn_t pfn);

/*
 * page_add_anon_rmap / page_add_file_rmap: add (mm_id, addr) to pfn's chain
 * and raise its mapcount; COST_RMAP_OP.  Returns 0 or -MM_ENOMEM (host).
 */
int page_add_rmap(vmsys_t *vs, pfn_t pfn, uint32_t mm_id, uint64_t addr);

/* page_remove_rmap: drop (mm_id, addr) from pfn's chain and its mapcount; COST_RMAP_OP. */
void page_remove_rmap(vmsys_t *vs, pfn_t pfn, uint32_t mm_id, uint64_t addr);

/* The item of pfn's chain for (mm_id, addr & ~RMAP_COUNT_MASK), or 0. */
uint32_t rmap_find(const vmsys_t *vs, pfn_t pfn, uint32_t mm_id, uint64_t addr);

/* filemap.c */
int page_cache_init(vmsys_t *vs);               /* 0 or -MM_ENOMEM */

/* Free every cached page (they must be unmapped) and the cache. */
void page_cache_destroy(vmsys_t *vs);

/* filemap_get_folio(): the cached page of (file, pgoff), or PFN_NONE; COST_PAGECACHE_OP. */
pfn_t filemap_find(vmsys_t *vs, uint32_t file, uint64_t pgoff);

/*
 * __filemap_get_folio(FGP_CREAT): the cached page, or a new one added to the
 * cache (vs->ev.pgmajfault, *major = true, unless the cache is warm: then the
 * page was cached before the run and nothing is read).  PFN_NONE when the page
 * allocator or host memory fails.
 */
pfn_t filemap_get_page(vmsys_t *vs, uint32_t file, uint64_t pgoff, unsigned cpu, bool *major);

/*
 * The page filemap_map_pages() would find for (file, pgoff): with a cold
 * cache the cached page or PFN_NONE (it maps only pages already cached and
 * uptodate, next_uptodate_folio); with a warm cache every page is cached, so
 * the page, its model entry made now (never a major fault).  PFN_NONE also
 * when the page allocator fails.
 */
pfn_t filemap_map_find(vmsys_t *vs, uint32_t file, uint64_t pgoff, unsigned cpu);

#endif /* MMBENCH_RMAP_H */
