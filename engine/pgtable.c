/*
 * pgtable.c - user page-table pages: the host pool behind them, allocation
 * and freeing through the simulated page allocator, walks, THP deposits,
 * free_pgtables / pgd_alloc / pgd_free, and pgtable_check (mm/memory.c
 * __pte_alloc / __pmd_alloc / free_pgd_range, arch/x86/mm/pgtable.c,
 * mm/pgtable-generic.c).  The kernel half of the PGD is not modeled.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/page_alloc.h"
#include "engine/pgtable.h"
#include "engine/rmap.h"

#define CHUNK_TABLES	(1u << PGTABLE_CHUNK_SHIFT)

int pgtable_pool_init(vmsys_t *vs)
{
	vs->pgtables = calloc(1, sizeof(*vs->pgtables));
	return vs->pgtables ? 0 : -MM_ENOMEM;
}

void pgtable_pool_destroy(vmsys_t *vs)
{
	struct pgtable_pool *pool = vs->pgtables;

	if (!pool)
		return;
	for (uint32_t c = 0; c < pool->nr_chunks; c++)
		free(pool->chunks[c]);
	for (uint64_t i = 0; i < (uint64_t)pool->nr_chunks << PGTABLE_CHUNK_SHIFT; i++)
		free(pool->deposit[i]);
	free(pool->chunks);
	free(pool->deposit);
	free(pool->free_idx);
	free(pool);
	vs->pgtables = NULL;
}

/* A host table index: a given-back one, else the next of the last chunk. */
static int pool_get(struct pgtable_pool *pool, uint32_t *idx)
{
	if (pool->nr_free) {
		*idx = pool->free_idx[--pool->nr_free];
		return 0;
	}
	if (pool->nr_tables == pool->nr_chunks * CHUNK_TABLES) {
		uint32_t n = pool->nr_chunks + 1;
		uint64_t (**chunks)[PTRS_PER_TABLE] = realloc(pool->chunks, n * sizeof(*chunks));
		uint32_t **dep;

		if (!chunks)
			return -MM_ENOMEM;
		pool->chunks = chunks;
		dep = realloc(pool->deposit, (size_t)n * CHUNK_TABLES * sizeof(*dep));
		if (!dep)
			return -MM_ENOMEM;
		pool->deposit = dep;
		memset(dep + (size_t)pool->nr_chunks * CHUNK_TABLES, 0, CHUNK_TABLES * sizeof(*dep));
		chunks[pool->nr_chunks] = malloc(CHUNK_TABLES * sizeof(**chunks));
		if (!chunks[pool->nr_chunks])
			return -MM_ENOMEM;
		pool->nr_chunks = n;
	}
	*idx = pool->nr_tables++;
	return 0;
}

static int pool_put(struct pgtable_pool *pool, uint32_t idx)
{
	if (pool->nr_free == pool->cap_free) {
		uint32_t cap = pool->cap_free ? pool->cap_free * 2 : 256;
		uint32_t *p = realloc(pool->free_idx, cap * sizeof(*p));

		if (!p)
			return -MM_ENOMEM;      /* the host table is leaked, not reused */
		pool->free_idx = p;
		pool->cap_free = cap;
	}
	pool->free_idx[pool->nr_free++] = idx;
	return 0;
}

pfn_t pgtable_alloc(vmsys_t *vs, struct mm_struct *mm, unsigned cpu)
{
	phys_t *pm = vs->pm;
	uint32_t idx;
	pfn_t pfn;

	if (pool_get(vs->pgtables, &idx))
		return PFN_NONE;
	/* GFP_PGTABLE_USER: GFP_KERNEL_ACCOUNT | __GFP_ZERO (arch/x86/mm/pgtable.c) */
	pfn = alloc_pages(pm, GFP_KERNEL_ACCOUNT | GFP_F_ZERO, 0, cpu);
	if (pfn == PFN_NONE) {
		pool_put(vs->pgtables, idx);
		return PFN_NONE;
	}
	phys_set_owner(pm, pfn, OWNER_PGTABLE, idx, /* movable */ false);
	memset(pt_table(vs, pfn), 0, PTRS_PER_TABLE * sizeof(uint64_t));
	mm->pgtables_bytes += PAGE_SIZE;
	vs->ev.pgtable_alloc++;
	cost_add(pm, COST_PGTABLE_ALLOC, 1);
	return pfn;
}

