/*
 * phys.h - simulated physical memory: memblock, nodes, zones, struct page,
 * pageblocks, and the per-CPU page list structures.
 *
 * A phys_t is one simulated machine's physical memory, as Linux lays it out
 * at boot (mm/mm_init.c, mm/memblock.c, mm/page_alloc.c): memory split evenly
 * over nodes; node 0 holds ZONE_DMA (the first 16 MiB) and ZONE_DMA32 (up to
 * 4 GiB); every node has a ZONE_NORMAL above that and, with movable_bytes,
 * a ZONE_MOVABLE at its top (movablecore=).  Reserved ranges (memblock
 * reservations) are never handed to the buddy allocator.
 *
 * Glossary (the kernel's terms):
 *   pfn        page frame number: physical address >> PAGE_SHIFT.
 *   order      a block of 2^order contiguous, naturally aligned pages.
 *   pageblock  2^pageblock_order pages (2 MiB on x86-64) sharing one
 *              migratetype; the unit of anti-fragmentation grouping.
 *   buddy      of the order-k block at pfn p: the block at p ^ (1 << k).
 *   pcp        per-CPU page list: a per-CPU cache of free pages in front of
 *              the zone's buddy free lists (struct per_cpu_pages).
 *   managed    pages handed to the buddy allocator (present - reserved).
 *
 * Page state costs 24 bytes per simulated 4 KiB page (struct page, below),
 * so 1 TiB of simulated memory needs 6 GiB of host memory.  The memmap is
 * allocated with calloc, which hands back lazily zeroed pages for large
 * sizes, and an all-zero struct page means "allocated, not a block head":
 * initialisation writes only the head of each free block.
 *
 * Counters relate as in include/linux/mmzone.h:
 *   spanned_pages = zone_end_pfn - zone_start_pfn
 *   present_pages = spanned_pages - holes          (no holes are modeled)
 *   managed_pages = present_pages - reserved pages
 *   NR_FREE_PAGES = pages on free lists (buddy) ; pcp pages count as used,
 *                   as in the kernel's vmstat.
 *
 * Not thread-safe: one phys_t belongs to one thread.  pfn_t is 32 bits, so at
 * most 2^32 - 1 pages (16 TiB) are simulated.
 */
#ifndef MMBENCH_PHYS_H
#define MMBENCH_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/cost.h"
#include "engine/gfp.h"

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1ull << PAGE_SHIFT)    /* bytes */

typedef uint32_t pfn_t;
#define PFN_NONE		UINT32_MAX      /* "no page": failed allocation, end of list */

#define MAX_ORDER_LIMIT		12      /* largest max_order a policy may set */
#define PAGE_ALLOC_COSTLY_ORDER	3       /* include/linux/mmzone.h */
#define MAX_NUMNODES		16
#define MAX_NR_CPUS		1024
#define PHYS_MAX_RESERVED	16      /* memblock reserved ranges in a config */
#define PHYS_MAX_CMA		8       /* CMA areas in a config */
#define PHYS_MAX_OWNERS		8       /* page owner kinds (see phys_owner_ops) */

/* include/linux/mmzone.h, enum migratetype (CONFIG_CMA, CONFIG_MEMORY_ISOLATION) */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,       /* the number of types on the pcp lists */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_CMA,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

/* include/linux/mmzone.h, enum zone_type (x86-64, no HIGHMEM/DEVICE) */
enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_MOVABLE,
	MAX_NR_ZONES
};

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

/* Names as /proc prints them: migratetype_names[], zone_names[] */
extern const char *const migratetype_names[MIGRATE_TYPES];
extern const char *const zone_names[MAX_NR_ZONES];

/*
 * struct page flags.  PG_buddy, PG_reserved, PG_lru, PG_head and PG_slab
 * carry the kernel's meaning; PG_pcp marks the head of a block on a per-CPU
 * list (the kernel leaves such pages unflagged) and PG_isolated a free block
 * taken off the free lists by a compaction or isolation scanner, so that
 * buddy_check() can account for every page.  Bits 12..14 hold the owner kind
 * of an allocated block (phys_owner_ops), 0 when nobody can migrate it.
 */
