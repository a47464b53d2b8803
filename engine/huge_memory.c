/*
 * huge_memory.c - transparent huge pages of the VM model (mm/huge_memory.c,
 * v6.6): the anonymous THP fault, write-protect faults on huge PMDs,
 * split_huge_pmd, zap, move and fork of huge PMDs, and the rmap items of
 * PTE-mapped THP subpages.  See huge_memory.h for what is not modeled.
 */
#include "engine/huge_memory.h"
#include "engine/page_alloc.h"
#include "engine/pgtable.h"
#include "engine/rmap.h"

bool thp_vma_suitable(const vmsys_t *vs, const struct vm_area_struct *vma, uint64_t addr)
{
	uint64_t haddr = addr & HPAGE_PMD_MASK;

	if (vma->vm_file != VM_FILE_NONE || (vma->vm_flags & (VM_SHARED | VM_NOHUGEPAGE)))
		return false;
	if (!(vs->cfg.thp == THP_ALWAYS || (vs->cfg.thp == THP_MADVISE && (vma->vm_flags & VM_HUGEPAGE))))
		return false;
	if (vs->pm->max_order < HPAGE_PMD_ORDER)
		return false;
	return haddr >= vma->vm_start && haddr + HPAGE_PMD_SIZE <= vma->vm_end;
}

enum fault_class do_huge_pmd_anonymous_page(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
					    uint64_t *pmd, pfn_t pmd_table, unsigned cpu)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t haddr = addr & HPAGE_PMD_MASK, prot;
	/* vma_thp_gfp_mask() with defrag=madvise: direct compaction only when madvised */
	gfp_t gfp = (vma->vm_flags & VM_HUGEPAGE) ? GFP_TRANSHUGE : GFP_TRANSHUGE_LIGHT;
	pfn_t pfn, pgtable;

	pfn = alloc_pages(vs->pm, gfp, HPAGE_PMD_ORDER, cpu);
	if (pfn == PFN_NONE) {
		vs->ev.thp_fault_fallback++;
		return NR_FAULT_CLASSES;
	}
	cost_add(vs->pm, COST_PAGE_ZERO, HPAGE_PMD_NR);        /* clear_huge_page */
	phys_set_owner(vs->pm, pfn, OWNER_ANON, 0, /* movable */ true);
	pgtable = pgtable_alloc(vs, mm, cpu);                   /* pte_alloc_one for the deposit */
	if (pgtable == PFN_NONE)
		goto oom;
	if (pgtable_deposit(vs, pmd_table, pt_index(haddr, 2), pgtable)) {
		pgtable_free(vs, mm, pgtable, cpu);
		goto oom;
	}
	if (page_add_rmap(vs, pfn, mm->id, haddr)) {
		pgtable_free(vs, mm, pgtable_withdraw(vs, pmd_table, pt_index(haddr, 2)), cpu);
		goto oom;
	}
	prot = vm_page_prot(vma) | PTE_PSE;
	if (vma->vm_flags & VM_WRITE)
		prot |= PTE_RW | PTE_DIRTY;                     /* maybe_pmd_mkwrite(pmd_mkdirty()) */
	set_pte(vs, pmd, pfn_pte(pfn, prot));
	mm->rss_stat[MM_ANONPAGES] += HPAGE_PMD_NR;
	vs->ev.thp_fault_alloc++;
	return FAULT_THP;
oom:
	free_pages(vs->pm, pfn, HPAGE_PMD_ORDER, cpu);
	return FAULT_OOM;
}

enum fault_class huge_pmd_fault(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
				uint64_t *pmd, pfn_t pmd_table, unsigned flags, unsigned cpu)
{
	uint64_t e = *pmd;
	bool write = flags & FAULT_FLAG_WRITE;

	if (!(e & PTE_PRESENT)) {       /* a PROT_NONE entry the VMA has outgrown */
		e = (e & (PTE_PFN_MASK | PTE_DIRTY | PTE_RW)) | vm_page_prot(vma) | PTE_PSE;
		set_pte(vs, pmd, e);
	}
	if (write && !(e & PTE_RW)) {   /* do_huge_pmd_wp_page */
		if (page_anon_exclusive(vs, pte_pfn(e))) {
			set_pte(vs, pmd, e | PTE_RW | PTE_DIRTY | PTE_ACCESSED);
			return FAULT_WP_REUSE;
		}
		split_huge_pmd(vs, vma->vm_mm, pmd, pmd_table, addr & HPAGE_PMD_MASK, cpu);
		return NR_FAULT_CLASSES;
	}
	if ((e | PTE_ACCESSED | (write ? PTE_DIRTY : 0)) != e)
		set_pte(vs, pmd, e | PTE_ACCESSED | (write ? PTE_DIRTY : 0));
	return FAULT_SPURIOUS;
}

