/*
 * vmalloc.c - vmalloc address space, pages and kernel page tables
 * (mm/vmalloc.c, v6.6; see vmalloc.h for the model).
 *
 * Layout of this file: the red-black tree with the subtree_max_size
 * augmentation (lib/rbtree.c, include/linux/rbtree_augmented.h), the vmap_area
 * trees (find_va_links, merge_or_add_vmap_area, find_vmap_lowest_match,
 * adjust_va_to_fit_type, alloc_vmap_area), the lazy purge, the kernel page
 * tables, the vmalloc()/vfree() entry points, then setup, the checker and
 * /proc/vmallocinfo.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/page_alloc.h"
#include "engine/vmalloc.h"

#define PMD_SHIFT		21
#define PMD_SIZE		(1ull << PMD_SHIFT)     /* bytes mapped by one PTE table */
#define PUD_SHIFT		30
#define PUD_SIZE		(1ull << PUD_SHIFT)     /* bytes mapped by one PMD table */
#define PTRS_PER_PMD		512
#define GFP_PGTABLE_KERNEL	(GFP_KERNEL | GFP_F_ZERO)       /* asm-generic/pgalloc.h */
/* mm/internal.h (without __GFP_NOLOCKDEP, not modeled) */
#define GFP_RECLAIM_MASK	(GFP_F_RECLAIM | GFP_F_HIGH | GFP_F_IO | GFP_F_FS | GFP_F_NOWARN | \
				 GFP_F_RETRY_MAYFAIL | GFP_F_NOFAIL | GFP_F_NORETRY | \
				 GFP_F_MEMALLOC | GFP_F_NOMEMALLOC)
#define KERNEL_PTR_SIZE		8       /* sizeof(struct page *) on x86-64, bytes */
#define TLB_SINGLE_PAGE_FLUSH_CEILING 33        /* arch/x86/mm/tlb.c, pages */
#define VMAP_CHUNK_AREAS	256     /* vmap_area objects per host allocation */
#define NR_INLINE_PAGES		2       /* areas of up to this many pages keep pfns inline */
#define VA_EXT_PAGES		0x8000u /* model-only flag: pages[] is host memory */
#define VA_PAGE_ARRAY		0x4000u /* model-only flag: the page array of another area */

enum va_state { VA_UNUSED, VA_FREE, VA_BUSY, VA_PURGE };

/*
 * One area of the vmalloc range: a free block, a live vmalloc area (the
 * kernel's vmap_area + vm_struct) or a lazily freed one.  64 bytes.
 */
struct vmap_area {
	uint64_t va_start;              /* first address, bytes */
	uint64_t va_end;                /* one past the last address (guard page included) */
	union {
		uint64_t subtree_max_size; /* free tree: largest va_size() in this subtree, bytes */
		uint64_t pages_area;    /* busy: address of the vmalloc'ed page array, 0 if kmalloc'ed */
	};
	struct rb_node rb_node;         /* in the tree `state` names, by address */
	union {
		pfn_t *pages;           /* busy with VA_EXT_PAGES: the pages, in order */
		pfn_t inline_pages[NR_INLINE_PAGES]; /* busy, small: the pages */
		struct vmap_area *next; /* purge list during a purge; free-object list when unused */
	};
	uint32_t nr_pages;              /* busy: pages allocated (all mapped once vmalloc returns) */
	uint16_t flags;                 /* busy: VM_ALLOC | VM_NO_GUARD | VA_EXT_PAGES | VA_PAGE_ARRAY */
	uint8_t state;                  /* enum va_state: which tree holds it */
};
_Static_assert(sizeof(struct vmap_area) == 64, "vmap_area should stay one cache line");

struct vmap_chunk {
	struct vmap_chunk *next;        /* chunks of this vmalloc_t */
	struct vmap_area areas[VMAP_CHUNK_AREAS]; /* objects */
};

static inline uint64_t va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

static inline pfn_t *va_pages(const struct vmap_area *va)
{
	return (va->flags & VA_EXT_PAGES) ? va->pages : (pfn_t *)va->inline_pages;
}

static inline void count(vmalloc_t *v, enum cost_item item, uint64_t n)
{
	cost_add(v->pm, item, n);
}

/* ---------------------------------------------------------------- vmap_area objects */

/* kmem_cache_alloc(vmap_area_cachep): NULL when host memory runs out. */
static struct vmap_area *va_alloc(vmalloc_t *v)
{
	struct vmap_area *va = v->free_objs;

	if (!va) {
		struct vmap_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = v->chunks;
		v->chunks = c;
		for (unsigned i = VMAP_CHUNK_AREAS; i-- > 0;) {
			c->areas[i].state = VA_UNUSED;
			c->areas[i].next = v->free_objs;
			v->free_objs = &c->areas[i];
		}
		va = v->free_objs;
	}
	v->free_objs = va->next;
	memset(va, 0, sizeof(*va));
	return va;
}

static void va_free(vmalloc_t *v, struct vmap_area *va)
{
	va->state = VA_UNUSED;
	va->next = v->free_objs;
	v->free_objs = va;
}

/* ---------------------------------------------------------------- augmented red-black tree */

/* The area holding node, or NULL. */
static inline struct vmap_area *va_of(const struct rb_node *node)
{
	return node ? rb_entry(node, struct vmap_area, rb_node) : NULL;
}

static inline struct vmap_area *va_left(const struct vmap_area *va) { return va_of(va->rb_node.rb_left); }
static inline struct vmap_area *va_right(const struct vmap_area *va) { return va_of(va->rb_node.rb_right); }
static inline struct vmap_area *va_parent(const struct vmap_area *va) { return va_of(rb_parent(&va->rb_node)); }
static inline struct vmap_area *va_root(const struct vmap_root *root) { return va_of(root->root.rb_node); }
static inline struct vmap_area *va_first(const struct vmap_root *root) { return va_of(rb_first(&root->root)); }
static inline struct vmap_area *va_last(const struct vmap_root *root) { return va_of(rb_last(&root->root)); }
static inline struct vmap_area *va_next(const struct vmap_area *va) { return va_of(rb_next(&va->rb_node)); }
static inline struct vmap_area *va_prev(const struct vmap_area *va) { return va_of(rb_prev(&va->rb_node)); }
static inline bool va_is_red(const struct vmap_area *va) { return va && rb_color(&va->rb_node) == RB_RED; }