enum pageflags {
	PG_buddy      = 1u << 0,        /* head of a free block on a buddy free list */
	PG_pcp        = 1u << 1,        /* head of a free block on a per-CPU list */
	PG_head       = 1u << 2,        /* head of an allocated block (order in page.order) */
	PG_reserved   = 1u << 3,        /* memblock-reserved, never in the allocator */
	PG_lru        = 1u << 4,        /* movable: its owner can migrate it */
	PG_isolated   = 1u << 5,        /* free block held by a scanner (cc->freepages) */
	PG_compound   = 1u << 6,        /* allocated with __GFP_COMP */
	PG_slab       = 1u << 7,        /* a slab (engine/slub.c) */
};
#define PG_OWNER_SHIFT		12
#define PG_OWNER_MASK		(7u << PG_OWNER_SHIFT)

/*
 * The simulated struct page, 24 bytes.  lru links a free block into a buddy
 * free list or a per-CPU list (by pfn, PFN_NONE at the ends); order is the
 * block order of a free or allocated head; refcount/mapcount/private belong
 * to the block's owner (slab, page tables, rmap), which the page allocator
 * clears on free.
 */
struct page {
	pfn_t lru_next;         /* next block on its free list */
	pfn_t lru_prev;         /* previous block on its free list */
	uint16_t flags;         /* enum pageflags | owner kind */
	uint8_t order;          /* block order (heads only) */
	uint8_t mt;             /* free block: migratetype of its list (get_pcppage_migratetype) */
	int32_t refcount;       /* owner's reference count */
	int32_t mapcount;       /* owner's page-table mappings */
	uint32_t private;       /* owner's cookie (slab id, rmap anchor, trace id) */
};
_Static_assert(sizeof(struct page) == 24, "struct page must stay 24 bytes");

/* A buddy free list by migratetype, and its counts (kernel: struct free_area). */
struct free_area {
	pfn_t head[MIGRATE_TYPES];      /* first block, taken by allocation */
	pfn_t tail[MIGRATE_TYPES];      /* last block, where to_tail frees go */
	uint64_t nr_free;               /* blocks of this order, all types */
	uint64_t nr_free_mt[MIGRATE_TYPES];     /* blocks per type (kernel walks lists) */
};

/*
 * Per-CPU page lists of one zone on one CPU (kernel: struct per_cpu_pages).
 * Lists are indexed by order_to_pindex(): one per (order <= COSTLY,
 * pcp migratetype) and one for pageblock-order (THP) blocks.
 */
#define NR_LOWORDER_PCP_LISTS	(MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))
#define NR_PCP_LISTS		(NR_LOWORDER_PCP_LISTS + 1)

struct per_cpu_pages {
	int count;              /* pages on all lists */
	int high;               /* free above this many pages drains a batch */
	int batch;              /* pages moved per refill or drain */
	uint8_t free_factor;    /* grows with consecutive frees (nr_pcp_free) */
	pfn_t head[NR_PCP_LISTS];
	pfn_t tail[NR_PCP_LISTS];
};