void pgtable_free(vmsys_t *vs, struct mm_struct *mm, pfn_t pfn, unsigned cpu)
{
	struct pgtable_pool *pool = vs->pgtables;
	uint32_t idx = vs->pm->mem_map[pfn].private;

	free(pool->deposit[idx]);
	pool->deposit[idx] = NULL;
	pool_put(pool, idx);
	free_pages(vs->pm, pfn, 0, cpu);
	mm->pgtables_bytes -= PAGE_SIZE;
	vs->ev.pgtable_free++;
	cost_add(vs->pm, COST_PGTABLE_FREE, 1);
}

uint64_t *pmd_lookup(const vmsys_t *vs, const struct mm_struct *mm, uint64_t addr,
		     uint64_t *next, pfn_t *table)
{
	pfn_t t = mm->pgd;

	if (t == PFN_NONE) {
		if (next)
			*next = 0;
		return NULL;
	}
	for (unsigned level = vs->cfg.pgtable_levels; level > 2; level--) {
		uint64_t e = pt_table(vs, t)[pt_index(addr, level)];

		if (!(e & PTE_PRESENT)) {
			if (next)
				*next = (addr & ~(pt_level_size(level) - 1)) + pt_level_size(level);
			return NULL;
		}
		t = pte_pfn(e);
	}
	if (table)
		*table = t;
	return &pt_table(vs, t)[pt_index(addr, 2)];
}

uint64_t *pmd_alloc(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, unsigned cpu, pfn_t *table)
{
	pfn_t t = mm->pgd;

	if (t == PFN_NONE)
		return NULL;
	for (unsigned level = vs->cfg.pgtable_levels; level > 2; level--) {
		uint64_t *ep = &pt_table(vs, t)[pt_index(addr, level)];

		if (!(*ep & PTE_PRESENT)) {     /* __p4d_alloc, __pud_alloc, __pmd_alloc */
			pfn_t n = pgtable_alloc(vs, mm, cpu);

			if (n == PFN_NONE)
				return NULL;
			set_pte(vs, ep, pfn_pte(n, PTE_TABLE));
		}
		t = pte_pfn(*ep);
	}
	if (table)
		*table = t;
	return &pt_table(vs, t)[pt_index(addr, 2)];
}

uint64_t *pte_alloc(vmsys_t *vs, struct mm_struct *mm, uint64_t *pmd, uint64_t addr, unsigned cpu)
{
	if (!*pmd) {
		pfn_t n = pgtable_alloc(vs, mm, cpu);

		if (n == PFN_NONE)
			return NULL;
		set_pte(vs, pmd, pfn_pte(n, PTE_TABLE));
	}
	return pte_offset(vs, *pmd, addr);
}

uint64_t *pte_lookup(const vmsys_t *vs, const struct mm_struct *mm, uint64_t addr, uint64_t **pmdp)
{
	uint64_t *pmd = pmd_lookup(vs, mm, addr, NULL, NULL);

	if (pmdp)
		*pmdp = pmd;
	if (!pmd || !(*pmd & PTE_PRESENT) || (*pmd & PTE_PSE))
		return NULL;
	return pte_offset(vs, *pmd, addr);
}

int pgtable_deposit(vmsys_t *vs, pfn_t pmd_table, unsigned idx, pfn_t pte_table)
{
	struct pgtable_pool *pool = vs->pgtables;
	uint32_t t = vs->pm->mem_map[pmd_table].private;

	if (!pool->deposit[t]) {
		pool->deposit[t] = calloc(PTRS_PER_TABLE, sizeof(uint32_t));
		if (!pool->deposit[t])
			return -MM_ENOMEM;
	}
	pool->deposit[t][idx] = pte_table + 1;
	return 0;
}

pfn_t pgtable_withdraw(vmsys_t *vs, pfn_t pmd_table, unsigned idx)
{
	struct pgtable_pool *pool = vs->pgtables;
	uint32_t t = vs->pm->mem_map[pmd_table].private;
	pfn_t pfn;

	if (!pool->deposit[t] || !pool->deposit[t][idx])
		return PFN_NONE;
	pfn = pool->deposit[t][idx] - 1;
	pool->deposit[t][idx] = 0;
	return pfn;
}

/* ---------------------------------------------------------------- free_pgtables */

