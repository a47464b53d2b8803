/*
 * cost.h - the engine's work counters: what each operation did, counted, never
 * timed.
 *
 * Every engine module adds to one array of cumulative counters
 * (phys_t.cost[NR_COST_ITEMS]) as it works: a free-list insertion is one
 * COST_FREELIST_OP, reading or writing a struct page one COST_PAGE_TOUCH, and
 * so on.  cost_add() also adds the work times its weight (phys_t.cost_weight,
 * cycles per item, set from the policy) to phys_t.cost_cycles, so the replay
 * driver reads an event's modeled cycles as the difference of one counter
 * before and after it.  Nothing here reads a clock, so the modeled figures
 * are the same on every machine.
 */
#ifndef MMBENCH_COST_H
#define MMBENCH_COST_H

#include <stdint.h>

enum cost_item {
	COST_FREELIST_OP,       /* list_add/list_del on a buddy free list */
	COST_PCP_LIST_OP,       /* list_add/list_del on a per-CPU page list */
	COST_PAGE_TOUCH,        /* struct page read-modify-write */
	COST_ZONE_LOCK,         /* zone->lock acquisition */
	COST_PCP_LOCK,          /* pcp->lock acquisition (pcp_spin_trylock) */
	COST_PAGE_ZERO,         /* 4 KiB page cleared (__GFP_ZERO, anonymous fault) */
	COST_PAGE_COPY,         /* 4 KiB page copied (migration, COW) */
	COST_PAGEBLOCK_OP,      /* pageblock migratetype change (steal, isolate, CMA) */
	COST_COMPACT_SCAN,      /* pfn visited by a compaction or isolation scanner */
	COST_MIGRATE,           /* page migrated: unmap, copy bookkeeping, remap */
	COST_WMARK_CHECK,       /* zone_watermark_ok() evaluation */
	COST_VMAP_NODE,         /* vmap_area tree node visited (lookup, lowest-fit search, propagation) */
	COST_VMAP_SPLIT,        /* free vmap_area cut by an allocation (adjust_va_to_fit_type) */
	COST_VMAP_MERGE,        /* vmap_area merged with a neighbour (merge_or_add_vmap_area) */
	COST_VMAP_PTE,          /* kernel PTE set or cleared (vmap_pte_range, vunmap_pte_range) */
	COST_TLB_FLUSH_ALL,     /* flush_tlb_kernel_range() over the ceiling: do_flush_tlb_all on every CPU */
	COST_TLB_FLUSH_KPAGE,   /* one page of a short flush_tlb_kernel_range() (invlpg on every CPU) */
	COST_SLAB_ALLOC_FAST,   /* slab object taken from the cpu freelist (__slab_alloc_node fast path) */
	COST_SLAB_FREE_FAST,    /* slab object put on the cpu freelist (do_slab_free fast path) */
	COST_SLAB_ALLOC_SLOW,   /* ___slab_alloc() entered: cpu freelist empty */
	COST_SLAB_FREE_SLOW,    /* __slab_free(): object freed to a slab that is not this CPU's */
	COST_SLAB_LIST_LOCK,    /* kmem_cache_node->list_lock acquisition */
	COST_SLAB_PARTIAL_OP,   /* slab added to or removed from a node or cpu partial list */
	COST_SLAB_NEW,          /* slab set up on new pages (allocate_slab), pages counted by alloc_pages */
	COST_SLAB_DISCARD,      /* slab given back to the page allocator (discard_slab) */
	COST_SLAB_OBJ_TOUCH,    /* free pointer written or read off the fast path (freelist build, deactivate walk) */
	COST_SLAB_ZERO_LINE,    /* 64-byte cache line of an object cleared (__GFP_ZERO) */
	COST_SLAB_COPY_LINE,    /* 64-byte cache line copied by krealloc() */
	COST_SYSCALL,           /* syscall entry and exit (mmap, munmap, brk, ...) */
	COST_FAULT_ENTRY,       /* page fault exception entry/exit and handle_mm_fault dispatch */
	COST_VMA_NODE,          /* VMA tree node visited (find_vma, gap search, insert) */
	COST_VMA_SPLIT,         /* VMA split or new VMA set up (vm_area_dup, __split_vma) */
	COST_VMA_MERGE,         /* VMA merged with a neighbour and freed (vma_merge) */
	COST_PTE_WRITE,         /* user PTE/PMD entry set or cleared */
	COST_PGTABLE_ALLOC,     /* page-table page set up besides its allocation and zeroing (__pte_alloc) */
	COST_PGTABLE_FREE,      /* page-table page torn down besides the page free (free_pgtables) */
	COST_RMAP_OP,           /* reverse-map entry added or removed (page_add_anon_rmap, page_remove_rmap) */
	COST_PAGECACHE_OP,      /* page-cache lookup or insertion (filemap_get_folio, xarray) */
	COST_TLB_STLB_HIT,      /* L1 TLB miss served by the unified L2 STLB */
	COST_TLB_WALK,          /* page walk started after an STLB miss (fixed part) */
	COST_PWALK_REF,         /* page-walk memory reference not served by a page-walk cache */
	COST_TLB_FLUSH_PAGE,    /* invlpg of one user page on the local CPU */
	COST_TLB_FLUSH_MM,      /* full flush of one address space on the local CPU (CR3 write or INVPCID) */
	COST_TLB_SHOOTDOWN,     /* TLB shootdown IPI to one remote CPU */
	NR_COST_ITEMS
};

/*
 * Count n units of work `item` on machine pm (a phys_t *): the item's
 * counter, and its weighted cycles.
 */
#define cost_add(pm, item, n) do {						\
		uint64_t n_ = (n);						\
		(pm)->cost[item] += n_;						\
		(pm)->cost_cycles += n_ * (pm)->cost_weight[item];		\
	} while (0)

/* Short names, for results and policy keys ("freelist_op", ...). */
extern const char *const cost_item_names[NR_COST_ITEMS];

#endif /* MMBENCH_COST_H */