static inline uint64_t get_subtree_max_size(const struct vmap_area *va)
{
	return va ? va->subtree_max_size : 0;
}

/* max3(va_size, left, right): RB_DECLARE_CALLBACKS_MAX's compute */
static inline uint64_t compute_subtree_max_size(const struct vmap_area *va)
{
	uint64_t m = va_size(va), l = get_subtree_max_size(va_left(va));
	uint64_t r = get_subtree_max_size(va_right(va));

	if (l > m)
		m = l;
	return r > m ? r : m;
}

/*
 * augment_tree_propagate_from(): recompute subtree_max_size from va up to
 * (not including) stop, ending early where a node's value does not change.
 */
static void augment_tree_propagate(vmalloc_t *v, struct vmap_area *va, struct vmap_area *stop)
{
	uint64_t n = 0;

	while (va != stop) {
		uint64_t m = compute_subtree_max_size(va);

		n++;
		if (m == va->subtree_max_size)
			break;
		va->subtree_max_size = m;
		va = va_parent(va);
	}
	count(v, COST_VMAP_NODE, n);
}

/* The augmented callbacks of the free tree (RB_DECLARE_CALLBACKS_MAX); ctx is the vmalloc_t. */
static void va_augment_propagate(struct rb_node *node, struct rb_node *stop, void *ctx)
{
	augment_tree_propagate(ctx, va_of(node), va_of(stop));
}

static void va_augment_copy(struct rb_node *old, struct rb_node *new, void *ctx)
{
	(void)ctx;
	va_of(new)->subtree_max_size = va_of(old)->subtree_max_size;
}

/* new moves up above old: it covers the same areas, so takes old's value */
static void va_augment_rotate(struct rb_node *old, struct rb_node *new, void *ctx)
{
	(void)ctx;
	va_of(new)->subtree_max_size = va_of(old)->subtree_max_size;
	va_of(old)->subtree_max_size = compute_subtree_max_size(va_of(old));
}

static const struct rb_augment_callbacks va_augment = {
	.propagate = va_augment_propagate,
	.copy = va_augment_copy,
	.rotate = va_augment_rotate,
};

/*
 * link_va() / link_va_augment(): attach va as a leaf under parent (NULL:
 * empty tree) on the given side, then rebalance.  With augment, the new
 * size is first pushed up the path, as rb_insert_augmented() requires.
 */
static void link_va(vmalloc_t *v, struct vmap_root *root, struct vmap_area *va,
		    struct vmap_area *parent, bool left, bool augment)
{
	rb_link_node(&va->rb_node, parent ? &parent->rb_node : NULL,
		     !parent ? &root->root.rb_node :
		     left ? &parent->rb_node.rb_left : &parent->rb_node.rb_right);
	if (augment) {
		uint64_t size = va_size(va), n = 0;

		va->subtree_max_size = size;
		for (struct vmap_area *p = parent; p && p->subtree_max_size < size; p = va_parent(p), n++)
			p->subtree_max_size = size;
		count(v, COST_VMAP_NODE, n);
	}
	if (augment)            /* constant callbacks: the inline rebalancing calls them directly */
		rb_insert_augmented(&va->rb_node, &root->root, &va_augment, v);
	else
		rb_insert_augmented(&va->rb_node, &root->root, NULL, v);
	root->nr++;
}

/*
 * unlink_va() / unlink_va_augment(): rb_erase(), with the augmented erase
 * of __rb_erase_augmented(): when z has two children its successor y takes
 * its place and z's value (copy), and the values are recomputed from y's
 * old parent up to y, then from y up (propagate), before the rebalancing.
 */
static void unlink_va(vmalloc_t *v, struct vmap_root *root, struct vmap_area *z, bool augment)
{
	if (augment)
		rb_erase_augmented(&z->rb_node, &root->root, &va_augment, v);
	else
		rb_erase_augmented(&z->rb_node, &root->root, NULL, v);
	root->nr--;
}

/* ---------------------------------------------------------------- vmap_area trees */

/*
 * find_va_links(): the leaf position for va under `from` (or the root),
 * as *parent and *left.  Returns false if va overlaps an area of the tree
 * (the kernel WARNs "vmalloc bug").
 */
static bool find_va_links(vmalloc_t *v, const struct vmap_area *va, struct vmap_root *root,
			  struct vmap_area *from, struct vmap_area **parent, bool *left)
{
	struct vmap_area *n = from ? from : va_root(root), *p = NULL;
	uint64_t visited = 0;

	*left = false;
	while (n) {
		visited++;
		p = n;
		if (va->va_end <= n->va_start) {
			n = va_left(n);
			*left = true;
		} else if (va->va_start >= n->va_end) {
			n = va_right(n);
			*left = false;
		} else {
			count(v, COST_VMAP_NODE, visited);
			return false;
		}
	}
	count(v, COST_VMAP_NODE, visited);
	*parent = p;
	return true;
}

/* __find_vmap_area(): the area of the tree containing addr, or NULL */
static struct vmap_area *find_vmap_area(vmalloc_t *v, const struct vmap_root *root, uint64_t addr)
{
	struct vmap_area *n = va_root(root);
	uint64_t visited = 0;

	while (n) {
		visited++;
		if (addr < n->va_start)
			n = va_left(n);
		else if (addr >= n->va_end)
			n = va_right(n);
		else
			break;
	}
	count(v, COST_VMAP_NODE, visited);
	return n;
}

/*
 * merge_or_add_vmap_area() / merge_or_add_vmap_area_augment(): put va on
 * the tree, merged with the area just after it and/or just before it when
 * they touch (the merged-away object is freed).  The next neighbour is
 * merged first and unlinked before the previous one grows, as the kernel
 * does, so that the augmented values stay whole.  Returns the area va ended
 * up in, or NULL if va overlaps the tree (a bug; va is dropped).
 */