struct free_range {
	vmsys_t *vs;
	struct mm_struct *mm;
	uint64_t floor, ceiling;        /* bytes: tables wholly inside are freed */
	uint64_t start, end;            /* bytes: the part of it walked */
	unsigned cpu;
	bool freed;                     /* a table page was freed */
};

/* The first used entry of tab in [i, hi), or hi; eight entries per test. */
static unsigned next_used(const uint64_t *tab, unsigned i, unsigned hi)
{
	while (i < hi && (i & 7)) {
		if (tab[i])
			return i;
		i++;
	}
	while (i + 8 <= hi && !(tab[i] | tab[i + 1] | tab[i + 2] | tab[i + 3] |
				tab[i + 4] | tab[i + 5] | tab[i + 6] | tab[i + 7]))
		i += 8;
	while (i < hi && !tab[i])
		i++;
	return i;
}

static bool table_empty(const uint64_t *tab)
{
	return next_used(tab, 0, PTRS_PER_TABLE) == PTRS_PER_TABLE;
}

/*
 * free_pgd_range() and its per-level helpers: under table t at level,
 * covering [base, base + 512 * entry size), free every table whose whole
 * range lies in [floor, ceiling), visiting only the entries that overlap
 * [start, end).  Returns true if want_empty and t is empty afterwards.
 */
static bool free_level(struct free_range *fr, pfn_t t, unsigned level, uint64_t base, bool want_empty)
{
	vmsys_t *vs = fr->vs;
	unsigned shift = PAGE_SHIFT + 9 * (level - 1);
	uint64_t size = 1ull << shift;
	uint64_t *tab = pt_table(vs, t);
	unsigned lo = 0, hi = PTRS_PER_TABLE;

	if (level == 1 && !want_empty)
		return false;           /* a PTE table the hole only partly covers stays as it is */
	if (fr->start > base)
		lo = (unsigned)((fr->start - base) >> shift);
	if (fr->end - base < PTRS_PER_TABLE * size)
		hi = (unsigned)((fr->end - base + size - 1) >> shift);
	for (unsigned i = next_used(tab, lo, hi); i < hi; i = next_used(tab, i + 1, hi)) {
		uint64_t a = base + i * size, end = a + size;
		bool inside;

		inside = a >= fr->floor && end <= fr->ceiling;
		if (level == 1) {
			if (inside && pte_mapped(tab[i]))
				zap_pte_entry(vs, fr->mm, a, &tab[i], fr->cpu);
		} else if (level == 2 && pmd_huge(tab[i])) {
			if (inside)
				zap_huge_pmd(vs, fr->mm, a, &tab[i], t, fr->cpu);
		} else {
			pfn_t child = pte_pfn(tab[i]);

			if (free_level(fr, child, level - 1, a, inside) && inside) {
				set_pte(vs, &tab[i], 0);
				pgtable_free(vs, fr->mm, child, fr->cpu);
				fr->freed = true;
			}
		}
	}
	return want_empty && table_empty(tab);
}

/*
 * Like the kernel's free_pgtables(), which walks only the unmapped VMAs,
 * the walk covers what was zapped since the last call (zap_page_range
 * records it): a table wholly inside the hole that nothing zapped was
 * freed when the VMAs over it went.  With nothing recorded (a direct call)
 * the whole hole is walked.
 */
void free_pgtables(vmsys_t *vs, struct mm_struct *mm, uint64_t floor, uint64_t ceiling)
{
	struct free_range fr = { .vs = vs, .mm = mm, .floor = floor, .ceiling = ceiling,
				 .cpu = vs->this_cpu };

	if (mm->pgd == PFN_NONE)
		return;
	if (!ceiling || ceiling > pt_va_limit(vs) || (mm->task_size && ceiling >= mm->task_size))
		fr.ceiling = pt_va_limit(vs);
	fr.start = fr.floor;
	fr.end = fr.ceiling;
	if (mm->zapped_start < mm->zapped_end) {
		if (mm->zapped_start > fr.start)
			fr.start = mm->zapped_start;
		if (mm->zapped_end < fr.end)
			fr.end = mm->zapped_end;
		mm->zapped_start = mm->zapped_end = 0;
	}
	if (fr.start >= fr.end)
		return;
	free_level(&fr, mm->pgd, vs->cfg.pgtable_levels, 0, false);
	if (fr.freed)
		vm_flush_range(vs, mm, fr.floor, fr.ceiling, /* freed_tables */ true, vs->this_cpu);
}