struct zone {
	const char *name;               /* "DMA", "DMA32", "Normal", "Movable" */
	uint8_t node;                   /* node id */
	uint8_t type;                   /* enum zone_type */
	uint8_t id;                     /* index into phys.zones */
	pfn_t zone_start_pfn;
	uint64_t spanned_pages;
	uint64_t present_pages;
	uint64_t managed_pages;
	uint64_t cma_pages;             /* pages in MIGRATE_CMA pageblocks */
	uint64_t watermark[NR_WMARK];   /* pages */
	uint64_t lowmem_reserve[MAX_NR_ZONES]; /* pages kept from allocations aimed at higher zones */
	uint64_t nr_reserved_highatomic;/* pages in HIGHATOMIC pageblocks */
	uint64_t nr_free_pages;         /* NR_FREE_PAGES: pages on buddy lists but ISOLATE's */
	uint64_t nr_free_cma;           /* NR_FREE_CMA_PAGES */
	uint64_t nr_isolated_free;      /* free pages held by scanners, off the lists */
	uint64_t nr_isolate_pageblock;  /* pageblocks of MIGRATE_ISOLATE (has_isolate_pageblock) */
	struct free_area free_area[MAX_ORDER_LIMIT + 1];
	uint16_t free_mask[MIGRATE_TYPES]; /* bit o set iff free_area[o].head[type] is not empty */
	struct per_cpu_pages *pcp;      /* [nr_cpus] */
	int pcp_high;                   /* per-CPU high computed for this zone */
	int pcp_batch;                  /* per-CPU batch computed for this zone */
	/* compaction state (mm/compaction.c) */
	pfn_t compact_cached_free_pfn;  /* where the free scanner resumes */
	pfn_t compact_cached_migrate_pfn; /* where the migrate scanner resumes */
	unsigned compact_considered;    /* attempts skipped since the last deferral */
	unsigned compact_defer_shift;   /* skip up to 1 << shift attempts */
	int compact_order_failed;       /* orders >= this are deferred */
};

/* One node (kernel: pg_data_t) */
struct pglist_data {
	pfn_t node_start_pfn;
	uint64_t node_spanned_pages;
	uint8_t zone_id[MAX_NR_ZONES];  /* phys.zones index per zone type, 0xff if none */
	uint8_t preferred_zone[MAX_NR_ZONES]; /* first zonelist entry at or below each type, 0xff if none */
	uint8_t nr_zonelist;            /* entries in zonelist */
	uint8_t zonelist[MAX_NUMNODES * MAX_NR_ZONES]; /* fallback order, highest zone first */
};

struct cma_config {
	char name[24];          /* "reserved" by default, as dma_contiguous_reserve() */
	uint64_t base;          /* physical address, bytes; 0 = top of memory */
	uint64_t size;          /* bytes, pageblock multiple */
	unsigned order_per_bit; /* pages per bitmap bit = 1 << order_per_bit */
};

/*
 * The machine and page-allocator knobs a policy sets.  phys_config_default()
 * fills Linux 6.x defaults for a 16 GiB, 1-node, 4-CPU x86-64 machine.
 */
struct phys_config {
	uint64_t mem_bytes;             /* simulated RAM, bytes */
	unsigned nr_nodes;              /* 1..MAX_NUMNODES, memory split evenly */
	unsigned nr_cpus;               /* logical CPUs, in contiguous blocks per node */
	unsigned max_order;             /* largest buddy order (MAX_ORDER, v6.4+ inclusive: 10) */
	unsigned pageblock_order;       /* 9 on x86-64 (HPAGE_PMD_ORDER) */
	bool zone_dma;                  /* CONFIG_ZONE_DMA */
	bool zone_dma32;                /* CONFIG_ZONE_DMA32 */
	uint64_t movable_bytes;         /* movablecore=, bytes per node at its top; 0 = none */
	unsigned nr_reserved;
	struct { uint64_t base, size; } reserved[PHYS_MAX_RESERVED]; /* bytes */
	bool memmap_reserve;            /* reserve the kernel's memmap (64 bytes per page) at each node's top */
	unsigned min_free_kbytes;       /* vm.min_free_kbytes; 0 = computed as the kernel does */
	unsigned watermark_scale_factor;/* vm.watermark_scale_factor, 1/10000 of managed */
	unsigned lowmem_reserve_ratio[MAX_NR_ZONES]; /* vm.lowmem_reserve_ratio */
	bool pcp_enabled;               /* false: every free goes straight to the buddy lists */
	int pcp_high;                   /* pages; <0 = zone_highsize() */
	int pcp_batch;                  /* pages; <0 = zone_batchsize() */
	unsigned percpu_pagelist_high_fraction; /* vm.percpu_pagelist_high_fraction, 0 = default */
	bool thp_pcp;                   /* pcp list for pageblock-order blocks (CONFIG_TRANSPARENT_HUGEPAGE) */
	bool mobility_grouping;         /* false = page_group_by_mobility_disabled */
	bool compaction;                /* CONFIG_COMPACTION: direct compaction on high-order failure */
	unsigned extfrag_threshold;     /* vm.extfrag_threshold, 0..1000 */
	unsigned nr_cma;
	struct cma_config cma[PHYS_MAX_CMA];
};