static struct vmap_area *merge_or_add_vmap_area(vmalloc_t *v, struct vmap_area *va,
						struct vmap_root *root, bool augment,
						enum va_state state)
{
	struct vmap_area *parent, *next = NULL, *prev = NULL;
	bool left, merged = false;

	if (!find_va_links(v, va, root, NULL, &parent, &left)) {
		va_free(v, va);
		return NULL;
	}
	if (parent) {
		next = left ? parent : va_next(parent);
		prev = left ? va_prev(parent) : parent;
	}
	if (next && next->va_start == va->va_end) {
		next->va_start = va->va_start;
		va_free(v, va);
		va = next;
		merged = true;
		count(v, COST_VMAP_MERGE, 1);
	}
	if (prev && prev->va_end == va->va_start) {
		if (merged)
			unlink_va(v, root, va, augment);
		prev->va_end = va->va_end;
		va_free(v, va);
		va = prev;
		merged = true;
		count(v, COST_VMAP_MERGE, 1);
	}
	if (!merged) {
		va->state = state;
		link_va(v, root, va, parent, left, augment);
	} else if (augment) {
		augment_tree_propagate(v, va, NULL);
	}
	return va;
}

static inline uint64_t align_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/* is_within_this_va(): does [ALIGN(max(va_start, vstart)), +size) fit in va? */
static bool is_within_this_va(const struct vmap_area *va, uint64_t size, uint64_t align,
			      uint64_t vstart)
{
	uint64_t nva_start_addr = align_up(va->va_start > vstart ? va->va_start : vstart, align);

	if (nva_start_addr + size < nva_start_addr || nva_start_addr < vstart)
		return false;
	return nva_start_addr + size <= va->va_end;
}

/*
 * find_vmap_lowest_match(): the free area with the lowest address that can
 * hold size bytes aligned to align at or above vstart.  Goes left whenever
 * the left subtree has a big enough area, else takes this node if it fits,
 * else goes right; when stuck (vstart or alignment ruled out a subtree whose
 * subtree_max_size looked big enough) climbs back to the first ancestor
 * whose right subtree may fit, moving vstart past it.
 */
static struct vmap_area *find_vmap_lowest_match(vmalloc_t *v, uint64_t size, uint64_t align,
						uint64_t vstart, bool adjust_search_size)
{
	struct vmap_area *node = va_root(&v->free_root), *va;
	uint64_t length = adjust_search_size ? size + align - 1 : size;
	uint64_t visited = 0;

	while (node) {
		va = node;
		visited++;
		if (get_subtree_max_size(va_left(node)) >= length && vstart < va->va_start) {
			node = va_left(node);
			continue;
		}
		if (is_within_this_va(va, size, align, vstart))
			goto found;
		if (get_subtree_max_size(va_right(node)) >= length) {
			node = va_right(node);
			continue;
		}
		while ((node = va_parent(node))) {
			va = node;
			visited++;
			if (is_within_this_va(va, size, align, vstart))
				goto found;
			if (get_subtree_max_size(va_right(node)) >= length && vstart <= va->va_start) {
				vstart = va->va_start + 1;
				node = va_right(node);
				break;
			}
		}
	}
	va = NULL;
found:
	count(v, COST_VMAP_NODE, visited);
	return va;
}

enum fit_type {
	NOTHING_FIT = 0,
	FL_FIT_TYPE = 1,        /* full fit */
	LE_FIT_TYPE = 2,        /* left edge fit */
	RE_FIT_TYPE = 3,        /* right edge fit */
	NE_FIT_TYPE = 4         /* no edge fit */
};

static enum fit_type classify_va_fit_type(const struct vmap_area *va, uint64_t nva_start_addr,
					  uint64_t size)
{
	if (nva_start_addr < va->va_start || nva_start_addr + size > va->va_end)
		return NOTHING_FIT;
	if (va->va_start == nva_start_addr)
		return va->va_end == nva_start_addr + size ? FL_FIT_TYPE : LE_FIT_TYPE;
	if (va->va_end == nva_start_addr + size)
		return RE_FIT_TYPE;
	return NE_FIT_TYPE;
}

/*
 * adjust_va_to_fit_type(): cut [nva_start_addr, +size) out of the free area
 * va: remove it (FL), shrink it from the left (LE) or the right (RE), or
 * split it in two (NE, which needs a second object: the kernel's per-CPU
 * preload; here host memory).  Returns 0, or -1 if no object was available.
 */
static int adjust_va_to_fit_type(vmalloc_t *v, struct vmap_area *va, uint64_t nva_start_addr,
				 uint64_t size)
{
	struct vmap_area *lva = NULL, *parent;
	enum fit_type type = classify_va_fit_type(va, nva_start_addr, size);
	bool left;

	switch (type) {
	case FL_FIT_TYPE:
		unlink_va(v, &v->free_root, va, true);
		va_free(v, va);
		break;
	case LE_FIT_TYPE:
		va->va_start += size;
		break;
	case RE_FIT_TYPE:
		va->va_end = nva_start_addr;
		break;
	case NE_FIT_TYPE:
		lva = va_alloc(v);
		if (!lva)
			return -1;
		lva->va_start = va->va_start;
		lva->va_end = nva_start_addr;
		va->va_start = nva_start_addr + size;
		break;
	default:
		return -1;
	}
	count(v, COST_VMAP_SPLIT, 1);
	if (type != FL_FIT_TYPE) {
		augment_tree_propagate(v, va, NULL);
		if (lva) {
			/* insert_vmap_area_augment(lva, &va->rb_node, ...): search from va */
			if (!find_va_links(v, lva, &v->free_root, va, &parent, &left)) {
				va_free(v, lva);        /* cannot happen: lva is va's old left part */
				return -1;
			}
			lva->state = VA_FREE;
			link_va(v, &v->free_root, lva, parent, left, true);
		}
	}
	return 0;
}

