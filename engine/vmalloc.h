/*
 * vmalloc.h - the kernel's vmalloc allocator on top of the simulated page
 * allocator (mm/vmalloc.c, v6.6).
 *
 * A vmalloc_t owns the vmalloc range of one machine's kernel address space,
 * [VMALLOC_START, VMALLOC_END) on x86-64 with 4-level paging, and hands out
 * virtually contiguous areas backed by order-0 pages from alloc_pages().
 * Address space is kept as the kernel keeps it, in struct vmap_area objects
 * on three trees:
 *
 *   free tree   free space, by address, augmented with subtree_max_size (the
 *               largest free area under each node) so that the lowest area
 *               that fits is found in O(log n) (find_vmap_lowest_match);
 *               neighbours are merged on insertion (merge_or_add_vmap_area).
 *   busy tree   live areas, by address: vfree() finds its area here.
 *   purge tree  areas unmapped by vfree() but not yet given back to the free
 *               tree (the "lazy" areas, vmap_lazy_nr pages).  They go back
 *               in one batch, after one TLB flush, when more than
 *               lazy_max_pages() are waiting or when an allocation finds no
 *               space (__purge_vmap_area_lazy).
 *
 * Free, busy and purge areas tile the range exactly.  Every area except
 * VM_NO_GUARD ones ends with one unmapped guard page (__get_vm_area_node).
 *
 * Mapping an area writes its PTEs; the page-table pages they live in are
 * allocated from the buddy allocator (GFP_KERNEL | __GFP_ZERO, unmovable)
 * the first time a 2 MiB (PTE table) or 1 GiB (PMD table) piece of the range
 * is mapped, and kept for good, as the kernel never frees kernel page tables.
 * The PUD level is preallocated at boot (preallocate_vmalloc_pages) and not
 * modeled.
 *
 * An area of more than 512 pages needs over a page of page pointers, which
 * the kernel allocates with a nested vmalloc (__vmalloc_area_node): the
 * model does the same, so such an area brings a second, small area (its
 * "vpages" array, freed with it) and both count as live areas.
 *
 * Differences from the kernel, on purpose: the kernel's vm_struct is folded
 * into the vmap_area; the free tree spans the vmalloc range only (the
 * kernel's spans 1..ULONG_MAX and clips with vstart/vend, which gives the
 * same placement); page arrays of up to a page (kmalloc) are not charged to
 * the page allocator; purges run synchronously where the kernel schedules
 * drain_vmap_work; per-CPU vmap blocks (vm_map_ram) and huge vmalloc
 * mappings are not modeled.
 *
 * Work is counted in pm->cost[] (engine/cost.h): COST_VMAP_NODE per tree
 * node visited, COST_VMAP_SPLIT / COST_VMAP_MERGE per free-area cut or
 * merge, COST_VMAP_PTE per PTE written or cleared, and one
 * COST_TLB_FLUSH_ALL (or COST_TLB_FLUSH_KPAGE per page of a short range) per
 * purge, as x86's flush_tlb_kernel_range() does.
 *
 * Not thread-safe: a vmalloc_t belongs to the thread that owns its phys_t.
 */
#ifndef MMBENCH_VMALLOC_H
#define MMBENCH_VMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/rbtree.h"
#include "engine/gfp.h"
#include "engine/phys.h"

/* arch/x86/include/asm/pgtable_64_types.h, 4-level paging */
#define VMALLOC_START		0xffffc90000000000ull
#define VMALLOC_SIZE_TB		32
/* inclusive, as x86 defines it: the range's last page is never handed out */
#define VMALLOC_END		(VMALLOC_START + ((uint64_t)VMALLOC_SIZE_TB << 40) - 1)

/* include/linux/vmalloc.h: vm_struct flags the model reads */
#define VM_ALLOC		0x00000002u     /* vmalloc() */
#define VM_NO_GUARD		0x00000040u     /* don't add guard page */

struct vmalloc_config {
	uint64_t lazy_max_pages;        /* purge when more lazily freed pages wait, pages; 0 = lazy_max_pages() */
	bool lazy_purge;                /* false: every vfree() purges at once */
	uint64_t vmalloc_bytes;         /* size of the range, bytes, 1 GiB multiple; 0 = 32 TiB */
};

/* lazy_max_pages = 0 (the kernel's formula), lazy_purge on, the 32 TiB range. */
void vmalloc_config_default(struct vmalloc_config *cfg);

struct vmap_area;                       /* one area of the range (vmalloc.c) */
struct vmap_chunk;                      /* host memory for vmap_area objects (vmalloc.c) */

/* A tree of vmap_areas by address (kernel: struct rb_root) and its size. */
struct vmap_root {
	struct rb_root root;            /* the areas, by address (engine/rbtree.h) */
	uint64_t nr;                    /* areas on the tree */
};