/*
 * Owners of allocated pages (page cache, anonymous memory, the replay
 * driver's own page ids) register a kind so that compaction and CMA can move
 * their pages.  migrate() is called after the contents moved from old_pfn to
 * new_pfn (a block of 2^order pages) and must update every reference the
 * owner keeps (the rmap walk, try_to_migrate + remove_migration_ptes);
 * it returns 0, or nonzero to refuse (pinned page), and the page stays.
 */
struct phys_owner_ops {
	const char *name;
	int (*migrate)(void *ctx, pfn_t old_pfn, pfn_t new_pfn, unsigned order, uint32_t cookie);
	void *ctx;
};

/* /proc/vmstat-style event counters the page allocator keeps. */
struct phys_events {
	uint64_t pgalloc[MAX_NR_ZONES]; /* pages allocated per zone type */
	uint64_t pgfree;                /* pages freed */
	uint64_t alloc_calls;           /* alloc_pages() calls */
	uint64_t alloc_fail;            /* calls that returned PFN_NONE */
	uint64_t alloc_fail_order[MAX_ORDER_LIMIT + 1];
	uint64_t alloc_fail_zone[MAX_NR_ZONES]; /* by the highest zone the gfp allowed */
	uint64_t alloc_injected_fail;   /* failures made by phys_fail_nth() */
	unsigned nr_fail_gfp;           /* distinct gfp values in fail_gfp */
	struct { gfp_t gfp; uint64_t n; } fail_gfp[32]; /* failures by gfp (first 32 values) */
	uint64_t fail_gfp_other;        /* failures of gfp values beyond those */
	uint64_t extfrag;               /* mm_page_alloc_extfrag events (fallbacks) */
	uint64_t extfrag_steal;         /* ... that took ownership of the pageblock */
	uint64_t highatomic_reserve;    /* pageblocks reserved as HIGHATOMIC */
	uint64_t highatomic_unreserve;  /* ... given back */
	uint64_t pcp_refill;            /* rmqueue_bulk() calls */
	uint64_t pcp_drain;             /* free_pcppages_bulk() calls */
	uint64_t compact_stall;         /* direct compaction attempts */
	uint64_t compact_fail;
	uint64_t compact_success;
	uint64_t compact_deferred;      /* attempts skipped by compaction_deferred() */
	uint64_t compact_migrate_scanned;
	uint64_t compact_free_scanned;
	uint64_t compact_isolated;
	uint64_t compact_migrated;      /* pages moved */
	uint64_t compact_migrate_fail;  /* pages whose owner refused */
	uint64_t cma_alloc_success;
	uint64_t cma_alloc_fail;
	uint64_t cma_migrated;          /* pages moved out of CMA ranges */
	uint64_t cma_released;          /* pages given back by cma_release */
};

struct cma;                             /* engine/cma.h */

