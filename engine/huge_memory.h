/*
 * huge_memory.h - transparent huge pages of the VM model and the fault
 * helpers memory.c shares with them (mm/huge_memory.c, mm/memory.c);
 * internal to the engine's VM files.
 *
 * A THP is an order-9 compound page (__GFP_COMP) mapped by a PSE PMD, with
 * a PTE table deposited beside it.  split_huge_pmd() turns the PMD into
 * that PTE table mapping the 512 subpages; the compound page is kept (no
 * folio split, no deferred split queue) and goes back to the buddy
 * allocator when its last subpage is unmapped.  khugepaged, the huge zero
 * page (a read fault allocates the THP, as use_zero_page=0), file THPs and
 * migration of THPs are not modeled.
 */
#ifndef MMBENCH_HUGE_MEMORY_H
#define MMBENCH_HUGE_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/mm.h"

/*
 * compound_head(): the head pfn of the block holding pfn -- pfn itself for
 * an order-0 page, the 2 MiB-aligned head for a subpage of a THP (tail
 * struct pages are all-zero in this model).
 */
static inline pfn_t page_head(const vmsys_t *vs, pfn_t pfn)
{
	if (vs->pm->mem_map[pfn].flags & PG_head)
		return pfn;
	return pfn & ~((pfn_t)(1u << 9) - 1);
}

/* memory.c */
uint64_t vm_page_prot(const struct vm_area_struct *vma);        /* entry bits for vma's flags */
bool page_anon_exclusive(const vmsys_t *vs, pfn_t head);
enum fault_class do_wp_page(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr, uint64_t *pte,
			    unsigned cpu);

/* huge_memory.c */

/*
 * thp_vma_allowable_order() + thp_vma_suitable_order(): may a fault at addr
 * (bytes) in vma be served by a huge PMD?  Private anonymous VMAs only, by
 * cfg.thp and VM_HUGEPAGE / VM_NOHUGEPAGE, the aligned 2 MiB inside the VMA.
 */
bool thp_vma_suitable(const vmsys_t *vs, const struct vm_area_struct *vma, uint64_t addr);

/*
 * do_huge_pmd_anonymous_page(): an order-9 page (GFP_TRANSHUGE with
 * VM_HUGEPAGE, else GFP_TRANSHUGE_LIGHT: defrag=madvise), zeroed, mapped by
 * *pmd (empty) in table page pmd_table.  Returns FAULT_THP, FAULT_OOM, or
 * NR_FAULT_CLASSES when the allocation failed and the fault falls back to
 * 4 KiB pages (thp_fault_fallback).
 */
enum fault_class do_huge_pmd_anonymous_page(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
					    uint64_t *pmd, pfn_t pmd_table, unsigned cpu);

/*
 * A fault on a huge PMD (huge_pmd_set_accessed, do_huge_pmd_wp_page):
 * FAULT_SPURIOUS, FAULT_WP_REUSE, or NR_FAULT_CLASSES after splitting it
 * (a shared THP written: the 4 KiB path copies the subpage).
 */
enum fault_class huge_pmd_fault(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
				uint64_t *pmd, pfn_t pmd_table, unsigned flags, unsigned cpu);

/*
 * split_huge_pmd(): map the THP of the huge *pmd at haddr through its
 * deposited PTE table instead, same bits per subpage; flushes the range.
 * Host-memory failure leaves the PMD as it was and returns -MM_ENOMEM.
 */
int split_huge_pmd(vmsys_t *vs, struct mm_struct *mm, uint64_t *pmd, pfn_t pmd_table, uint64_t haddr,
		   unsigned cpu);

/* move_huge_pmd(): move a whole huge PMD and its deposit (mremap); 0 or -MM_ENOMEM. */
int move_huge_pmd(vmsys_t *vs, struct mm_struct *mm, uint64_t old, uint64_t *pmd, pfn_t table,
		  uint64_t new, uint64_t *new_pmd, pfn_t new_table);

/* copy_huge_pmd(): fork of a huge PMD, write-protected in both for COW; 0 or -MM_ENOMEM. */
int copy_huge_pmd(vmsys_t *vs, struct mm_struct *dst, struct mm_struct *src, uint64_t addr,
		  uint64_t *dst_pmd, pfn_t dst_table, uint64_t *src_pmd, bool cow, unsigned cpu);

/*
 * A subpage of THP head mapped by a PTE in mm, the mapping's subpage 0 at
 * base (bytes): count it in the rmap item for (mm, base), adding the item
 * and a reference when new.  0 or -MM_ENOMEM.
 */
int thp_map_subpage(vmsys_t *vs, struct mm_struct *mm, pfn_t head, uint64_t base);

/* The reverse: true when the item went away (the caller drops its reference). */
bool thp_unmap_subpage(vmsys_t *vs, struct mm_struct *mm, pfn_t head, uint64_t base);

#endif /* MMBENCH_HUGE_MEMORY_H */