/* __alloc_vmap_area(): the start of the carved-out space, or vend on failure */
static uint64_t alloc_vmap_space(vmalloc_t *v, uint64_t size, uint64_t align, uint64_t vstart,
				 uint64_t vend)
{
	bool adjust_search_size = !(align <= PAGE_SIZE || vend - vstart == size);
	struct vmap_area *va = find_vmap_lowest_match(v, size, align, vstart, adjust_search_size);
	uint64_t nva_start_addr;

	if (!va)
		return vend;
	nva_start_addr = align_up(va->va_start > vstart ? va->va_start : vstart, align);
	if (nva_start_addr + size > vend)
		return vend;
	if (adjust_va_to_fit_type(v, va, nva_start_addr, size))
		return vend;
	return nva_start_addr;
}

static void purge_vmap_area_lazy(vmalloc_t *v);

/*
 * alloc_vmap_area(): reserve size bytes (guard included) aligned to align
 * within [vstart, vend) and put the area on the busy tree.  On no space,
 * purge the lazily freed areas and retry once (the overflow path).  Returns
 * NULL on failure.
 */
static struct vmap_area *alloc_vmap_area(vmalloc_t *v, uint64_t size, uint64_t align,
					 uint64_t vstart, uint64_t vend, unsigned flags)
{
	struct vmap_area *va, *parent;
	bool purged = false, left;
	uint64_t addr;

	if (!size || (size & (PAGE_SIZE - 1)) || !align || (align & (align - 1)))
		return NULL;
	va = va_alloc(v);
	if (!va)
		return NULL;
	for (;;) {
		addr = alloc_vmap_space(v, size, align, vstart, vend);
		if (addr != vend)
			break;
		if (purged || !v->purge_root.nr) {
			va_free(v, va);
			return NULL;
		}
		purge_vmap_area_lazy(v);
		purged = true;
	}
	va->va_start = addr;
	va->va_end = addr + size;
	va->flags = (uint16_t)flags;
	va->state = VA_BUSY;
	if (!find_va_links(v, va, &v->busy_root, NULL, &parent, &left)) {
		va_free(v, va);         /* cannot happen: the space came off the free tree */
		return NULL;
	}
	link_va(v, &v->busy_root, va, parent, left, false);
	return va;
}

/* ---------------------------------------------------------------- lazy purge */

/*
 * flush_tlb_kernel_range() on x86: a range over tlb_single_page_flush_ceiling
 * pages flushes everything on every CPU, a shorter one page by page.
 */
static void flush_tlb_kernel_range(vmalloc_t *v, uint64_t start, uint64_t end)
{
	uint64_t pages = (end - start + PAGE_SIZE - 1) >> PAGE_SHIFT;

	if (pages > TLB_SINGLE_PAGE_FLUSH_CEILING)
		count(v, COST_TLB_FLUSH_ALL, 1);
	else
		count(v, COST_TLB_FLUSH_KPAGE, pages);
}

/*
 * __purge_vmap_area_lazy(): take the whole purge tree, flush the TLB once
 * over [lowest start, highest end), and merge every area into the free tree.
 */
static void purge_vmap_area_lazy(vmalloc_t *v)
{
	struct vmap_area *va, *list = NULL, **tail = &list;

	if (!va_root(&v->purge_root))
		return;
	flush_tlb_kernel_range(v, va_first(&v->purge_root)->va_start,
			       va_last(&v->purge_root)->va_end);
	/* list_replace_init(&purge_vmap_area_list, &local_purge_list) */
	for (va = va_first(&v->purge_root); va; va = va_next(va)) {
		*tail = va;
		tail = &va->next;
	}
	*tail = NULL;
	v->purge_root.root.rb_node = NULL;
	v->purge_root.nr = 0;
	while ((va = list)) {
		list = va->next;
		v->vmap_lazy_nr -= va_size(va) >> PAGE_SHIFT;
		merge_or_add_vmap_area(v, va, &v->free_root, true, VA_FREE);
	}
	v->nr_purges++;
}

/*
 * free_vmap_area_noflush(): account va's pages as lazily freed and merge it
 * into the purge tree.  The caller purges if lazy_over_max() (the kernel
 * schedules drain_vmap_work).
 */
static void free_vmap_area_noflush(vmalloc_t *v, struct vmap_area *va)
{
	v->vmap_lazy_nr += va_size(va) >> PAGE_SHIFT;
	va->nr_pages = 0;
	va->flags = 0;
	va->pages_area = 0;
	merge_or_add_vmap_area(v, va, &v->purge_root, false, VA_PURGE);
}

static inline bool lazy_over_max(const vmalloc_t *v)
{
	return !v->cfg.lazy_purge || v->vmap_lazy_nr > v->lazy_max;
}

/* ---------------------------------------------------------------- kernel page tables */

static inline uint64_t pud_index(const vmalloc_t *v, uint64_t addr)
{
	return (addr - v->vmalloc_start) >> PUD_SHIFT;
}

/*
 * vmap_pages_range() for 4 KiB pages: walk [addr, end) 2 MiB at a time,
 * allocating the PMD table of each new GiB (pmd_alloc) and the PTE table of
 * each new 2 MiB (pte_alloc_kernel), then writing the PTEs.  *nr_mapped
 * counts the PTEs written, also on failure.  Returns 0 or -MM_ENOMEM.
 */
static int vmap_pages_range(vmalloc_t *v, uint64_t addr, uint64_t end, unsigned cpu,
			    uint64_t *nr_mapped)
{
	while (addr < end) {
		uint64_t next = (addr | (PMD_SIZE - 1)) + 1, pud = pud_index(v, addr);
		unsigned pmd = (unsigned)((addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1));
		pfn_t pfn;

		if (next > end)
			next = end;
		if (v->pmd_table[pud] == PFN_NONE) {
			pfn_t *ptes = malloc(PTRS_PER_PMD * sizeof(*ptes));

			if (!ptes)
				return -MM_ENOMEM;
			pfn = alloc_pages(v->pm, GFP_PGTABLE_KERNEL, 0, cpu);
			if (pfn == PFN_NONE) {
				free(ptes);
				return -MM_ENOMEM;
			}
			for (unsigned i = 0; i < PTRS_PER_PMD; i++)
				ptes[i] = PFN_NONE;
			v->pmd_table[pud] = pfn;
			v->pte_table[pud] = ptes;
			v->nr_pgtable_pages++;
		}
		if (v->pte_table[pud][pmd] == PFN_NONE) {
			pfn = alloc_pages(v->pm, GFP_PGTABLE_KERNEL, 0, cpu);
			if (pfn == PFN_NONE)
				return -MM_ENOMEM;
			v->pte_table[pud][pmd] = pfn;
			v->nr_pgtable_pages++;
		}
		*nr_mapped += (next - addr) >> PAGE_SHIFT;
		count(v, COST_VMAP_PTE, (next - addr) >> PAGE_SHIFT);
		addr = next;
	}
	return 0;
}