typedef struct phys {
	struct phys_config cfg;         /* as given, after validation */
	struct page *mem_map;           /* [max_pfn] */
	pfn_t max_pfn;                  /* pages simulated, pfn 0 .. max_pfn-1 */
	unsigned max_order;             /* cfg.max_order */
	unsigned pageblock_order;
	uint64_t pageblock_nr_pages;
	uint8_t *pageblock_flags;       /* [max_pfn >> pageblock_order]: migratetype | PB_SKIP */
	uint8_t *pageblock_zone;        /* [max_pfn >> pageblock_order]: zone id */
	unsigned nr_zones;
	struct zone *zones;             /* [nr_zones] */
	unsigned nr_nodes;
	struct pglist_data node[MAX_NUMNODES];
	unsigned nr_cpus;
	uint8_t *cpu_node;              /* [nr_cpus] */
	bool group_by_mobility;         /* !page_group_by_mobility_disabled */
	uint8_t gfp_table[32];          /* gfp_zone << 4 | gfp_migratetype, by gfp & 0x1f */
	uint64_t min_free_kbytes;       /* as used */
	uint64_t totalreserve_pages;    /* calculate_totalreserve_pages() */
	unsigned nr_cma;
	struct cma *cma;                /* [nr_cma] */
	struct phys_owner_ops owner[PHYS_MAX_OWNERS];
	uint64_t fail_nth;              /* 0 = off; else the call number that fails */
	uint64_t fail_every;            /* with fail_nth: fail every n-th call after it */
	uint64_t cost[NR_COST_ITEMS];   /* cumulative work counters (engine/cost.h) */
	uint32_t cost_weight[NR_COST_ITEMS]; /* cycles per item, set by the caller (0 after phys_init) */
	uint64_t cost_cycles;           /* sum of cost[i] * cost_weight[i] as it was counted */
	struct phys_events ev;
} phys_t;

#define PB_MIGRATETYPE_MASK	0x07u
#define PB_SKIP			0x08u   /* compaction skip hint (PB_migrate_skip) */

/* Errors returned by engine calls (negated). */
enum {
	MM_EINVAL = 1,          /* bad argument or configuration */
	MM_ENOMEM = 2,          /* host memory exhausted */
	MM_EBUSY = 3,           /* range holds unmovable pages, or migration refused */
	MM_ENOENT = 4,          /* no such object */
};

/*
 * Format a message into msg[len] (nothing when msg is NULL or len 0) and
 * return rc: how engine calls report a bad configuration (-MM_EINVAL) and
 * checkers a violation (-1).
 */
