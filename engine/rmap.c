/*
 * rmap.c - the reverse map of user pages and their migration (mm/rmap.c,
 * mm/migrate.c: try_to_migrate + remove_migration_ptes).
 *
 * Per-page chains of (mm id, address) items, Linux 2.5's pte_chain design;
 * anon_vma and its interval tree are not modeled (see rmap.h).  When
 * compaction or CMA moves a user page, the owner callback walks the chain,
 * points every PTE at the new pfn and flushes each mapper's TLB entry.
 * Compound (THP) pages are refused: the model does not migrate them.
 */
#include <stdlib.h>

#include "engine/pgtable.h"
#include "engine/rmap.h"

int rmap_pool_init(vmsys_t *vs)
{
	vs->rmap = calloc(1, sizeof(*vs->rmap));
	return vs->rmap ? 0 : -MM_ENOMEM;
}

void rmap_pool_destroy(vmsys_t *vs)
{
	if (!vs->rmap)
		return;
	free(vs->rmap->items);
	free(vs->rmap);
	vs->rmap = NULL;
}

static uint32_t rmap_item_alloc(struct rmap_pool *rp)
{
	uint32_t idx;

	if (!rp->free_head) {
		uint32_t cap = rp->cap ? rp->cap * 2 : 1024;
		struct rmap_item *p = realloc(rp->items, (size_t)cap * sizeof(*p));

		if (!p || cap <= rp->cap)
			return 0;
		rp->items = p;
		/* chain the new items (item 0 stays unused) */
		for (uint32_t i = cap - 1; i >= (rp->cap ? rp->cap : 1); i--) {
			p[i].next = rp->free_head;
			rp->free_head = i;
		}
		rp->cap = cap;
	}
	idx = rp->free_head;
	rp->free_head = rp->items[idx].next;
	rp->nr_used++;
	return idx;
}

static void rmap_item_free(struct rmap_pool *rp, uint32_t idx)
{
	rp->items[idx].next = rp->free_head;
	rp->free_head = idx;
	rp->nr_used--;
}

uint32_t *page_rmap_head(const vmsys_t *vs, pfn_t pfn)
{
	struct page *page = &vs->pm->mem_map[pfn];

	if (page_owner_kind(page) == OWNER_FILE)
		return &vs->page_cache->entries[page->private].rmap;
	return &page->private;
}

int page_add_rmap(vmsys_t *vs, pfn_t pfn, uint32_t mm_id, uint64_t addr)
{
	uint32_t idx = rmap_item_alloc(vs->rmap);
	uint32_t *head;

	if (!idx)
		return -MM_ENOMEM;
	head = page_rmap_head(vs, pfn);
	*rmap_item(vs, idx) = (struct rmap_item){ .addr = addr, .mm_id = mm_id, .next = *head };
	*head = idx;
	vs->pm->mem_map[pfn].mapcount++;
	cost_add(vs->pm, COST_RMAP_OP, 1);
	return 0;
}

void page_remove_rmap(vmsys_t *vs, pfn_t pfn, uint32_t mm_id, uint64_t addr)
{
	uint32_t *link = page_rmap_head(vs, pfn);

	while (*link) {
		struct rmap_item *it = rmap_item(vs, *link);

		if (it->mm_id == mm_id && (it->addr & ~RMAP_COUNT_MASK) == (addr & ~RMAP_COUNT_MASK)) {
			uint32_t idx = *link;

			*link = it->next;
			rmap_item_free(vs->rmap, idx);
			vs->pm->mem_map[pfn].mapcount--;
			cost_add(vs->pm, COST_RMAP_OP, 1);
			return;
		}
		link = &it->next;
	}
}

uint32_t rmap_find(const vmsys_t *vs, pfn_t pfn, uint32_t mm_id, uint64_t addr)
{
	for (uint32_t i = *page_rmap_head(vs, pfn); i; i = rmap_item(vs, i)->next) {
		const struct rmap_item *it = rmap_item(vs, i);

		if (it->mm_id == mm_id && (it->addr & ~RMAP_COUNT_MASK) == (addr & ~RMAP_COUNT_MASK))
			return i;
	}
	return 0;
}

/*
 * The owner callback of OWNER_ANON and OWNER_FILE pages: the contents moved
 * from old_pfn to new_pfn; rewrite every PTE the chain names (the unmap to
 * migration entries and remove_migration_ptes() in one step), flush each
 * mapper's TLB entry, and move the page-cache slot.  The chain itself moves
 * with page.private (migrate_block copies it).  Refuses compound pages and
 * chains that do not match the tables (never expected).
 */
static int rmap_migrate(void *ctx, pfn_t old_pfn, pfn_t new_pfn, unsigned order, uint32_t cookie)
{
	vmsys_t *vs = ctx;
	const struct page *page = &vs->pm->mem_map[old_pfn];
	uint32_t head = *page_rmap_head(vs, old_pfn);

	if (order || (page->flags & PG_compound))
		return 1;
	for (uint32_t i = head; i; i = rmap_item(vs, i)->next) {
		const struct rmap_item *it = rmap_item(vs, i);
		struct mm_struct *mm = it->mm_id < vs->nr_mms ? vs->mms[it->mm_id] : NULL;
		uint64_t *pte = mm ? pte_lookup(vs, mm, it->addr, NULL) : NULL;

		if (!pte || !pte_mapped(*pte) || pte_pfn(*pte) != old_pfn)
			return 1;
	}
	for (uint32_t i = head; i; i = rmap_item(vs, i)->next) {
		const struct rmap_item *it = rmap_item(vs, i);
		struct mm_struct *mm = vs->mms[it->mm_id];
		uint64_t *pte = pte_lookup(vs, mm, it->addr, NULL);

		set_pte(vs, pte, (*pte & ~PTE_PFN_MASK) | ((uint64_t)new_pfn << PAGE_SHIFT));
		vm_flush_range(vs, mm, it->addr, it->addr + PAGE_SIZE, false, vs->this_cpu);
	}
	if (page_owner_kind(page) == OWNER_FILE) {
		vs->page_cache->entries[cookie].pfn = new_pfn;
		cost_add(vs->pm, COST_PAGECACHE_OP, 1);
	}
	vs->ev.user_pages_migrated++;
	return 0;
}

/* Page-table pages are never movable; the callback exists so the kind has a name. */
static int pgtable_migrate(void *ctx, pfn_t old_pfn, pfn_t new_pfn, unsigned order, uint32_t cookie)
{
	(void)ctx, (void)old_pfn, (void)new_pfn, (void)order, (void)cookie;
	return 1;
}

int rmap_register_owners(vmsys_t *vs)
{
	struct phys_owner_ops anon = { "anon", rmap_migrate, vs };
	struct phys_owner_ops file = { "file", rmap_migrate, vs };
	struct phys_owner_ops pgtable = { "pgtable", pgtable_migrate, vs };

	if (phys_register_owner(vs->pm, OWNER_ANON, &anon) ||
	    phys_register_owner(vs->pm, OWNER_FILE, &file) ||
	    phys_register_owner(vs->pm, OWNER_PGTABLE, &pgtable))
		return -MM_EINVAL;
	return 0;
}