/* ---------------------------------------------------------------- vmalloc / vfree */

/*
 * The vfree() work on an area already off the busy tree: clear nr_mapped
 * PTEs (vunmap_range_noflush), free the pages at once (__free_page per
 * page), then the area to the purge tree and a purge if over the maximum.
 */
static void vfree_area(vmalloc_t *v, struct vmap_area *va, uint64_t nr_mapped, unsigned cpu)
{
	pfn_t *pages = va_pages(va);
	uint64_t pages_area = va->pages_area;

	count(v, COST_VMAP_PTE, nr_mapped);
	for (uint32_t i = 0; i < va->nr_pages; i++)
		free_pages(v->pm, pages[i], 0, cpu);
	v->nr_vmalloc_pages -= va->nr_pages;
	if (va->flags & VA_EXT_PAGES)
		free(va->pages);
	free_vmap_area_noflush(v, va);
	if (lazy_over_max(v))
		purge_vmap_area_lazy(v);
	/* kvfree(vm->pages): the page array's own area, if it was vmalloc'ed */
	if (pages_area) {
		struct vmap_area *pa = find_vmap_area(v, &v->busy_root, pages_area);

		unlink_va(v, &v->busy_root, pa, false);
		vfree_area(v, pa, pa->nr_pages, cpu);
	}
}

/*
 * __vmalloc_node_range() with __get_vm_area_node() and __vmalloc_area_node():
 * reserve the area (plus the guard page); get the page-pointer array, from a
 * nested vmalloc when it is over a page (more than 512 pages; kmalloc
 * otherwise, not modeled); allocate the pages one by one
 * (vm_area_alloc_pages: gfp | __GFP_HIGHMEM unless a DMA zone was asked
 * for, | __GFP_NOWARN), map them.  A failure after the reservation goes
 * through vfree() (free_vm_area() if the array failed).  Returns the
 * area or NULL, without counting failures (the callers do).
 */