typedef struct vmalloc {
	phys_t *pm;                     /* the page allocator the pages come from */
	struct vmalloc_config cfg;      /* as given */
	uint64_t vmalloc_start;         /* first address of the range, bytes */
	uint64_t vmalloc_end;           /* VMALLOC_END: areas end at or below it */
	uint64_t lazy_max;              /* purge threshold in use, pages */
	uint64_t totalram_pages;        /* managed pages of the machine (totalram_pages()) */
	struct vmap_root free_root;     /* free_vmap_area_root: free space, augmented */
	struct vmap_root busy_root;     /* vmap_area_root: live areas */
	struct vmap_root purge_root;    /* purge_vmap_area_root: lazily freed areas */
	struct vmap_area *free_objs;    /* unused vmap_area objects (vmap_area_cachep) */
	struct vmap_chunk *chunks;      /* host blocks holding every vmap_area object */
	uint64_t nr_pud;                /* 1 GiB pieces of the range (PUD entries) */
	pfn_t *pmd_table;               /* [nr_pud]: PMD table page per GiB, PFN_NONE until mapped */
	pfn_t **pte_table;              /* [nr_pud]: NULL, or the 512 PTE table pages of that GiB */
	uint64_t nr_vmalloc_pages;      /* pages mapped by live areas (nr_vmalloc_pages) */
	uint64_t nr_pgtable_pages;      /* PMD + PTE table pages allocated */
	uint64_t vmap_lazy_nr;          /* pages of the purge tree (vmap_lazy_nr), guard pages included */
	uint64_t nr_purges;             /* purges that gave areas back to the free tree */
	uint64_t alloc_fail;            /* vmalloc calls that returned 0 */
} vmalloc_t;

/*
 * Set up the vmalloc range of the machine pm (which must outlive v): one
 * free area over the whole range, no page tables yet.  Returns 0, or
 * -MM_EINVAL with a message in err[errlen] for a bad config, or -MM_ENOMEM
 * when host memory runs out.  On error *v is left zeroed.
 */
int vmalloc_init(vmalloc_t *v, phys_t *pm, const struct vmalloc_config *cfg, char *err,
		 size_t errlen);

/*
 * Free every page v holds (live areas' pages and page-table pages) back to
 * the buddy allocator from CPU 0, then all host memory; zeroes *v.  Safe on
 * a zeroed vmalloc_t.
 */
void vmalloc_destroy(vmalloc_t *v);

/*
 * vmalloc(): size bytes (rounded up to pages) of virtually contiguous memory
 * from pages allocated with gfp on `cpu`, as __vmalloc_node(size, 1, gfp).
 * Returns the area's address (page aligned, in the vmalloc range), or 0 when
 * size is 0 or above totalram_pages(), no address space is left even after
 * a purge, or a page or page-table allocation fails.  A failure after the
 * area was reserved undoes what was done as the kernel does (vfree()): pages
 * go back to the buddy allocator, the area to the purge tree.
 */
uint64_t vmalloc(vmalloc_t *v, uint64_t size, gfp_t gfp, unsigned cpu);

/*
 * __vmalloc_node_range(): as vmalloc(), within [start, end) (bytes; inside
 * [vmalloc_start, vmalloc_end]), at an address aligned to align (bytes, a
 * power of two), with vm_flags (VM_NO_GUARD: no guard page).  Returns the
 * address or 0 (also for a bad range or alignment).
 */
uint64_t vmalloc_node_range(vmalloc_t *v, uint64_t size, uint64_t align, uint64_t start,
			    uint64_t end, gfp_t gfp, unsigned vm_flags, unsigned cpu);

/*
 * vfree(): unmap the area at addr (the address vmalloc returned), free its
 * pages to the buddy allocator on `cpu` at once and put the area on the
 * purge tree, purging if more than the lazy maximum is waiting; then the
 * same for its page-array area if it has one.  Returns 0, or -MM_EINVAL
 * (nothing changes) if addr is not the start of a live area that vmalloc
 * returned (a page-array area is not one).  (The kernel would free the
 * enclosing area for an address inside one.)
 */
int vfree(vmalloc_t *v, uint64_t addr, unsigned cpu);

/*
 * vm_unmap_aliases(): purge now: one TLB flush, then every lazily freed
 * area back to the free tree, merged with its neighbours.
 */
void vm_unmap_aliases(vmalloc_t *v);

/* Bytes mapped by the live area at addr, guard page excluded; 0 if none. */
uint64_t vmalloc_size(const vmalloc_t *v, uint64_t addr);

struct vmalloc_stats {
	uint64_t nr_areas;              /* live vmalloc areas, page-array areas included */
	uint64_t pages;                 /* pages mapped by them */
	uint64_t pgtable_pages;         /* page-table pages allocated (never freed) */
	uint64_t lazy_pages;            /* pages of areas waiting for a purge (guards included) */
	uint64_t nr_purges;             /* purges done */
	uint64_t alloc_fail;            /* failed vmalloc calls */
};

void vmalloc_stats(const vmalloc_t *v, struct vmalloc_stats *st);

/*
 * Check every invariant: the three trees (parent links, order, red-black
 * rules, counts, and on the free tree every subtree_max_size recomputed),
 * free / busy / purge areas tiling [vmalloc_start, vmalloc_end) without
 * overlap and without two touching free or two touching purge areas, busy
 * areas' sizes against their pages, every page and page-table page
 * allocated in the buddy allocator and held once, and the counters.
 * Returns 0, or -1 with the first violation (naming the area) in msg[len].
 * O(areas + pages + max_pfn / 8 bytes of host memory).
 */
int vmalloc_check(const vmalloc_t *v, char *msg, size_t len);

/*
 * /proc/vmallocinfo (s_show, show_purge_info): one line per live area in
 * address order, "0x<start>-0x<end> <size> pages=<n> vmalloc N<node>=<n>",
 * size in bytes with the guard page, then "... unpurged vm_area" lines for
 * the purge tree (printed, as the kernel does, only after a live area).
 */
void dump_vmallocinfo(const vmalloc_t *v, FILE *f);

#endif /* MMBENCH_VMALLOC_H */
