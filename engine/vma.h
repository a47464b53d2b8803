/*
 * vma.h - the VMA tree and list inside an mm_struct, private to vma.c and
 * mmap.c (the rest of the engine sees engine/mm.h).
 *
 * The tree is the augmented red-black tree of Linux 4.x-5.x mm/mmap.c
 * (before the maple tree): keyed by vm_start, each node caching in
 * rb_subtree_gap the largest free gap that precedes any VMA of its subtree
 * (vma_compute_subtree_gap), so that unmapped_area() and
 * unmapped_area_topdown() find a hole in O(log n).  The doubly linked
 * address-ordered list (vm_next, vm_prev) runs beside it.  A gap is measured
 * from vm_end_gap(prev) to vm_start_gap(vma): VM_GROWSDOWN VMAs keep
 * mm->stack_guard_gap free below them.
 *
 * Every structural change keeps both, plus map_count, total_vm and
 * highest_vm_end; vma_check() recounts them.  VMA objects come from a
 * per-mm pool of fixed-size chunks (host memory), freed with the mm.
 */
#ifndef MMBENCH_VMA_H
#define MMBENCH_VMA_H

#include <stdint.h>

#include "engine/mm.h"

/* Page count of vma (vma_pages). */
static inline uint64_t vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* vm_start_gap(): vm_start less the guard gap of a VM_GROWSDOWN VMA, clamped at 0; bytes. */
static inline uint64_t vm_start_gap(const struct vm_area_struct *vma)
{
	uint64_t start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN) {
		start -= vma->vm_mm->stack_guard_gap;
		if (start > vma->vm_start)
			start = 0;
	}
	return start;
}

/* vm_end_gap(): vm_end (x86 has no VM_GROWSUP); bytes. */
static inline uint64_t vm_end_gap(const struct vm_area_struct *vma)
{
	return vma->vm_end;
}

/* vm_area_alloc(): a zeroed VMA of mm from its pool; NULL when host memory runs out. */
struct vm_area_struct *vma_alloc(struct mm_struct *mm);

/* vm_area_free(): give vma (unlinked) back to its mm's pool. */
void vma_free(struct vm_area_struct *vma);

/* Free every pooled chunk of mm (after all its VMAs are unlinked or abandoned). */
void vma_pool_destroy(struct mm_struct *mm);

/*
 * find_vma_prev(): find_vma(mm, addr), and in *pprev the VMA before it (the
 * last VMA when none is at or above addr; NULL when none is below).
 */
struct vm_area_struct *find_vma_prev(const struct mm_struct *mm, uint64_t addr,
				     struct vm_area_struct **pprev);

/*
 * vma_link(): insert vma (vm_start, vm_end, vm_mm set; not overlapping any
 * VMA) into mm's list and tree (__vma_link_list, __vma_link_rb); updates
 * map_count, total_vm, highest_vm_end and the gaps.
 */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma);

/* __vma_unlink_common(): take vma out of the list and tree (not freed); counters updated. */
void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma);

/*
 * vma_resize(): set vma's range to [start, end) in place (vma_adjust without
 * the neighbours), keeping the tree order valid: the caller guarantees no
 * overlap with the neighbours.  Updates total_vm, the gaps of vma and its
 * successor, and highest_vm_end.
 */
void vma_resize(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start, uint64_t end);

/* vma_gap_update(): recompute rb_subtree_gap from vma up to the root. */
void vma_gap_update(struct vm_area_struct *vma);

/* vm_unmapped_area() request (struct vm_unmapped_area_info); bytes. */
struct vm_unmapped_area_info {
	bool topdown;           /* VM_UNMAPPED_AREA_TOPDOWN */
	uint64_t length;        /* bytes wanted */
	uint64_t low_limit;     /* lowest start allowed */
	uint64_t high_limit;    /* highest end allowed */
};

/*
 * unmapped_area() / unmapped_area_topdown(): the lowest (highest) free
 * range of info->length bytes within the limits.  Returns its start, or
 * -ENOMEM as an unsigned value (check with IS_ERR_VALUE-style (int64_t) < 0).
 */
uint64_t vm_unmapped_area(const struct mm_struct *mm, const struct vm_unmapped_area_info *info);

#endif /* MMBENCH_VMA_H */