static struct vmap_area *vmalloc_area_node_range(vmalloc_t *v, uint64_t size, uint64_t align,
						 uint64_t start, uint64_t end, gfp_t gfp,
						 unsigned vm_flags, unsigned cpu)
{
	uint64_t nr_pages, area_size, nr_mapped = 0;
	struct vmap_area *va, *array;
	gfp_t page_gfp = gfp | GFP_F_NOWARN;
	pfn_t *pages;
	uint32_t i;

	if (!size || (size >> PAGE_SHIFT) > v->totalram_pages || start >= end ||
	    start < v->vmalloc_start || end > v->vmalloc_end || cpu >= v->pm->nr_cpus)
		return NULL;
	nr_pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (nr_pages > UINT32_MAX)
		return NULL;
	area_size = (nr_pages << PAGE_SHIFT) + ((vm_flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
	va = alloc_vmap_area(v, area_size, align, start, end, VM_ALLOC | vm_flags);
	if (!va)
		return NULL;

	pages = va->inline_pages;
	if (nr_pages > NR_INLINE_PAGES) {
		pages = malloc(nr_pages * sizeof(*pages));
		if (!pages) {
			/* free_vm_area(): remove_vm_area() and nothing to free */
			unlink_va(v, &v->busy_root, va, false);
			vfree_area(v, va, 0, cpu);
			return NULL;
		}
		va->pages = pages;
		va->flags |= VA_EXT_PAGES;
	}
	if (nr_pages * KERNEL_PTR_SIZE > PAGE_SIZE) {
		/* __vmalloc_node(array_size, 1, nested_gfp, ...): the whole range */
		array = vmalloc_area_node_range(v, nr_pages * KERNEL_PTR_SIZE, 1, v->vmalloc_start,
						v->vmalloc_end, (gfp & GFP_RECLAIM_MASK) | GFP_F_ZERO,
						0, cpu);
		if (!array) {
			unlink_va(v, &v->busy_root, va, false);
			vfree_area(v, va, 0, cpu);
			return NULL;
		}
		array->flags |= VA_PAGE_ARRAY;
		va->pages_area = array->va_start;
	}
	if (!(gfp & (GFP_F_DMA | GFP_F_DMA32)))
		page_gfp |= GFP_F_HIGHMEM;
	for (i = 0; i < nr_pages; i++) {
		pfn_t pfn = alloc_pages(v->pm, page_gfp, 0, cpu);

		if (pfn == PFN_NONE)
			break;
		pages[i] = pfn;
	}
	va->nr_pages = i;
	v->nr_vmalloc_pages += i;
	if (i < nr_pages ||
	    vmap_pages_range(v, va->va_start, va->va_start + (nr_pages << PAGE_SHIFT), cpu,
			     &nr_mapped)) {
		unlink_va(v, &v->busy_root, va, false);
		vfree_area(v, va, nr_mapped, cpu);
		return NULL;
	}
	return va;
}

uint64_t vmalloc_node_range(vmalloc_t *v, uint64_t size, uint64_t align, uint64_t start,
			    uint64_t end, gfp_t gfp, unsigned vm_flags, unsigned cpu)
{
	struct vmap_area *va = vmalloc_area_node_range(v, size, align, start, end, gfp, vm_flags, cpu);

	if (!va) {
		v->alloc_fail++;
		return 0;
	}
	return va->va_start;
}

uint64_t vmalloc(vmalloc_t *v, uint64_t size, gfp_t gfp, unsigned cpu)
{
	return vmalloc_node_range(v, size, 1, v->vmalloc_start, v->vmalloc_end, gfp, 0, cpu);
}

/* vfree(): remove_vm_area() (find_unlink_vmap_area, free_unmap_vmap_area) + pages */
int vfree(vmalloc_t *v, uint64_t addr, unsigned cpu)
{
	struct vmap_area *va = find_vmap_area(v, &v->busy_root, addr);

	if (!va || va->va_start != addr || !(va->flags & VM_ALLOC) || (va->flags & VA_PAGE_ARRAY) ||
	    cpu >= v->pm->nr_cpus)
		return -MM_EINVAL;
	unlink_va(v, &v->busy_root, va, false);
	vfree_area(v, va, va->nr_pages, cpu);
	return 0;
}

void vm_unmap_aliases(vmalloc_t *v)
{
	purge_vmap_area_lazy(v);
}

uint64_t vmalloc_size(const vmalloc_t *v, uint64_t addr)
{
	const struct vmap_area *va = va_root(&v->busy_root);

	while (va && !(addr >= va->va_start && addr < va->va_end))
		va = addr < va->va_start ? va_left(va) : va_right(va);
	if (!va || va->va_start != addr)
		return 0;
	return (uint64_t)va->nr_pages << PAGE_SHIFT;
}

void vmalloc_stats(const vmalloc_t *v, struct vmalloc_stats *st)
{
	st->nr_areas = v->busy_root.nr;
	st->pages = v->nr_vmalloc_pages;
	st->pgtable_pages = v->nr_pgtable_pages;
	st->lazy_pages = v->vmap_lazy_nr;
	st->nr_purges = v->nr_purges;
	st->alloc_fail = v->alloc_fail;
}

/* ---------------------------------------------------------------- setup */

void vmalloc_config_default(struct vmalloc_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->lazy_max_pages = 0;
	cfg->lazy_purge = true;
	cfg->vmalloc_bytes = 0;
}

/* lazy_max_pages(): fls(num_online_cpus()) * 32 MiB, in pages */
static uint64_t kernel_lazy_max_pages(unsigned nr_cpus)
{
	unsigned fls = 0;

	while (nr_cpus >> fls)
		fls++;
	return (uint64_t)fls * ((32ull << 20) >> PAGE_SHIFT);
}

int vmalloc_init(vmalloc_t *v, phys_t *pm, const struct vmalloc_config *cfg, char *err,
		 size_t errlen)
{
	uint64_t bytes = cfg->vmalloc_bytes ? cfg->vmalloc_bytes : (uint64_t)VMALLOC_SIZE_TB << 40;
	struct vmap_area *va;

	memset(v, 0, sizeof(*v));
	if (!pm || !pm->mem_map) {
		snprintf(err, errlen, "vmalloc: no machine");
		return -MM_EINVAL;
	}
	if (bytes % PUD_SIZE || bytes > (uint64_t)VMALLOC_SIZE_TB << 40) {
		snprintf(err, errlen, "vmalloc: vmalloc_bytes %llu is not a multiple of 1 GiB up to %u TiB",
			 (unsigned long long)bytes, VMALLOC_SIZE_TB);
		return -MM_EINVAL;
	}
	v->pm = pm;
	v->cfg = *cfg;
	v->vmalloc_start = VMALLOC_START;
	v->vmalloc_end = VMALLOC_START + bytes - 1;
	v->lazy_max = cfg->lazy_max_pages ? cfg->lazy_max_pages : kernel_lazy_max_pages(pm->nr_cpus);
	for (unsigned i = 0; i < pm->nr_zones; i++)
		v->totalram_pages += pm->zones[i].managed_pages;
	v->nr_pud = bytes >> PUD_SHIFT;
	v->pmd_table = malloc(v->nr_pud * sizeof(*v->pmd_table));
	v->pte_table = calloc(v->nr_pud, sizeof(*v->pte_table));
	va = v->pmd_table && v->pte_table ? va_alloc(v) : NULL;
	if (!va) {
		vmalloc_destroy(v);
		snprintf(err, errlen, "vmalloc: out of host memory");
		return -MM_ENOMEM;
	}
	for (uint64_t i = 0; i < v->nr_pud; i++)
		v->pmd_table[i] = PFN_NONE;
	/* vmap_init_free_space(): the whole range is one free area */
	va->va_start = v->vmalloc_start;
	va->va_end = v->vmalloc_end;
	va->state = VA_FREE;
	link_va(v, &v->free_root, va, NULL, false, true);
	return 0;
}

static void destroy_busy(vmalloc_t *v, struct vmap_area *va)
{
	if (!va)
		return;
	destroy_busy(v, va_left(va));
	destroy_busy(v, va_right(va));
	for (uint32_t i = 0; i < va->nr_pages; i++)
		free_pages(v->pm, va_pages(va)[i], 0, 0);
	if (va->flags & VA_EXT_PAGES)
		free(va->pages);
}

void vmalloc_destroy(vmalloc_t *v)
{
	if (v->pm) {
		destroy_busy(v, va_root(&v->busy_root));
		for (uint64_t i = 0; v->pte_table && i < v->nr_pud; i++) {
			if (!v->pte_table[i])
				continue;
			for (unsigned j = 0; j < PTRS_PER_PMD; j++)
				if (v->pte_table[i][j] != PFN_NONE)
					free_pages(v->pm, v->pte_table[i][j], 0, 0);
			free_pages(v->pm, v->pmd_table[i], 0, 0);
			free(v->pte_table[i]);
		}
	}
	while (v->chunks) {
		struct vmap_chunk *c = v->chunks;

		v->chunks = c->next;
		free(c);
	}
	free(v->pmd_table);
	free(v->pte_table);
	memset(v, 0, sizeof(*v));
}

/* ---------------------------------------------------------------- vmalloc_check */

struct check_ctx {
	const vmalloc_t *v;             /* what is checked */
	char *msg;                      /* where the first violation is written */
	size_t len;                     /* bytes at msg */
	uint8_t *held;                  /* bitmap over pfns: page seen already */
};

static int check_fail(struct check_ctx *c, const char *tree, const struct vmap_area *va,
		      const char *what)
{
	if (va)
		snprintf(c->msg, c->len, "%s tree: area 0x%016llx-0x%016llx (%s): %s", tree,
			 (unsigned long long)va->va_start, (unsigned long long)va->va_end,
			 va->state == VA_FREE ? "free" : va->state == VA_BUSY ? "busy" :
			 va->state == VA_PURGE ? "lazy" : "unused", what);
	else
		snprintf(c->msg, c->len, "%s: %s", tree, what);
	return -1;
}

/*
 * Validate the subtree at va: parent links, state, red-black rules (a red
 * node has black children; returns the black height in *bh), and with
 * augment the stored subtree_max_size against a recount.
 */
static int check_subtree(struct check_ctx *c, const char *tree, const struct vmap_area *va,
			 enum va_state state, bool augment, unsigned *bh, uint64_t *nr)
{
	unsigned lh = 0, rh = 0;

	if (!va) {
		*bh = 1;
		return 0;
	}
	(*nr)++;
	if (va->state != state)
		return check_fail(c, tree, va, "on the wrong tree");
	if (va->va_start >= va->va_end)
		return check_fail(c, tree, va, "empty or inverted");
	if ((va_left(va) && va_parent(va_left(va)) != va) ||
	    (va_right(va) && va_parent(va_right(va)) != va))
		return check_fail(c, tree, va, "child's parent link is wrong");
	if (rb_color(&va->rb_node) == RB_RED && (va_is_red(va_left(va)) || va_is_red(va_right(va))))
		return check_fail(c, tree, va, "red node with a red child");
	if (check_subtree(c, tree, va_left(va), state, augment, &lh, nr) ||
	    check_subtree(c, tree, va_right(va), state, augment, &rh, nr))
		return -1;
	if (lh != rh)
		return check_fail(c, tree, va, "black heights of the subtrees differ");
	if (augment && va->subtree_max_size != compute_subtree_max_size(va))
		return check_fail(c, tree, va, "subtree_max_size differs from its recount");
	*bh = lh + (rb_color(&va->rb_node) == RB_BLACK);
	return 0;
}

/* Whole-tree checks, then address order over the in-order walk. */
static int check_tree(struct check_ctx *c, const char *tree, const struct vmap_root *root,
		      enum va_state state, bool augment, bool no_touch)
{
	const struct vmap_area *va, *prev = NULL;
	uint64_t nr = 0;
	unsigned bh;

	if (va_root(root) && (va_parent(va_root(root)) || rb_color(&va_root(root)->rb_node) != RB_BLACK))
		return check_fail(c, tree, va_root(root), "root has a parent or is red");
	if (check_subtree(c, tree, va_root(root), state, augment, &bh, &nr))
		return -1;
	if (nr != root->nr)
		return check_fail(c, tree, NULL, "node count differs from the tree's count");
	for (va = va_first(root); va; prev = va, va = va_next(va)) {
		if (prev && prev->va_end > va->va_start)
			return check_fail(c, tree, va, "overlaps or is out of order with the previous area");
		if (prev && no_touch && prev->va_end == va->va_start)
			return check_fail(c, tree, va, "touches the previous area (not merged)");
	}
	return 0;
}

/* An allocated order-0 page, seen for the first time. */
static int check_page(struct check_ctx *c, const struct vmap_area *va, pfn_t pfn, const char *what)
{
	const phys_t *pm = c->v->pm;
	const struct page *page;
	char buf[128];

	if (pfn >= pm->max_pfn) {
		snprintf(buf, sizeof(buf), "%s pfn %u beyond the machine", what, pfn);
		return check_fail(c, va ? "busy" : "page table", va, buf);
	}
	page = pfn_to_page(pm, pfn);
	if (!(page->flags & PG_head) || (page->flags & (PG_buddy | PG_pcp | PG_isolated)) ||
	    page->order != 0) {
		snprintf(buf, sizeof(buf), "%s pfn %u is not an allocated order-0 page (flags %#x order %u)",
			 what, pfn, page->flags, page->order);
		return check_fail(c, va ? "busy" : "page table", va, buf);
	}
	if (c->held[pfn >> 3] & (1u << (pfn & 7))) {
		snprintf(buf, sizeof(buf), "%s pfn %u is held twice", what, pfn);
		return check_fail(c, va ? "busy" : "page table", va, buf);
	}
	c->held[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
	return 0;
}

/* Page tables present over a busy area's mapped range. */
static bool area_has_tables(const vmalloc_t *v, const struct vmap_area *va)
{
	uint64_t end = va->va_start + ((uint64_t)va->nr_pages << PAGE_SHIFT);

	for (uint64_t addr = va->va_start & ~(PMD_SIZE - 1); addr < end; addr += PMD_SIZE) {
		uint64_t pud = pud_index(v, addr);

		if (!v->pte_table[pud] ||
		    v->pte_table[pud][(addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1)] == PFN_NONE)
			return false;
	}
	return true;
}

static int check_areas(struct check_ctx *c)
{
	const vmalloc_t *v = c->v;
	const struct vmap_area *a[3] = { va_first(&v->free_root), va_first(&v->busy_root),
					 va_first(&v->purge_root) };
	uint64_t addr = v->vmalloc_start, pages = 0, lazy = 0;
	int64_t nr_arrays = 0;          /* page arrays referenced - page array areas */
	char buf[160];

	/* merge the three address-ordered walks: they must tile the range */
	for (;;) {
		const struct vmap_area *va = NULL;
		int k = -1;

		for (int i = 0; i < 3; i++)
			if (a[i] && (!va || a[i]->va_start < va->va_start))
				va = a[i], k = i;
		if (!va)
			break;
		if (va->va_start != addr) {
			snprintf(buf, sizeof(buf), "%s 0x%016llx",
				 va->va_start < addr ? "overlaps the area ending at" : "leaves a hole from",
				 (unsigned long long)addr);
			return check_fail(c, "range", va, buf);
		}
		addr = va->va_end;
		a[k] = va_next(va);
		if (va->state == VA_PURGE) {
			lazy += va_size(va) >> PAGE_SHIFT;
			continue;
		}
		if (va->state != VA_BUSY)
			continue;
		if (!(va->flags & VM_ALLOC) ||
		    va_size(va) != ((uint64_t)va->nr_pages << PAGE_SHIFT) +
				   ((va->flags & VM_NO_GUARD) ? 0 : PAGE_SIZE))
			return check_fail(c, "busy", va, "size differs from its pages + guard page");
		if (!area_has_tables(v, va))
			return check_fail(c, "busy", va, "mapped without page tables");
		if (va->pages_area) {
			const struct vmap_area *pa = va_root(&v->busy_root);
			uint64_t want = (va->nr_pages * KERNEL_PTR_SIZE + PAGE_SIZE - 1) >> PAGE_SHIFT;

			while (pa && pa->va_start != va->pages_area)
				pa = va->pages_area < pa->va_start ? va_left(pa) : va_right(pa);
			if (!pa || !(pa->flags & VA_PAGE_ARRAY) || pa->nr_pages != want)
				return check_fail(c, "busy", va, "page array area missing or wrong");
			nr_arrays++;
		} else if (va->nr_pages * KERNEL_PTR_SIZE > PAGE_SIZE) {
			return check_fail(c, "busy", va, "over a page of page pointers but no page array area");
		}
		if (va->flags & VA_PAGE_ARRAY)
			nr_arrays--;
		for (uint32_t i = 0; i < va->nr_pages; i++)
			if (check_page(c, va, va_pages(va)[i], "page"))
				return -1;
		pages += va->nr_pages;
	}
	if (addr != v->vmalloc_end) {
		snprintf(buf, sizeof(buf), "areas end at 0x%016llx, not at VMALLOC_END 0x%016llx",
			 (unsigned long long)addr, (unsigned long long)v->vmalloc_end);
		return check_fail(c, "range", NULL, buf);
	}
	if (nr_arrays)
		return check_fail(c, "busy", NULL, "page array areas and their owners do not pair up");
	if (pages != v->nr_vmalloc_pages) {
		snprintf(buf, sizeof(buf), "busy areas hold %llu pages, nr_vmalloc_pages is %llu",
			 (unsigned long long)pages, (unsigned long long)v->nr_vmalloc_pages);
		return check_fail(c, "counters", NULL, buf);
	}
	if (lazy != v->vmap_lazy_nr) {
		snprintf(buf, sizeof(buf), "purge tree holds %llu pages, vmap_lazy_nr is %llu",
			 (unsigned long long)lazy, (unsigned long long)v->vmap_lazy_nr);
		return check_fail(c, "counters", NULL, buf);
	}
	return 0;
}

static int check_pgtables(struct check_ctx *c)
{
	const vmalloc_t *v = c->v;
	uint64_t nr = 0;
	char buf[128];

	for (uint64_t i = 0; i < v->nr_pud; i++) {
		if ((v->pmd_table[i] == PFN_NONE) != !v->pte_table[i])
			return check_fail(c, "page table", NULL, "PMD table and its PTE list disagree");
		if (!v->pte_table[i])
			continue;
		if (check_page(c, NULL, v->pmd_table[i], "PMD table"))
			return -1;
		nr++;
		for (unsigned j = 0; j < PTRS_PER_PMD; j++) {
			if (v->pte_table[i][j] == PFN_NONE)
				continue;
			if (check_page(c, NULL, v->pte_table[i][j], "PTE table"))
				return -1;
			nr++;
		}
	}
	if (nr != v->nr_pgtable_pages) {
		snprintf(buf, sizeof(buf), "%llu table pages found, nr_pgtable_pages is %llu",
			 (unsigned long long)nr, (unsigned long long)v->nr_pgtable_pages);
		return check_fail(c, "counters", NULL, buf);
	}
	return 0;
}

int vmalloc_check(const vmalloc_t *v, char *msg, size_t len)
{
	struct check_ctx c = { .v = v, .msg = msg, .len = len };
	int rc;

	if (len)
		msg[0] = '\0';
	if (check_tree(&c, "free", &v->free_root, VA_FREE, true, true) ||
	    check_tree(&c, "busy", &v->busy_root, VA_BUSY, false, false) ||
	    check_tree(&c, "purge", &v->purge_root, VA_PURGE, false, true))
		return -1;
	c.held = calloc(((uint64_t)v->pm->max_pfn + 7) / 8, 1);
	if (!c.held)
		return check_fail(&c, "vmalloc_check", NULL, "out of host memory");
	rc = check_areas(&c) || check_pgtables(&c) ? -1 : 0;
	free(c.held);
	return rc;
}

/* ---------------------------------------------------------------- /proc/vmallocinfo */

void dump_vmallocinfo(const vmalloc_t *v, FILE *f)
{
	const struct vmap_area *va;
	uint32_t node_pages[MAX_NUMNODES];

	for (va = va_first(&v->busy_root); va; va = va_next(va)) {
		const pfn_t *pages = va_pages(va);

		fprintf(f, "0x%016llx-0x%016llx %7lld", (unsigned long long)va->va_start,
			(unsigned long long)va->va_end, (long long)va_size(va));
		if (va->nr_pages)
			fprintf(f, " pages=%u", va->nr_pages);
		if (va->flags & VM_ALLOC)
			fputs(" vmalloc", f);
		if (va->pages_area)
			fputs(" vpages", f);
		/* show_numa_info() */
		memset(node_pages, 0, sizeof(node_pages));
		for (uint32_t i = 0; i < va->nr_pages; i++)
			node_pages[page_zone(v->pm, pages[i])->node]++;
		for (unsigned n = 0; n < v->pm->nr_nodes; n++)
			if (node_pages[n])
				fprintf(f, " N%u=%u", n, node_pages[n]);
		fputc('\n', f);
	}
	if (!va_root(&v->busy_root))
		return;
	for (va = va_first(&v->purge_root); va; va = va_next(va))
		fprintf(f, "0x%016llx-0x%016llx %7lld unpurged vm_area\n",
			(unsigned long long)va->va_start, (unsigned long long)va->va_end,
			(long long)va_size(va));
}