int pgd_alloc(vmsys_t *vs, struct mm_struct *mm, unsigned cpu)
{
	pfn_t pfn = pgtable_alloc(vs, mm, cpu);

	mm->pgd = pfn;
	if (pfn == PFN_NONE)
		return -MM_ENOMEM;
	return 0;
}

void pgd_free(vmsys_t *vs, struct mm_struct *mm)
{
	if (mm->pgd == PFN_NONE)
		return;
	mm->zapped_start = mm->zapped_end = 0;
	free_pgtables(vs, mm, 0, 0);    /* whatever exit_mmap left: the whole tree */
	pgtable_free(vs, mm, mm->pgd, vs->this_cpu);
	mm->pgd = PFN_NONE;
}

/* ---------------------------------------------------------------- pgtable_check */

struct check_ctx {
	const vmsys_t *vs;
	const struct mm_struct *mm;
	uint32_t *maps;                 /* [max_pfn]: PTEs of order-0 pages, PMDs of THPs */
	uint32_t *subs;                 /* [max_pfn]: PTE-mapped subpages of THPs, by head */
	uint64_t tables;                /* table pages found, deposits included */
	uint64_t rss[NR_MM_COUNTERS];
	char *msg;
	size_t msglen;
};

/* One mapped leaf: PTE (huge false) or huge PMD at addr. */
static int check_leaf(struct check_ctx *cc, uint64_t addr, uint64_t e, bool huge)
{
	const vmsys_t *vs = cc->vs;
	const struct mm_struct *mm = cc->mm;
	const struct vm_area_struct *vma = find_vma_uncounted(mm, addr);
	pfn_t pfn = pte_pfn(e), head;
	const struct page *page;
	unsigned kind;

	const struct vm_area_struct *v = vma;
	uint64_t end = addr + (huge ? HPAGE_PMD_SIZE : PAGE_SIZE);

	if (!vma || addr < vma->vm_start)
		return mm_error(cc->msg, cc->msglen, -1, "mm %u: entry %#llx at %#llx outside any VMA",
				mm->id, (unsigned long long)e, (unsigned long long)addr);
	/* a huge PMD may straddle VMAs split without split_huge_pmd_address: all must cover it */
	for (uint64_t at = addr; at < end; at = v->vm_end, v = v->vm_next) {
		if (!v || v->vm_start > at)
			return mm_error(cc->msg, cc->msglen, -1, "mm %u: entry %#llx at %#llx outside any VMA",
					mm->id, (unsigned long long)e, (unsigned long long)at);
		if ((e & PTE_RW) && !(v->vm_flags & VM_WRITE))
			return mm_error(cc->msg, cc->msglen, -1,
					"mm %u: writable entry at %#llx in a read-only VMA",
					mm->id, (unsigned long long)at);
	}
	if (pfn >= vs->pm->max_pfn)
		return mm_error(cc->msg, cc->msglen, -1, "mm %u: entry at %#llx: pfn %u beyond memory",
				mm->id, (unsigned long long)addr, pfn);
	if (pfn == vs->zero_pfn) {
		if (huge || (e & PTE_RW))
			return mm_error(cc->msg, cc->msglen, -1, "mm %u: zero page writable or huge at %#llx",
					mm->id, (unsigned long long)addr);
		return 0;
	}
	head = (vs->pm->mem_map[pfn].flags & PG_head) ? pfn : pfn & ~(pfn_t)(HPAGE_PMD_NR - 1);
	page = &vs->pm->mem_map[head];
	kind = page_owner_kind(page);
	if (!(page->flags & PG_head) || (kind != OWNER_ANON && kind != OWNER_FILE) ||
	    (huge && !(page->flags & PG_compound)) || (head != pfn && !(page->flags & PG_compound)))
		return mm_error(cc->msg, cc->msglen, -1,
				"mm %u: entry at %#llx maps pfn %u, not a user page (flags %#x)",
				mm->id, (unsigned long long)addr, pfn, page->flags);
	if (page->flags & PG_compound) {
		uint64_t base = huge ? addr : addr - ((uint64_t)(pfn - head) << PAGE_SHIFT);
		uint32_t it = rmap_find(vs, head, mm->id, base);

		if (!it || ((rmap_item(vs, it)->addr & RMAP_COUNT_MASK) == 0) != huge)
			return mm_error(cc->msg, cc->msglen, -1,
					"mm %u: THP pfn %u at %#llx: no matching rmap item", mm->id, head,
					(unsigned long long)addr);
		if (huge)
			cc->maps[head]++;
		else
			cc->subs[head]++;
		cc->rss[MM_ANONPAGES] += huge ? HPAGE_PMD_NR : 1;
		return 0;
	}
	if (!rmap_find(vs, head, mm->id, addr))
		return mm_error(cc->msg, cc->msglen, -1, "mm %u: pfn %u at %#llx: not in its rmap chain",
				mm->id, head, (unsigned long long)addr);
	cc->maps[head]++;
	cc->rss[kind == OWNER_FILE ? MM_FILEPAGES : MM_ANONPAGES]++;
	return 0;
}