int split_huge_pmd(vmsys_t *vs, struct mm_struct *mm, uint64_t *pmd, pfn_t pmd_table, uint64_t haddr,
		   unsigned cpu)
{
	uint64_t e = *pmd, prot = e & ~(PTE_PFN_MASK | PTE_PSE);
	pfn_t head = pte_pfn(e);
	pfn_t table = pgtable_withdraw(vs, pmd_table, pt_index(haddr, 2));
	uint32_t item = rmap_find(vs, head, mm->id, haddr);
	uint64_t *tab;

	if (table == PFN_NONE) {        /* never expected: every huge PMD has its deposit */
		table = pgtable_alloc(vs, mm, cpu);
		if (table == PFN_NONE)
			return -MM_ENOMEM;
	}
	tab = pt_table(vs, table);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++)
		tab[i] = pfn_pte(head + i, prot);
	cost_add(vs->pm, COST_PTE_WRITE, HPAGE_PMD_NR);
	set_pte(vs, pmd, pfn_pte(table, PTE_TABLE));
	if (item)
		rmap_item(vs, item)->addr = haddr | HPAGE_PMD_NR;
	vm_flush_range(vs, mm, haddr, haddr + HPAGE_PMD_SIZE, false, cpu);
	return 0;
}

void zap_huge_pmd(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t *pmdp, pfn_t pmd_table,
		  unsigned cpu)
{
	pfn_t head = pte_pfn(*pmdp), table;
	struct page *page = &vs->pm->mem_map[head];

	set_pte(vs, pmdp, 0);
	page_remove_rmap(vs, head, mm->id, addr);
	mm->rss_stat[MM_ANONPAGES] -= HPAGE_PMD_NR;
	cost_add(vs->pm, COST_PAGE_TOUCH, 1);
	if (--page->refcount == 0)
		free_pages(vs->pm, head, page->order, cpu);
	table = pgtable_withdraw(vs, pmd_table, pt_index(addr, 2));
	if (table != PFN_NONE)
		pgtable_free(vs, mm, table, cpu);
}

int move_huge_pmd(vmsys_t *vs, struct mm_struct *mm, uint64_t old, uint64_t *pmd, pfn_t table,
		  uint64_t new, uint64_t *new_pmd, pfn_t new_table)
{
	pfn_t head = pte_pfn(*pmd);
	pfn_t dep = pgtable_withdraw(vs, table, pt_index(old, 2));
	uint32_t item = rmap_find(vs, head, mm->id, old);

	if (dep != PFN_NONE && pgtable_deposit(vs, new_table, pt_index(new, 2), dep)) {
		pgtable_deposit(vs, table, pt_index(old, 2), dep);      /* the slot is there */
		return -MM_ENOMEM;
	}
	set_pte(vs, new_pmd, *pmd);
	set_pte(vs, pmd, 0);
	if (item) {
		rmap_item(vs, item)->addr = new;
		cost_add(vs->pm, COST_RMAP_OP, 2);
	}
	return 0;
}

int copy_huge_pmd(vmsys_t *vs, struct mm_struct *dst, struct mm_struct *src, uint64_t addr,
		  uint64_t *dst_pmd, pfn_t dst_table, uint64_t *src_pmd, bool cow, unsigned cpu)
{
	pfn_t head = pte_pfn(*src_pmd);
	pfn_t pgtable = pgtable_alloc(vs, dst, cpu);
	uint64_t e = *src_pmd;

	(void)src;
	if (pgtable == PFN_NONE)
		return -MM_ENOMEM;
	if (pgtable_deposit(vs, dst_table, pt_index(addr, 2), pgtable) ||
	    page_add_rmap(vs, head, dst->id, addr)) {
		pgtable_withdraw(vs, dst_table, pt_index(addr, 2));
		pgtable_free(vs, dst, pgtable, cpu);
		return -MM_ENOMEM;
	}
	vs->pm->mem_map[head].refcount++;
	cost_add(vs->pm, COST_PAGE_TOUCH, 1);
	if (cow && (e & PTE_RW)) {      /* pmdp_set_wrprotect + pmd_wrprotect */
		e &= ~PTE_RW;
		set_pte(vs, src_pmd, e);
	}
	set_pte(vs, dst_pmd, e);
	dst->rss_stat[MM_ANONPAGES] += HPAGE_PMD_NR;
	return 0;
}

int thp_map_subpage(vmsys_t *vs, struct mm_struct *mm, pfn_t head, uint64_t base)
{
	uint32_t item = rmap_find(vs, head, mm->id, base);

	if (item) {
		rmap_item(vs, item)->addr++;
		return 0;
	}
	if (page_add_rmap(vs, head, mm->id, (base & ~RMAP_COUNT_MASK) | 1))
		return -MM_ENOMEM;
	vs->pm->mem_map[head].refcount++;
	return 0;
}

bool thp_unmap_subpage(vmsys_t *vs, struct mm_struct *mm, pfn_t head, uint64_t base)
{
	uint32_t item = rmap_find(vs, head, mm->id, base);

	if (!item)
		return false;
	if ((--rmap_item(vs, item)->addr & RMAP_COUNT_MASK) == 0) {
		page_remove_rmap(vs, head, mm->id, base);
		return true;
	}
	return false;
}

void split_huge_pmd_address(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, unsigned cpu)
{
	pfn_t table;
	uint64_t *pmd;

	if (!(addr & ~HPAGE_PMD_MASK))
		return;                 /* a boundary on a PMD boundary splits nothing */
	pmd = pmd_lookup(vs, mm, addr, NULL, &table);
	if (pmd && pmd_huge(*pmd))
		split_huge_pmd(vs, mm, pmd, table, addr & HPAGE_PMD_MASK,
			       cpu < vs->pm->nr_cpus ? cpu : cpu % vs->pm->nr_cpus);
}
