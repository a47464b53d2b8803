/*
 * vm_check.c - vm_check(): every invariant of the virtual-memory model in
 * one call, as lua_checkmemory walks a whole heap.  It runs the module
 * checkers (vma_check per mm, pgtable_check, tlb_check) and adds what none
 * of them sees alone:
 *
 *   - entry bits against the VMA (beyond pgtable_check's "no writable entry
 *     in a read-only VMA"): no present entry in a PROT_NONE VMA, no
 *     executable (NX clear) entry in a VMA without VM_EXEC, a writable entry
 *     of a private mapping maps an exclusive anonymous page (COW done:
 *     do_wp_page), a page-cache page is mapped only by a VMA of its file at
 *     its offset (linear_page_index), a shared file VMA maps only
 *     page-cache pages;
 *   - page-table pages machine-wide: the OWNER_PGTABLE pages of mem_map,
 *     the host tables in use and the sum of every mm's pgtables_bytes agree
 *     (pgtable_check compares each mm's bytes with its own walk only);
 *   - the TLB against the tables (flush_tlb_mm_range must have run before
 *     a translation went away): every valid L1 / STLB entry names a live
 *     mm whose tables map that page now with PTE_PRESENT (a PTE for a
 *     4 KiB entry, a huge PMD for a 2 MiB one), executable for an iTLB
 *     entry, and the page it maps is in use (refcount > 0, or the zero
 *     page); every walk-cache entry names a present table entry at its
 *     level (freed_tables flushes drop the others).
 *
 * Read-only; counts no cost.  O(mem_map + table pages + TLB entries).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/huge_memory.h"
#include "engine/mm.h"
#include "engine/pgtable.h"
#include "engine/rmap.h"
#include "engine/tlb.h"

/* ---------------------------------------------------------------- entries against VMAs */

struct vmc_ctx {
	const vmsys_t *vs;
	const struct mm_struct *mm;
	char *msg;
	size_t msglen;
};

/* One mapped leaf (PTE, or huge PMD when huge) e at addr. */
static int vmc_leaf(struct vmc_ctx *c, uint64_t addr, uint64_t e, bool huge)
{
	const vmsys_t *vs = c->vs;
	const struct mm_struct *mm = c->mm;
	const struct vm_area_struct *vma = find_vma_uncounted(mm, addr);
	uint64_t f;
	pfn_t pfn = pte_pfn(e), head;
	const struct page *page;
	unsigned kind;

	if (!vma || addr < vma->vm_start || pfn >= vs->pm->max_pfn)
		return 0;               /* pgtable_check reports these */
	f = vma->vm_flags;
	if ((e & PTE_PRESENT) && !(f & (VM_READ | VM_WRITE | VM_EXEC)))
		return mm_error(c->msg, c->msglen, -1,
				"mm %u pid %u: present entry %#llx at %#llx in a PROT_NONE VMA [%#llx, %#llx)",
				mm->id, mm->pid, (unsigned long long)e, (unsigned long long)addr,
				(unsigned long long)vma->vm_start, (unsigned long long)vma->vm_end);
	if ((e & PTE_PRESENT) && !(e & PTE_NX) && !(f & VM_EXEC))
		return mm_error(c->msg, c->msglen, -1,
				"mm %u pid %u: executable entry %#llx at %#llx in a VMA without VM_EXEC",
				mm->id, mm->pid, (unsigned long long)e, (unsigned long long)addr);
	if (pfn == vs->zero_pfn)
		return 0;               /* pgtable_check: never writable, never huge */
	head = page_head(vs, pfn);
	page = &vs->pm->mem_map[head];
	kind = page_owner_kind(page);
	if (kind == OWNER_FILE) {
		const struct page_cache_entry *pc = &vs->page_cache->entries[page->private];
		uint64_t pgoff = linear_page_index(vma, addr);

		if (huge || vma->vm_file == VM_FILE_NONE || pc->file != vma->vm_file || pc->pgoff != pgoff)
			return mm_error(c->msg, c->msglen, -1,
					"mm %u pid %u: at %#llx page-cache pfn %u (file %u pgoff %llu) under a VMA of file %d at pgoff %llu",
					mm->id, mm->pid, (unsigned long long)addr, pfn, pc->file,
					(unsigned long long)pc->pgoff,
					vma->vm_file == VM_FILE_NONE ? -1 : (int)vma->vm_file,
					(unsigned long long)pgoff);
		if ((e & PTE_RW) && !(f & VM_SHARED))
			return mm_error(c->msg, c->msglen, -1,
					"mm %u pid %u: page-cache pfn %u writable at %#llx in a private mapping (COW missed)",
					mm->id, mm->pid, pfn, (unsigned long long)addr);
		return 0;
	}
	if (kind != OWNER_ANON)
		return 0;               /* pgtable_check reports it */
	if (vma->vm_file != VM_FILE_NONE && (f & VM_SHARED))
		return mm_error(c->msg, c->msglen, -1,
				"mm %u pid %u: anonymous pfn %u at %#llx in a shared file mapping",
				mm->id, mm->pid, head, (unsigned long long)addr);
	/* wp_page_reuse() only of an exclusive page; compound pages are counted per PMD/subpage run */
	if ((e & PTE_RW) && !(f & VM_SHARED) && !(page->flags & PG_compound) &&
	    (page->mapcount != 1 || page->refcount != 1))
		return mm_error(c->msg, c->msglen, -1,
				"mm %u pid %u: writable entry at %#llx maps pfn %u with mapcount %d refcount %d (COW missed)",
				mm->id, mm->pid, (unsigned long long)addr, head, page->mapcount, page->refcount);
	return 0;
}