int mm_error(char *msg, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill *cfg with the defaults described above. */
void phys_config_default(struct phys_config *cfg);

/*
 * Build the machine: memblock, nodes, zones, memmap, free every
 * non-reserved page to the buddy allocator (as memblock_free_all() does),
 * watermarks, lowmem_reserve, pcp sizes and CMA areas.  Returns 0, -MM_EINVAL
 * with a message in err[errlen] when the config is out of range, or
 * -MM_ENOMEM.  On error *pm is left empty and phys_destroy() is optional.
 */
int phys_init(phys_t *pm, const struct phys_config *cfg, char *err, size_t errlen);

/* Free everything phys_init() allocated and zero *pm; safe on a zeroed phys_t. */
void phys_destroy(phys_t *pm);

/* Host bytes of metadata per simulated page (memmap + pageblock arrays). */
double phys_metadata_bytes_per_page(const phys_t *pm);

/*
 * Make alloc_pages() fail on its n-th call from now (n >= 1), and then on
 * every `every`-th call after it if every > 0; n = 0 turns it off.  The
 * failing page source of Lua's ltests.c, for testing out-of-memory paths.
 */
void phys_fail_nth(phys_t *pm, uint64_t n, uint64_t every);

/* Register an owner kind (1..PHYS_MAX_OWNERS-1); returns 0 or -MM_EINVAL. */
int phys_register_owner(phys_t *pm, unsigned kind, const struct phys_owner_ops *ops);

/*
 * Mark the allocated block at pfn as belonging to owner `kind` with its
 * cookie; movable means compaction and CMA may migrate it (PG_lru).
 */
void phys_set_owner(phys_t *pm, pfn_t pfn, unsigned kind, uint32_t cookie, bool movable);

/*
 * buddy_check(): recount everything the page allocator caches and check its
 * invariants: every free list (links, PG_buddy, order, alignment, zone,
 * list type against pageblock type for CMA and ISOLATE), nr_free per order
 * and type, NR_FREE_PAGES and NR_FREE_CMA_PAGES, every per-CPU list and its
 * count, the highatomic and isolate pageblock counts, and conservation:
 * managed = free + on pcp lists + held by scanners + allocated, every page
 * of every zone covered exactly once.  Returns 0, or -1 with a description
 * of the first violation (naming the pfn) in msg.  O(pages / block size).
 */
int buddy_check(const phys_t *pm, char *msg, size_t msglen);

/* ---------------------------------------------------------------- inline helpers */

static inline struct page *pfn_to_page(const phys_t *pm, pfn_t pfn)
{
	return &pm->mem_map[pfn];
}

static inline unsigned get_pageblock_migratetype(const phys_t *pm, pfn_t pfn)
{
	return pm->pageblock_flags[pfn >> pm->pageblock_order] & PB_MIGRATETYPE_MASK;
}

static inline struct zone *page_zone(const phys_t *pm, pfn_t pfn)
{
	return &pm->zones[pm->pageblock_zone[pfn >> pm->pageblock_order]];
}

static inline bool is_migrate_cma(unsigned mt) { return mt == MIGRATE_CMA; }
static inline bool is_migrate_isolate(unsigned mt) { return mt == MIGRATE_ISOLATE; }
static inline bool is_migrate_highatomic(unsigned mt) { return mt == MIGRATE_HIGHATOMIC; }

static inline uint64_t zone_end_pfn(const struct zone *z)
{
	return (uint64_t)z->zone_start_pfn + z->spanned_pages;
}

/*
 * Pages from a page to the next place a block can start: a block head
 * (free on a buddy or pcp list, held by a scanner, or allocated) covers
 * 2^order pages, any other page (a tail, a reserved page) one.  Scanners
 * walk a range with it.
 */
static inline uint64_t page_block_pages(const struct page *p)
{
	return (p->flags & (PG_buddy | PG_pcp | PG_head | PG_isolated)) ? 1ull << p->order : 1;
}

/*
 * The lists of free blocks (buddy free lists and per-CPU lists), threaded
 * through struct page.lru_next/lru_prev by pfn, as list_add, list_add_tail
 * and list_del of include/linux/list.h; *head and *tail are PFN_NONE for an
 * empty list.  pfn_list_add() returns true if the list was empty,
 * pfn_list_del() true if it is empty now.
 */
static inline bool pfn_list_add(struct page *mem_map, pfn_t *head, pfn_t *tail, pfn_t pfn,
				bool to_tail)
{
	struct page *page = &mem_map[pfn];
	pfn_t first = *head, last = *tail;      /* read once: the stores below may alias */

	if (to_tail) {
		page->lru_next = PFN_NONE;
		page->lru_prev = last;
		if (first != PFN_NONE)
			mem_map[last].lru_next = pfn;
		else
			*head = pfn;
		*tail = pfn;
	} else {
		page->lru_prev = PFN_NONE;
		page->lru_next = first;
		if (first != PFN_NONE)
			mem_map[first].lru_prev = pfn;
		else
			*tail = pfn;
		*head = pfn;
	}
	return first == PFN_NONE;
}

static inline bool pfn_list_del(struct page *mem_map, pfn_t *head, pfn_t *tail, pfn_t pfn)
{
	const struct page *page = &mem_map[pfn];
	pfn_t next = page->lru_next, prev = page->lru_prev;

	if (prev != PFN_NONE)
		mem_map[prev].lru_next = next;
	else
		*head = next;
	if (next != PFN_NONE)
		mem_map[next].lru_prev = prev;
	else
		*tail = prev;
	return prev == PFN_NONE && next == PFN_NONE;
}

static inline unsigned page_owner_kind(const struct page *p)
{
	return (p->flags & PG_OWNER_MASK) >> PG_OWNER_SHIFT;
}

#endif /* MMBENCH_PHYS_H */