static int check_level(struct check_ctx *cc, pfn_t t, unsigned level, uint64_t base)
{
	const vmsys_t *vs = cc->vs;
	const uint64_t *tab = pt_table(vs, t);
	const struct page *page = &vs->pm->mem_map[t];

	if (page_owner_kind(page) != OWNER_PGTABLE || !(page->flags & PG_head))
		return mm_error(cc->msg, cc->msglen, -1, "mm %u: table pfn %u is not a page-table page",
				cc->mm->id, t);
	cc->tables++;
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		uint64_t a = base + i * pt_level_size(level), e = tab[i];
		int rc = 0;

		if (!e)
			continue;
		if (level == 1) {
			if (!pte_mapped(e))
				return mm_error(cc->msg, cc->msglen, -1, "mm %u: stray PTE %#llx at %#llx",
						cc->mm->id, (unsigned long long)e, (unsigned long long)a);
			rc = check_leaf(cc, a, e, false);
		} else if (level == 2 && pmd_huge(e)) {
			uint32_t idx = page->private;

			if (!vs->pgtables->deposit[idx] || !vs->pgtables->deposit[idx][i])
				return mm_error(cc->msg, cc->msglen, -1, "mm %u: huge PMD at %#llx without a deposit",
						cc->mm->id, (unsigned long long)a);
			cc->tables++;
			rc = check_leaf(cc, a, e, true);
		} else if ((e & ~PTE_PFN_MASK) != PTE_TABLE || pte_pfn(e) >= vs->pm->max_pfn) {
			return mm_error(cc->msg, cc->msglen, -1, "mm %u: bad level-%u entry %#llx at %#llx",
					cc->mm->id, level, (unsigned long long)e, (unsigned long long)a);
		} else {
			rc = check_level(cc, pte_pfn(e), level - 1, a);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Every user page against its rmap chain and the counts the walk found. */
static int check_pages(struct check_ctx *cc)
{
	const vmsys_t *vs = cc->vs;
	const phys_t *pm = vs->pm;
	uint64_t items = 0;

	for (uint64_t pfn = 0; pfn < pm->max_pfn; pfn += page_block_pages(&pm->mem_map[pfn])) {
		const struct page *page = &pm->mem_map[pfn];
		unsigned kind = page_owner_kind(page);
		uint64_t n = 0, pmds = 0, subs = 0;
		int32_t want_ref;

		if (!(page->flags & PG_head) || (kind != OWNER_ANON && kind != OWNER_FILE))
			continue;
		if (kind == OWNER_FILE && (page->private >= vs->page_cache->nr_pages ||
					   vs->page_cache->entries[page->private].pfn != pfn))
			return mm_error(cc->msg, cc->msglen, -1, "file pfn %u: page-cache slot %u does not name it",
					(pfn_t)pfn, page->private);
		for (uint32_t i = *page_rmap_head(vs, (pfn_t)pfn); i; i = rmap_item(vs, i)->next) {
			const struct rmap_item *it = rmap_item(vs, i);

			if (it->mm_id >= vs->nr_mms || !vs->mms[it->mm_id])
				return mm_error(cc->msg, cc->msglen, -1, "pfn %u: rmap item names dead mm %u",
						(pfn_t)pfn, it->mm_id);
			n++;
			if (it->addr & RMAP_COUNT_MASK)
				subs += it->addr & RMAP_COUNT_MASK;
			else
				pmds++;
			if (n > (uint64_t)pm->max_pfn)
				return mm_error(cc->msg, cc->msglen, -1, "pfn %u: rmap chain loops", (pfn_t)pfn);
		}
		items += n;
		want_ref = (int32_t)n + (kind == OWNER_FILE);
		if ((int64_t)n != page->mapcount || page->refcount != want_ref)
			return mm_error(cc->msg, cc->msglen, -1,
					"pfn %u: mapcount %d refcount %d, rmap chain has %llu items",
					(pfn_t)pfn, page->mapcount, page->refcount, (unsigned long long)n);
		if (page->flags & PG_compound ? (pmds != cc->maps[pfn] || subs != cc->subs[pfn])
					      : (n != cc->maps[pfn] || subs))
			return mm_error(cc->msg, cc->msglen, -1,
					"pfn %u: rmap has %llu mappings (%llu subpages), tables have %u (%u)",
					(pfn_t)pfn, (unsigned long long)pmds, (unsigned long long)subs,
					cc->maps[pfn], cc->subs[pfn]);
		if (kind == OWNER_ANON && n == 0)
			return mm_error(cc->msg, cc->msglen, -1, "anon pfn %u: allocated but unmapped (leak)",
					(pfn_t)pfn);
	}
	if (items != vs->rmap->nr_used)
		return mm_error(cc->msg, cc->msglen, -1, "rmap: %u items in use, %llu in chains",
				vs->rmap->nr_used, (unsigned long long)items);
	for (uint32_t i = 0; i < vs->page_cache->nr_pages; i++) {
		const struct page_cache_entry *e = &vs->page_cache->entries[i];

		if (e->pfn >= pm->max_pfn || page_owner_kind(&pm->mem_map[e->pfn]) != OWNER_FILE ||
		    pm->mem_map[e->pfn].private != i)
			return mm_error(cc->msg, cc->msglen, -1, "page cache: slot %u (file %u pgoff %llu) lost its page",
					i, e->file, (unsigned long long)e->pgoff);
	}
	return 0;
}

int pgtable_check(const vmsys_t *vs, char *msg, size_t msglen)
{
	struct check_ctx cc = { .vs = vs, .msg = msg, .msglen = msglen };
	int rc = 0;

	cc.maps = calloc(vs->pm->max_pfn, sizeof(*cc.maps));
	cc.subs = calloc(vs->pm->max_pfn, sizeof(*cc.subs));
	if (!cc.maps || !cc.subs) {
		rc = mm_error(msg, msglen, -1, "pgtable_check: out of host memory");
		goto out;
	}
	for (uint32_t i = 0; i < vs->nr_mms && !rc; i++) {
		const struct mm_struct *mm = vs->mms[i];

		if (!mm)
			continue;
		cc.mm = mm;
		cc.tables = 0;
		memset(cc.rss, 0, sizeof(cc.rss));
		if (mm->id != i) {
			rc = mm_error(msg, msglen, -1, "mm slot %u holds mm id %u", i, mm->id);
			break;
		}
		if (mm->pgd != PFN_NONE)
			rc = check_level(&cc, mm->pgd, vs->cfg.pgtable_levels, 0);
		if (rc)
			break;
		if (cc.tables * PAGE_SIZE != mm->pgtables_bytes)
			rc = mm_error(msg, msglen, -1, "mm %u: pgtables_bytes %llu, tables hold %llu pages",
				      i, (unsigned long long)mm->pgtables_bytes, (unsigned long long)cc.tables);
		else if (cc.rss[MM_ANONPAGES] != mm->rss_stat[MM_ANONPAGES] ||
			 cc.rss[MM_FILEPAGES] != mm->rss_stat[MM_FILEPAGES])
			rc = mm_error(msg, msglen, -1, "mm %u: RSS anon %llu file %llu, tables map %llu and %llu",
				      i, (unsigned long long)mm->rss_stat[MM_ANONPAGES],
				      (unsigned long long)mm->rss_stat[MM_FILEPAGES],
				      (unsigned long long)cc.rss[MM_ANONPAGES],
				      (unsigned long long)cc.rss[MM_FILEPAGES]);
	}
	if (!rc)
		rc = check_pages(&cc);
out:
	free(cc.maps);
	free(cc.subs);
	return rc;
}