static int vmc_level(struct vmc_ctx *c, pfn_t t, unsigned level, uint64_t base, uint64_t *tables)
{
	const vmsys_t *vs = c->vs;
	const uint64_t *tab;

	if (t >= vs->pm->max_pfn || page_owner_kind(&vs->pm->mem_map[t]) != OWNER_PGTABLE)
		return 0;               /* pgtable_check reports it */
	tab = pt_table(vs, t);
	(*tables)++;
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		uint64_t a = base + i * pt_level_size(level), e = tab[i];
		int rc;

		if (!e)
			continue;
		if (level == 1)
			rc = pte_mapped(e) ? vmc_leaf(c, a, e, false) : 0;
		else if (level == 2 && pmd_huge(e))
			rc = ((*tables)++, vmc_leaf(c, a, e, true));   /* and its deposited PTE table */
		else if ((e & ~PTE_PFN_MASK) == PTE_TABLE)
			rc = vmc_level(c, pte_pfn(e), level - 1, a, tables);
		else
			rc = 0;
		if (rc)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- table pages machine-wide */

static int vmc_tables(const vmsys_t *vs, uint64_t walked, char *msg, size_t msglen)
{
	const phys_t *pm = vs->pm;
	const struct pgtable_pool *pool = vs->pgtables;
	uint64_t pages = 0, bytes = 0;

	for (uint64_t pfn = 0; pfn < pm->max_pfn; pfn += page_block_pages(&pm->mem_map[pfn])) {
		const struct page *page = &pm->mem_map[pfn];

		if ((page->flags & PG_head) && page_owner_kind(page) == OWNER_PGTABLE)
			pages++;
	}
	for (uint32_t i = 0; i < vs->nr_mms; i++)
		if (vs->mms[i])
			bytes += vs->mms[i]->pgtables_bytes;
	if (pages * PAGE_SIZE != bytes || pages != walked)
		return mm_error(msg, msglen, -1,
				"page tables: %llu OWNER_PGTABLE pages in mem_map, %llu reachable from live mms, pgtables_bytes sum to %llu pages",
				(unsigned long long)pages, (unsigned long long)walked,
				(unsigned long long)(bytes / PAGE_SIZE));
	if ((uint64_t)pool->nr_tables - pool->nr_free != pages)
		return mm_error(msg, msglen, -1, "page tables: %u host tables in use for %llu table pages",
				pool->nr_tables - pool->nr_free, (unsigned long long)pages);
	return 0;
}

/* ---------------------------------------------------------------- TLB against the tables */

/* The entry of mm's tables at level (1 PTE .. pgtable_levels) for addr, or NULL if a level above is not a table. */
static const uint64_t *vmc_entry(const vmsys_t *vs, const struct mm_struct *mm, uint64_t addr,
				 unsigned level)
{
	pfn_t t = mm->pgd;

	if (t == PFN_NONE)
		return NULL;
	for (unsigned l = vs->cfg.pgtable_levels;; l--) {
		const uint64_t *ep = &pt_table(vs, t)[pt_index(addr, l)];

		if (l == level)
			return ep;
		if ((*ep & ~PTE_PFN_MASK) != PTE_TABLE || pte_pfn(*ep) >= vs->pm->max_pfn)
			return NULL;
		t = pte_pfn(*ep);
	}
}

/*
 * Is the cached translation of va (a leaf at level 1 or 2, or a walk-cache
 * entry of a table at level >= 2 when pwc) still backed by asid's tables?
 * Any live mm whose id truncates to asid (mm_asid()) may own it.
 */
static const char *vmc_tlb_entry(const vmsys_t *vs, uint16_t asid, uint64_t va, unsigned level,
				 bool pwc, bool exec)
{
	const char *why = "ASID of no live mm";

	for (uint32_t id = asid; id < vs->nr_mms; id += 1u << 16) {
		const struct mm_struct *mm = vs->mms[id];
		const uint64_t *ep;
		pfn_t pfn;

		if (!mm)
			continue;
		ep = vmc_entry(vs, mm, va, level);
		if (pwc) {
			if (ep && (*ep & ~PTE_PFN_MASK) == PTE_TABLE)
				return NULL;
			why = "no table entry at its level (tables freed without a freed_tables flush)";
			continue;
		}
		if (!ep || !(*ep & PTE_PRESENT) || (level == 2 && !pmd_huge(*ep)) ||
		    (level == 1 && (*ep & PTE_PSE))) {
			why = "not mapped by the tables (stale: no flush after the unmap)";
			continue;
		}
		if (exec && (*ep & PTE_NX)) {
			why = "iTLB entry for a non-executable mapping";
			continue;
		}
		pfn = pte_pfn(*ep);
		if (pfn != vs->zero_pfn &&
		    (pfn >= vs->pm->max_pfn || vs->pm->mem_map[page_head(vs, pfn)].refcount <= 0)) {
			why = "maps a freed page";
			continue;
		}
		return NULL;
	}
	return why;
}

static int vmc_tlb(const vmsys_t *vs, const tlb_t *t, char *msg, size_t msglen)
{
	for (unsigned cpu = 0; cpu < t->nr_cpus; cpu++) {
		const struct tlb_cpu *tc = &t->cpus[cpu];
		const struct tlb_array *arrays[] = { &tc->dtlb, &tc->dtlb_2m, &tc->itlb, &tc->stlb,
						     &tc->pwc[TLB_PWC_PDE], &tc->pwc[TLB_PWC_PDPTE],
						     &tc->pwc[TLB_PWC_PML4E] };
		static const char *const names[] = { "dtlb", "dtlb_2m", "itlb", "stlb",
						     "pwc_pde", "pwc_pdpte", "pwc_pml4e" };

		for (unsigned k = 0; k < sizeof(arrays) / sizeof(arrays[0]); k++) {
			const struct tlb_array *a = arrays[k];
			size_t n = a->ways ? ((size_t)a->set_mask + 1) * a->ways : 0;
			bool pwc = k >= 4;

			for (size_t i = 0; i < n; i++) {
				uint64_t key = a->key[i], va;
				unsigned level;
				const char *why;

				if (!(key & TLB_KEY_VALID))
					continue;
				/* walk-cache k holds entries of level k + 2 (tlb_walk) */
				level = pwc ? k - 4 + 2 : (key & TLB_KEY_HUGE) ? 2 : 1;
				va = tlb_key_vpn(key) << (PAGE_SHIFT + 9 * (level - 1));
				why = vmc_tlb_entry(vs, tlb_key_asid(key), va, level, pwc, k == 2);
				if (why)
					return mm_error(msg, msglen, -1,
							"tlb: cpu %u %s entry asid %u va %#llx (%s): %s", cpu,
							names[k], tlb_key_asid(key), (unsigned long long)va,
							pwc ? "walk cache" : level == 2 ? "2 MiB" : "4 KiB", why);
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- vm_check */

int vm_check(const vmsys_t *vs, char *msg, size_t msglen)
{
	char m[400];
	uint64_t walked = 0;

	for (uint32_t i = 0; i < vs->nr_mms; i++) {
		const struct mm_struct *mm = vs->mms[i];

		if (mm && vma_check(mm, m, sizeof(m)))
			return mm_error(msg, msglen, -1, "vma_check: pid %u: %s", mm->pid, m);
	}
	if (pgtable_check(vs, m, sizeof(m)))
		return mm_error(msg, msglen, -1, "pgtable_check: %s", m);
	for (uint32_t i = 0; i < vs->nr_mms; i++) {
		struct vmc_ctx c = { .vs = vs, .mm = vs->mms[i], .msg = msg, .msglen = msglen };

		if (c.mm && c.mm->pgd != PFN_NONE &&
		    vmc_level(&c, c.mm->pgd, vs->cfg.pgtable_levels, 0, &walked))
			return -1;
	}
	if (vmc_tables(vs, walked, msg, msglen))
		return -1;
	if (vs->tlb) {
		if (tlb_check(vs->tlb, m, sizeof(m)))
			return mm_error(msg, msglen, -1, "tlb_check: %s", m);
		if (vmc_tlb(vs, vs->tlb, msg, msglen))
			return -1;
	}
	return 0;
}
